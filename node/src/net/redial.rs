//! When to dial a member again after its last connection closed (SPEC
//! §8.4): soon and often at first, so a healed partition reconnects within
//! seconds however long it lasted, then rarely, then not at all. Pure
//! state over an `Instant` the caller passes in.

use std::collections::HashMap;
use std::time::{Duration, Instant};

use libp2p::PeerId;

/// The first redial, after a connection was lost.
pub const FIRST: Duration = Duration::from_millis(500);
/// Redials double up to this while the loss is recent.
pub const SOON: Duration = Duration::from_secs(2);
/// How long a loss counts as recent.
pub const RECENT: Duration = Duration::from_secs(600);
/// The interval between redials after that.
pub const LATER: Duration = Duration::from_secs(30);
/// After this long without a connection the peer is left to Kademlia and
/// the bootstrap list.
pub const GIVE_UP: Duration = Duration::from_secs(3_600);
/// Most peers waiting to be dialled again (the oldest loss goes first).
pub const MAX_PEERS: usize = 1_024;

#[derive(Debug, Clone, Copy)]
struct Lost {
    since: Instant,
    next: Instant,
    wait: Duration,
}

/// Members whose connections were lost, and when to dial each again.
#[derive(Debug, Default)]
pub struct Redials {
    lost: HashMap<PeerId, Lost>,
}

impl Redials {
    /// `peer`'s last connection closed at `now`.
    pub fn lost(&mut self, peer: PeerId, now: Instant) {
        if self.lost.len() >= MAX_PEERS && !self.lost.contains_key(&peer) {
            let oldest = self
                .lost
                .iter()
                .min_by_key(|(_, l)| l.since)
                .map(|(p, _)| *p);
            if let Some(oldest) = oldest {
                self.lost.remove(&oldest);
            }
        }
        self.lost.insert(
            peer,
            Lost {
                since: now,
                next: now + FIRST,
                wait: FIRST,
            },
        );
    }

    /// A dial to `peer` failed: it is dialled again on its schedule, which
    /// starts now if it had none.
    pub fn failed(&mut self, peer: PeerId, now: Instant) {
        if !self.lost.contains_key(&peer) {
            self.lost(peer, now);
        }
    }

    /// `peer` is connected again (or must not be dialled).
    pub fn forget(&mut self, peer: &PeerId) {
        self.lost.remove(peer);
    }

    /// The peers to dial at `now`; each is scheduled for its next try.
    pub fn due(&mut self, now: Instant) -> Vec<PeerId> {
        self.lost
            .retain(|_, lost| now.saturating_duration_since(lost.since) < GIVE_UP);
        let mut due = Vec::new();
        for (peer, lost) in &mut self.lost {
            if lost.next > now {
                continue;
            }
            due.push(*peer);
            lost.wait = match now.saturating_duration_since(lost.since) < RECENT {
                true => (lost.wait * 2).min(SOON),
                false => LATER,
            };
            lost.next = now + lost.wait;
        }
        due
    }

    /// Peers waiting.
    pub fn len(&self) -> usize {
        self.lost.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.lost.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The times (from the loss) at which `peer` is dialled, until `end`.
    fn dials(end: Duration, step: Duration) -> Vec<Duration> {
        let mut redials = Redials::default();
        let peer = PeerId::random();
        let start = Instant::now();
        redials.lost(peer, start);
        let mut at = Vec::new();
        let mut t = Duration::ZERO;
        while t <= end {
            if redials.due(start + t).contains(&peer) {
                at.push(t);
            }
            t += step;
        }
        at
    }

    #[test]
    fn a_lost_member_is_dialled_at_least_every_two_seconds_while_recent() {
        let at = dials(RECENT - Duration::from_secs(1), Duration::from_millis(100));
        assert_eq!(at[0], FIRST);
        assert_eq!(at[1], FIRST + Duration::from_secs(1));
        for pair in at.windows(2) {
            assert!(pair[1] - pair[0] <= SOON, "{pair:?}");
        }
    }

    #[test]
    fn then_rarely_then_never() {
        let at = dials(GIVE_UP + LATER * 2, Duration::from_secs(1));
        let late: Vec<_> = at.iter().filter(|t| **t > RECENT + SOON).collect();
        for pair in late.windows(2) {
            assert_eq!(*pair[1] - *pair[0], LATER);
        }
        assert!(at.iter().all(|t| *t < GIVE_UP));
    }

    #[test]
    fn failed_dials_keep_backing_off() {
        let mut redials = Redials::default();
        let peer = PeerId::random();
        let start = Instant::now();
        redials.failed(peer, start);
        assert_eq!(redials.due(start + FIRST), vec![peer]);
        // Each attempt fails; the schedule is not reset.
        redials.failed(peer, start + FIRST);
        assert!(redials.due(start + FIRST + FIRST).is_empty());
        assert_eq!(redials.due(start + FIRST * 3), vec![peer]);
    }

    #[test]
    fn a_reconnected_peer_is_not_dialled() {
        let mut redials = Redials::default();
        let peer = PeerId::random();
        let now = Instant::now();
        redials.lost(peer, now);
        redials.forget(&peer);
        assert!(redials.due(now + SOON).is_empty());
    }
}
