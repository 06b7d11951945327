//! The lookup structures built once from the parsed rows: what each folded
//! key names, the curated names, the broader links between concepts, and
//! the candidates for suggestions.

use std::collections::HashMap;

use super::folding::{fold, fold_with_word_starts};
use super::parse::{ConceptRow, NameRow, TaxonomyError};
use super::suggest::{Candidate, Class};

/// What a folded key names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// The concept itself: its preferred label, that label without its
    /// trailing "(qualifier)", or a curated synonym ("js").
    Concept(usize),
    /// A curated skill of its own (React, HTML), perhaps linked to a
    /// concept.
    Name(usize),
    /// An ESCO alt label: a skill narrower than the concept (Lua under
    /// "computer programming"), found by its own name, linked to the
    /// concept.
    Narrow(usize),
}

/// A curated skill of its own.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) struct Name {
    pub name: String,
    pub concept: Option<usize>,
}

#[derive(Debug)]
pub(super) struct Index {
    pub keys: HashMap<String, Target>,
    pub names: Vec<Name>,
    /// Each concept's broader concepts.
    pub broader: Vec<Vec<usize>>,
    pub candidates: Vec<Candidate>,
}

impl Index {
    pub(super) fn build(rows: &[ConceptRow], names: &[NameRow]) -> Result<Self, TaxonomyError> {
        let mut builder = Builder::default();
        builder.add_preferred_labels(rows)?;
        builder.add_names(rows, names)?;
        builder.add_short_labels(rows);
        builder.add_alt_labels(rows);
        Ok(Index {
            keys: builder.keys,
            names: builder.names,
            broader: broader_links(rows)?,
            candidates: builder.candidates,
        })
    }
}

/// Each row's broader concepts, as indices into the rows.
fn broader_links(rows: &[ConceptRow]) -> Result<Vec<Vec<usize>>, TaxonomyError> {
    let by_uuid: HashMap<&str, usize> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| (row.uuid.as_str(), i))
        .collect();
    rows.iter()
        .map(|row| {
            row.broader
                .iter()
                .map(|uuid| {
                    by_uuid.get(uuid.as_str()).copied().ok_or_else(|| {
                        TaxonomyError::UnknownBroader {
                            line: row.line,
                            uuid: uuid.clone(),
                        }
                    })
                })
                .collect()
        })
        .collect()
}

#[derive(Default)]
struct Builder {
    keys: HashMap<String, Target>,
    /// Keys that are preferred labels (an alias may not take one).
    preferred: HashMap<String, usize>,
    names: Vec<Name>,
    candidates: Vec<Candidate>,
}

impl Builder {
    fn add_preferred_labels(&mut self, rows: &[ConceptRow]) -> Result<(), TaxonomyError> {
        for (concept, row) in rows.iter().enumerate() {
            let folded = fold_with_word_starts(&row.label);
            let key = folded.0.clone();
            if key.is_empty() {
                return Err(TaxonomyError::EmptyLabel { line: row.line });
            }
            if self
                .keys
                .insert(key.clone(), Target::Concept(concept))
                .is_some()
            {
                let label = row.label.clone();
                return Err(TaxonomyError::DuplicateLabel {
                    line: row.line,
                    label,
                });
            }
            self.preferred.insert(key, concept);
            let label = row.label.clone();
            self.candidates.push(Candidate::new(
                folded,
                label,
                Class::Preferred,
                Some(concept),
            ));
        }
        Ok(())
    }

    fn add_names(&mut self, rows: &[ConceptRow], names: &[NameRow]) -> Result<(), TaxonomyError> {
        for row in names {
            let line = row.line;
            let (alias_key, name_key) = (fold(&row.alias), fold(&row.name));
            if alias_key.is_empty() || name_key.is_empty() {
                return Err(TaxonomyError::EmptyName { line });
            }
            let concept = match &row.concept {
                None => None,
                Some(label) => {
                    Some(self.preferred.get(&fold(label)).copied().ok_or_else(|| {
                        TaxonomyError::UnknownConcept {
                            line,
                            concept: label.clone(),
                        }
                    })?)
                }
            };
            let target = match concept {
                Some(c) if rows[c].label == row.name => Target::Concept(c),
                _ => Target::Name(self.name_index(row, concept)?),
            };
            for key in [alias_key, name_key] {
                match (self.keys.get(&key), self.preferred.get(&key)) {
                    (None, _) => {
                        self.keys.insert(key, target);
                    }
                    (Some(found), _) if *found == target => {}
                    (Some(_), Some(c)) => {
                        return Err(TaxonomyError::ShadowedAlias {
                            line,
                            alias: row.alias.clone(),
                            label: rows[*c].label.clone(),
                        });
                    }
                    (Some(_), None) => {
                        return Err(TaxonomyError::DuplicateAlias {
                            line,
                            alias: row.alias.clone(),
                        });
                    }
                }
            }
        }
        Ok(())
    }

    /// The index of the curated name of `row`, added (with its candidate
    /// for suggestions) the first time it is seen.
    fn name_index(
        &mut self,
        row: &NameRow,
        concept: Option<usize>,
    ) -> Result<usize, TaxonomyError> {
        if let Some(at) = self.names.iter().position(|n| n.name == row.name) {
            if self.names[at].concept != concept {
                let name = row.name.clone();
                return Err(TaxonomyError::ConflictingName {
                    line: row.line,
                    name,
                });
            }
            return Ok(at);
        }
        self.names.push(Name {
            name: row.name.clone(),
            concept,
        });
        let folded = fold_with_word_starts(&row.name);
        self.candidates.push(Candidate::new(
            folded,
            row.name.clone(),
            Class::Curated,
            concept,
        ));
        Ok(self.names.len() - 1)
    }

    /// A preferred label without its trailing "(qualifier)" names the
    /// concept too ("Python" for "Python (computer programming)").
    fn add_short_labels(&mut self, rows: &[ConceptRow]) {
        for (concept, row) in rows.iter().enumerate() {
            if let Some(short) = short_label(&row.label) {
                self.keys
                    .entry(fold(short))
                    .or_insert(Target::Concept(concept));
            }
        }
    }

    /// Alt labels not already taken name narrower skills; a label several
    /// concepts share goes to the most specific: the one with the fewest
    /// alt labels, then the shortest preferred label, then the first.
    fn add_alt_labels(&mut self, rows: &[ConceptRow]) {
        let mut order: Vec<usize> = (0..rows.len()).collect();
        order.sort_by_key(|&c| (rows[c].alt_labels.len(), fold(&rows[c].label).len(), c));
        for concept in order {
            for alt in &rows[concept].alt_labels {
                let folded = fold_with_word_starts(alt);
                if folded.0.is_empty() || self.keys.contains_key(&folded.0) {
                    continue;
                }
                self.keys.insert(folded.0.clone(), Target::Narrow(concept));
                self.candidates.push(Candidate::new(
                    folded,
                    alt.clone(),
                    Class::Alt,
                    Some(concept),
                ));
            }
        }
    }
}

/// The label without a trailing "(qualifier)", if it has one.
fn short_label(label: &str) -> Option<&str> {
    let open = label.rfind(" (")?;
    label
        .ends_with(')')
        .then(|| label[..open].trim())
        .filter(|s| !s.is_empty())
}
