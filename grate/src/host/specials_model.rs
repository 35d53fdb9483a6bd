//! A model of a host's FIFOs and Unix-domain sockets, for the loopback
//! host: it counts each FIFO's readers and writers as Linux does (an open
//! waiting for its partner counts already), parks the opens that must wait
//! and completes them when the partner comes, and keeps which socket is
//! bound as which node. No data moves: tests of the data path run natively.

use super::{CageId, FifoOpen, Specials};
use imfs_core::flags::{O_ACCMODE, O_NONBLOCK, O_RDONLY, O_WRONLY};
use imfs_core::Errno;
use std::collections::HashMap;

/// Numbers handed out for pipe ends, far above any imfs fd in the tests.
pub const FIRST_END_FD: i32 = 10_000;

/// One FIFO's open ends, the parked ones included.
#[derive(Clone, Copy, Default, PartialEq, Eq, Debug)]
pub struct FifoCounts {
    pub readers: u32,
    pub writers: u32,
}

/// An open that waits for the other end.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct ParkedOpen {
    pub cage: CageId,
    pub fifo: u64,
    pub flags: u32,
}

/// An end of a FIFO some cage holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub struct End {
    pub fifo: u64,
    pub reads: bool,
    pub writes: bool,
}

#[derive(Default)]
pub struct SpecialsModel {
    pub fifos: HashMap<u64, FifoCounts>,
    /// Pipe ends handed out, by fd.
    pub ends: HashMap<i32, End>,
    pub parked: Vec<ParkedOpen>,
    /// Parked opens that completed: (cage, fd), in order.
    pub completed: Vec<(CageId, i32)>,
    /// Nodes the grate told the host to forget.
    pub forgotten: Vec<u64>,
    /// Sockets the test made: (cage, fd) → address family.
    pub sockets: HashMap<(CageId, i32), i32>,
    /// Bound sockets: node → (cage, fd).
    pub bound: HashMap<u64, (CageId, i32)>,
    /// Connections and datagrams delivered: (cage, fd, node, bytes).
    pub sent: Vec<(CageId, i32, u64, usize)>,
    next_fd: i32,
}

impl SpecialsModel {
    fn new_end(&mut self, end: End) -> i32 {
        let fd = FIRST_END_FD + self.next_fd;
        self.next_fd += 1;
        self.ends.insert(fd, end);
        fd
    }

    /// The cage closed pipe end `fd` (its last reference).
    pub fn close_end(&mut self, fd: i32) {
        let Some(end) = self.ends.remove(&fd) else {
            return;
        };
        let c = self.fifos.entry(end.fifo).or_default();
        c.readers = c.readers.saturating_sub(end.reads as u32);
        c.writers = c.writers.saturating_sub(end.writes as u32);
    }

    /// Completes the parked opens of `fifo` whose partner is there now.
    fn wake(&mut self, fifo: u64) {
        let counts = self.fifos.get(&fifo).copied().unwrap_or_default();
        let mut still = Vec::new();
        for p in std::mem::take(&mut self.parked) {
            let ready = p.fifo == fifo
                && match p.flags & O_ACCMODE {
                    O_RDONLY => counts.writers > 0,
                    _ => counts.readers > 0,
                };
            if ready {
                // Its end was counted when it parked.
                let reads = p.flags & O_ACCMODE == O_RDONLY;
                let fd = self.new_end(End {
                    fifo,
                    reads,
                    writes: !reads,
                });
                self.completed.push((p.cage, fd));
            } else {
                still.push(p);
            }
        }
        self.parked = still;
    }
}

impl Specials for SpecialsModel {
    fn fifo_open(
        &mut self,
        cage: CageId,
        fifo: u64,
        flags: u32,
        _cloexec: bool,
    ) -> Result<FifoOpen, Errno> {
        let c = *self.fifos.entry(fifo).or_default();
        let nonblock = flags & O_NONBLOCK != 0;
        let (reads, writes, wait) = match flags & O_ACCMODE {
            O_RDONLY => (true, false, !nonblock && c.writers == 0),
            O_WRONLY if c.readers == 0 && nonblock => return Err(Errno::ENXIO),
            O_WRONLY => (false, true, c.readers == 0),
            _ => (true, true, false),
        };
        let counts = self.fifos.entry(fifo).or_default();
        counts.readers += reads as u32;
        counts.writers += writes as u32;
        let opened = if wait {
            self.parked.push(ParkedOpen { cage, fifo, flags });
            FifoOpen::Parked
        } else {
            FifoOpen::Fd(self.new_end(End {
                fifo,
                reads,
                writes,
            }))
        };
        self.wake(fifo);
        Ok(opened)
    }

    fn forget(&mut self, node: u64) {
        self.forgotten.push(node);
        self.bound.remove(&node);
    }

    fn socket_domain(&mut self, cage: CageId, fd: i32) -> i64 {
        match self.sockets.get(&(cage, fd)) {
            Some(&domain) => domain as i64,
            None => Errno::ENOTSOCK.neg(),
        }
    }

    fn bind(&mut self, cage: CageId, fd: i32, node: u64) -> i64 {
        if self.bound.values().any(|&b| b == (cage, fd)) {
            return Errno::EINVAL.neg();
        }
        self.bound.insert(node, (cage, fd));
        0
    }

    fn connect(&mut self, cage: CageId, fd: i32, node: u64) -> i64 {
        if !self.bound.contains_key(&node) {
            return Errno::ECONNREFUSED.neg();
        }
        self.sent.push((cage, fd, node, 0));
        0
    }

    fn sendto(&mut self, cage: CageId, fd: i32, node: u64, data: &[u8], _flags: u32) -> i64 {
        if !self.bound.contains_key(&node) {
            return Errno::ECONNREFUSED.neg();
        }
        self.sent.push((cage, fd, node, data.len()));
        data.len() as i64
    }
}
