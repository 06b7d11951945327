//! The coopnet peer node: the co-op's identity on disk, the SQLite replica
//! of the federation's records, libp2p gossip and anti-entropy sync, and the
//! operations the CLI and the web app call.
//!
//! Architecture: one task owns the libp2p swarm ([`net`]); one thread owns
//! the SQLite connection ([`store`]); records from peers flow through the
//! [`ingest`] pipeline (verify, store, report) between them. A [`Node`]
//! wires them together.

mod admission;
pub mod bids;
pub mod clock;
pub mod config;
pub mod control;
pub mod dashboard;
pub mod gate;
pub mod genesis;
pub mod identity;
pub mod ingest;
pub mod intake;
pub mod monitor;
pub mod net;
mod node;
pub mod private;
pub mod search_cache;
pub mod store;
mod upgrade;

pub use node::{DEFAULT_GRACE, ImportReport, Node, NodeError, OPEN_TOPIC, Overrides, Receipt};

pub mod ocds;
