//! The lead's and the partners' sides of a negotiation (SPEC §11) as
//! `Node` methods: inviting a bid's partners, what a partner has been
//! invited to, answering, and where each partner stands. Messages go out
//! through the durable outbox; what arrives is judged by the inbox.

use coopnet_bids::negotiation::{Invitation, Ledger, Negotiation, ToSign};
use coopnet_bids::status::BidStatus;
use coopnet_protocol::bidwire::{
    Answer, BidId, Body, Invite, MAX_NAME, OtherRole, SignedMessage, SkillDays, Terms,
};
use coopnet_protocol::kinds::ContractFields;
use coopnet_protocol::{Kind, PublicKey};

use crate::{Node, NodeError};

/// A co-op's name as bid messages and documents carry it: at most
/// [`MAX_NAME`] characters (a profile's name may be longer; the key is
/// what identifies the co-op).
fn wire_name(name: String) -> String {
    match name.chars().count() > MAX_NAME {
        true => name.chars().take(MAX_NAME).collect(),
        false => name,
    }
}

fn wire(message: &SignedMessage) -> (u64, PublicKey, &Body) {
    (
        message.message.bid_version,
        message.message.sender,
        &message.message.body,
    )
}

impl Node {
    /// The contract of a bid, either schema.
    async fn contract_fields(
        &self,
        author: PublicKey,
        key: &str,
    ) -> Result<ContractFields, NodeError> {
        for kind in [Kind::Contract, Kind::ContractV1] {
            let Some(stored) = self
                .store()
                .current(author, kind.code(), key.to_owned())
                .await?
            else {
                continue;
            };
            let header = stored.record.header().clone();
            let body = stored
                .record
                .body_bytes()
                .map(|bytes| coopnet_protocol::Body::decode(header.kind, bytes));
            match body {
                Some(Ok(coopnet_protocol::Body::Contract(c))) => return Ok(c.into_fields()),
                Some(Ok(coopnet_protocol::Body::ContractV1(c))) => {
                    return Ok(ContractFields::from(c.into_fields()));
                }
                _ => {}
            }
        }
        Err(NodeError::NotFound("the bid's contract".into()))
    }

    /// Invites every partner of one of our bids to its current plan: the
    /// bid moves to inviting (a new version), each partner's role and the
    /// summary go out through the outbox, and our ledger of the bid
    /// starts over at that version. `share_prices`: whether partners see
    /// each other's rates.
    pub async fn invite_partners(
        &self,
        bid_id: &str,
        note: &str,
        share_prices: bool,
        by: &str,
    ) -> Result<coopnet_bids::bid::Bid, NodeError> {
        let bid = self
            .bid(bid_id)
            .await?
            .ok_or_else(|| NodeError::NotFound("that bid".into()))?;
        let partners: Vec<PublicKey> = bid
            .plan
            .roles
            .iter()
            .map(|r| r.coop)
            .filter(|c| *c != self.key())
            .collect();
        if partners.is_empty() {
            return Err(NodeError::Refused(
                "the bid has no partner to invite: add a role for another co-op".into(),
            ));
        }
        let bid = match bid.status {
            BidStatus::Inviting => bid,
            _ => {
                self.move_bid(bid_id, bid.version, BidStatus::Inviting, by)
                    .await?
            }
        };
        let wire_id = bid
            .wire_id()
            .ok_or_else(|| NodeError::Internal(format!("bid id {:?} is not 32 hex", bid.bid_id)))?;
        let contract = self
            .contract_fields(bid.contract_author, &bid.contract_key)
            .await?;
        let names = self
            .coop_names(bid.plan.roles.iter().map(|r| r.coop).collect())
            .await?;
        let name = |k: &PublicKey| wire_name(names.get(k).cloned().unwrap_or_else(|| k.short()));
        let skills = |r: &coopnet_bids::plan::Role| -> Vec<SkillDays> {
            r.skills.iter().map(SkillDays::from).collect()
        };
        let mut ledger = self.store().bid_ledger(wire_id).await?.unwrap_or(Ledger {
            bid: wire_id,
            lead: self.key(),
            partners: Vec::new(),
            version: 0,
            frozen: None,
            last_seq: Default::default(),
            former: Vec::new(),
        });
        ledger.set_partners(partners.clone());
        ledger.version = bid.version;
        ledger.frozen = None;
        self.store().put_bid_ledger(ledger).await?;
        for role in bid.plan.roles.iter().filter(|r| r.coop != self.key()) {
            let others = bid
                .plan
                .roles
                .iter()
                .filter(|o| o.coop != role.coop)
                .map(|o| OtherRole {
                    coop: o.coop,
                    name: name(&o.coop),
                    skills: skills(o),
                    rate: share_prices.then_some(o.rate),
                })
                .collect();
            let invite = Invite {
                contract_author: bid.contract_author,
                contract_key: bid.contract_key.clone(),
                title: bid.title.clone(),
                lead_name: name(&self.key()),
                currency: bid.currency.clone(),
                period: contract.period.as_ref().map(|p| (p.start, p.end)),
                deadline: contract.deadline,
                role: Terms {
                    skills: skills(role),
                    rate: role.rate,
                },
                others,
                note: coopnet_protocol::kinds::fields::normalise_line_breaks(note),
            };
            self.queue_about(wire_id, bid.version, role.coop, Body::Invite(invite))
                .await?;
        }
        Ok(bid)
    }

    /// Where each partner of one of our bids stands at the version last
    /// invited: from our ledger and the answers taken since.
    pub async fn negotiation(&self, bid: BidId) -> Result<Negotiation, NodeError> {
        let Some(ledger) = self.store().bid_ledger(bid).await? else {
            return Ok(Negotiation::default());
        };
        let taken = self.bid_messages(bid).await?;
        let negotiation = Negotiation::of(&ledger, &taken);
        Ok(negotiation)
    }

    /// The bids we were invited to, each at its latest invitation, with
    /// our answer to it if we gave one.
    pub async fn invitations(&self) -> Result<Vec<Invitation>, NodeError> {
        let mut out = Vec::new();
        for bid in self.store().bids_invited_to(self.key()).await? {
            let messages = self.bid_messages(bid).await?;
            let latest = messages.iter().rev().find_map(|m| match wire(m) {
                (version, lead, Body::Invite(invite)) => Some((version, lead, invite.clone())),
                _ => None,
            });
            let Some((version, lead, invite)) = latest else {
                continue;
            };
            let answer = self
                .last_sent(bid, |m| match (m.bid_version == version, m.body) {
                    (true, Body::Answer(answer)) => Some(answer),
                    _ => None,
                })
                .await?;
            // An outcome about an older version than the latest invitation
            // is over (a partner removed, then invited again).
            let outcome = messages.iter().rev().find_map(|m| match m.message.body {
                Body::Outcome(outcome) if m.message.bid_version >= version => Some(outcome),
                _ => None,
            });
            out.push(Invitation {
                bid,
                lead,
                version,
                invite,
                answer,
                outcome,
            });
        }
        Ok(out)
    }

    /// Answers the latest invitation to `bid` (accept, decline, counter).
    pub async fn answer_invitation(&self, bid: BidId, answer: Answer) -> Result<(), NodeError> {
        let ledger = self
            .store()
            .bid_ledger(bid)
            .await?
            .filter(|l| l.lead != self.key())
            .ok_or_else(|| NodeError::NotFound("that invitation".into()))?;
        self.queue_about(bid, ledger.version, ledger.lead, Body::Answer(answer))
            .await?;
        Ok(())
    }
}

impl Node {
    /// Freezes one of our bids once every partner accepted its current
    /// version: the document (roles, totals, `terms`) is built, its hash
    /// kept in our ledger, and it goes to every partner to sign. Returns
    /// the document.
    pub async fn freeze_bid(
        &self,
        bid_id: &str,
        terms: &str,
    ) -> Result<coopnet_protocol::bidwire::BidDocument, NodeError> {
        let bid = self
            .bid(bid_id)
            .await?
            .ok_or_else(|| NodeError::NotFound("that bid".into()))?;
        let wire_id = bid
            .wire_id()
            .ok_or_else(|| NodeError::Internal(format!("bid id {:?} is not 32 hex", bid.bid_id)))?;
        let negotiation = self.negotiation(wire_id).await?;
        if negotiation.frozen.is_some() && negotiation.version == bid.version {
            return Err(NodeError::Refused(
                "this version is already frozen for signing: change the bid to make a new version"
                    .into(),
            ));
        }
        if negotiation.version != bid.version || !negotiation.ready_to_freeze() {
            return Err(NodeError::Refused(
                "every partner must accept the bid's current version before it is frozen".into(),
            ));
        }
        let contract = self
            .contract_fields(bid.contract_author, &bid.contract_key)
            .await?;
        let names = self
            .coop_names(bid.plan.roles.iter().map(|r| r.coop).collect())
            .await?;
        let name = |k: &PublicKey| wire_name(names.get(k).cloned().unwrap_or_else(|| k.short()));
        let terms = coopnet_protocol::kinds::fields::normalise_line_breaks(terms);
        let document = bid
            .document(self.key(), contract.deadline, &name, &terms)
            .ok_or_else(|| NodeError::Internal("the bid's document".into()))?;
        document.check().map_err(NodeError::Field)?;
        let mut ledger = self
            .store()
            .bid_ledger(wire_id)
            .await?
            .ok_or_else(|| NodeError::NotFound("the bid's ledger".into()))?;
        ledger.frozen = Some(document.hash());
        self.store().put_bid_ledger(ledger.clone()).await?;
        for partner in &ledger.partners {
            let freeze = Body::Freeze(document.clone());
            self.queue_about(wire_id, bid.version, *partner, freeze)
                .await?;
        }
        Ok(document)
    }

    /// The documents leads froze for us to sign, latest per bid.
    pub async fn documents_to_sign(&self) -> Result<Vec<ToSign>, NodeError> {
        let mut out = Vec::new();
        for bid in self.store().bids_invited_to(self.key()).await? {
            let messages = self.bid_messages(bid).await?;
            let Some(document) = messages.iter().rev().find_map(|m| match &m.message.body {
                Body::Freeze(document) => Some(document.clone()),
                _ => None,
            }) else {
                continue;
            };
            let hash = document.hash();
            let signed = self
                .last_sent(bid, |m| match m.body {
                    Body::Sign(s) if s.document == hash => Some(()),
                    _ => None,
                })
                .await?
                .is_some();
            out.push(ToSign {
                bid,
                document,
                signed,
            });
        }
        Ok(out)
    }

    /// Signs the latest document frozen for `bid` with our co-op's key and
    /// sends the signature to the lead.
    pub async fn sign_bid_document(&self, bid: BidId) -> Result<(), NodeError> {
        let to_sign = self
            .documents_to_sign()
            .await?
            .into_iter()
            .find(|t| t.bid == bid)
            .ok_or_else(|| NodeError::NotFound("a document to sign for that bid".into()))?;
        let document = to_sign.document;
        if !document.roles.iter().any(|r| r.coop == self.key()) {
            return Err(NodeError::Refused(
                "the document gives our co-op no role".into(),
            ));
        }
        let signature = document.sign(self.secret());
        self.queue_about(bid, document.version, document.lead, Body::Sign(signature))
            .await?;
        Ok(())
    }

    /// Moves one of our bids to agreed once every partner signed its
    /// frozen document; says whether it is agreed.
    pub async fn settle_agreement(&self, bid_id: &str, by: &str) -> Result<bool, NodeError> {
        let bid = self
            .bid(bid_id)
            .await?
            .ok_or_else(|| NodeError::NotFound("that bid".into()))?;
        let wire_id = bid
            .wire_id()
            .ok_or_else(|| NodeError::Internal(format!("bid id {:?} is not 32 hex", bid.bid_id)))?;
        let agreed = self.negotiation(wire_id).await?.agreed();
        if agreed && bid.status == BidStatus::Inviting {
            self.move_bid(bid_id, bid.version, BidStatus::Agreed, by)
                .await?;
        }
        Ok(agreed)
    }
}

impl Node {
    /// The latest document frozen for one of our bids with every valid
    /// signature of it we hold (ours, and each partner's taken), for
    /// anyone to check offline (`coopnet bid verify`).
    pub async fn export_agreement(
        &self,
        bid_id: &str,
    ) -> Result<coopnet_protocol::bidwire::ExportedDocument, NodeError> {
        let bid = self
            .bid(bid_id)
            .await?
            .ok_or_else(|| NodeError::NotFound("that bid".into()))?;
        let wire_id = bid
            .wire_id()
            .ok_or_else(|| NodeError::Internal(format!("bid id {:?} is not 32 hex", bid.bid_id)))?;
        let document = self
            .last_sent(wire_id, |m| match m.body {
                Body::Freeze(document) => Some(document),
                _ => None,
            })
            .await?
            .ok_or_else(|| NodeError::Refused("the bid has not been frozen yet".into()))?;
        let mut signatures = vec![(self.key(), document.sign(self.secret()))];
        for message in self.bid_messages(wire_id).await? {
            if let Body::Sign(signature) = message.message.body
                && document.verify(&message.message.sender, &signature)
                && !signatures.iter().any(|(k, _)| *k == message.message.sender)
            {
                signatures.push((message.message.sender, signature));
            }
        }
        Ok(coopnet_protocol::bidwire::ExportedDocument::new(
            &document,
            &signatures,
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_long_profile_name_is_cut_to_what_a_bid_message_carries() {
        assert_eq!(wire_name("Short Co-op".into()), "Short Co-op");
        let long = "é".repeat(150);
        assert_eq!(wire_name(long).chars().count(), MAX_NAME);
    }
}
