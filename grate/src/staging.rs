//! PRELOADS and DUMPS: host files and trees copied into imfs before the
//! program runs, imfs files and trees copied back out after it exits, in
//! the entry formats the upstream Lind imfs grates define.
//!
//! - `PRELOADS`: ':'-separated entries, each `path` (same path on both sides)
//!   or `imfs_path=host_path`. Empty entries and entries with an empty side
//!   are skipped. A regular file is copied with its mode and times; a
//!   directory is copied whole (directories with mode and mtime, regular
//!   files and symlinks with mode and times, symlinks as symlinks and never
//!   followed; other types skipped and counted). Parent directories are
//!   created in imfs; staging a path again replaces it. Staging acts as
//!   root in imfs and what it makes belongs to the caller's uid and gid.
//!   The first entry that does not fit (ENOSPC, ENFILE, a name or path over
//!   its limit) stops staging with a [`StageError`] naming the path, the
//!   pool that ran out and what was staged before it.
//! - `DUMPS`: ';'-separated entries, leading spaces and tabs ignored, each
//!   `imfs_path=host_path` or `path`. A file or a whole directory is copied
//!   to the host path (its missing parents created), with modes (setuid and
//!   setgid dropped) and times, symlinks as symlinks. Nothing is written
//!   outside the named host path: names come from imfs directories (no "/"
//!   or ".."), and below the named path no host symlink is followed (one in
//!   the way is replaced). Every path that fails is reported and counted;
//!   the rest still run.
//!
//! Data streams through one caller-supplied buffer, never a whole file, and
//! a tree walk holds two path buffers and a per-level record bounded by
//! path_max (`tree.rs`), whatever the size of the tree. Host I/O is behind
//! [`HostFiles`] so Lind (3i calls) stages with the same walks as std.

mod dump;
mod host;
mod preload;
mod tree;

use std::fmt;

pub use host::{
    Dirents64, HostDir, HostFiles, HostStat, Kind, NameBuf, StdDir, StdFiles, DIRENT_BUF,
};

use imfs_core::{config, Ctx, Errno, Imfs, Usage};

/// A directory's access time is left alone (UTIME_OMIT): the walks carry
/// only its mode and mtime.
const KEEP_ATIME: imfs_core::Timespec = imfs_core::Timespec {
    sec: 0,
    nsec: imfs_core::flags::UTIME_OMIT,
};

/// The PRELOADS entries as (imfs_path, host_path); malformed ones dropped.
pub fn parse_preloads(spec: &str) -> impl Iterator<Item = (&str, &str)> {
    spec.split(':')
        .filter_map(|entry| match entry.split_once('=') {
            Some((imfs, host)) if !imfs.is_empty() && !host.is_empty() => Some((imfs, host)),
            None if !entry.is_empty() => Some((entry, entry)),
            _ => None,
        })
}

/// The DUMPS entries as (imfs_path, host_path); empty ones dropped.
pub fn parse_dumps(spec: &str) -> impl Iterator<Item = (&str, &str)> {
    spec.split(';').filter_map(|entry| {
        let entry = entry.trim_start_matches([' ', '\t']);
        let (imfs, host) = entry.split_once('=').unwrap_or((entry, entry));
        (!imfs.is_empty() && !host.is_empty()).then_some((imfs, host))
    })
}

/// Where a staging path lands in imfs. Root mode: as given. Mount mode
/// (`--mount PREFIX`): paths name files as the program sees them, so they
/// must lie under the prefix, which is stripped; others give `None`.
pub fn imfs_path<'a>(mount: Option<&str>, path: &'a str) -> Option<&'a str> {
    let Some(prefix) = mount
        .map(|p| p.trim_end_matches('/'))
        .filter(|p| !p.is_empty())
    else {
        return Some(path);
    };
    match path.strip_prefix(prefix)? {
        "" => Some("/"),
        rest if rest.starts_with('/') => Some(rest),
        _ => None,
    }
}

/// What a staging run did (PRELOADS or DUMPS).
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StageReport {
    /// Regular files copied.
    pub files: usize,
    /// Directories created or merged into (an entry's top directory included).
    pub dirs: usize,
    pub symlinks: usize,
    /// Entries left out on purpose: other file types, unreadable host
    /// entries, conflicts with what imfs already holds, malformed entries.
    pub skipped: usize,
    /// Paths that failed (DUMPS), each reported on stderr.
    pub failed: usize,
    /// File bytes copied.
    pub bytes: u64,
}

impl fmt::Display for StageReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{} files ({} bytes), {} directories, {} symlinks, {} skipped",
            self.files, self.bytes, self.dirs, self.symlinks, self.skipped
        )?;
        if self.failed > 0 {
            write!(f, ", {} failed", self.failed)?;
        }
        Ok(())
    }
}

/// The pool (or limit) of imfs.toml that `errno` means ran out, judged from
/// the pools' use right after the failure.
pub fn exhausted(errno: Errno, usage: &Usage) -> &'static str {
    let full = |p: imfs_core::PoolUsage| p.used >= p.capacity;
    match errno {
        Errno::ENFILE => "open_files",
        Errno::ENOSPC if full(usage.nodes) => "nodes",
        Errno::ENOSPC if full(usage.dirents) => "dirents",
        Errno::ENOSPC => "chunks",
        Errno::EFBIG => "max_file_size",
        Errno::ENAMETOOLONG => "name_max/path_max",
        _ => "none",
    }
}

/// A preload stopped because a limit of imfs.toml is reached.
#[derive(Debug)]
pub struct StageError {
    pub imfs_path: String,
    pub host_path: String,
    pub errno: Errno,
    /// What ran out: a pool name of imfs.toml (`nodes`, `dirents`,
    /// `chunks`, `open_files`) or a limit (`max_file_size`, `name_max/path_max`).
    pub pool: &'static str,
    /// What was staged before the failure (earlier entries included).
    pub staged: StageReport,
}

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot preload {} into imfs as {}: ",
            self.host_path, self.imfs_path
        )?;
        match self.pool {
            "nodes" => write!(f, "no node left (nodes = {})", config::NODES),
            "dirents" => write!(f, "no directory entry left (dirents = {})", config::DIRENTS),
            "chunks" => write!(
                f,
                "no file data left (chunks = {} of chunk_size = {} bytes)",
                config::CHUNKS,
                config::CHUNK_SIZE
            ),
            "open_files" => write!(f, "no open file left (open_files = {})", config::OPEN_FILES),
            "max_file_size" => write!(
                f,
                "the file is larger than max_file_size = {}",
                config::MAX_FILE_SIZE
            ),
            "name_max/path_max" => write!(
                f,
                "a name is longer than name_max = {} or the path than path_max = {}",
                config::NAME_MAX,
                config::PATH_MAX
            ),
            _ => write!(f, "{:?}", self.errno),
        }?;
        write!(
            f,
            " ({:?}, pool {}); staged before it: {}; raise the limit in imfs.toml (or IMFS_CONFIG) \
             and rebuild",
            self.errno, self.pool, self.staged
        )
    }
}

impl std::error::Error for StageError {}

/// Errors that mean a limit of imfs.toml is reached, as opposed to an entry
/// that conflicts with what is already there (skipped).
fn is_limit(e: Errno) -> bool {
    matches!(
        e,
        Errno::ENOSPC
            | Errno::EFBIG
            | Errno::ENAMETOOLONG
            | Errno::ENFILE
            | Errno::EMFILE
            | Errno::ENOMEM
            | Errno::EMLINK
    )
}

/// `ctx` with root's ids: the grate setting up (or reading back) its own
/// filesystem is not held back by the modes of what is in it. Staging
/// stamps what it creates, so the time is read here, once for both.
pub fn as_root(ctx: &Ctx) -> Ctx {
    Ctx {
        time: imfs_core::Now::at(ctx.now()),
        uid: 0,
        gid: 0,
        groups: imfs_core::Groups::new(),
        real: None,
    }
}

/// Stages every PRELOADS entry of `spec`. `buf` is the transfer buffer
/// (symlink targets are read into it too). Staging acts as root in imfs;
/// what it creates belongs to `ctx`'s uid and gid.
pub fn preload(
    fs: &mut Imfs,
    ctx: &Ctx,
    files: &mut impl HostFiles,
    spec: &str,
    buf: &mut [u8],
) -> Result<StageReport, StageError> {
    preload_mounted(fs, ctx, files, spec, None, buf)
}

/// [`preload`] for a grate mounted at `mount` (see [`imfs_path`]).
pub fn preload_mounted(
    fs: &mut Imfs,
    ctx: &Ctx,
    files: &mut impl HostFiles,
    spec: &str,
    mount: Option<&str>,
    buf: &mut [u8],
) -> Result<StageReport, StageError> {
    let root = as_root(ctx);
    let mut stager = preload::Preloader::new(fs, ctx, &root, files, buf);
    for (seen_path, host_path) in parse_preloads(spec) {
        let Some(imfs_path) = imfs_path(mount, seen_path) else {
            eprintln!("imfs: preload: skipping {seen_path}: not under the mount prefix");
            stager.report.skipped += 1;
            continue;
        };
        stager.entry(imfs_path.as_bytes(), host_path.as_bytes())?;
    }
    Ok(stager.report)
}

/// Writes every DUMPS entry of `spec` to the host. Each failing path is
/// reported on stderr and counted in `failed`; the rest still run.
pub fn dump(
    fs: &mut Imfs,
    ctx: &Ctx,
    files: &mut impl HostFiles,
    spec: &str,
    buf: &mut [u8],
) -> StageReport {
    dump_mounted(fs, ctx, files, spec, None, buf)
}

/// [`dump`] for a grate mounted at `mount` (see [`imfs_path`]).
pub fn dump_mounted(
    fs: &mut Imfs,
    ctx: &Ctx,
    files: &mut impl HostFiles,
    spec: &str,
    mount: Option<&str>,
    buf: &mut [u8],
) -> StageReport {
    let mut dumper = dump::Dumper::new(fs, ctx, files, buf);
    for (seen_path, host_path) in parse_dumps(spec) {
        match imfs_path(mount, seen_path) {
            Some(imfs_path) => dumper.entry(imfs_path.as_bytes(), host_path.as_bytes()),
            None => {
                eprintln!(
                    "imfs: dump: {seen_path} -> {host_path} failed: not under the mount prefix"
                );
                dumper.report.failed += 1;
            }
        }
    }
    dumper.report
}

/// `--stats` lines for one staging run: what it copied, how long it took,
/// and what it took from each pool (use after minus use before).
pub fn stats_lines(
    what: &str,
    report: &StageReport,
    before: &Usage,
    after: &Usage,
    elapsed: std::time::Duration,
) -> String {
    let d = |b: imfs_core::PoolUsage, a: imfs_core::PoolUsage| a.used as i64 - b.used as i64;
    format!(
        "{what}: {report} in {:.1} ms\n{what} used: nodes {:+}, dirents {:+}, chunks {:+} \
         ({} bytes of chunk_size {}), open_files high-water {}",
        elapsed.as_secs_f64() * 1e3,
        d(before.nodes, after.nodes),
        d(before.dirents, after.dirents),
        d(before.chunks, after.chunks),
        d(before.chunks, after.chunks) * config::CHUNK_SIZE as i64,
        config::CHUNK_SIZE,
        after.open_files.high_water,
    )
}
