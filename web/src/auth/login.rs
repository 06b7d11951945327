//! The log-in page, log-in and log-out. The log-in form is protected
//! against cross-site log-in by a double-submit token: a random value in a
//! short-lived cookie that the form must repeat.
//!
//! A form sent after its session ended comes here with what was typed
//! (`carry`, see [`super::resubmit`]): after logging in, the member sees it
//! again, ready to send.

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
    /// A form's fields, url-encoded, to show again after log-in.
    carry: &'a str,
    notice: Option<&'a str>,
    error: Option<String>,
    no_users: bool,
}

/// What the log-in page says and keeps, beyond the form itself.
#[derive(Debug, Default)]
pub(crate) struct Shown<'a> {
    /// Where to go after logging in.
    pub next: &'a str,
    /// A form's fields to show again after logging in.
    pub carry: &'a str,
    /// A note above the form (not an error).
    pub notice: Option<&'a str>,
    /// What went wrong.
    pub error: Option<String>,
    /// Seconds to wait before trying again, sent as `Retry-After`.
    pub retry_after: Option<u64>,
}

/// `?next=` (and `?bye`) on the log-in page.
#[derive(Debug, Deserialize)]
pub struct Next {
    #[serde(default)]
    next: String,
    /// Set after logging out.
    #[serde(default)]
    bye: Option<String>,
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
    #[serde(default)]
    carry: String,
}

/// The client's IP address, when the server knows it (not in tests that
/// call the router directly): the connection's, or, when that is a
/// trusted proxy, the last address in `X-Forwarded-For` that is not one.
#[derive(Debug)]
pub struct ClientAddr(Option<String>);

impl FromRequestParts<AppState> for ClientAddr {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(
        parts: &mut Parts,
        state: &AppState,
    ) -> Result<Self, Self::Rejection> {
        let peer = parts
            .extensions
            .get::<ConnectInfo<std::net::SocketAddr>>()
            .map(|c| c.0.ip());
        let proxies = &state.config.trusted_proxies;
        Ok(ClientAddr(peer.map(|peer| {
            client_behind(peer, &parts.headers, proxies).to_string()
        })))
    }
}

/// The client of a request that came from `peer`: `peer` itself unless it
/// is one of `proxies`, in which case the nearest address in
/// `X-Forwarded-For` (read from the right, as each proxy appends) that is
/// not a proxy. A header that does not parse is not believed.
fn client_behind(
    peer: std::net::IpAddr,
    headers: &HeaderMap,
    proxies: &[std::net::IpAddr],
) -> std::net::IpAddr {
    if !proxies.contains(&peer) {
        return peer;
    }
    let mut client = peer;
    let hops = headers
        .get_all("x-forwarded-for")
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .collect::<Vec<_>>();
    for hop in hops.iter().rev() {
        match hop.trim().parse::<std::net::IpAddr>() {
            Ok(address) => {
                client = address;
                if !proxies.contains(&address) {
                    break;
                }
            }
            Err(_) => break,
        }
    }
    client
}

/// Only same-site paths are followed after log-in: a `/` not followed by
/// `/` or `\\`, then printable ASCII only (browsers drop tabs and line
/// breaks from URLs, so `/\t/evil.example` would become `//evil.example`),
/// at most 2,000 bytes; anything else goes home.
pub(crate) fn safe_next(next: &str) -> &str {
    let bytes = next.as_bytes();
    let local = bytes.first() == Some(&b'/')
        && !matches!(bytes.get(1), Some(b'/' | b'\\'))
        && bytes.len() <= 2_000
        && bytes.iter().all(|b| b.is_ascii_graphic() && *b != b'\\');
    if local { next } else { "/" }
}

/// The log-in page, with a fresh (or the current) double-submit token.
pub(crate) async fn page(
    state: &AppState,
    status: StatusCode,
    headers: &HeaderMap,
    shown: Shown<'_>,
) -> Result<Response, PageError> {
    let token = match cookie(headers, LOGIN_COOKIE) {
        Some(existing) if existing.len() == 64 => existing.to_owned(),
        _ => new_token(),
    };
    let no_users = state.backend.count_users().await? == 0;
    let html = render(&LoginPage {
        csrf: &token,
        next: safe_next(shown.next),
        carry: shown.carry,
        notice: shown.notice,
        error: shown.error,
        no_users,
    })?;
    let set = set_cookie(LOGIN_COOKIE, &token, 3600, state.config.secure_cookies);
    let mut response = (status, [(header::SET_COOKIE, set)], html).into_response();
    if let Some(seconds) = shown.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, header::HeaderValue::from(seconds));
    }
    Ok(response)
}

/// `GET /login`.
pub async fn show(
    State(state): State<AppState>,
    headers: HeaderMap,
    Query(next): Query<Next>,
) -> Result<Response, PageError> {
    let shown = Shown {
        next: &next.next,
        notice: next.bye.is_some().then_some("You have logged out."),
        ..Shown::default()
    };
    page(&state, StatusCode::OK, &headers, shown).await
}

/// `POST /login`: checks the name and password (throttled), starts a
/// session, and goes on to `next` (or shows a carried form again).
pub async fn submit(
    State(state): State<AppState>,
    ClientAddr(address): ClientAddr,
    headers: HeaderMap,
    Form(form): Form<LoginForm>,
) -> Result<Response, PageError> {
    let again = |status, error: String, retry_after| {
        let (state, headers, form) = (&state, &headers, &form);
        async move {
            let shown = Shown {
                next: &form.next,
                carry: &form.carry,
                error: Some(error),
                retry_after,
                ..Shown::default()
            };
            page(state, status, headers, shown).await
        }
    };
    let expected = cookie(&headers, LOGIN_COOKIE).unwrap_or("");
    if expected.is_empty() || !same_secret(&form.csrf, expected) {
        let error = "Your log-in form had expired; please try again.".to_owned();
        return again(StatusCode::FORBIDDEN, error, None).await;
    }
    // A slot first: an attempt refused for want of one costs nothing.
    let Some(_slot) = state.throttle.hash_slot() else {
        let error = "This node is busy checking other log-ins; try again in a second.".to_owned();
        return again(StatusCode::TOO_MANY_REQUESTS, error, Some(1)).await;
    };
    let name = form.username.trim();
    if let Err(wait) = state.throttle.attempt(name, address.as_deref()) {
        let minutes = wait.as_secs().div_ceil(60);
        let error =
            format!("Too many failed log-ins for this account; try again in {minutes} minute(s).");
        return again(
            StatusCode::TOO_MANY_REQUESTS,
            error,
            Some(wait.as_secs().max(1)),
        )
        .await;
    }
    let user = if name.is_empty() {
        None
    } else {
        state.backend.user_by_name(name).await?
    };
    let stored = user.as_ref().map(|u| u.password_hash.clone());
    let matched = password::verify_async(form.password.clone(), stored).await;
    let Some(user) = user.filter(|_| matched) else {
        return again(
            StatusCode::UNAUTHORIZED,
            "Wrong name or password.".to_owned(),
            None,
        )
        .await;
    };
    state.throttle.succeeded(name, address.as_deref());
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
    let mut response = if form.carry.is_empty() {
        Redirect::to(to).into_response()
    } else {
        let message = "You were logged out before your form was sent, so nothing was changed. \
                       Here is what you typed: check it and send it again.";
        super::resubmit::page(StatusCode::OK, to, &form.carry, &csrf, message)?
    };
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
    Ok(([(header::SET_COOKIE, clear)], Redirect::to("/login?bye")).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_client_behind_a_trusted_proxy_is_the_last_untrusted_hop() {
        let ip = |s: &str| s.parse::<std::net::IpAddr>().unwrap();
        let proxies = [ip("127.0.0.1"), ip("10.0.0.2")];
        let mut headers = HeaderMap::new();
        headers.insert(
            "x-forwarded-for",
            "6.6.6.6, 198.51.100.7, 10.0.0.2".parse().unwrap(),
        );
        // Through two proxies: the client is the hop before them. What it
        // claims further left is not believed.
        assert_eq!(
            client_behind(ip("127.0.0.1"), &headers, &proxies),
            ip("198.51.100.7")
        );
        // Not from a proxy: the header is not believed at all.
        assert_eq!(
            client_behind(ip("203.0.113.9"), &headers, &proxies),
            ip("203.0.113.9")
        );
        headers.insert("x-forwarded-for", "not an address".parse().unwrap());
        assert_eq!(
            client_behind(ip("127.0.0.1"), &headers, &proxies),
            ip("127.0.0.1")
        );
    }

    #[test]
    fn only_local_paths_are_followed() {
        assert_eq!(safe_next("/partners?skill=rust"), "/partners?skill=rust");
        assert_eq!(safe_next("//evil.example/"), "/");
        assert_eq!(safe_next("https://evil.example/"), "/");
        assert_eq!(safe_next("/\\evil.example"), "/");
        assert_eq!(safe_next(""), "/");
        assert_eq!(safe_next("/\t/evil.example"), "/");
        assert_eq!(safe_next("/\n/evil.example"), "/");
        assert_eq!(safe_next("/ /evil.example"), "/");
        assert_eq!(safe_next("/%2F%2Fevil.example"), "/%2F%2Fevil.example");
        assert_eq!(safe_next(&format!("/{}", "a".repeat(2_000))), "/");
    }
}
