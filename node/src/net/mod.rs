//! The node's networking: one task owns the libp2p `Swarm` (the event
//! loop); the rest of the node holds a cloneable [`NetClient`] that sends it
//! [`Command`]s over a bounded channel, each with a oneshot reply.

pub mod behaviour;
pub mod bid_codec;
pub mod codec;
mod event_loop;
pub mod flooding;
pub mod guard;
mod holders;
mod inbox;
pub mod limits;
mod peers;
pub mod redial;
pub mod score;
pub mod sketch;
pub mod sync;

use std::time::Duration;

use coopnet_protocol::{PublicKey, RecordId};
use libp2p::{Multiaddr, PeerId};
use serde::Serialize;
use sha2::Digest;
use tokio::sync::{mpsc, oneshot};

use crate::intake::IndexChange;

pub use event_loop::{NetError, NetParams, spawn};
pub use inbox::Feedback;

/// How many commands may wait for the event loop.
const COMMAND_QUEUE: usize = 256;

/// The gossipsub message id of `data` (SPEC §8.1): SHA-256 of the whole
/// message, signature included. A forged or corrupted copy of a record
/// therefore has an id of its own and can never shadow the genuine bytes in
/// gossipsub's duplicate cache, whoever sends it first.
pub fn message_id(data: &[u8]) -> Vec<u8> {
    sha2::Sha256::digest(data).to_vec()
}

/// Why a record of ours was not handed to gossip (sync delivers it anyway).
#[derive(Debug, thiserror::Error)]
pub enum GossipError {
    /// Over our own gossip pace (half the federation's per-author limit).
    #[error("over our own gossip rate: sync delivers it within seconds")]
    Deferred,
    /// Gossipsub refused it (no peer subscribed yet, for example).
    #[error("gossipsub: {0}")]
    Publish(#[from] libp2p::gossipsub::PublishError),
}

/// Why a dial could not start.
#[derive(Debug, thiserror::Error)]
#[error("cannot dial: {0}")]
pub struct DialError(String);

impl From<libp2p::swarm::DialError> for DialError {
    fn from(error: libp2p::swarm::DialError) -> Self {
        Self(error.to_string())
    }
}

/// Why a co-op's node was not found.
#[derive(Debug, thiserror::Error)]
pub enum FindError {
    /// Its key is not an Ed25519 key (no libp2p peer id).
    #[error("not an ed25519 key")]
    NotEd25519,
    /// The DHT query ended without its address.
    #[error("no peer in the DHT knows this co-op's address")]
    NotFound,
}

/// What the node knows of a connected peer.
#[derive(Debug, Clone, Serialize)]
pub struct PeerInfo {
    /// The peer's libp2p id.
    pub peer_id: String,
    /// The co-op key behind it, when it is an ed25519 peer.
    pub key: Option<PublicKey>,
    /// Addresses of the open connections.
    pub addresses: Vec<String>,
    /// Whether it is subscribed to our federation's gossip topic.
    pub subscribed: bool,
    /// Its gossipsub score.
    pub gossip_score: Option<f64>,
    /// Our misbehaviour points against it.
    pub penalty_points: u32,
    /// Last measured round-trip time, in milliseconds.
    pub rtt_ms: Option<u64>,
}

/// A page of records to push to a peer, with their ids.
#[derive(Debug, Clone, Default)]
pub struct PushPage {
    /// The records' ids, in order.
    pub ids: Vec<RecordId>,
    /// The records, raw signed bytes.
    pub records: Vec<Vec<u8>>,
}

/// Counters the node reports about its network.
#[derive(Debug, Clone, Default, Serialize)]
pub struct NetStats {
    /// Sync sessions completed.
    pub syncs_completed: u64,
    /// Records fetched through sync.
    pub records_fetched: u64,
    /// Bytes of sync responses received.
    pub sync_bytes_received: u64,
    /// Reconciliation rounds taken by sessions this node started (one per
    /// reply processed; a session of one round trip adds 1).
    pub reconcile_rounds: u64,
    /// Bytes of reconciliation messages this node sent in sessions it
    /// started, as framed on the sync stream (message + 5-byte frame header).
    pub reconcile_bytes_sent: u64,
    /// Bytes of reconciliation replies this node received in sessions it
    /// started, framed as above.
    pub reconcile_bytes_received: u64,
    /// Bytes of fetch requests sent (32 per id + 5-byte frame header).
    pub fetch_bytes_sent: u64,
    /// Bytes of record pages received in answer to fetches, framed as
    /// above (each record also carries its 4-byte length).
    pub fetch_bytes_received: u64,
    /// Bytes of record pages pushed to peers their reconciliation with us
    /// found lacking, framed like fetched pages.
    pub push_bytes_sent: u64,
    /// Records pushed to peers.
    pub records_pushed: u64,
    /// Bytes of record pages peers pushed to us, framed likewise.
    pub push_bytes_received: u64,
    /// Records peers pushed to us.
    pub records_received_by_push: u64,
    /// Sessions that began with a sketch and went over to range
    /// fingerprints (the difference was too large for a sketch).
    pub sketch_fallbacks: u64,
    /// Gossip messages (published or forwarded) gossipsub could not send
    /// to a peer in time (its `SlowPeer` reports).
    pub gossip_sends_failed: u64,
    /// Gossip messages ignored because the ingest queue was full (sync
    /// brings them later).
    pub gossip_dropped_overloaded: u64,
    /// Longest time from receiving a gossip message to its verdict
    /// (verified, stored, reported to gossipsub), in milliseconds.
    pub gossip_intake_max_ms: u64,
    /// Gossip messages whose verdict took longer than [`SLOW_INTAKE_MS`].
    pub gossip_intake_slow: u64,
    /// Sync legs that used their round budget and paused to fetch what
    /// they had found before going on (`sync::MAX_ROUNDS`).
    pub sync_legs_paused: u64,
    /// Sync sessions that ended unfinished, without blame: they used every
    /// leg (`sync::MAX_LEGS`) or a whole leg found no difference.
    pub syncs_unfinished: u64,
    /// Sync requests of ours the peer refused (rate limit, overload).
    pub sync_refusals: u64,
    /// Outgoing connections that failed (unreachable, refused, handshake
    /// failed — e.g. a wrong network key).
    pub dial_failures: u64,
    /// Peers blocked for misbehaviour.
    pub peers_blocked: u64,
    /// Gossip messages rejected unverified: their sender was over its rate.
    pub gossip_over_peer_rate: u64,
    /// Gossip records refused after verification: over their author's rate.
    pub gossip_over_author_rate: u64,
    /// Own records left to sync: over our own gossip pace.
    pub own_gossip_deferred: u64,
    /// Records learned by sync, push or release forwarded by gossip.
    pub records_forwarded: u64,
    /// Incoming or outgoing connections the guard refused.
    pub connections_refused: u64,
    /// Connections closed because their pings failed.
    pub connections_closed_dead: u64,
    /// Dials to members whose connection was lost.
    pub redials: u64,
    /// Times ids a reconciliation found were dropped for want of room in
    /// the fetch queues (the next session finds them again).
    pub fetches_dropped: u64,
    /// Size of the reconciled set.
    pub index_len: usize,
    /// When a sync session last completed (Unix ms).
    pub last_sync_at: Option<u64>,
    /// AutoNAT tests of our addresses that failed (behind NAT).
    pub nat_tests_failed: u64,
    /// Relay reservations we obtained (behind NAT).
    pub relay_reservations: u64,
    /// Circuits we relayed for members behind NAT.
    pub circuits_relayed: u64,
    /// Relayed connections upgraded to direct ones by hole punching.
    pub holes_punched: u64,
    /// Hole punches that failed (the connection stays relayed).
    pub hole_punches_failed: u64,
    /// Relayed connections closed because the peer had a direct one.
    pub relayed_replaced: u64,
    /// Reservations and circuits our relay refused: the peer is not a
    /// member, is over a limit, or (a circuit) its destination holds no
    /// reservation here.
    pub relay_refused: u64,
    /// Members Kademlia could not find, dialled through relays instead.
    pub dialled_through_relays: u64,
    /// Whether our Kademlia is in server mode (an external address is
    /// confirmed) rather than client mode.
    pub dht_server: bool,
}

/// A gossip message's intake is slow beyond this many milliseconds.
pub const SLOW_INTAKE_MS: u64 = 250;

impl NetStats {
    /// Counts one gossip message's time from receipt to verdict.
    fn note_gossip_intake(&mut self, took: Duration) {
        let ms = took.as_millis() as u64;
        self.gossip_intake_max_ms = self.gossip_intake_max_ms.max(ms);
        if ms > SLOW_INTAKE_MS {
            self.gossip_intake_slow += 1;
        }
    }
}

/// A request to the event loop.
#[derive(Debug)]
pub enum Command {
    /// Gossip a record our co-op just stored, and index it.
    Publish {
        /// The record as signed.
        bytes: Vec<u8>,
        /// How the current set changed when it was stored.
        change: IndexChange,
        /// Done when handed to gossipsub, or why not.
        reply: oneshot::Sender<Result<(), GossipError>>,
    },
    /// Update the sync index after an ingest.
    Indexed(IndexChange),
    /// The roster changed: re-check who may stay connected.
    RosterChanged,
    /// Connected peers.
    Peers(oneshot::Sender<Vec<PeerInfo>>),
    /// Addresses we listen on.
    ListenAddrs(oneshot::Sender<Vec<Multiaddr>>),
    /// Connect to an address.
    Dial(Multiaddr, oneshot::Sender<Result<(), DialError>>),
    /// Find a peer's addresses through the DHT (and connect to it).
    FindPeer(PeerId, oneshot::Sender<Result<Vec<Multiaddr>, FindError>>),
    /// Start a sync round with every connected peer now.
    SyncNow,
    /// Network counters.
    Stats(oneshot::Sender<NetStats>),
    /// For each record id, how many connected peers are known to hold it.
    Holders(Vec<RecordId>, oneshot::Sender<Vec<u32>>),
    /// Send a private bid message to a peer (dialling it if need be).
    SendBid {
        /// The peer.
        peer: PeerId,
        /// The signed message.
        bytes: Vec<u8>,
        /// Its answer, or why it could not be delivered.
        reply: oneshot::Sender<Result<bid_codec::BidReply, String>>,
    },
    /// Answer an inbound bid message handed up as [`InboundBid`].
    ReplyBid {
        /// The message's [`InboundBid::id`].
        id: u64,
        /// The answer.
        reply: bid_codec::BidReply,
        /// Sync points for the sender (SPEC §11.5), 0 for none.
        points: u32,
    },
    /// Stop the event loop.
    Shutdown(oneshot::Sender<()>),
}

/// A bid message a peer sent, for the node to judge and answer with
/// [`Command::ReplyBid`].
#[derive(Debug, Clone)]
pub struct InboundBid {
    /// Which message (to answer it).
    pub id: u64,
    /// The peer that sent it.
    pub peer: PeerId,
    /// The message's bytes, not yet checked.
    pub bytes: Vec<u8>,
}

/// Bid messages waiting for the node to judge them; more are answered
/// `busy`.
pub const BID_INBOX: usize = 64;

/// A cloneable handle to the event loop. Every method is cancel-safe: a
/// dropped call leaves the loop unaffected (a command already sent still
/// runs).
#[derive(Debug, Clone)]
pub struct NetClient {
    commands: mpsc::Sender<Command>,
}

/// The event loop has stopped.
#[derive(Debug, thiserror::Error)]
#[error("the network has stopped")]
pub struct Stopped;

impl NetClient {
    async fn ask<T>(&self, make: impl FnOnce(oneshot::Sender<T>) -> Command) -> Result<T, Stopped> {
        let (reply, answer) = oneshot::channel();
        self.commands.send(make(reply)).await.map_err(|_| Stopped)?;
        answer.await.map_err(|_| Stopped)
    }

    /// Sends a private bid message to `peer` and waits for its answer
    /// (SPEC §11): `Err` when it could not be delivered (no route, timeout,
    /// closed stream), to be retried later.
    pub async fn send_bid(
        &self,
        peer: PeerId,
        bytes: Vec<u8>,
    ) -> Result<Result<bid_codec::BidReply, String>, Stopped> {
        self.ask(|reply| Command::SendBid { peer, bytes, reply })
            .await
    }

    /// Sends a command that has no reply.
    pub async fn send(&self, command: Command) -> Result<(), Stopped> {
        self.commands.send(command).await.map_err(|_| Stopped)
    }

    /// Gossips a stored record of our own.
    pub async fn publish(
        &self,
        bytes: Vec<u8>,
        change: IndexChange,
    ) -> Result<Result<(), GossipError>, Stopped> {
        self.ask(|reply| Command::Publish {
            bytes,
            change,
            reply,
        })
        .await
    }

    /// Connected peers.
    pub async fn peers(&self) -> Result<Vec<PeerInfo>, Stopped> {
        self.ask(Command::Peers).await
    }

    /// Addresses we listen on.
    pub async fn listen_addrs(&self) -> Result<Vec<Multiaddr>, Stopped> {
        self.ask(Command::ListenAddrs).await
    }

    /// Connects to `addr`.
    pub async fn dial(&self, addr: Multiaddr) -> Result<Result<(), DialError>, Stopped> {
        self.ask(|reply| Command::Dial(addr, reply)).await
    }

    /// Finds the addresses of the co-op with `key` through Kademlia, and
    /// connects to it. An error says why it was not found.
    pub async fn find(
        &self,
        key: &PublicKey,
    ) -> Result<Result<Vec<Multiaddr>, FindError>, Stopped> {
        let Some(peer) = crate::identity::peer_id_of(key) else {
            return Ok(Err(FindError::NotEd25519));
        };
        self.ask(|reply| Command::FindPeer(peer, reply)).await
    }

    /// Network counters.
    pub async fn stats(&self) -> Result<NetStats, Stopped> {
        self.ask(Command::Stats).await
    }

    /// For each of `ids` (our co-op's own records), how many connected
    /// peers are known to hold it, in order. Known from sync only: a peer
    /// holds a record if our last completed reconciliation with it found it
    /// did (it covers the records we had when it started), or if it fetched
    /// the record from us since. Gossip we sent proves nothing, so a record
    /// just published counts its holders as the next reconciliations run
    /// (every `sync_interval`). An id that is not one of our own current
    /// records counts 0.
    pub async fn holders(&self, ids: Vec<RecordId>) -> Result<Vec<u32>, Stopped> {
        self.ask(|reply| Command::Holders(ids, reply)).await
    }

    /// Stops the event loop and waits until it has.
    pub async fn shutdown(&self) -> Result<(), Stopped> {
        self.ask(Command::Shutdown).await
    }

    /// Waits until at least `n` listen addresses exist, up to `timeout`.
    pub async fn wait_listening(&self, timeout: Duration) -> Result<Vec<Multiaddr>, Stopped> {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            let addrs = self.listen_addrs().await?;
            if !addrs.is_empty() || tokio::time::Instant::now() >= deadline {
                return Ok(addrs);
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn gossip_message_ids_match_the_spec_vectors() {
        let text = include_str!("../../../protocol/testdata/vectors.json");
        let doc: serde_json::Value = serde_json::from_str(text).unwrap();
        let valid = doc["valid"].as_array().unwrap();
        assert!(valid.len() >= 20);
        for v in valid {
            let record = hex::decode(v["record_hex"].as_str().unwrap()).unwrap();
            let expected = hex::decode(v["gossip_message_id"].as_str().unwrap()).unwrap();
            assert_eq!(super::message_id(&record), expected, "{}", v["name"]);
        }
    }

    #[test]
    fn a_forged_copy_has_a_message_id_of_its_own() {
        let record = coopnet_protocol::Draft::new(
            coopnet_protocol::Body::Profile(coopnet_protocol::samples::profile(1)),
            "",
            1,
            coopnet_protocol::samples::NOW,
        )
        .sign(&coopnet_protocol::samples::secret(1))
        .unwrap();
        let mut forged = record.bytes().to_vec();
        *forged.last_mut().unwrap() ^= 1;
        assert_ne!(
            super::message_id(record.bytes()),
            super::message_id(&forged)
        );
    }
}
