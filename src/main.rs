//! The `coopnet` binary: the composition root. It parses the command line
//! and hands each command to the crate that owns it; no logic lives here.

mod inspect;

use clap::{Parser, Subcommand};

/// A peer-to-peer network for worker co-operatives to pool skills and
/// capacity and bid for work together.
#[derive(Debug, Parser)]
#[command(name = "coopnet", version, about)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Decode and verify a signed record (raw bytes or hex) and print it as JSON.
    Inspect(inspect::Args),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Inspect(args) => inspect::run(&args),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("coopnet: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
