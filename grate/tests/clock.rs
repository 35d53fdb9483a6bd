//! The clock is read only by calls that stamp a time, and once per call:
//! in Lind each read is a runtime call of its own. The loopback clock counts
//! its reads.

mod common;
use common::*;
use imfs_core::Timespec;
use imfs_grate::dispatch::nr;

/// A call to make through the grate; its result.
type Call = Box<dyn FnOnce(&mut T) -> i64>;

/// Clock reads made by `call`, which must succeed.
fn reads_of(t: &mut T, what: &str, call: impl FnOnce(&mut T) -> i64) -> u64 {
    let before = t.h.clock.reads();
    let ret = call(t);
    assert!(ret >= 0, "{what}: {ret}");
    t.h.clock.reads() - before
}

/// A file whose atime is newer than its mtime and ctime, a directory, a
/// symlink, and an open fd on the file.
fn setup() -> (T, i64) {
    let mut t = T::new();
    t.create("/f", &[7u8; 8192]);
    assert_eq!(t.mkdir("/d"), 0);
    let (target, link) = (t.s("/f"), t.s("/l"));
    assert_eq!(t.sys(nr::SYMLINK, &[target, link]), 0);
    // Reading the file stamps its atime after the writes' mtime and ctime.
    t.h.clock.set(Timespec {
        sec: 1_700_000_100,
        nsec: 0,
    });
    assert_eq!(t.cat("/f").unwrap().len(), 8192);
    let fd = t.open("/f", libc::O_RDWR, 0);
    assert!(fd >= 0);
    (t, fd)
}

#[test]
fn calls_that_stamp_nothing_never_read_the_clock() {
    let (mut t, fd) = setup();
    let (f, l) = (t.s("/f"), t.s("/l"));
    let (st, buf) = (t.buf(256), t.buf(8192));
    let fdu = fd as u64;
    let cases: Vec<(&str, Call)> = vec![
        ("stat", Box::new(move |t| t.sys(nr::STAT, &[f, st]))),
        ("lstat", Box::new(move |t| t.sys(nr::LSTAT, &[l, st]))),
        ("fstat", Box::new(move |t| t.sys(nr::FSTAT, &[fdu, st]))),
        (
            "newfstatat",
            Box::new(move |t| t.sys(nr::NEWFSTATAT, &[AT_FDCWD, f, st, 0])),
        ),
        ("access", Box::new(move |t| t.sys(nr::ACCESS, &[f, 4]))),
        (
            "readlink",
            Box::new(move |t| t.sys(nr::READLINK, &[l, buf, 64])),
        ),
        ("lseek", Box::new(move |t| t.sys(nr::LSEEK, &[fdu, 100, 0]))),
        ("dup", Box::new(move |t| t.sys(nr::DUP, &[fdu]))),
        (
            "open O_RDONLY",
            Box::new(|t| t.open("/f", libc::O_RDONLY, 0)),
        ),
        (
            "open a directory",
            Box::new(|t| t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0)),
        ),
        (
            "pread O_NOATIME",
            Box::new(|t| {
                let fd = t.open("/f", libc::O_RDONLY | libc::O_NOATIME, 0) as u64;
                let buf = t.buf(4096);
                t.sys(nr::PREAD64, &[fd, buf, 4096, 0])
            }),
        ),
        (
            "read at the end",
            Box::new(move |t| t.sys(nr::PREAD64, &[fdu, buf, 4096, 8192])),
        ),
        ("close", Box::new(move |t| t.sys(nr::CLOSE, &[fdu]))),
    ];
    for (what, call) in cases {
        assert_eq!(reads_of(&mut t, what, call), 0, "{what}");
    }
    let dfd = t.open("/d", libc::O_RDONLY | libc::O_DIRECTORY, 0) as u64;
    assert_eq!(
        reads_of(&mut t, "getdents64", |t| t
            .sys(nr::GETDENTS64, &[dfd, buf, 8192])),
        0
    );
    // Nothing above changed a time.
    let s = t.stat("/f").unwrap();
    assert_eq!(s.st_atime, 1_700_000_100);
}

#[test]
fn calls_that_stamp_read_the_clock_once() {
    let (mut t, fd) = setup();
    let fdu = fd as u64;
    let (data, buf) = (t.data(&[1u8; 4096]), t.buf(4096));
    let (f, g, h, d2) = (t.s("/f"), t.s("/g"), t.s("/h"), t.s("/d2"));
    let cases: Vec<(&str, Call)> = vec![
        (
            "pwrite",
            Box::new(move |t| t.sys(nr::PWRITE64, &[fdu, data, 4096, 0])),
        ),
        (
            "pread after a write (atime older than mtime)",
            Box::new(move |t| t.sys(nr::PREAD64, &[fdu, buf, 4096, 0])),
        ),
        // relatime's 24-hour window needs the time to tell.
        (
            "pread, atime newer than mtime and ctime",
            Box::new(move |t| t.sys(nr::PREAD64, &[fdu, buf, 4096, 0])),
        ),
        (
            "create",
            Box::new(|t| t.open("/g", libc::O_CREAT | libc::O_WRONLY, 0o644)),
        ),
        (
            "open O_TRUNC",
            Box::new(|t| t.open("/f", libc::O_WRONLY | libc::O_TRUNC, 0)),
        ),
        (
            "ftruncate",
            Box::new(move |t| t.sys(nr::FTRUNCATE, &[fdu, 10])),
        ),
        (
            "fchmod",
            Box::new(move |t| t.sys(nr::FCHMOD, &[fdu, 0o600])),
        ),
        ("rename", Box::new(move |t| t.sys(nr::RENAME, &[g, h]))),
        ("mkdir", Box::new(move |t| t.sys(nr::MKDIR, &[d2, 0o755]))),
        ("unlink", Box::new(move |t| t.sys(nr::UNLINK, &[h]))),
        (
            "utimensat UTIME_NOW",
            Box::new(move |t| t.sys(nr::UTIMENSAT, &[AT_FDCWD, f, 0, 0])),
        ),
    ];
    for (what, call) in cases {
        assert_eq!(reads_of(&mut t, what, call), 1, "{what}");
    }
}

#[test]
fn one_call_stamps_one_time() {
    let mut t = T::new();
    assert_eq!(t.mkdir("/d"), 0);
    t.h.clock.set(Timespec {
        sec: 1_700_000_500,
        nsec: 5,
    });
    let before = t.h.clock.reads();
    t.create("/d/f", b"x");
    // open(O_CREAT) stamps the new file and its directory; write stamps it
    // again: one read each.
    assert_eq!(t.h.clock.reads() - before, 2);
    let (d, f) = (t.stat("/d").unwrap(), t.stat("/d/f").unwrap());
    for time in [d.st_mtime, d.st_ctime, f.st_mtime, f.st_ctime, f.st_atime] {
        assert_eq!(time, 1_700_000_500);
    }
}
