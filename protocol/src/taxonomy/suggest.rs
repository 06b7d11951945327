//! Suggestions for a partly typed skill name: only real matches, ranked.
//!
//! Every preferred label, curated name and alt label is a candidate,
//! compared by folded key. Tiers, best first:
//!
//! 1. exact: the key is the folded input;
//! 2. prefix: the key starts with it ("pyth" → Python);
//! 3. word prefix: a later word of the label starts with it ("manag" →
//!    "ICT project management");
//! 4. close spelling: for inputs of four characters or more, a preferred
//!    label or curated name one edit away (two from eight characters):
//!    "javscript" → JavaScript.
//!
//! Nothing that merely contains the input is suggested ("react" does not
//! bring "interact"). Within a tier, preferred labels and curated names
//! come before alt labels, then shorter keys, then alphabetical order; a
//! label is suggested once.

/// What kind of label a candidate is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Class {
    Preferred,
    Curated,
    Alt,
}

/// One label that may be suggested.
#[derive(Debug, Clone)]
pub(super) struct Candidate {
    key: String,
    word_starts: Vec<usize>,
    pub label: String,
    class: Class,
    pub concept: Option<usize>,
}

impl Candidate {
    pub(super) fn new(
        (key, word_starts): (String, Vec<usize>),
        label: String,
        class: Class,
        concept: Option<usize>,
    ) -> Self {
        Candidate {
            key,
            word_starts,
            label,
            class,
            concept,
        }
    }

    /// The tier this candidate is in for `input` (folded), if any.
    fn tier(&self, input: &str) -> Option<u8> {
        if self.key == input {
            return Some(0);
        }
        if self.key.starts_with(input) {
            return Some(1);
        }
        let word = self.word_starts.iter().any(|&at| {
            self.key
                .get(at..)
                .is_some_and(|rest| rest.starts_with(input))
        });
        if word {
            return Some(2);
        }
        let allowed = match input.chars().count() {
            0..=3 => 0,
            4..=7 => 1,
            _ => 2,
        };
        let close = allowed > 0
            && self.class != Class::Alt
            && self.key.chars().count().abs_diff(input.chars().count()) <= allowed
            && edit_distance(&self.key, input) <= allowed;
        close.then_some(3)
    }
}

/// The best `limit` candidates for `input` (already folded), best first.
pub(super) fn rank<'a>(
    candidates: &'a [Candidate],
    input: &str,
    limit: usize,
) -> Vec<&'a Candidate> {
    if input.is_empty() || limit == 0 {
        return Vec::new();
    }
    let mut found: Vec<(u8, &Candidate)> = candidates
        .iter()
        .filter_map(|c| c.tier(input).map(|tier| (tier, c)))
        .collect();
    found.sort_by(|(ta, a), (tb, b)| {
        (ta, a.class, a.key.len(), &a.key).cmp(&(tb, b.class, b.key.len(), &b.key))
    });
    let mut seen = std::collections::HashSet::new();
    found
        .into_iter()
        .map(|(_, c)| c)
        .filter(|c| seen.insert(c.label.to_lowercase()))
        .take(limit)
        .collect()
}

/// Levenshtein distance between two short strings, by characters.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diagonal = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let above = row[j + 1];
            row[j + 1] = (above + 1)
                .min(row[j] + 1)
                .min(diagonal + usize::from(ca != *cb));
            diagonal = above;
        }
    }
    row[b.len()]
}

#[cfg(test)]
mod tests {
    #[test]
    fn edit_distance_counts_single_changes() {
        assert_eq!(super::edit_distance("javascript", "javscript"), 1);
        assert_eq!(super::edit_distance("kitten", "sitting"), 3);
        assert_eq!(super::edit_distance("", "abc"), 3);
    }
}
