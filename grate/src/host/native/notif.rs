//! The seccomp listener: receiving notifications, answering them, checking
//! that one is still pending, and installing fds in the caller (ADDFD).
//!
//! Thin wrappers over the ioctls (the `libseccomp` crate allocates on every
//! receive; this loop runs once per trapped syscall).

use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

/// One trapped syscall as the kernel reports it.
#[derive(Clone, Copy, Debug)]
pub struct Notification {
    /// The kernel's cookie for this call: every answer and ADDFD names it.
    pub id: u64,
    /// Thread id of the caller (in the grate's pid namespace).
    pub tid: u32,
    pub nr: u64,
    pub args: [u64; 6],
}

/// The listener fd handed back by `seccomp(SECCOMP_FILTER_FLAG_NEW_LISTENER)`.
pub struct Listener {
    fd: OwnedFd,
}

impl AsRawFd for Listener {
    fn as_raw_fd(&self) -> RawFd {
        self.fd.as_raw_fd()
    }
}

fn check(ret: libc::c_int) -> io::Result<libc::c_int> {
    if ret < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(ret)
    }
}

impl Listener {
    pub fn new(fd: OwnedFd) -> Listener {
        Listener { fd }
    }

    /// Asks the kernel to wake the served thread on the grate's CPU
    /// (SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP, Linux 6.6): a shorter round trip.
    /// Older kernels refuse it, which only costs speed.
    pub fn prefer_sync_wakeup(&self) {
        const SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP: u64 = 1;
        // SAFETY: the ioctl takes its flags by value and touches no memory of ours.
        unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SET_FLAGS,
                SECCOMP_USER_NOTIF_FD_SYNC_WAKE_UP,
            );
        }
    }

    /// Takes the next pending notification. ENOENT: its caller died
    /// before we got it; EINTR: interrupted. Both mean "poll again".
    pub fn receive(&self) -> io::Result<Notification> {
        // SAFETY: all-zero is a valid seccomp_notif, and the kernel insists on it.
        let mut req: libc::seccomp_notif = unsafe { std::mem::zeroed() };
        // SAFETY: `req` is a live, writable seccomp_notif.
        check(unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_RECV,
                &mut req,
            )
        })?;
        Ok(Notification {
            id: req.id,
            tid: req.pid,
            nr: req.data.nr as u64,
            args: req.data.args,
        })
    }

    fn send(&self, id: u64, val: i64, error: i32, flags: u32) {
        let mut resp = libc::seccomp_notif_resp {
            id,
            val,
            error,
            flags,
        };
        // An error (ENOENT) means the caller died meanwhile: nothing to answer.
        // SAFETY: `resp` is a live seccomp_notif_resp.
        unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_SEND,
                &mut resp,
            )
        };
    }

    /// Completes the call with `value` (>= 0) or `-errno`.
    pub fn answer(&self, id: u64, value: i64) {
        if value < 0 {
            self.send(id, 0, value.clamp(-4095, -1) as i32, 0);
        } else {
            self.send(id, value, 0, 0);
        }
    }

    /// Lets the kernel run the call itself.
    pub fn answer_continue(&self, id: u64) {
        self.send(id, 0, 0, libc::SECCOMP_USER_NOTIF_FLAG_CONTINUE as u32);
    }

    /// True while notification `id` is pending, i.e. its caller is alive and
    /// waiting: after this, what we read from "its" pid was really its memory.
    pub fn is_pending(&self, id: u64) -> bool {
        let mut id = id;
        // SAFETY: the ioctl reads one u64 from `id`.
        unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ID_VALID,
                &mut id,
            ) == 0
        }
    }

    /// Installs a copy of `src` in the caller of `id`: at its lowest free fd,
    /// or exactly at `at` (replacing what was there, as dup2 does).
    /// Returns the fd number in the caller.
    pub fn add_fd(&self, id: u64, src: RawFd, at: Option<i32>, cloexec: bool) -> io::Result<i32> {
        let mut req = libc::seccomp_notif_addfd {
            id,
            flags: if at.is_some() {
                libc::SECCOMP_ADDFD_FLAG_SETFD as u32
            } else {
                0
            },
            srcfd: src as u32,
            newfd: at.unwrap_or(0) as u32,
            newfd_flags: if cloexec { libc::O_CLOEXEC as u32 } else { 0 },
        };
        // SAFETY: `req` is a live seccomp_notif_addfd.
        check(unsafe {
            libc::ioctl(
                self.fd.as_raw_fd(),
                libc::SECCOMP_IOCTL_NOTIF_ADDFD,
                &mut req,
            )
        })
    }
}
