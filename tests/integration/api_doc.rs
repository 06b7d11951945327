//! The API's OpenAPI document, as a script writer meets it: readable
//! without logging in, valid by a real OpenAPI 3 validator
//! (`@seriousme/openapi-schema-validator`, which `.ci/run` installs and
//! names in `COOPNET_OPENAPI_VALIDATOR`; elsewhere the check is SKIPPED
//! unless `validate-api` is on the PATH), and saying what the handlers do.

use std::path::PathBuf;

use hyper_util::client::legacy::Client;
use hyper_util::rt::TokioExecutor;

use crate::web::WebNode;

/// The validator's command: the variable's value, else `validate-api` if
/// it is on the PATH.
fn validator() -> Option<PathBuf> {
    if let Some(path) = std::env::var_os("COOPNET_OPENAPI_VALIDATOR") {
        return Some(PathBuf::from(path));
    }
    std::env::var_os("PATH").and_then(|paths| {
        std::env::split_paths(&paths)
            .map(|dir| dir.join("validate-api"))
            .find(|candidate| candidate.is_file())
    })
}

#[tokio::test]
async fn the_openapi_document_is_public_valid_and_says_what_the_api_takes() {
    let dir = tempfile::tempdir().unwrap();
    let node = WebNode::start(&dir.path().join("a"), "Node A", &[]).await;
    // No token, no session.
    let client: Client<_, http_body_util::Empty<hyper::body::Bytes>> =
        Client::builder(TokioExecutor::new()).build_http();
    let uri = format!("{}/api/v1/openapi.json", node.web.url());
    let response = client.get(uri.parse().unwrap()).await.unwrap();
    assert_eq!(response.status(), 200);
    let bytes = http_body_util::BodyExt::collect(response.into_body())
        .await
        .unwrap()
        .to_bytes();
    let doc: serde_json::Value = serde_json::from_slice(&bytes).unwrap();

    // The contract list's filters are optional query parameters.
    let params = doc["paths"]["/api/v1/contracts"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["q", "skill", "status", "mine", "sort", "limit", "offset"] {
        let param = params.iter().find(|p| p["name"] == name).unwrap();
        assert_eq!(param["in"], "query", "{name}");
        assert_ne!(param["required"], true, "{name}");
    }
    // The bid API is described: the builder's options optional, every
    // bid operation present.
    let params = doc["paths"]["/api/v1/contracts/{contract_id}/suggestions"]["get"]["parameters"]
        .as_array()
        .unwrap();
    for name in ["max_team", "limit", "with_us", "spread"] {
        let param = params.iter().find(|p| p["name"] == name).unwrap();
        assert_ne!(param["required"], true, "{name}");
    }
    for (path, method) in [
        ("/api/v1/contracts/{contract_id}/needs", "put"),
        ("/api/v1/bids", "get"),
        ("/api/v1/bids", "post"),
        ("/api/v1/bids/{bid_id}", "put"),
        ("/api/v1/bids/{bid_id}/status", "post"),
        ("/api/v1/bids/{bid_id}/history", "get"),
    ] {
        assert!(doc["paths"][path][method].is_object(), "{method} {path}");
    }
    // The import takes the OCDS file itself, an object, not a JSON string.
    let body = &doc["paths"]["/api/v1/contracts/import"]["post"]["requestBody"];
    let schema = &body["content"]["application/json"]["schema"];
    let schema = match schema["$ref"].as_str() {
        Some(reference) => {
            let name = reference.rsplit('/').next().unwrap();
            &doc["components"]["schemas"][name]
        }
        None => schema,
    };
    assert_eq!(schema["type"], "object", "{body}");

    let file = dir.path().join("openapi.json");
    std::fs::write(&file, &bytes).unwrap();
    match validator() {
        Some(validate) => {
            let out = std::process::Command::new(&validate)
                .arg(&file)
                .output()
                .unwrap_or_else(|e| panic!("{}: {e}", validate.display()));
            let said = String::from_utf8_lossy(&out.stdout).into_owned()
                + &String::from_utf8_lossy(&out.stderr);
            assert!(out.status.success(), "{said}");
            assert!(said.contains("\"valid\": true"), "{said}");
        }
        None => {
            eprintln!("SKIPPED: no OpenAPI validator (install @seriousme/openapi-schema-validator)")
        }
    }
    node.stop().await;
}
