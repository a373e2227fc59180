//! What every request passes before it is routed, and what every answer passes on its
//! way out: the path and query must be percent-encoded UTF-8, the subscribe key must be
//! a plausible one, and a rejection made by the HTTP layer itself (a body over the
//! limit, a path that does not parse) is answered in PubNub's error envelope like every
//! other error, never as plain text.

use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::{ApiError, INVALID_PARAMS};
use super::params::Query;
use crate::api::rules;

/// Largest request body: a membership PATCH of [`rules::MAX_ENTRIES`] entries of
/// [`rules::MAX_RECORD_BYTES`] each, with room for the JSON around them.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// The message of a 413.
pub const TOO_LARGE: &str = "Request payload is too large.";

/// The middleware: checks the request, then puts a non-JSON error answer into the
/// envelope.
pub async fn check(req: Request, next: Next) -> Response {
    if let Err(e) = check_request(&req) {
        return e.into_response();
    }
    let res = next.run(req).await;
    envelope_rejection(res).await
}

fn check_request(req: &Request) -> Result<(), ApiError> {
    let path = req.uri().path();
    let mut segments = Vec::new();
    for raw in path.split('/') {
        let seg = percent_encoding::percent_decode_str(raw)
            .decode_utf8()
            .map_err(|_| {
                ApiError::path(
                    "path",
                    "The path must be UTF-8, percent-encoded: a segment decodes to invalid UTF-8.",
                )
            })?;
        segments.push(seg);
    }
    Query::parse(req.uri().query())?;
    let sub = match segments.as_slice() {
        [_, v2, service, sub, ..]
            if v2 == "v2" && (service == "objects" || service == "subscribe") =>
        {
            Some(sub)
        }
        [_, v2, presence, sub_key, sub, ..]
            if v2 == "v2" && presence == "presence" && sub_key == "sub-key" =>
        {
            Some(sub)
        }
        _ => None,
    };
    if let Some(problem) = sub.and_then(|s| rules::sub_key_problem(s)) {
        return Err(ApiError::path("subKey", problem));
    }
    Ok(())
}

/// Errors made by axum's extractors are plain text; ours are JSON already.
async fn envelope_rejection(res: Response) -> Response {
    let status = res.status();
    if !(status.is_client_error() || status.is_server_error()) {
        return res;
    }
    let is_json = res
        .headers()
        .get(header::CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if is_json {
        return res;
    }
    let text = axum::body::to_bytes(res.into_body(), 4096)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let mut e = match status {
        StatusCode::PAYLOAD_TOO_LARGE => ApiError::body(
            "body",
            format!("A request body may be at most {MAX_BODY_BYTES} bytes."),
        ),
        StatusCode::BAD_REQUEST => ApiError::path("path", text),
        _ if text.is_empty() => {
            ApiError::new(status, status.canonical_reason().unwrap_or(INVALID_PARAMS))
        }
        _ => ApiError::new(status, text),
    };
    e.status = status;
    if status == StatusCode::PAYLOAD_TOO_LARGE {
        e.message = TOO_LARGE.to_string();
    }
    e.into_response()
}
