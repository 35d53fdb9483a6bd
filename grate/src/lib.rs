//! imfs-grate: the std shell around imfs-core.
//!
//! - [`host`]: the narrow interface a host (Lind, native Linux, the in-process
//!   test host) implements.
//!
//! SKELETON: more modules arrive with the syscall layer.

pub mod host;
