//! The node's one composed libp2p behaviour: every sub-behaviour, each
//! field documented, built from the node's parameters.

use std::time::Duration;

use libp2p::swarm::NetworkBehaviour;
use libp2p::swarm::behaviour::toggle::Toggle;
use libp2p::{
    allow_block_list, connection_limits, gossipsub, identify, identity::Keypair, kad, mdns, ping,
    request_response,
};

use super::codec::{SYNC_PROTOCOL, SyncCodec};
use super::score;

/// Protocol name for our Kademlia DHT (a private DHT, not the public one).
pub const KAD_PROTOCOL: libp2p::StreamProtocol = libp2p::StreamProtocol::new("/coopnet/kad/1");
/// Protocol version string sent by identify.
pub const IDENTIFY_PROTOCOL: &str = "/coopnet/id/1";

/// Parameters of the behaviour.
#[derive(Debug, Clone)]
pub struct BehaviourParams {
    /// Gossipsub heartbeat.
    pub heartbeat: Duration,
    /// Whether to discover peers on the LAN.
    pub mdns: bool,
    /// The gossip topic this federation publishes on.
    pub topic: gossipsub::IdentTopic,
}

/// Everything the node speaks.
// NOTE: several sub-behaviours do not implement `Debug`.
#[allow(missing_debug_implementations)]
#[derive(NetworkBehaviour)]
pub struct Behaviour {
    /// Refuses peers blocked for misbehaving (checked first).
    pub blocked: allow_block_list::Behaviour<allow_block_list::BlockedPeers>,
    /// Caps pending and established connections.
    pub limits: connection_limits::Behaviour,
    /// Spreads new records to every member, validated before relaying.
    pub gossip: gossipsub::Behaviour,
    /// Anti-entropy: reconciliation and record fetches.
    pub sync: request_response::Behaviour<SyncCodec>,
    /// Finds members by key and spreads addresses.
    pub kad: kad::Behaviour<kad::store::MemoryStore>,
    /// Exchanges listen addresses and protocols with peers.
    pub identify: identify::Behaviour,
    /// Measures round-trip times and detects dead connections.
    pub ping: ping::Behaviour,
    /// LAN discovery, only when configured.
    pub mdns: Toggle<mdns::tokio::Behaviour>,
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
    pub fn new(key: &Keypair, params: &BehaviourParams) -> Result<Self, BuildError> {
        let peer_id = key.public().to_peer_id();
        let mut kad = kad::Behaviour::with_config(
            peer_id,
            kad::store::MemoryStore::new(peer_id),
            kad::Config::new(KAD_PROTOCOL),
        );
        kad.set_mode(Some(kad::Mode::Server));
        let mdns = match params.mdns {
            true => Some(
                mdns::tokio::Behaviour::new(mdns::Config::default(), peer_id)
                    .map_err(BuildError::Mdns)?,
            ),
            false => None,
        };
        Ok(Self {
            blocked: allow_block_list::Behaviour::default(),
            limits: connection_limits::Behaviour::new(limits()),
            gossip: gossip(params)?,
            sync: request_response::Behaviour::with_codec(
                SyncCodec,
                [(SYNC_PROTOCOL, request_response::ProtocolSupport::Full)],
                request_response::Config::default()
                    .with_request_timeout(Duration::from_secs(30))
                    .with_max_concurrent_streams(64),
            ),
            kad,
            identify: identify::Behaviour::new(
                identify::Config::new(IDENTIFY_PROTOCOL.to_owned(), key.public())
                    .with_agent_version(format!("coopnet/{}", env!("CARGO_PKG_VERSION"))),
            ),
            ping: ping::Behaviour::new(ping::Config::new()),
            mdns: mdns.into(),
        })
    }
}

fn limits() -> connection_limits::ConnectionLimits {
    connection_limits::ConnectionLimits::default()
        .with_max_pending_incoming(Some(64))
        .with_max_pending_outgoing(Some(64))
        .with_max_established_incoming(Some(256))
        .with_max_established_outgoing(Some(256))
        .with_max_established_per_peer(Some(2))
}

fn gossip(params: &BehaviourParams) -> Result<gossipsub::Behaviour, BuildError> {
    let config = gossipsub::ConfigBuilder::default()
        .heartbeat_interval(params.heartbeat)
        // Records carry their own signatures: libp2p message signing is off,
        // and a message's id is its record's id.
        .validation_mode(gossipsub::ValidationMode::Anonymous)
        .validate_messages()
        .message_id_fn(|message| gossipsub::MessageId::new(&super::message_id(&message.data)))
        .max_transmit_size(coopnet_protocol::MAX_RECORD_LEN + 1024)
        .duplicate_cache_time(Duration::from_secs(120))
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
