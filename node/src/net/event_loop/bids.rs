//! `/coopnet/bid/1` in the event loop: inbound messages from members are
//! handed to the node (which judges them off the loop) and answered when
//! it says; outbound ones wait for their answer. Both maps are bounded:
//! beyond them an inbound message is answered `busy` and an outbound one
//! fails at once, to be retried.

use std::collections::HashMap;

use libp2p::PeerId;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use tokio::sync::{mpsc, oneshot};

use super::EventLoop;
use crate::net::InboundBid;
use crate::net::bid_codec::BidReply;
use crate::net::codec::Malformed;
use crate::net::score::MALFORMED_FRAME_POINTS;

/// Inbound messages awaiting the node's answer, at most.
const PENDING_IN: usize = 256;
/// Outbound messages awaiting their answer, at most.
const PENDING_OUT: usize = 256;

/// The loop's bid state.
pub(super) struct BidState {
    /// Where inbound messages go.
    pub inbox: mpsc::Sender<InboundBid>,
    /// Their response channels, by id.
    pending_in: HashMap<u64, (PeerId, ResponseChannel<BidReply>)>,
    next_id: u64,
    /// Who waits for each outbound message's answer.
    pending_out: HashMap<OutboundRequestId, oneshot::Sender<Result<BidReply, String>>>,
}

impl BidState {
    pub(super) fn new(inbox: mpsc::Sender<InboundBid>) -> Self {
        BidState {
            inbox,
            pending_in: HashMap::new(),
            next_id: 0,
            pending_out: HashMap::new(),
        }
    }
}

fn reply(status: u8, reason: &str) -> BidReply {
    BidReply {
        status,
        reason: reason.to_owned(),
    }
}

impl EventLoop {
    pub(super) fn on_bid(
        &mut self,
        event: request_response::Event<Result<Vec<u8>, Malformed>, BidReply>,
    ) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => self.on_bid_request(peer, request, channel),
            Event::Message {
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                if let Some(waiting) = self.bids.pending_out.remove(&request_id) {
                    let _ = waiting.send(Ok(response));
                }
            }
            Event::OutboundFailure {
                request_id, error, ..
            } => {
                if let Some(waiting) = self.bids.pending_out.remove(&request_id) {
                    let _ = waiting.send(Err(error.to_string()));
                }
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "bid message from peer failed: {error}");
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_bid_request(
        &mut self,
        peer: PeerId,
        request: Result<Vec<u8>, Malformed>,
        channel: ResponseChannel<BidReply>,
    ) {
        let bytes = match request {
            Ok(bytes) => bytes,
            Err(malformed) => {
                self.penalise(peer, MALFORMED_FRAME_POINTS);
                self.answer_bid(channel, reply(5, &format!("too-long: {malformed}")));
                return;
            }
        };
        if !self.is_member(&peer) {
            // Nothing about any bid for a non-member.
            self.answer_bid(channel, reply(4, "only members exchange bid messages"));
            return;
        }
        if self.bids.pending_in.len() >= PENDING_IN {
            self.answer_bid(channel, reply(6, "busy; try again later"));
            return;
        }
        let id = self.bids.next_id;
        self.bids.next_id += 1;
        match self.bids.inbox.try_send(InboundBid { id, peer, bytes }) {
            Ok(()) => {
                self.bids.pending_in.insert(id, (peer, channel));
            }
            Err(_) => self.answer_bid(channel, reply(6, "busy; try again later")),
        }
    }

    /// Sends a bid message; the answer goes to `waiting`.
    pub(super) fn send_bid(
        &mut self,
        peer: PeerId,
        bytes: Vec<u8>,
        waiting: oneshot::Sender<Result<BidReply, String>>,
    ) {
        if self.bids.pending_out.len() >= PENDING_OUT {
            let _ = waiting.send(Err("too many bid messages in flight".into()));
            return;
        }
        let id = self
            .swarm
            .behaviour_mut()
            .bid
            .send_request(&peer, Ok(bytes));
        self.bids.pending_out.insert(id, waiting);
    }

    /// The node's answer to an inbound message, with its penalty.
    pub(super) fn reply_bid(&mut self, id: u64, answer: BidReply, points: u32) {
        let Some((peer, channel)) = self.bids.pending_in.remove(&id) else {
            return;
        };
        if points > 0 {
            self.penalise(peer, points);
        }
        self.answer_bid(channel, answer);
    }

    fn answer_bid(&mut self, channel: ResponseChannel<BidReply>, answer: BidReply) {
        // An error means the peer has gone; nothing to do.
        let _ = self
            .swarm
            .behaviour_mut()
            .bid
            .send_response(channel, answer);
    }
}
