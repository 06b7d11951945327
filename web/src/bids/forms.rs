//! Reading the bid forms: a role's skills as `skill: days` lines, the
//! role and milestone rows, and errors named as the form shows them.

use coopnet_bids::plan::{Milestone, Role, SkillDays};
use coopnet_protocol::PublicKey;

use crate::error::Failure;
use crate::pages::form::Fields;

/// A role's skills as the form writes them: `skill: days`, one a line.
pub fn lines(role: &Role) -> String {
    role.skills
        .iter()
        .map(|s| format!("{}: {}", s.skill, s.days))
        .collect::<Vec<_>>()
        .join("\n")
}

/// Reads `skill: days` lines (empty lines ignored); `row` is the form's
/// row, from 1, for the error.
pub fn read_lines(text: &str, row: usize) -> Result<Vec<SkillDays>, Failure> {
    let mut out = Vec::new();
    for (n, line) in text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .enumerate()
    {
        let parsed = line.rsplit_once(':').and_then(|(skill, days)| {
            let days = days.trim().parse::<u32>().ok()?;
            Some(SkillDays {
                skill: skill.trim().to_owned(),
                days,
            })
        });
        out.push(parsed.ok_or_else(|| {
            Failure::invalid(
                format!("Roles, row {row}, line {}", n + 1),
                format!("write it as skill: days (\"{line}\" is not)"),
            )
        })?);
    }
    Ok(out)
}

/// A failure's field in the form's words ("Roles, row 2, line 1: days").
pub fn said(failure: &Failure, rows: &[usize]) -> String {
    let Some(field) = &failure.field else {
        return failure.message.clone();
    };
    let problem = failure
        .message
        .strip_prefix(&format!("{field}: "))
        .unwrap_or(&failure.message);
    let index =
        |part: &str| -> Option<usize> { part.split_once('[')?.1.strip_suffix(']')?.parse().ok() };
    let parts: Vec<&str> = field.split('.').collect();
    let label = match parts.as_slice() {
        [roles, rest @ ..] if roles.starts_with("roles[") => {
            let i = index(roles).unwrap_or(0);
            let row = rows.get(i).copied().unwrap_or(i + 1);
            match rest {
                [skills, what] if skills.starts_with("skills[") => {
                    let line = index(skills).unwrap_or(0) + 1;
                    format!("Roles, row {row}, line {line}: {what}")
                }
                ["rate"] => format!("Roles, row {row}: day rate"),
                ["coop"] => format!("Roles, row {row}: co-op"),
                [other] => format!("Roles, row {row}: {other}"),
                _ => format!("Roles, row {row}"),
            }
        }
        [milestones, what] if milestones.starts_with("milestones[") => {
            let row = index(milestones).unwrap_or(0) + 1;
            let what = if *what == "title" {
                "what is delivered"
            } else {
                what
            };
            format!("Milestones, row {row}: {what}")
        }
        [needs, what] if needs.starts_with("needs[") => {
            format!("Row {}: {what}", index(needs).unwrap_or(0) + 1)
        }
        ["notes"] => "Notes".to_owned(),
        _ => field.clone(),
    };
    format!("{label}: {problem}")
}

/// Roles from the form's rows (`coop`, `skills`, `rate`, repeated), less
/// the removed ones, plus a new row when one is chosen; and each role's
/// row in the form.
pub fn read_roles(fields: &Fields) -> Result<(Vec<Role>, Vec<usize>), Failure> {
    let removed = fields.all("remove");
    let mut rows = Vec::new();
    let mut roles = Vec::new();
    let mut add = |coop: &str, skills: &str, rate: &str, row: usize| -> Result<(), Failure> {
        let coop: PublicKey = coop
            .parse()
            .map_err(|_| Failure::invalid(format!("Roles, row {row}: co-op"), "choose a co-op"))?;
        let rate = rate.trim().replace([',', '£', '€', '$'], "");
        let rate = rate.parse::<u32>().map_err(|_| {
            Failure::invalid(
                format!("Roles, row {row}: day rate"),
                "must be a whole number",
            )
        })?;
        roles.push(Role {
            coop,
            skills: read_lines(skills, row)?,
            rate,
        });
        rows.push(row);
        Ok(())
    };
    let coops = fields.all("coop");
    for (i, coop) in coops.iter().enumerate() {
        if removed.contains(coop) {
            continue;
        }
        add(
            coop,
            &fields.nth("skills", i),
            &fields.nth("rate", i),
            i + 1,
        )?;
    }
    let new = fields.get("new_coop");
    if !new.is_empty() {
        add(
            &new,
            &fields.get("new_skills"),
            &fields.get("new_rate"),
            coops.len() + 1,
        )?;
    }
    Ok((roles, rows))
}

/// Milestones from the form's rows (`due`, `milestone`); empty rows are
/// left out.
pub fn read_milestones(fields: &Fields) -> Result<Vec<Milestone>, Failure> {
    let mut out = Vec::new();
    for (i, title) in fields.all("milestone").iter().enumerate() {
        let due = fields.nth("due", i);
        if title.is_empty() && due.is_empty() {
            continue;
        }
        let due = due.parse().map_err(|_| {
            Failure::invalid(format!("Milestones, row {}: due", i + 1), "must be a date")
        })?;
        out.push(Milestone {
            title: title.clone(),
            due,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn skill_lines_read_back_and_bad_ones_are_named() {
        let read = read_lines("Rust: 15\n\n user experience design : 10 \r\n", 2).unwrap();
        assert_eq!(read.len(), 2);
        assert_eq!(
            (read[1].skill.as_str(), read[1].days),
            ("user experience design", 10)
        );
        let bad = read_lines("Rust: 15\nRust fifteen", 2).unwrap_err();
        assert_eq!(bad.field.as_deref(), Some("Roles, row 2, line 2"));
    }

    #[test]
    fn fields_are_named_as_the_form_shows_them() {
        let failure = Failure::invalid("roles[1].skills[0].days", "must be between 1 and 10000");
        assert_eq!(
            said(&failure, &[1, 3]),
            "Roles, row 3, line 1: days: must be between 1 and 10000"
        );
        let failure = Failure::invalid("roles[0].rate", "must be between 1 and 100000");
        assert_eq!(
            said(&failure, &[]),
            "Roles, row 1: day rate: must be between 1 and 100000"
        );
    }
}
