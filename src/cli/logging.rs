//! Logging: `tracing` to stderr, filtered by `RUST_LOG` (default `info`
//! for coopnet, `warn` for everything else).

use tracing_subscriber::EnvFilter;

/// Installs the subscriber once.
pub fn init() {
    let filter = EnvFilter::try_from_default_env()
        .unwrap_or_else(|_| EnvFilter::new("warn,coopnet=info,coopnet_node=info"));
    let ansi = std::io::IsTerminal::is_terminal(&std::io::stderr());
    let _ = tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_ansi(ansi)
        .with_writer(std::io::stderr)
        .try_init();
}
