//! The grate's own access to lindfs (the runtime's filesystem) for PRELOADS
//! and DUMPS, through make_threei_call like upstream imfs-grate: in
//! lind-wasm, Rust's `std::fs::metadata` can report a bogus huge size and
//! make `std::fs::read` allocate far too much, so std::fs is not used.
//!
//! Calls target the grate itself, whose syscalls no handler intercepts, so
//! they reach the runtime. Buffers live in the grate's memory and are
//! marked with GRATE_MEMORY_FLAG ([`own_call`]).

use std::ffi::CString;
use std::io::{self, Read, Write};

use imfs_core::flags::{O_CREAT, O_RDONLY, O_TRUNC, O_WRONLY, S_IFMT, S_IFREG};
use imfs_grate::staging::HostFiles;

use crate::host::own_call;

const SYS_READ: u32 = 0;
const SYS_WRITE: u32 = 1;
const SYS_OPEN: u32 = 2;
const SYS_CLOSE: u32 = 3;
const SYS_STAT: u32 = 4;
const SYS_MKDIR: u32 = 83;

/// Lind's `struct stat` is 104 bytes with st_mode at offset 16 (RawPOSIX `StatData`).
const STAT_LEN: usize = 104;
const ST_MODE_AT: usize = 16;

fn c_path(path: &str) -> io::Result<CString> {
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

/// One of the runtime's fds, held by the grate; closed on drop.
pub struct HostFile {
    fd: i32,
}

impl HostFile {
    fn open(path: &str, flags: u32, mode: u64) -> io::Result<HostFile> {
        let p = c_path(path)?;
        let fd = check(own_call(
            SYS_OPEN,
            [p.as_ptr() as u64, flags as u64, mode, 0, 0, 0],
            [true, false, false, false, false, false],
        ))?;
        Ok(HostFile { fd: fd as i32 })
    }
}

impl Read for HostFile {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let len = buf.len().min(i32::MAX as usize) as u64;
        check(own_call(
            SYS_READ,
            [self.fd as u64, buf.as_mut_ptr() as u64, len, 0, 0, 0],
            [false, true, false, false, false, false],
        ))
    }
}

impl Write for HostFile {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let len = buf.len().min(i32::MAX as usize) as u64;
        check(own_call(
            SYS_WRITE,
            [self.fd as u64, buf.as_ptr() as u64, len, 0, 0, 0],
            [false, true, false, false, false, false],
        ))
    }

    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

impl Drop for HostFile {
    fn drop(&mut self) {
        let _ = own_call(SYS_CLOSE, [self.fd as u64, 0, 0, 0, 0, 0], [false; 6]);
    }
}

/// lindfs as PRELOADS/DUMPS see it.
#[derive(Default)]
pub struct LindHostFiles;

impl LindHostFiles {
    /// mkdir of every parent of `path`; existing ones are fine (upstream ignores failures too).
    fn make_parents(path: &str) {
        // Each '/' past the first byte ends a parent: "/a/b/f" gives "/a", "/a/b".
        for (i, _) in path.match_indices('/').filter(|&(i, _)| i > 0) {
            if let Ok(p) = c_path(&path[..i]) {
                let _ = own_call(
                    SYS_MKDIR,
                    [p.as_ptr() as u64, 0o755, 0, 0, 0, 0],
                    [true, false, false, false, false, false],
                );
            }
        }
    }

    /// st_mode of `path`, following symlinks.
    fn mode_of(path: &str) -> io::Result<u32> {
        let p = c_path(path)?;
        let mut st = [0u8; STAT_LEN];
        check(own_call(
            SYS_STAT,
            [p.as_ptr() as u64, st.as_mut_ptr() as u64, 0, 0, 0, 0],
            [true, true, false, false, false, false],
        ))?;
        Ok(u32::from_le_bytes(
            st[ST_MODE_AT..ST_MODE_AT + 4].try_into().expect("4 bytes"),
        ))
    }
}

impl HostFiles for LindHostFiles {
    type Reader = HostFile;
    type Writer = HostFile;

    fn open_regular(&mut self, path: &str) -> io::Result<Option<(HostFile, u32)>> {
        let mode = Self::mode_of(path)?;
        if mode & S_IFMT != S_IFREG {
            return Ok(None);
        }
        Ok(Some((HostFile::open(path, O_RDONLY, 0)?, mode & 0o7777)))
    }

    fn create(&mut self, path: &str, mode: u32) -> io::Result<HostFile> {
        Self::make_parents(path);
        HostFile::open(path, O_CREAT | O_WRONLY | O_TRUNC, mode as u64)
    }
}
