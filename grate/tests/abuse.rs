//! Abuse programs under the native grate while the test watches the grate's
//! memory. tests/native-progs/abuse.c has one mode per kind of abuse (huge
//! counts, paths, bad pointers, pool exhaustion cycles, fork bombs, threads,
//! exec loops); each checks every result itself, as Linux gives it on tmpfs,
//! and the filesystem's statfs free counts after cleaning up.
//!
//! The grate is this test's direct child: its /proc/PID/status is sampled
//! every few ms for VmRSS and VmHWM (the peak, which the kernel keeps), and
//! at checkpoints the program announces on stdout ("mark NAME", answered on
//! stdin; the last, "end", comes after all the work). Asserted for every
//! mode:
//! - the grate's exit status is the program's (0: every check held);
//! - its peak stays below `footprint_bytes` (from --show-config) plus
//!   [`OVERHEAD`];
//! - modes that store next to nothing peak within [`NO_DATA_SLACK`] of a run
//!   of a trivial program: no request makes the grate allocate in proportion
//!   to it;
//! - fill/free cycles do not creep: the peak after cycle 20 is the one after
//!   cycle 2.
//!
//! `modes_hold_natively_on_tmpfs` runs the same modes straight on Linux in a
//! /dev/shm directory: the expectations in abuse.c are the kernel's.
#![cfg(target_os = "linux")]

mod common;

use common::native::{config, default_grate, native_prog, scratch_dir, small_grate, wait_guarded};
use std::fs::File;
use std::io::{BufRead, BufReader, Write};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

const KIB: u64 = 1024;
const MIB: u64 = 1024 * KIB;

/// What the grate may hold besides the filesystem: its code and libraries
/// (a debug build's text alone is a few MiB), std and libseccomp heaps, the
/// 64 KiB bounce buffer, the path buffer, fd tables of 8 KiB per cage (64
/// cages: 512 KiB), the process maps of the supervisor and stacks. Measured:
/// a trivial program's run peaks at about 4.3 MiB (debug build); 16 MiB
/// leaves room for a different libc or allocator without hiding growth in
/// proportion to a request (the abuse asks for up to 2^62 bytes).
const OVERHEAD: u64 = 16 * MIB;

/// How far a mode that stores next to nothing may peak above the trivial
/// program's run: pages of the zeroed pools it touches (a few thousand
/// nodes and entries at most: under 2 MiB), the fork bomb's cage bookkeeping
/// and allocator slack.
const NO_DATA_SLACK: u64 = 4 * MIB;

/// Growth allowed between fill/free cycle 2 and cycle 20 (allocator noise).
const CREEP_SLACK: u64 = 256 * KIB;

/// A run that takes this long is hung: its process group is killed.
const HANG_GUARD: Duration = Duration::from_secs(120);

/// tests/native-progs/abuse.c compiled static, once per test run.
fn program() -> &'static Path {
    static BIN: OnceLock<PathBuf> = OnceLock::new();
    BIN.get_or_init(|| native_prog("abuse", &["-pthread"]))
}

/// Resident memory of a process, in bytes.
#[derive(Clone, Copy, Debug, Default)]
struct Mem {
    rss: u64,
    /// The peak resident size so far (VmHWM).
    hwm: u64,
}

/// VmRSS and VmHWM of `pid`; None once it is gone (or a zombie).
fn sample(pid: u32) -> Option<Mem> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let field = |name: &str| -> Option<u64> {
        let kib: u64 = status
            .lines()
            .find_map(|l| l.strip_prefix(name))?
            .trim()
            .strip_suffix("kB")?
            .trim()
            .parse()
            .ok()?;
        Some(kib * KIB)
    };
    Some(Mem {
        rss: field("VmRSS:")?,
        hwm: field("VmHWM:")?,
    })
}

/// One watched run of the grate.
struct Run {
    mode: String,
    /// The grate's exit code (None: killed, or hung and killed).
    code: Option<i32>,
    stderr: String,
    /// The largest VmRSS and VmHWM seen.
    peak: Mem,
    /// The grate's memory at each "mark NAME" of the program.
    marks: Vec<(String, Mem)>,
    samples: usize,
}

impl Run {
    fn assert_passed(&self) {
        assert_eq!(
            self.code,
            Some(0),
            "mode {}: the program's checks failed, or the grate died:\n{}",
            self.mode,
            self.stderr
        );
        assert!(self.samples > 0, "mode {}: never sampled", self.mode);
        assert!(
            self.mark("end").hwm > 0,
            "mode {}: the grate was gone at the program's last mark",
            self.mode
        );
    }

    fn mark(&self, name: &str) -> Mem {
        self.marks
            .iter()
            .find(|(n, _)| n == name)
            .unwrap_or_else(|| panic!("mode {}: no mark {name}", self.mode))
            .1
    }
}

/// Runs `grate abuse MODE`, sampling the grate's memory every 2 ms.
fn run_watched(grate: &Path, mode: &str) -> Run {
    let err_path = scratch_dir("abuse").join(format!(
        "{mode}.{}.{}.stderr",
        grate
            .parent()
            .unwrap()
            .parent()
            .unwrap()
            .file_name()
            .unwrap()
            .to_string_lossy(),
        std::process::id()
    ));
    let mut child = Command::new(grate)
        .arg(program())
        .arg(mode)
        .env("ABUSE_MARKS", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(File::create(&err_path).unwrap())
        // Its own process group, so a hang can be ended with every cage in it.
        .process_group(0)
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}", grate.display()));
    let pid = child.id();
    let marks = Arc::new(Mutex::new(Vec::new()));
    // Answers the program's marks after sampling the grate at that point.
    let answerer = {
        let marks = marks.clone();
        let stdout = child.stdout.take().unwrap();
        let mut stdin = child.stdin.take().unwrap();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines() {
                let Ok(line) = line else { break };
                if let Some(name) = line.strip_prefix("mark ") {
                    let mem = sample(pid).unwrap_or_default();
                    marks.lock().unwrap().push((name.to_string(), mem));
                    if stdin.write_all(b"\n").is_err() {
                        break;
                    }
                }
            }
        })
    };
    let start = Instant::now();
    let mut peak = Mem::default();
    let mut samples = 0;
    let code = wait_guarded(&mut child, HANG_GUARD, Duration::from_millis(2), || {
        if let Some(mem) = sample(pid) {
            peak.rss = peak.rss.max(mem.rss);
            peak.hwm = peak.hwm.max(mem.hwm);
            samples += 1;
        }
    });
    answerer.join().unwrap();
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    let marks = std::mem::take(&mut *marks.lock().unwrap());
    // The program's last mark is sampled with all its work done: no peak
    // between the last poll and the exit goes unseen.
    for (_, mem) in &marks {
        peak.rss = peak.rss.max(mem.rss);
        peak.hwm = peak.hwm.max(mem.hwm);
    }
    let run = Run {
        mode: mode.to_string(),
        code,
        stderr,
        peak,
        marks,
        samples,
    };
    println!(
        "{mode} under {}: peak VmHWM {:.2} MiB, VmRSS {:.2} MiB, {} samples in {:.2?}; marks {:?}",
        grate.display(),
        run.peak.hwm as f64 / MIB as f64,
        run.peak.rss as f64 / MIB as f64,
        run.samples,
        start.elapsed(),
        run.marks
    );
    run
}

/// The trivial program's peak under `grate`, measured once per grate.
fn baseline(grate: &Path) -> u64 {
    static DEFAULT: OnceLock<u64> = OnceLock::new();
    static SMALL: OnceLock<u64> = OnceLock::new();
    let cell = if grate == default_grate() {
        &DEFAULT
    } else {
        &SMALL
    };
    *cell.get_or_init(|| {
        let run = run_watched(grate, "baseline");
        run.assert_passed();
        assert!(
            run.peak.hwm < OVERHEAD,
            "a trivial program's run peaks at {} bytes, over the {OVERHEAD} allowed overhead",
            run.peak.hwm
        );
        run.peak.hwm
    })
}

/// Every run stays within the configured footprint plus the fixed overhead.
fn assert_within_footprint(grate: &Path, run: &Run) {
    let footprint = config(grate, "footprint_bytes");
    assert!(
        run.peak.hwm <= footprint + OVERHEAD,
        "mode {}: the grate peaked at {} bytes, over footprint {footprint} + overhead {OVERHEAD}",
        run.mode,
        run.peak.hwm
    );
}

/// A mode that stores next to nothing: the grate stays near the baseline.
fn assert_no_growth(grate: &Path, mode: &str) -> Run {
    let base = baseline(grate);
    let run = run_watched(grate, mode);
    run.assert_passed();
    assert_within_footprint(grate, &run);
    assert!(
        run.peak.hwm <= base + NO_DATA_SLACK,
        "mode {mode}: the grate peaked at {} bytes, {} over the trivial run's {base}",
        run.peak.hwm,
        run.peak.hwm.saturating_sub(base)
    );
    run
}

#[test]
fn huge_counts_are_streamed_not_allocated() {
    assert_no_growth(default_grate(), "counts");
}

#[test]
fn overlong_paths_names_nesting_and_symlink_loops() {
    assert_no_growth(default_grate(), "paths");
}

#[test]
fn bad_pointers_are_efault() {
    assert_no_growth(default_grate(), "badptrs");
}

#[test]
fn fork_bombs_stop_at_the_cage_limit() {
    assert_no_growth(default_grate(), "procs");
}

#[test]
fn threads_churning_files() {
    assert_no_growth(default_grate(), "threads");
}

#[test]
fn exec_loops() {
    assert_no_growth(default_grate(), "exec");
}

/// Huge counts where Linux 6.x's exact rules show (abuse.c mode edges): a
/// single iovec clamped to MAX_RW_COUNT, getdents64 counts as an int and
/// partial records before a fault, getcwd past PATH_MAX.
#[test]
fn huge_count_edges_match_linux() {
    assert_no_growth(default_grate(), "edges");
}

/// Filling every pool and freeing it again, 20 times: the grate peaks
/// within the footprint, and cycle 20 peaks where cycle 2 did.
#[test]
fn fill_free_cycles_stay_within_the_footprint() {
    let grate = default_grate();
    let run = run_watched(grate, "pools");
    run.assert_passed();
    assert_within_footprint(grate, &run);
    let (early, late) = (run.mark("cycle2"), run.mark("cycle20"));
    assert!(
        late.hwm <= early.hwm + CREEP_SLACK && late.rss <= early.rss + CREEP_SLACK,
        "memory crept between fill/free cycles 2 and 20: {early:?} then {late:?}"
    );
}

/// The same with test/imfs.small.toml, whose pools are a few hundred KiB:
/// the bound follows the config, and filling it costs no more than it.
#[test]
fn fill_free_cycles_with_the_small_config() {
    let grate = small_grate();
    let base = baseline(grate);
    let footprint = config(grate, "footprint_bytes");
    let run = run_watched(grate, "pools");
    run.assert_passed();
    assert_within_footprint(grate, &run);
    assert!(
        run.peak.hwm <= base + footprint + NO_DATA_SLACK,
        "small config: the grate peaked at {} bytes, over the trivial run's {base} \
         + footprint {footprint} + {NO_DATA_SLACK}",
        run.peak.hwm
    );
    let (early, late) = (run.mark("cycle2"), run.mark("cycle20"));
    assert!(
        late.hwm <= early.hwm + CREEP_SLACK && late.rss <= early.rss + CREEP_SLACK,
        "memory crept between fill/free cycles 2 and 20: {early:?} then {late:?}"
    );
}

/// The abuse modes of the default config under the small one: every limit
/// is hit sooner (names of 64 bytes, paths of 256, 8 symlinks, 8 cages).
#[test]
fn abuse_modes_with_the_small_config() {
    let grate = small_grate();
    for mode in ["paths", "badptrs", "procs", "threads", "exec"] {
        assert_no_growth(grate, mode);
    }
}

/// A failing check reaches the test as the program's exit status: the
/// watcher sees failures, not just survival.
#[test]
fn failures_reach_the_watcher() {
    let run = run_watched(default_grate(), "no-such-mode");
    assert_eq!(run.code, Some(2), "{}", run.stderr);
    assert!(run.stderr.contains("unknown mode"), "{}", run.stderr);
}

/// The expectations are Linux's: the modes that do not need the grate's
/// limits pass when run straight on a tmpfs directory.
#[test]
fn modes_hold_natively_on_tmpfs() {
    let dir = tempfile::Builder::new()
        .prefix("imfs-abuse")
        .tempdir_in("/dev/shm")
        .expect("a tmpfs at /dev/shm");
    for mode in [
        "counts", "edges", "paths", "badptrs", "procs", "threads", "exec",
    ] {
        let out = Command::new(program())
            .arg(mode)
            .env("ABUSE_DIR", dir.path())
            .env_remove("IMFS_LIMITS")
            .env_remove("ABUSE_MARKS")
            .output()
            .unwrap();
        assert_eq!(
            out.status.code(),
            Some(0),
            "mode {mode} natively:\n{}",
            String::from_utf8_lossy(&out.stderr)
        );
        assert!(
            std::fs::read_dir(dir.path()).unwrap().next().is_none(),
            "mode {mode} left files behind"
        );
    }
}
