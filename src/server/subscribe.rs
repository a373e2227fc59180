//! The subscribe endpoint that delivers App Context events (spec §12), plus the few
//! non-App-Context calls a subscribing SDK makes along the way (presence heartbeat and
//! leave, time), answered minimally so SDKs stay happy.
//!
//! `GET /v2/subscribe/{sub_key}/{channels}/{callback}`:
//! * `tt` absent or `0`: the handshake, answered at once with the current timetoken and
//!   no messages: `{"t":{"t":"17…","r":1},"m":[]}`.
//! * `tt=T`: waits until events newer than `T` are routed to one of the
//!   comma-separated channels (or the subscribe timeout passes) and answers them as
//!   `"e":2` messages; `t.t` is then the timetoken of the last event returned (the
//!   current one when nothing came), so a client continuing from it misses nothing.
//! * The Ruby SDK's older `t={"t":T,"r":R}` form is understood too. `tr`, `uuid`,
//!   `heartbeat`, `pnsdk`, `filter-expr`, `ee`, `state`, `channel-group`, `auth` and
//!   anything else are accepted and ignored.

use std::sync::Arc;

use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};

use super::error::ApiError;
use super::events::{now_timetoken, Batch};
use super::params::Query;
use super::routes::AppState;

/// `Content-Type` of subscribe responses, as PubNub sends it.
pub const SUBSCRIBE_CONTENT_TYPE: &str = "text/javascript; charset=\"UTF-8\"";

/// The timetoken a subscribe call continues from; `None` for the handshake.
fn requested_timetoken(q: &Query) -> Result<Option<u64>, ApiError> {
    let raw = match q.get("tt") {
        Some(tt) => tt.trim().to_string(),
        None => match q.get("t") {
            // Ruby 4.x: t={"r":12,"t":"16027062536439869"} (t is 0 for the handshake).
            Some(t) => match serde_json::from_str::<serde_json::Value>(t) {
                Ok(serde_json::Value::Object(m)) => match m.get("t") {
                    Some(serde_json::Value::String(s)) => s.clone(),
                    Some(serde_json::Value::Number(n)) => n.to_string(),
                    _ => String::new(),
                },
                _ => t.trim().to_string(),
            },
            None => String::new(),
        },
    };
    if raw.is_empty() {
        return Ok(None);
    }
    match raw.parse::<u64>() {
        Ok(0) => Ok(None),
        Ok(tt) => Ok(Some(tt)),
        Err(_) => Err(ApiError::query(
            "tt",
            format!("tt must be a timetoken (digits), got '{raw}'."),
        )),
    }
}

/// The channels of a subscribe path segment (already percent-decoded): split on `,`,
/// empty names dropped, duplicates dropped (in linear time: a list of 100,000 names
/// must not cost 10^10 comparisons), order kept.
fn channel_list(segment: &str) -> Vec<String> {
    let mut seen = std::collections::HashSet::new();
    segment
        .split(',')
        .filter(|ch| !ch.is_empty() && seen.insert(*ch))
        .map(str::to_string)
        .collect()
}

fn subscribe_response(batch: &Batch, allow_origin: Option<&HeaderValue>) -> Response {
    let mut res = (StatusCode::OK, batch.to_json()).into_response();
    let h = res.headers_mut();
    h.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static(SUBSCRIBE_CONTENT_TYPE),
    );
    h.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-cache"));
    // PubNub answers `*`; a local server must not let any web page read a developer's
    // events, so only the origin it was told to allow.
    if let Some(origin) = allow_origin {
        h.insert(header::ACCESS_CONTROL_ALLOW_ORIGIN, origin.clone());
        h.insert(
            header::ACCESS_CONTROL_ALLOW_METHODS,
            HeaderValue::from_static("GET"),
        );
    }
    res
}

/// `GET /v2/subscribe/{sub}/{channels}/{callback}`.
pub async fn subscribe(
    State(st): State<Arc<AppState>>,
    Path((sub, channels, _callback)): Path<(String, String, String)>,
    RawQuery(q): RawQuery,
) -> Result<Response, ApiError> {
    let q = Query::parse(q.as_deref())?;
    let since = requested_timetoken(&q)?;
    let channels = channel_list(&channels);
    let has_groups = q.get("channel-group").is_some_and(|g| !g.is_empty());
    if channels.is_empty() && !has_groups {
        return Err(ApiError::path(
            "channels",
            "Subscribe needs at least one channel (comma-separated) or channel-group.",
        ));
    }
    let hub = st.store.events();
    let batch = match since {
        None => hub.handshake(&sub),
        Some(tt) => {
            hub.wait(&sub, &channels, tt, hub.config().subscribe_timeout)
                .await
        }
    };
    Ok(subscribe_response(&batch, st.allow_origin.as_ref()))
}

fn presence_ok(action: Option<&str>) -> Response {
    let body = match action {
        Some(a) => {
            format!(r#"{{"status": 200, "message": "OK", "action": "{a}", "service": "Presence"}}"#)
        }
        None => r#"{"status": 200, "message": "OK", "service": "Presence"}"#.to_string(),
    };
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/javascript; charset=\"UTF-8\"")],
        body,
    )
        .into_response()
}

/// `GET /v2/presence/sub-key/{sub}/channel/{channels}/heartbeat`: accepted, no presence
/// is tracked.
pub async fn heartbeat() -> Response {
    presence_ok(None)
}

/// `GET /v2/presence/sub-key/{sub}/channel/{channels}/leave`: accepted (SDKs send it
/// when they unsubscribe).
pub async fn leave() -> Response {
    presence_ok(Some("leave"))
}

/// `GET /time/0`: `[<timetoken>]` (SDKs call it while reconnecting).
pub async fn time() -> Response {
    (
        StatusCode::OK,
        [(header::CONTENT_TYPE, "text/javascript; charset=\"UTF-8\"")],
        format!("[{}]", now_timetoken()),
    )
        .into_response()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timetoken_forms() {
        let q = |s: &str| Query::parse(Some(s)).unwrap();
        assert_eq!(requested_timetoken(&q("uuid=a")).unwrap(), None);
        assert_eq!(requested_timetoken(&q("tt=0&tr=1")).unwrap(), None);
        assert_eq!(
            requested_timetoken(&q("tt=16027062536439869")).unwrap(),
            Some(16027062536439869)
        );
        assert_eq!(
            requested_timetoken(&q("t=%7B%22r%22:0,%22t%22:0%7D")).unwrap(),
            None
        );
        assert_eq!(
            requested_timetoken(&q("t=%7B%22r%22:12,%22t%22:%2216027062536439869%22%7D")).unwrap(),
            Some(16027062536439869)
        );
        assert!(requested_timetoken(&q("tt=abc")).is_err());
    }

    #[test]
    fn channels_are_split_and_deduplicated() {
        assert_eq!(channel_list("a,b,,a,c"), vec!["a", "b", "c"]);
        assert!(channel_list(",").is_empty());
    }

    #[test]
    fn long_channel_lists_are_deduplicated_quickly() {
        let names: Vec<String> = (0..200_000).map(|i| format!("c{i}")).collect();
        let segment = format!("{},{}", names.join(","), names.join(","));
        let started = std::time::Instant::now();
        assert_eq!(channel_list(&segment).len(), 200_000);
        // Quadratic deduplication takes minutes here; linear, well under a second
        // even in a debug build.
        assert!(started.elapsed() < std::time::Duration::from_secs(2));
    }
}
