//! Credentials: supplementary groups in every group check, and access(2)
//! against the real ids.

#[macro_use]
mod fs_util;
use fs_util::*;
use imfs_core::Groups;

/// uid/gid 65534 with supplementary group 4321.
fn nobody_in(groups: &[u32]) -> Ctx {
    Ctx {
        groups: Groups::from_slice(groups),
        ..user(65534, 65534)
    }
}

#[test]
fn groups_hold_up_to_capacity_without_duplicates() {
    let mut g = Groups::new();
    assert!(g.is_empty());
    assert!(g.insert(7));
    assert!(g.insert(7));
    assert_eq!(g.as_slice(), [7]);
    let many: Vec<u32> = (100..100 + Groups::CAPACITY as u32 + 5).collect();
    let g = Groups::from_slice(&many);
    assert_eq!(g.len(), Groups::CAPACITY);
    assert!(g.contains(100) && g.contains(100 + Groups::CAPACITY as u32 - 1));
    assert!(
        !g.contains(100 + Groups::CAPACITY as u32),
        "extra ids are ignored"
    );
    assert_eq!(Groups::from_slice(&[1, 2]), Groups::from_slice(&[1, 2, 2]));
    let c = nobody_in(&[4321]);
    assert!(c.in_group(65534) && c.in_group(4321) && !c.in_group(0));
}

#[test]
fn a_supplementary_group_grants_group_access() {
    let mut f = fs();
    let c = root();
    put(&mut f, b"/grp", b"g");
    ok!(f, f.chown(&c, None, b"/grp", 0, 4321, true));
    ok!(f, f.chmod(&c, None, b"/grp", 0o040, true));
    let member = nobody_in(&[4321]);
    let other = nobody_in(&[1, 2]);
    let fd = ok!(f, f.open(&member, None, b"/grp", O_RDONLY, 0));
    ok!(f, f.close(fd));
    err!(f, f.open(&member, None, b"/grp", O_WRONLY, 0), EACCES);
    err!(f, f.open(&other, None, b"/grp", O_RDONLY, 0), EACCES);
    ok!(f, f.access(&member, None, b"/grp", R_OK, true));
    err!(f, f.access(&other, None, b"/grp", R_OK, true), EACCES);
    // Search permission on a directory, through the group too.
    ok!(f, f.mkdir(&c, None, b"/d", 0o710));
    ok!(f, f.chown(&c, None, b"/d", 0, 4321, true));
    put(&mut f, b"/d/x", b"x");
    ok!(f, f.access(&member, None, b"/d/x", F_OK, true));
    err!(f, f.access(&other, None, b"/d/x", F_OK, true), EACCES);
    // The owner class still wins over the group one, as Linux.
    ok!(f, f.chown(&c, None, b"/grp", 65534, 4321, true));
    err!(f, f.open(&member, None, b"/grp", O_RDONLY, 0), EACCES);
}

#[test]
fn chown_to_a_supplementary_group_and_setgid_rules() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/stk", 0o1777));
    let u = nobody_in(&[4321]);
    let fd = ok!(f, f.open(&u, None, b"/stk/mine", O_CREAT | O_WRONLY, 0o644));
    ok!(f, f.close(fd));
    ok!(f, f.chown(&u, None, b"/stk/mine", u32::MAX, 4321, true));
    err!(f, f.chown(&u, None, b"/stk/mine", u32::MAX, 1, true), EPERM);
    err!(f, f.chown(&u, None, b"/stk/mine", 0, u32::MAX, true), EPERM);
    // In the file's group through a supplementary one: setgid stays.
    ok!(f, f.chmod(&u, None, b"/stk/mine", 0o2755, true));
    let st = ok!(f, f.stat(&c, None, b"/stk/mine", true));
    assert_eq!((st.mode & 0o7777, st.gid), (0o2755, 4321));
    // Not in the group: chmod drops setgid.
    let outsider = nobody_in(&[]);
    ok!(f, f.chmod(&outsider, None, b"/stk/mine", 0o2755, true));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/stk/mine", true)).mode & 0o7777,
        0o755
    );
    // A write by a member keeps setgid without group x; an outsider's drops it.
    ok!(f, f.chmod(&u, None, b"/stk/mine", 0o2646, true));
    let fd = ok!(f, f.open(&u, None, b"/stk/mine", O_WRONLY, 0));
    assert_eq!(ok!(f, f.write(&u, fd, b"x")), 1);
    ok!(f, f.close(fd));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/stk/mine", true)).mode & 0o7777,
        0o2646
    );
    let fd = ok!(f, f.open(&outsider, None, b"/stk/mine", O_WRONLY, 0));
    ok!(f, f.ftruncate(&outsider, fd, 0));
    ok!(f, f.close(fd));
    assert_eq!(
        ok!(f, f.stat(&c, None, b"/stk/mine", true)).mode & 0o7777,
        0o646
    );
}

#[test]
fn new_files_in_a_setgid_directory_keep_setgid_for_members() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/sg", 0o777));
    ok!(f, f.chown(&c, None, b"/sg", 0, 4321, true));
    ok!(f, f.chmod(&c, None, b"/sg", 0o2777, true));
    let member = nobody_in(&[4321]);
    let outsider = nobody_in(&[]);
    let a = ok!(
        f,
        f.open(&member, None, b"/sg/a", O_CREAT | O_WRONLY, 0o2775)
    );
    let b = ok!(
        f,
        f.open(&outsider, None, b"/sg/b", O_CREAT | O_WRONLY, 0o2775)
    );
    assert_eq!(ok!(f, f.fstat(a)).mode & 0o7777, 0o2775);
    assert_eq!(ok!(f, f.fstat(b)).mode & 0o7777, 0o775);
    assert_eq!(
        (ok!(f, f.fstat(a)).gid, ok!(f, f.fstat(b)).gid),
        (4321, 4321)
    );
    ok!(f, f.close(a));
    ok!(f, f.close(b));
}

#[test]
fn access_checks_the_real_ids_unless_eaccess() {
    let mut f = fs();
    let c = root();
    ok!(f, f.mkdir(&c, None, b"/priv", 0o700));
    put(&mut f, b"/priv/x", b"x");
    put(&mut f, b"/ro", b"ro");
    ok!(f, f.chmod(&c, None, b"/ro", 0o444, true));
    // Real uid 65534, effective 0 (a setuid-root program).
    let suid_root = Ctx {
        real: Some((65534, 65534)),
        ..root()
    };
    let real = |f: &T, p: &[u8], m| f.access_as(&suid_root, None, p, m, true, false);
    let eff = |f: &T, p: &[u8], m| f.access_as(&suid_root, None, p, m, true, true);
    assert_eq!(real(&f, b"/priv/x", F_OK), Err(Errno::EACCES));
    assert_eq!(real(&f, b"/ro", W_OK), Err(Errno::EACCES));
    assert_eq!(real(&f, b"/ro", R_OK), Ok(()));
    assert_eq!(eff(&f, b"/priv/x", F_OK), Ok(()));
    assert_eq!(eff(&f, b"/ro", W_OK), Ok(()));
    assert_eq!(
        f.access(&suid_root, None, b"/ro", W_OK, true),
        Ok(()),
        "access = AT_EACCESS"
    );
    // Other operations keep using the effective ids.
    assert!(f.stat(&suid_root, None, b"/priv/x", true).is_ok());
    // Real root, effective nobody: access passes as root.
    let dropped = Ctx {
        real: Some((0, 0)),
        ..nobody_in(&[])
    };
    assert_eq!(
        f.access_as(&dropped, None, b"/priv/x", R_OK, true, false),
        Ok(())
    );
    assert_eq!(
        f.access_as(&dropped, None, b"/priv/x", R_OK, true, true),
        Err(Errno::EACCES)
    );
    // The supplementary groups count for the real ids too.
    ok!(f, f.chown(&c, None, b"/priv", 0, 4321, true));
    ok!(f, f.chmod(&c, None, b"/priv", 0o750, true));
    let member = Ctx {
        real: Some((65534, 65534)),
        groups: Groups::from_slice(&[4321]),
        ..root()
    };
    assert_eq!(
        f.access_as(&member, None, b"/priv/x", R_OK, true, false),
        Ok(())
    );
    // No real ids given: the effective ones.
    assert_eq!(
        f.access_as(&root(), None, b"/priv/x", W_OK, true, false),
        Ok(())
    );
    assert_eq!(
        f.access_as(&c, None, b"/ro", 8, true, false),
        Err(Errno::EINVAL)
    );
}
