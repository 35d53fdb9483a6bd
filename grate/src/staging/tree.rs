//! The bounded state of a tree walk: the current path on both sides and,
//! for each directory being walked, where to resume it.
//!
//! Why re-open instead of keeping a stack of open directories: a stack of
//! open handles costs an fd (and, for a DIR*, a 32 KiB buffer) per level,
//! and a legal tree can be path_max / 2 levels deep, past the host's fd
//! limit. Here only the directory being read is open. Descending records
//! the getdents cookie of the entry just taken (`d_off` on the host, the
//! readdir cookie in imfs) and closes the directory; coming back up opens
//! it again and seeks to that cookie. The cost is one extra open and seek
//! per subdirectory, not a re-scan; the state is two path buffers and one
//! small record per level, all allocated once and bounded by path_max,
//! whatever the size of the tree.
//!
//! Cookies stay valid while a directory is not changed (the walks assume
//! nobody modifies the tree being copied); every Linux filesystem and
//! imfs keep them across opens.

use imfs_core::{Errno, Timespec};

/// One directory being walked: 32 bytes, path_max / 2 of them at most.
#[derive(Clone, Copy, Debug)]
pub struct Level {
    /// Resume reading this directory after the entry with this cookie.
    pub cookie: u64,
    host_len: u32,
    imfs_len: u32,
    /// Applied when the directory is finished (after its contents, so a
    /// read-only directory can still be filled and its mtime stays).
    pub perm: u32,
    mtime_nsec: u32,
    mtime_sec: i64,
}

impl Level {
    /// The directory's modification time (its access time is not carried).
    pub fn mtime(&self) -> Timespec {
        Timespec {
            sec: self.mtime_sec,
            nsec: self.mtime_nsec as i64,
        }
    }
}

/// The two current paths (host and imfs) and the stack of directories.
pub struct TreePaths {
    host: Vec<u8>,
    imfs: Vec<u8>,
    imfs_max: usize,
    levels: Vec<Level>,
}

/// `path` without trailing slashes ("/" stays "/").
fn trimmed(path: &[u8]) -> &[u8] {
    let mut end = path.len();
    while end > 1 && path[end - 1] == b'/' {
        end -= 1;
    }
    &path[..end]
}

impl TreePaths {
    /// Starts at `host_root` and `imfs_root`. `imfs_path_max` bounds the
    /// imfs path (its NUL included, as path_max counts it); the host path
    /// can only grow by as much.
    pub fn new(
        host_root: &[u8],
        imfs_root: &[u8],
        imfs_path_max: usize,
    ) -> Result<TreePaths, Errno> {
        let (host_root, imfs_root) = (trimmed(host_root), trimmed(imfs_root));
        if imfs_root.len() >= imfs_path_max {
            return Err(Errno::ENAMETOOLONG);
        }
        let mut host = Vec::with_capacity(host_root.len() + imfs_path_max);
        host.extend_from_slice(host_root);
        let mut imfs = Vec::with_capacity(imfs_path_max);
        imfs.extend_from_slice(imfs_root);
        Ok(TreePaths {
            host,
            imfs,
            imfs_max: imfs_path_max,
            // Every level adds at least "/x".
            levels: Vec::with_capacity(imfs_path_max / 2 + 1),
        })
    }

    pub fn host(&self) -> &[u8] {
        &self.host
    }

    pub fn imfs(&self) -> &[u8] {
        &self.imfs
    }

    pub fn depth(&self) -> usize {
        self.levels.len()
    }

    /// Enters the directory the paths name now.
    pub fn enter(&mut self, perm: u32, mtime: Timespec) {
        // Bounded: each level's imfs path is at least 2 bytes longer than
        // its parent's, and that path is shorter than imfs_max.
        debug_assert!(self.levels.len() < self.levels.capacity());
        self.levels.push(Level {
            cookie: 0,
            // Both below path_max + the host root's length.
            host_len: self.host.len() as u32,
            imfs_len: self.imfs.len() as u32,
            perm,
            mtime_nsec: mtime.nsec as u32,
            mtime_sec: mtime.sec,
        });
    }

    /// The directory being walked.
    pub fn top(&mut self) -> Option<&mut Level> {
        self.levels.last_mut()
    }

    /// Appends "/name" to both paths. ENAMETOOLONG past the imfs path_max;
    /// nothing changes then.
    pub fn push(&mut self, name: &[u8]) -> Result<(), Errno> {
        let sep = usize::from(!self.imfs.ends_with(b"/"));
        if self.imfs.len() + sep + name.len() >= self.imfs_max {
            return Err(Errno::ENAMETOOLONG);
        }
        let host_sep = usize::from(!self.host.ends_with(b"/"));
        if self.host.len() + host_sep + name.len() > self.host.capacity() {
            return Err(Errno::ENAMETOOLONG);
        }
        if sep == 1 {
            self.imfs.push(b'/');
        }
        if host_sep == 1 {
            self.host.push(b'/');
        }
        self.imfs.extend_from_slice(name);
        self.host.extend_from_slice(name);
        Ok(())
    }

    /// Back to the directory being walked (drops what [`push`](Self::push) added).
    pub fn pop(&mut self) {
        if let Some(l) = self.levels.last() {
            self.host.truncate(l.host_len as usize);
            self.imfs.truncate(l.imfs_len as usize);
        }
    }

    /// Leaves the directory being walked: the paths name it until the next
    /// [`pop`](Self::pop), which then goes back to its parent. Its level is returned.
    pub fn leave(&mut self) -> Option<Level> {
        let l = self.levels.pop()?;
        self.host.truncate(l.host_len as usize);
        self.imfs.truncate(l.imfs_len as usize);
        Some(l)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_level_is_32_bytes() {
        assert_eq!(std::mem::size_of::<Level>(), 32);
    }

    #[test]
    fn paths_grow_and_shrink_without_reallocating() {
        let t0 = Timespec::default();
        let mut t = TreePaths::new(b"host/", b"/", 32).unwrap();
        let (hc, ic) = (t.host.capacity(), t.imfs.capacity());
        t.enter(0o755, t0);
        t.push(b"a").unwrap();
        assert_eq!((t.host(), t.imfs()), (&b"host/a"[..], &b"/a"[..]));
        t.enter(0o700, t0);
        t.push(b"file").unwrap();
        assert_eq!(t.imfs(), b"/a/file");
        t.pop();
        assert_eq!(t.imfs(), b"/a");
        let l = t.leave().unwrap();
        assert_eq!(l.perm, 0o700);
        assert_eq!((t.host(), t.imfs()), (&b"host/a"[..], &b"/a"[..]));
        t.pop();
        assert_eq!((t.host(), t.imfs()), (&b"host"[..], &b"/"[..]));
        // 31 bytes and the NUL: the limit.
        let long = [b'x'; 30];
        assert_eq!(t.push(&long), Ok(()));
        t.pop();
        assert_eq!(t.push(&[b'x'; 31]), Err(Errno::ENAMETOOLONG));
        assert_eq!(t.imfs(), b"/");
        assert_eq!((t.host.capacity(), t.imfs.capacity()), (hc, ic));
    }
}
