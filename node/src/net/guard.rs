//! The connection guard: the first behaviour every connection meets.
//!
//! - **Pending incoming** connections (accepted, handshake not finished)
//!   are bounded in total and per remote IP address, so sockets that never
//!   finish a handshake (closed by the transport's timeout, SPEC §8.4)
//!   cannot fill the node's room for handshakes.
//! - **Members come first.** Peers the roster does not count as members
//!   (on probation, SPEC §9.4) may hold only a few established
//!   connections between them, and fewer from one address; members are
//!   limited only by the node's totals (`connection_limits`), so members
//!   sharing an address (behind one NAT) are not held back.
//! - **Refused peers**: peers blocked for misbehaviour (for
//!   [`BLOCK_FOR`], in a bounded list), revoked co-ops, and non-members
//!   whose grace period ended recently ([`COOL_DOWN`]), so a non-member
//!   cannot renew its grace by reconnecting.
//!
//! Every list here is bounded; the oldest entry makes room for a new one.

use std::collections::HashMap;
use std::convert::Infallible;
use std::net::IpAddr;
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

use libp2p::PeerId;
use libp2p::core::transport::PortUse;
use libp2p::core::{ConnectedPoint, Endpoint, Multiaddr};
use libp2p::multiaddr::Protocol;
use libp2p::swarm::{
    ConnectionDenied, ConnectionId, FromSwarm, NetworkBehaviour, THandler, THandlerInEvent,
    THandlerOutEvent, ToSwarm, dummy,
};

use crate::gate::Gate;
use crate::identity::coop_key_of;

/// Handshakes under way with incoming connections, in total.
pub const PENDING_INCOMING: usize = 128;
/// Handshakes under way with incoming connections from one IP address.
pub const PENDING_PER_IP: usize = 16;
/// Established connections of peers that are not members, together.
pub const NON_MEMBER_CONNECTIONS: usize = 32;
/// Established connections of peers that are not members, from one
/// address.
pub const NON_MEMBERS_PER_IP: usize = 4;
/// How long a peer blocked for misbehaviour stays blocked.
pub const BLOCK_FOR: Duration = Duration::from_secs(3_600);
/// How long a non-member whose grace ended is refused.
pub const COOL_DOWN: Duration = Duration::from_secs(600);
/// Most peers remembered as blocked, and as cooling down.
pub const MAX_REMEMBERED: usize = 4_096;

/// Why the guard refused a connection.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum Refusal {
    /// Too many handshakes under way.
    #[error("too many pending connections")]
    Pending,
    /// Too many handshakes under way from this address.
    #[error("too many pending connections from this address")]
    PendingFromAddress,
    /// The room for non-members is full.
    #[error("no room for peers that are not members")]
    NonMembers,
    /// The room for non-members from this address is full.
    #[error("no room for more peers that are not members from this address")]
    NonMembersFromAddress,
    /// Blocked for misbehaviour.
    #[error("blocked for misbehaviour")]
    Blocked,
    /// Its membership was revoked.
    #[error("membership revoked")]
    Revoked,
    /// Not a member, and its grace period ended recently.
    #[error("not a member; grace period used")]
    CoolingDown,
}

/// Peers with an expiry, at most [`MAX_REMEMBERED`] (the soonest to
/// expire is forgotten first).
#[derive(Debug, Default)]
pub struct Expiring {
    until: HashMap<PeerId, Instant>,
}

impl Expiring {
    /// Remembers `peer` until `until`.
    pub fn insert(&mut self, peer: PeerId, until: Instant) {
        if self.until.len() >= MAX_REMEMBERED && !self.until.contains_key(&peer) {
            let soonest = self.until.iter().min_by_key(|(_, t)| **t).map(|(p, _)| *p);
            if let Some(soonest) = soonest {
                self.until.remove(&soonest);
            }
        }
        self.until.insert(peer, until);
    }

    /// Whether `peer` is remembered at `now` (an expired entry is dropped).
    pub fn contains(&mut self, peer: &PeerId, now: Instant) -> bool {
        match self.until.get(peer) {
            Some(until) if *until > now => true,
            Some(_) => {
                self.until.remove(peer);
                false
            }
            None => false,
        }
    }

    /// Forgets `peer`.
    pub fn remove(&mut self, peer: &PeerId) {
        self.until.remove(peer);
    }

    /// How many peers are remembered.
    pub fn len(&self) -> usize {
        self.until.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.until.is_empty()
    }
}

/// The guard behaviour.
#[derive(Debug)]
pub struct Guard {
    gate: Gate,
    /// Incoming connections in their handshake, and their remote IP.
    pending: HashMap<ConnectionId, Option<IpAddr>>,
    pending_per_ip: HashMap<IpAddr, usize>,
    /// Established connections: their peer and remote IP.
    established: HashMap<ConnectionId, (PeerId, Option<IpAddr>)>,
    /// Peers blocked for misbehaviour.
    pub blocked: Expiring,
    /// Non-members whose grace period ended.
    pub cooling: Expiring,
    /// Connections refused, for the node's counters.
    pub refused: u64,
}

impl Guard {
    /// A guard that asks `gate` who is a member.
    pub fn new(gate: Gate) -> Self {
        Self {
            gate,
            pending: HashMap::new(),
            pending_per_ip: HashMap::new(),
            established: HashMap::new(),
            blocked: Expiring::default(),
            cooling: Expiring::default(),
            refused: 0,
        }
    }

    /// Blocks `peer` for [`BLOCK_FOR`].
    pub fn block(&mut self, peer: PeerId) {
        self.blocked.insert(peer, Instant::now() + BLOCK_FOR);
    }

    /// Refuses `peer` for [`COOL_DOWN`] unless it becomes a member.
    pub fn cool_down(&mut self, peer: PeerId) {
        self.cooling.insert(peer, Instant::now() + COOL_DOWN);
    }

    fn is_member(&self, peer: &PeerId) -> bool {
        self.gate.allows_peer(coop_key_of(peer).as_ref())
    }

    fn refuse(&mut self, why: Refusal) -> Result<(), ConnectionDenied> {
        self.refused += 1;
        tracing::debug!("connection refused: {why}");
        Err(ConnectionDenied::new(why))
    }

    fn admit_pending(
        &mut self,
        id: ConnectionId,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        if self.pending.len() >= PENDING_INCOMING {
            return self.refuse(Refusal::Pending);
        }
        let ip = ip_of(remote);
        if let Some(ip) = ip {
            let count = self.pending_per_ip.entry(ip).or_default();
            if *count >= PENDING_PER_IP {
                return self.refuse(Refusal::PendingFromAddress);
            }
            *count += 1;
        }
        self.pending.insert(id, ip);
        Ok(())
    }

    fn end_pending(&mut self, id: &ConnectionId) {
        if let Some(Some(ip)) = self.pending.remove(id)
            && let Some(count) = self.pending_per_ip.get_mut(&ip)
        {
            *count -= 1;
            if *count == 0 {
                self.pending_per_ip.remove(&ip);
            }
        }
    }

    /// Whether an established connection with `peer` (from `ip`, if it
    /// came in) may stay.
    fn admit_peer(&mut self, peer: &PeerId, ip: Option<IpAddr>) -> Result<(), ConnectionDenied> {
        let now = Instant::now();
        if self.blocked.contains(peer, now) {
            return self.refuse(Refusal::Blocked);
        }
        if self.is_member(peer) {
            return Ok(());
        }
        let revoked = match (self.gate.view(), coop_key_of(peer)) {
            (Some(view), Some(key)) => view.is_revoked(&key),
            _ => false,
        };
        if revoked {
            return self.refuse(Refusal::Revoked);
        }
        if self.cooling.contains(peer, now) {
            return self.refuse(Refusal::CoolingDown);
        }
        let non_members: Vec<Option<IpAddr>> = self
            .established
            .values()
            .filter(|(p, _)| !self.is_member(p))
            .map(|(_, ip)| *ip)
            .collect();
        if non_members.len() >= NON_MEMBER_CONNECTIONS {
            return self.refuse(Refusal::NonMembers);
        }
        let from_ip = non_members
            .iter()
            .filter(|i| ip.is_some() && **i == ip)
            .count();
        if from_ip >= NON_MEMBERS_PER_IP {
            return self.refuse(Refusal::NonMembersFromAddress);
        }
        Ok(())
    }
}

/// The IP address of a `/ip4/…` or `/ip6/…` multiaddress.
fn ip_of(addr: &Multiaddr) -> Option<IpAddr> {
    addr.iter().find_map(|p| match p {
        Protocol::Ip4(ip) => Some(IpAddr::V4(ip)),
        Protocol::Ip6(ip) => Some(IpAddr::V6(ip)),
        _ => None,
    })
}

impl NetworkBehaviour for Guard {
    type ConnectionHandler = dummy::ConnectionHandler;
    type ToSwarm = Infallible;

    fn handle_pending_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<(), ConnectionDenied> {
        self.admit_pending(connection_id, remote)
    }

    fn handle_established_inbound_connection(
        &mut self,
        connection_id: ConnectionId,
        peer: PeerId,
        _local: &Multiaddr,
        remote: &Multiaddr,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.end_pending(&connection_id);
        self.admit_peer(&peer, ip_of(remote))?;
        Ok(dummy::ConnectionHandler)
    }

    fn handle_established_outbound_connection(
        &mut self,
        _connection_id: ConnectionId,
        peer: PeerId,
        _addr: &Multiaddr,
        _role: Endpoint,
        _port_use: PortUse,
    ) -> Result<THandler<Self>, ConnectionDenied> {
        self.admit_peer(&peer, None)?;
        Ok(dummy::ConnectionHandler)
    }

    fn on_swarm_event(&mut self, event: FromSwarm) {
        match event {
            FromSwarm::ConnectionEstablished(e) => {
                let ip = match e.endpoint {
                    ConnectedPoint::Listener { send_back_addr, .. } => ip_of(send_back_addr),
                    ConnectedPoint::Dialer { .. } => None,
                };
                self.established.insert(e.connection_id, (e.peer_id, ip));
            }
            FromSwarm::ConnectionClosed(e) => {
                self.established.remove(&e.connection_id);
            }
            FromSwarm::ListenFailure(e) => self.end_pending(&e.connection_id),
            _ => {}
        }
    }

    fn on_connection_handler_event(
        &mut self,
        _peer: PeerId,
        _connection: ConnectionId,
        event: THandlerOutEvent<Self>,
    ) {
        libp2p::core::util::unreachable(event)
    }

    fn poll(&mut self, _: &mut Context<'_>) -> Poll<ToSwarm<Infallible, THandlerInEvent<Self>>> {
        Poll::Pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn addr(ip: &str) -> Multiaddr {
        format!("/ip4/{ip}/tcp/4001").parse().expect("address")
    }

    #[test]
    fn one_address_cannot_take_every_pending_place() {
        let mut guard = Guard::new(Gate::open());
        for _ in 0..PENDING_PER_IP {
            let id = ConnectionId::new_unchecked(rand_id());
            assert!(guard.admit_pending(id, &addr("10.0.0.66")).is_ok());
        }
        let extra = ConnectionId::new_unchecked(rand_id());
        assert!(guard.admit_pending(extra, &addr("10.0.0.66")).is_err());
        let member = ConnectionId::new_unchecked(rand_id());
        assert!(guard.admit_pending(member, &addr("10.0.0.7")).is_ok());
        assert_eq!(guard.refused, 1);
    }

    #[test]
    fn a_finished_handshake_gives_its_place_back() {
        let mut guard = Guard::new(Gate::open());
        let ids: Vec<ConnectionId> = (0..PENDING_PER_IP)
            .map(|_| ConnectionId::new_unchecked(rand_id()))
            .collect();
        for id in &ids {
            guard.admit_pending(*id, &addr("10.0.0.66")).expect("room");
        }
        guard.end_pending(&ids[0]);
        let next = ConnectionId::new_unchecked(rand_id());
        assert!(guard.admit_pending(next, &addr("10.0.0.66")).is_ok());
        assert!(guard.pending_per_ip.len() == 1 && guard.pending.len() == PENDING_PER_IP);
    }

    #[test]
    fn blocked_peers_are_refused_until_their_block_ends() {
        let mut list = Expiring::default();
        let peer = PeerId::random();
        let now = Instant::now();
        list.insert(peer, now + Duration::from_secs(5));
        assert!(list.contains(&peer, now));
        assert!(!list.contains(&peer, now + Duration::from_secs(6)));
        assert!(list.is_empty(), "an expired entry is dropped");
    }

    #[test]
    fn the_remembered_peers_are_bounded() {
        let mut list = Expiring::default();
        let now = Instant::now();
        let first = PeerId::random();
        list.insert(first, now + Duration::from_secs(1));
        for i in 0..MAX_REMEMBERED {
            list.insert(PeerId::random(), now + Duration::from_secs(10 + i as u64));
        }
        assert_eq!(list.len(), MAX_REMEMBERED);
        assert!(
            !list.contains(&first, now),
            "the soonest to expire went first"
        );
    }

    #[test]
    fn non_members_get_a_few_places_per_address_and_members_still_get_in() {
        use coopnet_protocol::federation::Genesis;
        use coopnet_protocol::samples;
        let founder = samples::secret(1).public();
        let genesis = Genesis {
            name: "Test".into(),
            coordinators: vec![founder],
            bootstrap: Vec::new(),
            created_at: samples::NOW,
            network_key: None,
        };
        let mut guard = Guard::new(Gate::closed(&genesis, samples::NOW));
        let attacker: Option<IpAddr> = Some("10.0.0.66".parse().expect("ip"));
        for _ in 0..NON_MEMBERS_PER_IP {
            let stranger = PeerId::random();
            assert!(guard.admit_peer(&stranger, attacker).is_ok());
            let id = ConnectionId::new_unchecked(rand_id());
            guard.established.insert(id, (stranger, attacker));
        }
        assert!(guard.admit_peer(&PeerId::random(), attacker).is_err());
        let elsewhere = Some("10.0.0.7".parse().expect("ip"));
        assert!(guard.admit_peer(&PeerId::random(), elsewhere).is_ok());
        let member = crate::identity::peer_id_of(&founder).expect("peer id");
        assert!(
            guard.admit_peer(&member, attacker).is_ok(),
            "a member is never held back"
        );
    }

    fn rand_id() -> usize {
        use std::sync::atomic::{AtomicUsize, Ordering};
        static NEXT: AtomicUsize = AtomicUsize::new(1);
        NEXT.fetch_add(1, Ordering::Relaxed)
    }
}
