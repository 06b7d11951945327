//! The bid pages: "Build a consortium" from a contract, "Bids", and a
//! bid's workspace. Forms work without JavaScript; a role's skills are
//! typed one per line as `skill: days`.

use askama::Template;
use axum::Router;
use axum::extract::{Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use coopnet_bids::bid::{Bid, BidVersion};
use coopnet_bids::plan::{BidPlan, Role};
use coopnet_bids::report::Consortium;
use coopnet_bids::status::BidStatus;
use serde::Deserialize;

use super::forms::{lines, read_milestones, read_roles, said};
use super::ops::{self, BidView};
use super::words;
use crate::error::{Failure, PageError, render};
use crate::ops::ContractItem;
use crate::pages::form::Fields;
use crate::pages::{Frame, show};
use crate::paging::{Pager, Paging};
use crate::{AppState, Viewer};

/// The bid pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts/{id}/consortium", get(consortium))
        .route("/contracts/{id}/needs", post(save_needs))
        .route("/bids", get(list).post(create))
        .route("/bids/{bid_id}", get(one).post(save))
        .route("/bids/{bid_id}/status", post(move_to))
}

#[derive(Debug, Default, Deserialize)]
pub struct ConsortiumQuery {
    #[serde(default)]
    max_team: String,
    #[serde(default)]
    limit: String,
    #[serde(default)]
    with_us: String,
    #[serde(default)]
    spread: String,
}

#[derive(Template)]
#[template(path = "bids/consortium.html")]
struct ConsortiumPage {
    frame: Frame,
    contract: ContractItem,
    c: Consortium,
    needs_error: Option<String>,
    options_error: Option<String>,
}

impl ConsortiumPage {
    /// A role's skills as hidden form text.
    fn lines(&self, role: &Role) -> String {
        lines(role)
    }
}

async fn consortium_page(
    state: &AppState,
    viewer: &Viewer,
    id: &str,
    query: &ConsortiumQuery,
) -> Result<ConsortiumPage, PageError> {
    let (contract, reference) = ops::contract(state.backend.as_ref(), id).await?;
    let (options, options_error) =
        match ops::options(&query.max_team, &query.limit, &query.with_us, &query.spread) {
            Ok(options) => (options, None),
            Err(failure) => (Default::default(), Some(failure.message)),
        };
    let c = state.backend.bids().suggest(reference, options).await?;
    Ok(ConsortiumPage {
        frame: Frame::new(state, viewer, "bids").await,
        contract,
        c,
        needs_error: None,
        options_error,
    })
}

/// `GET /contracts/{id}/consortium`.
pub async fn consortium(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    Query(query): Query<ConsortiumQuery>,
) -> Result<Html<String>, PageError> {
    render(&consortium_page(&state, &viewer, &id, &query).await?)
}

/// `POST /contracts/{id}/needs`: the days each skill needs.
pub async fn save_needs(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let (_, reference) = ops::contract(state.backend.as_ref(), &id).await?;
    let skills = fields.all("skill");
    let mut days = Vec::new();
    let mut failure = None;
    for (i, skill) in skills.iter().enumerate() {
        match fields.nth("days", i).parse::<u32>() {
            Ok(d) => days.push((skill.clone(), d)),
            Err(_) => {
                failure = Some(Failure::invalid(
                    format!("needs[{i}].days"),
                    "must be a whole number",
                ));
                break;
            }
        }
    }
    let result = match failure {
        Some(failure) => Err(failure),
        None => state
            .backend
            .bids()
            .set_contract_needs(reference, days)
            .await
            .map_err(Failure::from),
    };
    match result {
        Ok(()) => {
            let path: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
            Ok(Redirect::to(&format!("/contracts/{path}/consortium")).into_response())
        }
        Err(failure) => {
            let query = ConsortiumQuery::default();
            let mut page = consortium_page(&state, &viewer, &id, &query).await?;
            page.needs_error = Some(said(&failure, &[]));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

/// `POST /bids`: a new bid from a suggestion's roles (or none).
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    let (_, reference) = ops::contract(state.backend.as_ref(), &fields.get("contract")).await?;
    let (roles, rows) = read_roles(&fields)?;
    let plan = BidPlan {
        roles,
        ..BidPlan::default()
    };
    let bid = state
        .backend
        .bids()
        .create_bid(reference, plan, viewer.user.username.clone())
        .await
        .map_err(|e| {
            let failure = Failure::from(e);
            let message = said(&failure, &rows);
            Failure { message, ..failure }
        })?;
    Ok(Redirect::to(&format!("/bids/{}", bid.bid_id)).into_response())
}

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    status: String,
    #[serde(default)]
    offset: String,
    #[serde(default)]
    limit: String,
}

#[derive(Template)]
#[template(path = "bids/list.html")]
struct ListPage {
    frame: Frame,
    statuses: [BidStatus; 7],
    status: String,
    bids: Vec<Bid>,
    pager: Pager,
    error: Option<String>,
}

/// `GET /bids`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, PageError> {
    let found = async {
        let paging = Paging::read(&query.offset, &query.limit, 25)?;
        let status = match query.status.trim() {
            "" => None,
            word => Some(ops::status(word, "status")?),
        };
        let (bids, total) = state
            .backend
            .bids()
            .bids(status, paging.offset, paging.limit)
            .await?;
        Ok::<_, Failure>((paging, bids, total))
    };
    let (bids, pager, error) = match found.await {
        Ok((paging, bids, total)) => {
            let pager = Pager::new("/bids", &raw.unwrap_or_default(), paging, bids.len(), total);
            (bids, pager, None)
        }
        Err(failure) => (Vec::new(), Pager::default(), Some(failure.message)),
    };
    render(&ListPage {
        frame: Frame::new(&state, &viewer, "bids").await,
        statuses: BidStatus::ALL,
        status: query.status,
        bids,
        pager,
        error,
    })
}

/// A role row as the form shows it.
#[derive(Debug, Clone)]
struct RoleRow {
    coop: String,
    name: String,
    skills: String,
    rate: String,
    share: String,
}

#[derive(Template)]
#[template(path = "bids/bid.html")]
struct BidPage {
    frame: Frame,
    view: BidView,
    warnings: Vec<String>,
    editable: bool,
    rows: Vec<RoleRow>,
    choices: Vec<(String, String)>,
    new_coop: String,
    new_skills: String,
    new_rate: String,
    /// (due, what), with three empty rows to fill.
    milestones: Vec<(String, String)>,
    notes: String,
    history: Vec<BidVersion>,
    error: Option<String>,
    lead: super::lead::LeadView,
}

impl BidPage {
    /// The milestones by date, for a bid that can no longer change.
    fn dated_milestones(&self) -> Vec<coopnet_bids::plan::Milestone> {
        let mut milestones = self.view.bid.plan.milestones.clone();
        milestones.sort_by_key(|m| m.due);
        milestones
    }
}

async fn bid_page(state: &AppState, viewer: &Viewer, view: BidView) -> Result<BidPage, PageError> {
    let history = state
        .backend
        .bids()
        .bid_history(view.bid.bid_id.clone())
        .await?;
    let warnings = view
        .totals
        .as_ref()
        .map(|t| {
            t.warnings
                .iter()
                .map(|w| words::warning(w, &view))
                .collect()
        })
        .unwrap_or_default();
    let shares = view
        .totals
        .as_ref()
        .map(|t| t.shares.clone())
        .unwrap_or_default();
    let rows = view
        .bid
        .plan
        .roles
        .iter()
        .enumerate()
        .map(|(i, r)| RoleRow {
            coop: r.coop.to_string(),
            name: view.name(&r.coop),
            skills: lines(r),
            rate: r.rate.to_string(),
            share: shares.get(i).map(|s| format!("{s} %")).unwrap_or_default(),
        })
        .collect();
    let choices = choices(state, &view).await;
    let mut milestones: Vec<(String, String)> = view
        .bid
        .plan
        .milestones
        .iter()
        .map(|m| (m.due.to_string(), m.title.clone()))
        .collect();
    milestones.sort();
    milestones.extend(std::iter::repeat_n((String::new(), String::new()), 3));
    let lead = super::lead::view(state, &view).await?;
    Ok(BidPage {
        frame: Frame::new(state, viewer, "bids").await,
        lead,
        warnings,
        editable: view.bid.status.is_editable(),
        rows,
        choices,
        new_coop: String::new(),
        new_skills: String::new(),
        new_rate: String::new(),
        milestones,
        notes: view.bid.plan.notes.clone(),
        history,
        error: None,
        view,
    })
}

/// Co-ops a bid manager may add: ours and those partner search finds
/// for the contract's skills, less those with a role already.
async fn choices(state: &AppState, view: &BidView) -> Vec<(String, String)> {
    let mut out: Vec<(String, String)> = Vec::new();
    let own = state.backend.own_key();
    out.push((own.to_string(), format!("Us ({})", view.name(&own))));
    if let Some(contract) = &view.contract
        && let Ok((_, hits)) = crate::ops::contract(state.backend.as_ref(), &contract.id).await
    {
        for hit in hits {
            let name = if hit.name.is_empty() {
                hit.author.short()
            } else {
                hit.name.clone()
            };
            out.push((hit.author.to_string(), name));
        }
    }
    out.retain(|(key, _)| {
        !view
            .bid
            .plan
            .roles
            .iter()
            .any(|r| r.coop.to_string() == *key)
    });
    out
}

#[derive(Debug, Default, Deserialize)]
pub struct OneQuery {
    #[serde(default)]
    saved: Option<u64>,
    /// What a lead's action did, said once after its redirect.
    #[serde(default)]
    done: Option<String>,
}

/// `GET /bids/{bid_id}`.
pub async fn one(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    Query(query): Query<OneQuery>,
) -> Result<Html<String>, PageError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    let mut page = bid_page(&state, &viewer, view).await?;
    if let Some(version) = query.saved {
        page.frame.notice = Some(format!("Saved: version {version}."));
    }
    if let Some(done) = query.done.as_deref().and_then(super::lead::done) {
        page.frame.notice = Some(done.to_owned());
    }
    render(&page)
}

/// `POST /bids/{bid_id}`: the roles, milestones and notes as a new
/// version.
pub async fn save(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    let mut rows = Vec::new();
    let result = async {
        let version: u64 = fields
            .get("version")
            .parse()
            .map_err(|_| Failure::bad_request("the form lost its version; reload the page"))?;
        let (roles, at) = read_roles(&fields)?;
        rows = at;
        let plan = BidPlan {
            roles,
            milestones: read_milestones(&fields)?,
            notes: fields.get("notes"),
        };
        let desk = state.backend.bids();
        Ok::<_, Failure>(
            desk.update_bid(bid_id.clone(), version, plan, viewer.user.username.clone())
                .await?,
        )
    }
    .await;
    match result {
        Ok(bid) => {
            let to = format!("/bids/{}?saved={}", bid.bid_id, bid.version);
            Ok(Redirect::to(&to).into_response())
        }
        Err(failure) => {
            let status = failure.status;
            let mut page = bid_page(&state, &viewer, view).await?;
            // What was typed, shown again.
            let coops = fields.all("coop");
            page.rows = coops
                .iter()
                .enumerate()
                .map(|(i, coop)| RoleRow {
                    coop: coop.clone(),
                    name: page
                        .rows
                        .iter()
                        .find(|r| r.coop == *coop)
                        .map_or_else(|| coop.clone(), |r| r.name.clone()),
                    skills: fields.nth("skills", i),
                    rate: fields.nth("rate", i),
                    share: String::new(),
                })
                .collect();
            page.new_coop = fields.get("new_coop");
            page.new_skills = fields.get("new_skills");
            page.new_rate = fields.get("new_rate");
            page.notes = fields.get("notes");
            page.error = Some(said(&failure, &rows));
            Ok((status, render(&page)?).into_response())
        }
    }
}

/// `POST /bids/{bid_id}/status`.
pub async fn move_to(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    fields: Fields,
) -> Result<Response, PageError> {
    let version: u64 = fields
        .get("version")
        .parse()
        .map_err(|_| Failure::bad_request("the form lost its version; reload the page"))?;
    let to = ops::status(&fields.get("status"), "status")?;
    let bid = state
        .backend
        .bids()
        .move_bid(bid_id, version, to, viewer.user.username.clone())
        .await?;
    Ok(Redirect::to(&format!("/bids/{}?saved={}", bid.bid_id, bid.version)).into_response())
}
