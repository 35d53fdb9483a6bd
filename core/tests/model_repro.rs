mod support;
use imfs_core::{Ctx, Fs};
use support::core_fs::boxed_fs;
use support::*;

#[test]
fn repro() {
    let mut fs: Box<Fs<256, 512, 256, 4096, 64>> = boxed_fs();
    let c = Ctx::default();
    println!("{:?}", fs.symlink(&c, b"a/", None, b"./a"));
    println!("{:?}", fs.open(&c, None, b"a/", O_CREAT, 0o644));
    println!("{:?}", fs.open(&c, None, b"b/", O_CREAT, 0o644));
    println!("{:?}", fs.symlink(&c, b"x", None, b"c"));
    println!("{:?}", fs.open(&c, None, b"c/", O_CREAT, 0o644));
}
