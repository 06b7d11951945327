//! Record validation: a pure function of the bytes and `now` that either
//! yields a [`VerifiedRecord`] or says exactly what is wrong.
//!
//! The checks run cheapest first (SPEC §4), so garbage costs little: the
//! envelope, the clock window, the key rules, the body, and last the
//! signature.

use crate::envelope::DecodeError;
use crate::keys::PublicKey;
use crate::kinds::{Body, BodyError, Kind};
use crate::record::SignedRecord;
use crate::time::Timestamp;

/// How far ahead of our clock a record's issue time may be.
pub const MAX_CLOCK_SKEW_MS: u64 = 5 * 60 * 1000;

/// Why a record was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecordError {
    /// The bytes are not a well-formed envelope.
    #[error(transparent)]
    Decode(#[from] DecodeError),
    /// Issued further in the future than [`MAX_CLOCK_SKEW_MS`] allows.
    #[error("issued at {issued_at} ms, more than 5 minutes after now ({now} ms)")]
    FromTheFuture {
        /// The record's issue time.
        issued_at: u64,
        /// Our clock.
        now: u64,
    },
    /// The expiry is not after the issue time.
    #[error("expires at {expires_at} ms, not after it was issued ({issued_at} ms)")]
    ExpiresBeforeIssued {
        /// The record's issue time.
        issued_at: u64,
        /// The record's expiry.
        expires_at: u64,
    },
    /// The record has expired.
    #[error("expired at {expires_at} ms (now {now} ms)")]
    Expired {
        /// The record's expiry.
        expires_at: u64,
        /// Our clock.
        now: u64,
    },
    /// The key within (author, kind) breaks its kind's rule.
    #[error("a {kind} record's key {rule}")]
    KeyRule {
        /// Kind name.
        kind: &'static str,
        /// The rule broken.
        rule: &'static str,
    },
    /// The body does not decode into its kind, or breaks a field rule.
    #[error(transparent)]
    Body(#[from] BodyError),
    /// The signature does not verify under the author's key.
    #[error("the signature does not match the author's key and the signed bytes")]
    BadSignature,
}

impl RecordError {
    /// A stable, short name for the error, used in the test vectors, logs
    /// and metrics.
    pub fn code(&self) -> &'static str {
        match self {
            Self::Decode(e) => match e {
                DecodeError::TooLarge { .. } => "too-large",
                DecodeError::Truncated(_) => "truncated",
                DecodeError::UnknownFormat(_) => "unknown-format",
                DecodeError::BadAuthor(_) => "bad-author",
                DecodeError::BadKey(_) => "bad-key",
                DecodeError::ZeroVersion => "zero-version",
                DecodeError::BadContentTag(_) => "bad-content-tag",
                DecodeError::TrailingBytes(_) => "trailing-bytes",
            },
            Self::FromTheFuture { .. } => "from-the-future",
            Self::ExpiresBeforeIssued { .. } => "expires-before-issued",
            Self::Expired { .. } => "expired",
            Self::KeyRule { .. } => "key-rule",
            Self::Body(BodyError::Malformed { .. }) => "malformed-body",
            Self::Body(BodyError::NonCanonical(_)) => "non-canonical-body",
            Self::Body(BodyError::Field { .. }) => "invalid-field",
            Self::BadSignature => "bad-signature",
        }
    }

    /// Whether an honest relayer could have sent this: a record that
    /// expired in flight, or one from a peer whose clock runs ahead. Such
    /// records are ignored; any other error marks the sender as faulty.
    pub fn is_honest_mistake(&self) -> bool {
        matches!(self, Self::Expired { .. } | Self::FromTheFuture { .. })
    }
}

/// A record whose signature, envelope, clock window and body all passed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct VerifiedRecord {
    record: SignedRecord,
    body: Option<Body>,
}

impl VerifiedRecord {
    /// The record as signed.
    pub fn record(&self) -> &SignedRecord {
        &self.record
    }

    /// The typed body, or `None` for a tombstone.
    pub fn body(&self) -> Option<&Body> {
        self.body.as_ref()
    }

    /// The record and its body, consuming `self`.
    pub fn into_parts(self) -> (SignedRecord, Option<Body>) {
        (self.record, self.body)
    }
}

/// Decodes, validates and verifies a record that arrived as bytes.
pub fn verify_bytes(
    bytes: impl Into<Vec<u8>>,
    now: Timestamp,
) -> Result<VerifiedRecord, RecordError> {
    validate(SignedRecord::decode(bytes)?, now)
}

/// Validates a decoded record against `now` and verifies its signature.
pub fn validate(record: SignedRecord, now: Timestamp) -> Result<VerifiedRecord, RecordError> {
    check_clock(&record, now)?;
    let body = match record.body_bytes() {
        Some(bytes) => Some(Body::decode(record.header().kind, bytes)?),
        None => None,
    };
    check_key_rule(&record, body.as_ref())?;
    if !record.signature_is_valid() {
        return Err(RecordError::BadSignature);
    }
    Ok(VerifiedRecord { record, body })
}

fn check_clock(record: &SignedRecord, now: Timestamp) -> Result<(), RecordError> {
    let header = record.header();
    if header.issued_at > now.plus_millis(MAX_CLOCK_SKEW_MS) {
        return Err(RecordError::FromTheFuture {
            issued_at: header.issued_at.0,
            now: now.0,
        });
    }
    if let Some(expires_at) = header.expires_at {
        if expires_at <= header.issued_at {
            return Err(RecordError::ExpiresBeforeIssued {
                issued_at: header.issued_at.0,
                expires_at: expires_at.0,
            });
        }
        if expires_at <= now {
            return Err(RecordError::Expired {
                expires_at: expires_at.0,
                now: now.0,
            });
        }
    }
    Ok(())
}

/// Kind-specific key rules (SPEC §3.1): one-per-co-op kinds have an empty
/// key; membership and revocation records are keyed by the member's key.
pub(crate) fn check_key_rule(
    record: &SignedRecord,
    body: Option<&Body>,
) -> Result<(), RecordError> {
    let Some(kind) = Kind::from_code(record.header().kind) else {
        return Ok(());
    };
    let key = record.header().key.as_str();
    let broken = |rule| {
        Err(RecordError::KeyRule {
            kind: kind.name(),
            rule,
        })
    };
    if kind.is_singleton() {
        return if key.is_empty() {
            Ok(())
        } else {
            broken("must be empty")
        };
    }
    if key.is_empty() {
        return broken("must not be empty");
    }
    let member = match body {
        Some(Body::Membership(m)) => Some(m.member),
        Some(Body::Revocation(r)) => Some(r.member),
        _ => None,
    };
    match (kind, member) {
        // NOTE: comparing text avoids decompressing the key a second time.
        (_, Some(member)) if member.to_string() != key => broken("must equal the member field"),
        (Kind::Membership | Kind::Revocation, None) if key.parse::<PublicKey>().is_err() => {
            broken("must be the member's public key")
        }
        _ => Ok(()),
    }
}
