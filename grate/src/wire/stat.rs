//! `struct stat`, `struct statx` and `struct statfs` as each ABI lays them out.
//!
//! Lind's layouts come from lind-wasm's glibc (`src/glibc/target/include/bits/
//! struct_stat.h`, `bits/statfs.h`) and match what its RawPOSIX writes
//! (`sysdefs` `StatData`/`FSData`): 64-bit st_ino and st_size, 32-bit
//! st_blksize and st_blocks, timestamps as 16-byte (seconds, nanoseconds)
//! pairs whose nanoseconds the guest reads as a 32-bit long.

use super::{put_u16, put_u32, put_u64};
use crate::host::Abi;
use imfs_core::{Stat, StatFs, Timespec};

/// Largest encoded size of any struct here (statx).
pub const MAX_LEN: usize = 256;

/// sizeof(struct stat) for the ABI.
pub const fn stat_len(abi: Abi) -> usize {
    match abi {
        Abi::Kernel => 144,
        Abi::Lind => 104,
    }
}

/// sizeof(struct statfs) for the ABI.
pub const fn statfs_len(abi: Abi) -> usize {
    match abi {
        Abi::Kernel => 120,
        Abi::Lind => 112,
    }
}

/// sizeof(struct statx): the same for every ABI (fixed-width fields only).
pub const STATX_LEN: usize = 256;

fn put_time(buf: &mut [u8], at: usize, t: Timespec) {
    put_u64(buf, at, t.sec as u64);
    put_u64(buf, at + 8, t.nsec as u64);
}

/// Encodes `st` as the ABI's `struct stat` into `buf` (zeroing padding); its length.
pub fn encode_stat(abi: Abi, st: &Stat, buf: &mut [u8]) -> usize {
    let len = stat_len(abi);
    let b = &mut buf[..len];
    b.fill(0);
    match abi {
        Abi::Kernel => {
            put_u64(b, 0, st.dev);
            put_u64(b, 8, st.ino);
            put_u64(b, 16, st.nlink as u64);
            put_u32(b, 24, st.mode);
            put_u32(b, 28, st.uid);
            put_u32(b, 32, st.gid);
            put_u64(b, 40, st.rdev);
            put_u64(b, 48, st.size);
            put_u64(b, 56, st.blksize as u64);
            put_u64(b, 64, st.blocks);
            put_time(b, 72, st.atime);
            put_time(b, 88, st.mtime);
            put_time(b, 104, st.ctime);
        }
        Abi::Lind => {
            put_u64(b, 0, st.dev);
            put_u64(b, 8, st.ino);
            put_u32(b, 16, st.mode);
            put_u32(b, 20, st.nlink);
            put_u32(b, 24, st.uid);
            put_u32(b, 28, st.gid);
            put_u64(b, 32, st.rdev);
            put_u64(b, 40, st.size);
            put_u32(b, 48, st.blksize);
            put_u32(b, 52, st.blocks.min(u32::MAX as u64) as u32);
            put_time(b, 56, st.atime);
            put_time(b, 72, st.mtime);
            put_time(b, 88, st.ctime);
        }
    }
    len
}

/// What statx fills: STATX_BASIC_STATS (no birth time).
pub const STATX_BASIC_STATS: u32 = 0x7ff;

/// glibc's gnu_dev_major/minor: the split Linux's new_encode_dev undoes.
fn dev_major(dev: u64) -> u32 {
    (((dev >> 32) & 0xffff_f000) | ((dev >> 8) & 0xfff)) as u32
}
fn dev_minor(dev: u64) -> u32 {
    (((dev >> 12) & 0xffff_ff00) | (dev & 0xff)) as u32
}

fn put_statx_time(buf: &mut [u8], at: usize, t: Timespec) {
    put_u64(buf, at, t.sec as u64);
    put_u32(buf, at + 8, t.nsec as u32);
}

/// Encodes `st` as `struct statx` (256 bytes); its length.
pub fn encode_statx(st: &Stat, buf: &mut [u8]) -> usize {
    let b = &mut buf[..STATX_LEN];
    b.fill(0);
    put_u32(b, 0, STATX_BASIC_STATS);
    put_u32(b, 4, st.blksize);
    put_u32(b, 16, st.nlink);
    put_u32(b, 20, st.uid);
    put_u32(b, 24, st.gid);
    put_u16(b, 28, st.mode as u16);
    put_u64(b, 32, st.ino);
    put_u64(b, 40, st.size);
    put_u64(b, 48, st.blocks);
    put_statx_time(b, 64, st.atime);
    put_statx_time(b, 96, st.ctime);
    put_statx_time(b, 112, st.mtime);
    put_u32(b, 128, dev_major(st.rdev));
    put_u32(b, 132, dev_minor(st.rdev));
    put_u32(b, 136, dev_major(st.dev));
    put_u32(b, 140, dev_minor(st.dev));
    STATX_LEN
}

/// Encodes `fs` as the ABI's `struct statfs`; its length.
pub fn encode_statfs(abi: Abi, fs: &StatFs, buf: &mut [u8]) -> usize {
    let len = statfs_len(abi);
    let b = &mut buf[..len];
    b.fill(0);
    // Both layouts put every field in an 8-byte slot; Lind has no f_flags.
    let fields = [
        fs.fs_type, fs.bsize, fs.blocks, fs.bfree, fs.bavail, fs.files, fs.ffree, fs.fsid,
        fs.namelen, fs.frsize,
    ];
    for (i, v) in fields.iter().enumerate() {
        put_u64(b, i * 8, *v);
    }
    if abi == Abi::Kernel {
        put_u64(b, 80, fs.flags);
    }
    len
}
