//! The filesystem: nodes, directory entries, open file descriptions, and every
//! POSIX operation over them, with Linux's errno semantics.
//!
//! Paths are byte strings (any byte but NUL and '/' may name an entry). A path
//! taking operation resolves relative paths from `dir`: `Some(ofd)` is an open
//! directory (a dirfd or a cage's cwd), `None` the root.
//!
//! Storage is four fixed pools addressed by index, each with a free list:
//! - nodes ([`node`]): slot 0 is the root, encoded so all-zero bytes are a
//!   fresh 0755 root directory;
//! - directory entries ([`dir`]): names inline, found through a hash index of
//!   `DIRENTS` buckets keyed by (parent, name), listed per directory in
//!   insertion order for readdir;
//! - open file descriptions ([`ofd`]);
//! - data chunks, in the [`ChunkStore`] (file bytes and symlink targets).
//!
//! Operations, by concern: [`path`] resolution, [`perm`]issions,
//! [`namespace`] changes, file [`io`], [`attr`]ibutes, [`readdir`], [`fsck`].

use crate::ChunkStore;

mod attr;
mod dir;
mod fsck;
mod io;
mod namespace;
mod node;
mod ofd;
mod path;
mod perm;
mod readdir;

pub use path::Exit;

use crate::pool::{self, Link, Pool};
use dir::Dirent;
use node::Node;
use ofd::Ofd;

/// A whole filesystem of `NODES` nodes, `DIRENTS` directory entries, `CHUNKS`
/// data chunks of `CHUNK_SIZE` bytes and `OFDS` open file descriptions.
pub struct Fs<
    const NODES: usize,
    const DIRENTS: usize,
    const CHUNKS: usize,
    const CHUNK_SIZE: usize,
    const OFDS: usize,
> {
    /// Slot 0 is the root directory, live from the start.
    nodes: Pool<Node, NODES, 1>,
    dirents: Pool<Dirent, DIRENTS, 0>,
    /// Name index: heads of the hash chains through `Dirent::chain`.
    buckets: [Link; DIRENTS],
    ofds: Pool<Ofd, OFDS, 0>,
    data: ChunkStore<CHUNKS, CHUNK_SIZE>,
    /// Mounted inside a larger tree (see [`Fs::set_mounted`]).
    mounted: bool,
}

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    /// Rejects at compile time sizes the index types cannot address.
    const VALID_SIZES: () = assert!(
        NODES >= 1
            && NODES < (1 << 31)
            && DIRENTS >= 1
            && DIRENTS < (1 << 31)
            && OFDS >= 1
            && OFDS <= (1 << 20)
            && CHUNK_SIZE >= 512,
        "Fs pool sizes out of range"
    );

    /// An empty filesystem holding only the root directory (mode 0755, owner 0).
    /// Zeroed memory is this same filesystem (a guarantee: hosts allocate it
    /// zeroed), and `new()` itself is zeros plus pool slots never written, so a
    /// `static` lands in .bss and nothing is built at run time.
    pub const fn new() -> Self {
        #[allow(clippy::let_unit_value)]
        let () = Self::VALID_SIZES;
        Fs {
            nodes: Pool::new(),
            dirents: Pool::new(),
            buckets: [Link::NONE; DIRENTS],
            ofds: Pool::new(),
            data: ChunkStore::new(),
            mounted: false,
        }
    }
}

impl<
        const NODES: usize,
        const DIRENTS: usize,
        const CHUNKS: usize,
        const CHUNK_SIZE: usize,
        const OFDS: usize,
    > Default for Fs<NODES, DIRENTS, CHUNKS, CHUNK_SIZE, OFDS>
{
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::config::{DIRENTS, NAME_MAX, NODES, OPEN_FILES};

    /// build.rs estimates the footprint as nodes*128 + dirents*(NAME_MAX+32)
    /// + open_files*48 (+ chunks): the namespace pools must stay within it.
    #[test]
    fn pools_fit_the_build_estimate() {
        let (node, dirent, ofd) = (
            core::mem::size_of::<Node>(),
            core::mem::size_of::<Dirent>(),
            core::mem::size_of::<Ofd>(),
        );
        std::println!("slot sizes: node {node} dirent {dirent} (+4 bucket head) ofd {ofd}");
        let actual = NODES * node + DIRENTS * (dirent + 4) + OPEN_FILES * ofd;
        let estimate = NODES * 128 + DIRENTS * (NAME_MAX + 32) + OPEN_FILES * 48;
        assert!(actual <= estimate, "{actual} > {estimate}");
    }
}
