//! Starting the program: fork; the child loads the filter and execs.
//!
//! Everything that allocates (the BPF program, argv, envp, the message
//! buffers) is built before fork: the child makes only async-signal-safe
//! calls, so `run` may be called from a multithreaded process.

use super::filter::{self, Filter};
use std::ffi::{CString, OsStr, OsString};
use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd};
use std::os::unix::ffi::{OsStrExt, OsStringExt};

/// The started program: its pid and the listener for its trapped calls.
pub struct Spawned {
    pub pid: u32,
    pub listener: OwnedFd,
}

/// Forks and execs `program` under the filter. `child_mask` is the signal
/// mask the program starts with (the grate blocks signals it reads from a
/// signalfd; the program must not inherit that); `fd_cap` bounds its
/// RLIMIT_NOFILE.
pub fn spawn(
    program: &OsStr,
    args: &[OsString],
    env_extra: &[(String, String)],
    child_mask: &libc::sigset_t,
    fd_cap: u64,
) -> io::Result<Spawned> {
    let filter = Filter::build()?;
    let prog = filter.prog();
    let path = cstring(resolve(program).as_os_str())?;
    let argv_owned: Vec<CString> = std::iter::once(program)
        .chain(args.iter().map(|a| a.as_os_str()))
        .map(cstring)
        .collect::<io::Result<_>>()?;
    let envp_owned = environment(env_extra)?;
    let argv = null_terminated(&argv_owned);
    let envp = null_terminated(&envp_owned);
    let exec_failed =
        format!("imfs-grate: cannot run {}: ", program.to_string_lossy()).into_bytes();
    let (parent_sock, child_sock) = socketpair()?;
    // SAFETY: getpid has no failure mode.
    let parent_pid = unsafe { libc::getpid() };

    // SAFETY: the child branch below only makes async-signal-safe calls on
    // memory prepared above, then execs or _exits.
    let pid = unsafe { libc::fork() };
    if pid < 0 {
        return Err(io::Error::last_os_error());
    }
    if pid == 0 {
        // SAFETY: see above; every pointer refers to memory built before fork.
        unsafe {
            child(
                &prog,
                child_sock.as_raw_fd(),
                parent_pid,
                &path,
                &argv,
                &envp,
                &exec_failed,
                child_mask,
                fd_cap,
            )
        }
    }
    drop(child_sock);
    drop(filter);
    match receive_listener(&parent_sock) {
        Ok(listener) => Ok(Spawned {
            pid: pid as u32,
            listener,
        }),
        Err(e) => {
            // SAFETY: reaping our own child; status is a live int.
            unsafe { libc::waitpid(pid, std::ptr::null_mut(), 0) };
            Err(e)
        }
    }
}

/// The child between fork and exec.
///
/// # Safety
/// Only async-signal-safe calls; all pointers are to memory prepared before fork.
#[allow(clippy::too_many_arguments)]
unsafe fn child(
    prog: &libc::sock_fprog,
    sock: i32,
    parent: libc::pid_t,
    path: &CString,
    argv: &[*const libc::c_char],
    envp: &[*const libc::c_char],
    exec_failed: &[u8],
    mask: &libc::sigset_t,
    fd_cap: u64,
) -> ! {
    // SAFETY (whole body): async-signal-safe syscalls on prepared memory.
    unsafe {
        libc::sigprocmask(libc::SIG_SETMASK, mask, std::ptr::null_mut());
        // Without the grate its calls would fail: die with it.
        libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL, 0, 0, 0);
        // The cage's fd table holds `fd_cap` fds (imfs.toml's fds_per_cage):
        // the kernel's, which numbers them all, must stop there too.
        let mut lim = libc::rlimit {
            rlim_cur: 0,
            rlim_max: 0,
        };
        if libc::getrlimit(libc::RLIMIT_NOFILE, &mut lim) == 0 {
            lim.rlim_cur = lim.rlim_cur.min(fd_cap);
            lim.rlim_max = lim.rlim_max.min(fd_cap);
            libc::setrlimit(libc::RLIMIT_NOFILE, &lim);
        }
        if libc::getppid() != parent {
            libc::_exit(126);
        }
        match filter::install(prog) {
            Ok(listener) => send_fd(sock, listener, 0),
            Err(errno) => {
                send_fd(sock, -1, errno);
                libc::_exit(126);
            }
        }
        // The listener and the socket are cloexec: the program starts with
        // the fds the grate was started with, nothing more.
        libc::execve(path.as_ptr(), argv.as_ptr(), envp.as_ptr());
        let errno = *libc::__errno_location();
        libc::write(2, exec_failed.as_ptr().cast(), exec_failed.len());
        let msg = exec_error_text(errno);
        libc::write(2, msg.as_ptr().cast(), msg.len());
        libc::_exit(if errno == libc::ENOENT { 127 } else { 126 });
    }
}

/// Why exec failed, from static text (strerror may lock or allocate,
/// which a forked child of a threaded process must not).
fn exec_error_text(errno: i32) -> &'static str {
    match errno {
        libc::ENOENT => "No such file or directory\n",
        libc::EACCES => "Permission denied\n",
        libc::ENOEXEC => "Exec format error\n",
        libc::ENOTDIR => "Not a directory\n",
        libc::E2BIG => "Argument list too long\n",
        libc::ENOMEM => "Cannot allocate memory\n",
        libc::ELOOP => "Too many levels of symbolic links\n",
        libc::ETXTBSY => "Text file busy\n",
        _ => "exec failed\n",
    }
}

/// Sends `errno` as data and, when `fd` >= 0, `fd` as SCM_RIGHTS.
/// Async-signal-safe: stack buffers only.
unsafe fn send_fd(sock: i32, fd: i32, errno: i32) {
    let mut data = errno;
    let mut iov = libc::iovec {
        iov_base: (&raw mut data).cast(),
        iov_len: 4,
    };
    let mut cbuf = [0u64; 4]; // room for one cmsghdr + one int, aligned
                              // SAFETY: all-zero is a valid msghdr.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    // SAFETY: the CMSG macros compute offsets inside `cbuf`, which is large enough.
    unsafe {
        if fd >= 0 {
            msg.msg_control = cbuf.as_mut_ptr().cast();
            msg.msg_controllen = libc::CMSG_SPACE(4) as usize;
            let cmsg = libc::CMSG_FIRSTHDR(&msg);
            (*cmsg).cmsg_level = libc::SOL_SOCKET;
            (*cmsg).cmsg_type = libc::SCM_RIGHTS;
            (*cmsg).cmsg_len = libc::CMSG_LEN(4) as usize;
            std::ptr::write_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>(), fd);
        }
        libc::sendmsg(sock, &msg, 0);
    }
}

/// The listener the child sent, or the errno it failed with.
fn receive_listener(sock: &OwnedFd) -> io::Result<OwnedFd> {
    let mut data = 0i32;
    let mut iov = libc::iovec {
        iov_base: (&raw mut data).cast(),
        iov_len: 4,
    };
    let mut cbuf = [0u64; 4];
    // SAFETY: all-zero is a valid msghdr; buffers outlive the call.
    let mut msg: libc::msghdr = unsafe { std::mem::zeroed() };
    msg.msg_iov = &mut iov;
    msg.msg_iovlen = 1;
    msg.msg_control = cbuf.as_mut_ptr().cast();
    msg.msg_controllen = std::mem::size_of_val(&cbuf);
    // SAFETY: recvmsg into the buffers above.
    let n = unsafe { libc::recvmsg(sock.as_raw_fd(), &mut msg, libc::MSG_CMSG_CLOEXEC) };
    if n < 0 {
        return Err(io::Error::last_os_error());
    }
    if n == 0 {
        return Err(io::Error::other(
            "the program exited before loading the seccomp filter",
        ));
    }
    if data != 0 {
        let e = io::Error::from_raw_os_error(data);
        return Err(io::Error::new(
            e.kind(),
            format!("loading the seccomp filter: {e}"),
        ));
    }
    // SAFETY: the kernel filled the control buffer; the CMSG macros walk it.
    unsafe {
        let cmsg = libc::CMSG_FIRSTHDR(&msg);
        if cmsg.is_null()
            || (*cmsg).cmsg_level != libc::SOL_SOCKET
            || (*cmsg).cmsg_type != libc::SCM_RIGHTS
        {
            return Err(io::Error::other("the program sent no seccomp listener"));
        }
        let fd = std::ptr::read_unaligned(libc::CMSG_DATA(cmsg).cast::<i32>());
        Ok(OwnedFd::from_raw_fd(fd))
    }
}

fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0i32; 2];
    // SAFETY: socketpair writes two fds into `fds`.
    if unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_SEQPACKET | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    } != 0
    {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: two fresh fds we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `program` as execvp would find it: as given when it holds a '/', else
/// the first executable file of that name on PATH (or as given, so that
/// execve fails with ENOENT).
fn resolve(program: &OsStr) -> std::path::PathBuf {
    if program.as_bytes().contains(&b'/') {
        return program.into();
    }
    let path = std::env::var_os("PATH").unwrap_or_else(|| "/usr/local/bin:/usr/bin:/bin".into());
    std::env::split_paths(&path)
        .map(|dir| dir.join(program))
        .find(|candidate| {
            use std::os::unix::fs::PermissionsExt;
            std::fs::metadata(candidate)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
        .unwrap_or_else(|| program.into())
}

/// The grate's environment with `extra` set (replacing same-named variables).
fn environment(extra: &[(String, String)]) -> io::Result<Vec<CString>> {
    let mut vars: Vec<(OsString, OsString)> = std::env::vars_os()
        .filter(|(k, _)| !extra.iter().any(|(e, _)| OsStr::new(e) == k))
        .collect();
    vars.extend(extra.iter().map(|(k, v)| (k.into(), v.into())));
    vars.into_iter()
        .map(|(k, v)| {
            let mut kv = k.into_vec();
            kv.push(b'=');
            kv.extend(v.into_vec());
            cstring(OsStr::from_bytes(&kv))
        })
        .collect()
}

fn cstring(s: &OsStr) -> io::Result<CString> {
    CString::new(s.as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "argument holds a NUL byte"))
}

fn null_terminated(strings: &[CString]) -> Vec<*const libc::c_char> {
    strings
        .iter()
        .map(|s| s.as_ptr())
        .chain(std::iter::once(std::ptr::null()))
        .collect()
}
