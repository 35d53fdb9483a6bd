//! Argument structs a cage passes in: `struct iovec` arrays and the time
//! arrays of utimensat/utimes/utime.
//!
//! Lind's guest (wasm32) `struct iovec` is { void *iov_base; int pad;
//! size_t iov_len; int pad; } (lind-wasm glibc `bits/types/struct_iovec.h`),
//! but readv/writev and friends never hand the grate the guest's array: glibc
//! builds a copy whose buffers are 64-bit *host* addresses split into
//! iov_base (low half) and the first pad word (high half), with the second pad
//! zero (glibc `sysdeps/unix/sysv/linux/writev.c`). So the base is the u64 at
//! offset 0 and the length the u32 at offset 8. Its `struct timespec` is
//! { int64 tv_sec; long tv_nsec; int32 pad; }: only the 32-bit nsec is read.

use super::{get_u32, get_u64};
use crate::host::Abi;
use imfs_core::flags::{UTIME_NOW, UTIME_OMIT};
use imfs_core::{Errno, Timespec};

/// Bytes of one `struct iovec` (16 on both ABIs).
pub const IOVEC_LEN: usize = 16;

/// One decoded iovec: (base, len).
pub fn decode_iovec(abi: Abi, b: &[u8]) -> (u64, u64) {
    match abi {
        Abi::Kernel => (get_u64(b, 0), get_u64(b, 8)),
        Abi::Lind => (get_u64(b, 0), get_u32(b, 8) as u64),
    }
}

/// Largest byte count one read/write call may return (`ssize_t`'s range):
/// an iovec length past it is EINVAL (on Lind, the lengths' total too).
pub const fn ssize_max(abi: Abi) -> u64 {
    match abi {
        Abi::Kernel => i64::MAX as u64,
        Abi::Lind => i32::MAX as u64,
    }
}

/// Bytes of one `struct timespec` (16 on both ABIs).
pub const TIMESPEC_LEN: usize = 16;

/// Decodes one timespec, checking the nanoseconds as utimensat does.
pub fn decode_utimespec(abi: Abi, b: &[u8]) -> Result<Timespec, Errno> {
    let sec = get_u64(b, 0) as i64;
    let nsec = match abi {
        Abi::Kernel => get_u64(b, 8) as i64,
        Abi::Lind => get_u32(b, 8) as i32 as i64,
    };
    if nsec == UTIME_NOW || nsec == UTIME_OMIT || (0..1_000_000_000).contains(&nsec) {
        Ok(Timespec { sec, nsec })
    } else {
        Err(Errno::EINVAL)
    }
}

/// Bytes of one `struct timeval` (utimes, futimesat): 16 on both ABIs.
pub const TIMEVAL_LEN: usize = 16;

/// Decodes one timeval into a timespec; microseconds outside 0..1e6 are EINVAL.
pub fn decode_timeval(abi: Abi, b: &[u8]) -> Result<Timespec, Errno> {
    let sec = get_u64(b, 0) as i64;
    let usec = match abi {
        Abi::Kernel => get_u64(b, 8) as i64,
        Abi::Lind => get_u32(b, 8) as i32 as i64,
    };
    if (0..1_000_000).contains(&usec) {
        Ok(Timespec {
            sec,
            nsec: usec * 1000,
        })
    } else {
        Err(Errno::EINVAL)
    }
}

/// Bytes of `struct utimbuf` (utime): two 64-bit time_t.
pub const UTIMBUF_LEN: usize = 16;

/// Decodes a utimbuf into (atime, mtime).
pub fn decode_utimbuf(b: &[u8]) -> [Timespec; 2] {
    [
        Timespec {
            sec: get_u64(b, 0) as i64,
            nsec: 0,
        },
        Timespec {
            sec: get_u64(b, 8) as i64,
            nsec: 0,
        },
    ]
}
