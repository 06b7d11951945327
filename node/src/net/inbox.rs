//! The event loop's inbox: what the ingest pipeline and the loop's own
//! helper tasks (store reads, answers computed off the loop) report back.
//! Bounded like every channel here; the loop handles each message in
//! `event_loop::on_feedback`.

use coopnet_protocol::RecordId;
use libp2p::PeerId;
use libp2p::gossipsub::{MessageAcceptance, MessageId};
use libp2p::request_response::ResponseChannel;

use super::codec::SyncResponse;
use super::event_loop::fetch::Wanted;
use crate::intake::IndexChange;

/// A message to the event loop.
#[derive(Debug)]
pub enum Feedback {
    /// Records that sync, a push or the quarantine made current, to be
    /// forwarded by gossip (already within the re-gossip rate).
    Forward(Vec<Vec<u8>>),
    /// Gossip records refused in a batch for being over their author's
    /// rate.
    OverRate(u64),
    /// The author's own node sent a record over the author's rate: flood
    /// points for it (`flooding.rs`).
    Flooded {
        /// The author's node.
        peer: PeerId,
    },
    /// The verdict on a gossip message.
    Gossip {
        /// Gossipsub's id for it.
        message_id: MessageId,
        /// The peer that relayed it.
        source: PeerId,
        /// Accept (relay), Reject (penalise) or Ignore.
        acceptance: MessageAcceptance,
    },
    /// A peer sent a malformed sync request (answered from a task).
    Malformed {
        /// The peer.
        peer: PeerId,
        /// What was wrong.
        reason: String,
    },
    /// A peer sent an invalid record through sync.
    Invalid {
        /// The peer.
        peer: PeerId,
        /// What was wrong.
        reason: String,
    },
    /// The set of current records changed.
    Indexed(IndexChange),
    /// Records held or refused by the gate: do not fetch them again.
    Skip(Vec<RecordId>),
    /// The roster changed: re-check who may stay connected.
    RosterChanged,
    /// A sketch session was stepped on a blocking thread.
    Sketched {
        /// The peer it reconciles with.
        peer: PeerId,
        /// The session's serial.
        serial: u64,
        /// The session, to go on with.
        session: Box<crate::net::sketch::SketchSession>,
        /// What to do next.
        step: Result<crate::net::sketch::SketchStep, crate::net::sketch::SketchError>,
    },
    /// Records read from the store to push to a peer, in pages.
    PushPages {
        /// The peer.
        peer: PeerId,
        /// The pages.
        pages: Vec<crate::net::PushPage>,
    },
    /// A pushed page was taken into the pipeline.
    PushTaken {
        /// Its records' bytes, framed.
        bytes: u64,
        /// Its count of records.
        records: u64,
    },
    /// A page of fetched records has been taken by the ingest queue: its
    /// fetch is no longer in flight.
    Fetched {
        /// The peer it came from.
        peer: PeerId,
        /// What a full page left out, to ask for again.
        rest: Option<Wanted>,
    },
    /// A sync response is ready to send.
    Respond {
        /// Where to send it.
        channel: ResponseChannel<SyncResponse>,
        /// What to send.
        response: SyncResponse,
    },
}
