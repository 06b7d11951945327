//! `Contract`: an opportunity a member found or imported (a tender, a lead).

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked, Problem, fail};
use super::validated;
use crate::time::{Day, Timestamp};

/// Where a contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum ContractStatus {
    /// Accepting responses.
    Open,
    /// No longer accepting responses.
    Closed,
    /// Awarded to a supplier.
    Awarded,
}

/// An amount in whole units of a currency.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Money {
    /// Whole units (pounds, euros), at most 10^15.
    pub amount: u64,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// A span of calendar days, both ends included.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Period {
    /// First day.
    pub start: Day,
    /// Last day, on or after `start`.
    pub end: Day,
}

/// The plain fields of a [`Contract`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractFields {
    /// Title, 1–300 characters.
    pub title: String,
    /// The buying organisation, 1–200 characters.
    pub buyer: String,
    /// What is wanted, up to 20,000 characters; line breaks allowed.
    pub description: String,
    /// Skill names required (normalised); at most 50.
    pub required_skills: Vec<String>,
    /// Estimated value.
    pub value: Option<Money>,
    /// When responses are due.
    pub deadline: Option<Timestamp>,
    /// When the work would happen.
    pub period: Option<Period>,
    /// Where the work is, up to 200 characters (may be empty).
    pub location: String,
    /// Where the full notice is published.
    pub source_url: Option<String>,
    /// The Open Contracting id, when imported from OCDS data (1–200 characters).
    pub ocid: Option<String>,
    /// Open, closed or awarded.
    pub status: ContractStatus,
}

impl ContractFields {
    pub(crate) fn check(&self) -> Checked {
        fields::name("title", &self.title, 1, 300)?;
        fields::name("buyer", &self.buyer, 1, 200)?;
        fields::prose("description", &self.description, 20_000)?;
        fields::labels("required_skills", &self.required_skills, 50, 100)?;
        if let Some(value) = &self.value {
            fields::within("value.amount", value.amount, 0, 1_000_000_000_000_000)?;
            fields::currency("value.currency", &value.currency)?;
        }
        if let Some(period) = &self.period
            && period.end < period.start
        {
            let problem = Problem::Malformed("on or after period.start");
            return Err(fail("period.end", problem));
        }
        fields::line("location", &self.location, 0, 200)?;
        if let Some(url) = &self.source_url {
            fields::url("source_url", url)?;
        }
        if let Some(ocid) = &self.ocid {
            fields::line("ocid", ocid, 1, 200)?;
        }
        Ok(())
    }
}

validated! {
    /// An opportunity: the key is chosen by the author (e.g. a slug or ocid).
    Contract(ContractFields)
}
