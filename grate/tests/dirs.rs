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
