//! A real tmpfs directory (a fresh one under /dev/shm) behind the [`Driver`]
//! interface, reached through raw libc calls so errnos compare exactly.
//! Paths are taken relative to the scratch directory, which stands for the root.

use std::collections::{BTreeSet, HashMap};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::path::PathBuf;
use std::sync::Once;

use super::*;

pub struct HostFs {
    dir: PathBuf,
    root: i32,
    fds: HashMap<Slot, i32>,
    /// The thread runs with other filesystem ids (restored on drop).
    as_other: bool,
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

/// A syscall result: negative means failed with errno.
fn check(r: i64) -> Result<i64, i32> {
    if r < 0 {
        Err(errno())
    } else {
        Ok(r)
    }
}

fn c(path: &[u8]) -> CString {
    CString::new(path).expect("test paths hold no NUL")
}

pub fn view(st: &libc::stat) -> StatView {
    StatView {
        blocks: None,
        ..StatView::from_mode(
            st.st_mode,
            st.st_nlink as u32,
            st.st_size as u64,
            0,
            st.st_ino,
        )
    }
}

impl HostFs {
    /// A scratch directory used by the calling process's own ids.
    pub fn new() -> HostFs {
        Self::create(None)
    }

    /// A scratch directory owned and used by `uid`/`gid`: the calling thread
    /// (only it) takes these as its filesystem ids until the HostFs drops,
    /// so permission checks are a non-root caller's. Needs root to set up.
    pub fn new_as(uid: u32, gid: u32) -> HostFs {
        Self::create(Some((uid, gid)))
    }

    fn create(ids: Option<(u32, u32)>) -> HostFs {
        static UMASK: Once = Once::new();
        // Modes must reach the fs unmasked, as they reach imfs (the grate applies umask).
        UMASK.call_once(|| unsafe {
            libc::umask(0);
        });
        let mut template = *b"/dev/shm/imfs-verify-XXXXXX\0";
        let p = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
        assert!(!p.is_null(), "mkdtemp under /dev/shm: errno {}", errno());
        let dir = PathBuf::from(std::ffi::OsStr::from_bytes(&template[..template.len() - 1]));
        let cdir = c(dir.as_os_str().as_bytes());
        unsafe {
            assert_eq!(libc::chmod(cdir.as_ptr(), 0o755), 0);
            if let Some((uid, gid)) = ids {
                assert_eq!(libc::chown(cdir.as_ptr(), uid, gid), 0);
                // Raw syscalls: glibc's wrappers would change every thread.
                assert_eq!(
                    libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>()),
                    0
                );
                libc::syscall(libc::SYS_setfsgid, gid);
                libc::syscall(libc::SYS_setfsuid, uid);
            }
        }
        let root = unsafe {
            libc::open(
                cdir.as_ptr(),
                libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC,
            )
        };
        assert!(root >= 0);
        HostFs {
            dir,
            root,
            fds: HashMap::new(),
            as_other: ids.is_some(),
        }
    }

    fn base(&self, env: &Env, sel: Option<u8>) -> i32 {
        env.base(sel).map(|s| self.fds[&s]).unwrap_or(self.root)
    }

    fn fd(&self, env: &Env, sel: u8) -> i32 {
        self.fds[&env.handle(sel)]
    }

    fn is_dir(fd: i32) -> bool {
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        unsafe { libc::fstat(fd, &mut st) == 0 && st.st_mode & libc::S_IFMT == libc::S_IFDIR }
    }

    fn getdents(fd: i32) -> Result<BTreeSet<Entry>, i32> {
        let mut out = BTreeSet::new();
        let mut buf = vec![0u8; 4096];
        loop {
            let n = check(unsafe {
                libc::syscall(libc::SYS_getdents64, fd, buf.as_mut_ptr(), buf.len())
            })? as usize;
            if n == 0 {
                return Ok(out);
            }
            let mut at = 0;
            while at < n {
                // struct linux_dirent64: ino u64, off i64, reclen u16, type u8, name.
                let reclen = u16::from_ne_bytes([buf[at + 16], buf[at + 17]]) as usize;
                let kind = buf[at + 18];
                let name = &buf[at + 19..at + reclen];
                let end = name.iter().position(|&b| b == 0).unwrap_or(name.len());
                out.insert((name[..end].to_vec(), kind));
                at += reclen;
            }
        }
    }

    fn apply_inner(&mut self, op: &Op, env: &Env) -> Result<Outcome, i32> {
        use Op::*;
        let done = |_| Outcome::Done;
        unsafe {
            Ok(match *op {
                Open {
                    base,
                    path,
                    flags,
                    mode,
                } => {
                    let p = c(env.path(path));
                    let fd = check(libc::openat(
                        self.base(env, base),
                        p.as_ptr(),
                        (flags as i32) | libc::O_CLOEXEC,
                        mode,
                    ) as i64)?;
                    self.fds.insert(env.new_slot, fd as i32);
                    Outcome::Opened
                }
                Close { h } => {
                    let slot = env.handle(h);
                    check(libc::close(self.fds[&slot]) as i64)?;
                    self.fds.remove(&slot);
                    Outcome::Done
                }
                Read { h, len } => {
                    let mut buf = vec![0u8; len];
                    let n =
                        check(libc::read(self.fd(env, h), buf.as_mut_ptr().cast(), len) as i64)?;
                    buf.truncate(n as usize);
                    Outcome::Bytes(buf)
                }
                Pread { h, len, off } => {
                    let mut buf = vec![0u8; len];
                    let n =
                        check(
                            libc::pread(self.fd(env, h), buf.as_mut_ptr().cast(), len, off as i64)
                                as i64,
                        )?;
                    buf.truncate(n as usize);
                    Outcome::Bytes(buf)
                }
                Write { h, fill, len } => {
                    let data = pattern(fill, len);
                    Outcome::Count(check(
                        libc::write(self.fd(env, h), data.as_ptr().cast(), len) as i64
                    )? as u64)
                }
                Pwrite { h, fill, len, off } => {
                    let data = pattern(fill, len);
                    let n = libc::pwrite(self.fd(env, h), data.as_ptr().cast(), len, off as i64);
                    Outcome::Count(check(n as i64)? as u64)
                }
                Lseek { h, off, whence } => {
                    let fd = self.fd(env, h);
                    let (off, whence) = if Self::is_dir(fd) {
                        (0, SEEK_SET)
                    } else {
                        (off, whence)
                    };
                    Outcome::Count(check(libc::lseek(fd, off, whence as i32))? as u64)
                }
                Ftruncate { h, len } => {
                    check(libc::ftruncate(self.fd(env, h), len) as i64).map(done)?
                }
                Fstat { h } => {
                    let mut st: libc::stat = std::mem::zeroed();
                    check(libc::fstat(self.fd(env, h), &mut st) as i64)?;
                    Outcome::Stat(view(&st))
                }
                Fchmod { h, mode } => {
                    check(libc::fchmod(self.fd(env, h), mode) as i64).map(done)?
                }
                Readdir { h } => {
                    let fd = self.fd(env, h);
                    check(libc::lseek(fd, 0, libc::SEEK_SET))?;
                    Outcome::Entries(Self::getdents(fd)?)
                }
                ReaddirSome { .. } => {
                    unreachable!("partial listings are checked against the model only")
                }
                Stat { base, path, follow } => {
                    let mut st: libc::stat = std::mem::zeroed();
                    let flag = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
                    let p = c(env.path(path));
                    check(libc::fstatat(self.base(env, base), p.as_ptr(), &mut st, flag) as i64)?;
                    Outcome::Stat(view(&st))
                }
                Access { base, path, mode } => {
                    let p = c(env.path(path));
                    {
                        // faccessat2(AT_EACCESS): the caller's current ids, as imfs's Ctx
                        // (plain access() would switch to the real, root, ids).
                        let r = libc::syscall(
                            libc::SYS_faccessat2,
                            self.base(env, base),
                            p.as_ptr(),
                            mode,
                            libc::AT_EACCESS,
                        );
                        check(r).map(done)?
                    }
                }
                Truncate { base, path, len } => {
                    // There is no truncateat: reach the base directory through its path.
                    let rel = env.path(path);
                    let full = if rel.is_empty() {
                        Vec::new()
                    } else {
                        let mut full = match env.base(base) {
                            None => self.dir.as_os_str().as_bytes().to_vec(),
                            Some(s) => format!("/proc/self/fd/{}", self.fds[&s]).into_bytes(),
                        };
                        full.push(b'/');
                        full.extend_from_slice(rel);
                        full
                    };
                    let p = c(&full);
                    check(libc::truncate(p.as_ptr(), len) as i64).map(done)?
                }
                Mkdir { base, path, mode } => {
                    let p = c(env.path(path));
                    check(libc::mkdirat(self.base(env, base), p.as_ptr(), mode) as i64).map(done)?
                }
                Rmdir { base, path } => {
                    let p = c(env.path(path));
                    check(
                        libc::unlinkat(self.base(env, base), p.as_ptr(), libc::AT_REMOVEDIR) as i64,
                    )
                    .map(done)?
                }
                Unlink { base, path } => {
                    let p = c(env.path(path));
                    check(libc::unlinkat(self.base(env, base), p.as_ptr(), 0) as i64).map(done)?
                }
                Link {
                    old_base,
                    old,
                    new_base,
                    new,
                    follow,
                } => {
                    let (o, n) = (c(env.path(old)), c(env.path(new)));
                    let flag = if follow { libc::AT_SYMLINK_FOLLOW } else { 0 };
                    let r = libc::linkat(
                        self.base(env, old_base),
                        o.as_ptr(),
                        self.base(env, new_base),
                        n.as_ptr(),
                        flag,
                    );
                    check(r as i64).map(done)?
                }
                Symlink { target, base, path } => {
                    let (t, p) = (c(env.target(target)), c(env.path(path)));
                    check(libc::symlinkat(t.as_ptr(), self.base(env, base), p.as_ptr()) as i64)
                        .map(done)?
                }
                Readlink { base, path, len } => {
                    let p = c(env.path(path));
                    let mut buf = vec![0u8; len];
                    let n = libc::readlinkat(
                        self.base(env, base),
                        p.as_ptr(),
                        buf.as_mut_ptr().cast(),
                        len,
                    );
                    buf.truncate(check(n as i64)? as usize);
                    Outcome::Bytes(buf)
                }
                Rename {
                    old_base,
                    old,
                    new_base,
                    new,
                    flags,
                } => {
                    let (o, n) = (c(env.path(old)), c(env.path(new)));
                    let r = libc::renameat2(
                        self.base(env, old_base),
                        o.as_ptr(),
                        self.base(env, new_base),
                        n.as_ptr(),
                        flags,
                    );
                    check(r as i64).map(done)?
                }
                Chmod { base, path, mode } => {
                    let p = c(env.path(path));
                    check(libc::fchmodat(self.base(env, base), p.as_ptr(), mode, 0) as i64)
                        .map(done)?
                }
                Dup { h } => {
                    let fd = check(libc::fcntl(self.fd(env, h), libc::F_DUPFD_CLOEXEC, 0) as i64)?;
                    self.fds.insert(env.new_slot, fd as i32);
                    Outcome::Opened
                }
                GetFl { h } => {
                    Outcome::Count(check(libc::fcntl(self.fd(env, h), libc::F_GETFL) as i64)? as u64)
                }
                SetFl { h, flags } => {
                    check(libc::fcntl(self.fd(env, h), libc::F_SETFL, flags as i32) as i64)
                        .map(done)?
                }
                PathOf { h } => {
                    let fd = self.fd(env, h);
                    if !Self::is_dir(fd) {
                        return Ok(Outcome::Skipped);
                    }
                    let link = std::fs::read_link(format!("/proc/self/fd/{fd}"))
                        .map_err(|e| e.raw_os_error().unwrap())?;
                    let link = link.as_os_str().as_bytes();
                    if link.ends_with(b" (deleted)") {
                        return Err(libc::ENOENT);
                    }
                    let rest = link
                        .strip_prefix(self.dir.as_os_str().as_bytes())
                        .expect("inside the scratch dir");
                    Outcome::Bytes(if rest.is_empty() {
                        b"/".to_vec()
                    } else {
                        rest.to_vec()
                    })
                }
                ReadFile { path } => {
                    let p = c(env.path(path));
                    let fd = check(libc::openat(
                        self.root,
                        p.as_ptr(),
                        libc::O_RDONLY | libc::O_CLOEXEC,
                    ) as i64)? as i32;
                    let mut buf = vec![0u8; READ_FILE_MAX];
                    let n = libc::pread(fd, buf.as_mut_ptr().cast(), buf.len(), 0);
                    let r = check(n as i64);
                    libc::close(fd);
                    buf.truncate(r? as usize);
                    Outcome::Bytes(buf)
                }
            })
        }
    }
}

impl Default for HostFs {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for HostFs {
    fn drop(&mut self) {
        for &fd in self.fds.values() {
            unsafe { libc::close(fd) };
        }
        unsafe { libc::close(self.root) };
        if self.as_other {
            unsafe {
                libc::syscall(libc::SYS_setfsuid, 0);
                libc::syscall(libc::SYS_setfsgid, 0);
                libc::syscall(libc::SYS_setgroups, 1, [0 as libc::gid_t].as_ptr());
            }
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

impl Driver for HostFs {
    fn name(&self) -> &'static str {
        "tmpfs"
    }

    fn apply(&mut self, op: &Op, env: &Env) -> Outcome {
        match self.apply_inner(op, env) {
            Ok(o) => o,
            Err(e) => Outcome::Err(e),
        }
    }

    fn lstat(&mut self, path: &[u8]) -> Result<StatView, i32> {
        let p = c(path);
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        check(
            unsafe { libc::fstatat(self.root, p.as_ptr(), &mut st, libc::AT_SYMLINK_NOFOLLOW) }
                as i64,
        )?;
        Ok(view(&st))
    }

    fn fstat_slot(&mut self, slot: Slot) -> Result<StatView, i32> {
        let mut st: libc::stat = unsafe { std::mem::zeroed() };
        check(unsafe { libc::fstat(self.fds[&slot], &mut st) } as i64)?;
        Ok(view(&st))
    }
}
