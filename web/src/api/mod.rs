//! The JSON API under `/api/v1`: the same operations as the pages (see
//! [`crate::ops`]), described by the OpenAPI document at
//! `/api/v1/openapi.json`. Callers authenticate with an API token
//! (`Authorization: Bearer …`) or a browser session (then state-changing
//! calls carry the `X-CSRF-Token` header).

pub mod bodies;
mod contracts;
mod coops;
mod doc;
mod own;
pub(crate) mod types;

use axum::Router;
use axum::routing::get;

pub use doc::ApiDoc;
pub use types::*;

use crate::AppState;

/// The `/api/v1` routes (nested by [`crate::router`]): each resource's
/// module brings its own.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/openapi.json", get(doc::openapi))
        .merge(own::router())
        .merge(coops::router())
        .merge(contracts::router())
        .merge(crate::bids::api::router())
        .merge(crate::bids::negotiation_api::router())
        .merge(crate::bids::export::api_router())
        .merge(crate::network::api::router())
}
