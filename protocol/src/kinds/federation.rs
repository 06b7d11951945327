//! `Membership` and `Revocation`: a coordinator's word on who belongs.
//!
//! These records are signed by a coordinator, not by the member; whether the
//! signer *is* a coordinator is decided by the federation rules (issue 4),
//! not by the record alone.

use std::fmt;

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked};
use super::validated;
use crate::keys::PublicKey;

/// A federation's id: the SHA-256 of its genesis document.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct FederationId(pub [u8; 32]);

impl fmt::Display for FederationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&hex::encode(self.0))
    }
}

impl fmt::Debug for FederationId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FederationId({self})")
    }
}

/// What a member may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Role {
    /// Publishes its own records.
    Member,
    /// Also admits and revokes members.
    Coordinator,
}

/// The plain fields of a [`Membership`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MembershipFields {
    /// The federation admitted to.
    pub federation: FederationId,
    /// The admitted co-op.
    pub member: PublicKey,
    /// The co-op's name as the coordinator knows it, 1–120 characters.
    pub name: String,
    /// Member or coordinator.
    pub role: Role,
}

impl MembershipFields {
    pub(crate) fn check(&self) -> Checked {
        fields::name("name", &self.name, 1, 120)
    }
}

validated! {
    /// A coordinator admits a co-op. Key = the member's key in text form;
    /// the envelope's expiry, if any, is when the membership lapses.
    Membership(MembershipFields)
}

/// The plain fields of a [`Revocation`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RevocationFields {
    /// The federation.
    pub federation: FederationId,
    /// The co-op whose membership ends.
    pub member: PublicKey,
    /// Why, up to 1,000 characters (kept for audit).
    pub reason: String,
}

impl RevocationFields {
    pub(crate) fn check(&self) -> Checked {
        fields::prose("reason", &self.reason, 1_000)
    }
}

validated! {
    /// A coordinator revokes a co-op. Key = the member's key in text form.
    Revocation(RevocationFields)
}
