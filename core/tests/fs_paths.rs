//! Path resolution: relative bases, dots, slashes, symlinks, length limits.

#[macro_use]
mod fs_util;
use fs_util::*;
use imfs_core::config::{NAME_MAX, PATH_MAX, SYMLINK_DEPTH};

fn ino(f: &T, p: &[u8]) -> Result<u64, Errno> {
    f.stat(&root(), None, p, true).map(|s| s.ino)
}

#[test]
fn dots_and_slashes() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/a", 0o755));
    ok!(f, f.mkdir(&c, None, b"/a/b", 0o755));
    let b = ino(&f, b"/a/b").unwrap();
    for p in [
        &b"/a/b"[..],
        b"//a///b//",
        b"/a/./b/.",
        b"/a/b/../b",
        b"/../../a/b",
        b"a/b",
        b"./a//b/",
    ] {
        assert_eq!(ino(&f, p), Ok(b), "{}", String::from_utf8_lossy(p));
    }
    assert_eq!(ino(&f, b"/.."), Ok(1), "'..' at the root stays there");
    assert_eq!(ino(&f, b"/a/b/../.."), Ok(1));
    assert_eq!(ino(&f, b"///"), Ok(1));
    assert_eq!(ino(&f, b""), Err(Errno::ENOENT));
    assert_eq!(ino(&f, b"/a/nope/b"), Err(Errno::ENOENT));
}

#[test]
fn relative_to_a_directory_description() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/a", 0o755));
    put(&mut f, b"/a/file", b"x");
    let a = ok!(f, f.open(&c, None, b"/a", O_PATH | O_DIRECTORY, 0));
    assert_eq!(ok!(f, f.stat(&c, Some(a), b"file", true)).size, 1);
    assert_eq!(ok!(f, f.stat(&c, Some(a), b"..", true)).ino, 1);
    ok!(f, f.mkdir(&c, Some(a), b"sub", 0o755));
    assert!(ino(&f, b"/a/sub").is_ok());
    let file = ok!(f, f.open(&c, None, b"/a/file", O_RDONLY, 0));
    err!(f, f.stat(&c, Some(file), b"x", true), ENOTDIR);
    ok!(f, f.stat(&c, Some(file), b"/a", true));
}

#[test]
fn removed_cwd_keeps_working_for_dots_only() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/gone", 0o755));
    let cwd = ok!(f, f.open(&c, None, b"/gone", O_PATH | O_DIRECTORY, 0));
    ok!(f, f.rmdir(&c, None, b"/gone"));
    let st = ok!(f, f.stat(&c, Some(cwd), b".", true));
    assert_eq!(st.nlink, 0);
    err!(f, f.stat(&c, Some(cwd), b"x", true), ENOENT);
    err!(
        f,
        f.open(&c, Some(cwd), b"new", O_CREAT | O_WRONLY, 0o644),
        ENOENT
    );
    err!(f, f.mkdir(&c, Some(cwd), b"new", 0o755), ENOENT);
    err!(f, f.path_of(cwd, &mut [0u8; 64]), ENOENT);
    ok!(f, f.close(cwd));
    assert_eq!(f.usage().nodes.used, 1);
}

#[test]
fn trailing_slash_on_non_directory() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    err!(f, f.stat(&c, None, b"/f/", true), ENOTDIR);
    err!(f, f.stat(&c, None, b"/f/.", true), ENOTDIR);
    err!(f, f.stat(&c, None, b"/f/x", true), ENOTDIR);
    err!(f, f.access(&c, None, b"/f//", F_OK, true), ENOTDIR);
}

#[test]
fn name_and_path_length_limits() {
    let mut f = fs();
    let c = root();
    let long = vec![b'n'; NAME_MAX];
    let mut p = b"/".to_vec();
    p.extend_from_slice(&long);
    put(&mut f, &p, b"ok");
    assert_eq!(ls(&mut f, b"/"), [String::from_utf8(long.clone()).unwrap()]);
    p.push(b'n');
    err!(
        f,
        f.open(&c, None, &p, O_CREAT | O_WRONLY, 0o644),
        ENAMETOOLONG
    );
    err!(f, f.stat(&c, None, &p, true), ENAMETOOLONG);
    err!(f, f.mkdir(&c, None, &p, 0o755), ENAMETOOLONG);
    // A path of PATH_MAX bytes (no room for the NUL) is too long, one less is fine.
    let mut path = b"./".repeat((PATH_MAX - 1) / 2);
    path.resize(PATH_MAX - 1, b'.');
    assert_eq!(path.len(), PATH_MAX - 1);
    assert_eq!(ino(&f, &path), Ok(1));
    path.push(b'/');
    assert_eq!(ino(&f, &path), Err(Errno::ENAMETOOLONG));
}

#[test]
fn symlinks_are_followed() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    put(&mut f, b"/d/file", b"data");
    ok!(f, f.symlink(&c, b"d/file", None, b"/rel"));
    ok!(f, f.symlink(&c, b"/d", None, b"/abs"));
    ok!(f, f.symlink(&c, b"../d/./file", None, b"/d/up"));
    ok!(f, f.symlink(&c, b"abs/file", None, b"/chain"));
    let file = ino(&f, b"/d/file").unwrap();
    assert_eq!(ino(&f, b"/rel"), Ok(file));
    assert_eq!(ino(&f, b"/abs/file"), Ok(file));
    assert_eq!(ino(&f, b"/abs/up"), Ok(file));
    assert_eq!(ino(&f, b"/chain"), Ok(file));
    assert_eq!(ino(&f, b"/abs/"), ino(&f, b"/d"));
    assert_eq!(get(&mut f, b"/abs/up"), b"data");
    let l = ok!(f, f.stat(&c, None, b"/rel", false));
    assert_eq!((l.mode, l.size, l.nlink), (S_IFLNK | 0o777, 6, 1));
    // lstat with a trailing slash follows.
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/abs/", false)).mode & S_IFMT,
        S_IFDIR
    );
    err!(f, f.stat(&c, None, b"/rel/", true), ENOTDIR);
    let mut buf = [0u8; 64];
    assert_eq!(ok!(f, f.readlink(&c, None, b"/d/up", &mut buf)), 11);
    assert_eq!(&buf[..11], b"../d/./file");
    assert_eq!(ok!(f, f.readlink(&c, None, b"/d/up", &mut buf[..3])), 3);
    err!(f, f.readlink(&c, None, b"/d/file", &mut buf), EINVAL);
    err!(f, f.readlink(&c, None, b"/d/up", &mut []), EINVAL);
    err!(f, f.readlink(&c, None, b"/rel/", &mut buf), ENOTDIR);
    err!(f, f.readlink(&c, None, b"/nope", &mut buf), ENOENT);
}

#[test]
fn dangling_symlink_and_o_creat() {
    let mut f = fs();
    let c = root();
    ok!(f, f.symlink(&c, b"target", None, b"/dang"));
    err!(f, f.stat(&c, None, b"/dang", true), ENOENT);
    ok!(f, f.stat(&c, None, b"/dang", false));
    err!(
        f,
        f.open(&c, None, b"/dang", O_CREAT | O_EXCL | O_WRONLY, 0o644),
        EEXIST
    );
    err!(f, f.mkdir(&c, None, b"/dang/", 0o755), EEXIST);
    err!(
        f,
        f.open(&c, None, b"/dang/", O_CREAT | O_WRONLY, 0o644),
        EISDIR
    );
    err!(
        f,
        f.open(&c, None, b"/dang", O_CREAT | O_NOFOLLOW | O_WRONLY, 0o644),
        ELOOP
    );
    let fd = ok!(f, f.open(&c, None, b"/dang", O_CREAT | O_WRONLY, 0o644));
    ok!(f, f.close(fd));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/target", false)).mode,
        S_IFREG | 0o644
    );
}

#[test]
fn symlink_loops_and_depth() {
    let mut f = fs();
    let c = root();
    ok!(f, f.symlink(&c, b"b", None, b"/a"));
    ok!(f, f.symlink(&c, b"a", None, b"/b"));
    err!(f, f.stat(&c, None, b"/a", true), ELOOP);
    err!(f, f.open(&c, None, b"/a/x", O_RDONLY, 0), ELOOP);
    ok!(f, f.stat(&c, None, b"/a", false));
    // A chain of exactly SYMLINK_DEPTH links resolves; one more is ELOOP.
    let mut f: Box<Fs<64, 64, 64, 512, 8>> = Box::new(Fs::new());
    put(&mut f, b"/l0", b"end");
    for i in 1..=SYMLINK_DEPTH + 1 {
        let target = format!("l{}", i - 1);
        let name = format!("/l{i}");
        ok!(f, f.symlink(&c, target.as_bytes(), None, name.as_bytes()));
    }
    let deep = format!("/l{SYMLINK_DEPTH}");
    assert_eq!(ok!(f, f.stat(&c, None, deep.as_bytes(), true)).size, 3);
    let deeper = format!("/l{}", SYMLINK_DEPTH + 1);
    err!(f, f.stat(&c, None, deeper.as_bytes(), true), ELOOP);
}

#[test]
fn symlink_expansion_past_path_max() {
    let mut f: Box<Fs<16, 32, 64, 512, 8>> = Box::new(Fs::new());
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let mut target = b"/d".to_vec();
    while target.len() < PATH_MAX - 10 {
        target.extend_from_slice(b"/.");
    }
    ok!(f, f.symlink(&c, &target, None, b"/l"));
    ok!(f, f.stat(&c, None, b"/l", true));
    let mut p = b"/l".to_vec();
    for _ in 0..10 {
        p.extend_from_slice(b"/.");
    }
    err!(f, f.stat(&c, None, &p, true), ENAMETOOLONG);
    err!(
        f,
        f.symlink(&c, &vec![b'x'; PATH_MAX], None, b"/m"),
        ENAMETOOLONG
    );
    ok!(f, f.symlink(&c, &vec![b'x'; PATH_MAX - 1], None, b"/m"));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/m", false)).size as usize,
        PATH_MAX - 1
    );
}

#[test]
fn path_of_builds_absolute_paths() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/usr", 0o755));
    ok!(f, f.mkdir(&c, None, b"/usr/lib", 0o755));
    let d = ok!(f, f.open(&c, None, b"/usr/lib", O_PATH | O_DIRECTORY, 0));
    let mut buf = [0u8; 64];
    let n = ok!(f, f.path_of(d, &mut buf));
    assert_eq!(&buf[..n], b"/usr/lib");
    err!(f, f.path_of(d, &mut buf[..7]), ERANGE);
    assert_eq!(ok!(f, f.path_of(d, &mut buf[..8])), 8);
    ok!(f, f.rename(&c, None, b"/usr", None, b"/opt", 0));
    let n = ok!(f, f.path_of(d, &mut buf));
    assert_eq!(&buf[..n], b"/opt/lib");
    let r = ok!(f, f.open(&c, None, b"/", O_PATH, 0));
    let n = ok!(f, f.path_of(r, &mut buf));
    assert_eq!(&buf[..n], b"/");
    err!(f, f.path_of(r, &mut []), ERANGE);
    put(&mut f, b"/file", b"");
    let file = ok!(f, f.open(&c, None, b"/file", O_PATH, 0));
    err!(f, f.path_of(file, &mut buf), ENOTDIR);
}

#[test]
fn overlong_last_name_is_reported_when_looked_up() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    let long = vec![b'L'; NAME_MAX + 1];
    let mut slash = long.clone();
    slash.push(b'/');
    // Linux walks both parents before looking either name up.
    err!(f, f.rename(&c, None, &long, None, b"/a/a", 0), ENOENT);
    err!(f, f.rename(&c, None, b"/f", None, &long, 0), ENAMETOOLONG);
    err!(f, f.rename(&c, None, &long, None, b"/f", 0), ENAMETOOLONG);
    err!(
        f,
        f.open(&c, None, &slash, O_CREAT | O_WRONLY, 0o644),
        EISDIR
    );
    err!(
        f,
        f.open(&c, None, &long, O_CREAT | O_WRONLY, 0o644),
        ENAMETOOLONG
    );
    err!(f, f.unlink(&c, None, &long), ENAMETOOLONG);
    err!(f, f.rmdir(&c, None, &long), ENAMETOOLONG);
    err!(f, f.link(&c, None, b"/f", None, &long, false), ENAMETOOLONG);
    err!(f, f.symlink(&c, b"x", None, &long), ENAMETOOLONG);
    let mut prefix = long.clone();
    prefix.extend_from_slice(b"/x");
    err!(f, f.stat(&c, None, &prefix, true), ENAMETOOLONG);
}

/// Linux's lookup in a removed directory fails ENOENT before the filesystem
/// sees the name, so an overlong name there is ENOENT, not ENAMETOOLONG.
#[test]
fn overlong_name_in_a_removed_directory_is_enoent() {
    let mut f = fs();
    let c = root();
    let long = vec![b'L'; NAME_MAX + 1];
    let mut deeper = long.clone();
    deeper.extend_from_slice(b"/x");
    put(&mut f, b"/f", b"");
    ok!(f, f.mkdir(&c, None, b"/live", 0o755));
    let live = ok!(f, f.open(&c, None, b"/live", O_PATH | O_DIRECTORY, 0));
    // Removed by rmdir, and replaced by a rename over it.
    ok!(f, f.mkdir(&c, None, b"/gone", 0o755));
    let gone = ok!(f, f.open(&c, None, b"/gone", O_PATH | O_DIRECTORY, 0));
    ok!(f, f.rmdir(&c, None, b"/gone"));
    ok!(f, f.mkdir(&c, None, b"/old", 0o755));
    ok!(f, f.mkdir(&c, None, b"/new", 0o755));
    let replaced = ok!(f, f.open(&c, None, b"/old", O_RDONLY, 0));
    ok!(f, f.rename(&c, None, b"/new", None, b"/old", 0));
    err!(f, f.stat(&c, Some(live), &long, true), ENAMETOOLONG);
    err!(f, f.stat(&c, Some(live), &deeper, true), ENAMETOOLONG);
    for d in [gone, replaced] {
        let at = Some(d);
        err!(f, f.stat(&c, at, &long, true), ENOENT);
        err!(f, f.stat(&c, at, &deeper, true), ENOENT);
        err!(f, f.access(&c, at, &long, F_OK, true), ENOENT);
        err!(f, f.open(&c, at, &long, O_RDONLY, 0), ENOENT);
        err!(f, f.open(&c, at, &long, O_CREAT | O_WRONLY, 0o644), ENOENT);
        err!(f, f.mkdir(&c, at, &long, 0o755), ENOENT);
        err!(f, f.mknod(&c, at, &long, S_IFREG | 0o644, 0), ENOENT);
        err!(f, f.truncate(&c, at, &long, 0), ENOENT);
        err!(f, f.unlink(&c, at, &long), ENOENT);
        err!(f, f.rmdir(&c, at, &long), ENOENT);
        err!(f, f.link(&c, None, b"/f", at, &long, false), ENOENT);
        err!(f, f.symlink(&c, b"t", at, &long), ENOENT);
        err!(f, f.readlink(&c, at, &long, &mut [0u8; 8]), ENOENT);
        err!(f, f.chmod(&c, at, &long, 0o644, true), ENOENT);
        err!(f, f.rename(&c, at, &long, None, b"/x", 0), ENOENT);
        err!(f, f.rename(&c, None, b"/f", at, &long, 0), ENOENT);
        // "." is refused before any name is looked up.
        err!(f, f.rename(&c, at, b".", at, &long, 0), EBUSY);
    }
    assert_eq!(ls(&mut f, b"/"), ["f", "live", "old"]);
    for d in [live, gone, replaced] {
        ok!(f, f.close(d));
    }
}

/// An unnamed file may still be made in a removed directory (tmpfs allows it).
#[test]
fn o_tmpfile_in_a_removed_directory() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/gone", 0o755));
    let gone = ok!(f, f.open(&c, None, b"/gone", O_PATH | O_DIRECTORY, 0));
    ok!(f, f.rmdir(&c, None, b"/gone"));
    let t = ok!(f, f.open(&c, Some(gone), b".", O_TMPFILE | O_RDWR, 0o600));
    assert_eq!(ok!(f, f.write(&c, t, b"x")), 1);
    err!(
        f,
        f.open(&c, Some(gone), b"n", O_CREAT | O_WRONLY, 0o600),
        ENOENT
    );
    ok!(f, f.close(t));
    ok!(f, f.close(gone));
    assert_eq!(f.usage().nodes.used, 1);
}

#[test]
fn a_mounted_filesystem_is_left_by_dotdot_at_its_root_and_absolute_targets() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    ok!(f, f.symlink(&c, b"/etc/hosts", None, b"/d/abs"));
    ok!(f, f.symlink(&c, b"..", None, b"/d/up"));
    f.set_mounted(true);
    let mut rest = [0u8; PATH_MAX];
    let mut exit = |f: &T, p: &[u8], follow_last: bool| {
        f.exit_of(&c, None, p, follow_last, &mut rest)
            .unwrap()
            .map(|e| (e.up, e.followed, rest[..e.len].to_vec()))
    };
    // Inside, as before: `..` below the root, relative targets.
    assert_eq!(ino(&f, b"/d/.."), Ok(1));
    assert_eq!(ino(&f, b"/d/up/d"), ino(&f, b"/d"));
    assert_eq!(exit(&f, b"/d/..", true), None);
    // `..` above the root: EXDEV, and the rest goes on from the mount's parent.
    assert_eq!(ino(&f, b"/.."), Err(Errno::EXDEV));
    err!(f, f.mkdir(&c, None, b"/d/../../x", 0o755), EXDEV);
    assert_eq!(
        exit(&f, b"/d/../../x/y", true),
        Some((true, false, b"/x/y".to_vec()))
    );
    assert_eq!(exit(&f, b"/..", true), Some((true, false, b"".to_vec())));
    assert_eq!(
        exit(&f, b"d/up/../z", true),
        Some((true, true, b"/z".to_vec()))
    );
    // An absolute target: the rest starts with it.
    assert_eq!(ino(&f, b"/d/abs"), Err(Errno::EXDEV));
    assert_eq!(
        exit(&f, b"/d/abs/x", false),
        Some((false, true, b"/etc/hosts/x".to_vec()))
    );
    // Not followed, it is the link itself.
    assert!(f.stat(&c, None, b"/d/abs", false).is_ok());
    assert_eq!(exit(&f, b"/d/abs", false), None);
    assert_eq!(
        exit(&f, b"/d/abs", true),
        Some((false, true, b"/etc/hosts".to_vec()))
    );
    // Unmounted again: the root is its own parent, targets start there.
    f.set_mounted(false);
    assert_eq!(ino(&f, b"/.."), Ok(1));
    assert_eq!(ino(&f, b"/d/abs"), Err(Errno::ENOENT));
}
