//! Log-in, sessions, CSRF, cross-site refusal, headers, limits.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::{App, form_post, get, json, set_cookie, text};
use crate::api::ApiDoc;
use crate::auth::throttle::PER_NAME;
use crate::backend::Backend;

/// Every state-changing page route (the API's come from the OpenAPI document).
const PAGE_WRITES: &[&str] = &[
    "/logout",
    "/our-coop/profile",
    "/our-coop/skills",
    "/our-coop/capacity",
    "/contracts",
    "/contracts/import",
];

/// Every state-changing API route, from the OpenAPI document.
fn api_writes() -> Vec<(String, String)> {
    let doc = serde_json::to_value(<ApiDoc as utoipa::OpenApi>::openapi()).unwrap();
    let mut found = Vec::new();
    for (path, item) in doc["paths"].as_object().unwrap() {
        for method in ["post", "put", "delete", "patch"] {
            if item.get(method).is_some() {
                let path = path.replace("{id}", "x").replace("{key}", "x");
                found.push((method.to_uppercase(), path));
            }
        }
    }
    assert!(
        found.len() >= 5,
        "the API's writes were not found: {found:?}"
    );
    found
}

#[tokio::test]
async fn unauthenticated_requests_to_every_state_changing_route_are_refused() {
    let app = App::new().await;
    for path in PAGE_WRITES {
        let response = app
            .send(form_post(path).body(Body::from("title=x")).unwrap())
            .await;
        // The log-in page, keeping what was typed to send after log-in.
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{path}");
        let page = text(response).await;
        assert!(page.contains(r#"action="/login""#), "{path}: {page}");
        assert!(
            page.contains(r#"name="carry" value="title=x""#),
            "{path}: {page}"
        );
    }
    for (method, path) in api_writes() {
        let request = Request::builder()
            .method(method.as_str())
            .uri(&path)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(
            response.status(),
            StatusCode::UNAUTHORIZED,
            "{method} {path}"
        );
        assert!(
            json(response).await["error"]
                .as_str()
                .unwrap()
                .contains("log in")
        );
    }
    assert_eq!(
        app.fake.info().await.unwrap().records,
        0,
        "nothing was published"
    );
}

#[tokio::test]
async fn pages_and_api_reads_need_a_login_but_login_health_and_assets_do_not() {
    let app = App::new().await;
    for path in ["/", "/our-coop", "/partners", "/contracts"] {
        let response = app.send(get(path)).await;
        assert_eq!(response.status(), StatusCode::SEE_OTHER, "{path}");
        let to = response.headers()[header::LOCATION].to_str().unwrap();
        assert!(to.starts_with("/login?next=%2F"), "{path} → {to}");
    }
    for path in ["/api/v1/status", "/api/v1/coops"] {
        assert_eq!(
            app.send(get(path)).await.status(),
            StatusCode::UNAUTHORIZED,
            "{path}"
        );
    }
    for path in [
        "/login",
        "/health",
        "/api/v1/health",
        "/api/v1/openapi.json",
        "/static/app.css",
        "/static/app.js",
    ] {
        assert_eq!(app.send(get(path)).await.status(), StatusCode::OK, "{path}");
    }
}

#[tokio::test]
async fn cross_site_and_tokenless_writes_from_a_logged_in_browser_are_refused() {
    let app = App::new().await;
    let session = app.login().await;
    let body = format!("name=Evil&_csrf={}", session.csrf);
    let attempts = [
        ("origin", "http://evil.example", body.as_str()),
        ("sec-fetch-site", "cross-site", body.as_str()),
        ("x-nothing", "1", "name=Evil"),
        ("x-nothing", "1", "name=Evil&_csrf=wrong"),
    ];
    for path in PAGE_WRITES {
        for (name, value, body) in attempts {
            let request = form_post(path)
                .header(header::COOKIE, &session.cookie)
                .header(header::HOST, "localhost")
                .header(name, value)
                .body(Body::from(body.to_owned()))
                .unwrap();
            let response = app.send(request).await;
            assert_eq!(
                response.status(),
                StatusCode::FORBIDDEN,
                "{path} with {name}: {value}"
            );
        }
    }
    for (method, path) in api_writes() {
        let request = Request::builder()
            .method(method.as_str())
            .uri(&path)
            .header(header::COOKIE, &session.cookie)
            .header(header::CONTENT_TYPE, "application/json")
            .body(Body::from("{}"))
            .unwrap();
        let response = app.send(request).await;
        assert_eq!(
            response.status(),
            StatusCode::FORBIDDEN,
            "{method} {path} without token"
        );
    }
    assert_eq!(
        app.fake.info().await.unwrap().records,
        0,
        "nothing was published"
    );
}

#[tokio::test]
async fn a_same_origin_form_with_the_token_publishes() {
    let app = App::new().await;
    let session = app.login().await;
    let body = format!(
        "_csrf={}&name=rust&level=expert&headcount=3&name=&level=proficient&headcount=",
        session.csrf
    );
    let request = form_post("/our-coop/skills")
        .header(header::COOKIE, &session.cookie)
        .header(header::HOST, "localhost:8080")
        .header("origin", "http://localhost:8080")
        .body(Body::from(body.clone()))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(
        response.headers()[header::LOCATION],
        "/our-coop?saved=skills"
    );
    let own = app.fake.own_key();
    let record = app
        .fake
        .current(own, coopnet_protocol::Kind::Skills, "")
        .await
        .unwrap()
        .unwrap();
    let Some(coopnet_protocol::Body::Skills(skills)) = record.body else {
        panic!("not a skills record");
    };
    assert_eq!(skills.entries.len(), 1, "the empty row is dropped");
    assert_eq!(skills.entries[0].headcount, 3);
    assert_eq!(
        skills.entries[0].level,
        coopnet_protocol::kinds::SkillLevel::Expert
    );
}

#[tokio::test]
async fn wrong_passwords_are_refused_then_throttled() {
    let app = App::new().await;
    let page = app.send(get("/login")).await;
    let login = set_cookie(&page, "coopnet_login").unwrap();
    let attempt = |password: &str| {
        Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("coopnet_login={login}"))
            .body(Body::from(format!(
                "username=alice&password={password}&_csrf={login}"
            )))
            .unwrap()
    };
    for _ in 0..PER_NAME {
        let response = app.send(attempt("wrong")).await;
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
        assert!(set_cookie(&response, crate::auth::SESSION_COOKIE).is_none());
    }
    let right = super::PASSWORD.replace(' ', "+");
    let response = app.send(attempt(&right)).await;
    assert_eq!(response.status(), StatusCode::TOO_MANY_REQUESTS);
    let wait: u64 = response.headers()[header::RETRY_AFTER]
        .to_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!(wait > 14 * 60 && wait <= 15 * 60, "Retry-After: {wait}");
    assert!(text(response).await.contains("Too many failed log-ins"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn parallel_guesses_are_each_counted_before_the_password_is_checked() {
    let app = App::new().await;
    let page = app.send(get("/login")).await;
    let login = set_cookie(&page, "coopnet_login").unwrap();
    let mut guesses = tokio::task::JoinSet::new();
    for i in 0..24 {
        let request = Request::post("/login")
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::COOKIE, format!("coopnet_login={login}"))
            .body(Body::from(format!(
                "username=alice&password=guess{i}&_csrf={login}"
            )))
            .unwrap();
        guesses.spawn(tower::ServiceExt::oneshot(app.router.clone(), request));
    }
    let answers: Vec<_> = guesses
        .join_all()
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
    let checked = answers
        .iter()
        .filter(|r| r.status() == StatusCode::UNAUTHORIZED)
        .count();
    let refused = answers
        .iter()
        .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
        .count();
    assert!(checked <= PER_NAME as usize, "{checked} passwords checked");
    assert_eq!(checked + refused, answers.len());
    assert!(
        answers
            .iter()
            .filter(|r| r.status() == StatusCode::TOO_MANY_REQUESTS)
            .all(|r| r.headers().contains_key(header::RETRY_AFTER))
    );
}

#[tokio::test]
async fn a_login_form_without_its_cookie_is_refused() {
    let app = App::new().await;
    let request = Request::post("/login")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(Body::from(format!(
            "username=alice&password={}&_csrf=forged",
            super::PASSWORD.replace(' ', "+")
        )))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    assert!(set_cookie(&response, crate::auth::SESSION_COOKIE).is_none());
}

#[tokio::test]
async fn responses_carry_the_security_headers() {
    let app = App::new().await;
    for path in ["/login", "/api/v1/health", "/nowhere"] {
        let response = app.send(get(path)).await;
        let headers = response.headers();
        let csp = headers[header::CONTENT_SECURITY_POLICY].to_str().unwrap();
        assert!(csp.contains("frame-ancestors 'none'"), "{path}");
        assert!(
            csp.contains("script-src 'self'") && !csp.contains("unsafe-inline"),
            "{path}"
        );
        assert_eq!(headers[header::X_CONTENT_TYPE_OPTIONS], "nosniff", "{path}");
    }
}

#[tokio::test]
async fn session_cookies_are_http_only_and_same_site() {
    let app = App::new().await;
    let page = app.send(get("/login")).await;
    let login = set_cookie(&page, "coopnet_login").unwrap();
    let response = app
        .send(
            Request::post("/login")
                .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
                .header(header::COOKIE, format!("coopnet_login={login}"))
                .body(Body::from(format!(
                    "username=ALICE&password={}&_csrf={login}&next=%2Fpartners",
                    super::PASSWORD.replace(' ', "+")
                )))
                .unwrap(),
        )
        .await;
    assert_eq!(response.headers()[header::LOCATION], "/partners");
    let cookie = response
        .headers()
        .get_all(header::SET_COOKIE)
        .iter()
        .map(|v| v.to_str().unwrap().to_owned())
        .find(|v| v.starts_with("coopnet_session="))
        .unwrap();
    assert!(
        cookie.contains("HttpOnly") && cookie.contains("SameSite=Strict"),
        "{cookie}"
    );
}
