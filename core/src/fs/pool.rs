//! Fixed-capacity slot pools: a bump pointer plus a free list, so a zeroed
//! pool is a valid empty one and a freed slot is reusable at once.

use crate::PoolUsage;

/// An optional slot index, stored as `index + 1` so that zero means "none"
/// and zeroed memory holds no dangling links.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub(crate) struct Link(u32);

impl Link {
    pub const NONE: Link = Link(0);

    pub const fn to(index: u32) -> Link {
        Link(index.wrapping_add(1))
    }

    pub const fn get(self) -> Option<u32> {
        self.0.checked_sub(1)
    }

    pub const fn is_none(self) -> bool {
        self.0 == 0
    }
}

/// What a pool needs from its slot type.
pub(crate) trait Slot: Copy {
    /// The all-zero slot.
    const ZERO: Self;
    /// Marks the slot free and links it to the next free one.
    fn make_free(&mut self, next: Link);
    fn is_free(&self) -> bool;
    fn next_free(&self) -> Link;
    /// Fills a slot being handed out with `value`.
    fn revive(&mut self, value: Self) {
        *self = value;
    }
}

/// `N` slots; the first `PINNED` are live from the start (the root node) and
/// never freed.
pub(crate) struct Pool<T, const N: usize, const PINNED: usize> {
    slots: [T; N],
    /// Slots `PINNED..PINNED + top` have been handed out at least once.
    top: u32,
    free: Link,
    /// Live slots besides the pinned ones.
    used: u32,
    high: u32,
}

impl<T: Slot, const N: usize, const PINNED: usize> Pool<T, N, PINNED> {
    pub const fn new() -> Self {
        Pool {
            slots: [T::ZERO; N],
            top: 0,
            free: Link::NONE,
            used: 0,
            high: 0,
        }
    }

    /// Slots that may hold data (live or on the free list).
    pub fn touched(&self) -> u32 {
        self.top + PINNED as u32
    }

    pub fn used(&self) -> u32 {
        self.used + PINNED as u32
    }

    pub fn available(&self) -> u32 {
        (N - PINNED) as u32 - self.used
    }

    /// Takes a free slot and stores `value` in it.
    pub fn alloc(&mut self, value: T) -> Option<u32> {
        let index = match self.free.get() {
            Some(i) => {
                self.free = self.slots[i as usize].next_free();
                i
            }
            None if (self.touched() as usize) < N => {
                self.top += 1;
                self.touched() - 1
            }
            None => return None,
        };
        self.slots[index as usize].revive(value);
        self.used += 1;
        self.high = self.high.max(self.used);
        Some(index)
    }

    /// Returns live slot `index` to the free list.
    pub fn release(&mut self, index: u32) {
        let next = self.free;
        self.slots[index as usize].make_free(next);
        self.free = Link::to(index);
        self.used -= 1;
    }

    /// The slot at `index` if it was ever handed out and is live now.
    /// Safe with any caller-supplied index.
    pub fn live(&self, index: u32) -> Option<&T> {
        if index >= self.touched() {
            return None;
        }
        self.slots.get(index as usize).filter(|s| !s.is_free())
    }

    /// Slot by an index the filesystem itself keeps (always in range).
    pub fn at(&self, index: u32) -> &T {
        &self.slots[index as usize]
    }

    pub fn at_mut(&mut self, index: u32) -> &mut T {
        &mut self.slots[index as usize]
    }

    pub fn usage(&self) -> PoolUsage {
        PoolUsage {
            used: self.used(),
            high_water: self.high + PINNED as u32,
            capacity: N as u32,
        }
    }

    /// Live slots with their indices.
    pub fn iter_live(&self) -> impl Iterator<Item = (u32, &T)> {
        self.slots[..self.touched() as usize]
            .iter()
            .enumerate()
            .filter(|(_, s)| !s.is_free())
            .map(|(i, s)| (i as u32, s))
    }

    /// Checks the free list and counters against the slots.
    pub fn check(&self, name: &'static str) -> Result<(), crate::Corruption> {
        let bad = Err(crate::Corruption::PoolAccounting(name));
        let touched = self.touched() as usize;
        if touched > N || self.used() > self.touched() || self.high < self.used {
            return bad;
        }
        let free_slots = self.slots[..touched].iter().filter(|s| s.is_free()).count();
        if free_slots + self.used() as usize != touched {
            return bad;
        }
        // The free list holds exactly the free slots (bounded walk: no cycles).
        let mut walked = 0usize;
        let mut link = self.free;
        while let Some(i) = link.get() {
            if i as usize >= touched
                || i < PINNED as u32
                || !self.slots[i as usize].is_free()
                || walked >= touched
            {
                return bad;
            }
            walked += 1;
            link = self.slots[i as usize].next_free();
        }
        if walked != free_slots || self.slots[..PINNED.min(N)].iter().any(|s| s.is_free()) {
            return bad;
        }
        Ok(())
    }
}
