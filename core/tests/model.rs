//! imfs-core against the reference model (tests/support/model.rs), with pools
//! so small that ENOSPC and ENFILE interleave with every other operation.
//! After every operation the results, errnos, data, stat of every path, pool
//! use and the core's own fsck must agree; after each case everything is
//! deleted and the full capacity must be usable again.

mod support;

use imfs_core::{config, Errno, Fs};
use proptest::prelude::*;
use proptest::test_runner::TestCaseError;
use std::sync::Arc;
use support::core_fs::{boxed_fs, CoreFs};
use support::model::{Caps, Model};
use support::*;

fn caps<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>() -> Caps {
    Caps {
        nodes: N,
        dirents: D,
        chunks: C,
        chunk_size: S,
        ofds: O,
        max_file_size: config::MAX_FILE_SIZE,
        name_max: config::NAME_MAX,
        symlink_depth: config::SYMLINK_DEPTH as u32,
    }
}

fn root() -> imfs_core::Ctx {
    imfs_core::Ctx::default()
}

/// What fills a fresh filesystem: files until ENOSPC, descriptions until
/// ENFILE, bytes of one file until ENOSPC, hard links of one file until ENOSPC.
#[derive(Debug, PartialEq, Eq)]
struct Fill {
    files: usize,
    open_files: usize,
    bytes: usize,
    links: usize,
}

fn expected_fill<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
) -> Fill {
    Fill {
        files: (N - 1).min(D),
        open_files: O,
        bytes: C * S,
        links: D - 1,
    }
}

fn name(prefix: &str, i: usize) -> Vec<u8> {
    format!("/{prefix}{i}").into_bytes()
}

fn ok<T>(what: &str, r: Result<T, Errno>) -> Result<T, TestCaseError> {
    r.map_err(|e| TestCaseError::fail(format!("{what}: {e:?}")))
}

fn fsck<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    fs: &Fs<N, D, C, S, O>,
    when: &str,
) -> Result<(), TestCaseError> {
    fs.check()
        .map_err(|c| TestCaseError::fail(format!("fsck {when}: {c:?}")))
}

fn expect_empty<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    fs: &Fs<N, D, C, S, O>,
    when: &str,
) -> Result<(), TestCaseError> {
    fsck(fs, when)?;
    let u = fs.usage();
    let got = [
        u.nodes.used,
        u.dirents.used,
        u.chunks.used,
        u.open_files.used,
    ];
    prop_assert_eq!(
        got,
        [1, 0, 0, 0],
        "pool use [nodes, dirents, chunks, open files] {}",
        when
    );
    Ok(())
}

/// Fills each pool of an empty filesystem in turn, emptying it again after each.
fn refill<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    fs: &mut Fs<N, D, C, S, O>,
) -> Result<Fill, TestCaseError> {
    let ctx = root();
    let full = |r: Result<_, Errno>, want: Errno, what: &str| match r {
        Err(e) if e == want => Ok(()),
        other => Err(TestCaseError::fail(format!(
            "{what}: expected {want:?}, got {other:?}"
        ))),
    };

    let mut files = 0;
    loop {
        match fs.open(&ctx, None, &name("f", files), O_CREAT | O_WRONLY, 0o644) {
            Ok(ofd) => ok("close", fs.close(ofd))?,
            r => {
                full(r.map(|_| ()), Errno::ENOSPC, "creating files")?;
                break;
            }
        }
        files += 1;
        prop_assert!(files <= N, "more files than nodes");
    }
    fsck(fs, "with the node or dirent pool full")?;
    for i in 0..files {
        ok("unlink", fs.unlink(&ctx, None, &name("f", i)))?;
    }

    let mut ofds = Vec::new();
    loop {
        match fs.open(&ctx, None, b"/", O_RDONLY | O_DIRECTORY, 0) {
            Ok(ofd) => ofds.push(ofd),
            r => {
                full(r.map(|_| ()), Errno::ENFILE, "opening the root")?;
                break;
            }
        }
        prop_assert!(ofds.len() <= O, "more open files than descriptions");
    }
    fsck(fs, "with the open-file pool full")?;
    let open_files = ofds.len();
    for ofd in ofds {
        ok("close", fs.close(ofd))?;
    }

    let ofd = ok(
        "create",
        fs.open(&ctx, None, b"/big", O_CREAT | O_RDWR, 0o644),
    )?;
    let block = vec![0x5a; S];
    let mut bytes = 0;
    loop {
        match fs.write(&ctx, ofd, &block) {
            Ok(n) if n > 0 => bytes += n,
            r => {
                full(r.map(|_| ()), Errno::ENOSPC, "filling a file")?;
                break;
            }
        }
        prop_assert!(bytes <= C * S, "more bytes than chunks hold");
    }
    fsck(fs, "with the chunk pool full")?;
    let mut back = vec![0; S];
    ok(
        "pread",
        fs.pread(&ctx, ofd, &mut back, (bytes - S.min(bytes)) as u64),
    )?;
    prop_assert!(back.iter().all(|&b| b == 0x5a), "data of a full file");
    ok("close", fs.close(ofd))?;
    ok("unlink", fs.unlink(&ctx, None, b"/big"))?;

    let ofd = ok(
        "create",
        fs.open(&ctx, None, b"/f", O_CREAT | O_WRONLY, 0o644),
    )?;
    ok("close", fs.close(ofd))?;
    let mut links = 0;
    loop {
        match fs.link(&ctx, None, b"/f", None, &name("l", links), false) {
            Ok(()) => links += 1,
            r => {
                full(r, Errno::ENOSPC, "linking")?;
                break;
            }
        }
        prop_assert!(links <= D, "more links than dirents");
    }
    fsck(fs, "with the dirent pool full")?;
    prop_assert_eq!(
        ok("stat", fs.stat(&ctx, None, b"/f", false))?.nlink as usize,
        links + 1
    );
    for i in 0..links {
        ok("unlink", fs.unlink(&ctx, None, &name("l", i)))?;
    }
    ok("unlink", fs.unlink(&ctx, None, b"/f"))?;
    expect_empty(fs, "after the refill")?;
    Ok(Fill {
        files,
        open_files,
        bytes,
        links,
    })
}

/// Runs `ops` on the core and the model, then deletes everything and refills.
fn model_case<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    ops: &[Op],
    u: &Universe,
) -> Result<(), TestCaseError> {
    let mut core = CoreFs::<N, D, C, S, O>::new(0, 0);
    let mut model = Model::new(caps::<N, D, C, S, O>());
    run_pair(&mut model, &mut core, ops, u)?;

    for slot in model.open_slots() {
        ok("close", core.fs.close(core.ofd(slot)))?;
    }
    for (path, is_dir) in model.all_paths() {
        let r = if is_dir {
            core.fs.rmdir(&root(), None, &path)
        } else {
            core.fs.unlink(&root(), None, &path)
        };
        ok(&format!("removing {}", String::from_utf8_lossy(&path)), r)?;
    }
    expect_empty(&core.fs, "after deleting everything")?;
    let fill = refill(&mut core.fs)?;
    prop_assert_eq!(&fill, &expected_fill::<N, D, C, S, O>(), "refill after use");
    Ok(())
}

proptest! {
    #![proptest_config(cases(256))]

    /// Every pool tiny: 11 nodes besides the root, 16 names, 5 KiB of data, 6 open files.
    #[test]
    fn imfs_matches_model_with_tiny_pools(ops in Arc::new(Universe::for_model(config::MAX_FILE_SIZE)).ops(30..160)) {
        model_case::<12, 16, 10, 512, 6>(&ops, &Universe::for_model(config::MAX_FILE_SIZE))?;
    }

    /// Names scarcer than nodes, data plentiful, three open files.
    #[test]
    fn imfs_matches_model_with_few_names(ops in Arc::new(Universe::for_model(config::MAX_FILE_SIZE)).ops(30..160)) {
        model_case::<16, 7, 24, 1024, 3>(&ops, &Universe::for_model(config::MAX_FILE_SIZE))?;
    }

    /// Data scarcest: four 512-byte chunks (a long symlink takes two).
    #[test]
    fn imfs_matches_model_with_few_chunks(ops in Arc::new(Universe::for_model(config::MAX_FILE_SIZE)).ops(30..160)) {
        model_case::<32, 32, 4, 512, 8>(&ops, &Universe::for_model(config::MAX_FILE_SIZE))?;
    }
}

#[test]
fn a_fresh_filesystem_fills_to_capacity() {
    let mut fs = boxed_fs::<12, 16, 10, 512, 6>();
    expect_empty(&fs, "fresh").unwrap();
    assert_eq!(
        refill(&mut fs).unwrap(),
        expected_fill::<12, 16, 10, 512, 6>()
    );
    // Twice: freeing must make everything usable again.
    assert_eq!(
        refill(&mut fs).unwrap(),
        expected_fill::<12, 16, 10, 512, 6>()
    );
}

#[test]
fn zeroed_memory_is_an_empty_filesystem() {
    let fs = boxed_fs::<12, 16, 10, 512, 6>();
    let st = fs.stat(&root(), None, b"/", true).unwrap();
    assert_eq!(st.mode, S_IFDIR | 0o755);
    assert_eq!((st.nlink, st.uid, st.gid), (2, 0, 0));
    let new = Fs::<12, 16, 10, 512, 6>::new();
    assert_eq!(new.stat(&root(), None, b"/", true).unwrap().mode, st.mode);
}
