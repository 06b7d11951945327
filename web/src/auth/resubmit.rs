//! A form that could not be sent — its CSRF token was stale (opened before
//! the last log-in, or in another session) or its session had ended — is
//! never acted on, and never lost: the member sees what they typed, with a
//! fresh token, and sends it again with one click.

use askama::Template;
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};

use super::CSRF_FIELD;
use crate::error::{PageError, render};

/// Most fields a carried form keeps.
const MAX_FIELDS: usize = 1_000;

#[derive(Template)]
#[template(path = "resubmit.html")]
struct ResubmitPage<'a> {
    action: &'a str,
    csrf: &'a str,
    message: &'a str,
    /// Every field, for the hidden inputs.
    fields: Vec<(String, String)>,
    /// The filled ones, for the member to read.
    shown: Vec<(String, String)>,
}

/// A form's url-encoded fields without its CSRF token or any password, to
/// carry to a page that shows them again.
pub fn carry(body: &[u8]) -> String {
    let mut out = form_urlencoded::Serializer::new(String::new());
    for (name, value) in fields(body) {
        out.append_pair(&name, &value);
    }
    out.finish()
}

fn fields(body: &[u8]) -> Vec<(String, String)> {
    form_urlencoded::parse(body)
        .filter(|(name, _)| name != CSRF_FIELD && !name.contains("password"))
        .take(MAX_FIELDS)
        .map(|(k, v)| (k.into_owned(), v.into_owned()))
        .collect()
}

/// The page showing `carried` (url-encoded fields) ready to send to
/// `action` (a local path, already checked) with `csrf`.
pub fn page(
    status: StatusCode,
    action: &str,
    carried: &str,
    csrf: &str,
    message: &str,
) -> Result<Response, PageError> {
    let fields = fields(carried.as_bytes());
    let shown = fields
        .iter()
        .filter(|(name, value)| !value.trim().is_empty() && name != "add")
        .cloned()
        .collect();
    let html = render(&ResubmitPage {
        action,
        csrf,
        message,
        fields,
        shown,
    })?;
    Ok((status, html).into_response())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_and_passwords_are_not_carried_and_the_rest_is() {
        let carried = carry(b"_csrf=old&name=Rust&name=&level=expert&new_password=x&note=a%0Ab");
        assert_eq!(carried, "name=Rust&name=&level=expert&note=a%0Ab");
    }
}
