//! Private bid messages as they arrive (SPEC §11): checked (decode,
//! signature, fields), sent straight by their signer, judged against this
//! node's ledger of the bid, stored with the ledger they move when taken,
//! and answered; the sender is penalised for what no honest node sends.
//! One task takes them in turn, so two messages about one bid never race.

use coopnet_bids::negotiation::{Ledger, Negotiation, Status, judge};
use coopnet_protocol::PublicKey;
use coopnet_protocol::bidwire::{BidId, Body, SignedMessage};
use tokio::sync::{broadcast, mpsc};
use tokio::task::JoinHandle;

use crate::identity;
use crate::net::bid_codec::BidReply;
use crate::net::{Command, InboundBid, NetClient};
use crate::store::{Store, StoreError};

/// Sync points for a message no honest node sends (SPEC §11.5).
pub const BID_POINTS: u32 = 5;

/// What the inbox task needs.
pub struct Inbox {
    /// The store the messages and ledgers go to.
    pub store: Store,
    /// Where replies go.
    pub net: NetClient,
    /// Our co-op.
    pub us: PublicKey,
    /// Told the bid of every message taken.
    pub changes: broadcast::Sender<BidId>,
}

/// Starts the task that answers bid messages from `inbox`.
pub fn spawn(at: Inbox, mut inbox: mpsc::Receiver<InboundBid>) -> JoinHandle<()> {
    tokio::spawn(async move {
        while let Some(inbound) = inbox.recv().await {
            let status = match handle(&at, &inbound).await {
                Ok(status) => status,
                Err(e) => {
                    tracing::error!("storing a bid message: {e}");
                    Status::Busy
                }
            };
            if status.penalised() {
                tracing::warn!(peer = %inbound.peer, "bid message refused: {}", status.text());
            }
            let command = Command::ReplyBid {
                id: inbound.id,
                points: if status.penalised() { BID_POINTS } else { 0 },
                reply: BidReply {
                    status: status.byte(),
                    reason: status.text(),
                },
            };
            if at.net.send(command).await.is_err() {
                return;
            }
        }
    })
}

/// Judges one message and stores it when taken.
async fn handle(at: &Inbox, inbound: &InboundBid) -> Result<Status, StoreError> {
    let (store, us) = (&at.store, &at.us);
    let signed = match SignedMessage::decode(&inbound.bytes) {
        Ok(signed) => signed,
        Err(error) => return Ok(Status::Invalid(error)),
    };
    if identity::coop_key_of(&inbound.peer) != Some(signed.message.sender) {
        return Ok(Status::Refused(
            "bid messages come straight from the co-op that signed them".into(),
        ));
    }
    let ledger = store.bid_ledger(signed.message.bid).await?;
    let status = judge(us, ledger.as_ref(), &signed);
    if status != Status::Taken {
        return Ok(status);
    }
    let mut ledger = ledger.unwrap_or_else(|| start(us, &signed));
    ledger.took(&signed);
    // The last partner's signature makes our bid agreed, in the same
    // transaction as the signature is stored.
    let agreed = match (&signed.message.body, ledger.lead == *us) {
        (Body::Sign(_), true) => {
            let mut taken = store.bid_messages(signed.message.bid).await?;
            taken.push(signed.clone());
            Negotiation::of(&ledger, &taken)
                .agreed()
                .then(|| hex::encode(signed.message.bid))
        }
        _ => None,
    };
    let bid = signed.message.bid;
    store.take_bid_message(signed, ledger, agreed).await?;
    // Nobody listening is fine.
    let _ = at.changes.send(bid);
    Ok(Status::Taken)
}

/// The ledger an invitation to a bid we did not know starts: its sender
/// leads, and the partners are we and those it names.
fn start(us: &PublicKey, invite: &SignedMessage) -> Ledger {
    let mut partners = vec![*us];
    if let Body::Invite(body) = &invite.message.body {
        partners.extend(body.others.iter().map(|o| o.coop));
    }
    Ledger {
        bid: invite.message.bid,
        lead: invite.message.sender,
        partners,
        version: 0,
        frozen: None,
        last_seq: Default::default(),
        former: Vec::new(),
    }
}
