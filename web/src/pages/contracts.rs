//! *Contracts*: list and filter, add one, import OCDS files, and a
//! contract's page with the co-ops that could cover it.

use askama::Template;
use axum::Router;
use axum::extract::{DefaultBodyLimit, Multipart, Path, Query, RawQuery, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Redirect, Response};
use axum::routing::{get, post};
use coopnet_protocol::kinds::{ContractFields, ContractStatus, ContractValue, Period};
use serde::Deserialize;

use super::form::{Fields, hundredths, list as split_list, optional};
use super::labels::{Form, said};
use super::{Frame, show};
use crate::auth::{CSRF_FIELD, check_upload};
use crate::backend::{CoopHit, ImportAction, ImportReport};
use crate::csv::Csv;
use crate::error::{Failure, PageError, render};
use crate::ops::{self, ContractFilter, ContractItem};
use crate::paging::{Pager, Paging};
use crate::{AppState, Viewer};

/// The list's filters, as typed.
#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    q: String,
    #[serde(default)]
    skill: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    mine: Option<String>,
    #[serde(default)]
    sort: String,
    #[serde(default)]
    offset: String,
    #[serde(default)]
    limit: String,
}

impl ListQuery {
    fn filter(&self) -> ContractFilter {
        ContractFilter {
            text: self.q.clone(),
            skill: self.skill.clone(),
            status: self.status.clone(),
            mine: self.mine.is_some(),
            sort: self.sort.clone(),
        }
    }

    /// The filters as a query string, without the page (for the CSV).
    fn csv_query(&self) -> String {
        let mut query = form_urlencoded::Serializer::new(String::new());
        let mine = if self.mine.is_some() { "1" } else { "" };
        let pairs = [
            ("q", self.q.as_str()),
            ("skill", &self.skill),
            ("status", &self.status),
            ("mine", mine),
            ("sort", &self.sort),
        ];
        for (key, value) in pairs.iter().filter(|(_, v)| !v.is_empty()) {
            query.append_pair(key, value);
        }
        query.finish()
    }
}

#[derive(Debug, Default)]
struct NewForm {
    key: String,
    title: String,
    buyer: String,
    description: String,
    skills: String,
    value: String,
    min: String,
    currency: String,
    deadline: String,
    start: String,
    end: String,
    location: String,
    source_url: String,
}

/// The contract pages' routes (an upload may be up to 16 MiB).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list).post(add))
        .route("/contracts.csv", get(csv))
        .route(
            "/contracts/import",
            post(import).layer(DefaultBodyLimit::max(crate::MAX_UPLOAD)),
        )
        .route("/contracts/{id}", get(one))
}

#[derive(Template)]
#[template(path = "contracts.html")]
struct ContractsPage {
    frame: Frame,
    query: ListQuery,
    contracts: Vec<ContractItem>,
    pager: Pager,
    error: Option<String>,
    new: NewForm,
    new_error: Option<String>,
}

/// Contracts a page shows at once, unless `limit` says.
const PAGE: usize = 25;

async fn list_page(
    state: &AppState,
    viewer: &Viewer,
    query: ListQuery,
    raw: &str,
) -> Result<ContractsPage, PageError> {
    let found = match Paging::read(&query.offset, &query.limit, PAGE) {
        Ok(paging) => ops::contracts(state.backend.as_ref(), &query.filter())
            .await
            .map(|found| (paging, found)),
        Err(failure) => Err(failure),
    };
    let (contracts, pager, error) = match found {
        Ok((paging, found)) => {
            let (page, total) = paging.slice(found);
            let pager = Pager::new("/contracts", raw, paging, page.len(), total);
            (page, pager, None)
        }
        Err(failure) => (Vec::new(), Pager::default(), Some(failure.message)),
    };
    Ok(ContractsPage {
        frame: Frame::new(state, viewer, "contracts").await,
        query,
        contracts,
        pager,
        error,
        new: NewForm {
            currency: "GBP".to_owned(),
            ..NewForm::default()
        },
        new_error: None,
    })
}

/// `GET /contracts`.
pub async fn list(
    State(state): State<AppState>,
    viewer: Viewer,
    Query(query): Query<ListQuery>,
    RawQuery(raw): RawQuery,
) -> Result<Html<String>, PageError> {
    render(&list_page(&state, &viewer, query, &raw.unwrap_or_default()).await?)
}

/// `GET /contracts.csv`: every contract the same filters find.
pub async fn csv(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Response, PageError> {
    let found = ops::contracts(state.backend.as_ref(), &query.filter()).await?;
    let mut csv = Csv::new(&[
        "title",
        "buyer",
        "status",
        "deadline",
        "value",
        "minimum",
        "currency",
        "starts",
        "ends",
        "location",
        "skills",
        "source",
        "ocid",
        "posted by",
        "id",
    ]);
    for c in found {
        let f = &c.fields;
        let instant = |t: &coopnet_protocol::Timestamp| show::time(t);
        csv.row([
            f.title.clone(),
            f.buyer.clone(),
            c.status().to_owned(),
            f.deadline.as_ref().map(instant).unwrap_or_default(),
            decimal(f.value.as_ref().and_then(|v| v.amount)),
            decimal(f.value.as_ref().and_then(|v| v.min)),
            f.value
                .as_ref()
                .map(|v| v.currency.clone())
                .unwrap_or_default(),
            f.period
                .as_ref()
                .map(|p| p.start.to_string())
                .unwrap_or_default(),
            f.period
                .as_ref()
                .map(|p| p.end.to_string())
                .unwrap_or_default(),
            f.location.clone(),
            f.required_skills.join("; "),
            f.source_url.clone().unwrap_or_default(),
            f.ocid.clone().unwrap_or_default(),
            c.author.to_string(),
            c.id.clone(),
        ]);
    }
    Ok(csv.download("contracts.csv"))
}

/// Hundredths as a plain decimal for spreadsheets (`51365.26`).
fn decimal(hundredths: Option<u64>) -> String {
    hundredths.map_or_else(String::new, |h| format!("{}.{:02}", h / 100, h % 100))
}

fn read_new(form: &NewForm) -> Result<ContractFields, Failure> {
    let day = |text: &str, field: &str| {
        text.parse()
            .map_err(|_| Failure::invalid(field, "must be a date, YYYY-MM-DD"))
    };
    let period = match (form.start.as_str(), form.end.as_str()) {
        ("", "") => None,
        (start, end) => Some(Period {
            start: day(start, "period.start")?,
            end: day(end, "period.end")?,
        }),
    };
    let deadline = match form.deadline.as_str() {
        "" => None,
        text => {
            let day: coopnet_protocol::Day = day(text, "deadline")?;
            let ms = u64::try_from(day.days()).unwrap_or(0) * 86_400_000;
            // The end of that day, UTC.
            Some(coopnet_protocol::Timestamp(ms + 86_400_000 - 1))
        }
    };
    let amount = optional(&form.value)
        .map(|text| hundredths(&text, "value.amount"))
        .transpose()?;
    let min = optional(&form.min)
        .map(|text| hundredths(&text, "value.min"))
        .transpose()?;
    let value = (amount.is_some() || min.is_some()).then(|| ContractValue {
        amount,
        min,
        currency: form.currency.trim().to_uppercase(),
    });
    Ok(ContractFields {
        title: form.title.clone(),
        buyer: form.buyer.clone(),
        description: form.description.clone(),
        required_skills: split_list(&form.skills),
        value,
        deadline,
        period,
        location: form.location.clone(),
        source_url: optional(&form.source_url),
        ocid: None,
        status: ContractStatus::Open,
    })
}

/// `POST /contracts`: publishes a contract of ours.
pub async fn add(
    State(state): State<AppState>,
    viewer: Viewer,
    fields: Fields,
) -> Result<Response, PageError> {
    let form = NewForm {
        key: fields.get("key"),
        title: fields.get("title"),
        buyer: fields.get("buyer"),
        description: fields.get("description"),
        skills: fields.get("skills"),
        value: fields.get("value"),
        min: fields.get("min"),
        currency: fields.get("currency"),
        deadline: fields.get("deadline"),
        start: fields.get("start"),
        end: fields.get("end"),
        location: fields.get("location"),
        source_url: fields.get("source_url"),
    };
    let result = match read_new(&form) {
        Ok(contract) => {
            ops::add_contract(state.backend.as_ref(), optional(&form.key), contract).await
        }
        Err(failure) => Err(failure),
    };
    match result {
        Ok((id, _)) => {
            let id: String = form_urlencoded::byte_serialize(id.as_bytes()).collect();
            Ok(Redirect::to(&format!("/contracts/{id}")).into_response())
        }
        Err(failure) => {
            let mut page = list_page(&state, &viewer, ListQuery::default(), "").await?;
            page.new = form;
            page.new_error = Some(said(Form::Contract, &failure, &[]));
            Ok((StatusCode::UNPROCESSABLE_ENTITY, render(&page)?).into_response())
        }
    }
}

#[derive(Template)]
#[template(path = "contract.html")]
struct ContractPage {
    /// The name of the co-op that posted it, if it has a profile.
    author_name: Option<String>,
    frame: Frame,
    contract: ContractItem,
    ours: bool,
    matches: Vec<(CoopHit, String)>,
}

/// `GET /contracts/{id}`.
pub async fn one(
    State(state): State<AppState>,
    viewer: Viewer,
    Path(id): Path<String>,
) -> Result<Html<String>, PageError> {
    let (contract, matches) = ops::contract(state.backend.as_ref(), &id).await?;
    let window = contract.fields.period.is_some();
    let author_name = ops::coop_name(state.backend.as_ref(), contract.author).await;
    render(&ContractPage {
        author_name,
        frame: Frame::new(&state, &viewer, "contracts").await,
        ours: contract.author == state.backend.own_key(),
        contract,
        matches: matches
            .into_iter()
            .map(|h| {
                let why = ops::why(&h, window);
                (h, why)
            })
            .collect(),
    })
}

#[derive(Template)]
#[template(path = "import.html")]
struct ImportPage {
    frame: Frame,
    report: ImportReport,
    imported: usize,
    updated: usize,
    unchanged: usize,
    skipped: usize,
    open: usize,
    closed: usize,
    awarded: usize,
}

/// `POST /contracts/import` (multipart: the CSRF token `_csrf` first,
/// then the field `file`).
pub async fn import(
    State(state): State<AppState>,
    viewer: Viewer,
    mut multipart: Multipart,
) -> Result<Response, PageError> {
    let unreadable = |e: axum::extract::multipart::MultipartError| {
        if e.status() == StatusCode::PAYLOAD_TOO_LARGE {
            crate::security::too_large(crate::MAX_UPLOAD)
        } else {
            Failure::bad_request(format!("the upload could not be read: {e}"))
        }
    };
    let mut file = None;
    let mut first = true;
    while let Some(field) = multipart.next_field().await.map_err(unreadable)? {
        if std::mem::take(&mut first) {
            // Nothing is read past the first field unless it is the token.
            if field.name() == Some(CSRF_FIELD) {
                let token = field.text().await.map_err(unreadable)?;
                check_upload(&viewer, Some(&token))?;
                continue;
            }
            check_upload(&viewer, None)?;
        }
        if field.name() == Some("file") {
            file = Some(field.bytes().await.map_err(unreadable)?);
        }
    }
    if first {
        check_upload(&viewer, None)?;
    }
    let file = file
        .filter(|f| !f.is_empty())
        .ok_or_else(|| Failure::invalid("file", "choose an OCDS JSON file to import"))?;
    let report = state.backend.import_ocds(file.to_vec()).await?;
    let page = ImportPage {
        frame: Frame::new(&state, &viewer, "contracts").await,
        imported: report.count(&ImportAction::Imported),
        updated: report.count(&ImportAction::Updated),
        unchanged: report.count(&ImportAction::Unchanged),
        skipped: report.count(&ImportAction::Skipped),
        open: report.with_status(ContractStatus::Open),
        closed: report.with_status(ContractStatus::Closed),
        awarded: report.with_status(ContractStatus::Awarded),
        report,
    };
    Ok(render(&page)?.into_response())
}
