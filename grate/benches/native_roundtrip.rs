//! Round trip of one served syscall on the native host, against the same
//! call on a tmpfs file without the grate.
//!
//! `cargo bench -p imfs-grate --bench native_roundtrip` (optionally
//! `-- N` for the iteration count). Runs tests/native-progs/bench.c, built
//! static, three ways per operation: plain on /dev/shm, under imfs-grate in
//! root mode, and under imfs-grate pinned with the program to one CPU.
//! With `IMFS_GRATE_BASELINE=/path/to/another/imfs-grate` set, that grate runs
//! each operation too, in the same run (before/after comparisons).
//! Prints a table; nothing is asserted.

use std::path::Path;
use std::process::Command;

const GRATE: &str = env!("CARGO_BIN_EXE_imfs-grate");

fn main() {
    let iterations: u64 = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(100_000);
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/native-progs/bench.c");
    let bin = Path::new(env!("CARGO_TARGET_TMPDIR")).join("native-bench");
    let built = Command::new("cc")
        .args(["-static", "-O2", "-o"])
        .arg(&bin)
        .arg(&src)
        .status()
        .expect("cc (gcc with static glibc) is needed");
    assert!(built.success());
    let bin = bin.to_str().unwrap();
    let n = iterations.to_string();
    let shm = format!("/dev/shm/imfs-bench-{}", std::process::id());

    let baseline = std::env::var("IMFS_GRATE_BASELINE").ok();
    println!("native host round trip, {iterations} calls each (ns per call)");
    print!(
        "{:<34} {:>10} {:>10} {:>14}",
        "operation", "kernel", "grate", "grate, 1 CPU"
    );
    if baseline.is_some() {
        print!(" {:>10} {:>14}", "baseline", "baseline, 1 CPU");
    }
    println!();
    for (op, what) in [
        ("fstat", "fstat, imfs fd vs tmpfs"),
        ("pread", "1-byte pread, imfs vs tmpfs"),
        ("continue", "lseek on a pipe (CONTINUE)"),
        ("signal", "handled signal to itself"),
        ("signal-traced", "the same, traced process"),
        ("fork", "fork + exit + waitpid"),
        ("fork-traced", "the same, traced process"),
    ] {
        let kernel = measure(Command::new(bin).args([op, &n, &shm]));
        let under = |grate: &str| {
            let plain = measure(Command::new(grate).args([bin, op, &n, "/bench"]));
            let pinned =
                measure(Command::new("taskset").args(["-c", "0", grate, bin, op, &n, "/bench"]));
            (plain, pinned)
        };
        let (grate, pinned) = under(GRATE);
        print!("{what:<34} {kernel:>10} {grate:>10} {pinned:>14}");
        if let Some(base) = &baseline {
            let (grate, pinned) = under(base);
            print!(" {grate:>10} {pinned:>14}");
        }
        println!();
    }
}

/// The program's "ns_per_op" figure, or "-" when it could not run.
fn measure(cmd: &mut Command) -> String {
    match cmd.output() {
        Ok(out) if out.status.success() => String::from_utf8_lossy(&out.stdout)
            .lines()
            .find_map(|l| l.strip_prefix("ns_per_op ").map(str::to_owned))
            .unwrap_or_else(|| "-".into()),
        _ => "-".into(),
    }
}
