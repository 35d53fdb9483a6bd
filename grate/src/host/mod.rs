//! The narrow interface between the syscall layer and whatever runs the cages.
//!
//! Everything that differs between Lind and the native Linux host is here:
//! reaching a cage's memory, the struct layouts it expects, the clock, the
//! per-cage fd table and (native only) the mount prefix. Calls the grate does
//! not own come back from the dispatch as [`Reply::Continue`]: the host runs
//! them itself (Lind forwards through 3i, the native host answers
//! SECCOMP_USER_NOTIF_FLAG_CONTINUE).

use imfs_core::{Clock, Errno, Groups, Now, OfdId};

pub mod loopback;
#[cfg(target_os = "linux")]
pub mod native;
pub mod placeholders;
pub mod specials_model;
pub mod whole_copy;

/// A cage (Lind) or process (native host) id.
pub type CageId = u64;

/// The struct layouts a cage expects.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Abi {
    /// Linux x86_64's kernel layouts (the native host).
    Kernel,
    /// Lind's wasm32 guest layouts (grate-rs `ffi.rs`).
    Lind,
}

/// The dispatch's answer to one syscall.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Reply {
    /// The call was served: its return value, or `-errno`.
    Value(i64),
    /// Not the grate's (a host fd, a host path, an unserved syscall): the host runs it.
    Continue,
}

/// What one fd of a cage is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FdEntry {
    /// Not the grate's: the host's (stdio, pipes, sockets); calls on it come back as [`Reply::Continue`].
    Host,
    /// An imfs open file description.
    Imfs { ofd: OfdId, cloexec: bool },
}

/// Per-cage fd tables. Lind's adapter implements it over `fdtables`; the
/// native host and the in-process test host over [`crate::fdtable::LocalFdTable`].
pub trait FdTable {
    /// Installs `ofd` at the lowest free fd >= `min`; EMFILE when the cage's table is full.
    fn insert_lowest(
        &mut self,
        cage: CageId,
        min: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<i32, Errno>;
    /// Installs `ofd` at exactly `fd` (dup2/dup3), returning the imfs description it
    /// displaced, which the caller must close. EBADF when `fd` is out of range.
    fn insert_at(
        &mut self,
        cage: CageId,
        fd: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<Option<OfdId>, Errno>;
    /// What `fd` is, or `None` when the cage has no such fd (EBADF).
    fn get(&self, cage: CageId, fd: i32) -> Option<FdEntry>;
    /// Forgets `fd`, returning the imfs description it held.
    fn remove(&mut self, cage: CageId, fd: i32) -> Option<OfdId>;
    fn set_cloexec(&mut self, cage: CageId, fd: i32, cloexec: bool) -> Result<(), Errno>;
    /// Gives `child` a copy of `parent`'s table (fork). The caller adds a
    /// reference to each description through `imfs_fds`.
    fn fork(&mut self, parent: CageId, child: CageId) -> Result<(), Errno>;
    /// Closes the cage's cloexec fds (exec), handing each description to `closed`.
    fn exec(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId));
    /// Drops the cage's whole table (exit), handing each description to `closed`.
    fn exit(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId));
    /// Calls `f(fd, ofd)` for every imfs fd of the cage.
    fn imfs_fds(&self, cage: CageId, f: &mut dyn FnMut(i32, OfdId));
    /// A new cage with no parent (the program the grate runs): its table is
    /// created, with 0-2 the host's. EAGAIN past the cage limit. Tables that
    /// create cages lazily may keep the default.
    fn cage_start(&mut self, cage: CageId) -> Result<(), Errno> {
        let _ = cage;
        Ok(())
    }
    /// Whether `fd`, which [`FdTable::get`] calls the host's, is open. Asked
    /// only where the answer decides between ENOTDIR and EBADF (a host fd as
    /// a dirfd in root mode); tables that know every fd keep the default.
    fn host_fd_open(&self, cage: CageId, fd: i32) -> bool {
        self.get(cage, fd).is_some()
    }
    /// True when the cage has no free fd left, so open(2) can fail with
    /// EMFILE before it creates anything, as Linux does.
    fn is_full(&self, cage: CageId) -> bool {
        let _ = cage;
        false
    }
}

/// What a host provides to the dispatch.
pub trait Host {
    /// Copies `buf.len()` bytes from the cage's address `addr`; EFAULT when unreadable.
    fn read_mem(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<(), Errno>;
    /// Copies `data` to the cage's address `addr`; EFAULT when unwritable.
    fn write_mem(&mut self, cage: CageId, addr: u64, data: &[u8]) -> Result<(), Errno>;
    /// Copies the NUL-terminated string at `addr` into `buf` and returns its
    /// length without the NUL; ENAMETOOLONG when no NUL lies within `buf.len()`
    /// bytes, EFAULT when unreadable.
    fn read_cstr(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<usize, Errno>;
    /// The clock a call's times come from. The core reads it only when a
    /// call stamps a time, once per call ([`imfs_core::Now`]).
    fn clock(&self) -> &'static dyn Clock;
    /// The struct layouts this host's cages use.
    fn abi(&self) -> Abi;
    /// `--mount PREFIX` (native host only): imfs appears at PREFIX and every
    /// other path is the host's. `None` in root mode, where every path is imfs.
    fn mount_prefix(&self) -> Option<&[u8]> {
        None
    }
    /// Mount mode: the absolute host path of the cage's cwd when it is on the
    /// host side, into `buf`; its length.
    fn host_cwd(&mut self, cage: CageId, buf: &mut [u8]) -> Result<usize, Errno> {
        let _ = (cage, buf);
        Err(Errno::ENOSYS)
    }
    /// Mount mode: the absolute host path of the directory the cage's host
    /// fd `fd` is open on, into `buf`; its length. An error when the fd is
    /// not a directory or its path is unknown: the kernel then resolves alone.
    fn host_dir_of_fd(&mut self, cage: CageId, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        let _ = (cage, fd, buf);
        Err(Errno::ENOSYS)
    }
    /// Mount mode: makes the read syscall `nr` (stat, statx, statfs, access,
    /// readlink, an open for reading) for the calling cage on the absolute
    /// host path `path`, which stands for its path argument: a path that
    /// left imfs for a host file the kernel, given the cage's own argument,
    /// would not reach. Results go to the cage as the kernel would put them;
    /// the value is the syscall's (`-errno` on failure). EXDEV for any other
    /// call, or where the host cannot.
    fn read_host_path(&mut self, cage: CageId, nr: u64, args: &[u64; 6], path: &[u8]) -> i64 {
        let _ = (cage, nr, args, path);
        Errno::EXDEV.neg()
    }
    /// The cages' fd tables.
    fn fds(&mut self) -> &mut dyn FdTable;
    /// Who the cage is: owner of what it creates and the subject of
    /// permission checks. Defaults to the grate's own ids.
    fn creds(&mut self, cage: CageId) -> Creds {
        let _ = cage;
        Creds::of_grate()
    }
    /// The process id the cage's programs see for it (F_GETLK's l_pid).
    fn cage_pid(&self, cage: CageId) -> i32 {
        cage as i32
    }
    /// What the host does with FIFOs and Unix-domain sockets on imfs
    /// names; `None` when it cannot (a FIFO then opens with ENXIO, socket
    /// calls go to the host unchanged).
    fn specials(&mut self) -> Option<&mut dyn Specials> {
        None
    }
}

/// How a FIFO open ended.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum FifoOpen {
    /// The cage got this fd: a pipe end of the host's.
    Fd(i32),
    /// The open must wait for the other end: the host holds the call and
    /// answers it itself later (the dispatch's reply is then ignored).
    Parked,
}

/// FIFOs and Unix-domain sockets named in imfs. The names (nodes) are the
/// core's; the data path is the host's, keyed by the node's st_ino, which
/// stays the node's until [`Specials::forget`] (the grate holds the node
/// until then, so the number cannot be reused meanwhile).
pub trait Specials {
    /// Opens FIFO `fifo` for the cage with `flags` (O_ACCMODE, O_NONBLOCK,
    /// O_APPEND, O_DIRECT), with FIFO rules: a read-only open waits for a
    /// writer, a write-only one for a reader (ENXIO with O_NONBLOCK),
    /// O_NONBLOCK reads and O_RDWR open at once.
    fn fifo_open(
        &mut self,
        cage: CageId,
        fifo: u64,
        flags: u32,
        cloexec: bool,
    ) -> Result<FifoOpen, Errno>;
    /// Node `node` lost its last name: whatever the host keeps for it goes
    /// (a FIFO's pipe once its open ends close, a socket's private path).
    fn forget(&mut self, node: u64);
    /// The address family of socket `fd` of the cage: `-ENOTSOCK` when it
    /// is no socket, `-EBADF` when there is no such fd. Socket calls return
    /// what the kernel said, so these return a syscall result: a value or
    /// `-errno`.
    fn socket_domain(&mut self, cage: CageId, fd: i32) -> i64;
    /// Binds socket `fd` as socket node `node` (a fresh node the grate just
    /// made): `-EINVAL` when the socket is bound already.
    fn bind(&mut self, cage: CageId, fd: i32, node: u64) -> i64;
    /// Connects socket `fd` to the socket bound as `node`
    /// (`-ECONNREFUSED` when none is).
    fn connect(&mut self, cage: CageId, fd: i32, node: u64) -> i64;
    /// Sends `data` from socket `fd` to the socket bound as `node`.
    fn sendto(&mut self, cage: CageId, fd: i32, node: u64, data: &[u8], flags: u32) -> i64;
    /// Whether `path` is where the host bound a socket for a node: the
    /// address the kernel reports for it (getsockname, recvfrom), which a
    /// program may pass back to connect or sendto.
    fn is_private_path(&self, path: &[u8]) -> bool {
        let _ = path;
        false
    }
}

/// A cage's credentials.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Creds {
    /// Effective (filesystem) uid and gid.
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups.
    pub groups: Groups,
    /// Real uid and gid when they differ from the effective ones (access(2)).
    pub real: Option<(u32, u32)>,
}

impl Creds {
    /// Just effective ids: no supplementary groups, real ids the same.
    pub fn ids(uid: u32, gid: u32) -> Creds {
        Creds {
            uid,
            gid,
            ..Creds::default()
        }
    }

    /// The context of a call made with these credentials at `time`.
    pub fn ctx(self, time: Now) -> imfs_core::Ctx {
        imfs_core::Ctx {
            time,
            uid: self.uid,
            gid: self.gid,
            groups: self.groups,
            real: self.real,
        }
    }

    /// The grate's own effective ids.
    pub fn of_grate() -> Creds {
        let (uid, gid) = default_creds();
        Creds::ids(uid, gid)
    }
}

#[cfg(target_os = "linux")]
fn default_creds() -> (u32, u32) {
    // SAFETY: geteuid/getegid cannot fail and touch no memory.
    unsafe { (libc::geteuid(), libc::getegid()) }
}

#[cfg(not(target_os = "linux"))]
fn default_creds() -> (u32, u32) {
    (0, 0)
}
