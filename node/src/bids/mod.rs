//! Joint bids on the lead's node (issue 17): the consortium builder and
//! the bid workspace, behind a few [`Node`] methods. The rules live in the
//! pure `coopnet-bids` crate; this module reads the replica for them
//! (`candidates.rs`, `capacity.rs`) and keeps bids in the store
//! (`store::bids`). Nothing here is gossiped.

mod candidates;
mod capacity;
pub(crate) mod inbox;
mod messaging;
mod negotiate;
pub mod outbox;
mod outcome;
pub use coopnet_bids::negotiation::{Invitation, ToSign};

use std::collections::{HashMap, HashSet};

use coopnet_bids::bid::{Bid, BidVersion};
use coopnet_bids::need::{self, Basis};
use coopnet_bids::plan::BidPlan;
use coopnet_bids::report::{Consortium, NeedLine, explain_all};
use coopnet_bids::solver::{self, Problem};
use coopnet_bids::status::BidStatus;
use coopnet_bids::totals::{self, Need, Published, Totals};
use coopnet_protocol::kinds::fields::fail;
use coopnet_protocol::{Problem as FieldProblem, PublicKey, Timestamp};

use crate::store::StoreError;
use crate::store::bids::{self as sql, BidChange, NewBid};
use crate::{Node, NodeError};
use candidates::Ask;

pub use coopnet_bids::contract::{ContractRef, INVITED_WINDOW_DAYS, SuggestOptions};

/// A contract's consortium problem and what frames it.
#[derive(Debug, Clone)]
pub struct Framed {
    /// What the solver is asked.
    pub problem: Problem,
    /// Who each candidate is.
    pub infos: Vec<coopnet_bids::report::CandidateInfo>,
    /// The needs, with how many co-ops have each skill.
    pub needs: Vec<NeedLine>,
    /// The days whose capacity counts.
    pub period: (coopnet_protocol::Day, coopnet_protocol::Day),
    /// Whether the period is assumed (the contract gives none).
    pub period_assumed: bool,
    /// Whether our co-op is in every team.
    pub with_us: bool,
    /// Co-ops left out for publishing rates only in other currencies.
    pub other_currency: usize,
}

fn not_found(what: &str) -> NodeError {
    NodeError::NotFound(what.to_owned())
}

impl Node {
    /// Revoked members, never suggested or accepted in a role.
    async fn revoked(&self) -> Result<HashSet<PublicKey>, NodeError> {
        let Some(view) = self.gate().view() else {
            return Ok(HashSet::new());
        };
        let named = self.store().revocation_subjects().await?;
        Ok(named.into_iter().filter(|k| view.is_revoked(k)).collect())
    }

    /// What each required skill needs: what our bid managers set, else the
    /// estimate ([`need::default_days`]).
    pub async fn contract_needs(&self, contract: &ContractRef) -> Result<Vec<NeedLine>, NodeError> {
        let (author, key, currency) = (contract.author, contract.key.clone(), contract.currency());
        let (set, tops) = self
            .store()
            .read_bids(move |conn| {
                Ok((
                    sql::needs(conn, &author, &key)?,
                    sql::band_tops(conn, &currency)?,
                ))
            })
            .await?;
        let fields = &contract.fields;
        let value = fields.value.as_ref().and_then(|v| v.amount.or(v.min));
        let (days, basis) =
            need::default_days(value, fields.required_skills.len(), need::median(tops));
        Ok(fields
            .required_skills
            .iter()
            .map(|skill| match set.iter().find(|(s, _)| s == skill) {
                Some((_, d)) => NeedLine {
                    skill: skill.clone(),
                    days: *d,
                    basis: Basis::Set,
                    holders: 0,
                },
                None => NeedLine {
                    skill: skill.clone(),
                    days,
                    basis,
                    holders: 0,
                },
            })
            .collect())
    }

    /// Sets the days a contract's skills need (each one of its required
    /// skills, 1 to 100,000 days); skills left out go back to the estimate.
    pub async fn set_contract_needs(
        &self,
        contract: &ContractRef,
        days: Vec<(String, u32)>,
    ) -> Result<(), NodeError> {
        let required = &contract.fields.required_skills;
        for (i, (skill, d)) in days.iter().enumerate() {
            if !required.contains(skill) {
                return Err(NodeError::Field(fail(
                    format!("needs[{i}].skill"),
                    FieldProblem::Malformed("one of the contract's required skills"),
                )));
            }
            if !(1..=need::MAX_DAYS).contains(d) {
                return Err(NodeError::Field(fail(
                    format!("needs[{i}].days"),
                    FieldProblem::OutOfRange {
                        min: 1,
                        max: need::MAX_DAYS.into(),
                    },
                )));
            }
        }
        let (author, key) = (contract.author, contract.key.clone());
        Ok(self.store().set_contract_needs(author, key, days).await?)
    }

    /// The problem the consortium builder solves for a contract: its
    /// needs, the candidates from the replica and who they are (for
    /// [`Node::suggest`], and for benchmarks that check its answer).
    pub async fn consortium_problem(
        &self,
        contract: &ContractRef,
        options: SuggestOptions,
    ) -> Result<Framed, NodeError> {
        let mut needs = self.contract_needs(contract).await?;
        let (period, period_assumed) = contract.period(crate::clock::now().day());
        let since = Timestamp(
            crate::clock::now()
                .0
                .saturating_sub(INVITED_WINDOW_DAYS * 86_400_000),
        );
        let ask = Ask {
            skills: contract.fields.required_skills.clone(),
            period,
            currency: contract.currency(),
            us: self.key(),
            hidden: self.revoked().await?,
            invited: HashMap::new(),
        };
        let mut found = self
            .store()
            .read_bids(move |conn| {
                let mut ask = ask;
                ask.invited = sql::invitations(conn, since)?;
                candidates::gather(conn, &ask)
            })
            .await?;
        for (line, holders) in needs.iter_mut().zip(&found.holders) {
            line.holders = *holders;
        }
        let with_us = options
            .with_us
            .unwrap_or(found.us.is_some_and(|u| found.candidates[u].skills != 0));
        let lead = match (with_us, found.us) {
            (false, _) => None,
            (true, Some(us)) => Some(us),
            (true, None) => {
                found.candidates.push(solver::Candidate::default());
                found.infos.push(coopnet_bids::report::CandidateInfo {
                    coop: self.key(),
                    name: self.name().to_owned(),
                    us: true,
                    band: None,
                });
                Some(found.candidates.len() - 1)
            }
        };
        let problem = Problem {
            needs: needs.iter().map(|n| n.days).collect(),
            candidates: found.candidates,
            lead,
            max_team: options.max_team,
            limit: options.limit,
            budget: contract.budget(),
            spread: options.spread,
        };
        Ok(Framed {
            problem,
            infos: found.infos,
            needs,
            period,
            period_assumed,
            with_us,
            other_currency: found.other_currency,
        })
    }

    /// The best teams for a contract (see `coopnet_bids::solver`).
    pub async fn suggest(
        &self,
        contract: &ContractRef,
        options: SuggestOptions,
    ) -> Result<Consortium, NodeError> {
        let Framed {
            problem,
            infos,
            needs,
            period,
            period_assumed,
            with_us,
            other_currency,
        } = self.consortium_problem(contract, options).await?;
        let outcome = solver::suggest(&problem).map_err(|e| NodeError::Refused(e.to_string()))?;
        let names: Vec<String> = needs.iter().map(|n| n.skill.clone()).collect();
        let (teams, over_value, pool) = explain_all(&problem, &outcome, &infos, &names);
        Ok(Consortium {
            needs,
            currency: contract.currency(),
            budget: contract.budget(),
            period,
            period_assumed,
            with_us,
            spread: options.spread,
            max_team: options.max_team,
            pool,
            candidates: problem.candidates.len(),
            other_currency,
            teams,
            over_value,
        })
    }

    /// Checks a plan: its fields, and that every role's co-op is a member
    /// (ours, or one the replica knows, not revoked).
    async fn check_plan(&self, plan: &mut BidPlan) -> Result<(), NodeError> {
        plan.tidy();
        plan.check().map_err(NodeError::Field)?;
        let revoked = self.revoked().await?;
        let view = self.gate().view();
        let coops: Vec<PublicKey> = plan.roles.iter().map(|r| r.coop).collect();
        let known = self
            .store()
            .read_bids(move |conn| sql::coop_names(conn, &coops))
            .await?;
        for (i, role) in plan.roles.iter().enumerate() {
            let us = role.coop == self.key();
            let member = match &view {
                Some(view) => view.is_member(&role.coop),
                None => known.contains_key(&role.coop),
            };
            if !us && (!member || revoked.contains(&role.coop)) {
                return Err(NodeError::Field(fail(
                    format!("roles[{i}].coop"),
                    FieldProblem::Malformed("a member co-op of the federation"),
                )));
            }
        }
        Ok(())
    }

    /// Names of co-ops for change sentences and pages (ours from the
    /// config; a co-op without a profile by its short key).
    pub async fn coop_names(
        &self,
        coops: Vec<PublicKey>,
    ) -> Result<HashMap<PublicKey, String>, NodeError> {
        let asked = coops.clone();
        let mut names = self
            .store()
            .read_bids(move |conn| sql::coop_names(conn, &asked))
            .await?;
        names
            .entry(self.key())
            .or_insert_with(|| self.name().to_owned());
        for coop in coops {
            names.entry(coop).or_insert_with(|| coop.short());
        }
        Ok(names)
    }

    /// Creates a draft bid for a contract with a first plan.
    pub async fn create_bid(
        &self,
        contract: &ContractRef,
        mut plan: BidPlan,
        by: &str,
    ) -> Result<Bid, NodeError> {
        self.check_plan(&mut plan).await?;
        let names = self
            .coop_names(plan.roles.iter().map(|r| r.coop).collect())
            .await?;
        let name = |k: &PublicKey| names.get(k).cloned().unwrap_or_else(|| k.short());
        let mut changes = vec!["Created".to_owned()];
        changes.extend(coopnet_bids::history::changes(
            &BidPlan::default(),
            &plan,
            &name,
        ));
        let bid_id = new_bid_id();
        let new = NewBid {
            bid_id: bid_id.clone(),
            contract: (contract.author, contract.key.clone()),
            title: contract.fields.title.clone(),
            currency: contract.currency(),
            plan,
            by: by.to_owned(),
            changes,
        };
        self.store().insert_bid(new).await?;
        self.bid(&bid_id)
            .await?
            .ok_or_else(|| not_found("that bid"))
    }

    /// The bid with this id.
    pub async fn bid(&self, bid_id: &str) -> Result<Option<Bid>, NodeError> {
        Ok(self.store().bid(bid_id.to_owned()).await?)
    }

    /// A page of our bids, most recently changed first.
    pub async fn bids(
        &self,
        status: Option<BidStatus>,
        offset: usize,
        limit: usize,
    ) -> Result<(Vec<Bid>, usize), NodeError> {
        Ok(self.store().bids(status, offset, limit).await?)
    }

    /// Replaces a bid's plan (a new version); an agreed bid goes back to
    /// inviting. Refused for a bid that changed since `base_version`
    /// ([`StoreError::Conflict`]) or whose status is final or submitted.
    pub async fn update_bid(
        &self,
        bid_id: &str,
        base_version: u64,
        mut plan: BidPlan,
        by: &str,
    ) -> Result<Bid, NodeError> {
        let bid = self.current_bid(bid_id, base_version).await?;
        if !bid.status.is_editable() {
            return Err(NodeError::Refused(format!(
                "a {} bid cannot be changed",
                bid.status.as_str()
            )));
        }
        self.check_plan(&mut plan).await?;
        let mut coops: Vec<PublicKey> = plan.roles.iter().map(|r| r.coop).collect();
        coops.extend(bid.plan.roles.iter().map(|r| r.coop));
        let names = self.coop_names(coops).await?;
        let name = |k: &PublicKey| names.get(k).cloned().unwrap_or_else(|| k.short());
        let mut changes = coopnet_bids::history::changes(&bid.plan, &plan, &name);
        let status = bid.status.after_edit();
        if status != bid.status {
            changes.push(format!(
                "Status: {} → {}",
                bid.status.as_str(),
                status.as_str()
            ));
        }
        if changes.is_empty() {
            return Ok(bid);
        }
        let bid = self
            .change(
                bid_id,
                BidChange {
                    base_version,
                    status,
                    plan,
                    by: by.to_owned(),
                    changes,
                },
            )
            .await?;
        self.after_revision(&bid, by).await?;
        // Inviting again made a version of its own.
        Ok(self.bid(bid_id).await?.unwrap_or(bid))
    }

    /// Moves a bid to another status (see `coopnet_bids::status`).
    pub async fn move_bid(
        &self,
        bid_id: &str,
        base_version: u64,
        to: BidStatus,
        by: &str,
    ) -> Result<Bid, NodeError> {
        let bid = self.current_bid(bid_id, base_version).await?;
        let status = bid.status.move_to(to).map_err(NodeError::Refused)?;
        self.check_move(&bid, status).await?;
        let changes = vec![format!(
            "Status: {} → {}",
            bid.status.as_str(),
            status.as_str()
        )];
        let change = BidChange {
            base_version,
            status,
            plan: bid.plan.clone(),
            by: by.to_owned(),
            changes,
        };
        self.move_and_tell(&bid, change).await
    }

    /// The bid, if it is still at `base_version` (else a conflict: someone
    /// changed it meanwhile).
    async fn current_bid(&self, bid_id: &str, base_version: u64) -> Result<Bid, NodeError> {
        let bid = self
            .bid(bid_id)
            .await?
            .ok_or_else(|| not_found("that bid"))?;
        if bid.version != base_version {
            return Err(StoreError::Conflict(format!(
                "the bid changed since version {base_version} (it is at version {} now): \
                 reload it and make your change again",
                bid.version
            ))
            .into());
        }
        Ok(bid)
    }

    async fn change(&self, bid_id: &str, change: BidChange) -> Result<Bid, NodeError> {
        let result = self.store().change_bid(bid_id.to_owned(), change).await;
        self.changed(bid_id, result).await
    }

    /// The bid as a store change of it left it (an unknown bid is not
    /// found).
    async fn changed(
        &self,
        bid_id: &str,
        result: Result<u64, StoreError>,
    ) -> Result<Bid, NodeError> {
        match result {
            Ok(_) => {}
            Err(StoreError::Invalid(_)) => return Err(not_found("that bid")),
            Err(other) => return Err(other.into()),
        }
        self.bid(bid_id).await?.ok_or_else(|| not_found("that bid"))
    }

    /// Every version of a bid, oldest first.
    pub async fn bid_history(&self, bid_id: &str) -> Result<Vec<BidVersion>, NodeError> {
        Ok(self.store().bid_history(bid_id.to_owned()).await?)
    }

    /// A bid's totals against its contract and what its partners
    /// published in the contract period.
    pub async fn bid_totals(&self, bid: &Bid, contract: &ContractRef) -> Result<Totals, NodeError> {
        let needs: Vec<Need> = self
            .contract_needs(contract)
            .await?
            .into_iter()
            .map(|n| Need {
                skill: n.skill,
                days: n.days,
            })
            .collect();
        let (period, _) = contract.period(crate::clock::now().day());
        let coops: Vec<PublicKey> = bid.plan.roles.iter().map(|r| r.coop).collect();
        let currency = bid.currency.clone();
        let asked = coops.clone();
        let (records, known) = self
            .store()
            .read_bids(move |conn| {
                Ok((
                    sql::capacity_records(conn, &asked)?,
                    sql::coop_names(conn, &asked)?,
                ))
            })
            .await?;
        let revoked = self.revoked().await?;
        let view = self.gate().view();
        let mut published: HashMap<PublicKey, Published> = HashMap::new();
        for coop in &coops {
            let member = match &view {
                Some(view) => view.is_member(coop) && !revoked.contains(coop),
                None => known.contains_key(coop) || *coop == self.key(),
            };
            published.insert(
                *coop,
                Published {
                    member: member || *coop == self.key(),
                    band: None,
                    days: 0,
                },
            );
        }
        for (coop, bytes) in records {
            let capacity = capacity::decode(bytes)?;
            let (windows, _) = capacity::in_period(&capacity, period, &currency);
            if let Some(entry) = published.get_mut(&coop) {
                entry.band = capacity::band(&windows);
                entry.days = windows.iter().map(|w| w.days).sum();
            }
        }
        let lookup = |k: &PublicKey| published.get(k).cloned();
        Ok(totals::totals(
            &bid.plan,
            &needs,
            contract.budget(),
            &lookup,
        ))
    }
}

/// A fresh bid id: 16 random bytes in hex.
fn new_bid_id() -> String {
    use rand_core::{OsRng, RngCore};
    let mut bytes = [0_u8; 16];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}
