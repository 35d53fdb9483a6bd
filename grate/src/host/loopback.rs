//! An in-process host for tests and benchmarks, in the spirit of smoltcp's
//! loopback device: each cage's memory is a byte arena at a fixed base
//! address (so 0 and anything outside the arena fault), fds live in a
//! [`LocalFdTable`], the clock is a settable value that counts its reads, and calls the grate hands
//! back ([`Reply::Continue`]) are recorded. With [`Loopback::lind_copies`]
//! its memory follows Lind's copy rules ([`super::whole_copy`]).

use std::collections::HashMap;
use std::sync::atomic::{AtomicI64, AtomicU64, Ordering};

use super::specials_model::SpecialsModel;
use super::whole_copy::{self, WholeCopy};
use super::{Abi, CageId, Creds, FdTable, Host, Reply, Specials};
use crate::fdtable::LocalFdTable;
use crate::Grate;
use imfs_core::{Clock, Errno, Timespec};

/// Address of the first byte of every cage's arena.
pub const BASE: u64 = 0x1_0000;

/// The loopback host.
pub struct Loopback {
    abi: Abi,
    /// The cages' fd tables.
    pub table: LocalFdTable,
    mem: HashMap<CageId, Arena>,
    /// The time stamped on changes, and how often it was read.
    pub clock: &'static LoopbackClock,
    /// `--mount PREFIX` emulation.
    pub prefix: Option<Vec<u8>>,
    /// Host cwd per cage (mount mode).
    pub host_cwds: HashMap<CageId, Vec<u8>>,
    /// Host directories behind host fds (mount mode), by (cage, fd).
    pub host_fd_dirs: HashMap<(CageId, i32), Vec<u8>>,
    /// (cage, syscall number) of every call that came back as Continue.
    pub continued: Vec<(CageId, u64)>,
    /// Credentials every cage runs with.
    pub creds: Creds,
    /// FIFOs and sockets, modelled (no data moves).
    pub specials: SpecialsModel,
    /// Strings are read as Lind's 3i copies them: whole, only when the NUL
    /// lies within the length, failures undistinguished (then told apart by
    /// [`whole_copy::read_cstr`], as the Lind adapter does).
    pub lind_copies: bool,
}

/// A settable clock that counts its reads, so tests can tell which calls
/// consult it.
#[derive(Debug)]
pub struct LoopbackClock {
    sec: AtomicI64,
    nsec: AtomicI64,
    reads: AtomicU64,
}

impl LoopbackClock {
    /// A clock at `time`. Leaked: a call's [`imfs_core::Now`] holds its clock
    /// as `&'static`, like the real hosts' clocks, so it can live beside the
    /// host borrowed mutably; one small leak per test host.
    fn new(time: Timespec) -> &'static LoopbackClock {
        Box::leak(Box::new(LoopbackClock {
            sec: AtomicI64::new(time.sec),
            nsec: AtomicI64::new(time.nsec),
            reads: AtomicU64::new(0),
        }))
    }

    /// From now on the clock says `time`.
    pub fn set(&self, time: Timespec) {
        self.sec.store(time.sec, Ordering::Relaxed);
        self.nsec.store(time.nsec, Ordering::Relaxed);
    }

    /// How many times the clock was read.
    pub fn reads(&self) -> u64 {
        self.reads.load(Ordering::Relaxed)
    }
}

impl Clock for LoopbackClock {
    fn now(&self) -> Timespec {
        self.reads.fetch_add(1, Ordering::Relaxed);
        Timespec {
            sec: self.sec.load(Ordering::Relaxed),
            nsec: self.nsec.load(Ordering::Relaxed),
        }
    }
}

/// One cage's memory and its bump allocator.
struct Arena {
    bytes: Vec<u8>,
    next: usize,
}

impl Loopback {
    /// A host whose cages use `abi`'s layouts; no cages yet.
    pub fn new(abi: Abi) -> Loopback {
        Loopback {
            abi,
            table: LocalFdTable::new(),
            mem: HashMap::new(),
            clock: LoopbackClock::new(Timespec {
                sec: 1_700_000_000,
                nsec: 0,
            }),
            prefix: None,
            host_cwds: HashMap::new(),
            host_fd_dirs: HashMap::new(),
            continued: Vec::new(),
            creds: Creds::ids(0, 0),
            specials: SpecialsModel::default(),
            lind_copies: false,
        }
    }

    /// A Lind host: Lind's layouts and Lind's copy rules.
    pub fn lind() -> Loopback {
        Loopback {
            lind_copies: true,
            ..Loopback::new(Abi::Lind)
        }
    }

    /// Gives `cage` `size` bytes of memory at [`BASE`] and starts it in the grate.
    pub fn start(&mut self, grate: &mut Grate, cage: CageId, size: usize) -> Result<(), Errno> {
        self.mem.insert(
            cage,
            Arena {
                bytes: vec![0; size],
                next: 0,
            },
        );
        grate.cage_start(self, cage)
    }

    /// Forks `parent` into `child`: memory copied, grate told.
    pub fn fork(&mut self, grate: &mut Grate, parent: CageId, child: CageId) -> Result<(), Errno> {
        grate.cage_fork(self, parent, child)?;
        let copy = self.mem.get(&parent).map(|a| Arena {
            bytes: a.bytes.clone(),
            next: a.next,
        });
        if let Some(a) = copy {
            self.mem.insert(child, a);
        }
        Ok(())
    }

    /// `cage` exec'd.
    pub fn exec(&mut self, grate: &mut Grate, cage: CageId) {
        grate.cage_exec(self, cage);
    }

    /// `cage` exited: the grate releases it, its memory goes.
    pub fn exit(&mut self, grate: &mut Grate, cage: CageId) {
        grate.cage_exit(self, cage);
        self.mem.remove(&cage);
    }

    /// Issues a syscall; Continue is recorded and returned as is.
    pub fn call(&mut self, grate: &mut Grate, cage: CageId, nr: u64, args: [u64; 6]) -> Reply {
        let r = grate.dispatch(self, cage, nr, args);
        if r == Reply::Continue {
            self.continued.push((cage, nr));
        }
        r
    }

    /// Reserves `len` zeroed bytes in the cage's arena (8-aligned): their address.
    pub fn alloc(&mut self, cage: CageId, len: usize) -> u64 {
        let a = self.mem.get_mut(&cage).expect("cage has memory");
        let at = (a.next + 7) & !7;
        assert!(at + len <= a.bytes.len(), "loopback arena exhausted");
        a.bytes[at..at + len].fill(0);
        a.next = at + len;
        BASE + at as u64
    }

    /// Copies `data` into fresh memory of the cage: its address.
    pub fn put(&mut self, cage: CageId, data: &[u8]) -> u64 {
        let addr = self.alloc(cage, data.len());
        self.write_mem(cage, addr, data).expect("fresh memory");
        addr
    }

    /// A NUL-terminated copy of `s` in the cage: its address.
    pub fn put_str(&mut self, cage: CageId, s: &[u8]) -> u64 {
        let addr = self.alloc(cage, s.len() + 1);
        self.write_mem(cage, addr, s).expect("fresh memory");
        addr
    }

    /// Overwrites the cage's memory at `addr` (panics when unmapped).
    pub fn put_at(&mut self, cage: CageId, addr: u64, data: &[u8]) {
        self.write_mem(cage, addr, data).expect("mapped");
    }

    /// `len` bytes of the cage's memory at `addr`.
    pub fn get(&self, cage: CageId, addr: u64, len: usize) -> Vec<u8> {
        let r = self.range(cage, addr, len).expect("mapped");
        self.mem[&cage].bytes[r].to_vec()
    }

    /// The address one past the cage's last mapped byte.
    pub fn end(&self, cage: CageId) -> u64 {
        BASE + self.mem[&cage].bytes.len() as u64
    }

    fn range(&self, cage: CageId, addr: u64, len: usize) -> Option<std::ops::Range<usize>> {
        let a = self.mem.get(&cage)?;
        let start = usize::try_from(addr.checked_sub(BASE)?).ok()?;
        let end = start.checked_add(len)?;
        (end <= a.bytes.len()).then_some(start..end)
    }
}

impl Host for Loopback {
    fn read_mem(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<(), Errno> {
        let r = self.range(cage, addr, buf.len()).ok_or(Errno::EFAULT)?;
        buf.copy_from_slice(&self.mem[&cage].bytes[r]);
        Ok(())
    }

    fn write_mem(&mut self, cage: CageId, addr: u64, data: &[u8]) -> Result<(), Errno> {
        let r = self.range(cage, addr, data.len()).ok_or(Errno::EFAULT)?;
        self.mem.get_mut(&cage).expect("checked").bytes[r].copy_from_slice(data);
        Ok(())
    }

    fn read_cstr(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> Result<usize, Errno> {
        if self.lind_copies {
            return whole_copy::read_cstr(self, cage, addr, buf);
        }
        let a = self.mem.get(&cage).ok_or(Errno::EFAULT)?;
        let start = addr
            .checked_sub(BASE)
            .and_then(|s| usize::try_from(s).ok())
            .ok_or(Errno::EFAULT)?;
        if start >= a.bytes.len() {
            return Err(Errno::EFAULT);
        }
        let avail = &a.bytes[start..];
        let window = &avail[..avail.len().min(buf.len())];
        match window.iter().position(|&b| b == 0) {
            Some(n) => {
                buf[..n].copy_from_slice(&window[..n]);
                Ok(n)
            }
            // Ran off the arena before the buffer filled: unreadable.
            None if window.len() < buf.len() => Err(Errno::EFAULT),
            None => Err(Errno::ENAMETOOLONG),
        }
    }

    fn clock(&self) -> &'static dyn Clock {
        self.clock
    }

    fn abi(&self) -> Abi {
        self.abi
    }

    fn mount_prefix(&self) -> Option<&[u8]> {
        self.prefix.as_deref()
    }

    fn host_cwd(&mut self, cage: CageId, buf: &mut [u8]) -> Result<usize, Errno> {
        let cwd = self.host_cwds.get(&cage).map_or(&b"/"[..], |c| &c[..]);
        let dst = buf.get_mut(..cwd.len()).ok_or(Errno::ENAMETOOLONG)?;
        dst.copy_from_slice(cwd);
        Ok(cwd.len())
    }

    fn host_dir_of_fd(&mut self, cage: CageId, fd: i32, buf: &mut [u8]) -> Result<usize, Errno> {
        let dir = self.host_fd_dirs.get(&(cage, fd)).ok_or(Errno::ENOTDIR)?;
        let dst = buf.get_mut(..dir.len()).ok_or(Errno::ENAMETOOLONG)?;
        dst.copy_from_slice(dir);
        Ok(dir.len())
    }

    fn fds(&mut self) -> &mut dyn FdTable {
        &mut self.table
    }

    fn creds(&mut self, _cage: CageId) -> Creds {
        self.creds
    }

    fn specials(&mut self) -> Option<&mut dyn Specials> {
        Some(&mut self.specials)
    }
}

/// Lind's 3i copy (`copy_data_between_cages`): all or nothing, one failure.
impl WholeCopy for Loopback {
    fn copy_bytes(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> bool {
        self.read_mem(cage, addr, buf).is_ok()
    }

    fn copy_string(&mut self, cage: CageId, addr: u64, buf: &mut [u8]) -> bool {
        let Some(a) = self.mem.get(&cage) else {
            return false;
        };
        let Some(start) = addr.checked_sub(BASE).and_then(|s| usize::try_from(s).ok()) else {
            return false;
        };
        let avail = a.bytes.get(start..).unwrap_or(&[]);
        let window = &avail[..avail.len().min(buf.len())];
        match window.iter().position(|&b| b == 0) {
            Some(n) => {
                buf[..=n].copy_from_slice(&window[..=n]);
                true
            }
            None => false,
        }
    }
}
