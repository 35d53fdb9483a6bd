//! POSIX record locks (fcntl F_SETLK/F_GETLK and the open-file-description
//! F_OFD_* variants) in one fixed table shared by every cage.
//!
//! Locks are advisory, as on Linux: they only answer lock requests. A lock
//! belongs to a cage (process-associated locks) or to an open file
//! description (OFD locks); two locks conflict when their owners differ,
//! their byte ranges overlap and either is a write lock. An owner's own
//! locks never overlap each other: setting a range replaces whatever the
//! owner held there, and adjacent or overlapping ranges of the same type
//! merge, as Linux's posix_lock_inode does.
//!
//! The table holds [`CAPACITY`] locks whatever the configuration; a request
//! that would need more fails with ENOLCK and changes nothing.

use crate::host::CageId;

/// Locks the table holds at once (all files, all cages).
pub const CAPACITY: usize = 256;

/// The end offset of a lock that reaches to end of file (Linux's OFFSET_MAX).
pub const TO_EOF: u64 = i64::MAX as u64;

/// Why a lock could not be set; nothing changed.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Refused {
    /// This lock of another owner conflicts (EAGAIN, or a wait for F_SETLKW).
    Conflict(Lock),
    /// The table has no room (ENOLCK).
    Full,
}

/// A read (shared) or write (exclusive) lock.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum LockKind {
    Read,
    Write,
}

/// Who holds a lock.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Owner {
    /// A process-associated lock: the cage's, released when it closes any fd
    /// of the file or exits.
    Cage(CageId),
    /// An OFD lock: the open file description's (its raw id), released when
    /// the description's last fd closes.
    Ofd(u64),
}

/// One held lock over bytes `start..=end` of `file`.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Lock {
    /// The file's identity (its inode number).
    pub file: u64,
    pub owner: Owner,
    pub start: u64,
    /// Inclusive; [`TO_EOF`] for a lock reaching to end of file.
    pub end: u64,
    pub kind: LockKind,
}

impl Lock {
    fn overlaps(&self, start: u64, end: u64) -> bool {
        self.start <= end && start <= self.end
    }

    fn conflicts(&self, file: u64, owner: Owner, start: u64, end: u64, kind: LockKind) -> bool {
        self.file == file
            && self.owner != owner
            && self.overlaps(start, end)
            && (self.kind == LockKind::Write || kind == LockKind::Write)
    }
}

/// The lock table: [`CAPACITY`] slots, allocated once.
pub struct LockTable {
    slots: Box<[Option<Lock>]>,
    /// Slots in use, so that closes skip the scan while no lock is held.
    held: usize,
}

impl Default for LockTable {
    fn default() -> Self {
        LockTable::new()
    }
}

impl LockTable {
    pub fn new() -> LockTable {
        LockTable {
            slots: vec![None; CAPACITY].into_boxed_slice(),
            held: 0,
        }
    }

    /// Locks held.
    pub fn len(&self) -> usize {
        self.held
    }

    pub fn is_empty(&self) -> bool {
        self.held == 0
    }

    /// A lock of another owner that would block `owner` from taking `kind`
    /// over `start..=end` of `file` (F_GETLK's answer), the lowest-starting one.
    pub fn conflict(
        &self,
        file: u64,
        owner: Owner,
        start: u64,
        end: u64,
        kind: LockKind,
    ) -> Option<Lock> {
        self.slots
            .iter()
            .flatten()
            .filter(|l| l.conflicts(file, owner, start, end, kind))
            .min_by_key(|l| l.start)
            .copied()
    }

    /// F_SETLK: gives `owner` a `kind` lock over `start..=end` of `file`, or
    /// with `kind` None unlocks that range.
    pub fn set(
        &mut self,
        file: u64,
        owner: Owner,
        start: u64,
        end: u64,
        kind: Option<LockKind>,
    ) -> Result<(), Refused> {
        if let Some(k) = kind {
            if let Some(held) = self.conflict(file, owner, start, end, k) {
                return Err(Refused::Conflict(held));
            }
        }
        let own = |l: &Lock| l.file == file && l.owner == owner;
        // The new lock absorbs the owner's same-type locks it overlaps or touches.
        let (mut start, mut end) = (start, end);
        if let Some(k) = kind {
            loop {
                let mut grown = false;
                for l in self.slots.iter().flatten() {
                    let touches =
                        l.start <= end.saturating_add(1) && start <= l.end.saturating_add(1);
                    if own(l) && l.kind == k && touches && (l.start < start || l.end > end) {
                        start = start.min(l.start);
                        end = end.max(l.end);
                        grown = true;
                    }
                }
                if !grown {
                    break;
                }
            }
        }
        // Room: the owner's locks wholly inside the range go; one lock strictly
        // around it splits in two; the new lock takes a slot.
        let (mut freed, mut split) = (0, false);
        for l in self.slots.iter().flatten().filter(|l| own(l)) {
            if l.start >= start && l.end <= end {
                freed += 1;
            } else if l.start < start && l.end > end {
                split = true;
            }
        }
        let free = CAPACITY - self.len();
        let need = usize::from(split) + usize::from(kind.is_some());
        if need > free + freed {
            return Err(Refused::Full);
        }
        let mut tail = None;
        for slot in self.slots.iter_mut() {
            let Some(l) = slot else { continue };
            if !own(l) || !l.overlaps(start, end) {
                continue;
            }
            if l.start >= start && l.end <= end {
                *slot = None;
                self.held -= 1;
            } else if l.start < start && l.end > end {
                tail = Some(Lock {
                    start: end + 1,
                    ..*l
                });
                l.end = start - 1;
            } else if l.start < start {
                l.end = start - 1;
            } else {
                l.start = end + 1;
            }
        }
        let added = kind.map(|kind| Lock {
            file,
            owner,
            start,
            end,
            kind,
        });
        for lock in [tail, added].into_iter().flatten() {
            // Counted above: a free slot exists.
            if let Some(slot) = self.slots.iter_mut().find(|s| s.is_none()) {
                *slot = Some(lock);
                self.held += 1;
            }
        }
        Ok(())
    }

    /// Drops every lock `owner` holds on `file` (a cage closed an fd of it).
    pub fn release_file(&mut self, file: u64, owner: Owner) {
        self.release(|l| l.file == file && l.owner == owner);
    }

    /// Drops every lock `owner` holds (a cage exited, a description closed).
    pub fn release_owner(&mut self, owner: Owner) {
        self.release(|l| l.owner == owner);
    }

    fn release(&mut self, doomed: impl Fn(&Lock) -> bool) {
        if self.held == 0 {
            return;
        }
        for slot in self.slots.iter_mut() {
            if slot.as_ref().is_some_and(&doomed) {
                *slot = None;
                self.held -= 1;
            }
        }
    }

    /// Every lock held, for tests.
    pub fn iter(&self) -> impl Iterator<Item = &Lock> {
        self.slots.iter().flatten()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const F: u64 = 7;
    const A: Owner = Owner::Cage(1);
    const B: Owner = Owner::Cage(2);
    use LockKind::{Read, Write};

    fn ranges(t: &LockTable, owner: Owner) -> Vec<(u64, u64, LockKind)> {
        let mut v: Vec<_> = t
            .iter()
            .filter(|l| l.owner == owner)
            .map(|l| (l.start, l.end, l.kind))
            .collect();
        v.sort_by_key(|r| r.0);
        v
    }

    #[test]
    fn conflicts_need_a_writer_and_an_overlap() {
        let mut t = LockTable::new();
        t.set(F, A, 0, 9, Some(Read)).unwrap();
        assert_eq!(t.set(F, B, 5, 5, Some(Read)), Ok(()));
        let held = Lock {
            file: F,
            owner: A,
            start: 0,
            end: 9,
            kind: Read,
        };
        assert_eq!(
            t.set(F, B, 9, 20, Some(Write)),
            Err(Refused::Conflict(held))
        );
        assert_eq!(t.set(F, B, 10, 20, Some(Write)), Ok(()));
        assert_eq!(t.set(F + 1, B, 0, 9, Some(Write)), Ok(()));
        let c = t.conflict(F, B, 0, TO_EOF, Write).unwrap();
        assert_eq!((c.owner, c.start, c.end, c.kind), (A, 0, 9, Read));
        let c = t.conflict(F, A, 0, 9, Write).unwrap();
        assert_eq!((c.owner, c.start), (B, 5));
        assert!(t.conflict(F, A, 0, 4, Write).is_none());
        assert!(t.conflict(F, A, 5, 5, Read).is_none());
    }

    #[test]
    fn setting_replaces_splits_and_merges_own_ranges() {
        let mut t = LockTable::new();
        t.set(F, A, 0, 99, Some(Read)).unwrap();
        t.set(F, A, 10, 19, Some(Write)).unwrap();
        assert_eq!(
            ranges(&t, A),
            vec![(0, 9, Read), (10, 19, Write), (20, 99, Read)]
        );
        t.set(F, A, 10, 19, Some(Read)).unwrap();
        assert_eq!(ranges(&t, A), vec![(0, 99, Read)]);
        t.set(F, A, 50, 59, None).unwrap();
        assert_eq!(ranges(&t, A), vec![(0, 49, Read), (60, 99, Read)]);
        t.set(F, A, 100, TO_EOF, Some(Read)).unwrap();
        assert_eq!(ranges(&t, A), vec![(0, 49, Read), (60, TO_EOF, Read)]);
        t.set(F, A, 0, TO_EOF, None).unwrap();
        assert!(t.is_empty());
    }

    #[test]
    fn a_full_table_refuses_with_enolck_and_changes_nothing() {
        let mut t = LockTable::new();
        for i in 0..CAPACITY as u64 {
            // Gaps keep the ranges from merging.
            t.set(F, A, i * 2, i * 2, Some(Write)).unwrap();
        }
        assert_eq!(t.len(), CAPACITY);
        assert_eq!(t.set(F, B, 1000, 1000, Some(Read)), Err(Refused::Full));
        // Splitting needs a slot too; replacing in place does not.
        assert_eq!(t.set(F, A, 0, 0, Some(Read)), Ok(()));
        assert_eq!(t.len(), CAPACITY);
        // Bridging a gap merges two locks into one and frees a slot.
        t.set(F, A, 3, 3, Some(Write)).unwrap();
        assert_eq!(t.len(), CAPACITY - 1);
        t.release_owner(A);
        assert!(t.is_empty());
        // Capacity is usable again.
        t.set(F, B, 0, 0, Some(Read)).unwrap();
    }

    #[test]
    fn releases_by_file_and_by_owner() {
        let mut t = LockTable::new();
        t.set(F, A, 0, 0, Some(Write)).unwrap();
        t.set(F + 1, A, 0, 0, Some(Write)).unwrap();
        t.set(F, B, 5, 5, Some(Write)).unwrap();
        t.set(F, Owner::Ofd(3), 9, 9, Some(Write)).unwrap();
        t.release_file(F, A);
        assert_eq!(t.len(), 3);
        assert!(t.conflict(F, B, 0, 0, Write).is_none());
        assert!(t.conflict(F, A, 9, 9, Read).is_some());
        t.release_owner(Owner::Ofd(3));
        t.release_owner(B);
        // Only A's lock on the other file is left.
        assert_eq!(t.len(), 1);
        assert_eq!(t.iter().next().map(|l| (l.file, l.owner)), Some((F + 1, A)));
    }
}
