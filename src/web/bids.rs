//! [`BidDesk`] over a running node: the consortium builder and the bid
//! workspace of `coopnet_node::bids`.

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
use coopnet_web::BackendError;
use coopnet_web::bids::BidDesk;

use super::NodeBackend;
use super::backend::node_error;

#[async_trait]
impl BidDesk for NodeBackend {
    async fn contract_needs(&self, contract: ContractRef) -> Result<Vec<NeedLine>, BackendError> {
        self.node()
            .contract_needs(&contract)
            .await
            .map_err(node_error)
    }

    async fn set_contract_needs(
        &self,
        contract: ContractRef,
        days: Vec<(String, u32)>,
    ) -> Result<(), BackendError> {
        self.node()
            .set_contract_needs(&contract, days)
            .await
            .map_err(node_error)
    }

    async fn suggest(
        &self,
        contract: ContractRef,
        options: SuggestOptions,
    ) -> Result<Consortium, BackendError> {
        self.node()
            .suggest(&contract, options)
            .await
            .map_err(node_error)
    }

    async fn create_bid(
        &self,
        contract: ContractRef,
        plan: BidPlan,
        by: String,
    ) -> Result<Bid, BackendError> {
        self.node()
            .create_bid(&contract, plan, &by)
            .await
            .map_err(node_error)
    }

    async fn bid(&self, bid_id: String) -> Result<Option<Bid>, BackendError> {
        self.node().bid(&bid_id).await.map_err(node_error)
    }

    async fn bids(
        &self,
        status: Option<BidStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Bid>, usize), BackendError> {
        self.node()
            .bids(status, offset, limit)
            .await
            .map_err(node_error)
    }

    async fn update_bid(
        &self,
        bid_id: String,
        base_version: u64,
        plan: BidPlan,
        by: String,
    ) -> Result<Bid, BackendError> {
        self.node()
            .update_bid(&bid_id, base_version, plan, &by)
            .await
            .map_err(node_error)
    }

    async fn move_bid(
        &self,
        bid_id: String,
        base_version: u64,
        to: BidStatus,
        by: String,
    ) -> Result<Bid, BackendError> {
        self.node()
            .move_bid(&bid_id, base_version, to, &by)
            .await
            .map_err(node_error)
    }

    async fn bid_history(&self, bid_id: String) -> Result<Vec<BidVersion>, BackendError> {
        self.node().bid_history(&bid_id).await.map_err(node_error)
    }

    async fn bid_totals(&self, bid: Bid, contract: ContractRef) -> Result<Totals, BackendError> {
        self.node()
            .bid_totals(&bid, &contract)
            .await
            .map_err(node_error)
    }

    async fn invite_partners(
        &self,
        bid_id: String,
        note: String,
        share_prices: bool,
        by: String,
    ) -> Result<Bid, BackendError> {
        self.node()
            .invite_partners(&bid_id, &note, share_prices, &by)
            .await
            .map_err(node_error)
    }

    async fn negotiation(&self, bid_id: String) -> Result<Negotiation, BackendError> {
        let node = self.node();
        let bid = node
            .bid(&bid_id)
            .await
            .map_err(node_error)?
            .ok_or_else(|| BackendError::NotFound("that bid".into()))?;
        let wire = bid
            .wire_id()
            .ok_or_else(|| BackendError::Internal("a bid id that is not 32 hex".into()))?;
        let negotiation = node.negotiation(wire).await.map_err(node_error)?;
        Ok(negotiation)
    }

    async fn freeze_bid(&self, bid_id: String, terms: String) -> Result<BidDocument, BackendError> {
        self.node()
            .freeze_bid(&bid_id, &terms)
            .await
            .map_err(node_error)
    }

    async fn export_agreement(&self, bid_id: String) -> Result<ExportedDocument, BackendError> {
        self.node()
            .export_agreement(&bid_id)
            .await
            .map_err(node_error)
    }

    async fn invitations(&self) -> Result<Vec<Invitation>, BackendError> {
        self.node().invitations().await.map_err(node_error)
    }

    async fn answer_invitation(&self, bid: BidId, answer: Answer) -> Result<(), BackendError> {
        self.node()
            .answer_invitation(bid, answer)
            .await
            .map_err(node_error)
    }

    async fn documents_to_sign(&self) -> Result<Vec<ToSign>, BackendError> {
        self.node().documents_to_sign().await.map_err(node_error)
    }

    async fn sign_bid_document(&self, bid: BidId) -> Result<(), BackendError> {
        self.node().sign_bid_document(bid).await.map_err(node_error)
    }

    async fn coop_names(
        &self,
        coops: Vec<PublicKey>,
    ) -> Result<HashMap<PublicKey, String>, BackendError> {
        self.node().coop_names(coops).await.map_err(node_error)
    }

    async fn publish_bid_notice(&self, bid_id: String) -> Result<(), BackendError> {
        self.node()
            .publish_bid_notice(&bid_id)
            .await
            .map(|_| ())
            .map_err(node_error)
    }

    async fn has_bid_notice(&self, bid_id: String) -> Result<bool, BackendError> {
        self.node()
            .has_bid_notice(&bid_id)
            .await
            .map_err(node_error)
    }

    fn bid_changes(&self) -> Option<tokio::sync::broadcast::Receiver<BidId>> {
        Some(self.node().bid_changes())
    }
}
