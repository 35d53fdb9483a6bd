//! Per-cage state the grate keeps besides fds: the working directory and the
//! umask. Capacity is fixed at `config::CAGES` (EAGAIN past it).

use std::collections::HashMap;

use crate::host::CageId;
use imfs_core::{config, Errno, OfdId};

/// Where a cage's relative paths start.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Cwd {
    /// An imfs directory: `None` is the root (held by nobody, since it can
    /// never be removed), `Some` an O_PATH|O_DIRECTORY description the cage
    /// holds a reference on, which keeps a removed cwd alive as Linux does.
    Imfs(Option<OfdId>),
    /// Mount mode: a host directory, which only the host knows.
    Host,
    /// Mount mode: the imfs root, reached by a chdir the kernel made too, so
    /// the kernel's own cwd is the host's mount point directory and a path
    /// that climbs out of imfs with `..` means the same to the kernel.
    MountPoint,
}

/// One cage's cwd and umask.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct CageState {
    pub cwd: Cwd,
    pub umask: u32,
}

/// The default umask of a new cage.
pub const DEFAULT_UMASK: u32 = 0o022;

/// Every live cage's [`CageState`].
pub struct Cages {
    map: HashMap<CageId, CageState>,
    max: usize,
}

impl Default for Cages {
    fn default() -> Self {
        Self::new(config::CAGES)
    }
}

impl Cages {
    pub fn new(max: usize) -> Cages {
        Cages {
            map: HashMap::with_capacity(max),
            max,
        }
    }

    /// Adds `cage`; EAGAIN when `max` cages already live.
    pub fn insert(&mut self, cage: CageId, state: CageState) -> Result<(), Errno> {
        if !self.map.contains_key(&cage) && self.map.len() >= self.max {
            return Err(Errno::EAGAIN);
        }
        self.map.insert(cage, state);
        Ok(())
    }

    /// The cage's state; a cage never announced gets the defaults `fresh`.
    pub fn get(&self, cage: CageId, fresh: CageState) -> CageState {
        self.map.get(&cage).copied().unwrap_or(fresh)
    }

    /// Mutable state of `cage`, created from `fresh` when missing (EAGAIN when full).
    pub fn get_mut(&mut self, cage: CageId, fresh: CageState) -> Result<&mut CageState, Errno> {
        if !self.map.contains_key(&cage) {
            self.insert(cage, fresh)?;
        }
        Ok(self.map.get_mut(&cage).expect("inserted"))
    }

    pub fn remove(&mut self, cage: CageId) -> Option<CageState> {
        self.map.remove(&cage)
    }

    pub fn contains(&self, cage: CageId) -> bool {
        self.map.contains_key(&cage)
    }

    pub fn len(&self) -> usize {
        self.map.len()
    }

    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// True when another cage cannot be added.
    pub fn is_full(&self) -> bool {
        self.map.len() >= self.max
    }
}
