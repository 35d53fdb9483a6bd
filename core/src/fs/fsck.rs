//! Whole-filesystem views: usage, statfs, and the invariant checker (fsck).

use super::dir::FIRST_SEQ;
use super::node::ROOT;
use super::pool::Link;
use super::Fs;
use crate::config::NAME_MAX;
use crate::flags::TMPFS_MAGIC;
use crate::{Corruption, StatFs, Usage};

/// Nodes whose counts one pass of the checker gathers (bounded stack use).
const WINDOW: usize = 256;

type Check = core::result::Result<(), Corruption>;

fn ensure(ok: bool, err: Corruption) -> Check {
    if ok {
        Ok(())
    } else {
        Err(err)
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
    /// statfs: totals and free counts straight from the pools. `ffree` is the
    /// number of files that can still be created (a node and an entry each).
    pub fn statfs(&self) -> StatFs {
        let free_chunks = self.data.free_chunks() as u64;
        StatFs {
            fs_type: TMPFS_MAGIC,
            bsize: CHUNK_SIZE as u64,
            blocks: CHUNKS as u64,
            bfree: free_chunks,
            bavail: free_chunks,
            files: NODES as u64,
            ffree: self.nodes.available().min(self.dirents.available()) as u64,
            fsid: 0,
            namelen: NAME_MAX as u64,
            frsize: CHUNK_SIZE as u64,
            flags: 0,
        }
    }

    pub fn usage(&self) -> Usage {
        Usage {
            nodes: self.nodes.usage(),
            dirents: self.dirents.usage(),
            chunks: self.data.usage(),
            open_files: self.ofds.usage(),
        }
    }

    /// The invariant checker (fsck): every node reachable or held open, nlink
    /// equal to the entries naming it, every chunk owned once or free, free
    /// lists and counters exact.
    pub fn check(&self) -> Check {
        self.nodes.check("nodes")?;
        self.dirents.check("dirents")?;
        self.ofds.check("open_files")?;
        self.data.check()?;
        self.check_entries()?;
        self.check_name_index()?;
        self.check_dirs()?;
        self.check_counts()?;
        self.check_ofds()
    }

    /// Each entry: in a live directory, naming a live node, with a valid
    /// name that the index finds.
    fn check_entries(&self) -> Check {
        for (d, e) in self.dirents.iter_live() {
            let bad = Corruption::BadEntry(d);
            let parent = self.nodes.live(e.parent).ok_or(bad)?;
            ensure(parent.is_dir() && self.nodes.live(e.node).is_some(), bad)?;
            let name = e.name();
            ensure(
                !name.is_empty()
                    && name.len() <= NAME_MAX
                    && name != b"."
                    && name != b".."
                    && !name.iter().any(|&b| b == b'/' || b == 0),
                bad,
            )?;
            ensure(
                self.lookup(e.parent, name) == Some(d),
                Corruption::NameIndex(d),
            )?;
        }
        Ok(())
    }

    /// Every chain entry is live and in its right bucket; chains hold every entry once.
    fn check_name_index(&self) -> Check {
        let mut total = 0u32;
        for (b, head) in self.buckets.iter().enumerate() {
            let mut link = *head;
            while let Some(d) = link.get() {
                let e = self.dirents.live(d).ok_or(Corruption::NameIndex(d))?;
                ensure(
                    Self::bucket(e.parent, e.name()) == b,
                    Corruption::NameIndex(d),
                )?;
                total += 1;
                ensure(total <= self.dirents.used(), Corruption::NameIndex(d))?;
                link = e.chain;
            }
        }
        ensure(total == self.dirents.used(), Corruption::NameIndex(0))
    }

    /// Each directory's entry list, counters, parent link and own entry;
    /// non-directories carry no directory state.
    fn check_dirs(&self) -> Check {
        for (i, n) in self.nodes.iter_live() {
            let bad = Corruption::Tree(i);
            if !n.is_dir() {
                ensure(n.first.is_none() && n.last.is_none() && n.subdirs == 0, bad)?;
                // Only a device keeps a number there (its rdev), and no data.
                ensure(n.next_seq <= u32::MAX as u64, bad)?;
                ensure(n.next_seq == 0 || n.is_device(), bad)?;
                ensure(
                    !n.is_special() || (n.chunks == 0 && n.size == 0),
                    Corruption::NodeData(i),
                )?;
                continue;
            }
            ensure(n.chunks == 0, Corruption::NodeData(i))?;
            let (mut count, mut subdirs, mut prev, mut last_seq) = (0u64, 0u32, Link::NONE, 0u64);
            let mut link = n.first;
            while let Some(d) = link.get() {
                let e = self.dirents.live(d).ok_or(bad)?;
                ensure(
                    e.parent == i && e.prev == prev && e.seq >= FIRST_SEQ && e.seq > last_seq,
                    bad,
                )?;
                ensure(e.seq < FIRST_SEQ + n.next_seq, bad)?;
                count += 1;
                ensure(count <= self.dirents.used() as u64, bad)?;
                if self.nodes.at(e.node).is_dir() {
                    subdirs += 1;
                }
                last_seq = e.seq;
                prev = link;
                link = e.next;
            }
            ensure(
                n.last == prev && n.size == count && n.subdirs == subdirs,
                bad,
            )?;
            if i == ROOT {
                ensure(n.parent == ROOT && n.dirent.is_none() && n.links == 0, bad)?;
                continue;
            }
            if n.links == 0 {
                ensure(
                    n.dirent.is_none() && n.opens > 0 && n.first.is_none(),
                    Corruption::OrphanNode(i),
                )?;
                continue;
            }
            let d = n.dirent.get().ok_or(bad)?;
            let e = self.dirents.live(d).ok_or(bad)?;
            ensure(e.node == i && e.parent == n.parent && n.links == 1, bad)?;
            // The parent chain reaches the root without a cycle.
            ensure(
                self.is_ancestor(ROOT, i) && !self.is_ancestor(i, n.parent),
                bad,
            )?;
        }
        Ok(())
    }

    /// Per node: entries naming it equal `links`, descriptions equal
    /// `opens`, chunks equal `chunks` and lie within the size. Counted for a
    /// window of nodes at a time to keep the stack small.
    fn check_counts(&self) -> Check {
        let touched = self.nodes.touched() as usize;
        let mut chunk_total = 0u64;
        let mut bad_chunk = None;
        self.data.for_each_chunk(|owner, index| {
            chunk_total += 1;
            let ok = self.nodes.live(owner).is_some_and(|n| {
                !n.is_dir() && (index as u64).saturating_mul(CHUNK_SIZE as u64) < n.size
            });
            if !ok && bad_chunk.is_none() {
                bad_chunk = Some(index);
            }
        });
        if let Some(index) = bad_chunk {
            return Err(Corruption::Chunk(index));
        }
        ensure(
            chunk_total == self.data.usage().used as u64,
            Corruption::PoolAccounting("chunks"),
        )?;
        let mut base = 0usize;
        while base < touched {
            let end = (base + WINDOW).min(touched);
            let mut links = [0u32; WINDOW];
            let mut opens = [0u32; WINDOW];
            let mut chunks = [0u32; WINDOW];
            let slot = |node: u32| {
                (node as usize)
                    .checked_sub(base)
                    .filter(|&k| k < end - base)
            };
            for (_, e) in self.dirents.iter_live() {
                if let Some(k) = slot(e.node) {
                    links[k] += 1;
                }
            }
            for (_, o) in self.ofds.iter_live() {
                if let Some(k) = slot(o.node) {
                    opens[k] += 1;
                }
            }
            self.data.for_each_chunk(|owner, _| {
                if let Some(k) = slot(owner) {
                    chunks[k] += 1;
                }
            });
            for k in 0..end - base {
                let i = (base + k) as u32;
                let Some(n) = self.nodes.live(i) else {
                    continue;
                };
                ensure(
                    n.links == links[k],
                    Corruption::LinkCount(i, n.links, links[k]),
                )?;
                ensure(n.opens == opens[k], Corruption::OpenFile(i))?;
                ensure(n.chunks == chunks[k], Corruption::NodeData(i))?;
                ensure(
                    i == ROOT || n.links > 0 || n.opens > 0,
                    Corruption::OrphanNode(i),
                )?;
            }
            base = end;
        }
        Ok(())
    }

    fn check_ofds(&self) -> Check {
        for (i, o) in self.ofds.iter_live() {
            ensure(self.nodes.live(o.node).is_some(), Corruption::OpenFile(i))?;
        }
        Ok(())
    }
}
