//! Errors the local server answers with, in PubNub's envelope:
//! `{"status":N,"error":{"message":…,"source":"objects","details":[…]}}`.

use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};

use crate::api::types::{ErrorBody, ErrorDetail, ErrorEnvelope};

/// PubNub's text for a 400 about the body.
pub const INVALID_PAYLOAD: &str = "Request payload contained invalid input.";
/// Our text for a 400 about the query or path (PubNub's is not recorded; spec §14).
pub const INVALID_PARAMS: &str = "Request contained invalid parameters.";
/// PubNub's text for a missing object.
pub const NOT_FOUND: &str = "Requested object was not found.";

/// An error answer of the local server.
#[derive(Debug, Clone, PartialEq)]
pub struct ApiError {
    pub status: StatusCode,
    pub message: String,
    pub details: Vec<ErrorDetail>,
}

impl ApiError {
    /// An error with no details.
    pub fn new(status: StatusCode, message: impl Into<String>) -> Self {
        ApiError {
            status,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// A 400 about one query parameter.
    pub fn query(location: &str, message: impl Into<String>) -> Self {
        Self::detail(INVALID_PARAMS, location, "query", message)
    }

    /// A 400 about one place in the body.
    pub fn body(location: &str, message: impl Into<String>) -> Self {
        Self::detail(INVALID_PAYLOAD, location, "body", message)
    }

    /// A 400 about a path segment.
    pub fn path(location: &str, message: impl Into<String>) -> Self {
        Self::detail(INVALID_PARAMS, location, "path", message)
    }

    /// A 400 about a request header.
    pub fn header(location: &str, message: impl Into<String>) -> Self {
        Self::detail(INVALID_PARAMS, location, "header", message)
    }

    fn detail(top: &str, location: &str, kind: &str, message: impl Into<String>) -> Self {
        ApiError {
            status: StatusCode::BAD_REQUEST,
            message: top.to_string(),
            details: vec![ErrorDetail {
                message: message.into(),
                location: location.to_string(),
                location_type: kind.to_string(),
            }],
        }
    }

    /// 404 for a missing user or channel.
    pub fn not_found() -> Self {
        Self::new(StatusCode::NOT_FOUND, NOT_FOUND)
    }

    /// 500 with PubNub's (misspelt) text; the cause goes to the log only.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!("internal error: {cause}");
        eprintln!("appctx serve: internal error: {cause}");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "An unexpected error ocurred while processing the request.",
        )
    }

    /// The JSON envelope.
    pub fn envelope(&self) -> ErrorEnvelope {
        ErrorEnvelope {
            status: self.status.as_u16(),
            error: ErrorBody {
                message: self.message.clone(),
                source: "objects".to_string(),
                details: self.details.clone(),
            },
        }
    }
}

/// PubNub's text for a request that ran out of time (spec §9).
pub const TOO_SLOW: &str =
    "The server took longer to respond than the maximum allowed processing time.";

impl From<rusqlite::Error> for ApiError {
    fn from(e: rusqlite::Error) -> Self {
        // Only the store's query budget interrupts a statement.
        if e.sqlite_error_code() == Some(rusqlite::ErrorCode::OperationInterrupted) {
            return ApiError::new(StatusCode::SERVICE_UNAVAILABLE, TOO_SLOW);
        }
        ApiError::internal(e)
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = serde_json::to_vec(&self.envelope()).unwrap_or_default();
        (
            self.status,
            [
                (header::CONTENT_TYPE, "application/json"),
                (header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"),
                (header::ACCESS_CONTROL_EXPOSE_HEADERS, "*"),
            ],
            body,
        )
            .into_response()
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{} {}", self.status.as_u16(), self.message)?;
        for d in &self.details {
            write!(f, "; {} ({})", d.message, d.location)?;
        }
        Ok(())
    }
}

impl std::error::Error for ApiError {}
