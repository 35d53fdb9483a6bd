//! Shared helpers for the fs_* tests: a small filesystem, callers, and
//! macros that run the invariant checker after every operation.
#![allow(dead_code, unused_macros, unused_imports)]

pub use imfs_core::flags::*;
pub use imfs_core::{Ctx, DirEntry, Errno, Fs, Now, OfdId, Stat, Timespec};

/// 16 nodes, 32 entries, 16 chunks of 512 bytes, 8 open files.
pub type T = Fs<16, 32, 16, 512, 8>;

pub fn fs() -> Box<T> {
    Box::new(T::new())
}

/// A filesystem of any size, built in place on the heap: `Fs::new()` is all
/// zero bytes, so zeroed memory is a valid empty filesystem.
pub fn boxed<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
) -> Box<Fs<N, D, C, S, O>> {
    // Box::new_zeroed is newer than the MSRV: allocate zeroed by hand.
    let layout = std::alloc::Layout::new::<Fs<N, D, C, S, O>>();
    unsafe {
        let p = std::alloc::alloc_zeroed(layout) as *mut Fs<N, D, C, S, O>;
        if p.is_null() {
            std::alloc::handle_alloc_error(layout);
        }
        Box::from_raw(p)
    }
}

pub fn ts(sec: i64) -> Timespec {
    Timespec { sec, nsec: 0 }
}

pub fn root() -> Ctx {
    Ctx {
        time: Now::at(ts(100)),
        uid: 0,
        gid: 0,
        ..Ctx::default()
    }
}

pub fn at(sec: i64) -> Ctx {
    Ctx {
        time: Now::at(ts(sec)),
        uid: 0,
        gid: 0,
        ..Ctx::default()
    }
}

pub fn user(uid: u32, gid: u32) -> Ctx {
    Ctx {
        time: Now::at(ts(200)),
        uid,
        gid,
        ..Ctx::default()
    }
}

/// Runs `$e`, checks the filesystem, and unwraps the result.
macro_rules! ok {
    ($fs:expr, $e:expr) => {{
        let r = $e;
        if let Err(c) = $fs.check() {
            panic!("fsck after `{}`: {:?}", stringify!($e), c);
        }
        match r {
            Ok(v) => v,
            Err(e) => panic!("`{}` failed: {:?}", stringify!($e), e),
        }
    }};
}

/// Runs `$e`, checks the filesystem, and expects errno `$errno`.
macro_rules! err {
    ($fs:expr, $e:expr, $errno:ident) => {{
        let r = $e;
        if let Err(c) = $fs.check() {
            panic!("fsck after `{}`: {:?}", stringify!($e), c);
        }
        assert_eq!(r.err(), Some(Errno::$errno), "`{}`", stringify!($e));
    }};
}

/// Creates (or truncates) a file holding `data`.
pub fn put<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    f: &mut Fs<N, D, C, S, O>,
    path: &[u8],
    data: &[u8],
) {
    let c = root();
    let fd = f
        .open(&c, None, path, O_CREAT | O_WRONLY | O_TRUNC, 0o644)
        .expect("open");
    assert_eq!(f.write(&c, fd, data), Ok(data.len()));
    f.close(fd).unwrap();
    f.check().unwrap();
}

/// Reads a whole file.
pub fn get<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    f: &mut Fs<N, D, C, S, O>,
    path: &[u8],
) -> Vec<u8> {
    let c = root();
    let fd = f.open(&c, None, path, O_RDONLY, 0).expect("open");
    let mut out = Vec::new();
    let mut buf = [0u8; 97];
    loop {
        let n = f.read(&c, fd, &mut buf).unwrap();
        if n == 0 {
            break;
        }
        out.extend_from_slice(&buf[..n]);
    }
    f.close(fd).unwrap();
    out
}

/// All names readdir gives for an open directory, from its current cookie.
pub fn names<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    f: &mut Fs<N, D, C, S, O>,
    fd: OfdId,
) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    f.readdir(fd, &mut |e| {
        out.push(e.name.to_vec());
        true
    })
    .unwrap();
    out
}

/// Lists directory `path` (without "." and ".."), sorted.
pub fn ls<const N: usize, const D: usize, const C: usize, const S: usize, const O: usize>(
    f: &mut Fs<N, D, C, S, O>,
    path: &[u8],
) -> Vec<String> {
    let c = root();
    let fd = f
        .open(&c, None, path, O_RDONLY | O_DIRECTORY, 0)
        .expect("open dir");
    let mut v: Vec<String> = names(f, fd)
        .into_iter()
        .filter(|n| n != b"." && n != b"..")
        .map(|n| String::from_utf8(n).unwrap())
        .collect();
    f.close(fd).unwrap();
    v.sort();
    v
}
