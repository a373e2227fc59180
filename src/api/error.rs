//! What can go wrong talking to App Context. API errors carry the HTTP status, PubNub's
//! message and its `details`; network trouble and timeouts are their own variants so
//! callers (and the retry loop) can tell them apart. No variant ever holds a URL with
//! its query, so `auth` and `signature` cannot leak into messages.

use std::fmt::Write as _;
use std::time::Duration;

use super::types::ErrorDetail;

/// An App Context client error.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The server answered with an error status.
    #[error("{}", api_text(*.status, message, details))]
    Api {
        /// The HTTP status (mirrored in the body's `status`).
        status: u16,
        /// PubNub's `error.message` (or the body text when it was not PubNub's envelope).
        message: String,
        /// PubNub's `error.details`: which field or parameter, and why.
        details: Vec<ErrorDetail>,
        /// `METHOD /path` of the request (no query: it may hold secrets).
        request: String,
    },
    /// The request could not be sent or the answer not read.
    #[error("network error on {request}: {message}")]
    Network { request: String, message: String },
    /// No answer within the timeout.
    #[error("{request} timed out after {} s", after.as_secs_f64())]
    Timeout { request: String, after: Duration },
    /// The answer was not the JSON we expected.
    #[error("cannot read the answer to {request} (HTTP {status}): {message}")]
    Decode {
        request: String,
        status: u16,
        message: String,
    },
    /// The request was refused before sending: an argument is not acceptable.
    #[error("{0}")]
    InvalidInput(String),
    /// A walk over a list could not give a consistent result (it changed too fast).
    #[error("{0}")]
    Inconsistent(String),
    /// The client is read-only and the operation writes.
    #[error("read-only mode: refusing to {operation} (nothing was sent)")]
    ReadOnly { operation: String },
}

impl Error {
    /// The HTTP status of an API error.
    pub fn status(&self) -> Option<u16> {
        match self {
            Error::Api { status, .. } | Error::Decode { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// True for errors that may succeed when tried again: 429, 5xx, timeouts and
    /// network failures. Other 4xx never are. (The client resends a write only when
    /// it cannot have been applied: it never left, or the answer was 429 or 503.)
    pub fn is_retryable(&self) -> bool {
        match self {
            Error::Api { status, .. } => *status == 429 || (500..=599).contains(status),
            Error::Timeout { .. } | Error::Network { .. } => true,
            _ => false,
        }
    }

    /// True when nothing was sent because the input or mode refused it.
    pub fn is_refusal(&self) -> bool {
        matches!(self, Error::InvalidInput(_) | Error::ReadOnly { .. })
    }
}

fn api_text(status: u16, message: &str, details: &[ErrorDetail]) -> String {
    let reason = reqwest::StatusCode::from_u16(status)
        .ok()
        .and_then(|s| s.canonical_reason())
        .unwrap_or("");
    let mut out = format!("HTTP {status} {reason}: {message}");
    for d in details {
        let _ = write!(
            out,
            "\n  {} ({}): {}",
            d.location, d.location_type, d.message
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn api_error_names_status_message_and_details() {
        let e = Error::Api {
            status: 400,
            message: "Request payload contained invalid input.".into(),
            details: vec![ErrorDetail {
                message: "User email must be a valid email address.".into(),
                location: "user.email".into(),
                location_type: "body".into(),
            }],
            request: "PATCH /v2/objects/demo/uuids/bob".into(),
        };
        assert_eq!(
            e.to_string(),
            "HTTP 400 Bad Request: Request payload contained invalid input.\n  user.email (body): User email must be a valid email address."
        );
        assert!(!e.is_retryable());
    }

    #[test]
    fn retryable_statuses() {
        let api = |status| Error::Api {
            status,
            message: String::new(),
            details: vec![],
            request: String::new(),
        };
        assert!(api(429).is_retryable());
        assert!(api(503).is_retryable());
        assert!(!api(404).is_retryable());
        assert!(!api(412).is_retryable());
    }
}
