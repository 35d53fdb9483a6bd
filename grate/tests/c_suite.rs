//! The C acceptance suite (test/imfs_test.c) run under the native host, once
//! with the default config and once with test/imfs.small.toml, whose tiny
//! pools let every exhaustion case finish in seconds.
//!
//! Each run compiles the suite with `cc -static`, runs
//! `imfs-grate imfs_test --exec-helper exec_helper`, prints the suite's output
//! and requires exit status 0 and a last line `N passed, 0 failed`.
#![cfg(target_os = "linux")]

use std::fs::File;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

/// A run that takes this long is hung (the suite takes seconds): it is killed
/// so that `cargo test` reports it instead of waiting forever.
const HANG_GUARD: Duration = Duration::from_secs(600);

fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// Where this test's own files go.
fn scratch_dir() -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("c_suite");
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The suite and its exec helper, compiled once for both runs.
struct Programs {
    suite: PathBuf,
    helper: PathBuf,
}

fn programs() -> &'static Programs {
    static PROGRAMS: OnceLock<Programs> = OnceLock::new();
    PROGRAMS.get_or_init(|| {
        let src = workspace_root().join("test");
        let out = scratch_dir();
        let compile = |name: &str| {
            let exe = out.join(name);
            let source = src.join(format!("{name}.c"));
            let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
                .args(["-static", "-O2", "-Wall", "-o"])
                .arg(&exe)
                .arg(&source)
                .status()
                .unwrap_or_else(|e| panic!("cannot run cc to compile {}: {e}", source.display()));
            assert!(
                status.success(),
                "cc -static failed on {}",
                source.display()
            );
            exe
        };
        Programs {
            suite: compile("imfs_test"),
            helper: compile("exec_helper"),
        }
    })
}

/// The grate the test harness built with the default config.
fn default_grate() -> PathBuf {
    PathBuf::from(env!("CARGO_BIN_EXE_imfs-grate"))
}

/// Builds the grate with test/imfs.small.toml into `<target>/small`, a target
/// directory of its own: the default build is left alone, and the cargo
/// running this test (which holds `<target>`'s lock) is not waited on.
fn small_grate() -> PathBuf {
    let default = default_grate();
    let profile_dir = default.parent().unwrap();
    let profile = profile_dir
        .file_name()
        .unwrap()
        .to_str()
        .unwrap()
        .to_string();
    let target = profile_dir.parent().unwrap().join("small");
    let mut cargo = Command::new(env!("CARGO"));
    cargo
        .current_dir(workspace_root())
        .args([
            "build",
            "-p",
            "imfs-grate",
            "--bin",
            "imfs-grate",
            "--target-dir",
        ])
        .arg(&target)
        .env(
            "IMFS_CONFIG",
            workspace_root().join("test").join("imfs.small.toml"),
        );
    match profile.as_str() {
        "debug" => {}
        "release" => {
            cargo.arg("--release");
        }
        other => {
            cargo.args(["--profile", other]);
        }
    }
    let status = cargo
        .status()
        .expect("cannot run cargo to build the small-config grate");
    assert!(status.success(), "building the small-config grate failed");
    let exe = target.join(&profile).join("imfs-grate");
    // The build must really have taken the small config.
    let shown = Command::new(&exe).arg("--show-config").output().unwrap();
    let shown = String::from_utf8_lossy(&shown.stdout);
    assert!(
        shown.lines().any(|l| l.trim() == "nodes = 64"),
        "small grate config:\n{shown}"
    );
    exe
}

/// Runs the suite under `grate`; returns (exit code, stdout, stderr).
fn run_suite(grate: &Path, label: &str) -> (Option<i32>, String, String) {
    let progs = programs();
    let out_path = scratch_dir().join(format!("{label}.stdout"));
    let err_path = scratch_dir().join(format!("{label}.stderr"));
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
    let start = Instant::now();
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break Some(status);
        }
        if start.elapsed() > HANG_GUARD {
            // SAFETY: signals the process group this test created above.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            break None;
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let stdout = std::fs::read_to_string(&out_path).unwrap_or_default();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    (status.and_then(|s| s.code()), stdout, stderr)
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
    check(&default_grate(), "default");
}

#[test]
fn c_suite_small_config() {
    check(&small_grate(), "small");
}
