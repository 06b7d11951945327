//! Private bid messages between the lead's node and each partner's node
//! over `/coopnet/bid/1` (SPEC §11): never gossiped, each signed by the
//! sending co-op and bound to a bid, a bid version, a recipient and a
//! per-sender sequence number.
//!
//! A message on the wire is the postcard encoding of an [`Unsigned`]
//! message followed by its 64-byte Ed25519 signature over
//! [`MESSAGE_DOMAIN`] || those bytes. [`SignedMessage::decode`] checks, in
//! order: the length ([`MAX_MESSAGE_LEN`]), the encoding (all of it, and
//! canonical), the signature (by `sender`), then every field's rule.
//! Whether the sender may speak about the bid, and whether the sequence
//! number and version are current, is the receiver's state to judge.

mod document;
mod export;

use serde::{Deserialize, Serialize};

use crate::kinds::fields::{self, Checked, fail};
use crate::{Day, FieldError, Problem, PublicKey, SecretKey, Signature, Timestamp};

pub use document::{
    BidDocument, DOCUMENT_DOMAIN, DocRole, DocumentSignature, SIGNATURE_DOMAIN,
    document_signing_input,
};
pub use export::{Checked as ExportCheck, ExportedDocument, ExportedSignature};

/// The libp2p protocol id.
pub const BID_PROTOCOL: &str = "/coopnet/bid/1";
/// Prefix of a message's signing input.
pub const MESSAGE_DOMAIN: &[u8] = b"coopnet/bid/1\0";
/// The longest message, signature included.
pub const MAX_MESSAGE_LEN: usize = 64 * 1024;
/// Most roles a bid (and a document) may hold.
pub const MAX_ROLES: usize = 20;
/// Most skills one role may hold.
pub const MAX_SKILLS: usize = 50;
/// Longest co-op name a message or document carries, in characters.
pub const MAX_NAME: usize = 100;
/// Longest free text (a note, terms), in characters.
pub const MAX_TEXT: usize = 10_000;

/// A bid's id: 16 random bytes chosen by the lead.
pub type BidId = [u8; 16];

/// An Ed25519 signature as two 32-byte halves (serde has no 64-byte
/// arrays; the encoding is the same 64 raw bytes).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Sig(pub [[u8; 32]; 2]);

impl Sig {
    /// From a signature.
    pub fn of(signature: &Signature) -> Sig {
        let bytes = signature.as_bytes();
        let mut halves = [[0_u8; 32]; 2];
        halves[0].copy_from_slice(&bytes[..32]);
        halves[1].copy_from_slice(&bytes[32..]);
        Sig(halves)
    }

    /// As a signature.
    pub fn signature(&self) -> Signature {
        let mut bytes = [0_u8; 64];
        bytes[..32].copy_from_slice(&self.0[0]);
        bytes[32..].copy_from_slice(&self.0[1]);
        Signature::from_bytes(bytes)
    }
}

/// Person-days of one skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillDays {
    /// The skill (a name, 1–100 characters).
    pub skill: String,
    /// Person-days, 1–10,000.
    pub days: u32,
}

/// A role's terms: skills with days, and a day rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Terms {
    /// 1–50 skills.
    pub skills: Vec<SkillDays>,
    /// Day rate in the bid's currency, whole units, 1–100,000.
    pub rate: u32,
}

/// Another partner's role, as the lead shares it in an invitation.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherRole {
    /// The co-op.
    pub coop: PublicKey,
    /// Its name (0–100 characters).
    pub name: String,
    /// Its skills and days.
    pub skills: Vec<SkillDays>,
    /// Its rate, only if the lead shares prices.
    pub rate: Option<u32>,
}

/// An invitation (lead → partner): the role and what the partner needs
/// to know of the bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Invite {
    /// The contract's author.
    pub contract_author: PublicKey,
    /// The contract's record key (1–200 characters).
    pub contract_key: String,
    /// The bid's title (1–300 characters).
    pub title: String,
    /// The lead co-op's name (0–100 characters).
    pub lead_name: String,
    /// The bid's currency (ISO 4217).
    pub currency: String,
    /// The contract period, if it has one.
    pub period: Option<(Day, Day)>,
    /// The contract's deadline, if it has one.
    pub deadline: Option<Timestamp>,
    /// The partner's proposed role.
    pub role: Terms,
    /// The other partners' roles (at most 20).
    pub others: Vec<OtherRole>,
    /// A note from the lead (prose).
    pub note: String,
}

/// A partner's answer to the invitation of the message's bid version.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Answer {
    /// The role as proposed.
    Accept,
    /// No, with a reason (prose).
    Decline {
        /// Why.
        reason: String,
    },
    /// Other terms, and a message (prose).
    Counter {
        /// What the partner proposes.
        terms: Terms,
        /// Why.
        message: String,
    },
}

/// What became of the bid (lead → partners).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Outcome {
    /// Sent to the buyer.
    Submitted,
    /// The buyer chose it.
    Won,
    /// The buyer chose another.
    Lost,
    /// The lead gave it up.
    Withdrawn,
    /// A revision took the recipient's co-op out of the bid (a later
    /// invitation may bring it back).
    Removed,
}

/// What a message says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// 0: lead → partner.
    Invite(Invite),
    /// 1: partner → lead.
    Answer(Answer),
    /// 2: lead → partner: the frozen document to sign.
    Freeze(BidDocument),
    /// 3: partner → lead: its signature of a frozen document.
    Sign(DocumentSignature),
    /// 4: lead → partner.
    Outcome(Outcome),
}

/// A message before signing.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Unsigned {
    /// The bid.
    pub bid: BidId,
    /// The bid version it is about (from 1).
    pub bid_version: u64,
    /// The sending co-op (signs it).
    pub sender: PublicKey,
    /// The co-op it is for.
    pub recipient: PublicKey,
    /// The sender's sequence number for this bid and recipient, from 1,
    /// growing by at least one per message.
    pub seq: u64,
    /// When it was signed, by the sender's clock.
    pub sent_at: Timestamp,
    /// What it says.
    pub body: Body,
}

/// A signed message, checked.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignedMessage {
    /// What it says.
    pub message: Unsigned,
    /// The sender's signature.
    pub signature: Signature,
}

/// Why a message was refused.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BidWireError {
    /// Longer than [`MAX_MESSAGE_LEN`].
    #[error("a bid message is at most {MAX_MESSAGE_LEN} bytes, this one {0}")]
    TooLong(usize),
    /// Not a message, or bytes left over.
    #[error("not a bid message: {0}")]
    Malformed(String),
    /// Decodes, but is not the one canonical encoding.
    #[error("the bid message is not canonically encoded")]
    NonCanonical,
    /// The signature is not the sender's over these bytes.
    #[error("the bid message's signature does not verify")]
    BadSignature,
    /// A field breaks its rule.
    #[error("a bid message field: {0}")]
    Field(FieldError),
}

impl BidWireError {
    /// A stable code (SPEC §11.5).
    pub fn code(&self) -> &'static str {
        match self {
            BidWireError::TooLong(_) => "too-long",
            BidWireError::Malformed(_) => "malformed",
            BidWireError::NonCanonical => "non-canonical",
            BidWireError::BadSignature => "bad-signature",
            BidWireError::Field(_) => "invalid-field",
        }
    }
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    // A growable Vec of plain structs cannot fail to serialise.
    postcard::to_allocvec(value).unwrap_or_default()
}

impl Unsigned {
    /// The bytes signed: [`MESSAGE_DOMAIN`] then the encoding.
    pub fn signing_input(&self) -> Vec<u8> {
        let mut input = MESSAGE_DOMAIN.to_vec();
        input.extend(encode(self));
        input
    }

    /// Checks every field's rule.
    pub fn check(&self) -> Checked {
        if self.bid_version == 0 {
            return Err(fail(
                "bid_version",
                Problem::OutOfRange {
                    min: 1,
                    max: u64::MAX,
                },
            ));
        }
        if self.seq == 0 {
            return Err(fail(
                "seq",
                Problem::OutOfRange {
                    min: 1,
                    max: u64::MAX,
                },
            ));
        }
        if self.sender == self.recipient {
            return Err(fail(
                "recipient",
                Problem::Malformed("another co-op than the sender"),
            ));
        }
        match &self.body {
            Body::Invite(invite) => invite.check(),
            Body::Answer(answer) => answer.check(),
            Body::Freeze(document) => document.check(),
            Body::Sign(_) | Body::Outcome(_) => Ok(()),
        }
    }

    /// Signs it with the sender's key (which must be `sender`'s).
    pub fn sign(self, key: &SecretKey) -> SignedMessage {
        let signature = key.sign(&self.signing_input());
        SignedMessage {
            message: self,
            signature,
        }
    }
}

impl SignedMessage {
    /// The message on the wire.
    pub fn encode(&self) -> Vec<u8> {
        let mut bytes = encode(&self.message);
        bytes.extend_from_slice(self.signature.as_bytes());
        bytes
    }

    /// Decodes and checks a message (see the module docs for the order).
    pub fn decode(bytes: &[u8]) -> Result<SignedMessage, BidWireError> {
        if bytes.len() > MAX_MESSAGE_LEN {
            return Err(BidWireError::TooLong(bytes.len()));
        }
        let Some(split) = bytes.len().checked_sub(64) else {
            return Err(BidWireError::Malformed("shorter than a signature".into()));
        };
        let (body, signature) = bytes.split_at(split);
        let (message, rest) = postcard::take_from_bytes::<Unsigned>(body)
            .map_err(|e| BidWireError::Malformed(e.to_string()))?;
        if !rest.is_empty() {
            return Err(BidWireError::Malformed(format!(
                "{} bytes before the signature",
                rest.len()
            )));
        }
        if encode(&message) != body {
            return Err(BidWireError::NonCanonical);
        }
        let mut raw = [0_u8; 64];
        raw.copy_from_slice(signature);
        let signature = Signature::from_bytes(raw);
        let mut input = MESSAGE_DOMAIN.to_vec();
        input.extend_from_slice(body);
        if !message.sender.verify(&input, &signature) {
            return Err(BidWireError::BadSignature);
        }
        message.check().map_err(BidWireError::Field)?;
        Ok(SignedMessage { message, signature })
    }
}

pub(crate) fn check_skills(path: &str, skills: &[SkillDays]) -> Checked {
    if skills.is_empty() {
        return Err(fail(path, Problem::Empty));
    }
    fields::count(path, skills, MAX_SKILLS)?;
    for (i, s) in skills.iter().enumerate() {
        fields::name(&format!("{path}[{i}].skill"), &s.skill, 1, 100)?;
        fields::within(&format!("{path}[{i}].days"), s.days.into(), 1, 10_000)?;
    }
    Ok(())
}

impl Terms {
    fn check(&self, path: &str) -> Checked {
        check_skills(&format!("{path}.skills"), &self.skills)?;
        fields::within(&format!("{path}.rate"), self.rate.into(), 1, 100_000)
    }
}

impl Invite {
    fn check(&self) -> Checked {
        fields::line("contract_key", &self.contract_key, 1, 200)?;
        fields::line("title", &self.title, 1, 300)?;
        fields::name("lead_name", &self.lead_name, 0, MAX_NAME)?;
        fields::currency("currency", &self.currency)?;
        if let Some((start, end)) = self.period
            && end < start
        {
            return Err(fail(
                "period",
                Problem::Malformed("an end on or after the start"),
            ));
        }
        self.role.check("role")?;
        fields::count("others", &self.others, MAX_ROLES)?;
        for (i, other) in self.others.iter().enumerate() {
            fields::name(&format!("others[{i}].name"), &other.name, 0, MAX_NAME)?;
            check_skills(&format!("others[{i}].skills"), &other.skills)?;
            if let Some(rate) = other.rate {
                fields::within(&format!("others[{i}].rate"), rate.into(), 1, 100_000)?;
            }
        }
        fields::prose("note", &self.note, MAX_TEXT)
    }
}

impl Answer {
    fn check(&self) -> Checked {
        match self {
            Answer::Accept => Ok(()),
            Answer::Decline { reason } => fields::prose("reason", reason, MAX_TEXT),
            Answer::Counter { terms, message } => {
                terms.check("terms")?;
                fields::prose("message", message, MAX_TEXT)
            }
        }
    }
}

#[cfg(test)]
mod tests;
