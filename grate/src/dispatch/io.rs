//! Moving file data between the core and a cage's memory, piece by piece
//! through the fixed bounce buffer, and getdents.
//!
//! Linux semantics kept: a fault part-way returns the bytes moved before it
//! (EFAULT when none), a short read or write ends the call, an error after
//! some progress returns the progress.

use super::{int, Grate, Res, BOUNCE_LEN, IOV_MAX};
use crate::host::{Abi, CageId, Host};
use crate::wire::args::{decode_iovec, ssize_max, IOVEC_LEN};
use crate::wire::dirent::{encode, DirentLayout};
use imfs_core::flags::{O_ACCMODE, O_PATH, O_RDONLY, O_WRONLY, SEEK_CUR, SEEK_SET};
use imfs_core::{Ctx, Errno, OfdId};

/// The most one read or write moves (Linux's MAX_RW_COUNT).
const MAX_RW_COUNT: u64 = 0x7fff_f000;
/// End of the x86_64 user address space: a range past it is EFAULT up front.
const TASK_SIZE: u64 = 0x7fff_ffff_f000;
/// Granularity of partial copies after a fault.
const PAGE: u64 = 4096;

/// preadv2/pwritev2 flags accepted (and needing nothing from a memory fs).
const RWF_HIPRI: u64 = 1;
const RWF_DSYNC: u64 = 2;
const RWF_SYNC: u64 = 4;

/// Where a transfer reads or writes the file.
#[derive(Clone, Copy)]
enum Pos {
    /// The description's offset (read/write).
    Cur,
    /// An explicit offset, advanced locally (pread/pwrite).
    At(u64),
}

/// Which way data moves.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Read,
    Write,
}

/// Copies `data` to the cage, as far as it is writable: the bytes copied.
fn copy_out(h: &mut dyn Host, cage: CageId, addr: u64, data: &[u8]) -> usize {
    if h.write_mem(cage, addr, data).is_ok() {
        return data.len();
    }
    // Find the fault a page at a time, as the kernel's copy would stop there.
    let mut done = 0;
    while done < data.len() {
        let Some(a) = addr.checked_add(done as u64) else {
            break;
        };
        let n = ((PAGE - a % PAGE) as usize).min(data.len() - done);
        if h.write_mem(cage, a, &data[done..done + n]).is_err() {
            break;
        }
        done += n;
    }
    done
}

/// Copies from the cage into `buf`, as far as it is readable: the bytes copied.
fn copy_in(h: &mut dyn Host, cage: CageId, addr: u64, buf: &mut [u8]) -> usize {
    if h.read_mem(cage, addr, buf).is_ok() {
        return buf.len();
    }
    let mut done = 0;
    while done < buf.len() {
        let Some(a) = addr.checked_add(done as u64) else {
            break;
        };
        let n = ((PAGE - a % PAGE) as usize).min(buf.len() - done);
        if h.read_mem(cage, a, &mut buf[done..done + n]).is_err() {
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
    ) -> Result<(u64, bool), Errno> {
        let mut done = 0u64;
        if len == 0 {
            // Still ask the core: a zero-length call reports EISDIR and the like.
            let r = match (dir, *pos) {
                (Dir::Read, Pos::Cur) => self.fs.read(ctx, ofd, &mut []),
                (Dir::Read, Pos::At(p)) => self.fs.pread(ctx, ofd, &mut [], p),
                (Dir::Write, Pos::Cur) => self.fs.write(ctx, ofd, &[]),
                (Dir::Write, Pos::At(p)) => self.fs.pwrite(ctx, ofd, &[], p),
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
                    let wrote = match *pos {
                        Pos::Cur => self.fs.write(ctx, ofd, &buf[..got]),
                        Pos::At(p) => self.fs.pwrite(ctx, ofd, &buf[..got], p),
                    };
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

    /// read, write, pread64, pwrite64.
    pub(super) fn read(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        count: u64,
        pos: Option<i64>,
    ) -> Res {
        self.rw(h, cage, fd, addr, count, pos, Dir::Read)
    }

    pub(super) fn write(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        count: u64,
        pos: Option<i64>,
    ) -> Res {
        self.rw(h, cage, fd, addr, count, pos, Dir::Write)
    }

    #[allow(clippy::too_many_arguments)]
    fn rw(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        count: u64,
        pos: Option<i64>,
        dir: Dir,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        if pos.is_some_and(|p| p < 0) {
            return Err(Errno::EINVAL.into());
        }
        self.check_access(ofd, dir)?;
        let count = match h.abi() {
            Abi::Kernel => count,
            // size_t is 32-bit in a wasm32 cage.
            Abi::Lind => count & u32::MAX as u64,
        };
        if !range_ok(h.abi(), addr, count) {
            return Err(Errno::EFAULT.into());
        }
        let ctx = self.ctx(h, cage);
        let mut p = pos.map_or(Pos::Cur, |p| Pos::At(p as u64));
        let (n, _) = self.transfer(
            h,
            cage,
            &ctx,
            ofd,
            dir,
            addr,
            count.min(MAX_RW_COUNT),
            &mut p,
        )?;
        Ok(n as i64)
    }

    /// readv, preadv, preadv2.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn readv(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        iov: u64,
        cnt: u64,
        pos: Option<i64>,
        flags: u64,
    ) -> Res {
        self.rwv(h, cage, fd, iov, cnt, pos, flags, Dir::Read)
    }

    /// writev, pwritev, pwritev2.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn writev(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        iov: u64,
        cnt: u64,
        pos: Option<i64>,
        flags: u64,
    ) -> Res {
        self.rwv(h, cage, fd, iov, cnt, pos, flags, Dir::Write)
    }

    #[allow(clippy::too_many_arguments)]
    fn rwv(
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
        let ofd = self.ofd(h, cage, fd)?;
        if flags & !(RWF_HIPRI | RWF_DSYNC | RWF_SYNC) != 0 {
            return Err(Errno::EOPNOTSUPP.into());
        }
        if pos.is_some_and(|p| p < 0) {
            return Err(Errno::EINVAL.into());
        }
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
        let mut total = 0u64;
        for i in 0..cnt {
            let (base, len) = decode_iovec(abi, &self.iov[i * IOVEC_LEN..]);
            total = total
                .checked_add(len)
                .filter(|&t| t <= ssize_max(abi))
                .ok_or(Errno::EINVAL)?;
            if !range_ok(abi, base, len) {
                return Err(Errno::EFAULT.into());
            }
        }
        let ctx = self.ctx(h, cage);
        let mut p = pos.map_or(Pos::Cur, |p| Pos::At(p as u64));
        let mut moved = 0u64;
        if cnt == 0 {
            // Nothing to move, but the call is still checked by the core.
            self.transfer(h, cage, &ctx, ofd, dir, 0, 0, &mut p)?;
        }
        for i in 0..cnt {
            let (base, len) = decode_iovec(abi, &self.iov[i * IOVEC_LEN..]);
            let len = len.min(MAX_RW_COUNT - moved);
            if len == 0 {
                continue;
            }
            match self.transfer(h, cage, &ctx, ofd, dir, base, len, &mut p) {
                Ok((n, stop)) => {
                    moved += n;
                    if stop || moved >= MAX_RW_COUNT {
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
        let count = count & u32::MAX as u64; // unsigned int count
        if !range_ok(abi, addr, count) {
            return Err(Errno::EFAULT.into());
        }
        // Lind's glibc calls getdents but parses linux_dirent64 records.
        let layout = if is64 || abi == Abi::Lind {
            DirentLayout::Dirent64
        } else {
            DirentLayout::Legacy
        };
        let cap = (count as usize).min(BOUNCE_LEN);
        let start = self.fs.lseek(ofd, 0, SEEK_CUR).ok();
        let (fs, buf) = (&mut self.fs, &mut self.bounce[..cap]);
        let mut used = 0;
        let mut refused = false;
        fs.readdir(ofd, &mut |e| match encode(layout, e, &mut buf[used..]) {
            Some(n) => {
                used += n;
                true
            }
            None => {
                refused = true;
                false
            }
        })?;
        if used == 0 && refused {
            // Not even one record fits.
            return Err(Errno::EINVAL.into());
        }
        if used > 0 && h.write_mem(cage, addr, &self.bounce[..used]).is_err() {
            if let Some(cookie) = start {
                let _ = self.fs.lseek(ofd, cookie as i64, SEEK_SET);
            }
            return Err(Errno::EFAULT.into());
        }
        Ok(used as i64)
    }
}
