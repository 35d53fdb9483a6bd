//! File I/O through open descriptions: read, write, pread, pwrite (and
//! pwritev2's append override), fallocate, lseek.

use super::perm::drop_setid_on_change;
use super::Fs;
use crate::config::MAX_FILE_SIZE;
use crate::flags::*;
use crate::{Ctx, Errno, OfdId, Result};

/// A day in seconds: relatime refreshes an atime at least this old.
const RELATIME_WINDOW: i64 = 24 * 60 * 60;

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// The node of a description open for reading; EBADF otherwise, EISDIR on a directory.
    fn readable_node(&self, ofd: OfdId) -> Result<(u32, u32)> {
        let o = self.io_ofd(ofd)?;
        if !o.readable() {
            return Err(Errno::EBADF);
        }
        if self.nodes.at(o.node).is_dir() {
            return Err(Errno::EISDIR);
        }
        Ok((o.node, o.flags))
    }

    fn writable_node(&self, ofd: OfdId) -> Result<(u32, u32)> {
        let o = self.io_ofd(ofd)?;
        if !o.writable() {
            return Err(Errno::EBADF);
        }
        Ok((o.node, o.flags))
    }

    /// Reads from `node` at `off`, clamped to its size.
    fn read_at(&mut self, ctx: &Ctx, node: u32, flags: u32, off: u64, buf: &mut [u8]) -> usize {
        let n = self.nodes.at(node);
        if off >= n.size || buf.is_empty() {
            return 0;
        }
        let len = (buf.len() as u64).min(n.size - off) as usize;
        self.data.read(node, off, &mut buf[..len]);
        // relatime, as tmpfs mounts by default. The clock is read only when
        // the atime is not already older than the mtime or ctime.
        let n = self.nodes.at_mut(node);
        if flags & O_NOATIME == 0
            && (n.atime <= n.mtime
                || n.atime <= n.ctime
                || ctx.now().sec.saturating_sub(n.atime.sec) >= RELATIME_WINDOW)
        {
            n.atime = ctx.now();
        }
        len
    }

    /// Writes `buf` to `node` at `off`: short at MAX_FILE_SIZE or when the
    /// chunk pool runs out part-way; the size grows only by what was written.
    fn write_at(&mut self, ctx: &Ctx, node: u32, off: u64, buf: &[u8]) -> Result<usize> {
        if buf.is_empty() {
            return Ok(0);
        }
        if off >= MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        let room = MAX_FILE_SIZE - off;
        let len = (buf.len() as u64).min(room) as usize;
        let written = self.data.write(node, off, &buf[..len])?;
        let n = self.nodes.at_mut(node);
        n.chunks = n.chunks.saturating_add(written.new_chunks);
        n.size = n.size.max(off + written.bytes as u64);
        n.touch_modified(ctx.now());
        drop_setid_on_change(ctx, n);
        Ok(written.bytes)
    }

    pub fn read(&mut self, ctx: &Ctx, ofd: OfdId, buf: &mut [u8]) -> Result<usize> {
        let (node, flags) = self.readable_node(ofd)?;
        let off = self.ofd(ofd)?.pos;
        let n = self.read_at(ctx, node, flags, off, buf);
        self.ofd_mut(ofd)?.pos = off + n as u64;
        Ok(n)
    }

    pub fn write(&mut self, ctx: &Ctx, ofd: OfdId, buf: &[u8]) -> Result<usize> {
        self.pwrite_mode(ctx, ofd, buf, None, None)
    }

    pub fn pread(&mut self, ctx: &Ctx, ofd: OfdId, buf: &mut [u8], off: u64) -> Result<usize> {
        let (node, flags) = self.readable_node(ofd)?;
        if off > i64::MAX as u64 {
            return Err(Errno::EINVAL);
        }
        Ok(self.read_at(ctx, node, flags, off, buf))
    }

    /// pwrite(2), including Linux's quirk that O_APPEND makes it append.
    pub fn pwrite(&mut self, ctx: &Ctx, ofd: OfdId, buf: &[u8], off: u64) -> Result<usize> {
        self.pwrite_mode(ctx, ofd, buf, Some(off), None)
    }

    /// Every write in one (pwritev2's shape). `off`: `None` writes at the
    /// file position and advances it (write, pwritev2 with offset -1);
    /// `Some` writes there and leaves the position alone (EINVAL past
    /// i64::MAX). `append`: `None` follows the description's O_APPEND,
    /// `Some(true)` appends anyway (RWF_APPEND), `Some(false)` writes at the
    /// offset even on an O_APPEND description (RWF_NOAPPEND). An appending
    /// write goes to the end of the file; with `off` None the position then
    /// follows it, as Linux's IOCB_APPEND.
    pub fn pwrite_mode(
        &mut self,
        ctx: &Ctx,
        ofd: OfdId,
        buf: &[u8],
        off: Option<u64>,
        append: Option<bool>,
    ) -> Result<usize> {
        let (node, flags) = self.writable_node(ofd)?;
        if off.is_some_and(|off| off > i64::MAX as u64) {
            return Err(Errno::EINVAL);
        }
        let at = if append.unwrap_or(flags & O_APPEND != 0) {
            self.nodes.at(node).size
        } else {
            match off {
                Some(off) => off,
                None => self.ofd(ofd)?.pos,
            }
        };
        let n = self.write_at(ctx, node, at, buf)?;
        if off.is_none() {
            self.ofd_mut(ofd)?.pos = at + n as u64;
        }
        Ok(n)
    }

    /// fallocate(2) as tmpfs has it. Mode 0 gives the holes in
    /// `[off, off + len)` zeroed chunks and grows the size to cover the
    /// range; FALLOC_FL_KEEP_SIZE allocates without growing; PUNCH_HOLE
    /// with KEEP_SIZE frees the chunks wholly in the range and zeroes the
    /// rest of it. Every other mode is EOPNOTSUPP, after the checks the VFS
    /// makes first. ENOSPC, with nothing changed, when the chunk pool cannot
    /// cover the range; EFBIG past MAX_FILE_SIZE.
    ///
    /// Unlike tmpfs, KEEP_SIZE reserves nothing past the end of the file: no
    /// chunk ever lies past a file's size here, so `st_blocks` is lower and
    /// a later write past the end may still meet ENOSPC.
    pub fn fallocate(
        &mut self,
        ctx: &Ctx,
        ofd: OfdId,
        mode: u32,
        off: i64,
        len: i64,
    ) -> Result<()> {
        if off < 0 || len <= 0 {
            return Err(Errno::EINVAL);
        }
        let keep = mode & FALLOC_FL_KEEP_SIZE != 0;
        if !vfs_accepts_falloc_mode(mode) {
            return Err(Errno::EOPNOTSUPP);
        }
        let o = self.io_ofd(ofd)?;
        if !o.writable() {
            return Err(Errno::EBADF);
        }
        let node = o.node;
        let n = self.nodes.at(node);
        if n.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !n.is_reg() {
            return Err(Errno::ENODEV);
        }
        let (off, len) = (off as u64, len as u64);
        let end = off
            .checked_add(len)
            .filter(|&end| end <= MAX_FILE_SIZE)
            .ok_or(Errno::EFBIG)?;
        let size = n.size;
        match mode {
            0 | FALLOC_FL_KEEP_SIZE => {
                // Chunks never lie past the size (see above).
                let covered = if keep { end.min(size) } else { end };
                let needed = if covered > off {
                    self.data.chunks_needed(node, off, covered - off)
                } else {
                    0
                };
                if !self.data.can_allocate(needed) {
                    return Err(Errno::ENOSPC);
                }
                let added = if covered > off {
                    self.data.allocate_range(node, off, covered)
                } else {
                    0
                };
                let n = self.nodes.at_mut(node);
                n.chunks = n.chunks.saturating_add(added);
                n.size = size.max(covered);
            }
            m if m == FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE => {
                let freed = self.data.punch(node, off, end.min(size));
                let n = self.nodes.at_mut(node);
                n.chunks = n.chunks.saturating_sub(freed);
            }
            _ => return Err(Errno::EOPNOTSUPP),
        }
        // tmpfs ends with file_modified(): new times, setid bits dropped.
        let n = self.nodes.at_mut(node);
        n.touch_modified(ctx.now());
        drop_setid_on_change(ctx, n);
        Ok(())
    }

    /// lseek(2) with SEEK_SET/CUR/END/DATA/HOLE; on a directory it moves the readdir cookie.
    pub fn lseek(&mut self, ofd: OfdId, off: i64, whence: u32) -> Result<u64> {
        let o = self.io_ofd(ofd)?;
        let node = self.nodes.at(o.node);
        let pos = o.pos;
        let new = if node.is_dir() {
            // As tmpfs: only SET and CUR, any non-negative cookie.
            let base = match whence {
                SEEK_SET => 0,
                SEEK_CUR => pos,
                _ => return Err(Errno::EINVAL),
            };
            offset(base, off).ok_or(Errno::EINVAL)?
        } else {
            let size = node.size;
            let new = match whence {
                SEEK_SET => offset(0, off),
                SEEK_CUR => offset(pos, off),
                SEEK_END => offset(size, off),
                SEEK_DATA | SEEK_HOLE => {
                    let from = u64::try_from(off).map_err(|_| Errno::ENXIO)?;
                    if from >= size {
                        return Err(Errno::ENXIO);
                    }
                    let node = o.node;
                    Some(if whence == SEEK_DATA {
                        self.data.seek_data(node, from, size).ok_or(Errno::ENXIO)?
                    } else {
                        self.data.seek_hole(node, from, size)
                    })
                }
                _ => return Err(Errno::EINVAL),
            };
            new.filter(|&n| n <= MAX_FILE_SIZE).ok_or(Errno::EINVAL)?
        };
        let o = self.ofd_mut(ofd)?;
        if o.pos != new {
            o.pos = new;
            o.cursor = super::pool::Link::NONE;
        }
        Ok(new)
    }
}

/// Whether Linux's vfs_fallocate lets `mode` through to the filesystem
/// (the rest is its EOPNOTSUPP before it even checks the descriptor).
fn vfs_accepts_falloc_mode(mode: u32) -> bool {
    const MODE_MASK: u32 = FALLOC_FL_PUNCH_HOLE
        | FALLOC_FL_COLLAPSE_RANGE
        | FALLOC_FL_ZERO_RANGE
        | FALLOC_FL_INSERT_RANGE
        | FALLOC_FL_UNSHARE_RANGE
        | FALLOC_FL_WRITE_ZEROES;
    if mode & !(MODE_MASK | FALLOC_FL_KEEP_SIZE) != 0 {
        return false;
    }
    let keep = mode & FALLOC_FL_KEEP_SIZE != 0;
    match mode & MODE_MASK {
        0 | FALLOC_FL_ZERO_RANGE | FALLOC_FL_UNSHARE_RANGE => true,
        FALLOC_FL_PUNCH_HOLE => keep,
        FALLOC_FL_COLLAPSE_RANGE | FALLOC_FL_INSERT_RANGE | FALLOC_FL_WRITE_ZEROES => !keep,
        _ => false,
    }
}

/// `base + off` as a non-negative file offset (i64 range), or None.
fn offset(base: u64, off: i64) -> Option<u64> {
    let base = i64::try_from(base).ok()?;
    u64::try_from(base.checked_add(off)?).ok()
}
