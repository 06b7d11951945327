//! The negotiation of a bid over `/coopnet/bid/1` (SPEC §11), without
//! I/O: what a node answers to each message it receives ([`judge`]), and
//! how the lead's view of each partner's role moves ([`Negotiation`]).
//!
//! A node keeps, per bid, a [`Ledger`]: who leads it, who the partners
//! are, the version it is at, the document frozen for signing, and the
//! highest sequence number taken from each sender. [`judge`] decides from
//! that alone; the caller stores what a `Taken` message says and then
//! calls [`Ledger::took`]. Nothing refused changes the ledger.

use std::collections::BTreeMap;

use coopnet_protocol::PublicKey;
use coopnet_protocol::bidwire::{
    Answer, BidDocument, BidId, BidWireError, Body, Invite, Outcome, SignedMessage, Terms,
    document_signing_input,
};
use serde::{Deserialize, Serialize};

/// A receiver's answer to a message (SPEC §11.5).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Status {
    /// Stored.
    Taken,
    /// Already taken (same or lower sequence number).
    Duplicate,
    /// About an older version than the receiver's.
    Stale,
    /// The receiver knows no such bid.
    Unknown,
    /// The sender may not send this; the text says why.
    Refused(String),
    /// Not a valid message at all.
    Invalid(BidWireError),
    /// The receiver cannot take it now.
    Busy,
}

impl Status {
    /// The status byte on the wire.
    pub fn byte(&self) -> u8 {
        match self {
            Status::Taken => 0,
            Status::Duplicate => 1,
            Status::Stale => 2,
            Status::Unknown => 3,
            Status::Refused(_) => 4,
            Status::Invalid(_) => 5,
            Status::Busy => 6,
        }
    }

    /// Whether the sender is penalised (5 sync points).
    pub fn penalised(&self) -> bool {
        matches!(self, Status::Refused(_) | Status::Invalid(_))
    }

    /// Whether the sender may forget the message (it was delivered).
    pub fn delivered(&self) -> bool {
        matches!(self, Status::Taken | Status::Duplicate | Status::Stale)
    }

    /// The text sent after the byte.
    pub fn text(&self) -> String {
        match self {
            Status::Refused(why) => why.clone(),
            Status::Invalid(error) => format!("{}: {error}", error.code()),
            Status::Stale => "about an older version of the bid".into(),
            Status::Unknown => "no such bid here".into(),
            Status::Busy => "busy; try again later".into(),
            Status::Taken | Status::Duplicate => String::new(),
        }
    }
}

/// What a node knows of one bid, to judge messages about it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Ledger {
    /// The bid.
    pub bid: BidId,
    /// Its lead.
    pub lead: PublicKey,
    /// Its partners (every co-op with a role but the lead).
    pub partners: Vec<PublicKey>,
    /// The version this node is at.
    pub version: u64,
    /// The hash of the document frozen at `version`, if any.
    pub frozen: Option<[u8; 32]>,
    /// The highest sequence number taken from each sender.
    pub last_seq: BTreeMap<PublicKey, u64>,
    /// Co-ops a revision took out of the bid: what they still send is
    /// stale, not refused (they are late, not hostile).
    #[serde(default)]
    pub former: Vec<PublicKey>,
}

impl Ledger {
    /// Sets the partners of a new version; those left out become former
    /// partners.
    pub fn set_partners(&mut self, partners: Vec<PublicKey>) {
        for old in std::mem::take(&mut self.partners) {
            if !partners.contains(&old) && !self.former.contains(&old) {
                self.former.push(old);
            }
        }
        self.former.retain(|f| !partners.contains(f));
        self.partners = partners;
    }

    /// Records that a message judged `Taken` was stored.
    pub fn took(&mut self, message: &SignedMessage) {
        let m = &message.message;
        self.last_seq.insert(m.sender, m.seq);
        match &m.body {
            Body::Invite(_) if m.bid_version > self.version => {
                self.version = m.bid_version;
                self.frozen = None;
            }
            Body::Freeze(document) => {
                self.version = m.bid_version;
                self.frozen = Some(document.hash());
            }
            _ => {}
        }
    }
}

fn refused(why: &str) -> Status {
    Status::Refused(why.to_owned())
}

/// What `me` answers to `message` about a bid it knows as `ledger` (`None`:
/// it knows no such bid). An invitation to a bid it does not know is
/// taken: the caller then starts a ledger with the sender as the lead.
pub fn judge(me: &PublicKey, ledger: Option<&Ledger>, message: &SignedMessage) -> Status {
    let m = &message.message;
    if m.recipient != *me {
        return refused("the message is for another co-op");
    }
    let from_lead = matches!(m.body, Body::Invite(_) | Body::Freeze(_) | Body::Outcome(_));
    let Some(ledger) = ledger else {
        return match m.body {
            Body::Invite(_) => Status::Taken,
            _ => Status::Unknown,
        };
    };
    if from_lead && m.sender != ledger.lead {
        return refused("only the bid's lead sends invitations, documents and outcomes");
    }
    if !from_lead && !ledger.partners.contains(&m.sender) {
        if ledger.former.contains(&m.sender) {
            return Status::Stale;
        }
        return refused("only the bid's partners answer and sign");
    }
    if ledger
        .last_seq
        .get(&m.sender)
        .is_some_and(|&last| m.seq <= last)
    {
        return Status::Duplicate;
    }
    match &m.body {
        Body::Invite(_) | Body::Outcome(_) => {
            if m.bid_version < ledger.version {
                return Status::Stale;
            }
            Status::Taken
        }
        Body::Freeze(document) => judge_freeze(me, ledger, message, document),
        Body::Answer(_) => {
            if m.bid_version < ledger.version {
                return Status::Stale;
            }
            if m.bid_version > ledger.version {
                return refused("an answer to a version the lead never sent");
            }
            Status::Taken
        }
        Body::Sign(signature) => {
            if m.bid_version < ledger.version {
                return Status::Stale;
            }
            match ledger.frozen {
                Some(hash) if m.bid_version == ledger.version && signature.document == hash => {
                    let input = document_signing_input(&hash);
                    if m.sender.verify(&input, &signature.signature.signature()) {
                        Status::Taken
                    } else {
                        refused("the signature is not the sender's over the frozen document")
                    }
                }
                _ => refused("a signature of a document that was not frozen"),
            }
        }
    }
}

fn judge_freeze(
    me: &PublicKey,
    ledger: &Ledger,
    message: &SignedMessage,
    d: &BidDocument,
) -> Status {
    let m = &message.message;
    if m.bid_version < ledger.version {
        return Status::Stale;
    }
    if d.bid != m.bid || d.version != m.bid_version || d.lead != m.sender {
        return refused("the document is not of this bid, version and lead");
    }
    if !d.roles.iter().any(|r| r.coop == *me) {
        return refused("the document gives this co-op no role");
    }
    Status::Taken
}

/// Where one partner's role stands, on the lead's node.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "snake_case")]
pub enum RoleState {
    /// Invited to the current version; no answer yet.
    Invited,
    /// Accepted the current version.
    Accepted,
    /// Declined, saying why.
    Declined {
        /// Why.
        reason: String,
    },
    /// Proposed other terms.
    Countered {
        /// The partner's terms.
        terms: Terms,
        /// Its message.
        message: String,
    },
    /// Signed the frozen document (the signature, 64 bytes in hex).
    Signed {
        /// The signature.
        signature: String,
    },
}

/// The lead's view of a bid's negotiation: each partner's state at the
/// current version.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Negotiation {
    /// The version invited.
    pub version: u64,
    /// Each partner's state.
    pub roles: BTreeMap<PublicKey, RoleState>,
    /// The document frozen at `version`, if any (its hash).
    pub frozen: Option<[u8; 32]>,
}

impl Negotiation {
    /// Every partner invited to `version` (a new version asks all again).
    pub fn invite(&mut self, version: u64, partners: &[PublicKey]) {
        self.version = version;
        self.frozen = None;
        self.roles = partners.iter().map(|p| (*p, RoleState::Invited)).collect();
    }

    /// A partner's answer to `version` (older answers were judged stale).
    pub fn answer(&mut self, from: PublicKey, version: u64, answer: &Answer) {
        if version != self.version || !self.roles.contains_key(&from) {
            return;
        }
        let state = match answer {
            Answer::Accept => RoleState::Accepted,
            Answer::Decline { reason } => RoleState::Declined {
                reason: reason.clone(),
            },
            Answer::Counter { terms, message } => RoleState::Countered {
                terms: terms.clone(),
                message: message.clone(),
            },
        };
        self.roles.insert(from, state);
    }

    /// Whether every partner accepted the current version: it may be frozen.
    pub fn ready_to_freeze(&self) -> bool {
        !self.roles.is_empty() && self.roles.values().all(|s| *s == RoleState::Accepted)
    }

    /// The document `hash` was frozen and sent for signing.
    pub fn freeze(&mut self, hash: [u8; 32]) {
        self.frozen = Some(hash);
    }

    /// A partner's signature of the frozen document (checked by [`judge`]).
    pub fn signed(&mut self, from: PublicKey, signature: String) {
        if self.frozen.is_some() && self.roles.contains_key(&from) {
            self.roles.insert(from, RoleState::Signed { signature });
        }
    }

    /// The lead's view rebuilt from its ledger and every message it took
    /// about the bid: the answers to the version invited, and signatures
    /// of the document frozen at it (older ones count for nothing).
    pub fn of(ledger: &Ledger, taken: &[SignedMessage]) -> Negotiation {
        let mut negotiation = Negotiation::default();
        negotiation.invite(ledger.version, &ledger.partners);
        if let Some(hash) = ledger.frozen {
            negotiation.freeze(hash);
        }
        for message in taken {
            let m = &message.message;
            match &m.body {
                Body::Answer(answer) => negotiation.answer(m.sender, m.bid_version, answer),
                Body::Sign(signature) if ledger.frozen == Some(signature.document) => {
                    let bytes = signature.signature.signature();
                    negotiation.signed(m.sender, hex::encode(bytes.as_bytes()));
                }
                _ => {}
            }
        }
        negotiation
    }

    /// Whether every partner signed the frozen document: the bid is agreed.
    pub fn agreed(&self) -> bool {
        self.frozen.is_some()
            && !self.roles.is_empty()
            && self
                .roles
                .values()
                .all(|s| matches!(s, RoleState::Signed { .. }))
    }
}

/// An invitation this node received, at its latest version.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invitation {
    /// The bid.
    pub bid: BidId,
    /// Its lead.
    pub lead: PublicKey,
    /// The version invited to.
    pub version: u64,
    /// What the lead proposes.
    pub invite: Invite,
    /// Our answer to that version, if we gave one.
    pub answer: Option<Answer>,
    /// What the lead last told us became of the bid, if anything.
    pub outcome: Option<Outcome>,
}

/// A frozen document waiting for (or carrying) a partner's signature.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToSign {
    /// The bid.
    pub bid: BidId,
    /// The document the lead froze.
    pub document: BidDocument,
    /// Whether we signed it.
    pub signed: bool,
}

#[cfg(test)]
mod tests;
