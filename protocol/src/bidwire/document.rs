//! The bid document every partner signs (SPEC §11.4): the frozen bid, its
//! canonical bytes, their hash, and the partners' signatures of the hash.

use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use super::{BidId, BidWireError, MAX_ROLES, MAX_TEXT, Sig, SkillDays, check_skills, encode};
use crate::kinds::fields::{self, Checked, fail};
use crate::{Problem, PublicKey, SecretKey, Timestamp};

/// Prefix of the bytes a document's hash is taken over.
pub const DOCUMENT_DOMAIN: &[u8] = b"coopnet/bid-document/1\0";
/// Prefix of what a partner signs: this, then the document's hash.
pub const SIGNATURE_DOMAIN: &[u8] = b"coopnet/bid-signature/1\0";

/// One co-op's role in the document.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocRole {
    /// The co-op.
    pub coop: PublicKey,
    /// Its name (0–100 characters).
    pub name: String,
    /// Its skills and person-days.
    pub skills: Vec<SkillDays>,
    /// Its day rate, whole units of the currency.
    pub rate: u32,
}

/// A frozen bid: what every partner agrees to by signing its hash.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidDocument {
    /// The bid.
    pub bid: BidId,
    /// Its version (from 1).
    pub version: u64,
    /// The contract's author.
    pub contract_author: PublicKey,
    /// The contract's record key.
    pub contract_key: String,
    /// The bid's title.
    pub title: String,
    /// The currency of rates and totals.
    pub currency: String,
    /// The contract's deadline, if any.
    pub deadline: Option<Timestamp>,
    /// The lead co-op.
    pub lead: PublicKey,
    /// Every role (1–20, one per co-op).
    pub roles: Vec<DocRole>,
    /// Person-days of every role: the sum.
    pub total_days: u64,
    /// Days × rate over every role: the sum.
    pub total_cost: u64,
    /// The terms the partners agree to (prose).
    pub terms: String,
}

/// A partner's signature of a document's hash.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct DocumentSignature {
    /// The document's hash ([`BidDocument::hash`]).
    pub document: [u8; 32],
    /// Ed25519 over [`document_signing_input`].
    pub signature: Sig,
}

/// What a partner signs for a document with this hash.
pub fn document_signing_input(hash: &[u8; 32]) -> Vec<u8> {
    let mut input = SIGNATURE_DOMAIN.to_vec();
    input.extend_from_slice(hash);
    input
}

impl BidDocument {
    /// Its canonical bytes.
    pub fn encode(&self) -> Vec<u8> {
        encode(self)
    }

    /// Reads and checks a document's bytes (all of them, canonical).
    pub fn decode(bytes: &[u8]) -> Result<BidDocument, BidWireError> {
        let (document, rest) = postcard::take_from_bytes::<BidDocument>(bytes)
            .map_err(|e| BidWireError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(BidWireError::Malformed(format!(
                "{} bytes after the document",
                rest.len()
            )));
        }
        if document.encode() != bytes {
            return Err(BidWireError::NonCanonical);
        }
        document.check().map_err(BidWireError::Field)?;
        Ok(document)
    }

    /// SHA-256 of [`DOCUMENT_DOMAIN`] then its bytes.
    pub fn hash(&self) -> [u8; 32] {
        let mut hasher = Sha256::new();
        hasher.update(DOCUMENT_DOMAIN);
        hasher.update(self.encode());
        hasher.finalize().into()
    }

    /// A co-op's signature of it.
    pub fn sign(&self, key: &SecretKey) -> DocumentSignature {
        let document = self.hash();
        let signature = key.sign(&document_signing_input(&document));
        DocumentSignature {
            document,
            signature: Sig::of(&signature),
        }
    }

    /// Whether `signature` is `coop`'s signature of this document.
    pub fn verify(&self, coop: &PublicKey, signature: &DocumentSignature) -> bool {
        let hash = self.hash();
        signature.document == hash
            && coop.verify(
                &document_signing_input(&hash),
                &signature.signature.signature(),
            )
    }

    /// Every field's rule; the totals must be the sums of the roles.
    pub fn check(&self) -> Checked {
        if self.version == 0 {
            return Err(fail(
                "version",
                Problem::OutOfRange {
                    min: 1,
                    max: u64::MAX,
                },
            ));
        }
        fields::line("contract_key", &self.contract_key, 1, 200)?;
        fields::line("title", &self.title, 1, 300)?;
        fields::currency("currency", &self.currency)?;
        if self.roles.is_empty() {
            return Err(fail("roles", Problem::Empty));
        }
        fields::count("roles", &self.roles, MAX_ROLES)?;
        let (mut days, mut cost) = (0_u64, 0_u64);
        for (i, role) in self.roles.iter().enumerate() {
            if self.roles[..i].iter().any(|r| r.coop == role.coop) {
                return Err(fail(
                    format!("roles[{i}].coop"),
                    Problem::Duplicate(role.coop.to_string()),
                ));
            }
            fields::name(&format!("roles[{i}].name"), &role.name, 0, super::MAX_NAME)?;
            check_skills(&format!("roles[{i}].skills"), &role.skills)?;
            fields::within(&format!("roles[{i}].rate"), role.rate.into(), 1, 100_000)?;
            let role_days: u64 = role.skills.iter().map(|s| u64::from(s.days)).sum();
            days += role_days;
            cost += role_days * u64::from(role.rate);
        }
        if days != self.total_days {
            return Err(fail(
                "total_days",
                Problem::Malformed("the sum of the roles' days"),
            ));
        }
        if cost != self.total_cost {
            return Err(fail(
                "total_cost",
                Problem::Malformed("the sum of the roles' days × rates"),
            ));
        }
        fields::prose("terms", &self.terms, MAX_TEXT)
    }
}
