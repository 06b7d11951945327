//! `Contract`: an opportunity a member found or imported (a tender, a
//! lead), kind 9; and `ContractV1`, kind 4, the first schema, whose value
//! was one amount in whole units. Nodes publish kind 9 and read both: a
//! [`ContractV1Fields`] converts to [`ContractFields`] without loss.

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

/// An amount in whole units of a currency (the value of a [`ContractV1`]).
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

/// Most a value may be, in hundredths: 10^15 whole units.
pub const MAX_VALUE_HUNDREDTHS: u64 = 100_000_000_000_000_000;

/// What a buyer expects a contract to be worth, in hundredths of the
/// currency's unit (pence, cents): an estimate, a range, or a minimum, as
/// OCDS publishes them (`tender.value`, `tender.minValue`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractValue {
    /// The estimated value (the top of a range), in hundredths.
    pub amount: Option<u64>,
    /// The least it may be, in hundredths, when the buyer gave a range or
    /// only a minimum.
    pub min: Option<u64>,
    /// ISO 4217 currency code.
    pub currency: String,
}

impl ContractValue {
    fn check(&self) -> Checked {
        if self.amount.is_none() && self.min.is_none() {
            return Err(fail(
                "value",
                Problem::Malformed("an amount, a minimum or both"),
            ));
        }
        for (field, hundredths) in [("value.amount", self.amount), ("value.min", self.min)] {
            if let Some(hundredths) = hundredths {
                fields::within(field, hundredths, 0, MAX_VALUE_HUNDREDTHS)?;
            }
        }
        if let (Some(min), Some(amount)) = (self.min, self.amount)
            && min > amount
        {
            return Err(fail(
                "value.min",
                Problem::Malformed("at most value.amount"),
            ));
        }
        fields::currency("value.currency", &self.currency)
    }
}

/// The plain fields of a [`Contract`] (kind 9).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractFields {
    /// Title, 1–300 characters.
    pub title: String,
    /// The buying organisation, 1–200 characters.
    pub buyer: String,
    /// What is wanted, up to 20,000 characters; line breaks allowed.
    pub description: String,
    /// Skill names required; at most 50.
    pub required_skills: Vec<String>,
    /// What the buyer expects it to be worth.
    pub value: Option<ContractValue>,
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
            value.check()?;
        }
        check_rest(
            self.period.as_ref(),
            &self.location,
            self.source_url.as_deref(),
            self.ocid.as_deref(),
        )
    }
}

/// The checks the two contract schemas share, after the value.
fn check_rest(
    period: Option<&Period>,
    location: &str,
    source_url: Option<&str>,
    ocid: Option<&str>,
) -> Checked {
    if let Some(period) = period
        && period.end < period.start
    {
        let problem = Problem::Malformed("on or after period.start");
        return Err(fail("period.end", problem));
    }
    fields::line("location", location, 0, 200)?;
    if let Some(url) = source_url {
        fields::url("source_url", url)?;
    }
    if let Some(ocid) = ocid {
        fields::line("ocid", ocid, 1, 200)?;
    }
    Ok(())
}

validated! {
    /// An opportunity: the key is chosen by the author (e.g. a slug or ocid).
    Contract(ContractFields)
}

/// The plain fields of a [`ContractV1`] (kind 4): as [`ContractFields`],
/// but the value is one amount in whole units.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct ContractV1Fields {
    /// Title, 1–300 characters.
    pub title: String,
    /// The buying organisation, 1–200 characters.
    pub buyer: String,
    /// What is wanted, up to 20,000 characters; line breaks allowed.
    pub description: String,
    /// Skill names required; at most 50.
    pub required_skills: Vec<String>,
    /// Estimated value, in whole units.
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

impl ContractV1Fields {
    pub(crate) fn check(&self) -> Checked {
        fields::name("title", &self.title, 1, 300)?;
        fields::name("buyer", &self.buyer, 1, 200)?;
        fields::prose("description", &self.description, 20_000)?;
        fields::labels("required_skills", &self.required_skills, 50, 100)?;
        if let Some(value) = &self.value {
            fields::within("value.amount", value.amount, 0, 1_000_000_000_000_000)?;
            fields::currency("value.currency", &value.currency)?;
        }
        check_rest(
            self.period.as_ref(),
            &self.location,
            self.source_url.as_deref(),
            self.ocid.as_deref(),
        )
    }
}

validated! {
    /// An opportunity in the first schema (kind 4): read, never published.
    ContractV1(ContractV1Fields)
}

impl From<ContractV1Fields> for ContractFields {
    /// The same contract in the current schema: the whole-unit amount as
    /// hundredths, no minimum.
    fn from(old: ContractV1Fields) -> Self {
        ContractFields {
            title: old.title,
            buyer: old.buyer,
            description: old.description,
            required_skills: old.required_skills,
            value: old.value.map(|money| ContractValue {
                amount: Some(money.amount * 100),
                min: None,
                currency: money.currency,
            }),
            deadline: old.deadline,
            period: old.period,
            location: old.location,
            source_url: old.source_url,
            ocid: old.ocid,
            status: old.status,
        }
    }
}

impl From<ContractV1> for Contract {
    fn from(old: ContractV1) -> Self {
        // A valid v1 converts to a valid v2: the same text, and 10^15 whole
        // units are 10^17 hundredths, the v2 limit.
        Contract::parse(ContractFields::from(old.into_fields()))
            .expect("a valid v1 contract is a valid contract")
    }
}
