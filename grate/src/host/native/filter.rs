//! The seccomp filter: which syscalls come to the grate.
//!
//! `libseccomp` builds the BPF; we export it and load it ourselves with
//! seccomp(2), because Debian's libseccomp 2.5.4 cannot ask for
//! SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV (once the grate has taken a call, a
//! signal can no longer interrupt it and make it run twice).

use libseccomp::{
    ScmpAction, ScmpArch, ScmpArgCompare, ScmpCompareOp, ScmpFilterContext, ScmpSyscall,
};
use std::io::{self, Read, Seek};
use std::os::fd::{FromRawFd, OwnedFd};

/// Every x86_64 syscall that takes or makes an fd the grate may own, names a
/// path, or changes what the grate tracks per process (cwd, umask, fork,
/// exec). Numbers, not names, so calls newer than the installed libseccomp
/// (fchmodat2) are covered too.
pub const TRAPPED: &[i32] = &[
    0,   // read
    1,   // write
    2,   // open
    3,   // close
    4,   // stat
    5,   // fstat
    6,   // lstat
    8,   // lseek
    9,   // mmap (file-backed only: see Filter::build)
    13,  // rt_sigaction (a handler without SA_RESTART: the process gets traced)
    16,  // ioctl
    17,  // pread64
    18,  // pwrite64
    19,  // readv
    20,  // writev
    21,  // access
    32,  // dup
    33,  // dup2
    40,  // sendfile
    42,  // connect (Unix-domain sockets on imfs paths)
    44,  // sendto (with an address only: see Filter::build)
    49,  // bind
    56,  // clone
    57,  // fork
    58,  // vfork
    59,  // execve
    72,  // fcntl
    73,  // flock
    74,  // fsync
    75,  // fdatasync
    76,  // truncate
    77,  // ftruncate
    78,  // getdents
    79,  // getcwd
    80,  // chdir
    81,  // fchdir
    82,  // rename
    83,  // mkdir
    84,  // rmdir
    85,  // creat
    86,  // link
    87,  // unlink
    88,  // symlink
    89,  // readlink
    90,  // chmod
    91,  // fchmod
    92,  // chown
    93,  // fchown
    94,  // lchown
    95,  // umask
    105, // setuid (the grate re-reads the ids it stamps on new files)
    106, // setgid
    113, // setreuid
    114, // setregid
    116, // setgroups (supplementary groups join permission checks)
    117, // setresuid
    119, // setresgid
    122, // setfsuid
    123, // setfsgid
    132, // utime
    133, // mknod
    137, // statfs
    138, // fstatfs
    187, // readahead
    188, // setxattr
    189, // lsetxattr
    190, // fsetxattr
    191, // getxattr
    192, // lgetxattr
    193, // fgetxattr
    194, // listxattr
    195, // llistxattr
    196, // flistxattr
    197, // removexattr
    198, // lremovexattr
    199, // fremovexattr
    217, // getdents64
    221, // fadvise64
    235, // utimes
    257, // openat
    258, // mkdirat
    259, // mknodat
    260, // fchownat
    261, // futimesat
    262, // newfstatat
    263, // unlinkat
    264, // renameat
    265, // linkat
    266, // symlinkat
    267, // readlinkat
    268, // fchmodat
    269, // faccessat
    275, // splice
    276, // tee
    277, // sync_file_range
    280, // utimensat
    285, // fallocate
    292, // dup3
    295, // preadv
    296, // pwritev
    306, // syncfs
    316, // renameat2
    322, // execveat
    326, // copy_file_range
    327, // preadv2
    328, // pwritev2
    332, // statx
    435, // clone3
    436, // close_range
    437, // openat2
    439, // faccessat2
    452, // fchmodat2
];

const MMAP: i32 = 9;
const SENDTO: i32 = 44;

/// A filter loaded by [`install`]: the BPF program, built before fork so the
/// child only makes async-signal-safe calls.
pub struct Filter {
    code: Vec<libc::sock_filter>,
}

impl Filter {
    /// Builds the filter: TRAPPED go to the listener, everything else runs.
    pub fn build() -> io::Result<Filter> {
        let to_io =
            |e: libseccomp::error::SeccompError| io::Error::other(format!("libseccomp: {e}"));
        let mut ctx = ScmpFilterContext::new(ScmpAction::Allow).map_err(to_io)?;
        // A 64-bit program's int 0x80 calls would bypass an x86_64-only filter: refuse them.
        ctx.set_act_badarch(ScmpAction::KillProcess)
            .map_err(to_io)?;
        // We set no_new_privs ourselves, before loading.
        ctx.set_ctl_nnp(false).map_err(to_io)?;
        debug_assert!(ctx.is_arch_present(ScmpArch::native()).unwrap_or(false));
        for &nr in TRAPPED {
            if nr == MMAP {
                // Anonymous maps (every malloc arena) ignore their fd: only
                // file maps need a look, to refuse imfs fds.
                let file_backed = ScmpArgCompare::new(
                    3,
                    ScmpCompareOp::MaskedEqual(libc::MAP_ANONYMOUS as u64),
                    0,
                );
                ctx.add_rule_conditional(ScmpAction::Notify, ScmpSyscall::from(nr), &[file_backed])
                    .map_err(to_io)?;
            } else if nr == SENDTO {
                // send() is sendto without an address: only a call that
                // names one can name an imfs socket (the dispatch would
                // hand the rest back), so connected sockets' sends stay
                // out of the supervisor.
                let has_address = ScmpArgCompare::new(4, ScmpCompareOp::NotEqual, 0);
                ctx.add_rule_conditional(ScmpAction::Notify, ScmpSyscall::from(nr), &[has_address])
                    .map_err(to_io)?;
            } else {
                ctx.add_rule(ScmpAction::Notify, ScmpSyscall::from(nr))
                    .map_err(to_io)?;
            }
        }
        Ok(Filter {
            code: export(&ctx)?,
        })
    }

    /// The program as seccomp(2) takes it. Valid while `self` lives.
    pub fn prog(&self) -> libc::sock_fprog {
        libc::sock_fprog {
            len: self.code.len() as u16,
            filter: self.code.as_ptr() as *mut _,
        }
    }
}

/// seccomp_export_bpf writes to an fd: a memfd, read back into instructions.
fn export(ctx: &ScmpFilterContext) -> io::Result<Vec<libc::sock_filter>> {
    // SAFETY: memfd_create takes a NUL-terminated name and returns a new fd or -1.
    let fd = unsafe { libc::memfd_create(c"imfs-bpf".as_ptr(), libc::MFD_CLOEXEC) };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` is a fresh fd we own.
    let mut file = std::fs::File::from(unsafe { OwnedFd::from_raw_fd(fd) });
    ctx.export_bpf(&file)
        .map_err(|e| io::Error::other(format!("seccomp_export_bpf: {e}")))?;
    file.rewind()?;
    let mut bytes = Vec::new();
    file.read_to_end(&mut bytes)?;
    let size = std::mem::size_of::<libc::sock_filter>();
    if bytes.is_empty() || bytes.len() % size != 0 || bytes.len() / size > u16::MAX as usize {
        return Err(io::Error::other(
            "seccomp_export_bpf gave a malformed program",
        ));
    }
    Ok(bytes
        .chunks_exact(size)
        .map(|b| libc::sock_filter {
            code: u16::from_ne_bytes([b[0], b[1]]),
            jt: b[2],
            jf: b[3],
            k: u32::from_ne_bytes([b[4], b[5], b[6], b[7]]),
        })
        .collect())
}

/// Child side, after fork: no_new_privs, then the filter with a new
/// listener. Async-signal-safe (two syscalls). Returns the listener fd or
/// the errno.
///
/// # Safety
/// `prog` must point at a valid program (from [`Filter::prog`]).
pub unsafe fn install(prog: &libc::sock_fprog) -> Result<i32, i32> {
    const FLAGS: libc::c_ulong =
        libc::SECCOMP_FILTER_FLAG_NEW_LISTENER | libc::SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV;
    // SAFETY: prctl with integer arguments.
    if unsafe { libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) } != 0 {
        return Err(errno());
    }
    // SAFETY: the caller guarantees `prog` is valid; the kernel copies it.
    let fd = unsafe {
        libc::syscall(
            libc::SYS_seccomp,
            libc::SECCOMP_SET_MODE_FILTER,
            FLAGS,
            prog as *const libc::sock_fprog,
        )
    };
    if fd < 0 {
        Err(errno())
    } else {
        Ok(fd as i32)
    }
}

fn errno() -> i32 {
    // SAFETY: __errno_location always returns this thread's errno slot.
    unsafe { *libc::__errno_location() }
}
