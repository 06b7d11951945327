//! A peer that asks a node's relay for a reservation (circuit relay v2,
//! SPEC §8.7) and reports the answer: a real libp2p client over TCP with
//! nothing else, so a test can see who the relay serves.

use std::time::Duration;

use coopnet_protocol::SecretKey;
use futures::StreamExt;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::SwarmEvent;
use libp2p::{Multiaddr, noise, relay, tcp, yamux};

/// How long the relay has to answer.
const ANSWER_WITHIN: Duration = Duration::from_secs(20);

/// Asks the relay at `relay` (`/ip4/…/tcp/…/p2p/…`) for a reservation as
/// the co-op with `secret`: `Ok` once accepted, else why it was not.
pub async fn reserve(secret: &SecretKey, relay: &str) -> Result<(), String> {
    let keypair = coopnet_node::identity::libp2p_keypair(secret);
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(keypair)
        .with_tokio()
        .with_tcp(
            tcp::Config::default(),
            noise::Config::new,
            yamux::Config::default,
        )
        .map_err(|e| e.to_string())?
        .with_relay_client(noise::Config::new, yamux::Config::default)
        .map_err(|e| e.to_string())?
        .with_behaviour(|_, client| client)
        .map_err(|e| e.to_string())?
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(60)))
        .build();
    let relay: Multiaddr = relay.parse().map_err(|e| format!("{relay}: {e}"))?;
    swarm
        .listen_on(relay.with(Protocol::P2pCircuit))
        .map_err(|e| e.to_string())?;
    let answer = async {
        loop {
            match swarm.select_next_some().await {
                SwarmEvent::Behaviour(relay::client::Event::ReservationReqAccepted { .. }) => {
                    return Ok(());
                }
                SwarmEvent::ListenerClosed { reason, .. } => {
                    return Err(match reason {
                        Err(e) => format!("refused: {e}"),
                        Ok(()) => "the listener closed".to_owned(),
                    });
                }
                SwarmEvent::ListenerError { error, .. } => return Err(format!("refused: {error}")),
                _ => {}
            }
        }
    };
    tokio::time::timeout(ANSWER_WITHIN, answer)
        .await
        .unwrap_or_else(|_| Err("no answer in time".to_owned()))
}
