//! Building the swarm: TCP (with a user timeout, so a dead path closes the
//! connection within seconds whatever the load), optionally behind a
//! libp2p private-network handshake, then Noise and Yamux, with a bound on
//! how long a connection may take to finish its handshake.

use std::time::Duration;

use libp2p::Transport;
use libp2p::core::ConnectedPoint;
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::core::upgrade::Version;
use libp2p::gossipsub::IdentTopic;
use libp2p::identity::Keypair;
use libp2p::pnet::{PnetConfig, PreSharedKey};
use libp2p::{PeerId, Swarm, noise, tcp, yamux};

use super::{NetError, NetParams};
use crate::net::behaviour::{Behaviour, BehaviourParams};

/// How long a connection may take from its first byte to a finished
/// handshake (TCP, private network, Noise, Yamux), each way (SPEC §8.4).
pub const HANDSHAKE_TIMEOUT: Duration = Duration::from_secs(5);
/// How long sent data may stay unacknowledged before the kernel closes the
/// connection (`TCP_USER_TIMEOUT`). Pings keep data in flight every
/// second, so a path that drops packets is noticed within about this long;
/// acknowledgements come from the kernel, so a busy node is not mistaken
/// for a dead one.
pub const TCP_USER_TIMEOUT: Duration = Duration::from_secs(8);
/// How long an established connection with nothing to do stays open.
const IDLE_TIMEOUT: Duration = Duration::from_secs(600);

pub(super) fn build_swarm(
    params: &NetParams,
    topic: &IdentTopic,
    reachable: std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Result<Swarm<Behaviour>, NetError> {
    let behaviour_params = BehaviourParams {
        heartbeat: params.heartbeat,
        mdns: params.mdns,
        topic: topic.clone(),
        gate: params.gate.clone(),
        relay: params.relay,
        reachable,
    };
    let failed = |e: &dyn std::fmt::Display| NetError::Transport(e.to_string());
    let psk = params.network_key.map(PreSharedKey::new);
    let swarm = libp2p::SwarmBuilder::with_existing_identity(params.keypair.clone())
        .with_tokio()
        .with_other_transport(|keypair| transport(keypair, psk).map_err(Box::from))
        .map_err(|e| failed(&e))?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| failed(&e))?
        .with_behaviour(|key, relay_client| {
            Behaviour::new(key, &behaviour_params, relay_client)
                .map_err(|e| Box::new(e) as Box<dyn std::error::Error + Send + Sync>)
        })
        .map_err(|e| failed(&e))?
        .with_swarm_config(|c| c.with_idle_connection_timeout(IDLE_TIMEOUT))
        .with_connection_timeout(HANDSHAKE_TIMEOUT)
        .build();
    Ok(swarm)
}

/// The boxed transport type the swarm builder takes.
type Boxed = libp2p::core::transport::Boxed<(PeerId, StreamMuxerBox)>;

/// TCP sockets with [`TCP_USER_TIMEOUT`] set.
type Tcp = libp2p::core::transport::map::Map<
    tcp::tokio::Transport,
    fn(tcp::tokio::TcpStream, ConnectedPoint) -> tcp::tokio::TcpStream,
>;

/// QUIC with the handshake bound of TCP connections and keep-alives that
/// notice a dead path as fast as the TCP user timeout does.
fn quic_config(keypair: &Keypair) -> libp2p::quic::Config {
    let mut config = libp2p::quic::Config::new(keypair);
    config.handshake_timeout = HANDSHAKE_TIMEOUT;
    config.max_idle_timeout = TCP_USER_TIMEOUT.as_millis() as u32;
    config.keep_alive_interval = Duration::from_secs(2);
    config
}

fn tcp() -> Tcp {
    tcp::tokio::Transport::new(tcp::Config::default().nodelay(true)).map(with_user_timeout)
}

fn with_user_timeout(stream: tcp::tokio::TcpStream, _: ConnectedPoint) -> tcp::tokio::TcpStream {
    let socket = socket2::SockRef::from(&stream.0);
    if let Err(e) = socket.set_tcp_user_timeout(Some(TCP_USER_TIMEOUT)) {
        tracing::debug!("cannot set the TCP user timeout: {e}");
    }
    stream
}

/// TCP, behind a private-network handshake when the federation has a
/// network key (a peer without the key cannot complete a connection), then
/// Noise and Yamux; and QUIC beside it, except under a network key (QUIC
/// has its own handshake, which a pre-shared key cannot wrap: SPEC §9).
fn transport(keypair: &Keypair, psk: Option<PreSharedKey>) -> Result<Boxed, noise::Error> {
    let noise = noise::Config::new(keypair)?;
    Ok(match psk {
        None => {
            let quic = libp2p::quic::tokio::Transport::new(quic_config(keypair))
                .map(|(peer, connection), _| (peer, StreamMuxerBox::new(connection)));
            tcp()
                .upgrade(Version::V1Lazy)
                .authenticate(noise)
                .multiplex(yamux::Config::default())
                .map(|(peer, muxer), _| (peer, StreamMuxerBox::new(muxer)))
                .or_transport(quic)
                .map(|either, _| either.into_inner())
                .boxed()
        }
        Some(psk) => tcp()
            .and_then(move |socket, _| PnetConfig::new(psk).handshake(socket))
            .upgrade(Version::V1Lazy)
            .authenticate(noise)
            .multiplex(yamux::Config::default())
            .map(|(peer, muxer), _| (peer, StreamMuxerBox::new(muxer)))
            .boxed(),
    })
}
