//! Skills: supply against demand (no I/O). For each skill open contracts
//! require: how many contracts, how many co-ops have it and their
//! headcount, and the free person-days of those co-ops in the next three
//! and six months — scarcest first (fewest free days per contract).

use std::collections::HashMap;

use super::weekly::days_between;
use crate::store::network::{DemandRow, WindowRow};

/// Days in "three months" and "six months".
pub const THREE_MONTHS: i64 = 91;
/// See [`THREE_MONTHS`].
pub const SIX_MONTHS: i64 = 182;

/// One skill's supply and demand.
#[derive(Debug, Clone, PartialEq)]
pub struct SupplyLine {
    /// Its taxonomy key.
    pub skill: String,
    /// Its name as a contract wrote it.
    pub name: String,
    /// Open contracts requiring it.
    pub contracts: u64,
    /// Co-ops with it.
    pub coops: usize,
    /// People they said have it.
    pub headcount: u64,
    /// Free person-days of those co-ops in the next three months.
    pub days_3m: f64,
    /// … and six months.
    pub days_6m: f64,
}

impl SupplyLine {
    /// Free person-days in six months per contract requiring it.
    pub fn days_per_contract(&self) -> f64 {
        self.days_6m / self.contracts.max(1) as f64
    }
}

/// The lines for `demand`, given each skill's holders (co-op id and
/// headcount) and each co-op's windows, from `today` (days since 1970).
pub fn supply(
    demand: &[DemandRow],
    holders: &HashMap<String, Vec<(i64, u64)>>,
    windows: &HashMap<i64, Vec<WindowRow>>,
    today: i64,
) -> Vec<SupplyLine> {
    let free = |coop: &i64, days: i64| {
        windows
            .get(coop)
            .map_or(0.0, |w| days_between(w, today, today + days - 1))
    };
    let mut lines: Vec<SupplyLine> = demand
        .iter()
        .map(|d| {
            let who = holders.get(&d.skill).map(Vec::as_slice).unwrap_or(&[]);
            SupplyLine {
                skill: d.skill.clone(),
                name: d.name.clone(),
                contracts: d.contracts,
                coops: who.len(),
                headcount: who.iter().map(|(_, h)| h).sum(),
                days_3m: who.iter().map(|(c, _)| free(c, THREE_MONTHS)).sum(),
                days_6m: who.iter().map(|(c, _)| free(c, SIX_MONTHS)).sum(),
            }
        })
        .collect();
    lines.sort_by(|a, b| {
        a.days_per_contract()
            .total_cmp(&b.days_per_contract())
            .then_with(|| b.contracts.cmp(&a.contracts))
            .then_with(|| a.skill.cmp(&b.skill))
    });
    lines
}

#[cfg(test)]
mod tests {
    use super::*;

    fn demand(skill: &str, contracts: u64) -> DemandRow {
        DemandRow {
            skill: skill.into(),
            name: skill.to_uppercase(),
            contracts,
        }
    }

    #[test]
    fn the_scarcest_skill_comes_first_with_its_free_days() {
        let today = 20_794;
        let windows = HashMap::from([
            (
                1,
                vec![WindowRow {
                    coop: 1,
                    from: today,
                    to: today + 181,
                    days: 182,
                }],
            ),
            (
                2,
                vec![WindowRow {
                    coop: 2,
                    from: today + 100,
                    to: today + 109,
                    days: 20,
                }],
            ),
        ]);
        let holders = HashMap::from([
            ("rust".to_owned(), vec![(1, 3), (2, 2)]),
            ("go".to_owned(), vec![(2, 1)]),
        ]);
        let lines = supply(
            &[demand("rust", 2), demand("go", 1), demand("cobol", 1)],
            &holders,
            &windows,
            today,
        );
        let order: Vec<&str> = lines.iter().map(|l| l.skill.as_str()).collect();
        assert_eq!(order, ["cobol", "go", "rust"]);
        let rust = &lines[2];
        assert_eq!((rust.coops, rust.headcount), (2, 5));
        assert_eq!(
            rust.days_3m, 91.0,
            "co-op 2's window starts after three months"
        );
        assert_eq!(rust.days_6m, 182.0 + 20.0);
        assert_eq!((lines[0].coops, lines[0].days_6m), (0, 0.0));
    }
}
