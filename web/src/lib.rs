//! The coopnet web app and JSON API (axum), talking to the node through a
//! trait.
//!
//! Built by issue 5; this crate is an empty placeholder until then, so the
//! workspace already has the shape the brief describes.
