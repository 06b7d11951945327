//! What the swarm reports, handed to the loop's handlers: each behaviour's
//! events, connections opened and closed, listen addresses, failed dials;
//! and the answers of the Kademlia lookups that find a member's node.

use libp2p::swarm::SwarmEvent;
use libp2p::{identify, kad, mdns};

use super::{EventLoop, nat};
use crate::net::behaviour::BehaviourEvent;

impl EventLoop {
    pub(super) fn on_swarm_event(&mut self, event: SwarmEvent<BehaviourEvent>) {
        {
            use libp2p::metrics::Recorder;
            self.monitor.libp2p.record(&event);
            if let SwarmEvent::Behaviour(BehaviourEvent::Gossip(e)) = &event {
                self.monitor.libp2p.record(e);
            }
        }
        self.track_connections(&event);
        match event {
            SwarmEvent::Behaviour(BehaviourEvent::Gossip(event)) => self.on_gossip(event),
            SwarmEvent::Behaviour(BehaviourEvent::Sync(event)) => self.on_sync(event),
            SwarmEvent::Behaviour(BehaviourEvent::Bid(event)) => self.on_bid(event),
            SwarmEvent::Behaviour(BehaviourEvent::Identify(identify::Event::Received {
                peer_id,
                info,
                ..
            })) => {
                self.nat_identified(peer_id, &info.protocols);
                self.identified(peer_id, info.listen_addrs, &info.protocols);
            }
            SwarmEvent::Behaviour(BehaviourEvent::Autonat(e)) => {
                self.on_nat(nat::NatEvent::AutoNat(e))
            }
            SwarmEvent::Behaviour(BehaviourEvent::RelayClient(e)) => {
                self.on_nat(nat::NatEvent::Client(e))
            }
            SwarmEvent::Behaviour(BehaviourEvent::Relay(e)) => self.on_nat(nat::NatEvent::Relay(e)),
            SwarmEvent::Behaviour(BehaviourEvent::Dcutr(e)) => self.on_nat(nat::NatEvent::Dcutr(e)),
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
            } => {
                self.connected(peer_id, num_established.get() == 1);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                num_established: 0,
                ..
            } => {
                self.nat_disconnected(&peer_id);
                self.disconnected(peer_id);
            }
            SwarmEvent::ExternalAddrConfirmed { .. } | SwarmEvent::ExternalAddrExpired { .. } => {
                self.update_dht_mode()
            }
            SwarmEvent::NewListenAddr { address, .. } => {
                tracing::info!(%address, "listening");
                self.nat_listening(&address);
            }
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
        let Some((target, _)) = self.members.finds.get(&id) else {
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
            // Not in any routing table: a member behind NAT (Kademlia
            // client mode) is reached through the relays it reserves on.
            _ => match self.through_relays(target) {
                circuits if circuits.is_empty() => Err(crate::net::FindError::NotFound),
                circuits => {
                    self.stats.dialled_through_relays += 1;
                    Ok(circuits)
                }
            },
        };
        if let Some((_, reply)) = self.members.finds.remove(&id) {
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
