//! The pooled search against the exact one on generated federations with a
//! planted team (issue 17): it always finds a full cover when one exists
//! within K, and its best cost is within 5 % of the optimum in at least 95
//! cases of 100. (The release benchmark `cargo bench -p coopnet-bids`
//! measures the same on larger federations.)

mod common;

use coopnet_bids::solver::{Method, suggest, suggest_exactly};

#[test]
fn the_pooled_search_finds_a_cover_and_is_near_the_optimum() {
    let cases = 60;
    let mut near = 0;
    for seed in 0..cases {
        let problem = common::planted(seed, 36, 6, 3);
        let pooled = suggest(&problem).expect("a valid problem");
        assert!(matches!(pooled.method, Method::Pooled { .. }));
        let exact = suggest_exactly(&problem).expect("a valid problem");
        let best = exact
            .suggestions
            .first()
            .expect("the planted team at least");
        assert!(best.full, "seed {seed}: the planted team covers everything");
        let found = pooled.suggestions.first().expect("a suggestion");
        assert!(
            found.full,
            "seed {seed}: a full cover exists and was missed"
        );
        assert!(found.members.len() >= best.members.len());
        if found.members.len() == best.members.len()
            && found.allocation.cost * 100 <= best.allocation.cost * 105
        {
            near += 1;
        }
    }
    assert!(near * 100 >= cases * 95, "{near} of {cases} within 5 %");
}
