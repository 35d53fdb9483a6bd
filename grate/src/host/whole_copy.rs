//! Cage memory reached through an all-or-nothing copy, as Lind's 3i offers it.
//!
//! lind-wasm's `copy_data_between_cages` (src/threei/src/threei.rs) either
//! copies the whole range or nothing, and reports every failure with the one
//! code `ELINDAPIABORTED`. Its string copy succeeds only when the NUL lies
//! within the given length and every byte up to it is readable. So a failed
//! string copy does not say whether the string was too long or the address
//! bad: [`read_cstr`] asks again, and tells the two apart as Linux's
//! `strncpy_from_user` does.

use super::CageId;
use imfs_core::Errno;

/// A host whose cage memory copies are all-or-nothing.
pub trait WholeCopy {
    /// Copies `buf.len()` bytes from the cage's `addr`; false when any of them is unreadable.
    fn copy_bytes(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> bool;
    /// Copies the string at `addr`, its NUL included, when that NUL lies within `buf.len()`
    /// bytes and every byte up to it is readable; false otherwise, with `buf` left as it was.
    fn copy_string(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> bool;
}

/// [`super::Host::read_cstr`] over a [`WholeCopy`]: the string's length
/// without its NUL; ENAMETOOLONG when `buf.len()` readable bytes hold no NUL,
/// EFAULT when an unreadable byte comes first.
pub fn read_cstr(
    mem: &mut dyn WholeCopy,
    cage: CageId,
    addr: u64,
    buf: &mut [u8],
) -> Result<usize, Errno> {
    if addr == 0 {
        return Err(Errno::EFAULT);
    }
    if buf.is_empty() {
        return Err(Errno::ENAMETOOLONG);
    }
    if mem.copy_string(cage, addr, buf) {
        // The copy ended at the first NUL; a host that says otherwise broke its word.
        return buf.iter().position(|&b| b == 0).ok_or(Errno::EFAULT);
    }
    // No NUL within the window, or a fault before it: if the whole window is
    // readable the string is too long, else the scan met the fault first.
    if mem.copy_bytes(cage, addr, buf) {
        Err(Errno::ENAMETOOLONG)
    } else {
        Err(Errno::EFAULT)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// 16 readable bytes at 0x100.
    struct Mem([u8; 16]);

    impl Mem {
        fn range(addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
            let start = usize::try_from(addr.checked_sub(0x100)?).ok()?;
            let end = start.checked_add(len)?;
            (end <= 16).then_some(start..end)
        }
    }

    impl WholeCopy for Mem {
        fn copy_bytes(&mut self, _: CageId, addr: u64, buf: &mut [u8]) -> bool {
            match Self::range(addr, buf.len()) {
                Some(r) => {
                    buf.copy_from_slice(&self.0[r]);
                    true
                }
                None => false,
            }
        }

        fn copy_string(&mut self, _: CageId, addr: u64, buf: &mut [u8]) -> bool {
            for n in 0..buf.len() {
                match Self::range(addr + n as u64, 1) {
                    Some(r) if self.0[r.start] == 0 => {
                        let all = Self::range(addr, n + 1).expect("checked");
                        buf[..=n].copy_from_slice(&self.0[all]);
                        return true;
                    }
                    Some(_) => {}
                    None => return false,
                }
            }
            false
        }
    }

    #[test]
    fn lengths_too_long_and_faults_are_told_apart() {
        let mut m = Mem(*b"abc\0defghijklmno");
        let mut buf = [0xffu8; 8];
        assert_eq!(read_cstr(&mut m, 1, 0x100, &mut buf), Ok(3));
        assert_eq!(&buf[..4], b"abc\0");
        // A one-byte window on a non-empty string: too long, not a fault.
        assert_eq!(
            read_cstr(&mut m, 1, 0x100, &mut [0u8; 1]),
            Err(Errno::ENAMETOOLONG)
        );
        // "defghijklmno" runs off the end of memory before any NUL.
        assert_eq!(
            read_cstr(&mut m, 1, 0x104, &mut buf),
            Err(Errno::ENAMETOOLONG)
        );
        assert_eq!(
            read_cstr(&mut m, 1, 0x104, &mut [0u8; 32]),
            Err(Errno::EFAULT)
        );
        assert_eq!(read_cstr(&mut m, 1, 0x5000, &mut buf), Err(Errno::EFAULT));
        assert_eq!(read_cstr(&mut m, 1, 0, &mut buf), Err(Errno::EFAULT));
        assert_eq!(read_cstr(&mut m, 1, 0x103, &mut buf), Ok(0));
    }
}
