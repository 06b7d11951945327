//! *Our co-op*: edit the profile, skills and capacity windows, and see
//! exactly what is published, its version and how many peers have it.
//! A refused form comes back with what was typed and the error beside it.

use askama::Template;
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use coopnet_protocol::kinds::{
    CapacityFields, CapacityWindow, ProfileFields, RateBand, SkillEntry, SkillLevel, SkillsFields,
    WorkMode,
};
use coopnet_protocol::{Body, Kind};
use serde::Deserialize;

use super::form::{Fields, list, number, optional};
use super::labels::{Form, said};
use super::{Frame, short};
use crate::error::{Failure, PageError, render};
use crate::ops::{self, Own};
use crate::{AppState, Viewer};

/// Blank rows offered under the existing ones ("Add another" adds more).
const BLANK_SKILL_ROWS: usize = 1;
const BLANK_WINDOW_ROWS: usize = 1;

/// What is published of one record, for the page.
#[derive(Debug, Clone, Default)]
struct Status {
    published: bool,
    withdrawn: bool,
    /// When this version was published, as people read a time.
    published_at: String,
    id: String,
    holders: u32,
}

impl Status {
    fn of(own: &Own) -> Status {
        match &own.record {
            None => Status::default(),
            Some(r) => Status {
                published: true,
                withdrawn: r.body.is_none(),
                published_at: super::show::time(&r.issued_at),
                id: short(&r.id.to_string()),
                holders: own.holders,
            },
        }
    }
}

#[derive(Debug, Clone, Default)]
struct ProfileForm {
    name: String,
    summary: String,
    description: String,
    website: String,
    region: String,
    country: String,
    legal_form: String,
    member_count: String,
    contact_email: String,
    languages: String,
    tags: String,
}

#[derive(Debug, Clone, Default)]
struct SkillRow {
    name: String,
    level: String,
    headcount: String,
}

#[derive(Debug, Clone, Default)]
struct WindowRow {
    from: String,
    to: String,
    days: String,
    rate_min: String,
    rate_max: String,
    currency: String,
    mode: String,
    skills: String,
}

#[derive(Template)]
#[template(path = "own.html")]
struct OwnPage {
    frame: Frame,
    key: String,
    profile: ProfileForm,
    profile_status: Status,
    profile_error: Option<String>,
    skills: Vec<SkillRow>,
    skills_status: Status,
    skills_error: Option<String>,
    windows: Vec<WindowRow>,
    capacity_status: Status,
    capacity_error: Option<String>,
}

fn profile_form(p: &ProfileFields) -> ProfileForm {
    ProfileForm {
        name: p.name.clone(),
        summary: p.summary.clone(),
        description: p.description.clone(),
        website: p.website.clone().unwrap_or_default(),
        region: p.region.clone(),
        country: p.country.clone(),
        legal_form: p.legal_form.clone(),
        member_count: p.member_count.to_string(),
        contact_email: p.contact_email.clone(),
        languages: p.languages.join(", "),
        tags: p.tags.join(", "),
    }
}

fn level_name(level: SkillLevel) -> &'static str {
    match level {
        SkillLevel::Working => "working",
        SkillLevel::Proficient => "proficient",
        SkillLevel::Expert => "expert",
    }
}

fn mode_name(mode: WorkMode) -> &'static str {
    match mode {
        WorkMode::Remote => "remote",
        WorkMode::OnSite => "on-site",
        WorkMode::Hybrid => "hybrid",
    }
}

fn skill_rows(s: &SkillsFields) -> Vec<SkillRow> {
    s.entries
        .iter()
        .map(|e| SkillRow {
            name: e.name.clone(),
            level: level_name(e.level).to_owned(),
            headcount: e.headcount.to_string(),
        })
        .collect()
}

fn window_rows(c: &CapacityFields) -> Vec<WindowRow> {
    c.windows
        .iter()
        .map(|w| WindowRow {
            from: w.from.to_string(),
            to: w.to.to_string(),
            days: w.person_days.to_string(),
            rate_min: w.rate.min.to_string(),
            rate_max: w.rate.max.to_string(),
            currency: w.rate.currency.clone(),
            mode: mode_name(w.mode).to_owned(),
            skills: w.skills.join(", "),
        })
        .collect()
}

/// Loads the page as published, then lets `edit` replace what a refused
/// form said.
async fn page(
    state: &AppState,
    viewer: &Viewer,
    edit: impl FnOnce(&mut OwnPage),
) -> Result<OwnPage, PageError> {
    let backend = state.backend.as_ref();
    let (profile, skills, capacity) = (
        ops::own(backend, Kind::Profile).await?,
        ops::own(backend, Kind::Skills).await?,
        ops::own(backend, Kind::Capacity).await?,
    );
    let body = |own: &Own| own.record.as_ref().and_then(|r| r.body.clone());
    let mut page = OwnPage {
        frame: Frame::new(state, viewer, "own").await,
        key: backend.own_key().to_string(),
        profile: match body(&profile) {
            Some(Body::Profile(p)) => profile_form(&p),
            _ => ProfileForm::default(),
        },
        profile_status: Status::of(&profile),
        profile_error: None,
        skills: match body(&skills) {
            Some(Body::Skills(s)) => skill_rows(&s),
            _ => Vec::new(),
        },
        skills_status: Status::of(&skills),
        skills_error: None,
        windows: match body(&capacity) {
            Some(Body::Capacity(c)) => window_rows(&c),
            _ => Vec::new(),
        },
        capacity_status: Status::of(&capacity),
        capacity_error: None,
    };
    edit(&mut page);
    pad(&mut page.skills, BLANK_SKILL_ROWS, |r| r.name.is_empty());
    pad(&mut page.windows, BLANK_WINDOW_ROWS, |r| {
        r.from.is_empty() && r.to.is_empty()
    });
    Ok(page)
}

/// Offers `blank` empty rows under the last one, unless it is empty
/// already (a form shown again keeps the rows the member saw).
fn pad<T: Default>(rows: &mut Vec<T>, blank: usize, empty: impl Fn(&T) -> bool) {
    if rows.last().is_none_or(|row| !empty(row)) {
        rows.extend(std::iter::repeat_with(T::default).take(blank));
    }
}

/// *Our co-op*'s routes.
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/our-coop", get(show))
        .route("/our-coop/profile", post(save_profile))
        .route("/our-coop/skills", post(save_skills))
        .route("/our-coop/capacity", post(save_capacity))
}

/// `?saved=` after a successful save.
#[derive(Debug, Deserialize)]
pub struct Saved {
    #[serde(default)]
    saved: String,
}

/// `GET /our-coop`.
pub async fn show(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(saved): Query<Saved>,
) -> Result<Response, PageError> {
    let mut page = page(&state, &viewer, |_| {}).await?;
    page.frame.notice = match saved.saved.as_str() {
        "profile" => Some("Profile published: it reaches every member in seconds.".to_owned()),
        "skills" => Some("Skills published: they reach every member in seconds.".to_owned()),
        "capacity" => Some("Capacity published: it reaches every member in seconds.".to_owned()),
        _ => None,
    };
    Ok(render(&page)?.into_response())
}

fn refused(page: OwnPage) -> Result<Response, PageError> {
    Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
}

fn read_profile(form: &ProfileForm) -> Result<ProfileFields, Failure> {
    Ok(ProfileFields {
        name: form.name.clone(),
        summary: form.summary.clone(),
        description: form.description.clone(),
        website: optional(&form.website),
        region: form.region.clone(),
        country: form.country.clone(),
        coordinates: None,
        legal_form: form.legal_form.clone(),
        member_count: number(&form.member_count, "member_count")?,
        contact_email: form.contact_email.clone(),
        languages: list(&form.languages),
        tags: list(&form.tags),
    })
}

/// `POST /our-coop/profile`.
pub async fn save_profile(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    let form = ProfileForm {
        name: fields.get("name"),
        summary: fields.get("summary"),
        description: fields.get("description"),
        website: fields.get("website"),
        region: fields.get("region"),
        country: fields.get("country"),
        legal_form: fields.get("legal_form"),
        member_count: fields.get("member_count"),
        contact_email: fields.get("contact_email"),
        languages: fields.get("languages"),
        tags: fields.get("tags"),
    };
    let mut profile = match read_profile(&form) {
        Ok(profile) => profile,
        Err(failure) => return refused_profile(&state, &viewer, form, failure).await,
    };
    // Coordinates are not edited here; keep what was published.
    if let Some(Body::Profile(current)) = ops::own(state.backend.as_ref(), Kind::Profile)
        .await?
        .record
        .and_then(|r| r.body)
    {
        profile.coordinates = current.coordinates;
    }
    match ops::save_profile(state.backend.as_ref(), profile).await {
        Ok(_) => Ok(Redirect::to("/our-coop?saved=profile").into_response()),
        Err(failure) => refused_profile(&state, &viewer, form, failure).await,
    }
}

async fn refused_profile(
    state: &AppState,
    viewer: &Viewer,
    form: ProfileForm,
    failure: Failure,
) -> Result<Response, PageError> {
    refused(
        page(state, viewer, |p| {
            p.profile = form;
            p.profile_error = Some(said(Form::Profile, &failure, &[]));
        })
        .await?,
    )
}

/// The filled rows as skills, and the page's number (from 1) of each
/// entry's row, for errors.
fn read_skills(rows: &[SkillRow]) -> (Result<SkillsFields, Failure>, Vec<usize>) {
    let filled: Vec<(usize, &SkillRow)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !r.name.is_empty())
        .map(|(i, r)| (i + 1, r))
        .collect();
    let numbers = filled.iter().map(|(n, _)| *n).collect();
    let entries = filled
        .iter()
        .enumerate()
        .map(|(i, (_, row))| skill_entry(i, row))
        .collect::<Result<Vec<_>, _>>();
    (entries.map(|entries| SkillsFields { entries }), numbers)
}

fn skill_entry(i: usize, row: &SkillRow) -> Result<SkillEntry, Failure> {
    let level = match row.level.as_str() {
        "working" => SkillLevel::Working,
        "" | "proficient" => SkillLevel::Proficient,
        "expert" => SkillLevel::Expert,
        _ => {
            return Err(Failure::invalid(
                format!("entries[{i}].level"),
                "must be working, proficient or expert",
            ));
        }
    };
    let headcount = if row.headcount.is_empty() {
        "1"
    } else {
        &row.headcount
    };
    Ok(SkillEntry {
        name: row.name.clone(),
        concept: None,
        level,
        headcount: number(headcount, &format!("entries[{i}].headcount"))?,
    })
}

/// `POST /our-coop/skills`: rows with an empty name are dropped; the
/// "Add another skill" button shows the form again with one more row.
pub async fn save_skills(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    let rows: Vec<SkillRow> = (0..fields.all("name").len())
        .map(|i| SkillRow {
            name: fields.nth("name", i),
            level: fields.nth("level", i),
            headcount: fields.nth("headcount", i),
        })
        .collect();
    if adds_row(&fields) {
        let more = page(&state, &viewer, |p| {
            p.skills = rows;
            p.skills.push(SkillRow::default());
        });
        return Ok(render(&more.await?)?.into_response());
    }
    let (read, numbers) = read_skills(&rows);
    let result = match read {
        Ok(skills) => ops::save_skills(state.backend.as_ref(), skills).await,
        Err(failure) => Err(failure),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/our-coop?saved=skills").into_response()),
        Err(failure) => refused(
            page(&state, &viewer, |p| {
                p.skills = rows;
                p.skills_error = Some(said(Form::Skills, &failure, &numbers));
            })
            .await?,
        ),
    }
}

/// Whether the form was sent by its "Add another" button.
fn adds_row(fields: &Fields) -> bool {
    fields.get("add") == "row"
}

/// The filled rows (those with a date) as windows, and the page's number
/// (from 1) of each window's row, for errors.
fn read_windows(rows: &[WindowRow]) -> (Result<CapacityFields, Failure>, Vec<usize>) {
    let filled: Vec<(usize, &WindowRow)> = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| !(r.from.is_empty() && r.to.is_empty()))
        .map(|(i, r)| (i + 1, r))
        .collect();
    let numbers = filled.iter().map(|(n, _)| *n).collect();
    let windows = filled
        .iter()
        .enumerate()
        .map(|(i, (_, row))| window(i, row))
        .collect::<Result<Vec<_>, _>>();
    (windows.map(|windows| CapacityFields { windows }), numbers)
}

fn window(i: usize, row: &WindowRow) -> Result<CapacityWindow, Failure> {
    let field = |name: &str| format!("windows[{i}].{name}");
    let day = |text: &str, name: &str| {
        text.parse()
            .map_err(|_| Failure::invalid(field(name), "must be a date, YYYY-MM-DD"))
    };
    let mode = match row.mode.as_str() {
        "" | "hybrid" => WorkMode::Hybrid,
        "remote" => WorkMode::Remote,
        "on-site" => WorkMode::OnSite,
        _ => {
            return Err(Failure::invalid(
                field("mode"),
                "must be hybrid, remote or on-site",
            ));
        }
    };
    Ok(CapacityWindow {
        from: day(&row.from, "from")?,
        to: day(&row.to, "to")?,
        person_days: number(&row.days, &field("person_days"))?,
        rate: RateBand {
            min: number(&row.rate_min, &field("rate.min"))?,
            max: number(&row.rate_max, &field("rate.max"))?,
            currency: row.currency.to_uppercase(),
        },
        mode,
        skills: list(&row.skills),
    })
}

/// `POST /our-coop/capacity`: rows without dates are dropped; the "Add
/// another window" button shows the form again with one more row.
pub async fn save_capacity(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    let rows: Vec<WindowRow> = (0..fields.all("from").len())
        .map(|i| WindowRow {
            from: fields.nth("from", i),
            to: fields.nth("to", i),
            days: fields.nth("days", i),
            rate_min: fields.nth("rate_min", i),
            rate_max: fields.nth("rate_max", i),
            currency: fields.nth("currency", i),
            mode: fields.nth("mode", i),
            skills: fields.nth("skills", i),
        })
        .collect();
    if adds_row(&fields) {
        let more = page(&state, &viewer, |p| {
            p.windows = rows;
            p.windows.push(WindowRow::default());
        });
        return Ok(render(&more.await?)?.into_response());
    }
    let (read, numbers) = read_windows(&rows);
    let result = match read {
        Ok(capacity) => ops::save_capacity(state.backend.as_ref(), capacity).await,
        Err(failure) => Err(failure),
    };
    match result {
        Ok(_) => Ok(Redirect::to("/our-coop?saved=capacity").into_response()),
        Err(failure) => refused(
            page(&state, &viewer, |p| {
                p.windows = rows;
                p.capacity_error = Some(said(Form::Capacity, &failure, &numbers));
            })
            .await?,
        ),
    }
}
