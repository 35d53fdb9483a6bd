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
    err!(f, f.mknod(&c, None, b"/p", S_IFIFO | 0o600, 0), EPERM);
    err!(f, f.mknod(&c, None, b"/p", 0o170000 | 0o600, 0), EINVAL);
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
