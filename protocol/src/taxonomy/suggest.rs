//! The precomputed index behind [`Taxonomy::suggest`](super::Taxonomy::suggest).

use std::cmp::Ordering;

/// Where a suggestion key comes from; earlier sources rank first on ties.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Source {
    /// The concept's preferred label.
    Preferred,
    /// A curated alias pointing at the concept.
    Alias,
    /// An ESCO alt label, or the preferred label without its "(qualifier)".
    Alt,
}

/// How well a key matches the typed text.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Match {
    /// The key is the text.
    Exact,
    /// The key starts with the text.
    Prefix,
    /// A later word of the label starts with the text.
    WordPrefix,
    /// The text occurs inside a word.
    Substring,
}

/// Number of ranking tiers: exact matches, then for each other kind of match
/// the preferred labels and aliases, then the alt labels.
const TIERS: usize = 7;

/// Tiers before this one hold the matches that later entries cannot outrank.
const FIRST_OPEN_TIER: usize = 2;

/// The ranking tier of a match (lower ranks first).
fn tier(kind: Match, source: Source) -> usize {
    let alt = usize::from(source == Source::Alt);
    match kind {
        Match::Exact => 0,
        Match::Prefix => 1 + alt,
        Match::WordPrefix => 3 + alt,
        Match::Substring => 5 + alt,
    }
}

/// One folded label of one concept.
#[derive(Debug)]
pub(super) struct Entry {
    key: String,
    /// [`byte_summary`] of the key.
    bytes: u64,
    word_starts: Vec<usize>,
    source: Source,
    concept: usize,
}

impl Entry {
    /// An entry for `concept` (an index into the taxonomy's concepts).
    pub(super) fn new(
        (key, word_starts): (String, Vec<usize>),
        source: Source,
        concept: usize,
    ) -> Self {
        let bytes = byte_summary(&key);
        Self {
            key,
            bytes,
            word_starts,
            source,
            concept,
        }
    }

    fn match_kind(&self, query: &str, query_bytes: u64) -> Option<Match> {
        if self.bytes & query_bytes != query_bytes {
            return None;
        }
        if self.key.starts_with(query) {
            return Some(if self.key.len() == query.len() {
                Match::Exact
            } else {
                Match::Prefix
            });
        }
        let mut positions = self.key.match_indices(query).map(|(at, _)| at).peekable();
        positions.peek()?;
        match positions.any(|at| self.word_starts.contains(&at)) {
            true => Some(Match::WordPrefix),
            false => Some(Match::Substring),
        }
    }

    /// Rank order within a tier: shorter key, then source, then alphabetical.
    fn rank_cmp(&self, other: &Self) -> Ordering {
        (self.key.len(), self.source, &self.key, self.concept).cmp(&(
            other.key.len(),
            other.source,
            &other.key,
            other.concept,
        ))
    }
}

/// A summary of the bytes in `text`, one bit per byte value modulo 64: a
/// query can only occur in a key whose summary includes the query's, which
/// rules out most keys without searching them.
fn byte_summary(text: &str) -> u64 {
    text.bytes()
        .fold(0, |summary, byte| summary | 1 << (byte % 64))
}

/// Every label of every concept, sorted in rank order once at load time so
/// that a query is a single pass with no sorting.
#[derive(Debug)]
pub(super) struct SuggestIndex {
    entries: Vec<Entry>,
}

impl SuggestIndex {
    /// Builds the index; duplicate (key, concept) pairs keep their best source.
    pub(super) fn new(mut entries: Vec<Entry>) -> Self {
        entries.sort_by(|a, b| (&a.key, a.concept, a.source).cmp(&(&b.key, b.concept, b.source)));
        entries.dedup_by(|later, first| later.key == first.key && later.concept == first.concept);
        entries.sort_by(Entry::rank_cmp);
        Self { entries }
    }

    /// Up to `limit` distinct concept indices matching the folded `query`,
    /// best first: exact matches; then prefix, word-prefix and substring
    /// matches, each with preferred labels and aliases before alt labels;
    /// within a tier, in rank order.
    pub(super) fn rank(&self, query: &str, limit: usize, concept_count: usize) -> Vec<usize> {
        if query.is_empty() || limit == 0 {
            return Vec::new();
        }
        let mut tiers: [Vec<usize>; TIERS] = Default::default();
        let mut closed_hits = ConceptSet::new(concept_count);
        let query_bytes = byte_summary(query);
        // Keys shorter than the query cannot match; exact matches come first.
        let first = self
            .entries
            .partition_point(|entry| entry.key.len() < query.len());
        for entry in &self.entries[first..] {
            let Some(kind) = entry.match_kind(query, query_bytes) else {
                continue;
            };
            let tier = tier(kind, entry.source);
            tiers[tier].push(entry.concept);
            // Entries come in rank order, so once the closed tiers hold
            // `limit` concepts no later entry can make the cut.
            if tier < FIRST_OPEN_TIER
                && closed_hits.insert(entry.concept)
                && closed_hits.len == limit
            {
                break;
            }
        }
        let mut seen = ConceptSet::new(concept_count);
        tiers
            .into_iter()
            .flatten()
            .filter(|&concept| seen.insert(concept))
            .take(limit)
            .collect()
    }
}

/// A set of concept indices.
struct ConceptSet {
    members: Vec<bool>,
    len: usize,
}

impl ConceptSet {
    fn new(concept_count: usize) -> Self {
        Self {
            members: vec![false; concept_count],
            len: 0,
        }
    }

    /// Adds `concept`; true if it was not already present.
    fn insert(&mut self, concept: usize) -> bool {
        let added = !std::mem::replace(&mut self.members[concept], true);
        self.len += usize::from(added);
        added
    }
}
