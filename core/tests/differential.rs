//! The same random operation sequences on imfs-core and on a real tmpfs
//! directory (a fresh scratch directory under /dev/shm per case, standing for
//! the root), compared call by call: results, errnos, data, stat fields
//! (type, mode bits, nlink, size), readdir name sets, and which paths share a
//! node. Pools are large enough that imfs never runs out here.
//!
//! The reference model is run against tmpfs the same way, so the oracle of
//! tests/model.rs is itself checked against Linux.

mod support;

use proptest::prelude::*;
use std::sync::Arc;
use support::core_fs::CoreFs;
use support::host::HostFs;
use support::model::{Caps, Model};
use support::*;

/// The ids of the non-root run.
const USER: u32 = 1000;

fn universe() -> Arc<Universe> {
    Arc::new(Universe::for_host())
}

proptest! {
    #![proptest_config(cases(256))]

    #[test]
    fn imfs_matches_tmpfs(ops in universe().ops(20..200)) {
        let uid = unsafe { libc::geteuid() };
        let gid = unsafe { libc::getegid() };
        let mut core = CoreFs::<256, 512, 256, 4096, 64>::new(uid, gid);
        let mut host = HostFs::new();
        run_pair(&mut host, &mut core, &ops, &universe())?;
    }

    /// As a non-root user, so that permission checks (EACCES, EPERM) count.
    #[test]
    fn imfs_matches_tmpfs_as_non_root(ops in universe().ops(20..200)) {
        prop_assume!(unsafe { libc::geteuid() } == 0, "needs root to act as another user");
        let mut host = HostFs::new_as(USER, USER);
        let mut core = CoreFs::<256, 512, 256, 4096, 64>::new(USER, USER);
        run_pair(&mut host, &mut core, &ops, &universe())?;
    }

    #[test]
    fn model_matches_tmpfs(ops in universe().ops(20..200)) {
        prop_assume!(unsafe { libc::geteuid() } == 0, "the model assumes a root caller");
        let mut model = Model::new(Caps::unbounded(4096));
        let mut host = HostFs::new();
        run_pair(&mut host, &mut model, &ops, &universe())?;
    }
}
