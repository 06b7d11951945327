//! Who is asking: sessions (an HttpOnly, SameSite=Strict cookie holding a
//! random token whose SHA-256 the node stores), API tokens (`Authorization:
//! Bearer …`), the CSRF token every state-changing request from a browser
//! must carry, and the middleware that lets nothing but log-in, health and
//! static assets through without one of them.

pub mod login;
pub mod password;
pub(crate) mod resubmit;
pub mod throttle;

use axum::body::Body;
use axum::extract::{FromRequestParts, Request, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Redirect, Response};
use coopnet_protocol::Timestamp;
use rand_core::{OsRng, RngCore};
use sha2::{Digest, Sha256};

use crate::AppState;
use crate::backend::{User, UserRole};
use crate::error::{ApiError, Failure};

/// The session cookie's name.
pub const SESSION_COOKIE: &str = "coopnet_session";
/// How long a session lasts.
pub const SESSION_DAYS: u64 = 7;
/// The form field (and header) carrying the CSRF token.
pub const CSRF_FIELD: &str = "_csrf";
/// The header scripts using a session send the CSRF token in.
pub const CSRF_HEADER: &str = "x-csrf-token";
/// The page routes that take uploads (multipart forms). Their handlers
/// check the CSRF token, which must come first in the form, before
/// reading the file ([`check_upload`]); every other route refuses them.
pub const UPLOAD_PATHS: &[&str] = &["/contracts/import"];

/// The logged-in user making a request.
#[derive(Debug, Clone)]
pub struct Viewer {
    /// Who.
    pub user: User,
    /// The session's CSRF token; `None` when authenticated by API token
    /// (scripts are not browsers, so they need none).
    pub csrf: Option<String>,
}

impl Viewer {
    /// The CSRF token to put in forms (empty for API-token callers).
    pub fn csrf(&self) -> &str {
        self.csrf.as_deref().unwrap_or("")
    }

    /// Whether the user administers this node.
    pub fn is_admin(&self) -> bool {
        self.user.role == UserRole::Admin
    }

    /// Whether the user may admit and revoke members: a coordinator, or
    /// the node's admin.
    pub fn is_coordinator(&self) -> bool {
        self.user.coordinator || self.is_admin()
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Viewer {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        parts
            .extensions
            .get::<Viewer>()
            .cloned()
            .ok_or_else(|| ApiError(Failure::new(StatusCode::UNAUTHORIZED, "log in first")))
    }
}

/// A new random token: 32 bytes as 64 hex characters.
pub fn new_token() -> String {
    let mut bytes = [0u8; 32];
    OsRng.fill_bytes(&mut bytes);
    hex::encode(bytes)
}

/// What the node stores of a token: its SHA-256.
pub fn token_hash(token: &str) -> [u8; 32] {
    Sha256::digest(token.as_bytes()).into()
}

/// Compares two secrets in time that depends only on their lengths.
pub fn same_secret(a: &str, b: &str) -> bool {
    a.len() == b.len()
        && a.bytes()
            .zip(b.bytes())
            .fold(0u8, |acc, (x, y)| acc | (x ^ y))
            == 0
}

/// The value of cookie `name`, if the request has it.
pub fn cookie<'a>(headers: &'a HeaderMap, name: &str) -> Option<&'a str> {
    headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|pair| pair.trim().split_once('='))
        .find(|(k, _)| *k == name)
        .map(|(_, v)| v)
}

/// A `Set-Cookie` value for `name`: HttpOnly, SameSite=Strict, whole site.
pub fn set_cookie(name: &str, value: &str, max_age_secs: u64, secure: bool) -> String {
    let secure = if secure { "; Secure" } else { "" };
    format!("{name}={value}; Path=/; HttpOnly; SameSite=Strict; Max-Age={max_age_secs}{secure}")
}

/// Paths anyone may fetch: the log-in page, health checks, static assets
/// and the API's description.
fn is_public(path: &str) -> bool {
    matches!(
        path,
        "/login" | "/health" | "/healthz" | "/api/v1/health" | "/api/v1/openapi.json"
    ) || path.starts_with("/static/")
}

fn is_api(path: &str) -> bool {
    path.starts_with("/api/") || path == "/metrics"
}

fn unsafe_method(method: &Method) -> bool {
    !matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS)
}

/// Finds who is asking from the bearer token or the session cookie.
async fn identify(state: &AppState, headers: &HeaderMap) -> Result<Option<Viewer>, Failure> {
    if let Some(auth) = headers.get(header::AUTHORIZATION) {
        let token = auth
            .to_str()
            .ok()
            .and_then(|v| v.strip_prefix("Bearer "))
            .map(str::trim)
            .ok_or_else(|| {
                Failure::new(
                    StatusCode::UNAUTHORIZED,
                    "the Authorization header must be `Bearer <token>`; create a token with \
                     `coopnet token create`",
                )
            })?;
        // Asked afresh every time: a revoked token stops working at once.
        let user = state.backend.token_user(token_hash(token)).await?;
        return match user {
            Some(user) => Ok(Some(Viewer { user, csrf: None })),
            None => Err(Failure::new(
                StatusCode::UNAUTHORIZED,
                "this API token is not valid (revoked or mistyped); create a new one with \
                 `coopnet token create`",
            )),
        };
    }
    let Some(token) = cookie(headers, SESSION_COOKIE) else {
        return Ok(None);
    };
    let now = Timestamp(crate::now_ms());
    Ok(state
        .backend
        .session(token_hash(token), now)
        .await?
        .map(|(user, csrf)| Viewer {
            user,
            csrf: Some(csrf),
        }))
}

/// The middleware: public paths pass; everything else needs a viewer, and
/// a browser session's state-changing requests need its CSRF token.
pub async fn require_login(
    State(state): State<AppState>,
    request: Request,
    next: Next,
) -> Response {
    let path = request.uri().path().to_owned();
    if is_public(&path) || (path == "/metrics" && state.config.metrics_open) {
        return next.run(request).await;
    }
    let viewer = match identify(&state, request.headers()).await {
        Ok(Some(viewer)) => viewer,
        Ok(None) if is_api(&path) => {
            return ApiError(Failure::new(
                StatusCode::UNAUTHORIZED,
                "log in first: send `Authorization: Bearer <token>` (make one with `coopnet \
                 token create`) or log in at /login",
            ))
            .into_response();
        }
        Ok(None) if unsafe_method(request.method()) => {
            return logged_out_form(&state, request).await;
        }
        Ok(None) => return Redirect::to(&login_redirect(&request)).into_response(),
        Err(failure) => return ApiError(failure).into_response(),
    };
    let mut request = request;
    if unsafe_method(request.method()) && viewer.csrf.is_some() {
        request = match check_csrf(request, viewer.csrf(), state.config.max_body).await {
            Csrf::Passed(request) => request,
            Csrf::Refused(failure) => return crate::security::respond(&path, failure),
            Csrf::Stale(carried) => {
                let message = "This form was opened before your last log-in (or in another \
                               session), so it was not sent and nothing was changed. Here is \
                               what you typed: check it and send it again.";
                return resubmit::page(
                    StatusCode::FORBIDDEN,
                    &path,
                    &carried,
                    viewer.csrf(),
                    message,
                )
                .unwrap_or_else(IntoResponse::into_response);
            }
        };
    }
    request.extensions_mut().insert(viewer);
    next.run(request).await
}

/// A page form sent without a session (it ended, or was logged out in
/// another tab): the log-in page, keeping what was typed (url-encoded
/// forms up to the body limit) to show again after logging in.
async fn logged_out_form(state: &AppState, request: Request) -> Response {
    let path = request.uri().path().to_owned();
    let (parts, body) = request.into_parts();
    let carried = if is_url_encoded(&parts.headers) {
        axum::body::to_bytes(body, state.config.max_body)
            .await
            .map(|bytes| resubmit::carry(&bytes))
            .unwrap_or_default()
    } else {
        String::new()
    };
    // The log-in form must still fit its own body limit.
    let carried = if carried.len() + 4096 > state.config.max_body {
        String::new()
    } else {
        carried
    };
    let shown = login::Shown {
        next: &path,
        carry: &carried,
        error: carried
            .is_empty()
            .then(|| "Your session has ended; log in to carry on.".to_owned()),
        ..login::Shown::default()
    };
    login::page(state, StatusCode::UNAUTHORIZED, &parts.headers, shown)
        .await
        .unwrap_or_else(IntoResponse::into_response)
}

fn is_url_encoded(headers: &HeaderMap) -> bool {
    content_type(headers).starts_with("application/x-www-form-urlencoded")
}

fn content_type(headers: &HeaderMap) -> String {
    headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_ascii_lowercase()
}

/// `/login?next=<this page>`, for GETs; plain `/login` otherwise.
fn login_redirect(request: &Request) -> String {
    if request.method() != Method::GET {
        return "/login".to_owned();
    }
    let target = request
        .uri()
        .path_and_query()
        .map(|p| p.as_str())
        .unwrap_or("/");
    let next: String = form_urlencoded::byte_serialize(target.as_bytes()).collect();
    format!("/login?next={next}")
}

fn csrf_refused() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "this request did not carry this session's CSRF token (send it as the `_csrf` form \
         field or the X-CSRF-Token header); reload the page and try again",
    )
}

/// What the CSRF check made of a request.
enum Csrf {
    /// The token is right (or the route checks it itself): go on.
    Passed(Request),
    /// No usable token, or not a form: refused.
    Refused(Failure),
    /// A url-encoded form with a token that is not this session's: its
    /// fields (url-encoded, without the token), to offer again.
    Stale(String),
}

/// Checks the CSRF token in the header or the url-encoded form body (read,
/// bounded, and put back). Uploads pass on [`UPLOAD_PATHS`] only, where
/// the handler checks the token ([`check_upload`]).
async fn check_csrf(request: Request, expected: &str, limit: usize) -> Csrf {
    let given_header = request
        .headers()
        .get(CSRF_HEADER)
        .and_then(|v| v.to_str().ok());
    if given_header.is_some_and(|given| same_secret(given, expected)) {
        return Csrf::Passed(request);
    }
    let content_type = content_type(request.headers());
    if content_type.starts_with("multipart/form-data") {
        return if UPLOAD_PATHS.contains(&request.uri().path()) {
            Csrf::Passed(request)
        } else {
            Csrf::Refused(csrf_refused())
        };
    }
    if !content_type.starts_with("application/x-www-form-urlencoded") {
        return Csrf::Refused(csrf_refused());
    }
    let page = !is_api(request.uri().path());
    let (parts, body) = request.into_parts();
    let bytes = match axum::body::to_bytes(body, limit).await {
        Ok(bytes) => bytes,
        Err(_) => return Csrf::Refused(crate::security::too_large(limit)),
    };
    match field(&bytes, CSRF_FIELD) {
        Some(given) if same_secret(&given, expected) => {
            Csrf::Passed(Request::from_parts(parts, Body::from(bytes)))
        }
        Some(_) if page => Csrf::Stale(resubmit::carry(&bytes)),
        _ => Csrf::Refused(csrf_refused()),
    }
}

/// For upload handlers: the token the form sent first (`None` if its first
/// field was something else) must be the session's. API-token callers
/// (no session) need none.
pub fn check_upload(viewer: &Viewer, first_field: Option<&str>) -> Result<(), Failure> {
    let Some(expected) = viewer.csrf.as_deref() else {
        return Ok(());
    };
    match first_field {
        Some(given) if same_secret(given, expected) => Ok(()),
        _ => Err(csrf_refused()),
    }
}

/// The first value of `name` in url-encoded `data`.
fn field(data: &[u8], name: &str) -> Option<String> {
    form_urlencoded::parse(data)
        .find(|(k, _)| k == name)
        .map(|(_, v)| v.into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cookies_are_found_among_others() {
        let mut headers = HeaderMap::new();
        headers.insert(
            header::COOKIE,
            "a=1; coopnet_session=abc; b=2".parse().unwrap(),
        );
        assert_eq!(cookie(&headers, SESSION_COOKIE), Some("abc"));
        assert_eq!(cookie(&headers, "c"), None);
    }

    #[test]
    fn secrets_compare_exactly() {
        assert!(same_secret("abc", "abc"));
        assert!(!same_secret("abc", "abd"));
        assert!(!same_secret("abc", "abcd"));
    }

    #[test]
    fn tokens_are_random_and_hashed() {
        let (a, b) = (new_token(), new_token());
        assert_ne!(a, b);
        assert_eq!(a.len(), 64);
        assert_eq!(token_hash(&a), token_hash(&a));
        assert_ne!(token_hash(&a), token_hash(&b));
    }
}
