//! A bid's plan: who does what (roles), when (milestones) and the lead's
//! notes; the part of a bid that is versioned and, in issue 18, agreed.

use coopnet_protocol::kinds::fields::{self, Checked, fail};
use coopnet_protocol::{Day, FieldError, Problem, PublicKey};
use serde::{Deserialize, Serialize};

/// Most roles in one bid.
pub const MAX_ROLES: usize = 20;
/// Most skills in one role.
pub const MAX_ROLE_SKILLS: usize = 50;
/// Most person-days of one skill in one role.
pub const MAX_DAYS: u32 = 10_000;
/// The highest day rate (the same bound as a published rate band).
pub const MAX_RATE: u32 = 100_000;
/// Most milestones.
pub const MAX_MILESTONES: usize = 50;
/// Longest notes, in characters.
pub const MAX_NOTES: usize = 10_000;

/// One co-op's part in a bid.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Role {
    /// The co-op (ours for the lead's own role).
    pub coop: PublicKey,
    /// The skills it brings and the person-days of each.
    pub skills: Vec<SkillDays>,
    /// Its day rate in the bid's currency, whole units.
    pub rate: u32,
}

impl Role {
    /// Person-days of every skill.
    pub fn days(&self) -> u64 {
        self.skills.iter().map(|s| u64::from(s.days)).sum()
    }

    /// What the role costs: days × rate.
    pub fn cost(&self) -> u64 {
        self.days() * u64::from(self.rate)
    }
}

/// Person-days of one skill.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct SkillDays {
    /// The skill, as the contract names it (or any other the lead adds).
    pub skill: String,
    /// Person-days, 1 to [`MAX_DAYS`].
    pub days: u32,
}

impl From<&SkillDays> for coopnet_protocol::bidwire::SkillDays {
    fn from(s: &SkillDays) -> Self {
        Self {
            skill: s.skill.clone(),
            days: s.days,
        }
    }
}

impl From<coopnet_protocol::bidwire::SkillDays> for SkillDays {
    fn from(s: coopnet_protocol::bidwire::SkillDays) -> Self {
        Self {
            skill: s.skill,
            days: s.days,
        }
    }
}

/// A date the work must reach.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Milestone {
    /// What is delivered.
    pub title: String,
    /// By when.
    pub due: Day,
}

/// Roles, milestones and notes.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidPlan {
    /// One per co-op, at most [`MAX_ROLES`].
    pub roles: Vec<Role>,
    /// In any order; shown by date.
    pub milestones: Vec<Milestone>,
    /// Free text, several lines.
    pub notes: String,
}

impl BidPlan {
    /// Normalises line breaks in the notes (CR LF and CR become LF) and
    /// trims names; call before [`BidPlan::check`].
    pub fn tidy(&mut self) {
        self.notes = fields::normalise_line_breaks(&self.notes);
        for role in &mut self.roles {
            for skill in &mut role.skills {
                skill.skill = skill.skill.trim().to_owned();
            }
        }
        for milestone in &mut self.milestones {
            milestone.title = milestone.title.trim().to_owned();
        }
    }

    /// Checks every field, naming the first that breaks its rule
    /// (`roles[1].skills[0].days`, say). Whether each role's co-op is a
    /// member is the caller's to check: it needs the roster.
    pub fn check(&self) -> Checked {
        fields::count("roles", &self.roles, MAX_ROLES)?;
        for (i, role) in self.roles.iter().enumerate() {
            let path = format!("roles[{i}]");
            if self.roles[..i].iter().any(|r| r.coop == role.coop) {
                return Err(fail(
                    format!("{path}.coop"),
                    Problem::Duplicate(role.coop.to_string()),
                ));
            }
            fields::within(
                &format!("{path}.rate"),
                role.rate.into(),
                1,
                MAX_RATE.into(),
            )?;
            if role.skills.is_empty() {
                return Err(fail(format!("{path}.skills"), Problem::Empty));
            }
            let names: Vec<String> = role.skills.iter().map(|s| s.skill.clone()).collect();
            fields::labels(&format!("{path}.skills"), &names, MAX_ROLE_SKILLS, 100)
                .map_err(|e| rename(e, &path, &role.skills))?;
            for (j, skill) in role.skills.iter().enumerate() {
                let field = format!("{path}.skills[{j}].days");
                fields::within(&field, skill.days.into(), 1, MAX_DAYS.into())?;
            }
        }
        fields::count("milestones", &self.milestones, MAX_MILESTONES)?;
        for (i, milestone) in self.milestones.iter().enumerate() {
            fields::line(&format!("milestones[{i}].title"), &milestone.title, 1, 200)?;
        }
        fields::prose("notes", &self.notes, MAX_NOTES)
    }

    /// The role of `coop`, if it has one.
    pub fn role(&self, coop: &PublicKey) -> Option<&Role> {
        self.roles.iter().find(|r| &r.coop == coop)
    }
}

/// A skill-name error from `labels` says `roles[0].skills[2]`; the field a
/// form shows is the name inside it.
fn rename(error: FieldError, path: &str, skills: &[SkillDays]) -> FieldError {
    let prefix = format!("{path}.skills[");
    if error.field.starts_with(&prefix) && !skills.is_empty() {
        return fail(format!("{}.skill", error.field), error.problem);
    }
    error
}

#[cfg(test)]
mod tests {
    use super::*;
    use coopnet_protocol::SecretKey;

    fn coop(seed: u8) -> PublicKey {
        SecretKey::from_seed(&[seed; 32]).public()
    }

    fn plan() -> BidPlan {
        BidPlan {
            roles: vec![Role {
                coop: coop(1),
                skills: vec![SkillDays {
                    skill: "Rust".into(),
                    days: 20,
                }],
                rate: 550,
            }],
            milestones: vec![Milestone {
                title: "Discovery".into(),
                due: Day::from_ymd(2027, 3, 1).expect("a date"),
            }],
            notes: "Line one\r\nLine two".into(),
        }
    }

    #[test]
    fn a_tidy_plan_passes_with_its_line_breaks() {
        let mut plan = plan();
        plan.tidy();
        assert_eq!(plan.notes, "Line one\nLine two");
        assert_eq!(plan.check(), Ok(()));
        assert_eq!(plan.roles[0].cost(), 11_000);
    }

    #[test]
    fn bad_values_name_their_field() {
        let field = |plan: BidPlan| plan.check().unwrap_err().field;
        let mut p = plan();
        p.roles[0].skills[0].days = 0;
        assert_eq!(field(p), "roles[0].skills[0].days");
        let mut p = plan();
        p.roles[0].skills[0].days = MAX_DAYS + 1;
        assert_eq!(field(p), "roles[0].skills[0].days");
        let mut p = plan();
        p.roles[0].rate = 1_000_000;
        assert_eq!(field(p), "roles[0].rate");
        let mut p = plan();
        p.roles.push(p.roles[0].clone());
        assert_eq!(field(p), "roles[1].coop");
        let mut p = plan();
        p.roles[0].skills[0].skill = String::new();
        assert_eq!(field(p), "roles[0].skills[0].skill");
        let mut p = plan();
        p.roles[0].skills.clear();
        assert_eq!(field(p), "roles[0].skills");
        let mut p = plan();
        p.milestones[0].title = " ".into();
        p.tidy();
        assert_eq!(field(p), "milestones[0].title");
    }
}
