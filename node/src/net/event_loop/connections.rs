//! Connections in the event loop: what a new or closed connection starts
//! (membership checks, a sync session, redials), closing connections
//! whose pings fail, and which addresses Kademlia learns.

use std::time::Instant;

use libp2p::swarm::dial_opts::{DialOpts, PeerCondition};
use libp2p::swarm::{ConnectionId, DialError};
use libp2p::{Multiaddr, PeerId, StreamProtocol, ping};

use super::EventLoop;
use crate::net::behaviour::KAD_PROTOCOL;
use crate::net::flooding;
use crate::net::score::{BLOCK_AT_POINTS, NON_MEMBER_SCORE};

impl EventLoop {
    /// A connection opened; `first` if it is the peer's only one.
    pub(super) fn connected(&mut self, peer: PeerId, first: bool) {
        tracing::debug!(%peer, "connected");
        self.members.redials.forget(&peer);
        if !first {
            return;
        }
        self.score_membership(peer);
        self.check_membership(peer);
        if self.initiates_with(&peer) {
            self.start_sync(peer);
        }
    }

    /// The peer's last connection closed: forget its sessions, and dial a
    /// member again (a dead path, SPEC §8.4).
    pub(super) fn disconnected(&mut self, peer: PeerId) {
        tracing::debug!(%peer, "disconnected");
        self.sync.sessions.remove(&peer);
        self.holders.forget(&peer);
        self.sync.fetches.remove(&peer);
        self.sync.pushes.remove(&peer);
        self.sync.reconciled.remove(&peer);
        self.members.on_probation.remove(&peer);
        self.scoring.book.disconnected(&peer);
        let now = Instant::now();
        let blocked = self
            .swarm
            .behaviour_mut()
            .guard
            .blocked
            .contains(&peer, now);
        if self.wants(&peer) && !blocked {
            self.members.redials.lost(peer, now);
        }
    }

    /// Gossipsub's application score for `peer`: for a member, minus its
    /// flood points (0 unless it floods); far below the graylist for anyone
    /// else, so it gets no gossip and gives none.
    pub(super) fn score_membership(&mut self, peer: PeerId) {
        let score = if self.is_member(&peer) {
            -self.scoring.flood.get(&peer, Instant::now())
        } else {
            NON_MEMBER_SCORE
        };
        self.swarm
            .behaviour_mut()
            .gossip
            .set_application_score(&peer, score);
    }

    /// `peer` sent a message over a rate: a flood point (see
    /// `flooding.rs`), and its score lowered at once.
    pub(super) fn flooded(&mut self, peer: PeerId) {
        let now = Instant::now();
        let points = self.scoring.flood.add(peer, now);
        self.score_membership(peer);
        let guard = &mut self.swarm.behaviour_mut().guard;
        if points >= flooding::BLOCK_AT && !guard.blocked.contains(&peer, now) {
            tracing::warn!(%peer, "flooding: {points:.0} messages over its rates lately");
            self.penalise(peer, BLOCK_AT_POINTS);
        }
    }

    /// Brings flooders' scores up to date as their points decay, and
    /// forgets those whose points are gone.
    pub(super) fn rescore_flooders(&mut self) {
        let now = Instant::now();
        let recovered = self.scoring.flood.recovered(now);
        let flooders: Vec<PeerId> = self.scoring.flood.scored(now).map(|(p, _)| p).collect();
        for peer in recovered.into_iter().chain(flooders) {
            self.score_membership(peer);
        }
    }

    /// A ping result: a reported failure (libp2p reports the second in a
    /// row) means the path is dead, so the connection is closed and the
    /// peer dialled again until the path returns.
    pub(super) fn on_ping(&mut self, event: ping::Event) {
        match event.result {
            Ok(_) | Err(ping::Failure::Unsupported) => {}
            Err(failure) => {
                tracing::info!(peer = %event.peer, "closing a connection whose pings fail: {failure}");
                self.close_dead(event.connection);
            }
        }
    }

    fn close_dead(&mut self, connection: ConnectionId) {
        if self.swarm.close_connection(connection) {
            self.stats.connections_closed_dead += 1;
        }
    }

    /// A dial failed: a member or a bootstrap peer is dialled again on its
    /// schedule.
    pub(super) fn dial_failed(&mut self, peer: PeerId) {
        if self.wants(&peer) && !self.swarm.is_connected(&peer) {
            self.members.redials.failed(peer, Instant::now());
        }
    }

    /// Whether this node keeps dialling `peer` while it is not connected:
    /// a member, or a bootstrap peer the operator named.
    fn wants(&self, peer: &PeerId) -> bool {
        self.members.bootstrap_peers.contains_key(peer) || self.is_member(peer)
    }

    /// Dials members and bootstrap peers whose redial is due. Several dials
    /// to one peer may be under way, so a dial stuck on a dead path does
    /// not delay the next.
    pub(super) fn redial_due(&mut self) {
        for peer in self.members.redials.due(Instant::now()) {
            if self.swarm.is_connected(&peer) || !self.wants(&peer) {
                self.members.redials.forget(&peer);
                continue;
            }
            let known = self
                .members
                .bootstrap_peers
                .get(&peer)
                .cloned()
                .unwrap_or_default();
            let opts = DialOpts::peer_id(peer)
                .addresses(known)
                .extend_addresses_through_behaviour()
                .condition(PeerCondition::Disconnected)
                .build();
            match self.swarm.dial(opts) {
                Ok(()) => self.stats.redials += 1,
                Err(DialError::NoAddresses) => self.members.redials.forget(&peer),
                Err(e) => tracing::debug!(%peer, "cannot redial: {e}"),
            }
        }
    }

    /// Identify told us a peer's listen addresses and protocols: Kademlia
    /// learns them for members whose DHT is in server mode (it speaks
    /// Kademlia's protocol); one that went back to client mode leaves the
    /// routing table.
    pub(super) fn identified(
        &mut self,
        peer: PeerId,
        addrs: Vec<Multiaddr>,
        protocols: &[StreamProtocol],
    ) {
        if !self.is_member(&peer) {
            return;
        }
        let kad = &mut self.swarm.behaviour_mut().kad;
        if !protocols.contains(&KAD_PROTOCOL) {
            kad.remove_peer(&peer);
            return;
        }
        for addr in addrs {
            kad.add_address(&peer, addr);
        }
    }
}
