//! Contracts: list, add, one with its matches, OCDS import.

use axum::body::Bytes;
use axum::extract::DefaultBodyLimit;
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;

use super::types::{
    ContractAdded, ContractJson, ContractList, ContractPage, CoopResult, NewContract, OcdsFile,
};
use coopnet_protocol::kinds::ContractFields;

use crate::AppState;
use crate::backend::ImportReport;
use crate::error::{ApiError, ErrorBody, Failure};
use crate::ops::{self, ContractFilter};
use crate::paging::Paging;

/// The contract routes (an import may be up to 16 MiB).
pub fn router() -> Router<AppState> {
    Router::new()
        .route("/contracts", get(list).post(add))
        .route(
            "/contracts/import",
            post(import).layer(DefaultBodyLimit::max(crate::MAX_UPLOAD)),
        )
        .route("/contracts/{contract_id}", get(one))
}

/// Filters of the contract list.
#[derive(Debug, Default, Deserialize, utoipa::IntoParams)]
#[into_params(parameter_in = Query)]
pub struct ListQuery {
    /// Free text.
    #[serde(default)]
    q: String,
    /// A required skill.
    #[serde(default)]
    skill: String,
    /// `open` (default), `closed`, `awarded` or `all`.
    #[serde(default)]
    status: String,
    /// Only our own: `true` or `false` (default).
    #[serde(default)]
    #[param(value_type = Option<bool>)]
    mine: String,
    /// `deadline` (default: soonest first), `newest` or `value`.
    #[serde(default)]
    sort: String,
    /// At most this many (1-200, default 50).
    #[serde(default)]
    #[param(value_type = Option<u32>)]
    limit: String,
    /// Skip this many (default 0).
    #[serde(default)]
    #[param(value_type = Option<u32>)]
    offset: String,
}

/// Contracts: those with the soonest deadline first, then those without
/// one, newest first; a page at a time.
#[utoipa::path(get, path = "/api/v1/contracts", tag = "contracts", params(ListQuery),
    responses((status = 200, body = ContractList, description = "A page of contracts"), (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn list(
    State(state): State<AppState>,
    Query(query): Query<ListQuery>,
) -> Result<Json<ContractList>, ApiError> {
    let paging = Paging::read(&query.offset, &query.limit, 50)?;
    let mine = match query.mine.as_str() {
        "" | "false" => false,
        "true" => true,
        _ => return Err(Failure::invalid("mine", "must be true or false").into()),
    };
    let filter = ContractFilter {
        text: query.q,
        skill: query.skill,
        status: query.status,
        mine,
        sort: query.sort,
    };
    let found = ops::contracts(state.backend.as_ref(), &filter).await?;
    let (page, total) = paging.slice(found);
    Ok(Json(ContractList {
        contracts: page.into_iter().map(ContractJson::from).collect(),
        total,
        offset: paging.offset,
        limit: paging.limit,
    }))
}

/// Publishes a contract of our co-op.
#[utoipa::path(post, path = "/api/v1/contracts", tag = "contracts", request_body = NewContract,
    responses((status = 201, body = ContractAdded, description = "Created"), (status = 422, body = ErrorBody, description = "A value breaks its field's rule (the field is named)")))]
pub async fn add(
    State(state): State<AppState>,
    Json(new): Json<NewContract>,
) -> Result<(StatusCode, Json<ContractAdded>), ApiError> {
    let fields = ContractFields::try_from(new.body)?;
    let (id, published) = ops::add_contract(state.backend.as_ref(), new.key, fields).await?;
    let added = ContractAdded {
        contract_id: id,
        record_id: published.id.to_string(),
        version: published.version,
    };
    Ok((StatusCode::CREATED, Json(added)))
}

/// A contract and the co-ops that could cover its skills in its period.
#[utoipa::path(get, path = "/api/v1/contracts/{contract_id}", tag = "contracts",
    params(("contract_id" = String, Path, description = "The contract's id (the publishing co-op's key, `-`, its record key)")),
    responses((status = 200, body = ContractPage, description = "The contract, and the co-ops that could cover it"), (status = 404, body = ErrorBody, description = "Not found")))]
pub async fn one(
    State(state): State<AppState>,
    Path(id): Path<String>,
) -> Result<Json<ContractPage>, ApiError> {
    let (item, matches) = ops::contract(state.backend.as_ref(), &id).await?;
    let window = item.fields.period.is_some();
    Ok(Json(ContractPage {
        contract: item.into(),
        matches: matches
            .into_iter()
            .map(|h| CoopResult::new(h, window))
            .collect(),
    }))
}

/// Imports an OCDS release package or record package (the request body, up
/// to 16 MiB): each tender becomes a contract of ours keyed by its `ocid`.
#[utoipa::path(post, path = "/api/v1/contracts/import", tag = "contracts",
    request_body(content = OcdsFile, content_type = "application/json",
        description = "The OCDS file as published: a release package, record package or release"),
    responses((status = 200, body = ImportReport, description = "What the import did with each tender"), (status = 413, body = ErrorBody, description = "Larger than this endpoint takes"),
        (status = 422, description = "Not UTF-8, not JSON or not OCDS", body = ErrorBody)))]
pub async fn import(
    State(state): State<AppState>,
    body: Bytes,
) -> Result<Json<ImportReport>, ApiError> {
    Ok(Json(state.backend.import_ocds(body.to_vec()).await?))
}
