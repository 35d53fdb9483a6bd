//! Fixed-capacity slot pools: a `heapless::Vec` of slots whose length is the
//! bump pointer, and a free list threaded through the freed slots.
//!
//! Invariants (what `check` verifies):
//! - slots past the Vec's length were never handed out (and are never read);
//! - the free list holds exactly the touched slots that are not live, once
//!   each, and never a pinned one;
//! - `used` counts the live slots besides the pinned ones.
//!
//! Since the free list is drained before the Vec grows, the length is also
//! the high-water mark of `used`. All of it is zero in an empty pool (length
//! 0, no free list), so zeroed memory is a valid empty pool and untouched
//! slots cost no resident memory.
//!
//! Why not heapless's own pools or maps: `heapless::pool` hands out owning
//! pointers from a global, lock-free stack that must be given every block at
//! run time (touching all of them), where the filesystem stores `u32` indices
//! in other slots and needs an all-zero empty state; `IndexMap` moves entries
//! on removal (indices would not stay stable) and caps capacity at 2^16,
//! a power of two.

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

    /// The stored word, for slot types that pack a link with other bits.
    pub const fn bits(self) -> u32 {
        self.0
    }

    pub const fn from_bits(bits: u32) -> Link {
        Link(bits)
    }
}

/// What a pool needs from its slot type.
pub(crate) trait Slot: Copy + 'static {
    /// The all-zero slot (a reference, so a pinned slot not yet written can
    /// be read as it).
    const ZERO: &'static Self;
    /// Marks the slot free and links it to the next free one.
    fn make_free(&mut self, next: Link);
    fn is_free(&self) -> bool;
    fn next_free(&self) -> Link;
    /// Fills a slot being handed out with `value` (a fresh slot starts as `ZERO`).
    fn revive(&mut self, value: Self) {
        *self = value;
    }
}

/// `N` slots; the first `PINNED` are live from the start (the root node) and
/// never freed. Until first written they are not in the Vec and read as
/// `T::ZERO`, which is why `ZERO` of a pinned slot must be its fresh state.
pub(crate) struct Pool<T, const N: usize, const PINNED: usize> {
    /// Slots handed out at least once; the length only grows.
    slots: heapless::Vec<T, N, u32>,
    free: Link,
    /// Live slots besides the pinned ones.
    used: u32,
}

// The accessors are `#[inline]` and their rare paths out of line: the Vec's
// length check sits on every hot path, and this keeps it within a few percent
// of the fixed array it replaced (see the benchmarks in the README).
impl<T: Slot, const N: usize, const PINNED: usize> Pool<T, N, PINNED> {
    pub const fn new() -> Self {
        Pool {
            slots: heapless::Vec::new(),
            free: Link::NONE,
            used: 0,
        }
    }

    /// Slots that may hold data (live or on the free list).
    #[inline]
    pub fn touched(&self) -> u32 {
        self.slots.len().max(PINNED) as u32
    }

    #[inline]
    pub fn used(&self) -> u32 {
        self.used + PINNED as u32
    }

    #[inline]
    pub fn available(&self) -> u32 {
        (N - PINNED) as u32 - self.used
    }

    /// Takes a free slot and stores `value` in it: the head of the free list,
    /// else the next never-used slot.
    #[inline]
    pub fn alloc(&mut self, value: T) -> Option<u32> {
        let index = match self.free.get() {
            Some(i) => {
                // Free slots are never pinned, so always in the Vec.
                let slot = &mut self.slots[i as usize];
                self.free = slot.next_free();
                slot.revive(value);
                i
            }
            None => {
                if self.slots.len() < PINNED {
                    self.write_pinned();
                }
                let mut fresh = *T::ZERO;
                fresh.revive(value);
                self.slots.push(fresh).ok()?;
                self.slots.len() as u32 - 1
            }
        };
        self.used += 1;
        Some(index)
    }

    /// Returns live slot `index` to the free list.
    #[inline]
    pub fn release(&mut self, index: u32) {
        let next = self.free;
        self.at_mut(index).make_free(next);
        self.free = Link::to(index);
        self.used -= 1;
    }

    /// The slot at `index` if it was ever handed out and is live now.
    /// Safe with any caller-supplied index.
    #[inline]
    pub fn live(&self, index: u32) -> Option<&T> {
        self.get(index).filter(|s| !s.is_free())
    }

    /// The slot at `index` if it was ever handed out, live or free.
    #[inline]
    pub fn get(&self, index: u32) -> Option<&T> {
        match self.slots.get(index as usize) {
            None if (index as usize) < PINNED => Some(T::ZERO),
            slot => slot,
        }
    }

    /// Slot by an index the filesystem itself keeps, so a touched one (any
    /// other is a broken invariant and out of bounds, as past `N` before). A
    /// pinned slot not yet written reads as `ZERO`.
    #[inline]
    pub fn at(&self, index: u32) -> &T {
        if PINNED == 0 {
            return &self.slots[index as usize];
        }
        self.slots.get(index as usize).unwrap_or(T::ZERO)
    }

    /// As `at`, for writing: a pinned slot's first write puts it in the Vec.
    #[inline]
    pub fn at_mut(&mut self, index: u32) -> &mut T {
        if (index as usize) < self.slots.len() {
            &mut self.slots[index as usize]
        } else {
            self.at_mut_unwritten(index)
        }
    }

    #[cold]
    #[inline(never)]
    fn at_mut_unwritten(&mut self, index: u32) -> &mut T {
        self.write_pinned();
        &mut self.slots[index as usize]
    }

    /// Puts the pinned slots not yet written into the Vec, as `ZERO`.
    fn write_pinned(&mut self) {
        while self.slots.len() < PINNED && self.slots.push(*T::ZERO).is_ok() {}
    }

    pub fn usage(&self) -> PoolUsage {
        PoolUsage {
            used: self.used(),
            high_water: self.touched(),
            capacity: N as u32,
        }
    }

    /// Touched slots, live or free, with their indices.
    fn iter_touched(&self) -> impl Iterator<Item = (u32, &T)> {
        let unwritten_pins = self.slots.len()..PINNED;
        self.slots
            .iter()
            .chain(unwritten_pins.map(|_| T::ZERO))
            .enumerate()
            .map(|(i, s)| (i as u32, s))
    }

    /// Live slots with their indices.
    pub fn iter_live(&self) -> impl Iterator<Item = (u32, &T)> {
        self.iter_touched().filter(|(_, s)| !s.is_free())
    }

    /// Checks the free list and counters against the slots.
    pub fn check(&self, name: &'static str) -> Result<(), crate::Corruption> {
        let bad = Err(crate::Corruption::PoolAccounting(name));
        let touched = self.touched() as usize;
        if self.used() > self.touched() {
            return bad;
        }
        let free_slots = self.iter_touched().filter(|(_, s)| s.is_free()).count();
        if free_slots + self.used() as usize != touched {
            return bad;
        }
        // The free list holds exactly the free slots (bounded walk: no cycles).
        let mut walked = 0usize;
        let mut link = self.free;
        while let Some(i) = link.get() {
            match self.get(i) {
                Some(s) if s.is_free() && i >= PINNED as u32 && walked < touched => {
                    link = s.next_free();
                }
                _ => return bad,
            }
            walked += 1;
        }
        let pinned_freed = self.iter_touched().take(PINNED).any(|(_, s)| s.is_free());
        if walked != free_slots || pinned_freed {
            return bad;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Corruption;
    use std::boxed::Box;
    use std::vec::Vec;

    /// A slot holding one number; zero is the pinned slot's fresh value.
    #[derive(Clone, Copy, Debug, PartialEq)]
    struct Cell {
        value: u32,
        next: Link,
        free: bool,
    }

    impl Slot for Cell {
        const ZERO: &'static Cell = &Cell {
            value: 0,
            next: Link::NONE,
            free: false,
        };
        fn make_free(&mut self, next: Link) {
            *self = Cell {
                value: 0,
                next,
                free: true,
            };
        }
        fn is_free(&self) -> bool {
            self.free
        }
        fn next_free(&self) -> Link {
            self.next
        }
    }

    fn cell(value: u32) -> Cell {
        Cell {
            value,
            ..*Cell::ZERO
        }
    }

    type Pinned = Pool<Cell, 4, 1>;

    fn zeroed() -> Box<Pinned> {
        // SAFETY: all-zero bytes are an empty pool: a heapless::Vec of length
        // 0 (its buffer is MaybeUninit) and integer links and counters.
        unsafe { Box::<Pinned>::new_zeroed().assume_init() }
    }

    fn accounting() -> Result<(), Corruption> {
        Err(Corruption::PoolAccounting("p"))
    }

    #[test]
    fn zeroed_memory_is_an_empty_pool_with_its_pinned_slot_live() {
        for p in [zeroed(), Box::new(Pinned::new())] {
            assert_eq!(p.check("p"), Ok(()));
            assert_eq!(p.live(0), Some(Cell::ZERO));
            assert_eq!(p.live(1), None);
            assert_eq!(p.live(u32::MAX), None);
            assert_eq!((p.touched(), p.used(), p.available()), (1, 1, 3));
            let live: Vec<_> = p.iter_live().collect();
            assert_eq!(live, [(0, Cell::ZERO)]);
        }
    }

    #[test]
    fn a_pinned_slot_keeps_what_is_written_to_it() {
        let mut p = zeroed();
        p.at_mut(0).value = 7;
        assert_eq!(p.at(0).value, 7);
        assert_eq!(p.alloc(cell(1)), Some(1));
        assert_eq!(p.at(0).value, 7);
        assert_eq!(p.check("p"), Ok(()));
    }

    #[test]
    fn slots_are_handed_out_in_order_then_reused_last_freed_first() {
        let mut p = zeroed();
        assert_eq!(p.alloc(cell(1)), Some(1), "slot 0 is pinned");
        assert_eq!(p.alloc(cell(2)), Some(2));
        assert_eq!(p.alloc(cell(3)), Some(3));
        assert_eq!(p.alloc(cell(4)), None, "full");
        assert_eq!(p.check("p"), Ok(()));
        p.release(1);
        p.release(3);
        assert_eq!(p.live(1), None);
        assert_eq!(p.at(2).value, 2, "other slots stay where they are");
        assert_eq!(p.check("p"), Ok(()));
        assert_eq!(
            p.usage(),
            PoolUsage {
                used: 2,
                high_water: 4,
                capacity: 4
            }
        );
        assert_eq!(p.alloc(cell(5)), Some(3));
        assert_eq!(p.alloc(cell(6)), Some(1));
        assert_eq!(p.alloc(cell(7)), None);
        let values: Vec<_> = p.iter_live().map(|(i, c)| (i, c.value)).collect();
        assert_eq!(values, [(0, 0), (1, 6), (2, 2), (3, 5)]);
        assert_eq!(p.check("p"), Ok(()));
    }

    #[test]
    fn revive_sees_the_freed_slot_or_zero() {
        /// Counts how often its slot was handed out, across frees.
        #[derive(Clone, Copy)]
        struct Gen(u32, bool, Link);
        impl Slot for Gen {
            const ZERO: &'static Gen = &Gen(0, false, Link::NONE);
            fn make_free(&mut self, next: Link) {
                *self = Gen(self.0, true, next);
            }
            fn is_free(&self) -> bool {
                self.1
            }
            fn next_free(&self) -> Link {
                self.2
            }
            fn revive(&mut self, _: Gen) {
                *self = Gen(self.0 + 1, false, Link::NONE);
            }
        }
        let mut p = Pool::<Gen, 2, 0>::new();
        let a = p.alloc(Gen(9, false, Link::NONE)).unwrap();
        assert_eq!(p.at(a).0, 1, "a fresh slot revives from ZERO");
        p.release(a);
        assert_eq!(p.alloc(Gen(9, false, Link::NONE)), Some(a));
        assert_eq!(p.at(a).0, 2);
    }

    #[test]
    fn check_catches_broken_counters_and_free_lists() {
        let filled = || {
            let mut p = zeroed();
            for v in 1..4 {
                p.alloc(cell(v));
            }
            p.release(2);
            p.release(1);
            p
        };
        assert_eq!(filled().check("p"), Ok(()));

        let mut p = filled();
        p.used += 1;
        assert_eq!(p.check("p"), accounting());

        let mut p = filled();
        p.free = Link::to(2); // slot 1 lost from the free list
        assert_eq!(p.check("p"), accounting());

        let mut p = filled();
        p.at_mut(2).next = Link::to(1); // a cycle
        assert_eq!(p.check("p"), accounting());

        let mut p = filled();
        p.at_mut(2).next = Link::to(3); // a live slot on the free list
        assert_eq!(p.check("p"), accounting());

        let mut p = filled();
        p.at_mut(2).next = Link::to(0); // the pinned slot on the free list
        p.at_mut(0).free = true;
        assert_eq!(p.check("p"), accounting());
    }
}
