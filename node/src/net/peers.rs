//! Per-peer bookkeeping in the event loop: misbehaviour points and a
//! request-rate quota on the sync protocol.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

use super::score::BLOCK_AT_POINTS;

/// Sync requests a peer may make per quota window.
pub const SYNC_REQUESTS_PER_WINDOW: u32 = 200;
/// The quota window.
pub const QUOTA_WINDOW: Duration = Duration::from_secs(1);

#[derive(Debug)]
struct Quota {
    window_start: Instant,
    used: u32,
}

/// What the event loop remembers about peers.
#[derive(Debug, Default)]
pub struct PeerBook {
    points: HashMap<PeerId, u32>,
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
    /// Adds `points` against `peer`; says whether it has now earned a block.
    pub fn penalise(&mut self, peer: PeerId, points: u32) -> Verdict {
        let total = self.points.entry(peer).or_default();
        *total = total.saturating_add(points);
        if *total >= BLOCK_AT_POINTS {
            Verdict::Block
        } else {
            Verdict::Keep
        }
    }

    /// Points held against `peer`.
    pub fn points(&self, peer: &PeerId) -> u32 {
        self.points.get(peer).copied().unwrap_or(0)
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
        assert_eq!(
            book.penalise(peer, super::super::score::INVALID_RECORD_POINTS),
            Verdict::Keep
        );
        assert_eq!(
            book.penalise(peer, super::super::score::INVALID_RECORD_POINTS),
            Verdict::Block
        );
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
