//! A syscall allocates nothing in proportion to its request: counted with a
//! global allocator wrapper in this test binary (one test, so no other
//! thread allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;
use common::*;
use imfs_grate::dispatch::nr;

struct Counting;

static BYTES: AtomicUsize = AtomicUsize::new(0);
static CALLS: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        BYTES.fetch_add(layout.size(), Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        BYTES.fetch_add(new, Ordering::Relaxed);
        CALLS.fetch_add(1, Ordering::Relaxed);
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

fn allocations<R>(f: impl FnOnce() -> R) -> (R, usize, usize) {
    let (b0, c0) = (BYTES.load(Ordering::SeqCst), CALLS.load(Ordering::SeqCst));
    let r = f();
    (
        r,
        BYTES.load(Ordering::SeqCst) - b0,
        CALLS.load(Ordering::SeqCst) - c0,
    )
}

#[test]
fn syscalls_do_not_allocate() {
    let mut t = T::new();
    let data = vec![7u8; 200_000];
    let d = t.data(&data);
    let p = t.s("/f");
    let b = t.buf(16);
    let big = t.buf(200_000);
    let iov = {
        let mut raw = Vec::new();
        for _ in 0..1024 {
            raw.extend(big.to_le_bytes());
            raw.extend(100u64.to_le_bytes());
        }
        t.data(&raw)
    };
    let name = t.s("/dir");
    let cwd = t.buf(64);
    t.h.continued.reserve(16);

    let (_, bytes, calls) = allocations(|| {
        let fd = t.sys(nr::OPEN, &[p, (libc::O_CREAT | libc::O_RDWR) as u64, 0o644]) as u64;
        assert_eq!(t.sys(nr::WRITE, &[fd, d, 200_000]), 200_000);
        t.sys(nr::LSEEK, &[fd, 0, 0]);
        assert_eq!(t.sys(nr::PREAD64, &[fd, b, 16, 199_990]), 10);
        // A terabyte count: only the 1000 bytes left are read (the arena
        // behind `b` is mapped, so all of them are delivered).
        t.sys(nr::LSEEK, &[fd, 199_000, 0]);
        assert_eq!(t.sys(nr::READ, &[fd, b, 1 << 40]), 1000);
        assert_eq!(t.sys(nr::PREADV, &[fd, iov, 1024, 0]), 102_400);
        assert_eq!(t.sys(nr::WRITEV, &[fd, iov, 1024]), 102_400);
        assert_eq!(t.sys(nr::MKDIR, &[name, 0o755]), 0);
        assert_eq!(t.sys(nr::CHDIR, &[name]), 0);
        assert_eq!(t.sys(nr::GETCWD, &[cwd, 64]), 5);
        assert_eq!(t.sys(nr::GETDENTS64, &[fd, big, 200_000]), -20);
        assert_eq!(t.sys(nr::FSTAT, &[fd, big]), 0);
        assert_eq!(t.sys(nr::CLOSE, &[fd]), 0);
    });
    assert_eq!((bytes, calls), (0, 0), "the dispatch allocated");
}
