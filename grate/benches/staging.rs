//! Staging throughput on the native host: PRELOADS of a directory tree into
//! imfs and DUMPS of it back, beside `cp -r` of the same tree on the host,
//! measured side by side in one run.
//!
//! `cargo bench -p imfs-grate --bench staging` (`-- --test`: tiny trees,
//! one round, as a smoke run). Two trees, written once to a scratch
//! directory on /dev/shm (tmpfs, so the figures are the copying and not
//! the disk; the target dir if there is no /dev/shm): 2,000 small files
//! (1-4 KiB, 20 directories of 100) and 30 MiB in 6 large files. `cp -a`
//! (modes and times kept, as DUMPS do) is shown too. Each figure is the median of the rounds;
//! the preload's filesystem is allocated before the clock starts. Prints
//! files/s and MB/s; nothing is asserted.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use imfs_core::Ctx;
use imfs_grate::staging::{dump, preload, StdFiles};
use imfs_grate::{Grate, GrateOptions};

struct Tree {
    name: &'static str,
    root: PathBuf,
    files: usize,
    bytes: u64,
}

fn small_files(root: &Path, count: usize) -> Tree {
    let mut bytes = 0;
    for i in 0..count {
        let dir = root.join(format!("d{:02}", i / 100));
        std::fs::create_dir_all(&dir).unwrap();
        let len = 1024 + (i * 1543) % 3072;
        let data: Vec<u8> = (0..len).map(|j| (i + j) as u8).collect();
        std::fs::write(dir.join(format!("f{i:04}.c")), &data).unwrap();
        bytes += len as u64;
    }
    Tree {
        name: "small files",
        root: root.to_path_buf(),
        files: count,
        bytes,
    }
}

fn large_files(root: &Path, count: usize, each: usize) -> Tree {
    std::fs::create_dir_all(root).unwrap();
    for i in 0..count {
        let data: Vec<u8> = (0..each).map(|j| (j * 31 + i) as u8).collect();
        std::fs::write(root.join(format!("big{i}.bin")), &data).unwrap();
    }
    Tree {
        name: "large files",
        root: root.to_path_buf(),
        files: count,
        bytes: (count * each) as u64,
    }
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn row(what: &str, tree: &Tree, t: Duration, reference: Option<Duration>) {
    let s = t.as_secs_f64();
    let ratio = match reference {
        Some(r) => format!("{:.2}x", r.as_secs_f64() / s),
        None => "1.00x".into(),
    };
    println!(
        "{:<12} {:<22} {:>6} {:>10} {:>10.2} {:>12.0} {:>9.1} {:>10}",
        tree.name,
        what,
        tree.files,
        tree.bytes,
        s * 1e3,
        tree.files as f64 / s,
        tree.bytes as f64 / s / 1e6,
        ratio
    );
}

fn main() {
    let smoke = std::env::args().any(|a| a == "--test");
    let rounds = if smoke { 1 } else { 7 };
    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("staging-bench-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&scratch);
    let trees = if smoke {
        vec![
            small_files(&scratch.join("small"), 20),
            large_files(&scratch.join("large"), 2, 1 << 20),
        ]
    } else {
        vec![
            small_files(&scratch.join("small"), 2000),
            large_files(&scratch.join("large"), 6, 5 << 20),
        ]
    };
    let ctx = Ctx::default();
    let mut buf = vec![0u8; 64 * 1024]; // as the grate's STAGE_BUF
    println!(
        "{:<12} {:<22} {:>6} {:>10} {:>10} {:>12} {:>9} {:>10}",
        "tree", "copy", "files", "bytes", "ms", "files/s", "MB/s", "vs cp -r"
    );
    // cp's fixed cost (process start): cp -r of an empty directory.
    let empty = Tree {
        name: "empty dir",
        root: scratch.join("empty"),
        files: 0,
        bytes: 0,
    };
    std::fs::create_dir_all(&empty.root).unwrap();
    let mut start_cost = Vec::new();
    for i in 0..rounds {
        let out = scratch.join(format!("empty-out-{i}"));
        let start = Instant::now();
        Command::new("cp")
            .arg("-r")
            .arg(&empty.root)
            .arg(&out)
            .status()
            .expect("cp");
        start_cost.push(start.elapsed());
    }
    row("cp -r (process start)", &empty, median(start_cost), None);
    for tree in &trees {
        let out = scratch.join(format!("out-{}", tree.files));
        let (mut cp, mut cpa, mut pre, mut post) = (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for _ in 0..rounds {
            let _ = std::fs::remove_dir_all(&out);
            let start = Instant::now();
            let ok = Command::new("cp")
                .arg("-r")
                .arg(&tree.root)
                .arg(&out)
                .status()
                .expect("cp");
            cp.push(start.elapsed());
            assert!(ok.success());
            let _ = std::fs::remove_dir_all(&out);
            // cp -a keeps modes and times, as DUMPS do.
            let start = Instant::now();
            let ok = Command::new("cp")
                .arg("-a")
                .arg(&tree.root)
                .arg(&out)
                .status()
                .expect("cp");
            cpa.push(start.elapsed());
            assert!(ok.success());
            let _ = std::fs::remove_dir_all(&out);

            let mut grate = Grate::new(GrateOptions::default());
            let spec = format!("/t={}", tree.root.display());
            let start = Instant::now();
            let r = preload(grate.fs_mut(), &ctx, &mut StdFiles, &spec, &mut buf).unwrap();
            pre.push(start.elapsed());
            assert_eq!(r.files, tree.files);

            let spec = format!("/t={}", out.display());
            let start = Instant::now();
            let r = dump(grate.fs_mut(), &ctx, &mut StdFiles, &spec, &mut buf);
            post.push(start.elapsed());
            assert_eq!((r.files, r.failed), (tree.files, 0));
        }
        let cp = median(cp);
        row("cp -r (host to host)", tree, cp, None);
        row("cp -a (host to host)", tree, median(cpa), Some(cp));
        row("PRELOADS (host->imfs)", tree, median(pre), Some(cp));
        row("DUMPS (imfs->host)", tree, median(post), Some(cp));
    }
    let _ = std::fs::remove_dir_all(&scratch);
}
