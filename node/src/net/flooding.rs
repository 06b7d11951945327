//! Flood points: how a peer that sends more than its rate is penalised
//! without blaming anyone else (SPEC §8.6).
//!
//! A message over a rate is *Ignored*, not *Rejected*: gossipsub counts a
//! rejected message against every peer that delivered it, and an honest
//! peer that relayed a copy (valid, within the author's rate where it
//! was) would be punished with the flooder. Instead the peer that sent
//! the excess itself — over its own rate, or the author's own node sending
//! its records faster than the author's rate (counted apart from copies
//! others relay) — earns a point per message, and its gossipsub
//! application score is minus its points. The points halve every
//! [`HALF_LIFE`], so a peer that stops flooding recovers; 80 points more
//! than its good behaviour earned put it below the graylist, where its
//! messages are dropped unread. At [`BLOCK_AT`] points (a sustained excess
//! of about 3.5 messages a second, beyond the bursts every rate allows) it is disconnected and blocked like a
//! peer that sends malformed frames: a graylisted peer still costs the
//! node the work of reading what it sends.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// How long a peer's flood points take to halve.
pub const HALF_LIFE: Duration = Duration::from_secs(10);
/// Points below which a peer is forgotten (its score back to 0).
const NEGLIGIBLE: f64 = 0.5;
/// Most points a peer can hold (its score is at least minus this).
pub const MAX_POINTS: f64 = 1_000.0;
/// At this many points a peer is disconnected and blocked.
pub const BLOCK_AT: f64 = 50.0;
/// Most peers remembered; the fewest points are forgotten first.
const MAX_PEERS: usize = 4_096;

/// Each flooding peer's points, decaying.
#[derive(Debug, Default)]
pub struct FloodPoints {
    points: HashMap<PeerId, (f64, Instant)>,
}

fn decayed(points: f64, since: Instant, now: Instant) -> f64 {
    let halvings = now.saturating_duration_since(since).as_secs_f64() / HALF_LIFE.as_secs_f64();
    points * 0.5_f64.powf(halvings)
}

impl FloodPoints {
    /// One more message over a rate from `peer`; its points now.
    pub fn add(&mut self, peer: PeerId, now: Instant) -> f64 {
        if self.points.len() >= MAX_PEERS && !self.points.contains_key(&peer) {
            self.forget_least(now);
        }
        let entry = self.points.entry(peer).or_insert((0.0, now));
        let points = (decayed(entry.0, entry.1, now) + 1.0).min(MAX_POINTS);
        *entry = (points, now);
        points
    }

    /// `peer`'s points now (0 if it never flooded).
    pub fn get(&self, peer: &PeerId, now: Instant) -> f64 {
        self.points
            .get(peer)
            .map_or(0.0, |(points, since)| decayed(*points, *since, now))
    }

    /// The peers whose points have decayed to nothing since the last call:
    /// forgotten, for their scores to be restored.
    pub fn recovered(&mut self, now: Instant) -> Vec<PeerId> {
        let gone: Vec<PeerId> = self
            .points
            .iter()
            .filter(|(_, (points, since))| decayed(*points, *since, now) < NEGLIGIBLE)
            .map(|(peer, _)| *peer)
            .collect();
        for peer in &gone {
            self.points.remove(peer);
        }
        gone
    }

    /// The peers with points, and their points now.
    pub fn scored(&self, now: Instant) -> impl Iterator<Item = (PeerId, f64)> + '_ {
        self.points
            .iter()
            .map(move |(peer, (points, since))| (*peer, decayed(*points, *since, now)))
    }

    fn forget_least(&mut self, now: Instant) {
        let least = self
            .scored(now)
            .min_by(|a, b| a.1.total_cmp(&b.1))
            .map(|(peer, _)| peer);
        if let Some(peer) = least {
            self.points.remove(&peer);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn points_add_up_then_halve_and_are_forgotten() {
        let mut flood = FloodPoints::default();
        let (peer, other) = (PeerId::random(), PeerId::random());
        let start = Instant::now();
        for _ in 0..100 {
            flood.add(peer, start);
        }
        assert!((flood.get(&peer, start) - 100.0).abs() < 1e-9);
        assert_eq!(flood.get(&other, start), 0.0);
        let later = start + HALF_LIFE;
        assert!((flood.get(&peer, later) - 50.0).abs() < 1e-6);
        assert!(flood.recovered(later).is_empty());
        let much_later = start + HALF_LIFE * 9;
        assert_eq!(flood.recovered(much_later), vec![peer]);
        assert_eq!(flood.get(&peer, much_later), 0.0);
    }

    #[test]
    fn points_are_capped_and_peers_bounded() {
        let mut flood = FloodPoints::default();
        let now = Instant::now();
        let peer = PeerId::random();
        for _ in 0..2_000 {
            flood.add(peer, now);
        }
        assert_eq!(flood.get(&peer, now), MAX_POINTS);
        for _ in 0..MAX_PEERS + 10 {
            flood.add(PeerId::random(), now);
        }
        assert!(flood.points.len() <= MAX_PEERS);
        assert_eq!(flood.get(&peer, now), MAX_POINTS, "the worst is kept");
    }
}
