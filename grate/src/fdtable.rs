//! [`LocalFdTable`]: per-cage fd tables held by the grate itself (the
//! in-process loopback host, and the native host, which wraps it).
//!
//! Every cage's table is allocated once, when the cage starts, with room for
//! `config::FDS_PER_CAGE` fds; a bitmap of used slots finds the lowest free fd
//! a word at a time. At most `config::CAGES` cages exist at once.

use std::collections::HashMap;

use crate::host::{CageId, FdEntry, FdTable};
use imfs_core::{config, Errno, OfdId};

/// fds 0, 1 and 2: the host's stdio, passed through.
const STDIO: i32 = 3;

/// One slot of a cage's table.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Slot {
    Free,
    Host,
    Imfs { ofd: OfdId, cloexec: bool },
}

/// One cage's fds: fixed capacity, lowest free first.
#[derive(Clone)]
struct CageFds {
    slots: Box<[Slot]>,
    /// Bit i set = slot i in use.
    used: Box<[u64]>,
}

impl CageFds {
    fn new(capacity: usize) -> CageFds {
        let mut fds = CageFds {
            slots: vec![Slot::Free; capacity].into_boxed_slice(),
            used: vec![0; capacity.div_ceil(64)].into_boxed_slice(),
        };
        for fd in 0..STDIO.min(capacity as i32) {
            fds.set(fd as usize, Slot::Host);
        }
        fds
    }

    fn set(&mut self, i: usize, slot: Slot) {
        self.slots[i] = slot;
        let (word, bit) = (i / 64, 1u64 << (i % 64));
        if slot == Slot::Free {
            self.used[word] &= !bit;
        } else {
            self.used[word] |= bit;
        }
    }

    fn slot(&self, fd: i32) -> Option<Slot> {
        usize::try_from(fd)
            .ok()
            .and_then(|i| self.slots.get(i).copied())
    }

    /// The lowest free slot >= `min`.
    fn lowest_free(&self, min: usize) -> Option<usize> {
        let mut word = min / 64;
        // Bits below `min` in its word count as used.
        let mut mask = !0u64 << (min % 64);
        while word < self.used.len() {
            let free = !self.used[word] & mask;
            if free != 0 {
                let i = word * 64 + free.trailing_zeros() as usize;
                return (i < self.slots.len()).then_some(i);
            }
            word += 1;
            mask = !0;
        }
        None
    }

    fn imfs(&self) -> impl Iterator<Item = (i32, OfdId, bool)> + '_ {
        self.slots.iter().enumerate().filter_map(|(i, s)| match *s {
            Slot::Imfs { ofd, cloexec } => Some((i as i32, ofd, cloexec)),
            _ => None,
        })
    }
}

/// Fixed-capacity fd tables for up to `cages` cages of `fds_per_cage` fds.
pub struct LocalFdTable {
    cages: HashMap<CageId, CageFds>,
    max_cages: usize,
    fds_per_cage: usize,
}

impl Default for LocalFdTable {
    fn default() -> Self {
        Self::new()
    }
}

impl LocalFdTable {
    /// Sized by imfs.toml.
    pub fn new() -> LocalFdTable {
        Self::with_limits(config::CAGES, config::FDS_PER_CAGE)
    }

    /// Other limits (tests).
    pub fn with_limits(max_cages: usize, fds_per_cage: usize) -> LocalFdTable {
        LocalFdTable {
            cages: HashMap::with_capacity(max_cages),
            max_cages,
            fds_per_cage,
        }
    }

    /// Number of live cages.
    pub fn cage_count(&self) -> usize {
        self.cages.len()
    }

    /// True when `cage` has a table.
    pub fn has_cage(&self, cage: CageId) -> bool {
        self.cages.contains_key(&cage)
    }

    /// Creates an empty table (0-2 host) for `cage`; EAGAIN past the cage limit.
    fn create(&mut self, cage: CageId) -> Result<&mut CageFds, Errno> {
        if !self.cages.contains_key(&cage) && self.cages.len() >= self.max_cages {
            return Err(Errno::EAGAIN);
        }
        let per = self.fds_per_cage;
        Ok(self.cages.entry(cage).or_insert_with(|| CageFds::new(per)))
    }

    fn table(&mut self, cage: CageId) -> Result<&mut CageFds, Errno> {
        if self.cages.contains_key(&cage) {
            Ok(self.cages.get_mut(&cage).expect("checked"))
        } else {
            // A cage the host never announced: give it a fresh table.
            self.create(cage)
        }
    }
}

impl FdTable for LocalFdTable {
    fn insert_lowest(
        &mut self,
        cage: CageId,
        min: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<i32, Errno> {
        let min = usize::try_from(min).map_err(|_| Errno::EINVAL)?;
        let t = self.table(cage)?;
        let i = t.lowest_free(min).ok_or(Errno::EMFILE)?;
        t.set(i, Slot::Imfs { ofd, cloexec });
        Ok(i as i32)
    }

    fn insert_at(
        &mut self,
        cage: CageId,
        fd: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<Option<OfdId>, Errno> {
        let t = self.table(cage)?;
        let i = usize::try_from(fd)
            .ok()
            .filter(|&i| i < t.slots.len())
            .ok_or(Errno::EBADF)?;
        let old = t.slots[i];
        t.set(i, Slot::Imfs { ofd, cloexec });
        Ok(match old {
            Slot::Imfs { ofd, .. } => Some(ofd),
            _ => None,
        })
    }

    fn get(&self, cage: CageId, fd: i32) -> Option<FdEntry> {
        let slot = match self.cages.get(&cage) {
            Some(t) => t.slot(fd)?,
            // Not started yet: only the inherited stdio exists.
            None => (0..STDIO).contains(&fd).then_some(Slot::Host)?,
        };
        match slot {
            Slot::Free => None,
            Slot::Host => Some(FdEntry::Host),
            Slot::Imfs { ofd, cloexec } => Some(FdEntry::Imfs { ofd, cloexec }),
        }
    }

    fn remove(&mut self, cage: CageId, fd: i32) -> Option<OfdId> {
        let t = self.cages.get_mut(&cage)?;
        let slot = t.slot(fd)?;
        t.set(fd as usize, Slot::Free);
        match slot {
            Slot::Imfs { ofd, .. } => Some(ofd),
            _ => None,
        }
    }

    fn set_cloexec(&mut self, cage: CageId, fd: i32, cloexec: bool) -> Result<(), Errno> {
        let t = self.cages.get_mut(&cage).ok_or(Errno::EBADF)?;
        match t.slot(fd) {
            Some(Slot::Imfs { ofd, .. }) => {
                t.set(fd as usize, Slot::Imfs { ofd, cloexec });
                Ok(())
            }
            Some(Slot::Host) => Ok(()),
            _ => Err(Errno::EBADF),
        }
    }

    fn fork(&mut self, parent: CageId, child: CageId) -> Result<(), Errno> {
        if self.cages.contains_key(&child) {
            return Err(Errno::EEXIST);
        }
        if self.cages.len() >= self.max_cages {
            return Err(Errno::EAGAIN);
        }
        let copy = match self.cages.get(&parent) {
            Some(t) => t.clone(),
            None => CageFds::new(self.fds_per_cage),
        };
        self.cages.insert(child, copy);
        Ok(())
    }

    fn exec(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        let Some(t) = self.cages.get_mut(&cage) else {
            return;
        };
        for i in 0..t.slots.len() {
            if let Slot::Imfs { ofd, cloexec: true } = t.slots[i] {
                t.set(i, Slot::Free);
                closed(ofd);
            }
        }
    }

    fn exit(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        if let Some(t) = self.cages.remove(&cage) {
            for (_, ofd, _) in t.imfs() {
                closed(ofd);
            }
        }
    }

    fn imfs_fds(&self, cage: CageId, f: &mut dyn FnMut(i32, OfdId)) {
        if let Some(t) = self.cages.get(&cage) {
            for (fd, ofd, _) in t.imfs() {
                f(fd, ofd);
            }
        }
    }

    fn cage_start(&mut self, cage: CageId) -> Result<(), Errno> {
        self.create(cage).map(|_| ())
    }

    fn is_full(&self, cage: CageId) -> bool {
        match self.cages.get(&cage) {
            Some(t) => t.lowest_free(0).is_none(),
            None => self.fds_per_cage <= STDIO as usize,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ofd(n: u64) -> OfdId {
        OfdId::from_raw(n)
    }

    #[test]
    fn lowest_free_first_and_emfile() {
        let mut t = LocalFdTable::with_limits(2, 130);
        t.cage_start(1).unwrap();
        for want in 3..130 {
            assert_eq!(t.insert_lowest(1, 0, ofd(want as u64), false), Ok(want));
        }
        assert!(t.is_full(1));
        assert_eq!(t.insert_lowest(1, 0, ofd(0), false), Err(Errno::EMFILE));
        assert_eq!(t.remove(1, 70), Some(ofd(70)));
        assert!(!t.is_full(1));
        assert_eq!(t.insert_lowest(1, 0, ofd(9), false), Ok(70));
        assert_eq!(t.insert_lowest(1, 200, ofd(9), false), Err(Errno::EMFILE));
    }

    #[test]
    fn min_respected_across_words() {
        let mut t = LocalFdTable::with_limits(1, 200);
        t.cage_start(1).unwrap();
        assert_eq!(t.insert_lowest(1, 64, ofd(1), false), Ok(64));
        assert_eq!(t.insert_lowest(1, 64, ofd(1), false), Ok(65));
        assert_eq!(t.insert_lowest(1, 127, ofd(1), false), Ok(127));
        assert_eq!(t.insert_lowest(1, 0, ofd(1), false), Ok(3));
    }

    #[test]
    fn cage_limit() {
        let mut t = LocalFdTable::with_limits(2, 8);
        t.cage_start(1).unwrap();
        t.fork(1, 2).unwrap();
        assert_eq!(t.fork(1, 3), Err(Errno::EAGAIN));
        assert_eq!(t.cage_start(4), Err(Errno::EAGAIN));
        t.exit(2, &mut |_| {});
        t.fork(1, 3).unwrap();
    }
}
