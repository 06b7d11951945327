//! Behind NAT (issue 20): AutoNAT v2 tells the node whether its address
//! candidates can be dialled from outside; while none is confirmed and a
//! test has failed, the node reserves a slot on up to [`RELAYS`] reachable
//! member nodes that offer circuit relay v2, and listens through them (its relayed
//! address spreads by identify). DCUtR then upgrades relayed connections
//! to direct ones by hole punching where the NATs allow; once a peer has a
//! direct connection its relayed ones are closed, and a sync with a peer
//! reached through a relay waits a few seconds for the hole punch, so a
//! large sync goes direct when it can.
//!
//! Kademlia is in client mode until a direct external address is
//! confirmed (and our relay takes no reservations), so a node behind NAT
//! is in nobody's routing table: a member that cannot be
//! found there is dialled through the relays we know (it holds its
//! reservations on public members, as we do).

use std::collections::{HashMap, HashSet};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

use libp2p::core::ConnectedPoint;
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{ConnectionId, SwarmEvent};
use libp2p::{Multiaddr, PeerId, StreamProtocol, autonat, dcutr, kad, relay};

use super::EventLoop;
use crate::net::behaviour::KAD_PROTOCOL;

/// Relays a node behind NAT reserves a slot on at most.
pub const RELAYS: usize = 2;
/// The circuit relay v2 hop protocol a relay offers.
const HOP: StreamProtocol = StreamProtocol::new("/libp2p/circuit/relay/0.2.0/hop");
/// How long a sync with a peer reached only through a relay waits for a
/// hole punch to give a direct connection (DCUtR makes up to three
/// attempts, each about a round trip through the relay).
pub const PUNCH_WAIT: Duration = Duration::from_secs(5);
/// Relays one attempt to reach a member through relays dials at most.
pub const RELAY_FANOUT: usize = 8;
/// How often a member Kademlia cannot find is tried through relays (an
/// offline partner's messages are retried every second; each try through
/// relays opens a circuit request on each).
pub const RELAY_RETRY: Duration = Duration::from_secs(10);

/// What the loop knows about reachability.
#[derive(Debug, Default)]
pub(super) struct NatState {
    /// Connected members that relay and are reachable, which we dialled
    /// (at the address of a direct connection we dialled: see
    /// [`EventLoop::circuit_via`]).
    relays: HashSet<PeerId>,
    /// Where we have asked for a reservation.
    reserved: HashSet<PeerId>,
    /// AutoNAT tests that failed (none of our candidates was dialled back).
    failed_tests: u64,
    /// Every open connection, by peer.
    open: HashMap<PeerId, HashMap<ConnectionId, Link>>,
    /// Peers reached only through a relay whose sync waits for a hole
    /// punch, until when.
    awaiting_punch: HashMap<PeerId, Instant>,
    /// When members were last tried through relays.
    relay_tries: RelayTries,
    /// Whether a direct address of ours is confirmed, shared with our
    /// relay (it takes reservations only then).
    reachable: Arc<AtomicBool>,
    /// Whether every address we listen on is a loopback one (a federation
    /// on one machine: the demo, tests), which is then as confirmed as it
    /// will ever be.
    loopback_only: bool,
}

impl NatState {
    /// The state of a node listening on `listen`.
    pub(super) fn new(listen: &[Multiaddr], reachable: Arc<AtomicBool>) -> Self {
        NatState {
            loopback_only: !listen.is_empty() && listen.iter().all(is_loopback),
            reachable,
            ..NatState::default()
        }
    }
}

fn is_loopback(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| match p {
        Protocol::Ip4(ip) => ip.is_loopback(),
        Protocol::Ip6(ip) => ip.is_loopback(),
        _ => false,
    })
}

/// When members Kademlia could not find were last tried through relays.
#[derive(Debug, Default)]
struct RelayTries(HashMap<PeerId, Instant>);

impl RelayTries {
    /// Whether `target` may be tried through relays at `now` (not within
    /// [`RELAY_RETRY`] of its last try); if so the try is noted. Tries
    /// older than that are forgotten, so the map holds only recent ones.
    fn take(&mut self, target: PeerId, now: Instant) -> bool {
        self.0
            .retain(|_, at| now.saturating_duration_since(*at) < RELAY_RETRY);
        if self.0.contains_key(&target) {
            return false;
        }
        self.0.insert(target, now);
        true
    }
}

/// An open connection.
#[derive(Debug)]
struct Link {
    /// Where it goes: the peer's address, or for a relayed connection the
    /// peer dialled, the relayed address of ours it came in on.
    addr: Multiaddr,
    /// Whether it passes through a relay.
    relayed: bool,
    /// Whether we dialled it.
    dialled: bool,
}

fn is_relayed(addr: &Multiaddr) -> bool {
    addr.iter().any(|p| p == Protocol::P2pCircuit)
}

/// What the NAT behaviours report.
pub(super) enum NatEvent {
    AutoNat(autonat::v2::client::Event),
    Client(relay::client::Event),
    Relay(relay::Event),
    Dcutr(dcutr::Event),
}

impl EventLoop {
    /// Keeps the remote address of every open connection (shown by
    /// `coopnet peers`: a relayed one has `/p2p-circuit`).
    pub(super) fn track_connections<E>(&mut self, event: &SwarmEvent<E>) {
        match event {
            SwarmEvent::ConnectionEstablished {
                peer_id,
                connection_id,
                endpoint,
                ..
            } => {
                // A relayed connection we accepted has only the peer id
                // as its remote address; our relayed address says more.
                let link = match endpoint {
                    ConnectedPoint::Listener { local_addr, .. } if endpoint.is_relayed() => Link {
                        addr: local_addr.clone(),
                        relayed: true,
                        dialled: false,
                    },
                    _ => Link {
                        addr: endpoint.get_remote_address().clone(),
                        relayed: endpoint.is_relayed(),
                        dialled: endpoint.is_dialer(),
                    },
                };
                let relayed = link.relayed;
                self.nat
                    .open
                    .entry(*peer_id)
                    .or_default()
                    .insert(*connection_id, link);
                if relayed && !self.has_direct(peer_id) {
                    self.nat
                        .awaiting_punch
                        .insert(*peer_id, Instant::now() + PUNCH_WAIT);
                }
                self.close_relayed_if_direct(*peer_id);
            }
            SwarmEvent::ConnectionClosed {
                peer_id,
                connection_id,
                ..
            } => {
                if let Some(open) = self.nat.open.get_mut(peer_id) {
                    open.remove(connection_id);
                    if open.is_empty() {
                        self.nat.open.remove(peer_id);
                    }
                }
            }
            _ => {}
        }
    }

    fn has_direct(&self, peer: &PeerId) -> bool {
        self.nat
            .open
            .get(peer)
            .is_some_and(|open| open.values().any(|l| !l.relayed))
    }

    /// Once a peer has a direct connection, its relayed ones only cost
    /// the relay: they are closed (what was in flight on them is sent
    /// again, over the direct one).
    fn close_relayed_if_direct(&mut self, peer: PeerId) {
        if !self.has_direct(&peer) {
            return;
        }
        let relayed: Vec<ConnectionId> = self.nat.open[&peer]
            .iter()
            .filter(|(_, l)| l.relayed)
            .map(|(id, _)| *id)
            .collect();
        for id in relayed {
            if self.swarm.close_connection(id) {
                self.stats.relayed_replaced += 1;
            }
        }
    }

    /// Whether a sync with `peer` should wait: it is reached only through
    /// a relay and a hole punch may still give a direct connection.
    pub(super) fn waits_for_punch(&self, peer: &PeerId) -> bool {
        self.nat
            .awaiting_punch
            .get(peer)
            .is_some_and(|until| Instant::now() < *until)
            && !self.has_direct(peer)
    }

    /// Starts the syncs that waited for a hole punch that is now over.
    pub(super) fn punch_waits_over(&mut self) {
        let now = Instant::now();
        let over: Vec<PeerId> = self
            .nat
            .awaiting_punch
            .iter()
            .filter(|(_, until)| now >= **until)
            .map(|(p, _)| *p)
            .collect();
        for peer in over {
            self.punch_over(peer);
        }
    }

    fn punch_over(&mut self, peer: PeerId) {
        if self.nat.awaiting_punch.remove(&peer).is_some()
            && self.swarm.is_connected(&peer)
            && self.initiates_with(&peer)
        {
            self.start_sync(peer);
        }
    }

    /// A new listen address: a loopback-only node confirms it.
    pub(super) fn nat_listening(&mut self, address: &Multiaddr) {
        if self.nat.loopback_only && is_loopback(address) && !is_relayed(address) {
            self.swarm.add_external_address(address.clone());
            self.update_dht_mode();
        }
    }

    /// Addresses (without its peer id) that reach `target` through up to
    /// [`RELAY_FANOUT`] relays we know, for a member Kademlia could not
    /// find (in client mode, behind NAT); none if it was tried less than
    /// [`RELAY_RETRY`] ago.
    pub(super) fn through_relays(&mut self, target: PeerId) -> Vec<Multiaddr> {
        if self.nat.relays.is_empty() || !self.nat.relay_tries.take(target, Instant::now()) {
            return Vec::new();
        }
        self.nat
            .relays
            .iter()
            .filter(|relay| **relay != target)
            .filter_map(|relay| self.circuit_via(*relay))
            .take(RELAY_FANOUT)
            .collect()
    }

    /// `<address>/p2p/<relay>/p2p-circuit`, at the address of a direct
    /// connection we dialled to `relay` (one it dialled may come from
    /// a port nobody can dial back).
    fn circuit_via(&self, relay: PeerId) -> Option<Multiaddr> {
        let link = self
            .nat
            .open
            .get(&relay)?
            .values()
            .find(|l| l.dialled && !l.relayed)?;
        let mut addr = link.addr.clone();
        if matches!(addr.iter().last(), Some(Protocol::P2p(_))) {
            addr.pop();
        }
        Some(addr.with(Protocol::P2p(relay)).with(Protocol::P2pCircuit))
    }

    /// Where each of a peer's open connections goes (a relayed one shows
    /// a `/p2p-circuit` address, on either side).
    pub(super) fn connection_addresses(&self, peer: &PeerId) -> Vec<String> {
        self.nat
            .open
            .get(peer)
            .map(|open| open.values().map(|l| l.addr.to_string()).collect())
            .unwrap_or_default()
    }

    /// Forgets a peer that is gone.
    pub(super) fn nat_disconnected(&mut self, peer: &PeerId) {
        self.nat.relays.remove(peer);
        self.nat.reserved.remove(peer);
        self.nat.awaiting_punch.remove(peer);
    }

    /// Notes a member that offers relaying and is reachable itself (its
    /// DHT serves, so it has a confirmed direct address); reserves on it
    /// if we seem to be unreachable.
    pub(super) fn nat_identified(&mut self, peer: PeerId, protocols: &[StreamProtocol]) {
        let relay = protocols.contains(&HOP) && protocols.contains(&KAD_PROTOCOL);
        if !relay || !self.is_member(&peer) {
            self.nat.relays.remove(&peer);
            return;
        }
        if self.circuit_via(peer).is_some() {
            self.nat.relays.insert(peer);
            self.reserve_if_unreachable();
        }
    }

    /// Whether a direct address of ours is confirmed (AutoNAT, stated by
    /// the operator, or loopback-only). A relayed address (the relay
    /// client confirms it once a reservation is accepted) does not count.
    fn reachable(&self) -> bool {
        self.swarm.external_addresses().any(|a| !is_relayed(a))
    }

    /// Kademlia serves (server mode), and our relay takes reservations,
    /// once a direct address is confirmed, and only then: not behind NAT,
    /// where every DHT query would take one of a relay's few circuits. A member in client mode is in no
    /// routing table; it is reached through the relays it reserves on
    /// ([`EventLoop::through_relays`]).
    pub(super) fn update_dht_mode(&mut self) {
        let reachable = self.reachable();
        self.nat.reachable.store(reachable, Ordering::Relaxed);
        let wanted = match reachable {
            true => kad::Mode::Server,
            false => kad::Mode::Client,
        };
        let kad = &mut self.swarm.behaviour_mut().kad;
        if kad.mode() != wanted {
            tracing::info!("DHT now in {wanted} mode");
            kad.set_mode(Some(wanted));
        }
    }

    /// Listens through relays while no external address is confirmed and
    /// a test failed.
    fn reserve_if_unreachable(&mut self) {
        if self.reachable() || self.nat.failed_tests == 0 {
            return;
        }
        let wanted = RELAYS.saturating_sub(self.nat.reserved.len());
        let candidates: Vec<(PeerId, Multiaddr)> = self
            .nat
            .relays
            .iter()
            .filter(|p| !self.nat.reserved.contains(p))
            .filter_map(|p| Some((*p, self.circuit_via(*p)?)))
            .take(wanted)
            .collect();
        for (relay, circuit) in candidates {
            match self.swarm.listen_on(circuit.clone()) {
                Ok(_) => {
                    tracing::info!(%relay, "behind NAT: listening through a relay");
                    self.nat.reserved.insert(relay);
                }
                Err(e) => tracing::warn!(%circuit, "cannot listen through the relay: {e}"),
            }
        }
    }

    pub(super) fn on_nat(&mut self, event: NatEvent) {
        match event {
            NatEvent::AutoNat(e) => match e.result {
                Ok(()) => tracing::info!(addr = %e.tested_addr, "reachable from outside"),
                Err(error) => {
                    tracing::debug!(addr = %e.tested_addr, "not reachable at: {error}");
                    self.nat.failed_tests += 1;
                    self.stats.nat_tests_failed += 1;
                    self.reserve_if_unreachable();
                }
            },
            NatEvent::Client(relay::client::Event::ReservationReqAccepted {
                relay_peer_id,
                renewal,
                ..
            }) => {
                if !renewal {
                    self.stats.relay_reservations += 1;
                    tracing::info!(relay = %relay_peer_id, "relay reservation accepted");
                }
            }
            NatEvent::Client(_) => {}
            NatEvent::Relay(
                relay::Event::ReservationReqDenied { src_peer_id, .. }
                | relay::Event::CircuitReqDenied { src_peer_id, .. },
            ) => {
                self.stats.relay_refused += 1;
                tracing::debug!(%src_peer_id, "relay refused (not a member, or over a limit)");
            }
            NatEvent::Relay(relay::Event::CircuitReqAccepted {
                src_peer_id,
                dst_peer_id,
            }) => {
                self.stats.circuits_relayed += 1;
                tracing::debug!(%src_peer_id, %dst_peer_id, "relaying a circuit");
            }
            NatEvent::Relay(_) => {}
            NatEvent::Dcutr(dcutr::Event {
                remote_peer_id,
                result,
            }) => {
                match result {
                    Ok(_) => {
                        self.stats.holes_punched += 1;
                        tracing::info!(peer = %remote_peer_id, "direct connection by hole punching");
                    }
                    Err(e) => {
                        self.stats.hole_punches_failed += 1;
                        tracing::info!(peer = %remote_peer_id, "hole punching failed: {e}");
                    }
                }
                self.punch_over(remote_peer_id);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_member_is_tried_through_relays_at_most_once_per_retry_period() {
        let (a, b) = (PeerId::random(), PeerId::random());
        let mut tries = RelayTries::default();
        let t0 = Instant::now();
        assert!(tries.take(a, t0));
        assert!(!tries.take(a, t0 + RELAY_RETRY / 2), "too soon");
        assert!(tries.take(b, t0 + RELAY_RETRY / 2), "another member");
        assert!(tries.take(a, t0 + RELAY_RETRY), "due again");
        assert_eq!(tries.0.len(), 2, "b's try is recent, a's old one replaced");
        assert!(tries.take(PeerId::random(), t0 + RELAY_RETRY * 3));
        assert_eq!(tries.0.len(), 1, "old tries are forgotten");
    }

    #[test]
    fn loopback_and_relayed_addresses_are_told_apart() {
        let parse = |a: &str| a.parse::<Multiaddr>().expect("address");
        assert!(is_loopback(&parse("/ip4/127.0.0.1/tcp/4001")));
        assert!(is_loopback(&parse("/ip6/::1/udp/4001/quic-v1")));
        assert!(!is_loopback(&parse("/ip4/0.0.0.0/tcp/4001")));
        assert!(!is_loopback(&parse("/ip4/192.168.1.2/tcp/4001")));
        let relayed = parse(
            "/ip4/10.99.0.10/tcp/4001/p2p/12D3KooWD8Hn3pCcYseFEPxBq4vY9ppzeY4Dut5WVDX92U8oCg48/p2p-circuit",
        );
        assert!(is_relayed(&relayed));
        assert!(!is_relayed(&parse("/ip4/10.99.0.10/tcp/4001")));
    }
}
