//! API tokens recently checked, so a script's every request does not ask
//! the node's store who its token belongs to.
//!
//! Only tokens the node knew are kept, each for [`TTL`]: a token revoked
//! or a user removed stops working within that time. Bounded: when full
//! the cache is emptied.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::backend::User;

/// How long a checked token is trusted without asking again.
pub const TTL: Duration = Duration::from_secs(10);
/// Most tokens kept.
pub const CAPACITY: usize = 1_024;

/// Users by the SHA-256 of their token, with when they were looked up.
#[derive(Debug, Default)]
pub struct TokenCache {
    users: Mutex<HashMap<[u8; 32], (User, Instant)>>,
}

impl TokenCache {
    /// The user of the token with this hash, if checked less than [`TTL`]
    /// before `now`.
    pub fn get(&self, hash: &[u8; 32], now: Instant) -> Option<User> {
        let users = self.users.lock().ok()?;
        let (user, at) = users.get(hash)?;
        (now.saturating_duration_since(*at) < TTL).then(|| user.clone())
    }

    /// Keeps `user` as the owner of the token with this hash, checked `now`.
    pub fn put(&self, hash: [u8; 32], user: User, now: Instant) {
        let Ok(mut users) = self.users.lock() else {
            return;
        };
        if users.len() >= CAPACITY && !users.contains_key(&hash) {
            users.clear();
        }
        users.insert(hash, (user, now));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::backend::UserRole;

    fn alice() -> User {
        User {
            id: 1,
            username: "alice".into(),
            password_hash: String::new(),
            role: UserRole::Member,
        }
    }

    #[test]
    fn a_checked_token_is_trusted_for_the_ttl_only() {
        let cache = TokenCache::default();
        let now = Instant::now();
        cache.put([1; 32], alice(), now);
        assert_eq!(cache.get(&[1; 32], now + TTL / 2), Some(alice()));
        assert_eq!(
            cache.get(&[1; 32], now + TTL),
            None,
            "asked again after the TTL"
        );
        assert_eq!(cache.get(&[2; 32], now), None);
    }

    #[test]
    fn a_full_cache_starts_again_instead_of_growing() {
        let cache = TokenCache::default();
        let now = Instant::now();
        for i in 0..=CAPACITY {
            let mut hash = [0u8; 32];
            hash[..8].copy_from_slice(&(i as u64).to_be_bytes());
            cache.put(hash, alice(), now);
        }
        assert_eq!(cache.users.lock().unwrap().len(), 1);
    }
}
