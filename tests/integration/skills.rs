//! Skills that keep their meaning (issue 16), end to end: one co-op
//! publishes its skills through the JSON API, another through `coopnet
//! publish`; each searches for the other's through the API. Names stay as
//! typed, a narrow skill finds only itself, a broad concept finds the
//! narrower skills, and two skills sharing a concept are not duplicates.

use std::sync::Arc;

use coopnet_tests::{DEADLINE, wait_for};

use crate::web::{Api, WebNode};

/// What the co-op on node A publishes through the API. Bash and
/// PowerShell share a concept in ESCO: both are kept.
const THROUGH_API: [&str; 6] = [
    "Lua",
    "Bash",
    "PowerShell",
    "Sysadmin",
    "HTML",
    "Kubernetes",
];
/// What the co-op on node B publishes with `coopnet publish`.
const THROUGH_CLI: [&str; 6] = ["Python", "CSS", "D3.js", "ASP.NET", "Web Design", "Django"];

/// (asked, the names it finds among A's skills, among B's).
const CASES: &[(&str, &[&str], &[&str])] = &[
    ("Lua", &["Lua"], &[]),
    ("lua", &["Lua"], &[]),
    ("Bash", &["Bash"], &[]),
    ("PowerShell", &["PowerShell"], &[]),
    ("Fortran", &[], &[]),
    ("Visual Basic", &[], &[]),
    ("Sysadmin", &["Sysadmin"], &[]),
    ("administer ICT system", &["Sysadmin"], &[]),
    ("HTML", &["HTML"], &[]),
    ("html5", &["HTML"], &[]),
    ("k8s", &["Kubernetes"], &[]),
    ("CSS", &[], &["CSS"]),
    ("D3.js", &[], &["D3.js"]),
    ("d3", &[], &["D3.js"]),
    ("ASP.NET", &[], &["ASP.NET"]),
    ("asp .net", &[], &["ASP.NET"]),
    ("web design", &[], &["Web Design"]),
    ("python", &[], &["Python", "Django"]),
    ("Django", &[], &["Django"]),
    (
        "computer programming",
        &["Lua", "Bash", "PowerShell"],
        &["Python", "Django", "D3.js", "ASP.NET"],
    ),
];

fn skills_json(names: &[&str]) -> String {
    let entries: Vec<serde_json::Value> = names
        .iter()
        .map(|name| serde_json::json!({"name": name, "level": "proficient", "headcount": 2}))
        .collect();
    serde_json::json!({ "entries": entries }).to_string()
}

/// The names of `owner`'s skills that `api`'s partner search for `asked`
/// matched (empty when it did not find `owner`).
async fn matched(api: &Api, owner: &str, asked: &str) -> Vec<String> {
    let path = format!("/api/v1/coops?skill={}", urlencode(asked));
    let (status, page) = api.call("GET", &path, "").await;
    assert_eq!(status, 200, "{page}");
    let hits = page["coops"].as_array().unwrap();
    let Some(hit) = hits.iter().find(|h| h["name"] == owner) else {
        return Vec::new();
    };
    let mut names: Vec<String> = hit["matched_skills"]
        .as_array()
        .unwrap()
        .iter()
        .map(|n| n.as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

fn urlencode(text: &str) -> String {
    text.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'.' | b'-' | b'_' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

async fn publish_profile(api: &Api, name: &str) {
    let profile = coopnet_protocol::samples::profile(1).into_fields();
    let mut profile =
        serde_json::to_value(coopnet_web::api::bodies::ProfileJson::from(profile)).unwrap();
    profile["name"] = name.into();
    let (status, put) = api
        .call("PUT", "/api/v1/profile", &profile.to_string())
        .await;
    assert_eq!(status, 200, "{put}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn skills_keep_their_names_and_meaning_through_the_api_and_the_cli() {
    let dir = tempfile::tempdir().unwrap();
    let (a, b) = WebNode::pair(dir.path()).await;
    let control = tokio::spawn(coopnet_node::control::serve(Arc::clone(&b.node.node)));
    let (api_a, api_b) = (Api::new(&a).await, Api::new(&b).await);
    publish_profile(&api_a, "Alder Tech").await;
    publish_profile(&api_b, "Birch Digital").await;

    let (status, put) = api_a
        .call("PUT", "/api/v1/skills", &skills_json(&THROUGH_API))
        .await;
    assert_eq!(status, 200, "Bash and PowerShell are two skills: {put}");

    let file = dir.path().join("skills.json");
    std::fs::write(&file, skills_json(&THROUGH_CLI)).unwrap();
    let data = dir.path().join("b");
    let args = [
        "publish",
        "--data",
        data.to_str().unwrap(),
        "skills",
        file.to_str().unwrap(),
    ];
    let args: Vec<String> = args.iter().map(|a| (*a).to_owned()).collect();
    let out = tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        crate::coopnet(&args)
    })
    .await
    .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Both published sets, as typed, linked where the taxonomy knows them.
    for (api, typed) in [(&api_a, &THROUGH_API), (&api_b, &THROUGH_CLI)] {
        let (_, own) = api.call("GET", "/api/v1/skills", "").await;
        let entries = own["body"]["entries"].as_array().unwrap();
        let names: Vec<&str> = entries
            .iter()
            .map(|e| e["name"].as_str().unwrap())
            .collect();
        assert_eq!(names, typed.to_vec(), "{own}");
        assert!(entries.iter().all(|e| e["concept"].is_string()), "{own}");
    }

    let everything = || {
        let (api_a, api_b) = (&api_a, &api_b);
        async move {
            matched(api_b, "Alder Tech", "Lua").await == ["Lua"]
                && matched(api_a, "Birch Digital", "Python").await.len() == 2
        }
    };
    wait_for(
        "each node to index the other's skills",
        DEADLINE,
        everything,
    )
    .await;

    let mut wrong = Vec::new();
    for &(asked, on_a, on_b) in CASES {
        let found_a = matched(&api_b, "Alder Tech", asked).await;
        let found_b = matched(&api_a, "Birch Digital", asked).await;
        let mut expected_a: Vec<&str> = on_a.to_vec();
        let mut expected_b: Vec<&str> = on_b.to_vec();
        expected_a.sort_unstable();
        expected_b.sort_unstable();
        if found_a != expected_a || found_b != expected_b {
            wrong.push(format!(
                "{asked:?}: API co-op {found_a:?} (expected {expected_a:?}), \
                 CLI co-op {found_b:?} (expected {expected_b:?})"
            ));
        }
    }
    assert!(wrong.is_empty(), "\n{}", wrong.join("\n"));

    control.abort();
    b.stop().await;
    a.stop().await;
}
