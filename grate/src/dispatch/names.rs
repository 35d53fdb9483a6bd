//! Calls on paths: open, stat, the namespace operations, metadata by path,
//! and the cwd and umask.

use super::paths::{Place, Slot};
use super::{int, Grate, Res, Stop};
use crate::cages::Cwd;
use crate::host::{Abi, CageId, Host};
use crate::wire::args::{
    decode_timeval, decode_utimbuf, decode_utimespec, TIMESPEC_LEN, TIMEVAL_LEN, UTIMBUF_LEN,
};
use crate::wire::stat::{encode_stat, encode_statfs, encode_statx, MAX_LEN};
use imfs_core::flags::*;
use imfs_core::{config, Ctx, Errno, OfdId, Stat, Timespec};

// getcwd builds its answer in the bounce buffer.
const _: () = assert!(config::PATH_MAX <= super::BOUNCE_LEN);

/// statx flags beyond the *at ones: AT_STATX_SYNC_TYPE.
const AT_STATX_SYNC_TYPE: u32 = 0x6000;
/// statx mask bit reserved for future extension: EINVAL.
const STATX_RESERVED: u32 = 0x8000_0000;

/// The metadata change a chmod, chown or utimens-family call makes.
#[derive(Clone, Copy)]
enum Change {
    Mode(u32),
    Owner(u32, u32),
    /// None: both times to now.
    Times(Option<[Timespec; 2]>),
}

/// Checks `mode` (R_OK|W_OK|X_OK) against `st` for `ctx`, as access(2) does.
fn permitted(st: &Stat, ctx: &Ctx, mode: u32) -> bool {
    if mode == F_OK {
        return true;
    }
    if ctx.uid == 0 {
        // Root may do anything but execute a file no one may execute.
        return mode & X_OK == 0 || st.mode & S_IFMT == S_IFDIR || st.mode & 0o111 != 0;
    }
    let bits = if ctx.uid == st.uid {
        st.mode >> 6
    } else if ctx.in_group(st.gid) {
        st.mode >> 3
    } else {
        st.mode
    } & 7;
    bits & mode == mode
}

impl Grate {
    pub(super) fn open(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        flags: u64,
        mode: u64,
    ) -> Res {
        let flags = flags as u32;
        let t = self.target(h, cage, dirfd, addr, Slot::A)?;
        // Linux takes the fd before opening: a full table creates nothing.
        if h.fds().is_full(cage) {
            return Err(Errno::EMFILE.into());
        }
        let creating = flags & O_CREAT != 0 || flags & O_TMPFILE == O_TMPFILE;
        let mode = if creating {
            mode as u32 & S_IALLUGO & !self.cage_state(h, cage).umask
        } else {
            0
        };
        let mut core_flags = flags & !O_CLOEXEC;
        if h.abi() == Abi::Kernel && flags & O_PATH == 0 {
            // A 64-bit kernel forces O_LARGEFILE, and F_GETFL shows it.
            core_flags |= O_LARGEFILE;
        }
        let ctx = self.ctx(h, cage);
        let ofd = self
            .fs
            .open(&ctx, t.dir, self.paths.get(&t.path), core_flags, mode)?;
        let fifo = self
            .fs
            .fstat(ofd)
            .is_ok_and(|st| st.mode & S_IFMT == S_IFIFO);
        if flags & O_PATH == 0 && fifo {
            return self.open_fifo(h, cage, ofd, flags);
        }
        Ok(self.install(h, cage, ofd, 0, flags & O_CLOEXEC != 0)? as i64)
    }

    /// The stat of a placed path (or of the fd AT_EMPTY_PATH names).
    fn stat_place(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        place: Place,
        follow: bool,
    ) -> Result<Stat, Stop> {
        let ctx = self.ctx(h, cage);
        match place {
            Place::Imfs(t) => Ok(self.fs.stat(&ctx, t.dir, self.paths.get(&t.path), follow)?),
            Place::Fd(ofd) => Ok(self.fs.fstat(ofd)?),
            Place::Host => Err(Stop::Continue),
        }
    }

    /// stat, lstat, newfstatat.
    pub(super) fn stat(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        buf: u64,
        flags: u64,
    ) -> Res {
        let flags = flags as u32;
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let place = self.place(h, cage, dirfd, addr, Slot::A, flags & AT_EMPTY_PATH != 0)?;
        let st = self.stat_place(h, cage, place, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        let mut out = [0u8; MAX_LEN];
        let n = encode_stat(h.abi(), &st, &mut out);
        h.write_mem(cage, buf, &out[..n])?;
        Ok(0)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn statx(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        flags: u64,
        mask: u64,
        buf: u64,
    ) -> Res {
        let (flags, mask) = (flags as u32, mask as u32);
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH | AT_NO_AUTOMOUNT | AT_STATX_SYNC_TYPE)
            != 0
            || flags & AT_STATX_SYNC_TYPE == AT_STATX_SYNC_TYPE
            || mask & STATX_RESERVED != 0
        {
            return Err(Errno::EINVAL.into());
        }
        let place = self.place(h, cage, dirfd, addr, Slot::A, flags & AT_EMPTY_PATH != 0)?;
        let st = self.stat_place(h, cage, place, flags & AT_SYMLINK_NOFOLLOW == 0)?;
        let mut out = [0u8; MAX_LEN];
        let n = encode_statx(&st, &mut out);
        h.write_mem(cage, buf, &out[..n])?;
        Ok(0)
    }

    pub(super) fn statfs(&mut self, h: &mut dyn Host, cage: CageId, addr: u64, buf: u64) -> Res {
        let t = self.target(h, cage, AT_FDCWD, addr, Slot::A)?;
        let ctx = self.ctx(h, cage);
        self.fs.stat(&ctx, t.dir, self.paths.get(&t.path), true)?;
        let sfs = self.fs.statfs();
        let mut out = [0u8; MAX_LEN];
        let n = encode_statfs(h.abi(), &sfs, &mut out);
        h.write_mem(cage, buf, &out[..n])?;
        Ok(0)
    }

    /// access, faccessat, faccessat2.
    pub(super) fn access(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        mode: u64,
        flags: u64,
    ) -> Res {
        let (mode, flags) = (mode as u32, flags as u32);
        if mode & !(R_OK | W_OK | X_OK) != 0
            || flags & !(AT_EACCESS | AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0
        {
            return Err(Errno::EINVAL.into());
        }
        let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
        let ctx = self.ctx(h, cage);
        match self.place(h, cage, dirfd, addr, Slot::A, flags & AT_EMPTY_PATH != 0)? {
            Place::Imfs(t) => self.fs.access_as(
                &ctx,
                t.dir,
                self.paths.get(&t.path),
                mode,
                follow,
                flags & AT_EACCESS != 0,
            )?,
            Place::Fd(ofd) => {
                let st = self.fs.fstat(ofd)?;
                // Without AT_EACCESS access(2) checks the real ids.
                let who = if flags & AT_EACCESS != 0 {
                    ctx
                } else {
                    ctx.with_real_ids()
                };
                if !permitted(&st, &who, mode) {
                    return Err(Errno::EACCES.into());
                }
            }
            Place::Host => return Err(Stop::Continue),
        }
        Ok(0)
    }

    pub(super) fn mkdir(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        mode: u64,
    ) -> Res {
        let t = self.target(h, cage, dirfd, addr, Slot::A)?;
        let mode = mode as u32 & (0o777 | S_ISVTX) & !self.cage_state(h, cage).umask;
        let ctx = self.ctx(h, cage);
        self.fs.mkdir(&ctx, t.dir, self.paths.get(&t.path), mode)?;
        Ok(0)
    }

    pub(super) fn mknod(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        mode: u64,
        dev: u64,
    ) -> Res {
        let t = self.target(h, cage, dirfd, addr, Slot::A)?;
        let mode = mode as u32;
        let mode = (mode & S_IFMT) | (mode & S_IALLUGO & !self.cage_state(h, cage).umask);
        let ctx = self.ctx(h, cage);
        self.fs
            .mknod(&ctx, t.dir, self.paths.get(&t.path), mode, dev)?;
        Ok(0)
    }

    /// unlink, unlinkat, rmdir (AT_REMOVEDIR).
    pub(super) fn unlink(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        flags: u64,
    ) -> Res {
        if flags & !(AT_REMOVEDIR as u64) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let t = self.target(h, cage, dirfd, addr, Slot::A)?;
        let ctx = self.ctx(h, cage);
        let path = self.paths.get(&t.path);
        if flags != 0 {
            self.fs.rmdir(&ctx, t.dir, path)?;
        } else {
            self.fs.unlink(&ctx, t.dir, path)?;
            self.release_unnamed(h);
        }
        Ok(0)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn link(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        olddir: i32,
        old: u64,
        newdir: i32,
        new: u64,
        flags: u64,
    ) -> Res {
        let flags = flags as u32;
        if flags & !(AT_SYMLINK_FOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let from = self.place(h, cage, olddir, old, Slot::A, flags & AT_EMPTY_PATH != 0)?;
        let to = self.place(h, cage, newdir, new, Slot::B, false)?;
        let ctx = self.ctx(h, cage);
        match (from, to) {
            (Place::Imfs(o), Place::Imfs(n)) => {
                let (op, np) = (self.paths.get(&o.path), self.paths.get(&n.path));
                self.fs
                    .link(&ctx, o.dir, op, n.dir, np, flags & AT_SYMLINK_FOLLOW != 0)?;
                Ok(0)
            }
            // Naming an open file by fd (how an O_TMPFILE file gets its
            // name) needs CAP_DAC_READ_SEARCH: root's; others get Linux's ENOENT.
            (Place::Fd(ofd), Place::Imfs(n)) => {
                if ctx.uid != 0 {
                    return Err(Errno::ENOENT.into());
                }
                self.fs
                    .link_ofd(&ctx, ofd, n.dir, self.paths.get(&n.path))?;
                Ok(0)
            }
            (Place::Host, Place::Host) => Err(Stop::Continue),
            (Place::Host, _) | (_, Place::Host) => Err(Errno::EXDEV.into()),
            // The new name is never empty: `to` is never an fd.
            (_, Place::Fd(_)) => Err(Errno::ENOENT.into()),
        }
    }

    pub(super) fn symlink(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        target: u64,
        newdir: i32,
        new: u64,
    ) -> Res {
        let tref = self.copy_str(h, cage, target, Slot::A)?;
        let t = self.target(h, cage, newdir, new, Slot::B)?;
        if self.paths.get(&tref).is_empty() {
            return Err(Errno::ENOENT.into());
        }
        let ctx = self.ctx(h, cage);
        self.fs
            .symlink(&ctx, self.paths.get(&tref), t.dir, self.paths.get(&t.path))?;
        Ok(0)
    }

    pub(super) fn readlink(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        buf: u64,
        size: u64,
    ) -> Res {
        let size = int(size);
        if size <= 0 {
            return Err(Errno::EINVAL.into());
        }
        if addr == 0 {
            return Err(Errno::EFAULT.into());
        }
        // readlinkat always accepts an empty path: the symlink `dirfd` is
        // open on (O_PATH|O_NOFOLLOW), ENOENT for anything else.
        let place = self.place(h, cage, dirfd, addr, Slot::A, true)?;
        let ctx = self.ctx(h, cage);
        let cap = (size as usize).min(self.bounce.len());
        let n = match place {
            Place::Host => return Err(Stop::Continue),
            Place::Fd(ofd) => self.fs.readlink_ofd(ofd, &mut self.bounce[..cap])?,
            // An empty path on the root directory: never a symlink.
            Place::Imfs(_) if self.path_is_empty(h, cage, addr)? => {
                return Err(Errno::ENOENT.into())
            }
            Place::Imfs(t) => self.fs.readlink(
                &ctx,
                t.dir,
                self.paths.get(&t.path),
                &mut self.bounce[..cap],
            )?,
        };
        h.write_mem(cage, buf, &self.bounce[..n])?;
        Ok(n as i64)
    }

    #[allow(clippy::too_many_arguments)]
    pub(super) fn rename(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        olddir: i32,
        old: u64,
        newdir: i32,
        new: u64,
        flags: u64,
    ) -> Res {
        if flags & !((RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) as u64) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let from = self.place(h, cage, olddir, old, Slot::A, false)?;
        let to = self.place(h, cage, newdir, new, Slot::B, false)?;
        let ctx = self.ctx(h, cage);
        match (from, to) {
            (Place::Imfs(o), Place::Imfs(n)) => {
                let (op, np) = (self.paths.get(&o.path), self.paths.get(&n.path));
                self.fs.rename(&ctx, o.dir, op, n.dir, np, flags as u32)?;
                self.release_unnamed(h);
                Ok(0)
            }
            (Place::Host, Place::Host) => Err(Stop::Continue),
            _ => Err(Errno::EXDEV.into()),
        }
    }

    /// chmod, fchmodat, fchmodat2.
    pub(super) fn chmod(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        mode: u64,
        flags: u64,
    ) -> Res {
        let change = Change::Mode(mode as u32);
        self.change_attr(h, cage, dirfd, addr, flags as u32, change)
    }

    /// chown, lchown, fchownat.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn chown(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        uid: u64,
        gid: u64,
        flags: u64,
    ) -> Res {
        let change = Change::Owner(uid as u32, gid as u32);
        self.change_attr(h, cage, dirfd, addr, flags as u32, change)
    }

    /// Applies `change` to a path, or with AT_EMPTY_PATH to the fd `dirfd`:
    /// the shared body of the chmod, chown and utimens families.
    fn change_attr(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        flags: u32,
        change: Change,
    ) -> Res {
        if flags & !(AT_SYMLINK_NOFOLLOW | AT_EMPTY_PATH) != 0 {
            return Err(Errno::EINVAL.into());
        }
        let place = self.place(h, cage, dirfd, addr, Slot::A, flags & AT_EMPTY_PATH != 0)?;
        let ctx = self.ctx(h, cage);
        match place {
            Place::Imfs(t) => {
                let (dir, path) = (t.dir, self.paths.get(&t.path));
                let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
                match change {
                    Change::Mode(mode) => self.fs.chmod(&ctx, dir, path, mode, follow)?,
                    Change::Owner(uid, gid) => self.fs.chown(&ctx, dir, path, uid, gid, follow)?,
                    Change::Times(times) => self.fs.utimens(&ctx, dir, path, times, follow)?,
                }
            }
            Place::Fd(ofd) => self.change_ofd(&ctx, ofd, change)?,
            Place::Host => return Err(Stop::Continue),
        }
        Ok(0)
    }

    fn change_ofd(&mut self, ctx: &Ctx, ofd: OfdId, change: Change) -> Result<(), Errno> {
        match change {
            Change::Mode(mode) => self.fs.fchmod(ctx, ofd, mode),
            Change::Owner(uid, gid) => self.fs.fchown(ctx, ofd, uid, gid),
            Change::Times(times) => self.fs.futimens(ctx, ofd, times),
        }
    }

    pub(super) fn truncate(&mut self, h: &mut dyn Host, cage: CageId, addr: u64, len: u64) -> Res {
        if (len as i64) < 0 {
            return Err(Errno::EINVAL.into());
        }
        let t = self.target(h, cage, AT_FDCWD, addr, Slot::A)?;
        let ctx = self.ctx(h, cage);
        self.fs
            .truncate(&ctx, t.dir, self.paths.get(&t.path), len as i64)?;
        Ok(0)
    }

    /// Sets times on a path or, with a NULL path and a real dirfd, on the fd.
    fn set_times(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        times: Option<[Timespec; 2]>,
        flags: u32,
    ) -> Res {
        if addr == 0 && dirfd != AT_FDCWD {
            if flags != 0 {
                return Err(Errno::EINVAL.into());
            }
            let ofd = self.ofd(h, cage, dirfd as u32 as u64)?;
            let ctx = self.ctx(h, cage);
            self.change_ofd(&ctx, ofd, Change::Times(times))?;
            return Ok(0);
        }
        self.change_attr(h, cage, dirfd, addr, flags, Change::Times(times))
    }

    pub(super) fn utimensat(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        tp: u64,
        flags: u64,
    ) -> Res {
        let flags = flags as u32;
        let times = if tp == 0 {
            None
        } else {
            let mut b = [0u8; 2 * TIMESPEC_LEN];
            h.read_mem(cage, tp, &mut b)?;
            let abi = h.abi();
            Some([
                decode_utimespec(abi, &b[..TIMESPEC_LEN])?,
                decode_utimespec(abi, &b[TIMESPEC_LEN..])?,
            ])
        };
        // Bad flags are EINVAL only once the times have been read.
        self.set_times(h, cage, dirfd, addr, times, flags)
    }

    /// utimes, futimesat: microsecond timevals.
    pub(super) fn utimes(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        tv: u64,
    ) -> Res {
        let times = if tv == 0 {
            None
        } else {
            let mut b = [0u8; 2 * TIMEVAL_LEN];
            h.read_mem(cage, tv, &mut b)?;
            let abi = h.abi();
            Some([
                decode_timeval(abi, &b[..TIMEVAL_LEN])?,
                decode_timeval(abi, &b[TIMEVAL_LEN..])?,
            ])
        };
        self.set_times(h, cage, dirfd, addr, times, 0)
    }

    pub(super) fn utime(&mut self, h: &mut dyn Host, cage: CageId, addr: u64, tb: u64) -> Res {
        let times = if tb == 0 {
            None
        } else {
            let mut b = [0u8; UTIMBUF_LEN];
            h.read_mem(cage, tb, &mut b)?;
            Some(decode_utimbuf(&b))
        };
        self.set_times(h, cage, AT_FDCWD, addr, times, 0)
    }

    /// As Linux: the path and its NUL must fit PATH_MAX (ENAMETOOLONG, before
    /// the size is looked at), then ERANGE when `size` is too small.
    pub(super) fn getcwd(&mut self, h: &mut dyn Host, cage: CageId, buf: u64, size: u64) -> Res {
        let dir = match self.cage_state(h, cage).cwd {
            Cwd::Imfs(dir) => dir,
            Cwd::MountPoint => None,
            Cwd::Host => return Err(Stop::Continue),
        };
        // Mount mode: imfs paths appear under the prefix (a root mount adds nothing).
        let prefix = match h.mount_prefix() {
            Some(p) if p.len() > 1 => p.strip_suffix(b"/").unwrap_or(p),
            _ => b"",
        };
        // The path is built in the first PATH_MAX bytes of the bounce buffer,
        // so no directory depth can reach past them.
        let room = &mut self.bounce[..config::PATH_MAX];
        if prefix.len() >= room.len() {
            return Err(Errno::ENAMETOOLONG.into());
        }
        room[..prefix.len()].copy_from_slice(prefix);
        let mut n = prefix.len();
        let path_len = match dir {
            Some(ofd) => match self.fs.path_of(ofd, &mut room[n..]) {
                Err(Errno::ERANGE) => return Err(Errno::ENAMETOOLONG.into()),
                r => r?,
            },
            None => {
                room[n] = b'/';
                1
            }
        };
        // The imfs root is the prefix itself, without a trailing '/'.
        if n == 0 || path_len > 1 {
            n += path_len;
        }
        let need = n + 1;
        if need > room.len() {
            return Err(Errno::ENAMETOOLONG.into());
        }
        if size < need as u64 {
            return Err(Errno::ERANGE.into());
        }
        room[n] = 0;
        h.write_mem(cage, buf, &room[..need])?;
        Ok(need as i64)
    }

    pub(super) fn chdir(&mut self, h: &mut dyn Host, cage: CageId, addr: u64) -> Res {
        let t = match self.place(h, cage, AT_FDCWD, addr, Slot::A, false)? {
            Place::Imfs(t) => t,
            _ => {
                // A host directory: the host changes the cwd, we follow.
                self.set_cwd(h, cage, Cwd::Host)?;
                return Err(Stop::Continue);
            }
        };
        let ctx = self.ctx(h, cage);
        let ofd = self.fs.open(
            &ctx,
            t.dir,
            self.paths.get(&t.path),
            O_PATH | O_DIRECTORY,
            0,
        )?;
        if let Err(e) = self.fs.access(&ctx, Some(ofd), b".", X_OK, true) {
            let _ = self.fs.close(ofd);
            return Err(e.into());
        }
        if self.fs.is_root(ofd) == Ok(true) && self.paths.kernel_reaches_mount_point(Slot::A) {
            // The kernel can follow to the mount point itself: it does, so
            // that paths climbing out of imfs from here stay the kernel's.
            let _ = self.fs.close(ofd);
            self.set_cwd(h, cage, Cwd::MountPoint)?;
            return Err(Stop::Continue);
        }
        self.set_cwd(h, cage, Cwd::Imfs(Some(ofd)))?;
        Ok(0)
    }

    pub(super) fn umask(&mut self, h: &mut dyn Host, cage: CageId, mask: u64) -> Res {
        let state = self.cage_state_mut(h, cage)?;
        let old = std::mem::replace(&mut state.umask, mask as u32 & 0o777);
        if h.mount_prefix().is_some() {
            // The host creates files too: it keeps its own umask in step and answers.
            return Err(Stop::Continue);
        }
        Ok(old as i64)
    }

    /// The xattr calls on a path: imfs files have no extended attributes.
    pub(super) fn xattr(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        nr: u64,
        path: Option<u64>,
        follow: bool,
    ) -> Res {
        let t = self.target(h, cage, AT_FDCWD, path.unwrap_or(0), Slot::A)?;
        let ctx = self.ctx(h, cage);
        self.fs.stat(&ctx, t.dir, self.paths.get(&t.path), follow)?;
        Ok(no_xattrs(nr)?)
    }

    /// The xattr calls on an fd.
    pub(super) fn fxattr(&mut self, h: &mut dyn Host, cage: CageId, nr: u64, fd: u64) -> Res {
        let ofd = self.ofd(h, cage, fd)?;
        self.fs.fstat(ofd)?;
        Ok(no_xattrs(nr)?)
    }
}

/// What an xattr call answers on a file without extended attributes that
/// cannot take any: an empty list, no such attribute, or not supported.
fn no_xattrs(nr: u64) -> Result<i64, Errno> {
    use super::nr::*;
    match nr {
        LISTXATTR | LLISTXATTR | FLISTXATTR => Ok(0),
        SETXATTR | LSETXATTR | FSETXATTR => Err(Errno::EOPNOTSUPP),
        _ => Err(Errno::ENODATA),
    }
}
