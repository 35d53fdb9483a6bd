//! Plain values that cross the core's API.

use core::cell::Cell;
use core::fmt;

/// A point in time: seconds and nanoseconds since the epoch.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default, PartialOrd, Ord)]
pub struct Timespec {
    pub sec: i64,
    pub nsec: i64,
}

/// Where a call's time comes from: the host's clock. The core has none.
pub trait Clock {
    /// The current time.
    fn now(&self) -> Timespec;
}

/// The time of one call, read when the core first stamps a time and kept for
/// the rest of the call, so one call stamps one time. Calls that stamp nothing
/// (stat, a read whose atime stays, lseek, close, ...) never read the clock,
/// which can be a host call of its own (in Lind, a runtime call).
#[derive(Clone, Default)]
pub struct Now {
    clock: Option<&'static dyn Clock>,
    /// The time once read (or given).
    read: Cell<Option<Timespec>>,
}

impl Now {
    /// A fixed time: no clock is asked.
    pub const fn at(time: Timespec) -> Now {
        Now {
            clock: None,
            read: Cell::new(Some(time)),
        }
    }

    /// `clock`'s time, asked at most once, when first needed.
    pub const fn from(clock: &'static dyn Clock) -> Now {
        Now {
            clock: Some(clock),
            read: Cell::new(None),
        }
    }

    /// The call's time; asks the clock the first time (the epoch when there
    /// is neither clock nor time).
    pub fn get(&self) -> Timespec {
        if let Some(time) = self.read.get() {
            return time;
        }
        let time = self.clock.map(|c| c.now()).unwrap_or_default();
        self.read.set(Some(time));
        time
    }
}

impl fmt::Debug for Now {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.read.get() {
            Some(time) => write!(f, "Now({time:?})"),
            None => f.write_str("Now(not read yet)"),
        }
    }
}

/// Who is calling and when: supplied by the caller on every operation, since
/// the core has no clock and no notion of processes. One `Ctx` serves one
/// call: its time, once read, stays.
///
/// Build it with struct update syntax (`Ctx { uid, gid, ..Ctx::default() }`)
/// so that fields added later keep callers compiling.
#[derive(Clone, Debug, Default)]
pub struct Ctx {
    /// The time stamped on whatever the operation changes ([`Ctx::now`]).
    pub time: Now,
    /// Effective uid and gid: owners of new nodes, subjects of permission checks
    /// (uid 0 bypasses them as on Linux, except that exec needs some x bit).
    pub uid: u32,
    pub gid: u32,
    /// Supplementary groups: a file's group matches the caller when it is
    /// `gid` or one of these (permission checks, chown, setgid rules).
    pub groups: Groups,
    /// Real uid and gid, which access(2) without AT_EACCESS checks instead
    /// of the effective ones; `None` means the same as `uid`/`gid`.
    pub real: Option<(u32, u32)>,
}

impl Ctx {
    /// The call's time, read from the clock on first use.
    pub fn now(&self) -> Timespec {
        self.time.get()
    }

    /// Whether `gid` is the caller's group: its (effective) gid or a
    /// supplementary one, as Linux's in_group_p.
    pub fn in_group(&self, gid: u32) -> bool {
        self.gid == gid || self.groups.contains(gid)
    }

    /// The same caller with its real ids made effective: whom access(2)
    /// checks. Root's bypass then follows the real uid, as Linux's
    /// access_override_creds drops capabilities for a non-root real uid.
    pub fn with_real_ids(&self) -> Ctx {
        let (uid, gid) = self.real.unwrap_or((self.uid, self.gid));
        Ctx {
            uid,
            gid,
            ..self.clone()
        }
    }
}

/// A small fixed-capacity set of supplementary group ids (Copy, no
/// allocation). Holds at most [`Groups::CAPACITY`]; ids past that are
/// ignored, which can only deny access a larger set would grant.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Groups {
    len: u8,
    /// `gids[..len]` are the members; the rest stay zero so that equality
    /// compares sets built the same way.
    gids: [u32; Groups::CAPACITY],
}

impl Groups {
    /// Supplementary groups kept; more are ignored.
    pub const CAPACITY: usize = 32;

    /// No supplementary groups.
    pub const fn new() -> Groups {
        Groups {
            len: 0,
            gids: [0; Groups::CAPACITY],
        }
    }

    /// The first [`Groups::CAPACITY`] distinct ids of `gids`.
    pub fn from_slice(gids: &[u32]) -> Groups {
        let mut groups = Groups::new();
        for &gid in gids {
            groups.insert(gid);
        }
        groups
    }

    /// Adds `gid`; false when the set is full (it is then ignored).
    pub fn insert(&mut self, gid: u32) -> bool {
        if self.contains(gid) {
            return true;
        }
        match self.gids.get_mut(self.len as usize) {
            Some(slot) => {
                *slot = gid;
                self.len += 1;
                true
            }
            None => false,
        }
    }

    pub fn contains(&self, gid: u32) -> bool {
        self.as_slice().contains(&gid)
    }

    pub fn as_slice(&self) -> &[u32] {
        self.gids.get(..self.len as usize).unwrap_or(&[])
    }

    pub fn len(&self) -> usize {
        self.len as usize
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }
}

/// A handle on an open file description (what a file descriptor points at).
/// The grate keeps these in its fd tables; `raw`/`from_raw` let an fd table
/// that stores integers (Lind's fdtables) hold one. The core checks a raw
/// handle on every use, so a stale or forged one gives EBADF, never a panic.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
pub struct OfdId(pub(crate) u32);

impl OfdId {
    pub const fn raw(self) -> u64 {
        self.0 as u64
    }
    pub const fn from_raw(raw: u64) -> OfdId {
        OfdId(if raw > u32::MAX as u64 {
            u32::MAX
        } else {
            raw as u32
        })
    }
}

/// File status as stat(2) reports it, independent of any struct layout.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    /// Type and permission bits (`flags::S_IF*`).
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    /// 512-byte blocks really used (chunks held, holes excluded).
    pub blocks: u64,
    pub atime: Timespec,
    pub mtime: Timespec,
    pub ctime: Timespec,
}

/// Filesystem totals as statfs(2) reports them, exact from the pools.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct StatFs {
    pub fs_type: u64,
    pub bsize: u64,
    pub blocks: u64,
    pub bfree: u64,
    pub bavail: u64,
    pub files: u64,
    pub ffree: u64,
    pub fsid: u64,
    pub namelen: u64,
    pub frsize: u64,
    pub flags: u64,
}

/// One directory entry as readdir hands it out.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct DirEntry<'a> {
    pub ino: u64,
    /// The cookie that resumes iteration after this entry (getdents' d_off;
    /// lseek(fd, cookie, SEEK_SET) on the directory goes back to it).
    pub next: u64,
    /// `flags::DT_*`.
    pub kind: u8,
    pub name: &'a [u8],
}

/// Use of one pool.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct PoolUsage {
    pub used: u32,
    pub high_water: u32,
    pub capacity: u32,
}

/// Use of every pool, for `--stats` and tests.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Default)]
pub struct Usage {
    pub nodes: PoolUsage,
    pub dirents: PoolUsage,
    pub chunks: PoolUsage,
    pub open_files: PoolUsage,
}

/// What the invariant checker found wrong. Never expected; a test failure.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub enum Corruption {
    /// Free list, counters or high-water mark of the named pool disagree with its slots.
    PoolAccounting(&'static str),
    /// A live node neither named by an entry nor held open (index given).
    OrphanNode(u32),
    /// A node's nlink differs from the entries naming it (index, nlink, entries).
    LinkCount(u32, u32, u32),
    /// A directory entry names a free node or sits in a non-directory (entry index).
    BadEntry(u32),
    /// The name index and the entries disagree (entry index).
    NameIndex(u32),
    /// A chunk is owned twice, by a free node, or past its file's size (chunk index).
    Chunk(u32),
    /// A node's chunk count or size is wrong (node index).
    NodeData(u32),
    /// An open file description is broken (index).
    OpenFile(u32),
    /// A directory's parent link or its own entry is wrong (node index).
    Tree(u32),
}
