//! Serialized answers of `GET /api/v1/coops`, reused while the node's
//! records have not changed ([`Backend::generation`](crate::Backend::generation)),
//! so a search asked again costs neither the query nor the JSON. Keyed by
//! the raw query string (the viewer does not change the answer: every
//! member of this node sees the same partners). Bounded in entries, and so
//! in bytes (a page of hits is at most a few tens of KiB): when full it is
//! emptied.

use std::collections::HashMap;
use std::sync::Mutex;

use axum::body::Bytes;

/// Most answers kept.
pub const CAPACITY: usize = 128;

/// JSON answers by query string, each with the generation it was made at.
#[derive(Debug, Default)]
pub struct Answers {
    by_query: Mutex<HashMap<String, (u64, Bytes)>>,
}

impl Answers {
    /// The answer to `query` made at `generation`.
    pub fn get(&self, query: &str, generation: u64) -> Option<Bytes> {
        let by_query = self.by_query.lock().ok()?;
        match by_query.get(query) {
            Some((at, body)) if *at == generation => Some(body.clone()),
            _ => None,
        }
    }

    /// Keeps `body` as the answer to `query` at `generation`.
    pub fn put(&self, query: &str, generation: u64, body: Bytes) {
        let Ok(mut by_query) = self.by_query.lock() else {
            return;
        };
        if by_query.len() >= CAPACITY && !by_query.contains_key(query) {
            by_query.clear();
        }
        by_query.insert(query.to_owned(), (generation, body));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_answer_serves_its_generation_only_and_the_cache_stays_bounded() {
        let answers = Answers::default();
        answers.put("skill=rust", 3, Bytes::from_static(b"[]"));
        assert_eq!(answers.get("skill=rust", 3).as_deref(), Some(&b"[]"[..]));
        assert!(answers.get("skill=rust", 4).is_none());
        for i in 0..=CAPACITY {
            answers.put(&format!("q={i}"), 3, Bytes::new());
        }
        // Full at the 128th answer, emptied for the next: a handful remain.
        let kept = answers.by_query.lock().unwrap().len();
        assert!(kept < 10, "{kept} kept");
    }
}
