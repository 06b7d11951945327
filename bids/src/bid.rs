//! A bid as the lead's node keeps it, and one version of it.

use coopnet_protocol::{PublicKey, Timestamp};

use crate::plan::BidPlan;
use crate::status::BidStatus;

/// A bid of ours.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Bid {
    /// Its id, 32 hex characters.
    pub bid_id: String,
    /// The contract's author.
    pub contract_author: PublicKey,
    /// The contract's record key.
    pub contract_key: String,
    /// A title (the contract's, when created).
    pub title: String,
    /// The bid's currency.
    pub currency: String,
    /// Where it stands.
    pub status: BidStatus,
    /// Its version, from 1.
    pub version: u64,
    /// Roles, milestones, notes.
    pub plan: BidPlan,
    /// When it was created.
    pub created_at: Timestamp,
    /// When it last changed.
    pub updated_at: Timestamp,
}

/// One version of a bid.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BidVersion {
    /// The version.
    pub version: u64,
    /// When it was made.
    pub at: Timestamp,
    /// Who made it (a username).
    pub by: String,
    /// The status it left the bid in.
    pub status: BidStatus,
    /// The plan as it was.
    pub plan: BidPlan,
    /// What changed, in sentences.
    pub changes: Vec<String>,
}

impl Bid {
    /// Its id as the 16 bytes the wire carries (`None` if the stored text
    /// is not 32 hex characters).
    pub fn wire_id(&self) -> Option<coopnet_protocol::bidwire::BidId> {
        let mut bytes = [0_u8; 16];
        hex::decode_to_slice(&self.bid_id, &mut bytes).ok()?;
        Some(bytes)
    }

    /// The document every partner signs for this version (SPEC §11.4):
    /// the roles with their co-ops' names, the totals, and `terms`.
    pub fn document(
        &self,
        lead: PublicKey,
        deadline: Option<Timestamp>,
        names: &dyn Fn(&PublicKey) -> String,
        terms: &str,
    ) -> Option<coopnet_protocol::bidwire::BidDocument> {
        use coopnet_protocol::bidwire::{BidDocument, DocRole, SkillDays};
        let roles: Vec<DocRole> = self
            .plan
            .roles
            .iter()
            .map(|r| DocRole {
                coop: r.coop,
                name: names(&r.coop),
                skills: r.skills.iter().map(SkillDays::from).collect(),
                rate: r.rate,
            })
            .collect();
        Some(BidDocument {
            bid: self.wire_id()?,
            version: self.version,
            contract_author: self.contract_author,
            contract_key: self.contract_key.clone(),
            title: self.title.clone(),
            currency: self.currency.clone(),
            deadline,
            lead,
            total_days: self.plan.roles.iter().map(|r| r.days()).sum(),
            total_cost: self.plan.roles.iter().map(|r| r.cost()).sum(),
            roles,
            terms: terms.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::plan::{Role, SkillDays};
    use coopnet_protocol::SecretKey;

    #[test]
    fn a_bids_document_carries_its_roles_and_sums_and_checks() {
        let lead = SecretKey::from_seed(&[1; 32]).public();
        let partner = SecretKey::from_seed(&[2; 32]).public();
        let role = |coop, days, rate| Role {
            coop,
            skills: vec![SkillDays {
                skill: "Rust".into(),
                days,
            }],
            rate,
        };
        let bid = Bid {
            bid_id: "00112233445566778899aabbccddeeff".into(),
            contract_author: lead,
            contract_key: "t".into(),
            title: "Portal".into(),
            currency: "GBP".into(),
            status: BidStatus::Inviting,
            version: 4,
            plan: BidPlan {
                roles: vec![role(lead, 15, 600), role(partner, 10, 550)],
                ..BidPlan::default()
            },
            created_at: Timestamp(0),
            updated_at: Timestamp(0),
        };
        let name = |k: &PublicKey| {
            if *k == lead {
                "Lead".into()
            } else {
                "Partner".into()
            }
        };
        let document = bid.document(lead, None, &name, "Terms.").unwrap();
        assert_eq!(document.bid[0], 0x00);
        assert_eq!(document.bid[15], 0xff);
        assert_eq!(
            (document.total_days, document.total_cost),
            (25, 15 * 600 + 10 * 550)
        );
        assert_eq!(document.roles[1].name, "Partner");
        assert_eq!(document.check(), Ok(()));
        let broken = Bid {
            bid_id: "not hex".into(),
            ..bid
        };
        assert!(broken.document(lead, None, &name, "").is_none());
    }
}
