//! Standard output for commands whose output is piped (`coopnet list |
//! head`): a write to a closed pipe ends the command quietly and
//! successfully instead of panicking, as `println!` does.

use std::io::Write;

/// Writes lines to standard output.
#[derive(Debug, Default)]
pub struct Out;

/// The error a closed pipe becomes; `main` exits quietly on it.
#[derive(Debug)]
pub struct Closed;

impl std::fmt::Display for Closed {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("standard output was closed")
    }
}

impl std::error::Error for Closed {}

impl Out {
    /// Writes `text` and a line break.
    pub fn line(&mut self, text: impl std::fmt::Display) -> anyhow::Result<()> {
        let mut stdout = std::io::stdout().lock();
        match writeln!(stdout, "{text}") {
            Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Err(Closed.into()),
            other => Ok(other?),
        }
    }
}

/// Whether `error` is a closed standard output (nothing to report).
pub fn is_closed(error: &anyhow::Error) -> bool {
    error.downcast_ref::<Closed>().is_some()
}
