//! Directory PRELOADS and DUMPS under the native grate, end to end: a
//! static C program (native-progs/tree_tool.c) reads a staged source tree,
//! writes a result tree, and the dump is compared byte for byte with the
//! tree expected from the source. Also: a tree that does not fit stops the
//! grate before the program starts unless --preload-partial; a failed dump
//! makes the exit status non-zero; --stats shows what staging used.
#![cfg(target_os = "linux")]

mod common;

use common::host_tree::{host_tree as tree, Entry};
use common::native::{default_grate, native_prog, small_grate};
use std::collections::BTreeMap;
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;

fn tree_tool() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| native_prog("tree_tool", &[]))
}

fn run(grate: &Path, flags: &[&str], env: &[(&str, String)], args: &[&str]) -> Output {
    let mut cmd = Command::new(grate);
    cmd.args(flags).arg(tree_tool()).args(args);
    cmd.env_remove("PRELOADS").env_remove("DUMPS");
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("running imfs-grate")
}

fn set_mtime(path: &Path, sec: i64) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let ts = [
        libc::timespec {
            tv_sec: sec,
            tv_nsec: 0,
        },
        libc::timespec {
            tv_sec: sec,
            tv_nsec: 987_654_321,
        },
    ];
    // SAFETY: a valid path and two timespecs.
    let r = unsafe {
        libc::utimensat(
            libc::AT_FDCWD,
            c.as_ptr(),
            ts.as_ptr(),
            libc::AT_SYMLINK_NOFOLLOW,
        )
    };
    assert_eq!(r, 0);
}

/// A source tree like a small project: nested directories, sources of a
/// few sizes and modes, relative and absolute symlinks.
fn project(root: &Path) {
    for d in ["src/net", "src/fs/deep", "include/sys", "docs"] {
        std::fs::create_dir_all(root.join(d)).unwrap();
    }
    let mut t = 1_650_000_000;
    let mut file = |rel: &str, data: Vec<u8>, mode: u32| {
        let p = root.join(rel);
        std::fs::write(&p, data).unwrap();
        std::fs::set_permissions(&p, std::fs::Permissions::from_mode(mode)).unwrap();
        t += 60;
        set_mtime(&p, t);
    };
    file(
        "src/main.c",
        b"int main(void) { return 0; }\n".to_vec(),
        0o644,
    );
    file("src/net/sock.c", b"/* sockets */\n".repeat(500), 0o644);
    file(
        "src/fs/deep/big.dat",
        (0..200_000u32).map(|i| (i % 251) as u8).collect(),
        0o600,
    );
    file(
        "include/sys/types.h",
        b"typedef int pid_t;\n".to_vec(),
        0o444,
    );
    file("docs/README", b"read me\n".to_vec(), 0o640);
    file("build.sh", b"#!/bin/sh\necho build\n".to_vec(), 0o755);
    file("empty", Vec::new(), 0o644);
    std::os::unix::fs::symlink("src/main.c", root.join("main-link")).unwrap();
    std::os::unix::fs::symlink("/usr/include/stdio.h", root.join("include/stdio.h")).unwrap();
    set_mtime(&root.join("main-link"), 1_650_100_000);
    set_mtime(&root.join("include/stdio.h"), 1_650_100_001);
    for d in [
        "src/fs/deep",
        "src/fs",
        "src/net",
        "src",
        "include/sys",
        "include",
        "docs",
    ] {
        t += 60;
        set_mtime(&root.join(d), t);
    }
    std::fs::set_permissions(root.join("docs"), std::fs::Permissions::from_mode(0o750)).unwrap();
}

/// What tree_tool must produce from `src`: the same tree with files
/// upper-cased, plus the sorted MANIFEST (its mtime is the run's: `None`).
fn expected(src: &Path) -> (BTreeMap<PathBuf, Entry>, Vec<u8>) {
    let mut want = tree(src);
    let mut lines: Vec<String> = Vec::new();
    for (rel, e) in want.iter_mut() {
        let size = match e.kind {
            'd' => 0,
            _ => e.data.len(),
        };
        lines.push(format!("{} {} {}\n", e.kind, size, rel.display()));
        if e.kind == 'f' {
            e.data.make_ascii_uppercase();
        }
    }
    lines.sort();
    (want, lines.concat().into_bytes())
}

#[test]
fn a_static_program_builds_a_staged_tree_and_its_result_tree_is_dumped_exactly() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("project");
    project(&src);
    let out = tmp.path().join("results/out");
    let o = run(
        default_grate(),
        &["--stats"],
        &[
            ("PRELOADS", format!("/work/src={}", src.display())),
            ("DUMPS", format!("/work/out={}", out.display())),
        ],
        &["/work/src", "/work/out"],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(
        String::from_utf8_lossy(&o.stdout),
        "tree_tool: 16 entries\n"
    );
    let (mut want, manifest) = expected(&src);
    let mut got = tree(&out);
    let m = got.remove(Path::new("MANIFEST")).expect("MANIFEST dumped");
    assert_eq!(
        String::from_utf8_lossy(&m.data),
        String::from_utf8_lossy(&manifest)
    );
    for (rel, e) in &want {
        assert_eq!(got.get(rel), Some(e), "{}", rel.display());
    }
    assert_eq!(got.len(), want.len());
    want.clear();
    // The top directory got the source's mode from the program, through the dump.
    let top = std::fs::metadata(&out).unwrap().mode() & 0o7777;
    assert_eq!(top, std::fs::metadata(&src).unwrap().mode() & 0o7777);
    // --stats: what staging took. In: 7 files, 8 directories (/work/src
    // and 7 below), 2 symlinks, and /work made as a parent: 18 nodes.
    let bytes: u64 = tree(&src)
        .values()
        .filter(|e| e.kind == 'f')
        .map(|e| e.data.len() as u64)
        .sum();
    assert!(
        stderr.contains(&format!(
            "imfs: preload: 7 files ({bytes} bytes), 8 directories, 2 symlinks, 0 skipped"
        )),
        "no preload line in --stats:\n{stderr}"
    );
    assert!(
        stderr.contains("imfs: preload used: nodes +18, dirents +18"),
        "{stderr}"
    );
    // Out: the same plus MANIFEST.
    assert!(stderr.contains("imfs: dump: 8 files ("), "{stderr}");
}

#[test]
fn a_tree_that_does_not_fit_stops_before_the_program_unless_asked() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("many");
    std::fs::create_dir_all(&src).unwrap();
    // The small config has 64 nodes.
    for i in 0..100 {
        std::fs::write(src.join(format!("f{i:03}")), format!("{i}\n")).unwrap();
    }
    let env = [("PRELOADS", format!("/in={}", src.display()))];
    let o = run(small_grate(), &[], &env, &["/in", "/out"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(o.stdout.is_empty(), "the program ran: {stderr}");
    assert!(
        stderr.contains("no node left (nodes = 64)")
            && stderr.contains("pool nodes")
            && stderr.contains("staged before it:")
            && stderr.contains("was not started"),
        "{stderr}"
    );
    // It names the path it stopped at.
    assert!(stderr.contains(&format!("{}/f", src.display())), "{stderr}");
    // Asked to go on: the program runs on what fit (and, with every node
    // taken, fails to make its output: it ran).
    let o = run(
        small_grate(),
        &["--preload-partial"],
        &env,
        &["/in", "/out"],
    );
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert!(stderr.contains("starting the program anyway"), "{stderr}");
    assert!(
        stderr.contains("tree_tool: mkdir /out: No space left on device"),
        "{stderr}"
    );
}

#[test]
fn a_failed_dump_names_the_path_and_makes_the_exit_status_non_zero() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("in");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("a"), b"a").unwrap();
    let out = tmp.path().join("out");
    let env = [
        ("PRELOADS", format!("/in={}", src.display())),
        (
            "DUMPS",
            format!(
                "/out={};/not-there={}",
                out.display(),
                tmp.path().join("x").display()
            ),
        ),
    ];
    let o = run(default_grate(), &[], &env, &["/in", "/out"]);
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(1), "{stderr}");
    assert!(stderr.contains("imfs: dump: /not-there -> "), "{stderr}");
    assert!(stderr.contains("1 paths failed"), "{stderr}");
    // The other entry was still dumped.
    assert_eq!(std::fs::read(out.join("a")).unwrap(), b"A");
}

#[test]
fn a_host_compiler_builds_against_a_staged_include_tree_in_mount_mode() {
    // cc (dynamically linked, the host's) runs in mount mode: its sources
    // and a project include directory are staged trees, the binary it
    // links is written to imfs and comes back through DUMPS, byte for byte
    // what the same compile gives on the host.
    let tmp = tempfile::tempdir().unwrap();
    let inc = tmp.path().join("include");
    let src = tmp.path().join("src");
    std::fs::create_dir_all(inc.join("proj")).unwrap();
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(
        inc.join("proj/greet.h"),
        "#define GREETING \"hello from a staged header\"\n\
         static inline int answer(void) { return 42; }\n",
    )
    .unwrap();
    std::os::unix::fs::symlink("proj/greet.h", inc.join("greet.h")).unwrap();
    std::fs::write(
        src.join("hello.c"),
        "#include <stdio.h>\n#include <greet.h>\n\
         int main(void) { printf(\"%s %d\\n\", GREETING, answer()); return 0; }\n",
    )
    .unwrap();
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let mount =
        Path::new(env!("CARGO_TARGET_TMPDIR")).join(format!("cc-mnt-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&mount);
    let m = mount.display().to_string();
    let out = tmp.path().join("out");
    let script =
        format!("mkdir {m}/out && {cc} -static -O2 -I{m}/include -o {m}/out/hello {m}/src/hello.c");
    let o = Command::new(default_grate())
        .args(["--mount", &m, "sh", "-c", &script])
        .env(
            "PRELOADS",
            format!("{m}/include={}:{m}/src={}", inc.display(), src.display()),
        )
        .env("DUMPS", format!("{m}/out={}", out.display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    // Nothing was written to the host under the mount point.
    assert!(!mount.join("out").exists());
    let ran = Command::new(out.join("hello")).output().unwrap();
    assert_eq!(
        String::from_utf8_lossy(&ran.stdout),
        "hello from a staged header 42\n"
    );
    // The same compile on the host gives the same bytes.
    let native = tmp.path().join("hello-native");
    let built = Command::new(&cc)
        .args(["-static", "-O2", "-I"])
        .arg(&inc)
        .arg("-o")
        .arg(&native)
        .arg(src.join("hello.c"))
        .status()
        .unwrap();
    assert!(built.success());
    assert!(
        std::fs::read(&native).unwrap() == std::fs::read(out.join("hello")).unwrap(),
        "the binary built in imfs differs from the host build"
    );
}

#[test]
fn a_grate_run_by_a_user_gets_tmp_and_its_preloads() {
    // Only where the test runs as root and can drop to another user.
    // SAFETY: geteuid has no preconditions.
    if unsafe { libc::geteuid() } != 0 || Command::new("setpriv").arg("--version").output().is_err()
    {
        eprintln!("skipped: needs root and setpriv");
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    std::fs::set_permissions(tmp.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("d")).unwrap();
    std::fs::write(src.join("d/x"), b"x\n").unwrap();
    std::fs::set_permissions(&src, std::fs::Permissions::from_mode(0o755)).unwrap();
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    std::os::unix::fs::chown(&out, Some(1000), Some(1000)).unwrap();
    let o = Command::new("setpriv")
        .args(["--reuid=1000", "--regid=1000", "--clear-groups"])
        .arg(default_grate())
        .arg(tree_tool())
        .args(["/src", "/tmp/out"])
        .env("PRELOADS", format!("/src={}", src.display()))
        .env("DUMPS", format!("/tmp/out={}", out.join("res").display()))
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&o.stderr);
    assert_eq!(o.status.code(), Some(0), "{stderr}");
    assert_eq!(std::fs::read(out.join("res/d/x")).unwrap(), b"X\n");
    assert_eq!(std::fs::metadata(out.join("res/d/x")).unwrap().uid(), 1000);
}
