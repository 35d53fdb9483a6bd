//! [`NativeHost`]: the [`Host`] the dispatch sees while serving one
//! notification.

use super::fds::{Call, NativeFdTable};
use super::notif::Listener;
use super::{mem, procs};
use crate::host::{Abi, CageId, FdTable, Host};
use imfs_core::{Errno, Timespec};
use std::collections::HashMap;
use std::os::unix::ffi::OsStrExt;
use std::rc::Rc;

/// The caller of the notification being served.
#[derive(Clone, Copy, Debug)]
struct Caller {
    id: u64,
    tid: u32,
}

pub struct NativeHost<T: FdTable> {
    fds: NativeFdTable<T>,
    listener: Rc<Listener>,
    caller: Option<Caller>,
    mount: Option<Vec<u8>>,
    /// Which process each cage is (for /proc look-ups).
    pids: HashMap<CageId, u32>,
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
        }
    }

    /// Serving notification `id` from thread `tid` of process `tgid` starts.
    pub fn begin(&mut self, id: u64, tid: u32, tgid: u32) {
        self.caller = Some(Caller { id, tid });
        self.fds.set_call(Some(Call { id, tgid }));
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
    }

    pub fn table(&self) -> &NativeFdTable<T> {
        &self.fds
    }

    /// The caller, after checking its notification is still pending: the
    /// pid we are about to read from or write to is still that thread.
    fn caller_checked(&self) -> Result<Caller, Errno> {
        let caller = self.caller.ok_or(Errno::EFAULT)?;
        if self.listener.is_pending(caller.id) {
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
        let caller = self.caller_checked()?;
        mem::write(caller.tid, addr, data)
    }

    fn read_cstr(&mut self, _cage: CageId, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        let caller = self.caller.ok_or(Errno::EFAULT)?;
        let len = mem::read_cstr(caller.tid, addr, buf)?;
        self.caller_checked()?;
        Ok(len)
    }

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

    fn fds(&mut self) -> &mut dyn FdTable {
        &mut self.fds
    }
}
