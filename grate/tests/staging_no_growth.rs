//! Staging a tree holds no memory in proportion to the tree: the peak of
//! live heap bytes during a preload (and a dump) is the same for a tree of
//! 20 files as for one of 2,000 files or 200 levels. Counted with a global
//! allocator wrapper in this test binary (one test, so no other thread
//! allocates meanwhile).

use std::alloc::{GlobalAlloc, Layout, System};
use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};

mod common;
use common::*;
use imfs_core::Ctx;
use imfs_grate::staging::{dump, preload, StdFiles};

struct Counting;

static LIVE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

// SAFETY: forwards to the system allocator, only counting.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        let now = LIVE.fetch_add(layout.size(), Ordering::SeqCst) + layout.size();
        PEAK.fetch_max(now, Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.alloc(layout) }
    }
    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        LIVE.fetch_sub(layout.size(), Ordering::SeqCst);
        // SAFETY: same contract as ours.
        unsafe { System.dealloc(ptr, layout) }
    }
    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new: usize) -> *mut u8 {
        if new >= layout.size() {
            let now = LIVE.fetch_add(new - layout.size(), Ordering::SeqCst) + new - layout.size();
            PEAK.fetch_max(now, Ordering::SeqCst);
        } else {
            LIVE.fetch_sub(layout.size() - new, Ordering::SeqCst);
        }
        // SAFETY: same contract as ours.
        unsafe { System.realloc(ptr, layout, new) }
    }
}

#[global_allocator]
static GLOBAL: Counting = Counting;

/// Live heap bytes above the level at the start, at their highest during `f`.
fn peak_during<R>(f: impl FnOnce() -> R) -> (R, usize) {
    let base = LIVE.load(Ordering::SeqCst);
    PEAK.store(base, Ordering::SeqCst);
    let r = f();
    (r, PEAK.load(Ordering::SeqCst) - base)
}

/// `files` files spread over directories of 100, or one chain `depth` deep.
fn make_tree(root: &Path, files: usize, depth: usize) {
    let mut dir = root.to_path_buf();
    for _ in 0..depth {
        dir = dir.join("level");
    }
    std::fs::create_dir_all(&dir).unwrap();
    for i in 0..files {
        let d = root.join(format!("d{}", i / 100));
        std::fs::create_dir_all(&d).unwrap();
        std::fs::write(d.join(format!("file-{i}")), format!("contents of {i}")).unwrap();
    }
}

/// (peak of a preload, peak of a dump) of the tree at `src`.
fn peaks(src: &Path, out: &Path) -> (usize, usize) {
    let mut t = T::new();
    let mut buf = vec![0u8; 4096];
    let ctx = Ctx::default();
    let spec = format!("/t={}", src.display());
    let (r, pre) = peak_during(|| preload(t.g.fs_mut(), &ctx, &mut StdFiles, &spec, &mut buf));
    assert_eq!(r.unwrap().skipped, 0);
    let spec = format!("/t={}", out.display());
    let (r, post) = peak_during(|| dump(t.g.fs_mut(), &ctx, &mut StdFiles, &spec, &mut buf));
    assert_eq!(r.failed, 0);
    (pre, post)
}

#[test]
fn staging_memory_does_not_grow_with_the_tree() {
    let tmp = tempfile::tempdir().unwrap();
    let cases = [("small", 20, 1), ("wide", 2000, 1), ("deep", 20, 200)];
    let mut seen = Vec::new();
    for (name, files, depth) in cases {
        let src = tmp.path().join(name);
        make_tree(&src, files, depth);
        seen.push(peaks(&src, &tmp.path().join(format!("{name}-out"))));
    }
    let (small, wide, deep) = (seen[0], seen[1], seen[2]);
    eprintln!("peaks (preload, dump): small {small:?}, wide {wide:?}, deep {deep:?}");
    // The fixed costs: path buffers and levels sized by path_max, one
    // directory buffer; allocated per staging run, not per entry.
    // 32 bytes a level, path_max / 2 levels; two paths; 8 KiB of dirents.
    let path_max = imfs_core::config::PATH_MAX;
    let bound = 32 * (path_max / 2 + 1) + 3 * path_max + 8192 + 8192;
    for (name, (pre, post)) in [("small", small), ("wide", wide), ("deep", deep)] {
        assert!(
            pre <= bound && post <= bound,
            "{name}: {pre} / {post} > {bound}"
        );
    }
    // And the same for 100 times the entries. Deep paths may add one
    // transient copy of a path (std copies paths over 384 bytes to add the
    // NUL): bounded by path_max, not by the number of entries.
    assert!(wide.0 <= small.0 + 64, "preload: {wide:?} vs {small:?}");
    assert!(wide.1 <= small.1 + 64, "dump: {wide:?} vs {small:?}");
    assert!(
        deep.0 <= small.0 + path_max,
        "preload: {deep:?} vs {small:?}"
    );
    assert!(deep.1 <= small.1 + path_max, "dump: {deep:?} vs {small:?}");
}
