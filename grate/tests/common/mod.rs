//! Shared test harness: a grate and a loopback host with cage 1 started.
#![allow(dead_code)]

#[cfg(unix)]
pub mod host_tree;
#[cfg(target_os = "linux")]
pub mod native;

use imfs_core::Errno;
use imfs_grate::dispatch::nr;
use imfs_grate::host::loopback::Loopback;
use imfs_grate::host::{Abi, CageId, Reply};
use imfs_grate::{Grate, GrateOptions};

/// The cage every test starts with.
pub const CAGE: CageId = 1;
/// Bytes of memory each cage gets.
pub const MEM: usize = 1 << 20;
pub const AT_FDCWD: u64 = -100i64 as u64;

pub fn e(errno: Errno) -> i64 {
    errno.neg()
}

pub struct T {
    pub g: Grate,
    pub h: Loopback,
}

impl T {
    pub fn new() -> T {
        Self::with_abi(Abi::Kernel)
    }

    pub fn with_abi(abi: Abi) -> T {
        let mut g = Grate::new(GrateOptions::default());
        let mut h = Loopback::new(abi);
        h.start(&mut g, CAGE, MEM).expect("start cage 1");
        T { g, h }
    }

    /// A Lind host: Lind's layouts and Lind's copy rules.
    pub fn lind() -> T {
        let mut g = Grate::new(GrateOptions::default());
        let mut h = Loopback::lind();
        h.start(&mut g, CAGE, MEM).expect("start cage 1");
        T { g, h }
    }

    /// Mount mode at `prefix`, cage 1's host cwd at `cwd`.
    pub fn mounted(prefix: &str, cwd: &str) -> T {
        let mut g = Grate::new(GrateOptions::default());
        let mut h = Loopback::new(Abi::Kernel);
        h.prefix = Some(prefix.as_bytes().to_vec());
        h.host_cwds.insert(CAGE, cwd.as_bytes().to_vec());
        h.start(&mut g, CAGE, MEM).expect("start cage 1");
        T { g, h }
    }

    /// The raw reply of a syscall by `cage`.
    pub fn reply(&mut self, cage: CageId, nr: u64, args: &[u64]) -> Reply {
        let mut a = [0u64; 6];
        a[..args.len()].copy_from_slice(args);
        self.h.call(&mut self.g, cage, nr, a)
    }

    /// A syscall by `cage` that the grate must serve: its value.
    pub fn sysc(&mut self, cage: CageId, nr: u64, args: &[u64]) -> i64 {
        match self.reply(cage, nr, args) {
            Reply::Value(v) => v,
            Reply::Continue => panic!("{} passed through", nr::name(nr)),
        }
    }

    /// A syscall by cage 1.
    pub fn sys(&mut self, nr: u64, args: &[u64]) -> i64 {
        self.sysc(CAGE, nr, args)
    }

    /// A NUL-terminated string in cage `cage`'s memory.
    pub fn strc(&mut self, cage: CageId, s: &str) -> u64 {
        self.h.put_str(cage, s.as_bytes())
    }

    pub fn s(&mut self, s: &str) -> u64 {
        self.strc(CAGE, s)
    }

    pub fn buf(&mut self, len: usize) -> u64 {
        self.h.alloc(CAGE, len)
    }

    pub fn data(&mut self, bytes: &[u8]) -> u64 {
        self.h.put(CAGE, bytes)
    }

    pub fn open(&mut self, path: &str, flags: i32, mode: u32) -> i64 {
        let p = self.s(path);
        self.sys(nr::OPEN, &[p, flags as u64, mode as u64])
    }

    pub fn openc(&mut self, cage: CageId, path: &str, flags: i32, mode: u32) -> i64 {
        let p = self.strc(cage, path);
        self.sysc(cage, nr::OPEN, &[p, flags as u64, mode as u64])
    }

    pub fn write(&mut self, fd: i64, bytes: &[u8]) -> i64 {
        let b = self.data(bytes);
        self.sys(nr::WRITE, &[fd as u64, b, bytes.len() as u64])
    }

    pub fn writec(&mut self, cage: CageId, fd: i64, bytes: &[u8]) -> i64 {
        let b = self.h.put(cage, bytes);
        self.sysc(cage, nr::WRITE, &[fd as u64, b, bytes.len() as u64])
    }

    pub fn read(&mut self, fd: i64, len: usize) -> Result<Vec<u8>, i64> {
        self.readc(CAGE, fd, len)
    }

    pub fn readc(&mut self, cage: CageId, fd: i64, len: usize) -> Result<Vec<u8>, i64> {
        let b = self.h.alloc(cage, len);
        let n = self.sysc(cage, nr::READ, &[fd as u64, b, len as u64]);
        if n < 0 {
            return Err(n);
        }
        Ok(self.h.get(cage, b, n as usize))
    }

    pub fn close(&mut self, fd: i64) -> i64 {
        self.sys(nr::CLOSE, &[fd as u64])
    }

    /// Creates `path` with `data`.
    pub fn create(&mut self, path: &str, data: &[u8]) {
        let fd = self.open(path, libc::O_CREAT | libc::O_WRONLY | libc::O_TRUNC, 0o644);
        assert!(fd >= 0, "create {path}: {fd}");
        assert_eq!(self.write(fd, data), data.len() as i64);
        assert_eq!(self.close(fd), 0);
    }

    pub fn mkdir(&mut self, path: &str) -> i64 {
        let p = self.s(path);
        self.sys(nr::MKDIR, &[p, 0o755])
    }

    /// The whole contents of `path`.
    pub fn cat(&mut self, path: &str) -> Result<Vec<u8>, i64> {
        let fd = self.open(path, libc::O_RDONLY, 0);
        if fd < 0 {
            return Err(fd);
        }
        let mut out = Vec::new();
        loop {
            let chunk = self.read(fd, 4096)?;
            if chunk.is_empty() {
                break;
            }
            out.extend(chunk);
        }
        assert_eq!(self.close(fd), 0);
        Ok(out)
    }

    /// Kernel-layout stat of `path`: (mode, size, nlink, ino).
    pub fn stat(&mut self, path: &str) -> Result<libc::stat, i64> {
        let p = self.s(path);
        let b = self.buf(std::mem::size_of::<libc::stat>());
        let r = self.sys(nr::STAT, &[p, b]);
        if r < 0 {
            return Err(r);
        }
        Ok(self.stat_at(b))
    }

    /// Reads a kernel `struct stat` from cage 1's memory.
    pub fn stat_at(&self, addr: u64) -> libc::stat {
        let bytes = self.h.get(CAGE, addr, std::mem::size_of::<libc::stat>());
        // SAFETY: libc::stat is plain old data of exactly this size.
        unsafe { std::ptr::read_unaligned(bytes.as_ptr() as *const libc::stat) }
    }

    /// Open files held in the core.
    pub fn open_files(&self) -> u32 {
        self.g.usage().fs.open_files.used
    }

    pub fn check(&self) {
        self.g.fs().check().expect("fsck");
    }
}
