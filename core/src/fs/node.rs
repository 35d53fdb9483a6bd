//! Nodes (inodes): type, permissions, owner, times, and the directory links
//! a node needs when it is a directory.

use super::pool::{Link, Slot};
use crate::flags::{S_IFBLK, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFMT, S_IFREG, S_IFSOCK};
use crate::Timespec;

/// The root directory's mode. Modes are stored XORed with it, so the zeroed
/// slot 0 is the fresh root: a 0755 directory owned by 0:0.
pub(crate) const ROOT_MODE: u32 = S_IFDIR | 0o755;

/// The root directory's node index.
pub(crate) const ROOT: u32 = 0;

#[derive(Clone, Copy, Debug)]
pub(crate) struct Node {
    mode_x: u32,
    pub uid: u32,
    pub gid: u32,
    /// Directory entries naming this node (the root has none).
    pub links: u32,
    /// Directories: subdirectories, so nlink = 2 + subdirs.
    pub subdirs: u32,
    /// Open file descriptions on this node.
    pub opens: u32,
    /// Chunks held in the chunk store (for st_blocks).
    pub chunks: u32,
    /// Files and symlinks: length in bytes. Directories: entries.
    pub size: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
    /// Directories: the parent directory (the root is its own parent).
    pub parent: u32,
    /// Directories: the entry naming this one (none for the root or once
    /// removed). Free nodes: the next free node.
    pub dirent: Link,
    /// Directories: entries in insertion (sequence) order.
    pub first: Link,
    pub last: Link,
    /// Directories: sequence number the next inserted entry gets.
    /// Devices: the device number ([`Node::rdev`]), so it costs no room.
    pub next_seq: u64,
    /// An O_TMPFILE file opened without O_EXCL and never linked yet: the one
    /// kind of node with no links that linkat(AT_EMPTY_PATH) may name
    /// (Linux's I_LINKABLE).
    pub linkable: bool,
    freed: bool,
}

impl Node {
    pub fn new(mode: u32, uid: u32, gid: u32, now: Timespec) -> Node {
        Node {
            mode_x: mode ^ ROOT_MODE,
            uid,
            gid,
            atime: now,
            mtime: now,
            ctime: now,
            ..*Node::ZERO
        }
    }

    pub fn mode(&self) -> u32 {
        self.mode_x ^ ROOT_MODE
    }

    pub fn set_mode(&mut self, mode: u32) {
        self.mode_x = mode ^ ROOT_MODE;
    }

    /// Permission bits only (with setuid, setgid, sticky).
    pub fn perm(&self) -> u32 {
        self.mode() & 0o7777
    }

    pub fn set_perm(&mut self, perm: u32) {
        self.set_mode((self.mode() & S_IFMT) | (perm & 0o7777));
    }

    pub fn is_dir(&self) -> bool {
        self.mode() & S_IFMT == S_IFDIR
    }

    pub fn is_reg(&self) -> bool {
        self.mode() & S_IFMT == S_IFREG
    }

    pub fn is_symlink(&self) -> bool {
        self.mode() & S_IFMT == S_IFLNK
    }

    pub fn is_fifo(&self) -> bool {
        self.mode() & S_IFMT == S_IFIFO
    }

    pub fn is_device(&self) -> bool {
        matches!(self.mode() & S_IFMT, S_IFCHR | S_IFBLK)
    }

    /// A device's number as mknod(2) passed it (Linux's 32-bit encoding:
    /// 12-bit major, 20-bit minor); 0 for every other type.
    pub fn rdev(&self) -> u32 {
        if self.is_device() {
            self.next_seq as u32
        } else {
            0
        }
    }

    /// Sets a device's number (the caller made the node a device).
    pub fn set_rdev(&mut self, dev: u32) {
        self.next_seq = dev as u64;
    }

    /// A FIFO, socket or device node: a name with no data of its own.
    pub fn is_special(&self) -> bool {
        matches!(self.mode() & S_IFMT, S_IFIFO | S_IFSOCK | S_IFCHR | S_IFBLK)
    }

    /// Sets mtime and ctime: the node's content changed.
    pub fn touch_modified(&mut self, now: Timespec) {
        self.mtime = now;
        self.ctime = now;
    }
}

impl Slot for Node {
    const ZERO: &'static Node = &Node {
        mode_x: 0,
        uid: 0,
        gid: 0,
        links: 0,
        subdirs: 0,
        opens: 0,
        chunks: 0,
        size: 0,
        atime: Timespec { sec: 0, nsec: 0 },
        mtime: Timespec { sec: 0, nsec: 0 },
        ctime: Timespec { sec: 0, nsec: 0 },
        parent: 0,
        dirent: Link::NONE,
        first: Link::NONE,
        last: Link::NONE,
        next_seq: 0,
        linkable: false,
        freed: false,
    };

    fn make_free(&mut self, next: Link) {
        *self = Node {
            freed: true,
            dirent: next,
            ..*Node::ZERO
        };
    }

    fn is_free(&self) -> bool {
        self.freed
    }

    fn next_free(&self) -> Link {
        self.dirent
    }
}
