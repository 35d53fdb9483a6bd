//! Running out of every pool: the right errno, nothing half-done, and the
//! whole capacity usable again after freeing.

#[macro_use]
mod fs_util;
use fs_util::*;
use imfs_core::config::{NAME_MAX, PATH_MAX};

fn name(i: usize) -> Vec<u8> {
    format!("/n{i}").into_bytes()
}

#[test]
fn node_pool_exhaustion_and_recovery() {
    let mut f = fs();
    let c = root();
    for round in 0..3 {
        for i in 0..15 {
            if i % 2 == 0 {
                ok!(f, f.mkdir(&c, None, &name(i), 0o755));
            } else {
                put(&mut f, &name(i), b"");
            }
        }
        err!(
            f,
            f.open(&c, None, b"/x", O_CREAT | O_WRONLY, 0o644),
            ENOSPC
        );
        err!(f, f.mkdir(&c, None, b"/x", 0o755), ENOSPC);
        err!(f, f.symlink(&c, b"t", None, b"/x"), ENOSPC);
        err!(f, f.mknod(&c, None, b"/x", S_IFREG, 0), ENOSPC);
        assert_eq!(f.statfs().ffree, 0);
        // A link needs no node.
        ok!(f, f.link(&c, None, &name(1), None, b"/hl", false));
        ok!(f, f.unlink(&c, None, b"/hl"));
        for i in 0..15 {
            if i % 2 == 0 {
                ok!(f, f.rmdir(&c, None, &name(i)));
            } else {
                ok!(f, f.unlink(&c, None, &name(i)));
            }
        }
        assert_eq!(f.usage().nodes.used, 1, "round {round}");
        assert_eq!(f.usage().dirents.used, 0);
    }
}

#[test]
fn dirent_pool_exhaustion() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    for i in 0..31 {
        ok!(f, f.link(&c, None, b"/f", None, &name(i), false));
    }
    assert_eq!(ok!(f, f.stat(&c, None, b"/f", true)).nlink, 32);
    err!(f, f.link(&c, None, b"/f", None, b"/x", false), ENOSPC);
    err!(f, f.mkdir(&c, None, b"/x", 0o755), ENOSPC);
    assert_eq!(f.usage().nodes.used, 2, "the failed mkdir took no node");
    // Renames need no new entry, also when replacing.
    ok!(f, f.rename(&c, None, b"/n0", None, b"/renamed", 0));
    ok!(f, f.rename(&c, None, b"/n1", None, b"/n2", 0));
    ok!(f, f.unlink(&c, None, b"/f"));
    ok!(f, f.mkdir(&c, None, b"/x", 0o755));
}

#[test]
fn chunk_exhaustion_gives_short_write_then_enospc() {
    let mut f = fs();
    let c = root();
    let fd = ok!(f, f.open(&c, None, b"/big", O_CREAT | O_RDWR, 0o644));
    let data = vec![0xabu8; 16 * 512 + 100];
    assert_eq!(ok!(f, f.write(&c, fd, &data)), 16 * 512, "short write");
    err!(f, f.write(&c, fd, b"more"), ENOSPC);
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks), (16 * 512, 16));
    assert_eq!(f.statfs().bfree, 0);
    // Writing inside existing chunks still works on a full pool.
    assert_eq!(ok!(f, f.pwrite(&c, fd, b"xy", 10)), 2);
    err!(f, f.symlink(&c, b"target", None, b"/l"), ENOSPC);
    assert_eq!(f.usage().nodes.used, 2, "the failed symlink took no node");
    // Truncating down needs no slot and frees chunks.
    ok!(f, f.ftruncate(&c, fd, 512));
    assert_eq!(f.statfs().bfree, 15);
    ok!(f, f.close(fd));
    ok!(f, f.unlink(&c, None, b"/big"));
    assert_eq!(f.statfs().bfree, 16);
    // Full capacity is usable again.
    put(&mut f, b"/again", &vec![1u8; 16 * 512]);
    assert_eq!(get(&mut f, b"/again").len(), 16 * 512);
}

#[test]
fn size_never_points_at_missing_data() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/fill", &vec![1u8; 15 * 512]);
    let fd = ok!(f, f.open(&c, None, b"/f", O_CREAT | O_RDWR, 0o644));
    // One chunk left: a write spanning two chunks at 256 is short.
    assert_eq!(ok!(f, f.pwrite(&c, fd, &[2u8; 512], 256)), 256);
    assert_eq!(ok!(f, f.fstat(fd)).size, 512);
    err!(f, f.pwrite(&c, fd, b"z", 4096), ENOSPC);
    assert_eq!(ok!(f, f.fstat(fd)).size, 512);
}

#[test]
fn open_file_exhaustion() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"");
    let fds: Vec<OfdId> = (0..8)
        .map(|_| ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0)))
        .collect();
    err!(f, f.open(&c, None, b"/f", O_RDONLY, 0), ENFILE);
    err!(
        f,
        f.open(&c, None, b"/new", O_CREAT | O_WRONLY, 0o644),
        ENFILE
    );
    err!(f, f.stat(&c, None, b"/new", true), ENOENT);
    ok!(f, f.unlink(&c, None, b"/f"));
    for fd in &fds[..7] {
        ok!(f, f.close(*fd));
    }
    assert_eq!(f.usage().nodes.used, 2);
    ok!(f, f.close(fds[7]));
    assert_eq!(f.usage().nodes.used, 1);
    let again: Vec<OfdId> = (0..8)
        .map(|_| ok!(f, f.open(&c, None, b"/", O_RDONLY, 0)))
        .collect();
    assert_eq!(again.len(), 8);
}

#[test]
fn unlink_rmdir_close_work_on_a_full_fs() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let mut i = 0;
    while f
        .mkdir(&c, None, &format!("/d/{i}").into_bytes(), 0o755)
        .is_ok()
    {
        i += 1;
    }
    let fds: Vec<OfdId> = (0..8)
        .map(|_| ok!(f, f.open(&c, None, b"/d", O_RDONLY, 0)))
        .collect();
    for j in 0..i {
        ok!(f, f.rmdir(&c, None, &format!("/d/{j}").into_bytes()));
    }
    ok!(f, f.rmdir(&c, None, b"/d"));
    for fd in fds {
        ok!(f, f.close(fd));
    }
    assert_eq!(f.usage().nodes.used, 1);
}

#[test]
fn o_tmpfile_is_unnamed_and_freed_on_close() {
    let mut f = fs();
    let c = root();
    err!(
        f,
        f.open(&c, None, b"/", O_TMPFILE | O_RDONLY, 0o600),
        EINVAL
    );
    put(&mut f, b"/file", b"");
    err!(
        f,
        f.open(&c, None, b"/file", O_TMPFILE | O_RDWR, 0o600),
        ENOTDIR
    );
    let fd = ok!(f, f.open(&c, None, b"/", O_TMPFILE | O_RDWR, 0o600));
    ok!(f, f.write(&c, fd, b"scratch"));
    assert_eq!(ok!(f, f.fstat(fd)).nlink, 0);
    assert_eq!(ls(&mut f, b"/"), ["file"]);
    ok!(f, f.close(fd));
    assert_eq!(f.usage().nodes.used, 2);
    assert_eq!(f.usage().chunks.used, 0);
}

#[test]
fn setgid_directories_pass_their_group_down() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/g", 0o777));
    ok!(f, f.chown(&c, None, b"/g", 0, 50, true));
    ok!(f, f.chmod(&c, None, b"/g", 0o2777, true));
    let u = user(7, 7);
    ok!(f, f.mkdir(&u, None, b"/g/sub", 0o755));
    let st = ok!(f, f.stat(&c, None, b"/g/sub", true));
    assert_eq!((st.gid, st.mode), (50, S_IFDIR | 0o2755));
    let fd = ok!(f, f.open(&u, None, b"/g/file", O_CREAT | O_WRONLY, 0o2755));
    let st = ok!(f, f.fstat(fd));
    assert_eq!(
        (st.gid, st.mode),
        (50, S_IFREG | 0o755),
        "setgid dropped: creator not in group"
    );
}

/// Linux checks flags and copies the path in before it takes a file table
/// slot (ENFILE), and walks the path only after: lookup errors come later.
#[test]
fn open_checks_flags_and_path_string_before_enfile() {
    let mut f = boxed::<8, 8, 4, 512, 2>();
    let c = root();
    let a = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    let b = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    err!(f, f.open(&c, None, b"", O_RDONLY, 0), ENOENT);
    err!(f, f.open(&c, None, b"", O_CREAT | O_WRONLY, 0o644), ENOENT);
    err!(f, f.open(&c, None, b"", O_PATH, 0), ENOENT);
    err!(
        f,
        f.open(&c, None, &vec![b'/'; PATH_MAX], O_RDONLY, 0),
        ENAMETOOLONG
    );
    err!(f, f.open(&c, None, b"a\0b", O_RDONLY, 0), EINVAL);
    err!(
        f,
        f.open(&c, None, b"x", O_CREAT | O_DIRECTORY, 0o644),
        EINVAL
    );
    err!(
        f,
        f.open(&c, None, b"/", O_TMPFILE | O_RDONLY, 0o644),
        EINVAL
    );
    // Path walk errors follow ENFILE.
    err!(f, f.open(&c, None, b"/nope", O_RDONLY, 0), ENFILE);
    err!(f, f.open(&c, None, b"/nope/x", O_PATH, 0), ENFILE);
    let long = vec![b'L'; NAME_MAX + 1];
    err!(f, f.open(&c, None, &long, O_RDONLY, 0), ENFILE);
    // And a failed open leaves nothing behind.
    err!(
        f,
        f.open(&c, None, b"/new", O_CREAT | O_WRONLY, 0o644),
        ENFILE
    );
    err!(f, f.open(&c, None, b"/", O_TMPFILE | O_RDWR, 0o644), ENFILE);
    assert_eq!(f.usage().nodes.used, 1);
    ok!(f, f.close(a));
    err!(f, f.open(&c, None, b"", O_RDONLY, 0), ENOENT);
    err!(f, f.open(&c, None, b"/nope", O_RDONLY, 0), ENOENT);
    ok!(f, f.close(b));
}
