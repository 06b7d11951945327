//! What a partner search asks and what it finds: the vocabulary the node
//! (which answers it from its replica) and the web app (which asks it)
//! share. Plain types; the rules of answering live in the node's store.

use crate::{Day, PublicKey};

/// Most hits one page of a search may hold; a larger limit is lowered.
pub const MAX_LIMIT: usize = 200;

/// What a partner search asks for. Every field is optional in effect: the
/// default query (with a `limit`) lists every co-op, best first.
#[derive(Debug, Clone, Default, PartialEq, Eq, Hash)]
pub struct CoopQuery {
    /// Skills, as their keys by the taxonomy ([`Taxonomy::key`]): a co-op
    /// has one when one of its skills is found by that key (see
    /// [`Taxonomy::terms`]). Repeats count once.
    ///
    /// [`Taxonomy::key`]: crate::taxonomy::Taxonomy::key
    /// [`Taxonomy::terms`]: crate::taxonomy::Taxonomy::terms
    pub skills: Vec<String>,
    /// Whether a co-op must have every skill (`true`) or any one (`false`).
    pub match_all: bool,
    /// Free text: a co-op matches when each of its words is in one of the
    /// co-op's profile, skills or capacity records (not necessarily the
    /// same one). Text with no words filters nothing.
    pub text: Option<String>,
    /// The co-op's region, compared whole, ignoring case.
    pub region: Option<String>,
    /// The days the work would take, from and to inclusive: only capacity
    /// windows overlapping them count, each prorated by the overlap.
    /// Without a window every window counts in full.
    pub window: Option<(Day, Day)>,
    /// At least this many person-days available ([`CoopHit::days_available`]).
    pub min_days: Option<u32>,
    /// Some counted window's minimum day rate is at most this.
    pub max_rate: Option<u32>,
    /// Leave this co-op out (our own).
    pub exclude: Option<PublicKey>,
    /// Leave these co-ops out too (revoked members).
    pub hidden: Vec<PublicKey>,
    /// How many of the best hits to skip (for the pages after the first).
    pub offset: usize,
    /// At most this many hits; at most [`MAX_LIMIT`] (larger is lowered).
    pub limit: usize,
}

/// One co-op a partner search found.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoopHit {
    /// The co-op.
    pub author: PublicKey,
    /// Its profile's name; empty if it has no profile yet.
    pub name: String,
    /// Its profile's summary; empty without a profile.
    pub summary: String,
    /// Its profile's region; empty without a profile.
    pub region: String,
    /// The co-op's names of its skills found by the asked ones, in the
    /// order asked, each once (asking for a broad skill may find several).
    pub matched_skills: Vec<String>,
    /// How many distinct skills were asked for.
    pub skills_asked: usize,
    /// Person-days available: each counted capacity window's person-days,
    /// prorated by how many of its days fall in the query's window
    /// (`person_days * overlap_days / window_days`, rounded down), summed.
    /// Without a query window, every window in full.
    pub days_available: u32,
    /// The lowest minimum day rate among the counted windows.
    pub min_rate: Option<u32>,
    /// That window's currency.
    pub currency: Option<String>,
}

/// One page of a search's hits, and how many there are in all.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CoopPage {
    /// The hits from the query's offset, best first.
    pub hits: Vec<CoopHit>,
    /// How many co-ops match, on every page.
    pub total: usize,
}
