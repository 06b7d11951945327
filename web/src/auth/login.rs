//! The log-in page, log-in and log-out. The log-in form is protected
//! against cross-site log-in by a double-submit token: a random value in a
//! short-lived cookie that the form must repeat.

use askama::Template;
use axum::Form;
use axum::extract::{ConnectInfo, FromRequestParts, Query, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use coopnet_protocol::Timestamp;
use serde::Deserialize;

use super::{
    SESSION_COOKIE, SESSION_DAYS, cookie, new_token, password, same_secret, set_cookie, token_hash,
};
use crate::error::{PageError, render};
use crate::{AppState, Viewer};

/// The log-in form's double-submit cookie.
const LOGIN_COOKIE: &str = "coopnet_login";

#[derive(Template)]
#[template(path = "login.html")]
struct LoginPage<'a> {
    csrf: &'a str,
    next: &'a str,
    error: Option<String>,
    no_users: bool,
}

/// `?next=` on the log-in page.
#[derive(Debug, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
}

/// The log-in form.
#[derive(Debug, Deserialize)]
pub struct LoginForm {
    #[serde(default)]
    username: String,
    #[serde(default)]
    password: String,
    #[serde(default, rename = "_csrf")]
    csrf: String,
    #[serde(default)]
    next: String,
}

/// The client's IP address, when the server knows it (not in tests that
/// call the router directly).
#[derive(Debug)]
pub struct ClientAddr(Option<String>);

impl<S: Send + Sync> FromRequestParts<S> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        let info = parts.extensions.get::<ConnectInfo<std::net::SocketAddr>>();
        Ok(ClientAddr(info.map(|c| c.0.ip().to_string())))
    }
}

/// Only same-site paths are followed after log-in.
fn safe_next(next: &str) -> &str {
    let local = next.starts_with('/') && !next.starts_with("//") && !next.contains('\\');
    if local { next } else { "/" }
}

async fn page(
    state: &AppState,
    status: StatusCode,
    headers: &HeaderMap,
    next: &str,
    error: Option<String>,
) -> Result<Response, PageError> {
    let token = match cookie(headers, LOGIN_COOKIE) {
        Some(existing) if existing.len() == 64 => existing.to_owned(),
        _ => new_token(),
    };
    let no_users = state.backend.count_users().await? == 0;
    let html = render(&LoginPage {
        csrf: &token,
        next: safe_next(next),
        error,
        no_users,
    })?;
    let set = set_cookie(LOGIN_COOKIE, &token, 3600, state.config.secure_cookies);
    Ok((status, [(header::SET_COOKIE, set)], html).into_response())
}

/// `GET /login`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Result<Response, PageError> {
    page(&state, StatusCode::OK, &headers, &next.next, None).await
}

/// `POST /login`: checks the name and password (throttled), starts a session.
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(&form.csrf, expected) {
        let error = "Your log-in form had expired; please try again.".to_owned();
        return page(
            &state,
            StatusCode::FORBIDDEN,
            &headers,
            &form.next,
            Some(error),
        )
        .await;
    }
    let name = form.username.trim();
    if let Err(wait) = state.throttle.check(name, address.as_deref()) {
        let minutes = wait.as_secs().div_ceil(60);
        let error =
            format!("Too many failed log-ins for this account; try again in {minutes} minute(s).");
        return page(
            &state,
            StatusCode::TOO_MANY_REQUESTS,
            &headers,
            &form.next,
            Some(error),
        )
        .await;
    }
    let user = if name.is_empty() {
        None
    } else {
        state.backend.user_by_name(name).await?
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    if !password::verify_async(form.password, stored).await {
        state.throttle.failed(name, address.as_deref());
        let error = "Wrong name or password.".to_owned();
        return page(
            &state,
            StatusCode::UNAUTHORIZED,
            &headers,
            &form.next,
            Some(error),
        )
        .await;
    }
    let Some(user) = user else {
        return Err(PageError(crate::error::Failure::bad_request(
            "no such user",
        )));
    };
    state.throttle.succeeded(name);
    let token = new_token();
    let csrf = new_token();
    let expires = Timestamp(crate::now_ms() + SESSION_DAYS * 86_400_000);
    state
        .backend
        .create_session(token_hash(&token), user.id, &csrf, expires)
        .await?;
    let secure = state.config.secure_cookies;
    let session = set_cookie(SESSION_COOKIE, &token, SESSION_DAYS * 86_400, secure);
    let clear = set_cookie(LOGIN_COOKIE, "", 0, secure);
    let to = safe_next(&form.next);
    let mut response = Redirect::to(to).into_response();
    let cookies = response.headers_mut();
    cookies.append(header::SET_COOKIE, header_value(&session)?);
    cookies.append(header::SET_COOKIE, header_value(&clear)?);
    Ok(response)
}

fn header_value(text: &str) -> Result<header::HeaderValue, PageError> {
    header::HeaderValue::from_str(text)
        .map_err(|_| PageError(crate::error::Failure::bad_request("bad cookie value")))
}

/// `POST /logout`: ends the session (the CSRF check already ran).
pub async fn logout(
    State(state): State<AppState>,
    _viewer: Viewer,
    headers: HeaderMap,
) -> Result<Response, PageError> {
    if let Some(token) = cookie(&headers, SESSION_COOKIE) {
        state.backend.delete_session(token_hash(token)).await?;
    }
    let clear = set_cookie(SESSION_COOKIE, "", 0, state.config.secure_cookies);
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login")).into_response())
}

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/partners?skill=rust"), "/partners?skill=rust");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
    }
}
