//! FIFOs and Unix-domain sockets named in imfs, on the native host.
//!
//! # FIFOs
//! Per FIFO node the grate keeps one O_PATH reference to a pipe inode (made
//! with pipe2, whose two ends are closed at once). Every open of the FIFO
//! opens that inode again through /proc/self/fd and installs the new file in
//! the program with SECCOMP_IOCTL_NOTIF_ADDFD, so reads and writes go to the
//! kernel and the data never touches the pools. The kernel counts readers and
//! writers per open file, gives EOF when the last writer closes and frees
//! the buffered data when the last end closes, exactly as for a FIFO; the
//! grate holds no end of its own. What the kernel does not do for a pipe
//! inode opened this way is wait: the grate asks poll (POLLHUP: no writer,
//! POLLERR: no reader) and parks a blocking open that must wait, with its
//! end open, as Linux counts a waiting open as a reader or writer already.
//! Each later open of the same FIFO completes the parked ones whose partner
//! is now there. A parked caller that a handled signal interrupts gets
//! ERESTARTSYS (the kernel restarts the call for an SA_RESTART handler and
//! returns EINTR otherwise), one killed is forgotten.
//!
//! # Sockets
//! bind(2) on an imfs path makes the socket node in imfs (the dispatch) and
//! binds the program's own socket (a copy of its fd taken with
//! pidfd_getfd: the same open file) at a private path, `s<N>` in a 0700
//! directory the grate makes with mkdtemp and removes at exit. connect(2) and
//! sendto(2) to the node are made the same way on the program's socket,
//! never blocking the grate: a blocking socket that would have to wait (a
//! full backlog, a full receiver) is parked and tried again until it need
//! not. The private address the kernel reports back (getsockname,
//! recvfrom) passes through untouched. Nothing else is created on the host.

use super::fds::errno_of;
use super::notif::Listener;
use crate::host::FifoOpen;
use imfs_core::flags::{O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY};
use imfs_core::Errno;
use std::collections::HashMap;
use std::ffi::CString;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

/// The kernel's "restart if the handler says so" code: after a signal
/// handler, an SA_RESTART one reruns the call, any other makes it EINTR.
const ERESTARTSYS: i64 = 512;

/// A blocking FIFO open waiting for its partner.
struct FifoWaiter {
    /// The notification (still unanswered) and its thread.
    id: u64,
    tid: u32,
    fifo: u64,
    /// The end it will get, open already (so it counts, as on Linux).
    end: OwnedFd,
    reader: bool,
    cloexec: bool,
}

#[derive(Default)]
pub struct NativeSpecials {
    /// Per FIFO node: an O_PATH reference to its pipe inode.
    fifos: HashMap<u64, OwnedFd>,
    waiters: Vec<FifoWaiter>,
    /// Connects and sends of blocking sockets that have to wait.
    socket_waiters: Vec<SocketWaiter>,
    /// Per socket node: where the program's socket is bound on the host.
    sockets: HashMap<u64, PathBuf>,
    dir: Option<PrivateDir>,
    next_name: u64,
    /// The call being served was parked: the supervisor must not answer it.
    parked: bool,
}

impl NativeSpecials {
    /// Whether the call just served was parked (and clears the mark).
    pub fn take_parked(&mut self) -> bool {
        std::mem::take(&mut self.parked)
    }

    pub fn has_waiters(&self) -> bool {
        !self.waiters.is_empty() || !self.socket_waiters.is_empty()
    }

    /// Opens FIFO `fifo` for the caller of notification `id` (thread `tid`).
    pub fn fifo_open(
        &mut self,
        listener: &Listener,
        id: u64,
        tid: u32,
        fifo: u64,
        flags: u32,
        cloexec: bool,
    ) -> Result<FifoOpen, Errno> {
        let end = self.open_end(fifo, flags).map_err(|e| errno_of(&e))?;
        let nonblock = flags & O_NONBLOCK != 0;
        let reader = flags & O_ACCMODE == O_RDONLY;
        let ready = match flags & O_ACCMODE {
            O_RDONLY => nonblock || has_writer(&end),
            O_WRONLY => has_reader(&end),
            _ => true,
        };
        if !ready && nonblock {
            return Err(Errno::ENXIO);
        }
        let opened = if ready {
            let fd = listener
                .add_fd(id, end.as_raw_fd(), None, cloexec)
                .map_err(|e| errno_of(&e))?;
            FifoOpen::Fd(fd)
        } else {
            self.waiters.push(FifoWaiter {
                id,
                tid,
                fifo,
                end,
                reader,
                cloexec,
            });
            self.parked = true;
            FifoOpen::Parked
        };
        self.complete_ready(listener, fifo);
        Ok(opened)
    }

    /// A new end of FIFO `fifo`'s pipe, made on first use.
    fn open_end(&mut self, fifo: u64, flags: u32) -> io::Result<OwnedFd> {
        let anchor = match self.fifos.get(&fifo) {
            Some(a) => a,
            None => {
                let a = new_pipe_inode()?;
                self.fifos.entry(fifo).or_insert(a)
            }
        };
        reopen(anchor.as_raw_fd(), flags as i32 | libc::O_CLOEXEC)
    }

    /// Answers the parked opens of `fifo` whose partner is there now.
    fn complete_ready(&mut self, listener: &Listener, fifo: u64) {
        let mut i = 0;
        while i < self.waiters.len() {
            let w = &self.waiters[i];
            let ready = w.fifo == fifo
                && if w.reader {
                    has_writer(&w.end)
                } else {
                    has_reader(&w.end)
                };
            if !ready {
                i += 1;
                continue;
            }
            let w = self.waiters.swap_remove(i);
            // A failure means the caller is gone or its table is full.
            match listener.add_fd(w.id, w.end.as_raw_fd(), None, w.cloexec) {
                Ok(fd) => listener.answer(w.id, fd as i64),
                Err(e) => listener.answer(w.id, errno_of(&e).neg()),
            }
        }
    }

    /// Drops parked opens whose caller died, and interrupts those whose
    /// thread has a handled signal waiting (ERESTARTSYS, as Linux's
    /// fifo_open returns); tries parked socket calls again.
    pub fn check_waiters(&mut self, listener: &Listener) {
        self.retry_sockets(listener);
        self.waiters.retain(|w| {
            if !listener.is_pending(w.id) {
                return false;
            }
            if super::procs::has_signal_to_handle(w.tid) {
                listener.answer(w.id, -ERESTARTSYS);
                return false;
            }
            true
        });
    }

    /// Node `node` has no name left.
    pub fn forget(&mut self, node: u64) {
        // The ends the programs hold keep the pipe itself alive.
        self.fifos.remove(&node);
        if let Some(path) = self.sockets.remove(&node) {
            let _ = std::fs::remove_file(path);
        }
    }

    /// Whether `path` lies in the private socket directory.
    pub fn is_private_path(&self, path: &[u8]) -> bool {
        self.dir.as_ref().is_some_and(|d| {
            let dir = d.path.as_os_str().as_bytes();
            path.strip_prefix(dir)
                .is_some_and(|rest| rest.starts_with(b"/"))
        })
    }

    /// The address family of socket `fd` of process `pid`, or `-errno`.
    pub fn socket_domain(&mut self, pid: u32, fd: i32) -> i64 {
        match socket_of(pid, fd) {
            Ok(sock) => domain_of(&sock).unwrap_or_else(|e| -e),
            Err(e) => -e,
        }
    }

    /// Binds socket `fd` of process `pid` at a new private path for `node`.
    pub fn bind(&mut self, pid: u32, fd: i32, node: u64) -> i64 {
        let sock = match socket_of(pid, fd) {
            Ok(s) => s,
            Err(e) => return -e,
        };
        let dir = match &self.dir {
            Some(d) => d,
            None => match PrivateDir::new() {
                Ok(d) => self.dir.insert(d),
                Err(e) => return -(e.raw_os_error().unwrap_or(libc::EIO) as i64),
            },
        };
        self.next_name += 1;
        let path = dir.path.join(format!("s{}", self.next_name));
        let r = match sockaddr_of(&path) {
            // SAFETY: binds our copy of the socket to a valid sockaddr_un.
            Some((sa, len)) => {
                result(unsafe { libc::bind(sock.as_raw_fd(), (&raw const sa).cast(), len) })
            }
            None => -(libc::ENAMETOOLONG as i64),
        };
        if r == 0 {
            self.sockets.insert(node, path);
        }
        r
    }

    /// Connects socket `fd` of process `pid` to the socket bound as `node`,
    /// for the caller of notification `call` (id, tid). The attempt never
    /// blocks the grate: when a blocking socket would have to wait (the
    /// listener's backlog is full), the call is parked and tried again.
    pub fn connect(&mut self, call: (u64, u32), pid: u32, fd: i32, node: u64) -> i64 {
        let Some((sa, len)) = self.sockets.get(&node).and_then(|p| sockaddr_of(p)) else {
            return -(libc::ECONNREFUSED as i64);
        };
        let sock = match socket_of(pid, fd) {
            Ok(s) => s,
            Err(e) => return -e,
        };
        let blocking = !is_nonblocking(&sock);
        let r = try_connect(&sock, &sa, len);
        if r == -(libc::EAGAIN as i64) && blocking {
            return self.park_socket(call, sock, sa, len, SocketOp::Connect);
        }
        r
    }

    /// Sends `data` from socket `fd` of process `pid` to the socket bound as
    /// `node` (never raising SIGPIPE in the grate); a blocking send to a
    /// full receiver is parked and tried again, as [`NativeSpecials::connect`].
    pub fn sendto(
        &mut self,
        call: (u64, u32),
        pid: u32,
        fd: i32,
        node: u64,
        data: &[u8],
        flags: u32,
    ) -> i64 {
        let Some((sa, len)) = self.sockets.get(&node).and_then(|p| sockaddr_of(p)) else {
            return -(libc::ECONNREFUSED as i64);
        };
        let sock = match socket_of(pid, fd) {
            Ok(s) => s,
            Err(e) => return -e,
        };
        let flags = flags as i32;
        let blocking = flags & libc::MSG_DONTWAIT == 0 && !is_nonblocking(&sock);
        let n = try_send(&sock, data, flags, &sa, len);
        if n == -(libc::EAGAIN as i64) && blocking {
            // At most the bounce buffer's 64 KiB, kept until it goes.
            let op = SocketOp::Send(data.to_vec(), flags);
            return self.park_socket(call, sock, sa, len, op);
        }
        n
    }

    fn park_socket(
        &mut self,
        (id, tid): (u64, u32),
        sock: OwnedFd,
        sa: libc::sockaddr_un,
        len: libc::socklen_t,
        op: SocketOp,
    ) -> i64 {
        self.socket_waiters.push(SocketWaiter {
            id,
            tid,
            sock,
            sa,
            len,
            op,
        });
        self.parked = true;
        0
    }

    /// Tries the parked connects and sends again: answered once they no
    /// longer have to wait, interrupted by a handled signal, forgotten when
    /// their caller died.
    fn retry_sockets(&mut self, listener: &Listener) {
        self.socket_waiters.retain(|w| {
            if !listener.is_pending(w.id) {
                return false;
            }
            if super::procs::has_signal_to_handle(w.tid) {
                listener.answer(w.id, -ERESTARTSYS);
                return false;
            }
            let r = match &w.op {
                SocketOp::Connect => try_connect(&w.sock, &w.sa, w.len),
                SocketOp::Send(data, flags) => try_send(&w.sock, data, *flags, &w.sa, w.len),
            };
            if r == -(libc::EAGAIN as i64) {
                return true;
            }
            listener.answer(w.id, r);
            false
        });
    }
}

/// A parked socket call's operation.
enum SocketOp {
    Connect,
    /// The data and the caller's flags.
    Send(Vec<u8>, i32),
}

/// A connect or sendto of a blocking socket that has to wait.
struct SocketWaiter {
    id: u64,
    tid: u32,
    /// The grate's copy of the program's socket.
    sock: OwnedFd,
    sa: libc::sockaddr_un,
    len: libc::socklen_t,
    op: SocketOp,
}

fn is_nonblocking(sock: &OwnedFd) -> bool {
    // SAFETY: F_GETFL on our own fd.
    let fl = unsafe { libc::fcntl(sock.as_raw_fd(), libc::F_GETFL) };
    fl >= 0 && fl & libc::O_NONBLOCK != 0
}

/// One connect attempt that cannot block: EAGAIN when it would have to.
fn try_connect(sock: &OwnedFd, sa: &libc::sockaddr_un, len: libc::socklen_t) -> i64 {
    let raw = sock.as_raw_fd();
    // SAFETY: fcntl and connect on our copy of the socket, with a valid
    // sockaddr_un. The copy shares the program's open file, so its
    // O_NONBLOCK is changed only for the length of this call.
    unsafe {
        let fl = libc::fcntl(raw, libc::F_GETFL);
        let blocking = fl >= 0 && fl & libc::O_NONBLOCK == 0;
        if blocking {
            libc::fcntl(raw, libc::F_SETFL, fl | libc::O_NONBLOCK);
        }
        let r = result(libc::connect(
            raw,
            (sa as *const libc::sockaddr_un).cast(),
            len,
        ));
        if blocking {
            libc::fcntl(raw, libc::F_SETFL, fl);
        }
        r
    }
}

/// One send attempt that cannot block, nor raise SIGPIPE in the grate.
fn try_send(
    sock: &OwnedFd,
    data: &[u8],
    flags: i32,
    sa: &libc::sockaddr_un,
    len: libc::socklen_t,
) -> i64 {
    let flags = flags | libc::MSG_DONTWAIT | libc::MSG_NOSIGNAL;
    // SAFETY: sends from a live buffer to a valid sockaddr_un.
    let n = unsafe {
        libc::sendto(
            sock.as_raw_fd(),
            data.as_ptr().cast(),
            data.len(),
            flags,
            (sa as *const libc::sockaddr_un).cast(),
            len,
        )
    };
    if n < 0 {
        -(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO) as i64)
    } else {
        n as i64
    }
}

/// A fresh pipe inode, held by an O_PATH reference only (no end open).
fn new_pipe_inode() -> io::Result<OwnedFd> {
    let mut ends = [0 as RawFd; 2];
    // SAFETY: pipe2 writes two fds into `ends`.
    if unsafe { libc::pipe2(ends.as_mut_ptr(), libc::O_CLOEXEC) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: both fds are fresh and ours.
    let (r, _w) = unsafe { (OwnedFd::from_raw_fd(ends[0]), OwnedFd::from_raw_fd(ends[1])) };
    reopen(r.as_raw_fd(), libc::O_PATH | libc::O_CLOEXEC)
}

/// Opens the file behind our fd `fd` again, as a new open file.
fn reopen(fd: RawFd, flags: i32) -> io::Result<OwnedFd> {
    let path = CString::new(format!("/proc/self/fd/{fd}")).map_err(io::Error::other)?;
    // SAFETY: opens a NUL-terminated path.
    let raw = unsafe { libc::open(path.as_ptr(), flags) };
    if raw < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(raw) })
}

fn poll_now(fd: &OwnedFd, events: i16) -> i16 {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events,
        revents: 0,
    };
    // SAFETY: polls one live pollfd without waiting.
    unsafe { libc::poll(&mut p, 1, 0) };
    p.revents
}

/// A pipe's read end hangs up while no writer has it open.
fn has_writer(read_end: &OwnedFd) -> bool {
    poll_now(read_end, libc::POLLIN) & libc::POLLHUP == 0
}

/// A pipe's write end reports an error while no reader has it open.
fn has_reader(write_end: &OwnedFd) -> bool {
    poll_now(write_end, libc::POLLOUT) & libc::POLLERR == 0
}

/// `-1` from a libc call as `-errno`, anything else as 0.
fn result(r: libc::c_int) -> i64 {
    if r < 0 {
        -(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EIO) as i64)
    } else {
        0
    }
}

/// Our copy of fd `fd` of process `pid` (the same open file), or the errno.
fn socket_of(pid: u32, fd: i32) -> Result<OwnedFd, i64> {
    let pidfd = super::procs::pidfd_open(pid).map_err(|_| libc::ESRCH as i64)?;
    // SAFETY: pidfd_getfd takes integers and returns a new fd or -1.
    let raw = unsafe { libc::syscall(libc::SYS_pidfd_getfd, pidfd.as_raw_fd(), fd, 0) };
    if raw < 0 {
        return Err(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::EBADF) as i64);
    }
    // SAFETY: a fresh fd we own.
    Ok(unsafe { OwnedFd::from_raw_fd(raw as RawFd) })
}

/// SO_DOMAIN of a socket; ENOTSOCK for any other file.
fn domain_of(sock: &OwnedFd) -> Result<i64, i64> {
    let mut domain: libc::c_int = 0;
    let mut len = std::mem::size_of::<libc::c_int>() as libc::socklen_t;
    // SAFETY: getsockopt writes one int into `domain`.
    let r = unsafe {
        libc::getsockopt(
            sock.as_raw_fd(),
            libc::SOL_SOCKET,
            libc::SO_DOMAIN,
            (&raw mut domain).cast(),
            &mut len,
        )
    };
    if r < 0 {
        return Err(io::Error::last_os_error()
            .raw_os_error()
            .unwrap_or(libc::ENOTSOCK) as i64);
    }
    Ok(domain as i64)
}

/// A sockaddr_un for `path`, or None when it does not fit sun_path.
fn sockaddr_of(path: &Path) -> Option<(libc::sockaddr_un, libc::socklen_t)> {
    // SAFETY: all-zero is a valid sockaddr_un.
    let mut sa: libc::sockaddr_un = unsafe { std::mem::zeroed() };
    sa.sun_family = libc::AF_UNIX as libc::sa_family_t;
    let bytes = path.as_os_str().as_bytes();
    if bytes.len() >= sa.sun_path.len() {
        return None;
    }
    for (dst, &b) in sa.sun_path.iter_mut().zip(bytes) {
        *dst = b as libc::c_char;
    }
    let len = std::mem::size_of::<libc::sa_family_t>() + bytes.len() + 1;
    Some((sa, len as libc::socklen_t))
}

/// The grate's private directory for bound sockets: 0700, made with
/// mkdtemp in $TMPDIR (or /tmp), removed with its contents at exit.
struct PrivateDir {
    path: PathBuf,
}

impl PrivateDir {
    fn new() -> io::Result<PrivateDir> {
        let base = std::env::temp_dir();
        // sun_path holds 107 bytes: leave room for "/s<N>".
        let base = if base.as_os_str().len() > 64 {
            PathBuf::from("/tmp")
        } else {
            base
        };
        let template = base.join("imfs-sockets-XXXXXX");
        let mut bytes = template.as_os_str().as_bytes().to_vec();
        bytes.push(0);
        // SAFETY: mkdtemp rewrites the NUL-terminated template in place.
        let made = unsafe { libc::mkdtemp(bytes.as_mut_ptr().cast()) };
        if made.is_null() {
            return Err(io::Error::last_os_error());
        }
        bytes.pop();
        Ok(PrivateDir {
            path: PathBuf::from(std::ffi::OsStr::from_bytes(&bytes)),
        })
    }
}

impl Drop for PrivateDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}
