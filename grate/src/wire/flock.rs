//! `struct flock`, fcntl's record-lock argument.
//!
//! Linux x86_64: `{ short l_type; short l_whence; off_t l_start; off_t
//! l_len; pid_t l_pid; }` with 64-bit off_t: fields at 0, 2, 8, 16, 24, 32
//! bytes in all. Lind's glibc (`sysdeps/unix/sysv/linux/bits/fcntl.h`)
//! declares the same fields; its `fcntl` is `fcntl64`, which takes the
//! 64-bit `struct flock64` (i64 aligned to 8 in wasm32), so the layout is
//! the same.

use super::{get_u32, get_u64, put_u16, put_u32, put_u64};
use crate::host::Abi;

/// sizeof(struct flock) for every ABI we serve.
pub const fn flock_len(abi: Abi) -> usize {
    match abi {
        Abi::Kernel | Abi::Lind => 32,
    }
}

/// Largest `struct flock` of any ABI.
pub const FLOCK_MAX_LEN: usize = 32;

/// The fields of a `struct flock`.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Flock {
    pub l_type: i16,
    pub l_whence: i16,
    pub l_start: i64,
    pub l_len: i64,
    pub l_pid: i32,
}

/// Reads a `struct flock` from `buf` (at least [`flock_len`] bytes).
pub fn decode_flock(abi: Abi, buf: &[u8]) -> Flock {
    let _ = abi;
    Flock {
        l_type: i16::from_le_bytes([buf[0], buf[1]]),
        l_whence: i16::from_le_bytes([buf[2], buf[3]]),
        l_start: get_u64(buf, 8) as i64,
        l_len: get_u64(buf, 16) as i64,
        l_pid: get_u32(buf, 24) as i32,
    }
}

/// Writes `fl`'s fields over `buf` (padding bytes keep what they held, as
/// the kernel copies back the struct it read).
pub fn encode_flock(abi: Abi, fl: &Flock, buf: &mut [u8]) {
    let _ = abi;
    put_u16(buf, 0, fl.l_type as u16);
    put_u16(buf, 2, fl.l_whence as u16);
    put_u64(buf, 8, fl.l_start as u64);
    put_u64(buf, 16, fl.l_len as u64);
    put_u32(buf, 24, fl.l_pid as u32);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn round_trips_at_the_c_offsets() {
        let fl = Flock {
            l_type: 1,
            l_whence: 2,
            l_start: -5,
            l_len: 1 << 40,
            l_pid: -1,
        };
        let mut buf = [0xAAu8; FLOCK_MAX_LEN];
        encode_flock(Abi::Kernel, &fl, &mut buf);
        assert_eq!(&buf[0..4], &[1, 0, 2, 0]);
        assert_eq!(&buf[4..8], &[0xAA; 4], "padding untouched");
        assert_eq!(buf[8..16], (-5i64).to_le_bytes());
        assert_eq!(buf[16..24], (1i64 << 40).to_le_bytes());
        assert_eq!(buf[24..28], (-1i32).to_le_bytes());
        assert_eq!(decode_flock(Abi::Lind, &buf), fl);
        assert_eq!(flock_len(Abi::Kernel), 32);
    }
}
