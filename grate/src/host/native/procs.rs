//! What /proc and pidfds tell about the traced processes.

use crate::host::Creds;
use imfs_core::Groups;
use std::io;
use std::os::fd::{FromRawFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;

/// The thread group (process) thread `tid` belongs to.
pub fn tgid_of(tid: u32) -> Option<u32> {
    status_field(tid, "Tgid:")
}

/// True when thread `tid` is (still) a member of process `tgid`: one
/// signal-0 probe, cheap enough for every notification.
pub fn thread_in(tgid: u32, tid: u32) -> bool {
    // SAFETY: tgkill with signal 0 only checks existence and permission.
    unsafe {
        libc::syscall(
            libc::SYS_tgkill,
            tgid as libc::c_long,
            tid as libc::c_long,
            0,
        ) == 0
    }
}

/// The process tracing thread `tid` (None when untraced or gone).
pub fn tracer_of(tid: u32) -> Option<u32> {
    status_field(tid, "TracerPid:").filter(|&pid| pid != 0)
}

/// The parent process of process `pid` (field 4 of /proc/PID/stat).
pub fn ppid_of(pid: u32) -> Option<u32> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) may hold spaces and parentheses: skip past its last ')'.
    let rest = &stat[stat.rfind(')')? + 1..];
    rest.split_whitespace().nth(1)?.parse().ok()
}

/// The live (or zombie) children thread `tid` of process `tgid` forked.
pub fn children_of(tgid: u32, tid: u32) -> Vec<u32> {
    std::fs::read_to_string(format!("/proc/{tgid}/task/{tid}/children"))
        .map(|s| {
            s.split_whitespace()
                .filter_map(|p| p.parse().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Thread `tid`'s credentials from /proc/TID/status: the filesystem uid
/// and gid (what Linux checks access with and stamps on new files; the 4th
/// value of Uid:/Gid:), the real ones (the 1st, which access(2) checks) and
/// the supplementary groups.
pub fn creds_of(tid: u32) -> Option<Creds> {
    parse_creds(&std::fs::read_to_string(format!("/proc/{tid}/status")).ok()?)
}

/// [`creds_of`] on the text of a status file.
fn parse_creds(status: &str) -> Option<Creds> {
    let ids = |key: &str| -> Option<(u32, u32)> {
        let mut v = status
            .lines()
            .find_map(|l| l.strip_prefix(key))?
            .split_whitespace();
        let real = v.next()?.parse().ok()?;
        let fs = v.nth(2)?.parse().ok()?;
        Some((real, fs))
    };
    let ((ruid, uid), (rgid, gid)) = (ids("Uid:")?, ids("Gid:")?);
    let mut groups = Groups::new();
    if let Some(list) = status.lines().find_map(|l| l.strip_prefix("Groups:")) {
        for gid in list.split_whitespace().filter_map(|g| g.parse().ok()) {
            groups.insert(gid);
        }
    }
    Some(Creds {
        uid,
        gid,
        groups,
        real: ((ruid, rgid) != (uid, gid)).then_some((ruid, rgid)),
    })
}

/// True when thread `tid` has a signal pending that it will take into a
/// handler: pending for the thread (or for its process, when the thread is
/// the only one, so that no other thread can take it first), not blocked,
/// and caught. (A fatal one ends a killable wait by itself.)
pub fn has_signal_to_handle(tid: u32) -> bool {
    let Ok(status) = std::fs::read_to_string(format!("/proc/{tid}/status")) else {
        return false;
    };
    signal_to_handle(&status)
}

/// [`has_signal_to_handle`] on the text of a status file.
fn signal_to_handle(status: &str) -> bool {
    let mask = |key: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(key))
            .and_then(|v| u64::from_str_radix(v.trim(), 16).ok())
            .unwrap_or(0)
    };
    let only_thread = status
        .lines()
        .find_map(|l| l.strip_prefix("Threads:"))
        .is_some_and(|v| v.trim() == "1");
    let shared = if only_thread { mask("ShdPnd:") } else { 0 };
    (mask("SigPnd:") | shared) & !mask("SigBlk:") & mask("SigCgt:") != 0
}

/// Process `pid`'s umask.
pub fn umask_of(pid: u32) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let octal = status.lines().find_map(|l| l.strip_prefix("Umask:"))?;
    u32::from_str_radix(octal.trim(), 8).ok()
}

/// The grate's own live (or zombie) children, whichever of its threads
/// they hang from.
pub fn own_children() -> Vec<u32> {
    let me = std::process::id();
    let Ok(tasks) = std::fs::read_dir("/proc/self/task") else {
        return Vec::new();
    };
    tasks
        .filter_map(|t| t.ok()?.file_name().to_str()?.parse::<u32>().ok())
        .flat_map(|tid| children_of(me, tid))
        .collect()
}

fn status_field(pid: u32, key: &str) -> Option<u32> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    status
        .lines()
        .find_map(|l| l.strip_prefix(key))
        .and_then(|v| v.trim().parse().ok())
}

/// A pidfd for process `pid`: readable once the whole process has exited,
/// whoever its parent is (the grate only reaps its own children and orphans).
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: pidfd_open takes two integers and returns a new fd or -1.
    let fd = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::c_long, 0 as libc::c_long) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: a fresh fd we own (pidfds are cloexec).
    Ok(unsafe { OwnedFd::from_raw_fd(fd as i32) })
}

/// The absolute path of process `pid`'s cwd.
pub fn cwd_of(pid: u32) -> io::Result<std::path::PathBuf> {
    std::fs::read_link(format!("/proc/{pid}/cwd"))
}

/// The path of the directory `pid`'s fd `fd` is open on; None when it is
/// not an existing directory (a file, a pipe, a removed directory).
pub fn dir_of_fd(pid: u32, fd: i32) -> Option<std::path::PathBuf> {
    let link = format!("/proc/{pid}/fd/{fd}");
    if !std::fs::metadata(&link).ok()?.is_dir() {
        return None;
    }
    let path = std::fs::read_link(&link).ok()?;
    let removed = path.as_os_str().as_bytes().ends_with(b" (deleted)");
    (path.is_absolute() && !removed).then_some(path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::path::Path;

    #[test]
    fn names_the_directory_behind_an_fd() {
        use std::os::fd::AsRawFd;
        let me = std::process::id();
        let dir = std::fs::File::open("/").unwrap();
        assert_eq!(dir_of_fd(me, dir.as_raw_fd()).unwrap(), Path::new("/"));
        let file = std::fs::File::open("/proc/self/status").unwrap();
        assert_eq!(dir_of_fd(me, file.as_raw_fd()), None);
        assert_eq!(dir_of_fd(me, -1), None);
    }

    #[test]
    fn reads_own_process() {
        let me = std::process::id();
        assert_eq!(tgid_of(me), Some(me));
        // SAFETY: getppid has no failure mode.
        assert_eq!(ppid_of(me), Some(unsafe { libc::getppid() } as u32));
        // SAFETY: gettid has no failure mode.
        let tid = unsafe { libc::gettid() } as u32;
        assert_eq!(tgid_of(tid), Some(me));
        assert!(thread_in(me, tid));
        assert!(!thread_in(me, u32::MAX >> 2));
        assert!(cwd_of(me).unwrap().is_absolute());
        // SAFETY: getters without failure modes.
        let ids = unsafe { (libc::geteuid(), libc::getegid()) };
        let creds = creds_of(tid).unwrap();
        assert_eq!((creds.uid, creds.gid), ids);
        // SAFETY: umask only swaps the mask; it is put back at once.
        let mask = unsafe {
            let m = libc::umask(0o027);
            libc::umask(m);
            m
        };
        assert_eq!(umask_of(me), Some(mask));
    }

    #[test]
    fn parses_ids_and_groups_from_status() {
        let status = "Name:\tx\nUid:\t65534\t0\t0\t7\nGid:\t65534\t8\t8\t9\n\
                      Groups:\t4321 5 4321 \nUmask:\t0022\n";
        let c = parse_creds(status).unwrap();
        assert_eq!((c.uid, c.gid, c.real), (7, 9, Some((65534, 65534))));
        assert_eq!(c.groups.as_slice(), &[4321, 5]);
        let same = parse_creds("Uid:\t1\t1\t1\t1\nGid:\t2\t2\t2\t2\nGroups:\n").unwrap();
        assert_eq!(same, Creds::ids(1, 2));
        assert_eq!(parse_creds("Uid:\t1\t1\n"), None);
    }

    #[test]
    fn a_signal_to_handle_is_pending_caught_and_unblocked() {
        let status = |pnd: &str, shd: &str, blk: &str, cgt: &str, threads: u32| {
            format!(
                "Threads:\t{threads}\nSigPnd:\t{pnd}\nShdPnd:\t{shd}\nSigBlk:\t{blk}\n\
                 SigIgn:\t0000000000000000\nSigCgt:\t{cgt}\n"
            )
        };
        let chld = "0000000000010000";
        let none = "0000000000000000";
        assert!(signal_to_handle(&status(chld, none, none, chld, 1)));
        assert!(signal_to_handle(&status(none, chld, none, chld, 1)));
        // Another thread may take a process-wide signal first.
        assert!(!signal_to_handle(&status(none, chld, none, chld, 2)));
        assert!(
            !signal_to_handle(&status(chld, none, chld, chld, 1)),
            "blocked"
        );
        assert!(
            !signal_to_handle(&status(chld, none, none, none, 1)),
            "not caught"
        );
        assert!(
            !signal_to_handle(&status(none, none, none, chld, 1)),
            "none pending"
        );
    }

    #[test]
    fn sees_a_forked_child_and_its_exit() {
        let mut child = std::process::Command::new("sleep")
            .arg("0.1")
            .spawn()
            .unwrap();
        let pid = child.id();
        // SAFETY: gettid has no failure mode.
        let tid = unsafe { libc::gettid() } as u32;
        assert!(children_of(std::process::id(), tid).contains(&pid));
        assert!(own_children().contains(&pid));
        assert_eq!(ppid_of(pid), Some(std::process::id()));
        let fd = pidfd_open(pid).unwrap();
        child.wait().unwrap();
        let mut p = libc::pollfd {
            fd: std::os::fd::AsRawFd::as_raw_fd(&fd),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one live pollfd.
        assert_eq!(unsafe { libc::poll(&mut p, 1, 0) }, 1);
    }
}
