//! What every request passes before it is routed, and what every answer passes on its
//! way out: the path and query must be percent-encoded UTF-8, the subscribe key must be
//! a plausible one, and a rejection made by the HTTP layer itself (a body over the
//! limit, a path that does not parse) is answered in PubNub's error envelope like every
//! other error, never as plain text. [`Front`] runs these, with the request log, for
//! every request.

use std::sync::Arc;
use std::time::Duration;

use axum::body::Body;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Router;
use tower_service::Service;

use super::error::{ApiError, INVALID_PARAMS};
use super::params::Query;
use super::request_log::{self, RequestLog};
use crate::api::rules;

/// Largest request body: a membership PATCH of [`rules::MAX_ENTRIES`] entries of
/// [`rules::MAX_RECORD_BYTES`] each, with room for the JSON around them.
pub const MAX_BODY_BYTES: usize = 4 << 20;

/// The message of a 413.
pub const TOO_LARGE: &str = "Request payload is too large.";

/// What every request passes in front of the routes, in order: the request log
/// (outermost, so it sees every answer), the `Host` check of a loopback server, the
/// path and query checks, the body read in whole within the header timeout; then the
/// routes, whose non-JSON error answers are put into the envelope.
///
/// This is one future per request run by the connection ([`super::conn`]), not a
/// stack of axum middleware layers: `Router::layer` wraps every route, and each
/// `from_fn` layer clones the whole service stack under it and boxes a future on
/// every request (35 of the 105 allocations of a `get uuid metadata`, and a quarter
/// of its instructions, went to that).
#[derive(Debug)]
pub struct Front {
    /// How long a request's body may take to arrive.
    pub body_timeout: Duration,
    /// Answer only requests whose `Host` is a loopback name (DNS rebinding).
    pub loopback_only: bool,
    /// Where the request log goes (none: no log).
    pub log: Option<Arc<RequestLog>>,
}

impl Front {
    /// Answers `req` with `app` behind the checks.
    pub async fn answer(&self, app: Router, req: Request) -> Response {
        let Some(log) = &self.log else {
            return self.checked(app, req).await;
        };
        let method = req.method().clone();
        // A clone of the URI shares its bytes; the path is cut from it once answered.
        let uri = req.uri().clone();
        let started = std::time::Instant::now();
        let res = self.checked(app, req).await;
        let ms = started.elapsed().as_secs_f64() * 1000.0;
        let path = request_log::loggable_path(uri.path());
        log.line_fmt(format_args!(
            "{method} {path} {} {ms:.1}ms",
            res.status().as_u16()
        ));
        res
    }

    async fn checked(&self, mut app: Router, req: Request) -> Response {
        if self.loopback_only {
            if let Err(e) = check_host(&req) {
                return e.into_response();
            }
        }
        if let Err(e) = check_request(&req) {
            return e.into_response();
        }
        let req = match read_body(req, self.body_timeout).await {
            Ok(req) => req,
            Err(e) => return e.into_response(),
        };
        // A router is always ready; asked anyway, as the contract of `Service` says.
        let ready = std::future::poll_fn(|cx| Service::<Request>::poll_ready(&mut app, cx));
        let answered = match ready.await {
            Ok(()) => app.call(req).await,
            Err(never) => match never {},
        };
        let res = match answered {
            Ok(res) => res,
            Err(never) => match never {},
        };
        envelope_rejection(res).await
    }
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

/// Reads a request's whole body within `timeout` (the header timeout): a client that
/// sends a head and then drips its body is answered 408 instead of holding its
/// connection and handler. A body over [`MAX_BODY_BYTES`] is a 413, in the envelope.
async fn read_body(req: Request, timeout: Duration) -> Result<Request, ApiError> {
    // Most requests (every read) come without a body: nothing to wait for or copy.
    if axum::body::HttpBody::size_hint(req.body()).exact() == Some(0) {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let bytes =
        match tokio::time::timeout(timeout, axum::body::to_bytes(body, MAX_BODY_BYTES)).await {
            Ok(Ok(b)) => b,
            Ok(Err(_)) => {
                let mut e = ApiError::body(
                    "body",
                    format!("A request body may be at most {MAX_BODY_BYTES} bytes."),
                );
                e.status = StatusCode::PAYLOAD_TOO_LARGE;
                e.message = TOO_LARGE.to_string();
                return Err(e);
            }
            Err(_) => {
                let mut e = ApiError::body(
                    "body",
                    format!(
                        "The request body did not arrive within {} s.",
                        timeout.as_secs_f32()
                    ),
                );
                e.status = StatusCode::REQUEST_TIMEOUT;
                e.message = "Request timed out.".to_string();
                return Err(e);
            }
        };
    Ok(Request::from_parts(parts, Body::from(bytes)))
}

/// For a server listening on loopback: the `Host` must be a loopback name, so a web
/// page on another site cannot reach it through DNS rebinding (its requests carry
/// that site's name). A request without `Host` (HTTP/1.0) is let through: browsers
/// always send one.
fn check_host(req: &Request) -> Result<(), ApiError> {
    if let Some(host) = req.headers().get(header::HOST) {
        let ok = host.to_str().is_ok_and(is_loopback_host);
        if !ok {
            let shown = String::from_utf8_lossy(host.as_bytes()).into_owned();
            let mut e = ApiError::header(
                "Host",
                format!(
                    "Host '{shown}' is not a loopback name; this server answers only on localhost."
                ),
            );
            e.status = StatusCode::FORBIDDEN;
            return Err(e);
        }
    }
    Ok(())
}

/// `localhost`, `*.localhost`, a 127.x.x.x address or `[::1]`, with or without a port.
fn is_loopback_host(host: &str) -> bool {
    let name = if let Some(rest) = host.strip_prefix('[') {
        match rest.split_once(']') {
            Some((ip, _port)) => {
                return ip
                    .parse::<std::net::Ipv6Addr>()
                    .is_ok_and(|a| a.is_loopback())
            }
            None => return false,
        }
    } else {
        host.rsplit_once(':').map_or(host, |(name, _port)| name)
    };
    let name = name.trim_end_matches('.').to_ascii_lowercase();
    name == "localhost"
        || name.ends_with(".localhost")
        || name
            .parse::<std::net::Ipv4Addr>()
            .is_ok_and(|a| a.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loopback_hosts() {
        for ok in [
            "localhost",
            "localhost:8090",
            "127.0.0.1:1",
            "127.1.2.3",
            "[::1]:80",
            "LOCALHOST.",
            "app.localhost:3",
        ] {
            assert!(is_loopback_host(ok), "{ok}");
        }
        for bad in [
            "evil.com",
            "evil.com:8090",
            "localhost.evil.com",
            "10.0.0.1",
            "[::2]:80",
            "127.0.0.1.nip.io",
            "",
        ] {
            assert!(!is_loopback_host(bad), "{bad}");
        }
    }
}
