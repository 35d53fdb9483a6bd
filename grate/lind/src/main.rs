//! imfs-grate for Lind: serves the filesystem calls of the program it runs
//! from imfs, through grate-rs and fdtables.
//!
//! `lind_run [--env PRELOADS=..] [--env DUMPS=..] imfs-grate.cwasm [--log]
//! [--stats] [--show-config] [--preload-partial] PROGRAM.cwasm [ARGS...]`
//!
//! Like upstream imfs-grate, the grate's flags come before the program and
//! the first other argument starts the program's argv. PRELOADS are staged
//! before the program's cage is forked, DUMPS written back in the teardown.
//!
//! - [`handlers`]: trampolines, the shared grate, clone/execve/exit.
//! - [`host`]: the dispatch's Host on Lind (cage memory, clock, creds).
//! - [`fds`]: the FdTable over fdtables.
//! - [`host_fs`]: lindfs access for staging, through 3i.

mod fds;
mod handlers;
mod host;
mod host_fs;

use std::io::Write;
use std::time::Duration;

use grate_rs::{GrateBuilder, GrateError};
use imfs_core::{Ctx, Now};
use imfs_grate::cli::show_config;
use imfs_grate::host::{CageId, Host};
use imfs_grate::staging::{self, StageError};
use imfs_grate::{Grate, GrateOptions};

use handlers::{install, with_state, State, HANDLERS};
use host::LindHost;
use host_fs::LindHostFiles;

/// What the grate's own arguments asked for.
#[derive(Debug, Default, PartialEq, Eq)]
struct Cli {
    log: bool,
    stats: bool,
    show_config: bool,
    /// Start the program even if PRELOADS did not all fit.
    preload_partial: bool,
    /// The program's argv; argv[0] is the program to run.
    program: Vec<String>,
}

/// Leading flags are the grate's; the first other argument (or whatever
/// follows `--`) starts the program's argv, as in upstream imfs-grate.
fn parse(args: impl IntoIterator<Item = String>) -> Result<Cli, String> {
    let mut cli = Cli::default();
    let mut args = args.into_iter();
    for arg in args.by_ref() {
        match arg.as_str() {
            "--log" => cli.log = true,
            "--stats" => cli.stats = true,
            "--show-config" => cli.show_config = true,
            "--preload-partial" => cli.preload_partial = true,
            "--" => break,
            flag if flag.starts_with("--") => return Err(format!("unknown option {flag}")),
            _ => {
                cli.program.push(arg);
                break;
            }
        }
    }
    cli.program.extend(args);
    Ok(cli)
}

const USAGE: &str =
    "usage: imfs-grate [--log] [--stats] [--show-config] [--preload-partial] PROGRAM [ARGS...]";

/// Bytes moved per step while staging (PRELOADS, DUMPS).
const STAGE_BUF: usize = 64 * 1024;

fn main() {
    let cli = match parse(std::env::args().skip(1)) {
        Ok(cli) => cli,
        Err(e) => {
            eprintln!("imfs-grate: {e}\n{USAGE}");
            std::process::exit(2);
        }
    };
    if cli.show_config {
        print!("{}", show_config());
        return;
    }
    if cli.program.is_empty() {
        eprintln!("{USAGE}");
        std::process::exit(2);
    }
    let (log, stats) = (cli.log, cli.stats);
    #[allow(clippy::needless_update)] // GrateOptions may grow fields with defaults
    let options = GrateOptions {
        log,
        ..GrateOptions::default()
    };
    let mut state = State {
        grate: Grate::new(options),
        host: LindHost::new(log),
        log,
    };
    // Like upstream, staged before GrateBuilder forks the program's cage, so
    // a preload that does not fit stops the grate before anything runs
    // (a half-staged tree would give wrong results silently), unless the
    // user asked to go on.
    let preload_stats = match stage_preloads(&mut state, log) {
        Ok(lines) => lines,
        Err(e) if cli.preload_partial => {
            eprintln!(
                "imfs-grate: {e}\nimfs-grate: --preload-partial: starting the program anyway"
            );
            None
        }
        Err(e) => {
            eprintln!(
                "imfs-grate: {e}\nimfs-grate: the program was not started (--preload-partial starts it anyway)"
            );
            std::process::exit(1);
        }
    };
    install(state);
    // The program inherits the grate's environment through fork and execv.
    std::env::set_var("IMFS_LIMITS", Grate::limits_env());
    let dumps = std::env::var("DUMPS").ok();

    let mut builder = GrateBuilder::new();
    for &(nr, handler) in HANDLERS {
        builder = builder.register(nr, handler);
    }
    builder
        .preexec(start)
        .teardown(move |result: Result<i32, GrateError>| {
            finish(
                result,
                dumps.as_deref(),
                log,
                stats,
                preload_stats.as_deref(),
            )
        })
        .run(cli.program);
}

/// Who stages, and when: the grate itself, now.
fn staging_ctx(host: &mut LindHost) -> Ctx {
    host.creds(host.this_cage()).ctx(Now::from(host.clock()))
}

/// Gives the program a /tmp, as upstream does, then stages PRELOADS: the
/// `--stats` lines of what staging used, if there were any.
fn stage_preloads(state: &mut State, log: bool) -> Result<Option<String>, StageError> {
    let ctx = staging_ctx(&mut state.host);
    // Failing here means a full filesystem, which the preloads will report.
    let _ = state
        .grate
        .fs_mut()
        .mkdir(&staging::as_root(&ctx), None, b"/tmp", 0o1777);
    let Ok(spec) = std::env::var("PRELOADS") else {
        return Ok(None);
    };
    let mut buf = vec![0u8; STAGE_BUF];
    let (before, started) = (state.grate.fs().usage(), state.host.clock().now());
    let report = staging::preload(
        state.grate.fs_mut(),
        &ctx,
        &mut LindHostFiles,
        &spec,
        &mut buf,
    )?;
    if log {
        eprintln!("[imfs] preloaded {report}");
    }
    let after = state.grate.fs().usage();
    let took = since(started, state.host.clock().now());
    Ok(Some(staging::stats_lines(
        "preload", &report, &before, &after, took,
    )))
}

/// Time from `start` to `end` on the host's clock (std's clocks do not
/// link against lind-glibc).
fn since(start: imfs_core::Timespec, end: imfs_core::Timespec) -> Duration {
    let ns = |t: imfs_core::Timespec| t.sec as i128 * 1_000_000_000 + t.nsec as i128;
    Duration::from_nanos((ns(end) - ns(start)).clamp(0, u64::MAX as i128) as u64)
}

/// After GrateBuilder's fork, before the program runs: its cage starts with
/// the root as cwd and 0-2 the runtime's.
fn start(cage: i32) {
    let started = with_state(|s| s.grate.cage_start(&mut s.host, cage as CageId));
    if let Some(Err(e)) = started {
        eprintln!("[imfs] cannot start cage {cage}: {e:?}");
    }
}

/// After the program exited: DUMPS written back, `--stats` printed. A
/// failed dump turns a successful exit into 1.
fn finish(
    result: Result<i32, GrateError>,
    dumps: Option<&str>,
    log: bool,
    stats: bool,
    preload_stats: Option<&str>,
) {
    let mut dump_failed = false;
    with_state(|s| {
        let mut dump_stats = None;
        if let Some(spec) = dumps {
            let ctx = staging_ctx(&mut s.host);
            let mut buf = vec![0u8; STAGE_BUF];
            let (before, started) = (s.grate.fs().usage(), s.host.clock().now());
            let report = staging::dump(s.grate.fs_mut(), &ctx, &mut LindHostFiles, spec, &mut buf);
            if log {
                eprintln!("[imfs] dumped {report}");
            }
            if report.failed > 0 {
                eprintln!(
                    "imfs-grate: DUMPS: {} paths failed (listed above)",
                    report.failed
                );
                dump_failed = true;
            }
            let after = s.grate.fs().usage();
            let took = since(started, s.host.clock().now());
            dump_stats = Some(staging::stats_lines("dump", &report, &before, &after, took));
        }
        if stats {
            eprintln!("[imfs] {:?}", s.grate.usage());
            for line in preload_stats
                .into_iter()
                .chain(dump_stats.as_deref())
                .flat_map(str::lines)
            {
                eprintln!("[imfs] {line}");
            }
        }
    });
    if log {
        eprintln!("[imfs] exited: {result:?}");
    }
    // grate-rs exits with the program's status after this hook returns.
    if dump_failed && matches!(result, Ok(status) if (status >> 8) & 0xff == 0) {
        let _ = std::io::stderr().flush();
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(a: &[&str]) -> Vec<String> {
        a.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn grate_flags_come_before_the_program() {
        let cli = parse(args(&["--log", "prog.cwasm", "--log", "x"])).unwrap();
        assert!(cli.log && !cli.stats);
        assert_eq!(cli.program, args(&["prog.cwasm", "--log", "x"]));
        let cli = parse(args(&["--", "--weird-name"])).unwrap();
        assert_eq!(cli.program, args(&["--weird-name"]));
        assert!(parse(args(&["--bogus", "p"])).is_err());
        let cli = parse(args(&["--preload-partial", "p", "--preload-partial"])).unwrap();
        assert!(cli.preload_partial);
        assert_eq!(cli.program, args(&["p", "--preload-partial"]));
        assert!(parse(args(&[])).unwrap().program.is_empty());
    }
}
