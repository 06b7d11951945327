//! What changed between two versions of a plan, in words the bid's page
//! shows ("Rate of <co-op>: 500 → 550"); co-ops are named by the caller.

use coopnet_protocol::PublicKey;

use crate::plan::{BidPlan, Role};

/// The changes from `old` to `new`, each a sentence; `name` gives a
/// co-op's name.
pub fn changes(old: &BidPlan, new: &BidPlan, name: &dyn Fn(&PublicKey) -> String) -> Vec<String> {
    let mut out = Vec::new();
    for role in &old.roles {
        if new.role(&role.coop).is_none() {
            out.push(format!("Removed {}", name(&role.coop)));
        }
    }
    for role in &new.roles {
        match old.role(&role.coop) {
            None => out.push(format!("Added {} ({})", name(&role.coop), describe(role))),
            Some(before) => role_changes(before, role, &name(&role.coop), &mut out),
        }
    }
    if old.milestones != new.milestones {
        out.push(format!("Milestones: {} now", new.milestones.len()));
    }
    if old.notes != new.notes {
        out.push("Notes changed".to_owned());
    }
    out
}

fn role_changes(before: &Role, after: &Role, who: &str, out: &mut Vec<String>) {
    if before.rate != after.rate {
        out.push(format!(
            "Day rate of {who}: {} → {}",
            before.rate, after.rate
        ));
    }
    for skill in &after.skills {
        match before.skills.iter().find(|s| s.skill == skill.skill) {
            None => out.push(format!("{who}: {} added, {} days", skill.skill, skill.days)),
            Some(old) if old.days != skill.days => out.push(format!(
                "{who}: {} {} → {} days",
                skill.skill, old.days, skill.days
            )),
            Some(_) => {}
        }
    }
    for skill in &before.skills {
        if !after.skills.iter().any(|s| s.skill == skill.skill) {
            out.push(format!("{who}: {} removed", skill.skill));
        }
    }
}

fn describe(role: &Role) -> String {
    let skills: Vec<String> = role
        .skills
        .iter()
        .map(|s| format!("{} {} days", s.skill, s.days))
        .collect();
    format!("{}, day rate {}", skills.join(", "), role.rate)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::SkillDays;
    use coopnet_protocol::SecretKey;

    #[test]
    fn changes_are_told_in_words() {
        let a = SecretKey::from_seed(&[1; 32]).public();
        let b = SecretKey::from_seed(&[2; 32]).public();
        let role = |coop, days, rate| Role {
            coop,
            skills: vec![SkillDays {
                skill: "Rust".into(),
                days,
            }],
            rate,
        };
        let old = BidPlan {
            roles: vec![role(a, 10, 500)],
            ..BidPlan::default()
        };
        let new = BidPlan {
            roles: vec![role(a, 12, 550), role(b, 5, 400)],
            notes: "Hello".into(),
            ..BidPlan::default()
        };
        let name = |k: &PublicKey| {
            if *k == a {
                "Alpha".into()
            } else {
                "Beta".into()
            }
        };
        assert_eq!(
            changes(&old, &new, &name),
            [
                "Day rate of Alpha: 500 → 550",
                "Alpha: Rust 10 → 12 days",
                "Added Beta (Rust 5 days, day rate 400)",
                "Notes changed",
            ]
        );
        assert_eq!(changes(&new, &old, &name)[0], "Removed Beta");
    }
}
