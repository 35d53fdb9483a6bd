//! [`LindHost`]: the dispatch's [`Host`] on Lind.
//!
//! Cage memory is reached with `copy_data_between_cages`. Pointer arguments
//! arrive already translated to host addresses by the cage's glibc and are
//! passed through untouched; the grate's own buffers are plain wasm offsets,
//! which copy_data_between_cages translates itself (GRATE_MEMORY_FLAG is only
//! for make_threei_call).
//!
//! 3i hands every argument with the cage that owns it. Usually every owner is
//! the calling cage, but a grate stacked above this one may rewrite a path into
//! its own memory; [`Call::owner_of`] finds the owner of an address so the
//! dispatch can keep passing the calling cage.

use std::ffi::c_int;

use grate_rs::constants::lind::{ELINDAPIABORTED, GRATE_MEMORY_FLAG};
use grate_rs::{getcageid, make_threei_call, GrateError};
use imfs_core::{Clock, Errno, Timespec};
use imfs_grate::host::whole_copy::{self, WholeCopy};
use imfs_grate::host::{Abi, CageId, Creds, FdTable, Host};

use crate::fds::LindFdTable;

/// copy_data_between_cages' copytypes.
const COPY_BYTES: u64 = 0;
const COPY_STRING: u64 = 1;

unsafe extern "C" {
    /// lind-glibc's 3i copy (src/glibc/lind_syscall/lind_syscall.c), called
    /// directly for its raw result: grate-rs's wrapper compares this C int
    /// `as u64` with ELINDAPIABORTED, so a failed copy (the sign-extended
    /// 0xE001_0001) reads as success there.
    #[link_name = "copy_data_between_cages"]
    fn copy_data_raw(
        thiscage: u64,
        targetcage: u64,
        srcaddr: u64,
        srccage: u64,
        destaddr: u64,
        destcage: u64,
        len: u64,
        copytype: u64,
    ) -> c_int;
}

unsafe extern "C" {
    /// lind-glibc's clock_gettime (src/glibc/sysdeps/unix/sysv/linux/clock_gettime.c):
    /// RawPOSIX runs the host's, which writes a host `struct timespec`. Not
    /// `SystemTime::now`: std's wasip1 build names the clock `_CLOCK_REALTIME`,
    /// a wasi-libc symbol lind-glibc does not define (the link fails).
    fn clock_gettime(clock: c_int, ts: *mut i64) -> c_int;
}

/// Linux's CLOCK_REALTIME.
const CLOCK_REALTIME: c_int = 0;

/// What a failed copy returns through the C int (3i returns `destaddr` on
/// success, truncated; the grate's buffers and cage strings are never at an
/// address whose low 32 bits are this odd value and a successful copy at one
/// would only be misreported as a fault).
const COPY_FAILED: c_int = ELINDAPIABORTED as u32 as c_int;

/// One 3i copy of `len` bytes (or a string of at most `len`): whether it happened.
#[allow(clippy::too_many_arguments)]
fn copy(
    this: CageId,
    src: u64,
    srccage: CageId,
    dst: u64,
    dstcage: CageId,
    len: usize,
    copytype: u64,
) -> bool {
    // SAFETY: 3i checks both ranges against the cages' memory maps before it copies.
    let r = unsafe { copy_data_raw(this, this, src, srccage, dst, dstcage, len as u64, copytype) };
    r != COPY_FAILED
}

const SYS_GETUID: u32 = 102;
const SYS_GETGID: u32 = 104;
const SYS_GETEUID: u32 = 107;
const SYS_GETEGID: u32 = 108;

/// One intercepted call as 3i delivered it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Call {
    pub nr: u64,
    pub args: [u64; 6],
    pub cages: [u64; 6],
}

impl Call {
    /// The calling cage: the owner of an argument that is never a pointer
    /// (an fd, flags or a mode), which no stacked grate rewrites. Calls
    /// whose arguments are all pointers fall back to arg1's owner, as
    /// upstream imfs-grate does.
    pub fn caller(&self) -> CageId {
        let i = match self.nr {
            // open(path, flags), creat/access/truncate/mkdir/chmod/chown/lchown/mknod(path, n),
            // getcwd(buf, size)
            2 | 85 | 21 | 76 | 83 | 90 | 92 | 94 | 133 | 79 => 1,
            // readlink(path, buf, size)
            89 => 2,
            // symlinkat(target, newdirfd, path)
            266 => 1,
            // Everything else has an fd, dirfd or flag first (or only pointers).
            _ => 0,
        };
        self.cages[i] & !GRATE_MEMORY_FLAG
    }

    /// The cage that owns the memory at `addr`: the owner of the pointer
    /// argument it is, or lies past (a buffer streamed in pieces); the
    /// calling cage for anything else (iovec entries, ...).
    pub fn owner_of(&self, addr: u64, caller: CageId) -> CageId {
        let owner = |i: usize| self.cages[i] & !GRATE_MEMORY_FLAG;
        if let Some(i) = (0..6).find(|&i| addr != 0 && self.args[i] == addr) {
            return owner(i);
        }
        (0..6)
            .filter(|&i| owner(i) != caller && self.args[i] != 0 && self.args[i] <= addr)
            .min_by_key(|&i| addr - self.args[i])
            .map(owner)
            .unwrap_or(caller)
    }
}

/// The Lind host: this grate's cage id, the call being served, the fd tables.
pub struct LindHost {
    this: CageId,
    call: Call,
    fds: LindFdTable,
    /// Each cage's ids, asked from the runtime once per cage.
    creds: Vec<(CageId, Creds)>,
}

impl LindHost {
    /// `log`: `--log`, for the fd tables' reports.
    pub fn new(log: bool) -> LindHost {
        let this = getcageid();
        LindHost {
            this,
            call: Call::default(),
            fds: LindFdTable::new(this, log),
            creds: Vec::new(),
        }
    }

    /// This grate's own cage id.
    pub fn this_cage(&self) -> CageId {
        self.this
    }

    /// Starts serving `call`: memory accesses resolve owners against its arguments.
    pub fn begin(&mut self, call: Call) {
        self.call = call;
    }

    /// The fd tables: the cage-limit check before a fork, the runtime's placeholders.
    pub fn fd_table(&self) -> &LindFdTable {
        &self.fds
    }

    /// Forgets what was cached about an exited cage.
    pub fn forget(&mut self, cage: CageId) {
        self.creds.retain(|&(c, _)| c != cage);
    }

    fn owner(&self, cage: CageId, addr: u64) -> CageId {
        self.call.owner_of(addr, cage)
    }

    /// Copies from the cage's `addr` into `buf` with copy_data_between_cages'
    /// `copytype` (COPY_STRING stops after a NUL): whether it happened.
    fn copy_in(&self, cage: CageId, addr: u64, buf: &mut [u8], copytype: u64) -> bool {
        let src = self.owner(cage, addr);
        let dst = buf.as_mut_ptr() as u64;
        copy(self.this, addr, src, dst, self.this, buf.len(), copytype)
    }

    /// Asks the runtime for one of the cage's ids (getuid/geteuid/...).
    fn ask_id(&self, nr: u32, cage: CageId) -> u32 {
        let r = forward(nr, self.this, cage, [0; 6], [cage; 6]);
        u32::try_from(r).unwrap_or(0)
    }
}

impl Default for LindHost {
    fn default() -> Self {
        Self::new(false)
    }
}

/// 3i's copies as [`whole_copy`] models them.
impl WholeCopy for LindHost {
    fn copy_bytes(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> bool {
        self.copy_in(cage, addr, buf, COPY_BYTES)
    }

    fn copy_string(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> bool {
        self.copy_in(cage, addr, buf, COPY_STRING)
    }
}

impl Host for LindHost {
    fn read_mem(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        if buf.is_empty() {
            return Ok(());
        }
        if addr == 0 || !self.copy_in(cage, addr, buf, COPY_BYTES) {
            return Err(Errno::EFAULT);
        }
        Ok(())
    }

    fn write_mem(&mut self, cage: CageId, addr: u64, data: &[u8]) -> Result<(), Errno> {
        if data.is_empty() {
            return Ok(());
        }
        let dst = self.owner(cage, addr);
        let src = data.as_ptr() as u64;
        if addr == 0 || !copy(self.this, src, self.this, addr, dst, data.len(), COPY_BYTES) {
            return Err(Errno::EFAULT);
        }
        Ok(())
    }

    fn read_cstr(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        whole_copy::read_cstr(self, cage, addr, buf)
    }

    fn clock(&self) -> &'static dyn Clock {
        &RealtimeClock
    }

    fn abi(&self) -> Abi {
        Abi::Lind
    }

    fn fds(&mut self) -> &mut dyn FdTable {
        &mut self.fds
    }

    fn creds(&mut self, cage: CageId) -> Creds {
        if let Some(&(_, creds)) = self.creds.iter().find(|(c, _)| *c == cage) {
            return creds;
        }
        let (uid, gid) = (
            self.ask_id(SYS_GETEUID, cage),
            self.ask_id(SYS_GETEGID, cage),
        );
        let real = (self.ask_id(SYS_GETUID, cage), self.ask_id(SYS_GETGID, cage));
        // Lind has no supplementary groups to ask for.
        let creds = Creds {
            real: (real != (uid, gid)).then_some(real),
            ..Creds::ids(uid, gid)
        };
        // Bounded like the cages themselves; exited cages are forgotten.
        if self.creds.len() < imfs_core::config::CAGES {
            self.creds.push((cage, creds));
        }
        creds
    }
}

/// Issues syscall `nr` through 3i as `this` grate, acting on `target`,
/// without errno translation: the raw return value, `-errno` on failure.
pub fn forward(nr: u32, this: CageId, target: CageId, a: [u64; 6], c: [u64; 6]) -> i32 {
    match make_threei_call(
        nr, 0, this, target, a[0], c[0], a[1], c[1], a[2], c[2], a[3], c[3], a[4], c[4], a[5],
        c[5], 0,
    ) {
        Ok(r) => r,
        Err(GrateError::MakeSyscallError(r)) => r,
        Err(_) => -Errno::EIO.code(),
    }
}

/// `forward` for a call on this grate's own behalf, with `ptrs` marking the
/// arguments that point into the grate's memory (GRATE_MEMORY_FLAG).
pub fn own_call(nr: u32, a: [u64; 6], ptrs: [bool; 6]) -> i32 {
    let this = getcageid();
    let c = ptrs.map(|p| if p { this | GRATE_MEMORY_FLAG } else { this });
    forward(nr, this, this, a, c)
}

/// The runtime's CLOCK_REALTIME. Each read is a runtime call, so the core
/// asks only when it stamps a time.
struct RealtimeClock;

impl Clock for RealtimeClock {
    fn now(&self) -> Timespec {
        let mut ts = [0i64; 2];
        // SAFETY: the runtime writes one host `struct timespec` (two i64) at `ts`.
        if unsafe { clock_gettime(CLOCK_REALTIME, ts.as_mut_ptr()) } != 0 {
            return Timespec { sec: 0, nsec: 0 };
        }
        Timespec {
            sec: ts[0],
            nsec: ts[1],
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn owner_is_the_argument_the_address_belongs_to() {
        // A stacked grate (7) rewrote arg1 (a path) of cage 3's call.
        let call = Call {
            nr: 2,
            args: [0x1_0000_1000, 0, 0o644, 0, 0, 0],
            cages: [7, 3, 3, 3, 3, 3],
        };
        assert_eq!(call.caller(), 3);
        assert_eq!(call.owner_of(0x1_0000_1000, 3), 7);
        // Past the start of the rewritten buffer: still the stacked grate's.
        assert_eq!(call.owner_of(0x1_0000_1010, 3), 7);
        // Unrelated addresses belong to the caller.
        assert_eq!(call.owner_of(0x10, 3), 3);
        // Nothing rewritten: everything is the caller's.
        let plain = Call {
            nr: 0,
            args: [4, 0x2_0000_0000, 100, 0, 0, 0],
            cages: [3; 6],
        };
        assert_eq!(plain.caller(), 3);
        assert_eq!(plain.owner_of(0x2_0000_0040, 3), 3);
    }
}

