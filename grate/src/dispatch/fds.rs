//! Calls on an fd: close, dup, fcntl, lseek, and the f* metadata calls.

use super::record_locks::LockCmd;
use super::{int, Grate, Res, Stop};
use crate::cages::Cwd;
use crate::host::{Abi, CageId, FdEntry, Host};
use crate::wire::stat::{encode_stat, encode_statfs, MAX_LEN};
use imfs_core::flags::{O_CLOEXEC, O_NONBLOCK, O_PATH, SEEK_CUR, S_IFDIR, S_IFMT, S_IFREG, X_OK};
use imfs_core::Errno;

const F_DUPFD: u64 = 0;
const F_GETFD: u64 = 1;
const F_SETFD: u64 = 2;
const F_GETFL: u64 = 3;
const F_SETFL: u64 = 4;
const F_DUPFD_CLOEXEC: u64 = 1030;
const FD_CLOEXEC: u64 = 1;

const CLOSE_RANGE_UNSHARE: u64 = 2;
const CLOSE_RANGE_CLOEXEC: u64 = 4;

const FIONCLEX: u64 = 0x5450;
const FIOCLEX: u64 = 0x5451;
const FIONBIO: u64 = 0x5421;
const FIONREAD: u64 = 0x541B;

const MAP_ANONYMOUS: u64 = 0x20;

/// flock(2) operations.
const LOCK_SH: u64 = 1;
const LOCK_EX: u64 = 2;
const LOCK_NB: u64 = 4;
const LOCK_UN: u64 = 8;

impl Grate {
    pub(super) fn close(&mut self, h: &mut dyn Host, cage: CageId, fd: u64) -> Res {
        let fd = int(fd);
        match h.fds().get(cage, fd) {
            None => Err(Errno::EBADF.into()),
            Some(FdEntry::Host) => {
                // The host closes it; forget it so the number is free again.
                h.fds().remove(cage, fd);
                Err(Stop::Continue)
            }
            Some(FdEntry::Imfs { .. }) => {
                if let Some(ofd) = h.fds().remove(cage, fd) {
                    self.release(cage, ofd);
                }
                Ok(0)
            }
        }
    }

    pub(super) fn close_range(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        first: u64,
        last: u64,
        flags: u64,
    ) -> Res {
        let (first, last) = (first as u32, last as u32);
        if flags & !(CLOSE_RANGE_UNSHARE | CLOSE_RANGE_CLOEXEC) != 0 || first > last {
            return Err(Errno::EINVAL.into());
        }
        let in_range = |fd: i32| fd >= 0 && (first..=last).contains(&(fd as u32));
        // Collect in the preallocated scratch, a table's worth at a time.
        loop {
            self.fd_scratch.clear();
            let cap = self.fd_scratch.capacity();
            let scratch = &mut self.fd_scratch;
            let cloexec_only = flags & CLOSE_RANGE_CLOEXEC != 0;
            h.fds().imfs_fds(cage, &mut |fd, ofd| {
                if in_range(fd) && scratch.len() < cap {
                    scratch.push((fd, ofd));
                }
            });
            if self.fd_scratch.is_empty() {
                break;
            }
            let full = self.fd_scratch.len() == cap;
            for i in 0..self.fd_scratch.len() {
                let (fd, _) = self.fd_scratch[i];
                if cloexec_only {
                    let _ = h.fds().set_cloexec(cage, fd, true);
                } else if let Some(ofd) = h.fds().remove(cage, fd) {
                    self.release(cage, ofd);
                }
            }
            if cloexec_only || !full {
                break;
            }
        }
        // Host fds in the range are the host's to close.
        Err(Stop::Continue)
    }

    pub(super) fn dup(&mut self, h: &mut dyn Host, cage: CageId, fd: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.fs.ofd_ref(ofd)?;
        Ok(self.install(h, cage, ofd, 0, false)? as i64)
    }

    pub(super) fn dup2(&mut self, h: &mut dyn Host, cage: CageId, old: u64, new: u64) -> Res {
        let (old, new) = (int(old), int(new));
        match h.fds().get(cage, old) {
            None => Err(Errno::EBADF.into()),
            // dup2(fd, fd) only checks fd: for a host fd (on the native host,
            // any fd the grate does not know) the kernel answers.
            Some(FdEntry::Host) if old == new => Err(Stop::Continue),
            Some(FdEntry::Imfs { .. }) if old == new => Ok(new as i64),
            Some(_) => self.dup_to(h, cage, old, new, false),
        }
    }

    pub(super) fn dup3(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        old: u64,
        new: u64,
        flags: u64,
    ) -> Res {
        let (old, new) = (int(old), int(new));
        if flags & !(O_CLOEXEC as u64) != 0 {
            return Err(Errno::EINVAL.into());
        }
        if old == new {
            return Err(Errno::EINVAL.into());
        }
        self.dup_to(h, cage, old, new, flags != 0)
    }

    fn dup_to(&mut self, h: &mut dyn Host, cage: CageId, old: i32, new: i32, cloexec: bool) -> Res {
        match h.fds().get(cage, old) {
            None => Err(Errno::EBADF.into()),
            Some(FdEntry::Host) => {
                if new < 0 {
                    return Err(Errno::EBADF.into());
                }
                // The host dups its fd over `new`: an imfs fd there is closed.
                if let Some(FdEntry::Imfs { .. }) = h.fds().get(cage, new) {
                    if let Some(ofd) = h.fds().remove(cage, new) {
                        self.release(cage, ofd);
                    }
                }
                Err(Stop::Continue)
            }
            Some(FdEntry::Imfs { ofd, .. }) => {
                if new < 0 {
                    return Err(Errno::EBADF.into());
                }
                self.fs.ofd_ref(ofd)?;
                match h.fds().insert_at(cage, new, ofd, cloexec) {
                    Ok(displaced) => {
                        match displaced {
                            // The old description loses the displaced fd's
                            // reference (a close: locks go as with close(2)).
                            Some(d) => {
                                super::close_fd(&mut self.fs, &mut self.locks, cage, d);
                            }
                            None => {
                                self.fds_used += 1;
                                self.fds_high = self.fds_high.max(self.fds_used);
                            }
                        }
                        Ok(new as i64)
                    }
                    Err(e) => {
                        let _ = self.fs.close(ofd);
                        Err(e.into())
                    }
                }
            }
        }
    }

    pub(super) fn fcntl(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        cmd: u64,
        arg: u64,
        arg2: u64,
    ) -> Res {
        let (ofd, cloexec) = self.entry(h, cage, fd)?;
        if let Some(lock) = LockCmd::of(h.abi(), cmd & u32::MAX as u64) {
            // Lind's glibc passes fcntl's pointer argument fourth.
            let addr = match h.abi() {
                Abi::Lind if arg2 != 0 => arg2,
                _ => arg,
            };
            return self.record_lock(h, cage, ofd, lock, addr);
        }
        match cmd & u32::MAX as u64 {
            F_DUPFD | F_DUPFD_CLOEXEC => {
                let min = int(arg);
                if min < 0 || min as usize >= imfs_core::config::FDS_PER_CAGE {
                    return Err(Errno::EINVAL.into());
                }
                self.fs.ofd_ref(ofd)?;
                Ok(self.install(h, cage, ofd, min, cmd == F_DUPFD_CLOEXEC)? as i64)
            }
            F_GETFD => Ok(if cloexec { FD_CLOEXEC as i64 } else { 0 }),
            F_SETFD => {
                h.fds().set_cloexec(cage, int(fd), arg & FD_CLOEXEC != 0)?;
                Ok(0)
            }
            F_GETFL => Ok(self.fs.status_flags(ofd)? as i64),
            F_SETFL => {
                if self.fs.status_flags(ofd)? & O_PATH != 0 {
                    return Err(Errno::EBADF.into());
                }
                self.fs.set_status_flags(ofd, arg as u32)?;
                Ok(0)
            }
            _ => Err(Errno::EINVAL.into()),
        }
    }

    pub(super) fn lseek(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        off: u64,
        whence: u64,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        let whence = u32::try_from(whence).map_err(|_| Errno::EINVAL)?;
        if h.abi() != crate::host::Abi::Lind {
            return Ok(self.fs.lseek(ofd, off as i64, whence)? as i64);
        }
        // Lind's handlers return an i32: an offset it cannot carry is
        // EOVERFLOW, with the offset left where it was (as lseek(2) does for
        // an off_t overflow).
        let before = self.fs.lseek(ofd, 0, imfs_core::flags::SEEK_CUR)?;
        let after = self.fs.lseek(ofd, off as i64, whence)?;
        if after > i32::MAX as u64 {
            self.fs
                .lseek(ofd, before as i64, imfs_core::flags::SEEK_SET)?;
            return Err(Errno::EOVERFLOW.into());
        }
        Ok(after as i64)
    }

    /// EBADF for an O_PATH description, which only names a file.
    fn not_path(&self, ofd: imfs_core::OfdId) -> Result<(), Errno> {
        if self.fs.status_flags(ofd)? & O_PATH != 0 {
            return Err(Errno::EBADF);
        }
        Ok(())
    }

    pub(super) fn ioctl(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        req: u64,
        arg: u64,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        match req & u32::MAX as u64 {
            FIOCLEX | FIONCLEX => {
                h.fds().set_cloexec(cage, int(fd), req == FIOCLEX)?;
                Ok(0)
            }
            FIONBIO => {
                let mut on = [0u8; 4];
                h.read_mem(cage, arg, &mut on)?;
                let fl = self.fs.status_flags(ofd)?;
                let fl = if u32::from_le_bytes(on) != 0 {
                    fl | O_NONBLOCK
                } else {
                    fl & !O_NONBLOCK
                };
                self.fs.set_status_flags(ofd, fl)?;
                Ok(0)
            }
            FIONREAD => {
                // The VFS answers it for regular files only: size - position
                // as an int (negative past the end, as Linux reports it).
                let st = self.fs.fstat(ofd)?;
                if st.mode & S_IFMT != S_IFREG {
                    return Err(Errno::ENOTTY.into());
                }
                let pos = self.fs.lseek(ofd, 0, SEEK_CUR)?;
                let n = (st.size as i64).wrapping_sub(pos as i64) as i32;
                h.write_mem(cage, arg, &n.to_le_bytes())?;
                Ok(0)
            }
            _ => Err(Errno::ENOTTY.into()),
        }
    }

    /// mmap of an imfs file is not supported (ENODEV); anonymous and host maps pass.
    pub(super) fn mmap(&mut self, h: &mut dyn Host, cage: CageId, flags: u64, fd: u64) -> Res {
        if flags & MAP_ANONYMOUS != 0 {
            return Err(Stop::Continue);
        }
        match h.fds().get(cage, int(fd)) {
            Some(FdEntry::Imfs { .. }) => Err(Errno::ENODEV.into()),
            _ => Err(Stop::Continue),
        }
    }

    pub(super) fn fsync(&mut self, h: &mut dyn Host, cage: CageId, fd: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        self.fs.fsync(ofd)?;
        Ok(0)
    }

    pub(super) fn sync_file_range(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        off: u64,
        n: u64,
        flags: u64,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        if flags & !7 != 0
            || (off as i64) < 0
            || (n as i64) < 0
            || (off as i64).checked_add(n as i64).is_none()
        {
            return Err(Errno::EINVAL.into());
        }
        self.not_path(ofd)?;
        self.fs.fsync(ofd)?;
        Ok(0)
    }

    /// posix_fadvise: advice only; validated as Linux does.
    pub(super) fn fadvise(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        _off: u64,
        len: u64,
        advice: u64,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        if (len as i64) < 0 || advice > 5 {
            return Err(Errno::EINVAL.into());
        }
        Ok(0)
    }

    /// flock: one process tree shares the filesystem, so locks always succeed.
    pub(super) fn flock(&mut self, h: &mut dyn Host, cage: CageId, fd: u64, op: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        match op & !LOCK_NB {
            LOCK_SH | LOCK_EX | LOCK_UN => Ok(0),
            _ => Err(Errno::EINVAL.into()),
        }
    }

    /// fallocate: the core allocates (mode 0, KEEP_SIZE) or punches holes;
    /// other modes are EOPNOTSUPP as the core decides.
    pub(super) fn fallocate(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        mode: u64,
        off: u64,
        len: u64,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        let ctx = self.ctx(h, cage);
        self.fs
            .fallocate(&ctx, ofd, int(mode) as u32, off as i64, len as i64)?;
        Ok(0)
    }

    pub(super) fn fstat(&mut self, h: &mut dyn Host, cage: CageId, fd: u64, buf: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        let st = self.fs.fstat(ofd)?;
        let mut out = [0u8; MAX_LEN];
        let n = encode_stat(h.abi(), &st, &mut out);
        h.write_mem(cage, buf, &out[..n])?;
        Ok(0)
    }

    pub(super) fn fstatfs(&mut self, h: &mut dyn Host, cage: CageId, fd: u64, buf: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.fs.fstat(ofd)?;
        let sfs = self.fs.statfs();
        let mut out = [0u8; MAX_LEN];
        let n = encode_statfs(h.abi(), &sfs, &mut out);
        h.write_mem(cage, buf, &out[..n])?;
        Ok(0)
    }

    pub(super) fn ftruncate(&mut self, h: &mut dyn Host, cage: CageId, fd: u64, len: u64) -> Res {
        if (len as i64) < 0 {
            return Err(Errno::EINVAL.into());
        }
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        let ctx = self.ctx(h, cage);
        self.fs.ftruncate(&ctx, ofd, len as i64)?;
        Ok(0)
    }

    pub(super) fn fchmod(&mut self, h: &mut dyn Host, cage: CageId, fd: u64, mode: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        let ctx = self.ctx(h, cage);
        self.fs.fchmod(&ctx, ofd, mode as u32)?;
        Ok(0)
    }

    pub(super) fn fchown(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        uid: u64,
        gid: u64,
    ) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.not_path(ofd)?;
        let ctx = self.ctx(h, cage);
        self.fs.fchown(&ctx, ofd, uid as u32, gid as u32)?;
        Ok(0)
    }

    pub(super) fn fchdir(&mut self, h: &mut dyn Host, cage: CageId, fd: u64) -> Res {
        let ofd = match self.ofd(h, cage, fd) {
            Err(Stop::Continue) if h.mount_prefix().is_none() => {
                return Err(super::not_imfs_dir(h, cage, fd as i32).into())
            }
            Err(Stop::Continue) => {
                // A host directory: the host changes the cwd, we follow.
                self.set_cwd(h, cage, Cwd::Host)?;
                return Err(Stop::Continue);
            }
            other => other?,
        };
        let st = self.fs.fstat(ofd)?;
        if st.mode & S_IFMT != S_IFDIR {
            return Err(Errno::ENOTDIR.into());
        }
        let ctx = self.ctx(h, cage);
        self.fs.access(&ctx, Some(ofd), b".", X_OK, true)?;
        self.fs.ofd_ref(ofd)?;
        self.set_cwd(h, cage, Cwd::Imfs(Some(ofd)))?;
        Ok(0)
    }

    /// Replaces the cage's cwd, dropping the old one's reference.
    pub(super) fn set_cwd(&mut self, h: &dyn Host, cage: CageId, cwd: Cwd) -> Result<(), Errno> {
        let state = match self.cage_state_mut(h, cage) {
            Ok(s) => s,
            Err(e) => {
                if let Cwd::Imfs(Some(new)) = cwd {
                    let _ = self.fs.close(new);
                }
                return Err(e);
            }
        };
        let old = std::mem::replace(&mut state.cwd, cwd);
        if let Cwd::Imfs(Some(old)) = old {
            let _ = self.fs.close(old);
        }
        Ok(())
    }
}
