//! File bytes in fixed-size chunks from one pool.
//!
//! A chunk belongs to one owner (a node index) at one chunk index (offset /
//! CHUNK_SIZE). Offset to chunk is an O(1) hash lookup keyed by (owner, index),
//! never a walk; holes hold no chunk and read as zeros.
//!
//! Layout, all of it zero in an empty store (so zeroed memory is one):
//! - `slots`: a [`Pool`] of per-chunk keys (owner, index) and link words. A
//!   live slot links to the next slot of its hash bucket, a free one to the
//!   next free slot; the top bit of the link word marks the slot live.
//! - `bytes`: the chunks' contents, by slot number. A plain array, not part
//!   of the pool's Vec: a slot the pool never handed out keeps zero bytes,
//!   which is what lets a new chunk skip zeroing.
//! - `buckets`: `CHUNKS` chain heads, so the load factor is <= 1.
//!
//! Zeroing happens on allocation, and only for the bytes the allocating write
//! does not cover: a never-used chunk is still zero and skips it, freeing is
//! O(1) (truncating or unlinking a big file touches no data), and a
//! sequential write fills each new chunk exactly once. The other half of the
//! "bytes past EOF read zero" invariant is `truncate`, which zeroes the tail
//! of the chunk holding the new size.

use crate::pool::{self, Link, Pool};
use crate::{Corruption, Errno, PoolUsage, Result};

/// What a write did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Written {
    /// Bytes copied; short only when the pool ran out part-way.
    pub bytes: usize,
    /// Chunks newly allocated for this owner.
    pub new_chunks: u32,
}

/// Marks a slot live in its link word; the low bits hold the link.
const LIVE: u32 = 1 << 31;

/// One chunk's key and link. 12 bytes with no padding.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
struct Slot {
    owner: u32,
    index: u32,
    /// `LIVE` bit | the next slot's [`Link`] (in the chain or the free list).
    link: u32,
}

impl Slot {
    const fn is_live(&self) -> bool {
        self.link & LIVE != 0
    }
    const fn next(&self) -> Link {
        Link::from_bits(self.link & !LIVE)
    }
}

impl pool::Slot for Slot {
    const ZERO: &'static Slot = &Slot {
        owner: 0,
        index: 0,
        link: 0,
    };

    fn make_free(&mut self, next: Link) {
        *self = Slot {
            owner: 0,
            index: 0,
            link: next.bits(),
        };
    }

    fn is_free(&self) -> bool {
        !self.is_live()
    }

    fn next_free(&self) -> Link {
        self.next()
    }
}

/// `CHUNKS` chunks of `CHUNK_SIZE` bytes, shared by every owner.
pub struct ChunkStore<const CHUNKS: usize, const CHUNK_SIZE: usize> {
    bytes: [[u8; CHUNK_SIZE]; CHUNKS],
    slots: Pool<Slot, CHUNKS, 0>,
    buckets: [Link; CHUNKS],
}

impl<const CHUNKS: usize, const CHUNK_SIZE: usize> ChunkStore<CHUNKS, CHUNK_SIZE> {
    /// An empty store, as zeroed memory is one: zeros plus pool slots never
    /// written, so a `static` holding it lands in .bss.
    pub const fn new() -> Self {
        const {
            assert!(CHUNK_SIZE > 0, "chunk size must not be zero");
            assert!(CHUNKS < LIVE as usize, "at most 2^31 - 1 chunks");
        }
        ChunkStore {
            bytes: [[0; CHUNK_SIZE]; CHUNKS],
            slots: Pool::new(),
            buckets: [Link::NONE; CHUNKS],
        }
    }

    /// Copies bytes `[off, off + buf.len())` of `owner`'s data into `buf`;
    /// holes read as zeros. The caller clamps the range to the file size.
    #[inline]
    pub fn read(&self, owner: u32, off: u64, buf: &mut [u8]) {
        let mut done = 0;
        while let Some(rest) = buf.get_mut(done..).filter(|r| !r.is_empty()) {
            let Some((index, within)) = off.checked_add(done as u64).and_then(Self::split) else {
                // Past the last chunk index nothing can be stored.
                rest.fill(0);
                return;
            };
            let n = rest.len().min(CHUNK_SIZE - within);
            let src = self
                .find(owner, index)
                .and_then(|s| self.bytes.get(s))
                .and_then(|chunk| chunk.get(within..within + n));
            if let Some(dst) = rest.get_mut(..n) {
                match src {
                    Some(src) => dst.copy_from_slice(src),
                    None => dst.fill(0),
                }
            }
            done += n;
        }
    }

    /// Writes `data` at `off`, allocating chunks for the holes it covers.
    /// Short when the pool runs out part-way (everything reported is stored,
    /// nothing else changed); `Err(ENOSPC)` when not one byte fits, `Err(EFBIG)`
    /// when `off` is past the last chunk index (u32::MAX) the store can hold.
    pub fn write(&mut self, owner: u32, off: u64, data: &[u8]) -> Result<Written> {
        let mut done = 0;
        let mut new_chunks = 0;
        let mut stopped = Errno::ENOSPC;
        while let Some(rest) = data.get(done..).filter(|r| !r.is_empty()) {
            let Some((index, within)) = off.checked_add(done as u64).and_then(Self::split) else {
                stopped = Errno::EFBIG;
                break;
            };
            let n = rest.len().min(CHUNK_SIZE - within);
            let slot = match self.find(owner, index) {
                Some(slot) => slot,
                None => match self.allocate(owner, index, within, n) {
                    Some(slot) => {
                        new_chunks += 1;
                        slot
                    }
                    None => break,
                },
            };
            let dst = self
                .bytes
                .get_mut(slot)
                .and_then(|c| c.get_mut(within..within + n));
            let (Some(dst), Some(src)) = (dst, rest.get(..n)) else {
                break;
            };
            dst.copy_from_slice(src);
            done += n;
        }
        if done == 0 && !data.is_empty() {
            return Err(stopped);
        }
        Ok(Written {
            bytes: done,
            new_chunks,
        })
    }

    /// Frees `owner`'s chunks wholly at or past `new_len` and zeroes the rest of
    /// the chunk holding `new_len`, given the data never reached past `old_len`.
    /// Growing (`new_len >= old_len`) changes nothing: bytes past the old size
    /// are already zero. Needs no free slot; costs at most
    /// min(chunk indices in the range, chunks in use) steps, so dropping a
    /// huge sparse file is fast. Returns the number of chunks freed.
    pub fn truncate(&mut self, owner: u32, old_len: u64, new_len: u64) -> u32 {
        if new_len >= old_len {
            return 0;
        }
        if let Some((index, within)) = Self::split(new_len) {
            if within != 0 {
                let tail = self.find(owner, index).and_then(|s| self.bytes.get_mut(s));
                if let Some(tail) = tail.and_then(|c| c.get_mut(within..)) {
                    tail.fill(0);
                }
            }
        }
        let first = Self::chunks_below(new_len);
        let last = (old_len - 1) / CHUNK_SIZE as u64;
        self.free_range(owner, first, last)
    }

    /// Gives every hole among the chunks holding bytes `[off, end)` a zeroed
    /// chunk (fallocate). The caller checked with `chunks_needed` and
    /// `can_allocate` that they fit; should the pool run out anyway it
    /// stops there, leaving only whole chunks allocated. Costs the chunk
    /// indices in the range, which that check bounds by the pool's size.
    /// Returns the chunks allocated.
    pub fn allocate_range(&mut self, owner: u32, off: u64, end: u64) -> u32 {
        if end <= off {
            return 0;
        }
        let first = off / CHUNK_SIZE as u64;
        let last = ((end - 1) / CHUNK_SIZE as u64).min(u32::MAX.into());
        let mut added = 0;
        for index in first..=last {
            // first..=last lie within u32 here (last was clamped).
            let index = index as u32;
            if self.find(owner, index).is_some() {
                continue;
            }
            // Covering none of it, so a reused chunk is zeroed whole.
            if self.allocate(owner, index, 0, 0).is_none() {
                break;
            }
            added += 1;
        }
        added
    }

    /// Deallocates bytes `[off, end)` of `owner` (fallocate's PUNCH_HOLE):
    /// chunks wholly inside are freed, the covered parts of the others
    /// zeroed, so the range reads zeros. Returns the chunks freed.
    pub fn punch(&mut self, owner: u32, off: u64, end: u64) -> u32 {
        if end <= off {
            return 0;
        }
        let size = CHUNK_SIZE as u64;
        // Whole chunks: indices first_whole..end_whole (exclusive).
        let first_whole = off.div_ceil(size);
        let end_whole = end / size;
        self.zero_within_chunk(owner, off, end.min(first_whole.saturating_mul(size)));
        if end_whole >= first_whole {
            self.zero_within_chunk(owner, off.max(end_whole.saturating_mul(size)), end);
        }
        if end_whole > first_whole {
            self.free_range(owner, first_whole, end_whole - 1)
        } else {
            0
        }
    }

    /// The first offset >= `from` and < `size` inside a chunk (SEEK_DATA), if any.
    pub fn seek_data(&self, owner: u32, from: u64, size: u64) -> Option<u64> {
        if from >= size {
            return None;
        }
        let first = from / CHUNK_SIZE as u64;
        let last = (size - 1) / CHUNK_SIZE as u64;
        let index = self.first_present(owner, first, last)?;
        Some(from.max(u64::from(index) * CHUNK_SIZE as u64))
    }

    /// The first offset >= `from` in a hole, or `size` (SEEK_HOLE); `size` too
    /// when `from >= size` (the caller reports ENXIO for that).
    pub fn seek_hole(&self, owner: u32, from: u64, size: u64) -> u64 {
        let mut pos = from;
        // Each turn steps over one distinct chunk of `owner`, so at most
        // `used` turns find data before a hole turns up.
        for _ in 0..=self.slots.used() {
            if pos >= size {
                break;
            }
            let Some((index, _)) = Self::split(pos) else {
                return pos;
            };
            if self.find(owner, index).is_none() {
                return pos;
            }
            match (u64::from(index) + 1).checked_mul(CHUNK_SIZE as u64) {
                Some(next) => pos = next,
                None => break,
            }
        }
        size
    }

    /// How many chunks a write of `len` bytes at `off` would allocate: the
    /// holes in its range (chunk indices past u32::MAX not counted, since a
    /// write cannot reach them). Lets the caller check capacity up front.
    /// Costs at most min(chunk indices in the range, chunks in use) steps.
    pub fn chunks_needed(&self, owner: u32, off: u64, len: u64) -> u64 {
        if len == 0 {
            return 0;
        }
        let first = off / CHUNK_SIZE as u64;
        let last = (off.saturating_add(len - 1) / CHUNK_SIZE as u64).min(u32::MAX.into());
        if first > last {
            return 0;
        }
        (last - first + 1) - self.count_present(owner, first, last)
    }

    /// Whether `n` more chunks can be allocated now.
    pub fn can_allocate(&self, n: u64) -> bool {
        n <= u64::from(self.free_chunks())
    }

    /// Chunks free now.
    pub fn free_chunks(&self) -> u32 {
        self.slots.available()
    }

    /// Chunks in use, their peak, and the pool's size.
    pub fn usage(&self) -> PoolUsage {
        self.slots.usage()
    }

    /// Calls `f(owner, index)` for every allocated chunk (for the fsck).
    pub fn for_each_chunk(&self, mut f: impl FnMut(u32, u32)) {
        for (_, slot) in self.slots.iter_live() {
            f(slot.owner, slot.index);
        }
    }

    /// Checks the store's own invariants: the pool's free list and counters,
    /// and that every live chunk sits exactly once in its own bucket's chain
    /// (so its key is unique) while no free slot sits in any chain.
    pub fn check(&self) -> core::result::Result<(), Corruption> {
        self.slots.check("chunks")?;
        for (s, slot) in self.slots.iter_live() {
            if self.find(slot.owner, slot.index) != Some(s as usize) {
                return Err(Corruption::Chunk(s));
            }
        }
        // Every live slot was found through its bucket above; visiting exactly
        // `live` chain entries, all live and all in the right bucket, means
        // none is reached twice.
        let live = self.slots.used();
        let mut visits = 0;
        for (bucket, &head) in self.buckets.iter().enumerate() {
            let mut link = head;
            while let Some(s) = link.get() {
                match self.slots.live(s) {
                    Some(slot) if Self::bucket_of(slot.owner, slot.index) == bucket => {
                        link = slot.next();
                    }
                    _ => return Err(Corruption::Chunk(s)),
                }
                visits += 1;
                if visits > live {
                    return Err(Corruption::Chunk(s));
                }
            }
        }
        if visits != live {
            return Err(Corruption::PoolAccounting("chunks"));
        }
        Ok(())
    }

    // ---- internals ----

    /// Offset to (chunk index, offset within the chunk); None past u32::MAX chunks.
    fn split(pos: u64) -> Option<(u32, usize)> {
        let size = CHUNK_SIZE as u64;
        let index = u32::try_from(pos.checked_div(size)?).ok()?;
        Some((index, (pos % size) as usize))
    }

    /// Zeroes bytes `[from, to)` of `owner`, which lie in one chunk, if it is there.
    fn zero_within_chunk(&mut self, owner: u32, from: u64, to: u64) {
        if to <= from {
            return;
        }
        let Some((index, within)) = Self::split(from) else {
            return;
        };
        let n = usize::try_from(to - from).unwrap_or(CHUNK_SIZE);
        let chunk = self.find(owner, index).and_then(|s| self.bytes.get_mut(s));
        if let Some(bytes) = chunk.and_then(|c| c.get_mut(within..within.saturating_add(n))) {
            bytes.fill(0);
        }
    }

    /// Chunk indices wholly below `len`, i.e. the first index at or past it.
    fn chunks_below(len: u64) -> u64 {
        len.div_ceil(CHUNK_SIZE as u64)
    }

    /// Multiplicative (Fibonacci) hash of the key, mapped onto 0..CHUNKS by a
    /// multiply-shift instead of a division.
    fn bucket_of(owner: u32, index: u32) -> usize {
        let key = (u64::from(owner) << 32) | u64::from(index);
        let mixed = key.wrapping_mul(0x9E37_79B9_7F4A_7C15) >> 32;
        ((mixed * CHUNKS as u64) >> 32) as usize
    }

    /// Live chunks' slots.
    fn live_slots(&self) -> impl Iterator<Item = &Slot> {
        self.slots.iter_live().map(|(_, slot)| slot)
    }

    /// The slot holding `owner`'s chunk `index`, if any.
    #[inline]
    fn find(&self, owner: u32, index: u32) -> Option<usize> {
        let mut link = *self.buckets.get(Self::bucket_of(owner, index))?;
        // Bounded so that even a corrupted (cyclic) chain cannot hang a caller.
        for _ in 0..=CHUNKS {
            let s = link.get()?;
            let slot = self.slots.get(s)?;
            if slot.owner == owner && slot.index == index {
                return Some(s as usize);
            }
            link = slot.next();
        }
        None
    }

    /// Takes a free slot for `owner`'s chunk `index`, zeroing whatever of its
    /// old contents the coming write of `[within, within + n)` will not cover.
    fn allocate(&mut self, owner: u32, index: u32, within: usize, n: usize) -> Option<usize> {
        let bucket = Self::bucket_of(owner, index);
        let head = *self.buckets.get(bucket)?;
        let never_used = self.slots.touched();
        let s = self.slots.alloc(Slot {
            owner,
            index,
            link: LIVE | head.bits(),
        })?;
        if let Some(bucket) = self.buckets.get_mut(bucket) {
            *bucket = Link::to(s);
        }
        // A slot never handed out before still holds zeros.
        if s < never_used {
            if let Some(chunk) = self.bytes.get_mut(s as usize) {
                let (before, rest) = chunk.split_at_mut(within.min(CHUNK_SIZE));
                before.fill(0);
                rest.get_mut(n..).unwrap_or_default().fill(0);
            }
        }
        Some(s as usize)
    }

    /// Unlinks `owner`'s chunk `index` from its bucket and puts its slot on the
    /// free list. Returns whether there was one.
    // Inlined into `free_range`'s loops: out of line it cost about 30 more
    // instructions per freed chunk when dropping a big file.
    #[inline(always)]
    fn remove(&mut self, owner: u32, index: u32) -> bool {
        let bucket = Self::bucket_of(owner, index);
        let Some(&head) = self.buckets.get(bucket) else {
            return false;
        };
        let mut link = head;
        let mut prev = None;
        for _ in 0..=CHUNKS {
            let Some(s) = link.get() else {
                return false;
            };
            let Some(&slot) = self.slots.get(s) else {
                return false;
            };
            if slot.owner != owner || slot.index != index {
                prev = Some(s);
                link = slot.next();
                continue;
            }
            match prev {
                Some(p) => self.slots.at_mut(p).link = LIVE | slot.next().bits(),
                None => {
                    if let Some(head) = self.buckets.get_mut(bucket) {
                        *head = slot.next();
                    }
                }
            }
            self.slots.release(s);
            return true;
        }
        false
    }

    /// Probing chunk indices one by one costs a hash lookup each; one pass
    /// over the touched slots costs that many cheap steps. Take the smaller.
    fn probe_is_cheaper(&self, first: u64, last: u64) -> bool {
        last - first < u64::from(self.slots.touched())
    }

    /// Frees `owner`'s chunks with index in `first..=last`; returns how many.
    fn free_range(&mut self, owner: u32, first: u64, last: u64) -> u32 {
        let last = last.min(u32::MAX.into());
        if first > last {
            return 0;
        }
        let mut freed = 0;
        if self.probe_is_cheaper(first, last) {
            // first..=last lie within u32 here (last was clamped).
            for index in first as u32..=last as u32 {
                freed += u32::from(self.remove(owner, index));
            }
        } else {
            for s in 0..self.slots.touched() {
                let Some(&slot) = self.slots.get(s) else {
                    break;
                };
                let index = u64::from(slot.index);
                if slot.is_live() && slot.owner == owner && (first..=last).contains(&index) {
                    freed += u32::from(self.remove(owner, slot.index));
                }
            }
        }
        freed
    }

    /// The lowest index in `first..=last` where `owner` has a chunk.
    fn first_present(&self, owner: u32, first: u64, last: u64) -> Option<u32> {
        let last = last.min(u32::MAX.into());
        if first > last {
            return None;
        }
        if self.probe_is_cheaper(first, last) {
            (first as u32..=last as u32).find(|&i| self.find(owner, i).is_some())
        } else {
            self.live_slots()
                .filter(|s| s.owner == owner)
                .map(|s| s.index)
                .filter(|&i| (first..=last).contains(&u64::from(i)))
                .min()
        }
    }

    /// How many indices in `first..=last` (within u32) hold a chunk of `owner`.
    fn count_present(&self, owner: u32, first: u64, last: u64) -> u64 {
        if self.probe_is_cheaper(first, last) {
            (first as u32..=last as u32)
                .filter(|&i| self.find(owner, i).is_some())
                .count() as u64
        } else {
            self.live_slots()
                .filter(|s| s.owner == owner)
                .filter(|s| (first..=last).contains(&u64::from(s.index)))
                .count() as u64
        }
    }
}

impl<const CHUNKS: usize, const CHUNK_SIZE: usize> Default for ChunkStore<CHUNKS, CHUNK_SIZE> {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::{boxed::Box, collections::BTreeSet, vec, vec::Vec};

    const CS: usize = 512;
    type Small = ChunkStore<8, CS>;

    fn store() -> Box<Small> {
        Box::new(Small::new())
    }

    fn read_vec(s: &Small, owner: u32, off: u64, len: usize) -> Vec<u8> {
        let mut buf = vec![0xAA; len];
        s.read(owner, off, &mut buf);
        buf
    }

    fn pattern(len: usize, seed: u8) -> Vec<u8> {
        (0..len)
            .map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) | 1)
            .collect()
    }

    #[test]
    fn zeroed_memory_is_an_empty_store_that_works_like_new() {
        // SAFETY: all-zero bytes are an empty store: byte arrays, integer
        // links and an empty pool (heapless::Vec length 0).
        let mut zeroed: Box<Small> = unsafe { Box::<Small>::new_zeroed().assume_init() };
        assert_eq!(zeroed.check(), Ok(()));
        assert_eq!(
            zeroed.usage(),
            PoolUsage {
                used: 0,
                high_water: 0,
                capacity: 8
            }
        );
        assert_eq!(zeroed.free_chunks(), 8);
        let mut fresh = store();
        for s in [&mut zeroed, &mut fresh] {
            s.write(1, 10, &pattern(3 * CS, 1)).unwrap();
            s.write(2, 0, &pattern(5 * CS, 2)).unwrap();
            s.truncate(2, 5 * CS as u64, CS as u64 + 1);
            s.check().unwrap();
        }
        assert_eq!(zeroed.usage(), fresh.usage());
        assert_eq!(zeroed.usage().used, 6);
        for owner in [1, 2] {
            assert_eq!(
                read_vec(&zeroed, owner, 0, 4 * CS),
                read_vec(&fresh, owner, 0, 4 * CS)
            );
        }
    }

    #[test]
    fn holes_read_zero_and_take_no_chunks() {
        let mut s = store();
        assert_eq!(read_vec(&s, 1, 0, 3 * CS), vec![0; 3 * CS]);
        let w = s.write(1, 2 * CS as u64 + 10, b"xyz").unwrap();
        assert_eq!(
            w,
            Written {
                bytes: 3,
                new_chunks: 1
            }
        );
        s.check().unwrap();
        let got = read_vec(&s, 1, 0, 3 * CS);
        let mut want = vec![0; 3 * CS];
        want[2 * CS + 10..2 * CS + 13].copy_from_slice(b"xyz");
        assert_eq!(got, want);
        assert_eq!(s.usage().used, 1);
    }

    #[test]
    fn writes_across_chunk_boundaries_read_back() {
        let mut s = store();
        let data = pattern(3 * CS + 7, 5);
        let w = s.write(2, CS as u64 - 3, &data).unwrap();
        assert_eq!(
            w,
            Written {
                bytes: data.len(),
                new_chunks: 5
            }
        );
        s.check().unwrap();
        assert_eq!(read_vec(&s, 2, CS as u64 - 3, data.len()), data);
        assert_eq!(read_vec(&s, 2, 0, CS - 3), vec![0; CS - 3]);
        // Overwriting existing chunks allocates nothing.
        let w = s.write(2, CS as u64, b"hello").unwrap();
        assert_eq!(
            w,
            Written {
                bytes: 5,
                new_chunks: 0
            }
        );
        assert_eq!(read_vec(&s, 2, CS as u64, 5), b"hello");
        s.check().unwrap();
    }

    #[test]
    fn empty_write_is_ok_and_changes_nothing() {
        let mut s = store();
        assert_eq!(s.write(1, 0, &[]), Ok(Written::default()));
        assert_eq!(s.write(1, u64::MAX, &[]), Ok(Written::default()));
        assert_eq!(s.usage().used, 0);
        s.check().unwrap();
    }

    #[test]
    fn exhaustion_gives_exact_short_write_then_enospc() {
        let mut s = store();
        let data = pattern(10 * CS, 9);
        // Starts mid-chunk: 8 chunks hold CS - 100 + 7 * CS bytes.
        let w = s.write(1, 100, &data).unwrap();
        assert_eq!(
            w,
            Written {
                bytes: 8 * CS - 100,
                new_chunks: 8
            }
        );
        assert_eq!(s.free_chunks(), 0);
        s.check().unwrap();
        assert_eq!(read_vec(&s, 1, 100, w.bytes), data[..w.bytes]);
        // Nothing past the reported bytes was stored.
        assert_eq!(read_vec(&s, 1, 8 * CS as u64, CS), vec![0; CS]);
        assert_eq!(s.write(1, 8 * CS as u64, b"a"), Err(Errno::ENOSPC));
        assert_eq!(s.write(3, 0, b"a"), Err(Errno::ENOSPC));
        // Writing inside existing chunks still works on a full pool.
        assert_eq!(
            s.write(1, 0, b"head").unwrap(),
            Written {
                bytes: 4,
                new_chunks: 0
            }
        );
        // A write into existing chunks that runs into a hole stops at the boundary.
        let w = s.write(1, 8 * CS as u64 - 2, b"abcd").unwrap();
        assert_eq!(
            w,
            Written {
                bytes: 2,
                new_chunks: 0
            }
        );
        assert_eq!(
            s.usage(),
            PoolUsage {
                used: 8,
                high_water: 8,
                capacity: 8
            }
        );
        s.check().unwrap();
    }

    #[test]
    fn truncate_down_frees_and_zeroes_the_tail() {
        let mut s = store();
        let data = pattern(4 * CS, 3);
        s.write(1, 0, &data).unwrap();
        let freed = s.truncate(1, 4 * CS as u64, CS as u64 + 10);
        assert_eq!(freed, 2);
        assert_eq!(s.usage().used, 2);
        s.check().unwrap();
        // Grow again: the old tail must read zero, not stale data.
        assert_eq!(s.truncate(1, CS as u64 + 10, 4 * CS as u64), 0);
        let got = read_vec(&s, 1, 0, 4 * CS);
        let mut want = vec![0; 4 * CS];
        want[..CS + 10].copy_from_slice(&data[..CS + 10]);
        assert_eq!(got, want);
        // Truncating at a chunk boundary frees that chunk too.
        assert_eq!(s.truncate(1, 4 * CS as u64, CS as u64), 1);
        assert_eq!(s.truncate(1, CS as u64, 0), 1);
        assert_eq!(s.usage().used, 0);
        s.check().unwrap();
    }

    #[test]
    fn reused_chunks_read_zero_outside_the_written_bytes() {
        let mut s = store();
        s.write(1, 0, &vec![0xFF; 8 * CS]).unwrap();
        assert_eq!(s.truncate(1, 8 * CS as u64, 0), 8);
        s.check().unwrap();
        // Every slot is now dirty and free; small writes must not expose old bytes.
        for i in 0..8u64 {
            let w = s.write(2, i * CS as u64 + 200, b"mid").unwrap();
            assert_eq!(w.new_chunks, 1);
        }
        for i in 0..8u64 {
            let got = read_vec(&s, 2, i * CS as u64, CS);
            let mut want = vec![0; CS];
            want[200..203].copy_from_slice(b"mid");
            assert_eq!(got, want);
        }
        s.check().unwrap();
    }

    #[test]
    fn free_then_reuse_whole_capacity_repeatedly() {
        let mut s = store();
        for round in 0..5u32 {
            let owner = round % 3;
            let data = pattern(8 * CS, round as u8);
            let w = s.write(owner, 0, &data).unwrap();
            assert_eq!(
                w,
                Written {
                    bytes: 8 * CS,
                    new_chunks: 8
                }
            );
            assert_eq!(s.free_chunks(), 0);
            assert_eq!(read_vec(&s, owner, 0, 8 * CS), data);
            s.check().unwrap();
            assert_eq!(s.truncate(owner, 8 * CS as u64, 0), 8);
            assert_eq!(s.free_chunks(), 8);
            s.check().unwrap();
        }
        assert_eq!(
            s.usage(),
            PoolUsage {
                used: 0,
                high_water: 8,
                capacity: 8
            }
        );
    }

    #[test]
    fn owners_are_isolated() {
        let mut s = store();
        s.write(1, 0, &pattern(CS, 1)).unwrap();
        s.write(2, 0, &pattern(CS, 2)).unwrap();
        s.write(u32::MAX, 0, &pattern(CS, 3)).unwrap();
        assert_eq!(read_vec(&s, 1, 0, CS), pattern(CS, 1));
        assert_eq!(read_vec(&s, 2, 0, CS), pattern(CS, 2));
        assert_eq!(read_vec(&s, u32::MAX, 0, CS), pattern(CS, 3));
        assert_eq!(read_vec(&s, 3, 0, CS), vec![0; CS]);
        assert_eq!(s.truncate(2, CS as u64, 0), 1);
        assert_eq!(read_vec(&s, 1, 0, CS), pattern(CS, 1));
        assert_eq!(s.seek_data(2, 0, CS as u64), None);
        assert_eq!(s.seek_data(1, 0, CS as u64), Some(0));
        let mut seen = Vec::new();
        s.for_each_chunk(|o, i| seen.push((o, i)));
        seen.sort();
        assert_eq!(seen, [(1, 0), (u32::MAX, 0)]);
        s.check().unwrap();
    }

    #[test]
    fn sparse_huge_offsets() {
        let mut s = store();
        let last_chunk = u64::from(u32::MAX) * CS as u64;
        let w = s.write(1, last_chunk + CS as u64 - 4, b"abcdefgh").unwrap();
        // Only the 4 bytes inside the last addressable chunk fit.
        assert_eq!(
            w,
            Written {
                bytes: 4,
                new_chunks: 1
            }
        );
        assert_eq!(
            read_vec(&s, 1, last_chunk + CS as u64 - 4, 8),
            b"abcd\0\0\0\0"
        );
        assert_eq!(s.write(1, last_chunk + CS as u64, b"x"), Err(Errno::EFBIG));
        assert_eq!(s.write(1, u64::MAX, b"x"), Err(Errno::EFBIG));
        assert_eq!(read_vec(&s, 1, u64::MAX - 2, 8), vec![0; 8]);
        s.write(1, 0, b"start").unwrap();
        let size = last_chunk + CS as u64;
        assert_eq!(s.seek_data(1, 10, size), Some(10));
        assert_eq!(s.seek_data(1, CS as u64, size), Some(last_chunk));
        assert_eq!(s.seek_hole(1, 0, size), CS as u64);
        assert_eq!(s.seek_hole(1, last_chunk, size), size);
        assert_eq!(s.chunks_needed(1, 0, u64::MAX), u64::from(u32::MAX) + 1 - 2);
        s.check().unwrap();
        // Truncating the ~2 TiB sparse file to zero scans, it does not probe 2^32 indices.
        assert_eq!(s.truncate(1, size, 0), 2);
        assert_eq!(s.truncate(1, u64::MAX, 0), 0);
        assert_eq!(s.usage().used, 0);
        s.check().unwrap();
    }

    #[test]
    fn seek_data_and_hole_at_chunk_granularity() {
        let mut s = store();
        let cs = CS as u64;
        // Layout: [hole][data][data][hole][data], size 5 chunks - 10.
        s.write(1, cs + 5, &pattern(2 * CS - 5, 1)).unwrap();
        s.write(1, 4 * cs, b"z").unwrap();
        let size = 5 * cs - 10;
        assert_eq!(s.seek_data(1, 0, size), Some(cs));
        assert_eq!(s.seek_data(1, cs + 7, size), Some(cs + 7));
        assert_eq!(s.seek_data(1, 3 * cs, size), Some(4 * cs));
        assert_eq!(s.seek_data(1, size - 1, size), Some(size - 1));
        assert_eq!(s.seek_data(1, size, size), None);
        assert_eq!(s.seek_hole(1, 0, size), 0);
        assert_eq!(s.seek_hole(1, cs, size), 3 * cs);
        assert_eq!(s.seek_hole(1, 2 * cs + 1, size), 3 * cs);
        assert_eq!(s.seek_hole(1, 3 * cs + 9, size), 3 * cs + 9);
        assert_eq!(s.seek_hole(1, 4 * cs, size), size);
        assert_eq!(s.seek_hole(1, size + 3, size), size);
        assert_eq!(s.chunks_needed(1, 0, 5 * cs), 2);
        assert_eq!(s.chunks_needed(1, cs, 2 * cs), 0);
        assert_eq!(s.chunks_needed(1, 0, 0), 0);
        assert!(s.can_allocate(5) && !s.can_allocate(6));
        s.check().unwrap();
    }

    #[test]
    fn check_detects_corruption() {
        let mut s = store();
        s.write(1, 0, &pattern(3 * CS, 1)).unwrap();
        s.truncate(1, 3 * CS as u64, CS as u64);
        s.check().unwrap();

        let mut bad = store();
        bad.write(1, 0, &pattern(2 * CS, 1)).unwrap();
        bad.slots.at_mut(1).index = 7; // key moved: no longer in its bucket
        assert_eq!(bad.check(), Err(Corruption::Chunk(1)));

        let mut bad = store();
        bad.write(1, 0, &pattern(2 * CS, 1)).unwrap();
        bad.truncate(1, 2 * CS as u64, CS as u64);
        bad.slots.at_mut(0).link = LIVE | Link::to(1).bits(); // a free slot in a chain
        assert_eq!(bad.check(), Err(Corruption::Chunk(1)));

        let mut bad = store();
        bad.write(1, 0, b"a").unwrap();
        bad.buckets[Small::bucket_of(1, 0)] = Link::NONE; // a live chunk unreachable
        assert_eq!(bad.check(), Err(Corruption::Chunk(0)));

        let mut bad = store();
        bad.write(1, 0, b"a").unwrap();
        bad.write(1, CS as u64, b"b").unwrap();
        let link = bad.slots.at(1).link;
        *bad.slots.at_mut(1) = Slot {
            owner: 1,
            index: 0,
            link,
        };
        assert!(bad.check().is_err(), "duplicate key must be caught");
    }

    /// The store's state as a plain model: per owner, its bytes and its chunk indices.
    #[derive(Default, Clone)]
    struct Model {
        files: [Vec<u8>; 3],
        chunks: [BTreeSet<u64>; 3],
    }

    impl Model {
        fn used(&self) -> usize {
            self.chunks.iter().map(|c| c.len()).sum()
        }
    }

    #[derive(Debug, Clone)]
    enum Op {
        Write {
            owner: usize,
            off: u64,
            len: usize,
            seed: u8,
        },
        Truncate {
            owner: usize,
            len: u64,
        },
        Seek {
            owner: usize,
            from: u64,
        },
    }

    fn op() -> impl Strategy<Value = Op> {
        let span = 12 * CS as u64;
        prop_oneof![
            4 => (0..3usize, 0..span, 0..3 * CS, any::<u8>())
                .prop_map(|(owner, off, len, seed)| Op::Write { owner, off, len, seed }),
            2 => (0..3usize, 0..span).prop_map(|(owner, len)| Op::Truncate { owner, len }),
            1 => (0..3usize, 0..span).prop_map(|(owner, from)| Op::Seek { owner, from }),
        ]
    }

    fn apply(s: &mut Small, m: &mut Model, op: &Op) {
        let cs = CS as u64;
        match *op {
            Op::Write {
                owner,
                off,
                len,
                seed,
            } => {
                let data = pattern(len, seed);
                // The model's prediction: chunk by chunk until a hole finds no free chunk.
                let mut free = 8 - m.used();
                let (mut bytes, mut new_chunks) = (0usize, 0u32);
                while bytes < len {
                    let pos = off + bytes as u64;
                    let index = pos / cs;
                    if !m.chunks[owner].contains(&index) {
                        if free == 0 {
                            break;
                        }
                        free -= 1;
                        new_chunks += 1;
                        m.chunks[owner].insert(index);
                    }
                    bytes += (len - bytes).min(CS - (pos % cs) as usize);
                }
                let got = s.write(owner as u32, off, &data);
                if len > 0 && bytes == 0 {
                    assert_eq!(got, Err(Errno::ENOSPC));
                } else {
                    assert_eq!(got, Ok(Written { bytes, new_chunks }));
                    let file = &mut m.files[owner];
                    let end = off as usize + bytes;
                    if file.len() < end {
                        file.resize(end, 0);
                    }
                    file[off as usize..end].copy_from_slice(&data[..bytes]);
                }
            }
            Op::Truncate { owner, len } => {
                let old = m.files[owner].len() as u64;
                let freed = s.truncate(owner as u32, old, len);
                let before = m.chunks[owner].len();
                if len < old {
                    m.chunks[owner].retain(|&i| i < len.div_ceil(cs));
                }
                assert_eq!(freed as usize, before - m.chunks[owner].len());
                m.files[owner].resize(len as usize, 0);
            }
            Op::Seek { owner, from } => {
                let size = m.files[owner].len() as u64;
                let want_data = m.chunks[owner]
                    .range(from / cs..)
                    .next()
                    .map(|&i| from.max(i * cs))
                    .filter(|&p| p < size);
                assert_eq!(s.seek_data(owner as u32, from, size), want_data);
                let mut hole = from;
                while hole < size && m.chunks[owner].contains(&(hole / cs)) {
                    hole = (hole / cs + 1) * cs;
                }
                assert_eq!(
                    s.seek_hole(owner as u32, from, size),
                    hole.min(size).max(from.min(size))
                );
            }
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(200))]
        #[test]
        fn matches_a_vec_model(ops in proptest::collection::vec(op(), 1..40)) {
            let mut s = store();
            let mut m = Model::default();
            for op in &ops {
                apply(&mut s, &mut m, op);
                prop_assert_eq!(s.check(), Ok(()));
                prop_assert_eq!(s.usage().used as usize, m.used());
                for owner in 0..3 {
                    let file = &m.files[owner];
                    prop_assert_eq!(&read_vec(&s, owner as u32, 0, file.len()), file);
                    // Past EOF, chunks hold zeros (so a later extension reads zeros).
                    prop_assert_eq!(read_vec(&s, owner as u32, file.len() as u64, CS), vec![0; CS]);
                    let mut count = 0;
                    s.for_each_chunk(|o, _| count += usize::from(o == owner as u32));
                    prop_assert_eq!(count, m.chunks[owner].len());
                }
            }
        }
    }
}
