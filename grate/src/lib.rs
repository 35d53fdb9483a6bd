//! imfs-grate: the std shell around imfs-core.
//!
//! - [`host`]: the narrow interface a host (Lind, native Linux, the in-process
//!   test host) implements.
//! - [`dispatch`]: [`Grate`], one entry point for every syscall.
//!
//! SKELETON: more modules arrive with the syscall layer.

pub mod dispatch;
pub mod host;

pub use dispatch::{Grate, GrateOptions};
