//! Signals under the native host: a handled signal never makes a call fail
//! with EINTR that Linux would not fail so (a signal storm of SIGCHLD with a
//! handler lacking SA_RESTART, over forks, stats, opens, closes, mkdir,
//! unlink, in one thread or several, and dash pipelines), while calls that
//! really block (a pipe read, a FIFO open on the host or in imfs, F_SETLKW)
//! stay interruptible.
#![cfg(target_os = "linux")]

mod common;

use common::native::{default_grate, native_prog, scratch_dir, wait_guarded};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

fn storm() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| native_prog("signal_storm", &["-pthread"]))
}

fn interruptible() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| native_prog("interruptible", &[]))
}

/// Runs `cmd` in a process group of its own, killed if it hangs (a lost
/// close leaves a pipeline waiting forever); exit code, stdout, stderr.
fn run_guarded(cmd: &mut Command) -> (Option<i32>, String, String) {
    let dir = scratch_dir("signals-out");
    let tag = format!("{}-{:?}", std::process::id(), std::thread::current().id());
    let (out_path, err_path) = (
        dir.join(format!("{tag}.out")),
        dir.join(format!("{tag}.err")),
    );
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(std::fs::File::create(&out_path).unwrap())
        .stderr(std::fs::File::create(&err_path).unwrap())
        .process_group(0)
        .spawn()
        .expect("running imfs-grate");
    let code = wait_guarded(
        &mut child,
        Duration::from_secs(120),
        Duration::from_millis(20),
        || {},
    );
    let read = |p: &Path| std::fs::read_to_string(p).unwrap_or_default();
    (code, read(&out_path), read(&err_path))
}

/// A unique path for --mount PREFIX (the grate makes and removes it).
fn mount_prefix(test: &str) -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("sig-{test}-{}", std::process::id()))
}

/// The storm's counts line: every EINTR count and "other failures" zero,
/// and the storm real (signals were handled).
fn assert_no_spurious_eintr(code: Option<i32>, out: &str, err: &str) {
    assert_eq!(code, Some(0), "stdout: {out}\nstderr: {err}");
    let line = out.lines().next().unwrap_or_default();
    assert!(
        line.contains("eintr: fork 0 stat 0 open 0 dup2 0 close 0 mkdir 0 rmdir 0 creat 0 unlink 0; other failures 0"),
        "{line}"
    );
    let signals: u64 = line
        .split_whitespace()
        .skip_while(|w| *w != "signals")
        .nth(1)
        .and_then(|n| n.parse().ok())
        .unwrap();
    assert!(signals >= 100, "too few signals for a storm: {line}");
}

#[test]
fn the_storm_program_sees_no_eintr_natively() {
    let dir = tempfile::tempdir_in("/dev/shm").unwrap();
    let (code, out, err) = run_guarded(Command::new(storm()).args([
        dir.path().to_str().unwrap(),
        "500",
        "5000",
        "5000",
    ]));
    assert_no_spurious_eintr(code, &out, &err);
}

#[test]
fn a_signal_storm_fails_no_call_in_root_mode() {
    let (code, out, err) = run_guarded(Command::new(default_grate()).args([
        storm().to_str().unwrap(),
        "/",
        "2000",
        "20000",
        "20000",
    ]));
    assert_no_spurious_eintr(code, &out, &err);
}

#[test]
fn a_signal_storm_fails_no_call_in_any_thread() {
    // The threads exist before the handler: tracing must take them all.
    let (code, out, err) = run_guarded(Command::new(default_grate()).args([
        storm().to_str().unwrap(),
        "/",
        "500",
        "20000",
        "20000",
        "4",
    ]));
    assert_no_spurious_eintr(code, &out, &err);
}

#[test]
fn a_signal_storm_fails_no_call_in_mount_mode() {
    let prefix = mount_prefix("storm");
    let p = prefix.to_str().unwrap();
    let (code, out, err) = run_guarded(Command::new(default_grate()).args([
        "--mount",
        p,
        storm().to_str().unwrap(),
        p,
        "1000",
        "10000",
        "10000",
    ]));
    assert_no_spurious_eintr(code, &out, &err);
    assert!(!prefix.exists(), "the mount point made for the run is gone");
}

#[test]
fn dash_pipelines_complete_under_a_signal_storm() {
    let dash = ["/usr/bin/dash", "/bin/dash"]
        .into_iter()
        .find(|p| Path::new(p).exists())
        .expect("dash is needed (scripts/setup.sh installs it)");
    let prefix = mount_prefix("dash");
    let p = prefix.to_str().unwrap();
    // dash reaps with a SIGCHLD handler without SA_RESTART: each stage's
    // exit lands while the shell forks, closes pipe ends and opens files.
    let script = format!(
        "i=0; while [ $i -lt 150 ]; do \
           echo abc | cat | tr a-z A-Z > {p}/out; read l < {p}/out; \
           [ \"$l\" = ABC ] || echo \"bad $i: $l\"; i=$((i+1)); \
         done; echo done $i"
    );
    let (code, out, err) =
        run_guarded(Command::new(default_grate()).args(["--mount", p, dash, "-c", &script]));
    assert_eq!(
        code,
        Some(0),
        "hung or failed; stdout: {out}\nstderr: {err}"
    );
    assert_eq!(out, "done 150\n", "stderr: {err}");
    assert_eq!(err, "");
}

fn assert_interruptible(args: &[&str], case: &str) {
    let (code, out, err) = run_guarded(Command::new(default_grate()).args(args));
    assert_eq!(code, Some(0), "{case}: stdout: {out}\nstderr: {err}");
    assert_eq!(out, format!("ok {case}\n"));
}

#[test]
fn a_pipe_read_stays_interruptible() {
    assert_interruptible(&[interruptible().to_str().unwrap(), "pipe", "/"], "pipe");
}

#[test]
fn a_host_fifo_open_stays_interruptible() {
    let host = tempfile::tempdir().unwrap();
    let prefix = mount_prefix("fifo");
    assert_interruptible(
        &[
            "--mount",
            prefix.to_str().unwrap(),
            interruptible().to_str().unwrap(),
            "fifo",
            host.path().to_str().unwrap(),
        ],
        "fifo",
    );
}

#[test]
fn an_imfs_fifo_open_stays_interruptible() {
    assert_interruptible(&[interruptible().to_str().unwrap(), "fifo", "/"], "fifo");
    let prefix = mount_prefix("imfs-fifo");
    let p = prefix.to_str().unwrap();
    assert_interruptible(
        &["--mount", p, interruptible().to_str().unwrap(), "fifo", p],
        "fifo",
    );
}

#[test]
fn a_parked_setlkw_is_interrupted_by_a_handled_signal() {
    assert_interruptible(
        &[interruptible().to_str().unwrap(), "setlkw", "/"],
        "setlkw",
    );
    let prefix = mount_prefix("setlkw");
    let p = prefix.to_str().unwrap();
    assert_interruptible(
        &["--mount", p, interruptible().to_str().unwrap(), "setlkw", p],
        "setlkw",
    );
}

#[test]
fn only_a_handler_without_sa_restart_makes_the_grate_trace() {
    // Untraced programs pay nothing and can be debugged under the grate.
    // Mount mode, so that /proc/self/status is the kernel's.
    let prefix = mount_prefix("tracer");
    let (code, out, err) = run_guarded(Command::new(default_grate()).args([
        "--mount",
        prefix.to_str().unwrap(),
        interruptible().to_str().unwrap(),
        "tracer",
        "/",
    ]));
    assert_eq!(code, Some(0), "{err}");
    assert_eq!(out, "tracer 0 0 traced\nok tracer\n");
    let (code, out, _) = run_guarded(Command::new(interruptible()).args(["tracer", "/"]));
    assert_eq!(code, Some(0));
    assert_eq!(out, "tracer 0 0 untraced\nok tracer\n");
}

#[test]
fn the_blocking_cases_behave_so_natively() {
    let dir = tempfile::tempdir_in("/dev/shm").unwrap();
    for case in ["pipe", "fifo", "setlkw"] {
        let (code, out, err) =
            run_guarded(Command::new(interruptible()).args([case, dir.path().to_str().unwrap()]));
        assert_eq!(code, Some(0), "{case}: {out}{err}");
        assert_eq!(out, format!("ok {case}\n"));
    }
}
