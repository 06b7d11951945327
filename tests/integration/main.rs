//! The one integration-test binary: the real `coopnet` binary and, as
//! features land, real nodes over real sockets.

#![allow(clippy::unwrap_used)]

mod adversary;
mod agreement;
mod agreement_browser;
mod api_doc;
mod bid_crash;
mod bid_messages;
mod bids;
mod bids_browser;
mod browser;
mod cli;
mod cli_output;
mod crash;
mod dashboard;
mod federation;
mod holders;
mod nat;
mod network;
mod partition;
mod phone;
mod production;
mod protocol_smoke;
mod push;
mod secrets;
mod skills;
mod upgrade;
mod web;

/// The `coopnet` binary Cargo built for this test run.
pub fn coopnet(args: &[&str]) -> std::process::Output {
    coopnet_tests::run(std::path::Path::new(env!("CARGO_BIN_EXE_coopnet")), args)
}
