//! What follows a change to one of our bids on the lead's node: a
//! revision of a bid the partners were invited to goes to them as a new
//! version; an outcome (submitted, won, lost, withdrawn) is told to each
//! partner over `/coopnet/bid/1`; and the public `BidNotice` (no prices),
//! once the lead chose to publish it, follows the bid's status.

use coopnet_bids::bid::Bid;
use coopnet_bids::negotiation::Ledger;
use coopnet_bids::status::BidStatus;
use coopnet_protocol::bidwire::{BidId, Body, Outcome, Unsigned};
use coopnet_protocol::kinds::{BidNotice, BidNoticeFields, BidStatus as NoticeStatus};
use coopnet_protocol::{Body as RecordBody, Kind, PublicKey};

use super::messaging::about;
use crate::store::bids::BidChange;
use crate::{Node, NodeError, Receipt};

/// What partners are told when the lead moves a bid to `status`.
pub fn outcome_of(status: BidStatus) -> Option<Outcome> {
    match status {
        BidStatus::Submitted => Some(Outcome::Submitted),
        BidStatus::Won => Some(Outcome::Won),
        BidStatus::Lost => Some(Outcome::Lost),
        BidStatus::Withdrawn => Some(Outcome::Withdrawn),
        BidStatus::Draft | BidStatus::Inviting | BidStatus::Agreed => None,
    }
}

/// A bid's status as its public notice says it.
fn notice_status(status: BidStatus) -> NoticeStatus {
    match status {
        BidStatus::Draft | BidStatus::Inviting | BidStatus::Agreed => NoticeStatus::Forming,
        BidStatus::Submitted => NoticeStatus::Submitted,
        BidStatus::Won => NoticeStatus::Won,
        BidStatus::Lost => NoticeStatus::Lost,
        BidStatus::Withdrawn => NoticeStatus::Withdrawn,
    }
}

impl Node {
    /// Our ledger of a bid we lead, if its partners were ever invited.
    async fn led_ledger(&self, bid: &Bid) -> Result<Option<(BidId, Ledger)>, NodeError> {
        let Some(wire) = bid.wire_id() else {
            return Ok(None);
        };
        let ledger = self.store().bid_ledger(wire).await?;
        Ok(ledger
            .filter(|l| l.lead == self.key())
            .map(|ledger| (wire, ledger)))
    }

    /// The note and price sharing of the last invitation we sent for a bid.
    async fn last_invite(&self, wire: BidId) -> Result<(String, bool), NodeError> {
        let last = self
            .last_sent(wire, |m| match m.body {
                Body::Invite(invite) => Some(invite),
                _ => None,
            })
            .await?;
        Ok(last.map_or((String::new(), false), |invite| {
            let shared = invite.others.iter().any(|o| o.rate.is_some());
            (invite.note, shared)
        }))
    }

    /// Refuses to call a bid agreed by hand once its partners were
    /// invited: only their signatures make it agreed.
    pub(super) async fn check_move(&self, bid: &Bid, to: BidStatus) -> Result<(), NodeError> {
        if to != BidStatus::Agreed {
            return Ok(());
        }
        if let Some((wire, _)) = self.led_ledger(bid).await?
            && !self.negotiation(wire).await?.agreed()
        {
            return Err(NodeError::Refused(
                "the bid is agreed when every partner has signed its frozen document: \
                 freeze it once all accept, and wait for their signatures"
                    .into(),
            ));
        }
        Ok(())
    }

    /// After a revision: a bid whose partners were invited invites them
    /// to the new version (with the note and price sharing of the last
    /// invitation), and its notice follows.
    pub(super) async fn after_revision(&self, bid: &Bid, by: &str) -> Result<(), NodeError> {
        if bid.status == BidStatus::Inviting
            && let Some((wire, before)) = self.led_ledger(bid).await?
        {
            let (note, share_prices) = self.last_invite(wire).await?;
            self.invite_partners(&bid.bid_id, &note, share_prices, by)
                .await?;
            self.tell_removed(bid, wire, &before.partners).await?;
        }
        self.refresh_bid_notice(bid).await
    }

    /// Tells each of `partners` that the revision `bid` no longer has a
    /// role for it (so its invitation does not stay open on its page).
    async fn tell_removed(
        &self,
        bid: &Bid,
        wire: BidId,
        partners: &[PublicKey],
    ) -> Result<(), NodeError> {
        let kept: Vec<PublicKey> = bid.plan.roles.iter().map(|r| r.coop).collect();
        for partner in partners.iter().filter(|p| !kept.contains(p)) {
            let removed = Body::Outcome(Outcome::Removed);
            self.queue_about(wire, bid.version, *partner, removed)
                .await?;
        }
        Ok(())
    }

    /// Moves one of our bids as `change` says and, in the same
    /// transaction, queues the outcome for every partner invited to it
    /// (if the new status is one); then its notice follows. A crash can
    /// leave the bid unmoved or moved with its partners' messages waiting
    /// in the outbox, never moved with them untold.
    pub(super) async fn move_and_tell(
        &self,
        bid: &Bid,
        change: BidChange,
    ) -> Result<Bid, NodeError> {
        let tell = match outcome_of(change.status) {
            Some(outcome) => self
                .led_ledger(bid)
                .await?
                .map(|(wire, ledger)| (wire, ledger.partners, outcome)),
            None => None,
        };
        let sender = self.key();
        let messages = move |version: u64| -> Vec<Unsigned> {
            let Some((wire, partners, outcome)) = tell else {
                return Vec::new();
            };
            partners
                .into_iter()
                .map(|recipient| about(wire, version, sender, recipient, Body::Outcome(outcome)))
                .collect()
        };
        let moved = self
            .store()
            .change_bid_and_queue(bid.bid_id.clone(), change, messages, self.secret_arc())
            .await;
        self.bid_wake().notify_one();
        let bid = self.changed(&bid.bid_id, moved).await?;
        self.refresh_bid_notice(&bid).await?;
        Ok(bid)
    }

    /// Our public notice of a bid, if we published one and it stands.
    pub async fn has_bid_notice(&self, bid_id: &str) -> Result<bool, NodeError> {
        let stored = self
            .store()
            .current(self.key(), Kind::BidNotice.code(), bid_id.to_owned())
            .await?;
        Ok(stored.is_some_and(|s| !s.record.is_tombstone()))
    }

    /// Republishes a bid's notice with its status and partners now, if
    /// one was published.
    async fn refresh_bid_notice(&self, bid: &Bid) -> Result<(), NodeError> {
        if self.has_bid_notice(&bid.bid_id).await? {
            self.publish_bid_notice(&bid.bid_id).await?;
        }
        Ok(())
    }

    /// Publishes (or updates) the public notice of one of our bids: its
    /// contract, our co-op as lead, the partners and where it stands — no
    /// roles, days or prices. Gossiped to the whole federation.
    pub async fn publish_bid_notice(&self, bid_id: &str) -> Result<Receipt, NodeError> {
        let bid = self
            .bid(bid_id)
            .await?
            .ok_or_else(|| NodeError::NotFound("that bid".into()))?;
        let mut partners: Vec<PublicKey> = Vec::new();
        for role in &bid.plan.roles {
            if role.coop != self.key() && !partners.contains(&role.coop) {
                partners.push(role.coop);
            }
        }
        let notice = BidNotice::parse(BidNoticeFields {
            contract_author: bid.contract_author,
            contract_key: bid.contract_key.clone(),
            lead: self.key(),
            partners,
            status: notice_status(bid.status),
        })
        .map_err(NodeError::Field)?;
        self.publish(
            Kind::BidNotice.code(),
            &bid.bid_id,
            Some(RecordBody::BidNotice(notice)),
            None,
        )
        .await
    }
}
