//! [`NativeHost`]: the [`Host`] the dispatch sees while serving one
//! notification.

use super::fds::{errno_of, Call, NativeFdTable};
use super::notif::Listener;
use super::specials::NativeSpecials;
use super::{mem, procs, proxy};
use crate::host::{Abi, CageId, Creds, FdTable, FifoOpen, Host, Specials};
use imfs_core::{Clock, Errno, Timespec};
use std::collections::HashMap;
use std::ffi::CStr;
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::rc::Rc;

/// The caller of the notification being served.
#[derive(Clone, Copy, Debug)]
struct Caller {
    id: u64,
    tid: u32,
    /// A traced thread held in a ptrace stop, not a notification: its memory
    /// cannot change under us, and nothing may be written to it.
    stopped: bool,
}

pub struct NativeHost<T: FdTable> {
    fds: NativeFdTable<T>,
    listener: Rc<Listener>,
    caller: Option<Caller>,
    mount: Option<Vec<u8>>,
    /// Which process each cage is (for /proc look-ups).
    pids: HashMap<CageId, u32>,
    /// Each cage's credentials, read from /proc once and again after it
    /// calls a set*id or setgroups syscall.
    creds: HashMap<CageId, Creds>,
    /// Whether the notification being served passed SECCOMP_IOCTL_NOTIF_ID_VALID
    /// since its memory was last read.
    checked: bool,
    /// FIFOs and sockets on imfs names.
    specials: NativeSpecials,
}

impl<T: FdTable> NativeHost<T> {
    pub fn new(
        fds: NativeFdTable<T>,
        listener: Rc<Listener>,
        mount: Option<Vec<u8>>,
    ) -> NativeHost<T> {
        NativeHost {
            fds,
            listener,
            caller: None,
            mount,
            pids: HashMap::new(),
            creds: HashMap::new(),
            checked: false,
            specials: NativeSpecials::default(),
        }
    }

    /// Serving notification `id` from thread `tid` of process `tgid` starts.
    pub fn begin(&mut self, id: u64, tid: u32, tgid: u32) {
        self.caller = Some(Caller {
            id,
            tid,
            stopped: false,
        });
        self.checked = false;
        self.fds.set_call(Some(Call { id, tgid }));
    }

    /// Looking at thread `tid`, held in a ptrace stop, starts: its memory is
    /// readable, while writes and ADDFD fail (there is no call to answer).
    pub fn begin_stopped(&mut self, tid: u32) {
        self.caller = Some(Caller {
            id: 0,
            tid,
            stopped: true,
        });
        self.checked = false;
        self.fds.set_call(None);
    }

    /// No notification is being served: memory and ADDFD are unreachable.
    pub fn end(&mut self) {
        self.caller = None;
        self.fds.set_call(None);
    }

    pub fn bind(&mut self, cage: CageId, pid: u32) {
        self.pids.insert(cage, pid);
    }

    pub fn unbind(&mut self, cage: CageId) {
        self.pids.remove(&cage);
        self.creds.remove(&cage);
    }

    /// The cage changed its ids: read them again when next needed.
    pub fn forget_creds(&mut self, cage: CageId) {
        self.creds.remove(&cage);
    }

    /// Whether the call just served was parked (a FIFO open waiting for its
    /// partner, a blocking connect or send that has to wait): it is answered
    /// later, not now.
    pub fn take_parked(&mut self) -> bool {
        self.specials.take_parked()
    }

    /// Whether parked calls wait (their signals must be watched, sockets
    /// tried again).
    pub fn has_fifo_waiters(&self) -> bool {
        self.specials.has_waiters()
    }

    /// Forgets parked FIFO opens whose caller died and interrupts those a
    /// handled signal is waiting for.
    pub fn check_fifo_waiters(&mut self) {
        self.specials.check_waiters(&self.listener);
    }

    pub fn table(&self) -> &NativeFdTable<T> {
        &self.fds
    }

    /// The caller, after checking its notification is still pending: what
    /// was read from its pid really was its memory (a pid is not reused
    /// while its process waits on us), and the pid we write to is still it.
    fn caller_checked(&mut self) -> Result<Caller, Errno> {
        let caller = self.caller.ok_or(Errno::EFAULT)?;
        if caller.stopped || self.listener.is_pending(caller.id) {
            self.checked = true;
            Ok(caller)
        } else {
            Err(Errno::EFAULT)
        }
    }
}

impl<T: FdTable> Host for NativeHost<T> {
    fn read_mem(&mut self, _cage: CageId, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let caller = self.caller.ok_or(Errno::EFAULT)?;
        mem::read(caller.tid, addr, buf)?;
        // Checked after reading, before the dispatch acts on what was read.
        self.caller_checked().map(drop)
    }

    fn write_mem(&mut self, _cage: CageId, addr: u64, data: &[u8]) -> Result<(), Errno> {
        // One check per notification covers the writes: checking again
        // right before each would narrow, not close, the window.
        let caller = if self.checked {
            self.caller.ok_or(Errno::EFAULT)?
        } else {
            self.caller_checked()?
        };
        if caller.stopped {
            return Err(Errno::EFAULT);
        }
        mem::write(caller.tid, addr, data)
    }

    fn read_cstr(&mut self, _cage: CageId, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let caller = self.caller.ok_or(Errno::EFAULT)?;
        let len = mem::read_cstr(caller.tid, addr, buf)?;
        self.caller_checked()?;
        Ok(len)
    }

    fn clock(&self) -> &'static dyn Clock {
        &RealtimeClock
    }

    fn abi(&self) -> Abi {
        Abi::Kernel
    }

    fn mount_prefix(&self) -> Option<&[u8]> {
        self.mount.as_deref()
    }

    fn host_cwd(&mut self, cage: CageId, buf: &mut [u8]) -> Result<usize, Errno> {
        let pid = *self.pids.get(&cage).ok_or(Errno::ESRCH)?;
        let cwd = procs::cwd_of(pid).map_err(|_| Errno::ENOENT)?;
        let bytes = cwd.as_os_str().as_bytes();
        let out = buf.get_mut(..bytes.len()).ok_or(Errno::ENAMETOOLONG)?;
        out.copy_from_slice(bytes);
        Ok(bytes.len())
    }

    fn host_dir_of_fd(&mut self, cage: CageId, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        let pid = *self.pids.get(&cage).ok_or(Errno::ESRCH)?;
        let dir = procs::dir_of_fd(pid, fd).ok_or(Errno::ENOTDIR)?;
        let bytes = dir.as_os_str().as_bytes();
        let out = buf.get_mut(..bytes.len()).ok_or(Errno::ENAMETOOLONG)?;
        out.copy_from_slice(bytes);
        Ok(bytes.len())
    }

    fn read_host_path(&mut self, cage: CageId, nr: u64, args: &[u64; 6], path: &[u8]) -> i64 {
        let Some((_, read)) = proxy::Read::of(nr, args) else {
            return Errno::EXDEV.neg();
        };
        let mut c_path = [0u8; 2 * imfs_core::config::PATH_MAX + 2];
        let Some(dst) = c_path.get_mut(..path.len()) else {
            return Errno::ENAMETOOLONG.neg();
        };
        dst.copy_from_slice(path);
        let Ok(c_path) = CStr::from_bytes_until_nul(&c_path) else {
            return Errno::ENAMETOOLONG.neg();
        };
        let creds = self.creds(cage);
        let mut out = [0u8; proxy::OUT_LEN];
        let done = match read.run(c_path, &creds, &mut out) {
            Ok(done) => done,
            Err(code) => return -i64::from(code),
        };
        let delivered = match done {
            proxy::Done::Value(v) => Ok(v),
            proxy::Done::Bytes {
                out: to,
                len,
                value,
            } => self.write_mem(cage, to, &out[..len]).map(|()| value),
            proxy::Done::Fd { fd, cloexec } => self.caller_checked().and_then(|caller| {
                let got = self
                    .listener
                    .add_fd(caller.id, fd.as_raw_fd(), None, cloexec);
                got.map(i64::from).map_err(|e| errno_of(&e))
            }),
        };
        delivered.unwrap_or_else(Errno::neg)
    }

    fn fds(&mut self) -> &mut dyn FdTable {
        &mut self.fds
    }

    fn creds(&mut self, cage: CageId) -> Creds {
        if let Some(&creds) = self.creds.get(&cage) {
            return creds;
        }
        let tid = self
            .caller
            .map(|c| c.tid)
            .or_else(|| self.pids.get(&cage).copied());
        // Unreadable status (the process is gone): the grate's own ids,
        // which the program started with.
        let creds = tid
            .and_then(procs::creds_of)
            .unwrap_or_else(Creds::of_grate);
        self.creds.insert(cage, creds);
        creds
    }

    fn cage_pid(&self, cage: CageId) -> i32 {
        self.pids.get(&cage).map_or(cage as i32, |&pid| pid as i32)
    }

    fn specials(&mut self) -> Option<&mut dyn Specials> {
        Some(self)
    }
}

impl<T: FdTable> NativeHost<T> {
    fn pid(&self, cage: CageId) -> Result<u32, i64> {
        self.pids.get(&cage).copied().ok_or(Errno::ESRCH.neg())
    }
}

impl<T: FdTable> Specials for NativeHost<T> {
    fn fifo_open(
        &mut self,
        _cage: CageId,
        fifo: u64,
        flags: u32,
        cloexec: bool,
    ) -> Result<FifoOpen, Errno> {
        let caller = self.caller.ok_or(Errno::EBADF)?;
        self.specials
            .fifo_open(&self.listener, caller.id, caller.tid, fifo, flags, cloexec)
    }

    fn forget(&mut self, node: u64) {
        self.specials.forget(node);
    }

    fn socket_domain(&mut self, cage: CageId, fd: i32) -> i64 {
        match self.pid(cage) {
            Ok(pid) => self.specials.socket_domain(pid, fd),
            Err(e) => e,
        }
    }

    fn bind(&mut self, cage: CageId, fd: i32, node: u64) -> i64 {
        match self.pid(cage) {
            Ok(pid) => self.specials.bind(pid, fd, node),
            Err(e) => e,
        }
    }

    fn connect(&mut self, cage: CageId, fd: i32, node: u64) -> i64 {
        let Some(call) = self.caller.map(|c| (c.id, c.tid)) else {
            return Errno::EBADF.neg();
        };
        match self.pid(cage) {
            Ok(pid) => self.specials.connect(call, pid, fd, node),
            Err(e) => e,
        }
    }

    fn is_private_path(&self, path: &[u8]) -> bool {
        self.specials.is_private_path(path)
    }

    fn sendto(&mut self, cage: CageId, fd: i32, node: u64, data: &[u8], flags: u32) -> i64 {
        let Some(call) = self.caller.map(|c| (c.id, c.tid)) else {
            return Errno::EBADF.neg();
        };
        match self.pid(cage) {
            Ok(pid) => self.specials.sendto(call, pid, fd, node, data, flags),
            Err(e) => e,
        }
    }
}

/// CLOCK_REALTIME, as the kernel stamps tmpfs.
struct RealtimeClock;

impl Clock for RealtimeClock {
    fn now(&self) -> Timespec {
        let mut ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        };
        // SAFETY: clock_gettime writes one timespec.
        unsafe { libc::clock_gettime(libc::CLOCK_REALTIME, &mut ts) };
        Timespec {
            sec: ts.tv_sec,
            nsec: ts.tv_nsec,
        }
    }
}
