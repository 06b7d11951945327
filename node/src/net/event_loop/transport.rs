//! Building the swarm: TCP + Noise + Yamux, or the same behind a libp2p
//! private-network handshake when the federation has a network key.

use libp2p::Transport;
use libp2p::core::muxing::StreamMuxerBox;
use libp2p::pnet::{PnetConfig, PreSharedKey};

use super::*;

pub(super) fn build_swarm(
    params: &NetParams,
    topic: &IdentTopic,
) -> Result<Swarm<Behaviour>, NetError> {
    let behaviour_params = BehaviourParams {
        heartbeat: params.heartbeat,
        mdns: params.mdns,
        topic: topic.clone(),
    };
    let behaviour = Behaviour::new(&params.keypair, &behaviour_params)?;
    let failed = |e: &dyn std::fmt::Display| NetError::Transport(e.to_string());
    let idle = |c: libp2p::swarm::Config| c.with_idle_connection_timeout(Duration::from_secs(600));
    let builder = libp2p::SwarmBuilder::with_existing_identity(params.keypair.clone()).with_tokio();
    let swarm = match params.network_key {
        None => builder
            .with_tcp(
                tcp::Config::default().nodelay(true),
                noise::Config::new,
                yamux::Config::default,
            )
            .map_err(|e| failed(&e))?
            .with_behaviour(|_| behaviour)
            .map_err(|e| failed(&e))?
            .with_swarm_config(idle)
            .build(),
        Some(key) => builder
            .with_other_transport(|keypair| private_tcp(keypair, key).map_err(Box::from))
            .map_err(|e| failed(&e))?
            .with_behaviour(|_| behaviour)
            .map_err(|e| failed(&e))?
            .with_swarm_config(idle)
            .build(),
    };
    Ok(swarm)
}

/// The boxed transport type the swarm builder takes.
type Boxed = libp2p::core::transport::Boxed<(PeerId, StreamMuxerBox)>;

/// TCP behind a private-network handshake (a pre-shared key), then Noise
/// and Yamux: a peer without the key cannot complete a connection.
fn private_tcp(keypair: &Keypair, key: [u8; 32]) -> Result<Boxed, noise::Error> {
    let noise = noise::Config::new(keypair)?;
    let psk = PreSharedKey::new(key);
    Ok(
        tcp::tokio::Transport::new(tcp::Config::default().nodelay(true))
            .and_then(move |socket, _| PnetConfig::new(psk).handshake(socket))
            .upgrade(libp2p::core::upgrade::Version::V1Lazy)
            .authenticate(noise)
            .multiplex(yamux::Config::default())
            .map(|(peer, muxer), _| (peer, StreamMuxerBox::new(muxer)))
            .boxed(),
    )
}
