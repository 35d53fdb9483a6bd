//! Linux x86_64 syscall numbers the dispatch knows (Lind uses the same).

macro_rules! syscalls {
    ($($name:ident = $nr:expr,)*) => {
        $(pub const $name: u64 = $nr;)*
        /// The syscall's name for `--log`, or "?".
        pub fn name(nr: u64) -> &'static str {
            match nr {
                $($nr => {
                    const N: &str = stringify!($name);
                    N
                })*
                _ => "?",
            }
        }
    };
}

syscalls! {
    READ = 0,
    WRITE = 1,
    OPEN = 2,
    CLOSE = 3,
    STAT = 4,
    FSTAT = 5,
    LSTAT = 6,
    LSEEK = 8,
    MMAP = 9,
    IOCTL = 16,
    PREAD64 = 17,
    PWRITE64 = 18,
    READV = 19,
    WRITEV = 20,
    ACCESS = 21,
    DUP = 32,
    DUP2 = 33,
    FCNTL = 72,
    FLOCK = 73,
    FSYNC = 74,
    FDATASYNC = 75,
    TRUNCATE = 76,
    FTRUNCATE = 77,
    GETDENTS = 78,
    GETCWD = 79,
    CHDIR = 80,
    FCHDIR = 81,
    RENAME = 82,
    MKDIR = 83,
    RMDIR = 84,
    CREAT = 85,
    LINK = 86,
    UNLINK = 87,
    SYMLINK = 88,
    READLINK = 89,
    CHMOD = 90,
    FCHMOD = 91,
    CHOWN = 92,
    FCHOWN = 93,
    LCHOWN = 94,
    UMASK = 95,
    UTIME = 132,
    MKNOD = 133,
    STATFS = 137,
    FSTATFS = 138,
    GETDENTS64 = 217,
    FADVISE64 = 221,
    UTIMES = 235,
    OPENAT = 257,
    MKDIRAT = 258,
    MKNODAT = 259,
    FCHOWNAT = 260,
    FUTIMESAT = 261,
    NEWFSTATAT = 262,
    UNLINKAT = 263,
    RENAMEAT = 264,
    LINKAT = 265,
    SYMLINKAT = 266,
    READLINKAT = 267,
    FCHMODAT = 268,
    FACCESSAT = 269,
    SYNC_FILE_RANGE = 277,
    UTIMENSAT = 280,
    FALLOCATE = 285,
    DUP3 = 292,
    PREADV = 295,
    PWRITEV = 296,
    RENAMEAT2 = 316,
    PREADV2 = 327,
    PWRITEV2 = 328,
    STATX = 332,
    CLOSE_RANGE = 436,
    FACCESSAT2 = 439,
    FCHMODAT2 = 452,
}
