//! Path arguments: copied from the cage into fixed buffers, then placed.
//!
//! Root mode: every path is imfs, resolved by the core from the cwd or dirfd.
//!
//! Mount mode: imfs is mounted at the prefix. A relative path from an imfs
//! cwd or dirfd goes to the core as it is, resolved from that directory's
//! node. A host path (absolute, or relative to the host cwd) is the host's
//! until it reaches the prefix, `.` and `..` taken lexically on that side;
//! from there the core resolves the rest from the imfs root. The core walks
//! every imfs component itself, as in root mode (symlinks, `.` and `..` on
//! the directory actually reached); `..` above the imfs root or an absolute
//! symlink target leaves imfs, which the core reports as EXDEV: the grate
//! then works out the host path it leads to and tries the call again with
//! it ([`Grate::redirect_exit`]).

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

/// Which of a slot's buffers holds a path.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Buf {
    /// The argument as the cage passed it.
    Raw,
    /// Mount mode: the host cwd joined with a relative argument.
    Joined,
    /// Mount mode: where a path goes on after it left imfs.
    Redirect,
}

/// A path's bytes inside the grate's scratch buffers.
#[derive(Clone, Copy, Debug)]
pub(crate) struct PathRef {
    slot: Slot,
    buf: Buf,
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

/// Mount mode: a path of this call that the core is resolving, kept so
/// that when the core reports it left imfs (EXDEV), the grate can tell
/// where it went.
#[derive(Clone, Copy, Debug)]
struct InImfs {
    target: Target,
    /// The kernel, given the argument as it is, would resolve it the same
    /// way: it reached imfs from the host and only `.`, `..` and slashes
    /// were passed inside imfs (the host's mount point is an empty
    /// directory, so the kernel walks those the same).
    kernel_same: bool,
}

/// A path that left imfs, to be placed again on the next try of the call.
#[derive(Clone, Copy, Debug)]
struct Redirect {
    len: usize,
    kernel_same: bool,
}

/// The fixed buffers paths are copied and built in.
pub(crate) struct PathBufs {
    raw: [Box<[u8]>; 2],
    joined: [Box<[u8]>; 2],
    redirect: [Box<[u8]>; 2],
    /// Scratch for [`enters_prefix`] and for the rest of a path leaving imfs.
    scratch: Box<[u8]>,
    in_imfs: [Option<InImfs>; 2],
    redirected: [Option<Redirect>; 2],
    /// A host path the kernel cannot be handed (see [`Grate::place`]).
    unreachable: Option<PathRef>,
}

/// Bytes of a mount-mode buffer: a host cwd or the directory holding the
/// mount point, '/', and a path of at most PATH_MAX.
const JOINED_LEN: usize = 2 * config::PATH_MAX + 1;

/// How many times one call may leave imfs and come back (ELOOP past it),
/// as symlinks followed in one lookup.
pub(crate) const MAX_EXITS: usize = config::SYMLINK_DEPTH;

impl PathBufs {
    pub fn new() -> PathBufs {
        let buf = |n: usize| vec![0u8; n].into_boxed_slice();
        PathBufs {
            raw: [buf(config::PATH_MAX), buf(config::PATH_MAX)],
            joined: [buf(JOINED_LEN), buf(JOINED_LEN)],
            redirect: [buf(JOINED_LEN), buf(JOINED_LEN)],
            scratch: buf(JOINED_LEN),
            in_imfs: [None; 2],
            redirected: [None; 2],
            unreachable: None,
        }
    }

    pub fn get(&self, p: &PathRef) -> &[u8] {
        let i = p.slot as usize;
        let buf = match p.buf {
            Buf::Raw => &self.raw[i],
            Buf::Joined => &self.joined[i],
            Buf::Redirect => &self.redirect[i],
        };
        &buf[p.start..p.end]
    }

    /// Whether the path placed in `slot` reached the imfs root the way the
    /// kernel would reach the mount point: from the host, through nothing
    /// but `.` and slashes inside imfs.
    pub fn kernel_reaches_mount_point(&self, slot: Slot) -> bool {
        self.in_imfs[slot as usize]
            .is_some_and(|p| p.kernel_same && only_dots(self.get(&p.target.path)))
    }

    /// A new call: no path placed, none redirected.
    pub fn begin_call(&mut self) {
        self.in_imfs = [None; 2];
        self.redirected = [None; 2];
        self.unreachable = None;
    }

    /// The host path of the last placement that the kernel cannot be
    /// handed, when that placement failed the call with EXDEV.
    pub fn unreachable(&self) -> Option<&[u8]> {
        self.unreachable.as_ref().map(|p| self.get(p))
    }

    /// A fixed path in slot `slot` (AT_EMPTY_PATH on the root).
    fn put(&mut self, slot: Slot, bytes: &[u8]) -> PathRef {
        self.raw[slot as usize][..bytes.len()].copy_from_slice(bytes);
        PathRef {
            slot,
            buf: Buf::Raw,
            start: 0,
            end: bytes.len(),
        }
    }
}

/// Where the absolute host path `path` enters the mount point `prefix`,
/// `.` and `..` taken lexically on the host side: the offset of the rest
/// of the path (to be resolved inside imfs from its root), or None when
/// it never gets there. `stack` is scratch of at least `path.len()` bytes.
pub(crate) fn enters_prefix(path: &[u8], prefix: &[u8], stack: &mut [u8]) -> Option<usize> {
    let (mut r, mut w) = (0, 0);
    while r < path.len() {
        while r < path.len() && path[r] == b'/' {
            r += 1;
        }
        let start = r;
        while r < path.len() && path[r] != b'/' {
            r += 1;
        }
        match &path[start..r] {
            b"" | b"." => continue,
            b".." => {
                // Back to the previous '/', never above the root.
                while w > 0 && stack[w - 1] != b'/' {
                    w -= 1;
                }
                w = w.saturating_sub(1);
            }
            comp => {
                let dst = stack.get_mut(w..w + 1 + comp.len())?;
                dst[0] = b'/';
                dst[1..].copy_from_slice(comp);
                w += 1 + comp.len();
            }
        }
        if &stack[..w] == prefix {
            return Some(r);
        }
    }
    None
}

/// Whether the relative host path `path` could reach the mount point
/// `prefix` from some host directory: only by climbing (`..`) or by naming
/// the mount point's own last component on the way down.
fn may_reach(path: &[u8], prefix: &[u8]) -> bool {
    let last = &prefix[prefix.iter().rposition(|&b| b == b'/').map_or(0, |i| i + 1)..];
    path.split(|&b| b == b'/').any(|c| c == b".." || c == last)
}

/// Whether `path` has only `.`, `..` and empty components.
fn only_dots(path: &[u8]) -> bool {
    path.split(|&b| b == b'/')
        .all(|c| matches!(c, b"" | b"." | b".."))
}

/// The mount prefix without a trailing slash ("/" stays "/").
fn trim_prefix(p: &[u8]) -> &[u8] {
    if p.len() > 1 && p.ends_with(b"/") {
        &p[..p.len() - 1]
    } else {
        p
    }
}

/// The directory holding the mount point, without a trailing slash ("" for "/").
fn prefix_parent(prefix: &[u8]) -> &[u8] {
    let p = trim_prefix(prefix);
    let cut = p.iter().rposition(|&b| b == b'/').unwrap_or(0);
    &p[..cut]
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
            buf: Buf::Raw,
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
    /// names `dirfd` itself. The argument is limited to PATH_MAX bytes with
    /// its NUL, as Linux limits it; nothing longer is ever built from it.
    pub(crate) fn place(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        dirfd: i32,
        addr: u64,
        slot: Slot,
        empty_ok: bool,
    ) -> Result<Place, Stop> {
        let i = slot as usize;
        self.paths.in_imfs[i] = None;
        self.paths.unreachable = None;
        if let Some(r) = self.paths.redirected[i] {
            // A retry: the path left imfs and goes on from an absolute host path.
            return self.place_host_path(h, slot, Buf::Redirect, r.len, r.kernel_same);
        }
        let len = if empty_ok && addr == 0 {
            0 // Linux 6.11+ accepts NULL with AT_EMPTY_PATH.
        } else {
            h.read_cstr(cage, addr, &mut self.paths.raw[i])?
        };
        let raw = PathRef {
            slot,
            buf: Buf::Raw,
            start: 0,
            end: len,
        };
        let absolute = len > 0 && self.paths.raw[i][0] == b'/';
        if len == 0 && !empty_ok {
            return Err(Errno::ENOENT.into());
        }
        // The base of a relative (or empty) path.
        let base = if absolute {
            None
        } else {
            Some(self.base(h, cage, dirfd)?)
        };
        let mounted = h.mount_prefix().is_some();
        Ok(match base {
            None if mounted => return self.place_host_path(h, slot, Buf::Raw, len, true),
            None => Place::Imfs(Target {
                dir: None,
                path: raw,
            }),
            // Both modes: the core resolves from the base directory's node.
            Some(Base::Imfs(dir)) if len > 0 => {
                let target = Target { dir, path: raw };
                self.paths.in_imfs[i] = Some(InImfs {
                    target,
                    kernel_same: false,
                });
                Place::Imfs(target)
            }
            Some(Base::MountPoint) if len > 0 => {
                let target = Target {
                    dir: None,
                    path: raw,
                };
                self.paths.in_imfs[i] = Some(InImfs {
                    target,
                    kernel_same: true,
                });
                Place::Imfs(target)
            }
            Some(Base::Imfs(Some(ofd))) => Place::Fd(ofd),
            Some(Base::Imfs(None) | Base::MountPoint) => Place::Imfs(Target {
                dir: None,
                path: self.paths.put(slot, b"/"),
            }),
            // AT_EMPTY_PATH on a host fd is a call on that fd: the host's.
            Some(Base::Host) if len == 0 => Place::Host,
            // A host dirfd names no imfs directory.
            Some(Base::Host) if !mounted => return Err(super::not_imfs_dir(h, cage, dirfd).into()),
            Some(Base::Host) => {
                // Relative to the host cwd or a host dirfd: it may lead into
                // the mount point, which takes the host directory's path (a
                // look in /proc, so only when the path could). A dirfd whose
                // directory the host cannot name is the kernel's alone.
                let prefix = trim_prefix(h.mount_prefix().unwrap_or(b"/"));
                if !may_reach(&self.paths.raw[i][..len], prefix) {
                    return Ok(Place::Host);
                }
                let joined = &mut self.paths.joined[i];
                let mut n = if dirfd == AT_FDCWD {
                    h.host_cwd(cage, joined)?
                } else {
                    match h.host_dir_of_fd(cage, dirfd, joined) {
                        Ok(n) => n,
                        Err(_) => return Ok(Place::Host),
                    }
                };
                let raw = &self.paths.raw[i][..len];
                let dst = joined.get_mut(n..n + 1 + len).ok_or(Errno::ENAMETOOLONG)?;
                dst[0] = b'/';
                dst[1..].copy_from_slice(raw);
                n += 1 + len;
                return self.place_host_path(h, slot, Buf::Joined, n, true);
            }
        })
    }

    /// Mount mode: places the absolute host path in `buf[..len]` of `slot`.
    /// It is imfs's from where it enters the mount point on (resolved by the
    /// core from the imfs root). Otherwise it is the host's, which the
    /// kernel can only serve when, given the argument as passed, it
    /// resolves it the same way (`kernel_same`): a path that left imfs
    /// from inside (an imfs cwd, directory or symlink) cannot be handed to
    /// the kernel: the call fails with EXDEV, and a read is then made by the
    /// host on the rewritten path ([`Host::read_host_path`]).
    fn place_host_path(
        &mut self,
        h: &mut dyn Host,
        slot: Slot,
        buf: Buf,
        len: usize,
        kernel_same: bool,
    ) -> Result<Place, Stop> {
        let i = slot as usize;
        let prefix = trim_prefix(h.mount_prefix().unwrap_or(b"/"));
        let paths = &mut self.paths;
        let bytes = match buf {
            Buf::Raw => &paths.raw[i][..len],
            Buf::Joined => &paths.joined[i][..len],
            Buf::Redirect => &paths.redirect[i][..len],
        };
        let Some(start) = enters_prefix(bytes, prefix, &mut paths.scratch) else {
            if kernel_same {
                return Ok(Place::Host);
            }
            paths.unreachable = Some(PathRef {
                slot,
                buf,
                start: 0,
                end: len,
            });
            return Err(Errno::EXDEV.into());
        };
        let path = if start == len {
            // The mount point itself is the imfs root.
            paths.put(slot, b"/")
        } else {
            PathRef {
                slot,
                buf,
                start,
                end: len,
            }
        };
        let target = Target { dir: None, path };
        paths.in_imfs[i] = Some(InImfs {
            target,
            kernel_same,
        });
        Ok(Place::Imfs(target))
    }

    /// Mount mode, after a call failed with EXDEV: finds the path of the
    /// call that left imfs (`..` above its root, or an absolute symlink
    /// target) and sets where it goes on, for the call to be tried again.
    /// False when no path left imfs: the EXDEV is the call's answer.
    pub(crate) fn redirect_exit(&mut self, h: &mut dyn Host, cage: CageId) -> Result<bool, Errno> {
        let ctx = self.ctx(h, cage);
        let parent = prefix_parent(h.mount_prefix().unwrap_or(b"/"));
        // The last component's symlink is tried last: only a call that
        // follows it can have left through it, and a call on two paths
        // (rename, link) follows neither unless told.
        for follow_last in [false, true] {
            for i in 0..2 {
                let Some(placed) = self.paths.in_imfs[i] else {
                    continue;
                };
                let PathBufs {
                    raw,
                    joined,
                    redirect,
                    scratch,
                    redirected,
                    ..
                } = &mut self.paths;
                let p = placed.target.path;
                let path = match p.buf {
                    Buf::Raw => &raw[i][p.start..p.end],
                    Buf::Joined => &joined[i][p.start..p.end],
                    Buf::Redirect => &redirect[i][p.start..p.end],
                };
                let dir = placed.target.dir;
                let Some(exit) = self.fs.exit_of(&ctx, dir, path, follow_last, scratch)? else {
                    continue;
                };
                // Without a symlink on the way the rest is a suffix of the path.
                let consumed = path.len().checked_sub(exit.len).map(|n| &path[..n]);
                let kernel_same = placed.kernel_same
                    && exit.up
                    && !exit.followed
                    && consumed.is_some_and(only_dots);
                // The rest goes on from the directory holding the mount
                // point, or is a whole absolute path (a symlink's target).
                let lead = if exit.up { parent } else { &b""[..] };
                let len = lead.len() + exit.len;
                let dst = redirect[i]
                    .get_mut(..len.max(1))
                    .ok_or(Errno::ENAMETOOLONG)?;
                dst[..lead.len()].copy_from_slice(lead);
                dst[lead.len()..len].copy_from_slice(&scratch[..exit.len]);
                if len == 0 {
                    dst[0] = b'/'; // `..` of a mount point directly under "/".
                }
                redirected[i] = Some(Redirect {
                    len: len.max(1),
                    kernel_same,
                });
                return Ok(true);
            }
        }
        Ok(false)
    }

    /// The directory a relative path starts from.
    fn base(&mut self, h: &mut dyn Host, cage: CageId, dirfd: i32) -> Result<Base, Stop> {
        if dirfd == AT_FDCWD {
            return Ok(match self.cage_state(h, cage).cwd {
                Cwd::Imfs(dir) => Base::Imfs(dir),
                Cwd::Host => Base::Host,
                Cwd::MountPoint => Base::MountPoint,
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
    /// The imfs root, where the kernel's cwd is the mount point ([`Cwd::MountPoint`]).
    MountPoint,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn entry(path: &str, prefix: &str) -> Option<String> {
        let mut stack = vec![0u8; path.len() + 1];
        let at = enters_prefix(path.as_bytes(), prefix.as_bytes(), &mut stack)?;
        Some(path[at..].to_string())
    }

    #[test]
    fn where_a_host_path_enters_the_mount_point() {
        assert_eq!(entry("/imfs", "/imfs").as_deref(), Some(""));
        assert_eq!(
            entry("/imfs/a/../b/.", "/imfs").as_deref(),
            Some("/a/../b/.")
        );
        assert_eq!(entry("//imfs//x", "/imfs").as_deref(), Some("//x"));
        assert_eq!(entry("/tmp/../imfs/x", "/imfs").as_deref(), Some("/x"));
        assert_eq!(entry("/../../imfs/./x", "/imfs").as_deref(), Some("/./x"));
        assert_eq!(entry("/mnt/./imfs/..", "/mnt/imfs").as_deref(), Some("/.."));
        assert_eq!(entry("/imfsx/a", "/imfs"), None);
        assert_eq!(entry("/mnt", "/mnt/imfs"), None);
        assert_eq!(entry("/etc/hosts", "/imfs"), None);
    }

    #[test]
    fn the_directory_holding_the_mount_point() {
        assert_eq!(prefix_parent(b"/imfs"), b"");
        assert_eq!(prefix_parent(b"/mnt/imfs/"), b"/mnt");
    }

    #[test]
    fn host_paths_that_may_reach_the_mount_point() {
        assert!(may_reach(b"../x", b"/mnt/imfs"));
        assert!(may_reach(b"a/imfs/b", b"/mnt/imfs"));
        assert!(may_reach(b"imfs", b"/mnt/imfs"));
        assert!(!may_reach(b"a/imfsx/..b", b"/mnt/imfs"));
        assert!(!may_reach(b"mnt/x", b"/mnt/imfs"));
    }

    #[test]
    fn dots_only() {
        assert!(only_dots(b"/./..//."));
        assert!(!only_dots(b"/./a/.."));
    }
}
