//! readdir cookies stay stable while entries come and go.

#[macro_use]
mod fs_util;
use fs_util::*;
use std::collections::BTreeSet;

type Big = Fs<512, 1024, 16, 512, 8>;

#[test]
fn entries_present_throughout_come_back_exactly_once() {
    let mut f: Box<Big> = boxed();
    let c = root();
    for i in 0..100 {
        put(&mut f, format!("/keep{i}").as_bytes(), b"");
        put(&mut f, format!("/tmp{i}").as_bytes(), b"");
    }
    let fd = ok!(f, f.open(&c, None, b"/", O_RDONLY | O_DIRECTORY, 0));
    let mut seen: Vec<Vec<u8>> = Vec::new();
    let mut round = 0;
    loop {
        // Three entries per call, churning the directory between calls.
        let mut n = 0;
        ok!(
            f,
            f.readdir(fd, &mut |e| {
                if n == 3 {
                    return false;
                }
                n += 1;
                seen.push(e.name.to_vec());
                true
            })
        );
        if n == 0 {
            break;
        }
        let tmp = format!("/tmp{round}");
        let _ = f.unlink(&c, None, tmp.as_bytes());
        if round < 100 {
            put(&mut f, format!("/new{round}").as_bytes(), b"");
        }
        round += 1;
        f.check().unwrap();
        assert!(round < 200, "readdir does not end");
    }
    let keeps: Vec<_> = seen.iter().filter(|n| n.starts_with(b"keep")).collect();
    assert_eq!(keeps.len(), 100);
    let unique: BTreeSet<_> = seen.iter().collect();
    assert_eq!(unique.len(), seen.len(), "no entry twice");
}

#[test]
fn resume_after_the_cursor_entry_is_removed() {
    let mut f = fs();
    let c = root();
    for n in ["a", "b", "c", "d"] {
        put(&mut f, format!("/{n}").as_bytes(), b"");
    }
    let fd = ok!(f, f.open(&c, None, b"/", O_RDONLY, 0));
    let mut taken = 0;
    ok!(
        f,
        f.readdir(fd, &mut |_| {
            taken += 1;
            taken <= 3
        })
    );
    // ".", "..", "a" consumed; remove "a" (the cursor) and "b" (next).
    ok!(f, f.unlink(&c, None, b"/a"));
    ok!(f, f.unlink(&c, None, b"/b"));
    assert_eq!(names(&mut f, fd), [b"c".to_vec(), b"d".to_vec()]);
}

#[test]
fn removed_directory_reads_as_enoent() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/d", 0o755));
    let fd = ok!(f, f.open(&c, None, b"/d", O_RDONLY, 0));
    ok!(f, f.rmdir(&c, None, b"/d"));
    err!(f, f.readdir(fd, &mut |_| true), ENOENT);
    let st = ok!(f, f.fstat(fd));
    assert_eq!((st.nlink, st.size), (0, 40));
}

#[test]
fn large_directory_lookups() {
    let mut f: Box<Fs<2048, 2048, 4, 512, 4>> = boxed();
    let c = root();
    for i in 0..2000 {
        ok!(
            f,
            f.mknod(&c, None, format!("/f{i}").as_bytes(), S_IFREG | 0o644, 0)
                .map(|_| ())
        );
    }
    f.check().unwrap();
    for i in (0..2000).step_by(7) {
        assert_eq!(
            f.stat(&c, None, format!("/f{i}").as_bytes(), true)
                .unwrap()
                .mode,
            S_IFREG | 0o644
        );
    }
    assert_eq!(ls(&mut f, b"/").len(), 2000);
    for i in 0..2000 {
        f.unlink(&c, None, format!("/f{i}").as_bytes()).unwrap();
    }
    ok!(f, f.check());
    assert_eq!(f.usage().dirents.used, 0);
}

#[test]
fn a_listing_racing_with_creations_ends_and_rewind_sees_them() {
    let mut f: Box<Big> = boxed();
    let c = root();
    for i in 0..4 {
        put(&mut f, format!("/f{i}").as_bytes(), b"");
    }
    let fd = ok!(f, f.open(&c, None, b"/", O_RDONLY | O_DIRECTORY, 0));
    let mut names = Vec::new();
    let mut calls = 0;
    loop {
        let mut n = 0;
        ok!(
            f,
            f.readdir(fd, &mut |e| {
                if n == 2 {
                    return false;
                }
                n += 1;
                names.push(e.name.to_vec());
                true
            })
        );
        if n == 0 {
            break;
        }
        // A new entry after every call: the listing must still end.
        put(&mut f, format!("/g{calls}").as_bytes(), b"");
        calls += 1;
        assert!(calls < 50, "readdir never ends while entries are created");
    }
    // ".", "..", and the four entries that existed when the listing began.
    assert_eq!(names.len(), 6);
    // A rewind starts a new listing that sees the new entries too.
    ok!(f, f.lseek(fd, 0, SEEK_SET));
    let mut total = 0;
    ok!(
        f,
        f.readdir(fd, &mut |_| {
            total += 1;
            true
        })
    );
    assert_eq!(total, 6 + calls);
    f.check().unwrap();
}
