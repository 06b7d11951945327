//! `Capacity`: when a co-op has people free, how many days, at what rate.

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked, Problem, fail};
use super::validated;
use crate::time::Day;

/// Where the work can happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub enum WorkMode {
    /// Remote only.
    Remote,
    /// At the client's site.
    OnSite,
    /// Either, or a mix.
    Hybrid,
}

/// A band of day rates, in whole units of `currency`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct RateBand {
    /// Lowest day rate, at most 100,000.
    pub min: u32,
    /// Highest day rate, at least `min`, at most 100,000.
    pub max: u32,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// A period in which the co-op has spare capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapacityWindow {
    /// First day of the window.
    pub from: Day,
    /// Last day of the window (on or after `from`, at most 2 years later).
    pub to: Day,
    /// Person-days available in the window, 1–100,000.
    pub person_days: u32,
    /// Day-rate band.
    pub rate: RateBand,
    /// Remote, on site or hybrid.
    pub mode: WorkMode,
    /// Skill names offered in this window (normalised); at most 50.
    pub skills: Vec<String>,
}

/// The plain fields of a [`Capacity`] record.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct CapacityFields {
    /// The windows, at most 100.
    pub windows: Vec<CapacityWindow>,
}

impl CapacityFields {
    pub(crate) fn check(&self) -> Checked {
        fields::count("windows", &self.windows, 100)?;
        for (i, window) in self.windows.iter().enumerate() {
            window.check(&format!("windows[{i}]"))?;
        }
        Ok(())
    }
}

impl CapacityWindow {
    fn check(&self, path: &str) -> Checked {
        let span = self.from.span_inclusive(self.to);
        if !(1..=731).contains(&span) {
            let problem =
                Problem::Malformed("a window of 1 day to 2 years, `to` on or after `from`");
            return Err(fail(format!("{path}.to"), problem));
        }
        fields::within(
            &format!("{path}.person_days"),
            self.person_days.into(),
            1,
            100_000,
        )?;
        self.rate.check(&format!("{path}.rate"))?;
        fields::labels(&format!("{path}.skills"), &self.skills, 50, 100)
    }
}

impl RateBand {
    pub(crate) fn check(&self, path: &str) -> Checked {
        fields::within(&format!("{path}.max"), self.max.into(), 1, 100_000)?;
        fields::within(&format!("{path}.min"), self.min.into(), 0, self.max.into())?;
        fields::currency(&format!("{path}.currency"), &self.currency)
    }
}

validated! {
    /// A co-op's spare capacity: one per co-op, key empty.
    Capacity(CapacityFields)
}
