//! Linux errno values, the only error the core returns.

/// A Linux errno. `as i32` gives the positive number; syscalls return its negation.
#[derive(Clone, Copy, PartialEq, Eq, Debug, Hash)]
#[repr(i32)]
pub enum Errno {
    EPERM = 1,
    ENOENT = 2,
    ESRCH = 3,
    EINTR = 4,
    EIO = 5,
    ENXIO = 6,
    E2BIG = 7,
    ENOEXEC = 8,
    EBADF = 9,
    ECHILD = 10,
    EAGAIN = 11,
    ENOMEM = 12,
    EACCES = 13,
    EFAULT = 14,
    EBUSY = 16,
    EEXIST = 17,
    EXDEV = 18,
    ENODEV = 19,
    ENOTDIR = 20,
    EISDIR = 21,
    EINVAL = 22,
    ENFILE = 23,
    EMFILE = 24,
    ENOTTY = 25,
    ETXTBSY = 26,
    EFBIG = 27,
    ENOSPC = 28,
    ESPIPE = 29,
    EROFS = 30,
    EMLINK = 31,
    EPIPE = 32,
    ERANGE = 34,
    ENAMETOOLONG = 36,
    ENOSYS = 38,
    ENOTEMPTY = 39,
    ELOOP = 40,
    ENODATA = 61,
    EOVERFLOW = 75,
    ENOTSOCK = 88,
    EMSGSIZE = 90,
    EOPNOTSUPP = 95,
    EADDRINUSE = 98,
    ECONNREFUSED = 111,
}

impl Errno {
    /// The positive errno number.
    pub const fn code(self) -> i32 {
        self as i32
    }

    /// The value a syscall returns for this error: `-errno`.
    pub const fn neg(self) -> i64 {
        -(self as i64)
    }
}
