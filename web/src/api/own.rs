//! `/status`, our co-op's profile, skills and capacity, and skill
//! suggestions.

use super::bodies::{CapacityJson, ProfileJson, SkillsJson};
use axum::extract::{Query, State};
use axum::routing::get;
use axum::{Json, Router};
use coopnet_protocol::taxonomy::Taxonomy;
use coopnet_protocol::{Body, Kind};
use serde::Deserialize;

use super::types::{OwnRecord, Suggestion};
use crate::AppState;
use crate::backend::{NodeInfo, Published};
use crate::error::{ApiError, ErrorBody};
use crate::ops;

type ApiResult<T> = Result<Json<T>, ApiError>;

/// Health check (no log-in needed).
#[utoipa::path(get, path = "/api/v1/health", tag = "node",
    responses((status = 200, description = "The node's web app is up", body = String)))]
pub async fn health() -> &'static str {
    "ok"
}

/// This node: name, key, federation, peers connected, record counts.
#[utoipa::path(get, path = "/api/v1/status", tag = "node",
    responses((status = 200, body = NodeInfo, description = "This node and our co-op"), (status = 401, body = ErrorBody, description = "Not logged in")))]
pub async fn status(State(state): State<AppState>) -> ApiResult<NodeInfo> {
    Ok(Json(state.backend.info().await?))
}

/// Our co-op's profile as published.
#[utoipa::path(get, path = "/api/v1/profile", tag = "our co-op",
    responses((status = 200, body = OwnRecord<ProfileJson>, description = "Our profile as published")))]
pub async fn get_profile(State(state): State<AppState>) -> ApiResult<OwnRecord<ProfileJson>> {
    let own = ops::own(state.backend.as_ref(), Kind::Profile).await?;
    Ok(Json(OwnRecord::new(own, |b| match b {
        Body::Profile(p) => Some(p.into_fields().into()),
        _ => None,
    })))
}

/// Publishes our co-op's profile.
#[utoipa::path(put, path = "/api/v1/profile", tag = "our co-op", request_body = ProfileJson,
    responses((status = 200, body = Published, description = "Published: signed, stored and sent to peers"), (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn put_profile(
    State(state): State<AppState>,
    Json(body): Json<ProfileJson>,
) -> ApiResult<Published> {
    Ok(Json(
        ops::save_profile(state.backend.as_ref(), body.into()).await?,
    ))
}

/// Our co-op's skills as published.
#[utoipa::path(get, path = "/api/v1/skills", tag = "our co-op",
    responses((status = 200, body = OwnRecord<SkillsJson>, description = "Our skills as published")))]
pub async fn get_skills(State(state): State<AppState>) -> ApiResult<OwnRecord<SkillsJson>> {
    let own = ops::own(state.backend.as_ref(), Kind::Skills).await?;
    Ok(Json(OwnRecord::new(own, |b| match b {
        Body::Skills(s) => Some(s.into_fields().into()),
        _ => None,
    })))
}

/// Publishes our co-op's skills. Names stay as written; each the ESCO
/// taxonomy recognises is linked to its concept ("js" to JavaScript)
/// unless the entry names one.
#[utoipa::path(put, path = "/api/v1/skills", tag = "our co-op", request_body = SkillsJson,
    responses((status = 200, body = Published, description = "Published: signed, stored and sent to peers"), (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn put_skills(
    State(state): State<AppState>,
    Json(body): Json<SkillsJson>,
) -> ApiResult<Published> {
    Ok(Json(
        ops::save_skills(state.backend.as_ref(), body.into()).await?,
    ))
}

/// Our co-op's capacity windows as published.
#[utoipa::path(get, path = "/api/v1/capacity", tag = "our co-op",
    responses((status = 200, body = OwnRecord<CapacityJson>, description = "Our capacity as published")))]
pub async fn get_capacity(State(state): State<AppState>) -> ApiResult<OwnRecord<CapacityJson>> {
    let own = ops::own(state.backend.as_ref(), Kind::Capacity).await?;
    Ok(Json(OwnRecord::new(own, |b| match b {
        Body::Capacity(c) => Some(c.into_fields().into()),
        _ => None,
    })))
}

/// Publishes our co-op's capacity windows.
#[utoipa::path(put, path = "/api/v1/capacity", tag = "our co-op", request_body = CapacityJson,
    responses((status = 200, body = Published, description = "Published: signed, stored and sent to peers"), (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn put_capacity(
    State(state): State<AppState>,
    Json(body): Json<CapacityJson>,
) -> ApiResult<Published> {
    Ok(Json(
        ops::save_capacity(state.backend.as_ref(), body.into()).await?,
    ))
}

/// Our co-op's routes: health, status, profile, skills, capacity and the
/// taxonomy's suggestions.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/health", get(health))
        .route("/status", get(status))
        .route("/profile", get(get_profile).put(put_profile))
        .route("/skills", get(get_skills).put(put_skills))
        .route("/capacity", get(get_capacity).put(put_capacity))
        .route("/taxonomy/suggest", get(suggest))
}

/// `?q=` of the suggestions.
#[derive(Debug, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct SuggestQuery {
    /// What has been typed so far.
    #[serde(default)]
    q: String,
}

/// Skills from the ESCO taxonomy for a partly typed name, best first.
#[utoipa::path(get, path = "/api/v1/taxonomy/suggest", tag = "our co-op", params(SuggestQuery),
    responses((status = 200, body = Vec<Suggestion>, description = "Suggestions, best first (none for no real match)")))]
pub async fn suggest(Query(query): Query<SuggestQuery>) -> Json<Vec<Suggestion>> {
    let q: String = query.q.chars().take(100).collect();
    let found = Taxonomy::esco()
        .suggest(&q, 10)
        .into_iter()
        .map(|s| Suggestion {
            label: s.label.to_owned(),
            uri: s.concept.map(|c| c.uri().to_owned()),
        })
        .collect();
    Json(found)
}
