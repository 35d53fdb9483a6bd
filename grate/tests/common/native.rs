//! Shared harness of the tests that run real programs under the built
//! imfs-grate binary (the native host): static C programs, the grate built
//! with the small config, its --show-config values, hang-guarded waits.

use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

pub fn workspace_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .to_path_buf()
}

/// `<CARGO_TARGET_TMPDIR>/NAME`, created: where a test keeps its own files.
pub fn scratch_dir(name: &str) -> PathBuf {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// `source` compiled with `$CC` (default cc) as `-static -O2 -Wall EXTRA...`
/// into `out/NAME`. Built under a unique name, then renamed: parallel
/// `cargo test` runs never see a half-written binary.
pub fn compile_static(source: &Path, out: &Path, name: &str, extra: &[&str]) -> PathBuf {
    let tmp = out.join(format!("{name}.{}", std::process::id()));
    let status = Command::new(std::env::var("CC").unwrap_or_else(|_| "cc".into()))
        .args(["-static", "-O2", "-Wall"])
        .args(extra)
        .arg("-o")
        .arg(&tmp)
        .arg(source)
        .status()
        .unwrap_or_else(|e| panic!("cc (gcc with static glibc) is needed: {e}"));
    assert!(
        status.success(),
        "cc -static failed on {}",
        source.display()
    );
    let bin = out.join(name);
    std::fs::rename(&tmp, &bin).unwrap();
    bin
}

/// tests/native-progs/NAME.c compiled static with `extra` flags into
/// `<CARGO_TARGET_TMPDIR>/native-progs`.
pub fn native_prog(name: &str, extra: &[&str]) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/native-progs")
        .join(format!("{name}.c"));
    compile_static(&src, &scratch_dir("native-progs"), name, extra)
}

/// The grate cargo built for this test, with the default config.
pub fn default_grate() -> &'static Path {
    Path::new(env!("CARGO_BIN_EXE_imfs-grate"))
}

/// The grate built with test/imfs.small.toml into `<target>/small`, once per
/// test run: a target directory of its own, so the default build is left
/// alone and the cargo running this test (which holds `<target>`'s lock) is
/// not waited on.
pub fn small_grate() -> &'static Path {
    static SMALL: OnceLock<PathBuf> = OnceLock::new();
    SMALL.get_or_init(|| {
        let profile_dir = default_grate().parent().unwrap();
        let profile = profile_dir.file_name().unwrap().to_str().unwrap();
        let target = profile_dir.parent().unwrap().join("small");
        let mut cargo = Command::new(env!("CARGO"));
        cargo
            .current_dir(workspace_root())
            .args(["build", "-p", "imfs-grate", "--bin", "imfs-grate"])
            .arg("--target-dir")
            .arg(&target)
            .env("IMFS_CONFIG", workspace_root().join("test/imfs.small.toml"));
        match profile {
            "debug" => {}
            "release" => {
                cargo.arg("--release");
            }
            other => {
                cargo.args(["--profile", other]);
            }
        }
        let status = cargo.status().expect("running cargo for the small grate");
        assert!(status.success(), "building the small-config grate failed");
        let exe = target.join(profile).join("imfs-grate");
        assert_eq!(
            config(&exe, "nodes"),
            64,
            "the small grate has the small config"
        );
        exe
    })
}

/// A value of `imfs-grate --show-config`.
pub fn config(grate: &Path, key: &str) -> u64 {
    let out = Command::new(grate).arg("--show-config").output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    text.lines()
        .find_map(|l| {
            let (k, v) = l.split_once(" = ")?;
            (k.trim() == key).then(|| v.trim().parse().unwrap())
        })
        .unwrap_or_else(|| panic!("no {key} in --show-config:\n{text}"))
}

/// Waits for `child`, started in a process group of its own, calling `poll`
/// every `every`; past `guard` it is hung and the whole group is killed.
/// The exit code (None: killed by a signal, or hung).
pub fn wait_guarded(
    child: &mut Child,
    guard: Duration,
    every: Duration,
    mut poll: impl FnMut(),
) -> Option<i32> {
    let start = Instant::now();
    loop {
        poll();
        if let Some(status) = child.try_wait().unwrap() {
            return status.code();
        }
        if start.elapsed() > guard {
            // SAFETY: signals the process group the caller created.
            unsafe { libc::kill(-(child.id() as i32), libc::SIGKILL) };
            let _ = child.wait();
            return None;
        }
        std::thread::sleep(every);
    }
}
