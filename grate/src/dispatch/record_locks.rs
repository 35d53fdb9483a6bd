//! fcntl's record locks: F_GETLK, F_SETLK, F_SETLKW and their OFD variants.
//! The `struct flock` is checked as Linux's fcntl_getlk/fcntl_setlk check it,
//! then the [`crate::locks`] table answers.
//!
//! The dispatch serves one call at a time and cannot park a caller: an
//! F_SETLKW that meets a conflicting lock is answered EINTR and recorded
//! ([`Grate::take_lock_wait`]). The native host parks such a call and
//! serves it again whenever locks may have been released, so there it waits
//! as on Linux (with EDEADLK for a cycle of waiting processes); on hosts
//! that cannot park (Lind), callers see EINTR and retry.

use super::{Grate, Res, Stop};
use crate::host::{Abi, CageId, Host};
use crate::locks::{LockKind, Owner, Refused, TO_EOF};
use crate::wire::flock::{decode_flock, encode_flock, flock_len, Flock, FLOCK_MAX_LEN};
use imfs_core::flags::{O_ACCMODE, O_PATH, O_RDONLY, O_WRONLY, SEEK_CUR, SEEK_END, SEEK_SET};
use imfs_core::{Errno, OfdId};

const F_GETLK: u64 = 5;
const F_SETLK: u64 = 6;
const F_SETLKW: u64 = 7;
/// The LFS numbers a 32-bit glibc may use for the same calls (Lind only:
/// x86_64's kernel rejects them).
const F_GETLK64: u64 = 12;
const F_SETLK64: u64 = 13;
const F_SETLKW64: u64 = 14;
const F_OFD_GETLK: u64 = 36;
const F_OFD_SETLK: u64 = 37;
const F_OFD_SETLKW: u64 = 38;

/// "No locks available": the lock table is full.
const ENOLCK: i64 = 37;

const F_RDLCK: i16 = 0;
const F_WRLCK: i16 = 1;
const F_UNLCK: i16 = 2;

/// Which lock call an fcntl command is.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) struct LockCmd {
    /// F_GETLK: test, don't set.
    get: bool,
    /// F_SETLKW: would wait.
    wait: bool,
    /// The F_OFD_* form: the open file description owns the lock.
    ofd: bool,
}

impl LockCmd {
    pub(super) fn of(abi: Abi, cmd: u64) -> Option<LockCmd> {
        let lock = |get, wait, ofd| Some(LockCmd { get, wait, ofd });
        match cmd {
            F_GETLK => lock(true, false, false),
            F_SETLK => lock(false, false, false),
            F_SETLKW => lock(false, true, false),
            F_OFD_GETLK => lock(true, false, true),
            F_OFD_SETLK => lock(false, false, true),
            F_OFD_SETLKW => lock(false, true, true),
            F_GETLK64 | F_SETLK64 | F_SETLKW64 if abi == Abi::Lind => {
                LockCmd::of(abi, cmd - (F_GETLK64 - F_GETLK))
            }
            _ => None,
        }
    }
}

impl Grate {
    /// One lock call on `ofd`, its `struct flock` at `addr`.
    pub(super) fn record_lock(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        ofd: OfdId,
        cmd: LockCmd,
        addr: u64,
    ) -> Res {
        let flags = self.fs.status_flags(ofd)?;
        if flags & O_PATH != 0 {
            return Err(Errno::EBADF.into());
        }
        let abi = h.abi();
        let mut raw = [0u8; FLOCK_MAX_LEN];
        let raw = &mut raw[..flock_len(abi)];
        h.read_mem(cage, addr, raw)?;
        let mut fl = decode_flock(abi, raw);
        let kind = match fl.l_type {
            F_RDLCK => Some(LockKind::Read),
            F_WRLCK => Some(LockKind::Write),
            _ => None,
        };
        if cmd.get && kind.is_none() {
            return Err(Errno::EINVAL.into());
        }
        let (start, end) = self.lock_range(ofd, &fl)?;
        if fl.l_type != F_UNLCK && kind.is_none() {
            return Err(Errno::EINVAL.into());
        }
        if !cmd.get {
            let denied = match kind {
                Some(LockKind::Read) => O_WRONLY,
                Some(LockKind::Write) => O_RDONLY,
                None => u32::MAX,
            };
            if flags & O_ACCMODE == denied {
                return Err(Errno::EBADF.into());
            }
        }
        if cmd.ofd && fl.l_pid != 0 {
            return Err(Errno::EINVAL.into());
        }
        let owner = if cmd.ofd {
            Owner::Ofd(ofd.raw())
        } else {
            Owner::Cage(cage)
        };
        let file = self.fs.fstat(ofd)?.ino;
        if cmd.get {
            let want = kind.unwrap_or(LockKind::Write);
            match self.locks.conflict(file, owner, start, end, want) {
                Some(held) => {
                    fl = Flock {
                        l_type: match held.kind {
                            LockKind::Read => F_RDLCK,
                            LockKind::Write => F_WRLCK,
                        },
                        l_whence: SEEK_SET as i16,
                        l_start: held.start as i64,
                        l_len: if held.end == TO_EOF {
                            0
                        } else {
                            (held.end - held.start + 1) as i64
                        },
                        l_pid: match held.owner {
                            Owner::Cage(c) => h.cage_pid(c),
                            Owner::Ofd(_) => -1,
                        },
                    };
                }
                None => fl.l_type = F_UNLCK,
            }
            encode_flock(abi, &fl, raw);
            h.write_mem(cage, addr, raw)?;
            return Ok(0);
        }
        match self.locks.set(file, owner, start, end, kind) {
            Ok(()) => Ok(0),
            Err(Refused::Conflict(held)) if cmd.wait => {
                self.lock_wait = Some(super::LockWait {
                    waiter: owner,
                    holder: held.owner,
                });
                Err(Errno::EINTR.into())
            }
            Err(Refused::Conflict(_)) => Err(Errno::EAGAIN.into()),
            Err(Refused::Full) => Err(Stop::Code(ENOLCK)),
        }
    }

    /// The bytes `fl` names, `start..=end`, as Linux's flock_to_posix_lock
    /// computes them: EINVAL for a bad whence or a range starting before 0,
    /// EOVERFLOW past the largest offset.
    fn lock_range(&mut self, ofd: OfdId, fl: &Flock) -> Result<(u64, u64), Errno> {
        let base = match fl.l_whence as u32 {
            SEEK_SET => 0,
            SEEK_CUR => self.fs.lseek(ofd, 0, SEEK_CUR)? as i64,
            SEEK_END => self.fs.fstat(ofd)?.size as i64,
            _ => return Err(Errno::EINVAL),
        };
        if fl.l_start > i64::MAX - base {
            return Err(Errno::EOVERFLOW);
        }
        let start = base + fl.l_start;
        if start < 0 {
            return Err(Errno::EINVAL);
        }
        let (start, end) = match fl.l_len {
            0 => (start, i64::MAX),
            len if len > 0 => {
                if len - 1 > i64::MAX - start {
                    return Err(Errno::EOVERFLOW);
                }
                (start, start + (len - 1))
            }
            len => {
                if start + len < 0 {
                    return Err(Errno::EINVAL);
                }
                (start + len, start - 1)
            }
        };
        Ok((start as u64, end as u64))
    }
}
