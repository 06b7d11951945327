//! Partner search and a co-op's records.

use axum::Json;
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::header;
use axum::response::{IntoResponse, Response};

use super::types::{CoopJson, CoopResult};
use crate::error::{ApiError, ErrorBody};
use crate::ops;
use crate::query::CoopParams;
use crate::{AppState, BackendError};

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
    ),
    responses((status = 200, body = Vec<CoopResult>), (status = 422, body = ErrorBody)))]
pub async fn search(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, ApiError> {
    let raw = query.unwrap_or_default();
    // Read before searching: a change meanwhile makes this answer stale.
    let generation = state.backend.generation();
    let cache = state.config.cache_answers;
    if let Some(body) = state.answers.get(&raw, generation).filter(|_| cache) {
        return Ok(json(body));
    }
    let params = CoopParams::from_query(&raw);
    let query = params.to_query(Some(state.backend.own_key()))?;
    let window = query.window.is_some();
    let hits = state.backend.find_coops(query).await?;
    let results: Vec<CoopResult> = hits
        .into_iter()
        .map(|h| CoopResult::new(h, window))
        .collect();
    let body = serde_json::to_vec(&results)
        .map_err(|e| BackendError::Internal(format!("cannot write a search answer: {e}")))?;
    let body = Bytes::from(body);
    if cache {
        state.answers.put(&raw, generation, body.clone());
    }
    Ok(json(body))
}

/// A JSON response of `body`.
fn json(body: Bytes) -> Response {
    ([(header::CONTENT_TYPE, "application/json")], body).into_response()
}

/// A co-op's published profile, skills, capacity and contracts.
#[utoipa::path(get, path = "/api/v1/coops/{key}", tag = "partners",
    params(("key" = String, Path, description = "The co-op's key, 64 hex characters")),
    responses((status = 200, body = CoopJson), (status = 404, body = ErrorBody)))]
pub async fn one(
    State(state): State<AppState>,
    Path(key): Path<String>,
) -> Result<Json<CoopJson>, ApiError> {
    Ok(Json(ops::coop(state.backend.as_ref(), &key).await?.into()))
}
