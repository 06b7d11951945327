//! Sending and reading private bid messages (SPEC §11) as `Node`
//! methods: signed with our co-op's key, sent at once or through the
//! durable outbox, and what this node took.

use super::outbox;
use crate::{Node, NodeError};

impl Node {
    /// Signs `message` as our co-op and sends it straight to its
    /// recipient's node (SPEC §11), returning the recipient's answer.
    pub async fn send_bid_message(
        &self,
        message: coopnet_protocol::bidwire::Unsigned,
    ) -> Result<crate::net::bid_codec::BidReply, NodeError> {
        let peer = crate::identity::peer_id_of(&message.recipient).ok_or_else(|| {
            NodeError::Refused("the recipient's key is not a libp2p identity".into())
        })?;
        let recipient = message.recipient;
        let bytes = self.sign_bid_message(message).encode();
        outbox::reach(self.net(), peer, recipient).await;
        let answer = self.net().send_bid(peer, bytes).await?;
        answer.map_err(|e| NodeError::Refused(format!("the bid message was not delivered: {e}")))
    }

    /// Signs `message` as our co-op with the next sequence number for its
    /// bid and recipient, stores it in the durable outbox and returns; the
    /// outbox delivers it, retrying until the recipient's node answers.
    pub async fn queue_bid_message(
        &self,
        message: coopnet_protocol::bidwire::Unsigned,
    ) -> Result<crate::store::bid_messages::Queued, NodeError> {
        let queued = self.store().enqueue_bid(message, self.secret_arc()).await?;
        self.bid_wake().notify_one();
        Ok(queued)
    }

    /// Queues `body` from our co-op to `recipient`, about version
    /// `version` of bid `bid` (see [`about`]).
    pub(crate) async fn queue_about(
        &self,
        bid: coopnet_protocol::bidwire::BidId,
        version: u64,
        recipient: coopnet_protocol::PublicKey,
        body: coopnet_protocol::bidwire::Body,
    ) -> Result<crate::store::bid_messages::Queued, NodeError> {
        self.queue_bid_message(about(bid, version, self.key(), recipient, body))
            .await
    }

    /// The outbox rows of a bid: what was sent, and what each recipient
    /// answered.
    pub async fn bid_outbox(
        &self,
        bid: coopnet_protocol::bidwire::BidId,
    ) -> Result<Vec<crate::store::bid_messages::Queued>, NodeError> {
        Ok(self.store().bid_outbox(bid).await?)
    }

    /// The newest message we sent about `bid` (from the outbox, answered
    /// or not) that `pick` takes, and what it makes of it.
    pub(crate) async fn last_sent<T>(
        &self,
        bid: coopnet_protocol::bidwire::BidId,
        pick: impl Fn(coopnet_protocol::bidwire::Unsigned) -> Option<T>,
    ) -> Result<Option<T>, NodeError> {
        let outbox = self.bid_outbox(bid).await?;
        Ok(outbox.iter().rev().find_map(|q| {
            let signed = coopnet_protocol::bidwire::SignedMessage::decode(&q.bytes).ok()?;
            pick(signed.message)
        }))
    }

    /// Signs a bid message as our co-op (its `sender` must be our key).
    pub fn sign_bid_message(
        &self,
        message: coopnet_protocol::bidwire::Unsigned,
    ) -> coopnet_protocol::bidwire::SignedMessage {
        message.sign(self.secret())
    }

    /// Every bid message this node took about `bid`.
    pub async fn bid_messages(
        &self,
        bid: coopnet_protocol::bidwire::BidId,
    ) -> Result<Vec<coopnet_protocol::bidwire::SignedMessage>, NodeError> {
        Ok(self.store().bid_messages(bid).await?)
    }
}

/// A message from `sender` to `recipient` about version `version` of bid
/// `bid`, sent now; its `seq` is given when it is queued.
pub(crate) fn about(
    bid: coopnet_protocol::bidwire::BidId,
    version: u64,
    sender: coopnet_protocol::PublicKey,
    recipient: coopnet_protocol::PublicKey,
    body: coopnet_protocol::bidwire::Body,
) -> coopnet_protocol::bidwire::Unsigned {
    coopnet_protocol::bidwire::Unsigned {
        bid,
        bid_version: version,
        sender,
        recipient,
        seq: 0,
        sent_at: crate::clock::now(),
        body,
    }
}
