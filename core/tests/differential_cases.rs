//! Fixed cases the randomized tests found, kept as readable regressions.
//! Each runs a short sequence on imfs-core and on a tmpfs scratch directory
//! (as in tests/differential.rs) and compares everything after every call,
//! or, where tmpfs cannot be driven into the state (pool exhaustion),
//! asserts the errno Linux gives.

mod support;

use imfs_core::{Ctx, Errno, Fs};
use std::sync::Arc;
use support::core_fs::{boxed_fs, CoreFs};
use support::host::HostFs;
use support::*;

const USER: u32 = 1000;

fn universe() -> Arc<Universe> {
    Arc::new(Universe::for_host())
}

fn path(u: &Universe, p: &str) -> usize {
    u.paths
        .iter()
        .position(|q| q == p.as_bytes())
        .unwrap_or_else(|| panic!("{p} not in the universe"))
}

fn long(u: &Universe) -> usize {
    u.paths.iter().position(|q| *q == long_name()).unwrap()
}

fn target(u: &Universe, t: &str) -> usize {
    u.targets
        .iter()
        .position(|q| q == t.as_bytes())
        .unwrap_or_else(|| panic!("{t} not a target"))
}

/// Runs `ops` on imfs and tmpfs, as root or as an ordinary user.
fn same_as_tmpfs(ops: &[Op], user: bool) {
    let u = universe();
    let r = if user {
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("skipped: needs root to act as another user");
            return;
        }
        let mut host = HostFs::new_as(USER, USER);
        let mut core = CoreFs::<64, 64, 64, 4096, 16>::new(USER, USER);
        run_pair(&mut host, &mut core, ops, &u)
    } else {
        let uid = unsafe { libc::geteuid() };
        let gid = unsafe { libc::getegid() };
        let mut host = HostFs::new();
        let mut core = CoreFs::<64, 64, 64, 4096, 16>::new(uid, gid);
        run_pair(&mut host, &mut core, ops, &u)
    };
    if let Err(e) = r {
        panic!("{e}");
    }
}

#[test]
fn open_nofollow_directory_on_a_symlink_is_enotdir() {
    let u = universe();
    same_as_tmpfs(
        &[
            Op::Symlink {
                target: target(&u, "a"),
                base: None,
                path: path(&u, "d"),
            },
            Op::Open {
                base: None,
                path: path(&u, "d"),
                flags: O_NOFOLLOW | O_DIRECTORY,
                mode: 0,
            },
            Op::Open {
                base: None,
                path: path(&u, "d"),
                flags: O_NOFOLLOW | O_DIRECTORY | O_PATH,
                mode: 0,
            },
        ],
        false,
    );
}

#[test]
fn open_creat_with_a_trailing_slash_is_eisdir() {
    let u = universe();
    same_as_tmpfs(
        &[
            Op::Open {
                base: None,
                path: path(&u, "a/"),
                flags: O_CREAT | O_WRONLY,
                mode: 0o644,
            },
            Op::Symlink {
                target: target(&u, "d/a"),
                base: None,
                path: path(&u, "a"),
            },
            Op::Open {
                base: None,
                path: path(&u, "a/"),
                flags: O_CREAT | O_WRONLY,
                mode: 0o644,
            },
        ],
        false,
    );
}

#[test]
fn a_long_name_in_a_removed_directory_is_enoent() {
    let u = universe();
    let (l, d) = (long(&u), path(&u, "d"));
    same_as_tmpfs(
        &[
            Op::Mkdir {
                base: None,
                path: d,
                mode: 0o755,
            },
            Op::Open {
                base: None,
                path: d,
                flags: O_RDONLY,
                mode: 0,
            },
            Op::Rmdir {
                base: None,
                path: d,
            },
            Op::Stat {
                base: Some(0),
                path: l,
                follow: true,
            },
            Op::Open {
                base: Some(0),
                path: l,
                flags: O_CREAT | O_WRONLY,
                mode: 0o644,
            },
            Op::Mkdir {
                base: Some(0),
                path: l,
                mode: 0o755,
            },
            Op::Truncate {
                base: Some(0),
                path: l,
                len: 0,
            },
        ],
        false,
    );
}

#[test]
fn rename_of_a_missing_source_to_a_long_name_is_enoent() {
    let u = universe();
    same_as_tmpfs(
        &[Op::Rename {
            old_base: None,
            old: path(&u, "a"),
            new_base: None,
            new: long(&u),
            flags: 0,
        }],
        false,
    );
}

/// Linux drops setuid (and setgid with group execute) when someone other
/// than root changes a file's size or contents.
fn setuid_dropped_by(change: Op) {
    let u = universe();
    same_as_tmpfs(
        &[
            Op::Open {
                base: None,
                path: path(&u, "a"),
                flags: O_CREAT | O_RDWR,
                mode: 0o6755,
            },
            change,
        ],
        true,
    );
}

#[test]
fn ftruncate_by_a_user_drops_setuid() {
    setuid_dropped_by(Op::Ftruncate { h: 0, len: 0 });
}

#[test]
fn truncate_by_a_user_drops_setuid() {
    let u = universe();
    setuid_dropped_by(Op::Truncate {
        base: None,
        path: path(&u, "a"),
        len: 10,
    });
}

#[test]
fn open_o_trunc_by_a_user_drops_setuid() {
    let u = universe();
    setuid_dropped_by(Op::Open {
        base: None,
        path: path(&u, "a"),
        flags: O_WRONLY | O_TRUNC,
        mode: 0,
    });
}

#[test]
fn write_by_a_user_drops_setuid() {
    setuid_dropped_by(Op::Write {
        h: 0,
        fill: 1,
        len: 10,
    });
}

/// open(2) validates flags and copies the path in before it takes a file
/// table slot: with the open-file pool full those errors still come first.
#[test]
fn open_checks_flags_and_path_before_enfile() {
    let mut fs: Box<Fs<8, 8, 4, 512, 2>> = boxed_fs();
    let c = Ctx::default();
    let a = fs.open(&c, None, b"/", O_RDONLY, 0).unwrap();
    let b = fs.open(&c, None, b"/", O_RDONLY, 0).unwrap();
    assert_eq!(fs.open(&c, None, b"/", O_RDONLY, 0), Err(Errno::ENFILE));
    assert_eq!(
        fs.open(&c, None, b"x", O_CREAT | O_DIRECTORY, 0o644),
        Err(Errno::EINVAL),
        "flags first"
    );
    assert_eq!(
        fs.open(&c, None, b"", O_RDONLY, 0),
        Err(Errno::ENOENT),
        "an empty path before ENFILE"
    );
    fs.close(a).unwrap();
    fs.close(b).unwrap();
    fs.check().unwrap();
}
