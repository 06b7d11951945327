//! A bid as the lead's node keeps it, and one version of it.

use coopnet_protocol::{PublicKey, Timestamp};

use crate::plan::BidPlan;
use crate::status::BidStatus;

/// A bid of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// Its id, 32 hex characters.
    pub bid_id: String,
    /// The contract's author.
    pub contract_author: PublicKey,
    /// The contract's record key.
    pub contract_key: String,
    /// A title (the contract's, when created).
    pub title: String,
    /// The bid's currency.
    pub currency: String,
    /// Where it stands.
    pub status: BidStatus,
    /// Its version, from 1.
    pub version: u64,
    /// Roles, milestones, notes.
    pub plan: BidPlan,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One version of a bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidVersion {
    /// The version.
    pub version: u64,
    /// When it was made.
    pub at: Timestamp,
    /// Who made it (a username).
    pub by: String,
    /// The status it left the bid in.
    pub status: BidStatus,
    /// The plan as it was.
    pub plan: BidPlan,
    /// What changed, in sentences.
    pub changes: Vec<String>,
}
