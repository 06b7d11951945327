//! Protections every response and request gets: security headers, refusal
//! of cross-site state changes, bounded bodies, and clear errors in place
//! of the framework's plain-text rejections.

use axum::extract::Request;
use axum::http::{HeaderValue, Method, StatusCode, header};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::error::{ApiError, Failure, PageError};

/// The Content-Security-Policy: no inline script or style, nothing from
/// elsewhere, and no framing.
pub const CSP: &str = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' \
                       data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
                       frame-ancestors 'none'";

/// The Permissions-Policy: no page needs any of these powerful features.
pub const PERMISSIONS_POLICY: &str = "accelerometer=(), camera=(), display-capture=(), \
                                      geolocation=(), gyroscope=(), microphone=(), midi=(), \
                                      payment=(), usb=(), interest-cohort=()";

/// Adds the security headers to every response.
pub async fn headers(request: Request, next: Next) -> Response {
    let mut response = next.run(request).await;
    let headers = response.headers_mut();
    let fixed = [
        (header::CONTENT_SECURITY_POLICY, CSP),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff"),
        (header::X_FRAME_OPTIONS, "DENY"),
        (header::REFERRER_POLICY, "same-origin"),
        (
            header::HeaderName::from_static("cross-origin-opener-policy"),
            "same-origin",
        ),
        (
            header::HeaderName::from_static("permissions-policy"),
            PERMISSIONS_POLICY,
        ),
    ];
    for (name, value) in fixed {
        headers.insert(name, HeaderValue::from_static(value));
    }
    headers
        .entry(header::CACHE_CONTROL)
        .or_insert(HeaderValue::from_static("no-store"));
    response
}

/// 413 with a message that says what the limit is and what to do.
pub fn too_large(limit: usize) -> Failure {
    let size = if limit >= 1 << 20 {
        format!("{} MiB", limit >> 20)
    } else {
        format!("{} KiB", limit >> 10)
    };
    Failure::new(
        StatusCode::PAYLOAD_TOO_LARGE,
        format!(
            "the request is larger than this endpoint accepts ({size}); send less at a time \
             (split a large OCDS file into several packages)"
        ),
    )
}

/// Refuses state-changing requests a browser says come from another site,
/// or whose `Origin` is not this server.
pub async fn same_origin(request: Request, next: Next) -> Response {
    let method = request.method();
    if matches!(*method, Method::GET | Method::HEAD | Method::OPTIONS) {
        return next.run(request).await;
    }
    let headers = request.headers();
    let text = |name: &str| headers.get(name).and_then(|v| v.to_str().ok());
    let cross_site = text("sec-fetch-site").is_some_and(|s| s == "cross-site");
    let foreign_origin = match (text("origin"), text("host")) {
        (Some("null"), _) => true,
        (Some(origin), Some(host)) => origin_host(origin) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    };
    if cross_site || foreign_origin {
        let failure = Failure::new(
            StatusCode::FORBIDDEN,
            "cross-site requests may not change anything here; use this node's own pages",
        );
        return respond(request.uri().path(), failure);
    }
    next.run(request).await
}

/// `host[:port]` of an `Origin` value such as `http://127.0.0.1:8080`.
fn origin_host(origin: &str) -> Option<&str> {
    origin
        .split_once("://")
        .map(|(_, rest)| rest.trim_end_matches('/'))
}

/// Answers a failure as JSON under `/api/`, as a page elsewhere.
pub fn respond(path: &str, failure: Failure) -> Response {
    if path.starts_with("/api/") {
        ApiError(failure).into_response()
    } else {
        PageError(failure).into_response()
    }
}

/// Replaces the framework's plain-text rejections (a body too large, not
/// JSON, a missing field) with our JSON or HTML errors, keeping their text.
pub async fn clear_errors(request: Request, next: Next) -> Response {
    let path = request.uri().path().to_owned();
    let response = next.run(request).await;
    let status = response.status();
    let plain = response
        .headers()
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.starts_with("text/plain"));
    if !(status.is_client_error() && plain) {
        return response;
    }
    let failure = if status == StatusCode::PAYLOAD_TOO_LARGE {
        Failure::new(status, too_large_text(&path))
    } else {
        let body = axum::body::to_bytes(response.into_body(), 64 * 1024)
            .await
            .unwrap_or_default();
        Failure::new(status, String::from_utf8_lossy(&body).into_owned())
    };
    respond(&path, failure)
}

fn too_large_text(path: &str) -> String {
    let limit = if path.ends_with("/import") {
        crate::MAX_UPLOAD
    } else {
        crate::MAX_BODY
    };
    too_large(limit).message
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn origin_hosts_are_read() {
        assert_eq!(origin_host("http://127.0.0.1:8080"), Some("127.0.0.1:8080"));
        assert_eq!(origin_host("https://example.org"), Some("example.org"));
        assert_eq!(origin_host("garbage"), None);
    }

    #[test]
    fn limits_are_stated_in_units() {
        assert!(too_large(64 * 1024).message.contains("64 KiB"));
        assert!(too_large(16 << 20).message.contains("16 MiB"));
    }
}
