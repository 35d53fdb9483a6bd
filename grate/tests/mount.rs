//! Mount mode: imfs at a prefix, every other path the host's.

mod common;
use common::*;
use imfs_core::Errno;
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
    // Leaving the prefix lexically goes to the host.
    let up = t.s("../../../etc/passwd");
    assert!(is_continue(&mut t, nr::OPEN, &[up, 0, 0]));
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
