//! *Partners*: search co-ops by skills, text, region, capacity in a window
//! and day rate, ranked, each result saying why; and a co-op's page.

use askama::Template;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use coopnet_protocol::kinds::{CapacityFields, ProfileFields, SkillsFields};

use super::{Frame, show};
use crate::backend::CoopHit;
use crate::error::{PageError, render};
use crate::ops::{self, ContractItem};
use crate::query::CoopParams;
use crate::{AppState, Viewer};

struct Result_ {
    key: String,
    name: String,
    summary: String,
    region: String,
    why: String,
}

impl Result_ {
    fn new(hit: CoopHit, window: bool) -> Self {
        let why = ops::why(&hit, window);
        Result_ {
            key: hit.author.to_string(),
            name: if hit.name.is_empty() {
                "(no profile yet)".to_owned()
            } else {
                hit.name
            },
            summary: hit.summary,
            region: hit.region,
            why,
        }
    }
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    frame: Frame,
    params: CoopParams,
    searched: bool,
    error: Option<String>,
    results: Vec<Result_>,
}

/// `GET /partners?…` (the same parameters as `GET /api/v1/coops`).
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = CoopParams::from_query(query.as_deref().unwrap_or(""));
    let mut page = PartnersPage {
        frame: Frame::new(&state, &viewer, "partners").await,
        searched: !params.is_empty(),
        params,
        error: None,
        results: Vec::new(),
    };
    if page.searched {
        match page.params.to_query(Some(state.backend.own_key())) {
            Ok(query) => {
                let window = query.window.is_some();
                let hits = state.backend.find_coops(query).await?;
                page.results = hits.into_iter().map(|h| Result_::new(h, window)).collect();
            }
            Err(failure) => {
                page.error = Some(failure.message);
                return Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response());
            }
        }
    }
    Ok(render(&page)?.into_response())
}

#[derive(Template)]
#[template(path = "coop.html")]
struct CoopPage {
    frame: Frame,
    key: String,
    profile: Option<ProfileFields>,
    skills: Option<SkillsFields>,
    capacity: Option<CapacityFields>,
    contracts: Vec<ContractItem>,
}

/// `GET /coops/{key}`.
pub async fn coop(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(key): Path<String>,
) -> Result<Html<String>, PageError> {
    let detail = ops::coop(state.backend.as_ref(), &key).await?;
    render(&CoopPage {
        frame: Frame::new(&state, &viewer, "partners").await,
        key: detail.key.to_string(),
        profile: detail.profile,
        skills: detail.skills,
        capacity: detail.capacity,
        contracts: detail.contracts,
    })
}
