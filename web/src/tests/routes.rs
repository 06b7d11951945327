//! The API and pages doing their jobs: validation errors naming the field,
//! size limits, API tokens, the OpenAPI document, escaping.

use axum::body::Body;
use axum::http::{Request, StatusCode, header};
use coopnet_protocol::kinds::{Profile, SkillEntry, SkillLevel, Skills, SkillsFields};
use coopnet_protocol::{Body as RecordBody, Kind, SecretKey, samples};

use super::{App, get, json, text};
use crate::backend::Backend;

fn api(method: &str, path: &str, token: &str, body: impl Into<Body>) -> Request<Body> {
    Request::builder()
        .method(method)
        .uri(path)
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .header(header::CONTENT_TYPE, "application/json")
        .body(body.into())
        .unwrap()
}

#[tokio::test]
async fn an_api_token_reads_and_writes_and_a_bad_one_is_refused() {
    let app = App::new().await;
    let token = app.token().await;
    let status = app
        .send(api("GET", "/api/v1/status", &token, Body::empty()))
        .await;
    assert_eq!(status.status(), StatusCode::OK);
    assert_eq!(json(status).await["name"], "Test Co-op");
    let profile = crate::api::bodies::ProfileJson::from(samples::profile(1).into_fields());
    let profile = serde_json::to_string(&profile).unwrap();
    let put = app
        .send(api("PUT", "/api/v1/profile", &token, profile))
        .await;
    assert_eq!(put.status(), StatusCode::OK);
    assert_eq!(json(put).await["version"], 1);
    let got = json(
        app.send(api("GET", "/api/v1/profile", &token, Body::empty()))
            .await,
    )
    .await;
    assert_eq!(got["body"]["name"], samples::profile(1).name.as_str());
    assert_eq!(got["published"]["version"], 1);
    let bad = app
        .send(api("GET", "/api/v1/status", "0000", Body::empty()))
        .await;
    assert_eq!(bad.status(), StatusCode::UNAUTHORIZED);
    assert!(
        json(bad).await["error"]
            .as_str()
            .unwrap()
            .contains("token create")
    );
}

#[tokio::test]
async fn validation_failures_are_422_naming_the_field() {
    let app = App::new().await;
    let token = app.token().await;
    let body = r#"{"entries":[{"name":"Rust","concept":null,"level":"expert","headcount":0}]}"#;
    let response = app.send(api("PUT", "/api/v1/skills", &token, body)).await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    let error = json(response).await;
    assert_eq!(error["field"], "entries[0].headcount");
    assert!(
        error["error"]
            .as_str()
            .unwrap()
            .starts_with("entries[0].headcount:")
    );

    let response = app
        .send(api(
            "GET",
            "/api/v1/coops?from=2027-02-01&to=2027-01-01",
            &token,
            Body::empty(),
        ))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(json(response).await["field"], "to");

    let response = app
        .send(api("PUT", "/api/v1/profile", &token, "{\"name\": 5}"))
        .await;
    assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        json(response).await["error"]
            .as_str()
            .unwrap()
            .contains("name")
    );
}

#[tokio::test]
async fn oversized_bodies_get_a_clear_413() {
    let app = App::new().await;
    let token = app.token().await;
    let big = format!("{{\"name\": \"{}\"}}", "x".repeat(crate::MAX_BODY + 1));
    let response = app.send(api("PUT", "/api/v1/profile", &token, big)).await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let error = json(response).await;
    assert!(
        error["error"].as_str().unwrap().contains("64 KiB"),
        "{error}"
    );
    // An upload may be larger than an ordinary body, but not unbounded.
    let upload = vec![b' '; crate::MAX_BODY * 2];
    let response = app
        .send(api("POST", "/api/v1/contracts/import", &token, upload))
        .await;
    assert_ne!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let huge = vec![b' '; crate::MAX_UPLOAD + 1];
    let response = app
        .send(api("POST", "/api/v1/contracts/import", &token, huge))
        .await;
    assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
    assert!(
        json(response).await["error"]
            .as_str()
            .unwrap()
            .contains("16 MiB")
    );
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let app = App::new().await;
    let token = app.token().await;
    let doc = json(
        app.send(api("GET", "/api/v1/openapi.json", &token, Body::empty()))
            .await,
    )
    .await;
    assert!(doc["openapi"].as_str().unwrap().starts_with("3."));
    let paths = doc["paths"].as_object().unwrap();
    for path in [
        "/api/v1/status",
        "/api/v1/profile",
        "/api/v1/skills",
        "/api/v1/capacity",
        "/api/v1/coops",
        "/api/v1/coops/{coop_key}",
        "/api/v1/contracts",
        "/api/v1/contracts/{contract_id}",
        "/api/v1/contracts/import",
    ] {
        assert!(paths.contains_key(path), "{path} is not documented");
    }
    assert!(paths["/api/v1/profile"].get("put").is_some());
    let schemas = doc["components"]["schemas"].as_object().unwrap();
    assert!(schemas.contains_key("ProfileJson") && schemas.contains_key("WindowJson"));
    // The API's own shapes, not the signed records' structs.
    assert!(
        !schemas.contains_key("ProfileFields"),
        "{:?}",
        schemas.keys()
    );
}

#[tokio::test]
async fn markup_from_another_node_is_shown_as_text() {
    let app = App::new().await;
    let session = app.login().await;
    let other = SecretKey::generate(&mut rand_core::OsRng).public();
    let mut fields = samples::profile(2).into_fields();
    fields.name = "<script>alert('x')</script><b>Bold</b>".to_owned();
    fields.description = "<img src=x onerror=alert(1)>".to_owned();
    app.fake.put(
        other,
        Kind::Profile,
        "",
        RecordBody::Profile(Profile::parse(fields).unwrap()),
    );
    let skills = Skills::parse(SkillsFields {
        entries: vec![SkillEntry {
            name: "<i>Rust</i>".to_owned(),
            concept: None,
            level: SkillLevel::Expert,
            headcount: 2,
        }],
    })
    .unwrap();
    app.fake
        .put(other, Kind::Skills, "", RecordBody::Skills(skills));
    let page = app
        .send(
            Request::get(format!("/coops/{other}"))
                .header(header::COOKIE, &session.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(page.status(), StatusCode::OK);
    let html = text(page).await;
    assert!(!html.contains("<script>alert"), "script was not escaped");
    assert!(!html.contains("<img src=x"), "markup was not escaped");
    assert!(!html.contains("<b>Bold"), "markup was not escaped");
    // Shown as text: escaped, in askama's numeric form.
    assert!(
        html.contains("&#60;script&#62;alert(&#39;x&#39;)&#60;/script&#62;"),
        "{html}"
    );
    assert!(html.contains("&#60;i&#62;Rust&#60;/i&#62;"));
}

#[tokio::test]
async fn pages_render_for_a_logged_in_member() {
    let app = App::new().await;
    let session = app.login().await;
    for path in [
        "/",
        "/our-coop",
        "/partners?skills=rust&match=any",
        "/contracts",
        "/contracts?status=all",
    ] {
        let response = app
            .send(
                Request::get(path)
                    .header(header::COOKIE, &session.cookie)
                    .body(Body::empty())
                    .unwrap(),
            )
            .await;
        assert_eq!(response.status(), StatusCode::OK, "{path}");
        let html = text(response).await;
        assert!(
            html.contains(&session.csrf),
            "{path} has no CSRF token in its forms"
        );
    }
    let missing = app
        .send(
            Request::get("/coops/zz")
                .header(header::COOKIE, &session.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(missing.status(), StatusCode::NOT_FOUND);
}

#[tokio::test]
async fn the_health_check_is_open() {
    let app = App::new().await;
    assert_eq!(text(app.send(get("/api/v1/health")).await).await, "ok");
}

#[tokio::test]
async fn a_description_typed_with_line_breaks_is_saved_with_them_and_shown() {
    let app = App::new().await;
    let session = app.login().await;
    // What a browser sends from a text area: CR LF line breaks.
    let body = format!(
        "_csrf={}&title=Repairs&buyer=Council&description=First+line%0D%0ASecond+line%0D%0A%0D%0AThird&currency=GBP",
        session.csrf
    );
    let request = Request::post("/contracts")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .header(header::COOKIE, &session.cookie)
        .header(header::HOST, "localhost:8080")
        .header("origin", "http://localhost:8080")
        .body(Body::from(body))
        .unwrap();
    let response = app.send(request).await;
    assert_eq!(
        response.status(),
        StatusCode::SEE_OTHER,
        "{}",
        text(response).await
    );
    let saved = app.fake.list(Kind::Contract, None, 10).await.unwrap();
    let Some(RecordBody::Contract(contract)) = &saved[0].body else {
        panic!("no contract saved");
    };
    assert_eq!(contract.description, "First line\nSecond line\n\nThird");
    let path = format!(
        "/contracts/{}",
        crate::ops::contract_id(&saved[0].author, &saved[0].key)
    );
    let page = app
        .send(
            Request::get(path)
                .header(header::COOKIE, &session.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    let html = text(page).await;
    assert!(
        html.contains("class=\"prose\""),
        "shown as prose, its line breaks kept"
    );
    assert!(html.contains("First line\nSecond line"));
}

/// Seven contracts of ours, the `i`th due on day 20 + `(i * 3) % 7` of
/// January 2027.
async fn seven_contracts(app: &App) {
    for i in 0..7 {
        let mut fields = samples::contract(i).into_fields();
        let day = 20 + (i * 3) % 7;
        let due: coopnet_protocol::Day = format!("2027-01-{day:02}").parse().unwrap();
        let ms = u64::try_from(due.days()).unwrap() * 86_400_000;
        fields.deadline = Some(coopnet_protocol::Timestamp(ms));
        fields.title = format!("Contract {i}, due {day}");
        let contract = coopnet_protocol::kinds::Contract::parse(fields).unwrap();
        app.fake
            .publish(
                Kind::Contract,
                &format!("k-{i}"),
                Some(RecordBody::Contract(contract)),
            )
            .await
            .unwrap();
    }
}

#[tokio::test]
async fn contracts_come_a_page_at_a_time_sorted_with_the_total() {
    let app = App::new().await;
    let token = app.token().await;
    seven_contracts(&app).await;
    let page = |query: &str| {
        api(
            "GET",
            &format!("/api/v1/contracts?{query}"),
            &token,
            Body::empty(),
        )
    };
    let first = json(app.send(page("limit=3")).await).await;
    assert_eq!(
        (
            first["total"].as_u64(),
            first["offset"].as_u64(),
            first["limit"].as_u64()
        ),
        (Some(7), Some(0), Some(3))
    );
    let titles = |doc: &serde_json::Value| -> Vec<String> {
        doc["contracts"]
            .as_array()
            .unwrap()
            .iter()
            .map(|c| c["title"].as_str().unwrap().to_owned())
            .collect()
    };
    // Deadlines 20, 23, 26, 22, 25, 21, 24: soonest first.
    assert_eq!(
        titles(&first),
        [
            "Contract 0, due 20",
            "Contract 5, due 21",
            "Contract 3, due 22"
        ]
    );
    let last = json(app.send(page("limit=3&offset=6")).await).await;
    assert_eq!(titles(&last), ["Contract 2, due 26"]);
    for (query, field) in [
        ("limit=0", "limit"),
        ("offset=x", "offset"),
        ("sort=colour", "sort"),
    ] {
        let response = app.send(page(query)).await;
        assert_eq!(
            response.status(),
            StatusCode::UNPROCESSABLE_ENTITY,
            "{query}"
        );
        assert_eq!(json(response).await["field"], field, "{query}");
    }

    let session = app.login().await;
    let html = text(
        app.send(
            Request::get("/contracts?limit=3&offset=3&status=all")
                .header(header::COOKIE, &session.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await,
    )
    .await;
    assert!(html.contains("Showing 4–6 of 7"), "{html}");
    assert!(
        html.contains("href=\"/contracts?limit=3&#38;status=all\""),
        "no link to the page before: {html}"
    );
    assert!(
        html.contains("href=\"/contracts?limit=3&#38;status=all&#38;offset=6\""),
        "no link to the page after"
    );
}

#[tokio::test]
async fn contracts_download_as_csv_with_every_match() {
    let app = App::new().await;
    seven_contracts(&app).await;
    let session = app.login().await;
    let response = app
        .send(
            Request::get("/contracts.csv?status=all")
                .header(header::COOKIE, &session.cookie)
                .body(Body::empty())
                .unwrap(),
        )
        .await;
    assert_eq!(response.status(), StatusCode::OK);
    assert!(
        response.headers()[header::CONTENT_TYPE]
            .to_str()
            .unwrap()
            .starts_with("text/csv")
    );
    let csv = text(response).await;
    let lines: Vec<&str> = csv.split("\r\n").filter(|l| !l.is_empty()).collect();
    assert_eq!(lines.len(), 8, "a header and seven rows: {csv}");
    assert!(lines[0].starts_with("title,buyer,status,deadline,value,minimum,currency"));
    assert!(
        lines[1].starts_with("\"Contract 0, due 20\","),
        "{}",
        lines[1]
    );
}
