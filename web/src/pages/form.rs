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

/// An amount of money as people type it (`51,365.26`, `£1,100,000`,
/// `300000`) in hundredths of the unit, or a 422 naming the field.
pub fn hundredths(text: &str, field: &str) -> Result<u64, Failure> {
    let bad = || Failure::invalid(field, "must be an amount like 51,365.26");
    let text = text.trim().trim_start_matches(['£', '€', '$']).trim();
    let digits: String = text.chars().filter(|c| *c != ',').collect();
    let (whole, fraction) = digits.split_once('.').unwrap_or((&digits, ""));
    let ascii = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if whole.is_empty() || !ascii(whole) || !ascii(fraction) || fraction.len() > 2 {
        return Err(bad());
    }
    let whole: u64 = whole.parse().map_err(|_| bad())?;
    let fraction: u64 = format!("{fraction:0<2}").parse().map_err(|_| bad())?;
    whole
        .checked_mul(100)
        .and_then(|w| w.checked_add(fraction))
        .ok_or_else(bad)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn amounts_are_read_as_people_type_them() {
        assert_eq!(hundredths("51,365.26", "v").unwrap(), 5_136_526);
        assert_eq!(hundredths(" £1,100,000 ", "v").unwrap(), 110_000_000);
        assert_eq!(hundredths("300000", "v").unwrap(), 30_000_000);
        assert_eq!(hundredths("0.5", "v").unwrap(), 50);
        for bad in ["", "12.345", "ten", "1.2.3", "-5", "1e6", "."] {
            let failure = hundredths(bad, "value.amount").unwrap_err();
            assert_eq!(failure.field.as_deref(), Some("value.amount"), "{bad}");
        }
    }
}
