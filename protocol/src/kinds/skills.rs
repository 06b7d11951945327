//! `Skills`: what a co-op can do, at what level, with how many people.

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked, Problem, fail};
use super::validated;

/// How deep a skill runs in the co-op.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum SkillLevel {
    /// Can deliver with support.
    Working,
    /// Delivers independently.
    Proficient,
    /// Leads and teaches others.
    Expert,
}

/// One skill the co-op offers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillEntry {
    /// The name as the co-op writes it, 1–100 characters; what skill it
    /// is, is the taxonomy's to say (see [`crate::taxonomy`]).
    pub name: String,
    /// The ESCO concept URI the co-op links the skill to (publishing
    /// nodes link what [`Taxonomy::link`](crate::taxonomy::Taxonomy::link)
    /// recognises).
    pub concept: Option<String>,
    /// How deep the skill runs.
    pub level: SkillLevel,
    /// How many members have it, 1–10,000.
    pub headcount: u32,
}

/// The plain fields of a [`Skills`] record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct SkillsFields {
    /// The skills, at most 300, names unique ignoring case.
    pub entries: Vec<SkillEntry>,
}

/// The prefix every ESCO skill concept URI starts with.
pub const ESCO_SKILL_PREFIX: &str = "http://data.europa.eu/esco/skill/";

impl SkillsFields {
    pub(crate) fn check(&self) -> Checked {
        fields::count("entries", &self.entries, 300)?;
        let mut seen = std::collections::HashSet::new();
        for (i, entry) in self.entries.iter().enumerate() {
            entry.check(&format!("entries[{i}]"))?;
            if !seen.insert(entry.name.to_lowercase()) {
                return Err(fail(
                    format!("entries[{i}].name"),
                    Problem::Duplicate(entry.name.clone()),
                ));
            }
        }
        Ok(())
    }
}

impl SkillEntry {
    fn check(&self, path: &str) -> Checked {
        fields::name(&format!("{path}.name"), &self.name, 1, 100)?;
        if let Some(uri) = &self.concept {
            let field = format!("{path}.concept");
            fields::line(&field, uri, 1, 200)?;
            let id = uri.strip_prefix(ESCO_SKILL_PREFIX).unwrap_or_default();
            if id.is_empty() || !id.bytes().all(|b| b.is_ascii_hexdigit() || b == b'-') {
                return Err(fail(field, Problem::Malformed("an ESCO skill URI")));
            }
        }
        fields::within(
            &format!("{path}.headcount"),
            self.headcount.into(),
            1,
            10_000,
        )
    }
}

validated! {
    /// A co-op's skills: one per co-op, key empty.
    Skills(SkillsFields)
}
