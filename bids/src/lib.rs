//! Joint bids without I/O: the pure logic the node's bid workspace and
//! its pages stand on.
//!
//! - [`solver`]: which teams of co-ops could cover a contract — every
//!   required skill with enough person-days inside the contract period, at
//!   a cost inside its value — ranked and explained (issue 17).
//! - [`need`]: how many person-days each required skill needs, by default.
//! - [`plan`]: a bid's roles, milestones and notes, and their rules.
//! - [`totals`]: what a plan adds up to against the contract and what each
//!   partner published: days per skill, cost, margin, warnings.
//! - [`report`]: the builder's answer, each team explained.
//! - [`negotiation`]: what a node answers to each bid message, and the
//!   lead's view of each partner's answer (issue 18).
//! - [`status`]: a bid's statuses and the moves between them.
//! - [`history`]: what changed between two versions of a plan, in words.
//!
//! Nothing here reads a clock, a file or the network: callers pass what
//! the replica says and `now`, so every rule is tested and benchmarked
//! alone.

pub mod bid;
pub mod contract;
pub mod history;
pub mod need;
pub mod negotiation;
pub mod plan;
pub mod report;
pub mod solver;
pub mod status;
pub mod totals;
