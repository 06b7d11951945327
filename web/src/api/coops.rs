//! Partner search and a co-op's records.

use axum::extract::{Path, RawQuery, State};
use axum::routing::get;
use axum::{Json, Router};

use super::types::{CoopJson, CoopList, CoopResult};
use crate::AppState;
use crate::error::{ApiError, ErrorBody};
use crate::ops;
use crate::query::CoopParams;

/// The partner routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/coops", get(search))
        .route("/coops/{coop_key}", get(one))
}

/// Finds partner co-ops (not ours), ranked: more of the asked skills first,
/// then more person-days available in the window, then lower day rate.
#[utoipa::path(get, path = "/api/v1/coops", tag = "partners",
    params(
        ("skill" = Option<Vec<String>>, Query, description = "A skill (repeatable); names are normalised through the taxonomy"),
        ("skills" = Option<String>, Query, description = "Skills, comma-separated"),
        ("match" = Option<String>, Query, description = "`all` (default) or `any` of the skills"),
        ("q" = Option<String>, Query, description = "Free text"),
        ("region" = Option<String>, Query, description = "Region, ignoring case"),
        ("from" = Option<String>, Query, description = "Capacity window start, YYYY-MM-DD"),
        ("to" = Option<String>, Query, description = "Capacity window end, YYYY-MM-DD"),
        ("min_days" = Option<u32>, Query, description = "At least this many person-days available"),
        ("max_rate" = Option<u32>, Query, description = "Some capacity at or below this day rate"),
        ("limit" = Option<u32>, Query, description = "At most this many results (1-200, default 50)"),
        ("offset" = Option<u32>, Query, description = "Skip this many of the best (default 0)"),
    ),
    responses((status = 200, body = CoopList, description = "A page of partner co-ops, best match first"), (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Json<CoopList>, ApiError> {
    let params = CoopParams::from_query(&query.unwrap_or_default());
    let query = params.to_query(Some(state.backend.own_key()))?;
    let (window, offset, limit) = (query.window.is_some(), query.offset, query.limit);
    let page = state.backend.find_coops(query).await?;
    Ok(Json(CoopList {
        coops: page
            .hits
            .iter()
            .cloned()
            .map(|h| CoopResult::new(h, window))
            .collect(),
        total: page.total,
        offset,
        limit,
    }))
}

/// A co-op's published profile, skills, capacity and contracts.
#[utoipa::path(get, path = "/api/v1/coops/{coop_key}", tag = "partners",
    params(("coop_key" = String, Path, description = "The co-op's key, 64 hex characters")),
    responses((status = 200, body = CoopJson, description = "The co-op's published records"), (status = 404, body = ErrorBody, description = "Not found")))]
pub async fn one(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<CoopJson>, ApiError> {
    Ok(Json(ops::coop(state.backend.as_ref(), &key).await?.into()))
}
