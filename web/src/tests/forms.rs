//! Forms as members meet them without JavaScript: "Add another" rows,
//! errors in the form's own words, a form whose token went stale or whose
//! session ended shown again rather than lost, uploads with the token in
//! the body, and log-out saying so.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};

use super::{App, Session, form_post, get, set_cookie, text};
use crate::backend::Backend;

fn post(session: &Session, path: &str, body: &str) -> Request<Body> {
    form_post(path)
        .header(header::COOKIE, &session.cookie)
        .body(Body::from(body.to_owned()))
        .unwrap()
}

/// How many inputs named `name` the page has.
fn inputs(page: &str, name: &str) -> usize {
    page.matches(&format!(r#"name="{name}""#)).count()
}

async fn records(app: &App) -> u64 {
    app.fake.info().await.unwrap().records
}

#[tokio::test]
async fn add_another_shows_the_rows_typed_and_one_more_without_publishing() {
    let app = App::new().await;
    let session = app.login().await;
    let page = text(app.send(get_with(&session, "/our-coop")).await).await;
    assert_eq!(inputs(&page, "name") - 1, 1, "one empty skill row at first");

    let body = format!(
        "_csrf={}&name=Rust&level=expert&headcount=2&name=&level=proficient&headcount=&add=row",
        session.csrf
    );
    let response = app.send(post(&session, "/our-coop/skills", &body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    // The profile form has a `name` input too.
    assert_eq!(
        inputs(&page, "name") - 1,
        3,
        "Rust, the empty row, one more"
    );
    assert!(page.contains(r#"value="Rust""#));
    assert!(page.contains("Add another skill"));

    let body = format!(
        "_csrf={}&from=2027-01-04&to=2027-01-29&days=10&rate_min=400&rate_max=500&currency=GBP&mode=remote&skills=&add=row",
        session.csrf
    );
    let response = app.send(post(&session, "/our-coop/capacity", &body)).await;
    assert_eq!(response.status(), StatusCode::OK);
    let page = text(response).await;
    assert_eq!(inputs(&page, "from"), 2);
    assert!(page.contains(r#"value="2027-01-04""#));
    assert_eq!(records(&app).await, 0, "nothing was published");
}

fn get_with(session: &Session, path: &str) -> Request<Body> {
    Request::get(path)
        .header(header::COOKIE, &session.cookie)
        .body(Body::empty())
        .unwrap()
}

#[tokio::test]
async fn errors_name_the_field_as_the_form_shows_it() {
    let app = App::new().await;
    let session = app.login().await;
    // Row 2 is empty and dropped; the bad level is on the page's row 3.
    let body = format!(
        "_csrf={}&name=Rust&level=expert&headcount=1&name=&level=&headcount=\
         &name=Go&level=guru&headcount=1",
        session.csrf
    );
    let response = app.send(post(&session, "/our-coop/skills", &body)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let page = text(response).await;
    assert!(
        page.contains("Skills, row 3: level: must be working"),
        "{page}"
    );
    assert!(!page.contains("entries["), "{page}");

    let body = format!(
        "_csrf={}&from=2027-01-04&to=2027-01-29&days=ten&rate_min=1&rate_max=2&currency=GBP",
        session.csrf
    );
    let page = text(app.send(post(&session, "/our-coop/capacity", &body)).await).await;
    assert!(
        page.contains("Capacity, row 1: person-days: must be a whole number"),
        "{page}"
    );

    let body = format!("_csrf={}&title=Roof&buyer=Council&start=soon", session.csrf);
    let page = text(app.send(post(&session, "/contracts", &body)).await).await;
    assert!(page.contains("Work starts: must be a date"), "{page}");
}

#[tokio::test]
async fn a_form_with_a_stale_token_is_shown_again_with_what_was_typed() {
    let app = App::new().await;
    let session = app.login().await;
    let body = "_csrf=from-an-old-session&name=Rust&level=expert&headcount=2\
                &name=Line+one%0D%0Aline+two&level=working&headcount=1";
    let response = app.send(post(&session, "/our-coop/skills", body)).await;
    assert_eq!(response.status(), StatusCode::FORBIDDEN);
    let page = text(response).await;
    assert!(page.contains("Send your form again"), "{page}");
    assert!(page.contains(r#"action="/our-coop/skills""#), "{page}");
    assert!(page.contains(&format!(r#"name="_csrf" value="{}""#, session.csrf)));
    assert!(!page.contains("from-an-old-session"));
    assert!(page.contains(r#"name="name" value="Rust""#), "{page}");
    assert_eq!(records(&app).await, 0, "nothing was published");

    // Sending it again (as the page's form would) publishes it.
    let again = format!(
        "_csrf={}&{}",
        session.csrf,
        &body[body.find('&').unwrap() + 1..]
    );
    let response = app.send(post(&session, "/our-coop/skills", &again)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(records(&app).await, 1);
}

#[tokio::test]
async fn a_form_sent_after_the_session_ended_survives_logging_in_again() {
    let app = App::new().await;
    let body = "_csrf=old&title=Roof+repairs&buyer=Leeds+City+Council&description=Two%0D%0Alines";
    let response = app
        .send(form_post("/contracts").body(Body::from(body)).unwrap())
        .await;
    assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    let login_cookie = set_cookie(&response, "coopnet_login").unwrap();
    let page = text(response).await;
    assert!(page.contains("Your session ended before your form was sent"));
    let carried = "title=Roof+repairs&#38;buyer=Leeds+City+Council&#38;description=Two%0D%0Alines";
    assert!(page.contains(carried), "{page}");
    assert!(page.contains(r#"name="next" value="/contracts""#), "{page}");

    let login = format!(
        "username=alice&password={}&_csrf={login_cookie}&next=%2Fcontracts&carry={}",
        super::PASSWORD.replace(' ', "+"),
        form_urlencoded::byte_serialize(carried.replace("&#38;", "&").as_bytes())
            .collect::<String>()
    );
    let response = app
        .send(
            form_post("/login")
                .header(header::COOKIE, format!("coopnet_login={login_cookie}"))
                .body(Body::from(login))
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(set_cookie(&response, crate::auth::SESSION_COOKIE).is_some());
    let page = text(response).await;
    assert!(page.contains("Send your form again"), "{page}");
    assert!(page.contains(r#"action="/contracts""#), "{page}");
    assert!(page.contains("Leeds City Council"), "{page}");
    assert_eq!(
        records(&app).await,
        0,
        "nothing published before the member says so"
    );
}

fn multipart(session: &Session, path: &str, parts: &[(&str, &str)]) -> Request<Body> {
    let boundary = "XyZzY";
    let mut body = String::new();
    for (name, value) in parts {
        body.push_str(&format!(
            "--{boundary}\r\nContent-Disposition: form-data; name=\"{name}\"{}\r\n\r\n{value}\r\n",
            if *name == "file" {
                "; filename=\"t.json\""
            } else {
                ""
            }
        ));
    }
    body.push_str(&format!("--{boundary}--\r\n"));
    Request::post(path)
        .header(header::COOKIE, &session.cookie)
        .header(
            header::CONTENT_TYPE,
            format!("multipart/form-data; boundary={boundary}"),
        )
        .body(Body::from(body))
        .unwrap()
}

#[tokio::test]
async fn uploads_carry_the_token_first_in_the_body_never_in_the_url() {
    let app = App::new().await;
    let session = app.login().await;
    let page = text(app.send(get_with(&session, "/contracts")).await).await;
    assert!(page.contains(r#"action="/contracts/import""#), "{page}");
    assert!(!page.contains("?_csrf="), "no token in any URL");

    let file = r#"{"releases": []}"#;
    let in_url = format!("/contracts/import?_csrf={}", session.csrf);
    for request in [
        multipart(&session, "/contracts/import", &[("file", file)]),
        multipart(&session, &in_url, &[("file", file)]),
        multipart(
            &session,
            "/contracts/import",
            &[("file", file), ("_csrf", &session.csrf)],
        ),
        multipart(
            &session,
            "/contracts/import",
            &[("_csrf", "wrong"), ("file", file)],
        ),
        // Only the import route takes uploads at all.
        multipart(&session, "/our-coop/skills", &[("_csrf", &session.csrf)]),
    ] {
        let uri = request.uri().to_string();
        let response = app.send(request).await;
        assert_eq!(response.status(), StatusCode::FORBIDDEN, "{uri}");
        assert!(
            text(response).await.contains("<html"),
            "an HTML page: {uri}"
        );
    }
    let good = multipart(
        &session,
        "/contracts/import",
        &[("_csrf", &session.csrf), ("file", file)],
    );
    let response = app.send(good).await;
    assert_ne!(response.status(), StatusCode::FORBIDDEN);
}

#[tokio::test]
async fn logging_out_says_so() {
    let app = App::new().await;
    let session = app.login().await;
    let body = format!("_csrf={}", session.csrf);
    let response = app.send(post(&session, "/logout", &body)).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    let to = response.headers()[header::LOCATION]
        .to_str()
        .unwrap()
        .to_owned();
    let page = text(app.send(get(&to)).await).await;
    assert!(page.contains("You have logged out."), "{page}");
}

#[tokio::test]
async fn page_routes_answer_errors_with_pages_and_the_api_with_json() {
    let app = App::new().await;
    let session = app.login().await;
    let response = app.send(get_with(&session, "/no/such/page")).await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    let page = text(response).await;
    assert!(
        page.contains("<html") && page.contains("viewport"),
        "{page}"
    );

    let big = format!("_csrf={}&description={}", session.csrf, "x".repeat(100_000));
    let response = app.send(post(&session, "/contracts", &big)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(text(response).await.contains("<html"));

    let token = app.token().await;
    let response = app
        .send(
            Request::get("/api/v1/nothing")
                .header(header::AUTHORIZATION, format!("Bearer {token}"))
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::NOT_FOUND);
    assert!(text(response).await.starts_with('{'));
}
