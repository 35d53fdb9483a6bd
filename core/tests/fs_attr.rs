//! stat fields, truncate, chmod, chown, utimens, access and permission checks.

#[macro_use]
mod fs_util;
use fs_util::*;
use imfs_core::config::MAX_FILE_SIZE;

#[test]
fn truncate_grows_and_shrinks() {
    let mut f = fs();
    let c = at(3);
    put(&mut f, b"/f", &[7u8; 1500]);
    assert_eq!(f.usage().chunks.used, 3);
    let c5 = at(5);
    ok!(f, f.truncate(&c5, None, b"/f", 100));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!(
        (st.size, st.blocks, st.mtime, st.ctime),
        (100, 1, ts(5), ts(5))
    );
    assert_eq!(f.usage().chunks.used, 1);
    ok!(f, f.truncate(&c, None, b"/f", 3000));
    let data = get(&mut f, b"/f");
    assert_eq!(data.len(), 3000);
    assert!(data[..100].iter().all(|&b| b == 7));
    assert!(
        data[100..].iter().all(|&b| b == 0),
        "regrown bytes read as zero"
    );
    assert_eq!(f.usage().chunks.used, 1, "growing adds a hole");
    let c9 = at(9);
    ok!(f, f.truncate(&c9, None, b"/f", 3000));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!(
        (st.size, st.mtime, st.ctime),
        (3000, ts(9), ts(9)),
        "same size: stamped anyway, as tmpfs"
    );
    err!(f, f.truncate(&c, None, b"/f", -1), EINVAL);
    err!(
        f,
        f.truncate(&c, None, b"/f", MAX_FILE_SIZE as i64 + 1),
        EFBIG
    );
    ok!(f, f.truncate(&c, None, b"/f", MAX_FILE_SIZE as i64));
    ok!(f, f.truncate(&c, None, b"/f", 0));
    assert_eq!(f.usage().chunks.used, 0);
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    err!(f, f.truncate(&c, None, b"/d", 0), EISDIR);
    err!(f, f.truncate(&c, None, b"/nope", 0), ENOENT);
    ok!(f, f.symlink(&c, b"f", None, b"/l"));
    ok!(f, f.truncate(&c, None, b"/l", 10));
    assert_eq!(ok!(f, f.stat(&c, None, b"/f", true)).size, 10);
}

#[test]
fn ftruncate_needs_a_writable_regular_file() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"abc");
    let r = ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0));
    err!(f, f.ftruncate(&c, r, 0), EINVAL);
    let w = ok!(f, f.open(&c, None, b"/f", O_WRONLY, 0));
    err!(f, f.ftruncate(&c, w, -1), EINVAL);
    err!(f, f.ftruncate(&c, w, MAX_FILE_SIZE as i64 + 1), EFBIG);
    ok!(f, f.ftruncate(&c, w, 1));
    assert_eq!(get(&mut f, b"/f"), b"a");
    let d = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    err!(f, f.ftruncate(&c, d, 0), EINVAL);
}

#[test]
fn writes_at_the_size_limit() {
    let mut f = fs();
    let c = root();
    let fd = ok!(f, f.open(&c, None, b"/f", O_CREAT | O_RDWR, 0o644));
    err!(f, f.pwrite(&c, fd, b"x", MAX_FILE_SIZE), EFBIG);
    assert_eq!(
        ok!(f, f.pwrite(&c, fd, b"abcd", MAX_FILE_SIZE - 2)),
        2,
        "short at the limit"
    );
    assert_eq!(ok!(f, f.fstat(fd)).size, MAX_FILE_SIZE);
    assert_eq!(ok!(f, f.write(&c, fd, b"")), 0);
    ok!(f, f.lseek(fd, 0, SEEK_END));
    err!(f, f.write(&c, fd, b"y"), EFBIG);
    err!(f, f.lseek(fd, 1, SEEK_END), EINVAL);
}

#[test]
fn chmod_and_chown() {
    let mut f = fs();
    let c = at(4);
    put(&mut f, b"/f", b"");
    ok!(f, f.chmod(&c, None, b"/f", 0o4755 | S_IFDIR, true));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.mode, st.ctime), (S_IFREG | 0o4755, ts(4)));
    ok!(f, f.symlink(&c, b"f", None, b"/l"));
    err!(f, f.chmod(&c, None, b"/l", 0o600, false), EOPNOTSUPP);
    ok!(f, f.chmod(&c, None, b"/l", 0o6755, true));
    // chown of a regular file drops setuid, and setgid with group x.
    ok!(f, f.chown(&c, None, b"/f", 5, u32::MAX, true));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.uid, st.gid, st.mode), (5, 0, S_IFREG | 0o755));
    ok!(f, f.chmod(&c, None, b"/f", 0o2745, true));
    ok!(f, f.chown(&c, None, b"/f", u32::MAX, 7, true));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.uid, st.gid, st.mode), (5, 7, S_IFREG | 0o2745));
    ok!(f, f.chown(&c, None, b"/l", 9, 9, false));
    assert_eq!(ok!(f, f.stat(&c, None, b"/l", false)).uid, 9);
    assert_eq!(ok!(f, f.stat(&c, None, b"/f", true)).uid, 5);
    ok!(f, f.mkdir(&c, None, b"/d", 0o2755));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/d", true)).mode,
        S_IFDIR | 0o755,
        "mkdir drops setgid"
    );
    ok!(f, f.chmod(&c, None, b"/d", 0o2755, true));
    ok!(f, f.chown(&c, None, b"/d", 1, 1, true));
    assert_eq!(ok!(f, f.stat(&c, None, b"/d", true)).mode, S_IFDIR | 0o2755);
    let fd = ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0));
    ok!(f, f.fchmod(&c, fd, 0o600));
    ok!(f, f.fchown(&c, fd, 3, 4));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.uid, st.gid, st.mode), (3, 4, S_IFREG | 0o600));
}

#[test]
fn chmod_chown_permissions() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    ok!(f, f.chown(&c, None, b"/f", 10, 10, true));
    let owner = user(10, 10);
    let other = user(11, 11);
    err!(f, f.chmod(&other, None, b"/f", 0o777, true), EPERM);
    ok!(f, f.chmod(&owner, None, b"/f", 0o2770, true));
    assert_eq!(ok!(f, f.stat(&c, None, b"/f", true)).mode, S_IFREG | 0o2770);
    // A non-member owner loses setgid on chmod.
    let owner_other_group = user(10, 99);
    ok!(f, f.chmod(&owner_other_group, None, b"/f", 0o2770, true));
    assert_eq!(ok!(f, f.stat(&c, None, b"/f", true)).mode, S_IFREG | 0o770);
    err!(f, f.chown(&owner, None, b"/f", 11, u32::MAX, true), EPERM);
    err!(f, f.chown(&other, None, b"/f", u32::MAX, 11, true), EPERM);
    err!(f, f.chown(&owner, None, b"/f", u32::MAX, 12, true), EPERM);
    ok!(f, f.chown(&owner, None, b"/f", 10, 10, true));
    ok!(f, f.chown(&user(10, 20), None, b"/f", u32::MAX, 20, true));
    assert_eq!(ok!(f, f.stat(&c, None, b"/f", true)).gid, 20);
}

#[test]
fn utimens_rules() {
    let mut f = fs();
    let c = at(10);
    put(&mut f, b"/f", b"");
    let t = |sec, nsec| Timespec { sec, nsec };
    ok!(
        f,
        f.utimens(&c, None, b"/f", Some([t(1, 2), t(3, 4)]), true)
    );
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.atime, st.mtime, st.ctime), (t(1, 2), t(3, 4), ts(10)));
    let c20 = at(20);
    ok!(
        f,
        f.utimens(
            &c20,
            None,
            b"/f",
            Some([t(0, UTIME_OMIT), t(0, UTIME_NOW)]),
            true
        )
    );
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.atime, st.mtime, st.ctime), (t(1, 2), ts(20), ts(20)));
    let c30 = at(30);
    ok!(
        f,
        f.utimens(&c30, None, b"/f", Some([t(0, UTIME_OMIT); 2]), true)
    );
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/f", true)).ctime,
        ts(20),
        "both omitted: nothing changes"
    );
    ok!(
        f,
        f.utimens(&c30, None, b"/nope", Some([t(0, UTIME_OMIT); 2]), true)
    );
    ok!(f, f.utimens(&c30, None, b"/f", None, true));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.atime, st.mtime, st.ctime), (ts(30), ts(30), ts(30)));
    err!(
        f,
        f.utimens(&c, None, b"/f", Some([t(0, 1_000_000_000), t(0, 0)]), true),
        EINVAL
    );
    err!(
        f,
        f.utimens(&c, None, b"/f", Some([t(0, -1), t(0, 0)]), true),
        EINVAL
    );
    err!(f, f.utimens(&c, None, b"/nope", None, true), ENOENT);
    // Others: explicit times need ownership; "now" needs write access.
    ok!(f, f.chmod(&c, None, b"/f", 0o646, true));
    let u = user(5, 5);
    err!(
        f,
        f.utimens(&u, None, b"/f", Some([t(1, 0), t(1, 0)]), true),
        EPERM
    );
    ok!(f, f.utimens(&u, None, b"/f", None, true));
    ok!(f, f.chmod(&c, None, b"/f", 0o644, true));
    err!(f, f.utimens(&u, None, b"/f", None, true), EACCES);
    let fd = ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0));
    ok!(f, f.futimens(&c, fd, Some([t(7, 0), t(0, UTIME_OMIT)])));
    assert_eq!(ok!(f, f.fstat(fd)).atime, ts(7));
}

#[test]
fn timestamps_follow_linux() {
    let mut f = fs();
    let fd = ok!(f, f.open(&at(50), None, b"/f", O_CREAT | O_RDWR, 0o644));
    ok!(f, f.write(&at(60), fd, b"abc"));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.mtime, st.ctime), (ts(60), ts(60)));
    ok!(f, f.pread(&at(70), fd, &mut [0u8; 3], 0));
    assert_eq!(
        ok!(f, f.fstat(fd)).atime,
        ts(70),
        "relatime: atime older than mtime is refreshed"
    );
    ok!(f, f.pread(&at(80), fd, &mut [0u8; 3], 0));
    assert_eq!(
        ok!(f, f.fstat(fd)).atime,
        ts(70),
        "relatime: recent atime is kept"
    );
    ok!(f, f.pread(&at(70 + 86400), fd, &mut [0u8; 3], 0));
    assert_eq!(ok!(f, f.fstat(fd)).atime, ts(70 + 86400));
    ok!(f, f.mkdir(&at(90), None, b"/d", 0o755));
    let st = ok!(f, f.stat(&root(), None, b"/", true));
    assert_eq!((st.mtime, st.ctime), (ts(90), ts(90)));
}

#[test]
fn permission_checks_for_users() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/priv", 0o700));
    put(&mut f, b"/priv/f", b"secret");
    ok!(f, f.mkdir(&c, None, b"/pub", 0o777));
    put(&mut f, b"/ro", b"r");
    let u = user(1000, 1000);
    err!(f, f.stat(&u, None, b"/priv/f", true), EACCES);
    err!(f, f.open(&u, None, b"/priv/f", O_RDONLY, 0), EACCES);
    ok!(f, f.stat(&u, None, b"/priv", true));
    err!(f, f.open(&u, None, b"/priv", O_RDONLY, 0), EACCES);
    err!(f, f.open(&u, None, b"/ro", O_WRONLY, 0), EACCES);
    err!(f, f.open(&u, None, b"/ro", O_RDONLY | O_TRUNC, 0), EACCES);
    ok!(f, f.open(&u, None, b"/ro", O_RDONLY, 0));
    err!(
        f,
        f.open(&u, None, b"/new", O_CREAT | O_WRONLY, 0o644),
        EACCES
    );
    err!(f, f.mkdir(&u, None, b"/new", 0o755), EACCES);
    err!(f, f.unlink(&u, None, b"/ro"), EACCES);
    err!(f, f.truncate(&u, None, b"/ro", 0), EACCES);
    let fd = ok!(f, f.open(&u, None, b"/pub/mine", O_CREAT | O_WRONLY, 0o600));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.uid, st.gid), (1000, 1000));
    err!(
        f,
        f.open(&user(1001, 1000), None, b"/pub/mine", O_RDONLY, 0),
        EACCES
    );
    ok!(f, f.open(&c, None, b"/pub/mine", O_RDONLY, 0));
    // access: root needs an x bit to execute a file.
    ok!(f, f.access(&c, None, b"/ro", R_OK | W_OK, true));
    err!(f, f.access(&c, None, b"/ro", X_OK, true), EACCES);
    ok!(f, f.access(&c, None, b"/priv", X_OK, true));
    err!(f, f.access(&u, None, b"/ro", W_OK, true), EACCES);
    ok!(f, f.access(&u, None, b"/ro", R_OK, true));
    err!(f, f.access(&c, None, b"/ro", 8, true), EINVAL);
    ok!(f, f.access(&c, None, b"/ro", F_OK, true));
    err!(f, f.access(&c, None, b"/nope", F_OK, true), ENOENT);
    // group class
    ok!(f, f.chown(&c, None, b"/ro", 1, 1000, true));
    ok!(f, f.chmod(&c, None, b"/ro", 0o064, true));
    ok!(f, f.access(&u, None, b"/ro", W_OK, true));
    err!(
        f,
        f.access(&user(1, 1000), None, b"/ro", R_OK, true),
        EACCES
    );
}

#[test]
fn sticky_directories() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/tmp", 0o1777));
    let a = user(1, 1);
    let b = user(2, 2);
    put(&mut f, b"/tmp/root_file", b"");
    ok!(f, f.chmod(&c, None, b"/tmp/root_file", 0o666, true));
    let fd = ok!(f, f.open(&a, None, b"/tmp/a", O_CREAT | O_WRONLY, 0o666));
    ok!(f, f.close(fd));
    err!(f, f.unlink(&b, None, b"/tmp/a"), EPERM);
    err!(f, f.rename(&b, None, b"/tmp/a", None, b"/tmp/x", 0), EPERM);
    err!(f, f.unlink(&a, None, b"/tmp/root_file"), EPERM);
    ok!(f, f.unlink(&a, None, b"/tmp/a"));
}

#[test]
fn statfs_and_usage() {
    let mut f = fs();
    let s = f.statfs();
    assert_eq!(
        (s.fs_type, s.bsize, s.frsize, s.blocks, s.bfree),
        (TMPFS_MAGIC, 512, 512, 16, 16)
    );
    assert_eq!(
        (s.files, s.ffree, s.namelen),
        (16, 15, imfs_core::config::NAME_MAX as u64)
    );
    put(&mut f, b"/f", &[1u8; 600]);
    let s = f.statfs();
    assert_eq!((s.bfree, s.bavail, s.ffree), (14, 14, 14));
    let u = f.usage();
    assert_eq!(
        (
            u.nodes.used,
            u.dirents.used,
            u.chunks.used,
            u.open_files.used
        ),
        (2, 1, 2, 0)
    );
    assert_eq!(
        (u.nodes.capacity, u.dirents.capacity, u.open_files.capacity),
        (16, 32, 8)
    );
}

/// Mode bits after `change` is made by `who` to a file of mode `perm`
/// owned by 1000 and group `gid`.
fn mode_after(who: &Ctx, perm: u32, gid: u32, change: &str) -> u32 {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"12345");
    ok!(f, f.chown(&c, None, b"/f", 1000, gid, true));
    ok!(f, f.chmod(&c, None, b"/f", perm, true));
    match change {
        "ftruncate" => {
            let fd = ok!(f, f.open(who, None, b"/f", O_RDWR, 0));
            ok!(f, f.ftruncate(who, fd, 0));
        }
        "ftruncate same size" => {
            let fd = ok!(f, f.open(who, None, b"/f", O_RDWR, 0));
            ok!(f, f.ftruncate(who, fd, 5));
        }
        "truncate" => ok!(f, f.truncate(who, None, b"/f", 10)),
        "truncate same size" => ok!(f, f.truncate(who, None, b"/f", 5)),
        "O_TRUNC" => {
            ok!(f, f.open(who, None, b"/f", O_WRONLY | O_TRUNC, 0));
        }
        "write" => {
            let fd = ok!(f, f.open(who, None, b"/f", O_WRONLY, 0));
            assert_eq!(ok!(f, f.write(who, fd, b"x")), 1);
        }
        _ => unreachable!(),
    }
    ok!(f, f.stat(&c, None, b"/f", true)).mode & 0o7777
}

/// Results seen on tmpfs (Linux 6.18) for uid 1000 in group 1000.
#[test]
fn size_and_content_changes_by_a_user_drop_setuid_and_setgid() {
    let u = user(1000, 1000);
    for change in [
        "ftruncate",
        "ftruncate same size",
        "truncate",
        "truncate same size",
        "O_TRUNC",
        "write",
    ] {
        // In the file's group: setgid goes only with group execute.
        assert_eq!(mode_after(&u, 0o6755, 1000, change), 0o755, "{change}");
        assert_eq!(mode_after(&u, 0o6745, 1000, change), 0o2745, "{change}");
        assert_eq!(mode_after(&u, 0o4700, 1000, change), 0o700, "{change}");
        assert_eq!(mode_after(&u, 0o2705, 1000, change), 0o2705, "{change}");
        // Not in it: setgid goes regardless.
        assert_eq!(mode_after(&u, 0o2745, 2000, change), 0o745, "{change}");
        assert_eq!(mode_after(&u, 0o6745, 2000, change), 0o745, "{change}");
        // Root keeps both.
        assert_eq!(
            mode_after(&root(), 0o6745, 2000, change),
            0o6745,
            "{change}"
        );
        assert_eq!(mode_after(&root(), 0o6755, 0, change), 0o6755, "{change}");
    }
}

#[test]
fn dropping_setuid_stamps_ctime_and_a_failed_truncate_drops_nothing() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"12345");
    ok!(f, f.chown(&at(1), None, b"/f", 1000, 1000, true));
    ok!(f, f.chmod(&at(1), None, b"/f", 0o4755, true));
    let u = user(1000, 1000);
    err!(
        f,
        f.truncate(&u, None, b"/f", MAX_FILE_SIZE as i64 + 1),
        EFBIG
    );
    err!(f, f.truncate(&u, None, b"/f", -1), EINVAL);
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!((st.mode & 0o7777, st.ctime), (0o4755, ts(1)));
    ok!(f, f.truncate(&u, None, b"/f", 5));
    let st = ok!(f, f.stat(&c, None, b"/f", true));
    assert_eq!(
        (st.mode & 0o7777, st.ctime, st.mtime),
        (0o755, ts(200), ts(200)),
        "same size: mode, ctime and mtime change"
    );
}

#[test]
fn short_symlinks_report_no_blocks_as_tmpfs_inlines_them() {
    let mut f = fs();
    let c = root();
    let short = [b'a'; 127];
    let long = [b'b'; 128];
    ok!(f, f.symlink(&c, &short, None, b"/short"));
    ok!(f, f.symlink(&c, &long, None, b"/long"));
    ok!(f, f.symlink(&c, b"x", None, b"/one"));
    let blocks = |f: &T, p: &[u8]| f.stat(&c, None, p, false).map(|s| (s.size, s.blocks));
    assert_eq!(blocks(&f, b"/short"), Ok((127, 0)));
    assert_eq!(blocks(&f, b"/one"), Ok((1, 0)));
    // 128 bytes and more live in a page on tmpfs: blocks of one chunk here.
    assert_eq!(blocks(&f, b"/long"), Ok((128, 1)));
    // Storage is unchanged: every target still takes a chunk.
    assert_eq!(f.usage().chunks.used, 3);
    let p = ok!(f, f.open(&c, None, b"/short", O_PATH | O_NOFOLLOW, 0));
    assert_eq!(ok!(f, f.fstat(p)).blocks, 0);
}

#[test]
fn truncate_to_the_same_size_stamps_mtime_and_ctime() {
    let mut f = fs();
    put(&mut f, b"/f", b"abc");
    ok!(f, f.truncate(&at(50), None, b"/f", 3));
    let st = ok!(f, f.stat(&root(), None, b"/f", true));
    assert_eq!((st.size, st.mtime, st.ctime), (3, ts(50), ts(50)));
    let fd = ok!(f, f.open(&root(), None, b"/f", O_WRONLY, 0));
    ok!(f, f.ftruncate(&at(60), fd, 3));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.mtime, st.ctime), (3, ts(60), ts(60)));
    assert_eq!(get(&mut f, b"/f"), b"abc");
}

#[test]
fn utimens_by_a_writer_who_is_not_the_owner_may_only_touch() {
    let mut f = fs();
    let c = at(10);
    put(&mut f, b"/rw", b"");
    ok!(f, f.chmod(&c, None, b"/rw", 0o666, true));
    let t = |nsec| Timespec { sec: 0, nsec };
    let u = user(5, 5);
    // NULL and {NOW, NOW} are a "touch": write permission is enough.
    ok!(f, f.utimens(&u, None, b"/rw", None, true));
    ok!(
        f,
        f.utimens(&u, None, b"/rw", Some([t(UTIME_NOW), t(UTIME_NOW)]), true)
    );
    // Any other combination needs the owner.
    for times in [
        [t(UTIME_NOW), t(UTIME_OMIT)],
        [t(UTIME_OMIT), t(UTIME_NOW)],
        [t(UTIME_NOW), t(5)],
        [t(5), t(UTIME_OMIT)],
    ] {
        err!(f, f.utimens(&u, None, b"/rw", Some(times), true), EPERM);
        let fd = ok!(f, f.open(&u, None, b"/rw", O_RDWR, 0));
        err!(f, f.futimens(&u, fd, Some(times)), EPERM);
        ok!(f, f.close(fd));
    }
    // Both omitted: success before any check, even on a missing file.
    let omit = Some([t(UTIME_OMIT); 2]);
    ok!(f, f.utimens(&u, None, b"/rw", omit, true));
    ok!(f, f.utimens(&u, None, b"/nope", omit, true));
    // The owner and root may do any of it.
    ok!(f, f.chown(&c, None, b"/rw", 5, 5, true));
    ok!(
        f,
        f.utimens(&u, None, b"/rw", Some([t(UTIME_NOW), t(UTIME_OMIT)]), true)
    );
    ok!(
        f,
        f.utimens(&c, None, b"/rw", Some([t(UTIME_OMIT), t(UTIME_NOW)]), true)
    );
    // Without write permission a non-owner cannot even touch.
    ok!(f, f.chown(&c, None, b"/rw", 0, 0, true));
    ok!(f, f.chmod(&c, None, b"/rw", 0o644, true));
    err!(f, f.utimens(&u, None, b"/rw", None, true), EACCES);
    err!(
        f,
        f.utimens(&u, None, b"/rw", Some([t(UTIME_NOW), t(UTIME_OMIT)]), true),
        EPERM
    );
}
