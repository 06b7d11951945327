//! The coopnet web app and JSON API (axum), served by each node for its own
//! co-op's members.
//!
//! The crate knows nothing of libp2p or SQLite: it talks to the node
//! through the [`Backend`] trait, which the `coopnet` binary implements.
//! Pages are server-rendered (askama templates, escaped by default) and work
//! without JavaScript; `/api/v1` offers the same operations as JSON,
//! described by the OpenAPI document at `/api/v1/openapi.json`.
//!
//! Every request passes, outermost first: security headers, clear errors,
//! the cross-site check, then log-in (and, for a browser session's
//! state-changing requests, the CSRF token). See [`auth`] and [`security`].

pub mod api;
mod assets;
pub mod auth;
pub mod backend;
pub mod bids;
mod csv;
pub mod error;
mod json;
pub mod network;
pub mod ops;
mod pages;
pub mod paging;
pub mod query;
pub mod security;
mod server;
#[cfg(test)]
mod tests;

use std::sync::Arc;

use axum::Router;
use axum::extract::DefaultBodyLimit;
use axum::middleware::{from_fn, from_fn_with_state};
use axum::routing::{get, post};

pub use auth::Viewer;
pub use backend::{Backend, BackendError};

/// The largest request body most routes take: 64 KiB.
pub const MAX_BODY: usize = 64 * 1024;
/// The largest OCDS upload: 16 MiB (the importer's own limit).
pub const MAX_UPLOAD: usize = 16 * 1024 * 1024;

/// How the web app is set up.
#[derive(Debug, Clone, Default)]
pub struct WebConfig {
    /// Mark cookies `Secure` (members reach it over HTTPS).
    pub secure_cookies: bool,
    /// The largest ordinary request body.
    pub max_body: usize,
    /// Proxies whose `X-Forwarded-For` header names the client.
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Serve `/metrics` without a log-in (the server listens on loopback,
    /// or the config says so).
    pub metrics_open: bool,
}

impl WebConfig {
    /// The defaults for a node on plain HTTP (loopback or behind a proxy).
    pub fn plain_http() -> Self {
        Self {
            secure_cookies: false,
            max_body: MAX_BODY,
            trusted_proxies: Vec::new(),
            metrics_open: false,
        }
    }
}

/// What every handler can reach.
#[derive(Clone)]
pub struct AppState {
    /// The node.
    pub backend: Arc<dyn Backend>,
    /// Failed log-ins.
    pub throttle: Arc<auth::throttle::Throttle>,
    /// The set-up.
    pub config: Arc<WebConfig>,
}

impl std::fmt::Debug for AppState {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("AppState").finish_non_exhaustive()
    }
}

/// Milliseconds since the Unix epoch, by the system clock.
pub fn now_ms() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
        .unwrap_or(0)
}

/// The whole app: pages, API, log-in, static assets, with every layer.
pub fn router(backend: Arc<dyn Backend>, config: WebConfig) -> Router {
    let state = AppState {
        backend,
        throttle: Arc::default(),
        config: Arc::new(config),
    };
    Router::new()
        .route("/login", get(auth::login::show).post(auth::login::submit))
        .route("/logout", post(auth::login::logout))
        .route("/health", get(health))
        .route("/healthz", get(healthz))
        .route("/metrics", get(network::metrics::metrics))
        .route("/static/{file}", get(assets::serve))
        .merge(pages::routes())
        .nest("/api/v1", api::routes())
        .fallback(not_found)
        .layer(DefaultBodyLimit::max(MAX_BODY))
        .layer(from_fn_with_state(state.clone(), auth::require_login))
        .layer(from_fn(security::same_origin))
        .layer(from_fn(security::clear_errors))
        .layer(from_fn(security::headers))
        .with_state(state)
}

async fn health() -> &'static str {
    "ok"
}

/// `GET /healthz` (no log-in): 200 while the store answers a read and the
/// network task answers, else 503 saying which does not, for monitors and
/// service managers.
async fn healthz(
    axum::extract::State(state): axum::extract::State<AppState>,
) -> axum::response::Response {
    use axum::response::IntoResponse;
    let (store, network) = state.backend.liveness().await;
    let word = |r: &Result<(), String>| match r {
        Ok(()) => "ok".to_owned(),
        Err(e) => e.clone(),
    };
    let status = if store.is_ok() && network.is_ok() {
        axum::http::StatusCode::OK
    } else {
        axum::http::StatusCode::SERVICE_UNAVAILABLE
    };
    let body = serde_json::json!({
        "status": if status.is_success() { "ok" } else { "unavailable" },
        "store": word(&store),
        "network": word(&network),
    });
    (status, axum::Json(body)).into_response()
}

async fn not_found(uri: axum::http::Uri) -> axum::response::Response {
    security::respond(uri.path(), error::Failure::not_found("this page"))
}

pub use server::{HEADER_TIMEOUT, REQUEST_TIMEOUT, serve};
