//! fallocate: allocation, KEEP_SIZE, punching holes, and every errno path.

#[macro_use]
mod fs_util;
use fs_util::*;
use imfs_core::config::MAX_FILE_SIZE;

/// 16 chunks of 512 bytes in the test filesystem.
const CHUNK: i64 = 512;

fn rw(f: &mut T, path: &[u8]) -> OfdId {
    f.open(&root(), None, path, O_RDWR, 0).unwrap()
}

#[test]
fn mode_zero_allocates_zeroed_chunks_and_grows_the_size() {
    let mut f = fs();
    put(&mut f, b"/c", b"");
    let fd = rw(&mut f, b"/c");
    ok!(f, f.fallocate(&at(5), fd, 0, 0, 100));
    let st = ok!(f, f.fstat(fd));
    assert_eq!(
        (st.size, st.blocks, st.mtime, st.ctime),
        (100, 1, ts(5), ts(5))
    );
    assert_eq!(get(&mut f, b"/c"), vec![0u8; 100]);
    // A range inside the size and already allocated: only the times change.
    ok!(f, f.fallocate(&at(6), fd, 0, 10, 20));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks, st.mtime), (100, 1, ts(6)));
    // Holes in the middle get chunks; existing data stays.
    assert_eq!(ok!(f, f.pwrite(&root(), fd, b"end", 3 * CHUNK as u64)), 3);
    assert_eq!(ok!(f, f.fstat(fd)).blocks, 2);
    ok!(f, f.fallocate(&root(), fd, 0, 0, 4 * CHUNK));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks), (4 * CHUNK as u64, 4));
    let data = get(&mut f, b"/c");
    assert_eq!(&data[3 * CHUNK as usize..3 * CHUNK as usize + 3], b"end");
    assert_eq!(data.iter().filter(|&&b| b != 0).count(), 3);
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_HOLE)), 4 * CHUNK as u64);
    ok!(f, f.close(fd));
}

#[test]
fn reused_chunks_come_back_zeroed() {
    let mut f = fs();
    put(&mut f, b"/junk", &[0xAA; 8 * 512]);
    ok!(f, f.unlink(&root(), None, b"/junk"));
    put(&mut f, b"/c", b"");
    let fd = rw(&mut f, b"/c");
    ok!(f, f.fallocate(&root(), fd, 0, 0, 8 * CHUNK));
    assert_eq!(get(&mut f, b"/c"), vec![0u8; 8 * 512]);
    ok!(f, f.close(fd));
}

#[test]
fn keep_size_allocates_only_within_the_size() {
    let mut f = fs();
    put(&mut f, b"/c", &[1u8; 1000]);
    let fd = rw(&mut f, b"/c");
    ok!(f, f.ftruncate(&root(), fd, 3000));
    assert_eq!(ok!(f, f.fstat(fd)).blocks, 2);
    ok!(f, f.fallocate(&at(8), fd, FALLOC_FL_KEEP_SIZE, 0, 10_000));
    let st = ok!(f, f.fstat(fd));
    // 3000 bytes = 6 chunks, none past the end of the file.
    assert_eq!((st.size, st.blocks, st.mtime), (3000, 6, ts(8)));
    // Wholly past the end: nothing to allocate, but still a success.
    ok!(f, f.fallocate(&at(9), fd, FALLOC_FL_KEEP_SIZE, 5000, 10));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks, st.mtime), (3000, 6, ts(9)));
    ok!(f, f.close(fd));
}

#[test]
fn punch_hole_frees_whole_chunks_and_zeroes_the_rest() {
    let mut f = fs();
    put(&mut f, b"/c", &[7u8; 4 * 512]);
    let fd = rw(&mut f, b"/c");
    let punch = FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE;
    // Bytes 100..1300: chunk 1 wholly, parts of chunks 0 and 2.
    ok!(f, f.fallocate(&at(4), fd, punch, 100, 1200));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks, st.mtime), (2048, 3, ts(4)));
    let data = get(&mut f, b"/c");
    assert!(data[..100].iter().all(|&b| b == 7));
    assert!(data[100..1300].iter().all(|&b| b == 0));
    assert!(data[1300..].iter().all(|&b| b == 7));
    assert_eq!(ok!(f, f.lseek(fd, 0, SEEK_HOLE)), 512);
    // Within one chunk: zeroed, nothing freed.
    ok!(f, f.fallocate(&root(), fd, punch, 1600, 10));
    assert_eq!(ok!(f, f.fstat(fd)).blocks, 3);
    assert!(get(&mut f, b"/c")[1600..1610].iter().all(|&b| b == 0));
    // Past the end and over everything: the size stays, the chunks go.
    ok!(f, f.fallocate(&root(), fd, punch, 0, 1 << 20));
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.size, st.blocks), (2048, 0));
    assert_eq!(get(&mut f, b"/c"), vec![0u8; 2048]);
    assert_eq!(f.usage().chunks.used, 0);
    ok!(f, f.close(fd));
}

#[test]
fn enospc_changes_nothing_and_freeing_makes_room() {
    let mut f = fs();
    put(&mut f, b"/big", &[1u8; 10 * 512]);
    put(&mut f, b"/c", b"abc");
    let fd = rw(&mut f, b"/c");
    let before = ok!(f, f.fstat(fd));
    // 16 chunks in all: 11 used, 5 free; 7 more are needed.
    err!(f, f.fallocate(&at(9), fd, 0, 0, 8 * CHUNK), ENOSPC);
    assert_eq!(ok!(f, f.fstat(fd)), before);
    assert_eq!(f.usage().chunks.used, 11);
    ok!(f, f.fallocate(&root(), fd, 0, 0, 6 * CHUNK));
    assert_eq!(f.usage().chunks.used, 16);
    assert_eq!(get(&mut f, b"/c")[..3], *b"abc");
    ok!(f, f.unlink(&root(), None, b"/big"));
    ok!(f, f.fallocate(&root(), fd, 0, 0, 16 * CHUNK));
    assert_eq!(ok!(f, f.fstat(fd)).blocks, 16);
    ok!(f, f.close(fd));
}

#[test]
fn errors_in_linux_order() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/c", b"abc");
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let fd = rw(&mut f, b"/c");
    let ro = ok!(f, f.open(&c, None, b"/c", O_RDONLY, 0));
    let path = ok!(f, f.open(&c, None, b"/c", O_PATH, 0));
    let dir = ok!(f, f.open(&c, None, b"/d", O_RDONLY | O_DIRECTORY, 0));
    let keep = FALLOC_FL_KEEP_SIZE;
    err!(f, f.fallocate(&c, fd, 0, 0, 0), EINVAL);
    err!(f, f.fallocate(&c, fd, 0, -1, 10), EINVAL);
    err!(f, f.fallocate(&c, fd, 0, 0, -5), EINVAL);
    err!(f, f.fallocate(&c, ro, 0, -1, 10), EINVAL);
    // Modes the VFS refuses come before the descriptor check...
    for mode in [
        0x100,
        FALLOC_FL_PUNCH_HOLE,
        0x18,
        FALLOC_FL_COLLAPSE_RANGE | keep,
    ] {
        err!(f, f.fallocate(&c, ro, mode, 0, 10), EOPNOTSUPP);
    }
    // ...modes tmpfs lacks come after it.
    for mode in [
        FALLOC_FL_COLLAPSE_RANGE,
        FALLOC_FL_INSERT_RANGE,
        FALLOC_FL_ZERO_RANGE,
        FALLOC_FL_ZERO_RANGE | keep,
        FALLOC_FL_UNSHARE_RANGE,
        FALLOC_FL_WRITE_ZEROES,
    ] {
        err!(f, f.fallocate(&c, ro, mode, 0, 10), EBADF);
        err!(f, f.fallocate(&c, fd, mode, 0, 10), EOPNOTSUPP);
    }
    err!(f, f.fallocate(&c, ro, 0, 0, 10), EBADF);
    err!(f, f.fallocate(&c, path, 0, 0, 10), EBADF);
    err!(f, f.fallocate(&c, dir, 0, 0, 10), EBADF);
    err!(f, f.fallocate(&c, OfdId::from_raw(4321), 0, 0, 10), EBADF);
    let max = MAX_FILE_SIZE as i64;
    err!(f, f.fallocate(&c, fd, 0, max, 1), EFBIG);
    err!(f, f.fallocate(&c, fd, keep, max - 1, 2), EFBIG);
    err!(f, f.fallocate(&c, fd, 0, i64::MAX, i64::MAX), EFBIG);
    assert_eq!(ok!(f, f.fstat(fd)).size, 3, "failures changed nothing");
    for o in [fd, ro, path, dir] {
        ok!(f, f.close(o));
    }
}

#[test]
fn a_user_fallocating_drops_setuid() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/s", b"x");
    ok!(f, f.chown(&c, None, b"/s", 5, 5, true));
    ok!(f, f.chmod(&c, None, b"/s", 0o6755, true));
    let u = user(5, 5);
    let fd = ok!(f, f.open(&u, None, b"/s", O_RDWR, 0));
    ok!(f, f.fallocate(&u, fd, 0, 0, 10));
    assert_eq!(ok!(f, f.fstat(fd)).mode & 0o7777, 0o755);
    ok!(f, f.close(fd));
}
