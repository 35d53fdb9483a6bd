//! Struct layouts byte for byte: Kernel ABI against libc's own structs,
//! Lind ABI against lind-wasm glibc's wasm32 layouts.

use std::mem::{offset_of, size_of};

use imfs_core::{DirEntry, Stat, StatFs, Timespec};
use imfs_grate::host::Abi;
use imfs_grate::wire::args::{decode_iovec, decode_timeval, decode_utimespec};
use imfs_grate::wire::dirent::{encode, record_len, DirentLayout};
use imfs_grate::wire::stat::{
    encode_stat, encode_statfs, encode_statx, stat_len, statfs_len, STATX_LEN,
};

fn sample() -> Stat {
    Stat {
        dev: 0x0000_1234_0000_0801,
        ino: 0x1122_3344_5566_7788,
        mode: 0o100644,
        nlink: 3,
        uid: 1001,
        gid: 1002,
        rdev: 0x0000_0000_0000_0a05,
        size: 0x1_0000_0001,
        blksize: 4096,
        blocks: 24,
        atime: Timespec {
            sec: 1_700_000_001,
            nsec: 11,
        },
        mtime: Timespec {
            sec: 1_700_000_002,
            nsec: 22,
        },
        ctime: Timespec {
            sec: 1_700_000_003,
            nsec: 33,
        },
    }
}

fn read<T>(b: &[u8]) -> T {
    assert!(b.len() >= size_of::<T>());
    // SAFETY: plain-old-data libc structs, length checked.
    unsafe { std::ptr::read_unaligned(b.as_ptr() as *const T) }
}

#[test]
fn kernel_stat_matches_libc() {
    let s = sample();
    let mut buf = [0xaau8; 256];
    let n = encode_stat(Abi::Kernel, &s, &mut buf);
    assert_eq!(n, size_of::<libc::stat>());
    assert_eq!(n, stat_len(Abi::Kernel));
    let st: libc::stat = read(&buf);
    assert_eq!(st.st_dev, s.dev);
    assert_eq!(st.st_ino, s.ino);
    assert_eq!(st.st_nlink, 3);
    assert_eq!(st.st_mode, s.mode);
    assert_eq!((st.st_uid, st.st_gid), (1001, 1002));
    assert_eq!(st.st_rdev, s.rdev);
    assert_eq!(st.st_size, s.size as i64);
    assert_eq!(st.st_blksize, 4096);
    assert_eq!(st.st_blocks, 24);
    assert_eq!((st.st_atime, st.st_atime_nsec), (1_700_000_001, 11));
    assert_eq!((st.st_mtime, st.st_mtime_nsec), (1_700_000_002, 22));
    assert_eq!((st.st_ctime, st.st_ctime_nsec), (1_700_000_003, 33));
    // Padding is zeroed, not left over.
    assert_eq!(&buf[36..40], &[0; 4]);
    assert_eq!(&buf[120..144], &[0; 24]);
}

#[test]
fn lind_stat_layout() {
    // lind-wasm glibc struct stat (wasm32): dev u64 @0, ino u64 @8 (u32 + pad),
    // mode @16, nlink @20, uid @24, gid @28, rdev u64 @32, size u64 @40,
    // blksize i32 @48, blocks i32 @52, then (sec i64, nsec) pairs @56/@72/@88.
    let s = sample();
    let mut buf = [0xaau8; 256];
    assert_eq!(encode_stat(Abi::Lind, &s, &mut buf), 104);
    let u32_at = |o: usize| u32::from_le_bytes(buf[o..o + 4].try_into().unwrap());
    let u64_at = |o: usize| u64::from_le_bytes(buf[o..o + 8].try_into().unwrap());
    assert_eq!(u64_at(0), s.dev);
    assert_eq!(u64_at(8), s.ino);
    assert_eq!(u32_at(16), s.mode);
    assert_eq!(u32_at(20), 3);
    assert_eq!(u32_at(24), 1001);
    assert_eq!(u32_at(28), 1002);
    assert_eq!(u64_at(32), s.rdev);
    assert_eq!(u64_at(40), s.size);
    assert_eq!(u32_at(48), 4096);
    assert_eq!(u32_at(52), 24);
    assert_eq!((u64_at(56), u64_at(64)), (1_700_000_001, 11));
    assert_eq!((u64_at(72), u64_at(80)), (1_700_000_002, 22));
    assert_eq!((u64_at(88), u64_at(96)), (1_700_000_003, 33));
    assert_eq!(buf[104], 0xaa, "nothing written past the struct");
}

#[test]
fn statx_matches_libc() {
    let s = sample();
    let mut buf = [0xaau8; 256];
    assert_eq!(encode_statx(&s, &mut buf), STATX_LEN);
    assert_eq!(STATX_LEN, size_of::<libc::statx>());
    let sx: libc::statx = read(&buf);
    assert_eq!(sx.stx_mask, libc::STATX_BASIC_STATS);
    assert_eq!(sx.stx_blksize, 4096);
    assert_eq!(sx.stx_nlink, 3);
    assert_eq!((sx.stx_uid, sx.stx_gid), (1001, 1002));
    assert_eq!(sx.stx_mode as u32, s.mode);
    assert_eq!(sx.stx_ino, s.ino);
    assert_eq!(sx.stx_size, s.size);
    assert_eq!(sx.stx_blocks, 24);
    assert_eq!(
        (sx.stx_atime.tv_sec, sx.stx_atime.tv_nsec),
        (1_700_000_001, 11)
    );
    assert_eq!(
        (sx.stx_mtime.tv_sec, sx.stx_mtime.tv_nsec),
        (1_700_000_002, 22)
    );
    assert_eq!(
        (sx.stx_ctime.tv_sec, sx.stx_ctime.tv_nsec),
        (1_700_000_003, 33)
    );
    assert_eq!(sx.stx_btime.tv_sec, 0);
    // The device numbers split as glibc's major()/minor() do.
    assert_eq!(
        (sx.stx_dev_major, sx.stx_dev_minor),
        (libc::major(s.dev), libc::minor(s.dev))
    );
    assert_eq!(
        (sx.stx_rdev_major, sx.stx_rdev_minor),
        (libc::major(s.rdev), libc::minor(s.rdev))
    );
}

fn sample_fs() -> StatFs {
    StatFs {
        fs_type: 0x0102_1994,
        bsize: 4096,
        blocks: 9216,
        bfree: 9000,
        bavail: 8999,
        files: 8192,
        ffree: 8000,
        fsid: 0x0000_0002_0000_0001,
        namelen: 255,
        frsize: 4096,
        flags: 0x20,
    }
}

#[test]
fn kernel_statfs_matches_libc() {
    let f = sample_fs();
    let mut buf = [0xaau8; 256];
    let n = encode_statfs(Abi::Kernel, &f, &mut buf);
    assert_eq!(n, size_of::<libc::statfs>());
    let sf: libc::statfs = read(&buf);
    assert_eq!(sf.f_type, 0x0102_1994);
    assert_eq!(sf.f_bsize, 4096);
    assert_eq!(sf.f_blocks, 9216);
    assert_eq!(sf.f_bfree, 9000);
    assert_eq!(sf.f_bavail, 8999);
    assert_eq!(sf.f_files, 8192);
    assert_eq!(sf.f_ffree, 8000);
    // SAFETY: fsid_t is two ints.
    let fsid: [i32; 2] = unsafe { std::mem::transmute(sf.f_fsid) };
    assert_eq!(fsid, [1, 2]);
    assert_eq!(sf.f_namelen, 255);
    assert_eq!(sf.f_frsize, 4096);
    // libc's statfs hides f_flags and f_spare: check their bytes.
    assert_eq!(offset_of!(libc::statfs, f_frsize), 72);
    assert_eq!(u64::from_le_bytes(buf[80..88].try_into().unwrap()), 0x20);
    assert_eq!(&buf[88..120], &[0; 32]);
}

#[test]
fn lind_statfs_layout() {
    // lind-wasm glibc struct statfs: every field in an 8-byte slot, no f_flags,
    // 32 bytes of spare: 112 bytes.
    let f = sample_fs();
    let mut buf = [0xaau8; 256];
    assert_eq!(encode_statfs(Abi::Lind, &f, &mut buf), 112);
    assert_eq!(statfs_len(Abi::Lind), 112);
    let u64_at = |o: usize| u64::from_le_bytes(buf[o..o + 8].try_into().unwrap());
    let want = [
        0x0102_1994,
        4096,
        9216,
        9000,
        8999,
        8192,
        8000,
        0x0000_0002_0000_0001,
        255,
        4096,
    ];
    for (i, w) in want.iter().enumerate() {
        assert_eq!(u64_at(i * 8), *w, "field {i}");
    }
    assert_eq!(&buf[80..112], &[0; 32]);
}

#[test]
fn dirent64_matches_libc() {
    let e = DirEntry {
        ino: 42,
        next: 7,
        kind: libc::DT_REG,
        name: b"hello.txt",
    };
    let mut buf = [0xaau8; 64];
    let n = encode(DirentLayout::Dirent64, &e, &mut buf).unwrap();
    assert_eq!(n, record_len(DirentLayout::Dirent64, 9));
    assert_eq!(n % 8, 0);
    let d: libc::dirent64 = read(&{
        let mut big = [0u8; size_of::<libc::dirent64>()];
        big[..n].copy_from_slice(&buf[..n]);
        big
    });
    assert_eq!(d.d_ino, 42);
    assert_eq!(d.d_off, 7);
    assert_eq!(d.d_reclen as usize, n);
    assert_eq!(d.d_type, libc::DT_REG);
    let name_at = offset_of!(libc::dirent64, d_name);
    assert_eq!(&buf[name_at..name_at + 10], b"hello.txt\0");
    // Too small a buffer: nothing written.
    assert_eq!(encode(DirentLayout::Dirent64, &e, &mut buf[..n - 1]), None);
}

#[test]
fn legacy_dirent_layout() {
    // struct linux_dirent { unsigned long d_ino, d_off; unsigned short d_reclen;
    // char d_name[]; /* NUL, padding, d_type in the last byte */ }.
    let e = DirEntry {
        ino: 42,
        next: 7,
        kind: libc::DT_DIR,
        name: b"abc",
    };
    let mut buf = [0xaau8; 64];
    let n = encode(DirentLayout::Legacy, &e, &mut buf).unwrap();
    assert_eq!(n, 24);
    assert_eq!(u64::from_le_bytes(buf[0..8].try_into().unwrap()), 42);
    assert_eq!(u64::from_le_bytes(buf[8..16].try_into().unwrap()), 7);
    assert_eq!(u16::from_le_bytes(buf[16..18].try_into().unwrap()), 24);
    assert_eq!(&buf[18..22], b"abc\0");
    assert_eq!(buf[n - 1], libc::DT_DIR);
}

#[test]
fn iovec_and_time_decoding() {
    let mut k = [0u8; 16];
    k[..8].copy_from_slice(&0x1234_5678_9abcu64.to_le_bytes());
    k[8..].copy_from_slice(&(1u64 << 40).to_le_bytes());
    assert_eq!(decode_iovec(Abi::Kernel, &k), (0x1234_5678_9abc, 1 << 40));
    assert_eq!(size_of::<libc::iovec>(), 16);
    // Lind: glibc passes a 64-bit host base (low half in iov_base, high half
    // in the pad word after it) and a 32-bit length; the last pad is ignored.
    let mut l = [0xffu8; 16];
    l[..8].copy_from_slice(&0x7f12_0000_1000u64.to_le_bytes());
    l[8..12].copy_from_slice(&77u32.to_le_bytes());
    assert_eq!(decode_iovec(Abi::Lind, &l), (0x7f12_0000_1000, 77));
    let mut ts = [0xffu8; 16];
    ts[..8].copy_from_slice(&5i64.to_le_bytes());
    ts[8..12].copy_from_slice(&9u32.to_le_bytes());
    assert_eq!(
        decode_utimespec(Abi::Lind, &ts).unwrap(),
        Timespec { sec: 5, nsec: 9 }
    );
    assert!(decode_utimespec(Abi::Kernel, &ts).is_err());
    let mut tv = [0u8; 16];
    tv[..8].copy_from_slice(&5i64.to_le_bytes());
    tv[8..].copy_from_slice(&1_000_000i64.to_le_bytes());
    assert!(decode_timeval(Abi::Kernel, &tv).is_err());
}
