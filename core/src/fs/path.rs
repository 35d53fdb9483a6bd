//! Path resolution: components from a base directory, `.` and `..`,
//! repeated and trailing slashes, symlinks up to SYMLINK_DEPTH, and the
//! name length limits, with Linux's errno for each.
//!
//! Symlinks are expanded in one PATH_MAX buffer holding the still unresolved
//! path right-aligned: a target is copied in front of what follows it, so
//! nothing recurses and nothing allocates.

use super::node::ROOT;
use super::perm::{may, MAY_EXEC};
use super::Fs;
use crate::config::{NAME_MAX, PATH_MAX, SYMLINK_DEPTH};
use crate::{Ctx, Errno, OfdId, Result};

/// A name of one directory entry.
pub(crate) type Name = heapless::Vec<u8, NAME_MAX>;

/// What the last component of a path is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) enum Last {
    /// The path is only slashes.
    Root,
    Dot,
    DotDot,
    /// An ordinary name (`Resolved::name`).
    Name,
}

/// A resolved path: the directory holding its last component and what that
/// component names, if anything.
#[derive(Debug)]
pub(crate) struct Resolved {
    pub dir: u32,
    pub last: Last,
    pub name: Name,
    /// The path ended in a slash.
    pub slash: bool,
    pub node: Option<u32>,
    /// The entry naming `node` when `last` is `Name`.
    pub dirent: Option<u32>,
    /// Why the last name cannot be looked up, if it cannot (see
    /// `Fs::lookup_error`). Linux finds out only when it looks that name up,
    /// so each operation reports it at that point.
    pub unlookable: Option<Errno>,
}

impl Resolved {
    /// The error looking up the last name gives, if any.
    pub fn name_ok(&self) -> Result<()> {
        match self.unlookable {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }
}

/// Where a path leaves a mounted filesystem ([`Fs::exit_of`]).
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct Exit {
    /// By `..` above the root: the rest goes on from the directory holding
    /// the mount point, and is empty or starts with a slash. Otherwise by a
    /// symlink whose target is absolute: the rest is that target followed
    /// by what came after the symlink.
    pub up: bool,
    /// Bytes of the rest.
    pub len: usize,
    /// A symlink was followed on the way (else the rest is a suffix of the
    /// path as given).
    pub followed: bool,
}

impl Exit {
    /// Copies the rest out (if asked to) and ends the walk here.
    fn write(self, rest: &[u8], out: Option<&mut [u8]>) -> Result<Walk> {
        if let Some(out) = out {
            out.get_mut(..rest.len())
                .ok_or(Errno::ENAMETOOLONG)?
                .copy_from_slice(rest);
        }
        Ok(Walk::Exit(self))
    }
}

/// How a walk ended. Returned by value once per lookup (no allocator to box with).
#[allow(clippy::large_enum_variant)]
enum Walk {
    Done(Resolved),
    Exit(Exit),
}

impl Walk {
    /// The resolved path; leaving the filesystem is EXDEV, a cross-device path.
    fn resolved(self) -> Result<Resolved> {
        match self {
            Walk::Done(r) => Ok(r),
            Walk::Exit(_) => Err(Errno::EXDEV),
        }
    }
}

/// The checks Linux makes when it copies a path in (getname), before it
/// does anything else with it: empty is ENOENT, PATH_MAX bytes or more
/// ENAMETOOLONG. A NUL inside cannot come from a C string: EINVAL.
pub(crate) fn check_path(path: &[u8]) -> Result<()> {
    if path.is_empty() {
        return Err(Errno::ENOENT);
    }
    if path.len() >= PATH_MAX {
        return Err(Errno::ENAMETOOLONG);
    }
    if path.contains(&0) {
        return Err(Errno::EINVAL);
    }
    Ok(())
}

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// The directory a relative path starts from.
    fn base_dir(&self, at: Option<OfdId>) -> Result<u32> {
        match at {
            None => Ok(ROOT),
            Some(id) => {
                let node = self.ofd(id)?.node;
                if self.nodes.at(node).is_dir() {
                    Ok(node)
                } else {
                    Err(Errno::ENOTDIR)
                }
            }
        }
    }

    /// Resolves `path` from `at`. A final symlink is followed when `follow`,
    /// or when the path ends in a slash and `slash_follows` (lookups do that,
    /// create and remove operations do not). EXDEV when the path leaves a
    /// mounted filesystem ([`Fs::exit_of`] tells where to).
    pub(super) fn resolve(
        &self,
        ctx: &Ctx,
        at: Option<OfdId>,
        path: &[u8],
        follow: bool,
        slash_follows: bool,
    ) -> Result<Resolved> {
        self.walk(ctx, at, path, follow, slash_follows, false, None)?
            .resolved()
    }

    /// Resolves the path of an open with O_CREAT: as Linux, a last name
    /// with a trailing slash is EISDIR before it is even looked up, also
    /// when it comes from a followed symlink.
    pub(super) fn resolve_for_create(
        &self,
        ctx: &Ctx,
        at: Option<OfdId>,
        path: &[u8],
        follow: bool,
    ) -> Result<Resolved> {
        self.walk(ctx, at, path, follow, true, true, None)?
            .resolved()
    }

    /// Mounted filesystems ([`Fs::set_mounted`]): where an operation on
    /// `path` that failed with EXDEV leaves the filesystem. The rest of the
    /// path, to be resolved outside from there, goes to `rest`; `None` when
    /// the path does not leave. A last symlink is followed when
    /// `follow_last` (as the operation did, else it could not have left
    /// through it); up to where the operation left, its walk and this one
    /// are the same.
    pub fn exit_of(
        &self,
        ctx: &Ctx,
        at: Option<OfdId>,
        path: &[u8],
        follow_last: bool,
        rest: &mut [u8],
    ) -> Result<Option<Exit>> {
        let walk = self.walk(ctx, at, path, follow_last, follow_last, false, Some(rest))?;
        match walk {
            Walk::Done(_) => Ok(None),
            Walk::Exit(exit) => Ok(Some(exit)),
        }
    }

    /// Mounts the filesystem inside a larger tree (a grate's `--mount`): `..`
    /// above the root and a symlink whose target is absolute lead out of it,
    /// and every path operation that gets there fails with EXDEV. Unmounted
    /// (the default), the root is its own parent and absolute targets start
    /// from the root.
    pub fn set_mounted(&mut self, mounted: bool) {
        self.mounted = mounted;
    }

    #[allow(clippy::too_many_arguments)]
    fn walk(
        &self,
        ctx: &Ctx,
        at: Option<OfdId>,
        path: &[u8],
        follow: bool,
        slash_follows: bool,
        creat: bool,
        mut rest_out: Option<&mut [u8]>,
    ) -> Result<Walk> {
        check_path(path)?;
        // An absolute path ignores the base entirely, even a bad one, as Linux does.
        let mut cur = if path[0] == b'/' {
            ROOT
        } else {
            self.base_dir(at)?
        };
        let mut buf: Option<[u8; PATH_MAX]> = None;
        let mut pos = 0usize;
        let mut links = 0usize;
        loop {
            let src: &[u8] = match &buf {
                Some(b) => b,
                None => path,
            };
            let mut rest = src.get(pos..).unwrap_or(&[]);
            // Slashes only lead a path at its start or a symlink target's.
            let lead = rest.iter().take_while(|&&b| b == b'/').count();
            if lead > 0 {
                cur = ROOT;
                rest = &rest[lead..];
                pos += lead;
            }
            if rest.is_empty() {
                return Ok(Walk::Done(Resolved {
                    dir: ROOT,
                    last: Last::Root,
                    name: Name::new(),
                    slash: true,
                    node: Some(ROOT),
                    dirent: None,
                    unlookable: None,
                }));
            }
            let comp_len = rest.iter().position(|&b| b == b'/').unwrap_or(rest.len());
            let comp = &rest[..comp_len];
            let tail = &rest[comp_len..];
            let slashes = tail.iter().take_while(|&&b| b == b'/').count();
            let is_last = slashes == tail.len();

            let dir = self.nodes.at(cur);
            if !dir.is_dir() {
                return Err(Errno::ENOTDIR);
            }
            may(ctx, dir, MAY_EXEC)?;
            if creat && is_last && slashes > 0 && comp != b"." && comp != b".." {
                return Err(Errno::EISDIR);
            }
            if comp.len() > NAME_MAX {
                let err = self.lookup_error(cur);
                if !is_last {
                    return Err(err);
                }
                let slash = slashes > 0;
                return Ok(Walk::Done(Resolved {
                    dir: cur,
                    last: Last::Name,
                    name: Name::new(),
                    slash,
                    node: None,
                    dirent: None,
                    unlookable: Some(err),
                }));
            }
            if self.mounted && cur == ROOT && comp == b".." {
                // The root's parent is the directory holding the mount point.
                let exit = Exit {
                    up: true,
                    len: tail.len(),
                    followed: links > 0,
                };
                return exit.write(tail, rest_out.as_deref_mut());
            }
            let (last, node, dirent) = match comp {
                b"." => (Last::Dot, Some(cur), None),
                b".." => (Last::DotDot, Some(dir.parent), None),
                _ => {
                    let d = self.lookup(cur, comp);
                    (Last::Name, d.map(|d| self.dirents.at(d).node), d)
                }
            };
            let is_link = node.is_some_and(|n| self.nodes.at(n).is_symlink());
            let follow_this = !is_last || follow || (slashes > 0 && slash_follows);
            if is_link && follow_this {
                links += 1;
                if links > SYMLINK_DEPTH {
                    return Err(Errno::ELOOP);
                }
                let link = node.unwrap_or(ROOT);
                let target_len = self.nodes.at(link).size as usize;
                let after = pos + comp_len;
                let after_len = src.len() - after;
                let start = PATH_MAX
                    .checked_sub(after_len + target_len)
                    .filter(|&s| s >= 1)
                    .ok_or(Errno::ENAMETOOLONG)?;
                if buf.is_none() {
                    let mut b = [0u8; PATH_MAX];
                    b[PATH_MAX - after_len..].copy_from_slice(&path[after..]);
                    buf = Some(b);
                }
                let b = buf.as_mut().ok_or(Errno::EIO)?;
                self.data.read(link, 0, &mut b[start..start + target_len]);
                if self.mounted && b[start] == b'/' {
                    // An absolute target names a path of the larger tree.
                    let exit = Exit {
                        up: false,
                        len: PATH_MAX - start,
                        followed: true,
                    };
                    return exit.write(&b[start..], rest_out.as_deref_mut());
                }
                pos = start;
                continue;
            }
            if is_last {
                let name = if last == Last::Name {
                    Name::from_slice(comp).unwrap_or_default()
                } else {
                    Name::new()
                };
                return Ok(Walk::Done(Resolved {
                    dir: cur,
                    last,
                    name,
                    slash: slashes > 0,
                    node,
                    dirent,
                    unlookable: None,
                }));
            }
            cur = node.ok_or(Errno::ENOENT)?;
            pos += comp_len + slashes;
        }
    }

    /// What looking up a name longer than NAME_MAX in `dir` gives: as in
    /// Linux's lookup_slow, a removed directory is ENOENT before the
    /// filesystem sees the name, which it then finds too long.
    fn lookup_error(&self, dir: u32) -> Errno {
        if self.is_unlinked(dir) {
            Errno::ENOENT
        } else {
            Errno::ENAMETOOLONG
        }
    }

    /// The node `path` names (ENOENT if none); a trailing slash demands a directory.
    pub(super) fn lookup_path(
        &self,
        ctx: &Ctx,
        at: Option<OfdId>,
        path: &[u8],
        follow: bool,
    ) -> Result<u32> {
        let r = self.resolve(ctx, at, path, follow, true)?;
        r.name_ok()?;
        let node = r.node.ok_or(Errno::ENOENT)?;
        if r.slash && !self.nodes.at(node).is_dir() {
            return Err(Errno::ENOTDIR);
        }
        Ok(node)
    }
}
