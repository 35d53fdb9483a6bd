//! DUMPS: imfs files and trees copied back to the host.
//!
//! Containment: every host path below the named one is the named path plus
//! names read from imfs directories, which hold neither "/" nor "." or
//! "..". Below the named path nothing on the host is followed: directories
//! are entered only after lstat says they are directories (a symlink or
//! file in the way is replaced), files are created with O_NOFOLLOW (a
//! symlink in the way is replaced), and symlinks are written as symlinks,
//! so neither a symlink stored in imfs (whatever its target) nor one left
//! on the host by an earlier run can take a write outside. The walk
//! assumes nobody changes the host destination while it runs.

use std::io::{self, Write};

use imfs_core::flags::{O_DIRECTORY, O_NOFOLLOW, O_RDONLY, SEEK_SET};
use imfs_core::{config, Ctx, Errno, Imfs, OfdId, Stat, Timespec};

use super::host::{is_errno, HostFiles, Kind, NameBuf};
use super::tree::TreePaths;
use super::{StageReport, KEEP_ATIME};

/// Mode bits a dump writes: setuid and setgid stay in imfs (a program in
/// the sandbox must not hand the host a set-id file).
const DUMP_PERM: u32 = 0o1777;

fn lossy(path: &[u8]) -> std::borrow::Cow<'_, str> {
    String::from_utf8_lossy(path)
}

/// Why a path failed.
enum Fail {
    Imfs(&'static str, Errno),
    Host(&'static str, io::Error),
    /// Something of the wrong type in the way on the host.
    InTheWay(&'static str),
}

impl std::fmt::Display for Fail {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Fail::Imfs(what, e) => write!(f, "imfs {what}: {e:?}"),
            Fail::Host(what, e) => write!(f, "host {what}: {e}"),
            Fail::InTheWay(what) => f.write_str(what),
        }
    }
}

fn imfs(what: &'static str) -> impl Fn(Errno) -> Fail {
    move |e| Fail::Imfs(what, e)
}

fn host(what: &'static str) -> impl Fn(io::Error) -> Fail {
    move |e| Fail::Host(what, e)
}

pub(super) struct Dumper<'a, H: HostFiles> {
    fs: &'a mut Imfs,
    ctx: Ctx,
    host: &'a mut H,
    buf: &'a mut [u8],
    pub report: StageReport,
}

impl<'a, H: HostFiles> Dumper<'a, H> {
    pub fn new(fs: &'a mut Imfs, ctx: &Ctx, host: &'a mut H, buf: &'a mut [u8]) -> Self {
        Dumper {
            fs,
            // The grate reads everything it holds, whatever the modes the
            // program left (as root passes imfs's permission checks).
            ctx: super::as_root(ctx),
            host,
            buf,
            report: StageReport::default(),
        }
    }

    fn failed(&mut self, imfs: &[u8], host: &[u8], why: Fail) {
        eprintln!(
            "imfs: dump: {} -> {} failed: {why}",
            lossy(imfs),
            lossy(host)
        );
        self.report.failed += 1;
    }

    /// Dumps one entry: a file or a whole tree.
    pub fn entry(&mut self, imfs_path: &[u8], host_path: &[u8]) {
        // The named imfs path is followed, like the named host path.
        let st = match self.fs.stat(&self.ctx, None, imfs_path, true) {
            Ok(st) => st,
            Err(e) => return self.failed(imfs_path, host_path, Fail::Imfs("stat", e)),
        };
        let r = match Kind::of_mode(st.mode) {
            Kind::File => self
                .host
                .make_parents(host_path)
                .map_err(host("mkdir of the parents"))
                .and_then(|()| self.file(imfs_path, host_path, &st, true)),
            Kind::Dir => return self.tree(imfs_path, host_path, &st),
            _ => Err(Fail::InTheWay("not a regular file or directory")),
        };
        if let Err(why) = r {
            self.failed(imfs_path, host_path, why);
        }
    }

    /// A regular file with its mode and times.
    fn file(
        &mut self,
        imfs_path: &[u8],
        host_path: &[u8],
        st: &Stat,
        named: bool,
    ) -> Result<(), Fail> {
        let nofollow = if named { 0 } else { O_NOFOLLOW };
        let ofd = self
            .fs
            .open(&self.ctx, None, imfs_path, O_RDONLY | nofollow, 0)
            .map_err(imfs("open"))?;
        let r = self.copy_out(ofd, host_path, st, named);
        let _ = self.fs.close(ofd);
        let n = r?;
        self.report.files += 1;
        self.report.bytes += n;
        Ok(())
    }

    fn copy_out(
        &mut self,
        ofd: OfdId,
        host_path: &[u8],
        st: &Stat,
        named: bool,
    ) -> Result<u64, Fail> {
        let perm = st.mode & DUMP_PERM;
        let mut out = match self.host.create(host_path, perm, named) {
            // Below the named path: a symlink in the way is replaced, never written through.
            Err(e) if !named && e.raw_os_error() == Some(Errno::ELOOP.code()) => {
                self.host.remove(host_path).map_err(host("unlink"))?;
                self.host.create(host_path, perm, false)
            }
            r => r,
        }
        .map_err(host("create"))?;
        let mut total = 0u64;
        let copied = loop {
            let n = match self.fs.read(&self.ctx, ofd, self.buf) {
                Ok(0) => break out.flush().map_err(host("write")),
                Ok(n) => n,
                Err(e) => break Err(Fail::Imfs("read", e)),
            };
            if let Err(e) = out.write_all(&self.buf[..n]) {
                break Err(Fail::Host("write", e));
            }
            total += n as u64;
        };
        // Mode and times through the open file: the path is not looked up again.
        let copied = copied.and_then(|()| {
            self.host
                .finish_file(&mut out, perm, st.atime, st.mtime)
                .map_err(host("fchmod/futimens"))
        });
        drop(out);
        if copied.is_err() && !named {
            // No truncated copy left in the tree (the failure is reported).
            let _ = self.host.remove(host_path);
        }
        copied.map(|()| total)
    }

    /// A symlink as a symlink, its target text as imfs holds it.
    fn symlink(&mut self, imfs_path: &[u8], host_path: &[u8], st: &Stat) -> Result<(), Fail> {
        let len = self
            .fs
            .readlink(&self.ctx, None, imfs_path, self.buf)
            .map_err(imfs("readlink"))?;
        let target = &self.buf[..len];
        match self.host.symlink(target, host_path) {
            Err(e) if is_errno(&e, Errno::EEXIST) => {
                let there = self.host.stat(host_path, false).map_err(host("lstat"))?;
                if there.kind == Kind::Dir {
                    return Err(Fail::InTheWay("a host directory is in the way"));
                }
                self.host.remove(host_path).map_err(host("unlink"))?;
                self.host
                    .symlink(target, host_path)
                    .map_err(host("symlink"))?;
            }
            r => r.map_err(host("symlink"))?,
        }
        self.host
            .set_times(host_path, st.atime, st.mtime, false)
            .map_err(host("utimensat"))?;
        self.report.symlinks += 1;
        Ok(())
    }

    /// Makes (or reuses) the host directory, writable by its owner until
    /// its contents are in. Below the named path a non-directory in the way
    /// (a symlink above all) is replaced; the named path itself may be a
    /// symlink to a directory.
    fn make_dir(&mut self, host_path: &[u8], named: bool) -> Result<(), Fail> {
        match self.host.make_dir(host_path, 0o700) {
            Ok(()) => {}
            Err(e) if is_errno(&e, Errno::EEXIST) => {
                let there = self.host.stat(host_path, named).map_err(host("stat"))?;
                match there.kind {
                    Kind::Dir => {
                        if there.perm & 0o700 != 0o700 {
                            self.host
                                .set_mode(host_path, there.perm | 0o700)
                                .map_err(host("chmod"))?;
                        }
                    }
                    _ if named => {
                        return Err(Fail::InTheWay(
                            "the host path exists and is not a directory",
                        ))
                    }
                    _ => {
                        self.host.remove(host_path).map_err(host("unlink"))?;
                        self.host
                            .make_dir(host_path, 0o700)
                            .map_err(host("mkdir"))?;
                    }
                }
            }
            Err(e) => return Err(Fail::Host("mkdir", e)),
        }
        self.report.dirs += 1;
        Ok(())
    }

    fn finish_dir(
        &mut self,
        imfs_path: &[u8],
        host_path: &[u8],
        perm: u32,
        mtime: Timespec,
        named: bool,
    ) {
        let r = self
            .host
            .set_mode(host_path, perm & DUMP_PERM)
            .map_err(host("chmod"))
            .and_then(|()| {
                self.host
                    .set_times(host_path, KEEP_ATIME, mtime, named)
                    .map_err(host("utimensat"))
            });
        if let Err(why) = r {
            self.failed(imfs_path, host_path, why);
        }
    }

    /// Opens the imfs directory `path` for reading at `cookie`.
    fn open_dir(&mut self, path: &[u8], cookie: u64, named: bool) -> Result<OfdId, Errno> {
        let nofollow = if named { 0 } else { O_NOFOLLOW };
        let ofd = self
            .fs
            .open(&self.ctx, None, path, O_RDONLY | O_DIRECTORY | nofollow, 0)?;
        if cookie != 0 {
            let seek = i64::try_from(cookie).map_err(|_| Errno::EINVAL);
            if let Err(e) = seek.and_then(|c| self.fs.lseek(ofd, c, SEEK_SET)) {
                let _ = self.fs.close(ofd);
                return Err(e);
            }
        }
        Ok(ofd)
    }

    /// The next entry of the imfs directory `ofd` other than "." and "..":
    /// its name into `name`, and the cookie that resumes after it.
    fn next_entry(&mut self, ofd: OfdId, name: &mut NameBuf) -> Result<Option<u64>, Errno> {
        let mut got = None;
        let mut too_long = false;
        self.fs.readdir(ofd, &mut |e| {
            if got.is_some() {
                return false; // not consumed: the next call starts here
            }
            if e.name == b"." || e.name == b".." {
                return true;
            }
            too_long = name.set(e.name).is_err();
            got = Some(e.next);
            true
        })?;
        if too_long {
            return Err(Errno::ENAMETOOLONG);
        }
        Ok(got)
    }

    /// A whole imfs tree, walked with one open imfs directory at a time
    /// (see `tree.rs`). Each failure is reported; the walk goes on.
    fn tree(&mut self, imfs_root: &[u8], host_root: &[u8], st: &Stat) {
        let made = self
            .host
            .make_parents(host_root)
            .map_err(host("mkdir of the parents"))
            .and_then(|()| self.make_dir(host_root, true));
        if let Err(why) = made {
            return self.failed(imfs_root, host_root, why);
        }
        let mut paths = match TreePaths::new(host_root, imfs_root, config::PATH_MAX) {
            Ok(p) => p,
            Err(e) => return self.failed(imfs_root, host_root, Fail::Imfs("path", e)),
        };
        paths.enter(st.mode & 0o7777, st.mtime);
        let mut dir = match self.open_dir(imfs_root, 0, true) {
            Ok(ofd) => Some(ofd),
            Err(e) => {
                self.failed(imfs_root, host_root, Fail::Imfs("open", e));
                None
            }
        };
        let mut name = NameBuf::default();
        loop {
            let next = match dir {
                Some(ofd) => self.next_entry(ofd, &mut name),
                None => Ok(None),
            };
            let cookie = match next {
                Ok(Some(cookie)) => cookie,
                Ok(None) => {
                    if let Some(ofd) = dir.take() {
                        let _ = self.fs.close(ofd);
                    }
                    let level = paths.leave().expect("a directory is being walked");
                    let named = paths.depth() == 0;
                    self.finish_dir(paths.imfs(), paths.host(), level.perm, level.mtime(), named);
                    if named {
                        return;
                    }
                    paths.pop();
                    let cookie = paths.top().expect("the parent").cookie;
                    let parent_named = paths.depth() == 1;
                    match self.open_dir(paths.imfs(), cookie, parent_named) {
                        Ok(ofd) => dir = Some(ofd),
                        Err(e) => self.failed(
                            paths.imfs(),
                            paths.host(),
                            Fail::Imfs("reopen to resume", e),
                        ),
                    }
                    continue;
                }
                Err(e) => {
                    if let Some(ofd) = dir.take() {
                        let _ = self.fs.close(ofd);
                    }
                    self.failed(paths.imfs(), paths.host(), Fail::Imfs("readdir", e));
                    continue;
                }
            };
            if let Err(e) = paths.push(name.as_bytes()) {
                self.failed(
                    paths.imfs(),
                    paths.host(),
                    Fail::Imfs("path of an entry", e),
                );
                continue;
            }
            let st = match self.fs.stat(&self.ctx, None, paths.imfs(), false) {
                Ok(st) => st,
                Err(e) => {
                    self.failed(paths.imfs(), paths.host(), Fail::Imfs("lstat", e));
                    paths.pop();
                    continue;
                }
            };
            let (i, h) = (paths.imfs(), paths.host());
            let r = match Kind::of_mode(st.mode) {
                Kind::File => self.file(i, h, &st, false),
                Kind::Symlink => self.symlink(i, h, &st),
                Kind::Other => {
                    eprintln!(
                        "imfs: dump: skipping {}: not a regular file, directory or symlink",
                        lossy(i)
                    );
                    self.report.skipped += 1;
                    Ok(())
                }
                Kind::Dir => match self.make_dir(h, false) {
                    Ok(()) => match self.open_dir(i, 0, false) {
                        Ok(child) => {
                            paths.top().expect("walking").cookie = cookie;
                            paths.enter(st.mode & 0o7777, st.mtime);
                            if let Some(ofd) = dir.replace(child) {
                                let _ = self.fs.close(ofd);
                            }
                            continue;
                        }
                        Err(e) => {
                            self.finish_dir(i, h, st.mode, st.mtime, false);
                            Err(Fail::Imfs("open", e))
                        }
                    },
                    Err(e) => Err(e),
                },
            };
            if let Err(why) = r {
                self.failed(paths.imfs(), paths.host(), why);
            }
            paths.pop();
        }
    }
}
