//! Reading and writing a traced process's memory with
//! process_vm_readv/process_vm_writev.
//!
//! A bad pointer gives EFAULT, never a fault in the grate. Strings are read a
//! page at a time: a string ending just before an unmapped page is readable,
//! where one large read across the boundary would fail.

use imfs_core::Errno;

const PAGE: u64 = 4096;

/// Copies `buf.len()` bytes from `addr` in process `tid`.
pub fn read(tid: u32, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < buf.len() {
        let n = transfer(
            tid,
            addr.wrapping_add(done as u64),
            buf[done..].as_mut_ptr(),
            buf.len() - done,
            false,
        )?;
        done += n;
    }
    Ok(())
}

/// Copies `data` to `addr` in process `tid`.
pub fn write(tid: u32, addr: u64, data: &[u8]) -> Result<(), Errno> {
    let mut done = 0;
    while done < data.len() {
        let n = transfer(
            tid,
            addr.wrapping_add(done as u64),
            data[done..].as_ptr() as *mut u8,
            data.len() - done,
            true,
        )?;
        done += n;
    }
    Ok(())
}

/// Most paths are short: the first read stops here (or at the page end).
const FIRST_CHUNK: usize = 256;

/// Reads the NUL-terminated string at `addr` into `buf`, never across a
/// page boundary in one read; its length without the NUL. ENAMETOOLONG when
/// `buf` fills first.
pub fn read_cstr(tid: u32, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
    let mut len = 0;
    while len < buf.len() {
        let at = addr.checked_add(len as u64).ok_or(Errno::EFAULT)?;
        let to_page_end = (PAGE - at % PAGE) as usize;
        let limit = if len == 0 { FIRST_CHUNK } else { usize::MAX };
        let chunk = to_page_end.min(buf.len() - len).min(limit);
        read(tid, at, &mut buf[len..len + chunk])?;
        if let Some(nul) = buf[len..len + chunk].iter().position(|&b| b == 0) {
            return Ok(len + nul);
        }
        len += chunk;
    }
    Err(Errno::ENAMETOOLONG)
}

/// One process_vm_readv/writev; the bytes moved (at least one), or EFAULT.
fn transfer(
    tid: u32,
    addr: u64,
    local: *mut u8,
    len: usize,
    to_remote: bool,
) -> Result<usize, Errno> {
    if addr.checked_add(len as u64).is_none() {
        return Err(Errno::EFAULT);
    }
    let local = libc::iovec {
        iov_base: local.cast(),
        iov_len: len,
    };
    let remote = libc::iovec {
        iov_base: addr as *mut libc::c_void,
        iov_len: len,
    };
    // SAFETY: `local` covers memory of ours the caller lends for `len` bytes
    // (written only when reading); the remote side is checked by the kernel.
    let n = unsafe {
        if to_remote {
            libc::process_vm_writev(tid as libc::pid_t, &local, 1, &remote, 1, 0)
        } else {
            libc::process_vm_readv(tid as libc::pid_t, &local, 1, &remote, 1, 0)
        }
    };
    if n <= 0 {
        // EFAULT for unmapped memory; ESRCH when the caller died: nothing to deliver anyway.
        return Err(Errno::EFAULT);
    }
    Ok(n as usize)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn me() -> u32 {
        // SAFETY: gettid has no failure mode.
        unsafe { libc::gettid() as u32 }
    }

    #[test]
    fn reads_and_writes_own_memory() {
        let src = *b"hello";
        let mut dst = [0u8; 5];
        read(me(), src.as_ptr() as u64, &mut dst).unwrap();
        assert_eq!(&dst, b"hello");
        let mut target = [0u8; 3];
        write(me(), target.as_mut_ptr() as u64, b"abc").unwrap();
        assert_eq!(&target, b"abc");
    }

    #[test]
    fn bad_pointers_are_efault() {
        let mut dst = [0u8; 4];
        assert_eq!(read(me(), 8, &mut dst), Err(Errno::EFAULT));
        assert_eq!(read(me(), u64::MAX - 1, &mut dst), Err(Errno::EFAULT));
        assert_eq!(write(me(), 8, b"x"), Err(Errno::EFAULT));
        assert_eq!(read_cstr(me(), 0, &mut dst), Err(Errno::EFAULT));
    }

    /// A string whose NUL is the last byte before an unmapped page.
    #[test]
    fn string_at_the_end_of_a_mapping() {
        // SAFETY: plain anonymous mappings of our own, unmapped below.
        unsafe {
            let p = libc::mmap(
                std::ptr::null_mut(),
                2 * PAGE as usize,
                libc::PROT_READ | libc::PROT_WRITE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                -1,
                0,
            ) as *mut u8;
            assert!(!p.is_null());
            libc::munmap(p.add(PAGE as usize).cast(), PAGE as usize);
            let s = p.add(PAGE as usize - 4);
            std::ptr::copy_nonoverlapping(c"abc".as_ptr().cast::<u8>(), s, 4);
            let mut buf = [0u8; 256];
            assert_eq!(read_cstr(me(), s as u64, &mut buf), Ok(3));
            assert_eq!(&buf[..3], b"abc");
            // No NUL before the hole: EFAULT, not a read past it.
            *s.add(3) = b'd';
            assert_eq!(read_cstr(me(), s as u64, &mut buf), Err(Errno::EFAULT));
            // No NUL within the buffer: ENAMETOOLONG.
            assert_eq!(
                read_cstr(me(), s as u64, &mut buf[..2]),
                Err(Errno::ENAMETOOLONG)
            );
            libc::munmap(p.cast(), PAGE as usize);
        }
    }
}
