//! The network dashboard and the coordinators' actions as JSON, under
//! `/api/v1/network`.

use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::pages::CapacityQuery;
use super::{Coordination, EventView, HealthView, PipelineView, SupplyView, WeekView};
use crate::error::{ApiError, ErrorBody, Failure};
use crate::{AppState, Viewer};

/// The routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/network/health", get(health))
        .route("/network/supply", get(supply))
        .route("/network/capacity", get(capacity))
        .route("/network/pipeline", get(pipeline))
        .route("/network/events", get(events))
        .route("/network/coordination", get(coordination))
        .route("/network/admit", post(admit))
        .route("/network/revoke", post(revoke))
}

fn coordinators_only(viewer: &Viewer) -> Result<(), ApiError> {
    if viewer.is_coordinator() {
        return Ok(());
    }
    Err(Failure::new(
        StatusCode::FORBIDDEN,
        "only coordinators may do this: ask your node's admin for the coordinator role",
    )
    .into())
}

/// Every member's node: online, offline or never seen, with its latest
/// heartbeat.
#[utoipa::path(get, path = "/api/v1/network/health", tag = "network",
    responses((status = 200, body = HealthView, description = "Members' nodes")))]
pub async fn health(State(state): State<AppState>) -> Result<Json<HealthView>, ApiError> {
    Ok(Json(state.backend.network().health().await?))
}

/// Skills supply against demand.
#[derive(Debug, Serialize, ToSchema)]
pub struct SupplyJson {
    /// Scarcest first.
    pub skills: Vec<SupplyView>,
}

/// Skills open contracts require against the co-ops that have them and
/// their free person-days, scarcest first.
#[utoipa::path(get, path = "/api/v1/network/supply", tag = "network",
    responses((status = 200, body = SupplyJson, description = "Supply against demand")))]
pub async fn supply(State(state): State<AppState>) -> Result<Json<SupplyJson>, ApiError> {
    Ok(Json(SupplyJson {
        skills: state.backend.network().supply().await?,
    }))
}

/// Free capacity per week.
#[derive(Debug, Serialize, ToSchema)]
pub struct CapacityJson {
    /// 26 weeks from this one.
    pub weeks: Vec<WeekView>,
}

/// Free person-days per week for the next 26 weeks, of co-ops with a
/// skill and in a region when asked.
#[utoipa::path(get, path = "/api/v1/network/capacity", tag = "network",
    params(("skill" = Option<String>, Query, description = "Only co-ops with this skill"),
        ("region" = Option<String>, Query, description = "Only co-ops in this region")),
    responses((status = 200, body = CapacityJson, description = "Weeks")))]
pub async fn capacity(
    State(state): State<AppState>,
    Query(query): Query<CapacityQuery>,
) -> Result<Json<CapacityJson>, ApiError> {
    let (skill, region) = query.read();
    Ok(Json(CapacityJson {
        weeks: state.backend.network().capacity(skill, region).await?,
    }))
}

/// The bid pipeline from public bid notices, per month, and the win rate.
#[utoipa::path(get, path = "/api/v1/network/pipeline", tag = "network",
    responses((status = 200, body = PipelineView, description = "The pipeline")))]
pub async fn pipeline(State(state): State<AppState>) -> Result<Json<PipelineView>, ApiError> {
    Ok(Json(state.backend.network().pipeline().await?))
}

/// How many events.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct EventsQuery {
    /// At most this many, newest first (default 50, at most 1,000).
    #[serde(default)]
    pub limit: Option<usize>,
}

/// Events.
#[derive(Debug, Serialize, ToSchema)]
pub struct EventsJson {
    /// Newest first.
    pub events: Vec<EventView>,
}

/// The event log (coordinators): joins, admissions, revocations, records
/// rejected and by which peer, peers blocked.
#[utoipa::path(get, path = "/api/v1/network/events", tag = "network",
    params(("limit" = Option<usize>, Query, description = "At most this many (default 50, at most 1,000)")),
    responses((status = 200, body = EventsJson, description = "Newest first"),
        (status = 403, body = ErrorBody, description = "Not a coordinator")))]
pub async fn events(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<EventsQuery>,
) -> Result<Json<EventsJson>, ApiError> {
    coordinators_only(&viewer)?;
    let limit = query.limit.unwrap_or(50).clamp(1, 1_000);
    Ok(Json(EventsJson {
        events: state.backend.network().events(limit).await?,
    }))
}

/// The federation, whether our co-op coordinates it, and who tried to
/// join (coordinators).
#[utoipa::path(get, path = "/api/v1/network/coordination", tag = "network",
    responses((status = 200, body = Coordination, description = "Coordination"),
        (status = 403, body = ErrorBody, description = "Not a coordinator")))]
pub async fn coordination(
    State(state): State<AppState>,
    viewer: Viewer,
) -> Result<Json<Coordination>, ApiError> {
    coordinators_only(&viewer)?;
    Ok(Json(state.backend.network().coordination().await?))
}

/// Admitting a co-op.
#[derive(Debug, Deserialize, ToSchema)]
pub struct AdmitBody {
    /// What `coopnet join-code` printed for the co-op.
    pub join_code: String,
    /// Also a coordinator (default no).
    #[serde(default)]
    pub coordinator: bool,
}

/// Who was admitted.
#[derive(Debug, Serialize, ToSchema)]
pub struct AdmittedJson {
    /// Its name, from the join code.
    pub name: String,
}

/// Admits a co-op from its join code (coordinators, on a coordinator
/// co-op's node): a membership record every member takes.
#[utoipa::path(post, path = "/api/v1/network/admit", tag = "network", request_body = AdmitBody,
    responses((status = 200, body = AdmittedJson, description = "Admitted"),
        (status = 403, body = ErrorBody, description = "Not a coordinator"),
        (status = 422, body = ErrorBody, description = "Not a join code, or our co-op does not coordinate")))]
pub async fn admit(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<AdmitBody>,
) -> Result<Json<AdmittedJson>, ApiError> {
    coordinators_only(&viewer)?;
    let name = state
        .backend
        .network()
        .admit(body.join_code.trim().to_owned(), body.coordinator)
        .await?;
    Ok(Json(AdmittedJson { name }))
}

/// Revoking a member.
#[derive(Debug, Deserialize, ToSchema)]
pub struct RevokeBody {
    /// The co-op (64 hex).
    pub coop_key: String,
    /// Why (kept for audit, 1–1,000 characters).
    pub reason: String,
}

/// Revokes a member (coordinators): members stop taking its records.
#[utoipa::path(post, path = "/api/v1/network/revoke", tag = "network", request_body = RevokeBody,
    responses((status = 204, description = "Revoked"),
        (status = 403, body = ErrorBody, description = "Not a coordinator"),
        (status = 422, body = ErrorBody, description = "Not a key, no reason, or our co-op does not coordinate")))]
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    Json(body): Json<RevokeBody>,
) -> Result<StatusCode, ApiError> {
    coordinators_only(&viewer)?;
    let coop =
        body.coop_key.trim().parse().map_err(|_| {
            Failure::invalid("coop_key", "must be a co-op's key, 64 hex characters")
        })?;
    state
        .backend
        .network()
        .revoke(coop, body.reason.trim().to_owned())
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
