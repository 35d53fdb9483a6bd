//! Directory PRELOADS and DUMPS through the library (loopback grate, real
//! host temp dirs): whole trees with modes, times and symlinks, containment
//! of dumps, limits.

mod common;
use common::host_tree::host_tree;
use common::*;
use imfs_core::flags::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
use imfs_core::{config, Ctx, Errno, Timespec};
use imfs_grate::staging::{dump, preload, StdFiles};
use std::ffi::CString;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::Path;

fn ctx() -> Ctx {
    // Not root: what staging makes belongs to this user.
    Ctx {
        uid: 1000,
        gid: 1000,
        ..Ctx::default()
    }
}

/// A grate whose root belongs to the staging user, so the tests' own
/// helpers (run as that user) may create next to what staging made.
fn grate() -> T {
    let mut t = T::new();
    t.g.fs_mut()
        .chown(&Ctx::default(), None, b"/", 1000, 1000, true)
        .unwrap();
    t
}

fn set_times(path: &Path, sec: i64, nsec: i64, follow: bool) {
    let c = CString::new(path.as_os_str().as_bytes()).unwrap();
    let ts = libc::timespec {
        tv_sec: sec,
        tv_nsec: nsec,
    };
    let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
    // SAFETY: valid path and two timespecs.
    let r = unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), [ts, ts].as_ptr(), flags) };
    assert_eq!(r, 0, "utimensat {}", path.display());
}

fn chmod(path: &Path, mode: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

/// A source tree with every kind staging handles: nested directories, a
/// read-only one, files of several sizes and modes, relative, absolute and
/// escaping symlinks, a symlink to a directory, and a FIFO.
fn sample_tree(root: &Path) {
    std::fs::create_dir_all(root.join("sub/deeper")).unwrap();
    std::fs::create_dir_all(root.join("ro")).unwrap();
    std::fs::write(root.join("a.txt"), b"alpha\n").unwrap();
    let big: Vec<u8> = (0..300_000u32).map(|i| (i * 7 + i / 13) as u8).collect();
    std::fs::write(root.join("sub/big.bin"), &big).unwrap();
    std::fs::write(root.join("sub/deeper/empty"), b"").unwrap();
    std::fs::write(root.join("ro/inside"), b"in a read-only dir").unwrap();
    std::os::unix::fs::symlink("a.txt", root.join("link")).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", root.join("abs")).unwrap();
    std::os::unix::fs::symlink("../../../../outside", root.join("sub/escape")).unwrap();
    std::os::unix::fs::symlink("sub", root.join("dirlink")).unwrap();
    let fifo = CString::new(root.join("fifo").as_os_str().as_bytes()).unwrap();
    // SAFETY: a valid path.
    assert_eq!(unsafe { libc::mkfifo(fifo.as_ptr(), 0o600) }, 0);
    chmod(&root.join("a.txt"), 0o640);
    chmod(&root.join("sub/big.bin"), 0o755);
    chmod(&root.join("sub/deeper/empty"), 0o600);
    chmod(&root.join("ro/inside"), 0o444);
    // Times last, children before parents (a child's creation stamps its parent).
    let mut t = 1_600_000_000;
    for p in [
        "a.txt",
        "sub/big.bin",
        "sub/deeper/empty",
        "ro/inside",
        "link",
        "abs",
        "sub/escape",
        "dirlink",
    ] {
        t += 1000;
        set_times(&root.join(p), t, 123_456_789, false);
    }
    for p in ["sub/deeper", "sub", "ro"] {
        t += 1000;
        set_times(&root.join(p), t, 5, true);
    }
    chmod(&root.join("ro"), 0o555);
    chmod(&root.join("sub/deeper"), 0o700);
    chmod(root, 0o750);
    set_times(root, t + 1, 0, true);
}

/// Makes a tree removable again (read-only directories).
fn unlock(root: &Path) {
    let _ = std::process::Command::new("chmod")
        .args(["-R", "u+rwx"])
        .arg(root)
        .status();
}

#[test]
fn a_directory_entry_stages_the_whole_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    sample_tree(&src);
    let mut t = grate();
    let mut buf = vec![0u8; 4096];
    let spec = format!("/proj={}", src.display());
    let r = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf).unwrap();
    // Dirs: /proj, sub, sub/deeper, ro. The FIFO is skipped and counted.
    assert_eq!((r.files, r.dirs, r.symlinks, r.skipped), (4, 4, 4, 1));
    assert_eq!(r.bytes, 6 + 300_000 + 18);
    let fs = t.g.fs();
    let c = ctx();
    let st = |p: &str, follow| fs.stat(&c, None, p.as_bytes(), follow).unwrap();
    assert_eq!(st("/proj", false).mode, S_IFDIR | 0o750);
    assert_eq!(st("/proj/ro", false).mode, S_IFDIR | 0o555);
    assert_eq!(st("/proj/sub/deeper", false).mode, S_IFDIR | 0o700);
    assert_eq!(st("/proj/a.txt", false).mode, S_IFREG | 0o640);
    assert_eq!(st("/proj/ro/inside", false).mode, S_IFREG | 0o444);
    assert_eq!(st("/proj/sub/big.bin", false).size, 300_000);
    // Times: files, symlinks and directories (set after their contents).
    let host_m = |p: &str| {
        let m = std::fs::symlink_metadata(src.join(p)).unwrap();
        Timespec {
            sec: m.mtime(),
            nsec: m.mtime_nsec(),
        }
    };
    for p in [
        "a.txt",
        "sub/big.bin",
        "link",
        "sub/escape",
        "sub",
        "ro",
        "",
    ] {
        let imfs = if p.is_empty() {
            "/proj".to_string()
        } else {
            format!("/proj/{p}")
        };
        assert_eq!(st(&imfs, false).mtime, host_m(p), "{p}");
    }
    // Symlinks are symlinks with their target text, never followed.
    let mut target = [0u8; 64];
    for (p, want) in [
        ("/proj/link", &b"a.txt"[..]),
        ("/proj/abs", b"/etc/passwd"),
        ("/proj/sub/escape", b"../../../../outside"),
        ("/proj/dirlink", b"sub"),
    ] {
        assert_eq!(st(p, false).mode & S_IFMT, S_IFLNK, "{p}");
        let n = fs.readlink(&c, None, p.as_bytes(), &mut target).unwrap();
        assert_eq!(&target[..n], want);
    }
    assert_eq!(t.cat("/proj/link").unwrap(), b"alpha\n");
    assert_eq!(
        t.cat("/proj/sub/big.bin").unwrap(),
        std::fs::read(src.join("sub/big.bin")).unwrap()
    );
    // Nothing from outside the tree came in (the escape and /etc/passwd).
    assert_eq!(t.stat("/etc").map(|_| ()), Err(e(Errno::ENOENT)));
    assert_eq!(t.g.usage().fs.open_files.used, 0);
    t.check();
    unlock(tmp.path());
}

#[test]
fn a_tree_round_trips_byte_for_byte() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    sample_tree(&src);
    std::fs::remove_file(src.join("fifo")).unwrap();
    set_times(&src, 1_700_000_000, 1, true);
    let mut t = grate();
    let mut buf = vec![0u8; 1000];
    preload(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/proj={}", src.display()),
        &mut buf,
    )
    .unwrap();
    let out = tmp.path().join("back/out");
    let r = dump(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/proj={}", out.display()),
        &mut buf,
    );
    assert_eq!((r.files, r.dirs, r.symlinks, r.failed), (4, 4, 4, 0));
    assert_eq!(host_tree(&out), host_tree(&src));
    let (a, b) = (
        std::fs::metadata(&out).unwrap(),
        std::fs::metadata(&src).unwrap(),
    );
    assert_eq!(
        (a.mode(), a.mtime(), a.mtime_nsec()),
        (b.mode(), b.mtime(), b.mtime_nsec())
    );
    // Dumping again over the first dump gives the same tree.
    let r = dump(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/proj={}", out.display()),
        &mut buf,
    );
    assert_eq!(r.failed, 0);
    assert_eq!(host_tree(&out), host_tree(&src));
    assert_eq!(t.g.usage().fs.open_files.used, 0);
    unlock(tmp.path());
}

#[test]
fn siblings_after_subdirectories_are_not_lost_at_any_depth() {
    // Each level: files before and after a subdirectory, so resuming a
    // directory after its child (reopen + seek to the cookie) is exercised
    // at every level, 60 deep.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("deep");
    let mut dir = src.clone();
    for level in 0..60 {
        std::fs::create_dir_all(&dir).unwrap();
        for i in 0..5 {
            std::fs::write(dir.join(format!("f{i}")), format!("{level}/{i}")).unwrap();
        }
        std::fs::create_dir(dir.join("d")).unwrap();
        for i in 5..10 {
            std::fs::write(dir.join(format!("g{i}")), format!("{level}/{i}")).unwrap();
        }
        dir = dir.join("d");
    }
    let mut t = grate();
    let mut buf = vec![0u8; 256];
    let r = preload(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/deep={}", src.display()),
        &mut buf,
    )
    .unwrap();
    assert_eq!((r.files, r.dirs, r.skipped), (600, 61, 0));
    let out = tmp.path().join("out");
    let r = dump(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/deep={}", out.display()),
        &mut buf,
    );
    assert_eq!((r.files, r.dirs, r.failed), (600, 61, 0));
    assert_eq!(host_tree(&out), host_tree(&src));
    t.check();
}

#[test]
fn a_tree_into_the_root_merges_with_what_is_there() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("tmp")).unwrap();
    std::fs::write(src.join("tmp/x"), b"x").unwrap();
    std::fs::write(src.join("top"), b"top").unwrap();
    let mut t = grate();
    t.mkdir("/tmp");
    t.create("/tmp/kept", b"kept");
    t.create("/top", b"old contents, longer");
    let mut buf = vec![0u8; 512];
    let r = preload(
        t.g.fs_mut(),
        &Ctx::default(),
        &mut StdFiles,
        &format!("/={}", src.display()),
        &mut buf,
    )
    .unwrap();
    assert_eq!((r.files, r.dirs, r.skipped), (2, 2, 0));
    assert_eq!(t.cat("/tmp/kept").unwrap(), b"kept");
    assert_eq!(t.cat("/tmp/x").unwrap(), b"x");
    assert_eq!(t.cat("/top").unwrap(), b"top");
    // A file where the tree has a directory: that subtree is skipped and
    // counted, the rest staged.
    let mut t = grate();
    t.create("/dst", b"a file");
    std::fs::create_dir(src.join("later")).unwrap();
    let r = preload(
        t.g.fs_mut(),
        &Ctx::default(),
        &mut StdFiles,
        &format!("/dst={}:/ok={}", src.display(), src.display()),
        &mut buf,
    )
    .unwrap();
    assert_eq!((r.files, r.dirs, r.skipped), (2, 3, 1));
    assert_eq!(t.cat("/dst").unwrap(), b"a file");
    assert_eq!(t.cat("/ok/tmp/x").unwrap(), b"x");
}

#[test]
fn running_out_of_chunks_stops_at_the_path_and_says_what_was_staged() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("a")).unwrap();
    std::fs::write(src.join("a/small"), b"small").unwrap();
    let chunk_bytes = config::CHUNKS * config::CHUNK_SIZE;
    let f = std::fs::File::create(src.join("a/huge")).unwrap();
    drop(f);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .write(true)
            .open(src.join("a/huge"))
            .unwrap();
        let block = vec![3u8; 1 << 20];
        let mut left = chunk_bytes + 1;
        while left > 0 {
            let n = left.min(block.len());
            f.write_all(&block[..n]).unwrap();
            left -= n;
        }
    }
    let mut t = grate();
    let mut buf = vec![0u8; 65536];
    let spec = format!(
        "/first={}:/tree={}",
        src.join("a/small").display(),
        src.display()
    );
    let err = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf).unwrap_err();
    assert_eq!((err.errno, err.pool), (Errno::ENOSPC, "chunks"));
    assert_eq!(err.imfs_path, "/tree/a/huge");
    assert_eq!(err.host_path, src.join("a/huge").display().to_string());
    // /first, and /tree/a/small if the host listed it before huge.
    assert!(
        err.staged.files >= 1 && err.staged.dirs == 2,
        "{:?}",
        err.staged
    );
    let msg = err.to_string();
    assert!(
        msg.contains("/tree/a/huge")
            && msg.contains("chunks = ")
            && msg.contains("staged before it"),
        "{msg}"
    );
    assert_eq!(t.g.usage().fs.open_files.used, 0);
    t.check();
}

#[test]
fn no_open_file_left_stops_with_enfile_naming_open_files() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(&src).unwrap();
    std::fs::write(src.join("f"), b"f").unwrap();
    let mut t = grate();
    t.create("/held", b"");
    // Every open file description taken (by other cages in real life).
    let ctx0 = Ctx::default();
    let mut held = Vec::new();
    while let Ok(ofd) = t.g.fs_mut().open(&ctx0, None, b"/held", 0, 0) {
        held.push(ofd);
    }
    let mut buf = vec![0u8; 512];
    let err = preload(
        t.g.fs_mut(),
        &ctx0,
        &mut StdFiles,
        &format!("/t={}", src.display()),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!((err.errno, err.pool), (Errno::ENFILE, "open_files"));
    assert_eq!(err.imfs_path, "/t/f");
    assert_eq!((err.staged.dirs, err.staged.files), (1, 0));
    assert!(err.to_string().contains("open_files = "));
    for ofd in held {
        t.g.fs_mut().close(ofd).unwrap();
    }
}

#[test]
fn a_tree_deeper_than_path_max_stops_with_enametoolong() {
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    let (n, m) = ("n".repeat(150), "m".repeat(150));
    std::fs::create_dir_all(src.join(&n).join(&m)).unwrap();
    std::fs::write(src.join(&n).join(&m).join("f"), b"f").unwrap();
    // Staged 200-byte components deep, so path_max falls inside the tree.
    let mut imfs_root = String::new();
    while imfs_root.len() + 201 + 151 < config::PATH_MAX {
        imfs_root += &format!("/{}", "d".repeat(200));
    }
    let mut t = grate();
    let mut buf = vec![0u8; 512];
    let err = preload(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("{imfs_root}={}", src.display()),
        &mut buf,
    )
    .unwrap_err();
    assert_eq!(
        (err.errno, err.pool),
        (Errno::ENAMETOOLONG, "name_max/path_max")
    );
    assert_eq!(err.imfs_path, format!("{imfs_root}/{n}/{m}"));
    assert_eq!(err.host_path, src.join(&n).join(&m).display().to_string());
    assert_eq!(err.staged.dirs, 2);
    assert!(err.to_string().contains("path_max = "));
    t.check();
}

/// imfs: /out with a file, a directory, and symlinks whose targets climb
/// out ("..") or are absolute.
fn hostile_out(t: &mut T, victim: &Path) {
    let c = Ctx::default();
    let fs = t.g.fs_mut();
    fs.mkdir(&c, None, b"/out", 0o755).unwrap();
    fs.mkdir(&c, None, b"/out/sub", 0o755).unwrap();
    fs.symlink(&c, b"../../../../../../../..", None, b"/out/up")
        .unwrap();
    fs.symlink(&c, victim.as_os_str().as_bytes(), None, b"/out/abs")
        .unwrap();
    t.create("/out/sub/f", b"inside");
    t.create("/out/plain", b"plain");
    let fs = t.g.fs_mut();
    fs.chmod(&c, None, b"/out/plain", 0o6755, true).unwrap();
}

#[test]
fn dumps_never_write_outside_the_named_host_path() {
    let tmp = tempfile::tempdir().unwrap();
    let victim = tmp.path().join("victim");
    std::fs::create_dir(&victim).unwrap();
    std::fs::write(victim.join("plain"), b"victim file").unwrap();
    let mut t = grate();
    hostile_out(&mut t, &victim);
    let out = tmp.path().join("out");
    std::fs::create_dir(&out).unwrap();
    // Left on the host by an earlier run: symlinks where imfs has a
    // directory and a file, both pointing at the victim.
    std::os::unix::fs::symlink(&victim, out.join("sub")).unwrap();
    std::os::unix::fs::symlink(victim.join("plain"), out.join("plain")).unwrap();
    let mut buf = vec![0u8; 512];
    let r = dump(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/out={}", out.display()),
        &mut buf,
    );
    assert_eq!((r.files, r.dirs, r.symlinks, r.failed), (2, 2, 2, 0));
    // The victim is untouched: still one file, same contents.
    assert_eq!(std::fs::read_dir(&victim).unwrap().count(), 1);
    assert_eq!(std::fs::read(victim.join("plain")).unwrap(), b"victim file");
    // The host symlinks in the way were replaced by what imfs holds.
    let m = std::fs::symlink_metadata(out.join("sub")).unwrap();
    assert!(m.is_dir());
    assert_eq!(std::fs::read(out.join("sub/f")).unwrap(), b"inside");
    let m = std::fs::symlink_metadata(out.join("plain")).unwrap();
    assert!(m.is_file());
    // setuid and setgid stay in imfs.
    assert_eq!(m.mode() & 0o7777, 0o755);
    // imfs symlinks are written as symlinks, targets verbatim, not followed.
    assert_eq!(
        std::fs::read_link(out.join("up")).unwrap(),
        Path::new("../../../../../../../..")
    );
    assert_eq!(std::fs::read_link(out.join("abs")).unwrap(), victim);
    assert_eq!(host_tree(&out).len(), 5);
}

#[test]
fn a_failing_dump_reports_each_path_and_goes_on() {
    let tmp = tempfile::tempdir().unwrap();
    let mut t = grate();
    t.mkdir("/res");
    t.create("/res/a", b"a");
    t.create("/res/b", b"b");
    t.create("/res/c", b"c");
    let out = tmp.path().join("out");
    // Host directories where imfs has files a and c: never removed.
    std::fs::create_dir_all(out.join("a/keep")).unwrap();
    std::fs::create_dir_all(out.join("c")).unwrap();
    // And a host file where the named directory should be.
    let file_out = tmp.path().join("file");
    std::fs::write(&file_out, b"not a dir").unwrap();
    let mut buf = vec![0u8; 512];
    let spec = format!(
        "/res={};/res={};/missing={}",
        out.display(),
        file_out.display(),
        tmp.path().join("m").display()
    );
    let r = dump(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf);
    assert_eq!((r.files, r.failed), (1, 4));
    assert_eq!(std::fs::read(out.join("b")).unwrap(), b"b");
    assert!(out.join("a/keep").is_dir());
    assert_eq!(std::fs::read(&file_out).unwrap(), b"not a dir");
    assert!(!tmp.path().join("m").exists());
}

#[test]
fn dumped_files_keep_exact_times_before_1970_too() {
    let tmp = tempfile::tempdir().unwrap();
    let mut t = grate();
    t.mkdir("/d");
    t.create("/d/old", b"old");
    t.create("/d/new", b"new");
    let c = Ctx::default();
    let old = Timespec {
        sec: -86_400,
        nsec: 5,
    };
    let new = Timespec {
        sec: 4_000_000_000,
        nsec: 999_999_999,
    };
    let fs = t.g.fs_mut();
    fs.utimens(&c, None, b"/d/old", Some([old, old]), true)
        .unwrap();
    fs.utimens(&c, None, b"/d/new", Some([new, old]), true)
        .unwrap();
    let out = tmp.path().join("out");
    let mut buf = vec![0u8; 64];
    let r = dump(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &format!("/d={}", out.display()),
        &mut buf,
    );
    assert_eq!((r.files, r.failed), (2, 0));
    let m = std::fs::metadata(out.join("old")).unwrap();
    assert_eq!(
        (m.mtime(), m.mtime_nsec(), m.atime()),
        (-86_400, 5, -86_400)
    );
    let m = std::fs::metadata(out.join("new")).unwrap();
    assert_eq!((m.mtime(), m.mtime_nsec()), (-86_400, 5));
    assert_eq!((m.atime(), m.atime_nsec()), (4_000_000_000, 999_999_999));
}

#[test]
fn a_grate_run_by_a_user_stages_into_the_root_owned_filesystem_as_that_user() {
    // The imfs root is root's (0755), as for every grate; the grate's user
    // is 1000. Staging is the grate setting up its own filesystem: nothing
    // is refused, and what it makes belongs to the user.
    let tmp = tempfile::tempdir().unwrap();
    let src = tmp.path().join("src");
    std::fs::create_dir_all(src.join("sub")).unwrap();
    std::fs::write(src.join("sub/f"), b"f").unwrap();
    std::os::unix::fs::symlink("sub/f", src.join("l")).unwrap();
    let setuid = tmp.path().join("setuid");
    std::fs::write(&setuid, b"x").unwrap();
    chmod(&setuid, 0o4755);
    let mut t = T::new();
    let user = ctx();
    let mut buf = vec![0u8; 512];
    let spec = format!("/deep/er/src={}:/bin/s={}", src.display(), setuid.display());
    let r = preload(t.g.fs_mut(), &user, &mut StdFiles, &spec, &mut buf).unwrap();
    assert_eq!((r.files, r.dirs, r.symlinks, r.skipped), (2, 2, 1, 0));
    let fs = t.g.fs();
    for p in [
        "/deep",
        "/deep/er",
        "/deep/er/src",
        "/deep/er/src/sub",
        "/deep/er/src/sub/f",
        "/deep/er/src/l",
        "/bin",
        "/bin/s",
    ] {
        let st = fs.stat(&user, None, p.as_bytes(), false).unwrap();
        assert_eq!((st.uid, st.gid), (1000, 1000), "{p}");
    }
    // The mode is set after the owner, so a setuid bit survives.
    assert_eq!(
        fs.stat(&user, None, b"/bin/s", false).unwrap().mode,
        S_IFREG | 0o4755
    );
    let root = fs.stat(&user, None, b"/", false).unwrap();
    assert_eq!((root.uid, root.mode), (0, S_IFDIR | 0o755));
}
