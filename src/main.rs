//! The `coopnet` binary: the composition root. It parses the command line
//! and hands each command to the module that runs it; the node and web
//! crates hold the logic.

mod bid;
mod cli;
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
    /// Create a node: data directory, identity key and commented config.
    Init(cli::init::Args),
    /// Run a node until Ctrl-C or SIGTERM.
    Run(cli::run::Args),
    /// Run a local demo federation of several nodes on this machine.
    Demo(cli::demo::Args),
    /// Create a federation, admit or revoke members.
    #[command(subcommand)]
    Federation(cli::federation::Command),
    /// Print this co-op's join code, for a coordinator to admit it.
    JoinCode(cli::init::JoinCodeArgs),
    /// Publish one of our co-op's records from a JSON file (node running).
    Publish(cli::control::PublishArgs),
    /// Withdraw one of our co-op's records (node running).
    Withdraw(cli::control::WithdrawArgs),
    /// List the records in the node's replica (node running).
    List(cli::control::ListArgs),
    /// List the node's connected peers (node running).
    Peers(cli::control::DataArgs),
    /// Connect the running node to a peer (directly or through a relay).
    Connect(cli::control::ConnectArgs),
    /// Show the node's identity, addresses and counts (node running).
    Status(cli::control::DataArgs),
    /// Manage the web app's local users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage API tokens for scripts.
    #[command(subcommand)]
    Token(TokenCommand),
    /// Decode and verify a signed record (raw bytes or hex) and print it as JSON.
    Inspect(inspect::Args),
    /// Joint bids.
    #[command(subcommand)]
    Bid(BidCommand),
    /// Back up the node's store while it runs (and its key, when asked).
    Backup(cli::backup::BackupArgs),
    /// Restore a store backup into a stopped node's data directory.
    Restore(cli::backup::RestoreArgs),
    /// Check a data directory and its config, and say what is wrong.
    Check(cli::check::Args),
}

#[derive(Debug, Subcommand)]
enum BidCommand {
    /// Check an exported bid document and its signatures offline.
    Verify(bid::VerifyArgs),
}

#[derive(Debug, Subcommand)]
enum UserCommand {
    /// Add a user (a generated password is printed once).
    Add(cli::users::AddArgs),
}

#[derive(Debug, Subcommand)]
enum TokenCommand {
    /// Create an API token (printed once).
    Create(cli::users::TokenArgs),
    /// List a user's API tokens.
    List(cli::users::TokenListArgs),
    /// Revoke an API token (at once, also while the node runs).
    Revoke(cli::users::TokenRevokeArgs),
}

fn main() -> std::process::ExitCode {
    let cli = Cli::parse();
    // Only a running node logs what it does; a command's output is its
    // answer, with warnings and errors alone beside it.
    let running = matches!(cli.command, Command::Run(_));
    cli::logging::init(if running {
        cli::logging::DEFAULT
    } else {
        cli::logging::QUIET
    });
    let result = match cli.command {
        Command::Init(args) => cli::init::run(&args),
        Command::Run(args) => cli::runtime().and_then(|rt| rt.block_on(cli::run::run(args))),
        Command::Demo(args) => cli::runtime().and_then(|rt| rt.block_on(cli::demo::run(args))),
        Command::Federation(command) => cli::federation::run(command),
        Command::JoinCode(args) => cli::init::join_code(&args),
        Command::Publish(args) => cli::control::publish(&args),
        Command::Withdraw(args) => cli::control::withdraw(&args),
        Command::List(args) => cli::control::list(&args),
        Command::Peers(args) => cli::control::peers(&args),
        Command::Connect(args) => cli::control::connect(&args),
        Command::Status(args) => cli::control::status(&args),
        Command::User(UserCommand::Add(args)) => {
            cli::runtime().and_then(|rt| rt.block_on(cli::users::add(args)))
        }
        Command::Token(TokenCommand::Create(args)) => {
            cli::runtime().and_then(|rt| rt.block_on(cli::users::token(args)))
        }
        Command::Token(TokenCommand::List(args)) => {
            cli::runtime().and_then(|rt| rt.block_on(cli::users::token_list(args)))
        }
        Command::Token(TokenCommand::Revoke(args)) => {
            cli::runtime().and_then(|rt| rt.block_on(cli::users::token_revoke(args)))
        }
        Command::Inspect(args) => inspect::run(&args),
        Command::Bid(BidCommand::Verify(args)) => bid::verify(&args),
        Command::Backup(args) => cli::backup::run_backup(&args),
        Command::Restore(args) => {
            cli::runtime().and_then(|rt| rt.block_on(cli::backup::run_restore(&args)))
        }
        Command::Check(args) => cli::runtime().and_then(|rt| rt.block_on(cli::check::run(&args))),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        // `coopnet list | head`: the reader has all it wanted.
        Err(error) if cli::out::is_closed(&error) => std::process::ExitCode::SUCCESS,
        Err(error) => {
            eprintln!("coopnet: {error:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
