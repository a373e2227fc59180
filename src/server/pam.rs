//! Access Manager on the local server (spec §16), and the keyset settings that gate
//! requests ("Disallow Get All"). With a secret key, requests signed with it may do
//! anything; every other App Context or subscribe request must carry a token this
//! server issued (`auth`), unexpired and unrevoked, that grants what the operation
//! needs ([`crate::api::access`]). Tokens come from the signed grant endpoint
//! `POST /v3/pam/{sub_key}/grant` and are revoked with
//! `DELETE /v3/pam/{sub_key}/grant/{token}`; revocations live in the database.

use std::path::Path;
use std::sync::{Arc, Mutex};

use axum::body::Body;
use axum::extract::{Path as UrlPath, Request, State};
use axum::http::{header, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::{delete, post};
use axum::Router;
use serde_json::{json, Value};

use super::guard::{MAX_BODY_BYTES, TOO_LARGE};
use super::params::Query;
use super::signing::{self, Keys};
use crate::api::access::{Denial, Operation, ResourceType};
use crate::api::token::{GrantRequest, Token};

/// How the keyset gates requests, beyond signatures.
#[derive(Clone, Debug)]
pub struct KeysetSettings {
    /// "Disallow Get All User Metadata" and "… Channel Metadata": listing all users or
    /// channels is refused unless the request is signed with the secret key.
    pub disallow_get_all: bool,
    /// Seconds in a token's minute: 60, except on a test server that makes a 1-minute
    /// token expire in a second (`serve --token-minute-secs`, hidden).
    pub token_minute_secs: u64,
}

impl Default for KeysetSettings {
    fn default() -> Self {
        KeysetSettings {
            disallow_get_all: false,
            token_minute_secs: 60,
        }
    }
}

/// The gate's state: the keys (Access Manager is on when there are some), the
/// settings and the revocations.
pub struct Gate {
    keys: Option<Keys>,
    settings: KeysetSettings,
    /// Kept only when Access Manager is on (no table otherwise).
    revoked: Option<Revocations>,
}

impl Gate {
    /// A gate for `keys` (none: no Access Manager, only the settings apply), keeping
    /// revocations in the SQLite file `db`.
    pub fn open(keys: Option<Keys>, settings: KeysetSettings, db: &Path) -> rusqlite::Result<Gate> {
        let revoked = match keys {
            Some(_) => Some(Revocations::open(db)?),
            None => None,
        };
        Ok(Gate {
            keys,
            settings,
            revoked,
        })
    }

    /// Whether anything needs checking (else the middleware is not installed).
    pub fn is_active(&self) -> bool {
        self.keys.is_some() || self.settings.disallow_get_all
    }

    fn minute(&self) -> u64 {
        self.settings.token_minute_secs.max(1)
    }
}

/// Revoked tokens, by signature, until they would have expired anyway.
struct Revocations {
    conn: Mutex<rusqlite::Connection>,
}

impl Revocations {
    fn open(db: &Path) -> rusqlite::Result<Revocations> {
        let conn = super::store::connect(db)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS pam_revoked_tokens (
                 signature BLOB PRIMARY KEY,
                 expires_at INTEGER NOT NULL
             )",
        )?;
        Ok(Revocations {
            conn: Mutex::new(conn),
        })
    }

    fn is_revoked(&self, token: &Token) -> rusqlite::Result<bool> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.query_row(
            "SELECT EXISTS(SELECT 1 FROM pam_revoked_tokens WHERE signature = ?1)",
            [&token.signature],
            |r| r.get(0),
        )
    }

    fn revoke(&self, token: &Token, expires_at: u64, now: u64) -> rusqlite::Result<()> {
        let conn = self.conn.lock().unwrap_or_else(|p| p.into_inner());
        conn.execute(
            "DELETE FROM pam_revoked_tokens WHERE expires_at <= ?1",
            [now as i64],
        )?;
        conn.execute(
            "INSERT OR IGNORE INTO pam_revoked_tokens (signature, expires_at) VALUES (?1, ?2)",
            rusqlite::params![token.signature, expires_at as i64],
        )?;
        Ok(())
    }
}

fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

/// An answer in Access Manager's envelope:
/// `{"status":N,"service":"Access Manager",…}` plus `extra`.
fn envelope(status: StatusCode, extra: Value) -> Response {
    let mut body = json!({"status": status.as_u16(), "service": "Access Manager"});
    if let (Some(b), Value::Object(e)) = (body.as_object_mut(), extra) {
        b.extend(e);
    }
    (
        status,
        [
            (header::CONTENT_TYPE, "application/json"),
            (header::ACCESS_CONTROL_ALLOW_CREDENTIALS, "true"),
            (header::ACCESS_CONTROL_EXPOSE_HEADERS, "*"),
        ],
        body.to_string(),
    )
        .into_response()
}

/// A 403 like PubNub's for a refused token: `{"message":…,"error":true,…}` with the
/// refused resources in `payload` (when there are some).
fn forbidden(message: &str, payload: Option<Value>) -> Box<Response> {
    let mut extra = json!({"error": true, "message": message});
    if let Some(p) = payload {
        extra["payload"] = p;
    }
    Box::new(envelope(StatusCode::FORBIDDEN, extra))
}

/// A 400 of the grant service (`source` `grant` or `revoke`) with one detail.
fn bad_request(source: &str, message: &str, detail: &str, location: &str, kind: &str) -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        json!({"error": {
            "message": message,
            "source": source,
            "details": [{"message": detail, "location": location, "locationType": kind}],
        }}),
    )
}

fn payload_of(kind: ResourceType, id: &str) -> Value {
    match kind {
        ResourceType::Channel => json!({"channels": [id]}),
        ResourceType::Group => json!({"channel-groups": [id]}),
        ResourceType::Uuid => json!({"uuids": [id]}),
    }
}

/// The grant and revoke endpoints.
pub fn router(gate: Arc<Gate>) -> Router {
    Router::new()
        .route("/v3/pam/{sub}/grant", post(grant))
        .route("/v3/pam/{sub}/grant/{token}", delete(revoke))
        .with_state(gate)
}

async fn grant(State(gate): State<Arc<Gate>>, body: axum::body::Bytes) -> Response {
    let Some(keys) = &gate.keys else {
        return no_access_manager();
    };
    match GrantRequest::from_body(&body) {
        Ok(g) => {
            let token = g.issue(&keys.secret_key, now());
            envelope(
                StatusCode::OK,
                json!({"data": {"message": "Success", "token": token}}),
            )
        }
        Err(p) => bad_request("grant", &p.message, &p.details, &p.location, "body"),
    }
}

async fn revoke(
    State(gate): State<Arc<Gate>>,
    UrlPath((_sub, token)): UrlPath<(String, String)>,
) -> Response {
    let Some(keys) = &gate.keys else {
        return no_access_manager();
    };
    let invalid = |why: &str| bad_request("revoke", "Invalid token", why, "token", "path");
    let Ok(t) = Token::parse(&token) else {
        return invalid("Token is malformed.");
    };
    if !t.verify(&keys.secret_key) {
        return invalid("Token was not issued for this keyset.");
    }
    let expires = t.expires_at(gate.minute());
    let now = now();
    if now >= expires {
        return invalid("Token is expired.");
    }
    let Some(revoked) = &gate.revoked else {
        return no_access_manager();
    };
    match revoked.revoke(&t, expires, now) {
        Ok(()) => envelope(StatusCode::OK, json!({"data": {"message": "Success"}})),
        Err(e) => super::error::ApiError::internal(e).into_response(),
    }
}

fn no_access_manager() -> Response {
    envelope(
        StatusCode::BAD_REQUEST,
        json!({"error": {
            "message": "Access Manager is not enabled for this keyset.",
            "source": "grant",
        }}),
    )
}

/// What a request is, for the gate.
enum Route {
    /// Grant or revoke: only with the secret key.
    AccessManager,
    /// An operation Access Manager checks.
    Checked(Operation),
    /// Time, leave, unknown paths: nothing to check.
    Open,
}

fn route(method: &Method, path: &str, body: &[u8]) -> Route {
    if path.starts_with("/v3/pam/") {
        return Route::AccessManager;
    }
    match Operation::of_request(method.as_str(), path, body) {
        Some(op) => Route::Checked(op),
        None => Route::Open,
    }
}

/// The middleware: signed requests pass (after their signature is checked); others
/// must hold a token that allows the operation, and may not list everything when
/// "Disallow Get All" is on.
pub async fn check(State(gate): State<Arc<Gate>>, req: Request, next: Next) -> Response {
    let (parts, body) = req.into_parts();
    let bytes = match axum::body::to_bytes(body, MAX_BODY_BYTES).await {
        Ok(b) => b,
        Err(_) => {
            let mut e = super::error::ApiError::body(
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
    if let Err(res) = decide(&gate, &parts, &query, &bytes) {
        return *res;
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

fn decide(
    gate: &Gate,
    parts: &axum::http::request::Parts,
    query: &Query,
    bytes: &[u8],
) -> Result<(), Box<Response>> {
    if let Some(keys) = &gate.keys {
        // A signature must be right; a right one opens everything.
        if query.get("signature").is_some() {
            return signing::check(keys, parts, query, bytes);
        }
    }
    let op = match route(&parts.method, parts.uri.path(), bytes) {
        Route::Open => return Ok(()),
        Route::AccessManager => {
            return match &gate.keys {
                // Refused with the signing 403 (it says a signature is needed).
                Some(keys) => signing::check(keys, parts, query, bytes),
                None => Ok(()),
            };
        }
        Route::Checked(op) => op,
    };
    if let Operation::GetAll(kind) = &op {
        if gate.settings.disallow_get_all {
            let what = match kind {
                ResourceType::Channel => "Channel",
                _ => "User",
            };
            return Err(forbidden(
                &format!(
                    "Forbidden: this keyset has \"Disallow Get All {what} Metadata\" on; only requests signed with the secret key may list them all."
                ),
                None,
            ));
        }
    }
    let Some(keys) = &gate.keys else {
        return Ok(());
    };
    let Some(auth) = query.get("auth").filter(|a| !a.is_empty()) else {
        let payload = op
            .needs()
            .first()
            .map(|n| payload_of(n.kind, &n.id))
            .unwrap_or_else(|| json!({}));
        return Err(forbidden("Forbidden", Some(payload)));
    };
    let token = match Token::parse(auth) {
        Ok(t) if t.verify(&keys.secret_key) => t,
        _ => return Err(forbidden("Token is invalid", None)),
    };
    if now() >= token.expires_at(gate.minute()) {
        return Err(forbidden("Token is expired", None));
    }
    let revoked = gate.revoked.as_ref().map(|r| r.is_revoked(&token));
    match revoked.unwrap_or(Ok(false)) {
        Ok(false) => {}
        Ok(true) => return Err(forbidden("Token is revoked", None)),
        Err(e) => {
            return Err(Box::new(
                super::error::ApiError::internal(e).into_response(),
            ))
        }
    }
    match token.allows(&op, query.get("uuid")) {
        Ok(()) => Ok(()),
        Err(Denial::Missing(need)) => Err(forbidden(
            "Forbidden",
            Some(payload_of(need.kind, &need.id)),
        )),
        Err(Denial::WrongUser { caller, .. }) => {
            Err(forbidden("Forbidden", Some(json!({"uuid": caller}))))
        }
    }
}
