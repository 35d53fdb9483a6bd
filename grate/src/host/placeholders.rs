//! Numbering imfs fds through the runtime's fd table (Lind).
//!
//! On Lind a cage has two fd tables, the runtime's and the grate's. The
//! adapter keeps them from handing out one number twice by backing each imfs
//! fd with a placeholder in the runtime's table: a duplicate of a stdio fd
//! made with `fcntl(k, F_DUPFD, min)`. This module decides, from the
//! runtime's answers, which number an imfs fd gets, so the policy can be
//! tested against a model of the runtime.
//!
//! The runtime's rules (lind-wasm src/rawposix/src/fs_calls.rs,
//! `fcntl_syscall`): F_DUPFD answers EBADF both when `k` is not open and when
//! no fd >= `min` is free (not EMFILE), and F_GETFD answers EBADF only when
//! the fd is not open.

use super::CageId;
use imfs_core::Errno;

/// The cage's stdio fds, the ones a placeholder is copied from.
const STDIO: [u64; 3] = [0, 1, 2];

/// The runtime's fd table of a cage, as the grate can ask it.
pub trait RuntimeFds {
    /// `fcntl(fd, F_DUPFD or F_DUPFD_CLOEXEC, min)` for the cage: the new fd, or -errno.
    fn dupfd(&mut self, cage: CageId, fd: u64, min: u64, cloexec: bool) -> i32;
    /// `fcntl(fd, F_GETFD)` for the cage: the fd flags, or -errno (EBADF: not open).
    fn getfd(&mut self, cage: CageId, fd: u64) -> i32;
}

/// What [`placeholder_lowest`] got from the runtime.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Placeholder {
    /// The runtime made one at this fd.
    Made(u64),
    /// None of 0, 1, 2 is open: there is nothing to copy one from.
    NoStdio,
    /// The runtime refused for another reason (its -errno): the grate numbers the fd itself.
    Refused(i32),
}

/// Asks the runtime for a placeholder at its lowest free fd >= `min`.
/// EMFILE when its table has no free fd there: F_DUPFD's EBADF for an open
/// stdio fd means exactly that, and never "try the next one".
pub fn placeholder_lowest(
    rt: &mut dyn RuntimeFds,
    cage: CageId,
    min: u64,
    cloexec: bool,
) -> Result<Placeholder, Errno> {
    for k in STDIO {
        match rt.dupfd(cage, k, min, cloexec) {
            r if r >= 0 => return Ok(Placeholder::Made(r as u64)),
            r if r == -Errno::EMFILE.code() => return Err(Errno::EMFILE),
            r if r == -Errno::EBADF.code() => {
                if rt.getfd(cage, k) >= 0 {
                    // k is open: the table is full from `min` on.
                    return Err(Errno::EMFILE);
                }
            }
            r => return Ok(Placeholder::Refused(r)),
        }
    }
    Ok(Placeholder::NoStdio)
}

/// The lowest fd in `min..limit` that neither the grate (`taken`) nor the
/// runtime has open, for an imfs fd the runtime cannot back: EMFILE when
/// there is none. Costs one F_GETFD per candidate the grate has free.
pub fn lowest_free_in_both(
    rt: &mut dyn RuntimeFds,
    cage: CageId,
    min: u64,
    limit: u64,
    taken: &dyn Fn(u64) -> bool,
) -> Result<u64, Errno> {
    (min..limit)
        .find(|&fd| !taken(fd) && rt.getfd(cage, fd) == -Errno::EBADF.code())
        .ok_or(Errno::EMFILE)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model of one cage's runtime table with `cap` slots, answering as
    /// RawPOSIX does.
    struct Table {
        open: Vec<bool>,
    }

    impl Table {
        fn new(cap: usize, open: &[u64]) -> Table {
            let mut t = Table {
                open: vec![false; cap],
            };
            for &fd in open {
                t.open[fd as usize] = true;
            }
            t
        }
    }

    impl RuntimeFds for Table {
        fn dupfd(&mut self, _: CageId, fd: u64, min: u64, _: bool) -> i32 {
            if !self.open.get(fd as usize).copied().unwrap_or(false) {
                return -Errno::EBADF.code();
            }
            let free = (min as usize..self.open.len()).find(|&i| !self.open[i]);
            match free {
                Some(i) => {
                    self.open[i] = true;
                    i as i32
                }
                // RawPOSIX: a full table is EBADF, not EMFILE.
                None => -Errno::EBADF.code(),
            }
        }

        fn getfd(&mut self, _: CageId, fd: u64) -> i32 {
            match self.open.get(fd as usize) {
                Some(true) => 0,
                _ => -Errno::EBADF.code(),
            }
        }
    }

    #[test]
    fn a_full_runtime_table_is_emfile_not_a_missing_stdio() {
        let mut t = Table::new(4, &[0, 1, 2]);
        assert_eq!(
            placeholder_lowest(&mut t, 1, 0, false),
            Ok(Placeholder::Made(3))
        );
        assert_eq!(placeholder_lowest(&mut t, 1, 0, false), Err(Errno::EMFILE));
        // Free below but not from `min` on: EMFILE as well.
        let mut t = Table::new(6, &[0, 1, 2, 5]);
        assert_eq!(placeholder_lowest(&mut t, 1, 5, false), Err(Errno::EMFILE));
    }

    #[test]
    fn a_closed_stdio_fd_is_skipped() {
        let mut t = Table::new(8, &[2]);
        assert_eq!(
            placeholder_lowest(&mut t, 1, 0, true),
            Ok(Placeholder::Made(0))
        );
        let mut t = Table::new(8, &[]);
        assert_eq!(
            placeholder_lowest(&mut t, 1, 0, true),
            Ok(Placeholder::NoStdio)
        );
    }

    #[test]
    fn grate_numbering_skips_fds_live_in_either_table() {
        let mut t = Table::new(8, &[0, 3]);
        let taken = |fd: u64| fd == 1;
        assert_eq!(lowest_free_in_both(&mut t, 1, 0, 8, &taken), Ok(2));
        assert_eq!(lowest_free_in_both(&mut t, 1, 3, 8, &taken), Ok(4));
        let mut full = Table::new(3, &[0, 1, 2]);
        assert_eq!(
            lowest_free_in_both(&mut full, 1, 0, 3, &|_| false),
            Err(Errno::EMFILE)
        );
    }
}
