//! [`LindFdTable`]: the cages' fd tables kept in `fdtables`, the per-cage
//! virtual fd library Lind's runtime and grates share.
//!
//! An entry's `fdkind` says whose fd it is: [`IMFS_KIND`] (an imfs open file
//! description, `underfd` = `OfdId::raw()`) or [`HOST_KIND`] (the runtime's
//! fd, `underfd` = its number; today only stdio 0-2, which keep their number).
//!
//! fdtables panics on an unknown cage (and on initialising a known one), so
//! every call here is guarded by `check_cage_exists`. Its close handlers are
//! not used: the core counts references to descriptions itself and the
//! dispatch closes every description this table hands back, so a "last
//! reference" handler would close them twice.

use fdtables::FDTableEntry;
use imfs_core::{config, Errno, OfdId};
use imfs_grate::host::{CageId, FdEntry, FdTable};

/// fdkind of imfs fds.
pub const IMFS_KIND: u32 = 1;
/// fdkind of the runtime's fds (passed through).
pub const HOST_KIND: u32 = 2;

/// fds 0, 1 and 2: the runtime's stdio.
const STDIO: u64 = 3;

/// fds per cage: imfs.toml's limit, within fdtables' own cap.
fn fd_limit() -> u64 {
    (config::FDS_PER_CAGE as u64).min(fdtables::FD_PER_PROCESS_MAX)
}

/// Per-cage tables in fdtables' global store; this struct only counts cages
/// against imfs.toml's `cages`.
pub struct LindFdTable {
    live: Vec<CageId>,
}

impl LindFdTable {
    pub fn new() -> LindFdTable {
        LindFdTable {
            live: Vec::with_capacity(config::CAGES),
        }
    }

    /// True when one more cage would pass the `cages` limit.
    pub fn cages_full(&self) -> bool {
        self.live.len() >= config::CAGES
    }

    /// Creates `cage`'s table with 0-2 the runtime's; EAGAIN past the limit.
    fn create(&mut self, cage: CageId) -> Result<(), Errno> {
        if fdtables::check_cage_exists(cage) {
            return Ok(());
        }
        if self.cages_full() {
            return Err(Errno::EAGAIN);
        }
        fdtables::init_empty_cage(cage);
        for fd in 0..STDIO.min(fd_limit()) {
            // Cannot fail: the cage exists and fd is below the limit.
            let _ = fdtables::get_specific_virtual_fd(cage, fd, HOST_KIND, fd, false, 0);
        }
        self.live.push(cage);
        Ok(())
    }

    /// The cage's table, created on first use (a cage the grate was never told about).
    fn ensure(&mut self, cage: CageId) -> Result<(), Errno> {
        self.create(cage)
    }

    fn forget(&mut self, cage: CageId) {
        self.live.retain(|&c| c != cage);
    }

    fn entry(cage: CageId, fd: i32) -> Option<FDTableEntry> {
        let fd = u64::try_from(fd).ok()?;
        if !fdtables::check_cage_exists(cage) {
            return None;
        }
        fdtables::translate_virtual_fd(cage, fd).ok()
    }

    /// The imfs entries of a cage's table, as (fd, ofd, cloexec).
    fn imfs_entries(cage: CageId) -> Vec<(i32, OfdId, bool)> {
        if !fdtables::check_cage_exists(cage) {
            return Vec::new();
        }
        fdtables::return_fdtable_copy(cage)
            .into_iter()
            .filter(|(_, e)| e.fdkind == IMFS_KIND)
            .map(|(fd, e)| (fd as i32, OfdId::from_raw(e.underfd), e.should_cloexec))
            .collect()
    }
}

impl Default for LindFdTable {
    fn default() -> Self {
        Self::new()
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
        self.ensure(cage)?;
        if min >= fd_limit() {
            return Err(Errno::EMFILE);
        }
        // Not get_unused_virtual_fd: muthashmax hands out never-used numbers
        // first, while POSIX wants the lowest free one; this scans from `min`.
        let fd = fdtables::get_unused_virtual_fd_from_startfd(
            cage,
            IMFS_KIND,
            ofd.raw(),
            cloexec,
            0,
            min,
        )
        .map_err(|_| Errno::EMFILE)?;
        if fd >= fd_limit() {
            // Free below fdtables' cap but past imfs.toml's: undo.
            let _ = fdtables::close_virtualfd(cage, fd);
            return Err(Errno::EMFILE);
        }
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
        self.ensure(cage)?;
        let old = fdtables::translate_virtual_fd(cage, fd).ok();
        fdtables::get_specific_virtual_fd(cage, fd, IMFS_KIND, ofd.raw(), cloexec, 0)
            .map_err(|_| Errno::EBADF)?;
        Ok(old
            .filter(|e| e.fdkind == IMFS_KIND)
            .map(|e| OfdId::from_raw(e.underfd)))
    }

    fn get(&self, cage: CageId, fd: i32) -> Option<FdEntry> {
        if !fdtables::check_cage_exists(cage) {
            // Not started yet: only the inherited stdio exists.
            return (0..STDIO as i32).contains(&fd).then_some(FdEntry::Host);
        }
        let e = Self::entry(cage, fd)?;
        match e.fdkind {
            IMFS_KIND => Some(FdEntry::Imfs {
                ofd: OfdId::from_raw(e.underfd),
                cloexec: e.should_cloexec,
            }),
            _ => Some(FdEntry::Host),
        }
    }

    fn remove(&mut self, cage: CageId, fd: i32) -> Option<OfdId> {
        let e = Self::entry(cage, fd)?;
        fdtables::close_virtualfd(cage, fd as u64).ok()?;
        (e.fdkind == IMFS_KIND).then(|| OfdId::from_raw(e.underfd))
    }

    fn set_cloexec(&mut self, cage: CageId, fd: i32, cloexec: bool) -> Result<(), Errno> {
        let e = Self::entry(cage, fd).ok_or(Errno::EBADF)?;
        if e.fdkind != IMFS_KIND {
            // The runtime keeps its own flag for its fds.
            return Ok(());
        }
        fdtables::set_cloexec(cage, fd as u64, cloexec).map_err(|_| Errno::EBADF)
    }

    fn fork(&mut self, parent: CageId, child: CageId) -> Result<(), Errno> {
        if fdtables::check_cage_exists(child) {
            return Err(Errno::EEXIST);
        }
        if self.cages_full() {
            return Err(Errno::EAGAIN);
        }
        if !fdtables::check_cage_exists(parent) {
            // A parent the grate never saw has only stdio: so has the child.
            return self.create(child);
        }
        fdtables::copy_fdtable_for_cage(parent, child).map_err(|_| Errno::EAGAIN)?;
        self.live.push(child);
        Ok(())
    }

    fn exec(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        if !fdtables::check_cage_exists(cage) {
            return;
        }
        // Hand back the descriptions first: empty_fds_for_exec drops the entries.
        for (_, ofd, cloexec) in Self::imfs_entries(cage) {
            if cloexec {
                closed(ofd);
            }
        }
        fdtables::empty_fds_for_exec(cage);
    }

    fn exit(&mut self, cage: CageId, closed: &mut dyn FnMut(OfdId)) {
        for (_, ofd, _) in Self::imfs_entries(cage) {
            closed(ofd);
        }
        // A no-op for an unknown cage.
        fdtables::remove_cage_from_fdtable(cage);
        self.forget(cage);
    }

    fn imfs_fds(&self, cage: CageId, f: &mut dyn FnMut(i32, OfdId)) {
        for (fd, ofd, _) in Self::imfs_entries(cage) {
            f(fd, ofd);
        }
    }

    fn cage_start(&mut self, cage: CageId) -> Result<(), Errno> {
        self.create(cage)
    }

    fn is_full(&self, cage: CageId) -> bool {
        if !fdtables::check_cage_exists(cage) {
            return fd_limit() <= STDIO;
        }
        // The lowest free fd is usually small, so this probe ends early.
        (0..fd_limit()).all(|fd| fdtables::translate_virtual_fd(cage, fd).is_ok())
    }
}
