//! Path syscalls through the dispatch: open/openat, the namespace calls,
//! metadata by path, cwd, with their errno paths.

mod common;
use common::*;
use imfs_core::{config, Errno};
use imfs_grate::dispatch::nr;

#[test]
fn path_copying_errors() {
    let mut t = T::new();
    // NULL and unmapped pointers.
    assert_eq!(t.sys(nr::OPEN, &[0, 0, 0]), e(Errno::EFAULT));
    assert_eq!(t.sys(nr::MKDIR, &[16, 0o755]), e(Errno::EFAULT));
    // A string running off the end of memory.
    let end = t.h.end(CAGE);
    let tail = end - 3;
    t.h.write_mem_for_test(tail, b"abc");
    assert_eq!(t.sys(nr::OPEN, &[tail, 0, 0]), e(Errno::EFAULT));
    // Empty path.
    let empty = t.s("");
    assert_eq!(t.sys(nr::OPEN, &[empty, 0, 0]), e(Errno::ENOENT));
    // PATH_MAX - 1 bytes is the longest; PATH_MAX is ENAMETOOLONG.
    let long = "/".repeat(config::PATH_MAX);
    let p = t.s(&long);
    let b = t_buf(&mut t);
    assert_eq!(t.sys(nr::STAT, &[p, b]), e(Errno::ENAMETOOLONG));
    let ok = "/".repeat(config::PATH_MAX - 1);
    let p = t.s(&ok);
    let b = t_buf(&mut t);
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
}

fn t_buf(t: &mut T) -> u64 {
    t.buf(256)
}

trait WriteForTest {
    fn write_mem_for_test(&mut self, addr: u64, data: &[u8]);
}
impl WriteForTest for imfs_grate::host::loopback::Loopback {
    fn write_mem_for_test(&mut self, addr: u64, data: &[u8]) {
        use imfs_grate::host::Host;
        self.write_mem(CAGE, addr, data).unwrap();
    }
}

#[test]
fn names_may_hold_any_byte_but_nul_and_slash() {
    let mut t = T::new();
    let name: Vec<u8> = b"/\xff\xfe bad utf8 \x01\x7f".to_vec();
    let p = t.h.put_str(CAGE, &name);
    let fd = t.sys(
        nr::OPEN,
        &[p, (libc::O_CREAT | libc::O_WRONLY) as u64, 0o644],
    );
    assert!(fd >= 0);
    let b = t.buf(256);
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
}

#[test]
fn open_flags() {
    let mut t = T::new();
    assert_eq!(t.open("/nope", libc::O_RDONLY, 0), e(Errno::ENOENT));
    assert!(t.open("/f", libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o640) >= 0);
    assert_eq!(
        t.open("/f", libc::O_CREAT | libc::O_EXCL | libc::O_WRONLY, 0o640),
        e(Errno::EEXIST)
    );
    assert_eq!(t.stat("/f").unwrap().st_mode, libc::S_IFREG | 0o640);
    assert_eq!(
        t.open("/f", libc::O_RDONLY | libc::O_DIRECTORY, 0),
        e(Errno::ENOTDIR)
    );
    assert_eq!(t.open("/f/x", libc::O_RDONLY, 0), e(Errno::ENOTDIR));
    t.create("/g", b"12345");
    let fd = t.open("/g", libc::O_RDWR | libc::O_TRUNC, 0);
    assert_eq!(t.stat("/g").unwrap().st_size, 0);
    // F_GETFL shows O_LARGEFILE, as a 64-bit kernel forces it.
    let fl = t.sys(nr::FCNTL, &[fd as u64, libc::F_GETFL as u64]);
    assert_eq!(fl, (libc::O_RDWR | 0o100000) as i64);
    let c = t.s("/h");
    assert!(t.sys(nr::CREAT, &[c, 0o600]) >= 0);
    assert_eq!(t.stat("/h").unwrap().st_mode & 0o777, 0o600);
}

#[test]
fn openat_with_dirfds() {
    let mut t = T::new();
    t.mkdir("/d");
    t.create("/d/f", b"in d");
    let dfd = t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    let rel = t.s("f");
    let fd = t.sys(nr::OPENAT, &[dfd, rel, libc::O_RDONLY as u64, 0]);
    assert_eq!(t.read(fd, 10).unwrap(), b"in d");
    // An absolute path ignores the dirfd, even a bad one.
    let abs = t.s("/d/f");
    assert!(t.sys(nr::OPENAT, &[999, abs, 0, 0]) >= 0);
    assert_eq!(t.sys(nr::OPENAT, &[999, rel, 0, 0]), e(Errno::EBADF));
    let file = t.open("/d/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::OPENAT, &[file, rel, 0, 0]), e(Errno::ENOTDIR));
    // Root mode: a host fd is no directory.
    assert_eq!(t.sys(nr::OPENAT, &[0, rel, 0, 0]), e(Errno::ENOTDIR));
    // An O_PATH dirfd works as a base.
    let pfd = t.open("/d", libc::O_PATH | libc::O_DIRECTORY, 0) as u64;
    assert!(t.sys(nr::OPENAT, &[pfd, rel, 0, 0]) >= 0);
}

#[test]
fn mkdir_rmdir_unlink() {
    let mut t = T::new();
    assert_eq!(t.mkdir("/d"), 0);
    assert_eq!(t.mkdir("/d"), e(Errno::EEXIST));
    assert_eq!(t.mkdir("/x/y"), e(Errno::ENOENT));
    t.create("/d/f", b"");
    let d = t.s("/d");
    assert_eq!(t.sys(nr::RMDIR, &[d]), e(Errno::ENOTEMPTY));
    let f = t.s("/d/f");
    assert_eq!(t.sys(nr::RMDIR, &[f]), e(Errno::ENOTDIR));
    assert_eq!(t.sys(nr::UNLINK, &[d]), e(Errno::EISDIR));
    assert_eq!(t.sys(nr::UNLINKAT, &[AT_FDCWD, f, 0x100]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::UNLINKAT, &[AT_FDCWD, f, 0]), 0);
    assert_eq!(t.sys(nr::UNLINK, &[f]), e(Errno::ENOENT));
    assert_eq!(
        t.sys(nr::UNLINKAT, &[AT_FDCWD, d, libc::AT_REMOVEDIR as u64]),
        0
    );
    let p = t.s("/m");
    assert_eq!(t.sys(nr::MKDIRAT, &[AT_FDCWD, p, 0o700]), 0);
    assert_eq!(t.stat("/m").unwrap().st_mode, libc::S_IFDIR | 0o700);
}

#[test]
fn unlinked_open_file_stays_readable() {
    let mut t = T::new();
    t.create("/f", b"still here");
    let fd = t.open("/f", libc::O_RDONLY, 0);
    let p = t.s("/f");
    assert_eq!(t.sys(nr::UNLINK, &[p]), 0);
    assert_eq!(t.read(fd, 64).unwrap(), b"still here");
    let before = t.g.usage().fs.nodes.used;
    t.close(fd);
    assert_eq!(t.g.usage().fs.nodes.used, before - 1);
    t.check();
}

#[test]
fn mknod_regular_files() {
    let mut t = T::new();
    let p = t.s("/n");
    assert_eq!(t.sys(nr::MKNOD, &[p, (libc::S_IFREG | 0o666) as u64, 0]), 0);
    assert_eq!(t.stat("/n").unwrap().st_mode, libc::S_IFREG | 0o644);
    let q = t.s("/n2");
    assert_eq!(t.sys(nr::MKNODAT, &[AT_FDCWD, q, 0o600, 0]), 0);
    assert_eq!(t.stat("/n2").unwrap().st_mode, libc::S_IFREG | 0o600);
    assert_eq!(
        t.sys(nr::MKNOD, &[p, (libc::S_IFREG | 0o666) as u64, 0]),
        e(Errno::EEXIST)
    );
}

#[test]
fn links_and_symlinks() {
    let mut t = T::new();
    t.create("/f", b"data");
    let (f, l) = (t.s("/f"), t.s("/l"));
    assert_eq!(t.sys(nr::LINK, &[f, l]), 0);
    assert_eq!(t.stat("/f").unwrap().st_nlink, 2);
    assert_eq!(t.sys(nr::LINK, &[f, l]), e(Errno::EEXIST));
    assert_eq!(
        t.sys(nr::LINKAT, &[AT_FDCWD, f, AT_FDCWD, l, 0x1]),
        e(Errno::EINVAL)
    );
    let (target, s) = (t.s("/f"), t.s("/s"));
    assert_eq!(t.sys(nr::SYMLINK, &[target, s]), 0);
    assert_eq!(t.cat("/s").unwrap(), b"data");
    let b = t.buf(64);
    assert_eq!(t.sys(nr::READLINK, &[s, b, 64]), 2);
    assert_eq!(t.h.get(CAGE, b, 2), b"/f");
    assert_eq!(t.sys(nr::READLINK, &[s, b, 1]), 1);
    assert_eq!(t.sys(nr::READLINK, &[s, b, 0]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::READLINK, &[f, b, 64]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::READLINKAT, &[AT_FDCWD, s, b, 64]), 2);
    let empty = t.s("");
    let s2 = t.s("/s2");
    assert_eq!(t.sys(nr::SYMLINK, &[empty, s2]), e(Errno::ENOENT));
    let dangling = t.s("/nowhere");
    assert_eq!(t.sys(nr::SYMLINKAT, &[dangling, AT_FDCWD, s2]), 0);
    // linkat follows the old symlink only with AT_SYMLINK_FOLLOW.
    let (h1, h2) = (t.s("/h1"), t.s("/h2"));
    assert_eq!(t.sys(nr::LINKAT, &[AT_FDCWD, s, AT_FDCWD, h1, 0]), 0);
    let lb = t.buf(256);
    assert_eq!(t.sys(nr::LSTAT, &[h1, lb]), 0);
    assert_eq!(t.stat_at(lb).st_mode & libc::S_IFMT, libc::S_IFLNK);
    assert_eq!(
        t.sys(
            nr::LINKAT,
            &[AT_FDCWD, s, AT_FDCWD, h2, libc::AT_SYMLINK_FOLLOW as u64]
        ),
        0
    );
    assert_eq!(t.sys(nr::LSTAT, &[h2, lb]), 0);
    assert_eq!(t.stat_at(lb).st_mode & libc::S_IFMT, libc::S_IFREG);
    t.check();
}

#[test]
fn renames() {
    let mut t = T::new();
    t.create("/a", b"A");
    t.create("/b", b"B");
    let (a, b, c) = (t.s("/a"), t.s("/b"), t.s("/c"));
    assert_eq!(
        t.sys(
            nr::RENAMEAT2,
            &[AT_FDCWD, a, AT_FDCWD, b, libc::RENAME_NOREPLACE as u64]
        ),
        e(Errno::EEXIST)
    );
    assert_eq!(
        t.sys(
            nr::RENAMEAT2,
            &[AT_FDCWD, a, AT_FDCWD, b, libc::RENAME_EXCHANGE as u64]
        ),
        0
    );
    assert_eq!(t.cat("/a").unwrap(), b"B");
    assert_eq!(
        t.sys(nr::RENAMEAT2, &[AT_FDCWD, a, AT_FDCWD, b, 0x100]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::RENAME, &[a, c]), 0);
    assert_eq!(t.cat("/c").unwrap(), b"B");
    assert_eq!(t.cat("/a"), Err(e(Errno::ENOENT)));
    assert_eq!(t.sys(nr::RENAMEAT, &[AT_FDCWD, c, AT_FDCWD, b]), 0);
    assert_eq!(t.cat("/b").unwrap(), b"B");
    assert_eq!(t.sys(nr::RENAME, &[c, b]), e(Errno::ENOENT));
}

#[test]
fn chmod_chown_family() {
    let mut t = T::new();
    t.create("/f", b"");
    let f = t.s("/f");
    assert_eq!(t.sys(nr::CHMOD, &[f, 0o4751]), 0);
    assert_eq!(t.stat("/f").unwrap().st_mode, libc::S_IFREG | 0o4751);
    assert_eq!(t.sys(nr::FCHMODAT, &[AT_FDCWD, f, 0o600]), 0);
    assert_eq!(t.stat("/f").unwrap().st_mode & 0o7777, 0o600);
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::FCHMOD, &[fd, 0o640]), 0);
    assert_eq!(t.stat("/f").unwrap().st_mode & 0o7777, 0o640);
    assert_eq!(
        t.sys(nr::FCHMODAT2, &[AT_FDCWD, f, 0o600, 0x8000]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::CHOWN, &[f, 10, 20]), 0);
    let st = t.stat("/f").unwrap();
    assert_eq!((st.st_uid, st.st_gid), (10, 20));
    assert_eq!(t.sys(nr::FCHOWN, &[fd, u32::MAX as u64, 30]), 0);
    let st = t.stat("/f").unwrap();
    assert_eq!((st.st_uid, st.st_gid), (10, 30));
    assert_eq!(t.sys(nr::LCHOWN, &[f, 1, 1]), 0);
    assert_eq!(
        t.sys(nr::FCHOWNAT, &[AT_FDCWD, f, 2, 2, 0x1]),
        e(Errno::EINVAL)
    );
    let empty = t.s("");
    assert_eq!(
        t.sys(nr::FCHOWNAT, &[fd, empty, 5, 5, libc::AT_EMPTY_PATH as u64]),
        0
    );
    assert_eq!(t.stat("/f").unwrap().st_uid, 5);
    assert_eq!(t.sys(nr::FCHOWNAT, &[fd, empty, 5, 5, 0]), e(Errno::ENOENT));
}

#[test]
fn access_family() {
    let mut t = T::new();
    t.create("/f", b"");
    let f = t.s("/f");
    assert_eq!(t.sys(nr::ACCESS, &[f, libc::F_OK as u64]), 0);
    assert_eq!(t.sys(nr::ACCESS, &[f, 8]), e(Errno::EINVAL));
    let nope = t.s("/nope");
    assert_eq!(t.sys(nr::ACCESS, &[nope, 0]), e(Errno::ENOENT));
    assert_eq!(t.sys(nr::FACCESSAT, &[AT_FDCWD, f, libc::R_OK as u64]), 0);
    assert_eq!(
        t.sys(nr::FACCESSAT2, &[AT_FDCWD, f, 0, 0x8000]),
        e(Errno::EINVAL)
    );
    // As an unprivileged user, mode bits rule.
    t.h.creds = imfs_grate::host::Creds::ids(1000, 1000);
    assert_eq!(t.sys(nr::ACCESS, &[f, libc::W_OK as u64]), e(Errno::EACCES));
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    let empty = t.s("");
    assert_eq!(
        t.sys(
            nr::FACCESSAT2,
            &[fd, empty, libc::W_OK as u64, libc::AT_EMPTY_PATH as u64]
        ),
        e(Errno::EACCES)
    );
    assert_eq!(
        t.sys(
            nr::FACCESSAT2,
            &[fd, empty, libc::R_OK as u64, libc::AT_EMPTY_PATH as u64]
        ),
        0
    );
}

#[test]
fn utimes_family() {
    let mut t = T::new();
    t.create("/f", b"");
    let f = t.s("/f");
    let mut ts = Vec::new();
    for (s, n) in [(100i64, 5i64), (200, 7)] {
        ts.extend(s.to_le_bytes());
        ts.extend(n.to_le_bytes());
    }
    let tp = t.data(&ts);
    assert_eq!(t.sys(nr::UTIMENSAT, &[AT_FDCWD, f, tp, 0]), 0);
    let st = t.stat("/f").unwrap();
    assert_eq!(
        (st.st_atime, st.st_atime_nsec, st.st_mtime, st.st_mtime_nsec),
        (100, 5, 200, 7)
    );
    let mut bad = ts.clone();
    bad[8..16].copy_from_slice(&1_000_000_000i64.to_le_bytes());
    let bp = t.data(&bad);
    assert_eq!(
        t.sys(nr::UTIMENSAT, &[AT_FDCWD, f, bp, 0]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::UTIMENSAT, &[AT_FDCWD, f, tp, 0x8000]),
        e(Errno::EINVAL)
    );
    // NULL times: now.
    t.h.clock.set(imfs_core::Timespec { sec: 5000, nsec: 0 });
    assert_eq!(t.sys(nr::UTIMENSAT, &[AT_FDCWD, f, 0, 0]), 0);
    assert_eq!(t.stat("/f").unwrap().st_mtime, 5000);
    // NULL path with an fd: futimens.
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::UTIMENSAT, &[fd, 0, tp, 0]), 0);
    assert_eq!(t.stat("/f").unwrap().st_mtime, 200);
    assert_eq!(
        t.sys(
            nr::UTIMENSAT,
            &[fd, 0, tp, libc::AT_SYMLINK_NOFOLLOW as u64]
        ),
        e(Errno::EINVAL)
    );
    // utimes: microseconds.
    let mut tv = Vec::new();
    for (s, u) in [(300i64, 2i64), (400, 3)] {
        tv.extend(s.to_le_bytes());
        tv.extend(u.to_le_bytes());
    }
    let tvp = t.data(&tv);
    assert_eq!(t.sys(nr::UTIMES, &[f, tvp]), 0);
    let st = t.stat("/f").unwrap();
    assert_eq!((st.st_mtime, st.st_mtime_nsec), (400, 3000));
    let mut ub = Vec::new();
    ub.extend(11i64.to_le_bytes());
    ub.extend(22i64.to_le_bytes());
    let up = t.data(&ub);
    assert_eq!(t.sys(nr::UTIME, &[f, up]), 0);
    assert_eq!(t.stat("/f").unwrap().st_mtime, 22);
}

#[test]
fn cwd_chdir_fchdir_getcwd() {
    let mut t = T::new();
    let b = t.buf(256);
    assert_eq!(t.sys(nr::GETCWD, &[b, 256]), 2);
    assert_eq!(t.h.get(CAGE, b, 2), b"/\0");
    t.mkdir("/a");
    t.mkdir("/a/b");
    let p = t.s("/a/b");
    assert_eq!(t.sys(nr::CHDIR, &[p]), 0);
    assert_eq!(t.sys(nr::GETCWD, &[b, 256]), 5);
    assert_eq!(t.h.get(CAGE, b, 5), b"/a/b\0");
    assert_eq!(t.sys(nr::GETCWD, &[b, 4]), e(Errno::ERANGE));
    assert_eq!(t.sys(nr::GETCWD, &[0, 256]), e(Errno::EFAULT));
    t.create("rel", b"relative");
    assert_eq!(t.cat("/a/b/rel").unwrap(), b"relative");
    let up = t.s("..");
    assert_eq!(t.sys(nr::CHDIR, &[up]), 0);
    assert_eq!(t.cat("b/rel").unwrap(), b"relative");
    let f = t.s("b/rel");
    assert_eq!(t.sys(nr::CHDIR, &[f]), e(Errno::ENOTDIR));
    let fd = t.open("/a/b", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    assert_eq!(t.sys(nr::FCHDIR, &[fd]), 0);
    assert_eq!(t.cat("rel").unwrap(), b"relative");
    let file = t.open("rel", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::FCHDIR, &[file]), e(Errno::ENOTDIR));
    assert_eq!(t.sys(nr::FCHDIR, &[0]), e(Errno::ENOTDIR));
    // fork inherits the cwd.
    t.h.fork(&mut t.g, CAGE, 2).unwrap();
    let b2 = t.h.alloc(2, 64);
    assert_eq!(t.sysc(2, nr::GETCWD, &[b2, 64]), 5);
    assert_eq!(t.h.get(2, b2, 5), b"/a/b\0");
}

#[test]
fn removed_cwd_stays_held() {
    let mut t = T::new();
    t.mkdir("/gone");
    let p = t.s("/gone");
    assert_eq!(t.sys(nr::CHDIR, &[p]), 0);
    let base = t.open_files();
    assert_eq!(t.sys(nr::RMDIR, &[p]), 0);
    let b = t.buf(64);
    assert_eq!(t.sys(nr::GETCWD, &[b, 64]), e(Errno::ENOENT));
    assert_eq!(
        t.open("x", libc::O_CREAT | libc::O_RDWR, 0o644),
        e(Errno::ENOENT)
    );
    let root = t.s("/");
    assert_eq!(t.sys(nr::CHDIR, &[root]), 0);
    assert_eq!(t.open_files(), base);
    t.check();
}

#[test]
fn stat_family_and_at_flags() {
    let mut t = T::new();
    t.create("/f", b"12345");
    let (f, s) = (t.s("/f"), t.s("/s"));
    assert_eq!(t.sys(nr::SYMLINK, &[f, s]), 0);
    let b = t.buf(256);
    assert_eq!(t.sys(nr::NEWFSTATAT, &[AT_FDCWD, s, b, 0]), 0);
    assert_eq!(t.stat_at(b).st_size, 5);
    assert_eq!(
        t.sys(
            nr::NEWFSTATAT,
            &[AT_FDCWD, s, b, libc::AT_SYMLINK_NOFOLLOW as u64]
        ),
        0
    );
    assert_eq!(t.stat_at(b).st_mode & libc::S_IFMT, libc::S_IFLNK);
    assert_eq!(
        t.sys(nr::NEWFSTATAT, &[AT_FDCWD, s, b, 0x2]),
        e(Errno::EINVAL)
    );
    let fd = t.open("/f", libc::O_PATH, 0) as u64;
    let empty = t.s("");
    assert_eq!(t.sys(nr::NEWFSTATAT, &[fd, empty, b, 0]), e(Errno::ENOENT));
    assert_eq!(
        t.sys(nr::NEWFSTATAT, &[fd, empty, b, libc::AT_EMPTY_PATH as u64]),
        0
    );
    assert_eq!(t.stat_at(b).st_size, 5);
    assert_eq!(
        t.sys(nr::NEWFSTATAT, &[fd, 0, b, libc::AT_EMPTY_PATH as u64]),
        0
    );
    assert_eq!(t.sys(nr::FSTAT, &[fd, b]), 0);
    assert_eq!(t.stat_at(b).st_size, 5);
    assert_eq!(t.sys(nr::STAT, &[f, 0]), e(Errno::EFAULT));
    // AT_EMPTY_PATH on the cwd (the root).
    assert_eq!(
        t.sys(
            nr::NEWFSTATAT,
            &[AT_FDCWD, empty, b, libc::AT_EMPTY_PATH as u64]
        ),
        0
    );
    assert_eq!(t.stat_at(b).st_mode & libc::S_IFMT, libc::S_IFDIR);
}

#[test]
fn statx_and_statfs() {
    let mut t = T::new();
    t.create("/f", b"12345");
    let f = t.s("/f");
    let b = t.buf(256);
    assert_eq!(
        t.sys(
            nr::STATX,
            &[AT_FDCWD, f, 0, libc::STATX_BASIC_STATS as u64, b]
        ),
        0
    );
    let raw = t.h.get(CAGE, b, 256);
    // SAFETY: statx is plain data of 256 bytes.
    let sx: libc::statx = unsafe { std::ptr::read_unaligned(raw.as_ptr() as *const libc::statx) };
    assert_eq!(sx.stx_size, 5);
    assert_eq!(sx.stx_mode as u32, libc::S_IFREG | 0o644);
    assert_eq!(
        sx.stx_mask & libc::STATX_BASIC_STATS,
        libc::STATX_BASIC_STATS
    );
    assert_eq!(
        t.sys(nr::STATX, &[AT_FDCWD, f, 0x6000, 0, b]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::STATX, &[AT_FDCWD, f, 0, 0x8000_0000, b]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::STATX, &[AT_FDCWD, f, 0x1, 0, b]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::STATFS, &[f, b]), 0);
    let raw = t.h.get(CAGE, b, std::mem::size_of::<libc::statfs>());
    // SAFETY: statfs is plain data.
    let sf: libc::statfs = unsafe { std::ptr::read_unaligned(raw.as_ptr() as *const libc::statfs) };
    assert_eq!(sf.f_type, 0x0102_1994);
    let nope = t.s("/nope");
    assert_eq!(t.sys(nr::STATFS, &[nope, b]), e(Errno::ENOENT));
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::FSTATFS, &[fd, b]), 0);
    assert_eq!(t.sys(nr::FSTATFS, &[fd, 0]), e(Errno::EFAULT));
}

#[test]
fn lind_abi_stat_through_the_dispatch() {
    let mut t = T::with_abi(imfs_grate::host::Abi::Lind);
    t.create("/f", b"12345");
    let f = t.s("/f");
    let b = t.buf(144);
    t.h.put_at(CAGE, b, &[0xaa; 144]);
    assert_eq!(t.sys(nr::STAT, &[f, b]), 0);
    let raw = t.h.get(CAGE, b, 144);
    assert_eq!(
        u32::from_le_bytes(raw[16..20].try_into().unwrap()),
        libc::S_IFREG | 0o644
    );
    assert_eq!(u32::from_le_bytes(raw[20..24].try_into().unwrap()), 1);
    assert_eq!(u64::from_le_bytes(raw[40..48].try_into().unwrap()), 5);
    // 104 bytes written, nothing past them.
    assert_eq!(&raw[104..], &[0xaa; 40]);
}

#[test]
fn at_empty_path_on_a_host_fd_is_the_hosts() {
    let mut t = T::new();
    let empty = t.s("");
    let b = t.buf(256);
    let r = t.reply(
        CAGE,
        nr::NEWFSTATAT,
        &[0, empty, b, libc::AT_EMPTY_PATH as u64],
    );
    assert_eq!(r, imfs_grate::host::Reply::Continue);
}

#[test]
fn no_extended_attributes() {
    let mut t = T::new();
    t.create("/f", b"");
    let (f, name, nope) = (t.s("/f"), t.s("user.x"), t.s("/nope"));
    let b = t.buf(64);
    assert_eq!(t.sys(nr::LISTXATTR, &[f, b, 64]), 0);
    assert_eq!(t.sys(nr::LGETXATTR, &[f, name, b, 64]), e(Errno::ENODATA));
    assert_eq!(
        t.sys(nr::SETXATTR, &[f, name, b, 1, 0]),
        e(Errno::EOPNOTSUPP)
    );
    assert_eq!(t.sys(nr::REMOVEXATTR, &[f, name]), e(Errno::ENODATA));
    assert_eq!(t.sys(nr::GETXATTR, &[nope, name, b, 64]), e(Errno::ENOENT));
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::FLISTXATTR, &[fd, b, 64]), 0);
    assert_eq!(t.sys(nr::FGETXATTR, &[fd, name, b, 64]), e(Errno::ENODATA));
    assert_eq!(t.sys(nr::FGETXATTR, &[99, name, b, 64]), e(Errno::EBADF));
}

/// mkdir + chdir into one directory per name length in `lens`, relative
/// to the cwd.
fn dive(t: &mut T, lens: &[usize]) {
    for (i, &len) in lens.iter().enumerate() {
        let name: String = std::iter::repeat_n((b'a' + (i % 26) as u8) as char, len).collect();
        assert_eq!(t.mkdir(&name), 0, "mkdir level {i}");
        let p = t.s(&name);
        assert_eq!(t.sys(nr::CHDIR, &[p]), 0, "chdir level {i}");
    }
}

/// Name lengths whose nesting makes a path of exactly `total` bytes
/// ("/name" per level, names of at most 200 bytes).
fn levels_for(total: usize) -> Vec<usize> {
    let mut lens = vec![200; total / 201];
    if total % 201 > 1 {
        lens.push(total % 201 - 1);
    } else if total % 201 == 1 {
        // One byte left over: take it from a full level into a second one.
        lens.pop();
        lens.extend([100, 99]);
    }
    assert_eq!(lens.iter().map(|l| l + 1).sum::<usize>(), total);
    lens
}

#[test]
fn getcwd_past_path_max_is_enametoolong_before_erange() {
    let mut t = T::new();
    let b = t.buf(8192);
    // 4095 bytes and the NUL fill PATH_MAX exactly: served.
    dive(&mut t, &levels_for(4095));
    assert_eq!(t.sys(nr::GETCWD, &[b, 1 << 40]), 4096);
    assert_eq!(t.sys(nr::GETCWD, &[b, 4095]), e(Errno::ERANGE));
    let got = t.h.get(CAGE, b, 4096);
    assert_eq!((got[0], got[4095]), (b'/', 0));
    // Two more bytes ("/z"): too long, whatever the size or buffer.
    assert_eq!(t.mkdir("z"), 0);
    let z = t.s("z");
    assert_eq!(t.sys(nr::CHDIR, &[z]), 0);
    for (buf, size) in [(b, 1 << 40), (b, 8192), (b, 64), (b, 0), (0, 8192)] {
        assert_eq!(
            t.sys(nr::GETCWD, &[buf, size]),
            e(Errno::ENAMETOOLONG),
            "size {size}"
        );
    }
    // Much deeper than PATH_MAX (and than the bounce buffer): still that.
    dive(&mut t, &vec![200; 400]);
    assert_eq!(t.sys(nr::GETCWD, &[b, 1 << 40]), e(Errno::ENAMETOOLONG));
    // Back up within the limit, it is served again.
    let root = t.s("/");
    assert_eq!(t.sys(nr::CHDIR, &[root]), 0);
    assert_eq!(t.sys(nr::GETCWD, &[b, 2]), 2);
    t.check();
}

#[test]
fn getcwd_limit_counts_the_mount_prefix() {
    // "/mnt/imfs" is 9 bytes: 4086 imfs bytes make 4095 in all.
    let mut t = T::mounted("/mnt/imfs", "/home/u");
    let b = t.buf(8192);
    let top = t.s("/mnt/imfs");
    // The kernel chdirs to the mount point too.
    assert_eq!(
        t.reply(CAGE, nr::CHDIR, &[top]),
        imfs_grate::host::Reply::Continue
    );
    dive(&mut t, &levels_for(4086));
    assert_eq!(t.sys(nr::GETCWD, &[b, 4096]), 4096);
    assert_eq!(t.h.get(CAGE, b, 10), b"/mnt/imfs/");
    assert_eq!(t.mkdir("z"), 0);
    let z = t.s("z");
    assert_eq!(t.sys(nr::CHDIR, &[z]), 0);
    assert_eq!(t.sys(nr::GETCWD, &[b, 8192]), e(Errno::ENAMETOOLONG));
    assert_eq!(t.sys(nr::GETCWD, &[b, 16]), e(Errno::ENAMETOOLONG));
}

#[test]
fn linkat_empty_path_names_an_open_file_for_root_only() {
    let mut t = T::new();
    let tmp = t.open("/", libc::O_TMPFILE | libc::O_RDWR, 0o600);
    assert!(tmp >= 0, "O_TMPFILE: {tmp}");
    assert_eq!(t.write(tmp, b"tmp"), 3);
    let (empty, name) = (t.s(""), t.s("/named"));
    let flags = libc::AT_EMPTY_PATH as u64;
    let link =
        |t: &mut T, fd: i64, new: u64| t.sys(nr::LINKAT, &[fd as u64, empty, AT_FDCWD, new, flags]);
    // Unprivileged callers lack CAP_DAC_READ_SEARCH.
    t.h.creds = imfs_grate::host::Creds::ids(1000, 1000);
    assert_eq!(link(&mut t, tmp, name), e(Errno::ENOENT));
    assert_eq!(t.stat("/named").unwrap_err(), e(Errno::ENOENT));
    t.h.creds = imfs_grate::host::Creds::ids(0, 0);
    assert_eq!(link(&mut t, tmp, name), 0);
    assert_eq!(t.cat("/named").unwrap(), b"tmp");
    assert_eq!(t.stat("/named").unwrap().st_nlink, 1);
    // Once linked, a tmpfile is an ordinary file: it takes more names, and
    // a taken name is EEXIST.
    let again = t.s("/again");
    assert_eq!(link(&mut t, tmp, again), 0);
    assert_eq!(t.stat("/again").unwrap().st_nlink, 2);
    t.create("/f", b"f");
    let f = t.open("/f", libc::O_RDONLY, 0);
    assert_eq!(link(&mut t, f, name), e(Errno::EEXIST));
    let third = t.s("/third");
    assert_eq!(link(&mut t, f, third), 0);
    assert_eq!(t.stat("/f").unwrap().st_nlink, 2);
    // A removed file (no names left, not a tmpfile) cannot come back.
    let fname = t.s("/f");
    assert_eq!(t.sys(nr::UNLINK, &[fname]), 0);
    assert_eq!(t.sys(nr::UNLINK, &[third]), 0);
    assert_eq!(link(&mut t, f, fname), e(Errno::ENOENT));
    // Directories cannot be linked; without AT_EMPTY_PATH "" is ENOENT.
    assert_eq!(t.mkdir("/d"), 0);
    let d = t.open("/d", libc::O_RDONLY, 0);
    let dn = t.s("/dn");
    assert_eq!(link(&mut t, d, dn), e(Errno::EPERM));
    assert_eq!(
        t.sys(nr::LINKAT, &[f as u64, empty, AT_FDCWD, dn, 0]),
        e(Errno::ENOENT)
    );
}

#[test]
fn readlinkat_empty_path_reads_the_symlink_the_fd_is_open_on() {
    let mut t = T::new();
    let (target, s) = (t.s("f"), t.s("/s"));
    assert_eq!(t.sys(nr::SYMLINK, &[target, s]), 0);
    let fd = t.open("/s", libc::O_PATH | libc::O_NOFOLLOW, 0) as u64;
    let (empty, b) = (t.s(""), t.buf(8));
    assert_eq!(t.sys(nr::READLINKAT, &[fd, empty, b, 8]), 1);
    assert_eq!(t.h.get(CAGE, b, 1), b"f");
    assert_eq!(t.sys(nr::READLINKAT, &[fd, empty, b, 0]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::READLINKAT, &[fd, 0, b, 8]), e(Errno::EFAULT));
    // Not a symlink: ENOENT for the empty path (the root's too), EINVAL
    // for a named one.
    t.create("/f", b"");
    let f = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::READLINKAT, &[f, empty, b, 8]), e(Errno::ENOENT));
    assert_eq!(
        t.sys(nr::READLINKAT, &[AT_FDCWD, empty, b, 8]),
        e(Errno::ENOENT)
    );
    let root = t.s("/");
    assert_eq!(
        t.sys(nr::READLINKAT, &[AT_FDCWD, root, b, 8]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::READLINKAT, &[77, empty, b, 8]), e(Errno::EBADF));
}

#[test]
fn supplementary_groups_and_real_ids_come_from_the_host() {
    use imfs_core::Groups;
    use imfs_grate::host::Creds;
    let mut t = T::new();
    t.create("/grp", b"g");
    let grp = t.s("/grp");
    assert_eq!(t.sys(nr::CHOWN, &[grp, 0, 4321]), 0);
    assert_eq!(t.sys(nr::CHMOD, &[grp, 0o040]), 0);
    assert_eq!(t.mkdir("/priv"), 0);
    let pd = t.s("/priv");
    assert_eq!(t.sys(nr::CHMOD, &[pd, 0o700]), 0);
    t.create("/priv/x", b"x");
    // Group 4321 as a supplementary group grants the group bits.
    t.h.creds = Creds {
        groups: Groups::from_slice(&[4321]),
        ..Creds::ids(65534, 65534)
    };
    assert!(t.open("/grp", libc::O_RDONLY, 0) >= 0);
    assert_eq!(t.open("/grp", libc::O_WRONLY, 0), e(Errno::EACCES));
    t.h.creds = Creds::ids(65534, 65534);
    assert_eq!(t.open("/grp", libc::O_RDONLY, 0), e(Errno::EACCES));
    // Effective root, real nobody: access(2) checks the real ids,
    // AT_EACCESS and everything else the effective ones.
    t.h.creds = Creds {
        real: Some((65534, 65534)),
        ..Creds::ids(0, 0)
    };
    let x = t.s("/priv/x");
    assert_eq!(t.sys(nr::ACCESS, &[x, libc::F_OK as u64]), e(Errno::EACCES));
    let eaccess = libc::AT_EACCESS as u64;
    assert_eq!(t.sys(nr::FACCESSAT2, &[AT_FDCWD, x, 0, eaccess]), 0);
    assert!(t.open("/priv/x", libc::O_RDONLY, 0) >= 0);
    let fd = t.open("/grp", libc::O_RDONLY, 0) as u64;
    let (empty, r) = (t.s(""), libc::R_OK as u64);
    let empty_path = libc::AT_EMPTY_PATH as u64;
    assert_eq!(
        t.sys(nr::FACCESSAT2, &[fd, empty, r, empty_path]),
        e(Errno::EACCES)
    );
    assert_eq!(
        t.sys(nr::FACCESSAT2, &[fd, empty, r, empty_path | eaccess]),
        0
    );
}

#[test]
fn path_max_limits_the_argument_from_a_deep_cwd_or_dirfd() {
    // Root mode: the cwd's own depth (1,608 bytes here) never counts.
    let mut t = T::new();
    let mut dir = String::new();
    for _ in 0..8 {
        dir += &format!("/{}", "d".repeat(200));
        assert_eq!(t.mkdir(&dir), 0);
    }
    let d = t.s(&dir);
    assert_eq!(t.sys(nr::CHDIR, &[d]), 0);
    let mut rel = String::new();
    for _ in 0..40 {
        rel += &"a".repeat(100);
        assert_eq!(t.mkdir(&rel), 0);
        rel += "/";
    }
    let name = config::PATH_MAX - 1 - rel.len();
    let longest = format!("{rel}{}", "f".repeat(name));
    let too_long = format!("{rel}{}", "f".repeat(name + 1));
    let fd = t.open(&longest, libc::O_CREAT | libc::O_WRONLY, 0o644);
    assert!(fd >= 0, "{fd}");
    let b = t.buf(256);
    let dirfd = t.open(&dir, libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    let root = t.s("/");
    assert_eq!(t.sys(nr::CHDIR, &[root]), 0);
    let (ok, long) = (t.s(&longest), t.s(&too_long));
    assert_eq!(t.sys(nr::NEWFSTATAT, &[dirfd, ok, b, 0]), 0);
    assert_eq!(
        t.sys(nr::NEWFSTATAT, &[dirfd, long, b, 0]),
        e(Errno::ENAMETOOLONG)
    );
    t.check();
}
