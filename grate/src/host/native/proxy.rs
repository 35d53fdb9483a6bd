//! Mount mode: reads on host paths the kernel cannot be handed.
//!
//! A path that leaves imfs from inside (`..` above the imfs root from an imfs
//! directory, an absolute symlink target in imfs) names a host file the
//! kernel would not find from the cage's own argument: neither the cage's
//! kernel cwd nor the string it passed can be changed. For the calls that
//! only read (stat, statx, statfs, access, readlink, an open for reading)
//! the grate makes the call itself on the absolute host path, with the
//! caller's filesystem ids and groups, and the dispatch copies the result
//! out or installs the fd. Calls that would change the host get EXDEV.

use crate::dispatch::nr;
use crate::host::Creds;
use std::ffi::CStr;
use std::os::fd::{FromRawFd, OwnedFd};

/// A read the grate makes on a host path for a cage.
#[derive(Clone, Copy, Debug)]
pub enum Read {
    /// stat, lstat, newfstatat: a `struct stat` for `out`.
    Stat { flags: i32, out: u64 },
    /// statx: a `struct statx` for `out`.
    Statx { flags: i32, mask: u32, out: u64 },
    /// statfs: a `struct statfs` for `out`.
    Statfs { out: u64 },
    /// access, faccessat, faccessat2.
    Access { mode: i32, flags: i32 },
    /// readlink, readlinkat: at most `size` bytes for `out`.
    Readlink { out: u64, size: usize },
    /// open, openat without anything that writes.
    Open { flags: i32 },
}

/// What a read produced.
pub enum Done {
    Value(i64),
    /// `len` bytes of `buf` for the cage at `out`, and the call's value.
    Bytes {
        out: u64,
        len: usize,
        value: i64,
    },
    /// An fd to install in the caller.
    Fd {
        fd: OwnedFd,
        cloexec: bool,
    },
}

/// Room for the largest result copied out: a readlink target or a statx.
pub const OUT_LEN: usize = libc::PATH_MAX as usize;

const STAT_LEN: usize = std::mem::size_of::<libc::stat>();
const STATFS_LEN: usize = std::mem::size_of::<libc::statfs>();
const STATX_LEN: usize = 256;

/// Open flags that change the host: those opens are not made for a cage.
const WRITES: i32 = libc::O_WRONLY | libc::O_RDWR | libc::O_CREAT | libc::O_TRUNC | libc::O_TMPFILE;

impl Read {
    /// The read syscall `nr` with `args` is, and which argument is its path;
    /// None for any other call.
    pub fn of(nr: u64, a: &[u64; 6]) -> Option<(usize, Read)> {
        let int = |v: u64| v as u32 as i32;
        Some(match nr {
            nr::STAT => (
                0,
                Read::Stat {
                    flags: 0,
                    out: a[1],
                },
            ),
            nr::LSTAT => (
                0,
                Read::Stat {
                    flags: libc::AT_SYMLINK_NOFOLLOW,
                    out: a[1],
                },
            ),
            nr::NEWFSTATAT => (
                1,
                Read::Stat {
                    flags: int(a[3]),
                    out: a[2],
                },
            ),
            nr::STATX => (
                1,
                Read::Statx {
                    flags: int(a[2]),
                    mask: a[3] as u32,
                    out: a[4],
                },
            ),
            nr::STATFS => (0, Read::Statfs { out: a[1] }),
            nr::ACCESS => (
                0,
                Read::Access {
                    mode: int(a[1]),
                    flags: 0,
                },
            ),
            nr::FACCESSAT => (
                1,
                Read::Access {
                    mode: int(a[2]),
                    flags: 0,
                },
            ),
            nr::FACCESSAT2 => (
                1,
                Read::Access {
                    mode: int(a[2]),
                    flags: int(a[3]),
                },
            ),
            nr::READLINK => (
                0,
                Read::Readlink {
                    out: a[1],
                    size: a[2] as u32 as usize,
                },
            ),
            nr::READLINKAT => (
                1,
                Read::Readlink {
                    out: a[2],
                    size: a[3] as u32 as usize,
                },
            ),
            nr::OPEN => (0, Read::Open { flags: int(a[1]) }),
            nr::OPENAT => (1, Read::Open { flags: int(a[2]) }),
            _ => return None,
        })
    }

    /// Makes the read on `path` with `creds`' filesystem ids and groups;
    /// results to copy out go through `out`.
    pub fn run(self, path: &CStr, creds: &Creds, out: &mut [u8; OUT_LEN]) -> Result<Done, i32> {
        if let Read::Open { flags } = self {
            if flags & WRITES != 0 {
                return Err(libc::EXDEV);
            }
        }
        // access(2) without AT_EACCESS checks the real ids.
        let ids = match self {
            Read::Access { flags, .. } if flags & libc::AT_EACCESS == 0 => {
                creds.real.unwrap_or((creds.uid, creds.gid))
            }
            _ => (creds.uid, creds.gid),
        };
        as_ids(ids, creds.groups.as_slice(), || self.call(path, out))?
    }

    fn call(self, path: &CStr, out: &mut [u8; OUT_LEN]) -> Result<Done, i32> {
        let p = path.as_ptr();
        let at = libc::AT_FDCWD;
        // SAFETY (each call): `p` is a NUL-terminated string and every
        // output pointer is a local buffer at least as large as the kernel
        // writes (checked against the struct sizes below).
        let (r, len, to) = match self {
            Read::Stat { flags, out: to } => {
                let r = unsafe { libc::fstatat(at, p, out.as_mut_ptr().cast(), flags) };
                (r as i64, STAT_LEN, to)
            }
            Read::Statx {
                flags,
                mask,
                out: to,
            } => {
                let r =
                    unsafe { libc::syscall(libc::SYS_statx, at, p, flags, mask, out.as_mut_ptr()) };
                (r, STATX_LEN, to)
            }
            Read::Statfs { out: to } => {
                let r = unsafe { libc::statfs(p, out.as_mut_ptr().cast()) };
                (r as i64, STATFS_LEN, to)
            }
            Read::Access { mode, flags } => {
                let flags = flags | libc::AT_EACCESS;
                let r = unsafe { libc::syscall(libc::SYS_faccessat2, at, p, mode, flags) };
                return result(r).map(Done::Value);
            }
            Read::Readlink { out: to, size } => {
                if size as i32 <= 0 {
                    return Err(libc::EINVAL);
                }
                let n = size.min(OUT_LEN);
                let r = unsafe { libc::readlink(p, out.as_mut_ptr().cast(), n) };
                let r = result(r as i64)?;
                return Ok(Done::Bytes {
                    out: to,
                    len: r as usize,
                    value: r,
                });
            }
            Read::Open { flags } => return open_without_waiting(p, flags),
        };
        result(r)?;
        Ok(Done::Bytes {
            out: to,
            len,
            value: 0,
        })
    }
}

/// An open made by the grate itself must never wait: a FIFO with no writer
/// would park the supervisor and with it every cage. The file is opened
/// with O_NONBLOCK; a FIFO the caller meant to wait on gets EXDEV (its
/// wait cannot be served from here), anything else gets its own flags back.
fn open_without_waiting(p: *const libc::c_char, flags: i32) -> Result<Done, i32> {
    // SAFETY: `p` is a NUL-terminated string.
    let r = unsafe { libc::open(p, flags | libc::O_CLOEXEC | libc::O_NONBLOCK) };
    // SAFETY: a fresh fd of ours.
    let fd = unsafe { OwnedFd::from_raw_fd(result(r as i64)? as i32) };
    let raw = std::os::fd::AsRawFd::as_raw_fd(&fd);
    if flags & libc::O_NONBLOCK == 0 {
        let mut st = std::mem::MaybeUninit::<libc::stat>::uninit();
        // SAFETY: fstat fills `st` on success.
        result(unsafe { libc::fstat(raw, st.as_mut_ptr()) } as i64)?;
        // SAFETY: initialised by the successful fstat.
        if unsafe { st.assume_init() }.st_mode & libc::S_IFMT == libc::S_IFIFO {
            return Err(libc::EXDEV);
        }
        // SAFETY: F_GETFL/F_SETFL on our own fd.
        unsafe {
            let fl = libc::fcntl(raw, libc::F_GETFL);
            libc::fcntl(raw, libc::F_SETFL, fl & !libc::O_NONBLOCK);
        }
    }
    Ok(Done::Fd {
        fd,
        cloexec: flags & libc::O_CLOEXEC != 0,
    })
}

const _: () = assert!(STAT_LEN <= OUT_LEN && STATFS_LEN <= OUT_LEN && STATX_LEN <= OUT_LEN);

/// A raw syscall's result as a value or the thread's errno.
fn result(r: i64) -> Result<i64, i32> {
    if r >= 0 {
        return Ok(r);
    }
    Err(std::io::Error::last_os_error()
        .raw_os_error()
        .unwrap_or(libc::EIO))
}

/// Runs `f` with this thread's filesystem ids and supplementary groups set
/// to the cage's, then puts the grate's back. Both are per thread at the
/// kernel (the raw setgroups, not glibc's process-wide wrapper). What is
/// already the same is left alone, so a grate that is not root still serves
/// its own user; one that cannot take the cage's ids gives EXDEV.
fn as_ids<R>((uid, gid): (u32, u32), groups: &[u32], f: impl FnOnce() -> R) -> Result<R, i32> {
    let mut own = [0 as libc::gid_t; 256];
    // SAFETY: getgroups writes at most `own.len()` gids.
    let n = unsafe { libc::getgroups(own.len() as i32, own.as_mut_ptr()) };
    if n < 0 {
        return Err(libc::EXDEV);
    }
    let own = &own[..n as usize];
    let same_groups = own.len() == groups.len() && groups.iter().all(|g| own.contains(g));
    let set_groups = |g: &[libc::gid_t]| {
        // SAFETY: the kernel reads `g.len()` gids.
        unsafe { libc::syscall(libc::SYS_setgroups, g.len(), g.as_ptr()) == 0 }
    };
    if !same_groups && !set_groups(groups) {
        return Err(libc::EXDEV);
    }
    // SAFETY: setfsgid/setfsuid change only this thread's fs ids and return
    // the previous ones; asking for an id never changes them (-1 is no id).
    let (old_gid, old_uid) = unsafe {
        let old_gid = libc::setfsgid(gid) as u32;
        (old_gid, libc::setfsuid(uid) as u32)
    };
    // SAFETY: as above; reading back tells whether the change was allowed.
    let took =
        unsafe { libc::setfsuid(u32::MAX) as u32 == uid && libc::setfsgid(u32::MAX) as u32 == gid };
    let r = took.then(f);
    // SAFETY: as above, back to the grate's own.
    unsafe {
        libc::setfsuid(old_uid);
        libc::setfsgid(old_gid);
    }
    if !same_groups {
        set_groups(own);
    }
    r.ok_or(libc::EXDEV)
}
