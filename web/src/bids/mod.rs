//! Joint bids in the web app (issue 17): the consortium builder on a
//! contract's page, our bids and a bid's workspace, as pages and as JSON
//! under `/api/v1`. The node does the work behind [`BidDesk`]; the rules
//! are the pure `coopnet-bids` crate's. `ops` here are what the pages and
//! the API share, so the two never disagree.

pub(crate) mod api;
pub(crate) mod export;
mod forms;
pub(crate) mod invitations;
mod json;
pub(crate) mod lead;
pub(crate) mod negotiation_api;
mod ops;
pub(crate) mod pages;
mod words;

use std::collections::HashMap;

use async_trait::async_trait;
use coopnet_bids::bid::{Bid, BidVersion};
use coopnet_bids::contract::{ContractRef, SuggestOptions};
use coopnet_bids::negotiation::{Invitation, Negotiation, ToSign};
use coopnet_bids::plan::BidPlan;
use coopnet_bids::report::{Consortium, NeedLine};
use coopnet_bids::status::BidStatus;
use coopnet_bids::totals::Totals;
use coopnet_protocol::PublicKey;
use coopnet_protocol::bidwire::{Answer, BidDocument, BidId, ExportedDocument};

use crate::backend::BackendError;

pub use json::*;

/// What the web app asks of the node about bids.
#[async_trait]
pub trait BidDesk: Send + Sync {
    /// What each of a contract's required skills needs.
    async fn contract_needs(&self, contract: ContractRef) -> Result<Vec<NeedLine>, BackendError>;
    /// Sets what a contract's skills need (skill, days).
    async fn set_contract_needs(
        &self,
        contract: ContractRef,
        days: Vec<(String, u32)>,
    ) -> Result<(), BackendError>;
    /// The best teams for a contract.
    async fn suggest(
        &self,
        contract: ContractRef,
        options: SuggestOptions,
    ) -> Result<Consortium, BackendError>;
    /// Creates a draft bid.
    async fn create_bid(
        &self,
        contract: ContractRef,
        plan: BidPlan,
        by: String,
    ) -> Result<Bid, BackendError>;
    /// One of our bids.
    async fn bid(&self, bid_id: String) -> Result<Option<Bid>, BackendError>;
    /// A page of our bids, most recently changed first, and the total.
    async fn bids(
        &self,
        status: Option<BidStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Bid>, usize), BackendError>;
    /// Replaces a bid's plan; a stale `base_version` is a conflict.
    async fn update_bid(
        &self,
        bid_id: String,
        base_version: u64,
        plan: BidPlan,
        by: String,
    ) -> Result<Bid, BackendError>;
    /// Moves a bid to another status.
    async fn move_bid(
        &self,
        bid_id: String,
        base_version: u64,
        to: BidStatus,
        by: String,
    ) -> Result<Bid, BackendError>;
    /// Every version of a bid, oldest first.
    async fn bid_history(&self, bid_id: String) -> Result<Vec<BidVersion>, BackendError>;
    /// A bid's totals and warnings against its contract.
    async fn bid_totals(&self, bid: Bid, contract: ContractRef) -> Result<Totals, BackendError>;
    /// Co-ops' names (ours too; a co-op without a profile by its short key).
    async fn coop_names(
        &self,
        coops: Vec<PublicKey>,
    ) -> Result<HashMap<PublicKey, String>, BackendError>;
    /// Invites every partner of one of our bids to its current plan.
    async fn invite_partners(
        &self,
        bid_id: String,
        note: String,
        share_prices: bool,
        by: String,
    ) -> Result<Bid, BackendError>;
    /// Where each partner of one of our bids stands.
    async fn negotiation(&self, bid_id: String) -> Result<Negotiation, BackendError>;
    /// Freezes one of our bids for signing, with these terms.
    async fn freeze_bid(&self, bid_id: String, terms: String) -> Result<BidDocument, BackendError>;
    /// The frozen document and every signature of it we hold.
    async fn export_agreement(&self, bid_id: String) -> Result<ExportedDocument, BackendError>;
    /// The bids we were invited to.
    async fn invitations(&self) -> Result<Vec<Invitation>, BackendError>;
    /// Answers an invitation.
    async fn answer_invitation(&self, bid: BidId, answer: Answer) -> Result<(), BackendError>;
    /// Documents leads froze for us to sign.
    async fn documents_to_sign(&self) -> Result<Vec<ToSign>, BackendError>;
    /// Signs the document frozen for a bid we were invited to.
    async fn sign_bid_document(&self, bid: BidId) -> Result<(), BackendError>;
    /// Publishes (or updates) the public notice of one of our bids: no
    /// roles, days or prices.
    async fn publish_bid_notice(&self, bid_id: String) -> Result<(), BackendError>;
    /// Whether we published a notice of one of our bids.
    async fn has_bid_notice(&self, bid_id: String) -> Result<bool, BackendError>;
    /// Bids as messages about them are taken (`None`: this backend takes
    /// none).
    fn bid_changes(&self) -> Option<tokio::sync::broadcast::Receiver<BidId>>;
}
