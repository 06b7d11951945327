//! The server-rendered pages. Each works without JavaScript; `app.js` only
//! adds skill suggestions as you type. Templates escape every value, so
//! text from other nodes is shown as text, never as markup.

mod contracts;
pub(crate) mod form;
mod home;
mod labels;
mod own;
mod partners;
pub(crate) mod show;

use axum::Router;
use axum::routing::get;

use crate::{AppState, Viewer};

/// The pages' routes: each page's module brings its own.
pub fn routes() -> Router<AppState> {
    Router::new()
        .route("/", get(home::show))
        .merge(own::router())
        .merge(partners::router())
        .merge(contracts::router())
        .merge(crate::bids::pages::router())
        .merge(crate::bids::invitations::router())
        .merge(crate::bids::lead::router())
        .merge(crate::bids::export::router())
        .merge(crate::network::pages::router())
}

/// What the layout shows on every page.
#[derive(Debug, Clone)]
pub struct Frame {
    /// This node's co-op name.
    pub node: String,
    /// Who is logged in.
    pub user: String,
    /// The session's CSRF token, for every form.
    pub csrf: String,
    /// Which menu entry is current.
    pub active: &'static str,
    /// A one-line notice (what was just saved).
    pub notice: Option<String>,
}

impl Frame {
    /// The frame for `viewer` on the page `active`.
    pub async fn new(state: &AppState, viewer: &Viewer, active: &'static str) -> Frame {
        let node = match state.backend.info().await {
            Ok(info) => info.name,
            Err(_) => "coopnet".to_owned(),
        };
        Frame {
            node,
            user: viewer.user.username.clone(),
            csrf: viewer.csrf().to_owned(),
            active,
            notice: None,
        }
    }
}

/// Short form of a 64-hex key or id, for display.
pub fn short(hex: &str) -> String {
    hex.chars().take(12).collect()
}
