//! Permission checks: mode bits against the caller's uid, gid and
//! supplementary groups, the way Linux does them without capabilities
//! beyond "uid 0 is root".

use super::node::Node;
use crate::flags::{S_ISGID, S_ISUID, S_ISVTX, X_OK};
use crate::{Ctx, Errno, Result};

pub(crate) const MAY_READ: u32 = 4;
pub(crate) const MAY_WRITE: u32 = 2;
pub(crate) const MAY_EXEC: u32 = 1;

/// Whether `ctx` may access `node` as `want` (an R/W/X bit set): EACCES if not.
/// Root passes, except that executing a non-directory needs some x bit.
pub(crate) fn may(ctx: &Ctx, node: &Node, want: u32) -> Result<()> {
    let perm = node.perm();
    if ctx.uid == 0 {
        if want & X_OK != 0 && !node.is_dir() && perm & 0o111 == 0 {
            return Err(Errno::EACCES);
        }
        return Ok(());
    }
    let class = if ctx.uid == node.uid {
        perm >> 6
    } else if ctx.in_group(node.gid) {
        perm >> 3
    } else {
        perm
    };
    if class & want & 0o7 == want & 0o7 {
        Ok(())
    } else {
        Err(Errno::EACCES)
    }
}

/// Whether `ctx` owns `node` or is root (chmod, utimes with explicit times).
pub(crate) fn is_owner(ctx: &Ctx, node: &Node) -> bool {
    ctx.uid == 0 || ctx.uid == node.uid
}

/// The sticky-directory rule for removing or replacing `victim` in `dir`:
/// only the victim's owner, the directory's owner or root may (EPERM).
pub(crate) fn may_delete(ctx: &Ctx, dir: &Node, victim: &Node) -> Result<()> {
    may(ctx, dir, MAY_WRITE | MAY_EXEC)?;
    if dir.perm() & S_ISVTX != 0 && ctx.uid != 0 && ctx.uid != dir.uid && ctx.uid != victim.uid {
        return Err(Errno::EPERM);
    }
    Ok(())
}

/// Clears setuid and setgid as Linux does when a caller other than root
/// changes a regular file's contents or size (write, truncate, O_TRUNC;
/// setattr_should_drop_suidgid): setuid always, setgid when it means
/// "execute as group" (group x set) or the caller is not in the file's
/// group. Returns whether the mode changed (so its ctime must too).
pub(crate) fn drop_setid_on_change(ctx: &Ctx, node: &mut Node) -> bool {
    if ctx.uid == 0 || !node.is_reg() {
        return false;
    }
    let old = node.perm();
    let mut perm = old & !S_ISUID;
    if perm & 0o010 != 0 || !ctx.in_group(node.gid) {
        perm &= !S_ISGID;
    }
    node.set_perm(perm);
    perm != old
}
