//! FIFOs, device and socket nodes and Unix-domain sockets on imfs paths
//! under the native host (tests/native-progs/specials.c), in root mode and
//! with --mount; nothing may appear on the host (cwd, TMPDIR) afterwards.
#![cfg(target_os = "linux")]

mod common;

use common::native::{native_prog, scratch_dir, wait_guarded};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

const GRATE: &str = env!("CARGO_BIN_EXE_imfs-grate");

fn specials() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| native_prog("specials", &[]))
}

/// A fresh, empty directory for one run, removed when dropped.
struct Fresh(PathBuf);

impl Fresh {
    fn new(name: &str) -> Fresh {
        let dir = scratch_dir("specials").join(format!("{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Fresh(dir)
    }

    fn entries(&self) -> Vec<String> {
        std::fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect()
    }
}

impl Drop for Fresh {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs `specials CASE DIR` under the grate (`mount`: --mount PREFIX, with
/// DIR the prefix; else root mode with DIR ".") from an empty cwd with an empty TMPDIR, and checks
/// that it passes and leaves both empty.
fn run_case(case: &str, mount: bool) {
    let tag = format!("{case}-{}", if mount { "mount" } else { "root" });
    let cwd = Fresh::new(&format!("cwd-{tag}"));
    let tmp = Fresh::new(&format!("tmp-{tag}"));
    let prefix = scratch_dir("specials").join(format!("mnt-{tag}-{}", std::process::id()));
    let mut cmd = Command::new(GRATE);
    if mount {
        cmd.arg("--mount").arg(&prefix);
    }
    cmd.arg(specials()).arg(case);
    // Relative paths in root mode: a call that leaked to the kernel would
    // land in the host cwd, which must stay empty.
    if mount {
        cmd.arg(&prefix);
    } else {
        cmd.arg(".");
    }
    let mut child = cmd
        .current_dir(&cwd.0)
        .env("TMPDIR", &tmp.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .process_group(0)
        .spawn()
        .expect("running imfs-grate");
    let code = wait_guarded(
        &mut child,
        Duration::from_secs(120),
        Duration::from_millis(20),
        || {},
    );
    let out = child.wait_with_output().unwrap();
    assert_eq!(
        code,
        Some(0),
        "{tag}:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(cwd.entries(), Vec::<String>::new(), "{tag}: host cwd");
    assert_eq!(tmp.entries(), Vec::<String>::new(), "{tag}: TMPDIR");
    assert!(
        !prefix.exists(),
        "{tag}: the mount point made for the run stays"
    );
}

#[test]
fn fifos_carry_data_through_kernel_pipes_with_fifo_open_rules() {
    run_case("fifo", false);
    run_case("fifo", true);
}

#[test]
fn a_waiting_fifo_open_stays_interruptible() {
    run_case("fifo_signals", false);
}

#[test]
fn device_and_socket_nodes_open_with_enxio() {
    run_case("nodes", false);
    run_case("nodes", true);
}

#[test]
fn unix_sockets_bind_and_connect_on_imfs_paths() {
    run_case("sockets", false);
    run_case("sockets", true);
}

#[test]
fn blocking_socket_calls_wait_for_room() {
    run_case("sockets_wait", false);
}
