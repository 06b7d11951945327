//! Per-peer bookkeeping in the event loop: misbehaviour points and a
//! request-rate quota on the sync protocol. Both are bounded: quotas are
//! kept for connected peers only, and points for at most [`MAX_PEERS`]
//! peers, each for [`POINTS_KEPT`] after its last penalty (a peer that
//! reconnects keeps its points meanwhile).

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

use super::score::BLOCK_AT_POINTS;

/// Sync requests a peer may make per quota window.
pub const SYNC_REQUESTS_PER_WINDOW: u32 = 200;
/// The quota window.
pub const QUOTA_WINDOW: Duration = Duration::from_secs(1);
/// How long points are kept after a peer's last penalty.
pub const POINTS_KEPT: Duration = Duration::from_secs(3_600);
/// Most peers with points (the longest unpenalised is forgotten first).
pub const MAX_PEERS: usize = 4_096;

#[derive(Debug)]
struct Quota {
    window_start: Instant,
    used: u32,
}

#[derive(Debug, Clone, Copy)]
struct Points {
    total: u32,
    last: Instant,
}

/// What the event loop remembers about peers.
#[derive(Debug, Default)]
pub struct PeerBook {
    points: HashMap<PeerId, Points>,
    quotas: HashMap<PeerId, Quota>,
}

/// What to do after a penalty.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Keep the peer.
    Keep,
    /// Disconnect and block it.
    Block,
}

impl PeerBook {
    /// Adds `points` against `peer` at `now`; says whether it has now
    /// earned a block.
    pub fn penalise(&mut self, peer: PeerId, points: u32, now: Instant) -> Verdict {
        if !self.points.contains_key(&peer) && self.points.len() >= MAX_PEERS {
            self.points
                .retain(|_, p| now.saturating_duration_since(p.last) < POINTS_KEPT);
            if self.points.len() >= MAX_PEERS {
                let stalest = self
                    .points
                    .iter()
                    .min_by_key(|(_, p)| p.last)
                    .map(|(k, _)| *k);
                if let Some(stalest) = stalest {
                    self.points.remove(&stalest);
                }
            }
        }
        let entry = self.points.entry(peer).or_insert(Points {
            total: 0,
            last: now,
        });
        if now.saturating_duration_since(entry.last) >= POINTS_KEPT {
            entry.total = 0;
        }
        entry.total = entry.total.saturating_add(points);
        entry.last = now;
        if entry.total >= BLOCK_AT_POINTS {
            Verdict::Block
        } else {
            Verdict::Keep
        }
    }

    /// Points held against `peer` at `now`.
    pub fn points(&self, peer: &PeerId, now: Instant) -> u32 {
        self.points
            .get(peer)
            .filter(|p| now.saturating_duration_since(p.last) < POINTS_KEPT)
            .map_or(0, |p| p.total)
    }

    /// Peers with points remembered.
    #[cfg(test)]
    pub fn remembered(&self) -> usize {
        self.points.len()
    }

    /// Counts one sync request from `peer`; false if over its quota.
    pub fn allow_request(&mut self, peer: PeerId, now: Instant) -> bool {
        let quota = self.quotas.entry(peer).or_insert(Quota {
            window_start: now,
            used: 0,
        });
        if now.duration_since(quota.window_start) >= QUOTA_WINDOW {
            *quota = Quota {
                window_start: now,
                used: 0,
            };
        }
        quota.used += 1;
        quota.used <= SYNC_REQUESTS_PER_WINDOW
    }

    /// Forgets the quota of a peer that left (points are kept).
    pub fn disconnected(&mut self, peer: &PeerId) {
        self.quotas.remove(peer);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn two_invalid_records_get_a_peer_blocked() {
        let mut book = PeerBook::default();
        let peer = PeerId::random();
        let now = Instant::now();
        let points = super::super::score::INVALID_RECORD_POINTS;
        assert_eq!(book.penalise(peer, points, now), Verdict::Keep);
        assert_eq!(book.penalise(peer, points, now), Verdict::Block);
    }

    #[test]
    fn points_expire_an_hour_after_the_last_penalty() {
        let mut book = PeerBook::default();
        let peer = PeerId::random();
        let now = Instant::now();
        let points = super::super::score::INVALID_RECORD_POINTS;
        assert_eq!(book.penalise(peer, points, now), Verdict::Keep);
        assert_eq!(book.points(&peer, now + POINTS_KEPT), 0);
        let later = now + POINTS_KEPT;
        assert_eq!(
            book.penalise(peer, points, later),
            Verdict::Keep,
            "old points lapsed"
        );
    }

    #[test]
    fn the_book_is_bounded() {
        let mut book = PeerBook::default();
        let now = Instant::now();
        let first = PeerId::random();
        book.penalise(first, 1, now);
        for i in 0..MAX_PEERS {
            book.penalise(
                PeerId::random(),
                1,
                now + Duration::from_millis(1 + i as u64),
            );
        }
        assert_eq!(book.remembered(), MAX_PEERS);
        assert_eq!(book.points(&first, now), 0, "the stalest was forgotten");
    }

    #[test]
    fn the_quota_refills_each_window() {
        let mut book = PeerBook::default();
        let peer = PeerId::random();
        let start = Instant::now();
        for _ in 0..SYNC_REQUESTS_PER_WINDOW {
            assert!(book.allow_request(peer, start));
        }
        assert!(!book.allow_request(peer, start));
        assert!(book.allow_request(peer, start + QUOTA_WINDOW));
    }
}
