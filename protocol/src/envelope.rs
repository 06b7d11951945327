//! The signed envelope's wire form: a fixed, hand-specified layout (see
//! `protocol/SPEC.md` §2) that every node decodes before trusting anything.
//!
//! Decoding checks structure only (bounds, lengths, the author's key); the
//! signature and the rules that depend on `now` are checked by
//! [`crate::validate`].

use crate::keys::{KeyError, PUBLIC_KEY_LEN, PublicKey, SIGNATURE_LEN, Signature};
use crate::time::Timestamp;

/// The first byte of every record: the envelope format this code speaks.
pub const FORMAT_V1: u8 = 1;
/// The largest record, signature included, in bytes.
pub const MAX_RECORD_LEN: usize = 64 * 1024;
/// The longest key within (author, kind), in bytes.
pub const MAX_KEY_LEN: usize = 128;
/// Prepended to the encoded payload to form the signing input, so a record
/// signature can never be mistaken for a signature over anything else.
pub const SIGNING_DOMAIN: &[u8] = b"coopnet/record/v1\0";

/// Bytes before the key: format, author, kind, key length.
const HEAD_LEN: usize = 1 + PUBLIC_KEY_LEN + 2 + 1;
/// Smallest possible record: empty key, tombstone, signature.
const MIN_RECORD_LEN: usize = HEAD_LEN + 8 + 8 + 8 + 1 + SIGNATURE_LEN;

/// Why bytes are not a well-formed record envelope.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// More than [`MAX_RECORD_LEN`] bytes.
    #[error("the record is {len} bytes; the limit is {MAX_RECORD_LEN}")]
    TooLarge {
        /// Length received.
        len: usize,
    },
    /// The bytes end before the named field does.
    #[error("the record ends inside its {0} field")]
    Truncated(&'static str),
    /// The first byte names a format this node does not speak.
    #[error("unknown record format {0}; this node speaks format {FORMAT_V1}")]
    UnknownFormat(u8),
    /// The author field is not a usable public key.
    #[error("the author is not a usable key: {0}")]
    BadAuthor(KeyError),
    /// The key within (author, kind) breaks the key rules.
    #[error("the record key {0}")]
    BadKey(&'static str),
    /// Version 0 is reserved: versions start at 1.
    #[error("the record version must be at least 1")]
    ZeroVersion,
    /// The content tag is neither 0 (tombstone) nor 1 (body).
    #[error("unknown content tag {0}; expected 0 (tombstone) or 1 (body)")]
    BadContentTag(u8),
    /// Bytes remain after the signature.
    #[error("{0} unexpected bytes after the signature")]
    TrailingBytes(usize),
}

/// The kind of a record, as its 16-bit code on the wire.
///
/// Codes this version knows are listed in [`crate::Kind`]; any other code
/// still decodes and verifies, so records of newer kinds are stored and
/// relayed as opaque bytes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct KindCode(pub u16);

/// The signed fields of a record other than its content.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Header {
    /// The co-op that signed the record.
    pub author: PublicKey,
    /// What the body is.
    pub kind: KindCode,
    /// Which record of (author, kind) this is; empty for one-per-co-op kinds.
    pub key: String,
    /// Strictly increasing per (author, kind, key); at least 1.
    pub version: u64,
    /// When the author issued this version.
    pub issued_at: Timestamp,
    /// When the record stops being valid, if ever.
    pub expires_at: Option<Timestamp>,
}

/// Checks the key-within-kind rules: at most [`MAX_KEY_LEN`] bytes of
/// printable ASCII other than space.
pub fn check_key(key: &str) -> Result<(), DecodeError> {
    if key.len() > MAX_KEY_LEN {
        return Err(DecodeError::BadKey("is longer than 128 bytes"));
    }
    if !key.bytes().all(|b| b.is_ascii_graphic()) {
        return Err(DecodeError::BadKey(
            "may only hold printable ASCII without spaces",
        ));
    }
    Ok(())
}

/// Writes the signed payload: everything but the signature.
///
/// The caller has checked the key; a body longer than `u32::MAX` cannot
/// occur because records are bounded far below it.
pub(crate) fn encode_payload(header: &Header, body: Option<&[u8]>) -> Vec<u8> {
    let body_len = body.map_or(0, |b| 4 + b.len());
    let mut out = Vec::with_capacity(MIN_RECORD_LEN + header.key.len() + body_len);
    out.push(FORMAT_V1);
    out.extend_from_slice(header.author.as_bytes());
    out.extend_from_slice(&header.kind.0.to_be_bytes());
    out.push(header.key.len() as u8);
    out.extend_from_slice(header.key.as_bytes());
    out.extend_from_slice(&header.version.to_be_bytes());
    out.extend_from_slice(&header.issued_at.0.to_be_bytes());
    out.extend_from_slice(&header.expires_at.map_or(0, |t| t.0).to_be_bytes());
    match body {
        None => out.push(0),
        Some(body) => {
            out.push(1);
            out.extend_from_slice(&(body.len() as u32).to_be_bytes());
            out.extend_from_slice(body);
        }
    }
    out
}

/// The result of decoding an envelope: the header, where the body sits in
/// the bytes, and the signature.
#[derive(Debug)]
pub(crate) struct Decoded {
    pub header: Header,
    pub body: Option<std::ops::Range<usize>>,
    pub payload_len: usize,
    pub signature: Signature,
}

/// Decodes an envelope without verifying it.
pub(crate) fn decode(bytes: &[u8]) -> Result<Decoded, DecodeError> {
    if bytes.len() > MAX_RECORD_LEN {
        return Err(DecodeError::TooLarge { len: bytes.len() });
    }
    let mut r = Reader { bytes, pos: 0 };
    let format = r.array::<1>("format")?[0];
    if format != FORMAT_V1 {
        return Err(DecodeError::UnknownFormat(format));
    }
    let author = PublicKey::from_bytes(r.array("author")?).map_err(DecodeError::BadAuthor)?;
    let kind = KindCode(u16::from_be_bytes(*r.array("kind")?));
    let key_len = usize::from(r.array::<1>("key length")?[0]);
    let key = std::str::from_utf8(r.take(key_len, "key")?)
        .map_err(|_| DecodeError::BadKey("is not UTF-8"))?;
    check_key(key)?;
    let version = r.u64("version")?;
    if version == 0 {
        return Err(DecodeError::ZeroVersion);
    }
    let issued_at = Timestamp(r.u64("issued_at")?);
    let expires_at = Some(r.u64("expires_at")?)
        .filter(|&t| t != 0)
        .map(Timestamp);
    let body = match r.array::<1>("content tag")?[0] {
        0 => None,
        1 => {
            let len = u32::from_be_bytes(*r.array("body length")?) as usize;
            let start = r.pos;
            r.take(len, "body")?;
            Some(start..r.pos)
        }
        tag => return Err(DecodeError::BadContentTag(tag)),
    };
    let payload_len = r.pos;
    let signature = Signature::from_bytes(*r.array("signature")?);
    if r.pos != bytes.len() {
        return Err(DecodeError::TrailingBytes(bytes.len() - r.pos));
    }
    let header = Header {
        author,
        kind,
        key: key.to_owned(),
        version,
        issued_at,
        expires_at,
    };
    Ok(Decoded {
        header,
        body,
        payload_len,
        signature,
    })
}

/// A cursor over untrusted bytes that never reads past the end.
struct Reader<'a> {
    bytes: &'a [u8],
    pos: usize,
}

impl<'a> Reader<'a> {
    fn take(&mut self, len: usize, field: &'static str) -> Result<&'a [u8], DecodeError> {
        let end = self
            .pos
            .checked_add(len)
            .filter(|&end| end <= self.bytes.len())
            .ok_or(DecodeError::Truncated(field))?;
        let slice = &self.bytes[self.pos..end];
        self.pos = end;
        Ok(slice)
    }

    fn array<const N: usize>(&mut self, field: &'static str) -> Result<&'a [u8; N], DecodeError> {
        let slice = self.take(N, field)?;
        slice.try_into().map_err(|_| DecodeError::Truncated(field))
    }

    fn u64(&mut self, field: &'static str) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(*self.array(field)?))
    }
}
