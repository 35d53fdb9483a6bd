//! fcntl record locks through the dispatch: struct flock checks, conflicts
//! between cages, F_GETLK answers, release on close/exit, OFD locks, the
//! fixed table's ENOLCK, and Lind's argument placement.

mod common;
use common::*;
use imfs_core::Errno;
use imfs_grate::dispatch::nr;
use imfs_grate::host::{Abi, CageId};
use imfs_grate::locks::CAPACITY;

const ENOLCK: i64 = -37;

/// A `struct flock` as x86_64 (and Lind) lay it out.
fn flock(l_type: i32, whence: i32, start: i64, len: i64, pid: i32) -> [u8; 32] {
    let mut b = [0u8; 32];
    b[0..2].copy_from_slice(&(l_type as i16).to_le_bytes());
    b[2..4].copy_from_slice(&(whence as i16).to_le_bytes());
    b[8..16].copy_from_slice(&start.to_le_bytes());
    b[16..24].copy_from_slice(&len.to_le_bytes());
    b[24..28].copy_from_slice(&pid.to_le_bytes());
    b
}

/// (l_type, l_whence, l_start, l_len, l_pid) of the struct at `addr`.
fn read_flock(t: &T, cage: CageId, addr: u64) -> (i32, i32, i64, i64, i32) {
    let b = t.h.get(cage, addr, 32);
    (
        i16::from_le_bytes([b[0], b[1]]) as i32,
        i16::from_le_bytes([b[2], b[3]]) as i32,
        i64::from_le_bytes(b[8..16].try_into().unwrap()),
        i64::from_le_bytes(b[16..24].try_into().unwrap()),
        i32::from_le_bytes(b[24..28].try_into().unwrap()),
    )
}

/// fcntl(fd, cmd, &flock) by `cage`: the result and where the struct lies.
fn lk(t: &mut T, cage: CageId, fd: i64, cmd: i32, fl: [u8; 32]) -> (i64, u64) {
    let addr = t.h.put(cage, &fl);
    let r = t.sysc(cage, nr::FCNTL, &[fd as u64, cmd as u64, addr]);
    (r, addr)
}

fn set(t: &mut T, cage: CageId, fd: i64, l_type: i32, start: i64, len: i64) -> i64 {
    lk(
        t,
        cage,
        fd,
        libc::F_SETLK,
        flock(l_type, libc::SEEK_SET, start, len, 0),
    )
    .0
}

/// F_GETLK for a write lock over `start`, `len`: what it reported.
fn get(t: &mut T, cage: CageId, fd: i64, start: i64, len: i64) -> (i32, i32, i64, i64, i32) {
    let fl = flock(libc::F_WRLCK, libc::SEEK_SET, start, len, 0);
    let (r, addr) = lk(t, cage, fd, libc::F_GETLK, fl);
    assert_eq!(r, 0);
    read_flock(t, cage, addr)
}

fn file(t: &mut T) -> i64 {
    t.create("/f", b"0123456789");
    t.open("/f", libc::O_RDWR, 0)
}

#[test]
fn flock_struct_is_checked_like_linux() {
    let mut t = T::new();
    let fd = file(&mut t);
    let ro = t.open("/f", libc::O_RDONLY, 0);
    let wo = t.open("/f", libc::O_WRONLY, 0);
    let bad = |t: &mut T, fd, cmd, fl| lk(t, CAGE, fd, cmd, fl).0;
    let (wr, rd, un, set_) = (libc::F_WRLCK, libc::F_RDLCK, libc::F_UNLCK, libc::F_SETLK);
    // Type and whence, then the range, then the access mode.
    assert_eq!(
        bad(&mut t, wo, set_, flock(9, 0, 0, 1, 0)),
        e(Errno::EINVAL)
    );
    assert_eq!(
        bad(&mut t, wo, set_, flock(wr, 7, 0, 1, 0)),
        e(Errno::EINVAL)
    );
    assert_eq!(
        bad(&mut t, wo, set_, flock(9, 7, 0, 1, 0)),
        e(Errno::EINVAL)
    );
    assert_eq!(
        bad(&mut t, wo, set_, flock(wr, 0, -1, 1, 0)),
        e(Errno::EINVAL)
    );
    assert_eq!(
        bad(&mut t, wo, set_, flock(wr, 0, 5, -6, 0)),
        e(Errno::EINVAL)
    );
    assert_eq!(
        bad(&mut t, wo, set_, flock(wr, 0, i64::MAX, 2, 0)),
        e(Errno::EOVERFLOW)
    );
    // SEEK_END counts from the size (10): -11 is before the start.
    assert_eq!(
        bad(&mut t, wo, set_, flock(wr, 2, -11, 1, 0)),
        e(Errno::EINVAL)
    );
    assert_eq!(bad(&mut t, wo, set_, flock(wr, 2, -10, 1, 0)), 0);
    assert_eq!(
        bad(&mut t, ro, set_, flock(wr, 0, 0, 1, 0)),
        e(Errno::EBADF)
    );
    assert_eq!(
        bad(&mut t, wo, set_, flock(rd, 0, 0, 1, 0)),
        e(Errno::EBADF)
    );
    assert_eq!(bad(&mut t, ro, set_, flock(un, 0, 0, 1, 0)), 0);
    // F_GETLK wants a lock type to test.
    assert_eq!(
        bad(&mut t, ro, libc::F_GETLK, flock(un, 0, 0, 1, 0)),
        e(Errno::EINVAL)
    );
    // F_GETLK may test a write lock through a read-only fd.
    assert_eq!(bad(&mut t, ro, libc::F_GETLK, flock(wr, 0, 0, 1, 0)), 0);
    // OFD locks want l_pid 0.
    assert_eq!(
        bad(&mut t, fd, libc::F_OFD_SETLK, flock(wr, 0, 0, 1, 5)),
        e(Errno::EINVAL)
    );
    assert_eq!(
        bad(&mut t, fd, libc::F_OFD_GETLK, flock(wr, 0, 0, 1, -1)),
        e(Errno::EINVAL)
    );
    // Unreadable struct, bad fd, O_PATH fd, unknown LFS number on x86_64.
    assert_eq!(
        t.sys(nr::FCNTL, &[fd as u64, libc::F_SETLK as u64, 8]),
        e(Errno::EFAULT)
    );
    assert_eq!(
        bad(&mut t, 77, set_, flock(wr, 0, 0, 1, 0)),
        e(Errno::EBADF)
    );
    let path = t.open("/f", libc::O_PATH, 0);
    assert_eq!(
        bad(&mut t, path, set_, flock(un, 0, 0, 1, 0)),
        e(Errno::EBADF)
    );
    assert_eq!(bad(&mut t, fd, 13, flock(wr, 0, 0, 1, 0)), e(Errno::EINVAL));
    // A directory takes read locks.
    assert_eq!(t.mkdir("/d"), 0);
    let d = t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0);
    assert_eq!(bad(&mut t, d, set_, flock(rd, 0, 0, 0, 0)), 0);
}

#[test]
fn locks_conflict_between_cages_and_getlk_reports_the_holder() {
    let mut t = T::new();
    let fd = file(&mut t);
    t.h.fork(&mut t.g, CAGE, 2).unwrap();
    // SEEK_CUR counts from the position.
    assert_eq!(t.sys(nr::LSEEK, &[fd as u64, 4, libc::SEEK_SET as u64]), 4);
    let cur = flock(libc::F_WRLCK, libc::SEEK_CUR, 0, 2, 0);
    assert_eq!(lk(&mut t, CAGE, fd, libc::F_SETLK, cur).0, 0);
    // The holder sees no conflict with itself.
    assert_eq!(get(&mut t, CAGE, fd, 0, 0).0, libc::F_UNLCK);
    assert_eq!(get(&mut t, 2, fd, 0, 0), (libc::F_WRLCK, 0, 4, 2, 1));
    assert_eq!(get(&mut t, 2, fd, 6, 0).0, libc::F_UNLCK);
    // Conflicts: EAGAIN; F_SETLKW cannot wait here and says EINTR.
    assert_eq!(set(&mut t, 2, fd, libc::F_RDLCK, 5, 1), e(Errno::EAGAIN));
    let w = flock(libc::F_RDLCK, libc::SEEK_SET, 0, 0, 0);
    assert_eq!(lk(&mut t, 2, fd, libc::F_SETLKW, w).0, e(Errno::EINTR));
    assert_eq!(set(&mut t, 2, fd, libc::F_RDLCK, 6, 0), 0);
    // Read locks share; the reported range reaches to EOF (l_len 0).
    assert_eq!(set(&mut t, CAGE, fd, libc::F_UNLCK, 0, 0), 0);
    assert_eq!(set(&mut t, CAGE, fd, libc::F_RDLCK, 0, 0), 0);
    assert_eq!(get(&mut t, 2, fd, 0, 1), (libc::F_RDLCK, 0, 0, 0, 1));
    assert_eq!(t.g.locks().len(), 2);
    // A child's exit drops its locks.
    t.h.exit(&mut t.g, 2);
    assert_eq!(t.g.locks().len(), 1);
}

#[test]
fn closing_any_fd_of_the_file_releases_the_cages_locks() {
    let mut t = T::new();
    let fd = file(&mut t);
    let other = t.open("/f", libc::O_RDONLY, 0);
    t.create("/g", b"x");
    let g = t.open("/g", libc::O_RDWR, 0);
    assert_eq!(set(&mut t, CAGE, fd, libc::F_WRLCK, 0, 1), 0);
    assert_eq!(set(&mut t, CAGE, g, libc::F_WRLCK, 0, 1), 0);
    // A dup2 over a descriptor of the file is a close too.
    let spare = t.open("/f", libc::O_RDONLY, 0);
    assert_eq!(t.sys(nr::DUP2, &[g as u64, spare as u64]), spare);
    assert_eq!(t.g.locks().len(), 1, "only /g's lock left");
    assert_eq!(set(&mut t, CAGE, fd, libc::F_WRLCK, 0, 1), 0);
    assert_eq!(t.close(other), 0);
    assert_eq!(t.g.locks().len(), 1);
    // exec closes cloexec fds, and their files' locks go with them.
    assert_eq!(
        t.sys(
            nr::FCNTL,
            &[g as u64, libc::F_SETFD as u64, libc::FD_CLOEXEC as u64]
        ),
        0
    );
    t.h.exec(&mut t.g, CAGE);
    assert!(t.g.locks().is_empty());
    assert_eq!(t.close(fd), 0);
}

#[test]
fn ofd_locks_belong_to_the_description() {
    let mut t = T::new();
    let fd = file(&mut t);
    let dup = t.sys(nr::DUP, &[fd as u64]);
    let other = t.open("/f", libc::O_RDWR, 0);
    let ofd = |l_type| flock(l_type, libc::SEEK_SET, 0, 4, 0);
    assert_eq!(
        lk(&mut t, CAGE, fd, libc::F_OFD_SETLK, ofd(libc::F_WRLCK)).0,
        0
    );
    // Another description of the same cage conflicts; a dup shares it.
    assert_eq!(
        lk(&mut t, CAGE, other, libc::F_OFD_SETLK, ofd(libc::F_RDLCK)).0,
        e(Errno::EAGAIN)
    );
    assert_eq!(
        lk(&mut t, CAGE, dup, libc::F_OFD_SETLK, ofd(libc::F_RDLCK)).0,
        0
    );
    // The cage's own POSIX locks conflict with it too; l_pid is -1.
    assert_eq!(
        set(&mut t, CAGE, other, libc::F_WRLCK, 0, 1),
        e(Errno::EAGAIN)
    );
    assert_eq!(get(&mut t, CAGE, other, 0, 0), (libc::F_RDLCK, 0, 0, 4, -1));
    let (r, addr) = lk(&mut t, CAGE, other, libc::F_OFD_GETLK, ofd(libc::F_WRLCK));
    assert_eq!((r, read_flock(&t, CAGE, addr).0), (0, libc::F_RDLCK));
    // Closing one fd keeps the description (and its lock); the last frees it.
    assert_eq!(t.close(fd), 0);
    assert_eq!(get(&mut t, CAGE, other, 0, 0).0, libc::F_RDLCK);
    assert_eq!(t.close(dup), 0);
    assert_eq!(get(&mut t, CAGE, other, 0, 0).0, libc::F_UNLCK);
}

#[test]
fn a_full_lock_table_gives_enolck_and_recovers() {
    let mut t = T::new();
    let fd = file(&mut t);
    for i in 0..CAPACITY as i64 {
        // Every other byte, so no two locks merge.
        assert_eq!(
            set(&mut t, CAGE, fd, libc::F_WRLCK, i * 2, 1),
            0,
            "lock {i}"
        );
    }
    assert_eq!(set(&mut t, CAGE, fd, libc::F_WRLCK, 10_000, 1), ENOLCK);
    // Replacing a lock in place needs no new slot.
    assert_eq!(set(&mut t, CAGE, fd, libc::F_WRLCK, 0, 1), 0);
    assert_eq!(t.g.locks().len(), CAPACITY);
    assert_eq!(t.close(fd), 0);
    assert!(t.g.locks().is_empty());
    let fd = t.open("/f", libc::O_RDWR, 0);
    assert_eq!(set(&mut t, CAGE, fd, libc::F_WRLCK, 10_000, 1), 0);
}

#[test]
fn lind_passes_the_struct_fourth_and_may_use_lfs_numbers() {
    let mut t = T::with_abi(Abi::Lind);
    let fd = file(&mut t);
    let fl =
        t.h.put(CAGE, &flock(libc::F_WRLCK, libc::SEEK_SET, 0, 1, 0));
    // fcntl(fd, F_SETLK64, int_arg 0, ptr_arg).
    assert_eq!(t.sys(nr::FCNTL, &[fd as u64, 13, 0, fl]), 0);
    assert_eq!(t.g.locks().len(), 1);
    t.h.fork(&mut t.g, CAGE, 2).unwrap();
    let q = t.h.put(2, &flock(libc::F_RDLCK, libc::SEEK_SET, 0, 0, 0));
    assert_eq!(
        t.sysc(2, nr::FCNTL, &[fd as u64, libc::F_GETLK as u64, 0, q]),
        0
    );
    assert_eq!(read_flock(&t, 2, q), (libc::F_WRLCK, 0, 0, 1, 1));
}
