//! FIFOs and Unix-domain sockets named in imfs: the core keeps the names
//! (nodes made by mknod, mkfifo or bind), the host the data path
//! ([`Specials`]): a FIFO's data flows through a pipe of the host's, never
//! through the pools, and a socket bound on an imfs path is bound by the
//! host at a private place only it knows.
//!
//! The host knows a node by its st_ino. So that the number cannot name
//! another node meanwhile, the grate holds every node the host keeps
//! something for with a description of its own ([`Holds`]), and lets go
//! (telling the host to forget it) once the node has no name left.

use super::paths::{Place, Slot};
use super::{int, Grate, Res, Stop};
use crate::host::{CageId, FdEntry, FifoOpen, Host};
use imfs_core::flags::{
    AT_FDCWD, O_ACCMODE, O_APPEND, O_CLOEXEC, O_DIRECT, O_NOFOLLOW, O_NONBLOCK, O_PATH, S_IFMT,
    S_IFSOCK, W_OK,
};
use imfs_core::{Errno, OfdId};
use std::collections::HashMap;

/// AF_UNIX.
const AF_UNIX: u16 = 1;
/// offsetof(struct sockaddr_un, sun_path).
const SUN_PATH_AT: usize = 2;
/// sizeof(struct sockaddr_un).
const SOCKADDR_UN_LEN: usize = 110;
/// The flags of a FIFO open the host's pipe end carries.
const FIFO_FLAGS: u32 = O_ACCMODE | O_NONBLOCK | O_APPEND | O_DIRECT;

/// Nodes the host keeps something for, each held open by the grate.
#[derive(Default)]
pub(crate) struct Holds {
    held: HashMap<u64, OfdId>,
}

impl Grate {
    /// open(2) reached FIFO `ofd` (a fresh core description on it, whose
    /// permission checks passed): the host opens a pipe end for the cage.
    pub(super) fn open_fifo(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        ofd: OfdId,
        flags: u32,
    ) -> Res {
        let ino = match self.fs.fstat(ofd) {
            Ok(st) => st.ino,
            Err(e) => {
                let _ = self.fs.close(ofd);
                return Err(e.into());
            }
        };
        // O_ACCMODE 3 asks for neither end: Linux's fifo_open says EINVAL.
        if flags & O_ACCMODE == O_ACCMODE || h.specials().is_none() {
            let _ = self.fs.close(ofd);
            return Err(if flags & O_ACCMODE == O_ACCMODE {
                Errno::EINVAL
            } else {
                Errno::ENXIO
            }
            .into());
        }
        self.hold(ino, ofd);
        let Some(sp) = h.specials() else {
            return Err(Errno::ENXIO.into());
        };
        match sp.fifo_open(cage, ino, flags & FIFO_FLAGS, flags & O_CLOEXEC != 0)? {
            FifoOpen::Fd(fd) => Ok(fd as i64),
            // The host answers the call when the other end comes.
            FifoOpen::Parked => Ok(0),
        }
    }

    /// Keeps `ofd` as the hold on node `ino`, or closes it when the node is
    /// held already.
    fn hold(&mut self, ino: u64, ofd: OfdId) {
        match self.holds.held.entry(ino) {
            std::collections::hash_map::Entry::Occupied(_) => {
                let _ = self.fs.close(ofd);
            }
            std::collections::hash_map::Entry::Vacant(slot) => {
                slot.insert(ofd);
            }
        }
    }

    /// After a call that may have removed names (unlink, rename): nodes
    /// with no name left are let go, and the host forgets them.
    pub(super) fn release_unnamed(&mut self, h: &mut dyn Host) {
        if self.holds.held.is_empty() {
            return;
        }
        let fs = &mut self.fs;
        let mut gone = Vec::new();
        self.holds.held.retain(|&ino, &mut ofd| {
            let named = fs.fstat(ofd).is_ok_and(|st| st.nlink > 0);
            if !named {
                let _ = fs.close(ofd);
                gone.push(ino);
            }
            named
        });
        if let Some(sp) = h.specials() {
            for ino in gone {
                sp.forget(ino);
            }
        }
    }

    /// The path of a pathname (not abstract, not unnamed) AF_UNIX address
    /// `addr` of `len` bytes: its length, or `None` for any other address,
    /// which the kernel judges itself.
    fn unix_path_len(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        addr: u64,
        len: u64,
    ) -> Result<Option<usize>, Stop> {
        let len = len as u32 as usize;
        if addr == 0 || !(SUN_PATH_AT + 1..=SOCKADDR_UN_LEN).contains(&len) {
            return Ok(None);
        }
        let mut sa = [0u8; SOCKADDR_UN_LEN];
        if h.read_mem(cage, addr, &mut sa[..len]).is_err() {
            return Ok(None);
        }
        let path = &sa[SUN_PATH_AT..len];
        if u16::from_ne_bytes([sa[0], sa[1]]) != AF_UNIX || path[0] == 0 {
            return Ok(None);
        }
        Ok(Some(
            path.iter().position(|&b| b == 0).unwrap_or(path.len()),
        ))
    }

    /// Where a socket call's path leads, when it is imfs's and the host
    /// serves sockets: Continue for everything the kernel should see.
    fn socket_target(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        len: u64,
    ) -> Result<super::paths::Target, Stop> {
        let Some(path_len) = self.unix_path_len(h, cage, addr, len)? else {
            return Err(Stop::Continue);
        };
        let fd = int(fd);
        match h.fds().get(cage, fd) {
            None => return Err(Errno::EBADF.into()),
            Some(FdEntry::Imfs { .. }) => return Err(Errno::ENOTSOCK.into()),
            Some(FdEntry::Host) => {}
        }
        let Some(sp) = h.specials() else {
            return Err(Stop::Continue);
        };
        let domain = sp.socket_domain(cage, fd);
        if domain < 0 {
            return Err(Stop::Code(-domain));
        }
        if domain != AF_UNIX as i64 {
            // The kernel answers a family mismatch; no path is involved.
            return Err(Stop::Continue);
        }
        let sun_path = addr + SUN_PATH_AT as u64;
        let mut probe = [0u8; SOCKADDR_UN_LEN];
        if h.read_cstr(cage, sun_path, &mut probe) != Ok(path_len) {
            // A sun_path not NUL-terminated within the address: Linux takes
            // the bytes up to the address's end, which the path copy cannot
            // express. Refused rather than let through to the host.
            return Err(Errno::EINVAL.into());
        }
        // An address the host handed out (getsockname, recvfrom of a socket
        // bound on an imfs name): the kernel reaches it as it is.
        if h.specials()
            .is_some_and(|sp| sp.is_private_path(&probe[..path_len]))
        {
            return Err(Stop::Continue);
        }
        match self.place(h, cage, AT_FDCWD, sun_path, Slot::A, false)? {
            Place::Imfs(t) => Ok(t),
            Place::Fd(_) | Place::Host => Err(Stop::Continue),
        }
    }

    /// bind(2) of an AF_UNIX socket to an imfs path: the name is a socket
    /// node in imfs (mode 0777 less the umask, EADDRINUSE when taken), and
    /// the host binds the socket itself elsewhere.
    pub(super) fn bind(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        len: u64,
    ) -> Res {
        let t = self.socket_target(h, cage, fd, addr, len)?;
        let ctx = self.ctx(h, cage);
        let mode = S_IFSOCK | (0o777 & !self.cage_state(h, cage).umask);
        let path = self.paths.get(&t.path);
        match self.fs.mknod(&ctx, t.dir, path, mode, 0) {
            Err(Errno::EEXIST) => return Err(Errno::EADDRINUSE.into()),
            r => r?,
        }
        let hold = self
            .fs
            .open(&ctx, t.dir, path, O_PATH | O_NOFOLLOW, 0)
            .and_then(|ofd| Ok((ofd, self.fs.fstat(ofd)?.ino)));
        let bound = match (hold, h.specials()) {
            (Ok((ofd, ino)), Some(sp)) => match sp.bind(cage, int(fd), ino) {
                r if r < 0 => Err((Some(ofd), Stop::Code(-r))),
                _ => Ok((ofd, ino)),
            },
            (Ok((ofd, _)), None) => Err((Some(ofd), Stop::Err(Errno::ENXIO))),
            (Err(e), _) => Err((None, Stop::Err(e))),
        };
        match bound {
            Ok((ofd, ino)) => {
                self.hold(ino, ofd);
                Ok(0)
            }
            Err((ofd, stop)) => {
                // Linux, too, removes the node it made when the bind fails
                // (a socket bound already: EINVAL).
                if let Some(ofd) = ofd {
                    let _ = self.fs.close(ofd);
                }
                let path = self.paths.get(&t.path);
                let _ = self.fs.unlink(&ctx, t.dir, path);
                Err(stop)
            }
        }
    }

    /// The socket node an imfs path names for connect/sendto, with Linux's
    /// checks: lookup errors, EACCES without write permission on it,
    /// ECONNREFUSED when it is not a socket.
    fn socket_node(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        t: super::paths::Target,
    ) -> Result<u64, Stop> {
        let ctx = self.ctx(h, cage);
        let path = self.paths.get(&t.path);
        self.fs.access(&ctx, t.dir, path, W_OK, true)?;
        let st = self.fs.stat(&ctx, t.dir, path, true)?;
        if st.mode & S_IFMT != S_IFSOCK {
            return Err(Errno::ECONNREFUSED.into());
        }
        Ok(st.ino)
    }

    /// connect(2) to an imfs path: the host connects the socket to the one
    /// bound there.
    pub(super) fn connect(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        addr: u64,
        len: u64,
    ) -> Res {
        let t = self.socket_target(h, cage, fd, addr, len)?;
        let node = self.socket_node(h, cage, t)?;
        let sp = h.specials().ok_or(Stop::Continue)?;
        match sp.connect(cage, int(fd), node) {
            r if r < 0 => Err(Stop::Code(-r)),
            r => Ok(r),
        }
    }

    /// sendto(2) with an imfs path as the address: the host sends the data
    /// (through the bounce buffer: EMSGSIZE past it).
    #[allow(clippy::too_many_arguments)]
    pub(super) fn sendto(
        &mut self,
        h: &mut dyn Host,
        cage: CageId,
        fd: u64,
        buf: u64,
        len: u64,
        flags: u64,
        addr: u64,
        addr_len: u64,
    ) -> Res {
        let t = self.socket_target(h, cage, fd, addr, addr_len)?;
        let node = self.socket_node(h, cage, t)?;
        let len = usize::try_from(len).map_err(|_| Errno::EMSGSIZE)?;
        if len > self.bounce.len() {
            return Err(Errno::EMSGSIZE.into());
        }
        h.read_mem(cage, buf, &mut self.bounce[..len])?;
        let sp = h.specials().ok_or(Stop::Continue)?;
        match sp.sendto(cage, int(fd), node, &self.bounce[..len], flags as u32) {
            r if r < 0 => Err(Stop::Code(-r)),
            r => Ok(r),
        }
    }
}
