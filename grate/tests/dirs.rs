//! getdents and getdents64 through the dispatch, on both ABIs.

mod common;
use common::*;
use imfs_core::Errno;
use imfs_grate::dispatch::nr;
use imfs_grate::host::Abi;

/// (name, d_type) of each record.
type Entries = Vec<(Vec<u8>, u8)>;
/// A record parser.
type Parser = fn(&[u8]) -> Entries;

/// Parses linux_dirent64 records: (name, type).
fn parse64(buf: &[u8]) -> Vec<(Vec<u8>, u8)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let reclen = u16::from_le_bytes(buf[at + 16..at + 18].try_into().unwrap()) as usize;
        let name = &buf[at + 19..at + reclen];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap()];
        out.push((name.to_vec(), buf[at + 18]));
        at += reclen;
    }
    out
}

/// Parses legacy linux_dirent records (type in the last byte).
fn parse_legacy(buf: &[u8]) -> Vec<(Vec<u8>, u8)> {
    let mut out = Vec::new();
    let mut at = 0;
    while at < buf.len() {
        let reclen = u16::from_le_bytes(buf[at + 16..at + 18].try_into().unwrap()) as usize;
        let name = &buf[at + 18..at + reclen];
        let name = &name[..name.iter().position(|&b| b == 0).unwrap()];
        out.push((name.to_vec(), buf[at + reclen - 1]));
        at += reclen;
    }
    out
}

fn setup(t: &mut T) -> u64 {
    t.mkdir("/d");
    t.mkdir("/d/sub");
    t.create("/d/file", b"x");
    t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64
}

fn listing(t: &mut T, nrno: u64, fd: u64, size: usize, parse: Parser) -> Vec<(Vec<u8>, u8)> {
    let mut all = Vec::new();
    loop {
        let b = t.buf(size);
        let n = t.sys(nrno, &[fd, b, size as u64]);
        assert!(n >= 0, "getdents: {n}");
        if n == 0 {
            break;
        }
        all.extend(parse(&t.h.get(CAGE, b, n as usize)));
    }
    all.sort();
    all
}

fn expected() -> Vec<(Vec<u8>, u8)> {
    let mut v = vec![
        (b".".to_vec(), libc::DT_DIR),
        (b"..".to_vec(), libc::DT_DIR),
        (b"file".to_vec(), libc::DT_REG),
        (b"sub".to_vec(), libc::DT_DIR),
    ];
    v.sort();
    v
}

#[test]
fn getdents64_lists_everything_once() {
    let mut t = T::new();
    let fd = setup(&mut t);
    assert_eq!(
        listing(&mut t, nr::GETDENTS64, fd, 4096, parse64),
        expected()
    );
    // Small buffers: one record per call, nothing lost or repeated.
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    assert_eq!(listing(&mut t, nr::GETDENTS64, fd, 32, parse64), expected());
}

#[test]
fn legacy_getdents_on_kernel_dirent64_on_lind() {
    let mut t = T::new();
    let fd = setup(&mut t);
    assert_eq!(
        listing(&mut t, nr::GETDENTS, fd, 4096, parse_legacy),
        expected()
    );
    // Lind's glibc calls getdents (78) but reads linux_dirent64.
    let mut l = T::with_abi(Abi::Lind);
    let fd = setup(&mut l);
    assert_eq!(listing(&mut l, nr::GETDENTS, fd, 4096, parse64), expected());
}

#[test]
fn getdents_errors() {
    let mut t = T::new();
    let fd = setup(&mut t);
    let b = t.buf(64);
    // Too small for even one record.
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, b, 8]), e(Errno::EINVAL));
    // A fault consumes nothing.
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, 0, 4096]), e(Errno::EFAULT));
    assert_eq!(
        listing(&mut t, nr::GETDENTS64, fd, 4096, parse64),
        expected()
    );
    let file = t.open("/d/file", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::GETDENTS64, &[file, b, 64]), e(Errno::ENOTDIR));
    let p = t.open("/d", libc::O_PATH, 0) as u64;
    assert_eq!(t.sys(nr::GETDENTS64, &[p, b, 64]), e(Errno::EBADF));
}

/// Bytes of the "." and ".." records, and of one record of [`populated`].
const DOTS: i64 = 2 * 24;
const REC: i64 = 56;

/// A directory of `n` files with 30-byte names (56-byte records).
fn populated(t: &mut T, n: usize) -> u64 {
    t.mkdir("/many");
    for i in 0..n {
        t.create(&format!("/many/entry-with-a-longish-name-{i:04}"), b"");
    }
    t.open("/many", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64
}

/// Every name of the listing, sorted, asserting none comes twice.
fn names_of(entries: Entries) -> Vec<Vec<u8>> {
    let mut names: Vec<Vec<u8>> = entries.into_iter().map(|(n, _)| n).collect();
    names.sort();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "a record came twice");
    names
}

fn expected_names(n: usize) -> Vec<Vec<u8>> {
    let mut v: Vec<Vec<u8>> = (0..n)
        .map(|i| format!("entry-with-a-longish-name-{i:04}").into_bytes())
        .chain([b".".to_vec(), b"..".to_vec()])
        .collect();
    v.sort();
    v
}

#[test]
fn getdents_counts_of_2_pow_31_and_more_are_einval() {
    let mut t = T::new();
    let fd = setup(&mut t);
    let b = t.buf(4096);
    // The count is an int: negative from 2^31, nothing fits; 2^32 is 0.
    for count in [1u64 << 31, 0xffff_ffff, 1 << 32, 1 << 40] {
        for nrno in [nr::GETDENTS64, nr::GETDENTS] {
            t.sys(nr::LSEEK, &[fd, 0, 0]);
            assert_eq!(t.sys(nrno, &[fd, b, count]), e(Errno::EINVAL), "{count:#x}");
            // No range check up front: even a bad buffer is EINVAL.
            assert_eq!(t.sys(nrno, &[fd, 0, count]), e(Errno::EINVAL), "{count:#x}");
        }
    }
    // Nothing was consumed; the upper 32 bits are ignored.
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 0);
    let n = t.sys(nr::GETDENTS64, &[fd, b, (1 << 32) | 4096]);
    assert_eq!(names_of(parse64(&t.h.get(CAGE, b, n as usize))).len(), 4);
    // At the end of the directory nothing is written: 0, whatever the count
    // or buffer (as Linux, which writes record by record).
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, b, 1 << 31]), 0);
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, 0, 4096]), 0);
    // Not a directory comes first.
    let file = t.open("/d/file", libc::O_RDONLY, 0) as u64;
    assert_eq!(
        t.sys(nr::GETDENTS64, &[file, b, 1 << 31]),
        e(Errno::ENOTDIR)
    );
}

#[test]
fn getdents_faulting_after_whole_records_returns_them() {
    let mut t = T::new();
    let fd = populated(&mut t, 100);
    // One page of memory, then the end of the arena.
    let page = t.h.end(CAGE) - 4096;
    let mut all = Vec::new();
    let mut sizes = Vec::new();
    loop {
        let n = t.sys(nr::GETDENTS64, &[fd, page, i32::MAX as u64]);
        assert!((0..=4096).contains(&n), "getdents64: {n}");
        if n == 0 {
            break;
        }
        sizes.push(n);
        all.extend(parse64(&t.h.get(CAGE, page, n as usize)));
    }
    // Each call but the last filled the page as far as whole records go.
    assert!(sizes.len() >= 2, "{sizes:?}");
    assert!(
        sizes[..sizes.len() - 1].iter().all(|&n| n > 4096 - REC),
        "{sizes:?}"
    );
    assert_eq!(names_of(all), expected_names(100));
    // The first record faulting is EFAULT, and consumes nothing.
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    let tail = t.h.end(CAGE) - 16;
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, tail, 4096]), e(Errno::EFAULT));
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 0);
    let all = listing(&mut t, nr::GETDENTS64, fd, 4096, parse64);
    assert_eq!(names_of(all), expected_names(100));
    t.check();
}

#[test]
fn getdents_fills_buffers_larger_than_the_bounce_buffer() {
    let mut t = T::new();
    // 1500 records of 56 bytes: 84 000 bytes, more than one bounce buffer.
    let fd = populated(&mut t, 1500);
    let b = t.buf(200_000);
    let n = t.sys(nr::GETDENTS64, &[fd, b, 200_000]);
    assert_eq!(n, DOTS + 1500 * REC);
    let names = names_of(parse64(&t.h.get(CAGE, b, n as usize)));
    assert_eq!(names, expected_names(1500));
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, b, 200_000]), 0);
    // The legacy layout too (records of the same 56 bytes).
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    let n = t.sys(nr::GETDENTS, &[fd, b, 200_000]);
    assert_eq!(n, DOTS + 1500 * REC);
    // A fault in the second bounce-buffer load: the records before it, and
    // the listing resumes right after them.
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    let near_end = t.h.end(CAGE) - 70_000;
    let first = t.sys(nr::GETDENTS64, &[fd, near_end, i32::MAX as u64]);
    let whole = DOTS + (70_000 - DOTS) / REC * REC;
    assert_eq!(first, whole);
    let mut all = parse64(&t.h.get(CAGE, near_end, first as usize));
    all.extend(listing(&mut t, nr::GETDENTS64, fd, 4096, parse64));
    assert_eq!(names_of(all), expected_names(1500));
    // A count that ends inside the second load stops there.
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    assert_eq!(t.sys(nr::GETDENTS64, &[fd, b, 70_000]), whole);
}
