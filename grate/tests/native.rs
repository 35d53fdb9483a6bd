//! End-to-end tests of the native host: real static C programs
//! (tests/native-progs/cases.c) and the host's sh run under the built
//! imfs-grate binary, in root mode and with --mount.
#![cfg(target_os = "linux")]

mod common;

use common::native::native_prog;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

const GRATE: &str = env!("CARGO_BIN_EXE_imfs-grate");

/// tests/native-progs/NAME.c compiled static, once per test run.
fn program(name: &str) -> PathBuf {
    static CASES: OnceLock<PathBuf> = OnceLock::new();
    assert_eq!(name, "cases");
    CASES
        .get_or_init(|| native_prog("cases", &["-pthread"]))
        .clone()
}

/// Runs `imfs-grate [ARGS...]` and returns its output.
fn grate(args: &[&str]) -> Output {
    Command::new(GRATE)
        .args(args)
        .output()
        .expect("running imfs-grate")
}

/// Runs one case of cases.c in root mode; its exit status and stderr.
fn case(args: &[&str]) -> (i32, String) {
    let bin = program("cases");
    let mut all = vec![bin.to_str().unwrap()];
    all.extend_from_slice(args);
    let out = grate(&all);
    (
        out.status.code().expect("imfs-grate exits, not killed"),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn assert_case_passes(name: &str) {
    let (code, stderr) = case(&[name]);
    assert_eq!(code, 0, "case {name} failed:\n{stderr}");
}

/// An empty host directory to use as --mount PREFIX, unique per test,
/// removed when dropped.
struct MountDir(PathBuf);

impl std::ops::Deref for MountDir {
    type Target = Path;
    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for MountDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn mount_dir(test: &str) -> MountDir {
    let dir =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("mnt-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    MountDir(dir)
}

fn is_empty_dir(dir: &Path) -> bool {
    std::fs::read_dir(dir).unwrap().next().is_none()
}

#[test]
fn exit_status_is_the_programs() {
    assert_eq!(case(&["exit", "0"]).0, 0);
    assert_eq!(case(&["exit", "42"]).0, 42);
}

#[test]
fn killed_by_a_signal_gives_128_plus_the_signal() {
    assert_eq!(case(&["signal"]).0, 128 + libc::SIGSEGV);
}

#[test]
fn a_missing_program_gives_127() {
    let out = grate(&["/nonexistent/program"]);
    assert_eq!(out.status.code(), Some(127));
    assert!(String::from_utf8_lossy(&out.stderr).contains("No such file"));
}

#[test]
fn files_live_in_imfs() {
    assert_case_passes("files");
}

#[test]
fn bad_pointers_give_efault() {
    assert_case_passes("efault");
}

#[test]
fn imfs_fds_never_collide_with_kernel_fds() {
    assert_case_passes("pipes");
}

#[test]
fn threads_share_one_table() {
    assert_case_passes("threads");
}

#[test]
fn the_fd_limit_counts_host_fds_and_closed_dirfds_are_ebadf() {
    assert_case_passes("limits");
}

#[test]
fn new_files_get_the_callers_ids_after_setuid() {
    assert_case_passes("creds");
}

#[test]
fn fork_copies_the_table_as_it_was() {
    assert_case_passes("fork");
}

#[test]
fn setlkw_waits_for_the_lock_and_detects_deadlock() {
    assert_case_passes("lockwait");
}

#[test]
fn exec_closes_cloexec_fds() {
    assert_case_passes("exec");
}

#[test]
fn mount_mode_runs_the_hosts_shell() {
    let dir = mount_dir("sh");
    let prefix = dir.to_str().unwrap();
    let script = format!("echo hi > {prefix}/a; cat {prefix}/a");
    let out = grate(&["--mount", prefix, "sh", "-c", &script]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "hi\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(
        is_empty_dir(&dir),
        "imfs wrote to the host under the prefix"
    );
}

#[test]
fn mount_mode_at_slash_imfs_leaves_the_host_alone() {
    // The issue's own example; only where the host has no /imfs.
    if Path::new("/imfs").exists() {
        return;
    }
    let out = grate(&[
        "--mount",
        "/imfs",
        "sh",
        "-c",
        "echo hi > /imfs/a; cat /imfs/a",
    ]);
    assert_eq!(String::from_utf8_lossy(&out.stdout), "hi\n");
    assert!(!Path::new("/imfs").exists());
}

#[test]
fn a_missing_mount_point_is_made_for_the_run_so_dotdot_crosses_it() {
    // The kernel resolves a passed-through `PREFIX/..` literally, so PREFIX
    // must exist on the host while the program runs, and be gone after.
    let base = mount_dir("dotdot");
    let prefix = base.join("deeper/imfs");
    let p = prefix.to_str().unwrap();
    let script =
        format!("touch {p}/x; ls {p}/../../deeper; ls -d {p}/../imfs/x; cd {p} && ls -d ../imfs/x");
    let out = grate(&["--mount", p, "sh", "-c", &script]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("imfs\n{p}/../imfs/x\n../imfs/x\n"),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(out.status.code(), Some(0));
    assert!(is_empty_dir(&base), "the mount point outlived the run");
}

#[test]
fn mount_mode_umask_applies_on_both_sides_and_stdin_passes() {
    let dir = mount_dir("umask");
    let prefix = dir.to_str().unwrap();
    let host_file = dir.with_extension("hostfile");
    let _ = std::fs::remove_file(&host_file);
    let script = format!(
        "umask 077; cat > {prefix}/in; echo y > {h}; stat -c %a {prefix}/in {h}; cat {prefix}/in",
        h = host_file.display()
    );
    let out = Command::new(GRATE)
        .args(["--mount", prefix, "sh", "-c", &script])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .and_then(|mut child| {
            use std::io::Write;
            child.stdin.take().unwrap().write_all(b"piped\n")?;
            child.wait_with_output()
        })
        .unwrap();
    assert_eq!(String::from_utf8_lossy(&out.stdout), "600\n600\npiped\n");
    std::fs::remove_file(host_file).unwrap();
    assert!(is_empty_dir(&dir));
}

#[test]
fn mount_mode_relative_paths_and_dotdot_cross_the_boundary() {
    let dir = mount_dir("rel");
    let prefix = dir.to_str().unwrap();
    let name = dir.file_name().unwrap().to_str().unwrap();
    let script = format!(
        "cd {prefix} && mkdir w && cd w && mkdir d && cd d && echo x > f && cat ../d/f && /bin/pwd && ls .. && \
         cd ../../.. && /bin/pwd && cat {name}/w/d/f"
    );
    let out = grate(&["--mount", prefix, "sh", "-c", &script]);
    let parent = dir.parent().unwrap().to_str().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        format!("x\n{prefix}/w/d\nd\n{parent}\nx\n"),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(is_empty_dir(&dir));
}

#[test]
fn mount_mode_keeps_the_host_outside_the_prefix() {
    let dir = mount_dir("host");
    let prefix = dir.to_str().unwrap();
    let outside = dir.with_extension("outside");
    let _ = std::fs::remove_file(&outside);
    let script = format!(
        "echo host > {} && cp {}/../{} {prefix}/copy && cat {prefix}/copy",
        outside.display(),
        prefix,
        outside.file_name().unwrap().to_str().unwrap()
    );
    let out = grate(&["--mount", prefix, "sh", "-c", &script]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "host\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(std::fs::read_to_string(&outside).unwrap(), "host\n");
    assert!(is_empty_dir(&dir));
    std::fs::remove_file(outside).unwrap();
}

#[test]
fn mount_mode_exit_status_and_signals() {
    let dir = mount_dir("status");
    let prefix = dir.to_str().unwrap();
    assert_eq!(
        grate(&["--mount", prefix, "sh", "-c", "exit 3"])
            .status
            .code(),
        Some(3)
    );
    assert_eq!(
        grate(&["--mount", prefix, "sh", "-c", "kill -TERM $$"])
            .status
            .code(),
        Some(128 + libc::SIGTERM)
    );
}

#[test]
fn mount_mode_pipelines_and_background_jobs() {
    let dir = mount_dir("jobs");
    let prefix = dir.to_str().unwrap();
    let script = format!(
        "mkdir {prefix}/j && cd {prefix}/j && for i in 1 2 3; do echo $i >> n; done; (sleep 0.1; echo bg > bg) & \
         cat n | wc -l; wait; cat bg; rm n; ls"
    );
    let out = grate(&["--mount", prefix, "sh", "-c", &script]);
    assert_eq!(
        String::from_utf8_lossy(&out.stdout),
        "3\nbg\nbg\n",
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(is_empty_dir(&dir));
}

#[test]
fn orphans_keep_their_fds_and_are_waited_for() {
    let bin = program("cases");
    let out = grate(&[bin.to_str().unwrap(), "orphan"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "stderr: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert_eq!(String::from_utf8_lossy(&out.stdout), "orphan ok\n");
}

#[test]
fn mount_mode_resolves_each_imfs_component_like_the_kernel() {
    let dir = mount_dir("walk");
    let p = dir.to_str().unwrap();
    let name = dir.file_name().unwrap().to_str().unwrap();
    let script = format!(
        "cd {p} && mkdir -p x/y && ln -s x/y l && echo z > l/../z && cat x/z && ls x; \
         rmdir x/y/. 2>&1; rmdir x/y/.. 2>&1; stat -c %F nothere/.. 2>&1; stat -c %F x/z/.. 2>&1; \
         ln -s {p}/x abs && cat abs/z && cat {p}/x/y/../../../{name}/x/z && ls {p}/.. | grep -cx {name}; \
         cat x/../../{name}/x/z; ls .. | grep -cx {name}"
    );
    let out = grate(&["--mount", p, "sh", "-c", &script]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines[..3], ["z", "y", "z"], "stdout: {stdout}");
    let want = [
        "Invalid argument",
        "Directory not empty",
        "No such file or directory",
        "Not a directory",
    ];
    for (line, want) in lines[3..7].iter().zip(want) {
        assert!(line.ends_with(want), "{line:?} is not {want:?}");
    }
    assert_eq!(lines[7..10], ["z", "z", "1"], "stdout: {stdout}");
    // From the imfs root (the kernel's cwd is the mount point) `..` is the host's.
    assert_eq!(lines[10..], ["z", "1"], "stdout: {stdout}");
    assert!(is_empty_dir(&dir));
}

#[test]
fn mount_mode_reads_host_files_reached_from_inside_imfs() {
    // A host file beside the mount point, reached through `..` from an imfs
    // directory and through an absolute symlink in imfs: the kernel cannot
    // be handed either path, so the grate reads it; writing gets EXDEV.
    let dir = mount_dir("out");
    let p = dir.to_str().unwrap();
    let host_file = dir.with_extension("hostfile");
    std::fs::write(&host_file, "host\n").unwrap();
    let h = host_file.to_str().unwrap();
    let hname = host_file.file_name().unwrap().to_str().unwrap();
    let script = format!(
        "cd {p} && mkdir x && cd x && cat ../../{hname} && stat -c %s ../../{hname} && \
         test -r ../../{hname} && ls -d ../../{hname} && ln -s {h} {p}/hl && cat {p}/hl && \
         readlink {p}/hl && stat -L -c %s {p}/hl; echo w > ../../{hname} 2>&1; \
         stat ../../nothere 2>&1; cat {h}"
    );
    let out = grate(&["--mount", p, "sh", "-c", &script]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    let stderr = String::from_utf8_lossy(&out.stderr);
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(
        lines[..6],
        ["host", "5", &format!("../../{hname}"), "host", h, "5"],
        "stdout: {stdout}\nstderr: {stderr}"
    );
    assert!(stderr.contains("Invalid cross-device link"), "{stderr}");
    assert!(lines[6].ends_with("No such file or directory"), "{stdout}");
    assert_eq!(lines[7], "host", "the host file is unchanged");
    // The grate reads with the caller's ids: a file only root may read is
    // refused to another user (where this runs as root and has setpriv).
    // SAFETY: geteuid cannot fail.
    let root = unsafe { libc::geteuid() } == 0;
    if root && Path::new("/usr/bin/setpriv").exists() {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&host_file, std::fs::Permissions::from_mode(0o600)).unwrap();
        let script = format!(
            "mkdir {p}/y && chmod 777 {p}/y && cd {p}/y && cat ../../{hname} && \
             setpriv --reuid=65534 --regid=65534 --clear-groups cat ../../{hname} 2>&1; \
             setpriv --reuid=65534 --regid=65534 --clear-groups stat -c %s ../../{hname}"
        );
        let out = grate(&["--mount", p, "sh", "-c", &script]);
        let stdout = String::from_utf8_lossy(&out.stdout);
        let lines: Vec<&str> = stdout.lines().collect();
        assert_eq!(lines[0], "host", "{stdout}");
        assert!(lines[1].ends_with("Permission denied"), "{stdout}");
        assert_eq!(lines[2], "5", "{stdout}");
    }
    std::fs::remove_file(&host_file).unwrap();
    assert!(is_empty_dir(&dir));
}

#[test]
fn mount_mode_never_waits_on_a_host_fifo_reached_from_inside_imfs() {
    // The grate opens such a file itself: a blocking open of a FIFO without
    // a writer would park the supervisor (and every cage) until one came.
    // A blocking open gets EXDEV at once; O_NONBLOCK opens as Linux would.
    let dir = mount_dir("fifo");
    let p = dir.to_str().unwrap();
    let fifo = dir.with_extension("hostfifo");
    let f = fifo.to_str().unwrap();
    let c = std::ffi::CString::new(f).unwrap();
    // SAFETY: a NUL-terminated path.
    assert_eq!(unsafe { libc::mkfifo(c.as_ptr(), 0o644) }, 0);
    let script = format!(
        "ln -s {f} {p}/l && cat {p}/l 2>&1; echo cat=$?; \
         dd if={p}/l iflag=nonblock status=none 2>&1; echo dd=$?"
    );
    let out = grate(&["--mount", p, "timeout", "20", "sh", "-c", &script]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    std::fs::remove_file(&fifo).unwrap();
    let lines: Vec<&str> = stdout.lines().collect();
    assert_eq!(lines.len(), 3, "{stdout}");
    assert!(lines[0].ends_with("Invalid cross-device link"), "{stdout}");
    assert_eq!(lines[1..], ["cat=1", "dd=0"], "{stdout}");
    assert!(is_empty_dir(&dir));
}
