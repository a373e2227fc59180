//! Signature v2 checking for a server started with `--secret-key`: every request must
//! carry `timestamp` (within 60 s of now) and a `signature` computed over the method,
//! publish key, path, canonical query and body (spec §11), else 403.

use std::sync::Arc;

use axum::body::Body;
use axum::extract::{Request, State};
use axum::http::StatusCode;
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::guard::{MAX_BODY_BYTES, TOO_LARGE};
use super::params::Query;
use crate::api::signature::{canonical_query, sign_v2};

/// Allowed distance between the request's `timestamp` and our clock.
pub const MAX_SKEW_SECS: i64 = 60;

/// The keys a signing server checks against.
#[derive(Clone)]
pub struct Keys {
    pub publish_key: String,
    pub secret_key: String,
}

impl std::fmt::Debug for Keys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Keys")
            .field("publish_key", &self.publish_key)
            .field("secret_key", &"***")
            .finish()
    }
}

fn forbidden(location: &str, message: impl Into<String>) -> Box<Response> {
    let mut e = ApiError::query(location, message);
    e.status = StatusCode::FORBIDDEN;
    e.message = "Request signature is missing or invalid.".to_string();
    Box::new(e.into_response())
}

/// The middleware.
pub async fn verify(State(keys): State<Arc<Keys>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let mut e = ApiError::body(
                "body",
                format!("A request body may be at most {MAX_BODY_BYTES} bytes."),
            );
            e.status = StatusCode::PAYLOAD_TOO_LARGE;
            e.message = TOO_LARGE.to_string();
            return e.into_response();
        }
    };
    let query = match Query::parse(parts.uri.query()) {
        Ok(q) => q,
        Err(e) => return e.into_response(),
    };
    if let Err(res) = check(&keys, &parts, &query, &bytes) {
        return *res;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// Checks the signature of a request whose body has been read: `Err` is the 403 to
/// answer with (boxed: a `Response` is large).
pub fn check(
    keys: &Keys,
    parts: &axum::http::request::Parts,
    query: &Query,
    bytes: &[u8],
) -> Result<(), Box<Response>> {
    let Some(signature) = query.get("signature") else {
        return Err(forbidden(
            "signature",
            "This keyset requires signed requests: add timestamp and signature (v2).",
        ));
    };
    let Some(ts) = query.get("timestamp").and_then(|t| t.parse::<i64>().ok()) else {
        return Err(forbidden(
            "timestamp",
            "A signed request needs a timestamp (Unix seconds).",
        ));
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs() as i64)
        .unwrap_or_default();
    if now.abs_diff(ts) > MAX_SKEW_SECS.unsigned_abs() {
        return Err(forbidden(
            "timestamp",
            format!("timestamp {ts} is more than {MAX_SKEW_SECS} s away from the server's clock ({now})."),
        ));
    }
    let canonical = canonical_query(query.0.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    // The path as sent, and as some SDKs sign it: before percent-encoding the ids
    // (the Python SDK does this, so `user name` is signed but `user%20name` sent).
    // Only segment by segment, and never when a segment decodes to a `/`: then the
    // decoded path would name another route (`demo%2Fuuids%2Fu1` is not `demo/uuids/u1`).
    let raw = parts.uri.path();
    let decoded = decoded_path(raw).unwrap_or_else(|| raw.to_string());
    let sign = |path: &str| {
        sign_v2(
            &keys.secret_key,
            &keys.publish_key,
            parts.method.as_str(),
            path,
            &canonical,
            bytes,
        )
    };
    let ok = constant_time_eq(sign(raw).as_bytes(), signature.as_bytes())
        || (decoded != raw && constant_time_eq(sign(&decoded).as_bytes(), signature.as_bytes()));
    if !ok {
        return Err(forbidden(
            "signature",
            "Signature does not match the request.",
        ));
    }
    Ok(())
}

/// `path` with each segment percent-decoded, unless one decodes to something holding
/// a `/` (or to invalid UTF-8).
fn decoded_path(path: &str) -> Option<String> {
    let segments = path
        .split('/')
        .map(|seg| {
            let d = percent_encoding::percent_decode_str(seg)
                .decode_utf8()
                .ok()?;
            (!d.contains('/')).then_some(d)
        })
        .collect::<Option<Vec<_>>>()?;
    Some(segments.join("/"))
}

fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}
