//! The reference model: a filesystem from std maps, written from the POSIX
//! rules as Linux (tmpfs) applies them, independent of imfs-core. It also
//! keeps imfs's pool accounting so it knows exactly when ENOSPC and ENFILE
//! come: a node per file, directory or symlink (the root included), a dirent
//! per name, a chunk per CHUNK_SIZE-aligned piece of data actually written
//! (holes are free; a symlink's target takes ceil(len / CHUNK_SIZE) chunks),
//! and an open file description per successful open.
//!
//! The caller is root (uid 0): permission bits never deny, except that
//! access(X_OK) on a non-directory needs some x bit.

use std::collections::{BTreeMap, BTreeSet};

use libc::{
    EACCES, EBADF, EBUSY, EEXIST, EFBIG, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENFILE, ENOENT,
    ENOSPC, ENOTDIR, ENOTEMPTY, ENXIO, EPERM,
};

use super::*;

type R<T> = Result<T, i32>;
type Id = u64;
const ROOT: Id = 0;

/// Pool sizes and limits the model enforces.
#[derive(Clone, Copy, Debug)]
pub struct Caps {
    pub nodes: usize,
    pub dirents: usize,
    pub chunks: usize,
    pub chunk_size: usize,
    pub ofds: usize,
    pub max_file_size: u64,
    pub name_max: usize,
    pub symlink_depth: u32,
}

impl Caps {
    /// Pools too large to run out, for comparing with tmpfs.
    pub fn unbounded(chunk_size: usize) -> Caps {
        Caps {
            nodes: usize::MAX,
            dirents: usize::MAX,
            chunks: usize::MAX,
            chunk_size,
            ofds: usize::MAX,
            max_file_size: imfs_core::config::MAX_FILE_SIZE,
            name_max: 255,
            symlink_depth: 40,
        }
    }
}

enum Body {
    /// Chunks hold CHUNK_SIZE bytes each, keyed by index; missing = hole.
    File {
        size: u64,
        chunks: BTreeMap<u64, Vec<u8>>,
    },
    Dir {
        entries: BTreeMap<Vec<u8>, Id>,
        parent: Id,
        removed: bool,
    },
    Symlink {
        target: Vec<u8>,
    },
}

struct Node {
    body: Body,
    perm: u32,
    /// Entries naming the node (a directory: 1, or 0 once removed).
    links: u32,
    /// Open file descriptions on it.
    opens: u32,
}

/// State of an unfinished readdir on a description.
#[derive(Clone, Default)]
struct Listing {
    stable: BTreeSet<Vec<u8>>,
    ever: BTreeSet<Vec<u8>>,
}

struct Ofd {
    node: Id,
    path_only: bool,
    read: bool,
    write: bool,
    /// Status flags as F_GETFL reports them.
    flags: u32,
    pos: u64,
    listing: Listing,
    /// Slots sharing the description (dup).
    refs: u32,
}

pub struct Model {
    caps: Caps,
    nodes: BTreeMap<Id, Node>,
    next_id: Id,
    /// Open slots (file descriptors) and the descriptions they share.
    slots: BTreeMap<Slot, u64>,
    descs: BTreeMap<u64, Ofd>,
    next_desc: u64,
}

/// The last component of a path.
enum Last<'p> {
    Root,
    Dot,
    DotDot,
    Name(&'p [u8]),
}

impl Model {
    pub fn new(caps: Caps) -> Model {
        let root = Node {
            body: Body::Dir {
                entries: BTreeMap::new(),
                parent: ROOT,
                removed: false,
            },
            perm: 0o755,
            links: 1,
            opens: 0,
        };
        Model {
            caps,
            nodes: BTreeMap::from([(ROOT, root)]),
            next_id: 1,
            slots: BTreeMap::new(),
            descs: BTreeMap::new(),
            next_desc: 0,
        }
    }

    // ---- accounting ----

    fn chunks_of(&self, body: &Body) -> usize {
        match body {
            Body::File { chunks, .. } => chunks.len(),
            Body::Symlink { target } => target.len().div_ceil(self.caps.chunk_size),
            Body::Dir { .. } => 0,
        }
    }

    pub fn counts(&self) -> Counts {
        let dirents: usize = self
            .nodes
            .values()
            .map(|n| match &n.body {
                Body::Dir { entries, .. } => entries.len(),
                _ => 0,
            })
            .sum();
        let chunks: usize = self.nodes.values().map(|n| self.chunks_of(&n.body)).sum();
        [
            self.nodes.len() as u32,
            dirents as u32,
            chunks as u32,
            self.descs.len() as u32,
        ]
    }

    fn free(&self) -> [usize; 4] {
        let c = self.counts();
        [
            self.caps.nodes.saturating_sub(c[0] as usize),
            self.caps.dirents.saturating_sub(c[1] as usize),
            self.caps.chunks.saturating_sub(c[2] as usize),
            self.caps.ofds.saturating_sub(c[3] as usize),
        ]
    }

    // ---- node helpers ----

    fn node(&self, id: Id) -> &Node {
        &self.nodes[&id]
    }
    fn node_mut(&mut self, id: Id) -> &mut Node {
        self.nodes.get_mut(&id).unwrap()
    }
    fn is_dir(&self, id: Id) -> bool {
        matches!(self.node(id).body, Body::Dir { .. })
    }
    fn kind(&self, id: Id) -> u32 {
        match self.node(id).body {
            Body::File { .. } => S_IFREG,
            Body::Dir { .. } => S_IFDIR,
            Body::Symlink { .. } => S_IFLNK,
        }
    }
    fn entries(&self, dir: Id) -> &BTreeMap<Vec<u8>, Id> {
        match &self.node(dir).body {
            Body::Dir { entries, .. } => entries,
            _ => unreachable!("not a directory"),
        }
    }
    fn entries_mut(&mut self, dir: Id) -> &mut BTreeMap<Vec<u8>, Id> {
        match &mut self.node_mut(dir).body {
            Body::Dir { entries, .. } => entries,
            _ => unreachable!("not a directory"),
        }
    }
    fn parent(&self, dir: Id) -> Id {
        match self.node(dir).body {
            Body::Dir { parent, .. } => parent,
            _ => unreachable!("not a directory"),
        }
    }
    fn removed(&self, dir: Id) -> bool {
        matches!(self.node(dir).body, Body::Dir { removed: true, .. })
    }
    fn nlink(&self, id: Id) -> u32 {
        match &self.node(id).body {
            Body::Dir { removed: true, .. } => 0,
            Body::Dir { entries, .. } => {
                2 + entries.values().filter(|&&c| self.is_dir(c)).count() as u32
            }
            _ => self.node(id).links,
        }
    }
    fn size(&self, id: Id) -> u64 {
        match &self.node(id).body {
            Body::File { size, .. } => *size,
            Body::Symlink { target } => target.len() as u64,
            Body::Dir { .. } => 0,
        }
    }

    fn view(&self, id: Id) -> StatView {
        let n = self.node(id);
        let blocks = match &n.body {
            Body::File { chunks, .. } => Some((chunks.len() * self.caps.chunk_size / 512) as u64),
            _ => None,
        };
        StatView {
            kind: self.kind(id),
            perm: n.perm,
            nlink: self.nlink(id),
            size: (!self.is_dir(id)).then(|| self.size(id)),
            blocks,
            ino: id,
        }
    }

    fn alloc(&mut self, body: Body, perm: u32) -> Id {
        let id = self.next_id;
        self.next_id += 1;
        self.nodes.insert(
            id,
            Node {
                body,
                perm,
                links: 0,
                opens: 0,
            },
        );
        id
    }

    /// Frees a node nothing names or holds open.
    fn release(&mut self, id: Id) {
        let n = self.node(id);
        if id != ROOT && n.links == 0 && n.opens == 0 {
            self.nodes.remove(&id);
        }
    }

    /// Records that `name` in `dir` changed, for unfinished listings of `dir`.
    fn touch(&mut self, dir: Id, name: &[u8]) {
        for o in self.descs.values_mut().filter(|o| o.node == dir) {
            o.listing.stable.remove(name);
            o.listing.ever.insert(name.to_vec());
        }
    }

    fn insert_entry(&mut self, dir: Id, name: &[u8], id: Id) {
        self.entries_mut(dir).insert(name.to_vec(), id);
        self.node_mut(id).links += 1;
        if let Body::Dir { parent, .. } = &mut self.node_mut(id).body {
            *parent = dir;
        }
        self.touch(dir, name);
    }

    /// Removes an entry; a directory it names becomes removed.
    fn remove_entry(&mut self, dir: Id, name: &[u8]) -> Id {
        let id = self.entries_mut(dir).remove(name).unwrap();
        self.touch(dir, name);
        let n = self.node_mut(id);
        n.links -= 1;
        if let Body::Dir { removed, .. } = &mut n.body {
            *removed = true;
        }
        id
    }

    // ---- path resolution, as Linux's namei does it ----

    fn lookup(&self, dir: Id, name: &[u8]) -> R<Option<Id>> {
        if self.removed(dir) {
            return Err(ENOENT);
        }
        if name.len() > self.caps.name_max {
            return Err(ENAMETOOLONG);
        }
        Ok(self.entries(dir).get(name).copied())
    }

    fn start(&self, base: Option<Id>, path: &[u8]) -> R<Id> {
        if path.is_empty() {
            return Err(ENOENT);
        }
        if path[0] == b'/' {
            return Ok(ROOT);
        }
        let b = base.unwrap_or(ROOT);
        if !self.is_dir(b) {
            return Err(ENOTDIR);
        }
        Ok(b)
    }

    /// Walks to the directory holding the last component: (dir, last, trailing slash).
    fn walk_parent<'p>(
        &self,
        base: Option<Id>,
        path: &'p [u8],
        links: &mut u32,
    ) -> R<(Id, Last<'p>, bool)> {
        let mut cur = self.start(base, path)?;
        let comps: Vec<&[u8]> = path
            .split(|&c| c == b'/')
            .filter(|c| !c.is_empty())
            .collect();
        let Some((&last, inner)) = comps.split_last() else {
            return Ok((ROOT, Last::Root, false));
        };
        for &comp in inner {
            cur = self.step(cur, comp, links)?;
            if !self.is_dir(cur) {
                return Err(ENOTDIR);
            }
        }
        let last = match last {
            b"." => Last::Dot,
            b".." => Last::DotDot,
            n => Last::Name(n),
        };
        Ok((cur, last, path.ends_with(b"/")))
    }

    fn step(&self, cur: Id, comp: &[u8], links: &mut u32) -> R<Id> {
        match comp {
            b"." => Ok(cur),
            b".." => Ok(self.parent(cur)),
            name => {
                let id = self.lookup(cur, name)?.ok_or(ENOENT)?;
                self.follow(cur, id, links)
            }
        }
    }

    /// Follows `id` if it is a symlink (found in `dir`).
    fn follow(&self, dir: Id, id: Id, links: &mut u32) -> R<Id> {
        let Body::Symlink { target } = &self.node(id).body else {
            return Ok(id);
        };
        *links += 1;
        if *links > self.caps.symlink_depth {
            return Err(ELOOP);
        }
        self.resolve_from(Some(dir), target, true, links)
    }

    fn resolve_from(&self, base: Option<Id>, path: &[u8], follow: bool, links: &mut u32) -> R<Id> {
        let (dir, last, trailing) = self.walk_parent(base, path, links)?;
        let id = match last {
            Last::Root => ROOT,
            Last::Dot => dir,
            Last::DotDot => self.parent(dir),
            Last::Name(n) => self.lookup(dir, n)?.ok_or(ENOENT)?,
        };
        let id = if follow || trailing {
            self.follow(dir, id, links)?
        } else {
            id
        };
        if trailing && !self.is_dir(id) {
            return Err(ENOTDIR);
        }
        Ok(id)
    }

    fn resolve(&self, base: Option<Id>, path: &[u8], follow: bool) -> R<Id> {
        self.resolve_from(base, path, follow, &mut 0)
    }

    /// The directory and name a new entry `path` goes into (mkdir, symlink, link).
    fn create_at<'p>(&self, base: Option<Id>, path: &'p [u8], dir_ok: bool) -> R<(Id, &'p [u8])> {
        let (dir, last, trailing) = self.walk_parent(base, path, &mut 0)?;
        let Last::Name(name) = last else {
            return Err(EEXIST);
        };
        if self.lookup(dir, name)?.is_some() {
            return Err(EEXIST);
        }
        if trailing && !dir_ok {
            return Err(ENOENT);
        }
        Ok((dir, name))
    }

    fn base_node(&self, env: &Env, sel: Option<u8>) -> Option<Id> {
        env.base(sel).map(|s| self.ofd(s).node)
    }

    // ---- file data ----

    fn read_data(&self, id: Id, off: u64, len: usize) -> Vec<u8> {
        let Body::File { size, chunks } = &self.node(id).body else {
            unreachable!()
        };
        let end = (off.saturating_add(len as u64)).min(*size);
        let cs = self.caps.chunk_size as u64;
        let mut out = Vec::new();
        let mut pos = off;
        while pos < end {
            let (idx, within) = (pos / cs, (pos % cs) as usize);
            let n = ((cs - within as u64).min(end - pos)) as usize;
            match chunks.get(&idx) {
                Some(c) => out.extend_from_slice(&c[within..within + n]),
                None => out.resize(out.len() + n, 0),
            }
            pos += n as u64;
        }
        out
    }

    /// Writes at `off` (limits already applied), allocating chunks while the
    /// pool lasts: short at the first chunk that cannot be had, ENOSPC if none.
    fn write_data(&mut self, id: Id, off: u64, data: &[u8]) -> R<usize> {
        let cs = self.caps.chunk_size as u64;
        let mut free = self.free()[2];
        let Body::File { size, chunks } = &mut self.nodes.get_mut(&id).unwrap().body else {
            unreachable!()
        };
        let mut done = 0usize;
        while done < data.len() {
            let pos = off + done as u64;
            let (idx, within) = (pos / cs, (pos % cs) as usize);
            let n = ((cs as usize) - within).min(data.len() - done);
            let chunk = match chunks.entry(idx) {
                std::collections::btree_map::Entry::Occupied(e) => e.into_mut(),
                std::collections::btree_map::Entry::Vacant(_) if free == 0 => break,
                std::collections::btree_map::Entry::Vacant(e) => {
                    free -= 1;
                    e.insert(vec![0; cs as usize])
                }
            };
            chunk[within..within + n].copy_from_slice(&data[done..done + n]);
            done += n;
        }
        if done == 0 && !data.is_empty() {
            return Err(ENOSPC);
        }
        *size = (*size).max(off + done as u64);
        Ok(done)
    }

    fn set_size(&mut self, id: Id, len: u64) {
        let cs = self.caps.chunk_size as u64;
        let Body::File { size, chunks } = &mut self.node_mut(id).body else {
            unreachable!()
        };
        if len < *size {
            chunks.retain(|&idx, _| idx * cs < len);
            if let Some(c) = chunks.get_mut(&(len / cs)) {
                c[(len % cs) as usize..].fill(0);
            }
        }
        *size = len;
    }

    fn truncate_checked(&mut self, id: Id, len: i64) -> R<()> {
        if len as u64 > self.caps.max_file_size {
            return Err(EFBIG);
        }
        self.set_size(id, len as u64);
        Ok(())
    }

    fn seek_data_hole(&self, id: Id, off: i64, whence: u32) -> R<u64> {
        let Body::File { size, chunks } = &self.node(id).body else {
            unreachable!()
        };
        if off < 0 || off as u64 >= *size {
            return Err(ENXIO);
        }
        let cs = self.caps.chunk_size as u64;
        let off = off as u64;
        if whence == SEEK_DATA {
            // The first chunk at or after `off`, if it starts before the end.
            return match chunks.range(off / cs..).next() {
                Some((&idx, _)) if off.max(idx * cs) < *size => Ok(off.max(idx * cs)),
                _ => Err(ENXIO),
            };
        }
        let mut idx = off / cs;
        while chunks.contains_key(&idx) {
            idx += 1;
        }
        Ok(off.max(idx * cs).min(*size))
    }

    // ---- operations ----

    fn new_listing(&self, id: Id) -> Listing {
        if !self.is_dir(id) || self.removed(id) {
            return Listing::default();
        }
        let mut names: BTreeSet<Vec<u8>> = self.entries(id).keys().cloned().collect();
        names.insert(b".".to_vec());
        names.insert(b"..".to_vec());
        Listing {
            stable: names.clone(),
            ever: names,
        }
    }

    fn open(&mut self, base: Option<Id>, path: &[u8], flags: u32, mode: u32, slot: Slot) -> R<()> {
        let mut flags = flags;
        if flags & O_PATH != 0 {
            flags &= O_PATH | O_DIRECTORY | O_NOFOLLOW;
        }
        if flags & O_CREAT != 0 && flags & O_DIRECTORY != 0 {
            return Err(EINVAL);
        }
        // getname refuses an empty path before a file table slot is taken.
        if path.is_empty() {
            return Err(ENOENT);
        }
        if self.free()[3] == 0 {
            return Err(ENFILE);
        }
        let mut created = false;
        let id = if flags & O_CREAT != 0 {
            // Linux's open_last_lookups: a dangling symlink creates its target.
            let mut links = 0;
            let mut base = base;
            let mut path = path.to_vec();
            loop {
                let (dir, last, trailing) = self.walk_parent(base, &path, &mut links)?;
                let name = match last {
                    Last::Name(_) if trailing => return Err(EISDIR),
                    Last::Name(n) => n.to_vec(),
                    Last::Root => break ROOT,
                    Last::Dot => break dir,
                    Last::DotDot => break self.parent(dir),
                };
                match self.lookup(dir, &name)? {
                    Some(id) => {
                        // O_EXCL implies O_NOFOLLOW.
                        let nofollow = flags & (O_NOFOLLOW | O_EXCL) != 0;
                        if let (Body::Symlink { target }, false) = (&self.node(id).body, nofollow) {
                            links += 1;
                            if links > self.caps.symlink_depth {
                                return Err(ELOOP);
                            }
                            path = target.clone();
                            base = Some(dir);
                            continue;
                        }
                        break id;
                    }
                    None => {
                        let free = self.free();
                        if free[0] == 0 || free[1] == 0 {
                            return Err(ENOSPC);
                        }
                        let id = self.alloc(
                            Body::File {
                                size: 0,
                                chunks: BTreeMap::new(),
                            },
                            mode & S_IALLUGO,
                        );
                        self.insert_entry(dir, &name, id);
                        created = true;
                        break id;
                    }
                }
            }
        } else {
            // A trailing slash follows even with O_NOFOLLOW (resolve sees to it).
            self.resolve(base, path, flags & O_NOFOLLOW == 0)?
        };
        if flags & O_CREAT != 0 && flags & O_EXCL != 0 && !created {
            return Err(EEXIST);
        }
        let kind = self.kind(id);
        if flags & O_CREAT != 0 && kind == S_IFDIR {
            return Err(EISDIR);
        }
        if flags & O_DIRECTORY != 0 && kind != S_IFDIR {
            return Err(ENOTDIR);
        }
        let acc = flags & O_ACCMODE;
        let path_only = flags & O_PATH != 0;
        if !path_only {
            match kind {
                S_IFLNK => return Err(ELOOP),
                S_IFDIR if acc != O_RDONLY || flags & O_TRUNC != 0 => return Err(EISDIR),
                S_IFREG if flags & O_TRUNC != 0 && !created => self.set_size(id, 0),
                _ => {}
            }
        }
        self.node_mut(id).opens += 1;
        // F_GETFL: open-time-only flags are gone, O_LARGEFILE forced (not for O_PATH).
        let status = if path_only {
            flags & (O_PATH | O_DIRECTORY | O_NOFOLLOW)
        } else {
            (flags & !(O_CREAT | O_EXCL | O_NOCTTY | O_TRUNC | O_CLOEXEC)) | O_LARGEFILE
        };
        let ofd = Ofd {
            node: id,
            path_only,
            read: !path_only && acc != O_WRONLY,
            write: !path_only && acc != O_RDONLY,
            flags: status,
            pos: 0,
            listing: self.new_listing(id),
            refs: 1,
        };
        let key = self.next_desc;
        self.next_desc += 1;
        self.descs.insert(key, ofd);
        self.slots.insert(slot, key);
        Ok(())
    }

    fn ofd(&self, slot: Slot) -> &Ofd {
        &self.descs[&self.slots[&slot]]
    }

    fn ofd_mut(&mut self, slot: Slot) -> &mut Ofd {
        self.descs.get_mut(&self.slots[&slot]).unwrap()
    }

    fn dup(&mut self, slot: Slot, new: Slot) {
        let key = self.slots[&slot];
        self.descs.get_mut(&key).unwrap().refs += 1;
        self.slots.insert(new, key);
    }

    fn close(&mut self, slot: Slot) {
        let key = self.slots.remove(&slot).unwrap();
        let o = self.descs.get_mut(&key).unwrap();
        o.refs -= 1;
        if o.refs == 0 {
            let node = o.node;
            self.descs.remove(&key);
            self.node_mut(node).opens -= 1;
            self.release(node);
        }
    }

    /// The absolute path of a directory (getcwd); ENOENT once removed.
    fn path_of(&self, id: Id) -> R<Vec<u8>> {
        if self.removed(id) {
            return Err(ENOENT);
        }
        let mut parts = Vec::new();
        let mut cur = id;
        while cur != ROOT {
            let up = self.parent(cur);
            let name = self
                .entries(up)
                .iter()
                .find(|(_, &c)| c == cur)
                .map(|(n, _)| n.clone())
                .unwrap();
            parts.push(name);
            cur = up;
        }
        if parts.is_empty() {
            return Ok(b"/".to_vec());
        }
        let mut out = Vec::new();
        for p in parts.iter().rev() {
            out.push(b'/');
            out.extend_from_slice(p);
        }
        Ok(out)
    }

    /// Linux's rw_verify_area: the range may not pass i64::MAX.
    fn verify_area(pos: u64, len: usize) -> R<()> {
        if pos as u128 + len as u128 > i64::MAX as u128 {
            return Err(EINVAL);
        }
        Ok(())
    }

    fn readable(&self, slot: Slot, pos: Option<u64>, len: usize) -> R<Id> {
        let o = self.ofd(slot);
        if !o.read {
            return Err(EBADF);
        }
        Self::verify_area(pos.unwrap_or(o.pos), len)?;
        if self.is_dir(o.node) {
            return Err(EISDIR);
        }
        Ok(o.node)
    }

    /// Linux's write checks: EBADF, nothing for 0 bytes, O_APPEND, EFBIG and clamping.
    fn write_at(&mut self, slot: Slot, data: &[u8], pos: Option<u64>) -> R<usize> {
        let o = self.ofd(slot);
        if !o.write {
            return Err(EBADF);
        }
        let id = o.node;
        Self::verify_area(pos.unwrap_or(o.pos), data.len())?;
        if data.is_empty() {
            return Ok(0);
        }
        let mut off = pos.unwrap_or(o.pos);
        if o.flags & O_APPEND != 0 {
            off = self.size(id);
        }
        if off >= self.caps.max_file_size {
            return Err(EFBIG);
        }
        let n = data.len().min((self.caps.max_file_size - off) as usize);
        let done = self.write_data(id, off, &data[..n])?;
        if pos.is_none() {
            self.ofd_mut(slot).pos = off + done as u64;
        }
        Ok(done)
    }

    fn lseek(&mut self, slot: Slot, off: i64, whence: u32) -> R<u64> {
        let o = self.ofd(slot);
        if o.path_only {
            return Err(EBADF);
        }
        let id = o.node;
        if self.is_dir(id) {
            // Drivers only rewind directories (cookies are implementation-defined).
            let listing = self.new_listing(id);
            let o = self.ofd_mut(slot);
            o.pos = 0;
            o.listing = listing;
            return Ok(0);
        }
        let new = match whence {
            SEEK_SET => Some(off),
            SEEK_CUR => (o.pos as i64).checked_add(off),
            SEEK_END => (self.size(id) as i64).checked_add(off),
            SEEK_DATA | SEEK_HOLE => Some(self.seek_data_hole(id, off, whence)? as i64),
            _ => return Err(EINVAL),
        };
        // Offsets stop at the maximum file size, as at a Linux filesystem's s_maxbytes.
        match new {
            Some(p) if p >= 0 && p as u64 <= self.caps.max_file_size => {
                self.ofd_mut(slot).pos = p as u64;
                Ok(p as u64)
            }
            _ => Err(EINVAL),
        }
    }

    fn dir_entries(&self, id: Id) -> BTreeSet<Entry> {
        let mut out: BTreeSet<Entry> = self
            .entries(id)
            .iter()
            .map(|(n, &c)| (n.clone(), dt_of(self.kind(c))))
            .collect();
        out.insert((b".".to_vec(), DT_DIR));
        out.insert((b"..".to_vec(), DT_DIR));
        out
    }

    fn readdir_check(&self, slot: Slot) -> R<Id> {
        let o = self.ofd(slot);
        if o.path_only {
            return Err(EBADF);
        }
        if !self.is_dir(o.node) {
            return Err(ENOTDIR);
        }
        if self.removed(o.node) {
            return Err(ENOENT);
        }
        Ok(o.node)
    }

    fn rename(
        &mut self,
        ob: Option<Id>,
        old: &[u8],
        nb: Option<Id>,
        new: &[u8],
        flags: u32,
    ) -> R<()> {
        let exchange = flags & RENAME_EXCHANGE != 0;
        let noreplace = flags & RENAME_NOREPLACE != 0;
        if flags & !(RENAME_NOREPLACE | RENAME_EXCHANGE | RENAME_WHITEOUT) != 0
            || (exchange && noreplace)
        {
            return Err(EINVAL);
        }
        let (od, olast, otrail) = self.walk_parent(ob, old, &mut 0)?;
        let (nd, nlast, ntrail) = self.walk_parent(nb, new, &mut 0)?;
        let Last::Name(oname) = olast else {
            return Err(EBUSY);
        };
        let Last::Name(nname) = nlast else {
            return Err(if noreplace { EEXIST } else { EBUSY });
        };
        let src = self.lookup(od, oname)?.ok_or(ENOENT)?;
        let dst = self.lookup(nd, nname)?;
        if noreplace && dst.is_some() {
            return Err(EEXIST);
        }
        if exchange {
            let d = dst.ok_or(ENOENT)?;
            if !self.is_dir(d) && ntrail {
                return Err(ENOTDIR);
            }
        }
        let src_dir = self.is_dir(src);
        if !src_dir && (otrail || (!exchange && ntrail)) {
            return Err(ENOTDIR);
        }
        if let Some(trap) = self.rename_trap(od, nd) {
            if src == trap {
                return Err(EINVAL);
            }
            if dst == Some(trap) {
                return Err(if exchange { EINVAL } else { ENOTEMPTY });
            }
        }
        if dst == Some(src) {
            return Ok(());
        }
        if exchange {
            let dst = dst.unwrap();
            self.entries_mut(od).insert(oname.to_vec(), dst);
            self.entries_mut(nd).insert(nname.to_vec(), src);
            for (id, dir) in [(dst, od), (src, nd)] {
                if let Body::Dir { parent, .. } = &mut self.node_mut(id).body {
                    *parent = dir;
                }
            }
            self.touch(od, oname);
            self.touch(nd, nname);
            return Ok(());
        }
        if let Some(d) = dst {
            match (src_dir, self.is_dir(d)) {
                (true, false) => return Err(ENOTDIR),
                (false, true) => return Err(EISDIR),
                (true, true) if !self.entries(d).is_empty() => return Err(ENOTEMPTY),
                _ => {}
            }
            self.remove_entry(nd, nname);
            self.release(d);
        }
        self.entries_mut(od).remove(oname);
        self.touch(od, oname);
        self.node_mut(src).links -= 1;
        self.insert_entry(nd, nname, src);
        Ok(())
    }

    /// Linux's lock_rename trap: the child of one parent that is an ancestor of the other.
    fn rename_trap(&self, od: Id, nd: Id) -> Option<Id> {
        let child_toward = |top: Id, from: Id| -> Option<Id> {
            let mut p = from;
            loop {
                let up = self.parent(p);
                if up == top && p != top {
                    return Some(p);
                }
                if up == p {
                    return None;
                }
                p = up;
            }
        };
        if od == nd {
            return None;
        }
        child_toward(od, nd).or_else(|| child_toward(nd, od))
    }

    fn apply_inner(&mut self, op: &Op, env: &Env) -> R<Outcome> {
        use Op::*;
        let done = |_: ()| Outcome::Done;
        match *op {
            Open {
                base,
                path,
                flags,
                mode,
            } => {
                let b = self.base_node(env, base);
                self.open(b, env.path(path), flags, mode, env.new_slot)
                    .map(|_| Outcome::Opened)
            }
            Close { h } => {
                self.close(env.handle(h));
                Ok(Outcome::Done)
            }
            Read { h, len } => {
                let s = env.handle(h);
                let id = self.readable(s, None, len)?;
                let pos = self.ofd(s).pos;
                let data = self.read_data(id, pos, len);
                self.ofd_mut(s).pos += data.len() as u64;
                Ok(Outcome::Bytes(data))
            }
            Pread { h, len, off } => {
                let id = self.readable(env.handle(h), Some(off), len)?;
                Ok(Outcome::Bytes(self.read_data(id, off, len)))
            }
            Write { h, fill, len } => self
                .write_at(env.handle(h), &pattern(fill, len), None)
                .map(|n| Outcome::Count(n as u64)),
            Pwrite { h, fill, len, off } => self
                .write_at(env.handle(h), &pattern(fill, len), Some(off))
                .map(|n| Outcome::Count(n as u64)),
            Lseek { h, off, whence } => self.lseek(env.handle(h), off, whence).map(Outcome::Count),
            Ftruncate { h, len } => {
                let o = self.ofd(env.handle(h));
                if len < 0 {
                    return Err(EINVAL);
                }
                if o.path_only {
                    return Err(EBADF);
                }
                if !o.write || self.kind(o.node) != S_IFREG {
                    return Err(EINVAL);
                }
                let id = o.node;
                self.truncate_checked(id, len).map(done)
            }
            Fstat { h } => Ok(Outcome::Stat(self.view(self.ofd(env.handle(h)).node))),
            Fchmod { h, mode } => {
                let o = self.ofd(env.handle(h));
                if o.path_only {
                    return Err(EBADF);
                }
                let id = o.node;
                self.node_mut(id).perm = mode & S_IALLUGO;
                Ok(Outcome::Done)
            }
            Readdir { h } => {
                let s = env.handle(h);
                // Drivers rewind first, whatever the description is.
                self.lseek(s, 0, SEEK_SET)?;
                let id = self.readdir_check(s)?;
                // Listed to the end: nothing is owed; names made later may still show.
                let mut listing = self.new_listing(id);
                listing.stable.clear();
                self.ofd_mut(s).listing = listing;
                Ok(Outcome::Entries(self.dir_entries(id)))
            }
            ReaddirSome { h, n } => {
                let s = env.handle(h);
                self.readdir_check(s)?;
                let l = &self.ofd(s).listing;
                Ok(Outcome::Listing {
                    stable: l.stable.clone(),
                    ever: l.ever.clone(),
                    n,
                })
            }
            Stat { base, path, follow } => {
                let b = self.base_node(env, base);
                Ok(Outcome::Stat(self.view(self.resolve(
                    b,
                    env.path(path),
                    follow,
                )?)))
            }
            Access { base, path, mode } => {
                let b = self.base_node(env, base);
                let id = self.resolve(b, env.path(path), true)?;
                if mode & X_OK != 0 && !self.is_dir(id) && self.node(id).perm & 0o111 == 0 {
                    return Err(EACCES);
                }
                Ok(Outcome::Done)
            }
            Truncate { base, path, len } => {
                if len < 0 {
                    return Err(EINVAL);
                }
                let b = self.base_node(env, base);
                let id = self.resolve(b, env.path(path), true)?;
                match self.kind(id) {
                    S_IFDIR => Err(EISDIR),
                    S_IFREG => self.truncate_checked(id, len).map(done),
                    _ => Err(EINVAL),
                }
            }
            Mkdir { base, path, mode } => {
                let b = self.base_node(env, base);
                let (dir, name) = self.create_at(b, env.path(path), true)?;
                let free = self.free();
                if free[0] == 0 || free[1] == 0 {
                    return Err(ENOSPC);
                }
                let perm = (mode & 0o1777) | (self.node(dir).perm & S_ISGID);
                let body = Body::Dir {
                    entries: BTreeMap::new(),
                    parent: dir,
                    removed: false,
                };
                let id = self.alloc(body, perm);
                self.insert_entry(dir, name, id);
                Ok(Outcome::Done)
            }
            Rmdir { base, path } => {
                let b = self.base_node(env, base);
                let (dir, last, _) = self.walk_parent(b, env.path(path), &mut 0)?;
                let name = match last {
                    Last::DotDot => return Err(ENOTEMPTY),
                    Last::Dot => return Err(EINVAL),
                    Last::Root => return Err(EBUSY),
                    Last::Name(n) => n,
                };
                let id = self.lookup(dir, name)?.ok_or(ENOENT)?;
                if !self.is_dir(id) {
                    return Err(ENOTDIR);
                }
                if !self.entries(id).is_empty() {
                    return Err(ENOTEMPTY);
                }
                let name = name.to_vec();
                self.remove_entry(dir, &name);
                self.release(id);
                Ok(Outcome::Done)
            }
            Unlink { base, path } => {
                let b = self.base_node(env, base);
                let (dir, last, trailing) = self.walk_parent(b, env.path(path), &mut 0)?;
                let Last::Name(name) = last else {
                    return Err(EISDIR);
                };
                let id = self.lookup(dir, name)?.ok_or(ENOENT)?;
                if self.is_dir(id) {
                    return Err(EISDIR);
                }
                if trailing {
                    return Err(ENOTDIR);
                }
                let name = name.to_vec();
                self.remove_entry(dir, &name);
                self.release(id);
                Ok(Outcome::Done)
            }
            Link {
                old_base,
                old,
                new_base,
                new,
                follow,
            } => {
                let ob = self.base_node(env, old_base);
                let nb = self.base_node(env, new_base);
                let id = self.resolve(ob, env.path(old), follow)?;
                let (dir, name) = self.create_at(nb, env.path(new), false)?;
                if self.is_dir(id) {
                    return Err(EPERM);
                }
                if self.free()[1] == 0 {
                    return Err(ENOSPC);
                }
                self.insert_entry(dir, name, id);
                Ok(Outcome::Done)
            }
            Symlink { target, base, path } => {
                let t = env.target(target).to_vec();
                if t.is_empty() {
                    return Err(ENOENT);
                }
                let b = self.base_node(env, base);
                let (dir, name) = self.create_at(b, env.path(path), false)?;
                let free = self.free();
                if free[0] == 0 || free[1] == 0 || free[2] < t.len().div_ceil(self.caps.chunk_size)
                {
                    return Err(ENOSPC);
                }
                let id = self.alloc(Body::Symlink { target: t }, 0o777);
                self.insert_entry(dir, name, id);
                Ok(Outcome::Done)
            }
            Readlink { base, path, len } => {
                if len == 0 {
                    return Err(EINVAL);
                }
                let b = self.base_node(env, base);
                let p = env.path(path);
                // readlinkat takes an empty path as the base itself, if that is a symlink.
                let id = match b {
                    Some(b) if p.is_empty() && self.kind(b) == S_IFLNK => b,
                    _ => self.resolve(b, p, false)?,
                };
                match &self.node(id).body {
                    Body::Symlink { target } => {
                        Ok(Outcome::Bytes(target[..len.min(target.len())].to_vec()))
                    }
                    _ => Err(EINVAL),
                }
            }
            Rename {
                old_base,
                old,
                new_base,
                new,
                flags,
            } => {
                let ob = self.base_node(env, old_base);
                let nb = self.base_node(env, new_base);
                self.rename(ob, env.path(old), nb, env.path(new), flags)
                    .map(done)
            }
            Chmod { base, path, mode } => {
                let b = self.base_node(env, base);
                let id = self.resolve(b, env.path(path), true)?;
                self.node_mut(id).perm = mode & S_IALLUGO;
                Ok(Outcome::Done)
            }
            Dup { h } => {
                self.dup(env.handle(h), env.new_slot);
                Ok(Outcome::Opened)
            }
            GetFl { h } => Ok(Outcome::Count(self.ofd(env.handle(h)).flags as u64)),
            SetFl { h, flags } => {
                let o = self.ofd_mut(env.handle(h));
                if o.path_only {
                    return Err(EBADF);
                }
                const SETFL_MASK: u32 = O_APPEND | O_NONBLOCK | O_ASYNC | O_DIRECT | O_NOATIME;
                o.flags = (o.flags & !SETFL_MASK) | (flags & SETFL_MASK);
                Ok(Outcome::Done)
            }
            PathOf { h } => {
                let id = self.ofd(env.handle(h)).node;
                if !self.is_dir(id) {
                    return Ok(Outcome::Skipped);
                }
                self.path_of(id).map(Outcome::Bytes)
            }
            ReadFile { path } => {
                let slot = Slot::MAX;
                self.open(None, env.path(path), O_RDONLY, 0, slot)?;
                let r = self
                    .readable(slot, Some(0), READ_FILE_MAX)
                    .map(|id| self.read_data(id, 0, READ_FILE_MAX));
                self.close(slot);
                r.map(Outcome::Bytes)
            }
        }
    }

    /// Every name in the tree, deepest first: the order that deletes them all.
    pub fn all_paths(&self) -> Vec<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        self.collect(ROOT, b"", &mut out);
        out
    }

    fn collect(&self, dir: Id, prefix: &[u8], out: &mut Vec<(Vec<u8>, bool)>) {
        for (name, &id) in self.entries(dir) {
            let mut p = prefix.to_vec();
            p.push(b'/');
            p.extend_from_slice(name);
            if self.is_dir(id) {
                self.collect(id, &p, out);
            }
            out.push((p, self.is_dir(id)));
        }
    }

    pub fn open_slots(&self) -> Vec<Slot> {
        self.slots.keys().copied().collect()
    }
}

impl Driver for Model {
    fn name(&self) -> &'static str {
        "model"
    }

    fn apply(&mut self, op: &Op, env: &Env) -> Outcome {
        match self.apply_inner(op, env) {
            Ok(o) => o,
            Err(e) => Outcome::Err(e),
        }
    }

    fn lstat(&mut self, path: &[u8]) -> Result<StatView, i32> {
        self.resolve(None, path, false).map(|id| self.view(id))
    }

    fn fstat_slot(&mut self, slot: Slot) -> Result<StatView, i32> {
        Ok(self.view(self.ofd(slot).node))
    }

    fn usage(&self) -> Option<Counts> {
        (self.caps.nodes != usize::MAX).then(|| self.counts())
    }
}
