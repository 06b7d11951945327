//! The task that owns the `Swarm`: it `select!`s over swarm events, commands
//! from the node, and feedback from the ingest pipeline, and keeps the
//! per-peer state of sync sessions and fetches keyed by request id.

use std::collections::{HashMap, HashSet, VecDeque};
use std::sync::Arc;
use std::time::{Duration, Instant};

use coopnet_protocol::RecordId;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, identify, kad, mdns};
use tokio::sync::{Semaphore, mpsc};
use tokio::task::JoinHandle;

mod connections;
mod gossip;
mod membership;
mod push;
mod sketching;
mod sync_handlers;
mod transport;

use membership::MAX_SKIPPED;
use push::PushQueue;
use sync_handlers::{Outgoing, Unanswered, Wanted, page, unavailable};
use transport::build_swarm;

use super::behaviour::{Behaviour, BehaviourEvent};
use super::codec::{MAX_FETCH_IDS, MAX_RESPONSE_LEN, SyncRequest, SyncResponse};
use super::holders::Holders;
use super::limits::{GossipLimits, Rate};
use super::peers::{PeerBook, Verdict};
use super::redial::Redials;
use super::score::{INVALID_RECORD_POINTS, MALFORMED_FRAME_POINTS};
use super::sync::{Session, Step, SyncIndex, answer};
use super::{COMMAND_QUEUE, Command, IndexChange, NetClient, NetStats, PeerInfo};
use crate::ingest::{Feedback, IngestJob, SYNC_PAGES_IN_PIPELINE, Source};
use crate::store::Store;

/// Fetch requests in flight to one peer at a time.
const FETCHES_IN_FLIGHT: usize = 4;
/// Ids per fetch request.
const FETCH_CHUNK: usize = 512;
/// Fetch requests waiting to be sent to one peer: 131,072 ids (4 MiB),
/// more than one leg of a reconciliation finds.
const QUEUED_FETCHES_PER_PEER: usize = 256;
/// Fetch requests waiting for all peers together (8 MiB of ids).
const QUEUED_FETCHES: usize = 512;
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

#[derive(Debug, Default)]
struct FetchQueue {
    chunks: VecDeque<Wanted>,
    in_flight: usize,
    /// The peer refused a fetch (rate limit): wait until then.
    paused_until: Option<Instant>,
    /// Wanted records were dropped for want of room since the session
    /// began: the next session finds them again, and this one does not
    /// claim (`Reconciled`) that we hold all the peer held.
    dropped: bool,
}

/// Starts the event loop; returns its client and its task.
pub fn spawn(
    params: NetParams,
    store: Store,
    index: SyncIndex,
    ingest: mpsc::Sender<IngestJob>,
    feedback: mpsc::Receiver<Feedback>,
    feedback_tx: mpsc::Sender<Feedback>,
) -> Result<(NetClient, JoinHandle<()>), NetError> {
    let topic = IdentTopic::new(params.topic.clone());
    let mut swarm = build_swarm(&params, &topic)?;
    for addr in &params.listen {
        swarm
            .listen_on(addr.clone())
            .map_err(|e| NetError::Listen {
                addr: addr.clone(),
                reason: e.to_string(),
            })?;
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
        sync_pages: Arc::new(Semaphore::new(SYNC_PAGES_IN_PIPELINE)),
        pushes_waiting: Arc::new(Semaphore::new(push::PUSHES_WAITING)),
        store,
        index,
        sync_interval: params.sync_interval,
        sessions: HashMap::new(),
        sessions_started: 0,
        intake_started: HashMap::new(),
        holders: Holders::default(),
        served,
        served_tx,
        pending: HashMap::new(),
        fetches: HashMap::new(),
        pushes: HashMap::new(),
        reconciled: HashSet::new(),
        finds: HashMap::new(),
        gate: params.gate.clone(),
        grace: params.grace,
        on_probation: HashMap::new(),
        resync_at: HashMap::new(),
        skip: std::collections::HashSet::new(),
        bootstrap_peers: bootstrap_peers(&params.bootstrap),
        bootstrap: params.bootstrap.clone(),
        book: PeerBook::default(),
        limits: GossipLimits::new(params.per_peer, params.per_author),
        redials: Redials::default(),
        sync_soon: None,
        stats: NetStats::default(),
    };
    let task = tokio::spawn(event_loop.run());
    Ok((
        NetClient {
            commands: commands_tx,
        },
        task,
    ))
}

struct EventLoop {
    swarm: Swarm<Behaviour>,
    topic: IdentTopic,
    commands: mpsc::Receiver<Command>,
    feedback: mpsc::Receiver<Feedback>,
    feedback_tx: mpsc::Sender<Feedback>,
    ingest: mpsc::Sender<IngestJob>,
    /// Places for sync pages in the ingest pipeline.
    sync_pages: Arc<Semaphore>,
    /// Places for pushes waiting for one of those.
    pushes_waiting: Arc<Semaphore>,
    store: Store,
    index: SyncIndex,
    sync_interval: Duration,
    sessions: HashMap<PeerId, Outgoing>,
    /// Sessions started so far (each one's serial).
    sessions_started: u64,
    /// When each gossip message waiting for its verdict was received.
    intake_started: HashMap<gossipsub::MessageId, Instant>,
    /// Which peers hold our own records.
    holders: Holders,
    /// Own record ids served to a peer by a fetch task.
    served: mpsc::Receiver<(PeerId, Vec<RecordId>)>,
    served_tx: mpsc::Sender<(PeerId, Vec<RecordId>)>,
    pending: HashMap<OutboundRequestId, Pending>,
    fetches: HashMap<PeerId, FetchQueue>,
    /// Records to push to each peer.
    pushes: HashMap<PeerId, PushQueue>,
    /// Peers whose session with us completed: to be told so once we have
    /// fetched what it found.
    reconciled: HashSet<PeerId>,
    finds: HashMap<kad::QueryId, (PeerId, FindReply)>,
    gate: crate::gate::Gate,
    grace: Duration,
    /// Peers that are not members, and when their grace period ends.
    on_probation: HashMap<PeerId, Instant>,
    /// Peers that refused a sync session, and when to try again.
    resync_at: HashMap<PeerId, Instant>,
    /// Ids the gate held or refused: not fetched again (bounded).
    skip: std::collections::HashSet<RecordId>,
    bootstrap: Vec<Multiaddr>,
    /// The bootstrap addresses that name their peer: dialled again, with
    /// backoff, until connected, whatever the roster says.
    bootstrap_peers: HashMap<PeerId, Vec<Multiaddr>>,
    book: PeerBook,
    /// Gossip rates: each peer's, and our own pace.
    limits: GossipLimits,
    /// Members to dial again after their connection was lost.
    redials: Redials,
    /// When to sync with every peer, after own records were left to sync.
    sync_soon: Option<Instant>,
    stats: NetStats,
}

type FindReply = tokio::sync::oneshot::Sender<Result<Vec<Multiaddr>, super::FindError>>;

impl EventLoop {
    async fn run(mut self) {
        // Before any peer is polled (one store query, our own records).
        self.load_own().await;
        let mut sync_timer = tokio::time::interval(self.sync_interval);
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
                    self.end_expired_probation();
                    self.refresh_lapsed_memberships();
                    self.retry_due();
                    self.redial_due();
                    self.sync_if_soon();
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
                self.finds.insert(query, (peer, reply));
            }
            Command::SyncNow => self.sync_with_everyone(true),
            Command::Holders(ids, reply) => {
                let _ = reply.send(self.holders.count(&ids));
            }
            Command::Stats(reply) => {
                self.stats.index_len = self.index.len();
                self.stats.connections_refused = self.swarm.behaviour().guard.refused;
                let _ = reply.send(self.stats.clone());
            }
            Command::Shutdown(_) => {}
        }
    }

    /// Applies a change of the current set; `own` if it is our co-op's.
    fn apply(&mut self, change: IndexChange, own: bool) {
        self.holders.changed(&change, own);
        for id in &change.removed {
            self.index.remove(id);
        }
        for (id, issued_at) in change.added {
            self.index.insert(id, issued_at);
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
                addresses: Vec::new(),
                subscribed: subscribed.contains(peer),
                gossip_score: gossip.peer_score(peer),
                penalty_points: self.book.points(peer, Instant::now()),
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
                if self.skip.len() + ids.len() > MAX_SKIPPED {
                    self.skip.clear();
                }
                self.skip.extend(ids);
            }
            Feedback::RosterChanged => self.roster_changed(),
            Feedback::PushPages { peer, pages } => self.push_pages_read(peer, pages),
            Feedback::Fetched { peer } => self.fetch_done(peer),
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

    fn penalise(&mut self, peer: PeerId, points: u32) {
        if self.book.penalise(peer, points, Instant::now()) == Verdict::Block {
            tracing::warn!(%peer, "blocking peer for repeated misbehaviour");
            self.stats.peers_blocked += 1;
            self.swarm.behaviour_mut().guard.block(peer);
            let _ = self.swarm.disconnect_peer_id(peer);
        }
    }

    fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => self.identified(peer_id, info.listen_addrs),
            SwarmEvent::Behaviour(BehaviourEvent::Kad(kad::Event::OutboundQueryProgressed {
                id,
                result: kad::QueryResult::GetClosestPeers(result),
                step,
                ..
            })) => self.on_closest_peers(id, result, step.last),
            SwarmEvent::Behaviour(BehaviourEvent::Mdns(mdns::Event::Discovered(found))) => {
                for (_, addr) in found {
                    let _ = self.swarm.dial(addr);
                }
            }
            SwarmEvent::Behaviour(BehaviourEvent::Ping(event)) => self.on_ping(event),
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => self.connected(peer_id, num_established.get() == 1),
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => self.disconnected(peer_id),
            SwarmEvent::NewListenAddr { address, .. } => tracing::info!(%address, "listening"),
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                self.stats.dial_failures += 1;
                tracing::debug!(?peer_id, "connection failed: {error}");
                if let Some(peer) = peer_id {
                    self.dial_failed(peer);
                }
            }
            _ => {}
        }
    }

    /// Answers a pending `FindPeer` once the DHT query has found the peer
    /// (then dials it) or has finished without it.
    fn on_closest_peers(
        &mut self,
        id: kad::QueryId,
        result: kad::GetClosestPeersResult,
        last: bool,
    ) {
        let Some((target, _)) = self.finds.get(&id) else {
            return;
        };
        let target = *target;
        let peers = match result {
            Ok(ok) => ok.peers,
            Err(kad::GetClosestPeersError::Timeout { peers, .. }) => peers,
        };
        let found = peers
            .into_iter()
            .find(|p| p.peer_id == target)
            .map(|p| p.addrs);
        let answer = match found {
            Some(addrs) if !addrs.is_empty() => Ok(addrs),
            _ if !last => return,
            _ => Err(super::FindError::NotFound),
        };
        if let Some((_, reply)) = self.finds.remove(&id) {
            if let Ok(addrs) = &answer {
                for addr in addrs {
                    let _ = self
                        .swarm
                        .dial(addr.clone().with(libp2p::multiaddr::Protocol::P2p(target)));
                }
            }
            let _ = reply.send(answer);
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
