//! Namespace changes: open with create, mkdir, mknod, rmdir, unlink, link,
//! symlink, readlink and rename, each checking capacity and permissions
//! before it changes anything, so a failed call leaves no trace.

use super::node::{Node, ROOT};
use super::path::check_path;
use super::path::{Last, Resolved};
use super::perm::{drop_setid_on_change, is_owner, may, may_delete, MAY_EXEC, MAY_READ, MAY_WRITE};
use super::Fs;
use crate::config::{MAX_FILE_SIZE, PATH_MAX};
use crate::flags::*;
use crate::{Ctx, Errno, OfdId, Result};

/// Linux's VALID_OPEN_FLAGS (include/linux/fcntl.h): open(2) drops every
/// other bit before it looks at the flags.
const VALID_OPEN_FLAGS: u32 = O_ACCMODE
    | O_CREAT
    | O_EXCL
    | O_NOCTTY
    | O_TRUNC
    | O_APPEND
    | O_NONBLOCK
    | O_SYNC
    | O_DSYNC
    | O_ASYNC
    | O_DIRECT
    | O_LARGEFILE
    | O_DIRECTORY
    | O_NOFOLLOW
    | O_NOATIME
    | O_CLOEXEC
    | O_PATH
    | O_TMPFILE;
/// Status flags an open description keeps (F_GETFL shows them): the valid
/// ones but those that only act at open time, as Linux's do_dentry_open.
/// They include O_DIRECTORY and O_TMPFILE's bits; the core never reads
/// O_DIRECTORY back from a description (the node's type decides).
const KEPT_FLAGS: u32 = VALID_OPEN_FLAGS & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC);
/// The flags O_PATH honours.
const PATH_FLAGS: u32 = O_PATH | O_DIRECTORY | O_NOFOLLOW;

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// A node no entry names any more (removed, still open).
    pub(super) fn is_unlinked(&self, node: u32) -> bool {
        node != ROOT && self.nodes.at(node).links == 0
    }

    /// Checks that `r` names a new entry the caller may create; returns its directory.
    fn create_target(&self, ctx: &Ctx, r: &Resolved, want_dir: bool) -> Result<u32> {
        r.name_ok()?;
        if r.last != Last::Name || r.node.is_some() {
            return Err(Errno::EEXIST);
        }
        // "x/" asks for a directory: only mkdir may create it.
        if r.slash && !want_dir {
            return Err(Errno::ENOENT);
        }
        if self.is_unlinked(r.dir) {
            return Err(Errno::ENOENT);
        }
        may(ctx, self.nodes.at(r.dir), MAY_WRITE | MAY_EXEC)?;
        Ok(r.dir)
    }

    /// The mode and group of a new node in `dir`: a setgid directory passes
    /// its group (and, to subdirectories, the setgid bit) down.
    fn new_node(&self, ctx: &Ctx, dir: u32, mode: u32) -> Node {
        let parent = self.nodes.at(dir);
        let mut mode = mode;
        let mut gid = ctx.gid;
        if parent.perm() & S_ISGID != 0 {
            gid = parent.gid;
            if mode & S_IFMT == S_IFDIR {
                mode |= S_ISGID;
            }
        }
        // Linux strips setgid from a new file whose group the creator is not in.
        if mode & S_IFMT != S_IFDIR
            && mode & (S_ISGID | 0o010) == S_ISGID | 0o010
            && ctx.uid != 0
            && !ctx.in_group(gid)
        {
            mode &= !S_ISGID;
        }
        Node::new(mode, ctx.uid, gid, ctx.now())
    }

    /// Creates a node named `name` in `dir`; the caller checked the target.
    /// ENOSPC, with nothing changed, when the node or entry pool is full.
    fn create(&mut self, ctx: &Ctx, dir: u32, name: &[u8], mode: u32) -> Result<u32> {
        if self.nodes.available() == 0 || self.dirents.available() == 0 {
            return Err(Errno::ENOSPC);
        }
        let node = self.new_node(ctx, dir, mode);
        let n = self.nodes.alloc(node).ok_or(Errno::ENOSPC)?;
        self.add_entry(dir, name, n)?;
        self.nodes.at_mut(dir).touch_modified(ctx.now());
        Ok(n)
    }

    /// open(2)/openat(2): `flags` are Linux O_* bits (O_CLOEXEC is the caller's
    /// business and ignored here), `mode` the permission bits for O_CREAT,
    /// umask already applied. ENFILE when the open-file pool is full.
    pub fn open(
        &mut self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<OfdId> {
        // Flag validation comes first, as in Linux's build_open_flags, and
        // O_PATH drops every flag it does not honour before that.
        let flags = if flags & O_PATH != 0 {
            flags & PATH_FLAGS
        } else {
            flags & VALID_OPEN_FLAGS
        };
        let creat = flags & O_CREAT != 0;
        let tmpfile = flags & O_TMPFILE == O_TMPFILE;
        if (creat && flags & O_DIRECTORY != 0)
            || (tmpfile && !matches!(flags & O_ACCMODE, O_WRONLY | O_RDWR))
        {
            return Err(Errno::EINVAL);
        }
        // Then Linux copies the path in (getname), and only then takes a
        // file table slot, before it walks the path (path_openat): so these
        // checks precede ENFILE, and every lookup error follows it.
        check_path(path)?;
        if self.ofds.available() == 0 {
            return Err(Errno::ENFILE);
        }
        if flags & O_PATH != 0 {
            let node = self.lookup_path(ctx, dir, path, flags & O_NOFOLLOW == 0)?;
            if flags & O_DIRECTORY != 0 && !self.nodes.at(node).is_dir() {
                return Err(Errno::ENOTDIR);
            }
            return self.new_ofd(node, flags & PATH_FLAGS);
        }
        if tmpfile {
            return self.open_tmpfile(ctx, dir, path, flags, mode);
        }
        let excl = creat && flags & O_EXCL != 0;
        let follow = flags & O_NOFOLLOW == 0 && !excl;
        let r = if creat {
            self.resolve_for_create(ctx, dir, path, follow)?
        } else {
            self.resolve(ctx, dir, path, follow, true)?
        };
        r.name_ok()?;
        let kept = (flags & KEPT_FLAGS) | O_LARGEFILE;
        let node = match r.node {
            None if creat => {
                self.create_target(ctx, &r, false)?;
                let n = self.create(ctx, r.dir, &r.name, S_IFREG | (mode & 0o7777))?;
                return self.new_ofd(n, kept);
            }
            None => return Err(Errno::ENOENT),
            Some(_) if excl => return Err(Errno::EEXIST),
            Some(n) => n,
        };
        // Linux's order: EISDIR for O_CREAT, ENOTDIR, then ELOOP (O_NOFOLLOW).
        let n = self.nodes.at(node);
        if creat && n.is_dir() {
            return Err(Errno::EISDIR);
        }
        if !n.is_dir() && (r.slash || flags & O_DIRECTORY != 0) {
            return Err(Errno::ENOTDIR);
        }
        if n.is_symlink() {
            return Err(Errno::ELOOP);
        }
        let truncate = flags & O_TRUNC != 0;
        let mut want = match flags & O_ACCMODE {
            O_RDONLY => MAY_READ,
            O_WRONLY => MAY_WRITE,
            _ => MAY_READ | MAY_WRITE,
        };
        if truncate {
            want |= MAY_WRITE;
        }
        if n.is_dir() && want & MAY_WRITE != 0 {
            return Err(Errno::EISDIR);
        }
        may(ctx, n, want)?;
        if n.is_special() {
            // Linux ignores O_TRUNC on these. A socket node has no open
            // (ENXIO), nor has a device here: a sandbox grants none. A FIFO
            // opens as a description the host turns into a pipe end.
            if !n.is_fifo() {
                return Err(Errno::ENXIO);
            }
            return self.new_ofd(node, kept);
        }
        if truncate && n.is_reg() {
            self.set_len(node, 0);
            let n = self.nodes.at_mut(node);
            n.touch_modified(ctx.now());
            drop_setid_on_change(ctx, n);
        }
        self.new_ofd(node, kept)
    }

    /// O_TMPFILE: an unnamed regular file in directory `path`, alive while open.
    fn open_tmpfile(
        &mut self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        flags: u32,
        mode: u32,
    ) -> Result<OfdId> {
        let parent = self.lookup_path(ctx, dir, path, flags & O_NOFOLLOW == 0)?;
        if !self.nodes.at(parent).is_dir() {
            return Err(Errno::ENOTDIR);
        }
        // Unlike a named file, an unnamed one may be made in a removed
        // directory: Linux (tmpfs) allows it.
        may(ctx, self.nodes.at(parent), MAY_WRITE | MAY_EXEC)?;
        let mut node = self.new_node(ctx, parent, S_IFREG | (mode & 0o7777));
        // O_EXCL means "never to be linked" (Linux leaves I_LINKABLE unset).
        node.linkable = flags & O_EXCL == 0;
        let n = self.nodes.alloc(node).ok_or(Errno::ENOSPC)?;
        // F_GETFL shows O_TMPFILE's bits (O_DIRECTORY included), as Linux.
        let kept = (flags & KEPT_FLAGS) | O_LARGEFILE;
        self.new_ofd(n, kept)
    }

    pub fn mkdir(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], mode: u32) -> Result<()> {
        let r = self.resolve(ctx, dir, path, false, false)?;
        let parent = self.create_target(ctx, &r, true)?;
        self.create(ctx, parent, &r.name, S_IFDIR | (mode & 0o1777))?;
        Ok(())
    }

    /// mknod/mknodat: a regular file (S_IFREG or type 0), a FIFO, a socket
    /// node, or a character or block device (`dev` as the syscall takes
    /// it: Linux's 32-bit encoding, higher bits ignored). As Linux: EPERM for
    /// S_IFDIR and EINVAL for an unknown type before the path is looked at;
    /// then the target's errors; then EPERM for a device made by anyone but
    /// root (CAP_MKNOD), except the "whiteout" char device 0:0 that Linux
    /// lets anyone make. FIFOs and sockets keep no device number.
    pub fn mknod(
        &mut self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        mode: u32,
        dev: u64,
    ) -> Result<()> {
        let dev = dev as u32;
        let kind = match mode & S_IFMT {
            0 | S_IFREG => S_IFREG,
            k @ (S_IFCHR | S_IFBLK | S_IFIFO | S_IFSOCK) => k,
            S_IFDIR => return Err(Errno::EPERM),
            _ => return Err(Errno::EINVAL),
        };
        let r = self.resolve(ctx, dir, path, false, false)?;
        let parent = self.create_target(ctx, &r, false)?;
        let device = kind == S_IFCHR || kind == S_IFBLK;
        let whiteout = kind == S_IFCHR && dev == 0;
        if device && !whiteout && ctx.uid != 0 {
            return Err(Errno::EPERM);
        }
        let n = self.create(ctx, parent, &r.name, kind | (mode & 0o7777))?;
        if device {
            self.nodes.at_mut(n).set_rdev(dev);
        }
        Ok(())
    }

    pub fn rmdir(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8]) -> Result<()> {
        let r = self.resolve(ctx, dir, path, false, false)?;
        match r.last {
            Last::Root => return Err(Errno::EBUSY),
            Last::Dot => return Err(Errno::EINVAL),
            Last::DotDot => return Err(Errno::ENOTEMPTY),
            Last::Name => {}
        }
        r.name_ok()?;
        let (node, d) = r.node.zip(r.dirent).ok_or(Errno::ENOENT)?;
        let victim = self.nodes.at(node);
        may_delete(ctx, self.nodes.at(r.dir), victim)?;
        if !victim.is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if !Self::is_empty_dir(victim) {
            return Err(Errno::ENOTEMPTY);
        }
        self.remove_entry(d);
        self.nodes.at_mut(r.dir).touch_modified(ctx.now());
        self.nodes.at_mut(node).ctime = ctx.now();
        self.release_if_unused(node);
        Ok(())
    }

    pub fn unlink(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8]) -> Result<()> {
        let r = self.resolve(ctx, dir, path, false, false)?;
        if r.last != Last::Name {
            return Err(Errno::EISDIR);
        }
        r.name_ok()?;
        let (node, d) = r.node.zip(r.dirent).ok_or(Errno::ENOENT)?;
        let victim = self.nodes.at(node);
        if r.slash {
            return Err(if victim.is_dir() {
                Errno::EISDIR
            } else {
                Errno::ENOTDIR
            });
        }
        may_delete(ctx, self.nodes.at(r.dir), victim)?;
        if victim.is_dir() {
            return Err(Errno::EISDIR);
        }
        self.remove_entry(d);
        self.nodes.at_mut(r.dir).touch_modified(ctx.now());
        self.nodes.at_mut(node).ctime = ctx.now();
        self.release_if_unused(node);
        Ok(())
    }

    /// link/linkat: `follow` is AT_SYMLINK_FOLLOW for the old path.
    pub fn link(
        &mut self,
        ctx: &Ctx,
        old_dir: Option<OfdId>,
        old_path: &[u8],
        new_dir: Option<OfdId>,
        new_path: &[u8],
        follow: bool,
    ) -> Result<()> {
        let node = self.lookup_path(ctx, old_dir, old_path, follow)?;
        self.link_node(ctx, node, new_dir, new_path)
    }

    /// linkat(fd, "", new_dir, new_path, AT_EMPTY_PATH): names the node `ofd`
    /// is open on (any description, O_PATH ones included). This is how an
    /// O_TMPFILE file gets its first name (nlink 0 -> 1, contents kept);
    /// ENOENT for one opened with O_EXCL or already linked once, and for a
    /// removed ordinary file; EPERM for a directory; EEXIST if the name is
    /// taken. Linux also requires CAP_DAC_READ_SEARCH (or, since 6.10, the
    /// opener's credentials): that is the caller's check to make.
    pub fn link_ofd(
        &mut self,
        ctx: &Ctx,
        ofd: OfdId,
        new_dir: Option<OfdId>,
        new_path: &[u8],
    ) -> Result<()> {
        let node = self.ofd(ofd)?.node;
        self.link_node(ctx, node, new_dir, new_path)
    }

    /// Adds a name for `node` at `new_path`, in Linux's vfs_link order.
    fn link_node(
        &mut self,
        ctx: &Ctx,
        node: u32,
        new_dir: Option<OfdId>,
        new_path: &[u8],
    ) -> Result<()> {
        let r = self.resolve(ctx, new_dir, new_path, false, false)?;
        let parent = self.create_target(ctx, &r, false)?;
        let n = self.nodes.at(node);
        if n.is_dir() {
            return Err(Errno::EPERM);
        }
        if n.links == 0 && !n.linkable {
            return Err(Errno::ENOENT);
        }
        if n.links == u32::MAX {
            return Err(Errno::EMLINK);
        }
        // add_entry checks the entry pool before it changes anything.
        self.add_entry(parent, &r.name, node)?;
        let n = self.nodes.at_mut(node);
        n.linkable = false;
        n.ctime = ctx.now();
        self.nodes.at_mut(parent).touch_modified(ctx.now());
        Ok(())
    }

    pub fn symlink(
        &mut self,
        ctx: &Ctx,
        target: &[u8],
        dir: Option<OfdId>,
        path: &[u8],
    ) -> Result<()> {
        if target.is_empty() {
            return Err(Errno::ENOENT);
        }
        if target.len() >= PATH_MAX {
            return Err(Errno::ENAMETOOLONG);
        }
        let r = self.resolve(ctx, dir, path, false, false)?;
        let parent = self.create_target(ctx, &r, false)?;
        let chunks_needed = target.len().div_ceil(CHUNK_SIZE);
        if self.nodes.available() == 0
            || self.dirents.available() == 0
            || (self.data.free_chunks() as usize) < chunks_needed
        {
            return Err(Errno::ENOSPC);
        }
        let node = self.new_node(ctx, parent, S_IFLNK | 0o777);
        let n = self.nodes.alloc(node).ok_or(Errno::ENOSPC)?;
        let written = self.data.write(n, 0, target);
        let ok = matches!(written, Ok(w) if w.bytes == target.len());
        if let Ok(w) = written {
            let node = self.nodes.at_mut(n);
            node.size = w.bytes as u64;
            node.chunks = w.new_chunks;
        }
        if !ok {
            self.release_if_unused(n);
            return Err(Errno::ENOSPC);
        }
        self.add_entry(parent, &r.name, n)?;
        self.nodes.at_mut(parent).touch_modified(ctx.now());
        Ok(())
    }

    /// readlink: copies at most `buf.len()` bytes of the target (no NUL), returns the count.
    pub fn readlink(
        &self,
        ctx: &Ctx,
        dir: Option<OfdId>,
        path: &[u8],
        buf: &mut [u8],
    ) -> Result<usize> {
        if buf.is_empty() {
            return Err(Errno::EINVAL);
        }
        let node = self.lookup_path(ctx, dir, path, false)?;
        if !self.nodes.at(node).is_symlink() {
            return Err(Errno::EINVAL);
        }
        Ok(self.read_target(node, buf))
    }

    /// readlinkat(fd, "", buf): the target of the symlink `ofd` is open on
    /// (an O_PATH|O_NOFOLLOW description). EINVAL for an empty `buf`; ENOENT
    /// when the node is not a symlink, as Linux says for an empty path.
    pub fn readlink_ofd(&self, ofd: OfdId, buf: &mut [u8]) -> Result<usize> {
        if buf.is_empty() {
            return Err(Errno::EINVAL);
        }
        let node = self.ofd(ofd)?.node;
        if !self.nodes.at(node).is_symlink() {
            return Err(Errno::ENOENT);
        }
        Ok(self.read_target(node, buf))
    }

    /// Copies as much of symlink `node`'s target as fits in `buf`.
    fn read_target(&self, node: u32, buf: &mut [u8]) -> usize {
        let len = buf.len().min(self.nodes.at(node).size as usize);
        if let Some(dst) = buf.get_mut(..len) {
            self.data.read(node, 0, dst);
        }
        len
    }

    /// Whether `ancestor` is `node` or one of its parents.
    pub(super) fn is_ancestor(&self, ancestor: u32, mut node: u32) -> bool {
        for _ in 0..NODES {
            if node == ancestor {
                return true;
            }
            if node == ROOT {
                return false;
            }
            node = self.nodes.at(node).parent;
        }
        false
    }

    /// rename/renameat/renameat2 with RENAME_NOREPLACE and RENAME_EXCHANGE.
    pub fn rename(
        &mut self,
        ctx: &Ctx,
        old_dir: Option<OfdId>,
        old_path: &[u8],
        new_dir: Option<OfdId>,
        new_path: &[u8],
        flags: u32,
    ) -> Result<()> {
        let exchange = flags & RENAME_EXCHANGE != 0;
        let noreplace = flags & RENAME_NOREPLACE != 0;
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
            || (exchange && flags & (RENAME_NOREPLACE | RENAME_WHITEOUT) != 0)
            || flags & RENAME_WHITEOUT != 0
        {
            return Err(Errno::EINVAL);
        }
        let old = self.resolve(ctx, old_dir, old_path, false, false)?;
        let new = self.resolve(ctx, new_dir, new_path, false, false)?;
        if old.last != Last::Name {
            return Err(Errno::EBUSY);
        }
        if new.last != Last::Name {
            return Err(if noreplace {
                Errno::EEXIST
            } else {
                Errno::EBUSY
            });
        }
        old.name_ok()?;
        let (src, src_d) = old.node.zip(old.dirent).ok_or(Errno::ENOENT)?;
        new.name_ok()?;
        let target = new.node.zip(new.dirent);
        if exchange && target.is_none() {
            return Err(Errno::ENOENT);
        }
        if noreplace && target.is_some() {
            return Err(Errno::EEXIST);
        }
        let src_is_dir = self.nodes.at(src).is_dir();
        let tgt_is_dir = target.is_some_and(|(t, _)| self.nodes.at(t).is_dir());
        if !src_is_dir && (old.slash || (!exchange && new.slash)) {
            return Err(Errno::ENOTDIR);
        }
        if exchange && new.slash && !tgt_is_dir {
            return Err(Errno::ENOTDIR);
        }
        if target.is_none() && self.is_unlinked(new.dir) {
            return Err(Errno::ENOENT);
        }
        // No directory may move into its own subtree.
        if src_is_dir && self.is_ancestor(src, new.dir) {
            return Err(Errno::EINVAL);
        }
        if let Some((t, _)) = target {
            if tgt_is_dir && self.is_ancestor(t, old.dir) {
                return Err(if exchange {
                    Errno::EINVAL
                } else {
                    Errno::ENOTEMPTY
                });
            }
            if t == src {
                // Two names of one node (or the same name): nothing to do.
                return Ok(());
            }
        }
        may_delete(ctx, self.nodes.at(old.dir), self.nodes.at(src))?;
        match target {
            Some((t, _)) => {
                may_delete(ctx, self.nodes.at(new.dir), self.nodes.at(t))?;
                if !exchange && src_is_dir != tgt_is_dir {
                    return Err(if src_is_dir {
                        Errno::ENOTDIR
                    } else {
                        Errno::EISDIR
                    });
                }
            }
            None => may(ctx, self.nodes.at(new.dir), MAY_WRITE | MAY_EXEC)?,
        }
        if old.dir != new.dir {
            // Moving a directory rewrites its "..": that needs write access to it.
            if src_is_dir {
                may(ctx, self.nodes.at(src), MAY_WRITE)?;
            }
            if exchange && tgt_is_dir {
                if let Some((t, _)) = target {
                    may(ctx, self.nodes.at(t), MAY_WRITE)?;
                }
            }
        }
        match target {
            Some((t, td)) if exchange => self.exchange_entries(src_d, td, src, t, old.dir, new.dir),
            Some((t, td)) => {
                if tgt_is_dir && !Self::is_empty_dir(self.nodes.at(t)) {
                    return Err(Errno::ENOTEMPTY);
                }
                self.remove_entry(td);
                self.move_entry(src_d, new.dir, &new.name);
                self.nodes.at_mut(t).ctime = ctx.now();
                self.release_if_unused(t);
            }
            None => self.move_entry(src_d, new.dir, &new.name),
        }
        if let Some((t, _)) = target {
            if exchange {
                self.nodes.at_mut(t).ctime = ctx.now();
            }
        }
        self.nodes.at_mut(src).ctime = ctx.now();
        self.nodes.at_mut(old.dir).touch_modified(ctx.now());
        self.nodes.at_mut(new.dir).touch_modified(ctx.now());
        Ok(())
    }

    /// RENAME_EXCHANGE: entries `a` (in `a_dir`, naming `a_node`) and `b` swap nodes.
    fn exchange_entries(
        &mut self,
        a: u32,
        b: u32,
        a_node: u32,
        b_node: u32,
        a_dir: u32,
        b_dir: u32,
    ) {
        for (node, dir) in [(a_node, a_dir), (b_node, b_dir)] {
            if self.nodes.at(node).is_dir() {
                let d = self.nodes.at_mut(dir);
                d.subdirs = d.subdirs.saturating_sub(1);
            }
        }
        self.dirents.at_mut(a).node = b_node;
        self.dirents.at_mut(b).node = a_node;
        self.adopt(b_dir, a_node, b);
        self.adopt(a_dir, b_node, a);
    }

    /// Sets a regular file's length: shrinking frees chunks, growing adds a hole.
    pub(super) fn set_len(&mut self, node: u32, len: u64) {
        let n = self.nodes.at(node);
        let old = n.size;
        if len < old {
            let freed = self.data.truncate(node, old, len);
            let n = self.nodes.at_mut(node);
            n.chunks = n.chunks.saturating_sub(freed);
        }
        self.nodes.at_mut(node).size = len.min(MAX_FILE_SIZE);
    }

    /// Whether `ctx` may change `node`'s mode (EPERM if not).
    pub(super) fn may_chmod(ctx: &Ctx, node: &Node) -> Result<()> {
        if is_owner(ctx, node) {
            Ok(())
        } else {
            Err(Errno::EPERM)
        }
    }
}
