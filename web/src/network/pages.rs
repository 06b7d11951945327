//! The network pages: `/network` (every member: health, skills supply
//! against demand, capacity per week, the bid pipeline; coordinators also
//! the event log) and `/network/coordinate` (coordinators: admit by join
//! code, revoke with a reason, who tried to join). Forms work without
//! JavaScript.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use coopnet_protocol::{PublicKey, Timestamp};
use serde::Deserialize;

use super::{Coordination, EventView, HealthView, PipelineView, SupplyView, WeekView, chart};
use crate::error::{Failure, PageError, render};
use crate::pages::form::Fields;
use crate::pages::{Frame, show};
use crate::{AppState, Viewer};

/// Events the pages show.
pub const EVENTS_SHOWN: usize = 50;

/// The network pages' routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/network", get(dashboard))
        .route("/network/coordinate", get(coordinate))
        .route("/network/admit", post(admit))
        .route("/network/revoke", post(revoke))
}

/// The capacity chart's filters.
#[derive(Debug, Default, Deserialize)]
pub struct CapacityQuery {
    #[serde(default)]
    skill: String,
    #[serde(default)]
    region: String,
}

impl CapacityQuery {
    /// The filters, `None` when empty.
    pub fn read(&self) -> (Option<String>, Option<String>) {
        let some = |s: &str| Some(s.trim().to_owned()).filter(|s| !s.is_empty());
        (some(&self.skill), some(&self.region))
    }
}

#[derive(Template)]
#[template(path = "network/dashboard.html")]
struct DashboardPage {
    frame: Frame,
    health: HealthView,
    supply: Vec<SupplyView>,
    weeks: Vec<WeekView>,
    chart: String,
    regions: Vec<String>,
    skill: String,
    region: String,
    pipeline: PipelineView,
    coordinator: bool,
    events: Vec<EventView>,
}

/// A Unix-ms instant as people read it.
pub fn when(ms: &u64) -> String {
    show::time(&Timestamp(*ms))
}

/// A count with thousands separated.
pub fn count(n: &u64) -> String {
    show::grouped(*n)
}

/// Person-days, whole.
pub fn days(d: &f64) -> String {
    show::grouped(d.round() as u64)
}

impl DashboardPage {
    fn total_weeks(&self) -> String {
        days(&self.weeks.iter().map(|w| w.days).sum())
    }

    fn win_rate(&self) -> String {
        self.pipeline.win_rate.map_or_else(
            || "no bid decided yet".to_owned(),
            |r| format!("{:.0} %", r * 100.0),
        )
    }
}

/// `GET /network`.
pub async fn dashboard(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<CapacityQuery>,
) -> Result<Html<String>, PageError> {
    let desk = state.backend.network();
    let (skill, region) = query.read();
    let weeks = desk.capacity(skill, region).await?;
    let coordinator = viewer.is_coordinator();
    let events = match coordinator {
        true => desk.events(EVENTS_SHOWN).await?,
        false => Vec::new(),
    };
    render(&DashboardPage {
        frame: Frame::new(&state, &viewer, "network").await,
        health: desk.health().await?,
        supply: desk.supply().await?,
        chart: chart::capacity_svg(&weeks),
        weeks,
        regions: desk.regions().await?,
        skill: query.skill.trim().to_owned(),
        region: query.region.trim().to_owned(),
        pipeline: desk.pipeline().await?,
        coordinator,
        events,
    })
}

#[derive(Template)]
#[template(path = "network/coordinate.html")]
struct CoordinatePage {
    frame: Frame,
    c: Coordination,
    health: HealthView,
    events: Vec<EventView>,
    error: Option<String>,
    join_code: String,
}

fn refused() -> Failure {
    Failure::new(
        StatusCode::FORBIDDEN,
        "only coordinators admit and revoke members: ask your node's admin for the \
         coordinator role (coopnet user add --coordinator)",
    )
}

#[derive(Debug, Default, Deserialize)]
pub struct DoneQuery {
    #[serde(default)]
    done: String,
}

async fn coordinate_page(state: &AppState, viewer: &Viewer) -> Result<CoordinatePage, PageError> {
    let desk = state.backend.network();
    Ok(CoordinatePage {
        frame: Frame::new(state, viewer, "network").await,
        c: desk.coordination().await?,
        health: desk.health().await?,
        events: desk.events(EVENTS_SHOWN).await?,
        error: None,
        join_code: String::new(),
    })
}

/// `GET /network/coordinate`.
pub async fn coordinate(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<DoneQuery>,
) -> Result<Html<String>, PageError> {
    if !viewer.is_coordinator() {
        return Err(refused().into());
    }
    let mut page = coordinate_page(&state, &viewer).await?;
    page.frame.notice = match query.done.as_str() {
        "admitted" => {
            Some("Admitted: its records reach every member as the roster spreads.".into())
        }
        "revoked" => Some("Revoked: members stop taking its records.".into()),
        _ => None,
    };
    render(&page)
}

/// `POST /network/admit`: a co-op from its join code.
pub async fn admit(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    if !viewer.is_coordinator() {
        return Err(refused().into());
    }
    let code = fields.get("join_code");
    let as_coordinator = fields.get("as_coordinator") == "on";
    match state
        .backend
        .network()
        .admit(code.trim().to_owned(), as_coordinator)
        .await
    {
        Ok(_) => Ok(Redirect::to("/network/coordinate?done=admitted").into_response()),
        Err(e) => {
            let failure = Failure::from(e);
            let mut page = coordinate_page(&state, &viewer).await?;
            page.error = Some(failure.message);
            page.join_code = code;
            Ok((failure.status, render(&page)?).into_response())
        }
    }
}

/// `POST /network/revoke`: a member, with a reason.
pub async fn revoke(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    if !viewer.is_coordinator() {
        return Err(refused().into());
    }
    let coop: PublicKey = fields
        .get("coop")
        .parse()
        .map_err(|_| Failure::bad_request("the form lost the co-op's key; reload the page"))?;
    let reason = fields.get("reason");
    match state
        .backend
        .network()
        .revoke(coop, reason.trim().to_owned())
        .await
    {
        Ok(()) => Ok(Redirect::to("/network/coordinate?done=revoked").into_response()),
        Err(e) => {
            let failure = Failure::from(e);
            let mut page = coordinate_page(&state, &viewer).await?;
            page.error = Some(failure.message);
            Ok((failure.status, render(&page)?).into_response())
        }
    }
}
