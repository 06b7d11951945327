//! What a bid manager takes out of a bid (issue 18): a printable summary
//! of the frozen document (team, roles, days, rates, totals, each
//! signature with the signer's name and key fingerprint), the signed
//! document as JSON for `coopnet bid verify`, and the roles as CSV.

use askama::Template;
use axum::extract::{Path, State};
use axum::http::header;
use axum::response::{Html, IntoResponse, Response};
use axum::routing::get;
use axum::{Json, Router};
use coopnet_protocol::bidwire::{BidDocument, ExportedDocument};

use super::ops::{self, BidView};
use super::words;
use crate::csv::Csv;
use crate::error::{ApiError, Failure, PageError, render};
use crate::pages::{Frame, show};
use crate::{AppState, Viewer};

/// The export routes (pages).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/bids/{bid_id}/summary", get(summary))
        .route("/bids/{bid_id}/agreement.json", get(agreement_json))
        .route("/bids/{bid_id}/roles.csv", get(roles_csv))
}

/// The export routes of the API (`/api/v1`).
pub fn api_router() -> Router<AppState> {
    Router::new().route("/bids/{bid_id}/roles.csv", get(api_roles_csv))
}

/// A signature line of the summary.
struct Signer {
    name: String,
    fingerprint: String,
    role: bool,
    signed: bool,
}

/// A role line of the summary.
struct Line {
    name: String,
    skills: String,
    days: u64,
    rate: u32,
    cost: u64,
}

#[derive(Template)]
#[template(path = "bids/summary.html")]
struct SummaryPage {
    frame: Frame,
    bid_id: String,
    d: BidDocument,
    hash: String,
    lines: Vec<Line>,
    signers: Vec<Signer>,
    complete: bool,
}

async fn agreement(state: &AppState, bid_id: &str) -> Result<ExportedDocument, Failure> {
    ops::bid_exists(state.backend.as_ref(), bid_id).await?;
    Ok(state
        .backend
        .bids()
        .export_agreement(bid_id.to_owned())
        .await?)
}

/// `GET /bids/{bid_id}/summary`: the frozen document to print.
pub async fn summary(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(bid_id): Path<String>,
) -> Result<Html<String>, PageError> {
    let export = agreement(&state, &bid_id).await?;
    let checked = export.check().map_err(|e| {
        Failure::new(
            axum::http::StatusCode::INTERNAL_SERVER_ERROR,
            format!("the stored document does not read back ({e}): ask your node's operator"),
        )
    })?;
    let d = checked.document.clone();
    let lines = d
        .roles
        .iter()
        .map(|r| {
            let days: u64 = r.skills.iter().map(|s| u64::from(s.days)).sum();
            Line {
                name: r.name.clone(),
                skills: r
                    .skills
                    .iter()
                    .map(|s| format!("{}: {} days", s.skill, s.days))
                    .collect::<Vec<_>>()
                    .join("\n"),
                days,
                rate: r.rate,
                cost: days * u64::from(r.rate),
            }
        })
        .collect();
    let mut signers: Vec<Signer> = checked
        .roles
        .iter()
        .map(|(coop, name, signed)| Signer {
            name: name.clone(),
            fingerprint: words::grouped_hex(&coop.to_string()),
            role: true,
            signed: *signed,
        })
        .collect();
    signers.extend(checked.strangers.iter().map(|coop| Signer {
        name: coop.short(),
        fingerprint: words::grouped_hex(&coop.to_string()),
        role: false,
        signed: false,
    }));
    render(&SummaryPage {
        frame: Frame::new(&state, &viewer, "bids").await,
        bid_id,
        hash: words::grouped_hex(&hex::encode(d.hash())),
        complete: checked.complete(),
        d,
        lines,
        signers,
    })
}

/// `GET /bids/{bid_id}/agreement.json`: the signed document, to keep or
/// send (`coopnet bid verify FILE` checks it).
pub async fn agreement_json(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Response, PageError> {
    let export = agreement(&state, &bid_id).await?;
    let name = format!("attachment; filename=\"bid-{bid_id}.json\"");
    Ok(([(header::CONTENT_DISPOSITION, name)], Json(export)).into_response())
}

/// The bid's roles now, one row per co-op and skill.
fn roles(view: &BidView) -> Csv {
    let currency = &view.bid.currency;
    let mut csv = Csv::new(&[
        "Co-op",
        "Co-op key",
        "Skill",
        "Person-days",
        &format!("Day rate ({currency})"),
        &format!("Cost ({currency})"),
    ]);
    for role in &view.bid.plan.roles {
        for s in &role.skills {
            csv.row([
                view.name(&role.coop),
                role.coop.to_string(),
                s.skill.clone(),
                s.days.to_string(),
                role.rate.to_string(),
                (u64::from(s.days) * u64::from(role.rate)).to_string(),
            ]);
        }
    }
    csv
}

/// `GET /bids/{bid_id}/roles.csv`.
pub async fn roles_csv(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Response, PageError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    Ok(roles(&view).download(&format!("bid-{bid_id}-roles.csv")))
}

/// The bid's roles as CSV: co-op, its key, skill, person-days, day rate
/// and cost, one row per co-op and skill (formula-like cells neutralised).
#[utoipa::path(get, path = "/api/v1/bids/{bid_id}/roles.csv", tag = "bids",
    params(("bid_id" = String, Path, description = "The bid's id")),
    responses((status = 200, content_type = "text/csv", body = String, description = "The roles"),
        (status = 404, body = crate::error::ErrorBody, description = "No such bid")))]
pub async fn api_roles_csv(
    State(state): State<AppState>,
    Path(bid_id): Path<String>,
) -> Result<Response, ApiError> {
    let view = ops::bid(state.backend.as_ref(), &bid_id).await?;
    Ok(roles(&view).download(&format!("bid-{bid_id}-roles.csv")))
}

impl SummaryPage {
    fn money(&self, amount: impl words::Whole) -> String {
        words::money(amount, &self.d.currency)
    }

    fn deadline(&self) -> String {
        self.d
            .deadline
            .map_or_else(|| "none given".to_owned(), |d| show::deadline(&d))
    }
}
