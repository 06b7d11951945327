//! The composition root shared by the `coopnet` binary and the integration
//! tests: it wires a running [`coopnet_node::Node`] to the web app
//! ([`coopnet_web`]), which knows nothing of libp2p or SQLite.

pub mod web;
