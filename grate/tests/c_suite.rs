//! The C acceptance suite (test/imfs_test.c) run under the native host, once
//! with the default config and once with test/imfs.small.toml, whose tiny
//! pools let every exhaustion case finish in seconds.
//!
//! Each run compiles the suite with `cc -static`, runs
//! `imfs-grate imfs_test --exec-helper exec_helper`, prints the suite's output
//! and requires exit status 0 and a last line `N passed, 0 failed`.
#![cfg(target_os = "linux")]

mod common;

use common::native::{
    compile_static, default_grate, scratch_dir, small_grate, wait_guarded, workspace_root,
};
use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// A run that takes this long is hung (the suite takes seconds): it is killed
/// so that `cargo test` reports it instead of waiting forever.
const HANG_GUARD: Duration = Duration::from_secs(600);

/// The suite and its exec helper, compiled once for both runs.
struct Programs {
    suite: PathBuf,
    helper: PathBuf,
}

fn programs() -> &'static Programs {
    static PROGRAMS: OnceLock<Programs> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        let src = workspace_root().join("test");
        let compile = |name: &str| {
            compile_static(
                &src.join(format!("{name}.c")),
                &scratch_dir("c_suite"),
                name,
                &[],
            )
        };
        Programs {
            suite: compile("imfs_test"),
            helper: compile("exec_helper"),
        }
    })
}

/// Runs the suite under `grate`; returns (exit code, stdout, stderr).
fn run_suite(grate: &Path, label: &str) -> (Option<i32>, String, String) {
    let progs = programs();
    let out_path = scratch_dir("c_suite").join(format!("{label}.stdout"));
    let err_path = scratch_dir("c_suite").join(format!("{label}.stderr"));
    // Files, not pipes: nothing can block on a full pipe while we wait.
    let mut child = Command::new(grate)
        .arg(&progs.suite)
        .arg("--exec-helper")
        .arg(&progs.helper)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path).unwrap())
        .stderr(File::create(&err_path).unwrap())
        // Its own process group, so a hang can be ended with every cage in it.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", grate.display()));
    let code = wait_guarded(&mut child, HANG_GUARD, Duration::from_millis(50), || {});
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    (code, stdout, stderr)
}

fn check(grate: &Path, label: &str) {
    let (code, stdout, stderr) = run_suite(grate, label);
    println!(
        "---- imfs_test under {} ({label} config) ----",
        grate.display()
    );
    print!("{stdout}");
    if !stderr.is_empty() {
        println!("---- stderr ----");
        print!("{stderr}");
    }
    let failures: Vec<&str> = stdout.lines().filter(|l| l.starts_with("FAIL")).collect();
    let last = stdout.lines().last().unwrap_or("");
    assert!(
        code.is_some(),
        "{label}: the suite did not finish within {HANG_GUARD:?}"
    );
    let counts: Vec<u64> = last
        .strip_suffix(" failed")
        .and_then(|l| l.split_once(" passed, "))
        .and_then(|(p, f)| Some(vec![p.parse().ok()?, f.parse().ok()?]))
        .unwrap_or_default();
    assert!(
        counts.len() == 2 && counts[0] > 0 && counts[1] == 0,
        "{label}: last line is {last:?}; failures:\n{}",
        failures.join("\n")
    );
    assert_eq!(code, Some(0), "{label}: exit status");
}

#[test]
fn c_suite_default_config() {
    check(default_grate(), "default");
}

#[test]
fn c_suite_small_config() {
    check(small_grate(), "small");
}
