//! *Partners*: search co-ops by skills, text, region, capacity in a window
//! and day rate, ranked, each result saying why; and a co-op's page.

use askama::Template;
use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use coopnet_protocol::kinds::{CapacityFields, ProfileFields, SkillsFields};

use super::labels::{Form, said};
use super::{Frame, show};
use crate::api::types::CoopResult;
use crate::csv::Csv;
use crate::error::{PageError, render};
use crate::ops::{self, ContractItem};
use crate::paging::{Pager, Paging};
use crate::query::CoopParams;
use crate::{AppState, Viewer};

/// The partner pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/partners", get(search))
        .route("/partners.csv", get(csv))
        .route("/coops/{key}", get(coop))
}

#[derive(Template)]
#[template(path = "partners.html")]
struct PartnersPage {
    frame: Frame,
    params: CoopParams,
    searched: bool,
    error: Option<String>,
    results: Vec<CoopResult>,
    pager: Pager,
}

/// `GET /partners?…` (the same parameters as `GET /api/v1/coops`).
pub async fn search(
    State(state): State<AppState>,
    viewer: Viewer,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let raw = query.unwrap_or_default();
    let params = CoopParams::from_query(&raw);
    let mut page = PartnersPage {
        frame: Frame::new(&state, &viewer, "partners").await,
        searched: !params.is_empty(),
        params,
        error: None,
        results: Vec::new(),
        pager: Pager::default(),
    };
    if page.searched {
        match page.params.to_query(Some(state.backend.own_key())) {
            Ok(query) => {
                let window = query.window.is_some();
                let paging = Paging {
                    offset: query.offset,
                    limit: query.limit,
                };
                let found = state.backend.find_coops(query).await?;
                page.results = found
                    .hits
                    .iter()
                    .cloned()
                    .map(|h| CoopResult::new(h, window))
                    .collect();
                page.pager = Pager::new("/partners", &raw, paging, found.hits.len(), found.total);
            }
            Err(failure) => {
                page.error = Some(said(Form::Search, &failure, &[]));
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

/// `GET /partners.csv?…`: every co-op the same search finds, best first.
pub async fn csv(
    State(state): State<AppState>,
    RawQuery(query): RawQuery,
) -> Result<Response, PageError> {
    let params = CoopParams::from_query(&query.unwrap_or_default());
    let mut query = params.to_query(Some(state.backend.own_key()))?;
    let window = query.window.is_some();
    (query.offset, query.limit) = (0, crate::paging::MAX_LIMIT);
    let mut csv = Csv::new(&[
        "name",
        "key",
        "region",
        "summary",
        "matched skills",
        "person-days",
        "lowest day rate",
        "currency",
        "why",
    ]);
    loop {
        let page = state.backend.find_coops(query.clone()).await?;
        for hit in page.hits.iter().cloned() {
            let r = CoopResult::new(hit, window);
            csv.row([
                r.name,
                r.coop_key,
                r.region,
                r.summary,
                r.matched_skills.join("; "),
                r.days_available.to_string(),
                r.min_rate.map(|m| m.to_string()).unwrap_or_default(),
                r.currency.unwrap_or_default(),
                r.why,
            ]);
        }
        query.offset += page.hits.len();
        if page.hits.is_empty() || query.offset >= page.total {
            break;
        }
    }
    Ok(csv.download("partners.csv"))
}
