//! Reading url-encoded forms whose fields repeat (one row per skill or
//! capacity window), which serde's form extractor cannot.

use axum::body::Bytes;
use axum::extract::{FromRequest, Request};

use crate::error::{Failure, PageError};

/// A form's fields in order.
#[derive(Debug, Clone, Default)]
pub struct Fields(Vec<(String, String)>);

impl<S: Send + Sync> FromRequest<S> for Fields {
    type Rejection = PageError;

    async fn from_request(request: Request, state: &S) -> Result<Self, Self::Rejection> {
        let bytes = Bytes::from_request(request, state)
            .await
            .map_err(|_| PageError(crate::security::too_large(crate::MAX_BODY)))?;
        Ok(Fields(
            form_urlencoded::parse(&bytes)
                .map(|(k, v)| (k.into_owned(), v.into_owned()))
                .collect(),
        ))
    }
}

impl Fields {
    /// The first value of `name`, trimmed ("" if absent).
    pub fn get(&self, name: &str) -> String {
        self.0
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .unwrap_or_default()
    }

    /// Every value of `name`, trimmed, in order.
    pub fn all(&self, name: &str) -> Vec<String> {
        self.0
            .iter()
            .filter(|(k, _)| k == name)
            .map(|(_, v)| v.trim().to_owned())
            .collect()
    }

    /// The `i`th value of `name` ("" if there are fewer).
    pub fn nth(&self, name: &str, i: usize) -> String {
        self.all(name).into_iter().nth(i).unwrap_or_default()
    }
}

/// A whole number from a form field, or a 422 naming it.
pub fn number<T: std::str::FromStr>(text: &str, field: &str) -> Result<T, Failure> {
    text.trim()
        .parse()
        .map_err(|_| Failure::invalid(field, "must be a whole number"))
}

/// Comma-separated text as a list, empty items dropped.
pub fn list(text: &str) -> Vec<String> {
    text.split(',')
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `None` for empty text.
pub fn optional(text: &str) -> Option<String> {
    let text = text.trim();
    (!text.is_empty()).then(|| text.to_owned())
}
