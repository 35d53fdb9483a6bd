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

/// `default` cases unless PROPTEST_CASES says otherwise; failures are not
/// persisted (the printed minimal case is the reproduction).
fn cases(default: u32) -> ProptestConfig {
    let n = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default);
    ProptestConfig {
        failure_persistence: None,
        ..ProptestConfig::with_cases(n)
    }
}

fn universe() -> Arc<Universe> {
    Arc::new(Universe::for_host())
}

proptest! {
    #![proptest_config(cases(64))]

    #[test]
    fn imfs_matches_tmpfs(ops in universe().ops(1..150)) {
        let uid = unsafe { libc::geteuid() };
        let gid = unsafe { libc::getegid() };
        let mut core = CoreFs::<256, 512, 256, 4096, 64>::new(uid, gid);
        let mut host = HostFs::new();
        run_pair(&mut host, &mut core, &ops, &universe())?;
    }

    #[test]
    fn model_matches_tmpfs(ops in universe().ops(1..150)) {
        prop_assume!(unsafe { libc::geteuid() } == 0, "the model assumes a root caller");
        let mut model = Model::new(Caps::unbounded(4096));
        let mut host = HostFs::new();
        run_pair(&mut host, &mut model, &ops, &universe())?;
    }
}
