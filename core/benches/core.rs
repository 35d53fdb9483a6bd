//! imfs-core against the same workloads on a host tmpfs directory (/dev/shm,
//! through libc and std::fs), and sequential I/O against plain memcpy:
//!
//! (a) create, stat and unlink 10k files in one directory; stat in a
//!     100-entry directory against a 10k-entry one (target: within 2x);
//! (b) random 4 KiB pread/pwrite in a 64 MiB file against a 4 MiB one
//!     (target: within 2x);
//! (c) sequential 1 MiB writes and reads (target: at least 50% of memcpy).
//!
//! Every workload also runs on tmpfs (target: imfs faster). Criterion prints
//! its estimates; a summary table of the ratios and verdicts follows.
//! `cargo bench -p imfs-core -- --test` runs each benchmark once (CI smoke).

use std::collections::BTreeMap;
use std::ffi::CString;
use std::fs::File;
use std::hint::black_box;
use std::os::unix::fs::FileExt;
use std::path::PathBuf;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use criterion::{Criterion, SamplingMode};
use imfs_core::flags::{O_CREAT, O_RDWR, O_WRONLY};
use imfs_core::{Ctx, Fs, OfdId};

/// Room for 10k files plus a 100-entry directory.
type NamespaceFs = Fs<10400, 10400, 64, 4096, 64>;
/// Room for a 64 MiB and a 4 MiB file (20480 chunks of 4 KiB = 80 MiB).
type DataFs = Fs<1024, 1024, 20480, 4096, 64>;

const FILES: usize = 10_000;
const KIB: usize = 1024;
const MIB: usize = 1024 * KIB;
const BLOCK: usize = 4 * KIB;
const SEQ: usize = MIB;
const BIG: usize = 64 * MIB;
const SMALL: usize = 4 * MIB;

fn new_fs<T>() -> Box<T> {
    // SAFETY: imfs-core guarantees all-zero bytes are an empty filesystem,
    // and these are far too big for the stack.
    unsafe { Box::<T>::new_zeroed().assume_init() }
}

fn ctx() -> Ctx {
    Ctx::default()
}

/// Time and iterations measured per benchmark, for the summary.
static TALLY: Mutex<BTreeMap<&'static str, (u64, Duration)>> = Mutex::new(BTreeMap::new());

fn tally(name: &'static str, iters: u64, took: Duration) -> Duration {
    let mut t = TALLY.lock().unwrap();
    let e = t.entry(name).or_default();
    e.0 += iters;
    e.1 += took;
    took
}

/// Seconds per iteration of a benchmark, if it ran.
fn per_iter(name: &str) -> Option<f64> {
    let t = TALLY.lock().unwrap();
    t.get(name)
        .filter(|e| e.0 > 0)
        .map(|e| e.1.as_secs_f64() / e.0 as f64)
}

/// Deterministic pseudo-random block offsets (xorshift64).
struct Offsets(u64);

impl Offsets {
    fn next(&mut self, file_len: usize) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % (file_len / BLOCK) as u64) * BLOCK as u64
    }
}

/// A fresh scratch directory under /dev/shm, removed on drop.
struct Scratch {
    dir: PathBuf,
    fd: i32,
}

impl Scratch {
    fn new() -> Scratch {
        let mut template = *b"/dev/shm/imfs-bench-XXXXXX\0";
        let p = unsafe { libc::mkdtemp(template.as_mut_ptr().cast()) };
        assert!(!p.is_null(), "mkdtemp in /dev/shm failed");
        let dir = PathBuf::from(std::str::from_utf8(&template[..template.len() - 1]).unwrap());
        let fd = unsafe { libc::open(p, libc::O_PATH | libc::O_DIRECTORY | libc::O_CLOEXEC) };
        assert!(fd >= 0);
        Scratch { dir, fd }
    }

    fn file(&self, name: &str, len: usize) -> File {
        let f = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(self.dir.join(name))
            .unwrap();
        let chunk = vec![0xa5u8; MIB];
        for off in (0..len).step_by(MIB) {
            f.write_all_at(&chunk[..MIB.min(len - off)], off as u64)
                .unwrap();
        }
        f
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        unsafe { libc::close(self.fd) };
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

fn names(prefix: &str, n: usize) -> Vec<Vec<u8>> {
    (0..n)
        .map(|i| format!("{prefix}{i:05}").into_bytes())
        .collect()
}

fn cnames(names: &[Vec<u8>]) -> Vec<CString> {
    names
        .iter()
        .map(|n| CString::new(n.clone()).unwrap())
        .collect()
}

// ---- (a) namespace ----

fn imfs_create_stat_unlink(fs: &mut NamespaceFs, names: &[Vec<u8>]) {
    let c = ctx();
    for n in names {
        let ofd = fs.open(&c, None, n, O_CREAT | O_WRONLY, 0o644).unwrap();
        fs.close(ofd).unwrap();
    }
    for n in names {
        black_box(fs.stat(&c, None, n, true).unwrap());
    }
    for n in names {
        fs.unlink(&c, None, n).unwrap();
    }
}

fn tmpfs_create_stat_unlink(dirfd: i32, names: &[CString]) {
    unsafe {
        for n in names {
            let fd = libc::openat(
                dirfd,
                n.as_ptr(),
                libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                0o644,
            );
            assert!(fd >= 0);
            libc::close(fd);
        }
        let mut st: libc::stat = std::mem::zeroed();
        for n in names {
            assert_eq!(libc::fstatat(dirfd, n.as_ptr(), &mut st, 0), 0);
            black_box(&st);
        }
        for n in names {
            assert_eq!(libc::unlinkat(dirfd, n.as_ptr(), 0), 0);
        }
    }
}

fn bench_namespace(c: &mut Criterion) {
    let mut g = c.benchmark_group("namespace");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(2));
    g.sampling_mode(SamplingMode::Flat);
    let files = names("f", FILES);
    let cfiles = cnames(&files);

    let mut fs = new_fs::<NamespaceFs>();
    g.bench_function("create+stat+unlink 10k files/imfs", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                imfs_create_stat_unlink(&mut fs, &files);
            }
            tally("cs10k/imfs", iters, t.elapsed())
        })
    });
    let scratch = Scratch::new();
    g.bench_function("create+stat+unlink 10k files/tmpfs", |b| {
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                tmpfs_create_stat_unlink(scratch.fd, &cfiles);
            }
            tally("cs10k/tmpfs", iters, t.elapsed())
        })
    });
    g.finish();

    // Lookups in a small and a large directory.
    let mut g = c.benchmark_group("stat");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let cx = ctx();
    let small = names("/small/s", 100);
    let big = names("/big/b", FILES);
    fs.mkdir(&cx, None, b"/small", 0o755).unwrap();
    fs.mkdir(&cx, None, b"/big", 0o755).unwrap();
    for n in small.iter().chain(&big) {
        let ofd = fs.open(&cx, None, n, O_CREAT | O_WRONLY, 0o644).unwrap();
        fs.close(ofd).unwrap();
    }
    for (label, key, set) in [
        ("100-entry dir/imfs", "stat100/imfs", &small),
        ("10k-entry dir/imfs", "stat10k/imfs", &big),
    ] {
        g.bench_function(label, |b| {
            let mut i = 0usize;
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    i = (i + 7919) % set.len();
                    black_box(fs.stat(&cx, None, &set[i], true).unwrap());
                }
                tally(key, iters, t.elapsed())
            })
        });
    }
    let host = Scratch::new();
    let mut host_sets = Vec::new();
    for (dir, set) in [("small", &small), ("big", &big)] {
        std::fs::create_dir(host.dir.join(dir)).unwrap();
        let rel: Vec<CString> = set.iter().map(|n| CString::new(&n[1..]).unwrap()).collect();
        for n in &rel {
            let fd = unsafe {
                libc::openat(
                    host.fd,
                    n.as_ptr(),
                    libc::O_CREAT | libc::O_WRONLY | libc::O_CLOEXEC,
                    0o644,
                )
            };
            assert!(fd >= 0);
            unsafe { libc::close(fd) };
        }
        host_sets.push(rel);
    }
    for (label, key, set) in [
        ("100-entry dir/tmpfs", "stat100/tmpfs", &host_sets[0]),
        ("10k-entry dir/tmpfs", "stat10k/tmpfs", &host_sets[1]),
    ] {
        g.bench_function(label, |b| {
            let mut i = 0usize;
            let mut st: libc::stat = unsafe { std::mem::zeroed() };
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    i = (i + 7919) % set.len();
                    assert_eq!(
                        unsafe { libc::fstatat(host.fd, set[i].as_ptr(), &mut st, 0) },
                        0
                    );
                    black_box(&st);
                }
                tally(key, iters, t.elapsed())
            })
        });
    }
    g.finish();
}

// ---- (b) random 4 KiB access ----

fn imfs_file(fs: &mut DataFs, path: &[u8], len: usize) -> OfdId {
    let c = ctx();
    let ofd = fs.open(&c, None, path, O_CREAT | O_RDWR, 0o644).unwrap();
    let chunk = vec![0xa5u8; MIB];
    for off in (0..len).step_by(MIB) {
        assert_eq!(
            fs.pwrite(&c, ofd, &chunk[..MIB.min(len - off)], off as u64)
                .unwrap(),
            MIB.min(len - off)
        );
    }
    ofd
}

fn bench_random(c: &mut Criterion) {
    let mut g = c.benchmark_group("random 4KiB");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let cx = ctx();
    let mut fs = new_fs::<DataFs>();
    let big = imfs_file(&mut fs, b"/big", BIG);
    let small = imfs_file(&mut fs, b"/small", SMALL);
    let host = Scratch::new();
    let hbig = host.file("big", BIG);
    let hsmall = host.file("small", SMALL);
    let mut buf = vec![0u8; BLOCK];

    type Case<'a> = (
        &'static str,
        &'static str,
        usize,
        Option<OfdId>,
        Option<&'a File>,
    );
    let cases: [Case; 4] = [
        ("4MiB file/imfs", "4MiB/imfs", SMALL, Some(small), None),
        ("64MiB file/imfs", "64MiB/imfs", BIG, Some(big), None),
        ("4MiB file/tmpfs", "4MiB/tmpfs", SMALL, None, Some(&hsmall)),
        ("64MiB file/tmpfs", "64MiB/tmpfs", BIG, None, Some(&hbig)),
    ];
    for write in [false, true] {
        for &(label, key, len, ofd, file) in &cases {
            let op = if write { "pwrite" } else { "pread" };
            let key: &'static str = Box::leak(format!("{op} {key}").into_boxed_str());
            g.bench_function(format!("{op} {label}"), |b| {
                let mut offs = Offsets(0x9e37_79b9_7f4a_7c15);
                b.iter_custom(|iters| {
                    let t = Instant::now();
                    for _ in 0..iters {
                        let off = offs.next(len);
                        let n = match (ofd, file, write) {
                            (Some(o), _, false) => fs.pread(&cx, o, &mut buf, off).unwrap(),
                            (Some(o), _, true) => fs.pwrite(&cx, o, &buf, off).unwrap(),
                            (None, Some(f), false) => f.read_at(&mut buf, off).unwrap(),
                            (None, Some(f), true) => f.write_at(&buf, off).unwrap(),
                            _ => unreachable!(),
                        };
                        assert_eq!(n, BLOCK);
                        black_box(&buf);
                    }
                    tally(key, iters, t.elapsed())
                })
            });
        }
    }
    // The same access pattern as plain memcpy over arenas of the two sizes:
    // how much of the big/small gap the cache hierarchy alone explains.
    for (label, key, len) in [
        ("4MiB arena/memcpy", "memcpy 4MiB", SMALL),
        ("64MiB arena/memcpy", "memcpy 64MiB", BIG),
    ] {
        let arena = vec![0xa5u8; len];
        g.bench_function(format!("read {label}"), |b| {
            let mut offs = Offsets(0x9e37_79b9_7f4a_7c15);
            b.iter_custom(|iters| {
                let t = Instant::now();
                for _ in 0..iters {
                    let off = offs.next(len) as usize;
                    buf.copy_from_slice(black_box(&arena[off..off + BLOCK]));
                    black_box(&buf);
                }
                tally(key, iters, t.elapsed())
            })
        });
    }
    g.finish();
}

// ---- (c) sequential 1 MiB ----

fn bench_sequential(c: &mut Criterion) {
    let mut g = c.benchmark_group("sequential 1MiB");
    g.sample_size(10)
        .warm_up_time(Duration::from_millis(300))
        .measurement_time(Duration::from_secs(1));
    let cx = ctx();
    let data = vec![0x3cu8; SEQ];
    let mut out = vec![0u8; SEQ];

    // Writes append to a file that is truncated (untimed) each time it reaches
    // 64 MiB, so every write allocates its chunks.
    let mut fs = new_fs::<DataFs>();
    let ofd = fs
        .open(&cx, None, b"/seq", O_CREAT | O_RDWR, 0o644)
        .unwrap();
    g.bench_function("write/imfs", |b| {
        let mut off = 0;
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                if off == BIG {
                    fs.ftruncate(&cx, ofd, 0).unwrap();
                    off = 0;
                }
                let t = Instant::now();
                assert_eq!(fs.pwrite(&cx, ofd, &data, off as u64).unwrap(), SEQ);
                took += t.elapsed();
                off += SEQ;
            }
            tally("seq write/imfs", iters, took)
        })
    });
    let host = Scratch::new();
    let hf = host.file("seq", 0);
    g.bench_function("write/tmpfs", |b| {
        let mut off = 0;
        b.iter_custom(|iters| {
            let mut took = Duration::ZERO;
            for _ in 0..iters {
                if off == BIG {
                    hf.set_len(0).unwrap();
                    off = 0;
                }
                let t = Instant::now();
                hf.write_all_at(&data, off as u64).unwrap();
                took += t.elapsed();
                off += SEQ;
            }
            tally("seq write/tmpfs", iters, took)
        })
    });
    // memcpy into a 64 MiB buffer, the same footprint as the file.
    let mut arena = vec![0u8; BIG];
    g.bench_function("write/memcpy", |b| {
        let mut off = 0;
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                off = (off + SEQ) % BIG;
                arena[off..off + SEQ].copy_from_slice(black_box(&data));
                black_box(&arena[off]);
            }
            tally("seq write/memcpy", iters, t.elapsed())
        })
    });

    fs.ftruncate(&cx, ofd, 0).unwrap();
    let big = imfs_file(&mut fs, b"/read", BIG);
    let hbig = host.file("read", BIG);
    arena.fill(0xa5);
    g.bench_function("read/imfs", |b| {
        let mut off = 0;
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                off = (off + SEQ) % BIG;
                assert_eq!(fs.pread(&cx, big, &mut out, off as u64).unwrap(), SEQ);
                black_box(&out);
            }
            tally("seq read/imfs", iters, t.elapsed())
        })
    });
    g.bench_function("read/tmpfs", |b| {
        let mut off = 0;
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                off = (off + SEQ) % BIG;
                hbig.read_exact_at(&mut out, off as u64).unwrap();
                black_box(&out);
            }
            tally("seq read/tmpfs", iters, t.elapsed())
        })
    });
    g.bench_function("read/memcpy", |b| {
        let mut off = 0;
        b.iter_custom(|iters| {
            let t = Instant::now();
            for _ in 0..iters {
                off = (off + SEQ) % BIG;
                out.copy_from_slice(black_box(&arena[off..off + SEQ]));
                black_box(&out);
            }
            tally("seq read/memcpy", iters, t.elapsed())
        })
    });
    g.finish();
}

// ---- summary ----

fn rate(secs_per_iter: f64, units: f64) -> String {
    let r = units / secs_per_iter;
    match r {
        r if r >= 1e9 => format!("{:.2} G", r / 1e9),
        r if r >= 1e6 => format!("{:.2} M", r / 1e6),
        r if r >= 1e3 => format!("{:.1} k", r / 1e3),
        r => format!("{r:.0} "),
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "MISS"
    }
}

fn summary(quick: bool) {
    println!();
    println!("=== imfs-core benchmark summary ===");
    if quick {
        println!("(quick mode: each figure is a single run, not a measurement)");
    }
    let row = |what: &str, detail: String, ok: Option<bool>| match ok {
        Some(ok) => println!("{:<4}  {what:<46} {detail}", verdict(ok)),
        None => println!("----  {what:<46} not run"),
    };

    // Scaling targets: the big case within 2x of the small one.
    for (what, big, small, unit) in [
        (
            "stat: 10k-entry dir vs 100-entry dir",
            "stat10k/imfs",
            "stat100/imfs",
            "stat/s",
        ),
        (
            "random pread: 64 MiB file vs 4 MiB file",
            "pread 64MiB/imfs",
            "pread 4MiB/imfs",
            "op/s",
        ),
        (
            "random pwrite: 64 MiB file vs 4 MiB file",
            "pwrite 64MiB/imfs",
            "pwrite 4MiB/imfs",
            "op/s",
        ),
    ] {
        match (per_iter(big), per_iter(small)) {
            (Some(b), Some(s)) => {
                let ratio = b / s;
                row(
                    what,
                    format!(
                        "{}{unit} vs {}{unit}: {ratio:.2}x slower (target <= 2x)",
                        rate(b, 1.0),
                        rate(s, 1.0)
                    ),
                    Some(ratio <= 2.0),
                )
            }
            _ => row(what, String::new(), None),
        }
    }
    if let [Some(ib), Some(is), Some(mb), Some(ms)] = [
        "pread 64MiB/imfs",
        "pread 4MiB/imfs",
        "memcpy 64MiB",
        "memcpy 4MiB",
    ]
    .map(per_iter)
    {
        println!(
            "info  {:<46} memcpy alone is {:.2}x slower at 64 MiB; imfs's own overhead {:.0} ns vs {:.0} ns",
            "random 4 KiB reads: cache effect",
            mb / ms,
            (ib - mb) * 1e9,
            (is - ms) * 1e9
        );
    }
    // Sequential throughput against memcpy.
    for (what, imfs, memcpy) in [
        (
            "sequential 1 MiB writes vs memcpy",
            "seq write/imfs",
            "seq write/memcpy",
        ),
        (
            "sequential 1 MiB reads vs memcpy",
            "seq read/imfs",
            "seq read/memcpy",
        ),
    ] {
        match (per_iter(imfs), per_iter(memcpy)) {
            (Some(i), Some(m)) => {
                let share = m / i * 100.0;
                row(
                    what,
                    format!(
                        "{}B/s vs {}B/s: {share:.0}% of memcpy (target >= 50%)",
                        rate(i, SEQ as f64),
                        rate(m, SEQ as f64)
                    ),
                    Some(share >= 50.0),
                )
            }
            _ => row(what, String::new(), None),
        }
    }
    // imfs against tmpfs, workload by workload.
    for (what, key, units, unit) in [
        (
            "vs tmpfs: create+stat+unlink 10k files",
            "cs10k",
            3.0 * FILES as f64,
            "op/s",
        ),
        ("vs tmpfs: stat in a 100-entry dir", "stat100", 1.0, "op/s"),
        ("vs tmpfs: stat in a 10k-entry dir", "stat10k", 1.0, "op/s"),
        (
            "vs tmpfs: random 4 KiB pread, 4 MiB file",
            "pread 4MiB",
            1.0,
            "op/s",
        ),
        (
            "vs tmpfs: random 4 KiB pread, 64 MiB file",
            "pread 64MiB",
            1.0,
            "op/s",
        ),
        (
            "vs tmpfs: random 4 KiB pwrite, 4 MiB file",
            "pwrite 4MiB",
            1.0,
            "op/s",
        ),
        (
            "vs tmpfs: random 4 KiB pwrite, 64 MiB file",
            "pwrite 64MiB",
            1.0,
            "op/s",
        ),
        (
            "vs tmpfs: sequential 1 MiB writes",
            "seq write",
            SEQ as f64,
            "B/s",
        ),
        (
            "vs tmpfs: sequential 1 MiB reads",
            "seq read",
            SEQ as f64,
            "B/s",
        ),
    ] {
        match (
            per_iter(&format!("{key}/imfs")),
            per_iter(&format!("{key}/tmpfs")),
        ) {
            (Some(i), Some(t)) => {
                let speedup = t / i;
                row(
                    what,
                    format!(
                        "{}{unit} vs {}{unit}: {speedup:.1}x (target > 1x)",
                        rate(i, units),
                        rate(t, units)
                    ),
                    Some(speedup > 1.0),
                )
            }
            _ => row(what, String::new(), None),
        }
    }
}

fn main() {
    let mut c = Criterion::default().configure_from_args();
    bench_namespace(&mut c);
    bench_random(&mut c);
    bench_sequential(&mut c);
    c.final_summary();
    summary(std::env::args().any(|a| a == "--test"));
}
