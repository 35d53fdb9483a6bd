//! The grate's own access to lindfs (the runtime's filesystem) for PRELOADS
//! and DUMPS, through make_threei_call like upstream imfs-grate: in
//! lind-wasm, Rust's `std::fs::metadata` can report a bogus huge size and
//! make `std::fs::read` allocate far too much, so std::fs is not used.
//!
//! Calls target the grate itself, whose syscalls no handler intercepts, so
//! they reach RawPOSIX. Buffers live in the grate's memory and are marked
//! with GRATE_MEMORY_FLAG ([`own_call`]), which glibc's make_threei_call
//! translates to host addresses. What RawPOSIX does with each (checked
//! against lind-wasm's src/rawposix/src/fs_calls.rs):
//!
//! - stat/lstat/fstat write Lind's `StatData` (104 bytes: st_mode at 16,
//!   st_size at 40, st_atim at 56, st_mtim at 72, each time as (u64 sec,
//!   u64 nsec)).
//! - getdents is the kernel's getdents64 on the fd: `linux_dirent64`
//!   records, parsed by the shared [`Dirents64`]; an error comes back as -1,
//!   not -errno.
//! - lseek returns the new offset truncated to i32: a seek to a cookie is
//!   checked against the cookie truncated the same way.
//! - utimensat takes the times pointer as a host address of two
//!   `{ i64 sec; i64 nsec }`, which the flagged argument gives it.
//! - open passes its flags to the host's open: O_NOFOLLOW and O_DIRECTORY
//!   are Linux's values.

use std::ffi::CString;
use std::io::{self, Read, Write};

use imfs_core::flags::{
    AT_FDCWD, AT_SYMLINK_NOFOLLOW, O_CREAT, O_DIRECTORY, O_NOFOLLOW, O_NONBLOCK, O_RDONLY, O_TRUNC,
    O_WRONLY, SEEK_SET,
};
use imfs_core::Timespec;
use imfs_grate::staging::{Dirents64, HostDir, HostFiles, HostStat, Kind, NameBuf};

use crate::host::own_call;

const SYS_READ: u32 = 0;
const SYS_WRITE: u32 = 1;
const SYS_OPEN: u32 = 2;
const SYS_CLOSE: u32 = 3;
const SYS_STAT: u32 = 4;
const SYS_FSTAT: u32 = 5;
const SYS_LSTAT: u32 = 6;
const SYS_LSEEK: u32 = 8;
const SYS_GETDENTS: u32 = 78;
const SYS_MKDIR: u32 = 83;
const SYS_UNLINK: u32 = 87;
const SYS_SYMLINK: u32 = 88;
const SYS_READLINK: u32 = 89;
const SYS_CHMOD: u32 = 90;
const SYS_FCHMOD: u32 = 91;
const SYS_UTIMENSAT: u32 = 280;

/// Lind's `struct stat` (RawPOSIX `StatData`).
const STAT_LEN: usize = 104;
const ST_MODE_AT: usize = 16;
const ST_SIZE_AT: usize = 40;
const ST_ATIM_AT: usize = 56;
const ST_MTIM_AT: usize = 72;

const PTR: bool = true;
const VAL: bool = false;

fn c_path(path: &[u8]) -> io::Result<CString> {
    CString::new(path).map_err(|_| io::Error::from_raw_os_error(22))
}

/// A raw result as io::Result: negative values are `-errno`.
fn check(r: i32) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::from_raw_os_error(-r))
    } else {
        Ok(r as usize)
    }
}

fn u64_at(st: &[u8; STAT_LEN], at: usize) -> u64 {
    u64::from_le_bytes(st[at..at + 8].try_into().expect("8 bytes"))
}

fn host_stat(st: &[u8; STAT_LEN]) -> HostStat {
    let mode = u32::from_le_bytes(st[ST_MODE_AT..ST_MODE_AT + 4].try_into().expect("4 bytes"));
    let time = |at| Timespec {
        sec: u64_at(st, at) as i64,
        nsec: u64_at(st, at + 8) as i64,
    };
    HostStat {
        kind: Kind::of_mode(mode),
        perm: mode & 0o7777,
        size: u64_at(st, ST_SIZE_AT),
        atime: time(ST_ATIM_AT),
        mtime: time(ST_MTIM_AT),
    }
}

/// One of the runtime's fds, held by the grate; closed on drop.
pub struct HostFile {
    fd: i32,
}

impl HostFile {
    fn open(path: &[u8], flags: u32, mode: u64) -> io::Result<HostFile> {
        let p = c_path(path)?;
        let fd = check(own_call(
            SYS_OPEN,
            [p.as_ptr() as u64, flags as u64, mode, 0, 0, 0],
            [PTR, VAL, VAL, VAL, VAL, VAL],
        ))?;
        Ok(HostFile { fd: fd as i32 })
    }

    fn stat(&self) -> io::Result<HostStat> {
        let mut st = [0u8; STAT_LEN];
        check(own_call(
            SYS_FSTAT,
            [self.fd as u64, st.as_mut_ptr() as u64, 0, 0, 0, 0],
            [VAL, PTR, VAL, VAL, VAL, VAL],
        ))?;
        Ok(host_stat(&st))
    }
}

impl Read for HostFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(i32::MAX as usize) as u64;
        check(own_call(
            SYS_READ,
            [self.fd as u64, buf.as_mut_ptr() as u64, len, 0, 0, 0],
            [VAL, PTR, VAL, VAL, VAL, VAL],
        ))
    }
}

impl Write for HostFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len().min(i32::MAX as usize) as u64;
        check(own_call(
            SYS_WRITE,
            [self.fd as u64, buf.as_ptr() as u64, len, 0, 0, 0],
            [VAL, PTR, VAL, VAL, VAL, VAL],
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        let _ = own_call(SYS_CLOSE, [self.fd as u64, 0, 0, 0, 0, 0], [VAL; 6]);
    }
}

/// An open lindfs directory, read with getdents into a fixed buffer.
pub struct LindDir {
    file: HostFile,
    entries: Dirents64,
}

impl HostDir for LindDir {
    fn seek(&mut self, cookie: u64) -> io::Result<()> {
        self.entries.clear();
        let r = own_call(
            SYS_LSEEK,
            [self.file.fd as u64, cookie, SEEK_SET as u64, 0, 0, 0],
            [VAL; 6],
        );
        // RawPOSIX returns the new offset as i32: compare truncated.
        if r == cookie as i32 {
            Ok(())
        } else if r < 0 {
            Err(io::Error::from_raw_os_error(-r))
        } else {
            Err(io::Error::from_raw_os_error(5)) // EIO: landed elsewhere
        }
    }

    fn next_entry(&mut self, name: &mut NameBuf) -> io::Result<Option<u64>> {
        let fd = self.file.fd;
        self.entries.next_entry(name, |buf| {
            let len = buf.len().min(i32::MAX as usize) as u64;
            // An error is -1 here (RawPOSIX does not turn it into -errno).
            check(own_call(
                SYS_GETDENTS,
                [fd as u64, buf.as_mut_ptr() as u64, len, 0, 0, 0],
                [VAL, PTR, VAL, VAL, VAL, VAL],
            ))
        })
    }
}

/// lindfs as PRELOADS/DUMPS see it.
#[derive(Default)]
pub struct LindHostFiles;

fn path_call(nr: u32, path: &[u8], arg2: u64) -> io::Result<usize> {
    let p = c_path(path)?;
    check(own_call(
        nr,
        [p.as_ptr() as u64, arg2, 0, 0, 0, 0],
        [PTR, VAL, VAL, VAL, VAL, VAL],
    ))
}

impl HostFiles for LindHostFiles {
    type Reader = HostFile;
    type Writer = HostFile;
    type Dir = LindDir;

    fn stat(&mut self, path: &[u8], follow: bool) -> io::Result<HostStat> {
        let p = c_path(path)?;
        let mut st = [0u8; STAT_LEN];
        let nr = if follow { SYS_STAT } else { SYS_LSTAT };
        check(own_call(
            nr,
            [p.as_ptr() as u64, st.as_mut_ptr() as u64, 0, 0, 0, 0],
            [PTR, PTR, VAL, VAL, VAL, VAL],
        ))?;
        Ok(host_stat(&st))
    }

    fn open_regular(&mut self, path: &[u8], follow: bool) -> io::Result<Option<HostFile>> {
        // O_NONBLOCK: a FIFO must not hang the open; fstat says what it is.
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        let file = HostFile::open(path, O_RDONLY | O_NONBLOCK | nofollow, 0)?;
        Ok((file.stat()?.kind == Kind::File).then_some(file))
    }

    fn open_dir(&mut self, path: &[u8], follow: bool) -> io::Result<LindDir> {
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        let file = HostFile::open(path, O_RDONLY | O_DIRECTORY | nofollow, 0)?;
        Ok(LindDir {
            file,
            entries: Dirents64::default(),
        })
    }

    fn read_link(&mut self, path: &[u8], buf: &mut [u8]) -> io::Result<usize> {
        let p = c_path(path)?;
        let len = buf.len().min(i32::MAX as usize);
        let n = check(own_call(
            SYS_READLINK,
            [
                p.as_ptr() as u64,
                buf.as_mut_ptr() as u64,
                len as u64,
                0,
                0,
                0,
            ],
            [PTR, PTR, VAL, VAL, VAL, VAL],
        ))?;
        if n >= len {
            return Err(io::Error::from_raw_os_error(36)); // may be cut: ENAMETOOLONG
        }
        Ok(n)
    }

    /// mkdir of every parent of `path`; existing ones are fine (upstream
    /// ignores failures too: the create that follows reports them).
    fn make_parents(&mut self, path: &[u8]) -> io::Result<()> {
        // Each '/' past the first byte ends a parent: "/a/b/f" gives "/a", "/a/b".
        for (i, _) in path
            .iter()
            .enumerate()
            .filter(|&(i, &b)| b == b'/' && i > 0)
        {
            let _ = path_call(SYS_MKDIR, &path[..i], 0o755);
        }
        Ok(())
    }

    fn make_dir(&mut self, path: &[u8], mode: u32) -> io::Result<()> {
        path_call(SYS_MKDIR, path, mode as u64).map(|_| ())
    }

    fn create(&mut self, path: &[u8], mode: u32, follow: bool) -> io::Result<HostFile> {
        let nofollow = if follow { 0 } else { O_NOFOLLOW };
        HostFile::open(path, O_CREAT | O_WRONLY | O_TRUNC | nofollow, mode as u64)
    }

    fn finish_file(
        &mut self,
        file: &mut HostFile,
        mode: u32,
        atime: Timespec,
        mtime: Timespec,
    ) -> io::Result<()> {
        check(own_call(
            SYS_FCHMOD,
            [file.fd as u64, mode as u64, 0, 0, 0, 0],
            [VAL; 6],
        ))?;
        // utimensat(fd, NULL, times, 0) is RawPOSIX's futimens.
        let times: [i64; 4] = [atime.sec, atime.nsec, mtime.sec, mtime.nsec];
        check(own_call(
            SYS_UTIMENSAT,
            [file.fd as u64, 0, times.as_ptr() as u64, 0, 0, 0],
            [VAL, VAL, PTR, VAL, VAL, VAL],
        ))
        .map(|_| ())
    }

    fn symlink(&mut self, target: &[u8], path: &[u8]) -> io::Result<()> {
        let (t, p) = (c_path(target)?, c_path(path)?);
        check(own_call(
            SYS_SYMLINK,
            [t.as_ptr() as u64, p.as_ptr() as u64, 0, 0, 0, 0],
            [PTR, PTR, VAL, VAL, VAL, VAL],
        ))
        .map(|_| ())
    }

    fn remove(&mut self, path: &[u8]) -> io::Result<()> {
        path_call(SYS_UNLINK, path, 0).map(|_| ())
    }

    fn set_mode(&mut self, path: &[u8], mode: u32) -> io::Result<()> {
        path_call(SYS_CHMOD, path, mode as u64).map(|_| ())
    }

    fn set_times(
        &mut self,
        path: &[u8],
        atime: Timespec,
        mtime: Timespec,
        follow: bool,
    ) -> io::Result<()> {
        let p = c_path(path)?;
        let times: [i64; 4] = [atime.sec, atime.nsec, mtime.sec, mtime.nsec];
        let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
        check(own_call(
            SYS_UTIMENSAT,
            [
                AT_FDCWD as i64 as u64,
                p.as_ptr() as u64,
                times.as_ptr() as u64,
                flags as u64,
                0,
                0,
            ],
            [VAL, PTR, PTR, VAL, VAL, VAL],
        ))
        .map(|_| ())
    }
}
