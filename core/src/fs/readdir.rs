//! Reading directories with stable cookies, and a directory's path (getcwd).
//!
//! Cookie 0 is the start, 1 follows ".", 2 follows ".."; an entry's cookie is
//! its sequence number + 1. Entries sit in sequence order, so resuming means
//! "the first entry with seq >= cookie": O(1) from the description's cursor
//! when the last entry handed out is still there, a walk otherwise. A listing
//! ends at the entries that existed when it began (as tmpfs does), so one
//! that races with creations still terminates.

use super::dir::FIRST_SEQ;
use super::node::ROOT;
use super::pool::Link;
use super::Fs;
use crate::flags::*;
use crate::{DirEntry, Errno, OfdId, Result};

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// d_type of a node.
    pub(super) fn kind(&self, node: u32) -> u8 {
        match self.nodes.at(node).mode() & S_IFMT {
            S_IFDIR => DT_DIR,
            S_IFREG => DT_REG,
            S_IFLNK => DT_LNK,
            S_IFIFO => DT_FIFO,
            S_IFCHR => DT_CHR,
            S_IFBLK => DT_BLK,
            S_IFSOCK => DT_SOCK,
            _ => DT_UNKNOWN,
        }
    }

    /// The first entry of `dir` with seq >= `cookie`.
    fn resume(&self, dir: u32, cookie: u64, cursor: Link, cursor_seq: u64) -> Option<u32> {
        if let Some(c) = cursor.get() {
            if let Some(e) = self.dirents.live(c) {
                if e.parent == dir && e.seq == cursor_seq && e.seq.saturating_add(1) == cookie {
                    return e.next.get();
                }
            }
        }
        let mut link = self.nodes.at(dir).first;
        while let Some(d) = link.get() {
            let e = self.dirents.at(d);
            if e.seq >= cookie {
                return Some(d);
            }
            link = e.next;
        }
        None
    }

    /// getdents: calls `emit` for each entry from the description's cookie on
    /// ("." and ".." first) until `emit` returns false (that entry is not
    /// consumed) or the directory ends. ENOTDIR on a non-directory.
    pub fn readdir(&mut self, ofd: OfdId, emit: &mut dyn FnMut(&DirEntry) -> bool) -> Result<()> {
        let o = *self.io_ofd(ofd)?;
        let dir = o.node;
        if !self.nodes.at(dir).is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.is_unlinked(dir) {
            return Err(Errno::ENOENT);
        }
        let mut pos = o.pos;
        let end = if pos == 0 || o.end_seq == 0 {
            let end = FIRST_SEQ.saturating_add(self.nodes.at(dir).next_seq);
            self.ofd_mut(ofd)?.end_seq = end;
            end
        } else {
            o.end_seq
        };
        if pos == 0 {
            if !emit(&DirEntry {
                ino: dir as u64 + 1,
                next: 1,
                kind: DT_DIR,
                name: b".",
            }) {
                return Ok(());
            }
            pos = 1;
            self.ofd_mut(ofd)?.pos = pos;
        }
        if pos == 1 {
            let parent = self.nodes.at(dir).parent;
            if !emit(&DirEntry {
                ino: parent as u64 + 1,
                next: 2,
                kind: DT_DIR,
                name: b"..",
            }) {
                return Ok(());
            }
            pos = 2;
            self.ofd_mut(ofd)?.pos = pos;
        }
        let mut next = self.resume(dir, pos.max(FIRST_SEQ), o.cursor, o.cursor_seq);
        while let Some(d) = next {
            let (seq, following, keep) = {
                let e = self.dirents.at(d);
                let entry = DirEntry {
                    ino: e.node as u64 + 1,
                    next: e.seq + 1,
                    kind: self.kind(e.node),
                    name: e.name(),
                };
                if e.seq >= end {
                    break;
                }
                (e.seq, e.next, emit(&entry))
            };
            if !keep {
                break;
            }
            let o = self.ofd_mut(ofd)?;
            o.pos = seq + 1;
            o.cursor = Link::to(d);
            o.cursor_seq = seq;
            next = following.get();
        }
        Ok(())
    }

    /// Whether `ofd` is open on the root directory.
    pub fn is_root(&self, ofd: OfdId) -> Result<bool> {
        Ok(self.ofd(ofd)?.node == ROOT)
    }

    /// getcwd: the absolute path of directory `ofd` into `buf` (no NUL), its length.
    /// ENOENT once the directory is removed, ERANGE when `buf` is too short.
    pub fn path_of(&self, ofd: OfdId, buf: &mut [u8]) -> Result<usize> {
        let mut node = self.ofd(ofd)?.node;
        if !self.nodes.at(node).is_dir() {
            return Err(Errno::ENOTDIR);
        }
        if self.is_unlinked(node) {
            return Err(Errno::ENOENT);
        }
        if node == ROOT {
            *buf.first_mut().ok_or(Errno::ERANGE)? = b'/';
            return Ok(1);
        }
        // Names are laid down from the end of `buf`, then moved to the front.
        let mut start = buf.len();
        for _ in 0..NODES {
            if node == ROOT {
                break;
            }
            let n = self.nodes.at(node);
            let d = n.dirent.get().ok_or(Errno::ENOENT)?;
            let name = self.dirents.at(d).name();
            let need = name.len() + 1;
            if start < need {
                return Err(Errno::ERANGE);
            }
            buf[start - name.len()..start].copy_from_slice(name);
            buf[start - need] = b'/';
            start -= need;
            node = n.parent;
        }
        let len = buf.len() - start;
        buf.copy_within(start.., 0);
        Ok(len)
    }
}
