//! The 16 App Context operations on PubNub's paths and methods (spec §4), and the
//! subscribe endpoint their events are delivered on (spec §12, in [`subscribe`]). Users
//! and channels share handlers, parameterised by [`Kind`]; memberships and members share
//! theirs, parameterised by [`View`].

use std::sync::Arc;

use crate::api::types::{Cursor, Page, Single};
use axum::body::Bytes;
use axum::extract::{Path, RawQuery, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use axum::Router;

use super::body::{self, check_channel_id, check_user_id};
use super::error::ApiError;
use super::model::Kind;
use super::params::{encode_cursor, Include, ListParams, Query};
use super::render;
use super::store::{ObjectView, SetOutcome, Store, View};
use super::subscribe;
use crate::filter::Target;

/// What every handler shares.
pub struct AppState {
    pub store: Store,
    /// `Access-Control-Allow-Origin` of subscribe answers, when one was allowed.
    pub allow_origin: Option<axum::http::HeaderValue>,
    /// The database's lock file, held for as long as any request may use the store.
    pub(crate) _db_lock: std::fs::File,
}

type Shared = State<Arc<AppState>>;

/// The router for all App Context operations.
pub fn router(state: Arc<AppState>) -> Router {
    Router::new()
        .route(
            "/v2/objects/{sub}/uuids",
            get(
                |s: Shared, Path(sub): Path<String>, RawQuery(q): RawQuery| {
                    list_objects(s, sub, Kind::User, q)
                },
            ),
        )
        .route(
            "/v2/objects/{sub}/channels",
            get(
                |s: Shared, Path(sub): Path<String>, RawQuery(q): RawQuery| {
                    list_objects(s, sub, Kind::Channel, q)
                },
            ),
        )
        .route(
            "/v2/objects/{sub}/uuids/{id}",
            get(
                |s: Shared, Path((sub, id)): Path<(String, String)>, RawQuery(q): RawQuery| {
                    get_object(s, sub, id, Kind::User, q)
                },
            )
            .patch(
                |s: Shared,
                 Path((sub, id)): Path<(String, String)>,
                 RawQuery(q): RawQuery,
                 h: HeaderMap,
                 b: Bytes| set_object(s, sub, id, Kind::User, q, h, b),
            )
            .delete(|s: Shared, Path((sub, id)): Path<(String, String)>| {
                remove_object(s, sub, id, Kind::User)
            }),
        )
        .route(
            "/v2/objects/{sub}/channels/{id}",
            get(
                |s: Shared, Path((sub, id)): Path<(String, String)>, RawQuery(q): RawQuery| {
                    get_object(s, sub, id, Kind::Channel, q)
                },
            )
            .patch(
                |s: Shared,
                 Path((sub, id)): Path<(String, String)>,
                 RawQuery(q): RawQuery,
                 h: HeaderMap,
                 b: Bytes| set_object(s, sub, id, Kind::Channel, q, h, b),
            )
            .delete(|s: Shared, Path((sub, id)): Path<(String, String)>| {
                remove_object(s, sub, id, Kind::Channel)
            }),
        )
        .route(
            "/v2/objects/{sub}/uuids/{id}/channels",
            get(
                |s: Shared, Path((sub, id)): Path<(String, String)>, RawQuery(q): RawQuery| {
                    list_relations(s, sub, id, View::Memberships, q)
                },
            )
            .patch(
                |s: Shared,
                 Path((sub, id)): Path<(String, String)>,
                 RawQuery(q): RawQuery,
                 b: Bytes| manage_relations(s, sub, id, View::Memberships, q, b),
            ),
        )
        .route(
            "/v2/objects/{sub}/channels/{id}/uuids",
            get(
                |s: Shared, Path((sub, id)): Path<(String, String)>, RawQuery(q): RawQuery| {
                    list_relations(s, sub, id, View::Members, q)
                },
            )
            .patch(
                |s: Shared,
                 Path((sub, id)): Path<(String, String)>,
                 RawQuery(q): RawQuery,
                 b: Bytes| manage_relations(s, sub, id, View::Members, q, b),
            ),
        )
        .route(
            "/v2/subscribe/{sub}/{channels}/{callback}",
            get(subscribe::subscribe),
        )
        .route(
            "/v2/presence/sub-key/{sub}/channel/{channels}/heartbeat",
            get(subscribe::heartbeat),
        )
        .route(
            "/v2/presence/sub-key/{sub}/channel/{channels}/leave",
            get(subscribe::leave),
        )
        .route("/time/0", get(subscribe::time))
        .fallback(|| async {
            ApiError::new(StatusCode::NOT_FOUND, "Requested resource was not found.")
        })
        .method_not_allowed_fallback(|| async {
            ApiError::new(
                StatusCode::METHOD_NOT_ALLOWED,
                "Method not allowed: App Context uses GET, PATCH and DELETE.",
            )
        })
        .with_state(state)
}

/// A 200 JSON answer with PubNub's headers.
pub fn ok_json<T: serde::Serialize>(body: &T) -> Response {
    ok_json_sized(body, 1024)
}

/// [`ok_json`] into a buffer of `capacity` bytes to start with: a page of 100 records
/// grew its buffer a doubling at a time, and each large reallocation made the
/// allocator sweep its free lists.
fn ok_json_sized<T: serde::Serialize>(body: &T, capacity: usize) -> Response {
    let mut bytes = Vec::with_capacity(capacity);
    if serde_json::to_writer(&mut bytes, body).is_err() {
        bytes.clear();
    }
    (
        StatusCode::OK,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"),
            (header::ACCESS_CONTROL_EXPOSE_HEADERS, "*"),
        ],
        bytes,
    )
        .into_response()
}

/// A starting buffer for a page of `rows` records: most records render in under 512
/// bytes.
fn page_capacity(rows: usize) -> usize {
    256 + rows * 512
}

fn check_id(kind: Kind, id: &str) -> Result<(), ApiError> {
    match kind {
        Kind::User => check_user_id(id, "uuid", false),
        Kind::Channel => check_channel_id(id, "channel", false),
    }
}

fn target(kind: Kind) -> Target {
    match kind {
        Kind::User => Target::Users,
        Kind::Channel => Target::Channels,
    }
}

/// `{"status":200,"data":[…]}` plus `totalCount`, `next` and `prev` by PubNub's rules
/// (spec §5): `next` whenever data is non-empty; `prev` when a `start` was sent or the
/// page does not begin at the first item; neither on an empty page.
fn list_envelope<T>(data: Vec<T>, total: Option<u64>, p: &ListParams) -> Page<T> {
    let n = data.len() as u64;
    let (next, prev) = if n == 0 {
        (None, None)
    } else {
        let prev = (p.had_start || p.offset > 0).then(|| Cursor(encode_cursor(p.offset)));
        (Some(Cursor(encode_cursor(p.offset + n))), prev)
    };
    Page {
        status: 200,
        data,
        total_count: total,
        next,
        prev,
    }
}

/// `{"status":200,"data":…}`.
fn single<T>(data: Option<T>) -> Single<T> {
    Single { status: 200, data }
}

async fn list_objects(
    State(st): Shared,
    sub: String,
    kind: Kind,
    q: Option<String>,
) -> Result<Response, ApiError> {
    let q = Query::parse(q.as_deref())?;
    let inc = Include::parse(&q, target(kind))?;
    let p = ListParams::parse(&q, target(kind))?;
    // Each row is rendered while SQLite is on it (no owned copy of it).
    let item = move |row: ObjectView<'_>| {
        render::object_json(kind, &row, &inc).map_err(ApiError::internal)
    };
    // A list may scan many rows: off the async threads, so it never stalls others;
    // except a short read (a walk's next page) when a reader is free at once.
    let (data, total) = match st.store.try_list_objects_as(&sub, kind, &p, item) {
        Some(page) => page?,
        None => {
            let (st2, p2) = (st.clone(), p.clone());
            blocking(move || st2.store.list_objects_as(&sub, kind, &p2, item)).await?
        }
    };
    let capacity = page_capacity(data.len());
    Ok(ok_json_sized(&list_envelope(data, total, &p), capacity))
}

async fn get_object(
    State(st): Shared,
    sub: String,
    id: String,
    kind: Kind,
    q: Option<String>,
) -> Result<Response, ApiError> {
    check_id(kind, &id)?;
    let q = Query::parse(q.as_deref())?;
    let inc = Include::parse(&q, target(kind))?;
    // A point read runs here when a reader is free at once; else on the blocking pool.
    let row = match st.store.try_get_object(&sub, kind, &id) {
        Some(row) => row?,
        None => blocking(move || st.store.get_object(&sub, kind, &id)).await?,
    }
    .ok_or_else(ApiError::not_found)?;
    Ok(ok_json(&single(Some(render::object_from(kind, row, &inc)))))
}

/// The `If-Match` header: absent, or visible ASCII (an eTag never holds anything
/// else); anything else is a 400 rather than a write that is silently unconditional.
fn if_match(headers: &HeaderMap) -> Result<Option<String>, ApiError> {
    match headers.get(header::IF_MATCH) {
        None => Ok(None),
        Some(v) => match v.to_str() {
            Ok(text) => Ok(Some(text.trim().to_string())),
            Err(_) => Err(ApiError::header(
                "If-Match",
                "If-Match must be an eTag from an earlier answer (visible ASCII).",
            )),
        },
    }
}

async fn set_object(
    State(st): Shared,
    sub: String,
    id: String,
    kind: Kind,
    q: Option<String>,
    headers: HeaderMap,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    check_id(kind, &id)?;
    let q = Query::parse(q.as_deref())?;
    let inc = Include::parse(&q, target(kind))?;
    let if_match = if_match(&headers)?;
    let patch = body::object_patch(&bytes, kind)?;
    let outcome = blocking(move || {
        st.store
            .set_object(&sub, kind, &id, &patch, if_match.as_deref())
    })
    .await?;
    match outcome {
        SetOutcome::PreconditionFailed => Err(ApiError::new(
            StatusCode::PRECONDITION_FAILED,
            format!(
                "{} to update has been modified after it was read.",
                kind.noun()
            ),
        )),
        SetOutcome::Done { row, .. } => {
            Ok(ok_json(&single(Some(render::object(kind, &row, &inc)))))
        }
    }
}

async fn remove_object(
    State(st): Shared,
    sub: String,
    id: String,
    kind: Kind,
) -> Result<Response, ApiError> {
    check_id(kind, &id)?;
    blocking(move || st.store.remove_object(&sub, kind, &id)).await?;
    Ok(ok_json(&single::<()>(None)))
}

/// Runs a store call on the blocking pool: SQLite never runs on the async workers, so
/// a slow query cannot stall other requests (or `/time/0`).
async fn blocking<T: Send + 'static>(
    f: impl FnOnce() -> Result<T, ApiError> + Send + 'static,
) -> Result<T, ApiError> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(ApiError::internal)?
}

fn check_view_id(view: View, id: &str) -> Result<(), ApiError> {
    match view {
        View::Memberships => check_user_id(id, "uuid", false),
        View::Members => check_channel_id(id, "channel", false),
    }
}

async fn list_relations(
    State(st): Shared,
    sub: String,
    id: String,
    view: View,
    q: Option<String>,
) -> Result<Response, ApiError> {
    check_view_id(view, &id)?;
    let q = Query::parse(q.as_deref())?;
    let inc = Include::parse(&q, view.target())?;
    let p = ListParams::parse(&q, view.target())?;
    let p2 = p.clone();
    let (rows, total) = blocking(move || st.store.list_relations(&sub, view, &id, &p2)).await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| render::relation(view, r, &inc))
        .collect();
    let capacity = page_capacity(data.len());
    Ok(ok_json_sized(&list_envelope(data, total, &p), capacity))
}

async fn manage_relations(
    State(st): Shared,
    sub: String,
    id: String,
    view: View,
    q: Option<String>,
    bytes: Bytes,
) -> Result<Response, ApiError> {
    check_view_id(view, &id)?;
    let q = Query::parse(q.as_deref())?;
    let inc = Include::parse(&q, view.target())?;
    let p = ListParams::parse(&q, view.target())?;
    let b = body::manage_body(&bytes, view)?;
    let p2 = p.clone();
    let (rows, total) = blocking(move || {
        st.store
            .manage_relations(&sub, view, &id, &b.set, &b.delete, &p2)
    })
    .await?;
    let data: Vec<_> = rows
        .iter()
        .map(|r| render::relation(view, r, &inc))
        .collect();
    let capacity = page_capacity(data.len());
    Ok(ok_json_sized(&list_envelope(data, total, &p), capacity))
}
