//! `/api/v1/contracts/{id}/needs`, `/api/v1/contracts/{id}/suggestions`
//! and `/api/v1/bids`: the consortium builder and the bid workspace as
//! JSON, with the same rules as the pages (`super::ops`).

use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use coopnet_bids::status::BidStatus;
use serde::Deserialize;

use super::json::{
    BidJson, BidListJson, BidSummaryJson, BidUpdateBody, HistoryJson, MilestoneJson, NeedJson,
    NeedsBody, NeedsJson, NewBidBody, RoleView, SkillDaysJson, SkillLineJson, StatusBody,
    SuggestionsJson, TeamJson, TotalsJson, VersionJson, WarningJson, api_field, plan,
};
use super::ops::{self, BidView};
use crate::error::{ApiError, ErrorBody, Failure};
use crate::paging::Paging;
use crate::{AppState, Viewer};

/// The bid routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts/{contract_id}/needs", get(needs).put(set_needs))
        .route("/contracts/{contract_id}/suggestions", get(suggestions))
        .route("/bids", get(list).post(create))
        .route("/bids/{bid_id}", get(one).put(update))
        .route("/bids/{bid_id}/status", post(move_to))
        .route("/bids/{bid_id}/history", get(history))
}

/// A failure with its field in the API's words.
fn in_api_words(failure: impl Into<Failure>) -> ApiError {
    let mut failure = failure.into();
    if let Some(field) = failure.field.take() {
        let renamed = api_field(&field);
        failure.message = failure.message.replacen(&field, &renamed, 1);
        failure.field = Some(renamed);
    }
    ApiError(failure)
}

/// What a contract's required skills need, in person-days.
#[utoipa::path(get, path = "/api/v1/contracts/{contract_id}/needs", tag = "bids",
    params(("contract_id" = String, Path, description = "The contract's id")),
    responses((status = 200, body = NeedsJson, description = "One line per required skill"),
        (status = 404, body = ErrorBody, description = "No such contract")))]
pub async fn needs(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<NeedsJson>, ApiError> {
    let (_, contract) = ops::contract(state.backend.as_ref(), &id).await?;
    let needs = state.backend.bids().contract_needs(contract).await?;
    Ok(Json(NeedsJson {
        contract_id: id,
        needs: needs.iter().map(NeedJson::from).collect(),
    }))
}

/// Sets the person-days of a contract's skills (kept on this node only).
#[utoipa::path(put, path = "/api/v1/contracts/{contract_id}/needs", tag = "bids",
    params(("contract_id" = String, Path, description = "The contract's id")),
    request_body = NeedsBody,
    responses((status = 200, body = NeedsJson, description = "The needs now"),
        (status = 404, body = ErrorBody, description = "No such contract"),
        (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn set_needs(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Json(body): Json<NeedsBody>,
) -> Result<Json<NeedsJson>, ApiError> {
    let (_, contract) = ops::contract(state.backend.as_ref(), &id).await?;
    let mut days = Vec::new();
    for (i, need) in body.needs.iter().enumerate() {
        let d = u32::try_from(need.days)
            .ok()
            .filter(|d| (1..=coopnet_bids::need::MAX_DAYS).contains(d))
            .ok_or_else(|| {
                Failure::invalid(format!("needs[{i}].days"), "must be between 1 and 100000")
            })?;
        days.push((need.skill.trim().to_owned(), d));
    }
    let desk = state.backend.bids();
    desk.set_contract_needs(contract.clone(), days).await?;
    let needs = desk.contract_needs(contract).await?;
    Ok(Json(NeedsJson {
        contract_id: id,
        needs: needs.iter().map(NeedJson::from).collect(),
    }))
}

/// The builder's options.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// The most co-ops per team, 1–6 (default 4).
    #[serde(default)]
    #[param(value_type = Option<u32>)]
    max_team: String,
    /// The most teams, 1–20 (default 5).
    #[serde(default)]
    #[param(value_type = Option<u32>)]
    limit: String,
    /// Our co-op in every team (default: when it has a needed skill).
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    with_us: String,
    /// Prefer co-ops we invited less often in the last 90 days.
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    spread: String,
}

/// Teams of co-ops that could cover the contract: every required skill
/// with enough free person-days in its period, at a cost inside its value.
#[utoipa::path(get, path = "/api/v1/contracts/{contract_id}/suggestions", tag = "bids",
    params(("contract_id" = String, Path, description = "The contract's id"), SuggestQuery),
    responses((status = 200, body = SuggestionsJson, description = "The best teams, explained"),
        (status = 404, body = ErrorBody, description = "No such contract"),
        (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn suggestions(
    State(state): State<AppState>,
    Path(id): Path<String>,
    Query(query): Query<SuggestQuery>,
) -> Result<Json<SuggestionsJson>, ApiError> {
    let options = ops::options(&query.max_team, &query.limit, &query.with_us, &query.spread)?;
    let (_, contract) = ops::contract(state.backend.as_ref(), &id).await?;
    let c = state.backend.bids().suggest(contract, options).await?;
    Ok(Json(SuggestionsJson {
        contract_id: id,
        covered: c.covered(),
        currency: c.currency,
        value: c.budget,
        starts: c.period.0.to_string(),
        ends: c.period.1.to_string(),
        period_assumed: c.period_assumed,
        with_us: c.with_us,
        spread: c.spread,
        max_team: c.max_team,
        exact: c.pool.is_none(),
        pool: c.pool,
        candidates: c.candidates,
        other_currency: c.other_currency,
        needs: c.needs.iter().map(NeedJson::from).collect(),
        teams: c.teams.iter().map(TeamJson::from).collect(),
        over_value: c.over_value.as_ref().map(TeamJson::from),
    }))
}

/// A bid as JSON.
pub fn bid_json(view: &BidView) -> BidJson {
    let bid = &view.bid;
    let shares = view
        .totals
        .as_ref()
        .map(|t| t.shares.clone())
        .unwrap_or_default();
    let mut milestones: Vec<MilestoneJson> = bid
        .plan
        .milestones
        .iter()
        .map(|m| MilestoneJson {
            title: m.title.clone(),
            due: m.due.to_string(),
        })
        .collect();
    milestones.sort_by(|a, b| a.due.cmp(&b.due));
    BidJson {
        bid_id: bid.bid_id.clone(),
        contract_id: crate::ops::contract_id(&bid.contract_author, &bid.contract_key),
        title: bid.title.clone(),
        currency: bid.currency.clone(),
        status: bid.status.as_str().to_owned(),
        next_statuses: bid
            .status
            .next()
            .iter()
            .map(|s| s.as_str().to_owned())
            .collect(),
        version: bid.version,
        created_at: bid.created_at.0,
        updated_at: bid.updated_at.0,
        roles: bid
            .plan
            .roles
            .iter()
            .enumerate()
            .map(|(i, r)| RoleView {
                coop_key: r.coop.to_string(),
                name: view.name(&r.coop),
                skills: r
                    .skills
                    .iter()
                    .map(|s| SkillDaysJson {
                        skill: s.skill.clone(),
                        days: s.days.into(),
                    })
                    .collect(),
                day_rate: r.rate,
                days: r.days(),
                cost: r.cost(),
                share: shares.get(i).copied().unwrap_or(0),
            })
            .collect(),
        milestones,
        notes: bid.plan.notes.clone(),
        totals: view.totals.as_ref().map(|t| TotalsJson {
            skills: t
                .skills
                .iter()
                .map(|s| SkillLineJson {
                    skill: s.skill.clone(),
                    need: s.need,
                    planned: s.planned,
                })
                .collect(),
            days: t.days,
            cost: t.cost,
            margin: t.margin,
            uncovered: t.uncovered.clone(),
            warnings: t
                .warnings
                .iter()
                .map(|w| WarningJson::new(w, view))
                .collect(),
        }),
    }
}

/// The bid list's filters.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Only bids with this status.
    #[serde(default)]
    status: String,
    /// At most this many (1-200, default 50).
    #[serde(default)]
    #[param(value_type = Option<u32>)]
    limit: String,
    /// Skip this many (default 0).
    #[serde(default)]
    #[param(value_type = Option<u32>)]
    offset: String,
}

/// Our bids, most recently changed first.
#[utoipa::path(get, path = "/api/v1/bids", tag = "bids", params(ListQuery),
    responses((status = 200, body = BidListJson, description = "A page of our bids"),
        (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<BidListJson>, ApiError> {
    let paging = Paging::read(&query.offset, &query.limit, 50)?;
    let status = match query.status.trim() {
        "" => None,
        word => Some(ops::status(word, "status")?),
    };
    let (bids, total) = state
        .backend
        .bids()
        .bids(status, paging.offset, paging.limit)
        .await?;
    Ok(Json(BidListJson {
        bids: bids
            .iter()
            .map(|b| BidSummaryJson {
                bid_id: b.bid_id.clone(),
                contract_id: crate::ops::contract_id(&b.contract_author, &b.contract_key),
                title: b.title.clone(),
                status: b.status.as_str().to_owned(),
                version: b.version,
                coops: b.plan.roles.len(),
                updated_at: b.updated_at.0,
            })
            .collect(),
        total,
        offset: paging.offset,
        limit: paging.limit,
    }))
}

/// Creates a draft bid for a contract, with first roles (a suggestion's,
/// say) or none.
#[utoipa::path(post, path = "/api/v1/bids", tag = "bids", request_body = NewBidBody,
    responses((status = 201, body = BidJson, description = "Created"),
        (status = 404, body = ErrorBody, description = "No such contract"),
        (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn create(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<NewBidBody>,
) -> Result<(StatusCode, Json<BidJson>), ApiError> {
    let plan = plan(&body.roles, &body.milestones, &body.notes).map_err(in_api_words)?;
    let (_, contract) = ops::contract(state.backend.as_ref(), &body.contract_id)
        .await
        .map_err(|f| match f.status {
            StatusCode::NOT_FOUND => {
                ApiError(Failure::invalid("contract_id", "no such contract here"))
            }
            _ => ApiError(f),
        })?;
    let bid = state
        .backend
        .bids()
        .create_bid(contract, plan, viewer.user.username.clone())
        .await
        .map_err(in_api_words)?;
    let view = ops::view(state.backend.as_ref(), bid).await?;
    Ok((StatusCode::CREATED, Json(bid_json(&view))))
}

/// A bid, with its totals and warnings.
#[utoipa::path(get, path = "/api/v1/bids/{bid_id}", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    responses((status = 200, body = BidJson, description = "The bid"),
        (status = 404, body = ErrorBody, description = "No such bid")))]
pub async fn one(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Json<BidJson>, ApiError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    Ok(Json(bid_json(&view)))
}

/// Replaces a bid's roles, milestones and notes: a new version.
#[utoipa::path(put, path = "/api/v1/bids/{bid_id}", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    request_body = BidUpdateBody,
    responses((status = 200, body = BidJson, description = "The bid now"),
        (status = 404, body = ErrorBody, description = "No such bid"),
        (status = 409, body = ErrorBody, description = "The bid changed since `version`: reload it"),
        (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named), or the bid's status allows no change")))]
pub async fn update(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    Json(body): Json<BidUpdateBody>,
) -> Result<Json<BidJson>, ApiError> {
    let plan = plan(&body.roles, &body.milestones, &body.notes).map_err(in_api_words)?;
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let bid = state
        .backend
        .bids()
        .update_bid(bid_id, body.version, plan, viewer.user.username.clone())
        .await
        .map_err(in_api_words)?;
    let view = ops::view(state.backend.as_ref(), bid).await?;
    Ok(Json(bid_json(&view)))
}

/// Moves a bid to another status.
#[utoipa::path(post, path = "/api/v1/bids/{bid_id}/status", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    request_body = StatusBody,
    responses((status = 200, body = BidJson, description = "The bid now"),
        (status = 404, body = ErrorBody, description = "No such bid"),
        (status = 409, body = ErrorBody, description = "The bid changed since `version`: reload it"),
        (status = 422, body = ErrorBody, description = "Not a status, or not one this bid may move to")))]
pub async fn move_to(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
    Json(body): Json<StatusBody>,
) -> Result<Json<BidJson>, ApiError> {
    let to: BidStatus = ops::status(&body.status, "status")?;
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let bid = state
        .backend
        .bids()
        .move_bid(bid_id, body.version, to, viewer.user.username.clone())
        .await?;
    let view = ops::view(state.backend.as_ref(), bid).await?;
    Ok(Json(bid_json(&view)))
}

/// Every version of a bid: who changed what, when.
#[utoipa::path(get, path = "/api/v1/bids/{bid_id}/history", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    responses((status = 200, body = HistoryJson, description = "Oldest first"),
        (status = 404, body = ErrorBody, description = "No such bid")))]
pub async fn history(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Json<HistoryJson>, ApiError> {
    ops::bid_exists(state.backend.as_ref(), &bid_id).await?;
    let versions = state.backend.bids().bid_history(bid_id.clone()).await?;
    Ok(Json(HistoryJson {
        bid_id,
        versions: versions
            .into_iter()
            .map(|v| VersionJson {
                version: v.version,
                at: v.at.0,
                by: v.by,
                status: v.status.as_str().to_owned(),
                changes: v.changes,
            })
            .collect(),
    }))
}
