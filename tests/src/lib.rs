//! The harness shared by the integration tests in `tests/integration/`:
//! running the `coopnet` binary (and, from issue 3, starting real nodes).

use std::path::Path;
use std::process::{Command, Output};

/// Runs the `coopnet` binary at `bin` with `args` and returns its output.
pub fn run(bin: &Path, args: &[&str]) -> Output {
    Command::new(bin)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {}: {e}", bin.display()))
}
