//! imfs-grate: the std shell around imfs-core.
//!
//! - [`host`]: the narrow interface a host (Lind, native Linux, the in-process
//!   loopback) implements; [`host::loopback`] is the test host.
//! - [`dispatch`]: [`Grate`], one entry point for every syscall.
//! - [`fdtable`]: [`fdtable::LocalFdTable`], fixed-capacity per-cage fd tables.
//! - [`cages`]: per-cage cwd and umask.
//! - [`locks`]: fcntl record locks in a fixed table.
//! - [`wire`]: the struct layouts cages exchange, per ABI.
//! - [`staging`]: PRELOADS before the program runs, DUMPS after.
//! - [`cli`]: the command line.

pub mod cages;
pub mod cli;
pub mod dispatch;
pub mod fdtable;
pub mod host;
pub mod locks;
pub mod staging;
pub mod wire;

pub use dispatch::{Grate, GrateOptions, GrateUsage, LockWait};
