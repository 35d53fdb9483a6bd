//! Directory entries: the name index (a chained hash keyed by parent and
//! name, like a dentry cache) and each directory's entry list in sequence
//! order, which readdir walks and which gives stable cookies.

use super::node::Node;
use super::pool::{Link, Slot};
use super::Fs;
use crate::config::NAME_MAX;
use crate::{Errno, Result};

/// Cookies 0, 1 and 2 are "start", "after ." and "after ..": entries count from here.
pub(crate) const FIRST_SEQ: u64 = 3;

/// `parent` of a free entry.
const FREE: u32 = u32::MAX;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Dirent {
    name: [u8; NAME_MAX],
    len: u8,
    /// The node this entry names.
    pub node: u32,
    /// The directory holding it; `FREE` when the slot is free.
    pub parent: u32,
    /// Next entry in the same hash bucket; when free, the next free entry.
    pub chain: Link,
    /// Siblings in sequence order.
    pub prev: Link,
    pub next: Link,
    /// Position in the parent, strictly increasing in insertion order.
    pub seq: u64,
}

impl Dirent {
    pub fn name(&self) -> &[u8] {
        self.name.get(..self.len as usize).unwrap_or(&[])
    }

    fn set_name(&mut self, name: &[u8]) {
        let len = name.len().min(NAME_MAX);
        self.name[..len].copy_from_slice(&name[..len]);
        self.len = len as u8;
    }
}

impl Slot for Dirent {
    const ZERO: &'static Dirent = &Dirent {
        name: [0; NAME_MAX],
        len: 0,
        node: 0,
        parent: 0,
        chain: Link::NONE,
        prev: Link::NONE,
        next: Link::NONE,
        seq: 0,
    };

    fn make_free(&mut self, next: Link) {
        self.parent = FREE;
        self.chain = next;
        self.len = 0;
    }

    fn is_free(&self) -> bool {
        self.parent == FREE
    }

    fn next_free(&self) -> Link {
        self.chain
    }
}

/// FNV-1a over the name, then the parent, with a final avalanche so the high
/// bits (used to pick the bucket) are well mixed.
fn hash(parent: u32, name: &[u8]) -> u64 {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for &b in name {
        h = (h ^ b as u64).wrapping_mul(0x0100_0000_01b3);
    }
    h ^= (parent as u64).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    h ^= h >> 33;
    h = h.wrapping_mul(0xff51_afd7_ed55_8ccd);
    h ^= h >> 33;
    h = h.wrapping_mul(0xc4ce_b9fe_1a85_ec53);
    h ^ (h >> 33)
}

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    pub(super) fn bucket(parent: u32, name: &[u8]) -> usize {
        // Multiply-shift maps the hash onto 0..DIRENTS without a division.
        ((hash(parent, name) as u128 * DIRENTS as u128) >> 64) as usize
    }

    /// The entry named `name` in directory `dir`: O(1) on average.
    pub(super) fn lookup(&self, dir: u32, name: &[u8]) -> Option<u32> {
        let mut link = *self.buckets.get(Self::bucket(dir, name))?;
        while let Some(d) = link.get() {
            let e = self.dirents.at(d);
            if e.parent == dir && e.name() == name {
                return Some(d);
            }
            link = e.chain;
        }
        None
    }

    /// Adds entry `name` -> `node` to `dir` (the caller checked that the name
    /// is free and valid). ENOSPC when the entry pool is full.
    pub(super) fn add_entry(&mut self, dir: u32, name: &[u8], node: u32) -> Result<u32> {
        let mut e = Dirent {
            node,
            parent: dir,
            ..*Dirent::ZERO
        };
        e.set_name(name);
        let d = self.dirents.alloc(e).ok_or(Errno::ENOSPC)?;
        self.attach(d);
        self.nodes.at_mut(node).links += 1;
        Ok(d)
    }

    /// Removes entry `d`, dropping one link from its node (which the caller
    /// frees if nothing else holds it).
    pub(super) fn remove_entry(&mut self, d: u32) {
        self.detach(d);
        let node = self.dirents.at(d).node;
        let n = self.nodes.at_mut(node);
        n.links = n.links.saturating_sub(1);
        if n.is_dir() {
            n.dirent = Link::NONE;
        }
        self.dirents.release(d);
    }

    /// Moves entry `d` to `dir` under `name`: it leaves its old place and
    /// gets a fresh sequence number at the end of `dir`.
    pub(super) fn move_entry(&mut self, d: u32, dir: u32, name: &[u8]) {
        self.detach(d);
        let e = self.dirents.at_mut(d);
        e.parent = dir;
        e.set_name(name);
        self.attach(d);
    }

    /// Links entry `d` (parent and name set) into the name index and the end
    /// of its directory's list.
    fn attach(&mut self, d: u32) {
        let (dir, node) = {
            let e = self.dirents.at(d);
            (e.parent, e.node)
        };
        let b = Self::bucket(dir, self.dirents.at(d).name());
        let head = self.buckets[b];
        let parent = self.nodes.at_mut(dir);
        let seq = FIRST_SEQ.saturating_add(parent.next_seq);
        parent.next_seq = parent.next_seq.saturating_add(1);
        let tail = parent.last;
        parent.last = Link::to(d);
        if parent.first.is_none() {
            parent.first = Link::to(d);
        }
        parent.size += 1;
        if let Some(t) = tail.get() {
            self.dirents.at_mut(t).next = Link::to(d);
        }
        let e = self.dirents.at_mut(d);
        e.seq = seq;
        e.prev = tail;
        e.next = Link::NONE;
        e.chain = head;
        self.buckets[b] = Link::to(d);
        self.adopt(dir, node, d);
    }

    /// A directory node named by entry `d` in `dir` gets its parent links.
    pub(super) fn adopt(&mut self, dir: u32, node: u32, d: u32) {
        if self.nodes.at(node).is_dir() {
            let n = self.nodes.at_mut(node);
            n.parent = dir;
            n.dirent = Link::to(d);
            self.nodes.at_mut(dir).subdirs += 1;
        }
    }

    /// Unlinks entry `d` from the name index and its directory's list.
    fn detach(&mut self, d: u32) {
        let e = *self.dirents.at(d);
        let b = Self::bucket(e.parent, e.name());
        // Unlink from the hash chain (short on average).
        if self.buckets[b] == Link::to(d) {
            self.buckets[b] = e.chain;
        } else {
            let mut link = self.buckets[b];
            while let Some(i) = link.get() {
                let next = self.dirents.at(i).chain;
                if next == Link::to(d) {
                    self.dirents.at_mut(i).chain = e.chain;
                    break;
                }
                link = next;
            }
        }
        match e.prev.get() {
            Some(p) => self.dirents.at_mut(p).next = e.next,
            None => self.nodes.at_mut(e.parent).first = e.next,
        }
        match e.next.get() {
            Some(n) => self.dirents.at_mut(n).prev = e.prev,
            None => self.nodes.at_mut(e.parent).last = e.prev,
        }
        let parent = self.nodes.at_mut(e.parent);
        parent.size = parent.size.saturating_sub(1);
        if self.nodes.at(e.node).is_dir() {
            let parent = self.nodes.at_mut(e.parent);
            parent.subdirs = parent.subdirs.saturating_sub(1);
        }
    }

    /// Whether `node` is a directory with no entries.
    pub(super) fn is_empty_dir(n: &Node) -> bool {
        n.first.is_none()
    }
}
