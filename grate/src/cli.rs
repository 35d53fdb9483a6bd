//! The command line: `imfs-grate [--log] [--stats] [--show-config] [--preload-partial]
//! [--mount PREFIX] PROGRAM [ARGS...]`.

use std::ffi::OsString;
use std::path::PathBuf;

use clap::Parser;

/// Run PROGRAM with its filesystem served from memory by imfs.
///
/// PRELOADS (':'-separated `path` or `imfs_path=host_path`) are copied into
/// imfs before the program starts; DUMPS (';'-separated `imfs_path=host_path`
/// or `path`) are copied back to the host after it exits.
#[derive(Parser, Debug, Clone, PartialEq, Eq)]
#[command(name = "imfs-grate", version, trailing_var_arg = true)]
pub struct Cli {
    /// Log each served syscall (name, arguments, result) to stderr.
    #[arg(long)]
    pub log: bool,
    /// Print the use and high-water mark of every pool at exit.
    #[arg(long)]
    pub stats: bool,
    /// Print every limit in effect and the footprint, then exit.
    #[arg(long)]
    pub show_config: bool,
    /// Start the program even if PRELOADS did not all fit: staging still
    /// stops at the first limit, and says so, but the program runs with
    /// what was staged.
    #[arg(long)]
    pub preload_partial: bool,
    /// Serve imfs at PREFIX only; every other path stays the host's.
    #[arg(long, value_name = "PREFIX")]
    pub mount: Option<PathBuf>,
    /// The program to run, and its arguments.
    #[arg(value_name = "PROGRAM", required_unless_present = "show_config", allow_hyphen_values = true, num_args = 1..)]
    pub command: Vec<OsString>,
}

/// `--show-config`: every limit as `key = value`, then the footprint.
pub fn show_config() -> String {
    let mut out = String::new();
    for (key, value) in imfs_core::config::ALL {
        out += &format!("{key} = {value}\n");
    }
    out += &format!("footprint_bytes = {}\n", imfs_core::FOOTPRINT_BYTES);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn program_args_are_not_grate_flags() {
        let cli = Cli::try_parse_from(["imfs-grate", "--log", "sh", "-c", "echo --stats"]).unwrap();
        assert!(cli.log && !cli.stats);
        assert_eq!(
            cli.command,
            ["sh", "-c", "echo --stats"].map(OsString::from)
        );
    }

    #[test]
    fn show_config_needs_no_program() {
        let cli = Cli::try_parse_from(["imfs-grate", "--show-config"]).unwrap();
        assert!(cli.show_config && cli.command.is_empty());
        assert!(Cli::try_parse_from(["imfs-grate"]).is_err());
    }

    #[test]
    fn preload_partial_is_a_grate_flag() {
        let cli = Cli::try_parse_from(["imfs-grate", "--preload-partial", "prog"]).unwrap();
        assert!(cli.preload_partial);
        let cli = Cli::try_parse_from(["imfs-grate", "prog", "--preload-partial"]).unwrap();
        assert!(!cli.preload_partial);
    }

    #[test]
    fn mount_prefix() {
        let cli = Cli::try_parse_from(["imfs-grate", "--mount", "/mnt/imfs", "ls"]).unwrap();
        assert_eq!(cli.mount, Some(PathBuf::from("/mnt/imfs")));
    }

    #[test]
    fn limits_env_lists_every_limit() {
        let env = crate::Grate::limits_env();
        let pairs: Vec<&str> = env.split(',').collect();
        assert_eq!(pairs.len(), imfs_core::config::ALL.len() + 1);
        for (key, value) in imfs_core::config::ALL {
            assert!(pairs.contains(&format!("{key}={value}").as_str()), "{key}");
        }
        assert_eq!(
            *pairs.last().unwrap(),
            format!("footprint_bytes={}", imfs_core::FOOTPRINT_BYTES)
        );
    }

    #[test]
    fn show_config_lists_every_limit() {
        let text = show_config();
        for (key, value) in imfs_core::config::ALL {
            assert!(text.contains(&format!("{key} = {value}\n")), "{key}");
        }
        assert!(text.ends_with(&format!(
            "footprint_bytes = {}\n",
            imfs_core::FOOTPRINT_BYTES
        )));
    }
}
