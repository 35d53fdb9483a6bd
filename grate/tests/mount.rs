//! Mount mode: imfs at a prefix, every other path the host's.

mod common;
use common::*;
use imfs_core::{config, Errno};
use imfs_grate::dispatch::nr;
use imfs_grate::host::Reply;

const RW: i32 = libc::O_CREAT | libc::O_RDWR;

fn is_continue(t: &mut T, nrno: u64, args: &[u64]) -> bool {
    t.reply(CAGE, nrno, args) == Reply::Continue
}

#[test]
fn only_the_prefix_is_imfs() {
    let mut t = T::mounted("/mnt/imfs", "/home/u");
    assert_eq!(t.open("/mnt/imfs/f", RW, 0o644), 3);
    t.close(3);
    assert_eq!(t.cat("/mnt/imfs/../imfs/./f").unwrap(), b"");
    for host in [
        "/etc/passwd",
        "/mnt/imfsx/f",
        "/mnt",
        "/mnt/imfs/../etc",
        "relative",
        "../mnt/imfsy",
    ] {
        let p = t.s(host);
        assert!(is_continue(&mut t, nr::OPEN, &[p, 0, 0]), "{host}");
    }
    // The prefix itself is the imfs root.
    let b = t.buf(256);
    let p = t.s("/mnt/imfs");
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
    assert_eq!(t.stat_at(b).st_mode & libc::S_IFMT, libc::S_IFDIR);
    let p = t.s("/mnt/imfs/");
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
    // A trailing slash still asks for a directory.
    let p = t.s("/mnt/imfs/f/");
    assert_eq!(t.sys(nr::STAT, &[p, b]), e(Errno::ENOTDIR));
    // Relative paths from a host cwd that leads into the prefix.
    let p = t.s("../../mnt/imfs/f");
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
}

#[test]
fn cwd_moves_between_host_and_imfs() {
    let mut t = T::mounted("/mnt/imfs", "/home/u");
    let b = t.buf(256);
    assert!(is_continue(&mut t, nr::GETCWD, &[b, 256]));
    assert_eq!(t.mkdir("/mnt/imfs/d"), 0);
    let d = t.s("/mnt/imfs/d");
    assert_eq!(t.sys(nr::CHDIR, &[d]), 0);
    assert_eq!(t.sys(nr::GETCWD, &[b, 256]), 12);
    assert_eq!(t.h.get(CAGE, b, 12), b"/mnt/imfs/d\0");
    t.create("x", b"rel");
    assert_eq!(t.cat("/mnt/imfs/d/x").unwrap(), b"rel");
    // Leaving imfs from an imfs cwd leads to a host path the kernel cannot
    // be given (its cwd is not in imfs): EXDEV, never another host file.
    let up = t.s("../../../etc/passwd");
    assert_eq!(t.sys(nr::OPEN, &[up, 0, 0]), e(Errno::EXDEV));
    // Leaving and coming back in is imfs's.
    assert_eq!(t.cat("../../imfs/d/x").unwrap(), b"rel");
    let up = t.s("..");
    assert_eq!(t.sys(nr::CHDIR, &[up]), 0);
    assert_eq!(t.sys(nr::GETCWD, &[b, 256]), 10);
    assert_eq!(t.h.get(CAGE, b, 10), b"/mnt/imfs\0");
    // chdir to a host directory: the host does it, the grate follows.
    let tmp = t.s("/tmp");
    assert!(is_continue(&mut t, nr::CHDIR, &[tmp]));
    assert!(is_continue(&mut t, nr::GETCWD, &[b, 256]));
    // fchdir to an imfs directory fd.
    let fd = t.open("/mnt/imfs/d", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    assert_eq!(t.sys(nr::FCHDIR, &[fd]), 0);
    assert_eq!(t.cat("x").unwrap(), b"rel");
    let rel = t.s("x");
    assert!(t.sys(nr::OPENAT, &[fd, rel, 0, 0]) >= 0);
    // A host dirfd with a relative path is the host's.
    assert!(is_continue(&mut t, nr::OPENAT, &[0, rel, 0, 0]));
    // Unless it leads into the prefix from the directory the fd is open on.
    t.h.host_fd_dirs.insert((CAGE, 0), b"/mnt/other".to_vec());
    let (into, b) = (t.s("../imfs/d/x"), t.buf(256));
    assert_eq!(t.sys(nr::NEWFSTATAT, &[0, into, b, 0]), 0);
    let beside = t.s("../imfsx/d/x");
    assert!(is_continue(&mut t, nr::NEWFSTATAT, &[0, beside, b, 0]));
}

#[test]
fn crossing_the_boundary_is_exdev() {
    let mut t = T::mounted("/mnt/imfs", "/");
    t.create("/mnt/imfs/a", b"");
    let (a, h, h2) = (t.s("/mnt/imfs/a"), t.s("/tmp/a"), t.s("/tmp/b"));
    assert_eq!(t.sys(nr::RENAME, &[a, h]), e(Errno::EXDEV));
    assert_eq!(t.sys(nr::RENAME, &[h, a]), e(Errno::EXDEV));
    assert_eq!(t.sys(nr::LINK, &[a, h]), e(Errno::EXDEV));
    assert!(is_continue(&mut t, nr::RENAME, &[h, h2]));
    assert!(is_continue(&mut t, nr::LINK, &[h, h2]));
    // symlink: only where the link goes matters.
    let l = t.s("/mnt/imfs/l");
    assert_eq!(t.sys(nr::SYMLINK, &[h, l]), 0);
    assert!(is_continue(&mut t, nr::SYMLINK, &[a, h2]));
}

#[test]
fn umask_passes_through_but_is_applied() {
    let mut t = T::mounted("/mnt/imfs", "/");
    assert!(is_continue(&mut t, nr::UMASK, &[0o077]));
    t.create("/mnt/imfs/u", b"");
    assert_eq!(t.stat("/mnt/imfs/u").unwrap().st_mode & 0o777, 0o600);
}

/// Runs `check` on a fresh mount twice: with the cwd at `/mnt/imfs/w`
/// (relative paths) and with the host cwd `/` and `/mnt/imfs/w/` put in
/// front of every path.
fn both_ways(check: impl Fn(&mut T, &dyn Fn(&str) -> String)) {
    let mut t = T::mounted("/mnt/imfs", "/home/u");
    assert_eq!(t.mkdir("/mnt/imfs/w"), 0);
    let w = t.s("/mnt/imfs/w");
    assert_eq!(t.sys(nr::CHDIR, &[w]), 0);
    check(&mut t, &|p: &str| p.to_string());
    t.check();
    let mut t = T::mounted("/mnt/imfs", "/");
    assert_eq!(t.mkdir("/mnt/imfs/w"), 0);
    check(&mut t, &|p: &str| format!("/mnt/imfs/w/{p}"));
    t.check();
}

#[test]
fn dot_and_dotdot_apply_to_the_directory_reached() {
    both_ways(|t, at| {
        let b = t.buf(256);
        assert_eq!(t.mkdir(&at("n")), 0);
        assert_eq!(t.mkdir(&at("n/m")), 0);
        t.create(&at("f"), b"");
        for (nr, path, errno) in [
            (nr::RMDIR, "n/m/.", Errno::EINVAL),
            (nr::RMDIR, "n/m/..", Errno::ENOTEMPTY),
            (nr::STAT, "nonexistent/..", Errno::ENOENT),
            (nr::STAT, "f/..", Errno::ENOTDIR),
            (nr::STAT, "f/.", Errno::ENOTDIR),
        ] {
            let p = t.s(&at(path));
            assert_eq!(t.sys(nr, &[p, b]), e(errno), "{} {path}", nr::name(nr));
        }
        // Linux refuses to rename `.` or onto it: EBUSY, even for a missing source.
        let (dot, k, n) = (t.s(&at("n/m/.")), t.s(&at("k")), t.s(&at("n")));
        assert_eq!(t.sys(nr::RENAME, &[dot, k]), e(Errno::EBUSY));
        assert_eq!(t.sys(nr::RENAME, &[k, dot]), e(Errno::EBUSY));
        assert_eq!(t.sys(nr::RENAME, &[dot, n]), e(Errno::EBUSY));
        assert!(t.stat(&at("n/m")).is_ok(), "n/m survives");
        assert!(t.stat(&at("k")).is_err(), "nothing renamed");
    });
}

#[test]
fn dotdot_after_a_symlink_is_the_target_s_parent() {
    both_ways(|t, at| {
        assert_eq!(t.mkdir(&at("x")), 0);
        assert_eq!(t.mkdir(&at("x/y")), 0);
        let (target, l) = (t.s("x/y"), t.s(&at("l")));
        assert_eq!(t.sys(nr::SYMLINK, &[target, l]), 0);
        t.create(&at("l/../z"), b"in x");
        assert_eq!(t.cat(&at("x/z")).unwrap(), b"in x");
        assert!(t.stat(&at("z")).is_err(), "not beside l");
    });
}

#[test]
fn path_max_limits_the_argument_not_the_joined_path() {
    // From a cwd deep in imfs, a relative path of PATH_MAX - 1 bytes is
    // served and one of PATH_MAX is ENAMETOOLONG, as on Linux.
    let mut t = T::mounted("/mnt/imfs", "/home/u");
    let mut dir = String::from("/mnt/imfs");
    for _ in 0..8 {
        dir += &format!("/{}", "d".repeat(200));
        assert_eq!(t.mkdir(&dir), 0);
    }
    let d = t.s(&dir);
    assert_eq!(t.sys(nr::CHDIR, &[d]), 0);
    let b = t.buf(256);
    // 40 directories of 100-byte names below it, then a last name that
    // brings the relative path to PATH_MAX - 1 bytes (the NUL makes PATH_MAX).
    let mut rel = String::new();
    for _ in 0..40 {
        rel += &"a".repeat(100);
        assert_eq!(t.mkdir(&rel), 0, "{}", rel.len());
        rel += "/";
    }
    let name = config::PATH_MAX - 1 - rel.len();
    let longest = format!("{rel}{}", "f".repeat(name));
    let fd = t.open(&longest, RW, 0o644);
    assert!(fd >= 0, "{fd}");
    let p = t.s(&longest);
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
    let p = t.s(&format!("{rel}{}", "f".repeat(name + 1)));
    assert_eq!(t.sys(nr::STAT, &[p, b]), e(Errno::ENAMETOOLONG));
    // The same from a dirfd on that directory, with the cwd back at the host.
    let dirfd = t.open(&dir, libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    let home = t.s("/home/u");
    assert!(is_continue(&mut t, nr::CHDIR, &[home]));
    let p = t.s(&longest);
    assert_eq!(t.sys(nr::NEWFSTATAT, &[dirfd, p, b, 0]), 0);
    let p = t.s(&format!("{rel}{}", "f".repeat(name + 1)));
    assert_eq!(
        t.sys(nr::NEWFSTATAT, &[dirfd, p, b, 0]),
        e(Errno::ENAMETOOLONG)
    );
    // From the host side the whole argument counts, prefix and all.
    t.create(&format!("{dir}/f"), b"");
    let abs = |len: usize| format!("{dir}{}f", "/".repeat(len - dir.len() - 1));
    let p = t.s(&abs(config::PATH_MAX - 1));
    assert_eq!(t.sys(nr::STAT, &[p, b]), 0);
    let p = t.s(&abs(config::PATH_MAX));
    assert_eq!(t.sys(nr::STAT, &[p, b]), e(Errno::ENAMETOOLONG));
}

#[test]
fn leaving_imfs_goes_on_at_the_host() {
    let mut t = T::mounted("/mnt/imfs", "/");
    t.create("/mnt/imfs/f", b"F");
    assert_eq!(t.mkdir("/mnt/imfs/d"), 0);
    // What the kernel resolves the same way (the mount point is an empty
    // host directory) passes through.
    for host in [
        "/mnt/imfs/..",
        "/mnt/imfs/../etc/passwd",
        "/mnt/imfs/./../../etc",
        "mnt/imfs/../x",
    ] {
        let p = t.s(host);
        assert!(is_continue(&mut t, nr::OPEN, &[p, 0, 0]), "{host}");
    }
    // Through an imfs directory the kernel cannot see: EXDEV, and the call
    // never reaches the host.
    let p = t.s("/mnt/imfs/d/../../etc/passwd");
    assert_eq!(t.sys(nr::OPEN, &[p, 0, 0]), e(Errno::EXDEV));
    // Out and back in is imfs.
    assert_eq!(t.cat("/mnt/imfs/d/../../imfs/f").unwrap(), b"F");
    assert_eq!(t.cat("/mnt/imfs/../../mnt/imfs/d/../f").unwrap(), b"F");
    assert_eq!(t.cat("/tmp/../mnt/imfs/f").unwrap(), b"F");
    // chdir to the imfs root by a path the kernel can follow: the kernel
    // chdirs too (to the host's mount point), so `..` from there is its own.
    let (top, b) = (t.s("/mnt/imfs/."), t.buf(64));
    assert!(is_continue(&mut t, nr::CHDIR, &[top]));
    assert_eq!(t.sys(nr::GETCWD, &[b, 64]), 10);
    assert_eq!(t.h.get(CAGE, b, 10), b"/mnt/imfs\0");
    assert_eq!(t.cat("../imfs/d/../f").unwrap(), b"F");
    assert_eq!(t.cat("f").unwrap(), b"F");
    let p = t.s("../etc/passwd");
    assert!(is_continue(&mut t, nr::OPEN, &[p, 0, 0]));
    let p = t.s("./..");
    assert!(is_continue(&mut t, nr::STAT, &[p, b]));
    // Reached through an imfs directory the kernel cannot: it stays behind.
    let p = t.s("d/..");
    assert_eq!(t.sys(nr::CHDIR, &[p]), 0);
    let p = t.s("../etc/passwd");
    assert_eq!(t.sys(nr::OPEN, &[p, 0, 0]), e(Errno::EXDEV));
    assert_eq!(t.cat("f").unwrap(), b"F");
    t.check();
}

#[test]
fn absolute_symlink_targets_are_host_paths() {
    let mut t = T::mounted("/mnt/imfs", "/");
    t.create("/mnt/imfs/f", b"F");
    assert_eq!(t.mkdir("/mnt/imfs/d"), 0);
    let link = |t: &mut T, target: &str, at: &str| {
        let (target, at) = (t.s(target), t.s(at));
        assert_eq!(t.sys(nr::SYMLINK, &[target, at]), 0);
    };
    // Into the prefix: back in imfs.
    link(&mut t, "/mnt/imfs/f", "/mnt/imfs/in");
    assert_eq!(t.cat("/mnt/imfs/in").unwrap(), b"F");
    link(&mut t, "/mnt/imfs/d", "/mnt/imfs/ind");
    t.create("/mnt/imfs/ind/g", b"G");
    assert_eq!(t.cat("/mnt/imfs/d/g").unwrap(), b"G");
    // A relative target that climbs out of imfs and back.
    link(&mut t, "../../imfs/f", "/mnt/imfs/d/rel");
    assert_eq!(t.cat("/mnt/imfs/d/rel").unwrap(), b"F");
    // Out to the host: the link itself is imfs's, what it leads to cannot
    // be handed to the kernel.
    link(&mut t, "/etc/passwd", "/mnt/imfs/out");
    let (p, b) = (t.s("/mnt/imfs/out"), t.buf(256));
    assert_eq!(t.sys(nr::OPEN, &[p, 0, 0]), e(Errno::EXDEV));
    assert_eq!(t.sys(nr::STAT, &[p, b]), e(Errno::EXDEV));
    assert_eq!(t.sys(nr::LSTAT, &[p, b]), 0);
    assert_eq!(t.stat_at(b).st_mode & libc::S_IFMT, libc::S_IFLNK);
    assert_eq!(t.sys(nr::READLINK, &[p, b, 256]), 11);
    assert_eq!(t.sys(nr::UNLINK, &[p]), 0);
    // A link to itself through the prefix loops.
    link(&mut t, "/mnt/imfs/loop", "/mnt/imfs/loop");
    let p = t.s("/mnt/imfs/loop");
    assert_eq!(t.sys(nr::STAT, &[p, b]), e(Errno::ELOOP));
    // Two paths: rename through a detour, and across is still EXDEV.
    let (from, to) = (t.s("/mnt/imfs/d/../../imfs/f"), t.s("/mnt/imfs/ind/../h"));
    assert_eq!(t.sys(nr::RENAME, &[from, to]), 0);
    assert_eq!(t.cat("/mnt/imfs/h").unwrap(), b"F");
    let (from, to) = (t.s("/mnt/imfs/h"), t.s("/mnt/imfs/../tmp/h"));
    assert_eq!(t.sys(nr::RENAME, &[from, to]), e(Errno::EXDEV));
    t.check();
}

#[test]
fn two_path_calls_follow_only_what_they_follow() {
    let mut t = T::mounted("/mnt/imfs", "/");
    t.create("/mnt/imfs/f", b"F");
    let (target, l) = (t.s("/mnt/imfs/f"), t.s("/mnt/imfs/l"));
    assert_eq!(t.sys(nr::SYMLINK, &[target, l]), 0);
    // linkat with AT_SYMLINK_FOLLOW links what the absolute target names.
    let g = t.s("/mnt/imfs/g");
    let follow = libc::AT_SYMLINK_FOLLOW as u64;
    assert_eq!(t.sys(nr::LINKAT, &[AT_FDCWD, l, AT_FDCWD, g, follow]), 0);
    assert_eq!(t.stat("/mnt/imfs/g").unwrap().st_nlink, 2);
    // Without it, and in rename, the symlink itself.
    let h = t.s("/mnt/imfs/h");
    assert_eq!(t.sys(nr::LINK, &[l, h]), 0);
    let b = t.buf(256);
    assert_eq!(t.sys(nr::LSTAT, &[h, b]), 0);
    assert_eq!(t.stat_at(b).st_mode & libc::S_IFMT, libc::S_IFLNK);
    let m = t.s("/mnt/imfs/m");
    assert_eq!(t.sys(nr::RENAME, &[h, m]), 0);
    assert_eq!(t.sys(nr::LSTAT, &[m, b]), 0);
    assert_eq!(t.stat_at(b).st_mode & libc::S_IFMT, libc::S_IFLNK);
    // A second path that climbs out and back in, from an imfs dirfd.
    assert_eq!(t.mkdir("/mnt/imfs/d"), 0);
    let d = t.open("/mnt/imfs/d", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    let back = t.s("../../imfs/n");
    assert_eq!(t.sys(nr::RENAMEAT, &[AT_FDCWD, m, d, back]), 0);
    let n = t.s("/mnt/imfs/n");
    assert_eq!(t.sys(nr::LSTAT, &[n, b]), 0);
    // Changes on a host path reached from inside imfs are refused.
    let out = t.s("../../../tmp/x");
    assert_eq!(t.sys(nr::MKDIRAT, &[d, out, 0o755]), e(Errno::EXDEV));
    assert_eq!(t.sys(nr::UNLINKAT, &[d, out, 0]), e(Errno::EXDEV));
    t.check();
}
