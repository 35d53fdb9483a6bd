//! [`Grate`]: one entry point for every syscall of every cage, the same on
//! every host.
//!
//! - [`nr`]: syscall numbers and names.
//! - [`paths`]: copying path arguments and deciding whether they are imfs's.
//! - `io`: read/write and their vector and positional forms, getdents,
//!   streamed through one fixed bounce buffer.
//! - `fds`: close, dup, fcntl, lseek and the other calls on an fd.
//! - `record_locks`: fcntl's F_GETLK/F_SETLK/F_SETLKW and OFD variants.
//! - `names`: calls on paths (open, mkdir, rename, stat, ...), cwd and umask.
//! - `specials`: FIFOs and Unix-domain sockets on imfs names (open, bind,
//!   connect, sendto), whose data path is the host's.
//!
//! Nothing here allocates per syscall: paths, data and iovec arrays pass
//! through buffers allocated once in [`Grate::new`].

mod fds;
mod io;
mod names;
pub mod nr;
pub(crate) mod paths;
mod record_locks;
mod specials;

use crate::cages::{CageState, Cages, Cwd, DEFAULT_UMASK};
use crate::host::{Abi, CageId, FdEntry, Host, Reply};
use crate::locks::{LockTable, Owner};
use imfs_core::{config, Ctx, Errno, Imfs, Now, OfdId, PoolUsage, Usage};
use paths::PathBufs;

/// Root mode's answer for a host fd where an imfs directory is needed:
/// ENOTDIR, or EBADF when the host has no such fd open either (Lind's table
/// calls every fd that is not imfs's the host's).
fn not_imfs_dir(h: &mut dyn Host, cage: CageId, fd: i32) -> Errno {
    if h.fds().host_fd_open(cage, fd) {
        Errno::ENOTDIR
    } else {
        Errno::EBADF
    }
}

/// Options fixed for a run of the grate.
#[derive(Clone, Debug, Default)]
pub struct GrateOptions {
    /// `--log`: print each served syscall and its result to stderr.
    pub log: bool,
}

/// Bytes of the bounce buffer every read and write streams through.
pub const BOUNCE_LEN: usize = 64 * 1024;
/// Most iovecs one readv/writev may pass (Linux's UIO_MAXIOV).
pub const IOV_MAX: usize = 1024;

/// Why a handler did not produce a value.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Stop {
    /// The call failed: `-errno`.
    Err(Errno),
    /// Not the grate's: the host runs it.
    Continue,
    /// A failure with an errno the core never returns (so `Errno` lacks
    /// it): the positive number.
    Code(i64),
}

impl From<Errno> for Stop {
    fn from(e: Errno) -> Stop {
        Stop::Err(e)
    }
}

/// A handler's outcome.
pub(crate) type Res = Result<i64, Stop>;

/// Use of the grate's own tables, next to the core's pools.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct GrateUsage {
    /// The core's pools.
    pub fs: Usage,
    /// imfs fds held by all cages together (capacity: fds_per_cage × cages).
    pub fds: PoolUsage,
    /// Live cages.
    pub cages: PoolUsage,
}

/// An F_SETLKW that has to wait: who waits, and who holds the lock in the way.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct LockWait {
    pub waiter: Owner,
    pub holder: Owner,
}

/// The grate: one filesystem, every cage's cwd and umask, one bounce buffer.
pub struct Grate {
    fs: Box<Imfs>,
    cages: Cages,
    options: GrateOptions,
    paths: PathBufs,
    bounce: Box<[u8]>,
    /// Room for IOV_MAX iovecs, copied in before any data moves.
    iov: Box<[u8]>,
    /// fds collected before closing them (close_range), allocated once.
    fd_scratch: Vec<(i32, OfdId)>,
    /// fcntl record locks of every cage.
    locks: LockTable,
    /// Set when the last call was an F_SETLKW that has to wait (see
    /// [`Grate::take_lock_wait`]).
    lock_wait: Option<LockWait>,
    /// FIFO and socket nodes the host keeps a pipe or a socket for.
    holds: specials::Holds,
    fds_used: u32,
    fds_high: u32,
    cages_high: u32,
}

impl Grate {
    /// Allocates the filesystem once (zeroed, so untouched pages cost nothing).
    pub fn new(options: GrateOptions) -> Grate {
        let fs = zeroed_fs();
        Grate {
            fs,
            cages: Cages::new(config::CAGES),
            options,
            paths: PathBufs::new(),
            bounce: vec![0; BOUNCE_LEN].into_boxed_slice(),
            iov: vec![0; IOV_MAX * crate::wire::args::IOVEC_LEN].into_boxed_slice(),
            fd_scratch: Vec::with_capacity(config::FDS_PER_CAGE),
            locks: LockTable::new(),
            lock_wait: None,
            holds: specials::Holds::default(),
            fds_used: 0,
            fds_high: 0,
            cages_high: 0,
        }
    }

    /// After a dispatch: `Some` when the call was an F_SETLKW (or
    /// F_OFD_SETLKW) that meets a conflicting lock. The dispatch answered it
    /// EINTR; a host that can park a caller (the native host) holds the call
    /// instead and dispatches it again once locks may have been released.
    pub fn take_lock_wait(&mut self) -> Option<LockWait> {
        self.lock_wait.take()
    }

    /// The filesystem (staging, tests).
    pub fn fs(&self) -> &Imfs {
        &self.fs
    }

    /// The filesystem, mutably (staging).
    pub fn fs_mut(&mut self) -> &mut Imfs {
        &mut self.fs
    }

    /// Use and high-water mark of every pool, for `--stats`.
    pub fn usage(&self) -> GrateUsage {
        GrateUsage {
            fs: self.fs.usage(),
            fds: PoolUsage {
                used: self.fds_used,
                high_water: self.fds_high,
                capacity: (config::FDS_PER_CAGE * config::CAGES).min(u32::MAX as usize) as u32,
            },
            cages: PoolUsage {
                used: self.cages.len() as u32,
                high_water: self.cages_high,
                capacity: config::CAGES as u32,
            },
        }
    }

    /// The IMFS_LIMITS value for the program: every limit as `key=value`,
    /// joined by ',', ending with footprint_bytes.
    pub fn limits_env() -> String {
        let mut out = String::new();
        for (key, value) in config::ALL {
            out += &format!("{key}={value},");
        }
        out += &format!("footprint_bytes={}", imfs_core::FOOTPRINT_BYTES);
        out
    }

    /// Serves syscall `nr` (Linux x86_64 numbering) with `args` for `cage`.
    pub fn dispatch(
        &mut self,
        host: &mut dyn Host,
        cage: CageId,
        nr: u64,
        args: [u64; 6],
    ) -> Reply {
        self.lock_wait = None;
        let res = self.serve_paths(host, cage, nr, &args);
        let reply = match res {
            Ok(v) => Reply::Value(v),
            Err(Stop::Err(e)) => Reply::Value(e.neg()),
            Err(Stop::Code(code)) => Reply::Value(-code),
            Err(Stop::Continue) => Reply::Continue,
        };
        if self.options.log {
            if let Reply::Value(v) = reply {
                let a = args;
                eprintln!(
                    "imfs: [{cage}] {}({:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}) = {v}",
                    nr::name(nr).to_ascii_lowercase(),
                    a[0],
                    a[1],
                    a[2],
                    a[3],
                    a[4],
                    a[5]
                );
            }
        }
        reply
    }

    /// Serves the call; in mount mode, tries it again each time one of its
    /// paths left imfs (the core's EXDEV), with that path going on from
    /// where it left, and hands a read on a host path the kernel cannot be
    /// given to the host.
    fn serve_paths(&mut self, h: &mut dyn Host, cage: CageId, nr: u64, a: &[u64; 6]) -> Res {
        self.paths.begin_call();
        let mounted = h.mount_prefix().is_some();
        self.fs.set_mounted(mounted);
        let mut res = self.serve(h, cage, nr, a);
        if !mounted {
            return res;
        }
        let mut exits = 0;
        while res == Err(Stop::Err(Errno::EXDEV)) && self.redirect_exit(h, cage)? {
            exits += 1;
            if exits > paths::MAX_EXITS {
                return Err(Errno::ELOOP.into());
            }
            res = self.serve(h, cage, nr, a);
        }
        if res == Err(Stop::Err(Errno::EXDEV)) {
            if let Some(path) = self.paths.unreachable() {
                // A host path the kernel cannot be handed: reads are made by the host.
                return match h.read_host_path(cage, nr, a, path) {
                    v if v < 0 => Err(Stop::Code(-v)),
                    v => Ok(v),
                };
            }
        }
        res
    }

    fn serve(&mut self, h: &mut dyn Host, cage: CageId, nr: u64, a: &[u64; 6]) -> Res {
        use io::Dir::{Read, Write};
        use nr::*;
        let at = imfs_core::flags::AT_FDCWD;
        match nr {
            READ => self.rw(h, cage, a[0], a[1], a[2], None, Read),
            WRITE => self.rw(h, cage, a[0], a[1], a[2], None, Write),
            PREAD64 => self.rw(h, cage, a[0], a[1], a[2], Some(a[3] as i64), Read),
            PWRITE64 => self.rw(h, cage, a[0], a[1], a[2], Some(a[3] as i64), Write),
            READV => self.rwv(h, cage, a[0], a[1], a[2], None, 0, Read),
            WRITEV => self.rwv(h, cage, a[0], a[1], a[2], None, 0, Write),
            PREADV => self.rwv(h, cage, a[0], a[1], a[2], Some(a[3] as i64), 0, Read),
            PWRITEV => self.rwv(h, cage, a[0], a[1], a[2], Some(a[3] as i64), 0, Write),
            PREADV2 => self.rwv(h, cage, a[0], a[1], a[2], pos2(a[3]), a[5], Read),
            PWRITEV2 => self.rwv(h, cage, a[0], a[1], a[2], pos2(a[3]), a[5], Write),
            GETDENTS => self.getdents(h, cage, a[0], a[1], a[2], false),
            GETDENTS64 => self.getdents(h, cage, a[0], a[1], a[2], true),

            CLOSE => self.close(h, cage, a[0]),
            CLOSE_RANGE => self.close_range(h, cage, a[0], a[1], a[2]),
            DUP => self.dup(h, cage, a[0]),
            DUP2 => self.dup2(h, cage, a[0], a[1]),
            DUP3 => self.dup3(h, cage, a[0], a[1], a[2]),
            FCNTL => self.fcntl(h, cage, a[0], a[1], a[2], a[3]),
            LSEEK => self.lseek(h, cage, a[0], a[1], a[2]),
            IOCTL => self.ioctl(h, cage, a[0], a[1], a[2]),
            MMAP => self.mmap(h, cage, a[3], a[4]),
            FSYNC | FDATASYNC => self.fsync(h, cage, a[0]),
            SYNC_FILE_RANGE => self.sync_file_range(h, cage, a[0], a[1], a[2], a[3]),
            FADVISE64 => self.fadvise(h, cage, a[0], a[1], a[2], a[3]),
            FLOCK => self.flock(h, cage, a[0], a[1]),
            FALLOCATE => self.fallocate(h, cage, a[0], a[1], a[2], a[3]),
            FSTAT => self.fstat(h, cage, a[0], a[1]),
            FSTATFS => self.fstatfs(h, cage, a[0], a[1]),
            FTRUNCATE => self.ftruncate(h, cage, a[0], a[1]),
            FCHMOD => self.fchmod(h, cage, a[0], a[1]),
            FCHOWN => self.fchown(h, cage, a[0], a[1], a[2]),
            FCHDIR => self.fchdir(h, cage, a[0]),
            BIND => self.bind(h, cage, a[0], a[1], a[2]),
            CONNECT => self.connect(h, cage, a[0], a[1], a[2]),
            SENDTO => self.sendto(h, cage, a[0], a[1], a[2], a[3], a[4], a[5]),

            OPEN => self.open(h, cage, at, a[0], a[1], a[2]),
            CREAT => self.open(h, cage, at, a[0], CREAT_FLAGS, a[1]),
            OPENAT => self.open(h, cage, int(a[0]), a[1], a[2], a[3]),
            STAT => self.stat(h, cage, at, a[0], a[1], 0),
            LSTAT => self.stat(
                h,
                cage,
                at,
                a[0],
                a[1],
                imfs_core::flags::AT_SYMLINK_NOFOLLOW as u64,
            ),
            NEWFSTATAT => self.stat(h, cage, int(a[0]), a[1], a[2], a[3]),
            STATX => self.statx(h, cage, int(a[0]), a[1], a[2], a[3], a[4]),
            STATFS => self.statfs(h, cage, a[0], a[1]),
            ACCESS => self.access(h, cage, at, a[0], a[1], 0),
            // Lind's libc passes faccessat's flags to this number too, for the host's
            // libc faccessat to honour (src/glibc/sysdeps/unix/sysv/linux/faccessat.c).
            FACCESSAT if h.abi() == Abi::Lind => self.access(h, cage, int(a[0]), a[1], a[2], a[3]),
            FACCESSAT => self.access(h, cage, int(a[0]), a[1], a[2], 0),
            FACCESSAT2 => self.access(h, cage, int(a[0]), a[1], a[2], a[3]),
            MKDIR => self.mkdir(h, cage, at, a[0], a[1]),
            MKDIRAT => self.mkdir(h, cage, int(a[0]), a[1], a[2]),
            MKNOD => self.mknod(h, cage, at, a[0], a[1], a[2]),
            MKNODAT => self.mknod(h, cage, int(a[0]), a[1], a[2], a[3]),
            RMDIR => self.unlink(h, cage, at, a[0], imfs_core::flags::AT_REMOVEDIR as u64),
            UNLINK => self.unlink(h, cage, at, a[0], 0),
            UNLINKAT => self.unlink(h, cage, int(a[0]), a[1], a[2]),
            LINK => self.link(h, cage, at, a[0], at, a[1], 0),
            LINKAT => self.link(h, cage, int(a[0]), a[1], int(a[2]), a[3], a[4]),
            SYMLINK => self.symlink(h, cage, a[0], at, a[1]),
            SYMLINKAT => self.symlink(h, cage, a[0], int(a[1]), a[2]),
            READLINK => self.readlink(h, cage, at, a[0], a[1], a[2]),
            READLINKAT => self.readlink(h, cage, int(a[0]), a[1], a[2], a[3]),
            RENAME => self.rename(h, cage, at, a[0], at, a[1], 0),
            RENAMEAT => self.rename(h, cage, int(a[0]), a[1], int(a[2]), a[3], 0),
            RENAMEAT2 => self.rename(h, cage, int(a[0]), a[1], int(a[2]), a[3], a[4]),
            CHMOD => self.chmod(h, cage, at, a[0], a[1], 0),
            FCHMODAT => self.chmod(h, cage, int(a[0]), a[1], a[2], 0),
            FCHMODAT2 => self.chmod(h, cage, int(a[0]), a[1], a[2], a[3]),
            CHOWN => self.chown(h, cage, at, a[0], a[1], a[2], 0),
            LCHOWN => self.chown(
                h,
                cage,
                at,
                a[0],
                a[1],
                a[2],
                imfs_core::flags::AT_SYMLINK_NOFOLLOW as u64,
            ),
            FCHOWNAT => self.chown(h, cage, int(a[0]), a[1], a[2], a[3], a[4]),
            TRUNCATE => self.truncate(h, cage, a[0], a[1]),
            UTIMENSAT => self.utimensat(h, cage, int(a[0]), a[1], a[2], a[3]),
            UTIMES => self.utimes(h, cage, at, a[0], a[1]),
            FUTIMESAT => self.utimes(h, cage, int(a[0]), a[1], a[2]),
            UTIME => self.utime(h, cage, a[0], a[1]),
            GETCWD => self.getcwd(h, cage, a[0], a[1]),
            CHDIR => self.chdir(h, cage, a[0]),
            UMASK => self.umask(h, cage, a[0]),
            SETXATTR | GETXATTR | LISTXATTR | REMOVEXATTR => {
                self.xattr(h, cage, nr, Some(a[0]), true)
            }
            LSETXATTR | LGETXATTR | LLISTXATTR | LREMOVEXATTR => {
                self.xattr(h, cage, nr, Some(a[0]), false)
            }
            FSETXATTR | FGETXATTR | FLISTXATTR | FREMOVEXATTR => self.fxattr(h, cage, nr, a[0]),
            // In-kernel copies between fds cannot reach imfs data: on an imfs
            // fd they fail as on a filesystem without support, and callers
            // (cp, cat) fall back to read/write.
            SENDFILE => self.not_on_imfs(h, cage, &[a[0], a[1]]),
            SPLICE | COPY_FILE_RANGE => self.not_on_imfs(h, cage, &[a[0], a[2]]),
            TEE => self.not_on_imfs(h, cage, &[a[0], a[1]]),
            READAHEAD | SYNCFS => self.fsync(h, cage, a[0]),
            // openat2's RESOLVE_* rules are not implemented: ENOSYS makes
            // callers fall back to openat, and no path reaches the host.
            OPENAT2 => Err(Errno::ENOSYS.into()),
            _ => Err(Stop::Continue),
        }
    }

    /// The first cage: cwd at the root (mount mode: the host's), fds 0-2 the host's.
    pub fn cage_start(&mut self, host: &mut dyn Host, cage: CageId) -> Result<(), Errno> {
        if self.cages.contains(cage) {
            return Err(Errno::EEXIST);
        }
        if self.cages.is_full() {
            return Err(Errno::EAGAIN);
        }
        host.fds().cage_start(cage)?;
        let fresh = self.fresh_state(host);
        self.cages.insert(cage, fresh)?;
        self.note_cages();
        Ok(())
    }

    /// `child` was forked from `parent`: it inherits fds (sharing descriptions), cwd and umask.
    /// EAGAIN past the cage limit.
    pub fn cage_fork(
        &mut self,
        host: &mut dyn Host,
        parent: CageId,
        child: CageId,
    ) -> Result<(), Errno> {
        if self.cages.contains(child) {
            return Err(Errno::EEXIST);
        }
        if self.cages.is_full() {
            return Err(Errno::EAGAIN);
        }
        let state = self.cage_state(host, parent);
        host.fds().fork(parent, child)?;
        // Each copied fd holds its own reference on the shared description.
        let fs = &mut self.fs;
        let mut copied = 0u32;
        host.fds().imfs_fds(child, &mut |_, ofd| {
            if fs.ofd_ref(ofd).is_ok() {
                copied += 1;
            }
        });
        self.fds_used += copied;
        self.fds_high = self.fds_high.max(self.fds_used);
        if let Cwd::Imfs(Some(dir)) = state.cwd {
            // A failed reference would leave the child's cwd unheld: fall back to the root.
            if self.fs.ofd_ref(dir).is_err() {
                self.cages.insert(
                    child,
                    CageState {
                        cwd: Cwd::Imfs(None),
                        ..state
                    },
                )?;
                self.note_cages();
                return Ok(());
            }
        }
        self.cages.insert(child, state)?;
        self.note_cages();
        Ok(())
    }

    /// `cage` exec'd successfully: its cloexec fds close (and with them
    /// its locks on their files).
    pub fn cage_exec(&mut self, host: &mut dyn Host, cage: CageId) {
        let (fs, locks, used) = (&mut self.fs, &mut self.locks, &mut self.fds_used);
        host.fds().exec(cage, &mut |ofd| {
            close_fd(fs, locks, cage, ofd);
            *used = used.saturating_sub(1);
        });
    }

    /// `cage` exited: everything it held is released, its locks included.
    pub fn cage_exit(&mut self, host: &mut dyn Host, cage: CageId) {
        let (fs, locks, used) = (&mut self.fs, &mut self.locks, &mut self.fds_used);
        host.fds().exit(cage, &mut |ofd| {
            close_fd(fs, locks, cage, ofd);
            *used = used.saturating_sub(1);
        });
        self.locks.release_owner(Owner::Cage(cage));
        if let Some(CageState {
            cwd: Cwd::Imfs(Some(dir)),
            ..
        }) = self.cages.remove(cage)
        {
            let _ = self.fs.close(dir);
        }
    }

    // ---- helpers shared by the handlers ----

    fn fresh_state(&self, h: &dyn Host) -> CageState {
        let cwd = if h.mount_prefix().is_some() {
            Cwd::Host
        } else {
            Cwd::Imfs(None)
        };
        CageState {
            cwd,
            umask: DEFAULT_UMASK,
        }
    }

    /// The cage's cwd and umask (defaults for a cage the host never announced).
    pub(crate) fn cage_state(&self, h: &dyn Host, cage: CageId) -> CageState {
        self.cages.get(cage, self.fresh_state(h))
    }

    fn cage_state_mut(&mut self, h: &dyn Host, cage: CageId) -> Result<&mut CageState, Errno> {
        let fresh = self.fresh_state(h);
        self.cages.get_mut(cage, fresh)?;
        self.note_cages();
        self.cages.get_mut(cage, fresh)
    }

    fn note_cages(&mut self) {
        self.cages_high = self.cages_high.max(self.cages.len() as u32);
    }

    /// Who is calling, and when.
    fn ctx(&self, h: &mut dyn Host, cage: CageId) -> Ctx {
        h.creds(cage).ctx(Now::from(h.clock()))
    }

    /// EINVAL when any of `fds` is an imfs fd, else the host's call.
    fn not_on_imfs(&self, h: &mut dyn Host, cage: CageId, fds: &[u64]) -> Res {
        for &fd in fds {
            if let Some(FdEntry::Imfs { .. }) = h.fds().get(cage, int(fd)) {
                return Err(Errno::EINVAL.into());
            }
        }
        Err(Stop::Continue)
    }

    /// The imfs description behind `fd`: EBADF when the cage has no such fd,
    /// Continue when it is the host's.
    fn ofd(&self, h: &mut dyn Host, cage: CageId, fd: u64) -> Result<OfdId, Stop> {
        self.entry(h, cage, fd).map(|(ofd, _)| ofd)
    }

    fn entry(&self, h: &mut dyn Host, cage: CageId, fd: u64) -> Result<(OfdId, bool), Stop> {
        match h.fds().get(cage, int(fd)) {
            None => Err(Errno::EBADF.into()),
            Some(FdEntry::Host) => Err(Stop::Continue),
            Some(FdEntry::Imfs { ofd, cloexec }) => Ok((ofd, cloexec)),
        }
    }

    /// Installs `ofd` at the lowest free fd >= `min`; on failure the
    /// description is closed again.
    fn install(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        ofd: OfdId,
        min: i32,
        cloexec: bool,
    ) -> Result<i32, Errno> {
        match h.fds().insert_lowest(cage, min, ofd, cloexec) {
            Ok(fd) => {
                self.fds_used += 1;
                self.fds_high = self.fds_high.max(self.fds_used);
                Ok(fd)
            }
            Err(e) => {
                let _ = self.fs.close(ofd);
                Err(e)
            }
        }
    }

    /// One fd of `cage` on `ofd` closed: drops its reference and the locks
    /// that go with it.
    fn release(&mut self, cage: CageId, ofd: OfdId) {
        close_fd(&mut self.fs, &mut self.locks, cage, ofd);
        self.fds_used = self.fds_used.saturating_sub(1);
    }

    /// The fcntl record locks (tests).
    pub fn locks(&self) -> &LockTable {
        &self.locks
    }
}

/// Closes one fd's reference on `ofd`. As on Linux, the cage's own locks on
/// the file go with any of its fds, and the description's OFD locks with
/// its last reference.
fn close_fd(fs: &mut Imfs, locks: &mut LockTable, cage: CageId, ofd: OfdId) {
    let file = match locks.is_empty() {
        true => None,
        false => fs.fstat(ofd).ok().map(|st| st.ino),
    };
    let _ = fs.close(ofd);
    if let Some(file) = file {
        locks.release_file(file, Owner::Cage(cage));
        // Freed with this reference: its id no longer resolves.
        if fs.status_flags(ofd).is_err() {
            locks.release_owner(Owner::Ofd(ofd.raw()));
        }
    }
}

/// A fresh filesystem on the heap, built from zeroed memory: ~40 MiB never
/// passes through the stack, and untouched pages cost nothing.
fn zeroed_fs() -> Box<Imfs> {
    let layout = std::alloc::Layout::new::<Imfs>();
    // SAFETY: the core guarantees that all-zero bytes are a valid empty
    // filesystem (the same as `Fs::new`); the pointer comes from the global
    // allocator with `Imfs`'s layout, as Box::from_raw requires.
    unsafe {
        let p = std::alloc::alloc_zeroed(layout).cast::<Imfs>();
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Box::from_raw(p)
    }
}

/// open flags of creat(2).
const CREAT_FLAGS: u64 =
    (imfs_core::flags::O_CREAT | imfs_core::flags::O_WRONLY | imfs_core::flags::O_TRUNC) as u64;

/// An `int` argument: the low 32 bits of the register, as the kernel reads it.
pub(crate) fn int(a: u64) -> i32 {
    a as u32 as i32
}

/// preadv2/pwritev2's offset: -1 means the file position.
fn pos2(a: u64) -> Option<i64> {
    let pos = a as i64;
    (pos != -1).then_some(pos)
}
