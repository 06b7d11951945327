//! A signed bid document as exported for anyone to check offline
//! (SPEC §11.4): the document's bytes in hex and each co-op's signature.

use serde::{Deserialize, Serialize};

use super::{BidDocument, BidWireError, DocumentSignature, Sig};
use crate::PublicKey;

/// One co-op's signature in an export.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedSignature {
    /// The co-op that signed.
    pub coop: PublicKey,
    /// Its Ed25519 signature of the document's hash, 128 hex characters.
    pub signature: String,
}

/// A document and its signatures.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExportedDocument {
    /// The document's canonical bytes in hex.
    pub document_hex: String,
    /// The signatures.
    pub signatures: Vec<ExportedSignature>,
}

/// What a check of an export found, per co-op with a role.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Checked {
    /// The document.
    pub document: BidDocument,
    /// Each role's co-op and name, and whether it signed validly.
    pub roles: Vec<(PublicKey, String, bool)>,
    /// Signatures that are not valid for this document (by whom).
    pub invalid: Vec<PublicKey>,
    /// Signatures by co-ops with no role in it.
    pub strangers: Vec<PublicKey>,
}

impl Checked {
    /// Whether every co-op with a role signed it, and nothing else is wrong.
    pub fn complete(&self) -> bool {
        self.roles.iter().all(|r| r.2) && self.invalid.is_empty() && self.strangers.is_empty()
    }
}

impl ExportedDocument {
    /// An export of `document` with these signatures.
    pub fn new(document: &BidDocument, signatures: &[(PublicKey, DocumentSignature)]) -> Self {
        ExportedDocument {
            document_hex: hex::encode(document.encode()),
            signatures: signatures
                .iter()
                .map(|(coop, s)| ExportedSignature {
                    coop: *coop,
                    signature: hex::encode(s.signature.signature().as_bytes()),
                })
                .collect(),
        }
    }

    /// Decodes the document and checks every signature against it.
    pub fn check(&self) -> Result<Checked, BidWireError> {
        let bytes = hex::decode(&self.document_hex)
            .map_err(|e| BidWireError::Malformed(format!("document_hex: {e}")))?;
        let document = BidDocument::decode(&bytes)?;
        let hash = document.hash();
        let mut valid = Vec::new();
        let mut invalid = Vec::new();
        let mut strangers = Vec::new();
        for s in &self.signatures {
            let mut raw = [0_u8; 64];
            let ok = hex::decode_to_slice(&s.signature, &mut raw).is_ok() && {
                let signature = DocumentSignature {
                    document: hash,
                    signature: Sig::of(&crate::Signature::from_bytes(raw)),
                };
                document.verify(&s.coop, &signature)
            };
            if !document.roles.iter().any(|r| r.coop == s.coop) {
                strangers.push(s.coop);
            } else if ok {
                valid.push(s.coop);
            } else {
                invalid.push(s.coop);
            }
        }
        let roles = document
            .roles
            .iter()
            .map(|r| (r.coop, r.name.clone(), valid.contains(&r.coop)))
            .collect();
        Ok(Checked {
            document,
            roles,
            invalid,
            strangers,
        })
    }
}
