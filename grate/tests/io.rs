//! Data syscalls through the dispatch: read/write and their positional and
//! vector forms, lseek, EFAULT and partial transfers, fd validation.

mod common;
use common::*;
use imfs_core::Errno;
use imfs_grate::dispatch::nr;
use imfs_grate::host::Abi;

const RW: i32 = libc::O_RDWR | libc::O_CREAT;

#[test]
fn write_then_read_moves_the_shared_offset() {
    let mut t = T::new();
    let fd = t.open("/f", RW, 0o644);
    assert_eq!(fd, 3);
    assert_eq!(t.write(fd, b"hello world"), 11);
    assert_eq!(t.sys(nr::LSEEK, &[fd as u64, 0, libc::SEEK_CUR as u64]), 11);
    assert_eq!(t.sys(nr::LSEEK, &[fd as u64, 6, libc::SEEK_SET as u64]), 6);
    assert_eq!(t.read(fd, 100).unwrap(), b"world");
    assert_eq!(t.read(fd, 100).unwrap(), b"");
    assert_eq!(
        t.sys(nr::LSEEK, &[fd as u64, -3i64 as u64, libc::SEEK_END as u64]),
        8
    );
    assert_eq!(
        t.sys(
            nr::LSEEK,
            &[fd as u64, -100i64 as u64, libc::SEEK_SET as u64]
        ),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::LSEEK, &[fd as u64, 0, 77]), e(Errno::EINVAL));
    t.check();
}

#[test]
fn pread_pwrite_leave_the_offset() {
    let mut t = T::new();
    let fd = t.open("/f", RW, 0o644) as u64;
    let d = t.data(b"abcdef");
    assert_eq!(t.sys(nr::PWRITE64, &[fd, d, 6, 10]), 6);
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 0);
    let b = t.buf(16);
    assert_eq!(t.sys(nr::PREAD64, &[fd, b, 16, 8]), 8);
    assert_eq!(t.h.get(CAGE, b, 8), b"\0\0abcdef");
    assert_eq!(
        t.sys(nr::PREAD64, &[fd, b, 16, -1i64 as u64]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::PWRITE64, &[fd, d, 6, -5i64 as u64]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::PREAD64, &[fd, b, 16, 100]), 0);
}

#[test]
fn access_mode_is_enforced() {
    let mut t = T::new();
    t.create("/f", b"data");
    let ro = t.open("/f", libc::O_RDONLY, 0);
    let wo = t.open("/f", libc::O_WRONLY, 0);
    let path = t.open("/f", libc::O_PATH, 0);
    assert_eq!(t.write(ro, b"x"), e(Errno::EBADF));
    assert_eq!(t.read(wo, 4), Err(e(Errno::EBADF)));
    assert_eq!(t.read(path, 4), Err(e(Errno::EBADF)));
    assert_eq!(t.write(path, b"x"), e(Errno::EBADF));
    // Zero-length calls check the fd too.
    let b = t.buf(1);
    assert_eq!(t.sys(nr::WRITE, &[ro as u64, b, 0]), e(Errno::EBADF));
    assert_eq!(t.sys(nr::READ, &[ro as u64, b, 0]), 0);
    let d = t.data(b"xx");
    assert_eq!(t.sys(nr::PWRITE64, &[ro as u64, d, 2, 0]), e(Errno::EBADF));
    assert_eq!(t.sys(nr::PREAD64, &[wo as u64, b, 1, 0]), e(Errno::EBADF));
}

#[test]
fn bad_fds_are_ebadf() {
    let mut t = T::new();
    let b = t.buf(8);
    for fd in [3u64, 99, -1i64 as u64, 1 << 20, 5000] {
        assert_eq!(t.sys(nr::READ, &[fd, b, 8]), e(Errno::EBADF), "fd {fd}");
        assert_eq!(t.sys(nr::WRITE, &[fd, b, 8]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::CLOSE, &[fd]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::LSEEK, &[fd, 0, 0]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::FSTAT, &[fd, b]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::FSYNC, &[fd]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::FTRUNCATE, &[fd, 0]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::GETDENTS64, &[fd, b, 8]), e(Errno::EBADF));
        assert_eq!(
            t.sys(nr::FCNTL, &[fd, libc::F_GETFD as u64]),
            e(Errno::EBADF)
        );
        assert_eq!(t.sys(nr::DUP, &[fd]), e(Errno::EBADF));
        assert_eq!(t.sys(nr::FCHDIR, &[fd]), e(Errno::EBADF));
    }
}

#[test]
fn stdio_passes_through() {
    let mut t = T::new();
    let b = t.data(b"hi");
    assert_eq!(
        t.reply(CAGE, nr::WRITE, &[1, b, 2]),
        imfs_grate::host::Reply::Continue
    );
    assert_eq!(
        t.reply(CAGE, nr::READ, &[0, b, 2]),
        imfs_grate::host::Reply::Continue
    );
    assert_eq!(
        t.reply(CAGE, nr::FSTAT, &[2, b]),
        imfs_grate::host::Reply::Continue
    );
    // Unserved syscalls too.
    assert_eq!(
        t.reply(CAGE, 39 /* getpid */, &[]),
        imfs_grate::host::Reply::Continue
    );
    assert_eq!(
        t.h.continued,
        vec![
            (CAGE, nr::WRITE),
            (CAGE, nr::READ),
            (CAGE, nr::FSTAT),
            (CAGE, 39)
        ]
    );
}

#[test]
fn efault_on_bad_buffers() {
    let mut t = T::new();
    let fd = t.open("/f", RW, 0o644) as u64;
    assert_eq!(t.sys(nr::WRITE, &[fd, 0, 4]), e(Errno::EFAULT));
    assert_eq!(t.sys(nr::WRITE, &[fd, 8, 4]), e(Errno::EFAULT));
    t.write(fd as i64, b"abcd");
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    assert_eq!(t.sys(nr::READ, &[fd, 0, 4]), e(Errno::EFAULT));
    // The failed read consumed nothing.
    assert_eq!(t.read(fd as i64, 4).unwrap(), b"abcd");
    // At EOF no memory is touched: 0, not EFAULT (as Linux).
    assert_eq!(t.sys(nr::READ, &[fd, 0, 4]), 0);
    // Kernel: a range past user space faults before anything moves.
    let b = t.buf(4);
    assert_eq!(t.sys(nr::READ, &[fd, b, u64::MAX]), e(Errno::EFAULT));
}

#[test]
fn write_faulting_midway_returns_the_bytes_before_the_fault() {
    let mut t = T::new();
    let fd = t.open("/f", RW, 0o644) as u64;
    // 10000 readable bytes, then the end of the arena.
    let end = t.h.end(CAGE);
    let start = end - 10_000;
    let n = t.sys(nr::WRITE, &[fd, start, 100_000]);
    assert_eq!(n, 10_000);
    assert_eq!(t.stat("/f").unwrap().st_size, 10_000);
}

#[test]
fn read_faulting_midway_returns_what_fit_and_keeps_the_rest() {
    let mut t = T::new();
    let data: Vec<u8> = (0..50_000u32).map(|i| i as u8).collect();
    t.create("/f", &data);
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    let end = t.h.end(CAGE);
    let n = t.sys(nr::READ, &[fd, end - 20_000, 50_000]);
    assert_eq!(n, 20_000);
    assert_eq!(t.h.get(CAGE, end - 20_000, 20_000), &data[..20_000]);
    // The offset advanced by what was delivered only.
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 20_000);
    assert_eq!(t.read(fd as i64, 100).unwrap(), &data[20_000..20_100]);
}

#[test]
fn huge_counts_read_what_exists() {
    let mut t = T::new();
    t.create("/f", b"small");
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    let b = t.buf(16);
    assert_eq!(t.sys(nr::READ, &[fd, b, 1 << 40]), 5);
    assert_eq!(t.h.get(CAGE, b, 5), b"small");
}

#[test]
fn large_transfers_cross_the_bounce_buffer() {
    let mut t = T::new();
    let data: Vec<u8> = (0..300_000u32).map(|i| (i * 7) as u8).collect();
    t.create("/big", &data);
    assert_eq!(t.cat("/big").unwrap(), data);
    let fd = t.open("/big", libc::O_RDONLY, 0) as u64;
    let b = t.buf(300_000);
    assert_eq!(t.sys(nr::READ, &[fd, b, 300_000]), 300_000);
    assert_eq!(t.h.get(CAGE, b, 300_000), data);
    t.check();
}

#[test]
fn append_mode_writes_at_the_end() {
    let mut t = T::new();
    t.create("/log", b"one\n");
    let fd = t.open("/log", libc::O_WRONLY | libc::O_APPEND, 0);
    t.sys(nr::LSEEK, &[fd as u64, 0, 0]);
    assert_eq!(t.write(fd, b"two\n"), 4);
    assert_eq!(t.cat("/log").unwrap(), b"one\ntwo\n");
}

fn iovecs(t: &mut T, abi: Abi, segs: &[(u64, u64)]) -> u64 {
    let mut raw = Vec::new();
    for &(base, len) in segs {
        match abi {
            Abi::Kernel => {
                raw.extend(base.to_le_bytes());
                raw.extend(len.to_le_bytes());
            }
            Abi::Lind => {
                // glibc's copy: the 64-bit host base split over iov_base and
                // the first pad word; the second pad word is whatever it is.
                raw.extend(base.to_le_bytes());
                raw.extend((len as u32).to_le_bytes());
                raw.extend(0xfeed_f00du32.to_le_bytes());
            }
        }
    }
    t.data(&raw)
}

#[test]
fn readv_writev_both_abis() {
    for abi in [Abi::Kernel, Abi::Lind] {
        let mut t = T::with_abi(abi);
        let fd = t.open("/v", RW, 0o644) as u64;
        let a = t.data(b"abc");
        let b = t.data(b"");
        let c = t.data(b"defgh");
        let iov = iovecs(&mut t, abi, &[(a, 3), (b, 0), (c, 5)]);
        assert_eq!(t.sys(nr::WRITEV, &[fd, iov, 3]), 8, "{abi:?}");
        assert_eq!(t.cat("/v").unwrap(), b"abcdefgh");
        let x = t.buf(2);
        let y = t.buf(10);
        let iov = iovecs(&mut t, abi, &[(x, 2), (y, 10)]);
        assert_eq!(t.sys(nr::PREADV, &[fd, iov, 2, 1]), 7);
        assert_eq!(t.h.get(CAGE, x, 2), b"bc");
        assert_eq!(t.h.get(CAGE, y, 5), b"defgh");
        // The offset was left at 8 by writev; preadv did not move it.
        assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 8);
        t.sys(nr::LSEEK, &[fd, 0, 0]);
        assert_eq!(t.sys(nr::READV, &[fd, iov, 2]), 8);
        assert_eq!(t.h.get(CAGE, x, 2), b"ab");
        let z = t.data(b"ZZ");
        let iov1 = iovecs(&mut t, abi, &[(z, 2)]);
        assert_eq!(t.sys(nr::PWRITEV, &[fd, iov1, 1, 0]), 2);
        assert_eq!(t.sys(nr::PWRITEV2, &[fd, iov1, 1, 6, 0, 0]), 2);
        assert_eq!(t.cat("/v").unwrap(), b"ZZcdefZZ");
        // preadv2 with offset -1 reads at (and moves) the file position.
        t.sys(nr::LSEEK, &[fd, 6, 0]);
        assert_eq!(t.sys(nr::PREADV2, &[fd, iov, 2, -1i64 as u64, 0, 0]), 2);
        assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 8);
        assert_eq!(
            t.sys(nr::PREADV2, &[fd, iov, 2, 0, 0, 0x1000]),
            e(Errno::EOPNOTSUPP)
        );
    }
}

#[test]
fn iovec_errors() {
    let mut t = T::new();
    let fd = t.open("/v", RW, 0o644) as u64;
    let a = t.data(b"abc");
    let iov = iovecs(&mut t, Abi::Kernel, &[(a, 3)]);
    assert_eq!(t.sys(nr::WRITEV, &[fd, iov, 1025]), e(Errno::EINVAL));
    assert_eq!(
        t.sys(nr::WRITEV, &[fd, iov, -1i64 as u64]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::WRITEV, &[fd, 0, 1]), e(Errno::EFAULT));
    assert_eq!(t.sys(nr::WRITEV, &[fd, iov, 0]), 0);
    let neg = iovecs(&mut t, Abi::Kernel, &[(a, 1 << 63)]);
    assert_eq!(t.sys(nr::WRITEV, &[fd, neg, 1]), e(Errno::EINVAL));
    // A length reaching past user space faults, as Linux's access_ok.
    let over = iovecs(
        &mut t,
        Abi::Kernel,
        &[(a, i64::MAX as u64), (a, i64::MAX as u64)],
    );
    assert_eq!(t.sys(nr::READV, &[fd, over, 2]), e(Errno::EFAULT));
    assert_eq!(
        t.sys(nr::PREADV, &[fd, iov, 1, -1i64 as u64]),
        e(Errno::EINVAL)
    );
    // The second segment faults: the first one's bytes are the result.
    let bad = iovecs(&mut t, Abi::Kernel, &[(a, 3), (8, 3)]);
    assert_eq!(t.sys(nr::WRITEV, &[fd, bad, 2]), 3);
    let bad_first = iovecs(&mut t, Abi::Kernel, &[(8, 3), (a, 3)]);
    assert_eq!(t.sys(nr::WRITEV, &[fd, bad_first, 2]), e(Errno::EFAULT));
    // Lind: 32-bit lengths summing past ssize_t's range.
    let mut l = T::with_abi(Abi::Lind);
    let fd = l.open("/v", RW, 0o644) as u64;
    let a = l.data(b"abc");
    let big = iovecs(&mut l, Abi::Lind, &[(a, 0x8000_0000), (a, 0x8000_0000)]);
    assert_eq!(l.sys(nr::WRITEV, &[fd, big, 2]), e(Errno::EINVAL));
}

#[test]
fn read_on_a_directory_is_eisdir() {
    let mut t = T::new();
    t.mkdir("/d");
    let fd = t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0);
    assert!(fd >= 0);
    assert_eq!(t.read(fd, 10), Err(e(Errno::EISDIR)));
    assert_eq!(t.open("/d", libc::O_WRONLY, 0), e(Errno::EISDIR));
}

#[test]
fn ioctl_and_mmap_on_imfs_fds() {
    let mut t = T::new();
    let fd = t.open("/f", RW, 0o644) as u64;
    assert_eq!(
        t.sys(nr::IOCTL, &[fd, 0x5401 /* TCGETS */, 0]),
        e(Errno::ENOTTY)
    );
    assert_eq!(t.sys(nr::IOCTL, &[fd, 0x5451 /* FIOCLEX */, 0]), 0);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_GETFD as u64]), 1);
    assert_eq!(t.sys(nr::IOCTL, &[fd, 0x5450 /* FIONCLEX */, 0]), 0);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_GETFD as u64]), 0);
    assert_eq!(
        t.sys(nr::MMAP, &[0, 4096, 1, libc::MAP_PRIVATE as u64, fd, 0]),
        e(Errno::ENODEV)
    );
    let anon = (libc::MAP_PRIVATE | libc::MAP_ANONYMOUS) as u64;
    assert_eq!(
        t.reply(CAGE, nr::MMAP, &[0, 4096, 3, anon, -1i64 as u64, 0]),
        imfs_grate::host::Reply::Continue
    );
}

#[test]
fn fsync_family() {
    let mut t = T::new();
    let fd = t.open("/f", RW, 0o644) as u64;
    assert_eq!(t.sys(nr::FSYNC, &[fd]), 0);
    assert_eq!(t.sys(nr::FDATASYNC, &[fd]), 0);
    assert_eq!(t.sys(nr::SYNC_FILE_RANGE, &[fd, 0, 0, 0]), 0);
    assert_eq!(t.sys(nr::SYNC_FILE_RANGE, &[fd, 0, 0, 8]), e(Errno::EINVAL));
    assert_eq!(
        t.sys(nr::SYNC_FILE_RANGE, &[fd, -1i64 as u64, 0, 0]),
        e(Errno::EINVAL)
    );
}

#[test]
fn ftruncate_and_truncate() {
    let mut t = T::new();
    t.create("/f", b"0123456789");
    let fd = t.open("/f", libc::O_RDWR, 0) as u64;
    assert_eq!(t.sys(nr::FTRUNCATE, &[fd, 4]), 0);
    assert_eq!(t.cat("/f").unwrap(), b"0123");
    assert_eq!(t.sys(nr::FTRUNCATE, &[fd, -1i64 as u64]), e(Errno::EINVAL));
    let ro = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::FTRUNCATE, &[ro, 0]), e(Errno::EINVAL));
    let p = t.s("/f");
    assert_eq!(t.sys(nr::TRUNCATE, &[p, 6]), 0);
    assert_eq!(t.cat("/f").unwrap(), b"0123\0\0");
    assert_eq!(t.sys(nr::TRUNCATE, &[p, -1i64 as u64]), e(Errno::EINVAL));
    let d = t.s("/");
    assert_eq!(t.sys(nr::TRUNCATE, &[d, 0]), e(Errno::EISDIR));
}

/// Linux's MAX_RW_COUNT (INT_MAX & PAGE_MASK) and x86_64's TASK_SIZE_MAX.
const MAX_RW_COUNT: u64 = 0x7fff_f000;
const TASK_SIZE: u64 = 0x7fff_ffff_f000;

#[test]
fn one_huge_iovec_is_cut_to_max_rw_count_first() {
    let mut t = T::new();
    t.create("/f", &[7u8; 100]);
    let fd = t.open("/f", libc::O_RDWR, 0) as u64;
    let b = t.buf(4096);
    // Linux >= 6.4 (import_ubuf): a single segment is clamped, then checked.
    let huge = iovecs(&mut t, Abi::Kernel, &[(b, 1 << 62)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, huge, 1, 0]), 100);
    assert_eq!(t.h.get(CAGE, b, 100), [7u8; 100]);
    t.sys(nr::LSEEK, &[fd, 0, 0]);
    let max = iovecs(&mut t, Abi::Kernel, &[(b, i64::MAX as u64)]);
    assert_eq!(t.sys(nr::READV, &[fd, max, 1]), 100);
    // A write takes what memory there is up to the first fault.
    let end = t.h.end(CAGE);
    let tail = iovecs(&mut t, Abi::Kernel, &[(end - 5000, 1 << 62)]);
    assert_eq!(t.sys(nr::PWRITEV, &[fd, tail, 1, 0]), 5000);
    assert_eq!(t.stat("/f").unwrap().st_size, 5000);
    // The clamped range must still lie in user space: at EOF nothing is
    // copied, so only the up-front check can fail.
    let fits = iovecs(&mut t, Abi::Kernel, &[(TASK_SIZE - MAX_RW_COUNT, 1 << 62)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, fits, 1, 9000]), 0);
    let past = iovecs(
        &mut t,
        Abi::Kernel,
        &[(TASK_SIZE - MAX_RW_COUNT + 1, 1 << 62)],
    );
    assert_eq!(t.sys(nr::PREADV, &[fd, past, 1, 9000]), e(Errno::EFAULT));
    // Negative as ssize_t: EINVAL, clamping or not.
    let neg = iovecs(&mut t, Abi::Kernel, &[(b, 1 << 63)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, neg, 1, 0]), e(Errno::EINVAL));
}

#[test]
fn several_iovecs_are_checked_whole_and_their_total_cut() {
    let mut t = T::new();
    t.create("/f", &[1u8; 100]);
    let fd = t.open("/f", libc::O_RDWR, 0) as u64;
    let a = t.buf(4096);
    // Each segment's whole range is checked, even one the clamp would empty.
    let v = iovecs(&mut t, Abi::Kernel, &[(a, 10), (a, 1 << 62)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, v, 2, 0]), e(Errno::EFAULT));
    let v = iovecs(&mut t, Abi::Kernel, &[(a, MAX_RW_COUNT), (a, 1 << 62)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, v, 2, 0]), e(Errno::EFAULT));
    // Every length is checked before any range: EINVAL beats EFAULT.
    let v = iovecs(&mut t, Abi::Kernel, &[(a, 1 << 62), (a, 1 << 63)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, v, 2, 0]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::WRITEV, &[fd, v, 2]), e(Errno::EINVAL));
    // A faulting later segment that is in range: the bytes before it.
    let v = iovecs(&mut t, Abi::Kernel, &[(a, 5), (8, 1 << 40), (a, 5)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, v, 3, 0]), 5);
    assert_eq!(t.sys(nr::PWRITEV, &[fd, v, 3, 0]), 5);
    // The total is cut to MAX_RW_COUNT, so segments past it add nothing to
    // the range checked against the largest offset (rw_verify_area).
    let v = iovecs(&mut t, Abi::Kernel, &[(a, MAX_RW_COUNT), (a, 10)]);
    let last_ok = (i64::MAX as u64) - MAX_RW_COUNT;
    assert_eq!(t.sys(nr::PREADV, &[fd, v, 2, last_ok]), 0);
    assert_eq!(
        t.sys(nr::PREADV, &[fd, v, 2, last_ok + 1]),
        e(Errno::EINVAL)
    );
    let one = iovecs(&mut t, Abi::Kernel, &[(a, 1 << 62)]);
    assert_eq!(t.sys(nr::PREADV, &[fd, one, 1, last_ok]), 0);
    assert_eq!(
        t.sys(nr::PREADV, &[fd, one, 1, last_ok + 1]),
        e(Errno::EINVAL)
    );
}

#[test]
fn read_write_counts_are_checked_whole_then_cut() {
    let mut t = T::new();
    t.create("/f", &[3u8; 100]);
    let fd = t.open("/f", libc::O_RDWR, 0) as u64;
    let b = t.buf(4096);
    // vfs_read: access_ok on the whole count, not the clamped one.
    assert_eq!(t.sys(nr::PREAD64, &[fd, b, 1 << 40, 0]), 100);
    assert_eq!(t.sys(nr::PREAD64, &[fd, b, TASK_SIZE - b, 0]), 100);
    assert_eq!(
        t.sys(nr::PREAD64, &[fd, b, TASK_SIZE - b + 1, 0]),
        e(Errno::EFAULT)
    );
    assert_eq!(t.sys(nr::WRITE, &[fd, b, 1 << 63]), e(Errno::EFAULT));
    // ... and the whole count against the largest offset.
    let count = 0x8000_0000u64;
    let pos = i64::MAX as u64 - count;
    assert_eq!(t.sys(nr::PREAD64, &[fd, b, count, pos]), 0);
    assert_eq!(
        t.sys(nr::PREAD64, &[fd, b, count, pos + 1]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::PWRITE64, &[fd, b, count, pos + 1]),
        e(Errno::EINVAL)
    );
    // A negative offset is EINVAL before the fd is even looked up.
    let neg = -1i64 as u64;
    assert_eq!(t.sys(nr::PREAD64, &[999, b, 1, neg]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::PWRITE64, &[999, b, 1, neg]), e(Errno::EINVAL));
    let v = iovecs(&mut t, Abi::Kernel, &[(b, 1)]);
    assert_eq!(t.sys(nr::PREADV, &[999, v, 1, neg]), e(Errno::EINVAL));
    assert_eq!(
        t.sys(nr::PREADV2, &[999, v, 1, -5i64 as u64, 0, 0]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::PREADV, &[999, v, 1, 0]), e(Errno::EBADF));
}

#[test]
fn empty_vectors_return_before_flags_and_the_file() {
    let mut t = T::new();
    t.create("/f", b"data");
    let fd = t.open("/f", libc::O_RDWR, 0) as u64;
    let b = t.buf(16);
    let empty = iovecs(&mut t, Abi::Kernel, &[(b, 0), (0, 0)]);
    let full = iovecs(&mut t, Abi::Kernel, &[(b, 4)]);
    // Unknown RWF_ flags are refused only once there is something to move,
    // and after the iovec array has been read and checked.
    assert_eq!(t.sys(nr::PREADV2, &[fd, empty, 2, 0, 0, 0x1000]), 0);
    assert_eq!(
        t.sys(nr::PREADV2, &[fd, full, 1, 0, 0, 0x1000]),
        e(Errno::EOPNOTSUPP)
    );
    assert_eq!(
        t.sys(nr::PREADV2, &[fd, 0, 1, 0, 0, 0x1000]),
        e(Errno::EFAULT)
    );
    let ro = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(
        t.sys(nr::PWRITEV2, &[ro, full, 1, 0, 0, 0x1000]),
        e(Errno::EBADF)
    );
    // A directory: readv of nothing is 0 (read of nothing is EISDIR).
    t.mkdir("/d");
    let d = t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    assert_eq!(t.sys(nr::READV, &[d, empty, 0]), 0);
    assert_eq!(t.sys(nr::READV, &[d, empty, 2]), 0);
    assert_eq!(t.sys(nr::READ, &[d, b, 0]), e(Errno::EISDIR));
    assert_eq!(t.sys(nr::READV, &[d, full, 1]), e(Errno::EISDIR));
}

#[test]
fn pwritev2_append_flags_override_o_append_for_one_write() {
    const RWF_APPEND: u64 = 0x10;
    const RWF_NOAPPEND: u64 = 0x20;
    let mut t = T::new();
    t.create("/a", b"abc");
    let app = t.open("/a", libc::O_WRONLY | libc::O_APPEND, 0) as u64;
    let n = t.data(b"N");
    let iov = iovecs(&mut t, Abi::Kernel, &[(n, 1)]);
    // RWF_NOAPPEND on an O_APPEND description writes at the offset given.
    assert_eq!(t.sys(nr::PWRITEV2, &[app, iov, 1, 0, 0, RWF_NOAPPEND]), 1);
    assert_eq!(t.cat("/a").unwrap(), b"Nbc");
    // RWF_APPEND on a plain description appends, even at an explicit offset,
    // which leaves the position alone; at offset -1 the position follows.
    let fd = t.open("/a", libc::O_RDWR, 0) as u64;
    assert_eq!(t.sys(nr::PWRITEV2, &[fd, iov, 1, 0, 0, RWF_APPEND]), 1);
    assert_eq!(t.cat("/a").unwrap(), b"NbcN");
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 0);
    let all = -1i64 as u64;
    assert_eq!(t.sys(nr::PWRITEV2, &[fd, iov, 1, all, 0, RWF_APPEND]), 1);
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 5);
    // Without flags O_APPEND still rules; both flags at once are EINVAL;
    // reads accept and ignore them.
    assert_eq!(t.sys(nr::PWRITEV2, &[app, iov, 1, 0, 0, 0]), 1);
    assert_eq!(t.cat("/a").unwrap(), b"NbcNNN");
    assert_eq!(
        t.sys(nr::PWRITEV2, &[fd, iov, 1, 0, 0, RWF_APPEND | RWF_NOAPPEND]),
        e(Errno::EINVAL)
    );
    let b = t.buf(1);
    let riov = iovecs(&mut t, Abi::Kernel, &[(b, 1)]);
    assert_eq!(t.sys(nr::PREADV2, &[fd, riov, 1, 0, 0, RWF_APPEND]), 1);
    assert_eq!(t.h.get(CAGE, b, 1), b"N");
}

#[test]
fn lind_lseek_past_i32_is_eoverflow_and_keeps_the_offset() {
    let mut t = T::with_abi(Abi::Lind);
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644) as u64;
    let set = libc::SEEK_SET as u64;
    assert_eq!(t.sys(nr::LSEEK, &[fd, 5, set]), 5);
    // A 3i handler returns an i32: 2 GiB cannot be carried back.
    assert_eq!(t.sys(nr::LSEEK, &[fd, 1 << 31, set]), e(Errno::EOVERFLOW));
    assert_eq!(t.sys(nr::LSEEK, &[fd, 0, libc::SEEK_CUR as u64]), 5);
    assert_eq!(
        t.sys(nr::LSEEK, &[fd, i32::MAX as u64, set]),
        i32::MAX as i64
    );
    // The kernel ABI has no such limit.
    let mut k = T::new();
    let fd = k.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644) as u64;
    assert_eq!(k.sys(nr::LSEEK, &[fd, 1 << 31, set]), 1 << 31);
}
