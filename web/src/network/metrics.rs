//! `GET /metrics`: the node's metrics in the Prometheus text format 0.0.4
//! (`prometheus-client`'s OpenMetrics, renamed where the formats differ). Open without a
//! log-in when the web app listens on loopback or the config says
//! `metrics_open`; otherwise it needs an API token like the API.

use axum::extract::State;
use axum::http::header;
use axum::response::{IntoResponse, Response};

use crate::AppState;
use crate::error::ApiError;

/// The content type Prometheus scrapes.
pub const CONTENT_TYPE: &str = "text/plain; version=0.0.4; charset=utf-8";

/// `GET /metrics`.
pub async fn metrics(State(state): State<AppState>) -> Result<Response, ApiError> {
    let text = state.backend.network().metrics().await?;
    Ok(([(header::CONTENT_TYPE, CONTENT_TYPE)], text).into_response())
}
