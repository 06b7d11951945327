//! The OpenAPI document, generated from the handlers and types.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{contracts, coops, own};
use crate::bids::api as bids;
use crate::bids::negotiation_api as negotiation;
use crate::network::api as network;

/// The API's description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "coopnet node API", version = "1",
        description = "A coopnet node's members' API: our co-op's records, partner search, contracts, joint bids (the consortium builder, our bids, invitations, signed agreements and public notices), and the network dashboard and coordinators' actions. `GET /metrics` (outside `/api/v1`) serves Prometheus metrics. \
            Authenticate with `Authorization: Bearer <token>` (`coopnet token create`), or with the \
            browser session cookie plus the `X-CSRF-Token` header on state-changing calls. \
            Errors are JSON `{\"error\": …, \"field\": …}`: 400 when the request cannot be read at \
            all (not JSON, not a form), 422 when it can but a value breaks its field's rule (the \
            field is named, as in `entries[2].level`), 401 without a valid token, 404 for \
            nothing there, 413 for a body over the limit, 429 with `Retry-After` when throttled. \
            Ids: `coop_key` is a co-op's public key (64 hex), `record_id` a signed record's \
            hash (64 hex), `contract_id` a contract's stable id (`<coop_key>-<key>`). \
            A contract's value is in hundredths of its currency's unit (pence, cents); day \
            rates are in whole units; dates are `YYYY-MM-DD`, instants Unix milliseconds."),
    paths(own::health, own::status, own::get_profile, own::put_profile, own::get_skills,
        own::put_skills, own::get_capacity, own::put_capacity, own::suggest, coops::search,
        coops::one, contracts::list, contracts::add, contracts::one, contracts::import, bids::needs, bids::set_needs, bids::suggestions,
        bids::list, bids::create, bids::one, bids::update, bids::move_to, bids::history,
        negotiation::invite, negotiation::negotiation, negotiation::freeze, negotiation::agreement,
        negotiation::invitations, negotiation::answer, negotiation::sign, negotiation::notice,
        crate::bids::export::api_roles_csv, network::health, network::supply, network::capacity,
        network::pipeline, network::events, network::coordination, network::admit,
        network::revoke),
    modifiers(&Security),
    security(("bearer" = []), ("session" = []))
)]
pub struct ApiDoc;

struct Security;

impl Modify for Security {
    fn modify(&self, openapi: &mut utoipa::openapi::OpenApi) {
        let components = openapi.components.get_or_insert_with(Default::default);
        components.add_security_scheme(
            "bearer",
            SecurityScheme::Http(HttpBuilder::new().scheme(HttpAuthScheme::Bearer).build()),
        );
        components.add_security_scheme(
            "session",
            SecurityScheme::ApiKey(ApiKey::Cookie(ApiKeyValue::new(
                crate::auth::SESSION_COOKIE,
            ))),
        );
    }
}

/// `GET /api/v1/openapi.json`.
pub async fn openapi() -> Json<utoipa::openapi::OpenApi> {
    Json(ApiDoc::openapi())
}
