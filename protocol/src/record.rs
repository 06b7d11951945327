//! Signed records: building and signing a [`Draft`], decoding a
//! [`SignedRecord`] from the wire, content ids and last-writer-wins.

use std::cmp::{Ordering, Reverse};
use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use sha2::{Digest, Sha256};

use crate::envelope::{self, DecodeError, Header, KindCode, MAX_RECORD_LEN, SIGNING_DOMAIN};
use crate::keys::{SecretKey, Signature};
use crate::kinds::Body;
use crate::time::Timestamp;

/// A record's content id: SHA-256 of its signed payload (SPEC §2.3).
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RecordId(pub [u8; 32]);

impl RecordId {
    /// The id of a signed payload.
    pub fn of_payload(payload: &[u8]) -> Self {
        Self(Sha256::digest(payload).into())
    }
}

impl fmt::Display for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for RecordId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RecordId({self})")
    }
}

impl FromStr for RecordId {
    type Err = String;
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let mut bytes = [0u8; 32];
        let lower = text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        match hex::decode_to_slice(text, &mut bytes) {
            Ok(()) if lower => Ok(Self(bytes)),
            _ => Err("a record id is 64 lowercase hex characters".to_owned()),
        }
    }
}

impl Serialize for RecordId {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.0.serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for RecordId {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            <[u8; 32]>::deserialize(deserializer).map(Self)
        }
    }
}

/// Why a draft could not be signed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SignError {
    /// The envelope rules refuse the draft (key, version, size).
    #[error(transparent)]
    Envelope(#[from] DecodeError),
    /// The signed record would break a validation rule (a key rule).
    #[error(transparent)]
    Invalid(#[from] crate::validate::RecordError),
    /// The body is of a different kind from the draft.
    #[error("the body is of kind {body:?} but the draft says {draft:?}")]
    KindMismatch {
        /// Kind code of the draft.
        draft: KindCode,
        /// Kind code of the body.
        body: KindCode,
    },
}

/// A record about to be signed by its author.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Draft {
    /// What the record is.
    pub kind: KindCode,
    /// Which record of (author, kind) it is; empty for one-per-co-op kinds.
    pub key: String,
    /// Must exceed every version of the same (author, kind, key) before it.
    pub version: u64,
    /// Now, as the author's clock says.
    pub issued_at: Timestamp,
    /// When the record lapses, if ever.
    pub expires_at: Option<Timestamp>,
    /// The body, or `None` for a tombstone that withdraws the record.
    pub body: Option<Body>,
}

impl Draft {
    /// A live record of `body`'s kind.
    pub fn new(body: Body, key: impl Into<String>, version: u64, issued_at: Timestamp) -> Self {
        Self {
            kind: body.kind_code(),
            key: key.into(),
            version,
            issued_at,
            expires_at: None,
            body: Some(body),
        }
    }

    /// Signs the draft as `secret`'s co-op.
    pub fn sign(&self, secret: &SecretKey) -> Result<SignedRecord, SignError> {
        if let Some(body) = &self.body
            && body.kind_code() != self.kind
        {
            return Err(SignError::KindMismatch {
                draft: self.kind,
                body: body.kind_code(),
            });
        }
        envelope::check_key(&self.key)?;
        if self.version == 0 {
            return Err(DecodeError::ZeroVersion.into());
        }
        let header = Header {
            author: secret.public(),
            kind: self.kind,
            key: self.key.clone(),
            version: self.version,
            issued_at: self.issued_at,
            expires_at: self.expires_at.filter(|t| t.0 != 0),
        };
        let body = self.body.as_ref().map(Body::encode);
        let mut bytes = envelope::encode_payload(&header, body.as_deref());
        let signature = secret.sign(&signing_input(&bytes));
        bytes.extend_from_slice(signature.as_bytes());
        if bytes.len() > MAX_RECORD_LEN {
            return Err(DecodeError::TooLarge { len: bytes.len() }.into());
        }
        let record = SignedRecord::decode(bytes)?;
        crate::validate::check_key_rule(&record, self.body.as_ref())?;
        Ok(record)
    }
}

/// The bytes an author signs: the domain prefix, then the payload.
pub fn signing_input(payload: &[u8]) -> Vec<u8> {
    let mut input = Vec::with_capacity(SIGNING_DOMAIN.len() + payload.len());
    input.extend_from_slice(SIGNING_DOMAIN);
    input.extend_from_slice(payload);
    input
}

/// A record as it travels: its exact bytes, decoded header and id.
///
/// Decoding checks structure only. A `SignedRecord` has **not** been
/// verified; [`crate::validate`] turns it into a [`crate::VerifiedRecord`].
#[derive(Clone, PartialEq, Eq)]
pub struct SignedRecord {
    bytes: Vec<u8>,
    header: Header,
    body: Option<std::ops::Range<usize>>,
    payload_len: usize,
    signature: Signature,
    id: RecordId,
}

impl SignedRecord {
    /// Decodes the wire form (SPEC §2), keeping the bytes as they came.
    pub fn decode(bytes: impl Into<Vec<u8>>) -> Result<Self, DecodeError> {
        let bytes = bytes.into();
        let decoded = envelope::decode(&bytes)?;
        let id = RecordId::of_payload(&bytes[..decoded.payload_len]);
        Ok(Self {
            header: decoded.header,
            body: decoded.body,
            payload_len: decoded.payload_len,
            signature: decoded.signature,
            id,
            bytes,
        })
    }

    /// The signed fields other than the content.
    pub fn header(&self) -> &Header {
        &self.header
    }

    /// The content id.
    pub fn id(&self) -> RecordId {
        self.id
    }

    /// The whole record as it travels: payload, then signature.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// The signed payload: every byte before the signature.
    pub fn payload(&self) -> &[u8] {
        &self.bytes[..self.payload_len]
    }

    /// The body bytes, or `None` for a tombstone.
    pub fn body_bytes(&self) -> Option<&[u8]> {
        self.body.clone().map(|range| &self.bytes[range])
    }

    /// Whether this record withdraws its (author, kind, key) slot.
    pub fn is_tombstone(&self) -> bool {
        self.body.is_none()
    }

    /// The signature.
    pub fn signature(&self) -> &Signature {
        &self.signature
    }

    /// Checks the author's signature over the domain-prefixed payload.
    pub fn signature_is_valid(&self) -> bool {
        let input = signing_input(self.payload());
        self.header.author.verify(&input, &self.signature)
    }

    /// Last-writer-wins order between two records of the same slot: the
    /// higher version wins; at equal versions the lower id wins, so every
    /// node picks the same one. `Greater` means `self` wins.
    pub fn precedence(&self, other: &SignedRecord) -> Ordering {
        let rank = |r: &SignedRecord| (r.header.version, Reverse(r.id));
        rank(self).cmp(&rank(other))
    }

    /// Whether `self` should replace `other` in a store.
    pub fn supersedes(&self, other: &SignedRecord) -> bool {
        self.precedence(other) == Ordering::Greater
    }

    /// The record's bytes, consuming it.
    pub fn into_bytes(self) -> Vec<u8> {
        self.bytes
    }
}

impl fmt::Debug for SignedRecord {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SignedRecord")
            .field("id", &self.id)
            .field("header", &self.header)
            .field("len", &self.bytes.len())
            .finish()
    }
}
