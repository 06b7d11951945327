//! A cache of partner-search answers, so that the same search asked again
//! (a page reloaded, the same filters used by several members, a script
//! polling) costs a lookup instead of a query while the replica has not
//! changed.
//!
//! An answer is kept with the store's [`generation`](crate::store::Store::generation)
//! it was computed at, and used only while the generation is the same: any
//! commit that changes the current records (a profile, skills, capacity,
//! a revocation) makes every older answer stale at once. The cache is
//! bounded: when full it is emptied.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};

use crate::store::{CoopPage, CoopQuery};

/// Most answers kept.
pub const CAPACITY: usize = 256;

/// An answer and the generation it was computed at.
type Answer = (u64, Arc<CoopPage>);

/// Answers by query.
#[derive(Debug, Default)]
pub struct SearchCache {
    answers: Mutex<HashMap<CoopQuery, Answer>>,
    /// Off: every search runs its query (for measuring the query).
    off: AtomicBool,
}

impl SearchCache {
    /// Turns the cache on (the default) or off.
    pub fn set_enabled(&self, on: bool) {
        self.off.store(!on, Ordering::Relaxed);
        if let Ok(mut answers) = self.answers.lock() {
            answers.clear();
        }
    }

    /// The answer to `query` if it was computed at `generation`.
    pub fn get(&self, query: &CoopQuery, generation: u64) -> Option<Arc<CoopPage>> {
        if self.off.load(Ordering::Relaxed) {
            return None;
        }
        let answers = self.answers.lock().ok()?;
        match answers.get(query) {
            Some((at, hits)) if *at == generation => Some(Arc::clone(hits)),
            _ => None,
        }
    }

    /// Keeps `hits` as the answer to `query` at `generation`.
    pub fn put(&self, query: CoopQuery, generation: u64, hits: Arc<CoopPage>) {
        if self.off.load(Ordering::Relaxed) {
            return;
        }
        let Ok(mut answers) = self.answers.lock() else {
            return;
        };
        if answers.len() >= CAPACITY && !answers.contains_key(&query) {
            answers.clear();
        }
        answers.insert(query, (generation, hits));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn query(skill: &str) -> CoopQuery {
        CoopQuery {
            skills: vec![skill.to_owned()],
            limit: 10,
            ..CoopQuery::default()
        }
    }

    #[test]
    fn an_answer_serves_its_generation_only() {
        let cache = SearchCache::default();
        cache.put(query("rust"), 7, Arc::new(CoopPage::default()));
        assert!(cache.get(&query("rust"), 7).is_some());
        assert!(
            cache.get(&query("rust"), 8).is_none(),
            "stale after a change"
        );
        assert!(cache.get(&query("python"), 7).is_none());
    }

    #[test]
    fn a_full_cache_starts_again_instead_of_growing() {
        let cache = SearchCache::default();
        for i in 0..=CAPACITY {
            cache.put(
                query(&format!("skill-{i}")),
                1,
                Arc::new(CoopPage::default()),
            );
        }
        let kept = cache.answers.lock().unwrap().len();
        assert_eq!(kept, 1, "emptied when full, then the new answer kept");
    }
}
