//! imfs-core behind the [`Driver`] interface.

use std::collections::{BTreeSet, HashMap};

use imfs_core::{Ctx, Fs, Now, OfdId, Stat, Timespec};

use super::*;

pub struct CoreFs<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize> {
    pub fs: Box<Fs<N, D, C, S, O>>,
    ofds: HashMap<Slot, OfdId>,
    pub ctx: Ctx,
}

/// An empty filesystem on the heap: all-zero bytes are a valid empty fs.
pub fn boxed_fs<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
) -> Box<Fs<N, D, C, S, O>> {
    // SAFETY: imfs-core guarantees that all-zero bytes are `Fs::new()`.
    unsafe { Box::<Fs<N, D, C, S, O>>::new_zeroed().assume_init() }
}

pub fn view(st: &Stat) -> StatView {
    StatView::from_mode(st.mode, st.nlink, st.size, st.blocks, st.ino)
}

fn err(e: imfs_core::Errno) -> i32 {
    e.code()
}

impl<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>
    CoreFs<N, D, C, S, O>
{
    /// A fresh filesystem used by `uid`/`gid`, who also own its root.
    pub fn new(uid: u32, gid: u32) -> Self {
        let mut fs = boxed_fs::<N, D, C, S, O>();
        let ctx = Ctx {
            time: Now::at(Timespec {
                sec: 1_700_000_000,
                nsec: 0,
            }),
            uid,
            gid,
            ..Ctx::default()
        };
        if uid != 0 {
            let root = Ctx {
                uid: 0,
                gid: 0,
                ..ctx.clone()
            };
            fs.chown(&root, None, b"/", uid, gid, true)
                .expect("chown of the root");
        }
        CoreFs {
            fs,
            ofds: HashMap::new(),
            ctx,
        }
    }

    pub fn ofd(&self, slot: Slot) -> OfdId {
        self.ofds[&slot]
    }

    fn apply_inner(&mut self, op: &Op, env: &Env) -> Result<Outcome, imfs_core::Errno> {
        use Op::*;
        let ctx = self.ctx.clone();
        let fs = &mut *self.fs;
        let ofds = &mut self.ofds;
        let h = |sel: u8| ofds[&env.handle(sel)];
        let at = |sel: Option<u8>| env.base(sel).map(|s| ofds[&s]);
        let done = |_: ()| Outcome::Done;
        Ok(match *op {
            Open {
                base,
                path,
                flags,
                mode,
            } => {
                let ofd = fs.open(&ctx, at(base), env.path(path), flags, mode)?;
                ofds.insert(env.new_slot, ofd);
                Outcome::Opened
            }
            Close { h: sel } => {
                let slot = env.handle(sel);
                fs.close(ofds[&slot])?;
                ofds.remove(&slot);
                Outcome::Done
            }
            Read { h: sel, len } => {
                let mut buf = vec![0; len];
                let n = fs.read(&ctx, h(sel), &mut buf)?;
                buf.truncate(n);
                Outcome::Bytes(buf)
            }
            Pread { h: sel, len, off } => {
                let mut buf = vec![0; len];
                let n = fs.pread(&ctx, h(sel), &mut buf, off)?;
                buf.truncate(n);
                Outcome::Bytes(buf)
            }
            Write { h: sel, fill, len } => {
                Outcome::Count(fs.write(&ctx, h(sel), &pattern(fill, len))? as u64)
            }
            Pwrite {
                h: sel,
                fill,
                len,
                off,
            } => Outcome::Count(fs.pwrite(&ctx, h(sel), &pattern(fill, len), off)? as u64),
            Lseek {
                h: sel,
                off,
                whence,
            } => {
                let ofd = h(sel);
                // Directory cookies are implementation-defined: only rewind those.
                let is_dir = fs
                    .fstat(ofd)
                    .map(|s| s.mode & S_IFMT == S_IFDIR)
                    .unwrap_or(false);
                let (off, whence) = if is_dir { (0, SEEK_SET) } else { (off, whence) };
                Outcome::Count(fs.lseek(ofd, off, whence)?)
            }
            Ftruncate { h: sel, len } => fs.ftruncate(&ctx, h(sel), len).map(done)?,
            Fstat { h: sel } => Outcome::Stat(view(&fs.fstat(h(sel))?)),
            Fchmod { h: sel, mode } => fs.fchmod(&ctx, h(sel), mode).map(done)?,
            Readdir { h: sel } => {
                let ofd = h(sel);
                fs.lseek(ofd, 0, SEEK_SET)?;
                let mut out = BTreeSet::new();
                fs.readdir(ofd, &mut |e| {
                    out.insert((e.name.to_vec(), e.kind));
                    true
                })?;
                Outcome::Entries(out)
            }
            ReaddirSome { h: sel, n } => {
                let mut out = Vec::new();
                fs.readdir(h(sel), &mut |e| {
                    if out.len() == n {
                        return false;
                    }
                    out.push(e.name.to_vec());
                    true
                })?;
                Outcome::Seen(out)
            }
            Stat { base, path, follow } => {
                Outcome::Stat(view(&fs.stat(&ctx, at(base), env.path(path), follow)?))
            }
            Access { base, path, mode } => fs
                .access(&ctx, at(base), env.path(path), mode, true)
                .map(done)?,
            Truncate { base, path, len } => {
                fs.truncate(&ctx, at(base), env.path(path), len).map(done)?
            }
            Mkdir { base, path, mode } => {
                fs.mkdir(&ctx, at(base), env.path(path), mode).map(done)?
            }
            Rmdir { base, path } => fs.rmdir(&ctx, at(base), env.path(path)).map(done)?,
            Unlink { base, path } => fs.unlink(&ctx, at(base), env.path(path)).map(done)?,
            Link {
                old_base,
                old,
                new_base,
                new,
                follow,
            } => fs
                .link(
                    &ctx,
                    at(old_base),
                    env.path(old),
                    at(new_base),
                    env.path(new),
                    follow,
                )
                .map(done)?,
            Symlink { target, base, path } => fs
                .symlink(&ctx, env.target(target), at(base), env.path(path))
                .map(done)?,
            Readlink { base, path, len } => {
                let mut buf = vec![0; len];
                // readlinkat(fd, ""): the symlink the base is open on, which
                // the core serves as readlink_ofd (as the grate calls it).
                let n = match at(base) {
                    Some(ofd) if env.path(path).is_empty() => fs.readlink_ofd(ofd, &mut buf)?,
                    dir => fs.readlink(&ctx, dir, env.path(path), &mut buf)?,
                };
                buf.truncate(n);
                Outcome::Bytes(buf)
            }
            Rename {
                old_base,
                old,
                new_base,
                new,
                flags,
            } => fs
                .rename(
                    &ctx,
                    at(old_base),
                    env.path(old),
                    at(new_base),
                    env.path(new),
                    flags,
                )
                .map(done)?,
            Chmod { base, path, mode } => fs
                .chmod(&ctx, at(base), env.path(path), mode, true)
                .map(done)?,
            Dup { h: sel } => {
                let ofd = h(sel);
                fs.ofd_ref(ofd)?;
                ofds.insert(env.new_slot, ofd);
                Outcome::Opened
            }
            GetFl { h: sel } => Outcome::Count(fs.status_flags(h(sel))? as u64),
            SetFl { h: sel, flags } => fs.set_status_flags(h(sel), flags).map(done)?,
            PathOf { h: sel } => {
                let ofd = h(sel);
                if fs.fstat(ofd)?.mode & S_IFMT != S_IFDIR {
                    return Ok(Outcome::Skipped);
                }
                let mut buf = vec![0; 4096];
                let n = fs.path_of(ofd, &mut buf)?;
                buf.truncate(n);
                Outcome::Bytes(buf)
            }
            ReadFile { path } => {
                let ofd = fs.open(&ctx, None, env.path(path), O_RDONLY, 0)?;
                let mut buf = vec![0; READ_FILE_MAX];
                let r = fs.pread(&ctx, ofd, &mut buf, 0);
                fs.close(ofd)?;
                buf.truncate(r?);
                Outcome::Bytes(buf)
            }
        })
    }
}

impl<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize> Driver
    for CoreFs<N, D, C, S, O>
{
    fn name(&self) -> &'static str {
        "imfs"
    }

    fn apply(&mut self, op: &Op, env: &Env) -> Outcome {
        let now = self.ctx.now();
        self.ctx.time = Now::at(Timespec {
            nsec: (now.nsec + 1) % 1_000_000_000,
            ..now
        });
        match self.apply_inner(op, env) {
            Ok(o) => o,
            Err(e) => Outcome::Err(err(e)),
        }
    }

    fn lstat(&mut self, path: &[u8]) -> Result<StatView, i32> {
        self.fs
            .stat(&self.ctx, None, path, false)
            .map(|s| view(&s))
            .map_err(err)
    }

    fn fstat_slot(&mut self, slot: Slot) -> Result<StatView, i32> {
        self.fs
            .fstat(self.ofds[&slot])
            .map(|s| view(&s))
            .map_err(err)
    }

    fn check(&mut self) -> Result<(), String> {
        self.fs.check().map_err(|c| format!("{c:?}"))
    }

    fn usage(&self) -> Option<Counts> {
        let u = self.fs.usage();
        Some([
            u.nodes.used,
            u.dirents.used,
            u.chunks.used,
            u.open_files.used,
        ])
    }
}
