//! Syscall-level differential test against Linux tmpfs.
//!
//! tests/native-progs/posix_edges.c performs several hundred POSIX edge
//! cases and prints what each call returned (value, errno, comparable
//! results), judging nothing itself. It runs twice: natively on a fresh
//! directory of /dev/shm (a real tmpfs, the oracle), and under imfs-grate in
//! root mode with base "/", and again in mount mode with base the prefix.
//! Every line whose result differs is a discrepancy of imfs, and the test
//! lists all of them.
#![cfg(target_os = "linux")]

mod common;

use common::native::native_prog;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const GRATE: &str = env!("CARGO_BIN_EXE_imfs-grate");

/// The program's stdout, after checking it ran to the end.
fn lines_of(run: &str, out: &Output) -> Vec<String> {
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    assert!(
        out.status.success(),
        "{run} run failed ({}); stderr:\n{}\nlast lines:\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr),
        stdout.lines().rev().take(5).collect::<Vec<_>>().join("\n")
    );
    stdout.lines().map(str::to_owned).collect()
}

/// `key: result` lines as (key, result) in order.
fn keyed(lines: &[String]) -> Vec<(&str, &str)> {
    lines
        .iter()
        .map(|l| l.split_once(": ").unwrap_or((l.as_str(), "")))
        .collect()
}

/// Every key of the oracle's output compared with imfs's result for it.
fn differences(tmpfs: &[String], imfs: &[String]) -> Vec<String> {
    let oracle = keyed(tmpfs);
    let mut seen = HashMap::new();
    for (key, _) in &oracle {
        assert!(
            seen.insert(*key, ()).is_none(),
            "duplicate key {key} in posix_edges output: every line must be named uniquely"
        );
    }
    let ours: HashMap<&str, &str> = keyed(imfs).into_iter().collect();
    let mut diffs = Vec::new();
    for (key, want) in &oracle {
        match ours.get(key) {
            Some(got) if got == want => {}
            Some(got) => diffs.push(format!("{key}\n    tmpfs: {want}\n    imfs:  {got}")),
            None => diffs.push(format!("{key}\n    tmpfs: {want}\n    imfs:  (missing)")),
        }
    }
    let known: HashMap<&str, ()> = oracle.iter().map(|(k, _)| (*k, ())).collect();
    for (key, got) in keyed(imfs) {
        if !known.contains_key(key) {
            diffs.push(format!("{key}\n    tmpfs: (missing)\n    imfs:  {got}"));
        }
    }
    diffs
}

/// A fresh directory on /dev/shm, removed when dropped.
struct ShmDir(PathBuf);

impl Drop for ShmDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn shm_dir(tag: &str) -> ShmDir {
    let dir = PathBuf::from(format!(
        "/dev/shm/imfs-posix-diff-{tag}-{}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("a tmpfs at /dev/shm is the oracle of this test");
    ShmDir(dir)
}

/// posix_edges, built once for both tests (they run in parallel threads).
fn posix_edges() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| native_prog("posix_edges", &["-Werror"]))
}

/// Runs posix_edges on tmpfs and under the grate (`grate_args` before the
/// program, BASE `base`), and fails listing every difference.
fn compare_with_tmpfs(tag: &str, grate_args: &[&str], base: &str) {
    let bin = posix_edges();
    let dir = shm_dir(tag);
    let native = Command::new(bin)
        .arg(&dir.0)
        .output()
        .expect("running posix_edges natively");
    let tmpfs = lines_of("native (tmpfs)", &native);
    let grated = Command::new(GRATE)
        .args(grate_args)
        .arg(bin)
        .arg(base)
        .output()
        .expect("running imfs-grate");
    let imfs = lines_of("imfs-grate", &grated);
    assert!(
        tmpfs.len() > 500,
        "posix_edges printed only {} lines",
        tmpfs.len()
    );
    let diffs = differences(&tmpfs, &imfs);
    assert!(
        diffs.is_empty(),
        "{} of {} results differ from tmpfs ({grate_args:?}):\n{}",
        diffs.len(),
        tmpfs.len(),
        diffs.join("\n")
    );
}

#[test]
fn posix_edge_cases_match_tmpfs() {
    compare_with_tmpfs("root", &[], "/");
}

/// The same cases with imfs mounted in the host tree: every path the
/// program passes is absolute under the prefix or relative to an imfs cwd,
/// and the grate must resolve it as in root mode.
#[test]
fn posix_edge_cases_match_tmpfs_under_mount() {
    let prefix = format!("/tmp/imfs-posix-diff-mount-{}", std::process::id());
    compare_with_tmpfs("mount", &["--mount", &prefix], &prefix);
    assert!(
        !Path::new(&prefix).exists(),
        "the mount point the grate made is left behind"
    );
}
