//! A relay that is nothing but a relay: circuit relay v2 with coopnet's
//! limits, identify, a Kademlia server on coopnet's DHT protocol and an
//! AutoNAT v2 server — what a coopnet node looks for in a relay — but no
//! store, gossip or sync. The NAT benchmarks use it so that the only way
//! records can travel between two nodes behind NAT is a relayed connection
//! (a coopnet node relaying would sync the records itself).

use std::time::Duration;

use futures::StreamExt;
use libp2p::swarm::NetworkBehaviour;
use libp2p::{
    Multiaddr, PeerId, StreamProtocol, autonat, identify, identity, kad, noise, ping, relay, tcp,
    yamux,
};
use tokio::sync::oneshot;

#[derive(NetworkBehaviour)]
struct Behaviour {
    relay: relay::Behaviour,
    identify: identify::Behaviour,
    kad: kad::Behaviour<kad::store::MemoryStore>,
    autonat: autonat::v2::server::Behaviour,
    ping: ping::Behaviour,
}

/// A running relay; stopped on drop.
#[derive(Debug)]
pub struct PlainRelay {
    /// Its peer id.
    pub peer_id: PeerId,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PlainRelay {
    /// Starts a relay in network namespace `ns` (see
    /// `natlab::NatLab::ns`) listening on TCP `port` of every address,
    /// announcing `external` (`/ip4/…/tcp/…`) in its reservations.
    pub fn start(ns: &str, port: u16, external: Multiaddr) -> PlainRelay {
        let key = identity::Keypair::generate_ed25519();
        let peer_id = key.public().to_peer_id();
        let (stop, stopped) = oneshot::channel();
        let ns = ns.to_owned();
        let thread = std::thread::spawn(move || {
            crate::natlab::enter_namespace(&ns);
            let rt = tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
                .expect("a runtime");
            rt.block_on(serve(key, port, external, stopped));
        });
        PlainRelay {
            peer_id,
            stop: Some(stop),
            thread: Some(thread),
        }
    }
}

async fn serve(
    key: identity::Keypair,
    port: u16,
    external: Multiaddr,
    stopped: oneshot::Receiver<()>,
) {
    let relay_config = coopnet_node::net::behaviour::relay_config(
        &coopnet_node::gate::Gate::open(),
        std::sync::Arc::new(true.into()),
    );
    let mut swarm = libp2p::SwarmBuilder::with_existing_identity(key)
        .with_tokio()
        .with_tcp(
            tcp::Config::default().nodelay(true),
            noise::Config::new,
            yamux::Config::default,
        )
        .expect("tcp")
        .with_behaviour(|key| {
            let peer_id = key.public().to_peer_id();
            let protocol = coopnet_node::net::behaviour::KAD_PROTOCOL;
            let mut kad = kad::Behaviour::with_config(
                peer_id,
                kad::store::MemoryStore::new(peer_id),
                kad::Config::new(StreamProtocol::clone(&protocol)),
            );
            kad.set_mode(Some(kad::Mode::Server));
            Behaviour {
                relay: relay::Behaviour::new(peer_id, relay_config),
                identify: identify::Behaviour::new(identify::Config::new(
                    coopnet_node::net::behaviour::IDENTIFY_PROTOCOL.to_owned(),
                    key.public(),
                )),
                kad,
                autonat: autonat::v2::server::Behaviour::default(),
                ping: ping::Behaviour::default(),
            }
        })
        .expect("behaviour")
        .with_swarm_config(|c| c.with_idle_connection_timeout(Duration::from_secs(600)))
        // As a coopnet node: a dial-back to an address behind NAT fails in
        // seconds (AutoNAT), not after TCP's minutes of retries.
        .with_connection_timeout(Duration::from_secs(5))
        .build();
    swarm
        .listen_on(format!("/ip4/0.0.0.0/tcp/{port}").parse().expect("address"))
        .expect("listen");
    swarm.add_external_address(external);
    let run = async {
        loop {
            swarm.select_next_some().await;
        }
    };
    tokio::select! {
        () = run => {}
        _ = stopped => {}
    }
}

impl Drop for PlainRelay {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}
