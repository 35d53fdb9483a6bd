//! The native Linux host: real, natively compiled programs run under the
//! grate through seccomp user notification.
//!
//! `imfs-grate PROGRAM ARGS...` forks; the child sets no_new_privs, loads a
//! filter that sends the file syscalls to the grate
//! (SECCOMP_RET_USER_NOTIF), hands the listener back over a socketpair and
//! execs PROGRAM. The grate serves each notification through
//! [`Grate::dispatch`], the same entry point the Lind adapter uses, reading
//! and writing the process's memory with process_vm_readv/writev; calls that
//! are not the grate's run in the kernel (SECCOMP_USER_NOTIF_FLAG_CONTINUE).
//!
//! **For testing and development, not a security boundary.** A call let
//! through re-reads its arguments from the process's memory after the grate
//! looked at them, so another thread can swap a path or buffer in between
//! (time-of-check to time-of-use); seccomp's own documentation says user
//! notification must not be used to enforce policy this way. Calls the
//! filter does not list (io_uring, for one) reach the kernel unseen.
//!
//! Two modes: the default, root mode, makes every path imfs (the program
//! must be static: a dynamic loader's opens would land in imfs; exec itself
//! passes through, as the binary is the host's). `--mount PREFIX` puts imfs
//! at PREFIX and leaves every other path the host's, so dynamically linked
//! programs and shell scripts run unchanged.
//!
//! Known limits: a served call costs one seccomp round trip (about 12-15 us
//! on the development VM, against under 1 us in the kernel; see
//! `benches/native_roundtrip.rs`); exec of a file that lives in imfs is not
//! supported (exec passes through to the host); a process sharing its fd
//! table without being a thread (clone with CLONE_FILES) is treated as a
//! fork; when two processes with pending forks die at once, their orphaned
//! children may swap snapshots; `open(O_CREAT)` in a process holding more
//! than a few dozen host fds right at its fd limit may create the file before
//! failing with EMFILE. FIFOs and Unix-domain sockets on imfs paths: see
//! `specials` (and the README's known limits).
//!
//! Signals: a signal that lands before the grate has received a trapped call
//! would make that call fail with EINTR even where Linux never does, when its
//! handler lacks SA_RESTART; processes that install such a handler are traced
//! so those calls restart instead (`tracer`, `restart`).
//!
//! Modules: [`filter`] (which calls are trapped), `spawn` (fork + filter +
//! exec), `notif` (listener ioctls), `mem` (process memory), `fds` (fd table
//! over kernel placeholders), `host` ([`Host`](crate::host::Host) for one
//! notification), `procs` (/proc and pidfds), `specials` (FIFOs as kernel
//! pipes, Unix-domain sockets bound at a private path), `supervise` (the
//! loop; how fork, exec, threads and exit are tracked), `tracer` (ptrace
//! stops, restarting interrupted calls), `restart` (which interrupted calls
//! restart), `probe` (what a stopped thread's fds and paths are).

pub mod filter;

mod fds;
mod host;
mod mem;
mod notif;
mod probe;
mod procs;
mod proxy;
mod restart;
mod spawn;
mod specials;
mod supervise;
mod tracer;

use crate::fdtable::LocalFdTable;
use crate::Grate;
use std::ffi::{OsStr, OsString};
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::path::Path;
use std::rc::Rc;

/// Runs `program` with `args` under `grate` until it and every process it
/// started are gone. `mount`: `--mount PREFIX` (None = root mode).
/// `env_extra` is added to the program's environment. Returns the exit
/// status to use: the program's exit code, or 128 + the signal that killed it.
pub fn run(
    grate: &mut Grate,
    mount: Option<&Path>,
    program: &OsStr,
    args: &[OsString],
    env_extra: &[(String, String)],
) -> io::Result<i32> {
    let mount = mount.map(normalize_mount).transpose()?;
    let _mount_point = mount.as_deref().map(MountPoint::ensure);
    // SAFETY: prctl with integer arguments. The grate reaps orphans, so it
    // sees the end of every process the program starts.
    if unsafe { libc::prctl(libc::PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0) } != 0 {
        return Err(io::Error::last_os_error());
    }
    let signals = SignalGuard::block()?;
    let fd_cap = imfs_core::config::FDS_PER_CAGE as u64;
    let spawned = spawn::spawn(program, args, env_extra, &signals.old_mask, fd_cap)?;
    let listener = Rc::new(notif::Listener::new(spawned.listener));
    listener.prefer_sync_wakeup();
    let fds = fds::NativeFdTable::new(
        LocalFdTable::new(),
        listener.clone(),
        fds::Placeholder::new()?,
    );
    let mut supervisor = supervise::Supervisor::new(grate, fds, listener, mount, signals.raw_fd());
    if let Err(e) = supervisor.start(spawned.pid) {
        // SAFETY: killing and reaping our own child.
        unsafe {
            libc::kill(spawned.pid as libc::pid_t, libc::SIGKILL);
            libc::waitpid(spawned.pid as libc::pid_t, std::ptr::null_mut(), 0);
        }
        return Err(e);
    }
    supervisor.run()
}

/// PREFIX as the dispatch compares it: absolute, no trailing '/', not "/".
fn normalize_mount(prefix: &Path) -> io::Result<Vec<u8>> {
    let bytes = prefix.as_os_str().as_bytes();
    let trimmed = &bytes[..bytes.len() - bytes.iter().rev().take_while(|&&b| b == b'/').count()];
    if !bytes.starts_with(b"/") || trimmed.is_empty() {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            "--mount needs an absolute path other than / (without --mount, every path is imfs)",
        ));
    }
    Ok(trimmed.to_vec())
}

/// The host directory at PREFIX, made for the run when it is missing and
/// removed afterwards. Like a real mount point it must exist: the kernel
/// resolves passed-through paths such as `PREFIX/..` or `PREFIX/../etc`
/// literally, component by component, and fails with ENOENT if PREFIX is not
/// there. Only empty directories the grate created are removed; nothing is
/// ever written inside PREFIX on the host (imfs serves everything below it).
struct MountPoint {
    created: Vec<std::path::PathBuf>,
}

impl MountPoint {
    fn ensure(prefix: &[u8]) -> MountPoint {
        let mut missing = Vec::new();
        let mut dir = Path::new(OsStr::from_bytes(prefix));
        while !dir.exists() {
            missing.push(dir.to_path_buf());
            match dir.parent() {
                Some(parent) => dir = parent,
                None => break,
            }
        }
        let mut created = Vec::new();
        // Outermost first; a failure (no permission) leaves only `..` across
        // PREFIX unresolvable, as before.
        for dir in missing.into_iter().rev() {
            if std::fs::create_dir(&dir).is_err() {
                break;
            }
            created.push(dir);
        }
        MountPoint { created }
    }
}

impl Drop for MountPoint {
    fn drop(&mut self) {
        for dir in self.created.iter().rev() {
            let _ = std::fs::remove_dir(dir);
        }
    }
}

/// Blocks the signals the grate reads from a signalfd (SIGCHLD for reaping,
/// SIGTERM/SIGHUP to pass on, SIGINT/SIGQUIT, which the terminal already
/// sends the program) and restores the old mask when dropped.
struct SignalGuard {
    old_mask: libc::sigset_t,
    fd: Option<OwnedFd>,
}

impl SignalGuard {
    fn block() -> io::Result<SignalGuard> {
        // SAFETY: sigset operations on local sets; signalfd returns a new fd.
        unsafe {
            let mut set: libc::sigset_t = std::mem::zeroed();
            libc::sigemptyset(&mut set);
            for sig in [
                libc::SIGCHLD,
                libc::SIGTERM,
                libc::SIGHUP,
                libc::SIGINT,
                libc::SIGQUIT,
            ] {
                libc::sigaddset(&mut set, sig);
            }
            let mut old_mask: libc::sigset_t = std::mem::zeroed();
            libc::pthread_sigmask(libc::SIG_BLOCK, &set, &mut old_mask);
            let fd = libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC);
            if fd < 0 {
                let e = io::Error::last_os_error();
                libc::pthread_sigmask(libc::SIG_SETMASK, &old_mask, std::ptr::null_mut());
                return Err(e);
            }
            Ok(SignalGuard {
                old_mask,
                fd: Some(OwnedFd::from_raw_fd(fd)),
            })
        }
    }

    fn raw_fd(&self) -> std::os::fd::RawFd {
        use std::os::fd::AsRawFd;
        self.fd.as_ref().map_or(-1, |fd| fd.as_raw_fd())
    }
}

impl Drop for SignalGuard {
    fn drop(&mut self) {
        self.fd = None;
        // SAFETY: restores the mask saved in `block`.
        unsafe { libc::pthread_sigmask(libc::SIG_SETMASK, &self.old_mask, std::ptr::null_mut()) };
    }
}
