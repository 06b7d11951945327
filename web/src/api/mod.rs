//! The JSON API under `/api/v1`: the same operations as the pages (see
//! [`crate::ops`]), described by the OpenAPI document at
//! `/api/v1/openapi.json`. Callers authenticate with an API token
//! (`Authorization: Bearer …`) or a browser session (then state-changing
//! calls carry the `X-CSRF-Token` header).

mod contracts;
mod coops;
mod doc;
mod own;
pub(crate) mod types;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::routing::{get, post};

pub use doc::ApiDoc;
pub use types::*;

use crate::AppState;

/// The `/api/v1` routes (nested by [`crate::router`]).
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/health", get(own::health))
        .route("/status", get(own::status))
        .route("/openapi.json", get(doc::openapi))
        .route("/profile", get(own::get_profile).put(own::put_profile))
        .route("/skills", get(own::get_skills).put(own::put_skills))
        .route("/capacity", get(own::get_capacity).put(own::put_capacity))
        .route("/taxonomy/suggest", get(own::suggest))
        .route("/coops", get(coops::search))
        .route("/coops/{coop_key}", get(coops::one))
        .route("/contracts", get(contracts::list).post(contracts::add))
        .route(
            "/contracts/import",
            post(contracts::import).layer(DefaultBodyLimit::max(crate::MAX_UPLOAD)),
        )
        .route("/contracts/{contract_id}", get(contracts::one))
}
