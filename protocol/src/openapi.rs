//! JSON schemas (OpenAPI, via utoipa) for the types whose JSON form is text
//! written by hand-made serde impls: days and keys. Behind the `openapi`
//! feature; the record field structs derive theirs.

use utoipa::openapi::schema::{KnownFormat, ObjectBuilder, SchemaFormat, Type};
use utoipa::openapi::{RefOr, Schema};
use utoipa::{PartialSchema, ToSchema};

use crate::{Day, PublicKey, Timestamp};

fn text(format: Option<SchemaFormat>, description: &str, pattern: Option<&str>) -> RefOr<Schema> {
    ObjectBuilder::new()
        .schema_type(Type::String)
        .format(format)
        .pattern(pattern)
        .description(Some(description))
        .into()
}

impl PartialSchema for Day {
    fn schema() -> RefOr<Schema> {
        text(
            Some(SchemaFormat::KnownFormat(KnownFormat::Date)),
            "A calendar day, YYYY-MM-DD.",
            None,
        )
    }
}
impl ToSchema for Day {}

impl PartialSchema for PublicKey {
    fn schema() -> RefOr<Schema> {
        text(
            None,
            "An ed25519 public key: 64 lowercase hex characters.",
            Some("^[0-9a-f]{64}$"),
        )
    }
}
impl ToSchema for PublicKey {}

impl PartialSchema for Timestamp {
    fn schema() -> RefOr<Schema> {
        ObjectBuilder::new()
            .schema_type(Type::Integer)
            .format(Some(SchemaFormat::KnownFormat(KnownFormat::Int64)))
            .minimum(Some(0))
            .description(Some(
                "An instant in milliseconds since the Unix epoch (UTC).",
            ))
            .into()
    }
}
impl ToSchema for Timestamp {}
