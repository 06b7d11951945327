//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (for `coopnet run`,
//! default `info` for coopnet and `warn` for everything else; `warn`
//! throughout for every other command, whose output is its answer, and
//! for the demo, whose own summary says what runs).

use tracing_subscriber::EnvFilter;

/// The filter without `RUST_LOG`.
pub const DEFAULT: &str = "warn,coopnet=info,coopnet_node=info";
/// The demo's filter without `RUST_LOG`.
pub const QUIET: &str = "warn";

/// Installs the subscriber once, with `default` unless `RUST_LOG` is set.
pub fn init(default: &str) {
    let filter = EnvFilter::try_from_default_env().unwrap_or_else(|_| EnvFilter::new(default));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}
