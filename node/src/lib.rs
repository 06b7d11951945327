//! The coopnet peer node: identity on disk, the SQLite replica, libp2p
//! gossip and anti-entropy sync.
//!
//! Built by issue 3; this crate is an empty placeholder until then, so the
//! workspace already has the shape the brief describes.
