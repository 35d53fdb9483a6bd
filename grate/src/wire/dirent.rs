//! Directory records for getdents64 (`linux_dirent64`) and the legacy
//! getdents (`linux_dirent`, d_type in the record's last byte).
//!
//! Lind's glibc issues getdents (78) but parses `linux_dirent64` records, so
//! on Lind both syscalls produce the 64-bit layout.

use super::{get_u64, put_u16, put_u64};
use imfs_core::DirEntry;

/// Which record layout to produce.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum DirentLayout {
    /// `struct linux_dirent64`: ino, off, reclen, type, name, NUL.
    Dirent64,
    /// `struct linux_dirent`: ino, off, reclen, name, NUL, padding, type.
    Legacy,
}

/// Bytes one record of `name_len` takes (8-aligned, as the kernel pads them).
pub const fn record_len(layout: DirentLayout, name_len: usize) -> usize {
    let raw = match layout {
        // 19 bytes of header, the name, its NUL.
        DirentLayout::Dirent64 => 19 + name_len + 1,
        // 18 bytes of header, the name, its NUL, the type byte.
        DirentLayout::Legacy => 18 + name_len + 2,
    };
    (raw + 7) & !7
}

/// Encodes `e` at the start of `buf`; `None` when it does not fit.
pub fn encode(layout: DirentLayout, e: &DirEntry, buf: &mut [u8]) -> Option<usize> {
    let len = record_len(layout, e.name.len());
    let b = buf.get_mut(..len)?;
    b.fill(0);
    put_u64(b, 0, e.ino);
    put_u64(b, 8, e.next);
    put_u16(b, 16, len as u16);
    match layout {
        DirentLayout::Dirent64 => {
            b[18] = e.kind;
            b[19..19 + e.name.len()].copy_from_slice(e.name);
        }
        DirentLayout::Legacy => {
            b[18..18 + e.name.len()].copy_from_slice(e.name);
            b[len - 1] = e.kind;
        }
    }
    Some(len)
}

/// Of records laid end to end in `buf`, those lying wholly within its first
/// `limit` bytes: their length, and the d_off (resume cookie) of the last.
/// Both layouts keep d_off at offset 8 and d_reclen at 16.
pub fn whole_records(buf: &[u8], limit: usize) -> (usize, Option<u64>) {
    let mut at = 0;
    let mut last = None;
    while let Some(reclen) = buf.get(at + 16..at + 18) {
        let end = at + u16::from_le_bytes([reclen[0], reclen[1]]) as usize;
        if end > limit.min(buf.len()) || end == at {
            break;
        }
        last = Some(get_u64(buf, at + 8));
        at = end;
    }
    (at, last)
}
