//! The filesystem: nodes, directory entries, open file descriptions, and every
//! POSIX operation over them, with Linux's errno semantics.
//!
//! SKELETON: the public API below is the contract the grate builds on; the
//! bodies are placeholders to be replaced by the real implementation.
//!
//! Paths are byte strings (any byte but NUL and '/' may name an entry). A path
//! taking operation resolves relative paths from `dir`: `Some(ofd)` is an open
//! directory (a dirfd or a cage's cwd), `None` the root.

use crate::{
    ChunkStore, Corruption, Ctx, DirEntry, Errno, OfdId, Result, Stat, StatFs, Timespec, Usage,
};

/// A whole filesystem of `NODES` nodes, `DIRENTS` directory entries, `CHUNKS`
/// data chunks of `CHUNK_SIZE` bytes and `OFDS` open file descriptions.
pub struct Fs<
    const NODES: usize,
    const DIRENTS: usize,
    const CHUNKS: usize,
    const CHUNK_SIZE: usize,
    const OFDS: usize,
> {
    data: ChunkStore<CHUNKS, CHUNK_SIZE>,
}

const TODO: Errno = Errno::ENOSYS;

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// An empty filesystem holding only the root directory (mode 0755, owner 0).
    /// All-zero bytes, so a `static` lands in .bss and nothing is built at run time.
    pub const fn new() -> Self {
        Fs { data: ChunkStore::new() }
    }

    // ---- open file descriptions ----

    /// open(2)/openat(2): `flags` are Linux O_* bits (O_CLOEXEC is the caller's
    /// business and ignored here), `mode` the permission bits for O_CREAT,
    /// umask already applied. ENFILE when the open-file pool is full.
    pub fn open(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], flags: u32, mode: u32) -> Result<OfdId> {
        let _ = (ctx, dir, path, flags, mode);
        Err(TODO)
    }

    /// Adds a reference to an open file description (dup, fork).
    pub fn ofd_ref(&mut self, ofd: OfdId) -> Result<()> {
        let _ = ofd;
        Err(TODO)
    }

    /// Drops one reference; the last one frees the description, and the node
    /// too when it has no links left.
    pub fn close(&mut self, ofd: OfdId) -> Result<()> {
        let _ = ofd;
        Err(TODO)
    }

    pub fn read(&mut self, ctx: &Ctx, ofd: OfdId, buf: &mut [u8]) -> Result<usize> {
        let _ = (ctx, ofd, buf);
        Err(TODO)
    }

    pub fn write(&mut self, ctx: &Ctx, ofd: OfdId, buf: &[u8]) -> Result<usize> {
        let _ = (ctx, ofd, buf);
        Err(TODO)
    }

    pub fn pread(&mut self, ctx: &Ctx, ofd: OfdId, buf: &mut [u8], off: u64) -> Result<usize> {
        let _ = (ctx, ofd, buf, off);
        Err(TODO)
    }

    /// pwrite(2), including Linux's quirk that O_APPEND makes it append.
    pub fn pwrite(&mut self, ctx: &Ctx, ofd: OfdId, buf: &[u8], off: u64) -> Result<usize> {
        let _ = (ctx, ofd, buf, off);
        Err(TODO)
    }

    /// lseek(2) with SEEK_SET/CUR/END/DATA/HOLE; on a directory it moves the readdir cookie.
    pub fn lseek(&mut self, ofd: OfdId, off: i64, whence: u32) -> Result<u64> {
        let _ = (ofd, off, whence);
        Err(TODO)
    }

    /// F_GETFL: access mode and status flags.
    pub fn status_flags(&self, ofd: OfdId) -> Result<u32> {
        let _ = ofd;
        Err(TODO)
    }

    /// F_SETFL: changes O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME; ignores the rest.
    pub fn set_status_flags(&mut self, ofd: OfdId, flags: u32) -> Result<()> {
        let _ = (ofd, flags);
        Err(TODO)
    }

    /// getdents: calls `emit` for each entry from the description's cookie on
    /// ("." and ".." first) until `emit` returns false (that entry is not
    /// consumed) or the directory ends. ENOTDIR on a non-directory.
    pub fn readdir(&mut self, ofd: OfdId, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<()> {
        let _ = (ofd, emit);
        Err(TODO)
    }

    pub fn fstat(&self, ofd: OfdId) -> Result<Stat> {
        let _ = ofd;
        Err(TODO)
    }

    pub fn ftruncate(&mut self, ctx: &Ctx, ofd: OfdId, len: i64) -> Result<()> {
        let _ = (ctx, ofd, len);
        Err(TODO)
    }

    pub fn fchmod(&mut self, ctx: &Ctx, ofd: OfdId, mode: u32) -> Result<()> {
        let _ = (ctx, ofd, mode);
        Err(TODO)
    }

    /// `u32::MAX` leaves that id unchanged, as -1 does for chown(2).
    pub fn fchown(&mut self, ctx: &Ctx, ofd: OfdId, uid: u32, gid: u32) -> Result<()> {
        let _ = (ctx, ofd, uid, gid);
        Err(TODO)
    }

    /// futimens: `None` sets both to now; UTIME_NOW/UTIME_OMIT in nsec as utimensat(2).
    pub fn futimens(&mut self, ctx: &Ctx, ofd: OfdId, times: Option<[Timespec; 2]>) -> Result<()> {
        let _ = (ctx, ofd, times);
        Err(TODO)
    }

    /// fsync/fdatasync: nothing to flush, but the description must be valid.
    pub fn fsync(&self, ofd: OfdId) -> Result<()> {
        let _ = ofd;
        Err(TODO)
    }

    /// getcwd: the absolute path of directory `ofd` into `buf` (no NUL), its length.
    /// ENOENT once the directory is removed, ERANGE when `buf` is too short.
    pub fn path_of(&self, ofd: OfdId, buf: &mut [u8]) -> Result<usize> {
        let _ = (ofd, buf);
        Err(TODO)
    }

    // ---- path operations ----

    /// stat/lstat/fstatat: `follow` = false stats a final symlink itself.
    pub fn stat(&self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], follow: bool) -> Result<Stat> {
        let _ = (ctx, dir, path, follow);
        Err(TODO)
    }

    /// access/faccessat: `mode` is F_OK or R_OK|W_OK|X_OK.
    pub fn access(&self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], mode: u32, follow: bool) -> Result<()> {
        let _ = (ctx, dir, path, mode, follow);
        Err(TODO)
    }

    pub fn truncate(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], len: i64) -> Result<()> {
        let _ = (ctx, dir, path, len);
        Err(TODO)
    }

    pub fn mkdir(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], mode: u32) -> Result<()> {
        let _ = (ctx, dir, path, mode);
        Err(TODO)
    }

    /// mknod: regular files (S_IFREG or type 0); other types give EPERM.
    pub fn mknod(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], mode: u32, dev: u64) -> Result<()> {
        let _ = (ctx, dir, path, mode, dev);
        Err(TODO)
    }

    pub fn rmdir(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8]) -> Result<()> {
        let _ = (ctx, dir, path);
        Err(TODO)
    }

    pub fn unlink(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8]) -> Result<()> {
        let _ = (ctx, dir, path);
        Err(TODO)
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
        let _ = (ctx, old_dir, old_path, new_dir, new_path, follow);
        Err(TODO)
    }

    pub fn symlink(&mut self, ctx: &Ctx, target: &[u8], dir: Option<OfdId>, path: &[u8]) -> Result<()> {
        let _ = (ctx, target, dir, path);
        Err(TODO)
    }

    /// readlink: copies at most `buf.len()` bytes of the target (no NUL), returns the count.
    pub fn readlink(&self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], buf: &mut [u8]) -> Result<usize> {
        let _ = (ctx, dir, path, buf);
        Err(TODO)
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
        let _ = (ctx, old_dir, old_path, new_dir, new_path, flags);
        Err(TODO)
    }

    pub fn chmod(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], mode: u32, follow: bool) -> Result<()> {
        let _ = (ctx, dir, path, mode, follow);
        Err(TODO)
    }

    /// `u32::MAX` leaves that id unchanged.
    pub fn chown(&mut self, ctx: &Ctx, dir: Option<OfdId>, path: &[u8], uid: u32, gid: u32, follow: bool) -> Result<()> {
        let _ = (ctx, dir, path, uid, gid, follow);
        Err(TODO)
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
        let _ = (ctx, dir, path, times, follow);
        Err(TODO)
    }

    // ---- whole filesystem ----

    pub fn statfs(&self) -> StatFs {
        StatFs::default()
    }

    pub fn usage(&self) -> Usage {
        Usage { chunks: self.data.usage(), ..Usage::default() }
    }

    /// The invariant checker (fsck): every node reachable or held open, nlink
    /// equal to the entries naming it, every chunk owned once or free, free
    /// lists and counters exact.
    pub fn check(&self) -> core::result::Result<(), Corruption> {
        self.data.check()
    }
}

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Default for Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    fn default() -> Self {
        Self::new()
    }
}
