//! Parsing of the two TSV data files into rows, with line-numbered errors.

use thiserror::Error;

/// Why the taxonomy data could not be loaded.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TaxonomyError {
    /// A concepts line does not have its four tab-separated fields.
    #[error("concepts line {line}: expected 4 tab-separated fields, found {found}")]
    ConceptFields {
        /// The line number.
        line: usize,
        /// How many fields it has.
        found: usize,
    },
    /// A concept UUID is empty or not lowercase hex and dashes.
    #[error("concepts line {line}: invalid concept UUID {uuid:?}")]
    InvalidUuid {
        /// The line number.
        line: usize,
        /// The UUID as written.
        uuid: String,
    },
    /// Two lines have the same concept UUID.
    #[error("concepts line {line}: duplicate concept UUID {uuid:?}")]
    DuplicateUuid {
        /// The line number of the second.
        line: usize,
        /// The UUID.
        uuid: String,
    },
    /// A broader concept is not in the file.
    #[error("concepts line {line}: broader concept {uuid:?} is not in the file")]
    UnknownBroader {
        /// The line number.
        line: usize,
        /// The broader UUID.
        uuid: String,
    },
    /// A preferred label folds to nothing.
    #[error("concepts line {line}: empty preferred label")]
    EmptyLabel {
        /// The line number.
        line: usize,
    },
    /// Two preferred labels fold to the same key.
    #[error("concepts line {line}: preferred label {label:?} folds like another concept's")]
    DuplicateLabel {
        /// The line number.
        line: usize,
        /// The label.
        label: String,
    },
    /// A names line does not have its three tab-separated fields.
    #[error("names line {line}: expected 3 tab-separated fields, found {found}")]
    NameFields {
        /// The line number.
        line: usize,
        /// How many fields it has.
        found: usize,
    },
    /// An alias or name folds to nothing.
    #[error("names line {line}: empty alias or name")]
    EmptyName {
        /// The line number.
        line: usize,
    },
    /// An alias is given twice, for different names.
    #[error("names line {line}: alias {alias:?} names two skills")]
    DuplicateAlias {
        /// The line number.
        line: usize,
        /// The alias.
        alias: String,
    },
    /// An alias folds like a concept's preferred label but means something else.
    #[error("names line {line}: alias {alias:?} is the preferred label {label:?}")]
    ShadowedAlias {
        /// The line number.
        line: usize,
        /// The alias.
        alias: String,
        /// The concept's label.
        label: String,
    },
    /// A name is linked to a concept the concepts file does not have.
    #[error("names line {line}: {concept:?} is not the preferred label of any concept")]
    UnknownConcept {
        /// The line number.
        line: usize,
        /// The concept as written.
        concept: String,
    },
    /// One name is linked to two different concepts.
    #[error("names line {line}: {name:?} is linked to two concepts")]
    ConflictingName {
        /// The line number.
        line: usize,
        /// The name.
        name: String,
    },
}

/// One line of the concepts file.
#[derive(Debug)]
pub(super) struct ConceptRow {
    pub line: usize,
    pub uuid: String,
    pub label: String,
    pub alt_labels: Vec<String>,
    pub broader: Vec<String>,
}

/// One line of the curated names file.
#[derive(Debug)]
pub(super) struct NameRow {
    pub line: usize,
    /// How people write it.
    pub alias: String,
    /// The skill it means.
    pub name: String,
    /// The linked concept's preferred label, if any.
    pub concept: Option<String>,
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

/// Parses the curated names file into rows in file order.
pub(super) fn names(text: &str) -> Result<Vec<NameRow>, TaxonomyError> {
    data_lines(text)
        .map(|(line, content)| name_row(line, content))
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
    let [uuid, label, alts, broader] =
        fields(content).map_err(|found| TaxonomyError::ConceptFields { line, found })?;
    if !is_uuid(uuid) {
        let uuid = uuid.to_owned();
        return Err(TaxonomyError::InvalidUuid { line, uuid });
    }
    Ok(ConceptRow {
        line,
        uuid: uuid.to_owned(),
        label: label.trim().to_owned(),
        alt_labels: split_list(alts),
        broader: split_list(broader),
    })
}

fn is_uuid(text: &str) -> bool {
    !text.is_empty()
        && text
            .chars()
            .all(|c| matches!(c, '0'..='9' | 'a'..='f' | '-'))
}

/// `a|b|c` as its non-empty, trimmed parts.
fn split_list(text: &str) -> Vec<String> {
    text.split('|')
        .map(str::trim)
        .filter(|part| !part.is_empty())
        .map(str::to_owned)
        .collect()
}

fn name_row(line: usize, content: &str) -> Result<NameRow, TaxonomyError> {
    let [alias, name, concept] =
        fields(content).map_err(|found| TaxonomyError::NameFields { line, found })?;
    let concept = match concept.trim() {
        "-" | "" => None,
        label => Some(label.to_owned()),
    };
    Ok(NameRow {
        line,
        alias: alias.trim().to_owned(),
        name: name.trim().to_owned(),
        concept,
    })
}

/// Splits a line into exactly `N` tab-separated fields, or returns the count found.
fn fields<const N: usize>(content: &str) -> Result<[&str; N], usize> {
    let parts: Vec<&str> = content.split('\t').collect();
    <[&str; N]>::try_from(parts).map_err(|parts| parts.len())
}
