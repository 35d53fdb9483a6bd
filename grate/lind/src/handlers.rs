//! The 3i side: one trampoline per served syscall, the global grate they
//! share, and the calls the adapter handles itself (clone, execve, exit).
//!
//! Everything else goes to `Grate::dispatch`; `Reply::Continue` forwards the
//! original call, unchanged, to the runtime with make_threei_call.

use std::sync::{Mutex, OnceLock};

use grate_rs::{getcageid, is_thread_clone, SyscallHandler};
use imfs_core::Errno;
use imfs_grate::host::{CageId, Reply};
use imfs_grate::Grate;

use crate::host::{forward, Call, LindHost};

const SYS_CLOSE: u64 = 3;
const SYS_CLOSE_RANGE: u64 = 436;
const CLOSE_RANGE_CLOEXEC: u64 = 4;
const SYS_CLONE: u64 = 56;
const SYS_EXECVE: u64 = 59;
const SYS_EXIT: u64 = 60;
const SYS_EXIT_GROUP: u64 = 231;

/// The grate and its host: one of each, shared by every cage's calls.
pub struct State {
    pub grate: Grate,
    pub host: LindHost,
    /// `--log`: also report cage lifecycle events.
    pub log: bool,
}

static STATE: OnceLock<Mutex<State>> = OnceLock::new();

/// Installs the grate; false when one is already installed.
pub fn install(state: State) -> bool {
    STATE.set(Mutex::new(state)).is_ok()
}

/// Runs `f` on the grate under its lock; None before `install`.
pub fn with_state<R>(f: impl FnOnce(&mut State) -> R) -> Option<R> {
    let lock = STATE.get()?;
    // A panic cannot leave the grate half-updated in a way the next call
    // would trip on (panics abort on wasm32), so a poisoned lock is reused.
    let mut state = lock.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    Some(f(&mut state))
}

/// This grate's cage id, asked once.
fn this() -> CageId {
    static THIS: OnceLock<CageId> = OnceLock::new();
    *THIS.get_or_init(getcageid)
}

/// grate-rs's handler signature, one instance per syscall number.
pub extern "C" fn trampoline<const NR: u64>(
    _cageid: u64,
    arg1: u64,
    arg1cage: u64,
    arg2: u64,
    arg2cage: u64,
    arg3: u64,
    arg3cage: u64,
    arg4: u64,
    arg4cage: u64,
    arg5: u64,
    arg5cage: u64,
    arg6: u64,
    arg6cage: u64,
) -> i32 {
    serve(Call {
        nr: NR,
        args: [arg1, arg2, arg3, arg4, arg5, arg6],
        cages: [arg1cage, arg2cage, arg3cage, arg4cage, arg5cage, arg6cage],
    })
}

/// `(number, handler)` pairs for GrateBuilder::register.
macro_rules! trampolines {
    ($($nr:literal),* $(,)?) => {
        &[$(($nr, trampoline::<$nr> as SyscallHandler)),*]
    };
}

/// Every syscall the grate interposes on (Linux x86_64 numbers, as Lind uses).
/// Calls the dispatch does not own come back as Continue and are forwarded,
/// so listing one more costs a hop, never correctness.
pub const HANDLERS: &[(u64, SyscallHandler)] = trampolines![
    0, 1, 2, 3, 4, 5, 6, 8, 16, 17, 18, 19, 20, 21, 32, 33, // read .. dup2
    40, // sendfile: refused on imfs fds, forwarded otherwise
    56, 59, 60, // clone, execve, exit
    72, 73, 74, 75, 76, 77, 78, 79, 80, 81, 82, 83, 84, 85, 86, 87, 88,
    89, // fcntl .. readlink
    90, 91, 92, 93, 94, 95, 132, 133, 137, 138, // chmod .. fstatfs
    187, // readahead
    188, 189, 190, 191, 192, 193, 194, 195, 196, 197, 198, 199, // the xattr calls
    217, 221, 231, 235, // getdents64, fadvise64, exit_group, utimes
    257, 258, 259, 260, 261, 262, 263, 264, 265, 266, 267, 268, 269, // openat .. faccessat
    277, 280, 285, 292, 295, 296, 316, 327, 328, 332, // sync_file_range .. statx
    275, 276, 306, 326, // splice, tee, syncfs, copy_file_range
    436, 437, 439,
    452, // close_range, openat2 (ENOSYS: no path may reach lindfs), faccessat2, fchmodat2
];

/// Serves one intercepted call.
fn serve(call: Call) -> i32 {
    match call.nr {
        SYS_CLONE => clone(call),
        SYS_EXECVE => exec(call),
        SYS_EXIT | SYS_EXIT_GROUP => exit(call),
        _ => {
            let caller = call.caller();
            let reply = with_state(|s| {
                s.host.begin(call);
                // Checked before the dispatch forgets them.
                let closing = placeholders_closed_by(s, caller, &call);
                let reply = s.grate.dispatch(&mut s.host, caller, call.nr, call.args);
                // Under the lock, so no other call sees the number free in
                // one table and taken in the other.
                let fds = s.host.fd_table();
                for fd in closing {
                    if !fds.has_placeholder(caller, fd) {
                        fds.close_placeholder(caller, fd);
                    }
                }
                reply
            });
            match reply {
                Some(Reply::Value(v)) => to_ret(v),
                // Not the grate's (stdio, an unserved call), or no grate yet.
                Some(Reply::Continue) | None => {
                    forward(call.nr as u32, this(), caller, call.args, call.cages)
                }
            }
        }
    }
}

/// The imfs fds with a placeholder in the runtime that `call` may close:
/// close's fd, close_range's range (also closed here, whether or not the
/// runtime implements close_range). Those the dispatch did close get their
/// placeholder closed after it.
fn placeholders_closed_by(s: &State, cage: CageId, call: &Call) -> Vec<i32> {
    let fds = s.host.fd_table();
    match call.nr {
        SYS_CLOSE => {
            let fd = call.args[0] as i32;
            if fds.has_placeholder(cage, fd) {
                vec![fd]
            } else {
                Vec::new()
            }
        }
        SYS_CLOSE_RANGE if call.args[2] & CLOSE_RANGE_CLOEXEC == 0 => {
            let (first, last) = (call.args[0] as u32, call.args[1] as u32);
            fds.placeholders_in(cage, u64::from(first), u64::from(last))
        }
        _ => Vec::new(),
    }
}

/// A 3i handler returns an i32: a result past it (an lseek beyond 2 GiB)
/// cannot be delivered.
fn to_ret(v: i64) -> i32 {
    i32::try_from(v).unwrap_or(-Errno::EOVERFLOW.code())
}

/// clone (Lind's fork): forwarded, then the child inherits the parent's fds,
/// cwd and umask. Threads (CLONE_VM) share the parent's and need nothing.
fn clone(call: Call) -> i32 {
    let parent = call.cages[0];
    if is_thread_clone(call.args[0], parent) {
        return forward(SYS_CLONE as u32, this(), parent, call.args, call.cages);
    }
    // The lock is held across the fork: the child's first calls wait until
    // its table exists instead of finding none.
    let forked = with_state(|s| {
        if s.host.fd_table().cages_full() {
            return -Errno::EAGAIN.code();
        }
        let child = forward(SYS_CLONE as u32, this(), parent, call.args, call.cages);
        if child > 0 {
            s.host.begin(call);
            let res = s.grate.cage_fork(&mut s.host, parent, child as CageId);
            if s.log {
                eprintln!("[imfs] fork {parent} -> {child}: {res:?}");
            }
        }
        child
    });
    forked.unwrap_or_else(|| forward(SYS_CLONE as u32, this(), parent, call.args, call.cages))
}

/// execve: the cage's cloexec fds close, then the exec is forwarded. This is
/// upstream imfs-grate's order; the runtime reports a failed exec only after,
/// so a failing execve still closes them, and their placeholders are then
/// closed too (a successful exec closes those itself).
fn exec(call: Call) -> i32 {
    let cage = call.cages[0];
    let closed = with_state(|s| {
        s.host.begin(call);
        let placeholders = s.host.fd_table().cloexec_placeholders(cage);
        s.grate.cage_exec(&mut s.host, cage);
        if s.log {
            eprintln!("[imfs] exec {cage}");
        }
        placeholders
    });
    let r = forward(SYS_EXECVE as u32, this(), cage, call.args, call.cages);
    if r < 0 {
        with_state(|s| {
            let fds = s.host.fd_table();
            for &fd in closed.iter().flatten() {
                // Unless the number was taken again meanwhile (another thread).
                if !fds.has_placeholder(cage, fd) {
                    fds.close_placeholder(cage, fd);
                }
            }
        });
    }
    r
}

/// exit/exit_group: everything the cage held is released, then the exit is
/// forwarded (it does not come back).
fn exit(call: Call) -> i32 {
    let cage = call.cages[0];
    with_state(|s| {
        s.host.begin(call);
        s.grate.cage_exit(&mut s.host, cage);
        s.host.forget(cage);
        if s.log {
            eprintln!("[imfs] exit {cage}");
        }
    });
    forward(call.nr as u32, this(), cage, call.args, call.cages)
}
