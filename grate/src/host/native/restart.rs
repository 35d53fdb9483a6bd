//! Which interrupted trapped calls restart: those that never sleep
//! interruptibly natively (see [`super::tracer`] for why the question comes up).
//!
//! A trapped call leaving with -ERESTARTSYS either never reached the grate
//! (the signal came before the receive) or ran in the kernel after the grate
//! let it through and slept there (a read on an empty pipe). The first kind
//! must restart, or the program sees an EINTR Linux never gives; the second
//! must keep its EINTR. They are told apart by what the call would do
//! natively: a call that cannot sleep interruptibly on what it names (a
//! regular file, a directory, an imfs fd, a path that is no FIFO) can only
//! have been interrupted on its way to the grate.

use super::filter::TRAPPED;
use imfs_core::flags::O_NONBLOCK;

/// What the rules need to know about the interrupted thread.
pub trait Probe {
    /// True when a read or write on `fd` never sleeps: an imfs fd, a regular
    /// file or a directory (not a pipe, socket or terminal). A closed fd
    /// counts as never sleeping: the call fails with EBADF.
    fn fd_never_sleeps(&mut self, fd: i32) -> bool;
    /// True when `fd` is an imfs fd (the grate answers flock at once).
    fn fd_is_imfs(&mut self, fd: i32) -> bool;
    /// True when the path at `addr` (relative to `dirfd`) names a FIFO,
    /// in imfs or on the host.
    fn path_is_fifo(&mut self, dirfd: i32, addr: u64) -> bool;
}

const AT_FDCWD: i32 = -100;
const F_SETLKW: u32 = 7;
const F_OFD_SETLKW: u32 = 38;
const LOCK_NB: u64 = 4;

/// True when the trapped call `nr(args)`, interrupted by a signal, must be
/// restarted: natively it could not have been interrupted.
pub fn must_restart(nr: u64, a: &[u64; 6], p: &mut dyn Probe) -> bool {
    if !TRAPPED.iter().any(|&t| t as u64 == nr) {
        // Never trapped: the kernel ran it and its -ERESTARTSYS is its own.
        return false;
    }
    let fd = |i: usize| a[i] as i32;
    match nr {
        // read, write, ioctl, readv, writev, pread64, pwrite64, preadv,
        // pwritev, preadv2, pwritev2: sleep on pipes, sockets, terminals.
        0 | 1 | 16 | 17 | 18 | 19 | 20 | 295 | 296 | 327 | 328 => p.fd_never_sleeps(fd(0)),
        // sendfile, tee: out/in fds first; splice, copy_file_range: fds 0 and 2.
        40 | 276 => p.fd_never_sleeps(fd(0)) && p.fd_never_sleeps(fd(1)),
        275 | 326 => p.fd_never_sleeps(fd(0)) && p.fd_never_sleeps(fd(2)),
        // flock waits for a conflicting host lock unless LOCK_NB.
        73 => a[1] & LOCK_NB != 0 || p.fd_is_imfs(fd(0)),
        // fcntl: only the lock waits sleep (and they stay interruptible).
        72 => !matches!(a[1] as u32, F_SETLKW | F_OFD_SETLKW),
        // open, openat: a FIFO open waits for its other end.
        2 => a[1] as u32 & O_NONBLOCK != 0 || !p.path_is_fifo(AT_FDCWD, a[0]),
        257 => a[2] as u32 & O_NONBLOCK != 0 || !p.path_is_fifo(fd(0), a[1]),
        // creat opens for writing; openat2's flags are behind a pointer.
        85 => !p.path_is_fifo(AT_FDCWD, a[0]),
        437 => !p.path_is_fifo(fd(0), a[1]),
        // Everything else the filter traps (stat, close, dup, fork, exec,
        // mkdir, unlink, rename, chmod, ...) does not sleep interruptibly on
        // a local filesystem.
        _ => true,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// fds 0-9 are pipes, 10-19 regular files, 20-29 imfs; paths at
    /// addresses >= 1000 are FIFOs.
    struct Fake;

    impl Probe for Fake {
        fn fd_never_sleeps(&mut self, fd: i32) -> bool {
            fd >= 10
        }
        fn fd_is_imfs(&mut self, fd: i32) -> bool {
            (20..30).contains(&fd)
        }
        fn path_is_fifo(&mut self, _dirfd: i32, addr: u64) -> bool {
            addr >= 1000
        }
    }

    fn restarts(nr: u64, args: [u64; 6]) -> bool {
        must_restart(nr, &args, &mut Fake)
    }

    #[test]
    fn calls_that_never_sleep_restart() {
        for nr in [
            3, 4, 5, 6, 32, 33, 56, 57, 58, 59, 83, 84, 87, 262, 263, 292, 332, 435,
        ] {
            assert!(restarts(nr, [1, 2, 3, 4, 5, 6]), "syscall {nr}");
        }
    }

    #[test]
    fn untrapped_calls_keep_their_eintr() {
        // wait4, nanosleep, rt_sigsuspend, poll: the kernel's own -ERESTARTSYS.
        for nr in [61, 35, 130, 7] {
            assert!(!restarts(nr, [0; 6]), "syscall {nr}");
        }
    }

    #[test]
    fn io_restarts_only_on_what_never_sleeps() {
        assert!(!restarts(0, [3, 0, 1, 0, 0, 0]), "read on a pipe");
        assert!(restarts(0, [12, 0, 1, 0, 0, 0]), "read on a file");
        assert!(!restarts(1, [1, 0, 1, 0, 0, 0]), "write to a pipe");
        assert!(restarts(17, [25, 0, 1, 0, 0, 0]), "pread on imfs");
        assert!(!restarts(40, [12, 3, 0, 1, 0, 0]), "sendfile from a pipe");
        assert!(restarts(275, [12, 0, 13, 0, 1, 0]), "splice file to file");
    }

    #[test]
    fn lock_waits_keep_their_eintr() {
        assert!(!restarts(72, [25, F_SETLKW as u64, 0, 0, 0, 0]));
        assert!(!restarts(72, [25, F_OFD_SETLKW as u64, 0, 0, 0, 0]));
        assert!(restarts(72, [25, 6, 0, 0, 0, 0]), "F_SETLK");
        assert!(restarts(72, [25, 1030, 0, 0, 0, 0]), "F_DUPFD_CLOEXEC");
        assert!(
            !restarts(73, [12, 2, 0, 0, 0, 0]),
            "flock LOCK_EX, host file"
        );
        assert!(restarts(73, [12, 2 | LOCK_NB, 0, 0, 0, 0]), "LOCK_NB");
        assert!(restarts(73, [22, 2, 0, 0, 0, 0]), "flock on imfs");
    }

    #[test]
    fn fifo_opens_keep_their_eintr() {
        assert!(restarts(2, [10, 0, 0, 0, 0, 0]), "open of a file");
        assert!(!restarts(2, [1000, 0, 0, 0, 0, 0]), "open of a FIFO");
        let nonblock = O_NONBLOCK as u64;
        assert!(restarts(2, [1000, nonblock, 0, 0, 0, 0]), "O_NONBLOCK");
        assert!(!restarts(257, [AT_FDCWD as u64, 1000, 0, 0, 0, 0]));
        assert!(restarts(257, [AT_FDCWD as u64, 1000, nonblock, 0, 0, 0]));
        assert!(restarts(257, [AT_FDCWD as u64, 10, 0, 0, 0, 0]));
        assert!(!restarts(85, [1000, 0o644, 0, 0, 0, 0]), "creat of a FIFO");
        assert!(restarts(85, [10, 0o644, 0, 0, 0, 0]));
    }
}
