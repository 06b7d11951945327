//! What a plan adds up to: days per required skill against the need, cost,
//! margin against the contract's value, each role's share of the work, and
//! warnings (a rate outside the co-op's published band, more days than it
//! published, a partner that is not a member, skills short of their need).

use coopnet_protocol::PublicKey;
use coopnet_protocol::taxonomy::Taxonomy;
use serde::Serialize;

use crate::plan::BidPlan;

/// A required skill and the days it needs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    /// As the contract names it.
    pub skill: String,
    /// Person-days.
    pub days: u32,
}

/// What a partner published, as far as the plan is concerned.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Published {
    /// A member of the federation now (not revoked).
    pub member: bool,
    /// Its day-rate band in the bid's currency, from its windows in the
    /// period (lowest minimum, highest maximum); `None` if it published
    /// none in that currency.
    pub band: Option<(u32, u32)>,
    /// Free person-days it published in the period.
    pub days: u32,
}

/// One required skill's line.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SkillLine {
    /// As the contract names it.
    pub skill: String,
    /// Days needed.
    pub need: u32,
    /// Days the roles give it.
    pub planned: u64,
}

/// Something the bid manager should look at.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Warning {
    /// A role's rate lies outside its co-op's published band.
    RateOutsideBand {
        /// The role's index.
        role: usize,
        /// The role's rate.
        rate: u32,
        /// The band's lowest rate.
        min: u32,
        /// Its highest.
        max: u32,
    },
    /// The co-op published no rate in the bid's currency for the period.
    NoRate {
        /// The role's index.
        role: usize,
    },
    /// A role asks for more days than the co-op published as free.
    OverCapacity {
        /// The role's index.
        role: usize,
        /// Days in the role.
        asked: u64,
        /// Free days it published in the period.
        published: u32,
    },
    /// The role's co-op is not a member (revoked, or unknown here).
    NotMember {
        /// The role's index.
        role: usize,
    },
    /// A required skill has fewer days than it needs.
    Short {
        /// As the contract names it.
        skill: String,
        /// Days needed.
        need: u32,
        /// Days planned.
        planned: u64,
    },
    /// The plan costs more than the contract's value.
    OverValue {
        /// By how much, in hundredths.
        by: u64,
    },
}

/// A plan's totals.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Totals {
    /// One line per required skill, in the contract's order.
    pub skills: Vec<SkillLine>,
    /// Person-days of every role.
    pub days: u64,
    /// The plan's cost in whole units of the bid's currency.
    pub cost: u64,
    /// The value less the cost, in hundredths, when the contract has a
    /// value (negative when over it).
    pub margin: Option<i64>,
    /// Required skills short of their need.
    pub uncovered: Vec<String>,
    /// Each role's share of the days, in whole percent (rounded).
    pub shares: Vec<u32>,
    /// What to look at, roles first.
    pub warnings: Vec<Warning>,
}

/// The form skills are compared in: the taxonomy's key, else the folded
/// name, so "JS" in a role counts for "JavaScript" in the contract.
pub fn skill_key(name: &str) -> String {
    Taxonomy::esco()
        .key(name)
        .unwrap_or_else(|| name.trim().to_lowercase())
}

/// Adds up `plan` against `needs` and the contract's `value` (hundredths),
/// with what each partner published (`published`; a co-op it does not
/// know is not a member).
pub fn totals(
    plan: &BidPlan,
    needs: &[Need],
    value: Option<u64>,
    published: &dyn Fn(&PublicKey) -> Option<Published>,
) -> Totals {
    let mut warnings = Vec::new();
    for (i, role) in plan.roles.iter().enumerate() {
        let Some(info) = published(&role.coop) else {
            warnings.push(Warning::NotMember { role: i });
            continue;
        };
        if !info.member {
            warnings.push(Warning::NotMember { role: i });
        }
        match info.band {
            Some((min, max)) if role.rate < min || role.rate > max => {
                warnings.push(Warning::RateOutsideBand {
                    role: i,
                    rate: role.rate,
                    min,
                    max,
                });
            }
            Some(_) => {}
            None => warnings.push(Warning::NoRate { role: i }),
        }
        if role.days() > u64::from(info.days) {
            warnings.push(Warning::OverCapacity {
                role: i,
                asked: role.days(),
                published: info.days,
            });
        }
    }
    let planned_keys: Vec<(String, u32)> = plan
        .roles
        .iter()
        .flat_map(|r| r.skills.iter().map(|s| (skill_key(&s.skill), s.days)))
        .collect();
    let mut skills = Vec::new();
    let mut uncovered = Vec::new();
    for need in needs {
        let key = skill_key(&need.skill);
        let planned: u64 = planned_keys
            .iter()
            .filter(|(k, _)| *k == key)
            .map(|(_, d)| u64::from(*d))
            .sum();
        if planned < u64::from(need.days) {
            uncovered.push(need.skill.clone());
            warnings.push(Warning::Short {
                skill: need.skill.clone(),
                need: need.days,
                planned,
            });
        }
        skills.push(SkillLine {
            skill: need.skill.clone(),
            need: need.days,
            planned,
        });
    }
    let days: u64 = plan.roles.iter().map(|r| r.days()).sum();
    let cost: u64 = plan.roles.iter().map(|r| r.cost()).sum();
    let margin = value.map(|v| {
        let v = i64::try_from(v).unwrap_or(i64::MAX);
        let c = i64::try_from(cost.saturating_mul(100)).unwrap_or(i64::MAX);
        v.saturating_sub(c)
    });
    if let Some(m) = margin.filter(|m| *m < 0) {
        warnings.push(Warning::OverValue {
            by: m.unsigned_abs(),
        });
    }
    let shares = plan
        .roles
        .iter()
        .map(|r| match days {
            0 => 0,
            _ => u32::try_from((r.days() * 100 + days / 2) / days).unwrap_or(100),
        })
        .collect();
    Totals {
        skills,
        days,
        cost,
        margin,
        uncovered,
        shares,
        warnings,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Role, SkillDays};
    use coopnet_protocol::SecretKey;

    fn coop(seed: u8) -> PublicKey {
        SecretKey::from_seed(&[seed; 32]).public()
    }

    fn role(seed: u8, skills: &[(&str, u32)], rate: u32) -> Role {
        Role {
            coop: coop(seed),
            skills: skills
                .iter()
                .map(|(s, d)| SkillDays {
                    skill: (*s).into(),
                    days: *d,
                })
                .collect(),
            rate,
        }
    }

    fn needs() -> Vec<Need> {
        vec![
            Need {
                skill: "JavaScript".into(),
                days: 30,
            },
            Need {
                skill: "user experience design".into(),
                days: 10,
            },
        ]
    }

    #[test]
    fn a_plan_that_covers_everything_inside_the_bands_has_no_warnings() {
        let plan = BidPlan {
            roles: vec![
                role(1, &[("js", 30)], 500),
                role(2, &[("user experience design", 10)], 600),
            ],
            ..BidPlan::default()
        };
        let published = |_: &PublicKey| {
            Some(Published {
                member: true,
                band: Some((400, 650)),
                days: 40,
            })
        };
        let t = totals(&plan, &needs(), Some(2_500_000), &published);
        assert_eq!(t.warnings, []);
        assert_eq!(t.cost, 30 * 500 + 10 * 600);
        assert_eq!(t.margin, Some(2_500_000 - 2_100_000));
        assert_eq!(t.shares, [75, 25]);
        assert_eq!(t.skills[0].planned, 30);
        assert!(t.uncovered.is_empty());
    }

    #[test]
    fn every_problem_is_named() {
        let plan = BidPlan {
            roles: vec![
                role(1, &[("JavaScript", 50)], 900),
                role(3, &[("Go", 5)], 500),
            ],
            ..BidPlan::default()
        };
        let published = |key: &PublicKey| {
            (*key == coop(1)).then_some(Published {
                member: true,
                band: Some((400, 650)),
                days: 40,
            })
        };
        let t = totals(&plan, &needs(), Some(1_000_000), &published);
        assert_eq!(
            t.warnings,
            [
                Warning::RateOutsideBand {
                    role: 0,
                    rate: 900,
                    min: 400,
                    max: 650
                },
                Warning::OverCapacity {
                    role: 0,
                    asked: 50,
                    published: 40
                },
                Warning::NotMember { role: 1 },
                Warning::Short {
                    skill: "user experience design".into(),
                    need: 10,
                    planned: 0
                },
                Warning::OverValue {
                    by: (50 * 900 + 5 * 500) * 100 - 1_000_000
                },
            ]
        );
        assert_eq!(t.uncovered, ["user experience design"]);
    }
}
