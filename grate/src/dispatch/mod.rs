//! SKELETON of the syscall layer's entry points (the contract the hosts use);
//! the grate-layer engineer replaces the bodies and may split this folder.

use crate::host::{CageId, Host, Reply};
use imfs_core::Errno;

/// Options fixed for a run of the grate.
#[derive(Clone, Debug, Default)]
pub struct GrateOptions {
    /// `--log`: print each served syscall and its result to stderr.
    pub log: bool,
}

/// The grate: one filesystem, every cage's cwd and umask, one bounce buffer.
pub struct Grate {
    _options: GrateOptions,
}

impl Grate {
    /// Allocates the filesystem once (zeroed, so untouched pages cost nothing).
    pub fn new(options: GrateOptions) -> Grate {
        Grate { _options: options }
    }

    /// Serves syscall `nr` (Linux x86_64 numbering) with `args` for `cage`.
    pub fn dispatch(&mut self, host: &mut dyn Host, cage: CageId, nr: u64, args: [u64; 6]) -> Reply {
        let _ = (host, cage, nr, args);
        Reply::Continue
    }

    /// The first cage: cwd at the root, fds 0-2 the host's.
    pub fn cage_start(&mut self, host: &mut dyn Host, cage: CageId) -> Result<(), Errno> {
        let _ = (host, cage);
        Ok(())
    }

    /// `child` was forked from `parent`: it inherits fds (sharing descriptions), cwd and umask.
    pub fn cage_fork(&mut self, host: &mut dyn Host, parent: CageId, child: CageId) -> Result<(), Errno> {
        let _ = (host, parent, child);
        Ok(())
    }

    /// `cage` exec'd successfully: its cloexec fds close.
    pub fn cage_exec(&mut self, host: &mut dyn Host, cage: CageId) {
        let _ = (host, cage);
    }

    /// `cage` exited: everything it held is released.
    pub fn cage_exit(&mut self, host: &mut dyn Host, cage: CageId) {
        let _ = (host, cage);
    }
}
