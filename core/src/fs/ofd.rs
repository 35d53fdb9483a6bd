//! Open file descriptions: reference-counted handles on nodes carrying the
//! access mode, status flags, file position and readdir cursor.

use super::pool::{Link, Slot};
use super::Fs;
use crate::flags::*;
use crate::{Errno, OfdId, Result};

/// An `OfdId` is the slot index in its low bits and the slot's generation
/// above, so a stale id (used after its last close) is EBADF, not another file.
const INDEX_BITS: u32 = 20;
const INDEX_MASK: u32 = (1 << INDEX_BITS) - 1;
const GEN_MASK: u32 = u32::MAX >> INDEX_BITS;

/// Status flags F_SETFL may change.
const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Ofd {
    pub node: u32,
    /// References (fds, cwds); zero when the slot is free.
    pub refs: u32,
    /// Access mode and status flags as F_GETFL reports them.
    pub flags: u32,
    /// Bumped on every free, see `OfdId`.
    pub gen: u32,
    /// File offset; for a directory the readdir cookie.
    pub pos: u64,
    /// Directories: the entry readdir handed out last, to resume in O(1).
    pub cursor: Link,
    /// Sequence number of `cursor` when it was handed out.
    pub cursor_seq: u64,
    /// Directories: the first sequence number this listing will not hand out
    /// (the directory's next one when the listing began); 0 before it begins.
    /// Entries created during a listing fall past it, so a program that
    /// creates files while it reads a directory still reaches the end.
    pub end_seq: u64,
    next_free: Link,
}

impl Ofd {
    pub fn new(node: u32, flags: u32) -> Ofd {
        Ofd {
            node,
            refs: 1,
            flags,
            ..*Ofd::ZERO
        }
    }

    pub fn is_path(&self) -> bool {
        self.flags & O_PATH != 0
    }

    pub fn readable(&self) -> bool {
        !self.is_path() && matches!(self.flags & O_ACCMODE, O_RDONLY | O_RDWR)
    }

    pub fn writable(&self) -> bool {
        !self.is_path() && matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR)
    }
}

impl Slot for Ofd {
    const ZERO: &'static Ofd = &Ofd {
        node: 0,
        refs: 0,
        flags: 0,
        gen: 0,
        pos: 0,
        end_seq: 0,
        cursor: Link::NONE,
        cursor_seq: 0,
        next_free: Link::NONE,
    };

    fn make_free(&mut self, next: Link) {
        *self = Ofd {
            gen: self.gen.wrapping_add(1) & GEN_MASK,
            next_free: next,
            ..*Ofd::ZERO
        };
    }

    fn is_free(&self) -> bool {
        self.refs == 0
    }

    fn next_free(&self) -> Link {
        self.next_free
    }

    /// The generation survives reuse: it is what tells old ids from new.
    fn revive(&mut self, value: Ofd) {
        *self = Ofd {
            gen: self.gen,
            ..value
        };
    }
}

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// The slot index of a live description, EBADF for anything else.
    pub(super) fn ofd_index(&self, id: OfdId) -> Result<u32> {
        let index = id.0 & INDEX_MASK;
        match self.ofds.live(index) {
            Some(o) if o.gen == id.0 >> INDEX_BITS => Ok(index),
            _ => Err(Errno::EBADF),
        }
    }

    pub(super) fn ofd(&self, id: OfdId) -> Result<&Ofd> {
        let i = self.ofd_index(id)?;
        Ok(self.ofds.at(i))
    }

    pub(super) fn ofd_mut(&mut self, id: OfdId) -> Result<&mut Ofd> {
        let i = self.ofd_index(id)?;
        Ok(self.ofds.at_mut(i))
    }

    /// A description usable for I/O-like calls: O_PATH ones give EBADF.
    pub(super) fn io_ofd(&self, id: OfdId) -> Result<&Ofd> {
        let o = self.ofd(id)?;
        if o.is_path() {
            return Err(Errno::EBADF);
        }
        Ok(o)
    }

    /// Opens a description on `node`. ENFILE when the pool is full.
    pub(super) fn new_ofd(&mut self, node: u32, flags: u32) -> Result<OfdId> {
        let index = self
            .ofds
            .alloc(Ofd::new(node, flags))
            .ok_or(Errno::ENFILE)?;
        self.nodes.at_mut(node).opens += 1;
        let gen = self.ofds.at(index).gen;
        Ok(OfdId(gen << INDEX_BITS | index))
    }

    /// Frees `node` once no entry names it and nothing holds it open.
    pub(super) fn release_if_unused(&mut self, node: u32) {
        let n = self.nodes.at(node);
        if node == super::node::ROOT || n.links > 0 || n.opens > 0 {
            return;
        }
        if !n.is_dir() {
            let size = n.size;
            self.data.truncate(node, size, 0);
        }
        self.nodes.release(node);
    }

    /// Adds a reference to an open file description (dup, fork).
    pub fn ofd_ref(&mut self, ofd: OfdId) -> Result<()> {
        let o = self.ofd_mut(ofd)?;
        o.refs = o.refs.checked_add(1).ok_or(Errno::ENFILE)?;
        Ok(())
    }

    /// Drops one reference; the last one frees the description, and the node
    /// too when it has no links left.
    pub fn close(&mut self, ofd: OfdId) -> Result<()> {
        let index = self.ofd_index(ofd)?;
        let o = self.ofds.at_mut(index);
        o.refs -= 1;
        if o.refs == 0 {
            let node = o.node;
            self.ofds.release(index);
            let n = self.nodes.at_mut(node);
            n.opens = n.opens.saturating_sub(1);
            self.release_if_unused(node);
        }
        Ok(())
    }

    /// F_GETFL: access mode and status flags.
    pub fn status_flags(&self, ofd: OfdId) -> Result<u32> {
        Ok(self.ofd(ofd)?.flags)
    }

    /// F_SETFL: changes O_APPEND, O_NONBLOCK, O_ASYNC, O_DIRECT, O_NOATIME; ignores the rest.
    pub fn set_status_flags(&mut self, ofd: OfdId, flags: u32) -> Result<()> {
        self.io_ofd(ofd)?;
        let o = self.ofd_mut(ofd)?;
        o.flags = (o.flags & !SETFL_MASK) | (flags & SETFL_MASK);
        Ok(())
    }

    /// fsync/fdatasync: nothing to flush, but the description must be valid.
    pub fn fsync(&self, ofd: OfdId) -> Result<()> {
        self.io_ofd(ofd).map(|_| ())
    }
}
