//! Log-in throttling: after too many failed log-ins for one name (or from
//! one address) in a window, further attempts are refused until the window
//! passes. The table is bounded, so a flood of made-up names cannot grow it.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Failures allowed per name in a window.
pub const PER_NAME: u32 = 5;
/// Failures allowed per client address in a window.
pub const PER_ADDRESS: u32 = 20;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most names and addresses tracked at once.
const CAPACITY: usize = 10_000;

/// Failed log-ins by key (`name:…` or `addr:…`).
#[derive(Debug, Default)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
}

impl Throttle {
    /// `Err(wait)` if `name` (or `address`) has failed too often lately.
    pub fn check(&self, name: &str, address: Option<&str>) -> Result<(), Duration> {
        let now = Instant::now();
        let table = self.lock();
        let blocked = |key: String, limit: u32| {
            table.get(&key).and_then(|(count, since)| {
                let age = now.duration_since(*since);
                (*count >= limit && age < WINDOW).then(|| WINDOW - age)
            })
        };
        let by_name = blocked(format!("name:{}", name.to_lowercase()), PER_NAME);
        let by_addr = address.and_then(|a| blocked(format!("addr:{a}"), PER_ADDRESS));
        match by_name.into_iter().chain(by_addr).max() {
            Some(wait) => Err(wait),
            None => Ok(()),
        }
    }

    /// Notes a failed log-in.
    pub fn failed(&self, name: &str, address: Option<&str>) {
        let now = Instant::now();
        let mut table = self.lock();
        if table.len() >= CAPACITY {
            table.retain(|_, (_, since)| now.duration_since(*since) < WINDOW);
            if table.len() >= CAPACITY {
                // Still full of live entries: forget the oldest one.
                let oldest = table.iter().min_by_key(|(_, (_, since))| *since);
                if let Some(key) = oldest.map(|(k, _)| k.clone()) {
                    table.remove(&key);
                }
            }
        }
        let keys = std::iter::once(format!("name:{}", name.to_lowercase()))
            .chain(address.map(|a| format!("addr:{a}")));
        for key in keys {
            let entry = table.entry(key).or_insert((0, now));
            if now.duration_since(entry.1) >= WINDOW {
                *entry = (0, now);
            }
            entry.0 += 1;
        }
    }

    /// Forgets a name's failures after it logs in.
    pub fn succeeded(&self, name: &str) {
        self.lock().remove(&format!("name:{}", name.to_lowercase()));
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_blocked_after_too_many_failures_and_unblocked_by_success() {
        let throttle = Throttle::default();
        for _ in 0..PER_NAME {
            assert!(throttle.check("Alice", None).is_ok());
            throttle.failed("alice", None);
        }
        let wait = throttle.check("ALICE", None).unwrap_err();
        assert!(wait <= WINDOW && wait > WINDOW - Duration::from_secs(60));
        assert!(throttle.check("bob", None).is_ok());
        throttle.succeeded("alice");
        assert!(throttle.check("alice", None).is_ok());
    }

    #[test]
    fn an_address_is_blocked_across_names() {
        let throttle = Throttle::default();
        for i in 0..PER_ADDRESS {
            throttle.failed(&format!("user{i}"), Some("10.0.0.1"));
        }
        assert!(throttle.check("someone-new", Some("10.0.0.1")).is_err());
        assert!(throttle.check("someone-new", Some("10.0.0.2")).is_ok());
    }

    #[test]
    fn the_table_stays_bounded() {
        let throttle = Throttle::default();
        for i in 0..CAPACITY + 50 {
            throttle.failed(&format!("n{i}"), None);
        }
        assert!(throttle.lock().len() <= CAPACITY);
    }
}
