//! The bid API's own JSON, converted to and from `coopnet-bids` types at
//! the edge. Money: costs and day rates in whole units of the bid's
//! currency, values and margins in hundredths (as contract values are).

use coopnet_bids::plan::{BidPlan, Milestone, Role, SkillDays};
use coopnet_bids::report::{Member, NeedLine, Team};
use coopnet_bids::totals::Warning;
use coopnet_protocol::PublicKey;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::words;
use crate::error::Failure;

/// A required skill and the person-days it needs.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct NeedJson {
    /// As the contract names it.
    pub skill: String,
    /// Person-days.
    pub days: u32,
    /// `set` (by us), `estimate` (the value over the skills at the
    /// federation's median day rate, the median top of the published
    /// bands) or `guess` (nothing to estimate from).
    pub basis: String,
    /// Co-ops that have the skill (in suggestions; 0 elsewhere).
    pub holders: usize,
}

impl From<&NeedLine> for NeedJson {
    fn from(line: &NeedLine) -> Self {
        let basis = serde_json::to_value(line.basis)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        NeedJson {
            skill: line.skill.clone(),
            days: line.days,
            basis,
            holders: line.holders,
        }
    }
}

/// What a contract's skills need.
#[derive(Debug, Serialize, ToSchema)]
pub struct NeedsJson {
    /// The contract.
    pub contract_id: String,
    /// One per required skill, in the contract's order.
    pub needs: Vec<NeedJson>,
}

/// One skill's days, as set.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NeedInput {
    /// One of the contract's required skills, as it names it.
    pub skill: String,
    /// Person-days, 1 to 100,000.
    pub days: i64,
}

/// New needs for a contract's skills; skills left out go back to the
/// estimate.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NeedsBody {
    /// The skills and their days.
    pub needs: Vec<NeedInput>,
}

/// Person-days of one skill.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct SkillDaysJson {
    /// The skill.
    pub skill: String,
    /// Person-days, 1 to 10,000.
    pub days: i64,
}

/// A co-op's role in a bid, as given and as shown.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct RoleJson {
    /// The co-op (64 hex), a member of the federation or ours.
    pub coop_key: String,
    /// Its skills and days.
    pub skills: Vec<SkillDaysJson>,
    /// Its day rate, whole units of the bid's currency, 1 to 100,000.
    pub day_rate: i64,
}

impl From<&Role> for RoleJson {
    fn from(role: &Role) -> Self {
        RoleJson {
            coop_key: role.coop.to_string(),
            skills: role
                .skills
                .iter()
                .map(|s| SkillDaysJson {
                    skill: s.skill.clone(),
                    days: s.days.into(),
                })
                .collect(),
            day_rate: role.rate.into(),
        }
    }
}

/// A date the work must reach.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
pub struct MilestoneJson {
    /// What is delivered.
    pub title: String,
    /// By when, `YYYY-MM-DD`.
    pub due: String,
}

/// A co-op's band of day rates.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct BandJson {
    /// Lowest, whole units.
    pub min: u32,
    /// Highest, whole units.
    pub max: u32,
}

/// A co-op in a suggested team.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MemberJson {
    /// The co-op.
    pub coop_key: String,
    /// Its name ("" without a profile).
    pub name: String,
    /// Whether it is our co-op.
    pub us: bool,
    /// The day rate its days are priced at: the top of its band.
    pub day_rate: u32,
    /// Its band in the contract's currency over the period, if any.
    pub band: Option<BandJson>,
    /// Our bids naming it in the last 90 days.
    pub invited: u32,
    /// The skills it would cover and the days of each.
    pub skills: Vec<SkillDaysJson>,
}

impl From<&Member> for MemberJson {
    fn from(m: &Member) -> Self {
        MemberJson {
            coop_key: m.coop.to_string(),
            name: m.name.clone(),
            us: m.us,
            day_rate: m.rate,
            band: m.band.map(|(min, max)| BandJson { min, max }),
            invited: m.invited,
            skills: m
                .skills
                .iter()
                .map(|s| SkillDaysJson {
                    skill: s.skill.clone(),
                    days: s.days.into(),
                })
                .collect(),
        }
    }
}

/// A required skill a team leaves short.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct MissingJson {
    /// The skill.
    pub skill: String,
    /// Days still needed.
    pub days: u32,
}

/// A suggested team, explained.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct TeamJson {
    /// Its co-ops, ours first.
    pub members: Vec<MemberJson>,
    /// Whether it covers every required skill with enough days.
    pub full: bool,
    /// Estimated cost, whole units (each co-op at the top of its band).
    pub cost: u64,
    /// The contract's value less the cost, hundredths (negative: over).
    pub margin: Option<i64>,
    /// Free days of its members in the period beyond the need.
    pub spare_days: u64,
    /// Our bids naming its members in the last 90 days, summed.
    pub invited: u32,
    /// Skills short of their need.
    pub missing: Vec<MissingJson>,
    /// The team as roles, ready for `POST /api/v1/bids`.
    pub roles: Vec<RoleJson>,
}

impl From<&Team> for TeamJson {
    fn from(team: &Team) -> Self {
        TeamJson {
            members: team.members.iter().map(MemberJson::from).collect(),
            full: team.full,
            cost: team.cost,
            margin: team.margin,
            spare_days: team.spare_days,
            invited: team.invited,
            missing: team
                .missing
                .iter()
                .map(|m| MissingJson {
                    skill: m.skill.clone(),
                    days: m.days,
                })
                .collect(),
            roles: team.roles().iter().map(RoleJson::from).collect(),
        }
    }
}

/// The consortium builder's answer for a contract.
#[derive(Debug, Serialize, ToSchema)]
pub struct SuggestionsJson {
    /// The contract.
    pub contract_id: String,
    /// The currency of rates and costs.
    pub currency: String,
    /// The most the contract is worth, hundredths, if it says.
    pub value: Option<u64>,
    /// First day whose capacity counted, `YYYY-MM-DD`.
    pub starts: String,
    /// Last such day.
    pub ends: String,
    /// Whether that period is the next three months (the contract gives
    /// none).
    pub period_assumed: bool,
    /// Whether our co-op is in every team.
    pub with_us: bool,
    /// Whether co-ops invited less often lately were preferred.
    pub spread: bool,
    /// The most co-ops per team.
    pub max_team: usize,
    /// Whether every team of the candidates was considered; otherwise the
    /// teams come from a pool of the most useful candidates per skill.
    pub exact: bool,
    /// The pool's size when not exact.
    pub pool: Option<usize>,
    /// Co-ops that could take part.
    pub candidates: usize,
    /// Co-ops with a needed skill left out: their rates are in other
    /// currencies.
    pub other_currency: usize,
    /// The needs the teams were built for.
    pub needs: Vec<NeedJson>,
    /// Whether the first team covers everything.
    pub covered: bool,
    /// Best first: full covers fitting the value, else the best partial
    /// covers.
    pub teams: Vec<TeamJson>,
    /// When no full cover fits the value, the best one over it.
    pub over_value: Option<TeamJson>,
}

/// A new bid.
#[derive(Debug, Deserialize, ToSchema)]
pub struct NewBidBody {
    /// The contract it is for.
    pub contract_id: String,
    /// First roles (a suggestion's `roles`, say); may be empty.
    #[serde(default)]
    pub roles: Vec<RoleJson>,
    /// Milestones.
    #[serde(default)]
    pub milestones: Vec<MilestoneJson>,
    /// Notes, several lines.
    #[serde(default)]
    pub notes: String,
}

/// A bid's new plan.
#[derive(Debug, Deserialize, ToSchema)]
pub struct BidUpdateBody {
    /// The version this change was made on (409 if the bid has moved on).
    pub version: u64,
    /// The roles, all of them.
    pub roles: Vec<RoleJson>,
    /// The milestones, all of them.
    #[serde(default)]
    pub milestones: Vec<MilestoneJson>,
    /// Notes.
    #[serde(default)]
    pub notes: String,
}

/// A move to another status.
#[derive(Debug, Deserialize, ToSchema)]
pub struct StatusBody {
    /// The version this change was made on (409 if the bid has moved on).
    pub version: u64,
    /// `draft`, `inviting`, `agreed`, `submitted`, `won`, `lost` or
    /// `withdrawn` (which moves each status allows: `next_statuses`).
    pub status: String,
}

/// A role as a bid shows it.
#[derive(Debug, Serialize, ToSchema)]
pub struct RoleView {
    /// The co-op.
    pub coop_key: String,
    /// Its name.
    pub name: String,
    /// Its skills and days.
    pub skills: Vec<SkillDaysJson>,
    /// Its day rate, whole units.
    pub day_rate: u32,
    /// Its days.
    pub days: u64,
    /// Days × rate, whole units.
    pub cost: u64,
    /// Its share of the bid's days, whole percent.
    pub share: u32,
}

/// A required skill's days against its need.
#[derive(Debug, Serialize, ToSchema)]
pub struct SkillLineJson {
    /// The skill.
    pub skill: String,
    /// Days needed.
    pub need: u32,
    /// Days planned.
    pub planned: u64,
}

/// Something to look at.
#[derive(Debug, Serialize, ToSchema)]
pub struct WarningJson {
    /// `rate_outside_band`, `no_rate`, `over_capacity`, `not_member`,
    /// `short` or `over_value`.
    pub kind: String,
    /// The role it is about, by index, if any.
    pub role: Option<usize>,
    /// In words.
    pub text: String,
}

impl WarningJson {
    /// A warning with its words.
    pub fn new(warning: &Warning, view: &super::ops::BidView) -> Self {
        let kind = serde_json::to_value(warning)
            .ok()
            .and_then(|v| v.get("kind").and_then(|k| k.as_str()).map(str::to_owned))
            .unwrap_or_default();
        let role = match warning {
            Warning::RateOutsideBand { role, .. }
            | Warning::NoRate { role }
            | Warning::OverCapacity { role, .. }
            | Warning::NotMember { role } => Some(*role),
            _ => None,
        };
        WarningJson {
            kind,
            role,
            text: words::warning(warning, view),
        }
    }
}

/// A bid's totals.
#[derive(Debug, Serialize, ToSchema)]
pub struct TotalsJson {
    /// Each required skill's days against its need.
    pub skills: Vec<SkillLineJson>,
    /// Person-days of every role.
    pub days: u64,
    /// Cost, whole units.
    pub cost: u64,
    /// The value less the cost, hundredths, when the contract has a value.
    pub margin: Option<i64>,
    /// Required skills short of their need.
    pub uncovered: Vec<String>,
    /// What to look at.
    pub warnings: Vec<WarningJson>,
}

/// A bid.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidJson {
    /// Its id (32 hex).
    pub bid_id: String,
    /// Its contract.
    pub contract_id: String,
    /// Its title.
    pub title: String,
    /// Its currency.
    pub currency: String,
    /// Where it stands.
    pub status: String,
    /// The statuses it may move to.
    pub next_statuses: Vec<String>,
    /// Its version (give it back when changing the bid).
    pub version: u64,
    /// Created, Unix ms.
    pub created_at: u64,
    /// Last changed, Unix ms.
    pub updated_at: u64,
    /// Its roles.
    pub roles: Vec<RoleView>,
    /// Its milestones, by date.
    pub milestones: Vec<MilestoneJson>,
    /// Its notes.
    pub notes: String,
    /// Totals and warnings (absent when its contract is gone).
    pub totals: Option<TotalsJson>,
}

/// A bid in a list.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidSummaryJson {
    /// Its id.
    pub bid_id: String,
    /// Its contract.
    pub contract_id: String,
    /// Its title.
    pub title: String,
    /// Where it stands.
    pub status: String,
    /// Its version.
    pub version: u64,
    /// Co-ops in it, ours included when it has a role.
    pub coops: usize,
    /// Last changed, Unix ms.
    pub updated_at: u64,
}

/// A page of our bids.
#[derive(Debug, Serialize, ToSchema)]
pub struct BidListJson {
    /// Most recently changed first.
    pub bids: Vec<BidSummaryJson>,
    /// How many in all (with the status filter).
    pub total: usize,
    /// Skipped.
    pub offset: usize,
    /// Asked.
    pub limit: usize,
}

/// One version of a bid.
#[derive(Debug, Serialize, ToSchema)]
pub struct VersionJson {
    /// The version.
    pub version: u64,
    /// When, Unix ms.
    pub at: u64,
    /// Who (a username).
    pub by: String,
    /// The status it left the bid in.
    pub status: String,
    /// What changed, in sentences.
    pub changes: Vec<String>,
}

/// Every version of a bid.
#[derive(Debug, Serialize, ToSchema)]
pub struct HistoryJson {
    /// The bid.
    pub bid_id: String,
    /// Oldest first.
    pub versions: Vec<VersionJson>,
}

/// Reads roles, milestones and notes into a plan, naming the field of the
/// first value that cannot be one (the node checks the rest).
pub fn plan(
    roles: &[RoleJson],
    milestones: &[MilestoneJson],
    notes: &str,
) -> Result<BidPlan, Failure> {
    let mut plan = BidPlan {
        notes: notes.to_owned(),
        ..BidPlan::default()
    };
    for (i, role) in roles.iter().enumerate() {
        let coop: PublicKey = role.coop_key.parse().map_err(|_| {
            Failure::invalid(
                format!("roles[{i}].coop_key"),
                "must be a co-op's key, 64 hex characters",
            )
        })?;
        let rate = whole(
            role.day_rate,
            &format!("roles[{i}].day_rate"),
            coopnet_bids::plan::MAX_RATE,
        )?;
        let mut skills = Vec::new();
        for (j, s) in role.skills.iter().enumerate() {
            let field = format!("roles[{i}].skills[{j}].days");
            skills.push(SkillDays {
                skill: s.skill.clone(),
                days: whole(s.days, &field, coopnet_bids::plan::MAX_DAYS)?,
            });
        }
        plan.roles.push(Role { coop, skills, rate });
    }
    for (i, m) in milestones.iter().enumerate() {
        let due = m.due.trim().parse().map_err(|_| {
            Failure::invalid(format!("milestones[{i}].due"), "must be a date, YYYY-MM-DD")
        })?;
        plan.milestones.push(Milestone {
            title: m.title.clone(),
            due,
        });
    }
    Ok(plan)
}

/// A whole number from 1 to `max`, or a 422 naming `field`.
fn whole(value: i64, field: &str, max: u32) -> Result<u32, Failure> {
    u32::try_from(value)
        .ok()
        .filter(|v| (1..=max).contains(v))
        .ok_or_else(|| Failure::invalid(field, format!("must be between 1 and {max}")))
}

/// A field path of the bid rules in the API's words (`roles[0].rate` is
/// `roles[0].day_rate`, `roles[0].coop` is `roles[0].coop_key`).
pub fn api_field(field: &str) -> String {
    if let Some(stem) = field.strip_suffix(".rate") {
        return format!("{stem}.day_rate");
    }
    if let Some(stem) = field.strip_suffix(".coop") {
        return format!("{stem}.coop_key");
    }
    field.to_owned()
}
