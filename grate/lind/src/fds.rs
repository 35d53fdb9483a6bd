//! [`LindFdTable`]: the cages' imfs fds, kept in `fdtables` (the per-cage
//! virtual fd library Lind's runtime and grates share), numbered by the
//! runtime.
//!
//! The runtime (RawPOSIX) numbers the fds it creates itself (pipe, socket,
//! anything this grate forwards) in its own table, which knows nothing of
//! imfs. So that the two never hand out the same number, every imfs fd is
//! backed in the runtime's table by a placeholder: a duplicate of one of the
//! cage's stdio fds, made with `fcntl(F_DUPFD)` (lowest free number) or
//! `dup3` (a given number) issued to the runtime for the cage. The runtime
//! thus chooses each imfs fd's number, never reuses it while the imfs fd
//! lives, copies it on fork and closes it on exec exactly when the imfs fd
//! is cloexec. The placeholder is never used for I/O: the grate serves every
//! call on the fd. This is the native host's SECCOMP_IOCTL_NOTIF_ADDFD
//! scheme (`imfs_grate::host::native::fds`).
//!
//! The table holds imfs fds only (`fdkind` [`IMFS_KIND`], `underfd` =
//! `OfdId::raw()`, `perfdinfo` [`PLACEHOLDER`] when the runtime holds one);
//! every other fd number is the runtime's ([`FdEntry::Host`]), which answers
//! EBADF itself for one it does not have.
//!
//! fdtables panics on an unknown cage (and on initialising a known one), so
//! every call here is guarded by `check_cage_exists`. Its close handlers are
//! not used: the core counts references to descriptions itself and the
//! dispatch closes every description this table hands back, so a "last
//! reference" handler would close them twice.

use fdtables::FDTableEntry;
use imfs_core::{config, Errno, OfdId};
use imfs_grate::host::placeholders::{self, Placeholder, RuntimeFds};
use imfs_grate::host::{CageId, FdEntry, FdTable};

use crate::host::forward;

/// fdkind of imfs fds.
pub const IMFS_KIND: u32 = 1;

/// perfdinfo of an imfs fd backed by a placeholder in the runtime's table;
/// 0 when it was numbered here because the cage had no stdio fd to copy.
const PLACEHOLDER: u64 = 1;

/// The fds a placeholder can be copied from: the cage's stdio.
const STDIO: [u64; 3] = [0, 1, 2];

const SYS_CLOSE: u32 = 3;
const SYS_FCNTL: u32 = 72;
const SYS_DUP3: u32 = 292;
const F_DUPFD: u64 = 0;
const F_GETFD: u64 = 1;
const F_SETFD: u64 = 2;
const F_DUPFD_CLOEXEC: u64 = 1030;
const FD_CLOEXEC: u64 = 1;
const O_CLOEXEC: u64 = 0o2000000;

/// How close to the fd limit a cage's imfs fds, or the number the runtime
/// last picked as lowest free, must come before [`FdTable::is_full`] asks
/// the runtime; below that it costs nothing.
const NEAR_FULL: u64 = 64;

/// fds per cage: imfs.toml's limit, within fdtables' own cap. imfs fds
/// are numbered below it.
fn fd_limit() -> u64 {
    (config::FDS_PER_CAGE as u64).min(fdtables::FD_PER_PROCESS_MAX)
}

/// Per-cage tables in fdtables' global store; this struct counts cages
/// against imfs.toml's `cages` and issues the placeholder calls.
pub struct LindFdTable {
    /// This grate's cage id, the issuer of the calls to the runtime.
    this: CageId,
    /// `--log`: report when a cage has no stdio to copy a placeholder from.
    log: bool,
    /// Per live cage, the fd the runtime last picked as the lowest free one:
    /// every fd below it was taken then, so a high one means a dense table.
    live: Vec<(CageId, u64)>,
}

impl LindFdTable {
    pub fn new(this: CageId, log: bool) -> LindFdTable {
        LindFdTable {
            this,
            log,
            live: Vec::with_capacity(config::CAGES),
        }
    }

    /// True when one more cage would pass the `cages` limit.
    pub fn cages_full(&self) -> bool {
        self.live.len() >= config::CAGES
    }

    /// Creates `cage`'s (empty) table; EAGAIN past the limit.
    fn create(&mut self, cage: CageId) -> Result<(), Errno> {
        if fdtables::check_cage_exists(cage) {
            return Ok(());
        }
        if self.cages_full() {
            return Err(Errno::EAGAIN);
        }
        fdtables::init_empty_cage(cage);
        self.live.push((cage, 0));
        Ok(())
    }

    fn forget(&mut self, cage: CageId) {
        self.live.retain(|&(c, _)| c != cage);
    }

    fn lowest_seen(&self, cage: CageId) -> u64 {
        self.live
            .iter()
            .find(|&&(c, _)| c == cage)
            .map_or(0, |&(_, seen)| seen)
    }

    fn note_lowest(&mut self, cage: CageId, fd: u64) {
        if let Some(entry) = self.live.iter_mut().find(|(c, _)| *c == cage) {
            entry.1 = fd;
        }
    }

    fn entry(cage: CageId, fd: i32) -> Option<FDTableEntry> {
        let fd = u64::try_from(fd).ok()?;
        if !fdtables::check_cage_exists(cage) {
            return None;
        }
        fdtables::translate_virtual_fd(cage, fd).ok()
    }

    /// The imfs entries of a cage's table, as (fd, entry).
    fn imfs_entries(cage: CageId) -> Vec<(u64, FDTableEntry)> {
        if !fdtables::check_cage_exists(cage) {
            return Vec::new();
        }
        fdtables::return_fdtable_copy(cage)
            .into_iter()
            .filter(|(_, e)| e.fdkind == IMFS_KIND)
            .collect()
    }

    /// Issues `nr(args)` to the runtime on behalf of `cage`: `-errno` on failure.
    /// The grate's own calls are not interposed on by its handlers (3i looks
    /// handlers up by the issuing cage), so this reaches the runtime.
    fn runtime(&self, cage: CageId, nr: u32, a0: u64, a1: u64, a2: u64) -> i32 {
        forward(nr, self.this, cage, [a0, a1, a2, 0, 0, 0], [cage; 6])
    }

    /// A new placeholder at the lowest free fd >= `min` of the cage in the
    /// runtime's table: Ok(None) when the cage has no stdio fd to copy or the
    /// runtime cannot make one; EMFILE when its table is full.
    fn placeholder_lowest(
        &self,
        cage: CageId,
        min: u64,
        cloexec: bool,
    ) -> Result<Option<u64>, Errno> {
        match placeholders::placeholder_lowest(&mut self.runtime_fds(), cage, min, cloexec)? {
            Placeholder::Made(fd) => Ok(Some(fd)),
            Placeholder::NoStdio => Ok(None),
            // EINVAL: `min` past its limit, or the command unsupported.
            Placeholder::Refused(r) => {
                self.log_refused(cage, "fcntl(F_DUPFD)", r);
                Ok(None)
            }
        }
    }

    /// The runtime's fd tables, as [`placeholders`] asks them.
    fn runtime_fds(&self) -> Runtime<'_> {
        Runtime(self)
    }

    /// A placeholder at exactly `fd` (whatever the runtime had there is
    /// closed, as dup2 does): false when the cage has no other stdio fd to
    /// copy or the runtime refuses.
    fn placeholder_at(&self, cage: CageId, fd: u64, cloexec: bool) -> Result<bool, Errno> {
        let flags = if cloexec { O_CLOEXEC } else { 0 };
        for k in STDIO.into_iter().filter(|&k| k != fd) {
            match self.runtime(cage, SYS_DUP3, k, fd, flags) {
                r if r >= 0 => return Ok(true),
                r if r == -Errno::EBADF.code() => continue,
                r => {
                    self.log_refused(cage, "dup3", r);
                    return Ok(false);
                }
            }
        }
        Ok(false)
    }

    /// True when `fd` of `cage` is an imfs fd backed by a placeholder.
    pub fn has_placeholder(&self, cage: CageId, fd: i32) -> bool {
        Self::entry(cage, fd).is_some_and(|e| e.fdkind == IMFS_KIND && e.perfdinfo == PLACEHOLDER)
    }

    /// Frees the runtime's placeholder at `fd` once the imfs fd there is gone.
    pub fn close_placeholder(&self, cage: CageId, fd: i32) {
        if let Ok(fd) = u64::try_from(fd) {
            let _ = self.runtime(cage, SYS_CLOSE, fd, 0, 0);
        }
    }

    /// The cage's cloexec imfs fds backed by placeholders (what exec closes).
    pub fn cloexec_placeholders(&self, cage: CageId) -> Vec<i32> {
        Self::imfs_entries(cage)
            .into_iter()
            .filter(|(_, e)| e.should_cloexec && e.perfdinfo == PLACEHOLDER)
            .map(|(fd, _)| fd as i32)
            .collect()
    }

    /// The cage's imfs fds in `first..=last` backed by placeholders.
    pub fn placeholders_in(&self, cage: CageId, first: u64, last: u64) -> Vec<i32> {
        Self::imfs_entries(cage)
            .into_iter()
            .filter(|(fd, e)| (first..=last).contains(fd) && e.perfdinfo == PLACEHOLDER)
            .map(|(fd, _)| fd as i32)
            .collect()
    }

    /// Makes the runtime's placeholder at `fd` back the imfs entry there,
    /// with the entry's cloexec flag.
    fn adopt(&self, cage: CageId, fd: u64, cloexec: bool) {
        let _ = fdtables::set_perfdinfo(cage, fd, PLACEHOLDER);
        let flag = if cloexec { FD_CLOEXEC } else { 0 };
        let _ = self.runtime(cage, SYS_FCNTL, fd, F_SETFD, flag);
    }

    fn log_refused(&self, cage: CageId, what: &str, r: i32) {
        if self.log {
            eprintln!("[imfs] cage {cage}: the runtime refused the placeholder {what}: {r}");
        }
    }

    fn log_no_stdio(&self, cage: CageId) {
        if self.log {
            eprintln!(
                "[imfs] cage {cage} has no stdio fd to back an imfs fd in the runtime: \
                 numbering it in the grate (it may collide with the runtime's fds)"
            );
        }
    }
}

/// The runtime's side of the fd tables, reached through 3i.
struct Runtime<'a>(&'a LindFdTable);

impl RuntimeFds for Runtime<'_> {
    fn dupfd(&mut self, cage: CageId, fd: u64, min: u64, cloexec: bool) -> i32 {
        let cmd = if cloexec { F_DUPFD_CLOEXEC } else { F_DUPFD };
        self.0.runtime(cage, SYS_FCNTL, fd, cmd, min)
    }

    fn getfd(&mut self, cage: CageId, fd: u64) -> i32 {
        self.0.runtime(cage, SYS_FCNTL, fd, F_GETFD, 0)
    }
}

impl Default for LindFdTable {
    fn default() -> Self {
        Self::new(grate_rs::getcageid(), false)
    }
}

impl FdTable for LindFdTable {
    fn insert_lowest(
        &mut self,
        cage: CageId,
        min: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<i32, Errno> {
        let min = u64::try_from(min).map_err(|_| Errno::EINVAL)?;
        self.create(cage)?;
        if min >= fd_limit() {
            return Err(Errno::EMFILE);
        }
        let mut from = min;
        let fd = loop {
            match self.placeholder_lowest(cage, from, cloexec)? {
                Some(fd) if fd >= fd_limit() => {
                    // Free in the runtime but past imfs.toml's limit: undo.
                    self.close_placeholder(cage, fd as i32);
                    return Err(Errno::EMFILE);
                }
                Some(fd) => {
                    if let Ok(stale) = fdtables::translate_virtual_fd(cage, fd) {
                        // An imfs fd the runtime had no placeholder for (numbered
                        // here without stdio): the new placeholder now backs it.
                        self.adopt(cage, fd, stale.should_cloexec);
                        from = fd + 1;
                        continue;
                    }
                    if from == 0 {
                        self.note_lowest(cage, fd);
                    }
                    fdtables::get_specific_virtual_fd(
                        cage,
                        fd,
                        IMFS_KIND,
                        ofd.raw(),
                        cloexec,
                        PLACEHOLDER,
                    )
                    .map_err(|_| {
                        self.close_placeholder(cage, fd as i32);
                        Errno::EMFILE
                    })?;
                    break fd;
                }
                None => {
                    self.log_no_stdio(cage);
                    // The lowest number free in both tables, so it never
                    // shadows a live runtime fd (a pipe, a socket).
                    let taken = |fd: u64| fdtables::translate_virtual_fd(cage, fd).is_ok();
                    let fd = placeholders::lowest_free_in_both(
                        &mut self.runtime_fds(),
                        cage,
                        min,
                        fd_limit(),
                        &taken,
                    )?;
                    fdtables::get_specific_virtual_fd(cage, fd, IMFS_KIND, ofd.raw(), cloexec, 0)
                        .map_err(|_| Errno::EMFILE)?;
                    break fd;
                }
            }
        };
        Ok(fd as i32)
    }

    fn insert_at(
        &mut self,
        cage: CageId,
        fd: i32,
        ofd: OfdId,
        cloexec: bool,
    ) -> Result<Option<OfdId>, Errno> {
        let fd = u64::try_from(fd)
            .ok()
            .filter(|&fd| fd < fd_limit())
            .ok_or(Errno::EBADF)?;
        self.create(cage)?;
        let old = fdtables::translate_virtual_fd(cage, fd).ok();
        // The runtime's slot first: a host fd there is closed, as dup2 does.
        let perfdinfo = if self.placeholder_at(cage, fd, cloexec)? {
            PLACEHOLDER
        } else if old.is_some_and(|e| e.perfdinfo == PLACEHOLDER) {
            // The displaced imfs fd's placeholder stays and backs this one.
            self.adopt(cage, fd, cloexec);
            PLACEHOLDER
        } else {
            self.log_no_stdio(cage);
            0
        };
        if old.is_some() {
            // Freed first: some fdtables versions refuse a taken number.
            let _ = fdtables::close_virtualfd(cage, fd);
        }
        fdtables::get_specific_virtual_fd(cage, fd, IMFS_KIND, ofd.raw(), cloexec, perfdinfo)
            .map_err(|_| Errno::EBADF)?;
        Ok(old
            .filter(|e| e.fdkind == IMFS_KIND)
            .map(|e| OfdId::from_raw(e.underfd)))
    }

    fn get(&self, cage: CageId, fd: i32) -> Option<FdEntry> {
        if fd < 0 {
            return None;
        }
        match Self::entry(cage, fd) {
            Some(e) if e.fdkind == IMFS_KIND => Some(FdEntry::Imfs {
                ofd: OfdId::from_raw(e.underfd),
                cloexec: e.should_cloexec,
            }),
            // The runtime's (it answers EBADF for a number it does not have).
            _ => Some(FdEntry::Host),
        }
    }

    /// Bookkeeping only: the handlers free the placeholder after the close
    /// ([`LindFdTable::close_placeholder`]); dup2 of a host fd over it and
    /// close_range replace or close it in the runtime themselves.
    fn remove(&mut self, cage: CageId, fd: i32) -> Option<OfdId> {
        let e = Self::entry(cage, fd)?;
        fdtables::close_virtualfd(cage, fd as u64).ok()?;
        (e.fdkind == IMFS_KIND).then(|| OfdId::from_raw(e.underfd))
    }

    fn set_cloexec(&mut self, cage: CageId, fd: i32, cloexec: bool) -> Result<(), Errno> {
        let e = Self::entry(cage, fd).ok_or(Errno::EBADF)?;
        if e.fdkind != IMFS_KIND {
            return Err(Errno::EBADF);
        }
        if e.perfdinfo == PLACEHOLDER {
            // So the runtime's exec closes exactly the placeholders whose imfs fds close.
            let flag = if cloexec { FD_CLOEXEC } else { 0 };
            let r = self.runtime(cage, SYS_FCNTL, fd as u64, F_SETFD, flag);
            if r < 0 && self.log {
                eprintln!("[imfs] cage {cage}: F_SETFD on the placeholder at {fd}: {r}");
            }
        }
        fdtables::set_cloexec(cage, fd as u64, cloexec).map_err(|_| Errno::EBADF)
    }

    /// The runtime copies its own table, placeholders included.
    fn fork(&mut self, parent: CageId, child: CageId) -> Result<(), Errno> {
        if fdtables::check_cage_exists(child) {
            return Err(Errno::EEXIST);
        }
        if self.cages_full() {
            return Err(Errno::EAGAIN);
        }
        if !fdtables::check_cage_exists(parent) {
            // A parent the grate never saw has no imfs fds: nor has the child.
            return self.create(child);
        }
        fdtables::copy_fdtable_for_cage(parent, child).map_err(|_| Errno::EAGAIN)?;
        let seen = self.lowest_seen(parent);
        self.live.push((child, seen));
        Ok(())
    }

    /// The runtime closes the cloexec placeholders in its own exec.
    fn exec(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        if !fdtables::check_cage_exists(cage) {
            return;
        }
        // Hand back the descriptions first: empty_fds_for_exec drops the entries.
        for (_, e) in Self::imfs_entries(cage) {
            if e.should_cloexec {
                closed(OfdId::from_raw(e.underfd));
            }
        }
        fdtables::empty_fds_for_exec(cage);
    }

    /// The runtime drops the placeholders with the cage.
    fn exit(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        for (_, e) in Self::imfs_entries(cage) {
            closed(OfdId::from_raw(e.underfd));
        }
        // A no-op for an unknown cage.
        fdtables::remove_cage_from_fdtable(cage);
        self.forget(cage);
    }

    fn imfs_fds(&self, cage: CageId, f: &mut dyn FnMut(i32, OfdId)) {
        for (fd, e) in Self::imfs_entries(cage) {
            f(fd as i32, OfdId::from_raw(e.underfd));
        }
    }

    /// The runtime knows: F_GETFD answers EBADF for an fd it does not have.
    fn host_fd_open(&self, cage: CageId, fd: i32) -> bool {
        let Ok(fd) = u64::try_from(fd) else {
            return false;
        };
        self.runtime(cage, SYS_FCNTL, fd, F_GETFD, 0) != -Errno::EBADF.code()
    }

    fn cage_start(&mut self, cage: CageId) -> Result<(), Errno> {
        self.create(cage)
    }

    /// Exact, so that open(O_CREAT) on a full table creates nothing: the
    /// runtime's table also holds fds the grate never sees, so when the
    /// imfs fds or the last lowest free number come near the limit, the
    /// runtime is asked for its lowest free fd (a placeholder made and
    /// closed again).
    fn is_full(&self, cage: CageId) -> bool {
        let limit = fd_limit();
        if !fdtables::check_cage_exists(cage) {
            return limit == 0;
        }
        // The lowest fd free in this table: usually small, so the probe ends early.
        let ours = (0..limit)
            .find(|&fd| fdtables::translate_virtual_fd(cage, fd).is_err())
            .unwrap_or(limit);
        if ours >= limit {
            return true;
        }
        if ours.max(self.lowest_seen(cage)) + NEAR_FULL < limit {
            return false;
        }
        match self.placeholder_lowest(cage, 0, true) {
            Ok(Some(fd)) => {
                self.close_placeholder(cage, fd as i32);
                fd >= limit
            }
            // No stdio to probe with: this table is all there is to go by.
            Ok(None) => false,
            Err(_) => true,
        }
    }
}
