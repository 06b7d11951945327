//! The task that owns the `Swarm`: it `select!`s over swarm events, commands
//! from the node, and feedback from the ingest pipeline, and keeps the
//! per-peer state of sync sessions and fetches keyed by request id.

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coopnet_protocol::RecordId;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic};
use libp2p::identity::Keypair;
use libp2p::request_response::OutboundRequestId;

use libp2p::{Multiaddr, PeerId, Swarm, kad};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

mod bids;
mod connections;
pub(super) mod fetch;
mod gossip;
mod membership;
mod nat;
mod push;
mod sketching;
mod swarm_events;
mod sync_handlers;
mod transport;

use fetch::{FetchQueue, Wanted};
use membership::MAX_SKIPPED;
use push::PushQueue;
use sync_handlers::Outgoing;
use transport::build_swarm;

use super::Feedback;
use super::behaviour::Behaviour;
use super::flooding::FloodPoints;
use super::holders::Holders;
use super::limits::{GossipLimits, Rate};
use super::peers::{PeerBook, Verdict};
use super::redial::Redials;
use super::score::{INVALID_RECORD_POINTS, MALFORMED_FRAME_POINTS};
use super::sync::SyncIndex;
use super::{COMMAND_QUEUE, Command, NetClient, NetStats, PeerInfo};
use crate::ingest::{IngestSender, SYNC_PAGES_IN_PIPELINE};
use crate::intake::IndexChange;
use crate::store::Store;

/// Reports of own records served to a peer that may wait for the loop.
const SERVED_QUEUE: usize = 64;
/// What framing adds to a sync message on its stream (codec.rs: a u32
/// length and a tag byte), for the byte counters of [`NetStats`].
const FRAME_HEADER: u64 = 5;

/// The bytes a sync message with a body of `len` bytes takes on its stream.
fn framed(len: usize) -> u64 {
    FRAME_HEADER + len as u64
}

impl NetStats {
    /// Counts one reconciliation reply (negentropy or sketch) of a session
    /// we started, with a body of `len` bytes.
    fn count_reconcile_reply(&mut self, len: usize) {
        self.sync_bytes_received += len as u64;
        self.reconcile_rounds += 1;
        self.reconcile_bytes_received += framed(len);
    }
}

/// What the event loop needs to start.
#[derive(Debug)]
pub struct NetParams {
    /// The node's libp2p identity (its co-op key).
    pub keypair: Keypair,
    /// Addresses to listen on.
    pub listen: Vec<Multiaddr>,
    /// Peers to dial at start.
    pub bootstrap: Vec<Multiaddr>,
    /// Gossipsub heartbeat.
    pub heartbeat: Duration,
    /// Time between sync rounds with each peer.
    pub sync_interval: Duration,
    /// LAN discovery.
    pub mdns: bool,
    /// The federation's gossip topic.
    pub topic: String,
    /// The federation's private-network key, if it has one.
    pub network_key: Option<[u8; 32]>,
    /// The federation gate: who may stay connected.
    pub gate: crate::gate::Gate,
    /// How long a peer that is not a member may stay connected (to fetch
    /// membership records) before it is disconnected.
    pub grace: Duration,
    /// Gossip messages one peer may send.
    pub per_peer: Rate,
    /// Records of one author taken by gossip (we gossip our own at half).
    pub per_author: Rate,
    /// Where private bid messages from members go (SPEC §11).
    pub bid_inbox: mpsc::Sender<super::InboundBid>,
    /// libp2p's metrics and the event log.
    pub monitor: Arc<crate::monitor::Monitor>,
    /// Whether to relay for members behind NAT.
    pub relay: bool,
    /// Addresses others reach this node at, as its operator says.
    pub external: Vec<Multiaddr>,
}

/// Why the network could not start.
#[derive(Debug, thiserror::Error)]
pub enum NetError {
    /// The behaviour could not be built.
    #[error(transparent)]
    Behaviour(#[from] super::behaviour::BuildError),
    /// The transport could not be built.
    #[error("transport: {0}")]
    Transport(String),
    /// A listen address was refused.
    #[error("cannot listen on {addr}: {reason}")]
    Listen {
        /// The address.
        addr: Multiaddr,
        /// Why.
        reason: String,
    },
}

#[derive(Debug)]
enum Pending {
    Reconcile,
    Sketch,
    /// A fetch, with what it asks so a refused one can be asked again.
    Fetch(Wanted),
    /// A push, with its page so a refused one can be sent again.
    Push(super::PushPage),
    /// A `Reconciled` notice.
    Reconciled,
}

/// Starts the event loop; returns its client and its task.
pub fn spawn(
    params: NetParams,
    store: Store,
    index: SyncIndex,
    ingest: IngestSender,
    feedback: mpsc::Receiver<Feedback>,
    feedback_tx: mpsc::Sender<Feedback>,
) -> Result<(NetClient, JoinHandle<()>), NetError> {
    let topic = IdentTopic::new(params.topic.clone());
    let reachable = Arc::default();
    let mut swarm = build_swarm(&params, &topic, Arc::clone(&reachable))?;
    for addr in &params.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
    }
    for addr in &params.external {
        // Confirmed by the operator: peers may dial it, relays announce it.
        swarm.add_external_address(addr.clone());
    }
    for addr in &params.bootstrap {
        if let Err(e) = swarm.dial(addr.clone()) {
            tracing::warn!(%addr, "cannot dial bootstrap peer: {e}");
        }
    }
    let (commands_tx, commands) = mpsc::channel(COMMAND_QUEUE);
    let (served_tx, served) = mpsc::channel(SERVED_QUEUE);
    let event_loop = EventLoop {
        swarm,
        topic,
        commands,
        feedback,
        feedback_tx,
        ingest,
        store,
        holders: Holders::default(),
        served,
        served_tx,
        intake_started: HashMap::new(),
        sync: SyncState {
            index,
            interval: params.sync_interval,
            sessions: HashMap::new(),
            started: 0,
            pending: HashMap::new(),
            fetches: HashMap::new(),
            pushes: HashMap::new(),
            reconciled: HashSet::new(),
            resync_at: HashMap::new(),
            skip: HashSet::new(),
            pages: Arc::new(Semaphore::new(SYNC_PAGES_IN_PIPELINE)),
            pushes_waiting: Arc::new(Semaphore::new(push::PUSHES_WAITING)),
            soon: None,
        },
        members: Members {
            gate: params.gate.clone(),
            grace: params.grace,
            on_probation: HashMap::new(),
            bootstrap_peers: bootstrap_peers(&params.bootstrap),
            bootstrap: params.bootstrap.clone(),
            redials: Redials::default(),
            finds: HashMap::new(),
        },
        scoring: Scoring {
            book: PeerBook::default(),
            limits: GossipLimits::new(params.per_peer, params.per_author),
            flood: FloodPoints::default(),
        },
        bids: bids::BidState::new(params.bid_inbox.clone()),
        stats: NetStats::default(),
        monitor: Arc::clone(&params.monitor),
        nat: nat::NatState::new(&params.listen, reachable),
    };
    let task = tokio::spawn(event_loop.run());
    Ok((
        NetClient {
            commands: commands_tx,
        },
        task,
    ))
}

/// The task that owns the swarm, and its state, grouped by concern.
struct EventLoop {
    swarm: Swarm<Behaviour>,
    /// The federation's gossip topic.
    topic: IdentTopic,
    /// Requests from the node's [`NetClient`]s.
    commands: mpsc::Receiver<Command>,
    /// Reports from the ingest pipeline and the loop's helper tasks.
    feedback: mpsc::Receiver<Feedback>,
    /// Given to helper tasks, to report back.
    feedback_tx: mpsc::Sender<Feedback>,
    /// Records to verify and store.
    ingest: IngestSender,
    /// The replica, read to answer peers.
    store: Store,
    /// Which peers hold our own records.
    holders: Holders,
    /// Own record ids served to a peer by a fetch task.
    served: mpsc::Receiver<(PeerId, Vec<RecordId>)>,
    served_tx: mpsc::Sender<(PeerId, Vec<RecordId>)>,
    /// When each gossip message waiting for its verdict was received.
    intake_started: HashMap<gossipsub::MessageId, Instant>,
    /// Anti-entropy.
    sync: SyncState,
    /// Membership, redials and lookups.
    members: Members,
    /// Penalties and gossip rates.
    scoring: Scoring,
    /// Private bid messages in and out.
    bids: bids::BidState,
    stats: NetStats,
    /// libp2p's metrics and the event log.
    monitor: Arc<crate::monitor::Monitor>,
    /// Reachability and relays.
    nat: nat::NatState,
}

/// The anti-entropy state: the reconciled set, the sessions this node
/// runs, and per peer what is to fetch and to push.
struct SyncState {
    /// The reconciled set: every current record.
    index: SyncIndex,
    /// Time between sessions with each peer.
    interval: Duration,
    /// Sessions this node initiated, by peer.
    sessions: HashMap<PeerId, Outgoing>,
    /// Sessions started so far (each one's serial).
    started: u64,
    /// Our sync requests awaiting an answer, and what each was for.
    pending: HashMap<OutboundRequestId, Pending>,
    /// Records to fetch from each peer.
    fetches: HashMap<PeerId, FetchQueue>,
    /// Records to push to each peer.
    pushes: HashMap<PeerId, PushQueue>,
    /// Peers whose session with us completed: to be told so once we have
    /// fetched what it found.
    reconciled: HashSet<PeerId>,
    /// Peers that refused a sync session, and when to try again.
    resync_at: HashMap<PeerId, Instant>,
    /// Ids the gate held or refused: not fetched again (bounded).
    skip: HashSet<RecordId>,
    /// Places for sync pages in the ingest pipeline.
    pages: Arc<Semaphore>,
    /// Places for pushes waiting for one of those.
    pushes_waiting: Arc<Semaphore>,
    /// When to sync with every peer, after own records were left to sync.
    soon: Option<Instant>,
}

/// Who may stay connected, and whom to dial.
struct Members {
    /// The federation gate: the roster.
    gate: crate::gate::Gate,
    /// How long a peer that is not a member may stay.
    grace: Duration,
    /// Peers that are not members, and when their grace period ends.
    on_probation: HashMap<PeerId, Instant>,
    /// Every bootstrap address (dialled again when we are alone).
    bootstrap: Vec<Multiaddr>,
    /// The bootstrap addresses that name their peer: dialled again, with
    /// backoff, until connected, whatever the roster says.
    bootstrap_peers: HashMap<PeerId, Vec<Multiaddr>>,
    /// Members to dial again after their connection was lost.
    redials: Redials,
    /// Kademlia lookups for [`Command::FindPeer`], by query.
    finds: HashMap<kad::QueryId, (PeerId, FindReply)>,
}

/// What peers earned: our points against them on sync, and the gossip
/// rates they (and we) are held to.
struct Scoring {
    /// Misbehaviour points and request quotas.
    book: PeerBook,
    /// Gossip rates: each peer's, and our own pace.
    limits: GossipLimits,
    /// Points of peers that sent more than a rate.
    flood: FloodPoints,
}

type FindReply = tokio::sync::oneshot::Sender<Result<Vec<Multiaddr>, super::FindError>>;

impl EventLoop {
    async fn run(mut self) {
        // Before any peer is polled (one store query, our own records).
        self.load_own().await;
        // Addresses the operator stated are confirmed already.
        self.update_dht_mode();
        let mut sync_timer = tokio::time::interval(self.sync.interval);
        let mut kad_timer = tokio::time::interval(Duration::from_secs(300));
        let mut probation_timer = tokio::time::interval(Duration::from_millis(500));
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                Some(feedback) = self.feedback.recv() => self.on_feedback(feedback),
                Some((peer, ids)) = self.served.recv() => {
                    if self.swarm.is_connected(&peer) {
                        self.holders.fetched(peer, ids);
                    }
                }
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown(reply)) => {
                        let _ = reply.send(());
                        return;
                    }
                    Some(command) => self.on_command(command),
                    None => return,
                },
                _ = sync_timer.tick() => {
                    self.redial_if_alone();
                    self.sync_with_everyone(false);
                }
                _ = probation_timer.tick() => {
                    self.rescore_flooders();
                    self.end_expired_probation();
                    self.refresh_lapsed_memberships();
                    self.retry_due();
                    self.redial_due();
                    self.sync_if_soon();
                    self.punch_waits_over();
                }
                _ = kad_timer.tick() => {
                    let _ = self.swarm.behaviour_mut().kad.bootstrap();
                }
            }
        }
    }

    fn on_command(&mut self, command: Command) {
        match command {
            Command::Publish {
                bytes,
                change,
                reply,
            } => {
                let _ = reply.send(self.publish_own(bytes, change));
            }
            Command::Indexed(change) => self.apply(change, false),
            Command::RosterChanged => self.roster_changed(),
            Command::Peers(reply) => {
                let _ = reply.send(self.peers());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Dial(addr, reply) => {
                let _ = reply.send(self.swarm.dial(addr).map_err(Into::into));
            }
            Command::FindPeer(peer, reply) => {
                let query = self.swarm.behaviour_mut().kad.get_closest_peers(peer);
                self.members.finds.insert(query, (peer, reply));
            }
            Command::SyncNow => self.sync_with_everyone(true),
            Command::Holders(ids, reply) => {
                let _ = reply.send(self.holders.count(&ids));
            }
            Command::Stats(reply) => {
                self.stats.index_len = self.sync.index.len();
                self.stats.connections_refused = self.swarm.behaviour().guard.refused;
                self.stats.dht_server =
                    self.swarm.behaviour().kad.mode() == libp2p::kad::Mode::Server;
                let _ = reply.send(self.stats.clone());
            }
            Command::SendBid { peer, bytes, reply } => self.send_bid(peer, bytes, reply),
            Command::ReplyBid { id, reply, points } => self.reply_bid(id, reply, points),
            Command::Shutdown(_) => {}
        }
    }

    /// Applies a change of the current set; `own` if it is our co-op's.
    fn apply(&mut self, change: IndexChange, own: bool) {
        self.holders.changed(&change, own);
        for id in &change.removed {
            self.sync.index.remove(id);
        }
        for (id, issued_at) in change.added {
            self.sync.index.insert(id, issued_at);
        }
    }

    fn peers(&self) -> Vec<PeerInfo> {
        let gossip = &self.swarm.behaviour().gossip;
        let topic = self.topic.hash();
        let subscribed: std::collections::HashSet<PeerId> = gossip
            .all_peers()
            .filter(|(_, topics)| topics.contains(&&topic))
            .map(|(peer, _)| *peer)
            .collect();
        self.swarm
            .connected_peers()
            .map(|peer| PeerInfo {
                peer_id: peer.to_string(),
                key: crate::identity::coop_key_of(peer),
                addresses: self.connection_addresses(peer),
                subscribed: subscribed.contains(peer),
                gossip_score: gossip.peer_score(peer),
                penalty_points: self.scoring.book.points(peer, Instant::now()),
                rtt_ms: None,
            })
            .collect()
    }

    fn on_feedback(&mut self, feedback: Feedback) {
        match feedback {
            Feedback::Gossip {
                message_id,
                source,
                acceptance,
            } => self.verdict(&message_id, &source, acceptance),
            Feedback::Forward(records) => self.forward(records),
            Feedback::OverRate(count) => self.stats.gossip_over_author_rate += count,
            Feedback::Flooded { peer } => self.flooded(peer),
            Feedback::Malformed { peer, reason } => {
                tracing::warn!(%peer, "malformed sync request: {reason}");
                self.penalise(peer, MALFORMED_FRAME_POINTS);
            }
            Feedback::Invalid { peer, reason } => {
                tracing::warn!(%peer, "invalid record through sync: {reason}");
                self.penalise(peer, INVALID_RECORD_POINTS);
            }
            Feedback::Indexed(change) => self.apply(change, false),
            Feedback::Skip(ids) => {
                if self.sync.skip.len() + ids.len() > MAX_SKIPPED {
                    self.sync.skip.clear();
                }
                self.sync.skip.extend(ids);
            }
            Feedback::RosterChanged => self.roster_changed(),
            Feedback::PushPages { peer, pages } => self.push_pages_read(peer, pages),
            Feedback::Fetched { peer, rest } => self.fetch_done(peer, rest),
            Feedback::PushTaken { bytes, records } => self.push_taken(bytes, records),
            Feedback::Sketched {
                peer,
                serial,
                session,
                step,
            } => self.sketch_stepped(peer, serial, session, step),
            Feedback::Respond { channel, response } => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response);
            }
        }
    }

    pub(super) fn penalise(&mut self, peer: PeerId, points: u32) {
        if self.scoring.book.penalise(peer, points, Instant::now()) == Verdict::Block {
            tracing::warn!(%peer, "blocking peer for repeated misbehaviour");
            self.stats.peers_blocked += 1;
            self.monitor.event(crate::monitor::Event {
                kind: "blocked",
                coop: crate::identity::coop_key_of(&peer),
                peer: Some(peer.to_string()),
                detail: "blocked for an hour for repeated misbehaviour".into(),
            });
            self.swarm.behaviour_mut().guard.block(peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }
}

/// The peer ids named by bootstrap addresses (`…/p2p/<id>`), with their
/// addresses.
fn bootstrap_peers(addrs: &[Multiaddr]) -> HashMap<PeerId, Vec<Multiaddr>> {
    let mut peers: HashMap<PeerId, Vec<Multiaddr>> = HashMap::new();
    for addr in addrs {
        if let Some(libp2p::multiaddr::Protocol::P2p(peer)) = addr.iter().last() {
            peers.entry(peer).or_default().push(addr.clone());
        }
    }
    peers
}
