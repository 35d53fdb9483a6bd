//! Open, read, write, stat, mkdir, readdir, unlink: the everyday paths.

#[macro_use]
mod fs_util;
use fs_util::*;

#[test]
fn zeroed_memory_is_a_fresh_fs_with_root() {
    let f: Box<T> = boxed();
    ok!(f, f.check());
    let st = ok!(f, f.stat(&root(), None, b"/", true));
    assert_eq!(st.mode, S_IFDIR | 0o755);
    assert_eq!((st.uid, st.gid, st.nlink, st.ino), (0, 0, 2, 1));
    assert_eq!(st.mtime, ts(0));
}

/// Everyday operations from an empty filesystem, the root's own attributes
/// changed first (the root is written before any other node is allocated),
/// the fsck after each; returns what each call answered.
fn everyday<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    f: &mut Fs<N, D, C, S, O>,
) -> Vec<String> {
    let c = at(7);
    let mut log = Vec::new();
    // Runs a call, checks the filesystem, logs the answer; `ok` returns the value.
    macro_rules! step {
        (ok $e:expr) => {{
            let r = $e;
            step!(r);
            r.unwrap()
        }};
        ($e:expr) => {{
            let r = $e;
            if let Err(e) = f.check() {
                panic!("fsck after `{}`: {:?}", stringify!($e), e);
            }
            log.push(format!("{:?}", r));
        }};
    }
    step!(f.utimens(&c, None, b"/", Some([ts(3), ts(4)]), true));
    step!(f.chmod(&c, None, b"/", 0o711, true));
    let dot = step!(ok f.open(&c, None, b"/", O_RDONLY | O_DIRECTORY, 0));
    step!(f.mkdir(&c, Some(dot), b"d", 0o750));
    let fd = step!(ok f.open(&c, None, b"/d/f", O_CREAT | O_RDWR, 0o600));
    step!(f.pwrite(&c, fd, &[7u8; 1500], 600));
    let mut buf = [0u8; 2200];
    step!(f.pread(&c, fd, &mut buf, 0));
    log.push(format!("{:?}", &buf[590..610]));
    step!(f.symlink(&c, b"d/f", None, b"/l"));
    step!(f.link(&c, None, b"/l", None, b"/d/g", true));
    step!(f.rename(&c, None, b"/d/g", None, b"/h", 0));
    step!(f.stat(&c, None, b"/h", false));
    step!(f.unlink(&c, None, b"/d/f"));
    step!(f.close(fd));
    log.push(format!("{:?}", names(f, dot)));
    step!(f.unlink(&c, None, b"/l"));
    step!(f.rmdir(&c, None, b"/d"));
    step!(f.close(dot));
    step!(f.stat(&c, None, b"/", true));
    log.push(format!("{:?}", f.usage()));
    log
}

#[test]
fn zeroed_imfs_passes_fsck_and_serves_operations() {
    use imfs_core::config::{CHUNKS, CHUNK_SIZE, DIRENTS, NODES, OPEN_FILES};
    let mut f = boxed::<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OPEN_FILES>();
    ok!(f, f.check());
    let log = everyday(&mut f);
    assert!(log.iter().all(|r| !r.starts_with("Err")), "{log:#?}");
    let st = ok!(f, f.stat(&root(), None, b"/", true));
    assert_eq!((st.mode, st.nlink, st.mtime), (S_IFDIR | 0o711, 2, ts(7)));
    assert_eq!(get(&mut f, b"/h"), [&[0u8; 600][..], &[7u8; 1500]].concat());
}

#[test]
fn zeroed_memory_and_new_are_the_same_filesystem() {
    let (mut zeroed, mut new): (Box<T>, Box<T>) = (boxed(), fs());
    assert_eq!(zeroed.usage(), new.usage());
    assert_eq!(everyday(&mut zeroed), everyday(&mut new));
}

#[test]
fn create_write_read_stat() {
    let mut f = fs();
    let c = at(5);
    let fd = ok!(f, f.open(&c, None, b"/hello", O_CREAT | O_RDWR, 0o640));
    assert_eq!(ok!(f, f.write(&c, fd, b"hello world")), 11);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_SET)), 0);
    let mut buf = [0u8; 32];
    assert_eq!(ok!(f, f.read(&c, fd, &mut buf)), 11);
    assert_eq!(&buf[..11], b"hello world");
    assert_eq!(ok!(f, f.read(&c, fd, &mut buf)), 0);
    let st = ok!(f, f.fstat(fd));
    assert_eq!(st.mode, S_IFREG | 0o640);
    assert_eq!((st.size, st.nlink, st.blksize, st.blocks), (11, 1, 512, 1));
    assert_eq!((st.atime, st.mtime, st.ctime), (ts(5), ts(5), ts(5)));
    assert_eq!(st, ok!(f, f.stat(&c, None, b"hello", true)));
    ok!(f, f.close(fd));
    assert_eq!(get(&mut f, b"/hello"), b"hello world");
}

#[test]
fn pread_pwrite_and_holes() {
    let mut f = fs();
    let c = root();
    let fd = ok!(f, f.open(&c, None, b"f", O_CREAT | O_RDWR, 0o644));
    assert_eq!(ok!(f, f.pwrite(&c, fd, b"xyz", 2000)), 3);
    let st = ok!(f, f.fstat(fd));
    assert_eq!(st.size, 2003);
    assert_eq!(st.blocks, 1, "the hole before offset 1536 takes no chunk");
    let mut buf = [1u8; 2003];
    assert_eq!(ok!(f, f.pread(&c, fd, &mut buf, 0)), 2003);
    assert!(buf[..2000].iter().all(|&b| b == 0));
    assert_eq!(&buf[2000..], b"xyz");
    assert_eq!(
        ok!(f, f.lseek(fd, 0, SEEK_CUR)),
        0,
        "pwrite leaves the position alone"
    );
    assert_eq!(ok!(f, f.pread(&c, fd, &mut buf, 5000)), 0);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_DATA)), 1536);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_HOLE)), 0);
    assert_eq!(ok!(f, f.lseek(fd, 1600, SEEK_HOLE)), 2003);
    err!(f, f.lseek(fd, 2003, SEEK_DATA), ENXIO);
    err!(f, f.lseek(fd, 2003, SEEK_HOLE), ENXIO);
    err!(f, f.lseek(fd, -1, SEEK_DATA), ENXIO);
    err!(f, f.lseek(fd, -1, SEEK_SET), EINVAL);
    err!(f, f.lseek(fd, -2004, SEEK_END), EINVAL);
    err!(f, f.lseek(fd, 0, 7), EINVAL);
    assert_eq!(ok!(f, f.lseek(fd, 10, SEEK_END)), 2013);
    assert_eq!(ok!(f, f.lseek(fd, -3, SEEK_CUR)), 2010);
}

#[test]
fn append_mode_and_pwrite_quirk() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"log", b"ab");
    let fd = ok!(f, f.open(&c, None, b"log", O_WRONLY | O_APPEND, 0));
    ok!(f, f.write(&c, fd, b"cd"));
    ok!(f, f.pwrite(&c, fd, b"ef", 0));
    assert_eq!(get(&mut f, b"log"), b"abcdef");
    assert_eq!(
        ok!(f, f.status_flags(fd)),
        O_WRONLY | O_APPEND | O_LARGEFILE
    );
    ok!(f, f.set_status_flags(fd, O_RDWR | O_NONBLOCK | O_TRUNC));
    assert_eq!(
        ok!(f, f.status_flags(fd)),
        O_WRONLY | O_NONBLOCK | O_LARGEFILE
    );
    ok!(f, f.write(&c, fd, b"Z"));
    assert_eq!(
        get(&mut f, b"log"),
        b"abcdZf",
        "without O_APPEND writes go to the position"
    );
}

#[test]
fn open_flags_errors() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"file", b"data");
    ok!(f, f.mkdir(&c, None, b"dir", 0o755));
    err!(f, f.open(&c, None, b"nope", O_RDONLY, 0), ENOENT);
    err!(f, f.open(&c, None, b"", O_RDONLY, 0), ENOENT);
    err!(
        f,
        f.open(&c, None, b"file", O_CREAT | O_EXCL | O_WRONLY, 0o644),
        EEXIST
    );
    err!(f, f.open(&c, None, b"dir", O_WRONLY, 0), EISDIR);
    err!(f, f.open(&c, None, b"dir", O_RDWR, 0), EISDIR);
    err!(f, f.open(&c, None, b"dir", O_RDONLY | O_TRUNC, 0), EISDIR);
    err!(f, f.open(&c, None, b"dir", 3, 0), EISDIR);
    err!(
        f,
        f.open(&c, None, b"dir", O_CREAT | O_RDONLY, 0o644),
        EISDIR
    );
    err!(
        f,
        f.open(&c, None, b"file", O_RDONLY | O_DIRECTORY, 0),
        ENOTDIR
    );
    err!(f, f.open(&c, None, b"file/", O_RDONLY, 0), ENOTDIR);
    err!(
        f,
        f.open(&c, None, b"new/", O_CREAT | O_WRONLY, 0o644),
        EISDIR
    );
    err!(
        f,
        f.open(&c, None, b"file/", O_CREAT | O_WRONLY, 0o644),
        EISDIR
    );
    err!(f, f.open(&c, None, b".", O_CREAT | O_RDONLY, 0o644), EISDIR);
    err!(
        f,
        f.open(&c, None, b".", O_CREAT | O_EXCL | O_RDONLY, 0o644),
        EEXIST
    );
    err!(f, f.open(&c, None, b"/", O_CREAT | O_RDONLY, 0o644), EISDIR);
    err!(
        f,
        f.open(&c, None, b"x", O_CREAT | O_DIRECTORY | O_RDONLY, 0o644),
        EINVAL
    );
    // O_ACCMODE == 3 opens (Linux), but neither reads nor writes.
    let fd = ok!(f, f.open(&c, None, b"file", 3, 0));
    err!(f, f.read(&c, fd, &mut [0u8; 4]), EBADF);
    err!(f, f.write(&c, fd, b"x"), EBADF);
    ok!(f, f.close(fd));
    let d = ok!(f, f.open(&c, None, b"dir/", O_RDONLY, 0));
    err!(f, f.read(&c, d, &mut [0u8; 4]), EISDIR);
    err!(f, f.write(&c, d, b"x"), EBADF);
    ok!(f, f.close(d));
    let w = ok!(f, f.open(&c, None, b"file", O_WRONLY, 0));
    err!(f, f.read(&c, w, &mut [0u8; 4]), EBADF);
    ok!(f, f.close(w));
    let r = ok!(f, f.open(&c, None, b"file", O_RDONLY, 0));
    err!(f, f.write(&c, r, b"x"), EBADF);
    ok!(f, f.close(r));
}

#[test]
fn o_trunc_truncates_even_read_only() {
    let mut f = fs();
    let c = at(7);
    put(&mut f, b"t", b"0123456789");
    let fd = ok!(f, f.open(&c, None, b"t", O_RDONLY | O_TRUNC, 0));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks, st.mtime), (0, 0, ts(7)));
    ok!(f, f.close(fd));
    assert_eq!(f.usage().chunks.used, 0);
}

#[test]
fn o_path_descriptions() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"file", b"abc");
    ok!(f, f.symlink(&c, b"file", None, b"link"));
    let p = ok!(f, f.open(&c, None, b"file", O_PATH, 0));
    assert_eq!(ok!(f, f.status_flags(p)), O_PATH);
    assert_eq!(ok!(f, f.fstat(p)).size, 3);
    err!(f, f.read(&c, p, &mut [0u8; 2]), EBADF);
    err!(f, f.write(&c, p, b"x"), EBADF);
    err!(f, f.lseek(p, 0, SEEK_SET), EBADF);
    err!(f, f.ftruncate(&c, p, 0), EBADF);
    err!(f, f.fchmod(&c, p, 0o600), EBADF);
    err!(f, f.fchown(&c, p, 1, 1), EBADF);
    err!(f, f.fsync(p), EBADF);
    err!(f, f.set_status_flags(p, O_APPEND), EBADF);
    ok!(f, f.close(p));
    // O_PATH|O_NOFOLLOW opens the symlink itself; without O_PATH it is ELOOP.
    let l = ok!(f, f.open(&c, None, b"link", O_PATH | O_NOFOLLOW, 0));
    assert_eq!(ok!(f, f.fstat(l)).mode & S_IFMT, S_IFLNK);
    ok!(f, f.close(l));
    err!(
        f,
        f.open(&c, None, b"link", O_RDONLY | O_NOFOLLOW, 0),
        ELOOP
    );
    err!(
        f,
        f.open(&c, None, b"file", O_PATH | O_DIRECTORY, 0),
        ENOTDIR
    );
}

#[test]
fn mkdir_stat_nlink_and_sizes() {
    let mut f = fs();
    let c = at(3);
    ok!(f, f.mkdir(&c, None, b"/a", 0o750));
    ok!(f, f.mkdir(&c, None, b"/a/b/", 0o755));
    put(&mut f, b"/a/file", b"");
    let a = ok!(f, f.stat(&c, None, b"/a", true));
    assert_eq!(a.mode, S_IFDIR | 0o750);
    assert_eq!(a.nlink, 3, "2 + one subdirectory");
    assert_eq!(a.size, 80, "tmpfs: 20 per entry plus 40");
    let r = ok!(f, f.stat(&c, None, b"/", true));
    assert_eq!((r.nlink, r.mtime), (3, ts(3)));
    err!(f, f.mkdir(&c, None, b"/a", 0o755), EEXIST);
    err!(f, f.mkdir(&c, None, b"/a/file", 0o755), EEXIST);
    err!(f, f.mkdir(&c, None, b"/a/file/x", 0o755), ENOTDIR);
    err!(f, f.mkdir(&c, None, b"/nope/x", 0o755), ENOENT);
    err!(f, f.mkdir(&c, None, b".", 0o755), EEXIST);
    err!(f, f.mkdir(&c, None, b"/", 0o755), EEXIST);
    err!(f, f.mkdir(&c, None, b"", 0o755), ENOENT);
    // mkdir keeps only permission and sticky bits.
    ok!(f, f.mkdir(&c, None, b"/s", 0o7777));
    assert_eq!(ok!(f, f.stat(&c, None, b"/s", true)).mode, S_IFDIR | 0o1777);
}

#[test]
fn unlink_and_open_unlinked_file() {
    let mut f = fs();
    let c = at(9);
    put(&mut f, b"/f", b"keep me");
    let fd = ok!(f, f.open(&c, None, b"/f", O_RDWR, 0));
    ok!(f, f.unlink(&c, None, b"/f"));
    err!(f, f.stat(&c, None, b"/f", true), ENOENT);
    let st = ok!(f, f.fstat(fd));
    assert_eq!(st.nlink, 0);
    let mut buf = [0u8; 7];
    assert_eq!(ok!(f, f.read(&c, fd, &mut buf)), 7);
    assert_eq!(&buf, b"keep me");
    assert_eq!(f.usage().chunks.used, 1, "data lives until the last close");
    assert_eq!(f.usage().nodes.used, 2);
    ok!(f, f.close(fd));
    assert_eq!(f.usage().chunks.used, 0);
    assert_eq!(f.usage().nodes.used, 1);
    err!(f, f.close(fd), EBADF);
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    err!(f, f.unlink(&c, None, b"/d"), EISDIR);
    err!(f, f.unlink(&c, None, b"/d/"), EISDIR);
    err!(f, f.unlink(&c, None, b"/nope"), ENOENT);
    err!(f, f.unlink(&c, None, b"/nope/"), ENOENT);
    err!(f, f.unlink(&c, None, b"."), EISDIR);
    err!(f, f.unlink(&c, None, b"/"), EISDIR);
    put(&mut f, b"/g", b"");
    err!(f, f.unlink(&c, None, b"/g/"), ENOTDIR);
    ok!(f, f.unlink(&c, None, b"/g"));
    assert_eq!(ok!(f, f.stat(&c, None, b"/", true)).mtime, ts(9));
}

#[test]
fn ofd_refcounts() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"f", b"x");
    let fd = ok!(f, f.open(&c, None, b"f", O_RDONLY, 0));
    ok!(f, f.ofd_ref(fd));
    ok!(f, f.unlink(&c, None, b"f"));
    ok!(f, f.close(fd));
    assert_eq!(ok!(f, f.fstat(fd)).size, 1, "one reference left");
    ok!(f, f.close(fd));
    err!(f, f.fstat(fd), EBADF);
    err!(f, f.ofd_ref(fd), EBADF);
    assert_eq!(f.usage().nodes.used, 1);
}

#[test]
fn forged_and_stale_ofd_ids_are_ebadf() {
    let mut f = fs();
    let c = root();
    for raw in [0u64, 1, 7, 8, 1 << 20, u32::MAX as u64, u64::MAX] {
        let id = OfdId::from_raw(raw);
        err!(f, f.fstat(id), EBADF);
        err!(f, f.read(&c, id, &mut [0u8; 1]), EBADF);
        err!(f, f.write(&c, id, b"x"), EBADF);
        err!(f, f.close(id), EBADF);
        err!(f, f.readdir(id, &mut |_| true), EBADF);
        err!(f, f.path_of(id, &mut [0u8; 8]), EBADF);
        err!(f, f.stat(&c, Some(id), b"x", true), EBADF);
    }
    let a = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    ok!(f, f.close(a));
    let b = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    assert_eq!(a.raw() & 0xfffff, b.raw() & 0xfffff, "slot reused");
    err!(f, f.fstat(a), EBADF);
    ok!(f, f.fstat(b));
    // An absolute path ignores the base, even a bad one.
    ok!(f, f.stat(&c, Some(a), b"/", true));
}

#[test]
fn readdir_lists_dot_dotdot_and_entries() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    put(&mut f, b"/d/one", b"");
    ok!(f, f.mkdir(&c, None, b"/d/two", 0o755));
    ok!(f, f.symlink(&c, b"one", None, b"/d/three"));
    let fd = ok!(f, f.open(&c, None, b"/d", O_RDONLY | O_DIRECTORY, 0));
    let d_ino = ok!(f, f.fstat(fd)).ino;
    let mut got = Vec::new();
    ok!(
        f,
        f.readdir(fd, &mut |e| {
            got.push((e.name.to_vec(), e.kind, e.ino, e.next));
            true
        })
    );
    let listed: Vec<&[u8]> = got.iter().map(|g| g.0.as_slice()).collect();
    assert_eq!(listed, [&b"."[..], b"..", b"one", b"two", b"three"]);
    assert_eq!(got[0].2, d_ino);
    assert_eq!(got[1].2, 1, "root ino");
    assert_eq!(
        got.iter().map(|g| g.1).collect::<Vec<_>>(),
        [DT_DIR, DT_DIR, DT_REG, DT_DIR, DT_LNK]
    );
    assert_eq!(got[2].2, ok!(f, f.stat(&c, None, b"/d/one", false)).ino);
    assert!(names(&mut f, fd).is_empty(), "at the end");
    // Seeking back to a cookie resumes right after that entry.
    ok!(f, f.lseek(fd, got[2].3 as i64, SEEK_SET));
    assert_eq!(names(&mut f, fd), [b"two".to_vec(), b"three".to_vec()]);
    ok!(f, f.lseek(fd, 0, SEEK_SET));
    assert_eq!(names(&mut f, fd).len(), 5);
    err!(f, f.lseek(fd, 0, SEEK_END), EINVAL);
    err!(f, f.lseek(fd, -1, SEEK_SET), EINVAL);
    let file = ok!(f, f.open(&c, None, b"/d/one", O_RDONLY, 0));
    err!(f, f.readdir(file, &mut |_| true), ENOTDIR);
}

#[test]
fn readdir_stops_when_emit_refuses() {
    let mut f = fs();
    let c = root();
    for n in [&b"a"[..], b"b", b"c"] {
        let mut p = b"/".to_vec();
        p.extend_from_slice(n);
        put(&mut f, &p, b"");
    }
    let fd = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    let mut seen = Vec::new();
    for _ in 0..10 {
        // Take one entry per call.
        let mut took = false;
        ok!(
            f,
            f.readdir(fd, &mut |e| {
                if took {
                    return false;
                }
                took = true;
                seen.push(e.name.to_vec());
                true
            })
        );
        if !took {
            break;
        }
    }
    assert_eq!(
        seen,
        [
            b".".to_vec(),
            b"..".to_vec(),
            b"a".to_vec(),
            b"b".to_vec(),
            b"c".to_vec()
        ]
    );
}

#[test]
fn status_flags_keep_linux_valid_open_flags_only() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"hello");
    let getfl = |f: &mut T, flags: u32| {
        let fd = f.open(&c, None, b"/f", flags, 0).unwrap();
        let fl = f.status_flags(fd).unwrap();
        f.close(fd).unwrap();
        fl
    };
    // An unknown bit is dropped, as Linux's build_open_how does.
    assert_eq!(getfl(&mut f, O_RDONLY | 0o40000000), O_LARGEFILE);
    // Open-time-only flags go; the status flags stay.
    assert_eq!(
        getfl(
            &mut f,
            O_RDONLY | O_CREAT | O_NOCTTY | O_CLOEXEC | O_DIRECT | O_SYNC | O_ASYNC
        ),
        O_DIRECT | O_SYNC | O_ASYNC | O_LARGEFILE
    );
    assert_eq!(getfl(&mut f, 3), 3 | O_LARGEFILE, "access mode 3 is kept");
    // O_TMPFILE's bits (O_DIRECTORY among them) stay; O_EXCL goes.
    let t = ok!(f, f.open(&c, None, b"/", O_TMPFILE | O_RDWR, 0o600));
    assert_eq!(ok!(f, f.status_flags(t)), 0o20300002);
    let e = ok!(
        f,
        f.open(&c, None, b"/", O_TMPFILE | O_EXCL | O_WRONLY, 0o600)
    );
    assert_eq!(ok!(f, f.status_flags(e)), 0o20300001);
    // ...and nothing reads them back as "a directory": I/O works.
    assert_eq!(ok!(f, f.write(&c, t, b"tmp")), 3);
    let mut buf = [0u8; 8];
    assert_eq!(ok!(f, f.pread(&c, t, &mut buf, 0)), 3);
    assert_eq!(&buf[..3], b"tmp");
    ok!(f, f.ftruncate(&c, t, 1));
    assert_eq!(ok!(f, f.fstat(t)).size, 1);
}

#[test]
fn pwrite_mode_overrides_append_both_ways() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/f", b"abcdef");
    let fd = ok!(f, f.open(&c, None, b"/f", O_RDWR, 0));
    ok!(f, f.lseek(fd, 2, SEEK_SET));
    // RWF_APPEND with offset -1: at the end, and the position follows.
    assert_eq!(ok!(f, f.pwrite_mode(&c, fd, b"X", None, Some(true))), 1);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_CUR)), 7);
    // RWF_APPEND with an offset: at the end, the position stays.
    assert_eq!(ok!(f, f.pwrite_mode(&c, fd, b"Y", Some(0), Some(true))), 1);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_CUR)), 7);
    assert_eq!(get(&mut f, b"/f"), b"abcdefXY");
    ok!(f, f.close(fd));
    let fd = ok!(f, f.open(&c, None, b"/f", O_RDWR | O_APPEND, 0));
    // RWF_NOAPPEND on an O_APPEND description: at the position, which moves.
    assert_eq!(ok!(f, f.pwrite_mode(&c, fd, b"1", None, Some(false))), 1);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_CUR)), 1);
    // ...or at the offset given, position unchanged.
    assert_eq!(ok!(f, f.pwrite_mode(&c, fd, b"2", Some(3), Some(false))), 1);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_CUR)), 1);
    // No override: O_APPEND rules, as write and pwrite.
    assert_eq!(ok!(f, f.pwrite_mode(&c, fd, b"3", Some(0), None)), 1);
    assert_eq!(get(&mut f, b"/f"), b"1bc2efXY3");
    err!(
        f,
        f.pwrite_mode(&c, fd, b"x", Some(i64::MAX as u64 + 1), Some(false)),
        EINVAL
    );
    let r = ok!(f, f.open(&c, None, b"/f", O_RDONLY, 0));
    err!(f, f.pwrite_mode(&c, r, b"x", None, Some(true)), EBADF);
    let p = ok!(f, f.open(&c, None, b"/f", O_PATH, 0));
    err!(f, f.pwrite_mode(&c, p, b"x", Some(0), None), EBADF);
    assert_eq!(get(&mut f, b"/f"), b"1bc2efXY3");
}
