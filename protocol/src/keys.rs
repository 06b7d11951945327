//! Co-op identity: validated ed25519 public keys, self-zeroing secret keys and
//! signatures, with one text form (lowercase hex) used everywhere.

use std::fmt;
use std::str::FromStr;

use ed25519_dalek::{SigningKey, VerifyingKey};
use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// Length of a public key in bytes.
pub const PUBLIC_KEY_LEN: usize = 32;
/// Length of a signature in bytes.
pub const SIGNATURE_LEN: usize = 64;

/// Why a public key was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    /// The text form was not 64 lowercase hexadecimal characters.
    #[error("a key is 64 lowercase hex characters (0-9, a-f); got {0}")]
    BadText(String),
    /// The 32 bytes are not the encoding of a curve point.
    #[error("the key is not a valid ed25519 point")]
    NotAPoint,
    /// The key has small order: signatures under it prove nothing.
    #[error("the key is a weak (small-order) ed25519 key")]
    Weak,
}

/// A validated ed25519 public key: a point on the curve, not of small order.
///
/// A co-op *is* its key: the same key is its libp2p identity and the author
/// of every record it publishes. Its text form is 64 lowercase hex
/// characters; serde writes that text in human-readable formats and the raw
/// 32 bytes in binary ones.
///
/// It holds the decompressed point, so verifying does not decompress again.
#[derive(Clone, Copy)]
pub struct PublicKey(VerifyingKey);

impl PartialEq for PublicKey {
    fn eq(&self, other: &Self) -> bool {
        self.as_bytes() == other.as_bytes()
    }
}

impl Eq for PublicKey {}

impl std::hash::Hash for PublicKey {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_bytes().hash(state);
    }
}

impl PartialOrd for PublicKey {
    fn partial_cmp(&self, other: &Self) -> Option<std::cmp::Ordering> {
        Some(self.cmp(other))
    }
}

impl Ord for PublicKey {
    fn cmp(&self, other: &Self) -> std::cmp::Ordering {
        self.as_bytes().cmp(other.as_bytes())
    }
}

impl PublicKey {
    /// Parses 32 bytes, refusing non-points and weak keys.
    ///
    /// Decompressing a point costs about as much as a tenth of a signature
    /// check, and a federation's records come from few authors, so keys
    /// that passed are remembered in a small bounded cache.
    pub fn from_bytes(bytes: &[u8; PUBLIC_KEY_LEN]) -> Result<Self, KeyError> {
        if let Some(key) = cache::get(bytes) {
            return Ok(Self(key));
        }
        let key = VerifyingKey::from_bytes(bytes).map_err(|_| KeyError::NotAPoint)?;
        if key.is_weak() {
            return Err(KeyError::Weak);
        }
        cache::put(key);
        Ok(Self(key))
    }

    /// The 32 bytes of the key.
    pub fn as_bytes(&self) -> &[u8; PUBLIC_KEY_LEN] {
        self.0.as_bytes()
    }

    /// Checks `signature` over `message` with ed25519's strict rules
    /// (canonical `S`, no small-order `R` or key).
    pub fn verify(&self, message: &[u8], signature: &Signature) -> bool {
        let signature = ed25519_dalek::Signature::from_bytes(&signature.0);
        self.0.verify_strict(message, &signature).is_ok()
    }

    /// The first 8 hex characters, for logs and compact displays.
    pub fn short(&self) -> String {
        hex::encode(&self.as_bytes()[..4])
    }
}

impl fmt::Display for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.as_bytes()))
    }
}

impl fmt::Debug for PublicKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PublicKey({self})")
    }
}

impl FromStr for PublicKey {
    type Err = KeyError;

    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let bad = || KeyError::BadText(summarise(text));
        let is_lower_hex = text.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'));
        if text.len() != 2 * PUBLIC_KEY_LEN || !is_lower_hex {
            return Err(bad());
        }
        let mut bytes = [0u8; PUBLIC_KEY_LEN];
        hex::decode_to_slice(text, &mut bytes).map_err(|_| bad())?;
        Self::from_bytes(&bytes)
    }
}

/// Keys that passed validation, so repeated authors are not decompressed
/// again. Bounded: when full it is cleared, which is simple and keeps the
/// worst case (a flood of distinct keys) no slower than no cache.
mod cache {
    use std::collections::HashMap;
    use std::sync::{Mutex, OnceLock};

    use ed25519_dalek::VerifyingKey;

    /// Most keys remembered.
    const CAPACITY: usize = 4_096;

    fn map() -> &'static Mutex<HashMap<[u8; 32], VerifyingKey>> {
        static MAP: OnceLock<Mutex<HashMap<[u8; 32], VerifyingKey>>> = OnceLock::new();
        MAP.get_or_init(|| Mutex::new(HashMap::with_capacity(CAPACITY)))
    }

    pub fn get(bytes: &[u8; 32]) -> Option<VerifyingKey> {
        map().lock().ok()?.get(bytes).copied()
    }

    pub fn put(key: VerifyingKey) {
        if let Ok(mut map) = map().lock() {
            if map.len() >= CAPACITY {
                map.clear();
            }
            map.insert(key.to_bytes(), key);
        }
    }
}

/// Quotes at most 80 characters of untrusted text for an error message.
fn summarise(text: &str) -> String {
    let cut: String = text.chars().take(80).collect();
    if cut.len() < text.len() {
        format!("{cut:?}… ({} bytes)", text.len())
    } else {
        format!("{cut:?}")
    }
}

impl Serialize for PublicKey {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        if serializer.is_human_readable() {
            serializer.collect_str(self)
        } else {
            self.as_bytes().serialize(serializer)
        }
    }
}

impl<'de> Deserialize<'de> for PublicKey {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        if deserializer.is_human_readable() {
            let text = <std::borrow::Cow<'de, str>>::deserialize(deserializer)?;
            text.parse().map_err(serde::de::Error::custom)
        } else {
            let bytes = <[u8; PUBLIC_KEY_LEN]>::deserialize(deserializer)?;
            Self::from_bytes(&bytes).map_err(serde::de::Error::custom)
        }
    }
}

/// A secret signing key. It zeroes its memory when dropped and never prints.
pub struct SecretKey(SigningKey);

impl SecretKey {
    /// Builds the key from its 32-byte seed (RFC 8032 private key).
    pub fn from_seed(seed: &[u8; 32]) -> Self {
        Self(SigningKey::from_bytes(seed))
    }

    /// Generates a fresh key from a cryptographically secure random source.
    pub fn generate<R: rand_core::CryptoRngCore + ?Sized>(rng: &mut R) -> Self {
        Self(SigningKey::generate(rng))
    }

    /// The 32-byte seed, for writing the key file. Handle with care.
    pub fn to_seed(&self) -> zeroize::Zeroizing<[u8; 32]> {
        zeroize::Zeroizing::new(self.0.to_bytes())
    }

    /// The matching public key.
    pub fn public(&self) -> PublicKey {
        PublicKey(self.0.verifying_key())
    }

    /// Signs `message` (RFC 8032 Ed25519, deterministic).
    pub fn sign(&self, message: &[u8]) -> Signature {
        use ed25519_dalek::Signer;
        Signature(self.0.sign(message).to_bytes())
    }
}

impl fmt::Debug for SecretKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("SecretKey(..)")
    }
}

/// An ed25519 signature, as its 64 bytes. Checked only by [`PublicKey::verify`].
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct Signature([u8; SIGNATURE_LEN]);

impl Signature {
    /// Wraps 64 bytes (not checked until verified).
    pub fn from_bytes(bytes: [u8; SIGNATURE_LEN]) -> Self {
        Self(bytes)
    }

    /// The 64 bytes of the signature.
    pub fn as_bytes(&self) -> &[u8; SIGNATURE_LEN] {
        &self.0
    }
}

impl fmt::Debug for Signature {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signature({})", hex::encode(self.0))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn key(seed: u8) -> SecretKey {
        SecretKey::from_seed(&[seed; 32])
    }

    #[test]
    fn text_form_round_trips() {
        let public = key(1).public();
        let text = public.to_string();
        assert_eq!(text.len(), 64);
        assert_eq!(text.parse::<PublicKey>().unwrap(), public);
    }

    #[test]
    fn uppercase_hex_is_refused_so_there_is_one_text_form() {
        let text = key(1).public().to_string().to_uppercase();
        assert!(matches!(
            text.parse::<PublicKey>(),
            Err(KeyError::BadText(_))
        ));
    }

    #[test]
    fn wrong_length_is_refused() {
        assert!(matches!(
            "abcd".parse::<PublicKey>(),
            Err(KeyError::BadText(_))
        ));
    }

    #[test]
    fn small_order_key_is_refused_as_weak() {
        // The identity point (y = 1) has order 1.
        let mut identity = [0u8; 32];
        identity[0] = 1;
        assert_eq!(PublicKey::from_bytes(&identity), Err(KeyError::Weak));
    }

    #[test]
    fn non_point_is_refused() {
        // y = 2 has no matching x on the curve.
        let mut bytes = [0u8; 32];
        bytes[0] = 2;
        assert_eq!(PublicKey::from_bytes(&bytes), Err(KeyError::NotAPoint));
    }

    #[test]
    fn signature_verifies_only_for_its_message_and_key() {
        let secret = key(7);
        let signature = secret.sign(b"hello");
        assert!(secret.public().verify(b"hello", &signature));
        assert!(!secret.public().verify(b"hellp", &signature));
        assert!(!key(8).public().verify(b"hello", &signature));
    }

    #[test]
    fn secret_key_never_prints_its_bytes() {
        assert_eq!(format!("{:?}", key(3)), "SecretKey(..)");
    }

    #[test]
    fn json_uses_text_and_binary_uses_bytes() {
        let public = key(2).public();
        let json = serde_json::to_string(&public).unwrap();
        assert_eq!(json, format!("\"{public}\""));
        let bytes = postcard::to_allocvec(&public).unwrap();
        assert_eq!(bytes.as_slice(), public.as_bytes());
        assert_eq!(postcard::from_bytes::<PublicKey>(&bytes).unwrap(), public);
    }
}
