//! Moving file data between the core and a cage's memory, piece by piece
//! through the fixed bounce buffer, and getdents.
//!
//! Linux semantics kept: a fault part-way returns the bytes moved before it
//! (EFAULT when none), a short read or write ends the call, an error after
//! some progress returns the progress.

use super::{int, Grate, Res, BOUNCE_LEN, IOV_MAX};
use crate::host::{Abi, CageId, Host};
use crate::wire::args::{decode_iovec, ssize_max, IOVEC_LEN};
use crate::wire::dirent::{encode, whole_records, DirentLayout};
use imfs_core::flags::{O_ACCMODE, O_PATH, O_RDONLY, O_WRONLY, SEEK_CUR, SEEK_SET};
use imfs_core::{Ctx, Errno, OfdId};
use std::ops::Range;

/// The most one read or write moves (Linux's MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// End of the x86_64 user address space: a range past it is EFAULT up front.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// Granularity of partial copies after a fault.
const PAGE: u64 = 4096;

/// preadv2/pwritev2 flags accepted: the first three need nothing from a
/// memory fs; RWF_APPEND and RWF_NOAPPEND override O_APPEND for one write
/// (reads ignore them, as Linux does).
const RWF_HIPRI: u64 = 1;
const RWF_DSYNC: u64 = 2;
const RWF_SYNC: u64 = 4;
const RWF_APPEND: u64 = 0x10;
const RWF_NOAPPEND: u64 = 0x20;
const RWF_ACCEPTED: u64 = RWF_HIPRI | RWF_DSYNC | RWF_SYNC | RWF_APPEND | RWF_NOAPPEND;

/// Where a transfer reads or writes the file.
#[derive(Clone, Copy)]
enum Pos {
    /// The description's offset (read/write).
    Cur,
    /// An explicit offset, advanced locally (pread/pwrite).
    At(u64),
}

impl Pos {
    /// The explicit offset, if any (the core's `pwrite_mode` form).
    fn offset(self) -> Option<u64> {
        match self {
            Pos::Cur => None,
            Pos::At(p) => Some(p),
        }
    }
}

/// Which way data moves.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    Read,
    Write,
}

/// Copies `data` to the cage, as far as it is writable: the bytes copied.
fn copy_out(h: &mut dyn Host, cage: CageId, addr: u64, data: &[u8]) -> usize {
    copy_to_fault(addr, data.len(), |at, r| {
        h.write_mem(cage, at, &data[r]).is_ok()
    })
}

/// Copies from the cage into `buf`, as far as it is readable: the bytes copied.
fn copy_in(h: &mut dyn Host, cage: CageId, addr: u64, buf: &mut [u8]) -> usize {
    copy_to_fault(addr, buf.len(), |at, r| {
        h.read_mem(cage, at, &mut buf[r]).is_ok()
    })
}

/// Moves `len` bytes at cage address `addr` with `copy(at, range)`, which
/// tells whether that piece moved: all at once, or after a fault page by
/// page up to it, as the kernel's copy would stop there. The bytes moved.
fn copy_to_fault(addr: u64, len: usize, mut copy: impl FnMut(u64, Range<usize>) -> bool) -> usize {
    if copy(addr, 0..len) {
        return len;
    }
    let mut done = 0;
    while done < len {
        let Some(at) = addr.checked_add(done as u64) else {
            break;
        };
        let n = ((PAGE - at % PAGE) as usize).min(len - done);
        if !copy(at, done..done + n) {
            break;
        }
        done += n;
    }
    done
}

/// The kernel's access_ok: a range reaching past user space faults up front.
fn range_ok(abi: Abi, addr: u64, len: u64) -> bool {
    match abi {
        Abi::Kernel => addr.checked_add(len).is_some_and(|end| end <= TASK_SIZE),
        // A wasm32 cage's pointers and sizes are 32-bit; the host checks the rest.
        Abi::Lind => true,
    }
}

/// A pread-style offset: EINVAL when negative (checked before the fd).
fn explicit_pos(pos: Option<i64>) -> Result<Option<u64>, Errno> {
    match pos {
        Some(p) if p < 0 => Err(Errno::EINVAL),
        p => Ok(p.map(|p| p as u64)),
    }
}

/// rw_verify_area: an explicit offset whose range `count` would pass the
/// largest loff_t is EINVAL. (A file's own offset stays below
/// MAX_FILE_SIZE, 2^52 at most, so it cannot overflow with a user range.)
fn verify_area(pos: Option<u64>, count: u64) -> Result<Pos, Errno> {
    match pos {
        None => Ok(Pos::Cur),
        Some(p)
            if p.checked_add(count)
                .is_some_and(|end| end <= i64::MAX as u64) =>
        {
            Ok(Pos::At(p))
        }
        Some(_) => Err(Errno::EINVAL),
    }
}

impl Grate {
    /// EBADF unless the description allows `dir` (O_PATH allows neither).
    fn check_access(&self, ofd: OfdId, dir: Dir) -> Result<(), Errno> {
        let fl = self.fs.status_flags(ofd)?;
        let denied = match dir {
            Dir::Read => O_WRONLY,
            Dir::Write => O_RDONLY,
        };
        if fl & O_PATH != 0 || fl & O_ACCMODE == denied {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    /// Moves up to `len` bytes between the file and the cage at `addr`.
    /// Ok((moved, stop)): `stop` when the call must end (EOF, short write,
    /// fault). Err only when nothing moved.
    #[allow(clippy::too_many_arguments)]
    fn transfer(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        ctx: &Ctx,
        ofd: OfdId,
        dir: Dir,
        addr: u64,
        len: u64,
        pos: &mut Pos,
        append: Option<bool>,
    ) -> Result<(u64, bool), Errno> {
        let mut done = 0u64;
        if len == 0 {
            // Still ask the core: a zero-length call reports EISDIR and the like.
            let r = match (dir, *pos) {
                (Dir::Read, Pos::Cur) => self.fs.read(ctx, ofd, &mut []),
                (Dir::Read, Pos::At(p)) => self.fs.pread(ctx, ofd, &mut [], p),
                (Dir::Write, p) => self.fs.pwrite_mode(ctx, ofd, &[], p.offset(), append),
            };
            return r.map(|_| (0, false));
        }
        while done < len {
            let chunk = (len - done).min(BOUNCE_LEN as u64) as usize;
            let at = addr.wrapping_add(done);
            let buf = &mut self.bounce[..chunk];
            let (moved, stop) = match dir {
                Dir::Read => {
                    let got = match *pos {
                        Pos::Cur => self.fs.read(ctx, ofd, buf),
                        Pos::At(p) => self.fs.pread(ctx, ofd, buf, p),
                    };
                    let got = match got {
                        Ok(n) => n,
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => return Ok((done, true)),
                    };
                    let copied = copy_out(h, cage, at, &buf[..got]);
                    if copied < got {
                        if let Pos::Cur = pos {
                            // Give back what the cage could not take.
                            let _ = self.fs.lseek(ofd, -((got - copied) as i64), SEEK_CUR);
                        }
                        if done == 0 && copied == 0 {
                            return Err(Errno::EFAULT);
                        }
                    }
                    (copied, copied < chunk)
                }
                Dir::Write => {
                    let got = copy_in(h, cage, at, buf);
                    if got == 0 {
                        return if done == 0 {
                            Err(Errno::EFAULT)
                        } else {
                            Ok((done, true))
                        };
                    }
                    let wrote = self
                        .fs
                        .pwrite_mode(ctx, ofd, &buf[..got], pos.offset(), append);
                    let wrote = match wrote {
                        Ok(n) => n,
                        Err(e) if done == 0 => return Err(e),
                        Err(_) => return Ok((done, true)),
                    };
                    (wrote, wrote < chunk)
                }
            };
            done += moved as u64;
            if let Pos::At(p) = pos {
                *p += moved as u64;
            }
            if stop {
                return Ok((done, true));
            }
        }
        Ok((done, false))
    }

    /// read, write, pread64, pwrite64, as vfs_read/vfs_write: the whole
    /// `count` must lie in user space and fit the offset range, then at most
    /// MAX_RW_COUNT bytes move.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rw(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        count: u64,
        pos: Option<i64>,
        dir: Dir,
    ) -> Res {
        // Linux checks a negative offset before it even looks up the fd.
        let pos = explicit_pos(pos)?;
        let ofd = self.ofd(h, cage, fd)?;
        self.check_access(ofd, dir)?;
        let count = match h.abi() {
            Abi::Kernel => count,
            // size_t is 32-bit in a wasm32 cage.
            Abi::Lind => count & u32::MAX as u64,
        };
        if !range_ok(h.abi(), addr, count) {
            return Err(Errno::EFAULT.into());
        }
        let mut p = verify_area(pos, count)?;
        let ctx = self.ctx(h, cage);
        let (n, _) = self.transfer(
            h,
            cage,
            &ctx,
            ofd,
            dir,
            addr,
            count.min(MAX_RW_COUNT),
            &mut p,
            None,
        )?;
        Ok(n as i64)
    }

    /// readv, writev and their p and p2 forms, as vfs_readv/vfs_writev
    /// after import_iovec: every length is checked
    /// before any range; one segment is first cut to MAX_RW_COUNT
    /// (import_ubuf), several are range-checked whole and their total is cut
    /// to MAX_RW_COUNT, later segments getting nothing.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rwv(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        iov: u64,
        cnt: u64,
        pos: Option<i64>,
        flags: u64,
        dir: Dir,
    ) -> Res {
        let pos = explicit_pos(pos)?;
        let ofd = self.ofd(h, cage, fd)?;
        self.check_access(ofd, dir)?;
        let cnt = int(cnt);
        if cnt < 0 || cnt as usize > IOV_MAX {
            return Err(Errno::EINVAL.into());
        }
        let cnt = cnt as usize;
        let abi = h.abi();
        // The whole array first: EFAULT, EINVAL before any data moves.
        let bytes = cnt * IOVEC_LEN;
        h.read_mem(cage, iov, &mut self.iov[..bytes])?;
        let seg = |iov: &[u8], i: usize| decode_iovec(abi, &iov[i * IOVEC_LEN..]);
        // A length negative as ssize_t is EINVAL, whatever the ranges.
        let mut total = 0u64;
        for i in 0..cnt {
            let (_, len) = seg(&self.iov, i);
            total = total.saturating_add(len);
            let checked = match abi {
                Abi::Kernel => len,
                // A wasm32 cage's ssize_t also bounds the total.
                Abi::Lind => total,
            };
            if checked > ssize_max(abi) {
                return Err(Errno::EINVAL.into());
            }
        }
        for i in 0..cnt {
            let (base, len) = seg(&self.iov, i);
            let len = if cnt == 1 { len.min(MAX_RW_COUNT) } else { len };
            if !range_ok(abi, base, len) {
                return Err(Errno::EFAULT.into());
            }
        }
        let total = total.min(MAX_RW_COUNT);
        if total == 0 {
            // Nothing to move: Linux returns before the file is asked.
            return Ok(0);
        }
        let mut p = verify_area(pos, total)?;
        if flags & !RWF_ACCEPTED != 0 {
            return Err(Errno::EOPNOTSUPP.into());
        }
        let append = match (flags & RWF_APPEND != 0, flags & RWF_NOAPPEND != 0) {
            (true, true) => return Err(Errno::EINVAL.into()),
            (true, false) => Some(true),
            (false, true) => Some(false),
            (false, false) => None,
        };
        let ctx = self.ctx(h, cage);
        let mut moved = 0u64;
        for i in 0..cnt {
            let (base, len) = seg(&self.iov, i);
            let len = len.min(total - moved);
            if len == 0 {
                continue;
            }
            match self.transfer(h, cage, &ctx, ofd, dir, base, len, &mut p, append) {
                Ok((n, stop)) => {
                    moved += n;
                    if stop || moved >= total {
                        break;
                    }
                }
                Err(e) if moved == 0 => return Err(e.into()),
                Err(_) => break,
            }
        }
        Ok(moved as i64)
    }

    /// getdents (legacy layout on the kernel ABI) and getdents64.
    ///
    /// As fs/readdir.c: `count` is an int (2^31 and more: nothing fits,
    /// EINVAL); records are written one after another with no range check up
    /// front, so a fault returns the whole records before it (EFAULT only
    /// when the first one faults) and the next call resumes after them.
    /// Records are encoded a bounce buffer at a time until `count` is used up.
    pub(super) fn getdents(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        count: u64,
        is64: bool,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        if self.fs.status_flags(ofd)? & O_PATH != 0 {
            return Err(Errno::EBADF.into());
        }
        let abi = h.abi();
        let room = usize::try_from(int(count)).unwrap_or(0);
        // Lind's glibc calls getdents but parses linux_dirent64 records.
        let layout = if is64 || abi == Abi::Lind {
            DirentLayout::Dirent64
        } else {
            DirentLayout::Legacy
        };
        let mut delivered = 0usize;
        loop {
            // Where this load starts: a fault in it rewinds here at most.
            let batch_start = self.fs.lseek(ofd, 0, SEEK_CUR).ok();
            let cap = (room - delivered).min(BOUNCE_LEN);
            let (fs, buf) = (&mut self.fs, &mut self.bounce[..cap]);
            let mut used = 0;
            let mut refused = false;
            let listed = fs.readdir(ofd, &mut |e| match encode(layout, e, &mut buf[used..]) {
                Some(n) => {
                    used += n;
                    true
                }
                None => {
                    refused = true;
                    false
                }
            });
            match listed {
                Ok(()) => {}
                Err(e) if delivered == 0 => return Err(e.into()),
                Err(_) => break,
            }
            if used == 0 {
                if refused && delivered == 0 {
                    // Not even one record fits.
                    return Err(Errno::EINVAL.into());
                }
                break;
            }
            let copied = match addr.checked_add(delivered as u64) {
                Some(at) => copy_out(h, cage, at, &self.bounce[..used]),
                None => 0,
            };
            if copied < used {
                let (whole, last_next) = whole_records(&self.bounce[..used], copied);
                delivered += whole;
                // Resume after the last record the cage received.
                if let Some(resume) = last_next.or(batch_start) {
                    let _ = self.fs.lseek(ofd, resume as i64, SEEK_SET);
                }
                if delivered == 0 {
                    return Err(Errno::EFAULT.into());
                }
                break;
            }
            delivered += used;
            // Stop at the end of the directory, or when the record that did
            // not fit would not fit the cage's buffer either.
            if !refused || cap < BOUNCE_LEN {
                break;
            }
        }
        Ok(delivered as i64)
    }
}
