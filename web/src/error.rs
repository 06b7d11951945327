//! Errors as people see them: JSON for the API, an HTML page for the
//! pages. Each says what went wrong and what to do; validation failures
//! are 422 and name the field.

use askama::Template;
use axum::Json;
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use serde::Serialize;

use crate::backend::BackendError;

/// A failed request: its status, a message a person can act on, and the
/// field at fault when there is one.
#[derive(Debug, Clone)]
pub struct Failure {
    /// The HTTP status.
    pub status: StatusCode,
    /// What went wrong and what to do.
    pub message: String,
    /// The field at fault (`entries[2].headcount`).
    pub field: Option<String>,
}

impl Failure {
    /// A failure with this status and message.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        Self {
            status,
            message: message.into(),
            field: None,
        }
    }

    /// 400: the request itself is malformed.
    pub fn bad_request(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, message)
    }

    /// 404.
    pub fn not_found(what: &str) -> Self {
        Self::new(StatusCode::NOT_FOUND, format!("{what} was not found"))
    }

    /// 422 naming `field`.
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        let field = field.into();
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            message: format!("{field}: {}", message.into()),
            field: Some(field),
        }
    }
}

impl From<BackendError> for Failure {
    fn from(error: BackendError) -> Self {
        match error {
            BackendError::Field(e) => Failure::invalid(e.field.clone(), e.problem.to_string()),
            BackendError::Conflict(m) => Failure::new(StatusCode::CONFLICT, m),
            BackendError::Refused(m) => Failure::new(StatusCode::UNPROCESSABLE_ENTITY, m),
            BackendError::NotFound(what) => Failure::not_found(&what),
            BackendError::Internal(m) => {
                tracing::error!("backend: {m}");
                Failure::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "the node could not do that just now; try again, and if it keeps \
                     failing ask your node's operator to check its log",
                )
            }
        }
    }
}

/// The JSON body of an API error.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct ErrorBody {
    /// What went wrong and what to do.
    pub error: String,
    /// The field at fault, for validation failures.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

/// A [`Failure`] answered as JSON.
#[derive(Debug)]
pub struct ApiError(pub Failure);

impl<E: Into<Failure>> From<E> for ApiError {
    fn from(error: E) -> Self {
        ApiError(error.into())
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody {
            error: self.0.message,
            field: self.0.field,
        };
        (self.0.status, Json(body)).into_response()
    }
}

/// A [`Failure`] answered as an HTML page.
#[derive(Debug)]
pub struct PageError(pub Failure);

impl<E: Into<Failure>> From<E> for PageError {
    fn from(error: E) -> Self {
        PageError(error.into())
    }
}

#[derive(Template)]
#[template(path = "error.html")]
struct ErrorPage<'a> {
    status: u16,
    reason: &'a str,
    message: &'a str,
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        let page = ErrorPage {
            status: self.0.status.as_u16(),
            reason: self.0.status.canonical_reason().unwrap_or("Error"),
            message: &self.0.message,
        };
        match page.render() {
            Ok(html) => (self.0.status, Html(html)).into_response(),
            Err(_) => (self.0.status, self.0.message).into_response(),
        }
    }
}

/// Renders a template, or fails with a 500 that says so.
pub fn render(template: &impl Template) -> Result<Html<String>, PageError> {
    template.render().map(Html).map_err(|e| {
        tracing::error!("rendering a page: {e}");
        PageError(Failure::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "this page could not be drawn; please report it",
        ))
    })
}
