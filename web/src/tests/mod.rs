//! Handler tests, in process: the whole router (every layer) over the fake
//! backend in [`fake`].

mod fake;
mod forms;
mod routes;
mod security;

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::http::{Request, Response, StatusCode, header};
use http_body_util::BodyExt;
use tower::ServiceExt;

use crate::auth::{SESSION_COOKIE, password, token_hash};
use crate::backend::{Backend, UserRole};
use fake::Fake;

const PASSWORD: &str = "a long test password";

/// The app over a fake node with one admin, `alice`.
struct App {
    router: Router,
    fake: Arc<Fake>,
}

/// A logged-in browser: its session cookie and CSRF token.
struct Session {
    cookie: String,
    csrf: String,
}

impl App {
    async fn new() -> App {
        let fake = Arc::new(Fake::new());
        let hash = password::hash(PASSWORD).unwrap();
        fake.add_user("alice", &hash, UserRole::Admin)
            .await
            .unwrap();
        let router = crate::router(fake.clone(), crate::WebConfig::plain_http());
        App { router, fake }
    }

    async fn send(&self, request: Request<Body>) -> Response<Body> {
        self.router.clone().oneshot(request).await.unwrap()
    }

    /// Logs in through the real form, as a browser would.
    async fn login(&self) -> Session {
        let page = self.send(get("/login")).await;
        let login_cookie = set_cookie(&page, "coopnet_login").unwrap();
        let body = format!(
            "username=alice&password={}&_csrf={login_cookie}",
            PASSWORD.replace(' ', "+")
        );
        let response = self
            .send(
                Request::post("/login")
                    .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                    .header(header::COOKIE, format!("coopnet_login={login_cookie}"))
                    .body(Body::from(body))
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "log-in failed");
        let token = set_cookie(&response, SESSION_COOKIE).unwrap();
        let now = coopnet_protocol::Timestamp(crate::now_ms());
        let (_, csrf) = self
            .fake
            .session(token_hash(&token), now)
            .await
            .unwrap()
            .unwrap();
        Session {
            cookie: format!("{SESSION_COOKIE}={token}"),
            csrf,
        }
    }

    /// An API token for alice.
    async fn token(&self) -> String {
        let token = crate::auth::new_token();
        self.fake
            .create_token(token_hash(&token), 1, "test")
            .await
            .unwrap();
        token
    }
}

fn form_post(path: &str) -> axum::http::request::Builder {
    Request::post(path).header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
}

fn get(path: &str) -> Request<Body> {
    Request::get(path).body(Body::empty()).unwrap()
}

/// The value a response sets cookie `name` to.
fn set_cookie(response: &Response<Body>, name: &str) -> Option<String> {
    response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .find_map(|v| v.strip_prefix(&format!("{name}=")))
        .map(|v| v.split(';').next().unwrap_or("").to_owned())
}

async fn text(response: Response<Body>) -> String {
    let bytes = response.into_body().collect().await.unwrap().to_bytes();
    String::from_utf8(bytes.to_vec()).unwrap()
}

async fn json(response: Response<Body>) -> serde_json::Value {
    serde_json::from_str(&text(response).await).unwrap()
}
