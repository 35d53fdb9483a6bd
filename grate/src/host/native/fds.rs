//! The native host's fd tables: bookkeeping in an inner table, numbers
//! chosen by the kernel.
//!
//! Every imfs fd is backed in the process by a placeholder (a sealed, empty
//! memfd) installed with SECCOMP_IOCTL_NOTIF_ADDFD. The kernel therefore
//! never hands an imfs fd's number to a pipe or socket, picks the numbers
//! itself (lowest free, within RLIMIT_NOFILE), and closes cloexec ones on exec
//! as it closes its own. An fd the grate does not know is the kernel's.

use super::notif::Listener;
use crate::host::{CageId, FdEntry, FdTable};
use imfs_core::{Errno, OfdId};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::rc::Rc;

/// How close to the fd limit the imfs fds, or the fd the kernel last picked
/// as lowest free, must come before [`FdTable::is_full`] counts the
/// process's real fds; below that it costs nothing.
const NEAR_FULL: usize = 64;

/// The notification being served: ADDFD can only target its caller.
#[derive(Clone, Copy, Debug)]
pub struct Call {
    pub id: u64,
    pub tgid: u32,
}

pub struct NativeFdTable<T: FdTable> {
    inner: T,
    listener: Rc<Listener>,
    placeholder: Placeholder,
    call: Option<Call>,
    /// Per cage, the fd the kernel picked last for a lowest-free insert:
    /// every fd below it was taken then, so a high one means a dense table.
    lowest_seen: HashMap<CageId, i32>,
}

/// The file every imfs fd points at in the kernel's table.
pub struct Placeholder {
    fd: OwnedFd,
    dev: u64,
    ino: u64,
}

impl Placeholder {
    /// An empty memfd sealed against growth and writes: a call that slips past
    /// the filter reads EOF and cannot write.
    pub fn new() -> io::Result<Placeholder> {
        // SAFETY: memfd_create with a NUL-terminated name.
        let raw = unsafe {
            libc::memfd_create(
                c"imfs".as_ptr(),
                libc::MFD_CLOEXEC | libc::MFD_ALLOW_SEALING,
            )
        };
        if raw < 0 {
            return Err(io::Error::last_os_error());
        }
        // SAFETY: `raw` is a fresh fd we own.
        let fd = unsafe { OwnedFd::from_raw_fd(raw) };
        let seals =
            libc::F_SEAL_SEAL | libc::F_SEAL_GROW | libc::F_SEAL_SHRINK | libc::F_SEAL_WRITE;
        // SAFETY: fcntl on our own fd with an integer argument.
        if unsafe { libc::fcntl(raw, libc::F_ADD_SEALS, seals) } < 0 {
            return Err(io::Error::last_os_error());
        }
        let st = std::fs::metadata(format!("/proc/self/fd/{raw}"))?;
        use std::os::unix::fs::MetadataExt;
        Ok(Placeholder {
            fd,
            dev: st.dev(),
            ino: st.ino(),
        })
    }

    /// True when fd `fd` of process `pid` is (still) a placeholder.
    pub fn is_at(&self, pid: u32, fd: i32) -> bool {
        use std::os::unix::fs::MetadataExt;
        std::fs::metadata(format!("/proc/{pid}/fd/{fd}"))
            .map(|st| st.dev() == self.dev && st.ino() == self.ino)
            .unwrap_or(false)
    }
}

impl<T: FdTable> NativeFdTable<T> {
    pub fn new(inner: T, listener: Rc<Listener>, placeholder: Placeholder) -> NativeFdTable<T> {
        NativeFdTable {
            inner,
            listener,
            placeholder,
            call: None,
            lowest_seen: HashMap::new(),
        }
    }

    /// Sets (or clears) the notification whose caller placeholders go to.
    pub fn set_call(&mut self, call: Option<Call>) {
        self.call = call;
    }

    pub fn placeholder(&self) -> &Placeholder {
        &self.placeholder
    }

    /// True when `fd` is an imfs fd of `cage`.
    pub fn is_imfs(&self, cage: CageId, fd: i32) -> bool {
        matches!(self.inner.get(cage, fd), Some(FdEntry::Imfs { .. }))
    }

    /// A cloexec imfs fd of `cage`, if any: exec closes it.
    pub fn some_cloexec_fd(&self, cage: CageId) -> Option<i32> {
        let mut found = None;
        self.inner.imfs_fds(cage, &mut |fd, _| {
            if found.is_none()
                && matches!(
                    self.inner.get(cage, fd),
                    Some(FdEntry::Imfs { cloexec: true, .. })
                )
            {
                found = Some(fd);
            }
        });
        found
    }

    fn add(&self, at: Option<i32>, cloexec: bool) -> Result<i32, Errno> {
        let call = self.call.ok_or(Errno::EBADF)?;
        self.listener
            .add_fd(call.id, self.placeholder.fd.as_raw_fd(), at, cloexec)
            .map_err(|e| errno_of(&e))
    }
}

/// Process `pid`'s RLIMIT_NOFILE: fds it may hold are below this.
fn fd_limit(pid: u32) -> Result<i32, Errno> {
    let mut lim = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: prlimit only writes `lim`.
    if unsafe {
        libc::prlimit(
            pid as libc::pid_t,
            libc::RLIMIT_NOFILE,
            std::ptr::null(),
            &mut lim,
        )
    } != 0
    {
        return Err(Errno::ESRCH);
    }
    Ok(lim.rlim_cur.min(i32::MAX as u64) as i32)
}

/// The fds process `pid` holds, sorted (at most its fd limit of them).
fn open_fds(pid: u32) -> Result<Vec<i32>, Errno> {
    let mut fds: Vec<i32> = std::fs::read_dir(format!("/proc/{pid}/fd"))
        .map_err(|_| Errno::ESRCH)?
        .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
        .collect();
    fds.sort_unstable();
    Ok(fds)
}

/// The lowest fd >= `min` free in process `pid` below its RLIMIT_NOFILE
/// (F_DUPFD's rule: EINVAL when `min` is at or past the limit, EMFILE when
/// nothing is free).
fn lowest_free_from(pid: u32, min: i32) -> Result<i32, Errno> {
    let limit = fd_limit(pid)?;
    if min >= limit {
        return Err(Errno::EINVAL);
    }
    let mut candidate = min;
    for fd in open_fds(pid)?.into_iter().filter(|&fd| fd >= min) {
        if fd == candidate {
            candidate += 1;
        } else if fd > candidate {
            break;
        }
    }
    if candidate >= limit {
        Err(Errno::EMFILE)
    } else {
        Ok(candidate)
    }
}

/// The errno of a failed ioctl as the core's type (ADDFD fails with these).
pub fn errno_of(e: &io::Error) -> Errno {
    match e.raw_os_error() {
        Some(libc::EMFILE) => Errno::EMFILE,
        Some(libc::EBADF) => Errno::EBADF,
        Some(libc::ENOMEM) => Errno::ENOMEM,
        Some(libc::EINVAL) => Errno::EINVAL,
        Some(libc::ENOENT) | Some(libc::ESRCH) => Errno::ESRCH,
        _ => Errno::EIO,
    }
}

impl<T: FdTable> FdTable for NativeFdTable<T> {
    fn insert_lowest(
        &mut self,
        cage: CageId,
        min: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<i32, Errno> {
        let at = match (min, self.call) {
            (min, _) if min <= 0 => None,
            (min, Some(call)) => Some(lowest_free_from(call.tgid, min)?),
            (_, None) => return Err(Errno::EBADF),
        };
        let fd = self.add(at, cloexec)?;
        if at.is_none() {
            self.lowest_seen.insert(cage, fd);
        }
        // The number is the kernel's choice: the inner table takes it as given.
        match self.inner.insert_at(cage, fd, ofd, cloexec) {
            Ok(_) => Ok(fd),
            // Past the inner table's range, which the RLIMIT_NOFILE set at
            // start rules out: the placeholder would stay as a dead host fd
            // (the kernel gives no way to close it from here).
            Err(_) => Err(Errno::EMFILE),
        }
    }

    fn insert_at(
        &mut self,
        cage: CageId,
        fd: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<Option<OfdId>, Errno> {
        if fd < 0 {
            return Err(Errno::EBADF);
        }
        // Bookkeeping first (it checks the range), the kernel second, so a
        // refused number never reaches the process.
        let before = self.inner.get(cage, fd);
        let displaced = self.inner.insert_at(cage, fd, ofd, cloexec)?;
        if let Err(e) = self.add(Some(fd), cloexec) {
            // Undo: put back what the slot held (these cannot fail now).
            match before {
                Some(FdEntry::Imfs { ofd, cloexec }) => {
                    let _ = self.inner.insert_at(cage, fd, ofd, cloexec);
                }
                _ => {
                    self.inner.remove(cage, fd);
                }
            }
            return Err(e);
        }
        Ok(displaced)
    }

    fn get(&self, cage: CageId, fd: i32) -> Option<FdEntry> {
        if fd < 0 {
            return None;
        }
        match self.inner.get(cage, fd) {
            Some(entry @ FdEntry::Imfs { .. }) => Some(entry),
            _ => Some(FdEntry::Host),
        }
    }

    /// Bookkeeping only: the placeholder goes when the process's own close,
    /// close_range or dup2 runs (the host answers those CONTINUE).
    fn remove(&mut self, cage: CageId, fd: i32) -> Option<OfdId> {
        self.inner.remove(cage, fd)
    }

    fn set_cloexec(&mut self, cage: CageId, fd: i32, cloexec: bool) -> Result<(), Errno> {
        if !self.is_imfs(cage, fd) {
            return Err(Errno::EBADF);
        }
        // Re-install the placeholder over itself with the new flag, so the
        // kernel's exec closes exactly the fds the table says.
        self.add(Some(fd), cloexec)?;
        self.inner.set_cloexec(cage, fd, cloexec)
    }

    fn fork(&mut self, parent: CageId, child: CageId) -> Result<(), Errno> {
        self.inner.fork(parent, child)?;
        if let Some(&seen) = self.lowest_seen.get(&parent) {
            self.lowest_seen.insert(child, seen);
        }
        Ok(())
    }

    fn exec(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        self.inner.exec(cage, closed)
    }

    fn exit(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        self.lowest_seen.remove(&cage);
        self.inner.exit(cage, closed)
    }

    fn imfs_fds(&self, cage: CageId, f: &mut dyn FnMut(i32, OfdId)) {
        self.inner.imfs_fds(cage, f)
    }

    fn cage_start(&mut self, cage: CageId) -> Result<(), Errno> {
        self.inner.cage_start(cage)
    }

    /// Exact, so that open(O_CREAT) on a full table creates nothing: the
    /// kernel's table also holds host fds the grate never sees (inherited,
    /// pipes, sockets), so when the imfs fds alone come near the limit the
    /// process's fds are counted.
    fn is_full(&self, cage: CageId) -> bool {
        if self.inner.is_full(cage) {
            return true;
        }
        let Some(call) = self.call else {
            return false;
        };
        let Ok(limit) = fd_limit(call.tgid) else {
            return false;
        };
        let mut imfs = 0usize;
        self.inner.imfs_fds(cage, &mut |_, _| imfs += 1);
        let lowest_seen = self.lowest_seen.get(&cage).copied().unwrap_or(0).max(0) as usize;
        if imfs.max(lowest_seen) + NEAR_FULL < limit as usize {
            return false;
        }
        open_fds(call.tgid)
            .map(|fds| fds.iter().filter(|&&fd| fd < limit).count() >= limit as usize)
            .unwrap_or(false)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowest_free_skips_open_fds() {
        let me = std::process::id();
        // 0-2 are open in the test process; some fd >= 3 is free below the limit.
        let fd = lowest_free_from(me, 0).unwrap();
        assert!(fd >= 3 || std::fs::metadata(format!("/proc/{me}/fd/{fd}")).is_err());
        let high = lowest_free_from(me, 900).unwrap();
        assert!(high >= 900);
        assert!(std::fs::metadata(format!("/proc/{me}/fd/{high}")).is_err());
        assert_eq!(lowest_free_from(me, i32::MAX), Err(Errno::EINVAL));
    }

    #[test]
    fn placeholder_recognises_itself() {
        let p = Placeholder::new().unwrap();
        let me = std::process::id();
        assert!(p.is_at(me, p.fd.as_raw_fd()));
        assert!(!p.is_at(me, 0));
        // Writes to a sealed placeholder fail; reads see EOF.
        let mut b = [0u8; 1];
        // SAFETY: plain read/write on our own fd with a live buffer.
        unsafe {
            assert_eq!(libc::write(p.fd.as_raw_fd(), b.as_ptr().cast(), 1), -1);
            assert_eq!(libc::read(p.fd.as_raw_fd(), b.as_mut_ptr().cast(), 1), 0);
        }
    }
}
