//! Syscall-level differential test against Linux tmpfs.
//!
//! tests/native-progs/posix_edges.c performs several hundred POSIX edge
//! cases and prints what each call returned (value, errno, comparable
//! results), judging nothing itself. It runs twice: natively on a fresh
//! directory of /dev/shm (a real tmpfs, the oracle), and under imfs-grate in
//! root mode with base "/". Every line whose result differs is a discrepancy
//! of imfs, and the test lists all of them.
#![cfg(target_os = "linux")]

mod common;

use common::native::native_prog;
use std::collections::HashMap;
use std::path::PathBuf;
use std::process::{Command, Output};

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

fn shm_dir() -> ShmDir {
    let dir = PathBuf::from(format!("/dev/shm/imfs-posix-diff-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir(&dir).expect("a tmpfs at /dev/shm is the oracle of this test");
    ShmDir(dir)
}

#[test]
fn posix_edge_cases_match_tmpfs() {
    let bin = native_prog("posix_edges", &["-Werror"]);
    let dir = shm_dir();
    let native = Command::new(&bin)
        .arg(&dir.0)
        .output()
        .expect("running posix_edges natively");
    let tmpfs = lines_of("native (tmpfs)", &native);
    let grated = Command::new(GRATE)
        .arg(&bin)
        .arg("/")
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
        "{} of {} results differ from tmpfs:\n{}",
        diffs.len(),
        tmpfs.len(),
        diffs.join("\n")
    );
}
