//! File bytes in fixed-size chunks from one pool.
//!
//! SKELETON: the public API below is the contract `fs` builds on; the bodies
//! are placeholders to be replaced by the real implementation.
//!
//! A chunk belongs to one owner (a node index) at one chunk index (offset /
//! CHUNK_SIZE). Offset to chunk is an O(1) hash lookup keyed by (owner, index),
//! never a walk; holes hold no chunk and read as zeros.

use crate::{Errno, PoolUsage, Result};

/// What a write did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Written {
    /// Bytes copied; short only when the pool ran out part-way.
    pub bytes: usize,
    /// Chunks newly allocated for this owner.
    pub new_chunks: u32,
}

pub struct ChunkStore<const CHUNKS: usize, const CHUNK_SIZE: usize> {
    _placeholder: [u8; 0],
}

impl<const CHUNKS: usize, const CHUNK_SIZE: usize> ChunkStore<CHUNKS, CHUNK_SIZE> {
    /// An empty store. All-zero bytes, so a `static` holding it lands in .bss.
    pub const fn new() -> Self {
        ChunkStore { _placeholder: [] }
    }

    /// Copies bytes `[off, off + buf.len())` of `owner`'s data into `buf`;
    /// holes read as zeros. The caller clamps the range to the file size.
    pub fn read(&self, owner: u32, off: u64, buf: &mut [u8]) {
        let _ = (owner, off);
        buf.fill(0);
    }

    /// Writes `data` at `off`, allocating chunks for the holes it covers.
    /// Short when the pool runs out part-way; `Err(ENOSPC)` when not one byte fits.
    pub fn write(&mut self, owner: u32, off: u64, data: &[u8]) -> Result<Written> {
        let _ = (owner, off, data);
        Err(Errno::ENOSPC)
    }

    /// Frees `owner`'s chunks wholly at or past `new_len` and zeroes the rest of
    /// the chunk holding `new_len`, given the data never reached past `old_len`.
    /// Needs no free slot. Returns the number of chunks freed.
    pub fn truncate(&mut self, owner: u32, old_len: u64, new_len: u64) -> u32 {
        let _ = (owner, old_len, new_len);
        0
    }

    /// The first offset >= `from` and < `size` inside a chunk (SEEK_DATA), if any.
    pub fn seek_data(&self, owner: u32, from: u64, size: u64) -> Option<u64> {
        let _ = owner;
        (from < size).then_some(from)
    }

    /// The first offset >= `from` in a hole, or `size` (SEEK_HOLE).
    pub fn seek_hole(&self, owner: u32, from: u64, size: u64) -> u64 {
        let _ = (owner, from);
        size
    }

    /// Chunks free now.
    pub fn free_chunks(&self) -> u32 {
        0
    }

    pub fn usage(&self) -> PoolUsage {
        PoolUsage { used: 0, high_water: 0, capacity: CHUNKS as u32 }
    }

    /// Calls `f(owner, index)` for every allocated chunk (for the fsck).
    pub fn for_each_chunk(&self, mut f: impl FnMut(u32, u32)) {
        let _ = &mut f;
    }

    /// Checks the store's own invariants: free list, counters, index.
    pub fn check(&self) -> core::result::Result<(), crate::Corruption> {
        Ok(())
    }
}

impl<const CHUNKS: usize, const CHUNK_SIZE: usize> Default for ChunkStore<CHUNKS, CHUNK_SIZE> {
    fn default() -> Self {
        Self::new()
    }
}
