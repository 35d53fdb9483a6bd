//! PRELOADS and DUMPS: host files copied into imfs before the program runs,
//! imfs files copied back out after it exits, in the formats the upstream
//! Lind imfs grates define.
//!
//! - `PRELOADS`: ':'-separated entries, each `path` (same path on both sides)
//!   or `imfs_path=host_path`. Empty entries and entries with an empty side
//!   are skipped; host paths that are not regular files are skipped; parent
//!   directories are created in imfs; staging a path again truncates it. A
//!   file that does not fit is an error naming the file and the limit.
//! - `DUMPS`: ';'-separated entries, leading spaces and tabs ignored, each
//!   `imfs_path=host_path` or `path`; host parent directories are created.
//!   A failed dump is reported and the others still run.
//!
//! Data streams through one caller-supplied buffer, never a whole file. Host
//! I/O is behind [`HostFiles`] so a host other than std (Lind's 3i) can stage.

use std::fmt;
use std::io::{self, Read, Write};

use imfs_core::flags::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_IFMT, S_IFREG};
use imfs_core::{config, Ctx, Errno, Imfs};

/// Host-side file access for staging.
pub trait HostFiles {
    type Reader: Read;
    type Writer: Write;
    /// Opens a host file for reading with its permission bits; `Ok(None)`
    /// when it exists but is not a regular file.
    fn open_regular(&mut self, path: &str) -> io::Result<Option<(Self::Reader, u32)>>;
    /// Creates or truncates a host file (parent directories created) with `mode`.
    fn create(&mut self, path: &str, mode: u32) -> io::Result<Self::Writer>;
}

/// [`HostFiles`] over `std::fs`.
pub struct StdFiles;

impl HostFiles for StdFiles {
    type Reader = std::fs::File;
    type Writer = std::fs::File;

    fn open_regular(&mut self, path: &str) -> io::Result<Option<(std::fs::File, u32)>> {
        let meta = std::fs::metadata(path)?;
        if !meta.is_file() {
            return Ok(None);
        }
        #[cfg(unix)]
        let mode = std::os::unix::fs::PermissionsExt::mode(&meta.permissions()) & 0o7777;
        #[cfg(not(unix))]
        let mode = 0o644;
        Ok(Some((std::fs::File::open(path)?, mode)))
    }

    fn create(&mut self, path: &str, mode: u32) -> io::Result<std::fs::File> {
        if let Some(parent) = std::path::Path::new(path).parent() {
            if !parent.as_os_str().is_empty() {
                std::fs::create_dir_all(parent)?;
            }
        }
        let mut opts = std::fs::OpenOptions::new();
        opts.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut opts, mode);
        #[cfg(not(unix))]
        let _ = mode;
        opts.open(path)
    }
}

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

/// What a staging run did.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StageReport {
    pub files: usize,
    pub skipped: usize,
    pub bytes: u64,
}

/// A preload that cannot be staged because a limit is reached.
#[derive(Debug)]
pub struct StageError {
    pub imfs_path: String,
    pub host_path: String,
    pub errno: Errno,
}

impl fmt::Display for StageError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "cannot preload {} into imfs as {}: ",
            self.host_path, self.imfs_path
        )?;
        match self.errno {
            Errno::ENOSPC => write!(
                f,
                "the filesystem is full (chunks = {} of chunk_size = {} bytes, nodes = {}, dirents = {})",
                config::CHUNKS,
                config::CHUNK_SIZE,
                config::NODES,
                config::DIRENTS
            ),
            Errno::EFBIG => write!(f, "the file is larger than max_file_size = {}", config::MAX_FILE_SIZE),
            Errno::ENAMETOOLONG => write!(
                f,
                "a name is longer than name_max = {} or the path than path_max = {}",
                config::NAME_MAX,
                config::PATH_MAX
            ),
            Errno::ENFILE => write!(f, "no open file left (open_files = {})", config::OPEN_FILES),
            Errno::EMLINK => write!(f, "a directory is full (EMLINK)"),
            e => write!(f, "{e:?}"),
        }?;
        write!(
            f,
            "; raise the limit in imfs.toml (or IMFS_CONFIG) and rebuild"
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

/// Creates the directories above `path` in imfs (existing ones are fine).
fn make_parents(fs: &mut Imfs, ctx: &Ctx, path: &str) -> Result<(), Errno> {
    let mut end = 0;
    let parents = match path.rfind('/') {
        Some(i) => &path[..i],
        None => return Ok(()),
    };
    while end < parents.len() {
        end = parents[end + 1..]
            .find('/')
            .map_or(parents.len(), |i| end + 1 + i);
        let dir = &parents[..end];
        if dir.trim_matches('/').is_empty() {
            continue;
        }
        match fs.mkdir(ctx, None, dir.as_bytes(), 0o755) {
            Ok(()) | Err(Errno::EEXIST) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(())
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

/// Stages every PRELOADS entry of `spec`. `buf` is the transfer buffer.
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
    let mut report = StageReport::default();
    for (seen_path, host_path) in parse_preloads(spec) {
        let Some(imfs_path) = imfs_path(mount, seen_path) else {
            eprintln!("imfs: preload: skipping {seen_path}: not under the mount prefix");
            report.skipped += 1;
            continue;
        };
        let fail = |errno| StageError {
            imfs_path: imfs_path.into(),
            host_path: host_path.into(),
            errno,
        };
        let (mut reader, mode) = match files.open_regular(host_path) {
            Ok(Some(f)) => f,
            Ok(None) => {
                eprintln!("imfs: preload: skipping {host_path}: not a regular file");
                report.skipped += 1;
                continue;
            }
            Err(e) => {
                eprintln!("imfs: preload: skipping {host_path}: {e}");
                report.skipped += 1;
                continue;
            }
        };
        let staged = make_parents(fs, ctx, imfs_path).and_then(|()| {
            let ofd = fs.open(
                ctx,
                None,
                imfs_path.as_bytes(),
                O_CREAT | O_WRONLY | O_TRUNC,
                mode,
            )?;
            let copied = copy_in(fs, ctx, ofd, &mut reader, buf).and_then(|n| {
                // O_TRUNC on an existing file keeps its old mode: set the host's.
                fs.fchmod(ctx, ofd, mode)?;
                Ok(n)
            });
            let _ = fs.close(ofd);
            copied
        });
        match staged {
            Ok(n) => {
                report.files += 1;
                report.bytes += n;
            }
            Err(Errno::EIO) => {
                eprintln!("imfs: preload: skipping {host_path}: read error");
                report.skipped += 1;
            }
            Err(e) if is_limit(e) => return Err(fail(e)),
            Err(e) => {
                eprintln!("imfs: preload: skipping {host_path} -> {imfs_path}: {e:?}");
                report.skipped += 1;
            }
        }
    }
    Ok(report)
}

/// Streams `reader` into `ofd`: the bytes written. A host read error is EIO.
fn copy_in(
    fs: &mut Imfs,
    ctx: &Ctx,
    ofd: imfs_core::OfdId,
    reader: &mut impl Read,
    buf: &mut [u8],
) -> Result<u64, Errno> {
    let mut total = 0u64;
    loop {
        let n = match reader.read(buf) {
            Ok(0) => return Ok(total),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Errno::EIO),
        };
        let mut done = 0;
        while done < n {
            let w = fs.write(ctx, ofd, &buf[done..n])?;
            if w == 0 {
                return Err(Errno::ENOSPC);
            }
            done += w;
        }
        total += n as u64;
    }
}

/// Writes every DUMPS entry of `spec` to the host; failures are reported on
/// stderr and skipped.
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
    let mut report = StageReport::default();
    for (seen_path, host_path) in parse_dumps(spec) {
        let result = match imfs_path(mount, seen_path) {
            Some(imfs_path) => dump_one(fs, ctx, files, imfs_path, host_path, buf),
            None => Err("not under the mount prefix".to_string()),
        };
        let imfs_path = seen_path;
        match result {
            Ok(n) => {
                report.files += 1;
                report.bytes += n;
            }
            Err(e) => {
                eprintln!("imfs: dump: {imfs_path} -> {host_path} failed: {e}");
                report.skipped += 1;
            }
        }
    }
    report
}

fn dump_one(
    fs: &mut Imfs,
    ctx: &Ctx,
    files: &mut impl HostFiles,
    imfs_path: &str,
    host_path: &str,
    buf: &mut [u8],
) -> Result<u64, String> {
    let ofd = fs
        .open(ctx, None, imfs_path.as_bytes(), O_RDONLY, 0)
        .map_err(|e| format!("imfs open: {e:?}"))?;
    let result = (|| {
        let st = fs.fstat(ofd).map_err(|e| format!("imfs stat: {e:?}"))?;
        if st.mode & S_IFMT != S_IFREG {
            return Err("not a regular file".to_string());
        }
        let mut out = files
            .create(host_path, st.mode & 0o7777)
            .map_err(|e| format!("host create: {e}"))?;
        let mut total = 0u64;
        loop {
            let n = fs
                .read(ctx, ofd, buf)
                .map_err(|e| format!("imfs read: {e:?}"))?;
            if n == 0 {
                break;
            }
            out.write_all(&buf[..n])
                .map_err(|e| format!("host write: {e}"))?;
            total += n as u64;
        }
        out.flush().map_err(|e| format!("host write: {e}"))?;
        Ok(total)
    })();
    let _ = fs.close(ofd);
    result
}
