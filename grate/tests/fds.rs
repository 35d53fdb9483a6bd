//! fd tables through the dispatch: dup family, fcntl, close_range, and the
//! fork/exec/exit lifecycle, limits and isolation between cages.

mod common;
use common::*;
use imfs_core::{config, Errno};
use imfs_grate::dispatch::nr;
use imfs_grate::host::Reply;

#[test]
fn lowest_free_fd_first() {
    let mut t = T::new();
    let a = t.open("/a", libc::O_CREAT | libc::O_RDWR, 0o644);
    let b = t.open("/b", libc::O_CREAT | libc::O_RDWR, 0o644);
    let c = t.open("/c", libc::O_CREAT | libc::O_RDWR, 0o644);
    assert_eq!((a, b, c), (3, 4, 5));
    assert_eq!(t.close(b), 0);
    assert_eq!(t.close(b), e(Errno::EBADF));
    assert_eq!(t.open("/a", libc::O_RDONLY, 0), 4);
}

#[test]
fn dup_shares_offset_and_status_flags() {
    let mut t = T::new();
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644);
    let d = t.sys(nr::DUP, &[fd as u64]);
    assert_eq!(d, 4);
    t.write(fd, b"abc");
    assert_eq!(t.sys(nr::LSEEK, &[d as u64, 0, libc::SEEK_CUR as u64]), 3);
    assert_eq!(
        t.sys(
            nr::FCNTL,
            &[d as u64, libc::F_SETFL as u64, libc::O_APPEND as u64]
        ),
        0
    );
    let fl = t.sys(nr::FCNTL, &[fd as u64, libc::F_GETFL as u64]);
    assert_ne!(fl & libc::O_APPEND as i64, 0);
    assert_eq!(fl & libc::O_ACCMODE as i64, libc::O_RDWR as i64);
    // Closing one keeps the description open for the other.
    let before = t.open_files();
    assert_eq!(t.close(fd), 0);
    assert_eq!(t.open_files(), before);
    assert_eq!(t.close(d), 0);
    assert_eq!(t.open_files(), before - 1);
}

#[test]
fn dup2_dup3_semantics() {
    let mut t = T::new();
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644) as u64;
    let other = t.open("/g", libc::O_CREAT | libc::O_RDWR, 0o644) as u64;
    // dup2 onto itself returns it when valid, EBADF when not.
    assert_eq!(t.sys(nr::DUP2, &[fd, fd]), fd as i64);
    assert_eq!(t.sys(nr::DUP2, &[77, 77]), e(Errno::EBADF));
    assert_eq!(t.sys(nr::DUP3, &[fd, fd, 0]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::DUP3, &[fd, 20, 1]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::DUP2, &[fd, -1i64 as u64]), e(Errno::EBADF));
    assert_eq!(
        t.sys(nr::DUP2, &[fd, config::FDS_PER_CAGE as u64]),
        e(Errno::EBADF)
    );
    // dup2 over an open imfs fd closes the old description.
    let before = t.open_files();
    assert_eq!(t.sys(nr::DUP2, &[fd, other]), other as i64);
    assert_eq!(t.open_files(), before - 1);
    assert_eq!(t.sys(nr::DUP3, &[fd, 30, libc::O_CLOEXEC as u64]), 30);
    assert_eq!(
        t.sys(nr::FCNTL, &[30, libc::F_GETFD as u64]),
        libc::FD_CLOEXEC as i64
    );
    assert_eq!(t.sys(nr::FCNTL, &[other, libc::F_GETFD as u64]), 0);
    // dup2 of an imfs fd over stdout: fd 1 becomes imfs's.
    assert_eq!(t.sys(nr::DUP2, &[fd, 1]), 1);
    let b = t.data(b"x");
    assert_eq!(t.sys(nr::WRITE, &[1, b, 1]), 1);
    assert_eq!(t.cat("/f").unwrap(), b"x");
}

#[test]
fn fcntl_commands() {
    let mut t = T::new();
    let fd = t.open(
        "/f",
        libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
        0o644,
    ) as u64;
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_GETFD as u64]), 1);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_SETFD as u64, 0]), 0);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_GETFD as u64]), 0);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_DUPFD as u64, 10]), 10);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_DUPFD as u64, 10]), 11);
    assert_eq!(t.sys(nr::FCNTL, &[fd, libc::F_DUPFD_CLOEXEC as u64, 0]), 4);
    assert_eq!(t.sys(nr::FCNTL, &[4, libc::F_GETFD as u64]), 1);
    assert_eq!(
        t.sys(nr::FCNTL, &[fd, libc::F_DUPFD as u64, -1i64 as u64]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::FCNTL, &[fd, libc::F_DUPFD as u64, 1 << 30]),
        e(Errno::EINVAL)
    );
    assert_eq!(
        t.sys(nr::FCNTL, &[fd, libc::F_GETFL as u64]) & 3,
        libc::O_WRONLY as i64
    );
    // Record locks read their struct flock (tests/locks.rs has the rest).
    assert_eq!(
        t.sys(nr::FCNTL, &[fd, libc::F_SETLK as u64, 0]),
        e(Errno::EFAULT)
    );
    assert_eq!(t.sys(nr::FCNTL, &[fd, 9999, 0]), e(Errno::EINVAL));
    assert_eq!(
        t.reply(CAGE, nr::FCNTL, &[0, libc::F_GETFL as u64]),
        Reply::Continue
    );
}

#[test]
fn close_range_closes_and_marks() {
    let mut t = T::new();
    for i in 0..6 {
        assert_eq!(t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644), 3 + i);
    }
    let base = t.open_files();
    assert_eq!(t.reply(CAGE, nr::CLOSE_RANGE, &[5, 6, 0]), Reply::Continue);
    assert_eq!(t.open_files(), base - 2);
    assert_eq!(
        t.sys(nr::FCNTL, &[5, libc::F_GETFD as u64]),
        e(Errno::EBADF)
    );
    assert_eq!(t.sys(nr::FCNTL, &[7, libc::F_GETFD as u64]), 0);
    assert_eq!(
        t.reply(
            CAGE,
            nr::CLOSE_RANGE,
            &[3, u32::MAX as u64, 4 /* CLOEXEC */]
        ),
        Reply::Continue
    );
    assert_eq!(t.sys(nr::FCNTL, &[8, libc::F_GETFD as u64]), 1);
    assert_eq!(t.sys(nr::CLOSE_RANGE, &[9, 3, 0]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::CLOSE_RANGE, &[3, 9, 1]), e(Errno::EINVAL));
}

#[test]
fn emfile_at_the_limit_then_recovery() {
    let mut t = T::new();
    let limit = config::FDS_PER_CAGE as i64;
    let first = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644);
    for want in first + 1..limit {
        assert_eq!(t.sys(nr::DUP, &[first as u64]), want);
    }
    assert_eq!(t.sys(nr::DUP, &[first as u64]), e(Errno::EMFILE));
    assert_eq!(
        t.sys(nr::FCNTL, &[first as u64, libc::F_DUPFD as u64, 0]),
        e(Errno::EMFILE)
    );
    // A full table creates nothing: no file appears.
    assert_eq!(
        t.open("/new", libc::O_CREAT | libc::O_RDWR, 0o644),
        e(Errno::EMFILE)
    );
    assert_eq!(t.stat("/new").map(|_| ()), Err(e(Errno::ENOENT)));
    assert_eq!(t.close(100), 0);
    assert_eq!(t.open("/new", libc::O_CREAT | libc::O_RDWR, 0o644), 100);
    t.check();
}

#[test]
fn fork_shares_descriptions_and_isolates_tables() {
    let mut t = T::new();
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644);
    t.write(fd, b"parent");
    let base = t.open_files();
    t.h.fork(&mut t.g, CAGE, 2).unwrap();
    // Same description: the child's writes move the parent's offset.
    assert_eq!(t.writec(2, fd, b"+child"), 6);
    assert_eq!(t.sys(nr::LSEEK, &[fd as u64, 0, libc::SEEK_CUR as u64]), 12);
    // The child's own fd is invisible to the parent.
    let cfd = t.openc(2, "/g", libc::O_CREAT | libc::O_RDWR, 0o644);
    assert_eq!(cfd, 4);
    assert_eq!(
        t.sys(nr::WRITE, &[cfd as u64, t.h.end(CAGE) - 8, 1]),
        e(Errno::EBADF)
    );
    // A cage that never existed has no fds but stdio.
    assert_eq!(t.sysc(77, nr::CLOSE, &[fd as u64]), e(Errno::EBADF));
    // Closing in the child leaves the parent's fd working.
    assert_eq!(t.sysc(2, nr::CLOSE, &[fd as u64]), 0);
    assert_eq!(t.open_files(), base + 1);
    t.h.exit(&mut t.g, 2);
    assert_eq!(t.open_files(), base);
    assert_eq!(t.cat("/f").unwrap(), b"parent+child");
}

#[test]
fn exec_closes_cloexec_fds_only() {
    let mut t = T::new();
    let keep = t.open("/k", libc::O_CREAT | libc::O_RDWR, 0o644);
    let gone = t.open("/g", libc::O_CREAT | libc::O_RDWR | libc::O_CLOEXEC, 0o644);
    let dup = t.sys(nr::FCNTL, &[keep as u64, libc::F_DUPFD_CLOEXEC as u64, 0]);
    let base = t.open_files();
    t.h.exec(&mut t.g, CAGE);
    assert_eq!(t.open_files(), base - 1);
    assert_eq!(
        t.sys(nr::FCNTL, &[gone as u64, libc::F_GETFD as u64]),
        e(Errno::EBADF)
    );
    assert_eq!(
        t.sys(nr::FCNTL, &[dup as u64, libc::F_GETFD as u64]),
        e(Errno::EBADF)
    );
    assert_eq!(t.sys(nr::FCNTL, &[keep as u64, libc::F_GETFD as u64]), 0);
    assert_eq!(t.g.usage().fds.used, 1);
}

#[test]
fn exit_releases_everything() {
    let mut t = T::new();
    let base = t.open_files();
    t.h.fork(&mut t.g, CAGE, 2).unwrap();
    for i in 0..10 {
        let fd = t.openc(2, &format!("/f{i}"), libc::O_CREAT | libc::O_RDWR, 0o644);
        assert!(fd >= 0);
    }
    t.mkdir("/d");
    let d = t.strc(2, "/d");
    assert_eq!(t.sysc(2, nr::CHDIR, &[d]), 0);
    assert!(t.open_files() > base);
    t.h.exit(&mut t.g, 2);
    assert_eq!(t.open_files(), base);
    assert_eq!(t.g.usage().fds.used, 0);
    assert!(t.g.usage().fds.high_water >= 10);
    t.check();
}

#[test]
fn cage_limit_is_eagain() {
    let mut t = T::new();
    for child in 2..=config::CAGES as u64 {
        t.h.fork(&mut t.g, CAGE, child).unwrap();
    }
    assert_eq!(t.h.fork(&mut t.g, CAGE, 1000), Err(Errno::EAGAIN));
    t.h.exit(&mut t.g, 2);
    t.h.fork(&mut t.g, CAGE, 1000).unwrap();
}

#[test]
fn umask_per_cage_inherited_on_fork() {
    let mut t = T::new();
    assert_eq!(t.sys(nr::UMASK, &[0o077]), 0o022);
    t.create("/u", b"");
    assert_eq!(t.stat("/u").unwrap().st_mode & 0o777, 0o600);
    t.h.fork(&mut t.g, CAGE, 2).unwrap();
    assert_eq!(t.sysc(2, nr::UMASK, &[0o002]), 0o077);
    assert_eq!(t.sys(nr::UMASK, &[0o022]), 0o077);
    let p = t.strc(2, "/dir2");
    assert_eq!(t.sysc(2, nr::MKDIR, &[p, 0o777]), 0);
    assert_eq!(t.stat("/dir2").unwrap().st_mode & 0o777, 0o775);
}

#[test]
fn in_kernel_copies_refuse_imfs_fds_and_pass_host_ones() {
    let mut t = T::new();
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644) as u64;
    let cage = CAGE;
    // sendfile(out, in, off, count), copy_file_range(in, off, out, off, len, flags),
    // splice(in, off, out, off, len, flags), tee(in, out, len, flags).
    assert_eq!(t.sys(nr::SENDFILE, &[1, fd, 0, 10]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::SENDFILE, &[fd, 0, 0, 10]), e(Errno::EINVAL));
    assert_eq!(
        t.sys(nr::COPY_FILE_RANGE, &[fd, 0, 1, 0, 10, 0]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::SPLICE, &[0, 0, fd, 0, 10, 0]), e(Errno::EINVAL));
    assert_eq!(t.sys(nr::TEE, &[fd, 1, 10, 0]), e(Errno::EINVAL));
    assert_eq!(t.reply(cage, nr::SENDFILE, &[1, 0, 0, 10]), Reply::Continue);
    assert_eq!(
        t.reply(cage, nr::COPY_FILE_RANGE, &[0, 0, 1, 0, 10, 0]),
        Reply::Continue
    );
    // readahead and syncfs on an imfs fd succeed; on a bad fd EBADF.
    assert_eq!(t.sys(nr::READAHEAD, &[fd, 0, 4096]), 0);
    assert_eq!(t.sys(nr::SYNCFS, &[fd]), 0);
    assert_eq!(t.sys(nr::SYNCFS, &[99]), e(Errno::EBADF));
    // openat2 never reaches the host: ENOSYS makes libc fall back to openat.
    assert_eq!(
        t.sys(nr::OPENAT2, &[-100i64 as u64, 0, 0, 24]),
        e(Errno::ENOSYS)
    );
}

#[test]
fn dup2_onto_itself_leaves_host_fds_to_the_host() {
    let mut t = T::new();
    // fd 1 is the host's: the host answers (on the native host the kernel
    // says EBADF for an fd nobody opened).
    assert_eq!(t.reply(CAGE, nr::DUP2, &[1, 1]), Reply::Continue);
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644) as u64;
    assert_eq!(t.sys(nr::DUP2, &[fd, fd]), fd as i64);
    assert_eq!(t.sys(nr::DUP2, &[77, 77]), e(Errno::EBADF));
}

#[test]
fn fionread_gives_the_bytes_left_on_regular_files_only() {
    let mut t = T::new();
    t.create("/f", b"hello");
    let fd = t.open("/f", libc::O_RDONLY, 0) as u64;
    let n = t.buf(4);
    let fionread = libc::FIONREAD;
    assert_eq!(t.sys(nr::LSEEK, &[fd, 1, libc::SEEK_SET as u64]), 1);
    assert_eq!(t.sys(nr::IOCTL, &[fd, fionread, n]), 0);
    assert_eq!(t.h.get(CAGE, n, 4), 4i32.to_le_bytes());
    // Past the end the difference goes negative, as Linux reports it.
    assert_eq!(t.sys(nr::LSEEK, &[fd, 100, libc::SEEK_SET as u64]), 100);
    assert_eq!(t.sys(nr::IOCTL, &[fd, fionread, n]), 0);
    assert_eq!(t.h.get(CAGE, n, 4), (-95i32).to_le_bytes());
    assert_eq!(t.sys(nr::IOCTL, &[fd, fionread, 0]), e(Errno::EFAULT));
    // Write-only descriptors too; O_PATH ones and directories not.
    let wo = t.open("/f", libc::O_WRONLY, 0) as u64;
    assert_eq!(t.sys(nr::IOCTL, &[wo, fionread, n]), 0);
    assert_eq!(t.h.get(CAGE, n, 4), 5i32.to_le_bytes());
    let path = t.open("/f", libc::O_PATH, 0) as u64;
    assert_eq!(t.sys(nr::IOCTL, &[path, fionread, n]), e(Errno::EBADF));
    assert_eq!(t.mkdir("/d"), 0);
    let d = t.open("/d", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::IOCTL, &[d, fionread, n]), e(Errno::ENOTTY));
}

#[test]
fn fallocate_reaches_the_core() {
    let mut t = T::new();
    t.create("/f", b"");
    let fd = t.open("/f", libc::O_RDWR, 0) as u64;
    assert_eq!(t.sys(nr::FALLOCATE, &[fd, 0, 0, 100]), 0);
    let st = t.stat("/f").unwrap();
    assert_eq!(st.st_size, 100);
    assert!(st.st_blocks > 0);
    // KEEP_SIZE keeps it; bad ranges, modes and descriptors fail as on Linux.
    assert_eq!(t.sys(nr::FALLOCATE, &[fd, 1, 0, 200]), 0);
    assert_eq!(t.stat("/f").unwrap().st_size, 100);
    assert_eq!(t.sys(nr::FALLOCATE, &[fd, 0, 0, 0]), e(Errno::EINVAL));
    assert_eq!(
        t.sys(nr::FALLOCATE, &[fd, 0, -1i64 as u64, 1]),
        e(Errno::EINVAL)
    );
    assert_eq!(t.sys(nr::FALLOCATE, &[fd, 2, 0, 1]), e(Errno::EOPNOTSUPP));
    let ro = t.open("/f", libc::O_RDONLY, 0) as u64;
    assert_eq!(t.sys(nr::FALLOCATE, &[ro, 0, 0, 1]), e(Errno::EBADF));
    let path = t.open("/f", libc::O_PATH, 0) as u64;
    assert_eq!(t.sys(nr::FALLOCATE, &[path, 0, 0, 1]), e(Errno::EBADF));
    assert_eq!(t.sys(nr::FALLOCATE, &[77, 0, 0, 1]), e(Errno::EBADF));
    assert_eq!(t.reply(CAGE, nr::FALLOCATE, &[1, 0, 0, 1]), Reply::Continue);
}
