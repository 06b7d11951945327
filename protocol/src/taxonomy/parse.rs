//! Parsing of the two TSV data files into rows, with line-numbered errors.

use thiserror::Error;

/// Why taxonomy data could not be loaded. Line numbers count from 1 and
/// include comment and blank lines.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaxonomyError {
    /// A concept line does not have exactly three tab-separated fields.
    #[error("concepts line {line}: expected 3 tab-separated fields, found {found}")]
    ConceptFields {
        /// Line number in the concepts file.
        line: usize,
        /// Number of fields found.
        found: usize,
    },
    /// A concept UUID is empty or has characters other than `0-9a-f-`.
    #[error("concepts line {line}: invalid concept UUID {uuid:?}")]
    InvalidUuid {
        /// Line number in the concepts file.
        line: usize,
        /// The offending UUID.
        uuid: String,
    },
    /// The same UUID appears on two lines.
    #[error("concepts line {line}: duplicate concept UUID {uuid:?}")]
    DuplicateUuid {
        /// Line number of the second occurrence.
        line: usize,
        /// The repeated UUID.
        uuid: String,
    },
    /// A preferred label folds to the empty string.
    #[error("concepts line {line}: empty preferred label")]
    EmptyLabel {
        /// Line number in the concepts file.
        line: usize,
    },
    /// Two preferred labels fold to the same key, so lookups would be ambiguous.
    #[error("concepts line {line}: preferred label {label:?} folds like another concept's")]
    DuplicateLabel {
        /// Line number of the later concept.
        line: usize,
        /// Its preferred label.
        label: String,
    },
    /// An alias line does not have exactly three tab-separated fields.
    #[error("aliases line {line}: expected 3 tab-separated fields, found {found}")]
    AliasFields {
        /// Line number in the aliases file.
        line: usize,
        /// Number of fields found.
        found: usize,
    },
    /// The third field of an alias line is neither `esco` nor `free`.
    #[error("aliases line {line}: unknown kind {kind:?} (expected \"esco\" or \"free\")")]
    UnknownAliasKind {
        /// Line number in the aliases file.
        line: usize,
        /// The offending kind.
        kind: String,
    },
    /// An alias or its target folds to the empty string.
    #[error("aliases line {line}: empty alias or target")]
    EmptyAlias {
        /// Line number in the aliases file.
        line: usize,
    },
    /// Two alias lines fold to the same key.
    #[error("aliases line {line}: duplicate alias {alias:?}")]
    DuplicateAlias {
        /// Line number of the second occurrence.
        line: usize,
        /// The repeated alias.
        alias: String,
    },
    /// An alias folds like a preferred label, which always wins: it would never apply.
    #[error("aliases line {line}: alias {alias:?} is shadowed by the preferred label {label:?}")]
    ShadowedAlias {
        /// Line number in the aliases file.
        line: usize,
        /// The alias.
        alias: String,
        /// The preferred label it folds like.
        label: String,
    },
    /// An `esco` alias names a target that is not exactly a preferred label.
    #[error("aliases line {line}: {target:?} is not the preferred label of any concept")]
    UnknownAliasTarget {
        /// Line number in the aliases file.
        line: usize,
        /// The target as written.
        target: String,
    },
    /// A `free` alias names a target that folds like a preferred label: mark it `esco`.
    #[error("aliases line {line}: free target {target:?} is an ESCO concept ({label:?})")]
    FreeTargetIsConcept {
        /// Line number in the aliases file.
        line: usize,
        /// The target as written.
        target: String,
        /// The preferred label it folds like.
        label: String,
    },
}

/// One line of the concepts file.
#[derive(Debug)]
pub(super) struct ConceptRow {
    pub line: usize,
    pub uuid: String,
    pub label: String,
    pub alt_labels: Vec<String>,
}

/// What an alias points at.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum AliasKind {
    /// The exact preferred label of a concept.
    Esco,
    /// A display name for a skill ESCO lacks.
    Free,
}

/// One line of the aliases file.
#[derive(Debug)]
pub(super) struct AliasRow {
    pub line: usize,
    pub alias: String,
    pub target: String,
    pub kind: AliasKind,
}

/// Parses the concepts file into rows sorted by UUID, rejecting duplicate UUIDs.
pub(super) fn concepts(text: &str) -> Result<Vec<ConceptRow>, TaxonomyError> {
    let mut rows = data_lines(text)
        .map(|(line, content)| concept_row(line, content))
        .collect::<Result<Vec<_>, _>>()?;
    rows.sort_by(|a, b| a.uuid.cmp(&b.uuid).then(a.line.cmp(&b.line)));
    if let Some(pair) = rows.windows(2).find(|pair| pair[0].uuid == pair[1].uuid) {
        let uuid = pair[1].uuid.clone();
        return Err(TaxonomyError::DuplicateUuid {
            line: pair[1].line,
            uuid,
        });
    }
    Ok(rows)
}

/// Parses the aliases file into rows in file order.
pub(super) fn aliases(text: &str) -> Result<Vec<AliasRow>, TaxonomyError> {
    data_lines(text)
        .map(|(line, content)| alias_row(line, content))
        .collect()
}

/// Non-blank, non-comment lines with their 1-based line numbers.
fn data_lines(text: &str) -> impl Iterator<Item = (usize, &str)> {
    text.lines()
        .enumerate()
        .map(|(index, content)| (index + 1, content))
        .filter(|(_, content)| !content.trim().is_empty() && !content.starts_with('#'))
}

fn concept_row(line: usize, content: &str) -> Result<ConceptRow, TaxonomyError> {
    let [uuid, label, alts] =
        fields(content).map_err(|found| TaxonomyError::ConceptFields { line, found })?;
    if uuid.is_empty()
        || !uuid
            .chars()
            .all(|c| matches!(c, '0'..='9' | 'a'..='f' | '-'))
    {
        let uuid = uuid.to_owned();
        return Err(TaxonomyError::InvalidUuid { line, uuid });
    }
    let alt_labels = alts
        .split('|')
        .map(str::trim)
        .filter(|alt| !alt.is_empty())
        .map(str::to_owned)
        .collect();
    Ok(ConceptRow {
        line,
        uuid: uuid.to_owned(),
        label: label.trim().to_owned(),
        alt_labels,
    })
}

fn alias_row(line: usize, content: &str) -> Result<AliasRow, TaxonomyError> {
    let [alias, target, kind] =
        fields(content).map_err(|found| TaxonomyError::AliasFields { line, found })?;
    let kind = match kind.trim() {
        "esco" => AliasKind::Esco,
        "free" => AliasKind::Free,
        other => {
            let kind = other.to_owned();
            return Err(TaxonomyError::UnknownAliasKind { line, kind });
        }
    };
    let (alias, target) = (alias.trim().to_owned(), target.trim().to_owned());
    Ok(AliasRow {
        line,
        alias,
        target,
        kind,
    })
}

/// Splits a line into exactly three tab-separated fields, or returns the count found.
fn fields(content: &str) -> Result<[&str; 3], usize> {
    let parts: Vec<&str> = content.split('\t').collect();
    <[&str; 3]>::try_from(parts).map_err(|parts| parts.len())
}
