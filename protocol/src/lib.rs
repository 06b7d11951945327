//! coopnet's protocol: the signed records co-ops publish to each other.
//!
//! This crate is sans-IO: pure types and functions, no clock, no network, no
//! storage. Everything that arrives from another node goes through
//! [`verify_bytes`] (or [`validate`]) with the caller's `now`, and comes out
//! either as a [`VerifiedRecord`] or as a [`RecordError`] saying what is
//! wrong. The wire format is specified in `protocol/SPEC.md`.
#![deny(missing_docs)]

pub mod bidwire;
mod envelope;
pub mod federation;
mod keys;
pub mod kinds;
mod record;
pub mod samples;
pub mod search;
mod time;
mod validate;

pub use envelope::{
    DecodeError, FORMAT_V1, Header, KindCode, MAX_KEY_LEN, MAX_RECORD_LEN, SIGNING_DOMAIN,
};
pub use keys::{KeyError, PUBLIC_KEY_LEN, PublicKey, SIGNATURE_LEN, SecretKey, Signature};
pub use kinds::fields::{FieldError, Problem};
pub use kinds::{ALL_KINDS, Body, BodyError, Kind};
pub use record::{Draft, RecordId, SignError, SignedRecord, signing_input};
pub use time::{Day, DayError, Timestamp};
pub use validate::{MAX_CLOCK_SKEW_MS, RecordError, VerifiedRecord, validate, verify_bytes};
#[cfg(feature = "openapi")]
mod openapi;
pub mod taxonomy;
