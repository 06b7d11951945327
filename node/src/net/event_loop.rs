//! The task that owns the `Swarm`: it `select!`s over swarm events, commands
//! from the node, and feedback from the ingest pipeline, and keeps the
//! per-peer state of sync sessions and fetches keyed by request id.

use std::collections::{HashMap, VecDeque};
use std::time::{Duration, Instant};

use coopnet_protocol::RecordId;
use futures::StreamExt;
use libp2p::gossipsub::{self, IdentTopic, MessageAcceptance};
use libp2p::identity::Keypair;
use libp2p::request_response::{self, OutboundRequestId, ResponseChannel};
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, PeerId, Swarm, identify, kad, mdns, noise, ping, tcp, yamux};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::behaviour::{Behaviour, BehaviourEvent, BehaviourParams};
use super::codec::{MAX_FETCH_IDS, MAX_RESPONSE_LEN, SyncRequest, SyncResponse};
use super::peers::{PeerBook, Verdict};
use super::score::{INVALID_RECORD_POINTS, MALFORMED_FRAME_POINTS};
use super::sync::{Session, SyncIndex, answer};
use super::{COMMAND_QUEUE, Command, IndexChange, NetClient, NetStats, PeerInfo};
use crate::ingest::{Feedback, IngestJob, Source};
use crate::store::Store;

/// Fetch requests in flight to one peer at a time.
const FETCHES_IN_FLIGHT: usize = 4;
/// Ids per fetch request.
const FETCH_CHUNK: usize = 512;
/// What framing adds to a sync message on its stream (codec.rs: a u32
/// length and a tag byte), for the byte counters of [`NetStats`].
const FRAME_HEADER: u64 = 5;

/// The bytes a sync message with a body of `len` bytes takes on its stream.
fn framed(len: usize) -> u64 {
    FRAME_HEADER + len as u64
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
    Fetch,
    Raw,
}

#[derive(Debug, Default)]
struct FetchQueue {
    chunks: VecDeque<Vec<RecordId>>,
    in_flight: usize,
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
    let event_loop = EventLoop {
        swarm,
        topic,
        commands,
        feedback,
        feedback_tx,
        ingest,
        store,
        index,
        sync_interval: params.sync_interval,
        sessions: HashMap::new(),
        pending: HashMap::new(),
        fetches: HashMap::new(),
        finds: HashMap::new(),
        book: PeerBook::default(),
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

fn build_swarm(params: &NetParams, topic: &IdentTopic) -> Result<Swarm<Behaviour>, NetError> {
    let behaviour_params = BehaviourParams {
        heartbeat: params.heartbeat,
        mdns: params.mdns,
        topic: topic.clone(),
    };
    let transport_error = |e: &dyn std::fmt::Display| NetError::Transport(e.to_string());
    let behaviour = Behaviour::new(&params.keypair, &behaviour_params)?;
    let swarm = libp2p::SwarmBuilder::with_existing_identity(params.keypair.clone())
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| transport_error(&e))?
        .with_behaviour(|_| behaviour)
        .map_err(|e| transport_error(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
        .build();
    Ok(swarm)
}

struct EventLoop {
    swarm: Swarm<Behaviour>,
    topic: IdentTopic,
    commands: mpsc::Receiver<Command>,
    feedback: mpsc::Receiver<Feedback>,
    feedback_tx: mpsc::Sender<Feedback>,
    ingest: mpsc::Sender<IngestJob>,
    store: Store,
    index: SyncIndex,
    sync_interval: Duration,
    sessions: HashMap<PeerId, Session>,
    pending: HashMap<OutboundRequestId, Pending>,
    fetches: HashMap<PeerId, FetchQueue>,
    finds: HashMap<kad::QueryId, (PeerId, FindReply)>,
    book: PeerBook,
    stats: NetStats,
}

type FindReply = tokio::sync::oneshot::Sender<Result<Vec<Multiaddr>, String>>;

impl EventLoop {
    async fn run(mut self) {
        let mut sync_timer = tokio::time::interval(self.sync_interval);
        let mut kad_timer = tokio::time::interval(Duration::from_secs(300));
        loop {
            tokio::select! {
                event = self.swarm.select_next_some() => self.on_swarm_event(event),
                Some(feedback) = self.feedback.recv() => self.on_feedback(feedback),
                command = self.commands.recv() => match command {
                    Some(Command::Shutdown(reply)) => {
                        let _ = reply.send(());
                        return;
                    }
                    Some(command) => self.on_command(command),
                    None => return,
                },
                _ = sync_timer.tick() => self.sync_with_everyone(),
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
                self.apply(change);
                let result = self
                    .swarm
                    .behaviour_mut()
                    .gossip
                    .publish(self.topic.clone(), bytes);
                let _ = reply.send(result.map(drop).map_err(|e| e.to_string()));
            }
            Command::Indexed(change) => self.apply(change),
            Command::Peers(reply) => {
                let _ = reply.send(self.peers());
            }
            Command::ListenAddrs(reply) => {
                let _ = reply.send(self.swarm.listeners().cloned().collect());
            }
            Command::Dial(addr, reply) => {
                let _ = reply.send(self.swarm.dial(addr).map_err(|e| e.to_string()));
            }
            Command::Disconnect(peer) => {
                let _ = self.swarm.disconnect_peer_id(peer);
            }
            Command::FindPeer(peer, reply) => {
                let query = self.swarm.behaviour_mut().kad.get_closest_peers(peer);
                self.finds.insert(query, (peer, reply));
            }
            Command::SyncNow => self.sync_with_everyone(),
            Command::Stats(reply) => {
                self.stats.index_len = self.index.len();
                let _ = reply.send(self.stats.clone());
            }
            Command::PublishUnchecked(bytes) => {
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .gossip
                    .publish(self.topic.clone(), bytes);
            }
            Command::SendSyncRequest(peer, request) => {
                let id = self.swarm.behaviour_mut().sync.send_request(&peer, request);
                self.pending.insert(id, Pending::Raw);
            }
            Command::Shutdown(_) => {}
        }
    }

    fn apply(&mut self, change: IndexChange) {
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
                penalty_points: self.book.points(peer),
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
            } => {
                let gossip = &mut self.swarm.behaviour_mut().gossip;
                gossip.report_message_validation_result(&message_id, &source, acceptance);
            }
            Feedback::Invalid { peer, reason } => {
                tracing::warn!(%peer, "invalid record through sync: {reason}");
                self.penalise(peer, INVALID_RECORD_POINTS);
            }
            Feedback::Indexed(change) => self.apply(change),
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
        if self.book.penalise(peer, points) == Verdict::Block {
            tracing::warn!(%peer, "blocking peer for repeated misbehaviour");
            self.stats.peers_blocked += 1;
            self.swarm.behaviour_mut().blocked.block_peer(peer);
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
            })) => {
                for addr in info.listen_addrs {
                    self.swarm.behaviour_mut().kad.add_address(&peer_id, addr);
                }
            }
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
            SwarmEvent::Behaviour(BehaviourEvent::Ping(ping::Event { .. })) => {}
            SwarmEvent::ConnectionEstablished {
                peer_id,
                num_established,
                ..
            } => {
                tracing::debug!(%peer_id, "connected");
                if num_established.get() == 1 {
                    self.start_sync(peer_id);
                }
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                tracing::debug!(%peer_id, "disconnected");
                self.sessions.remove(&peer_id);
                self.fetches.remove(&peer_id);
                self.book.disconnected(&peer_id);
            }
            SwarmEvent::NewListenAddr { address, .. } => tracing::info!(%address, "listening"),
            SwarmEvent::OutgoingConnectionError { peer_id, error, .. } => {
                tracing::debug!(?peer_id, "connection failed: {error}");
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
            _ => Err("no peer in the DHT knows this co-op's address".to_owned()),
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

    fn on_gossip(&mut self, event: gossipsub::Event) {
        let gossipsub::Event::Message {
            propagation_source,
            message_id,
            message,
        } = event
        else {
            return;
        };
        let from = Source::Gossip {
            message_id: message_id.clone(),
            peer: propagation_source,
        };
        let job = IngestJob {
            records: vec![message.data],
            from,
        };
        if self.ingest.try_send(job).is_err() {
            // Overloaded: neither relay nor blame; sync will bring it later.
            let gossip = &mut self.swarm.behaviour_mut().gossip;
            gossip.report_message_validation_result(
                &message_id,
                &propagation_source,
                MessageAcceptance::Ignore,
            );
        }
    }

    fn on_sync(&mut self, event: request_response::Event<SyncRequest, SyncResponse>) {
        use request_response::{Event, Message};
        match event {
            Event::Message {
                peer,
                message:
                    Message::Request {
                        request, channel, ..
                    },
                ..
            } => {
                self.on_sync_request(peer, request, channel);
            }
            Event::Message {
                peer,
                message:
                    Message::Response {
                        request_id,
                        response,
                    },
                ..
            } => {
                self.on_sync_response(peer, request_id, response);
            }
            Event::OutboundFailure {
                peer,
                request_id,
                error,
                ..
            } => {
                tracing::debug!(%peer, "sync request failed: {error}");
                self.request_failed(peer, request_id, is_malformed_outbound(&error));
            }
            Event::InboundFailure { peer, error, .. } => {
                tracing::debug!(%peer, "sync request from peer failed: {error}");
                if let request_response::InboundFailure::Io(e) = &error
                    && e.kind() == std::io::ErrorKind::InvalidData
                {
                    self.penalise(peer, MALFORMED_FRAME_POINTS);
                }
            }
            Event::ResponseSent { .. } => {}
        }
    }

    fn on_sync_request(
        &mut self,
        peer: PeerId,
        request: SyncRequest,
        channel: ResponseChannel<SyncResponse>,
    ) {
        if !self.book.allow_request(peer, Instant::now()) {
            let refused = SyncResponse::Refused("rate limited: slow down".into());
            let _ = self
                .swarm
                .behaviour_mut()
                .sync
                .send_response(channel, refused);
            return;
        }
        match request {
            SyncRequest::Reconcile(message) => {
                let reply = self
                    .index
                    .snapshot()
                    .and_then(|snapshot| answer(&snapshot, &message));
                let response = match reply {
                    Ok(reply) => SyncResponse::Reconcile(reply),
                    Err(e) => {
                        self.penalise(peer, MALFORMED_FRAME_POINTS);
                        SyncResponse::Refused(e.to_string())
                    }
                };
                let _ = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_response(channel, response);
            }
            SyncRequest::Fetch(ids) => {
                let (store, feedback) = (self.store.clone(), self.feedback_tx.clone());
                tokio::spawn(async move {
                    let response = match store.get_bytes(ids).await {
                        Ok(records) => SyncResponse::Records(page(records)),
                        Err(e) => SyncResponse::Refused(format!("store unavailable: {e}")),
                    };
                    let _ = feedback.send(Feedback::Respond { channel, response }).await;
                });
            }
        }
    }

    fn on_sync_response(
        &mut self,
        peer: PeerId,
        request_id: OutboundRequestId,
        response: SyncResponse,
    ) {
        if matches!(response, SyncResponse::Refused(_)) {
            self.stats.sync_refusals += 1;
        }
        match (self.pending.remove(&request_id), response) {
            (Some(Pending::Reconcile), SyncResponse::Reconcile(reply)) => {
                self.continue_sync(peer, &reply);
            }
            (Some(Pending::Fetch), SyncResponse::Records(records)) => {
                self.stats.records_fetched += records.len() as u64;
                let page_bytes = records.iter().map(|r| r.len() as u64 + 4).sum::<u64>();
                self.stats.sync_bytes_received += page_bytes;
                self.stats.fetch_bytes_received += FRAME_HEADER + page_bytes;
                let job = IngestJob {
                    records,
                    from: Source::Sync { peer },
                };
                let ingest = self.ingest.clone();
                // NOTE: awaiting in a task keeps back-pressure on the ingest
                // queue without stalling the loop; FETCHES_IN_FLIGHT bounds
                // how many such tasks exist per peer.
                tokio::spawn(async move { ingest.send(job).await });
                self.fetch_done(peer);
            }
            (Some(Pending::Fetch), _) => self.fetch_done(peer),
            (Some(Pending::Reconcile), other) => {
                tracing::debug!(%peer, ?other, "sync refused");
                self.sessions.remove(&peer);
            }
            (Some(Pending::Raw) | None, _) => {}
        }
    }

    fn request_failed(&mut self, peer: PeerId, request_id: OutboundRequestId, malformed: bool) {
        match self.pending.remove(&request_id) {
            Some(Pending::Reconcile) => {
                self.sessions.remove(&peer);
            }
            Some(Pending::Fetch) => self.fetch_done(peer),
            _ => {}
        }
        if malformed {
            self.penalise(peer, MALFORMED_FRAME_POINTS);
        }
    }

    fn sync_with_everyone(&mut self) {
        let peers: Vec<PeerId> = self.swarm.connected_peers().copied().collect();
        for peer in peers {
            self.start_sync(peer);
        }
    }

    fn start_sync(&mut self, peer: PeerId) {
        if self.sessions.contains_key(&peer) {
            return;
        }
        let started = self
            .index
            .snapshot()
            .and_then(|snapshot| Session::start(&snapshot));
        match started {
            Ok((session, first)) => {
                self.stats.reconcile_bytes_sent += framed(first.len());
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer, SyncRequest::Reconcile(first));
                self.pending.insert(id, Pending::Reconcile);
                self.sessions.insert(peer, session);
            }
            Err(e) => tracing::error!("cannot start sync: {e}"),
        }
    }

    fn continue_sync(&mut self, peer: PeerId, reply: &[u8]) {
        let Some(session) = self.sessions.get_mut(&peer) else {
            return;
        };
        self.stats.sync_bytes_received += reply.len() as u64;
        self.stats.reconcile_rounds += 1;
        self.stats.reconcile_bytes_received += framed(reply.len());
        match session.step(reply) {
            Ok(Some(next)) => {
                self.stats.reconcile_bytes_sent += framed(next.len());
                let id = self
                    .swarm
                    .behaviour_mut()
                    .sync
                    .send_request(&peer, SyncRequest::Reconcile(next));
                self.pending.insert(id, Pending::Reconcile);
            }
            Ok(None) => {
                let need = self
                    .sessions
                    .remove(&peer)
                    .map(|s| s.need().to_vec())
                    .unwrap_or_default();
                self.stats.syncs_completed += 1;
                self.queue_fetches(peer, need);
            }
            Err(e) => {
                tracing::warn!(%peer, "sync failed: {e}");
                self.sessions.remove(&peer);
                self.penalise(peer, MALFORMED_FRAME_POINTS);
            }
        }
    }

    fn queue_fetches(&mut self, peer: PeerId, need: Vec<RecordId>) {
        if need.is_empty() {
            return;
        }
        let queue = self.fetches.entry(peer).or_default();
        queue.chunks.extend(
            need.chunks(FETCH_CHUNK.min(MAX_FETCH_IDS))
                .map(<[RecordId]>::to_vec),
        );
        self.pump_fetches(peer);
    }

    fn fetch_done(&mut self, peer: PeerId) {
        if let Some(queue) = self.fetches.get_mut(&peer) {
            queue.in_flight = queue.in_flight.saturating_sub(1);
        }
        self.pump_fetches(peer);
    }

    fn pump_fetches(&mut self, peer: PeerId) {
        let Some(queue) = self.fetches.get_mut(&peer) else {
            return;
        };
        while queue.in_flight < FETCHES_IN_FLIGHT {
            let Some(chunk) = queue.chunks.pop_front() else {
                break;
            };
            queue.in_flight += 1;
            self.stats.fetch_bytes_sent += framed(32 * chunk.len());
            let id = self
                .swarm
                .behaviour_mut()
                .sync
                .send_request(&peer, SyncRequest::Fetch(chunk));
            self.pending.insert(id, Pending::Fetch);
        }
    }
}

/// Keeps the leading records that fit in one response frame.
fn page(records: Vec<Vec<u8>>) -> Vec<Vec<u8>> {
    let mut total = 1;
    records
        .into_iter()
        .take_while(|r| {
            total += 4 + r.len();
            total <= MAX_RESPONSE_LEN
        })
        .collect()
}

fn is_malformed_outbound(error: &request_response::OutboundFailure) -> bool {
    matches!(error, request_response::OutboundFailure::Io(e) if e.kind() == std::io::ErrorKind::InvalidData)
}
