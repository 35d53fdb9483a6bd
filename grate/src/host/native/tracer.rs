//! ptrace, used for one thing: restarting trapped calls that a signal
//! interrupted before the grate received them.
//!
//! # The window
//! A trapped call waits for the grate in `seccomp_do_user_notification`,
//! interruptibly until the grate has received it (SECCOMP_IOCTL_NOTIF_RECV),
//! killably after (SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV). A signal that
//! lands before the receive ends the wait with -ERESTARTSYS and the call
//! never reaches the grate; if the signal has a handler without SA_RESTART
//! (dash's SIGCHLD handler, for one), the program sees EINTR from a call that
//! never fails so natively: stat, open of a regular file, close, fork. No
//! receive latency, however short, closes that window. Without such a
//! handler the kernel restarts the call by itself.
//!
//! # The repair
//! A process that installs a handler without SA_RESTART (rt_sigaction is
//! trapped for this) is traced from then on, all its threads, before the
//! handler is in place (PTRACE_SEIZE; its later forks, vforks and threads are
//! traced by the kernel, as they inherit the handler). There are no syscall
//! stops: the only stops are signal deliveries (and the kernel's fork/attach
//! events, resumed at once). At a signal-delivery stop the kernel has not yet
//! decided between EINTR and a restart: when the thread's registers show a
//! trapped call returning -ERESTARTSYS that [`super::restart`] says never
//! sleeps interruptibly natively, the grate rewrites the return to
//! -ERESTARTNOINTR. The kernel then delivers the signal as usual (the handler
//! runs) and re-issues the call afterwards, as SA_RESTART would; the grate
//! receives it as a new notification. Calls that really block (a pipe read,
//! a FIFO open, F_SETLKW) keep their EINTR. Programs without such handlers
//! are never traced and pay nothing.
//!
//! A traced process cannot be traced again (a debugger under the grate fails
//! to attach to it). When ptrace is refused (a container without it), the
//! grate warns once and the window stays open.

use std::io;

/// -ERESTARTSYS: what an interrupted seccomp wait returns.
pub const ERESTARTSYS: i64 = -512;
/// -ERESTARTNOINTR: the kernel restarts the call whatever the handler's flags.
const ERESTARTNOINTR: i64 = -513;

/// SA_RESTART in a sigaction's flags.
pub const SA_RESTART: u64 = 0x1000_0000;

/// Traces every thread of process `tgid` and, through the kernel, whatever
/// they fork, vfork or clone from now on; tracees die with the grate. Threads
/// already traced (by the grate) are skipped; threads that appear while the
/// walk goes on are picked up by walking again until none is new. (One can
/// still escape: a thread whose clone was under way when its creator was
/// seized and that shows up only after the last walk.)
pub fn seize_process(tgid: u32) -> io::Result<()> {
    let mut seen = std::collections::HashSet::new();
    loop {
        let tids: Vec<u32> = std::fs::read_dir(format!("/proc/{tgid}/task"))?
            .filter_map(|e| e.ok()?.file_name().to_str()?.parse().ok())
            .filter(|tid| !seen.contains(tid))
            .collect();
        if tids.is_empty() {
            return Ok(());
        }
        for tid in tids {
            seen.insert(tid);
            if let Err(e) = seize(tid) {
                // EPERM for a thread already ours (auto-attached at its fork).
                if super::procs::tracer_of(tid) != Some(std::process::id()) {
                    if e.raw_os_error() == Some(libc::ESRCH) {
                        continue; // exited meanwhile
                    }
                    return Err(e);
                }
            }
        }
    }
}

/// Traces thread `tid`, following its forks, vforks and clones.
fn seize(tid: u32) -> io::Result<()> {
    let options = libc::PTRACE_O_TRACEFORK
        | libc::PTRACE_O_TRACEVFORK
        | libc::PTRACE_O_TRACECLONE
        | libc::PTRACE_O_EXITKILL;
    // SAFETY: PTRACE_SEIZE takes integers only.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_SEIZE,
            tid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            options as libc::c_long,
        )
    };
    if r != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

/// A call a signal interrupted: its number and arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interrupted {
    pub nr: u64,
    pub args: [u64; 6],
}

/// What kind of stop a `waitpid` status reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// About to deliver this signal.
    Signal(i32),
    /// Stopped by a stop signal (group-stop): stays stopped until SIGCONT.
    Group,
    /// A fork/clone/attach event: goes on at once.
    Event,
}

/// The stop a WIFSTOPPED `status` reports.
pub fn stop_of(status: i32) -> Stop {
    let event = (status >> 16) & 0xffff;
    let sig = libc::WSTOPSIG(status);
    match event {
        0 => Stop::Signal(sig),
        e if e == libc::PTRACE_EVENT_STOP
            && matches!(
                sig,
                libc::SIGSTOP | libc::SIGTSTP | libc::SIGTTIN | libc::SIGTTOU
            ) =>
        {
            Stop::Group
        }
        _ => Stop::Event,
    }
}

/// At a signal-delivery stop of thread `tid`: the trapped call it is leaving
/// with -ERESTARTSYS, if any.
pub fn interrupted(tid: u32) -> Option<Interrupted> {
    let regs = get_regs(tid)?;
    (regs.rax as i64 == ERESTARTSYS && (regs.orig_rax as i64) >= 0).then_some(Interrupted {
        nr: regs.orig_rax,
        args: [regs.rdi, regs.rsi, regs.rdx, regs.r10, regs.r8, regs.r9],
    })
}

/// Makes the call thread `tid` is leaving restart after the signal, whatever
/// the handler's SA_RESTART.
pub fn restart_after_signal(tid: u32) {
    if let Some(mut regs) = get_regs(tid) {
        regs.rax = ERESTARTNOINTR as u64;
        // SAFETY: PTRACE_SETREGS reads one user_regs_struct from `regs`.
        unsafe {
            libc::ptrace(
                libc::PTRACE_SETREGS,
                tid as libc::pid_t,
                std::ptr::null_mut::<libc::c_void>(),
                &regs as *const libc::user_regs_struct,
            )
        };
    }
}

/// Resumes a stopped tracee: a signal is delivered as it would have been, a
/// group-stop stays stopped (PTRACE_LISTEN) until SIGCONT, an event goes on.
/// A tracee that died meanwhile (ESRCH) needs nothing.
pub fn resume(tid: u32, stop: Stop) {
    let (request, sig) = match stop {
        Stop::Signal(sig) => (libc::PTRACE_CONT, sig),
        Stop::Group => (libc::PTRACE_LISTEN, 0),
        Stop::Event => (libc::PTRACE_CONT, 0),
    };
    // SAFETY: these requests take integers only.
    unsafe {
        libc::ptrace(
            request,
            tid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            sig as libc::c_long,
        )
    };
}

fn get_regs(tid: u32) -> Option<libc::user_regs_struct> {
    // SAFETY: all-zero is a valid user_regs_struct; PTRACE_GETREGS fills it.
    let mut regs: libc::user_regs_struct = unsafe { std::mem::zeroed() };
    // SAFETY: PTRACE_GETREGS writes one user_regs_struct to `regs`.
    let r = unsafe {
        libc::ptrace(
            libc::PTRACE_GETREGS,
            tid as libc::pid_t,
            std::ptr::null_mut::<libc::c_void>(),
            &mut regs as *mut libc::user_regs_struct,
        )
    };
    (r == 0).then_some(regs)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stops_are_told_apart() {
        // status as waitpid reports it: (event << 16) | (sig << 8) | 0x7f.
        let status = |event: i32, sig: i32| (event << 16) | (sig << 8) | 0x7f;
        assert_eq!(
            stop_of(status(0, libc::SIGCHLD)),
            Stop::Signal(libc::SIGCHLD)
        );
        assert_eq!(
            stop_of(status(libc::PTRACE_EVENT_STOP, libc::SIGTSTP)),
            Stop::Group
        );
        assert_eq!(
            stop_of(status(libc::PTRACE_EVENT_STOP, libc::SIGTRAP)),
            Stop::Event
        );
        assert_eq!(
            stop_of(status(libc::PTRACE_EVENT_FORK, libc::SIGTRAP)),
            Stop::Event
        );
    }
}
