//! The cage-side ABI: byte layouts of the structs syscalls exchange, for each
//! [`Abi`]. Encoders write into a caller's fixed buffer and return the length;
//! decoders read from bytes already copied out of the cage.
//!
//! - [`stat`]: `struct stat` (Kernel and Lind), `struct statx`, `struct statfs`.
//! - [`dirent`]: `linux_dirent64` and the legacy `linux_dirent`.
//! - [`args`]: `struct iovec`, `struct timespec`/`timeval` arrays, `utimbuf`.
//! - [`flock`]: `struct flock` (fcntl record locks).
//!
//! [`Abi`]: crate::host::Abi

pub mod args;
pub mod dirent;
pub mod flock;
pub mod stat;

/// Little-endian field writers (every host we serve is little-endian).
pub(crate) fn put_u16(buf: &mut [u8], at: usize, v: u16) {
    buf[at..at + 2].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u32(buf: &mut [u8], at: usize, v: u32) {
    buf[at..at + 4].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn put_u64(buf: &mut [u8], at: usize, v: u64) {
    buf[at..at + 8].copy_from_slice(&v.to_le_bytes());
}
pub(crate) fn get_u32(buf: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(buf[at..at + 4].try_into().expect("4 bytes"))
}
pub(crate) fn get_u64(buf: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(buf[at..at + 8].try_into().expect("8 bytes"))
}
