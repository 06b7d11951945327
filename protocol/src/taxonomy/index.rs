//! Building the lookup table (folded key → concept or free name) with its
//! precedence rules, and the suggestion entries, from parsed rows.

use std::collections::HashMap;

use super::folding::{fold, fold_with_word_starts};
use super::parse::{AliasKind, AliasRow, ConceptRow, TaxonomyError};
use super::suggest::{Entry, Source, SuggestIndex};

/// What a folded key resolves to.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Target {
    /// An index into the taxonomy's concepts.
    Concept(usize),
    /// An index into the taxonomy's free names.
    Free(usize),
}

/// The lookup table and suggestion index of a taxonomy.
#[derive(Debug)]
pub(super) struct Index {
    pub keys: HashMap<String, Target>,
    pub free_names: Vec<String>,
    pub suggestions: SuggestIndex,
}

impl Index {
    /// Builds the index from concept rows (sorted by UUID, so a row's position
    /// is its concept index) and alias rows, in precedence order.
    pub(super) fn build(rows: &[ConceptRow], aliases: &[AliasRow]) -> Result<Self, TaxonomyError> {
        let mut builder = Builder::default();
        builder.add_preferred_labels(rows)?;
        builder.add_aliases(rows, aliases)?;
        builder.add_alt_labels(rows);
        Ok(Index {
            keys: builder
                .keys
                .into_iter()
                .map(|(key, (target, _))| (key, target))
                .collect(),
            free_names: builder.free_names,
            suggestions: SuggestIndex::new(builder.entries),
        })
    }
}

#[derive(Default)]
struct Builder {
    keys: HashMap<String, (Target, Source)>,
    free_names: Vec<String>,
    entries: Vec<Entry>,
    preferred_key_lengths: Vec<usize>,
}

impl Builder {
    fn add_preferred_labels(&mut self, rows: &[ConceptRow]) -> Result<(), TaxonomyError> {
        for (concept, row) in rows.iter().enumerate() {
            let folded = fold_with_word_starts(&row.label);
            let key = folded.0.clone();
            if key.is_empty() {
                return Err(TaxonomyError::EmptyLabel { line: row.line });
            }
            if self.keys.contains_key(&key) {
                let label = row.label.clone();
                return Err(TaxonomyError::DuplicateLabel {
                    line: row.line,
                    label,
                });
            }
            self.preferred_key_lengths.push(key.len());
            self.keys
                .insert(key, (Target::Concept(concept), Source::Preferred));
            self.entries
                .push(Entry::new(folded, Source::Preferred, concept));
        }
        Ok(())
    }

    /// Adds the explicit aliases, then each free name as an alias of itself
    /// unless that key is already taken.
    fn add_aliases(
        &mut self,
        rows: &[ConceptRow],
        aliases: &[AliasRow],
    ) -> Result<(), TaxonomyError> {
        for alias in aliases {
            let folded = fold_with_word_starts(&alias.alias);
            let key = folded.0.clone();
            self.check_alias_key(rows, alias, &key)?;
            let target = self.alias_target(rows, alias)?;
            if let Target::Concept(concept) = target {
                self.entries
                    .push(Entry::new(folded, Source::Alias, concept));
            }
            self.keys.insert(key, (target, Source::Alias));
        }
        for (free, name) in self.free_names.iter().enumerate() {
            self.keys
                .entry(fold(name))
                .or_insert((Target::Free(free), Source::Alias));
        }
        Ok(())
    }

    fn check_alias_key(
        &self,
        rows: &[ConceptRow],
        alias: &AliasRow,
        key: &str,
    ) -> Result<(), TaxonomyError> {
        let line = alias.line;
        if key.is_empty() {
            return Err(TaxonomyError::EmptyAlias { line });
        }
        match self.keys.get(key) {
            None => Ok(()),
            Some((Target::Concept(concept), Source::Preferred)) => {
                Err(TaxonomyError::ShadowedAlias {
                    line,
                    alias: alias.alias.clone(),
                    label: rows[*concept].label.clone(),
                })
            }
            Some(_) => Err(TaxonomyError::DuplicateAlias {
                line,
                alias: alias.alias.clone(),
            }),
        }
    }

    fn alias_target(
        &mut self,
        rows: &[ConceptRow],
        alias: &AliasRow,
    ) -> Result<Target, TaxonomyError> {
        let (line, target) = (alias.line, alias.target.clone());
        let key = fold(&alias.target);
        if key.is_empty() {
            return Err(TaxonomyError::EmptyAlias { line });
        }
        let concept = match self.keys.get(&key) {
            Some((Target::Concept(concept), Source::Preferred)) => Some(*concept),
            _ => None,
        };
        match (alias.kind, concept) {
            (AliasKind::Esco, Some(concept)) if rows[concept].label == target => {
                Ok(Target::Concept(concept))
            }
            (AliasKind::Esco, _) => Err(TaxonomyError::UnknownAliasTarget { line, target }),
            (AliasKind::Free, Some(concept)) => {
                let label = rows[concept].label.clone();
                Err(TaxonomyError::FreeTargetIsConcept {
                    line,
                    target,
                    label,
                })
            }
            (AliasKind::Free, None) => Ok(Target::Free(self.free_name_index(target))),
        }
    }

    fn free_name_index(&mut self, name: String) -> usize {
        if let Some(index) = self.free_names.iter().position(|known| *known == name) {
            return index;
        }
        self.free_names.push(name);
        self.free_names.len() - 1
    }

    /// Adds alt labels (and preferred labels without their "(qualifier)").
    /// A key not already taken goes to the most specific concept that has it.
    fn add_alt_labels(&mut self, rows: &[ConceptRow]) {
        let mut candidates: HashMap<String, Vec<usize>> = HashMap::new();
        for (concept, row) in rows.iter().enumerate() {
            let unqualified = without_qualifier(&row.label);
            for label in row.alt_labels.iter().map(String::as_str).chain(unqualified) {
                let folded = fold_with_word_starts(label);
                if folded.0.is_empty() {
                    continue;
                }
                if !self.keys.contains_key(&folded.0) {
                    candidates
                        .entry(folded.0.clone())
                        .or_default()
                        .push(concept);
                }
                self.entries.push(Entry::new(folded, Source::Alt, concept));
            }
        }
        for (key, concepts) in candidates {
            let most_specific = concepts.into_iter().min_by_key(|&concept| {
                (
                    rows[concept].alt_labels.len(),
                    self.preferred_key_lengths[concept],
                    concept,
                )
            });
            if let Some(concept) = most_specific {
                self.keys
                    .insert(key, (Target::Concept(concept), Source::Alt));
            }
        }
    }
}

/// "Python (computer programming)" → "Python"; `None` if there is no qualifier.
fn without_qualifier(label: &str) -> Option<&str> {
    let open = label.strip_suffix(')')?.rfind(" (")?;
    Some(label[..open].trim_end()).filter(|base| !base.is_empty())
}
