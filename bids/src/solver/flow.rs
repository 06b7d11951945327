//! The cheapest way one team can meet the needs: a min-cost max-flow from
//! the required skills, through the members' capacity windows, each day
//! priced at its co-op's rate.
//!
//! ```text
//! source ─need_s─▶ skill s ─(rate of c)─▶ window (c, w) ─days_w─▶ sink
//! ```
//!
//! An edge from a skill to a window exists when the window may serve the
//! skill ([`super::Window::skills`]), so a window's days are counted once
//! across all skills. The flow covers as many needed days as the team can
//! (maximum flow) at the lowest cost among those (successive shortest
//! paths, Bellman-Ford on the small residual graph).

use super::Candidate;

/// Days of one skill given to one window of one member.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Share {
    /// The member's index in the problem's candidates.
    pub member: usize,
    /// The window's index in that candidate's windows.
    pub window: usize,
    /// The skill's index in the problem's needs.
    pub skill: usize,
    /// Person-days.
    pub days: u32,
}

/// What a team can do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Allocation {
    /// Where each counted day comes from.
    pub shares: Vec<Share>,
    /// Days covered per skill (at most its need).
    pub covered: Vec<u32>,
    /// What those days cost, in whole currency units.
    pub cost: u64,
    /// Every day the team's windows offer.
    pub supply: u64,
}

impl Allocation {
    /// Whether every need is met.
    pub fn is_full(&self, needs: &[u32]) -> bool {
        self.covered
            .iter()
            .zip(needs)
            .all(|(got, need)| got >= need)
    }
}

struct Edge {
    to: usize,
    cap: i64,
    cost: i64,
}

struct Graph {
    edges: Vec<Edge>,
    out: Vec<Vec<usize>>,
}

impl Graph {
    fn new(nodes: usize) -> Self {
        Graph {
            edges: Vec::new(),
            out: vec![Vec::new(); nodes],
        }
    }

    /// Adds an edge and its residual twin; returns the edge's index.
    fn add(&mut self, from: usize, to: usize, cap: i64, cost: i64) -> usize {
        let id = self.edges.len();
        self.edges.push(Edge { to, cap, cost });
        self.out[from].push(id);
        self.edges.push(Edge {
            to: from,
            cap: 0,
            cost: -cost,
        });
        self.out[to].push(id + 1);
        id
    }

    /// The cheapest path from `source` to `sink` with room left, as the
    /// edge taken into each node.
    fn shortest(&self, source: usize, sink: usize) -> Option<Vec<Option<usize>>> {
        let n = self.out.len();
        let mut dist = vec![i64::MAX; n];
        let mut via = vec![None; n];
        dist[source] = 0;
        // Bellman-Ford: at most n - 1 rounds, usually two or three.
        for _ in 1..n {
            let mut changed = false;
            for node in 0..n {
                if dist[node] == i64::MAX {
                    continue;
                }
                for &id in &self.out[node] {
                    let edge = &self.edges[id];
                    if edge.cap > 0 && dist[node] + edge.cost < dist[edge.to] {
                        dist[edge.to] = dist[node] + edge.cost;
                        via[edge.to] = Some(id);
                        changed = true;
                    }
                }
            }
            if !changed {
                break;
            }
        }
        (dist[sink] != i64::MAX).then_some(via)
    }
}

/// The cheapest allocation covering as much of `needs` as `team` (indices
/// into `candidates`) can.
pub fn allocate(needs: &[u32], team: &[usize], candidates: &[Candidate]) -> Allocation {
    let skills = needs.len();
    let windows: Vec<(usize, usize)> = team
        .iter()
        .flat_map(|&m| (0..candidates[m].windows.len()).map(move |w| (m, w)))
        .collect();
    let source = 0;
    let sink = 1 + skills + windows.len();
    let mut graph = Graph::new(sink + 1);
    for (s, &need) in needs.iter().enumerate() {
        graph.add(source, 1 + s, need.into(), 0);
    }
    let mut links = Vec::new();
    let mut supply = 0_u64;
    for (i, &(m, w)) in windows.iter().enumerate() {
        let candidate = &candidates[m];
        let window = &candidate.windows[w];
        supply += u64::from(window.days);
        let node = 1 + skills + i;
        graph.add(node, sink, window.days.into(), 0);
        for s in 0..skills {
            if window.skills & (1 << s) != 0 {
                let id = graph.add(1 + s, node, i64::MAX / 4, candidate.rate.into());
                links.push((id, m, w, s));
            }
        }
    }
    while let Some(via) = graph.shortest(source, sink) {
        let mut room = i64::MAX;
        let mut node = sink;
        while let Some(id) = via[node] {
            room = room.min(graph.edges[id].cap);
            node = graph.edges[id ^ 1].to;
        }
        let mut node = sink;
        while let Some(id) = via[node] {
            graph.edges[id].cap -= room;
            graph.edges[id ^ 1].cap += room;
            node = graph.edges[id ^ 1].to;
        }
    }
    let mut shares = Vec::new();
    let mut covered = vec![0_u32; skills];
    let mut cost = 0_u64;
    for (id, member, window, skill) in links {
        // The flow on an edge is what its residual twin holds.
        let days = u32::try_from(graph.edges[id ^ 1].cap).unwrap_or(u32::MAX);
        if days > 0 {
            covered[skill] += days;
            cost += u64::from(days) * u64::from(candidates[member].rate);
            shares.push(Share {
                member,
                window,
                skill,
                days,
            });
        }
    }
    Allocation {
        shares,
        covered,
        cost,
        supply,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::solver::{Candidate, Window};

    fn coop(rate: u32, windows: &[(u32, u64)]) -> Candidate {
        Candidate {
            rate,
            windows: windows
                .iter()
                .map(|&(days, skills)| Window { days, skills })
                .collect(),
            ..Candidate::default()
        }
    }

    /// Every way to split each window's days over the skills it may serve
    /// (days ≤ 3 per window), the best by (covered desc, cost asc).
    fn brute(needs: &[u32], team: &[usize], candidates: &[Candidate]) -> (u32, u64) {
        let slots: Vec<(usize, usize)> = team
            .iter()
            .flat_map(|&m| (0..candidates[m].windows.len()).map(move |w| (m, w)))
            .collect();
        let mut best = (0_u32, 0_u64);
        let mut given = vec![vec![0_u32; needs.len()]; slots.len()];
        #[allow(clippy::too_many_arguments)]
        fn walk(
            i: usize,
            s: usize,
            left: u32,
            slots: &[(usize, usize)],
            candidates: &[Candidate],
            needs: &[u32],
            given: &mut Vec<Vec<u32>>,
            best: &mut (u32, u64),
        ) {
            if i == slots.len() {
                let mut covered = 0;
                let mut cost = 0;
                for skill in 0..needs.len() {
                    let mut got = 0;
                    for (j, &(m, _)) in slots.iter().enumerate() {
                        got += given[j][skill];
                        cost += u64::from(given[j][skill]) * u64::from(candidates[m].rate);
                    }
                    if got > needs[skill] {
                        return; // a wasted day is never cheapest
                    }
                    covered += got;
                }
                if covered > best.0 || (covered == best.0 && cost < best.1) {
                    *best = (covered, cost);
                }
                return;
            }
            let (m, w) = slots[i];
            let window = &candidates[m].windows[w];
            if s == needs.len() {
                let next = slots
                    .get(i + 1)
                    .map_or(0, |&(m, w)| candidates[m].windows[w].days);
                walk(i + 1, 0, next, slots, candidates, needs, given, best);
                return;
            }
            let top = if window.skills & (1 << s) != 0 {
                left
            } else {
                0
            };
            for d in 0..=top {
                given[i][s] = d;
                walk(i, s + 1, left - d, slots, candidates, needs, given, best);
            }
            given[i][s] = 0;
        }
        let first = slots
            .first()
            .map_or(0, |&(m, w)| candidates[m].windows[w].days);
        walk(
            0, 0, first, &slots, candidates, needs, &mut given, &mut best,
        );
        best
    }

    #[test]
    fn a_window_shared_by_two_skills_counts_its_days_once() {
        let candidates = [coop(500, &[(10, 0b11)])];
        let got = allocate(&[8, 8], &[0], &candidates);
        assert_eq!(got.covered.iter().sum::<u32>(), 10);
        assert!(!got.is_full(&[8, 8]));
        assert_eq!(got.cost, 5_000);
    }

    #[test]
    fn the_cheaper_co_op_does_what_it_can() {
        let candidates = [coop(900, &[(10, 0b1)]), coop(400, &[(6, 0b1)])];
        let got = allocate(&[10], &[0, 1], &candidates);
        assert_eq!(got.covered, [10]);
        assert_eq!(got.cost, 6 * 400 + 4 * 900);
    }

    #[test]
    fn days_go_where_only_they_can_go_even_if_dearer_elsewhere() {
        // The cheap co-op could do skill 0 or 1; the dear one only skill 0.
        let candidates = [coop(100, &[(5, 0b11)]), coop(800, &[(5, 0b01)])];
        let got = allocate(&[5, 5], &[0, 1], &candidates);
        assert_eq!(got.covered, [5, 5]);
        assert_eq!(got.cost, 5 * 100 + 5 * 800);
    }

    #[test]
    fn matches_exhaustive_splitting_on_small_teams() {
        use rand::{Rng, SeedableRng};
        let mut rng = rand::rngs::StdRng::seed_from_u64(17);
        for _ in 0..300 {
            let skills = rng.gen_range(1..=3);
            let needs: Vec<u32> = (0..skills).map(|_| rng.gen_range(1..=4)).collect();
            let candidates: Vec<Candidate> = (0..rng.gen_range(1..=3))
                .map(|_| {
                    let windows: Vec<(u32, u64)> = (0..rng.gen_range(1..=2))
                        .map(|_| (rng.gen_range(1..=3), rng.gen_range(0..(1_u64 << skills))))
                        .collect();
                    coop(rng.gen_range(1..=9) * 100, &windows)
                })
                .collect();
            let team: Vec<usize> = (0..candidates.len()).collect();
            let got = allocate(&needs, &team, &candidates);
            let want = brute(&needs, &team, &candidates);
            assert_eq!(
                (got.covered.iter().sum::<u32>(), got.cost),
                want,
                "{needs:?}"
            );
        }
    }
}
