//! What the bid pages and the bid API share: reading a contract for the
//! builder, the builder's options, and a bid with everything its page
//! shows.

use std::collections::HashMap;

use coopnet_bids::bid::Bid;
use coopnet_bids::contract::{ContractRef, SuggestOptions};
use coopnet_bids::solver::{MAX_SUGGESTIONS, MAX_TEAM};
use coopnet_bids::status::BidStatus;
use coopnet_bids::totals::Totals;
use coopnet_protocol::PublicKey;

use crate::backend::Backend;
use crate::error::Failure;
use crate::ops::{self, ContractItem};

/// The contract with this id, and as the bid workspace reads it.
pub async fn contract(
    backend: &dyn Backend,
    id: &str,
) -> Result<(ContractItem, ContractRef), Failure> {
    let item = ops::contract_item(backend, id).await?;
    let reference = reference(&item);
    Ok((item, reference))
}

fn reference(item: &ContractItem) -> ContractRef {
    ContractRef {
        author: item.author,
        key: item.key.clone(),
        fields: item.fields.clone(),
    }
}

/// The builder's options as typed (query parameters or a form): empty
/// means the default; a bad one is a 422 naming it.
pub fn options(
    max_team: &str,
    limit: &str,
    with_us: &str,
    spread: &str,
) -> Result<SuggestOptions, Failure> {
    let defaults = SuggestOptions::default();
    let number = |text: &str, field: &str, default: usize, max: usize| match text.trim() {
        "" => Ok(default),
        text => text
            .parse::<usize>()
            .ok()
            .filter(|n| (1..=max).contains(n))
            .ok_or_else(|| {
                Failure::invalid(field, format!("must be a whole number from 1 to {max}"))
            }),
    };
    let flag = |text: &str, field: &str| match text.trim() {
        "" => Ok(None),
        "true" | "yes" | "on" | "1" => Ok(Some(true)),
        "false" | "no" | "0" => Ok(Some(false)),
        _ => Err(Failure::invalid(field, "must be true or false")),
    };
    Ok(SuggestOptions {
        max_team: number(max_team, "max_team", defaults.max_team, MAX_TEAM)?,
        limit: number(limit, "limit", defaults.limit, MAX_SUGGESTIONS)?,
        with_us: flag(with_us, "with_us")?,
        spread: flag(spread, "spread")?.unwrap_or(false),
    })
}

/// A status as typed, or a 422 naming `field`.
pub fn status(word: &str, field: &str) -> Result<BidStatus, Failure> {
    BidStatus::parse(word.trim()).ok_or_else(|| {
        let words: Vec<&str> = BidStatus::ALL.iter().map(|s| s.as_str()).collect();
        Failure::invalid(field, format!("must be one of {}", words.join(", ")))
    })
}

/// A bid with what its page shows.
#[derive(Debug, Clone)]
pub struct BidView {
    /// The bid.
    pub bid: Bid,
    /// Its contract (`None` if withdrawn by its author since).
    pub contract: Option<ContractItem>,
    /// Its totals and warnings (empty without the contract).
    pub totals: Option<Totals>,
    /// Names of the co-ops in its roles, and ours.
    pub names: HashMap<PublicKey, String>,
}

impl BidView {
    /// A co-op's name.
    pub fn name(&self, coop: &PublicKey) -> String {
        self.names
            .get(coop)
            .cloned()
            .unwrap_or_else(|| coop.short())
    }
}

/// A 404 unless we have a bid with this id (without reading its contract,
/// totals and names, which the caller will read after changing it).
pub async fn bid_exists(backend: &dyn Backend, bid_id: &str) -> Result<(), Failure> {
    match backend.bids().bid(bid_id.to_owned()).await? {
        Some(_) => Ok(()),
        None => Err(Failure::not_found("that bid")),
    }
}

/// A bid's id as the wire carries it (32 hex characters), or a 404 naming
/// an invitation: only bids we were invited to are looked up by it.
pub fn invitation_id(text: &str) -> Result<coopnet_protocol::bidwire::BidId, Failure> {
    let mut bid = [0_u8; 16];
    hex::decode_to_slice(text, &mut bid).map_err(|_| Failure::not_found("that invitation"))?;
    Ok(bid)
}

/// The bid with this id and what its page shows, or a 404.
pub async fn bid(backend: &dyn Backend, bid_id: &str) -> Result<BidView, Failure> {
    let desk = backend.bids();
    let bid = desk
        .bid(bid_id.to_owned())
        .await?
        .ok_or_else(|| Failure::not_found("that bid"))?;
    view(backend, bid).await
}

/// What a bid's page shows, around `bid`.
pub async fn view(backend: &dyn Backend, bid: Bid) -> Result<BidView, Failure> {
    let desk = backend.bids();
    let contract = ops::contract_at(backend, bid.contract_author, bid.contract_key.clone())
        .await
        .ok();
    let totals = match &contract {
        Some(item) => Some(desk.bid_totals(bid.clone(), reference(item)).await?),
        None => None,
    };
    let mut coops: Vec<PublicKey> = bid.plan.roles.iter().map(|r| r.coop).collect();
    coops.push(backend.own_key());
    let names = desk.coop_names(coops).await?;
    Ok(BidView {
        bid,
        contract,
        totals,
        names,
    })
}
