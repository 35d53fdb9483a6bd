//! rmdir, link, symlink, mknod and rename in every POSIX case, with Linux's errno.

#[macro_use]
mod fs_util;
use fs_util::*;

fn ino(f: &T, p: &[u8]) -> Result<u64, Errno> {
    f.stat(&root(), None, p, false).map(|s| s.ino)
}

#[test]
fn rmdir_cases() {
    let mut f = fs();
    let c = at(4);
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    ok!(f, f.mkdir(&c, None, b"/d/e", 0o755));
    put(&mut f, b"/file", b"");
    ok!(f, f.symlink(&c, b"d", None, b"/dl"));
    err!(f, f.rmdir(&c, None, b"/d"), ENOTEMPTY);
    err!(f, f.rmdir(&c, None, b"/file"), ENOTDIR);
    err!(f, f.rmdir(&c, None, b"/file/"), ENOTDIR);
    err!(f, f.rmdir(&c, None, b"/dl"), ENOTDIR);
    err!(f, f.rmdir(&c, None, b"/dl/"), ENOTDIR);
    err!(f, f.rmdir(&c, None, b"/nope"), ENOENT);
    err!(f, f.rmdir(&c, None, b"/"), EBUSY);
    err!(f, f.rmdir(&c, None, b"/d/e/."), EINVAL);
    err!(f, f.rmdir(&c, None, b"."), EINVAL);
    err!(f, f.rmdir(&c, None, b"/d/e/.."), ENOTEMPTY);
    assert_eq!(ok!(f, f.stat(&c, None, b"/d", true)).nlink, 3);
    let c2 = at(8);
    ok!(f, f.rmdir(&c2, None, b"/d/e/"));
    let d = ok!(f, f.stat(&c, None, b"/d", true));
    assert_eq!((d.nlink, d.mtime, d.ctime), (2, ts(8), ts(8)));
    ok!(f, f.rmdir(&c, None, b"/d"));
    assert_eq!(ok!(f, f.stat(&c, None, b"/", true)).nlink, 2);
    assert_eq!(f.usage().nodes.used, 3);
}

#[test]
fn hard_links() {
    let mut f = fs();
    let c = at(2);
    put(&mut f, b"/a", b"shared");
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let c5 = at(5);
    ok!(f, f.link(&c5, None, b"/a", None, b"/d/b", false));
    let st = ok!(f, f.stat(&c, None, b"/d/b", true));
    assert_eq!((st.nlink, st.ctime), (2, ts(5)));
    assert_eq!(st.ino, ino(&f, b"/a").unwrap());
    assert_eq!(ok!(f, f.stat(&c, None, b"/d", true)).mtime, ts(5));
    err!(f, f.link(&c, None, b"/a", None, b"/d/b", false), EEXIST);
    err!(f, f.link(&c, None, b"/a", None, b"/a", false), EEXIST);
    err!(f, f.link(&c, None, b"/d", None, b"/d2", false), EPERM);
    err!(f, f.link(&c, None, b"/nope", None, b"/x", false), ENOENT);
    err!(f, f.link(&c, None, b"/a", None, b"/new/", false), ENOENT);
    err!(f, f.link(&c, None, b"/a", None, b"/nodir/x", false), ENOENT);
    err!(f, f.link(&c, None, b"/a", None, b".", false), EEXIST);
    ok!(f, f.unlink(&c, None, b"/a"));
    assert_eq!(get(&mut f, b"/d/b"), b"shared");
    assert_eq!(ok!(f, f.stat(&c, None, b"/d/b", true)).nlink, 1);
    // link to a symlink: follow decides which node gets the name.
    ok!(f, f.symlink(&c, b"d/b", None, b"/s"));
    ok!(f, f.link(&c, None, b"/s", None, b"/s2", false));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/s2", false)).mode & S_IFMT,
        S_IFLNK
    );
    ok!(f, f.link(&c, None, b"/s", None, b"/s3", true));
    assert_eq!(ino(&f, b"/s3"), ino(&f, b"/d/b"));
}

#[test]
fn symlink_and_mknod_errors() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    err!(f, f.symlink(&c, b"", None, b"/x"), ENOENT);
    err!(f, f.symlink(&c, b"x", None, b"/f"), EEXIST);
    err!(f, f.symlink(&c, b"x", None, b"/new/"), ENOENT);
    err!(f, f.symlink(&c, b"x", None, b".."), EEXIST);
    err!(f, f.symlink(&c, b"x", None, b"/f/x"), ENOTDIR);
    ok!(f, f.mknod(&c, None, b"/m", S_IFREG | 0o600, 0));
    ok!(f, f.mknod(&c, None, b"/m0", 0o640, 0));
    assert_eq!(ok!(f, f.stat(&c, None, b"/m0", true)).mode, S_IFREG | 0o640);
    err!(f, f.mknod(&c, None, b"/m", S_IFREG | 0o600, 0), EEXIST);
    err!(f, f.mknod(&c, None, b"/n/", S_IFREG | 0o600, 0), ENOENT);
    err!(f, f.mknod(&c, None, b"/d", S_IFDIR | 0o600, 0), EPERM);
    err!(f, f.mknod(&c, None, b"/p", 0o170000 | 0o600, 0), EINVAL);
    // The type is checked before the path: EINVAL/EPERM even where the
    // path would give ENOENT.
    err!(f, f.mknod(&c, None, b"/no/p", 0o170000 | 0o600, 0), EINVAL);
    err!(f, f.mknod(&c, None, b"/no/p", S_IFDIR | 0o600, 0), EPERM);
}

/// Type, mode and device number of `p` (not following a symlink).
fn kind(f: &T, p: &[u8]) -> (u32, u32, u64, u64) {
    let st = f.stat(&root(), None, p, false).unwrap();
    (st.mode & S_IFMT, st.mode & 0o7777, st.rdev, st.size)
}

#[test]
fn special_nodes_are_made_as_tmpfs_makes_them() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mknod(&c, None, b"/p", S_IFIFO | 0o640, 0x102));
    ok!(f, f.mknod(&c, None, b"/s", S_IFSOCK | 0o600, 7));
    ok!(f, f.mknod(&c, None, b"/c", S_IFCHR | 0o644, 0x102));
    ok!(f, f.mknod(&c, None, b"/b", S_IFBLK | 0o660, 0xfe64));
    // The syscall takes an unsigned int: bits above 32 never reach the node.
    ok!(
        f,
        f.mknod(&c, None, b"/big", S_IFCHR | 0o600, 0x1_ffff_ffff)
    );
    // FIFOs and sockets keep no device number; nothing has data.
    assert_eq!(kind(&f, b"/p"), (S_IFIFO, 0o640, 0, 0));
    assert_eq!(kind(&f, b"/s"), (S_IFSOCK, 0o600, 0, 0));
    assert_eq!(kind(&f, b"/c"), (S_IFCHR, 0o644, 0x102, 0));
    assert_eq!(kind(&f, b"/b"), (S_IFBLK, 0o660, 0xfe64, 0));
    assert_eq!(kind(&f, b"/big"), (S_IFCHR, 0o600, 0xffff_ffff, 0));
    assert_eq!(f.usage().chunks.used, 0);
    err!(f, f.mknod(&c, None, b"/p", S_IFIFO | 0o600, 0), EEXIST);
    err!(f, f.mknod(&c, None, b"/x/", S_IFIFO | 0o600, 0), ENOENT);
    err!(f, f.mknod(&c, None, b"/p/x", S_IFIFO | 0o600, 0), ENOTDIR);
    // readdir's d_type names each.
    let d = ok!(f, f.open(&c, None, b"/", O_RDONLY | O_DIRECTORY, 0));
    let mut kinds = Vec::new();
    ok!(
        f,
        f.readdir(d, &mut |e| {
            kinds.push((e.name.to_vec(), e.kind));
            true
        })
    );
    ok!(f, f.close(d));
    for (name, dt) in [
        (&b"p"[..], DT_FIFO),
        (b"s", DT_SOCK),
        (b"c", DT_CHR),
        (b"b", DT_BLK),
    ] {
        assert!(kinds.contains(&(name.to_vec(), dt)), "{name:?}: {kinds:?}");
    }
}

#[test]
fn special_nodes_obey_the_permission_rules() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/pub", 0o777));
    ok!(f, f.mkdir(&c, None, b"/ro", 0o555));
    let u = user(1000, 1000);
    // Anyone may make a FIFO or a socket; only root a device, except
    // Linux's whiteout (char 0:0).
    ok!(f, f.mknod(&u, None, b"/pub/p", S_IFIFO | 0o644, 0));
    ok!(f, f.mknod(&u, None, b"/pub/s", S_IFSOCK | 0o644, 0));
    err!(
        f,
        f.mknod(&u, None, b"/pub/c", S_IFCHR | 0o644, 0x102),
        EPERM
    );
    err!(f, f.mknod(&u, None, b"/pub/b", S_IFBLK | 0o644, 0), EPERM);
    ok!(f, f.mknod(&u, None, b"/pub/w", S_IFCHR | 0o644, 0));
    // EEXIST and EACCES come before the device's EPERM.
    err!(
        f,
        f.mknod(&u, None, b"/ro/c", S_IFCHR | 0o644, 0x102),
        EACCES
    );
    err!(
        f,
        f.mknod(&u, None, b"/pub/p", S_IFCHR | 0o644, 0x102),
        EEXIST
    );
    let st = f.stat(&c, None, b"/pub/p", false).unwrap();
    assert_eq!((st.uid, st.gid), (1000, 1000));
    // A setgid directory passes its group; setgid on a file for a group the
    // maker is not in goes, as on Linux.
    ok!(f, f.mkdir(&c, None, b"/sg", 0o777));
    ok!(f, f.chown(&c, None, b"/sg", 0, 55, true));
    ok!(f, f.chmod(&c, None, b"/sg", 0o2777, true));
    ok!(f, f.mknod(&u, None, b"/sg/p", S_IFIFO | 0o2770, 0));
    let st = f.stat(&c, None, b"/sg/p", false).unwrap();
    assert_eq!((st.gid, st.mode & 0o7777), (55, 0o770));
}

#[test]
fn special_nodes_open_as_linux_opens_them() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mknod(&c, None, b"/p", S_IFIFO | 0o600, 0));
    ok!(f, f.mknod(&c, None, b"/s", S_IFSOCK | 0o666, 0));
    ok!(f, f.mknod(&c, None, b"/c", S_IFCHR | 0o666, 0));
    ok!(f, f.mknod(&c, None, b"/b", S_IFBLK | 0o666, 0x102));
    // Sockets and devices have no open here; O_PATH names them.
    err!(f, f.open(&c, None, b"/s", O_RDONLY, 0), ENXIO);
    err!(f, f.open(&c, None, b"/c", O_RDWR, 0), ENXIO);
    err!(f, f.open(&c, None, b"/b", O_RDONLY, 0), ENXIO);
    let o = ok!(f, f.open(&c, None, b"/s", O_PATH, 0));
    assert_eq!(ok!(f, f.fstat(o)).mode & S_IFMT, S_IFSOCK);
    ok!(f, f.close(o));
    // Permissions come first: EACCES, not ENXIO, for a user without them.
    ok!(f, f.chmod(&c, None, b"/s", 0o600, true));
    err!(f, f.open(&user(7, 7), None, b"/s", O_RDONLY, 0), EACCES);
    err!(f, f.open(&user(7, 7), None, b"/p", O_RDONLY, 0), EACCES);
    err!(
        f,
        f.open(&c, None, b"/p", O_RDONLY | O_DIRECTORY, 0),
        ENOTDIR
    );
    err!(f, f.open(&c, None, b"/p/", O_RDONLY, 0), ENOTDIR);
    err!(
        f,
        f.open(&c, None, b"/p", O_CREAT | O_EXCL | O_WRONLY, 0o600),
        EEXIST
    );
    // A FIFO opens as a description on its node (the host makes it a pipe
    // end); O_TRUNC changes nothing.
    let before = f.stat(&c, None, b"/p", true).unwrap();
    let o = ok!(f, f.open(&at(500), None, b"/p", O_WRONLY | O_TRUNC, 0));
    assert_eq!(ok!(f, f.fstat(o)), before);
    ok!(f, f.close(o));
    // truncate is EINVAL on anything but a regular file.
    err!(f, f.truncate(&c, None, b"/p", 0), EINVAL);
}

#[test]
fn special_nodes_rename_link_unlink_and_change_like_files() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mknod(&c, None, b"/p", S_IFIFO | 0o644, 0));
    ok!(f, f.mknod(&c, None, b"/c", S_IFCHR | 0o644, 0x805));
    let p = ino(&f, b"/p").unwrap();
    ok!(f, f.rename(&c, None, b"/p", None, b"/q", 0));
    assert_eq!(ino(&f, b"/q"), Ok(p));
    ok!(f, f.link(&c, None, b"/q", None, b"/q2", false));
    assert_eq!(f.stat(&c, None, b"/q2", false).unwrap().nlink, 2);
    ok!(f, f.link(&c, None, b"/c", None, b"/c2", false));
    assert_eq!(kind(&f, b"/c2"), (S_IFCHR, 0o644, 0x805, 0));
    ok!(f, f.chmod(&at(300), None, b"/q", 0o4711, true));
    ok!(f, f.chown(&c, None, b"/q", 5, 6, true));
    let st = f.stat(&c, None, b"/q", false).unwrap();
    // chown of a non-directory drops setuid, as Linux does.
    assert_eq!((st.mode & 0o7777, st.uid, st.gid), (0o711, 5, 6));
    ok!(f, f.utimens(&c, None, b"/q", Some([ts(11), ts(22)]), true));
    let st = f.stat(&c, None, b"/q", false).unwrap();
    assert_eq!((st.atime, st.mtime), (ts(11), ts(22)));
    // Renaming over a device replaces it; the device number goes with it.
    ok!(f, f.rename(&c, None, b"/q2", None, b"/c2", 0));
    assert_eq!(kind(&f, b"/c2"), (S_IFIFO, 0o711, 0, 0));
    ok!(f, f.unlink(&c, None, b"/q"));
    ok!(f, f.unlink(&c, None, b"/c2"));
    ok!(f, f.unlink(&c, None, b"/c"));
    assert_eq!(f.usage().nodes.used, 1);
    // A freed device's slot holds no stale number for the next node.
    ok!(f, f.mknod(&c, None, b"/r", S_IFREG | 0o644, 0));
    assert_eq!(kind(&f, b"/r").2, 0);
}

#[test]
fn rename_file_cases() {
    let mut f = fs();
    let c = at(6);
    put(&mut f, b"/a", b"A");
    put(&mut f, b"/b", b"B");
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let a = ino(&f, b"/a").unwrap();
    ok!(f, f.rename(&c, None, b"/a", None, b"/d/a2", 0));
    assert_eq!(ino(&f, b"/d/a2"), Ok(a));
    err!(f, f.stat(&c, None, b"/a", true), ENOENT);
    assert_eq!(ok!(f, f.stat(&c, None, b"/d/a2", true)).ctime, ts(6));
    // Replace an existing file: the old one goes away.
    ok!(f, f.rename(&c, None, b"/d/a2", None, b"/b", 0));
    assert_eq!(get(&mut f, b"/b"), b"A");
    assert_eq!(f.usage().nodes.used, 3);
    assert_eq!(f.usage().chunks.used, 1);
    err!(f, f.rename(&c, None, b"/nope", None, b"/x", 0), ENOENT);
    err!(f, f.rename(&c, None, b"/b", None, b"/d", 0), EISDIR);
    err!(f, f.rename(&c, None, b"/d", None, b"/b", 0), ENOTDIR);
    err!(f, f.rename(&c, None, b"/b", None, b"/b/", 0), ENOTDIR);
    err!(f, f.rename(&c, None, b"/b/", None, b"/c", 0), ENOTDIR);
    err!(f, f.rename(&c, None, b"/b", None, b"/nodir/x", 0), ENOENT);
    err!(f, f.rename(&c, None, b"/b", None, b"/b/x", 0), ENOTDIR);
    // Same node: no-op, also for two hard links of it.
    ok!(f, f.rename(&c, None, b"/b", None, b"/b", 0));
    ok!(f, f.link(&c, None, b"/b", None, b"/b2", false));
    ok!(f, f.rename(&c, None, b"/b", None, b"/b2", 0));
    assert!(ino(&f, b"/b").is_ok() && ino(&f, b"/b2").is_ok());
}

#[test]
fn rename_dot_and_root_cases() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    err!(f, f.rename(&c, None, b".", None, b"/x", 0), EBUSY);
    err!(f, f.rename(&c, None, b"/d/..", None, b"/x", 0), EBUSY);
    err!(f, f.rename(&c, None, b"/", None, b"/x", 0), EBUSY);
    err!(f, f.rename(&c, None, b"/f", None, b".", 0), EBUSY);
    err!(f, f.rename(&c, None, b"/f", None, b"/d/..", 0), EBUSY);
    err!(f, f.rename(&c, None, b"/nope", None, b".", 0), EBUSY);
    err!(
        f,
        f.rename(&c, None, b"/f", None, b".", RENAME_NOREPLACE),
        EEXIST
    );
}

#[test]
fn rename_directories() {
    let mut f = fs();
    let c = root();
    for d in [&b"/a"[..], b"/a/b", b"/a/b/c", b"/e", b"/full"] {
        ok!(f, f.mkdir(&c, None, d, 0o755));
    }
    put(&mut f, b"/full/x", b"");
    err!(f, f.rename(&c, None, b"/a", None, b"/a/b/c/x", 0), EINVAL);
    err!(f, f.rename(&c, None, b"/a", None, b"/a/b", 0), EINVAL);
    err!(f, f.rename(&c, None, b"/a/b", None, b"/a", 0), ENOTEMPTY);
    err!(f, f.rename(&c, None, b"/e", None, b"/full", 0), ENOTEMPTY);
    // Over an empty directory is fine; the moved one keeps its contents.
    ok!(f, f.rename(&c, None, b"/a/b", None, b"/e/", 0));
    assert!(ino(&f, b"/e/c").is_ok());
    assert_eq!(ok!(f, f.stat(&c, None, b"/a", true)).nlink, 2);
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/e/c/..", true)).ino,
        ino(&f, b"/e").unwrap()
    );
    ok!(f, f.rename(&c, None, b"/e/c", None, b"/a/c", 0));
    assert_eq!(ok!(f, f.stat(&c, None, b"/a", true)).nlink, 3);
    assert_eq!(ok!(f, f.stat(&c, None, b"/e", true)).nlink, 2);
    assert_eq!(ls(&mut f, b"/"), ["a", "e", "full"]);
}

#[test]
fn renameat2_flags() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/a", b"A");
    put(&mut f, b"/b", b"B");
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    ok!(f, f.mkdir(&c, None, b"/d/sub", 0o755));
    err!(
        f,
        f.rename(&c, None, b"/a", None, b"/b", RENAME_NOREPLACE),
        EEXIST
    );
    err!(f, f.rename(&c, None, b"/a", None, b"/x", 8), EINVAL);
    err!(
        f,
        f.rename(
            &c,
            None,
            b"/a",
            None,
            b"/b",
            RENAME_NOREPLACE | RENAME_EXCHANGE
        ),
        EINVAL
    );
    err!(
        f,
        f.rename(&c, None, b"/a", None, b"/b", RENAME_WHITEOUT),
        EINVAL
    );
    err!(
        f,
        f.rename(&c, None, b"/a", None, b"/nope", RENAME_EXCHANGE),
        ENOENT
    );
    ok!(f, f.rename(&c, None, b"/a", None, b"/c", RENAME_NOREPLACE));
    ok!(f, f.rename(&c, None, b"/c", None, b"/b", RENAME_EXCHANGE));
    assert_eq!(get(&mut f, b"/b"), b"A");
    assert_eq!(get(&mut f, b"/c"), b"B");
    // Exchange a file with a directory in another parent: link counts follow.
    ok!(
        f,
        f.rename(&c, None, b"/c", None, b"/d/sub", RENAME_EXCHANGE)
    );
    assert_eq!(ok!(f, f.stat(&c, None, b"/c", true)).mode & S_IFMT, S_IFDIR);
    assert_eq!(get(&mut f, b"/d/sub"), b"B");
    assert_eq!(ok!(f, f.stat(&c, None, b"/d", true)).nlink, 2);
    assert_eq!(ok!(f, f.stat(&c, None, b"/", true)).nlink, 4);
    assert_eq!(ok!(f, f.stat(&c, None, b"/c/..", true)).ino, 1);
    err!(
        f,
        f.rename(&c, None, b"/d", None, b"/d/sub", RENAME_EXCHANGE),
        EINVAL
    );
    err!(
        f,
        f.rename(&c, None, b"/d/sub", None, b"/d", RENAME_EXCHANGE),
        EINVAL
    );
}

#[test]
fn readdir_sees_renamed_entry_in_new_place() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/x", b"");
    put(&mut f, b"/y", b"");
    ok!(f, f.rename(&c, None, b"/x", None, b"/z", 0));
    assert_eq!(ls(&mut f, b"/"), ["y", "z"]);
}

#[test]
fn link_ofd_names_a_tmpfile_once_unless_excl() {
    let mut f = fs();
    let c = at(3);
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let t = ok!(f, f.open(&c, None, b"/d", O_TMPFILE | O_RDWR, 0o600));
    assert_eq!(ok!(f, f.write(&c, t, b"tmp")), 3);
    assert_eq!(ok!(f, f.fstat(t)).nlink, 0);
    assert!(ls(&mut f, b"/d").is_empty());
    let c7 = at(7);
    ok!(f, f.link_ofd(&c7, t, None, b"/linked"));
    let st = ok!(f, f.fstat(t));
    assert_eq!((st.nlink, st.ctime, st.size), (1, ts(7), 3));
    assert_eq!(ok!(f, f.stat(&c, None, b"/", true)).mtime, ts(7));
    assert_eq!(get(&mut f, b"/linked"), b"tmp");
    assert_eq!(ok!(f, f.stat(&c, None, b"/linked", true)).ino, st.ino);
    // A linked file takes more names as any other, relative to a dir too.
    let d = ok!(f, f.open(&c, None, b"/d", O_PATH | O_DIRECTORY, 0));
    ok!(f, f.link_ofd(&c, t, Some(d), b"again"));
    assert_eq!(ok!(f, f.fstat(t)).nlink, 2);
    err!(f, f.link_ofd(&c, t, None, b"/linked"), EEXIST);
    err!(f, f.link_ofd(&c, t, None, b"/nodir/x"), ENOENT);
    // Once linked, it is an ordinary file: unlinked again, it stays unnamed.
    ok!(f, f.unlink(&c, None, b"/linked"));
    ok!(f, f.unlink(&c, None, b"/d/again"));
    err!(f, f.link_ofd(&c, t, None, b"/relinked"), ENOENT);
    ok!(f, f.close(t));
    // O_EXCL: never linkable.
    let e = ok!(
        f,
        f.open(&c, None, b"/d", O_TMPFILE | O_EXCL | O_WRONLY, 0o600)
    );
    err!(f, f.link_ofd(&c, e, None, b"/excl"), ENOENT);
    // The name check comes first (EEXIST), as Linux.
    put(&mut f, b"/f", b"x");
    err!(f, f.link_ofd(&c, e, None, b"/f"), EEXIST);
    ok!(f, f.close(e));
    ok!(f, f.close(d));
    assert_eq!(f.usage().nodes.used, 3, "root, /d, /f");
}

#[test]
fn link_ofd_on_o_path_files_symlinks_and_directories() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"data");
    ok!(f, f.symlink(&c, b"f", None, b"/ls"));
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let p = ok!(f, f.open(&c, None, b"/ls", O_PATH | O_NOFOLLOW, 0));
    ok!(f, f.link_ofd(&c, p, None, b"/ls2"));
    let st = ok!(f, f.stat(&c, None, b"/ls2", false));
    assert_eq!((st.mode & S_IFMT, st.nlink), (S_IFLNK, 2));
    let r = ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0));
    ok!(f, f.link_ofd(&c, r, None, b"/f2"));
    assert_eq!(get(&mut f, b"/f2"), b"data");
    let dfd = ok!(f, f.open(&c, None, b"/d", O_RDONLY | O_DIRECTORY, 0));
    err!(f, f.link_ofd(&c, dfd, None, b"/d2"), EPERM);
    err!(f, f.link_ofd(&c, dfd, None, b"/f"), EEXIST);
    // A removed ordinary file cannot be brought back.
    ok!(f, f.unlink(&c, None, b"/f"));
    ok!(f, f.unlink(&c, None, b"/f2"));
    err!(f, f.link_ofd(&c, r, None, b"/back"), ENOENT);
    // Permissions of the new directory still apply.
    ok!(f, f.chmod(&c, None, b"/d", 0o555, true));
    err!(f, f.link_ofd(&user(5, 5), p, None, b"/d/x"), EACCES);
    let bogus = OfdId::from_raw(12345);
    err!(f, f.link_ofd(&c, bogus, None, b"/x"), EBADF);
    for fd in [p, r, dfd] {
        ok!(f, f.close(fd));
    }
}

#[test]
fn link_ofd_with_the_entry_pool_full_changes_nothing() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"x");
    let t = ok!(f, f.open(&c, None, b"/", O_TMPFILE | O_RDWR, 0o600));
    let mut n = 0;
    while f
        .link(&c, None, b"/f", None, format!("/l{n}").as_bytes(), false)
        .is_ok()
    {
        n += 1;
    }
    let dirents = f.usage().dirents;
    assert_eq!(dirents.used, dirents.capacity);
    let before = ok!(f, f.fstat(t));
    err!(f, f.link_ofd(&at(9), t, None, b"/tmp"), ENOSPC);
    assert_eq!(ok!(f, f.fstat(t)), before);
    // Still linkable once there is room.
    ok!(f, f.unlink(&c, None, b"/l0"));
    ok!(f, f.link_ofd(&c, t, None, b"/tmp"));
    assert_eq!(ok!(f, f.fstat(t)).nlink, 1);
    ok!(f, f.close(t));
}

#[test]
fn readlink_ofd_reads_an_o_path_symlink() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"x");
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    ok!(f, f.symlink(&c, b"some/target", None, b"/l"));
    let p = ok!(f, f.open(&c, None, b"/l", O_PATH | O_NOFOLLOW, 0));
    let mut buf = [0u8; 64];
    assert_eq!(ok!(f, f.readlink_ofd(p, &mut buf)), 11);
    assert_eq!(&buf[..11], b"some/target");
    let mut small = [0u8; 4];
    assert_eq!(ok!(f, f.readlink_ofd(p, &mut small)), 4);
    assert_eq!(&small, b"some");
    err!(f, f.readlink_ofd(p, &mut []), EINVAL);
    // An empty path names the fd's own node: not a symlink is ENOENT.
    let d = ok!(f, f.open(&c, None, b"/d", O_RDONLY | O_DIRECTORY, 0));
    let r = ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0));
    ok!(f, f.symlink(&c, b"f", None, b"/lf"));
    let followed = ok!(f, f.open(&c, None, b"/lf", O_PATH, 0));
    err!(f, f.readlink_ofd(d, &mut buf), ENOENT);
    err!(f, f.readlink_ofd(r, &mut buf), ENOENT);
    err!(f, f.readlink_ofd(followed, &mut buf), ENOENT);
    err!(f, f.readlink_ofd(OfdId::from_raw(999), &mut buf), EBADF);
    // The link keeps answering after it is removed, while held open.
    ok!(f, f.unlink(&c, None, b"/l"));
    assert_eq!(ok!(f, f.readlink_ofd(p, &mut buf)), 11);
    for fd in [p, d, r, followed] {
        ok!(f, f.close(fd));
    }
}
