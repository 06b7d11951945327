//! Rate limits on gossip (SPEC §8.5), as token buckets: pure state and
//! arithmetic over an `Instant` the caller passes in, so they are tested
//! without waiting.
//!
//! - **Per peer**, before verification: what one connected peer may send
//!   us by gossip. The excess is ignored unverified and the peer earns
//!   flood points (`flooding.rs`): an honest node relays only records it
//!   accepted, each author's within its own limit, so it stays far below
//!   this.
//! - **Per author**, after verification: how many of one co-op's records
//!   this node takes by gossip. The excess is not stored nor relayed (sync
//!   brings it later, at the pace sync goes); it is ignored, and the peer
//!   that sent it earns flood points when it is the author's own node.
//! - **Own**: this node gossips its own records at half the per-author
//!   limit, so honest nodes never trip it; records beyond it reach the
//!   others by sync.
//! - **Re-gossip**: records learned by sync, push or from quarantine that
//!   are forwarded by gossip.

use std::collections::HashMap;
use std::hash::Hash;
use std::time::Instant;

/// A rate: tokens added per second, and the most a bucket holds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Rate {
    /// Sustained records per second.
    pub per_second: f64,
    /// Records that may come at once after a quiet spell.
    pub burst: f64,
}

impl Rate {
    /// `per_second` sustained, `burst` at once.
    pub const fn new(per_second: f64, burst: f64) -> Self {
        Self { per_second, burst }
    }

    /// Half this rate (what a node allows itself against a limit).
    pub fn half(self) -> Self {
        Self::new(self.per_second / 2.0, self.burst / 2.0)
    }
}

/// Default: records of one author taken by gossip.
pub const PER_AUTHOR: Rate = Rate::new(50.0, 100.0);
/// Default: gossip messages one peer may send.
pub const PER_PEER: Rate = Rate::new(1_000.0, 1_000.0);
/// Records learned otherwise than by gossip that are forwarded by gossip.
pub const REGOSSIP: Rate = Rate::new(200.0, 400.0);
/// Most keys (authors or peers) a [`Buckets`] remembers.
pub const MAX_KEYS: usize = 10_000;

/// One token bucket.
#[derive(Debug, Clone, Copy)]
pub struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    /// A full bucket at `now`.
    pub fn full(rate: Rate, now: Instant) -> Self {
        Self {
            tokens: rate.burst,
            at: now,
        }
    }

    fn refill(&mut self, rate: Rate, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * rate.per_second).min(rate.burst);
        self.at = now;
    }

    /// Takes one token if there is one.
    pub fn take(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    fn is_full(&mut self, rate: Rate, now: Instant) -> bool {
        self.refill(rate, now);
        self.tokens >= rate.burst
    }
}

/// A bucket per key, at most [`MAX_KEYS`]: when full, buckets that have
/// refilled (their key has been quiet) are forgotten, which loses nothing;
/// if none has, the new key is refused until one does.
#[derive(Debug)]
pub struct Buckets<K> {
    rate: Rate,
    buckets: HashMap<K, Bucket>,
}

impl<K: Hash + Eq + Copy> Buckets<K> {
    /// Buckets that all follow `rate`.
    pub fn new(rate: Rate) -> Self {
        Self {
            rate,
            buckets: HashMap::new(),
        }
    }

    /// The rate they follow.
    pub fn rate(&self) -> Rate {
        self.rate
    }

    /// Takes a token for `key`; false if it is over its rate.
    pub fn take(&mut self, key: K, now: Instant) -> bool {
        let rate = self.rate;
        if !self.buckets.contains_key(&key) && self.buckets.len() >= MAX_KEYS {
            self.buckets.retain(|_, b| !b.is_full(rate, now));
            if self.buckets.len() >= MAX_KEYS {
                return false;
            }
        }
        self.buckets
            .entry(key)
            .or_insert_with(|| Bucket::full(rate, now))
            .take(rate, now)
    }

    /// Keys remembered.
    pub fn len(&self) -> usize {
        self.buckets.len()
    }

    /// Whether none is.
    pub fn is_empty(&self) -> bool {
        self.buckets.is_empty()
    }
}

/// Says when to log a refusal: at most once a second, however many.
#[derive(Debug, Default)]
pub struct LogOnce {
    last: Option<Instant>,
}

impl LogOnce {
    /// Whether to log now.
    pub fn due(&mut self, now: Instant) -> bool {
        let due = self
            .last
            .is_none_or(|at| now.saturating_duration_since(at).as_secs() >= 1);
        if due {
            self.last = Some(now);
        }
        due
    }
}

/// The event loop's gossip limits: per peer, and our own pace.
#[derive(Debug)]
pub struct GossipLimits {
    /// Messages each peer may send.
    pub per_peer: Buckets<libp2p::PeerId>,
    own: Bucket,
    own_rate: Rate,
    /// Refusals are logged at most once a second.
    pub log: LogOnce,
}

impl GossipLimits {
    /// Limits of `per_peer` for each peer; our own records go at half of
    /// `per_author`.
    pub fn new(per_peer: Rate, per_author: Rate) -> Self {
        let own_rate = per_author.half();
        Self {
            per_peer: Buckets::new(per_peer),
            own: Bucket::full(own_rate, Instant::now()),
            own_rate,
            log: LogOnce::default(),
        }
    }

    /// Takes a token for one of our own records.
    pub fn take_own(&mut self, now: Instant) -> bool {
        self.own.take(self.own_rate, now)
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::*;

    #[test]
    fn a_burst_passes_then_the_sustained_rate() {
        let rate = Rate::new(10.0, 5.0);
        let start = Instant::now();
        let mut bucket = Bucket::full(rate, start);
        let burst = (0..20).filter(|_| bucket.take(rate, start)).count();
        assert_eq!(burst, 5);
        // One second later, ten more.
        let later = start + Duration::from_secs(1);
        let refilled = (0..20).filter(|_| bucket.take(rate, later)).count();
        assert_eq!(refilled, 5, "capped at the burst");
        let tenth = later + Duration::from_millis(100);
        assert!(bucket.take(rate, tenth));
        assert!(!bucket.take(rate, tenth));
    }

    #[test]
    fn each_key_has_its_own_bucket() {
        let mut buckets = Buckets::new(Rate::new(1.0, 2.0));
        let now = Instant::now();
        assert!(buckets.take(1, now) && buckets.take(1, now));
        assert!(!buckets.take(1, now));
        assert!(buckets.take(2, now), "another key is not held back");
    }

    #[test]
    fn quiet_keys_make_room_and_busy_ones_keep_theirs() {
        let mut buckets = Buckets::new(Rate::new(1.0, 1.0));
        let now = Instant::now();
        for key in 0..MAX_KEYS {
            assert!(buckets.take(key, now));
        }
        assert!(!buckets.take(MAX_KEYS, now), "no room while all are busy");
        let later = now + Duration::from_secs(2);
        assert!(
            buckets.take(MAX_KEYS, later),
            "refilled buckets are dropped"
        );
        assert_eq!(buckets.len(), 1);
    }
}
