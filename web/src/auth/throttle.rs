//! Log-in throttling: after too many log-ins that did not succeed for one
//! name (or from one address) in a window, further attempts are refused
//! until the window passes. An attempt is counted *before* its password is
//! checked, in the same step as the check, so guesses sent in parallel
//! cannot all slip through; a success forgets the name's count. The table
//! is bounded, so a flood of made-up names cannot grow it.
//!
//! Checking a password costs ~19 MiB and tens of milliseconds of argon2, so
//! at most [`HASH_SLOTS`] run at once; an attempt finding none free is
//! refused at once (429, try again in a second) rather than queued.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use tokio::sync::{Semaphore, SemaphorePermit};

/// Failures allowed per name in a window.
pub const PER_NAME: u32 = 5;
/// Failures allowed per client address in a window.
pub const PER_ADDRESS: u32 = 20;
/// How long failures are remembered.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Most names and addresses tracked at once.
const CAPACITY: usize = 10_000;
/// Most password checks running at once.
pub const HASH_SLOTS: usize = 4;

/// Log-in attempts by key (`name:…` or `addr:…`), and the password-check
/// slots.
#[derive(Debug)]
pub struct Throttle {
    failures: Mutex<HashMap<String, (u32, Instant)>>,
    hashes: Semaphore,
}

impl Default for Throttle {
    fn default() -> Self {
        Self {
            failures: Mutex::default(),
            hashes: Semaphore::new(HASH_SLOTS),
        }
    }
}

impl Throttle {
    /// Counts a log-in attempt for `name` from `address`, or `Err(wait)`
    /// (counting nothing) if either has failed too often lately.
    pub fn attempt(&self, name: &str, address: Option<&str>) -> Result<(), Duration> {
        let mut table = self.lock();
        Self::blocked(&table, name, address)?;
        Self::count(&mut table, name, address);
        Ok(())
    }

    /// A slot to check a password in, if one is free.
    pub fn hash_slot(&self) -> Option<SemaphorePermit<'_>> {
        self.hashes.try_acquire().ok()
    }

    fn blocked(
        table: &HashMap<String, (u32, Instant)>,
        name: &str,
        address: Option<&str>,
    ) -> Result<(), Duration> {
        let now = Instant::now();
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

    fn count(table: &mut HashMap<String, (u32, Instant)>, name: &str, address: Option<&str>) {
        let now = Instant::now();
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

    /// After a log-in succeeds: forgets the name's attempts and gives the
    /// address back the one this attempt cost.
    pub fn succeeded(&self, name: &str, address: Option<&str>) {
        let mut table = self.lock();
        table.remove(&format!("name:{}", name.to_lowercase()));
        if let Some(entry) = address.and_then(|a| table.get_mut(&format!("addr:{a}"))) {
            entry.0 = entry.0.saturating_sub(1);
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, (u32, Instant)>> {
        self.failures.lock().unwrap_or_else(|p| p.into_inner())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_name_is_blocked_after_too_many_attempts_and_unblocked_by_success() {
        let throttle = Throttle::default();
        for _ in 0..PER_NAME {
            assert!(throttle.attempt("Alice", None).is_ok());
        }
        let wait = throttle.attempt("ALICE", None).unwrap_err();
        assert!(wait <= WINDOW && wait > WINDOW - Duration::from_secs(60));
        assert!(throttle.attempt("bob", None).is_ok());
        throttle.succeeded("alice", None);
        assert!(throttle.attempt("alice", None).is_ok());
    }

    #[test]
    fn parallel_attempts_are_each_counted_before_any_password_is_checked() {
        let throttle = std::sync::Arc::new(Throttle::default());
        let allowed: usize = std::thread::scope(|scope| {
            let runs: Vec<_> = (0..64)
                .map(|_| {
                    let throttle = &throttle;
                    scope.spawn(move || throttle.attempt("alice", None).is_ok())
                })
                .collect();
            runs.into_iter()
                .map(|r| usize::from(r.join().unwrap()))
                .sum()
        });
        assert_eq!(allowed, PER_NAME as usize);
    }

    #[test]
    fn an_address_is_blocked_across_names_and_successes_cost_it_nothing() {
        let throttle = Throttle::default();
        for i in 0..PER_ADDRESS {
            throttle
                .attempt(&format!("user{i}"), Some("10.0.0.1"))
                .unwrap();
            if i % 2 == 0 {
                throttle.succeeded(&format!("user{i}"), Some("10.0.0.1"));
            }
        }
        assert!(throttle.attempt("someone-new", Some("10.0.0.1")).is_ok());
        for i in 0..PER_ADDRESS {
            let _ = throttle.attempt(&format!("other{i}"), Some("10.0.0.1"));
        }
        assert!(throttle.attempt("someone-new", Some("10.0.0.1")).is_err());
        assert!(throttle.attempt("someone-new", Some("10.0.0.2")).is_ok());
    }

    #[test]
    fn password_checks_have_a_bounded_number_of_slots() {
        let throttle = Throttle::default();
        let held: Vec<_> = (0..HASH_SLOTS)
            .map(|_| throttle.hash_slot().unwrap())
            .collect();
        assert!(throttle.hash_slot().is_none());
        drop(held);
        assert!(throttle.hash_slot().is_some());
    }

    #[test]
    fn the_table_stays_bounded() {
        let throttle = Throttle::default();
        for i in 0..CAPACITY + 50 {
            throttle.attempt(&format!("n{i}"), None).unwrap();
        }
        assert!(throttle.lock().len() <= CAPACITY);
    }
}
