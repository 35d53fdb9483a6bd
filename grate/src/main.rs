//! `imfs-grate`: stage PRELOADS, run the program under the grate (native
//! Linux host), write DUMPS, print `--stats`, exit with the program's status
//! (1 instead of 0 when a dump failed).

use std::process::ExitCode;
use std::time::Instant;

use clap::Parser;
use imfs_grate::cli::{show_config, Cli};
use imfs_grate::host::Creds;
use imfs_grate::staging::{self, StdFiles};
use imfs_grate::{Grate, GrateOptions, GrateUsage};

/// Bytes moved per step while staging.
const STAGE_BUF: usize = 64 * 1024;

fn main() -> ExitCode {
    let cli = Cli::parse();
    if cli.show_config {
        print!("{}", show_config());
        return ExitCode::SUCCESS;
    }
    match run(&cli) {
        Ok(status) => ExitCode::from(status.clamp(0, 255) as u8),
        Err(e) => {
            eprintln!("imfs-grate: {e}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: &Cli) -> Result<i32, Box<dyn std::error::Error>> {
    let mut grate = Grate::new(GrateOptions { log: cli.log });
    // Mount mode: staging paths are the program's view, under the prefix.
    let mount = cli.mount.as_ref().map(|p| p.to_string_lossy().into_owned());
    let ctx = staging_ctx();
    let mut buf = vec![0u8; STAGE_BUF];
    // Upstream grates give programs a /tmp (root's, 1777, as on Linux,
    // whoever runs the grate); a failure here is a full fs.
    let _ = grate
        .fs_mut()
        .mkdir(&staging::as_root(&ctx), None, b"/tmp", 0o1777);
    let mut stats = Vec::new();
    if let Ok(spec) = std::env::var("PRELOADS") {
        let (before, started) = (grate.fs().usage(), Instant::now());
        let report = match staging::preload_mounted(
            grate.fs_mut(),
            &ctx,
            &mut StdFiles,
            &spec,
            mount.as_deref(),
            &mut buf,
        ) {
            Ok(report) => report,
            // A half-staged tree gives wrong results silently: the program
            // starts only if the user asked for that.
            Err(e) if cli.preload_partial => {
                eprintln!(
                    "imfs-grate: {e}\nimfs-grate: --preload-partial: starting the program anyway"
                );
                e.staged
            }
            Err(e) => {
                return Err(format!(
                "{e}\nimfs-grate: the program was not started (--preload-partial starts it anyway)"
            )
                .into())
            }
        };
        if cli.log {
            eprintln!("imfs: preloaded {report}");
        }
        let after = grate.fs().usage();
        stats.push(staging::stats_lines(
            "preload",
            &report,
            &before,
            &after,
            started.elapsed(),
        ));
    }
    let (program, args) = cli.command.split_first().ok_or("no PROGRAM given")?;
    let env = [("IMFS_LIMITS".to_string(), Grate::limits_env())];
    let mut status = run_program(&mut grate, cli, program, args, &env)?;
    if let Ok(spec) = std::env::var("DUMPS") {
        let ctx = staging_ctx();
        let (before, started) = (grate.fs().usage(), Instant::now());
        let report = staging::dump_mounted(
            grate.fs_mut(),
            &ctx,
            &mut StdFiles,
            &spec,
            mount.as_deref(),
            &mut buf,
        );
        if cli.log {
            eprintln!("imfs: dumped {report}");
        }
        if report.failed > 0 {
            eprintln!(
                "imfs-grate: DUMPS: {} paths failed (listed above)",
                report.failed
            );
            // The program's own failure status stays; success becomes 1.
            if status == 0 {
                status = 1;
            }
        }
        let after = grate.fs().usage();
        stats.push(staging::stats_lines(
            "dump",
            &report,
            &before,
            &after,
            started.elapsed(),
        ));
    }
    if cli.stats {
        print_stats(&grate.usage());
        for lines in &stats {
            for line in lines.lines() {
                eprintln!("imfs: {line}");
            }
        }
    }
    Ok(status)
}

#[cfg(target_os = "linux")]
fn run_program(
    grate: &mut Grate,
    cli: &Cli,
    program: &std::ffi::OsStr,
    args: &[std::ffi::OsString],
    env: &[(String, String)],
) -> std::io::Result<i32> {
    imfs_grate::host::native::run(grate, cli.mount.as_deref(), program, args, env)
}

#[cfg(not(target_os = "linux"))]
fn run_program(
    _grate: &mut Grate,
    _cli: &Cli,
    _program: &std::ffi::OsStr,
    _args: &[std::ffi::OsString],
    _env: &[(String, String)],
) -> std::io::Result<i32> {
    Err(std::io::Error::new(
        std::io::ErrorKind::Unsupported,
        "the native host needs Linux",
    ))
}

/// The grate's own identity and the wall clock, for staging.
fn staging_ctx() -> imfs_core::Ctx {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    Creds::of_grate().ctx(imfs_core::Now::at(imfs_core::Timespec {
        sec: now.as_secs() as i64,
        nsec: now.subsec_nanos() as i64,
    }))
}

/// `--stats`: use and high-water mark of every pool, to size imfs.toml.
fn print_stats(u: &GrateUsage) {
    let rows = [
        ("nodes", u.fs.nodes),
        ("dirents", u.fs.dirents),
        ("chunks", u.fs.chunks),
        ("open_files", u.fs.open_files),
        ("fds (all cages)", u.fds),
        ("cages", u.cages),
    ];
    eprintln!(
        "imfs: {:<16} {:>10} {:>10} {:>10}",
        "pool", "used", "high", "capacity"
    );
    for (name, p) in rows {
        eprintln!(
            "imfs: {:<16} {:>10} {:>10} {:>10}",
            name, p.used, p.high_water, p.capacity
        );
    }
}
