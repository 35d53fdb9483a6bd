//! The serving loop: notifications, process births, execs and deaths.
//!
//! # Processes and threads
//! A cage is a process (thread group); its threads share its fd table. A
//! notification names a thread: its process comes from /proc/TID/status once,
//! then from a cache checked with a signal-0 `tgkill` (tids are reused).
//!
//! # Fork
//! The child's pid is unknown when its parent's clone/fork/vfork/clone3 is
//! trapped, but its fd table must be the parent's *at that moment*. So the
//! grate snapshots it then (`cage_fork(parent, provisional)`), answers
//! CONTINUE, and binds the snapshot to the child as soon as either side shows:
//! - the child's first notification: its parent (`/proc/PID/stat` ppid) has
//!   a pending snapshot (several forking threads: the one whose
//!   `/proc/PPID/task/TID/children` lists the child);
//! - the forking thread's next notification (the fork has returned): the
//!   child it lists in `children` that is not yet known; none means the fork
//!   failed or the child is already gone, and the snapshot is dropped.
//!
//! - the parent's death: a child still alive is then the grate's (it is
//!   the child subreaper), among its children not yet known.
//!
//! # Exec
//! An exec that passes through is only known to have worked when the new
//! image makes a call. The only effect exec has on the grate's state is
//! closing cloexec fds, so an exec matters only when the process has one: the
//! grate remembers one of those placeholders as a canary. At the process's
//! next notification, a canary gone from /proc/PID/fd means the exec
//! succeeded (`cage_exec`); the exec'ing thread itself calling again with the
//! canary in place means it failed.
//!
//! # Exit
//! Every process has a pidfd in the poll set: it becomes readable when the
//! process is gone, whoever reaps it (`cage_exit`). The grate reaps its own
//! children and orphans, and ends when none is left.

use super::fds::NativeFdTable;
use super::host::NativeHost;
use super::notif::{Listener, Notification};
use super::probe::TraceeProbe;
use super::{procs, restart, tracer};
use crate::host::{CageId, FdTable, Host, Reply};
use crate::locks::Owner;
use crate::{Grate, LockWait};
use std::collections::HashMap;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::rc::Rc;

mod nr {
    pub const CLOSE: u64 = 3;
    pub const CLONE: u64 = 56;
    pub const FORK: u64 = 57;
    pub const VFORK: u64 = 58;
    pub const EXECVE: u64 = 59;
    pub const UMASK: u64 = 95;
    pub const RT_SIGACTION: u64 = 13;
    /// Which arguments of syscall `nr` are dirfds (fchdir's fd counts).
    pub fn dirfd_args(nr: u64) -> &'static [usize] {
        match nr {
            // fchdir, openat, mkdirat, mknodat, fchownat, futimesat,
            // newfstatat, unlinkat, readlinkat, fchmodat, faccessat,
            // utimensat, execveat, statx, openat2, faccessat2, fchmodat2
            81 | 257..=263 | 267..=269 | 280 | 322 | 332 | 437 | 439 | 452 => &[0],
            // renameat, linkat, renameat2
            264 | 265 | 316 => &[0, 2],
            // symlinkat
            266 => &[1],
            _ => &[],
        }
    }
    /// setuid, setgid, setreuid, setregid, setgroups, setresuid, setresgid,
    /// setfsuid, setfsgid.
    pub const SET_IDS: [u64; 9] = [105, 106, 113, 114, 116, 117, 119, 122, 123];
    pub const EXECVEAT: u64 = 322;
    pub const CLONE3: u64 = 435;
    pub const CLOSE_RANGE: u64 = 436;
}

/// How often parked FIFO opens, socket calls and F_SETLKW calls are checked
/// for a handled signal (the wait a handler may see beyond Linux's) and
/// sockets tried again, in milliseconds.
const PARKED_CHECK_MS: i32 = 20;

/// Past this many cached threads, entries of exited ones are pruned.
const MAX_THREADS_CACHED: usize = 4096;

struct Process {
    cage: CageId,
    pidfd: OwnedFd,
    exec: Option<PendingExec>,
}

/// An exec let through, not yet known to have worked.
struct PendingExec {
    tid: u32,
    canary: i32,
}

/// A fork snapshot waiting for its child.
struct PendingFork {
    parent: u32,
    cage: CageId,
}

/// A parked F_SETLKW: the caller stays blocked in the syscall (the
/// notification is unanswered) until the lock is free. With
/// WAIT_KILLABLE_RECV only a fatal signal ends the wait early; then the
/// notification stops being pending and the waiter is dropped.
struct LockWaiter {
    n: Notification,
    tgid: u32,
    cage: CageId,
    wait: LockWait,
}

pub struct Supervisor<'g, T: FdTable> {
    grate: &'g mut Grate,
    host: NativeHost<T>,
    listener: Rc<Listener>,
    /// The signalfd (owned by the caller).
    signals: RawFd,
    /// The program the grate started: its status is the grate's.
    first: u32,
    status: Option<i32>,
    processes: HashMap<u32, Process>,
    /// Non-leader threads' processes (validated on use).
    threads: HashMap<u32, u32>,
    /// By forking thread: a thread has at most one fork in flight.
    forks: HashMap<u32, PendingFork>,
    /// F_SETLKW calls parked until the lock in their way goes (oldest first).
    lock_waiters: Vec<LockWaiter>,
    /// When parked callers were last checked for signals.
    last_sweep: std::time::Instant,
    /// Processes the grate traces (all their threads), by their own
    /// rt_sigaction; their children are traced by the kernel.
    traced: std::collections::HashSet<u32>,
    warned_untraced: bool,
    next_cage: CageId,
}

impl<'g, T: FdTable> Supervisor<'g, T> {
    pub fn new(
        grate: &'g mut Grate,
        fds: NativeFdTable<T>,
        listener: Rc<Listener>,
        mount: Option<Vec<u8>>,
        signals: RawFd,
    ) -> Supervisor<'g, T> {
        let host = NativeHost::new(fds, listener.clone(), mount);
        Supervisor {
            grate,
            host,
            listener,
            signals,
            first: 0,
            status: None,
            processes: HashMap::new(),
            threads: HashMap::new(),
            forks: HashMap::new(),
            lock_waiters: Vec::new(),
            last_sweep: std::time::Instant::now(),
            traced: std::collections::HashSet::new(),
            warned_untraced: false,
            next_cage: 1,
        }
    }

    /// Registers the started program as the first cage, with the grate's
    /// umask (what the process inherited) as the cage's.
    pub fn start(&mut self, pid: u32) -> io::Result<()> {
        self.first = pid;
        let cage = self.new_cage();
        self.grate
            .cage_start(&mut self.host, cage)
            .map_err(|e| io::Error::from_raw_os_error(e.code()))?;
        let mask = procs::umask_of(pid).unwrap_or(0o022);
        self.grate.dispatch(
            &mut self.host,
            cage,
            nr::UMASK,
            [mask as u64, 0, 0, 0, 0, 0],
        );
        self.bind(pid, cage);
        Ok(())
    }

    /// Serves until every process is gone; the program's exit status.
    pub fn run(&mut self) -> io::Result<i32> {
        let mut pollfds: Vec<libc::pollfd> = Vec::new();
        let mut watched: Vec<u32> = Vec::new();
        // Once no process uses the filter any more the listener hangs up:
        // poll would then return at once, forever.
        let mut listening = true;
        loop {
            pollfds.clear();
            watched.clear();
            pollfds.push(pollin(if listening {
                self.listener.as_raw_fd()
            } else {
                -1
            }));
            pollfds.push(pollin(self.signals));
            for (&pid, p) in &self.processes {
                pollfds.push(pollin(p.pidfd.as_raw_fd()));
                watched.push(pid);
            }
            // The timeout sweeps for exits whose SIGCHLD went to another
            // thread (when the grate runs inside a multithreaded process).
            // Parked calls are checked often for signals to deliver (no fd
            // tells of those).
            let timeout = if self.host.has_fifo_waiters() || !self.lock_waiters.is_empty() {
                PARKED_CHECK_MS
            } else {
                200
            };
            // SAFETY: `pollfds` is a live array of its length.
            let n =
                unsafe { libc::poll(pollfds.as_mut_ptr(), pollfds.len() as libc::nfds_t, timeout) };
            self.host.check_fifo_waiters();
            if n < 0 {
                let e = io::Error::last_os_error();
                if e.kind() == io::ErrorKind::Interrupted {
                    continue;
                }
                return Err(e);
            }
            // Deaths first: a pid must be forgotten before it can be reused.
            let died = pollfds[2..].iter().any(|p| p.revents != 0);
            if pollfds[1].revents != 0 {
                self.read_signals();
            }
            if (n == 0 || died || pollfds[1].revents != 0) && self.reap() {
                break;
            }
            for (i, &pid) in watched.iter().enumerate() {
                if pollfds[i + 2].revents != 0 {
                    self.gone(pid);
                }
            }
            self.interrupt_lock_waiters();
            if pollfds[0].revents & libc::POLLIN != 0 {
                if let Ok(n) = self.listener.receive() {
                    self.serve(n);
                }
            } else if pollfds[0].revents & (libc::POLLHUP | libc::POLLERR) != 0 {
                listening = false;
            }
        }
        for pid in self.processes.keys().copied().collect::<Vec<_>>() {
            self.gone(pid);
        }
        for (_, fork) in std::mem::take(&mut self.forks) {
            self.grate.cage_exit(&mut self.host, fork.cage);
        }
        Ok(self.status.unwrap_or(1))
    }

    fn new_cage(&mut self) -> CageId {
        let cage = self.next_cage;
        self.next_cage += 1;
        cage
    }

    fn read_signals(&mut self) {
        // SAFETY: all-zero is a valid signalfd_siginfo.
        let mut info: libc::signalfd_siginfo = unsafe { std::mem::zeroed() };
        let size = std::mem::size_of::<libc::signalfd_siginfo>();
        loop {
            // SAFETY: reads one record into `info`; the signalfd is non-blocking.
            let n = unsafe { libc::read(self.signals, (&raw mut info).cast(), size) };
            if n != size as isize {
                return;
            }
            let sig = info.ssi_signo as i32;
            if sig == libc::SIGTERM || sig == libc::SIGHUP {
                // Passed on: the program decides how to end.
                // SAFETY: kill takes integers.
                unsafe { libc::kill(self.first as libc::pid_t, sig) };
            }
        }
    }

    /// Reaps exited children and orphans; true when no descendant is left.
    fn reap(&mut self) -> bool {
        loop {
            let mut status = 0;
            // SAFETY: waitpid writes `status`.
            let pid = unsafe { libc::waitpid(-1, &mut status, libc::WNOHANG | libc::__WALL) };
            if pid < 0 {
                return io::Error::last_os_error().raw_os_error() == Some(libc::ECHILD);
            }
            if pid == 0 {
                return false;
            }
            let pid = pid as u32;
            if libc::WIFSTOPPED(status) {
                self.traced_stop(pid, status);
                continue;
            }
            if pid == self.first {
                self.status = Some(if libc::WIFSIGNALED(status) {
                    128 + libc::WTERMSIG(status)
                } else {
                    libc::WEXITSTATUS(status)
                });
            }
            self.gone(pid);
        }
    }

    /// rt_sigaction installing a handler without SA_RESTART: from then on a
    /// signal can cut short a trapped call before the grate receives it, so
    /// the process is traced before the handler is in place (see [`tracer`]).
    fn trace_if_handler_interrupts(&mut self, n: Notification, tgid: u32, cage: CageId) {
        if n.args[1] == 0 || self.traced.contains(&tgid) {
            return;
        }
        // struct sigaction as the kernel takes it: handler, then flags.
        let mut act = [0u8; 16];
        if self.host.read_mem(cage, n.args[1], &mut act).is_err() {
            return;
        }
        let handler = u64::from_ne_bytes(act[..8].try_into().unwrap());
        let flags = u64::from_ne_bytes(act[8..].try_into().unwrap());
        let (dfl, ign) = (libc::SIG_DFL as u64, libc::SIG_IGN as u64);
        if handler == dfl || handler == ign || flags & tracer::SA_RESTART != 0 {
            return;
        }
        match tracer::seize_process(tgid) {
            Ok(()) => {
                self.traced.insert(tgid);
            }
            Err(e) if !self.warned_untraced => {
                self.warned_untraced = true;
                eprintln!(
                    "imfs-grate: warning: cannot trace the program ({e}): a signal arriving while \
                     a call waits for the grate may make that call fail with EINTR"
                );
            }
            Err(_) => {}
        }
    }

    /// Traced thread `tid` stopped: at a signal delivery, a trapped call the
    /// signal cut short before the grate received it restarts when it could
    /// not have been interrupted natively (see [`tracer`]). Then it goes on.
    fn traced_stop(&mut self, tid: u32, status: i32) {
        let stop = tracer::stop_of(status);
        if let tracer::Stop::Signal(_) = stop {
            if let Some(call) = tracer::interrupted(tid) {
                let tgid = self.tgid_of(tid).unwrap_or(tid);
                let cage = self.cage_of(tgid);
                let mut probe = TraceeProbe {
                    grate: &mut *self.grate,
                    host: &mut self.host,
                    cage,
                    tid,
                    tgid,
                };
                if restart::must_restart(call.nr, &call.args, &mut probe) {
                    tracer::restart_after_signal(tid);
                }
            }
        }
        tracer::resume(tid, stop);
    }

    /// Process `pid` exited: its cage closes, and its pending forks settle.
    fn gone(&mut self, pid: u32) {
        let Some(p) = self.processes.remove(&pid) else {
            return;
        };
        self.grate.cage_exit(&mut self.host, p.cage);
        self.host.unbind(p.cage);
        self.traced.remove(&pid);
        // Its locks are gone: parked F_SETLKW calls may go ahead.
        self.lock_waiters.retain(|w| w.tgid != pid);
        self.retry_lock_waiters();
        self.threads.retain(|_, tgid| *tgid != pid);
        let orphaned: Vec<u32> = self
            .forks
            .iter()
            .filter(|(_, f)| f.parent == pid)
            .map(|(&t, _)| t)
            .collect();
        for tid in orphaned {
            let Some(fork) = self.forks.remove(&tid) else {
                continue;
            };
            // Its children were reparented to the grate before the pidfd
            // woke us: a live child not yet known is the fork's.
            let orphan = procs::own_children()
                .into_iter()
                .find(|c| *c != self.first && !self.processes.contains_key(c));
            match orphan {
                Some(child) => {
                    self.bind(child, fork.cage);
                }
                None => self.grate.cage_exit(&mut self.host, fork.cage),
            }
        }
    }

    fn bind(&mut self, pid: u32, cage: CageId) -> bool {
        match procs::pidfd_open(pid) {
            Ok(pidfd) => {
                self.processes.insert(
                    pid,
                    Process {
                        cage,
                        pidfd,
                        exec: None,
                    },
                );
                self.host.bind(cage, pid);
                true
            }
            Err(_) => {
                // Already reaped: nothing will ever call from it.
                self.grate.cage_exit(&mut self.host, cage);
                false
            }
        }
    }

    fn tgid_of(&mut self, tid: u32) -> Option<u32> {
        if self.processes.contains_key(&tid) {
            return Some(tid);
        }
        if let Some(&tgid) = self.threads.get(&tid) {
            if procs::thread_in(tgid, tid) {
                return Some(tgid);
            }
        }
        let tgid = procs::tgid_of(tid)?;
        if tgid != tid {
            if self.threads.len() >= MAX_THREADS_CACHED {
                // Threads exit unseen: drop the dead ones' entries.
                self.threads.retain(|&t, &mut g| procs::thread_in(g, t));
            }
            self.threads.insert(tid, tgid);
        }
        Some(tgid)
    }

    /// The cage of process `tgid`, binding a new process to its fork snapshot.
    fn cage_of(&mut self, tgid: u32) -> Option<CageId> {
        if let Some(p) = self.processes.get(&tgid) {
            return Some(p.cage);
        }
        let ppid = procs::ppid_of(tgid)?;
        let candidates: Vec<u32> = self
            .forks
            .iter()
            .filter(|(_, f)| f.parent == ppid)
            .map(|(&t, _)| t)
            .collect();
        let forker = match candidates.as_slice() {
            [] => None,
            [only] => Some(*only),
            several => Some(
                several
                    .iter()
                    .copied()
                    .find(|&t| procs::children_of(ppid, t).contains(&tgid))
                    .unwrap_or(several[0]),
            ),
        };
        let cage = if let Some(fork) = forker.and_then(|t| self.forks.remove(&t)) {
            fork.cage
        } else if let Some(parent) = self.processes.get(&ppid).map(|p| p.cage) {
            // Forked by a way the filter did not see (should not happen):
            // the parent's table as it is now is the best guess.
            let cage = self.new_cage();
            self.grate.cage_fork(&mut self.host, parent, cage).ok()?;
            cage
        } else {
            let cage = self.new_cage();
            self.grate.cage_start(&mut self.host, cage).ok()?;
            cage
        };
        self.bind(tgid, cage).then_some(cage)
    }

    /// Thread `tid` forked before and is calling again: the fork returned.
    fn settle_fork(&mut self, tid: u32, tgid: u32) {
        let Some(fork) = self.forks.remove(&tid) else {
            return;
        };
        if fork.parent != tgid {
            // The forking thread died and its tid was reused: its child, if
            // any, falls back to its parent's table when it calls in.
            self.grate.cage_exit(&mut self.host, fork.cage);
            return;
        }
        let child = procs::children_of(tgid, tid)
            .into_iter()
            .find(|c| !self.processes.contains_key(c));
        match child {
            Some(child) => {
                self.bind(child, fork.cage);
            }
            None => self.grate.cage_exit(&mut self.host, fork.cage),
        }
    }

    /// Process `tgid` exec'd before: decide whether it worked.
    fn settle_exec(&mut self, tgid: u32, tid: u32) {
        let Some(p) = self.processes.get_mut(&tgid) else {
            return;
        };
        let Some(exec) = &p.exec else { return };
        let (cage, canary, exec_tid) = (p.cage, exec.canary, exec.tid);
        if !self.host.table().placeholder().is_at(tgid, canary) {
            p.exec = None;
            self.grate.cage_exec(&mut self.host, cage);
        } else if tid == exec_tid {
            p.exec = None;
        }
    }

    fn serve(&mut self, n: Notification) {
        let Some(tgid) = self.tgid_of(n.tid) else {
            return self.listener.answer_continue(n.id);
        };
        let Some(cage) = self.cage_of(tgid) else {
            return self.listener.answer_continue(n.id);
        };
        self.host.begin(n.id, n.tid, tgid);
        self.settle_fork(n.tid, tgid);
        self.settle_exec(tgid, n.tid);
        match n.nr {
            nr::CLONE | nr::CLONE3 | nr::FORK | nr::VFORK => self.on_fork(n, tgid, cage),
            nr::RT_SIGACTION => {
                self.trace_if_handler_interrupts(n, tgid, cage);
                self.listener.answer_continue(n.id);
            }
            nr if nr::SET_IDS.contains(&nr) => {
                self.host.forget_creds(cage);
                self.listener.answer_continue(n.id);
            }
            nr::EXECVE | nr::EXECVEAT => {
                let reply = self.grate.dispatch(&mut self.host, cage, n.nr, n.args);
                if reply == Reply::Continue {
                    if let Some(canary) = self.host.table().some_cloexec_fd(cage) {
                        if let Some(p) = self.processes.get_mut(&tgid) {
                            p.exec = Some(PendingExec { tid: n.tid, canary });
                        }
                    }
                }
                self.answer(n.id, reply);
            }
            nr::CLOSE => {
                let fd = n.args[0] as i32;
                let was_imfs = self.host.table().is_imfs(cage, fd);
                let reply = self.grate.dispatch(&mut self.host, cage, n.nr, n.args);
                if was_imfs && !self.host.table().is_imfs(cage, fd) {
                    // Released by the grate; the kernel closes the placeholder.
                    self.listener.answer_continue(n.id);
                } else {
                    self.answer(n.id, reply);
                }
            }
            // Served by the grate and mirrored by the kernel: close_range
            // closes (or marks cloexec) the placeholders, umask keeps the
            // process's mask for host paths.
            nr::CLOSE_RANGE | nr::UMASK => {
                match self.grate.dispatch(&mut self.host, cage, n.nr, n.args) {
                    Reply::Value(v) if v >= 0 => self.listener.answer_continue(n.id),
                    reply => self.answer(n.id, reply),
                }
            }
            _ => {
                let reply = self.grate.dispatch(&mut self.host, cage, n.nr, n.args);
                if self.host.take_parked() {
                    // A FIFO open waiting for its partner: answered later.
                    self.host.end();
                    return;
                }
                if let Some(wait) = self.grate.take_lock_wait() {
                    self.host.end();
                    return self.park(LockWaiter {
                        n,
                        tgid,
                        cage,
                        wait,
                    });
                }
                let reply = self.closed_dirfd_is_ebadf(n, tgid, cage, reply);
                self.answer(n.id, reply);
            }
        }
        self.host.end();
        self.retry_lock_waiters();
    }

    /// Parks an F_SETLKW, or answers EDEADLK when the processes it would
    /// wait on are (transitively) waiting for it, as Linux does for
    /// process-associated locks.
    fn park(&mut self, waiter: LockWaiter) {
        if let Owner::Cage(_) = waiter.wait.waiter {
            let mut holder = waiter.wait.holder;
            for _ in 0..=self.lock_waiters.len() {
                if holder == waiter.wait.waiter {
                    const EDEADLK: i64 = 35;
                    return self.listener.answer(waiter.n.id, -EDEADLK);
                }
                match self.lock_waiters.iter().find(|w| w.wait.waiter == holder) {
                    Some(w) => holder = w.wait.holder,
                    None => break,
                }
            }
        }
        self.lock_waiters.push(waiter);
    }

    /// A parked F_SETLKW whose thread has a caught signal waiting ends as a
    /// native lock wait does: -ERESTARTSYS, so the handler runs and the call
    /// fails with EINTR or, under SA_RESTART, comes back and waits again.
    /// (The wait itself is killable only: the signal stays pending until
    /// the grate answers.)
    fn interrupt_lock_waiters(&mut self) {
        let due = self.last_sweep.elapsed().as_millis() >= PARKED_CHECK_MS as u128;
        if self.lock_waiters.is_empty() || !due {
            return;
        }
        self.last_sweep = std::time::Instant::now();
        let listener = &self.listener;
        self.lock_waiters.retain(|w| {
            if procs::has_signal_to_handle(w.n.tid) {
                // With a signal pending, the kernel turns -ERESTARTSYS into
                // EINTR or a restart by the handler's SA_RESTART.
                listener.answer(w.n.id, tracer::ERESTARTSYS);
                false
            } else {
                true
            }
        });
    }

    /// Serves the parked F_SETLKW calls again, oldest first: those whose lock
    /// is now free are answered, the rest stay parked; callers killed while
    /// waiting are forgotten.
    fn retry_lock_waiters(&mut self) {
        if self.lock_waiters.is_empty() {
            return;
        }
        for mut w in std::mem::take(&mut self.lock_waiters) {
            if !self.listener.is_pending(w.n.id) || !self.processes.contains_key(&w.tgid) {
                continue;
            }
            self.host.begin(w.n.id, w.n.tid, w.tgid);
            let reply = self
                .grate
                .dispatch(&mut self.host, w.cage, w.n.nr, w.n.args);
            let still = self.grate.take_lock_wait();
            self.host.end();
            match still {
                Some(wait) => {
                    w.wait = wait;
                    self.lock_waiters.push(w);
                }
                None => self.answer(w.n.id, reply),
            }
        }
    }

    /// The dispatch answers ENOTDIR for a dirfd that is not imfs's and not
    /// usable as a directory, as it cannot know whether the process has that
    /// fd at all; the kernel says EBADF when it has not, and so does the grate.
    fn closed_dirfd_is_ebadf(
        &self,
        n: Notification,
        tgid: u32,
        cage: CageId,
        reply: Reply,
    ) -> Reply {
        if reply != Reply::Value(imfs_core::Errno::ENOTDIR.neg()) {
            return reply;
        }
        let closed = nr::dirfd_args(n.nr).iter().any(|&i| {
            let fd = n.args[i] as i32;
            fd >= 0
                && !self.host.table().is_imfs(cage, fd)
                && std::fs::symlink_metadata(format!("/proc/{tgid}/fd/{fd}")).is_err()
        });
        if closed {
            Reply::Value(imfs_core::Errno::EBADF.neg())
        } else {
            reply
        }
    }

    fn answer(&self, id: u64, reply: Reply) {
        match reply {
            Reply::Value(v) => self.listener.answer(id, v),
            Reply::Continue => self.listener.answer_continue(id),
        }
    }

    /// clone/clone3/fork/vfork: a new thread changes nothing; a new process
    /// gets a snapshot of the parent's table, bound to it later.
    fn on_fork(&mut self, n: Notification, tgid: u32, cage: CageId) {
        let flags = match n.nr {
            nr::CLONE => n.args[0],
            nr::CLONE3 => {
                let mut raw = [0u8; 8];
                match self.host.read_mem(cage, n.args[0], &mut raw) {
                    Ok(()) => u64::from_ne_bytes(raw),
                    // The kernel will fail it with EFAULT itself.
                    Err(_) => return self.listener.answer_continue(n.id),
                }
            }
            _ => 0,
        };
        if flags & libc::CLONE_THREAD as u64 != 0 {
            return self.listener.answer_continue(n.id);
        }
        let child = self.new_cage();
        match self.grate.cage_fork(&mut self.host, cage, child) {
            Ok(()) => {
                self.forks.insert(
                    n.tid,
                    PendingFork {
                        parent: tgid,
                        cage: child,
                    },
                );
                self.listener.answer_continue(n.id);
            }
            Err(e) => self.listener.answer(n.id, e.neg()),
        }
    }
}

fn pollin(fd: i32) -> libc::pollfd {
    libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    }
}
