//! `BidNotice`: the public trace of a consortium bid. No prices: those stay
//! in the private negotiation between the partners' nodes.

use serde::{Deserialize, Serialize};

use super::fields::{self, Checked, Problem, fail};
use super::validated;
use crate::keys::PublicKey;

/// Where a bid stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum BidStatus {
    /// Partners are being gathered.
    Forming,
    /// Sent to the buyer.
    Submitted,
    /// The consortium won the contract.
    Won,
    /// The consortium did not win.
    Lost,
    /// The consortium stepped back.
    Withdrawn,
}

/// The plain fields of a [`BidNotice`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BidNoticeFields {
    /// Author of the contract record bid for.
    pub contract_author: PublicKey,
    /// Key of the contract record bid for (1–128 bytes).
    pub contract_key: String,
    /// The lead co-op.
    pub lead: PublicKey,
    /// The other co-ops in the consortium, at most 50, none repeated.
    pub partners: Vec<PublicKey>,
    /// Where the bid stands.
    pub status: BidStatus,
}

impl BidNoticeFields {
    pub(crate) fn check(&self) -> Checked {
        fields::line("contract_key", &self.contract_key, 1, 128)?;
        fields::count("partners", &self.partners, 50)?;
        let mut seen = std::collections::HashSet::from([self.lead]);
        for partner in &self.partners {
            if !seen.insert(*partner) {
                return Err(fail("partners", Problem::Duplicate(partner.to_string())));
            }
        }
        Ok(())
    }
}

validated! {
    /// A public note that a consortium bids for a contract; key = the bid id.
    BidNotice(BidNoticeFields)
}
