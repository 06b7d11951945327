//! *Home*: what's new — co-ops that joined, open contracts that match our
//! skills — and the state of this node.

use askama::Template;
use axum::extract::State;
use axum::response::Html;
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Kind};

use super::{Frame, show};
use crate::backend::NodeInfo;
use crate::error::{PageError, render};
use crate::ops::{self, ContractFilter, ContractItem};
use crate::{AppState, Viewer};

/// How many newly seen co-ops the page lists.
const NEW_COOPS: usize = 8;
/// How many matching contracts the page lists.
const MATCHING: usize = 10;

struct NewCoop {
    key: String,
    name: String,
    region: String,
}

#[derive(Template)]
#[template(path = "home.html")]
struct HomePage {
    frame: Frame,
    info: NodeInfo,
    has_profile: bool,
    has_skills: bool,
    new_coops: Vec<NewCoop>,
    matching: Vec<(ContractItem, Vec<String>)>,
    /// Invitations to bids not answered yet, and agreements to sign.
    waiting: usize,
}

/// `GET /`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Html<String>, PageError> {
    let backend = state.backend.as_ref();
    let own = backend.own_key();
    let profiles = backend.list(Kind::Profile, None, NEW_COOPS + 1).await?;
    let new_coops = profiles
        .into_iter()
        .filter(|r| r.author != own)
        .filter_map(|r| match r.body {
            Some(Body::Profile(p)) => Some(NewCoop {
                key: r.author.to_string(),
                name: p.name.clone(),
                region: p.region.clone(),
            }),
            _ => None,
        })
        .take(NEW_COOPS)
        .collect();
    let has_profile = ops::own(backend, Kind::Profile).await?.record.is_some();
    let ours: Vec<String> = match ops::own(backend, Kind::Skills)
        .await?
        .record
        .and_then(|r| r.body)
    {
        Some(Body::Skills(s)) => s
            .entries
            .iter()
            .flat_map(|e| Taxonomy::esco().entry_terms(e).map(|(_, t)| t))
            .flatten()
            .collect(),
        _ => Vec::new(),
    };
    let matching = if ours.is_empty() {
        Vec::new()
    } else {
        let open = ops::contracts(backend, &ContractFilter::default()).await?;
        let mut scored: Vec<(ContractItem, Vec<String>)> = open
            .into_iter()
            .filter(|c| c.author != own)
            .map(|c| {
                let hits: Vec<String> = c
                    .fields
                    .required_skills
                    .iter()
                    .filter(|s| ops::skill_key(s).is_some_and(|k| ours.contains(&k)))
                    .cloned()
                    .collect();
                (c, hits)
            })
            .filter(|(_, hits)| !hits.is_empty())
            .collect();
        scored.sort_by_key(|(_, hits)| std::cmp::Reverse(hits.len()));
        scored.truncate(MATCHING);
        scored
    };
    let desk = backend.bids();
    // What waits for us: invitations not answered and documents not
    // signed, of bids that are still open to us.
    let invitations = desk.invitations().await?;
    let over: Vec<_> = invitations
        .iter()
        .filter(|i| i.outcome.is_some())
        .map(|i| i.bid)
        .collect();
    let unanswered = invitations
        .iter()
        .filter(|i| i.answer.is_none() && i.outcome.is_none())
        .count();
    let unsigned = desk
        .documents_to_sign()
        .await?
        .iter()
        .filter(|t| !t.signed && !over.contains(&t.bid))
        .count();
    render(&HomePage {
        waiting: unanswered + unsigned,
        frame: Frame::new(&state, &viewer, "home").await,
        info: backend.info().await?,
        has_profile,
        has_skills: !ours.is_empty(),
        new_coops,
        matching,
    })
}
