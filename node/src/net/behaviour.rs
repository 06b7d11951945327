//! The node's one composed libp2p behaviour: every sub-behaviour, each
//! field documented, built from the node's parameters.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    autonat, connection_limits, dcutr, gossipsub, identify, identity::Keypair, kad, mdns, ping,
    relay, request_response,
};

use super::bid_codec::{BID_STREAM, BidCodec};
use super::codec::{SYNC_PROTOCOL, SyncCodec};
use super::guard::Guard;
use super::score;

/// Protocol name for our Kademlia DHT (a private DHT, not the public one).
pub const KAD_PROTOCOL: libp2p::StreamProtocol = libp2p::StreamProtocol::new("/coopnet/kad/1");
/// Protocol version string sent by identify.
pub const IDENTIFY_PROTOCOL: &str = "/coopnet/id/1";
/// How often each connection is pinged: it puts data in flight, so the
/// TCP user timeout notices a dead path within this plus 8 s (SPEC §8.4).
/// Every second cost an idle federation of 50 nodes half a core in
/// timers and wake-ups; every 5 s still notices a cut within 13 s.
pub const PING_INTERVAL: Duration = Duration::from_secs(5);
/// How long a ping may take. Two pings in a row that fail close the
/// connection: a backstop for paths the TCP user timeout does not see,
/// lenient enough that a node stalled by load is not taken for dead.
pub const PING_TIMEOUT: Duration = Duration::from_secs(10);
/// How long gossipsub remembers a message id it has seen.
pub const SEEN_TTL: Duration = Duration::from_secs(60);
/// Sync requests one connection may have open at once, each way.
pub const SYNC_STREAMS: usize = 16;
/// How long a sync request may take, read, answered and written.
pub const SYNC_REQUEST_TIMEOUT: Duration = Duration::from_secs(30);

/// Bid messages one connection may have in flight at once, each way.
pub const BID_STREAMS: usize = 8;
/// How long a bid message may take, read, answered and written.
pub const BID_REQUEST_TIMEOUT: Duration = Duration::from_secs(10);

/// Parameters of the behaviour.
#[derive(Debug, Clone)]
pub struct BehaviourParams {
    /// Gossipsub heartbeat.
    pub heartbeat: Duration,
    /// Whether to discover peers on the LAN.
    pub mdns: bool,
    /// The gossip topic this federation publishes on.
    pub topic: gossipsub::IdentTopic,
    /// The federation gate, for the connection guard.
    pub gate: crate::gate::Gate,
    /// Whether to relay for members behind NAT.
    pub relay: bool,
    /// Whether a direct address of ours is confirmed (the event loop keeps
    /// it; the relay takes reservations only while it is).
    pub reachable: Arc<AtomicBool>,
}

/// Everything the node speaks.
// NOTE: several sub-behaviours do not implement `Debug`.
#[allow(missing_debug_implementations)]
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Bounds handshakes per address, keeps room for members, refuses
    /// blocked and revoked peers (checked first).
    pub guard: Guard,
    /// Caps outgoing handshakes and established connections.
    pub limits: connection_limits::Behaviour,
    /// Spreads new records to every member, validated before relaying.
    pub gossip: gossipsub::Behaviour,
    /// Anti-entropy: reconciliation and record fetches.
    pub sync: request_response::Behaviour<SyncCodec>,
    /// Private bid messages, node to node (SPEC §11).
    pub bid: request_response::Behaviour<BidCodec>,
    /// Finds members by key and spreads addresses.
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    /// Exchanges listen addresses and protocols with peers.
    pub identify: identify::Behaviour,
    /// Measures round-trip times; its failures close dead connections.
    pub ping: ping::Behaviour,
    /// LAN discovery, only when configured.
    pub mdns: Toggle<mdns::tokio::Behaviour>,
    /// Reservations and circuits on relays, for a node behind NAT.
    pub relay_client: relay::client::Behaviour,
    /// Relays for members behind NAT (circuit relay v2, limited).
    pub relay: Toggle<relay::Behaviour>,
    /// Upgrades a relayed connection to a direct one by hole punching.
    pub dcutr: dcutr::Behaviour,
    /// Asks peers to dial our address candidates back (AutoNAT v2).
    pub autonat: autonat::v2::client::Behaviour,
    /// Dials other peers' candidates back for them.
    pub autonat_server: autonat::v2::server::Behaviour,
}

/// How long a node behind NAT may keep a relay reservation.
pub const RESERVATION: Duration = Duration::from_secs(3_600);
/// How long one relayed connection may last before it must be made again
/// (or upgraded to a direct one).
pub const CIRCUIT_DURATION: Duration = Duration::from_secs(30 * 60);
/// Bytes one relayed connection may carry each way: a sync of a large
/// backlog fits (SPEC §8.7).
pub const CIRCUIT_BYTES: u64 = 512 * 1024 * 1024;

/// The relay's limits: members behind NAT get a reservation each, a few
/// circuits at a time, each bounded in time and bytes. Only members may
/// reserve or open a circuit: anyone else is refused at once (the relay
/// answers `RESOURCE_LIMIT_EXCEEDED`, its one refusal for a peer), even in
/// the grace period a non-member has to fetch the roster. Reservations
/// are taken only while `reachable` (a direct address of ours is
/// confirmed): a relay behind NAT would hand out addresses nobody can use.
pub fn relay_config(gate: &crate::gate::Gate, reachable: Arc<AtomicBool>) -> relay::Config {
    let mut config = relay::Config {
        max_reservations: 128,
        max_reservations_per_peer: 2,
        reservation_duration: RESERVATION,
        max_circuits: 64,
        max_circuits_per_peer: 8,
        max_circuit_duration: CIRCUIT_DURATION,
        max_circuit_bytes: CIRCUIT_BYTES,
        ..relay::Config::default()
    };
    // First, so a non-member uses none of the rate limits' budget.
    config
        .reservation_rate_limiters
        .insert(0, members_only(gate.clone()));
    config.reservation_rate_limiters.insert(
        0,
        Box::new(move |_: libp2p::PeerId, _: &libp2p::Multiaddr, _| {
            reachable.load(Ordering::Relaxed)
        }),
    );
    config
        .circuit_src_rate_limiters
        .insert(0, members_only(gate.clone()));
    config
}

/// A relay "rate limiter" that lets members through and nobody else.
fn members_only(gate: crate::gate::Gate) -> Box<dyn relay::RateLimiter> {
    Box::new(move |peer: libp2p::PeerId, _: &libp2p::Multiaddr, _| {
        gate.allows_peer(crate::identity::coop_key_of(&peer).as_ref())
    })
}

/// Why the behaviour could not be built.
#[derive(Debug, thiserror::Error)]
pub enum BuildError {
    /// The gossipsub configuration was refused.
    #[error("gossipsub: {0}")]
    Gossip(String),
    /// mDNS could not start.
    #[error("mDNS: {0}")]
    Mdns(std::io::Error),
}

impl Behaviour {
    /// Builds the behaviour for the node with `key`.
    pub fn new(
        key: &Keypair,
        params: &BehaviourParams,
        relay_client: relay::client::Behaviour,
    ) -> Result<Self, BuildError> {
        let peer_id = key.public().to_peer_id();
        let mut kad_config = kad::Config::new(KAD_PROTOCOL);
        // Only members enter the routing table (the event loop adds them
        // as identify reports their addresses), so nobody is led to dial
        // peers that are not members.
        kad_config.set_kbucket_inserts(kad::BucketInserts::Manual);
        let mut kad =
            kad::Behaviour::with_config(peer_id, kad::store::MemoryStore::new(peer_id), kad_config);
        // Client mode until a direct external address is confirmed, then
        // server mode (`event_loop/nat.rs` switches it).
        kad.set_mode(Some(kad::Mode::Client));
        let mdns = match params.mdns {
            true => Some(
                mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id)
                    .map_err(BuildError::Mdns)?,
            ),
            false => None,
        };
        Ok(Self {
            guard: Guard::new(params.gate.clone()),
            limits: connection_limits::Behaviour::new(limits()),
            gossip: gossip(params)?,
            sync: request_response::Behaviour::with_codec(
                SyncCodec,
                [(SYNC_PROTOCOL, request_response::ProtocolSupport::Full)],
                request_response::Config::default()
                    .with_request_timeout(SYNC_REQUEST_TIMEOUT)
                    .with_max_concurrent_streams(SYNC_STREAMS),
            ),
            bid: request_response::Behaviour::with_codec(
                BidCodec,
                [(BID_STREAM, request_response::ProtocolSupport::Full)],
                request_response::Config::default()
                    .with_request_timeout(BID_REQUEST_TIMEOUT)
                    .with_max_concurrent_streams(BID_STREAMS),
            ),
            kad,
            identify: identify::Behaviour::new(
                identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), key.public())
                    .with_agent_version(format!("coopnet/{}", env!("CARGO_PKG_VERSION"))),
            ),
            ping: ping::Behaviour::new(
                ping::Config::new()
                    .with_interval(PING_INTERVAL)
                    .with_timeout(PING_TIMEOUT),
            ),
            mdns: mdns.into(),
            relay_client,
            relay: params
                .relay
                .then(|| {
                    let config = relay_config(&params.gate, Arc::clone(&params.reachable));
                    relay::Behaviour::new(peer_id, config)
                })
                .into(),
            dcutr: dcutr::Behaviour::new(peer_id),
            autonat: autonat::v2::client::Behaviour::new(
                rand_core::OsRng,
                autonat::v2::client::Config::default(),
            ),
            autonat_server: autonat::v2::server::Behaviour::new(rand_core::OsRng),
        })
    }
}

fn limits() -> connection_limits::ConnectionLimits {
    // NOTE: pending incoming connections are bounded by the guard, per
    // address as well as in total.
    connection_limits::ConnectionLimits::default()
        .with_max_pending_outgoing(Some(64))
        .with_max_established_incoming(Some(256))
        .with_max_established_outgoing(Some(256))
        // Relayed connections (through a relay's TCP and QUIC addresses),
        // the direct one hole punching makes beside them, and one spare: at
        // 2, a hole punch's dial was refused while two relayed connections
        // were open.
        .with_max_established_per_peer(Some(4))
}

fn gossip(params: &BehaviourParams) -> Result<gossipsub::Behaviour, BuildError> {
    let config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(params.heartbeat)
        // Records carry their own signatures: libp2p message signing is off,
        // and a message's id is the hash of its whole bytes (SPEC §8.1).
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|message| gossipsub::MessageId::new(&super::message_id(&message.data)))
        .max_transmit_size(coopnet_protocol::MAX_RECORD_LEN + 1024)
        .duplicate_cache_time(SEEN_TTL)
        // NOTE: anonymous messages carry no source, so without this a copy
        // of a record we published (or re-gossiped) that an honest peer
        // relays back to us would count as an invalid message against it.
        // With it, such a copy is a plain duplicate.
        .allow_self_origin(true)
        .build()
        .map_err(|e| BuildError::Gossip(e.to_string()))?;
    let mut behaviour =
        gossipsub::Behaviour::new(gossipsub::MessageAuthenticity::Anonymous, config)
            .map_err(|e| BuildError::Gossip(e.to_owned()))?;
    let (score_params, thresholds) = score::params(&params.topic);
    behaviour
        .with_peer_score(score_params, thresholds)
        .map_err(BuildError::Gossip)?;
    behaviour
        .subscribe(&params.topic)
        .map_err(|e| BuildError::Gossip(e.to_string()))?;
    Ok(behaviour)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Whether every reservation check of `config` lets `peer` through.
    fn reserves(config: &mut relay::Config, peer: libp2p::PeerId) -> bool {
        let addr: libp2p::Multiaddr = "/ip4/10.0.0.1/tcp/4001".parse().expect("address");
        let now = std::time::Instant::now();
        config
            .reservation_rate_limiters
            .iter_mut()
            .all(|limiter| limiter.try_next(peer, &addr, now))
    }

    #[test]
    fn the_relay_takes_reservations_only_while_reachable() {
        let reachable = Arc::new(AtomicBool::new(false));
        let mut config = relay_config(&crate::gate::Gate::open(), Arc::clone(&reachable));
        let peer = libp2p::identity::Keypair::generate_ed25519()
            .public()
            .to_peer_id();
        assert!(!reserves(&mut config, peer), "behind NAT: no reservations");
        reachable.store(true, Ordering::Relaxed);
        assert!(reserves(&mut config, peer), "reachable: a member reserves");
    }
}
