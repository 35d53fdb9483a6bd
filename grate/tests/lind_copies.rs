//! The dispatch over Lind's copy rules (lind-wasm's `copy_data_between_cages`:
//! all or nothing, a string only when its NUL lies within the length, one
//! error for every failure): the loopback host in its Lind mode.

mod common;

use common::{e, AT_FDCWD, CAGE, T};
use imfs_core::Errno;
use imfs_grate::dispatch::nr;
use imfs_grate::host::loopback::BASE;

#[test]
fn readlink_reads_the_target_when_strings_copy_whole() {
    let mut t = T::lind();
    let (target, link) = (t.s("target-of-the-link"), t.s("/l"));
    assert_eq!(t.sys(nr::SYMLINK, &[target, link]), 0);
    let b = t.buf(64);
    assert_eq!(t.sys(nr::READLINK, &[link, b, 64]), 18);
    assert_eq!(t.h.get(CAGE, b, 18), b"target-of-the-link");
    assert_eq!(t.sys(nr::READLINKAT, &[AT_FDCWD, link, b, 64]), 18);
    // The empty path still names no symlink.
    let empty = t.s("");
    assert_eq!(
        t.sys(nr::READLINKAT, &[AT_FDCWD, empty, b, 64]),
        e(Errno::ENOENT)
    );
}

#[test]
fn overlong_paths_are_enametoolong_and_bad_ones_efault() {
    let mut t = T::lind();
    let long = "/".to_string() + &"a".repeat(imfs_core::config::PATH_MAX + 10);
    let p = t.s(&long);
    assert_eq!(
        t.sys(nr::OPEN, &[p, libc::O_RDONLY as u64, 0]),
        e(Errno::ENAMETOOLONG)
    );
    assert_eq!(t.sys(nr::MKDIR, &[p, 0o755]), e(Errno::ENAMETOOLONG));
    let st = t.buf(256);
    assert_eq!(t.sys(nr::STAT, &[p, st]), e(Errno::ENAMETOOLONG));
    // Past the cage's memory, and a string running into its end without a NUL.
    let end = t.h.end(CAGE);
    assert_eq!(
        t.sys(nr::OPEN, &[end + 4096, libc::O_RDONLY as u64, 0]),
        e(Errno::EFAULT)
    );
    t.h.put_at(CAGE, end - 3, b"abc");
    assert_eq!(t.sys(nr::STAT, &[end - 3, st]), e(Errno::EFAULT));
    assert_eq!(
        t.sys(nr::OPEN, &[BASE - 1, libc::O_RDONLY as u64, 0]),
        e(Errno::EFAULT)
    );
}

#[test]
fn bad_buffers_fault() {
    let mut t = T::lind();
    t.create("/f", b"hello");
    let fd = t.open("/f", libc::O_RDWR, 0);
    let end = t.h.end(CAGE);
    assert_eq!(t.sys(nr::READ, &[fd as u64, end + 64, 5]), e(Errno::EFAULT));
    assert_eq!(
        t.sys(nr::WRITE, &[fd as u64, end + 64, 5]),
        e(Errno::EFAULT)
    );
    let p = t.s("/f");
    assert_eq!(t.sys(nr::STAT, &[p, end + 64]), e(Errno::EFAULT));
    assert_eq!(t.sys(nr::FSTAT, &[fd as u64, end + 64]), e(Errno::EFAULT));
}

#[test]
fn faccessat_takes_lind_libcs_flags() {
    // Lind's libc sends faccessat's flags as the fourth argument of 269.
    let mut t = T::lind();
    let (target, link) = (t.s("/nowhere"), t.s("/dangling"));
    assert_eq!(t.sys(nr::SYMLINK, &[target, link]), 0);
    let nofollow = libc::AT_SYMLINK_NOFOLLOW as u64;
    assert_eq!(t.sys(nr::FACCESSAT, &[AT_FDCWD, link, 0, nofollow]), 0);
    assert_eq!(
        t.sys(nr::FACCESSAT, &[AT_FDCWD, link, 0, 0]),
        e(Errno::ENOENT)
    );
    assert_eq!(
        t.sys(nr::FACCESSAT, &[AT_FDCWD, link, 0, 0x8000_0000]),
        e(Errno::EINVAL)
    );
}
