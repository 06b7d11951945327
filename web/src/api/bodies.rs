//! The API's own JSON for what records say (profile, skills, capacity,
//! contract), converted to and from the protocol's `…Fields` at the edge,
//! so the API can name and shape its fields for scripts (and grow display
//! fields) without changing what is signed, and the signed schema can
//! change without breaking scripts.
//!
//! Money is in hundredths of the currency's unit (pence, cents), as
//! integers; dates are `YYYY-MM-DD`; instants are Unix milliseconds.

use coopnet_protocol::kinds::{
    CapacityFields, CapacityWindow, ContractFields, ContractStatus, ContractValue, Coordinates,
    Period, ProfileFields, RateBand, SkillEntry, SkillLevel, SkillsFields, WorkMode,
};
use coopnet_protocol::{Day, Timestamp};
use serde::{Deserialize, Serialize};

/// A co-op's profile.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ProfileJson {
    /// The co-op's name, 1–120 characters.
    pub name: String,
    /// One line about it, up to 300 characters.
    pub summary: String,
    /// What it does, up to 5,000 characters; line breaks allowed.
    pub description: String,
    /// Its website (http or https).
    pub website: Option<String>,
    /// Where it is based.
    pub region: String,
    /// ISO 3166-1 alpha-2 country code.
    pub country: String,
    /// Where it is, in degrees.
    pub coordinates: Option<CoordinatesJson>,
    /// Its legal form (e.g. "Co-operative Society").
    pub legal_form: String,
    /// How many members it has.
    pub member_count: u32,
    /// Where to write to it.
    pub contact_email: String,
    /// Languages it works in (BCP 47 tags).
    pub languages: Vec<String>,
    /// Free tags.
    pub tags: Vec<String>,
}

/// A place, in degrees (to six decimals).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CoordinatesJson {
    /// Degrees north (negative: south).
    pub latitude: f64,
    /// Degrees east (negative: west).
    pub longitude: f64,
}

/// A co-op's skills.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkillsJson {
    /// At most 300, names unique ignoring case.
    pub entries: Vec<SkillJson>,
}

/// One skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SkillJson {
    /// The name as the co-op writes it.
    pub name: String,
    /// The ESCO concept it is linked to (filled in from the name when the
    /// taxonomy knows it).
    #[serde(default)]
    pub concept: Option<String>,
    /// `working`, `proficient` or `expert`.
    pub level: LevelJson,
    /// How many members have it.
    pub headcount: u32,
}

/// How deep a skill runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum LevelJson {
    /// Can deliver with support.
    Working,
    /// Delivers independently.
    Proficient,
    /// Leads and teaches others.
    Expert,
}

/// A co-op's spare capacity.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CapacityJson {
    /// At most 100 windows.
    pub windows: Vec<WindowJson>,
}

/// Time a co-op has free, and at what day rate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct WindowJson {
    /// First day, `YYYY-MM-DD`.
    #[schema(value_type = String, example = "2027-01-04")]
    pub from: Day,
    /// Last day, `YYYY-MM-DD`, within 731 days of `from`.
    #[schema(value_type = String, example = "2027-03-26")]
    pub to: Day,
    /// Person-days free in all.
    pub person_days: u32,
    /// The lowest day rate, in whole units.
    pub rate_min: u32,
    /// The highest day rate, in whole units.
    pub rate_max: u32,
    /// The rates' ISO 4217 currency.
    pub currency: String,
    /// `remote`, `on-site` or `hybrid`.
    pub mode: ModeJson,
    /// The skills this time is for (empty: any).
    pub skills: Vec<String>,
}

/// Where the work can happen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ModeJson {
    /// Remote only.
    Remote,
    /// At the client's site.
    OnSite,
    /// Either, or a mix.
    Hybrid,
}

/// What a contract says.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ContractBody {
    /// Title, 1–300 characters.
    pub title: String,
    /// The buying organisation.
    pub buyer: String,
    /// What is wanted; line breaks allowed.
    #[serde(default)]
    pub description: String,
    /// Skills it needs.
    #[serde(default)]
    pub required_skills: Vec<String>,
    /// What the buyer expects it to be worth.
    #[serde(default)]
    pub value: Option<ValueJson>,
    /// When responses are due, Unix milliseconds.
    #[serde(default)]
    pub deadline: Option<u64>,
    /// First day of the work, `YYYY-MM-DD` (with `ends`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub starts: Option<Day>,
    /// Last day of the work, `YYYY-MM-DD` (with `starts`).
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub ends: Option<Day>,
    /// Where the work is.
    #[serde(default)]
    pub location: String,
    /// Where the full notice is published.
    #[serde(default)]
    pub source_url: Option<String>,
    /// The Open Contracting id, when imported from OCDS.
    #[serde(default)]
    pub ocid: Option<String>,
    /// `open` (default), `closed` or `awarded`.
    #[serde(default = "open")]
    pub status: StatusJson,
}

fn open() -> StatusJson {
    StatusJson::Open
}

/// A contract's value in hundredths of its currency's unit (pence, cents):
/// `amount` alone an estimate, with `min` a range, `min` alone a minimum.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ValueJson {
    /// The estimate (the top of a range), in hundredths.
    #[serde(default)]
    pub amount: Option<u64>,
    /// The least it may be, in hundredths.
    #[serde(default)]
    pub min: Option<u64>,
    /// ISO 4217 currency code.
    pub currency: String,
}

/// Where a contract stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "lowercase")]
pub enum StatusJson {
    /// Accepting responses.
    Open,
    /// No longer accepting responses.
    Closed,
    /// Awarded to a supplier.
    Awarded,
}

/// Degrees and the millionths of a degree the protocol keeps.
const MICRO: f64 = 1_000_000.0;

impl From<ProfileFields> for ProfileJson {
    fn from(p: ProfileFields) -> Self {
        ProfileJson {
            name: p.name,
            summary: p.summary,
            description: p.description,
            website: p.website,
            region: p.region,
            country: p.country,
            coordinates: p.coordinates.map(|c| CoordinatesJson {
                latitude: f64::from(c.latitude_e6) / MICRO,
                longitude: f64::from(c.longitude_e6) / MICRO,
            }),
            legal_form: p.legal_form,
            member_count: p.member_count,
            contact_email: p.contact_email,
            languages: p.languages,
            tags: p.tags,
        }
    }
}

impl From<ProfileJson> for ProfileFields {
    /// Coordinates out of range become out-of-range millionths, which the
    /// protocol's checks refuse, naming the field.
    fn from(p: ProfileJson) -> Self {
        let micro = |degrees: f64| (degrees * MICRO).round().clamp(-2e9, 2e9) as i32;
        ProfileFields {
            name: p.name,
            summary: p.summary,
            description: p.description,
            website: p.website,
            region: p.region,
            country: p.country,
            coordinates: p.coordinates.map(|c| Coordinates {
                latitude_e6: micro(c.latitude),
                longitude_e6: micro(c.longitude),
            }),
            legal_form: p.legal_form,
            member_count: p.member_count,
            contact_email: p.contact_email,
            languages: p.languages,
            tags: p.tags,
        }
    }
}

impl From<SkillsFields> for SkillsJson {
    fn from(s: SkillsFields) -> Self {
        let entries = s
            .entries
            .into_iter()
            .map(|e| SkillJson {
                name: e.name,
                concept: e.concept,
                level: match e.level {
                    SkillLevel::Working => LevelJson::Working,
                    SkillLevel::Proficient => LevelJson::Proficient,
                    SkillLevel::Expert => LevelJson::Expert,
                },
                headcount: e.headcount,
            })
            .collect();
        SkillsJson { entries }
    }
}

impl From<SkillsJson> for SkillsFields {
    fn from(s: SkillsJson) -> Self {
        let entries = s
            .entries
            .into_iter()
            .map(|e| SkillEntry {
                name: e.name,
                concept: e.concept,
                level: match e.level {
                    LevelJson::Working => SkillLevel::Working,
                    LevelJson::Proficient => SkillLevel::Proficient,
                    LevelJson::Expert => SkillLevel::Expert,
                },
                headcount: e.headcount,
            })
            .collect();
        SkillsFields { entries }
    }
}

impl From<CapacityFields> for CapacityJson {
    fn from(c: CapacityFields) -> Self {
        let windows = c
            .windows
            .into_iter()
            .map(|w| WindowJson {
                from: w.from,
                to: w.to,
                person_days: w.person_days,
                rate_min: w.rate.min,
                rate_max: w.rate.max,
                currency: w.rate.currency,
                mode: match w.mode {
                    WorkMode::Remote => ModeJson::Remote,
                    WorkMode::OnSite => ModeJson::OnSite,
                    WorkMode::Hybrid => ModeJson::Hybrid,
                },
                skills: w.skills,
            })
            .collect();
        CapacityJson { windows }
    }
}

impl From<CapacityJson> for CapacityFields {
    fn from(c: CapacityJson) -> Self {
        let windows = c
            .windows
            .into_iter()
            .map(|w| CapacityWindow {
                from: w.from,
                to: w.to,
                person_days: w.person_days,
                rate: RateBand {
                    min: w.rate_min,
                    max: w.rate_max,
                    currency: w.currency,
                },
                mode: match w.mode {
                    ModeJson::Remote => WorkMode::Remote,
                    ModeJson::OnSite => WorkMode::OnSite,
                    ModeJson::Hybrid => WorkMode::Hybrid,
                },
                skills: w.skills,
            })
            .collect();
        CapacityFields { windows }
    }
}

impl From<ContractFields> for ContractBody {
    fn from(c: ContractFields) -> Self {
        ContractBody {
            title: c.title,
            buyer: c.buyer,
            description: c.description,
            required_skills: c.required_skills,
            value: c.value.map(|v| ValueJson {
                amount: v.amount,
                min: v.min,
                currency: v.currency,
            }),
            deadline: c.deadline.map(|t| t.0),
            starts: c.period.as_ref().map(|p| p.start),
            ends: c.period.as_ref().map(|p| p.end),
            location: c.location,
            source_url: c.source_url,
            ocid: c.ocid,
            status: match c.status {
                ContractStatus::Open => StatusJson::Open,
                ContractStatus::Closed => StatusJson::Closed,
                ContractStatus::Awarded => StatusJson::Awarded,
            },
        }
    }
}

impl TryFrom<ContractBody> for ContractFields {
    type Error = crate::error::Failure;

    /// Fails (naming the field) when only one end of the work is given.
    fn try_from(c: ContractBody) -> Result<Self, Self::Error> {
        let period = match (c.starts, c.ends) {
            (Some(start), Some(end)) => Some(Period { start, end }),
            (None, None) => None,
            (Some(_), None) => {
                let why = "give the last day of the work too (or neither starts nor ends)";
                return Err(crate::error::Failure::invalid("ends", why));
            }
            (None, Some(_)) => {
                let why = "give the first day of the work too (or neither starts nor ends)";
                return Err(crate::error::Failure::invalid("starts", why));
            }
        };
        Ok(ContractFields {
            title: c.title,
            buyer: c.buyer,
            description: c.description,
            required_skills: c.required_skills,
            value: c.value.map(|v| ContractValue {
                amount: v.amount,
                min: v.min,
                currency: v.currency,
            }),
            deadline: c.deadline.map(Timestamp),
            period,
            location: c.location,
            source_url: c.source_url,
            ocid: c.ocid,
            status: match c.status {
                StatusJson::Open => ContractStatus::Open,
                StatusJson::Closed => ContractStatus::Closed,
                StatusJson::Awarded => ContractStatus::Awarded,
            },
        })
    }
}

#[cfg(test)]
mod tests {
    use coopnet_protocol::samples;

    use super::*;

    #[test]
    fn bodies_go_to_json_and_back_unchanged() {
        for n in 0..4 {
            let profile = samples::profile(n).into_fields();
            assert_eq!(
                ProfileFields::from(ProfileJson::from(profile.clone())),
                profile
            );
            let skills = samples::skills(n, 6).into_fields();
            assert_eq!(SkillsFields::from(SkillsJson::from(skills.clone())), skills);
            let capacity = samples::capacity(n, 3).into_fields();
            assert_eq!(
                CapacityFields::from(CapacityJson::from(capacity.clone())),
                capacity
            );
            let contract = samples::contract(n).into_fields();
            let back = ContractFields::try_from(ContractBody::from(contract.clone())).unwrap();
            assert_eq!(back, contract);
        }
    }

    #[test]
    fn half_a_period_names_the_missing_end() {
        let mut body = ContractBody::from(samples::contract(0).into_fields());
        body.ends = None;
        let failure = ContractFields::try_from(body).unwrap_err();
        assert_eq!(failure.field.as_deref(), Some("ends"));
    }
}
