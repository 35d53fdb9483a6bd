//! [`restart::Probe`](super::restart::Probe) for a thread held in a ptrace
//! stop: what its fds are (from /proc) and whether a path names a FIFO (asked
//! of the dispatch, whose path rules decide what is imfs, then of the host).

use super::host::NativeHost;
use super::mem;
use super::restart::Probe;
use crate::host::{Abi, CageId, Creds, FdTable, Host, Reply};
use crate::Grate;
use imfs_core::flags::{S_IFIFO, S_IFMT};
use imfs_core::{Clock, Errno};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileTypeExt;

const NEWFSTATAT: u64 = 262;
const AT_FDCWD: i32 = -100;
/// Where the probe's stat "lands": [`Capture`] keeps it, the thread is not written.
const NOWHERE: u64 = 0x1000;
/// st_mode's offset in x86_64's struct stat.
const ST_MODE: usize = 24;

pub struct TraceeProbe<'a, T: FdTable> {
    pub grate: &'a mut Grate,
    pub host: &'a mut NativeHost<T>,
    /// The thread's cage, when the grate knows its process.
    pub cage: Option<CageId>,
    pub tid: u32,
    pub tgid: u32,
}

impl<T: FdTable> Probe for TraceeProbe<'_, T> {
    fn fd_never_sleeps(&mut self, fd: i32) -> bool {
        if fd < 0 {
            return true;
        }
        std::fs::metadata(format!("/proc/{}/fd/{fd}", self.tid))
            .map(|m| m.is_file() || m.is_dir())
            .unwrap_or(true)
    }

    fn fd_is_imfs(&mut self, fd: i32) -> bool {
        self.host.table().placeholder().is_at(self.tgid, fd)
    }

    fn path_is_fifo(&mut self, dirfd: i32, addr: u64) -> bool {
        if let Some(cage) = self.cage {
            self.host.begin_stopped(self.tid);
            let mut capture = Capture {
                inner: &mut *self.host,
                stat: [0; 256],
                host_path: [0; HOST_PATH_MAX],
                host_path_len: None,
            };
            let args = [dirfd as i64 as u64, addr, NOWHERE, 0, 0, 0];
            let reply = self.grate.dispatch(&mut capture, cage, NEWFSTATAT, args);
            let mode = u32::from_ne_bytes(capture.stat[ST_MODE..ST_MODE + 4].try_into().unwrap());
            let left_imfs = capture
                .host_path_len
                .map(|n| capture.host_path[..n].to_vec());
            self.host.end();
            if let Some(path) = left_imfs {
                // The path left imfs for this host path (.., a symlink).
                return is_fifo(std::path::Path::new(std::ffi::OsStr::from_bytes(&path)));
            }
            match reply {
                Reply::Value(0) => return mode & S_IFMT == S_IFIFO,
                // An imfs path that does not resolve: open fails or creates a file.
                Reply::Value(_) => return false,
                Reply::Continue => {}
            }
        }
        host_path_is_fifo(self.tid, dirfd, addr)
    }
}

/// Room for a host path the dispatch rewrote (a host directory joined with
/// the rest of the argument).
const HOST_PATH_MAX: usize = 2 * imfs_core::config::PATH_MAX + 2;

fn is_fifo(path: &std::path::Path) -> bool {
    std::fs::metadata(path)
        .map(|m| m.file_type().is_fifo())
        .unwrap_or(false)
}

/// Whether the host path at `addr` in thread `tid`'s memory, relative to its
/// `dirfd` or cwd, names a FIFO.
fn host_path_is_fifo(tid: u32, dirfd: i32, addr: u64) -> bool {
    let mut buf = [0u8; libc::PATH_MAX as usize];
    let Ok(len) = mem::read_cstr(tid, addr, &mut buf) else {
        return false;
    };
    let path = &buf[..len];
    let full = if path.starts_with(b"/") {
        std::path::PathBuf::from(std::ffi::OsStr::from_bytes(path))
    } else {
        let base = if dirfd == AT_FDCWD {
            format!("/proc/{tid}/cwd")
        } else {
            format!("/proc/{tid}/fd/{dirfd}")
        };
        std::path::Path::new(&base).join(std::ffi::OsStr::from_bytes(path))
    };
    is_fifo(&full)
}

/// The native host with writes to the thread kept here instead, and host
/// paths the dispatch would read on the caller's behalf noted, not read.
struct Capture<'h> {
    inner: &'h mut dyn Host,
    stat: [u8; 256],
    host_path: [u8; HOST_PATH_MAX],
    host_path_len: Option<usize>,
}

impl Host for Capture<'_> {
    fn read_mem(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        self.inner.read_mem(cage, addr, buf)
    }

    fn write_mem(&mut self, _cage: CageId, addr: u64, data: &[u8]) -> Result<(), Errno> {
        if addr == NOWHERE {
            let n = data.len().min(self.stat.len());
            self.stat[..n].copy_from_slice(&data[..n]);
        }
        Ok(())
    }

    fn read_cstr(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        self.inner.read_cstr(cage, addr, buf)
    }

    fn clock(&self) -> &'static dyn Clock {
        self.inner.clock()
    }

    fn abi(&self) -> Abi {
        self.inner.abi()
    }

    fn mount_prefix(&self) -> Option<&[u8]> {
        self.inner.mount_prefix()
    }

    fn host_cwd(&mut self, cage: CageId, buf: &mut [u8]) -> Result<usize, Errno> {
        self.inner.host_cwd(cage, buf)
    }

    fn host_dir_of_fd(&mut self, cage: CageId, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        self.inner.host_dir_of_fd(cage, fd, buf)
    }

    fn read_host_path(&mut self, _cage: CageId, _nr: u64, _args: &[u64; 6], path: &[u8]) -> i64 {
        let n = path.iter().position(|&b| b == 0).unwrap_or(path.len());
        if let Some(dst) = self.host_path.get_mut(..n) {
            dst.copy_from_slice(&path[..n]);
            self.host_path_len = Some(n);
        }
        Errno::EXDEV.neg()
    }

    fn fds(&mut self) -> &mut dyn FdTable {
        self.inner.fds()
    }

    fn creds(&mut self, cage: CageId) -> Creds {
        self.inner.creds(cage)
    }

    fn cage_pid(&self, cage: CageId) -> i32 {
        self.inner.cage_pid(cage)
    }
}
