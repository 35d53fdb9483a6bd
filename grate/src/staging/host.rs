//! The host side of staging: what PRELOADS read and DUMPS write, behind
//! [`HostFiles`] so the same walks serve the native host (std and a few
//! libc calls, [`StdFiles`]) and Lind (3i calls, in grate/lind).
//!
//! Paths are bytes: a host tree may hold names that are not UTF-8.
//! Directories are read with getdents64 into a fixed buffer and resumed by
//! cookie (`d_off`), so one open directory at a time is enough to walk a
//! tree (see `tree.rs`).

use std::io::{self, Read, Write};

use imfs_core::{Errno, Timespec};

/// Whether a host error is Linux's `errno`. Both hosts carry Linux numbers
/// as the raw OS error; `io::Error::kind()` must not be asked, since std on
/// wasm32-wasip1 reads a raw number as WASI's (EEXIST is 20 there, which is
/// Linux's ENOTDIR), so in Lind it would name the wrong error.
pub(crate) fn is_errno(e: &io::Error, errno: Errno) -> bool {
    e.raw_os_error() == Some(errno.code())
}

/// What a path is, as far as staging cares.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Kind {
    Dir,
    File,
    Symlink,
    /// FIFOs, sockets, devices: skipped and counted.
    Other,
}

impl Kind {
    /// From the `S_IFMT` bits of a mode.
    pub fn of_mode(mode: u32) -> Kind {
        use imfs_core::flags::{S_IFDIR, S_IFLNK, S_IFMT, S_IFREG};
        match mode & S_IFMT {
            S_IFDIR => Kind::Dir,
            S_IFREG => Kind::File,
            S_IFLNK => Kind::Symlink,
            _ => Kind::Other,
        }
    }
}

/// The metadata staging carries across: type, permission bits, times.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct HostStat {
    pub kind: Kind,
    /// Permission bits with setuid/setgid/sticky (`mode & 0o7777`).
    pub perm: u32,
    pub size: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
}

/// An open host directory read entry by entry.
pub trait HostDir {
    /// Continues after the entry whose cookie is `cookie` (0: the start).
    fn seek(&mut self, cookie: u64) -> io::Result<()>;
    /// The next entry other than "." and "..": its name is copied into
    /// `name` (ENAMETOOLONG if it does not fit), and the cookie that
    /// resumes after it is returned. `None` at the end.
    fn next_entry(&mut self, name: &mut NameBuf) -> io::Result<Option<u64>>;
}

/// Host filesystem access for staging. Paths are as the host takes them
/// (relative to the grate's cwd or absolute).
pub trait HostFiles {
    type Reader: Read;
    type Writer: Write;
    type Dir: HostDir;

    /// stat (`follow`) or lstat.
    fn stat(&mut self, path: &[u8], follow: bool) -> io::Result<HostStat>;
    /// Opens a regular file for reading, without following a final
    /// symlink unless `follow`; `Ok(None)` if it is not a regular file.
    fn open_regular(&mut self, path: &[u8], follow: bool) -> io::Result<Option<Self::Reader>>;
    /// Opens a directory for reading (never through a final symlink unless `follow`).
    fn open_dir(&mut self, path: &[u8], follow: bool) -> io::Result<Self::Dir>;
    /// readlink into `buf`: the target's length (ENAMETOOLONG if `buf` is too short).
    fn read_link(&mut self, path: &[u8], buf: &mut [u8]) -> io::Result<usize>;

    /// mkdir of every missing directory above `path` (symlinks followed:
    /// these are the parents of a path the user named).
    fn make_parents(&mut self, path: &[u8]) -> io::Result<()>;
    /// mkdir with `mode`.
    fn make_dir(&mut self, path: &[u8], mode: u32) -> io::Result<()>;
    /// Creates or truncates a regular file for writing (`mode` for a new
    /// one); a final symlink is followed only if `follow` (else ELOOP).
    fn create(&mut self, path: &[u8], mode: u32, follow: bool) -> io::Result<Self::Writer>;
    /// The mode and times of a file [`create`](Self::create) opened, set
    /// through the open file (fchmod, futimens): no path is resolved again.
    fn finish_file(
        &mut self,
        file: &mut Self::Writer,
        mode: u32,
        atime: Timespec,
        mtime: Timespec,
    ) -> io::Result<()>;
    /// symlink(target, path).
    fn symlink(&mut self, target: &[u8], path: &[u8]) -> io::Result<()>;
    /// unlink of a non-directory.
    fn remove(&mut self, path: &[u8]) -> io::Result<()>;
    /// chmod (never applied to a symlink by the walks).
    fn set_mode(&mut self, path: &[u8], mode: u32) -> io::Result<()>;
    /// utimensat with both times; a final symlink itself unless `follow`.
    fn set_times(
        &mut self,
        path: &[u8],
        atime: Timespec,
        mtime: Timespec,
        follow: bool,
    ) -> io::Result<()>;
}

/// A name read from a directory: at most 255 bytes (NAME_MAX on Linux and Lind).
pub struct NameBuf {
    bytes: [u8; 255],
    len: usize,
}

impl Default for NameBuf {
    fn default() -> Self {
        NameBuf {
            bytes: [0; 255],
            len: 0,
        }
    }
}

impl NameBuf {
    pub fn as_bytes(&self) -> &[u8] {
        &self.bytes[..self.len]
    }

    pub fn set(&mut self, name: &[u8]) -> io::Result<()> {
        let dst = self
            .bytes
            .get_mut(..name.len())
            .ok_or_else(|| io::Error::from_raw_os_error(36))?; // ENAMETOOLONG
        dst.copy_from_slice(name);
        self.len = name.len();
        Ok(())
    }
}

/// Bytes of getdents64 output read per call: plenty of entries per call,
/// a fixed cost per open directory.
pub const DIRENT_BUF: usize = 8192;

/// Records of `struct linux_dirent64` (what the kernel's getdents64 and
/// Lind's getdents return) in a fixed buffer, handed out one at a time.
pub struct Dirents64 {
    buf: Box<[u8; DIRENT_BUF]>,
    pos: usize,
    len: usize,
}

impl Default for Dirents64 {
    fn default() -> Self {
        Dirents64 {
            buf: Box::new([0; DIRENT_BUF]),
            pos: 0,
            len: 0,
        }
    }
}

impl Dirents64 {
    /// Drops what is buffered (after a seek).
    pub fn clear(&mut self) {
        self.pos = 0;
        self.len = 0;
    }

    /// The next entry other than "." and "..", refilling with `fill` (which
    /// returns the bytes getdents64 wrote, 0 at the end).
    pub fn next_entry(
        &mut self,
        name: &mut NameBuf,
        mut fill: impl FnMut(&mut [u8]) -> io::Result<usize>,
    ) -> io::Result<Option<u64>> {
        loop {
            if self.pos >= self.len {
                self.pos = 0;
                self.len = fill(&mut self.buf[..])?.min(DIRENT_BUF);
                if self.len == 0 {
                    return Ok(None);
                }
            }
            let rec = &self.buf[self.pos..self.len];
            // d_ino u64, d_off i64, d_reclen u16, d_type u8, d_name.
            let bad = || io::Error::from_raw_os_error(5); // EIO: a malformed record
            if rec.len() < 19 {
                return Err(bad());
            }
            let off = u64::from_ne_bytes(rec[8..16].try_into().expect("8 bytes"));
            let reclen = u16::from_ne_bytes([rec[16], rec[17]]) as usize;
            if reclen < 19 || reclen > rec.len() {
                return Err(bad());
            }
            let raw = &rec[19..reclen];
            let n = raw.iter().position(|&b| b == 0).unwrap_or(raw.len());
            self.pos += reclen;
            let entry = &raw[..n];
            if entry == b"." || entry == b".." || entry.is_empty() {
                continue;
            }
            name.set(entry)?;
            return Ok(Some(off));
        }
    }
}

/// [`HostFiles`] over the native host: std, plus libc for getdents64 and
/// utimensat (which std does not offer).
pub struct StdFiles;

#[cfg(unix)]
fn os(path: &[u8]) -> &std::path::Path {
    std::path::Path::new(<std::ffi::OsStr as std::os::unix::ffi::OsStrExt>::from_bytes(path))
}

#[cfg(unix)]
fn host_stat(meta: &std::fs::Metadata) -> HostStat {
    use std::os::unix::fs::MetadataExt;
    HostStat {
        kind: Kind::of_mode(meta.mode()),
        perm: meta.mode() & 0o7777,
        size: meta.len(),
        atime: Timespec {
            sec: meta.atime(),
            nsec: meta.atime_nsec(),
        },
        mtime: Timespec {
            sec: meta.mtime(),
            nsec: meta.mtime_nsec(),
        },
    }
}

/// An open host directory of [`StdFiles`].
pub struct StdDir {
    file: std::fs::File,
    entries: Dirents64,
}

impl HostDir for StdDir {
    fn seek(&mut self, cookie: u64) -> io::Result<()> {
        use std::io::Seek;
        self.entries.clear();
        self.file.seek(io::SeekFrom::Start(cookie)).map(|_| ())
    }

    fn next_entry(&mut self, name: &mut NameBuf) -> io::Result<Option<u64>> {
        let file = &self.file;
        self.entries.next_entry(name, |buf| getdents64(file, buf))
    }
}

#[cfg(target_os = "linux")]
fn getdents64(dir: &std::fs::File, buf: &mut [u8]) -> io::Result<usize> {
    use std::os::fd::AsRawFd;
    // SAFETY: the kernel writes at most buf.len() bytes into buf.
    let n = unsafe {
        libc::syscall(
            libc::SYS_getdents64,
            dir.as_raw_fd(),
            buf.as_mut_ptr(),
            buf.len(),
        )
    };
    if n < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(n as usize)
    }
}

#[cfg(not(target_os = "linux"))]
fn getdents64(_dir: &std::fs::File, _buf: &mut [u8]) -> io::Result<usize> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}

#[cfg(unix)]
impl HostFiles for StdFiles {
    type Reader = std::fs::File;
    type Writer = std::fs::File;
    type Dir = StdDir;

    fn stat(&mut self, path: &[u8], follow: bool) -> io::Result<HostStat> {
        let meta = if follow {
            std::fs::metadata(os(path))?
        } else {
            std::fs::symlink_metadata(os(path))?
        };
        Ok(host_stat(&meta))
    }

    fn open_regular(&mut self, path: &[u8], follow: bool) -> io::Result<Option<std::fs::File>> {
        use imfs_core::flags::{O_NOFOLLOW, O_NONBLOCK};
        use std::os::unix::fs::OpenOptionsExt;
        // O_NONBLOCK: a FIFO swapped in since the caller's stat must not
        // hang the open; fstat then tells what was opened.
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags((O_NONBLOCK | nofollow) as i32)
            .open(os(path))?;
        Ok(file.metadata()?.is_file().then_some(file))
    }

    fn open_dir(&mut self, path: &[u8], follow: bool) -> io::Result<StdDir> {
        use imfs_core::flags::{O_DIRECTORY, O_NOFOLLOW};
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        let file = std::fs::OpenOptions::new()
            .read(true)
            .custom_flags((O_DIRECTORY | nofollow) as i32)
            .open(os(path))?;
        Ok(StdDir {
            file,
            entries: Dirents64::default(),
        })
    }

    fn read_link(&mut self, path: &[u8], buf: &mut [u8]) -> io::Result<usize> {
        use std::os::unix::ffi::OsStrExt;
        let target = std::fs::read_link(os(path))?;
        let bytes = target.as_os_str().as_bytes();
        let dst = buf
            .get_mut(..bytes.len())
            .ok_or_else(|| io::Error::from_raw_os_error(36))?;
        dst.copy_from_slice(bytes);
        Ok(bytes.len())
    }

    fn make_parents(&mut self, path: &[u8]) -> io::Result<()> {
        match os(path).parent() {
            Some(parent) if !parent.as_os_str().is_empty() => std::fs::create_dir_all(parent),
            _ => Ok(()),
        }
    }

    fn make_dir(&mut self, path: &[u8], mode: u32) -> io::Result<()> {
        use std::os::unix::fs::DirBuilderExt;
        std::fs::DirBuilder::new().mode(mode).create(os(path))
    }

    fn create(&mut self, path: &[u8], mode: u32, follow: bool) -> io::Result<std::fs::File> {
        use imfs_core::flags::O_NOFOLLOW;
        use std::os::unix::fs::OpenOptionsExt;
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(true)
            .mode(mode)
            .custom_flags(nofollow as i32)
            .open(os(path))
    }

    fn finish_file(
        &mut self,
        file: &mut std::fs::File,
        mode: u32,
        atime: Timespec,
        mtime: Timespec,
    ) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(mode))?;
        set_times_at(Some(file), b"", atime, mtime, true)
    }

    fn symlink(&mut self, target: &[u8], path: &[u8]) -> io::Result<()> {
        std::os::unix::fs::symlink(os(target), os(path))
    }

    fn remove(&mut self, path: &[u8]) -> io::Result<()> {
        std::fs::remove_file(os(path))
    }

    fn set_mode(&mut self, path: &[u8], mode: u32) -> io::Result<()> {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(os(path), std::fs::Permissions::from_mode(mode))
    }

    fn set_times(
        &mut self,
        path: &[u8],
        atime: Timespec,
        mtime: Timespec,
        follow: bool,
    ) -> io::Result<()> {
        set_times(path, atime, mtime, follow)
    }
}

#[cfg(unix)]
fn set_times(path: &[u8], atime: Timespec, mtime: Timespec, follow: bool) -> io::Result<()> {
    set_times_at(None, path, atime, mtime, follow)
}

/// utimensat on `path`, or futimens on `file` (exact nanoseconds and
/// pre-1970 times, which std's SystemTime-based File::set_times may not carry).
#[cfg(target_os = "linux")]
fn set_times_at(
    file: Option<&std::fs::File>,
    path: &[u8],
    atime: Timespec,
    mtime: Timespec,
    follow: bool,
) -> io::Result<()> {
    use std::os::fd::AsRawFd;
    let ts = |t: Timespec| libc::timespec {
        tv_sec: t.sec as libc::time_t,
        tv_nsec: t.nsec as libc::c_long,
    };
    let times = [ts(atime), ts(mtime)];
    let r = match file {
        // SAFETY: an open fd and two timespecs that outlive the call.
        Some(f) => unsafe { libc::futimens(f.as_raw_fd(), times.as_ptr()) },
        None => {
            let c = std::ffi::CString::new(path).map_err(|_| io::Error::from_raw_os_error(22))?;
            let flags = if follow { 0 } else { libc::AT_SYMLINK_NOFOLLOW };
            // SAFETY: a NUL-terminated path and two timespecs that outlive the call.
            unsafe { libc::utimensat(libc::AT_FDCWD, c.as_ptr(), times.as_ptr(), flags) }
        }
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(())
    }
}

#[cfg(all(unix, not(target_os = "linux")))]
fn set_times_at(
    _file: Option<&std::fs::File>,
    _path: &[u8],
    _atime: Timespec,
    _mtime: Timespec,
    _follow: bool,
) -> io::Result<()> {
    Err(io::Error::from(io::ErrorKind::Unsupported))
}
