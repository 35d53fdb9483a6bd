//! Path arguments: copied from the cage into fixed buffers, then placed.
//!
//! Root mode: every path is imfs, resolved by the core from the cwd or dirfd.
//! Mount mode: the path is made absolute (imfs cwd/dirfd → prefix + its core
//! path; host cwd → the host's), normalised lexically, and is imfs only when
//! it is the prefix or below it; it is then resolved from the imfs root with
//! the prefix stripped. Anything else is the host's.

use super::{Grate, Stop};
use crate::cages::Cwd;
use crate::host::{CageId, FdEntry, Host};
use imfs_core::flags::AT_FDCWD;
use imfs_core::{config, Errno, OfdId};

/// Which of the two path buffers (a syscall takes at most two paths).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Slot {
    A = 0,
    B = 1,
}

/// A path's bytes inside the grate's scratch buffers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathRef {
    slot: Slot,
    /// In the normalised (mount mode) buffer rather than the raw one.
    normalised: bool,
    start: usize,
    end: usize,
}

/// An imfs path ready for the core: base directory and bytes.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Target {
    pub dir: Option<OfdId>,
    pub path: PathRef,
}

/// Where a path argument leads.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Place {
    Imfs(Target),
    /// AT_EMPTY_PATH on an imfs fd (or an imfs cwd other than the root).
    Fd(OfdId),
    Host,
}

/// The fixed buffers paths are copied and built in.
pub(crate) struct PathBufs {
    raw: [Box<[u8]>; 2],
    norm: [Box<[u8]>; 2],
}

/// Bytes of the buffer a mount-mode path is built in: prefix, base, '/', path.
const NORM_LEN: usize = 3 * config::PATH_MAX + 2;

impl PathBufs {
    pub fn new() -> PathBufs {
        let buf = |n: usize| vec![0u8; n].into_boxed_slice();
        PathBufs {
            raw: [buf(config::PATH_MAX), buf(config::PATH_MAX)],
            norm: [buf(NORM_LEN), buf(NORM_LEN)],
        }
    }

    pub fn get(&self, p: &PathRef) -> &[u8] {
        let buf = if p.normalised {
            &self.norm[p.slot as usize]
        } else {
            &self.raw[p.slot as usize]
        };
        &buf[p.start..p.end]
    }

    /// A fixed path in slot `slot` (AT_EMPTY_PATH on the root).
    fn put(&mut self, slot: Slot, bytes: &[u8]) -> PathRef {
        self.raw[slot as usize][..bytes.len()].copy_from_slice(bytes);
        PathRef {
            slot,
            normalised: false,
            start: 0,
            end: bytes.len(),
        }
    }
}

/// Resolves `.` and `..` and repeated slashes of the absolute path `buf[..len]`
/// in place, keeping a trailing slash (it asks for a directory); the new length.
pub(crate) fn normalise(buf: &mut [u8], len: usize) -> usize {
    let trailing = len > 1 && (buf[len - 1] == b'/' || ends_with_dots(&buf[..len]));
    let (mut r, mut w) = (0, 0);
    while r < len {
        while r < len && buf[r] == b'/' {
            r += 1;
        }
        let start = r;
        while r < len && buf[r] != b'/' {
            r += 1;
        }
        let comp = start..r;
        match &buf[comp.clone()] {
            b"" | b"." => {}
            b".." => {
                // Back to the previous '/', never above the root.
                while w > 0 && buf[w - 1] != b'/' {
                    w -= 1;
                }
                w = w.saturating_sub(1);
            }
            _ => {
                buf[w] = b'/';
                w += 1;
                buf.copy_within(comp.clone(), w);
                w += comp.len();
            }
        }
    }
    if w == 0 {
        buf[0] = b'/';
        return 1;
    }
    if trailing {
        buf[w] = b'/';
        w += 1;
    }
    w
}

fn ends_with_dots(p: &[u8]) -> bool {
    p.ends_with(b"/.") || p.ends_with(b"/..")
}

/// `path` is `prefix` or below it: the imfs path (prefix stripped, "/" for the prefix itself).
pub(crate) fn strip_prefix<'a>(path: &'a [u8], prefix: &[u8]) -> Option<&'a [u8]> {
    let rest = path.strip_prefix(prefix)?;
    match rest.first() {
        None => Some(b"/"),
        Some(b'/') => Some(rest),
        Some(_) => None,
    }
}

/// The mount prefix without a trailing slash ("/" stays "/").
fn trim_prefix(p: &[u8]) -> &[u8] {
    if p.len() > 1 && p.ends_with(b"/") {
        &p[..p.len() - 1]
    } else {
        p
    }
}

impl Grate {
    /// Whether the string at `addr` is empty (reads one byte of it).
    pub(crate) fn path_is_empty(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        addr: u64,
    ) -> Result<bool, Stop> {
        match h.read_cstr(cage, addr, &mut [0u8; 1]) {
            Ok(len) => Ok(len == 0),
            Err(Errno::ENAMETOOLONG) => Ok(false),
            Err(e) => Err(e.into()),
        }
    }

    /// Copies a string argument that is not resolved (a symlink's target) into `slot`.
    pub(crate) fn copy_str(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        addr: u64,
        slot: Slot,
    ) -> Result<PathRef, Stop> {
        let len = h.read_cstr(cage, addr, &mut self.paths.raw[slot as usize])?;
        Ok(PathRef {
            slot,
            normalised: false,
            start: 0,
            end: len,
        })
    }

    /// Places a path that must be imfs's (the host's gives Continue).
    pub(crate) fn target(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        slot: Slot,
    ) -> Result<Target, Stop> {
        match self.place(h, cage, dirfd, addr, slot, false)? {
            Place::Imfs(t) => Ok(t),
            Place::Fd(_) | Place::Host => Err(Stop::Continue),
        }
    }

    /// Copies the path at `addr` into `slot` and places it relative to `dirfd`
    /// (AT_FDCWD for the cwd). `empty_ok` is AT_EMPTY_PATH: an empty path
    /// names `dirfd` itself.
    pub(crate) fn place(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        slot: Slot,
        empty_ok: bool,
    ) -> Result<Place, Stop> {
        let len = if empty_ok && addr == 0 {
            0 // Linux 6.11+ accepts NULL with AT_EMPTY_PATH.
        } else {
            h.read_cstr(cage, addr, &mut self.paths.raw[slot as usize])?
        };
        let raw = PathRef {
            slot,
            normalised: false,
            start: 0,
            end: len,
        };
        let absolute = len > 0 && self.paths.raw[slot as usize][0] == b'/';
        if len == 0 && !empty_ok {
            return Err(Errno::ENOENT.into());
        }
        // The base of a relative (or empty) path.
        let base = if absolute {
            None
        } else {
            Some(self.base(h, cage, dirfd)?)
        };
        let Some(prefix) = h.mount_prefix() else {
            // Root mode: the core resolves from the base.
            return Ok(match base {
                None => Place::Imfs(Target {
                    dir: None,
                    path: raw,
                }),
                Some(Base::Imfs(dir)) if len > 0 => Place::Imfs(Target { dir, path: raw }),
                Some(Base::Imfs(Some(ofd))) => Place::Fd(ofd),
                Some(Base::Imfs(None)) => Place::Imfs(Target {
                    dir: None,
                    path: self.paths.put(slot, b"/"),
                }),
                // AT_EMPTY_PATH on a host fd is a call on that fd: the host's.
                Some(Base::Host) if len == 0 => Place::Host,
                // A host dirfd names no imfs directory.
                Some(Base::Host) => return Err(Errno::ENOTDIR.into()),
            });
        };
        if len == 0 {
            return Ok(match base {
                Some(Base::Imfs(Some(ofd))) => Place::Fd(ofd),
                Some(Base::Imfs(None)) => Place::Imfs(Target {
                    dir: None,
                    path: self.paths.put(slot, b"/"),
                }),
                _ => Place::Host,
            });
        }
        // Mount mode: build the absolute path, normalise it, compare with the prefix.
        let prefix_len = trim_prefix(prefix).len();
        let norm = &mut self.paths.norm[slot as usize];
        let mut n = 0;
        let push = |norm: &mut [u8], bytes: &[u8], n: &mut usize| -> Result<(), Errno> {
            let dst = norm
                .get_mut(*n..*n + bytes.len())
                .ok_or(Errno::ENAMETOOLONG)?;
            dst.copy_from_slice(bytes);
            *n += bytes.len();
            Ok(())
        };
        match base {
            None => {}
            Some(Base::Imfs(dir)) => {
                push(norm, &trim_prefix(prefix)[..prefix_len], &mut n)?;
                if let Some(ofd) = dir {
                    let got = self.fs.path_of(ofd, &mut norm[n..]).map_err(|e| match e {
                        Errno::ERANGE => Errno::ENAMETOOLONG,
                        e => e,
                    })?;
                    n += got;
                }
                push(norm, b"/", &mut n)?;
            }
            Some(Base::Host) => {
                if dirfd != AT_FDCWD {
                    return Ok(Place::Host);
                }
                n = h.host_cwd(cage, norm)?;
                push(norm, b"/", &mut n)?;
            }
        }
        push(norm, &self.paths.raw[slot as usize][..len], &mut n)?;
        let n = normalise(norm, n);
        let prefix = trim_prefix(h.mount_prefix().unwrap_or(b"/"));
        let norm = &self.paths.norm[slot as usize][..n];
        let Some(inner) = strip_prefix(norm, prefix) else {
            return Ok(Place::Host);
        };
        let path = if norm.len() == prefix.len() {
            // The prefix itself is the imfs root.
            self.paths.put(slot, b"/")
        } else {
            PathRef {
                slot,
                normalised: true,
                start: n - inner.len(),
                end: n,
            }
        };
        Ok(Place::Imfs(Target { dir: None, path }))
    }

    /// The directory a relative path starts from.
    fn base(&mut self, h: &mut dyn Host, cage: CageId, dirfd: i32) -> Result<Base, Stop> {
        if dirfd == AT_FDCWD {
            return Ok(match self.cage_state(h, cage).cwd {
                Cwd::Imfs(dir) => Base::Imfs(dir),
                Cwd::Host => Base::Host,
            });
        }
        match h.fds().get(cage, dirfd) {
            None => Err(Errno::EBADF.into()),
            Some(FdEntry::Host) => Ok(Base::Host),
            Some(FdEntry::Imfs { ofd, .. }) => Ok(Base::Imfs(Some(ofd))),
        }
    }
}

/// The start of a relative path.
#[derive(Clone, Copy, Debug)]
enum Base {
    Imfs(Option<OfdId>),
    Host,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(p: &str) -> String {
        let mut buf = p.as_bytes().to_vec();
        buf.push(0);
        let n = normalise(&mut buf, p.len());
        String::from_utf8(buf[..n].to_vec()).unwrap()
    }

    #[test]
    fn lexical_normalisation() {
        assert_eq!(norm("/"), "/");
        assert_eq!(norm("//a//b/"), "/a/b/");
        assert_eq!(norm("/a/./b/../c"), "/a/c");
        assert_eq!(norm("/../../x"), "/x");
        assert_eq!(norm("/a/b/.."), "/a/");
        assert_eq!(norm("/a/.."), "/");
        assert_eq!(norm("/a/b/."), "/a/b/");
    }

    #[test]
    fn prefix_matching() {
        assert_eq!(strip_prefix(b"/mnt/imfs", b"/mnt/imfs"), Some(&b"/"[..]));
        assert_eq!(strip_prefix(b"/mnt/imfs/a", b"/mnt/imfs"), Some(&b"/a"[..]));
        assert_eq!(strip_prefix(b"/mnt/imfsx", b"/mnt/imfs"), None);
        assert_eq!(strip_prefix(b"/mnt", b"/mnt/imfs"), None);
    }
}
