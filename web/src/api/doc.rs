//! The OpenAPI document, generated from the handlers and types.

use axum::Json;
use utoipa::openapi::security::{ApiKey, ApiKeyValue, HttpAuthScheme, HttpBuilder, SecurityScheme};
use utoipa::{Modify, OpenApi};

use super::{contracts, coops, own};

/// The API's description.
#[derive(Debug, OpenApi)]
#[openapi(
    info(title = "coopnet node API", version = "1",
        description = "A coopnet node's members' API: our co-op's records, partner search, contracts. \
            Authenticate with `Authorization: Bearer <token>` (`coopnet token create`), or with the \
            browser session cookie plus the `X-CSRF-Token` header on state-changing calls."),
    paths(own::health, own::status, own::get_profile, own::put_profile, own::get_skills,
        own::put_skills, own::get_capacity, own::put_capacity, own::suggest, coops::search,
        coops::one, contracts::list, contracts::add, contracts::one, contracts::import),
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
