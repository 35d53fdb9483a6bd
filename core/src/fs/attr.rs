//! Attributes: stat, access, chmod, chown, utimens and truncate by path or
//! by open description.

use super::perm::{drop_setid_on_change, is_owner, may, MAY_WRITE};
use super::Fs;
use crate::config::MAX_FILE_SIZE;
use crate::flags::*;
use crate::{Ctx, Errno, OfdId, Result, Stat, Timespec};

/// st_dev of every node.
pub const DEV: u64 = 0x1994;
/// tmpfs reports directory sizes in these units per entry ("." and ".." included).
const BOGO_DIRENT_SIZE: u64 = 20;
/// tmpfs keeps a symlink target shorter than this (with its NUL, up to
/// SHORT_SYMLINK_LEN = 128 bytes) inside the inode, so it uses no blocks.
const INLINE_SYMLINK_MAX: u64 = 128;

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    pub(super) fn stat_node(&self, node: u32) -> Stat {
        let n = self.nodes.at(node);
        let (nlink, size) = if n.is_dir() {
            let nlink = if self.is_unlinked(node) {
                0
            } else {
                n.subdirs.saturating_add(2)
            };
            (nlink, (n.size + 2) * BOGO_DIRENT_SIZE)
        } else {
            (n.links, n.size)
        };
        Stat {
            dev: DEV,
            ino: node as u64 + 1,
            mode: n.mode(),
            nlink,
            uid: n.uid,
            gid: n.gid,
            rdev: n.rdev() as u64,
            size,
            blksize: CHUNK_SIZE as u32,
            blocks: if n.is_symlink() && n.size < INLINE_SYMLINK_MAX {
                // Reported as tmpfs does; the target still sits in a chunk here.
                0
            } else {
                n.chunks as u64 * (CHUNK_SIZE as u64 / 512)
            },
            atime: n.atime,
            mtime: n.mtime,
            ctime: n.ctime,
        }
    }

    pub fn fstat(&self, ofd: OfdId) -> Result<Stat> {
        Ok(self.stat_node(self.ofd(ofd)?.node))
    }

    /// stat/lstat/fstatat: `follow` = false stats a final symlink itself.
    pub fn stat(&self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], follow: bool) -> Result<Stat> {
        Ok(self.stat_node(self.lookup_path(ctx, dir, path, follow)?))
    }

    /// Whether `ctx` (its effective ids) may reach `path` and access it as
    /// `mode`: F_OK or R_OK|W_OK|X_OK. This is faccessat2 with AT_EACCESS;
    /// see [`Fs::access_as`] for plain access(2).
    pub fn access(
        &self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        mode: u32,
        follow: bool,
    ) -> Result<()> {
        self.access_as(ctx, dir, path, mode, follow, true)
    }

    /// access/faccessat/faccessat2: `effective` = AT_EACCESS. Without it
    /// Linux checks the real uid and gid ([`Ctx::real`]) for the whole walk,
    /// and root's bypass only applies when the real uid is 0.
    pub fn access_as(
        &self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        mode: u32,
        follow: bool,
        effective: bool,
    ) -> Result<()> {
        if mode & !(R_OK | W_OK | X_OK) != 0 {
            return Err(Errno::EINVAL);
        }
        let real;
        let ctx = if effective {
            ctx
        } else {
            real = ctx.with_real_ids();
            &real
        };
        let node = self.lookup_path(ctx, dir, path, follow)?;
        if mode == F_OK {
            return Ok(());
        }
        may(ctx, self.nodes.at(node), mode)
    }

    // ---- truncate ----

    /// Truncates regular file `node` to `len` (checked) and stamps mtime and
    /// ctime even when the size stays, as truncate(2) on tmpfs does (the VFS
    /// always asks for ATTR_MTIME|ATTR_CTIME). Setuid/setgid go too.
    fn truncate_node(&mut self, ctx: &Ctx, node: u32, len: i64) -> Result<()> {
        let len = u64::try_from(len).map_err(|_| Errno::EINVAL)?;
        if len > MAX_FILE_SIZE {
            return Err(Errno::EFBIG);
        }
        self.set_len(node, len);
        let n = self.nodes.at_mut(node);
        n.touch_modified(ctx.now());
        drop_setid_on_change(ctx, n);
        Ok(())
    }

    pub fn truncate(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], len: i64) -> Result<()> {
        if len < 0 {
            return Err(Errno::EINVAL);
        }
        let node = self.lookup_path(ctx, dir, path, true)?;
        let n = self.nodes.at(node);
        if n.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !n.is_reg() {
            return Err(Errno::EINVAL);
        }
        may(ctx, n, MAY_WRITE)?;
        self.truncate_node(ctx, node, len)
    }

    pub fn ftruncate(&mut self, ctx: &Ctx, ofd: OfdId, len: i64) -> Result<()> {
        if len < 0 {
            return Err(Errno::EINVAL);
        }
        let o = self.io_ofd(ofd)?;
        let node = o.node;
        if !o.writable() || !self.nodes.at(node).is_reg() {
            return Err(Errno::EINVAL);
        }
        self.truncate_node(ctx, node, len)
    }

    // ---- chmod ----

    fn chmod_node(&mut self, ctx: &Ctx, node: u32, mode: u32) -> Result<()> {
        let n = self.nodes.at(node);
        Self::may_chmod(ctx, n)?;
        let mut perm = mode & S_IALLUGO;
        // Linux drops setgid when a non-root caller is not in the file's group.
        if ctx.uid != 0 && !ctx.in_group(n.gid) {
            perm &= !S_ISGID;
        }
        let n = self.nodes.at_mut(node);
        n.set_perm(perm);
        n.ctime = ctx.now();
        Ok(())
    }

    pub fn fchmod(&mut self, ctx: &Ctx, ofd: OfdId, mode: u32) -> Result<()> {
        let node = self.io_ofd(ofd)?.node;
        self.chmod_node(ctx, node, mode)
    }

    pub fn chmod(
        &mut self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        mode: u32,
        follow: bool,
    ) -> Result<()> {
        let node = self.lookup_path(ctx, dir, path, follow)?;
        if self.nodes.at(node).is_symlink() {
            // Linux cannot chmod a symlink itself (fchmodat AT_SYMLINK_NOFOLLOW).
            return Err(Errno::EOPNOTSUPP);
        }
        self.chmod_node(ctx, node, mode)
    }

    // ---- chown ----

    fn chown_node(&mut self, ctx: &Ctx, node: u32, uid: u32, gid: u32) -> Result<()> {
        let n = self.nodes.at(node);
        if ctx.uid != 0 {
            let uid_ok = uid == u32::MAX || (uid == n.uid && ctx.uid == n.uid);
            let gid_ok =
                gid == u32::MAX || (ctx.uid == n.uid && (gid == n.gid || ctx.in_group(gid)));
            if !uid_ok || !gid_ok {
                return Err(Errno::EPERM);
            }
        }
        let n = self.nodes.at_mut(node);
        if uid != u32::MAX {
            n.uid = uid;
        }
        if gid != u32::MAX {
            n.gid = gid;
        }
        // As Linux: a chown of a non-directory drops setuid, and setgid when
        // it means "execute as group" (group x bit set).
        if !n.is_dir() && !n.is_symlink() {
            let mut perm = n.perm() & !S_ISUID;
            if perm & 0o010 != 0 {
                perm &= !S_ISGID;
            }
            n.set_perm(perm);
        }
        n.ctime = ctx.now();
        Ok(())
    }

    /// `u32::MAX` leaves that id unchanged, as -1 does for chown(2).
    pub fn fchown(&mut self, ctx: &Ctx, ofd: OfdId, uid: u32, gid: u32) -> Result<()> {
        let node = self.io_ofd(ofd)?.node;
        self.chown_node(ctx, node, uid, gid)
    }

    /// `u32::MAX` leaves that id unchanged.
    pub fn chown(
        &mut self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        uid: u32,
        gid: u32,
        follow: bool,
    ) -> Result<()> {
        let node = self.lookup_path(ctx, dir, path, follow)?;
        self.chown_node(ctx, node, uid, gid)
    }

    // ---- utimens ----

    /// Validates utimensat times; `None` when both are UTIME_OMIT, which
    /// Linux answers with success before even looking the file up.
    fn utimens_times(times: Option<[Timespec; 2]>) -> Result<Option<[Timespec; 2]>> {
        let times = times.unwrap_or(
            [Timespec {
                sec: 0,
                nsec: UTIME_NOW,
            }; 2],
        );
        for t in &times {
            if t.nsec != UTIME_NOW && t.nsec != UTIME_OMIT && !(0..1_000_000_000).contains(&t.nsec)
            {
                return Err(Errno::EINVAL);
            }
        }
        Ok(if times.iter().all(|t| t.nsec == UTIME_OMIT) {
            None
        } else {
            Some(times)
        })
    }

    fn utimens_node(&mut self, ctx: &Ctx, node: u32, times: [Timespec; 2]) -> Result<()> {
        let n = self.nodes.at(node);
        // Linux: only "touch" (NULL times or both UTIME_NOW) is open to a
        // non-owner with write permission; anything else (explicit times,
        // or UTIME_NOW with UTIME_OMIT) sets ATTR_TIMES_SET and needs the owner.
        let touch = times.iter().all(|t| t.nsec == UTIME_NOW);
        if !is_owner(ctx, n) {
            if !touch {
                return Err(Errno::EPERM);
            }
            may(ctx, n, MAY_WRITE)?;
        }
        let pick = |t: Timespec, old: Timespec| match t.nsec {
            UTIME_NOW => ctx.now(),
            UTIME_OMIT => old,
            _ => t,
        };
        let n = self.nodes.at_mut(node);
        n.atime = pick(times[0], n.atime);
        n.mtime = pick(times[1], n.mtime);
        n.ctime = ctx.now();
        Ok(())
    }

    /// futimens: `None` sets both to now; UTIME_NOW/UTIME_OMIT in nsec as utimensat(2).
    pub fn futimens(&mut self, ctx: &Ctx, ofd: OfdId, times: Option<[Timespec; 2]>) -> Result<()> {
        let Some(times) = Self::utimens_times(times)? else {
            return Ok(());
        };
        let node = self.io_ofd(ofd)?.node;
        self.utimens_node(ctx, node, times)
    }

    /// utimensat: `None` sets both to now; UTIME_NOW/UTIME_OMIT as utimensat(2).
    pub fn utimens(
        &mut self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        times: Option<[Timespec; 2]>,
        follow: bool,
    ) -> Result<()> {
        let Some(times) = Self::utimens_times(times)? else {
            return Ok(());
        };
        let node = self.lookup_path(ctx, dir, path, follow)?;
        self.utimens_node(ctx, node, times)
    }
}
