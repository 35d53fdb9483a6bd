//! FIFOs, device and socket nodes through the dispatch (loopback host, whose
//! FIFOs and sockets are a model: see `host::specials_model`).

mod common;

use common::*;
use imfs_core::Errno;
use imfs_grate::dispatch::nr;
use imfs_grate::host::specials_model::{FifoCounts, FIRST_END_FD};
use imfs_grate::host::Reply;

const O_RDONLY: i32 = libc::O_RDONLY;
const O_WRONLY: i32 = libc::O_WRONLY;
const O_NONBLOCK: i32 = libc::O_NONBLOCK;

fn mknod(t: &mut T, path: &str, mode: u32, dev: u64) -> i64 {
    let p = t.s(path);
    t.sys(nr::MKNODAT, &[AT_FDCWD, p, mode as u64, dev])
}

fn ino(t: &mut T, path: &str) -> u64 {
    t.stat(path).unwrap().st_ino
}

fn counts(t: &T, fifo: u64) -> FifoCounts {
    t.h.specials.fifos.get(&fifo).copied().unwrap_or_default()
}

#[test]
fn mknod_makes_every_type_with_the_umask_and_rdev() {
    let mut t = T::new();
    assert_eq!(mknod(&mut t, "/p", libc::S_IFIFO | 0o666, 0x805), 0);
    assert_eq!(mknod(&mut t, "/c", libc::S_IFCHR | 0o666, 0x1_0000_0805), 0);
    assert_eq!(mknod(&mut t, "/b", libc::S_IFBLK | 0o640, 0xfe64), 0);
    assert_eq!(mknod(&mut t, "/s", libc::S_IFSOCK | 0o777, 0), 0);
    let st = t.stat("/p").unwrap();
    // The umask (022) applies; a FIFO keeps no device number.
    assert_eq!(
        (st.st_mode, st.st_rdev, st.st_size),
        (libc::S_IFIFO | 0o644, 0, 0)
    );
    let st = t.stat("/c").unwrap();
    // mknodat takes the device as an unsigned int.
    assert_eq!((st.st_mode, st.st_rdev), (libc::S_IFCHR | 0o644, 0x805));
    assert_eq!((libc::major(st.st_rdev), libc::minor(st.st_rdev)), (8, 5));
    assert_eq!(t.stat("/b").unwrap().st_rdev, 0xfe64);
    assert_eq!(t.stat("/s").unwrap().st_mode, libc::S_IFSOCK | 0o755);
    assert_eq!(
        mknod(&mut t, "/p", libc::S_IFIFO | 0o666, 0),
        e(Errno::EEXIST)
    );
    assert_eq!(
        mknod(&mut t, "/d", libc::S_IFDIR | 0o666, 0),
        e(Errno::EPERM)
    );
    assert_eq!(mknod(&mut t, "/x", 0o170000 | 0o666, 0), e(Errno::EINVAL));
    // statx reports the device split as major and minor.
    let (p, b) = (t.s("/c"), t.buf(256));
    assert_eq!(t.sys(nr::STATX, &[AT_FDCWD, p, 0, 0xfff, b]), 0);
    let raw = t.h.get(CAGE, b, 256);
    let u32_at = |o: usize| u32::from_le_bytes(raw[o..o + 4].try_into().unwrap());
    assert_eq!((u32_at(128), u32_at(132)), (8, 5));
    t.check();
}

#[test]
fn non_root_may_make_fifos_but_no_devices() {
    let mut t = T::new();
    let d = t.s("/pub");
    assert_eq!(t.sys(nr::MKDIR, &[d, 0o777]), 0);
    let d = t.s("/pub");
    assert_eq!(t.sys(nr::CHMOD, &[d, 0o777]), 0);
    t.h.creds = imfs_grate::host::Creds::ids(1000, 1000);
    assert_eq!(mknod(&mut t, "/pub/p", libc::S_IFIFO | 0o600, 0), 0);
    assert_eq!(
        mknod(&mut t, "/pub/c", libc::S_IFCHR | 0o600, 0x102),
        e(Errno::EPERM)
    );
    assert_eq!(mknod(&mut t, "/pub/w", libc::S_IFCHR | 0o600, 0), 0);
    assert_eq!(
        mknod(&mut t, "/c", libc::S_IFCHR | 0o600, 0x102),
        e(Errno::EACCES)
    );
    assert_eq!(t.stat("/pub/p").unwrap().st_uid, 1000);
}

#[test]
fn getdents_names_each_type() {
    let mut t = T::new();
    for (name, mode) in [
        ("/p", libc::S_IFIFO),
        ("/c", libc::S_IFCHR),
        ("/b", libc::S_IFBLK),
        ("/s", libc::S_IFSOCK),
    ] {
        assert_eq!(mknod(&mut t, name, mode | 0o600, 0), 0);
    }
    let fd = t.open("/", libc::O_RDONLY | libc::O_DIRECTORY, 0);
    let b = t.buf(4096);
    let n = t.sys(nr::GETDENTS64, &[fd as u64, b, 4096]);
    assert!(n > 0);
    let raw = t.h.get(CAGE, b, n as usize);
    let mut types = Vec::new();
    let mut at = 0;
    while at < raw.len() {
        let reclen = u16::from_le_bytes([raw[at + 16], raw[at + 17]]) as usize;
        let name: Vec<u8> = raw[at + 19..at + reclen]
            .iter()
            .copied()
            .take_while(|&c| c != 0)
            .collect();
        types.push((String::from_utf8(name).unwrap(), raw[at + 18]));
        at += reclen;
    }
    for want in [
        ("p", libc::DT_FIFO),
        ("c", libc::DT_CHR),
        ("b", libc::DT_BLK),
        ("s", libc::DT_SOCK),
    ] {
        assert!(types.contains(&(want.0.to_string(), want.1)), "{types:?}");
    }
}

#[test]
fn devices_and_socket_nodes_open_with_enxio() {
    let mut t = T::new();
    assert_eq!(mknod(&mut t, "/c", libc::S_IFCHR | 0o666, 0x103), 0);
    assert_eq!(mknod(&mut t, "/s", libc::S_IFSOCK | 0o666, 0), 0);
    let before = t.open_files();
    assert_eq!(t.open("/c", libc::O_RDWR, 0), e(Errno::ENXIO));
    assert_eq!(t.open("/s", O_RDONLY, 0), e(Errno::ENXIO));
    assert_eq!(t.open_files(), before);
    let fd = t.open("/s", libc::O_PATH, 0);
    assert!((0..FIRST_END_FD as i64).contains(&fd));
    t.close(fd);
}

#[test]
fn fifo_opens_wait_for_the_other_end() {
    let mut t = T::new();
    assert_eq!(mknod(&mut t, "/p", libc::S_IFIFO | 0o666, 0), 0);
    let fifo = ino(&mut t, "/p");
    // O_NONBLOCK: a reader opens at once, a writer without reader is ENXIO.
    assert_eq!(t.open("/p", O_WRONLY | O_NONBLOCK, 0), e(Errno::ENXIO));
    let r = t.open("/p", O_RDONLY | O_NONBLOCK, 0);
    assert!(r >= FIRST_END_FD as i64, "{r}");
    // With a reader, a writer opens at once; no imfs fd, no description.
    let w = t.open("/p", O_WRONLY | O_NONBLOCK, 0);
    assert!(w >= FIRST_END_FD as i64, "{w}");
    assert_eq!(
        counts(&t, fifo),
        FifoCounts {
            readers: 1,
            writers: 1
        }
    );
    t.h.specials.close_end(r as i32);
    t.h.specials.close_end(w as i32);
    // A blocking reader parks until a writer comes (it counts as a reader
    // meanwhile, so a non-blocking writer then opens).
    assert_eq!(t.open("/p", O_RDONLY, 0), 0);
    assert_eq!(t.h.specials.parked.len(), 1);
    assert!(t.h.specials.completed.is_empty());
    let w = t.open("/p", O_WRONLY | O_NONBLOCK, 0);
    assert!(w >= FIRST_END_FD as i64);
    assert!(t.h.specials.parked.is_empty());
    assert_eq!(t.h.specials.completed.len(), 1);
    // O_RDWR opens at once, with or without partners.
    t.h.specials.close_end(w as i32);
    let rw = t.open("/p", libc::O_RDWR, 0);
    assert!(rw >= FIRST_END_FD as i64);
    assert_eq!(t.open("/p", libc::O_ACCMODE, 0), e(Errno::EINVAL));
    // Only the grate's hold on the node stays open in the core.
    assert_eq!(t.open_files(), 1);
    t.check();
}

#[test]
fn fifo_open_checks_permissions_first() {
    let mut t = T::new();
    assert_eq!(mknod(&mut t, "/p", libc::S_IFIFO | 0o600, 0), 0);
    t.h.creds = imfs_grate::host::Creds::ids(1000, 1000);
    assert_eq!(t.open("/p", O_RDONLY | O_NONBLOCK, 0), e(Errno::EACCES));
    assert_eq!(t.open("/p/", O_RDONLY | O_NONBLOCK, 0), e(Errno::ENOTDIR));
    assert!(t.h.specials.fifos.is_empty());
}

#[test]
fn removing_the_last_name_lets_the_host_forget_the_fifo() {
    let mut t = T::new();
    assert_eq!(mknod(&mut t, "/p", libc::S_IFIFO | 0o666, 0), 0);
    let fifo = ino(&mut t, "/p");
    let r = t.open("/p", O_RDONLY | O_NONBLOCK, 0);
    assert!(r >= FIRST_END_FD as i64);
    let (p, q) = (t.s("/p"), t.s("/q"));
    assert_eq!(t.sys(nr::LINK, &[p, q]), 0);
    assert_eq!(t.sys(nr::UNLINK, &[p]), 0);
    assert!(t.h.specials.forgotten.is_empty(), "one name is left");
    let (q, x) = (t.s("/q"), t.s("/x"));
    t.create("/x", b"");
    assert_eq!(t.sys(nr::RENAME, &[x, q]), 0);
    assert_eq!(t.h.specials.forgotten, vec![fifo]);
    // The node is gone: its slot (and number) may serve a new node.
    assert_eq!(t.open_files(), 0);
    assert_eq!(t.g.usage().fs.nodes.used, 2);
    t.check();
}

/// A sockaddr_un for `path` in cage memory: (address, length).
fn sun(t: &mut T, path: &[u8]) -> (u64, u64) {
    let mut sa = vec![0u8; 110];
    sa[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
    sa[2..2 + path.len()].copy_from_slice(path);
    let len = 2 + path.len() + 1;
    (t.data(&sa), len as u64)
}

#[test]
fn bind_makes_a_socket_node_and_connect_finds_it() {
    let mut t = T::new();
    // The loopback's host fds are 0-2: 0 and 2 are Unix sockets here.
    t.h.specials.sockets.insert((CAGE, 0), libc::AF_UNIX);
    t.h.specials.sockets.insert((CAGE, 2), libc::AF_UNIX);
    assert_eq!(t.mkdir("/d"), 0);
    let (a, len) = sun(&mut t, b"/d/sock");
    assert_eq!(t.sys(nr::BIND, &[0, a, len]), 0);
    let st = t.stat("/d/sock").unwrap();
    assert_eq!(st.st_mode, libc::S_IFSOCK | 0o755);
    let node = st.st_ino;
    assert_eq!(t.h.specials.bound.get(&node), Some(&(CAGE, 0)));
    // The name is taken; a bound socket cannot bind again (and leaves no name).
    assert_eq!(t.sys(nr::BIND, &[2, a, len]), e(Errno::EADDRINUSE));
    let (a2, len2) = sun(&mut t, b"/d/other");
    assert_eq!(t.sys(nr::BIND, &[0, a2, len2]), e(Errno::EINVAL));
    assert_eq!(t.stat("/d/other").err(), Some(e(Errno::ENOENT)));
    let (bad, blen) = sun(&mut t, b"/nodir/s");
    assert_eq!(t.sys(nr::BIND, &[2, bad, blen]), e(Errno::ENOENT));
    // connect and sendto reach the socket bound there, by any name.
    let (p, l) = (t.s("/d/sock"), t.s("/link"));
    assert_eq!(t.sys(nr::SYMLINK, &[p, l]), 0);
    let (al, llen) = sun(&mut t, b"/link");
    assert_eq!(t.sys(nr::CONNECT, &[2, al, llen]), 0);
    let data = t.data(b"hello");
    assert_eq!(t.sys(nr::SENDTO, &[2, data, 5, 0, a, len]), 5);
    assert_eq!(t.h.specials.sent.last(), Some(&(CAGE, 2, node, 5)));
    // Linux's errors: no name, not a socket, a socket nobody bound.
    let (none, nlen) = sun(&mut t, b"/d/none");
    assert_eq!(t.sys(nr::CONNECT, &[2, none, nlen]), e(Errno::ENOENT));
    t.create("/f", b"");
    let (f, flen) = sun(&mut t, b"/f");
    assert_eq!(t.sys(nr::CONNECT, &[2, f, flen]), e(Errno::ECONNREFUSED));
    assert_eq!(mknod(&mut t, "/s", libc::S_IFSOCK | 0o777, 0), 0);
    let (s, slen) = sun(&mut t, b"/s");
    assert_eq!(t.sys(nr::CONNECT, &[2, s, slen]), e(Errno::ECONNREFUSED));
    // Unlinking the name lets the host forget the socket.
    let p = t.s("/d/sock");
    assert_eq!(t.sys(nr::UNLINK, &[p]), 0);
    assert_eq!(t.h.specials.forgotten, vec![node]);
    assert_eq!(t.sys(nr::CONNECT, &[2, a, len]), e(Errno::ENOENT));
    t.check();
}

#[test]
fn socket_calls_the_grate_does_not_own_pass_through() {
    let mut t = T::new();
    // fd 0 is a Unix socket, 2 an inet one, 1 no socket.
    t.h.specials.sockets.insert((CAGE, 0), libc::AF_UNIX);
    t.h.specials.sockets.insert((CAGE, 2), libc::AF_INET);
    // Abstract and unnamed addresses, other families, no address.
    let mut abs = vec![0u8; 8];
    abs[..2].copy_from_slice(&(libc::AF_UNIX as u16).to_ne_bytes());
    abs[3] = b'x';
    let abs = t.data(&abs);
    assert_eq!(t.reply(CAGE, nr::BIND, &[0, abs, 8]), Reply::Continue);
    assert_eq!(t.reply(CAGE, nr::BIND, &[0, abs, 2]), Reply::Continue);
    let (a, len) = sun(&mut t, b"/s");
    assert_eq!(t.reply(CAGE, nr::BIND, &[2, a, len]), Reply::Continue);
    let data = t.data(b"x");
    assert_eq!(
        t.reply(CAGE, nr::SENDTO, &[0, data, 1, 0, 0, 0]),
        Reply::Continue
    );
    // An imfs fd is no socket; a non-socket host fd is the host's to judge.
    let fd = t.open("/f", libc::O_CREAT | libc::O_RDWR, 0o644);
    assert_eq!(t.sys(nr::BIND, &[fd as u64, a, len]), e(Errno::ENOTSOCK));
    assert_eq!(t.sys(nr::BIND, &[1, a, len]), e(Errno::ENOTSOCK));
    assert_eq!(t.stat("/s").err(), Some(e(Errno::ENOENT)));
}

#[test]
fn sockets_in_mount_mode_only_under_the_prefix() {
    let mut t = T::mounted("/imfs", "/home");
    t.h.specials.sockets.insert((CAGE, 0), libc::AF_UNIX);
    let (host, hlen) = sun(&mut t, b"/tmp/s");
    assert_eq!(t.reply(CAGE, nr::BIND, &[0, host, hlen]), Reply::Continue);
    let (a, len) = sun(&mut t, b"/imfs/s");
    assert_eq!(t.sys(nr::BIND, &[0, a, len]), 0);
    assert_eq!(
        t.stat("/imfs/s").unwrap().st_mode & libc::S_IFMT,
        libc::S_IFSOCK
    );
}
