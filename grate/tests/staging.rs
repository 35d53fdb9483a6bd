//! PRELOADS and DUMPS in the upstream format, against real temp dirs.

mod common;
use common::*;
use imfs_core::{config, Ctx, Errno};
use imfs_grate::staging::{
    dump, dump_mounted, imfs_path, parse_dumps, parse_preloads, preload, preload_mounted, StdFiles,
};
use std::os::unix::fs::PermissionsExt;

fn ctx() -> Ctx {
    Ctx::default()
}

#[test]
fn preload_entry_parsing() {
    let got: Vec<_> = parse_preloads("/a.txt=a.txt::=b.txt:c.txt=:/d.txt=d.txt:/e").collect();
    assert_eq!(
        got,
        [("/a.txt", "a.txt"), ("/d.txt", "d.txt"), ("/e", "/e")]
    );
    assert_eq!(parse_preloads("").count(), 0);
    assert_eq!(parse_preloads("=").count(), 0);
}

#[test]
fn dump_entry_parsing() {
    let got: Vec<_> = parse_dumps(" /out=host/out;;\t/same; =x;y=;/a=b=c").collect();
    assert_eq!(
        got,
        [("/out", "host/out"), ("/same", "/same"), ("/a", "b=c")]
    );
}

#[test]
fn preload_stages_files_with_parents_and_modes() {
    let dir = tempfile::tempdir().unwrap();
    let host = dir.path().join("src.txt");
    std::fs::write(&host, b"hello from the host\n").unwrap();
    std::fs::set_permissions(&host, std::fs::Permissions::from_mode(0o751)).unwrap();
    let big = dir.path().join("big.bin");
    let data: Vec<u8> = (0..200_000u32).map(|i| (i * 13) as u8).collect();
    std::fs::write(&big, &data).unwrap();
    let h = host.to_str().unwrap();
    let spec = format!(
        "/deep/nested/copy.txt={h}::{b}:/missing-host-file::{d}=/x",
        b = big.to_str().unwrap(),
        d = "="
    );
    let mut t = T::new();
    let mut buf = vec![0u8; 4096];
    let r = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf).unwrap();
    assert_eq!((r.files, r.skipped), (2, 1));
    assert_eq!(r.bytes, 20 + 200_000);
    assert_eq!(
        t.cat("/deep/nested/copy.txt").unwrap(),
        b"hello from the host\n"
    );
    assert_eq!(
        t.stat("/deep/nested/copy.txt").unwrap().st_mode,
        libc::S_IFREG | 0o751
    );
    assert_eq!(
        t.stat("/deep/nested").unwrap().st_mode & libc::S_IFMT,
        libc::S_IFDIR
    );
    // A bare entry lands at the same (absolute) path.
    assert_eq!(t.cat(big.to_str().unwrap()).unwrap(), data);
    t.check();
}

#[test]
fn preload_twice_truncates_and_stages_directories() {
    let dir = tempfile::tempdir().unwrap();
    let long = dir.path().join("long");
    let short = dir.path().join("short");
    std::fs::write(&long, vec![b'L'; 5000]).unwrap();
    std::fs::write(&short, b"short").unwrap();
    let d = dir.path().to_str().unwrap();
    let spec = format!("/t={}:/t={}:/dir={d}", long.display(), short.display());
    let mut t = T::new();
    let mut buf = vec![0u8; 512];
    let r = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf).unwrap();
    // A directory entry is a tree: its two files come along.
    assert_eq!((r.files, r.dirs, r.skipped), (4, 1, 0));
    assert_eq!(t.cat("/t").unwrap(), b"short");
    assert_eq!(t.cat("/dir/long").unwrap(), vec![b'L'; 5000]);
    assert_eq!(
        t.stat("/dir").unwrap().st_mode & libc::S_IFMT,
        libc::S_IFDIR
    );
    // An imfs directory in the way is skipped, the rest still staged.
    t.mkdir("/taken");
    let spec = format!("/taken={}:/after={}", short.display(), short.display());
    let r = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf).unwrap();
    assert_eq!((r.files, r.skipped), (1, 1));
    assert_eq!(t.cat("/after").unwrap(), b"short");
}

#[test]
fn preload_that_does_not_fit_names_the_file_and_limit() {
    let dir = tempfile::tempdir().unwrap();
    let huge = dir.path().join("huge");
    // More than every chunk together.
    let f = std::fs::File::create(&huge).unwrap();
    let too_big = (config::CHUNKS * config::CHUNK_SIZE + 1) as u64;
    drop(f);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new().write(true).open(&huge).unwrap();
        let block = vec![1u8; 1 << 20];
        let mut left = too_big;
        while left > 0 {
            let n = left.min(block.len() as u64) as usize;
            f.write_all(&block[..n]).unwrap();
            left -= n as u64;
        }
    }
    let mut t = T::new();
    let mut buf = vec![0u8; 65536];
    let spec = format!("/huge={}", huge.display());
    let err = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf).unwrap_err();
    assert_eq!(err.errno, Errno::ENOSPC);
    let msg = err.to_string();
    assert!(msg.contains("/huge") && msg.contains("chunks = "), "{msg}");
    // A name over name_max.
    let name = format!("/{}={}", "n".repeat(config::NAME_MAX + 1), huge.display());
    let mut t = T::new();
    let err = preload(t.g.fs_mut(), &ctx(), &mut StdFiles, &name, &mut buf).unwrap_err();
    assert_eq!(err.errno, Errno::ENAMETOOLONG);
    assert!(err.to_string().contains("name_max"));
}

#[test]
fn dumps_write_host_files_with_parents() {
    let dir = tempfile::tempdir().unwrap();
    let mut t = T::new();
    let data: Vec<u8> = (0..100_000u32).map(|i| i as u8).collect();
    t.mkdir("/out");
    t.create("/out/bin", &data);
    let p = t.s("/out/bin");
    assert_eq!(t.sys(imfs_grate::dispatch::nr::CHMOD, &[p, 0o755]), 0);
    t.create("/same-name", b"s");
    let target = dir.path().join("a/b/c/bin");
    let spec = format!(
        " /out/bin={};/nope={};\t/out={}",
        target.display(),
        dir.path().join("x").display(),
        dir.path().join("y").display()
    );
    let mut buf = vec![0u8; 1000];
    let r = dump(t.g.fs_mut(), &ctx(), &mut StdFiles, &spec, &mut buf);
    // /out is a directory: dumped whole.
    assert_eq!((r.files, r.dirs, r.failed), (2, 1, 1));
    assert_eq!(std::fs::read(&target).unwrap(), data);
    assert_eq!(std::fs::read(dir.path().join("y/bin")).unwrap(), data);
    assert_eq!(
        std::fs::metadata(&target).unwrap().permissions().mode() & 0o111,
        0o111
    );
    assert!(!dir.path().join("x").exists());
    // Dumping closes what it opened.
    assert_eq!(t.g.usage().fs.open_files.used, 0);
}

#[test]
fn mount_mode_paths_are_the_programs_view() {
    assert_eq!(imfs_path(None, "/data/x"), Some("/data/x"));
    assert_eq!(imfs_path(Some("/data"), "/data/x"), Some("/x"));
    assert_eq!(imfs_path(Some("/data/"), "/data"), Some("/"));
    assert_eq!(imfs_path(Some("/data"), "/database/x"), None);
    assert_eq!(imfs_path(Some("/data"), "x"), None);
    let dir = tempfile::tempdir().unwrap();
    let src = dir.path().join("in");
    std::fs::write(&src, b"payload").unwrap();
    let mut t = T::new();
    let mut buf = vec![0u8; 64];
    let spec = format!("/data/in={s}:/elsewhere={s}", s = src.display());
    let r = preload_mounted(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &spec,
        Some("/data"),
        &mut buf,
    )
    .unwrap();
    assert_eq!((r.files, r.skipped), (1, 1));
    assert_eq!(t.cat("/in").unwrap(), b"payload");
    let out = dir.path().join("out");
    let spec = format!(
        "/data/in={};/in={}",
        out.display(),
        dir.path().join("no").display()
    );
    let r = dump_mounted(
        t.g.fs_mut(),
        &ctx(),
        &mut StdFiles,
        &spec,
        Some("/data"),
        &mut buf,
    );
    assert_eq!((r.files, r.failed), (1, 1));
    assert_eq!(std::fs::read(&out).unwrap(), b"payload");
}
