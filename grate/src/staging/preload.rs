//! PRELOADS: host files and trees copied into imfs.

use std::io::{self, Read};

use imfs_core::flags::{O_CREAT, O_NOFOLLOW, O_TRUNC, O_WRONLY};
use imfs_core::{config, Ctx, Errno, Imfs, OfdId, Timespec};

use super::host::{is_errno, HostDir, HostFiles, HostStat, Kind, NameBuf};
use super::tree::TreePaths;
use super::{exhausted, is_limit, StageError, StageReport, KEEP_ATIME};

/// Why one path was not staged.
enum Fail {
    /// The host side: unreadable, vanished, a read error. Skipped.
    Host(io::Error),
    /// imfs refused: a limit (staging stops) or a conflict (skipped).
    Imfs(Errno),
}

impl From<Errno> for Fail {
    fn from(e: Errno) -> Fail {
        Fail::Imfs(e)
    }
}

impl From<io::Error> for Fail {
    fn from(e: io::Error) -> Fail {
        Fail::Host(e)
    }
}

fn lossy(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

pub(super) struct Preloader<'a, H: HostFiles> {
    fs: &'a mut Imfs,
    /// Staging acts as root in imfs: the grate sets up its own filesystem,
    /// whoever owns its root (a non-root grate could not create "/src").
    ctx: &'a Ctx,
    /// Who what staging makes belongs to: the caller's ctx.
    owner: (u32, u32),
    host: &'a mut H,
    buf: &'a mut [u8],
    pub report: StageReport,
}

impl<'a, H: HostFiles> Preloader<'a, H> {
    /// `root` is `ctx` with uid and gid 0 ([`super::as_root`]).
    pub fn new(
        fs: &'a mut Imfs,
        ctx: &Ctx,
        root: &'a Ctx,
        host: &'a mut H,
        buf: &'a mut [u8],
    ) -> Self {
        Preloader {
            fs,
            ctx: root,
            owner: (ctx.uid, ctx.gid),
            host,
            buf,
            report: StageReport::default(),
        }
    }

    /// Stages one entry: a file or a whole tree.
    pub fn entry(&mut self, imfs: &[u8], host: &[u8]) -> Result<(), StageError> {
        // The named path is followed: it is the user's name for the tree.
        let st = match self.host.stat(host, true) {
            Ok(st) => st,
            Err(e) => {
                self.skip(host, &e.to_string());
                return Ok(());
            }
        };
        let staged = match st.kind {
            Kind::File => make_parents(self.fs, self.ctx, self.owner, imfs)
                .map_err(Fail::Imfs)
                .and_then(|()| self.file(imfs, host, &st, true)),
            Kind::Dir => return self.tree(imfs, host, &st),
            Kind::Symlink | Kind::Other => {
                self.skip(host, "not a regular file or directory");
                return Ok(());
            }
        };
        self.settle(staged, imfs, host)
    }

    /// Counts a failure as skipped, or stops at a limit.
    fn settle(&mut self, r: Result<(), Fail>, imfs: &[u8], host: &[u8]) -> Result<(), StageError> {
        match r {
            Ok(()) => Ok(()),
            Err(Fail::Imfs(e)) if is_limit(e) => Err(self.stop(e, imfs, host)),
            Err(Fail::Imfs(e)) => {
                self.skip(host, &format!("imfs refuses {}: {e:?}", lossy(imfs)));
                Ok(())
            }
            Err(Fail::Host(e)) => {
                self.skip(host, &e.to_string());
                Ok(())
            }
        }
    }

    fn skip(&mut self, host: &[u8], why: &str) {
        eprintln!("imfs: preload: skipping {}: {why}", lossy(host));
        self.report.skipped += 1;
    }

    fn stop(&self, errno: Errno, imfs: &[u8], host: &[u8]) -> StageError {
        StageError {
            imfs_path: lossy(imfs),
            host_path: lossy(host),
            errno,
            pool: exhausted(errno, &self.fs.usage()),
            staged: self.report,
        }
    }

    /// A regular file with its mode and times. Inside a tree (`!named`) a
    /// symlink at the imfs path is replaced, not written through, and the
    /// host file is opened without following symlinks.
    fn file(&mut self, imfs: &[u8], host: &[u8], st: &HostStat, named: bool) -> Result<(), Fail> {
        let Some(mut reader) = self.host.open_regular(host, named)? else {
            return Err(Fail::Host(io::Error::other("not a regular file")));
        };
        let nofollow = if named { 0 } else { O_NOFOLLOW };
        let flags = O_CREAT | O_WRONLY | O_TRUNC | nofollow;
        let ofd = match self.fs.open(self.ctx, None, imfs, flags, 0o600) {
            Err(Errno::ELOOP) if !named => {
                self.fs.unlink(self.ctx, None, imfs)?;
                self.fs.open(self.ctx, None, imfs, flags, 0o600)?
            }
            r => r?,
        };
        let copied = copy_in(self.fs, self.ctx, ofd, &mut reader, self.buf).and_then(|n| {
            // Owner first (a chown drops setuid), then the host's mode, which
            // O_TRUNC on an existing file would not set.
            if self.owner != (0, 0) {
                self.fs.fchown(self.ctx, ofd, self.owner.0, self.owner.1)?;
            }
            self.fs.fchmod(self.ctx, ofd, st.perm)?;
            self.fs
                .futimens(self.ctx, ofd, Some([st.atime, st.mtime]))?;
            Ok(n)
        });
        let _ = self.fs.close(ofd);
        if copied.is_err() {
            // No truncated copy left behind (for --preload-partial above all).
            let _ = self.fs.unlink(self.ctx, None, imfs);
        }
        self.report.bytes += copied?;
        self.report.files += 1;
        Ok(())
    }

    /// A symlink as a symlink: its target text, never followed.
    fn symlink(&mut self, imfs: &[u8], host: &[u8], st: &HostStat) -> Result<(), Fail> {
        let len = self.host.read_link(host, self.buf)?;
        let target = &self.buf[..len];
        match self.fs.symlink(self.ctx, target, None, imfs) {
            Err(Errno::EEXIST) => {
                // A later entry replaces a file or symlink, not a directory.
                if self.fs.stat(self.ctx, None, imfs, false)?.mode & imfs_core::flags::S_IFMT
                    == imfs_core::flags::S_IFDIR
                {
                    return Err(Fail::Imfs(Errno::EEXIST));
                }
                self.fs.unlink(self.ctx, None, imfs)?;
                self.fs.symlink(self.ctx, target, None, imfs)?;
            }
            r => r?,
        }
        self.give(imfs)?;
        self.fs
            .utimens(self.ctx, None, imfs, Some([st.atime, st.mtime]), false)?;
        self.report.symlinks += 1;
        Ok(())
    }

    /// Makes (or reuses) the directory `imfs`, writable by its owner until
    /// [`finish_dir`](Self::finish_dir) gives it the host's mode.
    fn make_dir(&mut self, imfs: &[u8], perm: u32, named: bool) -> Result<(), Fail> {
        match self.fs.mkdir(self.ctx, None, imfs, perm | 0o700) {
            Ok(()) => self.give(imfs)?,
            Err(Errno::EEXIST) => {
                let st = self.fs.stat(self.ctx, None, imfs, named)?;
                if st.mode & imfs_core::flags::S_IFMT != imfs_core::flags::S_IFDIR {
                    return Err(Fail::Imfs(Errno::EEXIST));
                }
                // Merging into a directory imfs already has; the owner may open it up.
                let _ = self.fs.chmod(self.ctx, None, imfs, perm | 0o700, named);
            }
            Err(e) => return Err(Fail::Imfs(e)),
        }
        self.report.dirs += 1;
        Ok(())
    }

    /// Hands a node staging just made (not followed) to its owner.
    fn give(&mut self, imfs: &[u8]) -> Result<(), Errno> {
        if self.owner == (0, 0) {
            return Ok(());
        }
        self.fs
            .chown(self.ctx, None, imfs, self.owner.0, self.owner.1, false)
    }

    /// A directory's own mode and times, once its contents are in.
    fn finish_dir(&mut self, imfs: &[u8], perm: u32, mtime: Timespec, named: bool) {
        let set = self
            .fs
            .chmod(self.ctx, None, imfs, perm, named)
            .and_then(|()| {
                self.fs
                    .utimens(self.ctx, None, imfs, Some([KEEP_ATIME, mtime]), named)
            });
        if let Err(e) = set {
            eprintln!(
                "imfs: preload: {}: cannot set mode and times: {e:?}",
                lossy(imfs)
            );
        }
    }

    /// A whole host tree, walked with one open host directory at a time
    /// (see `tree.rs`). Stops at the first limit.
    fn tree(
        &mut self,
        imfs_root: &[u8],
        host_root: &[u8],
        st: &HostStat,
    ) -> Result<(), StageError> {
        let made = make_parents(self.fs, self.ctx, self.owner, imfs_root)
            .map_err(Fail::Imfs)
            .and_then(|()| self.make_dir(imfs_root, st.perm, true));
        if let Err(e) = made {
            return self.settle(Err(e), imfs_root, host_root);
        }
        let mut paths = TreePaths::new(host_root, imfs_root, config::PATH_MAX)
            .map_err(|e| self.stop(e, imfs_root, host_root))?;
        paths.enter(st.perm, st.mtime);
        let mut dir = match self.host.open_dir(host_root, true) {
            Ok(d) => Some(d),
            Err(e) => {
                self.skip(host_root, &e.to_string());
                None
            }
        };
        let mut name = NameBuf::default();
        loop {
            let next = match dir.as_mut() {
                Some(d) => d.next_entry(&mut name),
                None => Ok(None),
            };
            let cookie = match next {
                Ok(Some(cookie)) => cookie,
                Ok(None) => {
                    // This directory is done: its own mode and times, then back up.
                    dir = None;
                    let level = paths.leave().expect("a directory is being walked");
                    let named = paths.depth() == 0;
                    self.finish_dir(paths.imfs(), level.perm, level.mtime(), named);
                    if named {
                        return Ok(());
                    }
                    paths.pop();
                    let cookie = paths.top().expect("the parent").cookie;
                    let reopened = self
                        .host
                        .open_dir(paths.host(), paths.depth() == 1)
                        .and_then(|mut d| d.seek(cookie).map(|()| d));
                    match reopened {
                        Ok(d) => dir = Some(d),
                        Err(e) => self.skip(paths.host(), &format!("reopening to resume: {e}")),
                    }
                    continue;
                }
                Err(e) => {
                    self.skip(paths.host(), &format!("reading the directory: {e}"));
                    dir = None;
                    continue;
                }
            };
            if let Err(e) = paths.push(name.as_bytes()) {
                // Past path_max: name the entry in the message all the same.
                let joined = |dir: &[u8]| [dir, b"/", name.as_bytes()].concat();
                return Err(self.stop(e, &joined(paths.imfs()), &joined(paths.host())));
            }
            let st = match self.host.stat(paths.host(), false) {
                Ok(st) => st,
                Err(e) => {
                    self.skip(paths.host(), &e.to_string());
                    paths.pop();
                    continue;
                }
            };
            let (imfs, host) = (paths.imfs(), paths.host());
            let r = match st.kind {
                Kind::File => self.file(imfs, host, &st, false),
                Kind::Symlink => self.symlink(imfs, host, &st),
                Kind::Other => Err(Fail::Host(io::Error::other(
                    "not a regular file, directory or symlink",
                ))),
                Kind::Dir => match self.make_dir(imfs, st.perm, false) {
                    Ok(()) => match self.host.open_dir(host, false) {
                        Ok(child) => {
                            paths.top().expect("walking").cookie = cookie;
                            paths.enter(st.perm, st.mtime);
                            // The parent closes; it is reopened at `cookie`.
                            dir = Some(child);
                            continue;
                        }
                        Err(e) => {
                            self.finish_dir(imfs, st.perm, st.mtime, false);
                            Err(Fail::Host(e))
                        }
                    },
                    Err(e) => Err(e),
                },
            };
            self.settle(r, paths.imfs(), paths.host())?;
            paths.pop();
        }
    }
}

/// Creates the directories above `path` in imfs (existing ones are fine),
/// new ones belonging to `owner`.
fn make_parents(fs: &mut Imfs, ctx: &Ctx, owner: (u32, u32), path: &[u8]) -> Result<(), Errno> {
    let Some(last) = path.iter().rposition(|&b| b == b'/') else {
        return Ok(());
    };
    for (i, _) in path[..last]
        .iter()
        .enumerate()
        .filter(|&(i, &b)| b == b'/' && i > 0)
        .chain(std::iter::once((last, &b'/')))
    {
        let dir = &path[..i];
        if dir.iter().all(|&b| b == b'/') {
            continue;
        }
        match fs.mkdir(ctx, None, dir, 0o755) {
            Ok(()) if owner != (0, 0) => fs.chown(ctx, None, dir, owner.0, owner.1, false)?,
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
}

/// Streams `reader` into `ofd`: the bytes written.
fn copy_in(
    fs: &mut Imfs,
    ctx: &Ctx,
    ofd: OfdId,
    reader: &mut impl Read,
    buf: &mut [u8],
) -> Result<u64, Fail> {
    let mut total = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if is_errno(&e, Errno::EINTR) => continue,
            Err(e) => return Err(Fail::Host(e)),
        };
        let mut done = 0;
        while done < n {
            let w = fs.write(ctx, ofd, &buf[done..n])?;
            if w == 0 {
                return Err(Fail::Imfs(Errno::ENOSPC));
            }
            done += w;
        }
        total += n as u64;
    }
}
