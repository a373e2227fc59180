//! The HTTP core of the App Context client: builds each request exactly as the wire
//! spec says (§1, §2, §11), sends it with retries, and turns the answer into a model
//! or a typed [`Error`]. The 16 operations live in `objects.rs` and `relations.rs`.

use std::sync::Arc;
use std::time::{Duration, Instant};

use reqwest::{header, Method, StatusCode};
use serde::de::DeserializeOwned;

use super::error::Error;
use super::keyset::Keyset;
use super::options::{IncludeParam, ListOptions, PageRef};
use super::retry::{parse_retry_after, RetryPolicy};
use super::signature::{canonical_query, encode, sign_v2};
use super::types::ErrorEnvelope;

/// `pnsdk` sent with every request.
pub const PNSDK: &str = concat!("appctx/", env!("CARGO_PKG_VERSION"));

/// How a [`Client`] behaves, apart from the keyset.
#[derive(Clone, Debug)]
pub struct ClientOptions {
    /// Per-attempt timeout (connect + answer).
    pub timeout: Duration,
    /// Retries for 429, 5xx, timeouts and failed connections.
    pub retry: RetryPolicy,
    /// Refuse every write before sending it.
    pub read_only: bool,
    /// Told about every attempt (the TUI's request log).
    pub observer: Option<Observer>,
    /// Answers larger than this are refused before they are read whole.
    pub max_response_bytes: usize,
}

/// The default [`ClientOptions::max_response_bytes`]: far above any App Context
/// answer (a page of 100 records of at most 32 KiB is about 3.2 MiB).
pub const MAX_RESPONSE_BYTES: usize = 64 * 1024 * 1024;

/// One attempt at a request, as the request log shows it. The path has the subscribe
/// key replaced by `{sub}` and carries no query, so no key or token is in it.
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    pub method: String,
    pub path: String,
    pub status: Option<u16>,
    pub millis: u64,
    pub error: Option<String>,
}

/// A callback for [`RequestRecord`]s.
#[derive(Clone)]
pub struct Observer(pub Arc<dyn Fn(RequestRecord) + Send + Sync>);

impl std::fmt::Debug for Observer {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Observer")
    }
}

impl Default for ClientOptions {
    fn default() -> Self {
        ClientOptions {
            timeout: Duration::from_secs(15),
            retry: RetryPolicy::default(),
            read_only: false,
            observer: None,
            max_response_bytes: MAX_RESPONSE_BYTES,
        }
    }
}

/// The App Context client. Cheap to clone (one shared connection pool).
#[derive(Clone, Debug)]
pub struct Client {
    inner: Arc<Inner>,
}

#[derive(Debug)]
struct Inner {
    http: reqwest::Client,
    keyset: Keyset,
    /// `scheme://host[:port]`, without a trailing slash.
    origin: String,
    /// A path the origin URL carried (`http://host/prefix`), prepended to every path.
    path_prefix: String,
    options: ClientOptions,
}

/// One request before it is sent: method, path (ids already encoded), query pairs
/// beyond the common ones, and the exact body bytes.
pub(crate) struct Request {
    pub method: Method,
    pub path: String,
    pub query: Vec<(&'static str, String)>,
    pub body: Option<Vec<u8>>,
    pub if_match: Option<String>,
}

/// A 2xx answer not decoded yet.
pub(crate) struct RawAnswer {
    label: String,
    status: StatusCode,
    bytes: Vec<u8>,
}

impl RawAnswer {
    /// The answer decoded as `T`.
    pub(crate) fn decode<T: DeserializeOwned>(self) -> Result<T, Error> {
        serde_json::from_slice(&self.bytes).map_err(|e| Error::Decode {
            request: self.label,
            status: self.status.as_u16(),
            message: e.to_string(),
        })
    }
}

impl Request {
    pub fn new(method: Method, path: String) -> Request {
        Request {
            method,
            path,
            query: Vec::new(),
            body: None,
            if_match: None,
        }
    }

    /// Adds `include` (when not empty) and the list parameters.
    pub fn list_params<I: IncludeParam>(mut self, o: &ListOptions<I>, related: &str) -> Request {
        self = self.include(o.include.include_value(related));
        if let Some(limit) = o.limit {
            self.query.push(("limit", limit.to_string()));
        }
        match &o.page {
            Some(PageRef::Next(c)) => self.query.push(("start", c.0.clone())),
            Some(PageRef::Prev(c)) => self.query.push(("end", c.0.clone())),
            None => {}
        }
        if let Some(f) = o.filter.as_deref().filter(|f| !f.trim().is_empty()) {
            self.query.push(("filter", f.to_string()));
        }
        if !o.sort.is_empty() {
            let keys: Vec<String> = o.sort.iter().map(|k| k.to_string()).collect();
            self.query.push(("sort", keys.join(",")));
        }
        if o.include_total_count {
            self.query.push(("count", "true".to_string()));
        }
        self
    }

    /// Adds `include=value` unless it is empty.
    pub fn include(mut self, value: String) -> Request {
        if !value.is_empty() {
            self.query.push(("include", value));
        }
        self
    }

    /// Sets a JSON body.
    pub fn json_body(mut self, body: Vec<u8>) -> Request {
        self.body = Some(body);
        self
    }
}

impl Client {
    /// A client for `keyset` with default options.
    pub fn new(keyset: Keyset) -> Result<Client, Error> {
        Client::with_options(keyset, ClientOptions::default())
    }

    /// A client for `keyset` with `options`. Fails on an origin that is not an
    /// `http`/`https` URL, an empty subscribe key or user id, or a secret key without
    /// the publish key it signs with.
    pub fn with_options(keyset: Keyset, options: ClientOptions) -> Result<Client, Error> {
        let (origin, path_prefix) = split_origin(&keyset.origin)?;
        if keyset.subscribe_key.is_empty() {
            return Err(Error::InvalidInput("the subscribe key is empty".into()));
        }
        if keyset.user_id.is_empty() {
            return Err(Error::InvalidInput("the user id is empty".into()));
        }
        if keyset.secret_key.is_some() && keyset.publish_key.is_none() {
            return Err(Error::InvalidInput(
                "a secret key needs the publish key: requests are signed with both".into(),
            ));
        }
        let http = reqwest::Client::builder()
            .timeout(options.timeout)
            .connect_timeout(options.timeout)
            .user_agent(PNSDK)
            // A redirect would carry the signed query (auth token included) to
            // wherever the answer points, and resend writes: never follow one.
            .redirect(reqwest::redirect::Policy::none())
            .build()
            .map_err(|e| Error::InvalidInput(format!("cannot build the HTTP client: {e}")))?;
        Ok(Client {
            inner: Arc::new(Inner {
                http,
                keyset,
                origin,
                path_prefix,
                options,
            }),
        })
    }

    /// The keyset this client talks to.
    pub fn keyset(&self) -> &Keyset {
        &self.inner.keyset
    }

    /// A path the origin URL carried, prepended to every path.
    pub(crate) fn path_prefix(&self) -> &str {
        &self.inner.path_prefix
    }

    /// True when writes are refused.
    pub fn is_read_only(&self) -> bool {
        self.inner.options.read_only
    }

    /// `Err(ReadOnly)` when the client is read-only; every write calls this first.
    pub(crate) fn check_write(&self, operation: &str) -> Result<(), Error> {
        if self.inner.options.read_only {
            return Err(Error::ReadOnly {
                operation: operation.to_string(),
            });
        }
        Ok(())
    }

    /// `/v2/objects/{sub}/` + the rest, each id segment strictly encoded.
    pub(crate) fn path(&self, segments: &[&str]) -> Result<String, Error> {
        let mut path = format!(
            "{}/v2/objects/{}",
            self.inner.path_prefix,
            encode(&self.inner.keyset.subscribe_key)
        );
        for s in segments {
            path.push('/');
            path.push_str(s);
        }
        Ok(path)
    }

    /// Sends `req` (retrying as the policy allows) and decodes a 2xx answer as `T`.
    pub(crate) async fn send<T: DeserializeOwned>(&self, req: Request) -> Result<T, Error> {
        let answer = self.send_raw(req).await?;
        answer.decode()
    }

    /// [`Client::send`] without the decoding: the 2xx answer's bytes (a walk asks for
    /// its next page before it decodes this one).
    pub(crate) async fn send_raw(&self, req: Request) -> Result<RawAnswer, Error> {
        let label = format!("{} {}", req.method, req.path);
        let (status, bytes) = self.execute(&req, &label).await?;
        Ok(RawAnswer {
            label,
            status,
            bytes,
        })
    }

    async fn execute(&self, req: &Request, label: &str) -> Result<(StatusCode, Vec<u8>), Error> {
        let policy = &self.inner.options.retry;
        let first_attempt = Instant::now();
        let mut retry = 0;
        loop {
            let started = Instant::now();
            let result = self.attempt(req, label).await;
            if let Some(observer) = &self.inner.options.observer {
                let sub = format!("/v2/objects/{}/", encode(&self.inner.keyset.subscribe_key));
                (observer.0)(RequestRecord {
                    method: req.method.to_string(),
                    path: req.path.replacen(&sub, "/v2/objects/{sub}/", 1),
                    status: match &result {
                        Ok((status, _)) => Some(status.as_u16()),
                        Err((e, _, _)) => e.status(),
                    },
                    millis: started.elapsed().as_millis() as u64,
                    error: result.as_ref().err().map(|(e, _, _)| e.to_string()),
                });
            }
            let (err, retry_after, sent) = match result {
                Ok(ok) => {
                    tracing::debug!(
                        request = label,
                        status = ok.0.as_u16(),
                        ms = started.elapsed().as_millis() as u64,
                        "app context"
                    );
                    return Ok(ok);
                }
                Err(e) => e,
            };
            tracing::debug!(request = label, error = %err, retry, "app context request failed");
            if !may_resend(&req.method, &err, sent) || retry >= policy.max_retries {
                return Err(err);
            }
            let wait = policy.delay(retry, retry_after);
            if first_attempt.elapsed() + wait > policy.max_total {
                return Err(err);
            }
            tokio::time::sleep(wait).await;
            retry += 1;
        }
    }

    /// One attempt. The error carries the `Retry-After` the server sent, if any, and
    /// whether the request may have reached the server.
    async fn attempt(
        &self,
        req: &Request,
        label: &str,
    ) -> Result<(StatusCode, Vec<u8>), (Error, Option<Duration>, bool)> {
        let url = self.url(req);
        let mut builder = self.inner.http.request(req.method.clone(), url);
        if let Some(body) = &req.body {
            builder = builder
                .header(header::CONTENT_TYPE, "application/json")
                .body(body.clone());
        }
        if let Some(tag) = &req.if_match {
            builder = builder.header(header::IF_MATCH, tag.as_str());
        }
        let response = builder.send().await.map_err(|e| {
            let sent = !e.is_connect();
            (self.transport_error(e, label), None, sent)
        })?;
        let status = response.status();
        let retry_after = response
            .headers()
            .get(header::RETRY_AFTER)
            .and_then(|v| v.to_str().ok())
            .and_then(parse_retry_after);
        if status.is_redirection() {
            let message = format!(
                "the server answered with a redirect (HTTP {}); redirects are not followed: check the origin",
                status.as_u16()
            );
            return Err((
                Error::Decode {
                    request: label.to_string(),
                    status: status.as_u16(),
                    message,
                },
                None,
                true,
            ));
        }
        let bytes = self
            .read_body(response, label)
            .await
            .map_err(|e| (e, None, true))?;
        if status.is_success() {
            return Ok((status, bytes));
        }
        Err((api_error(status, &bytes, label), retry_after, true))
    }

    /// The body, refused once it passes [`ClientOptions::max_response_bytes`]
    /// (before reading anything when the length is announced).
    async fn read_body(
        &self,
        mut response: reqwest::Response,
        label: &str,
    ) -> Result<Vec<u8>, Error> {
        let limit = self.inner.options.max_response_bytes;
        let status = response.status().as_u16();
        let too_large = |size: String| Error::Decode {
            request: label.to_string(),
            status,
            message: format!("the answer is {size} bytes, over the limit of {limit}; refused"),
        };
        if let Some(n) = response.content_length() {
            if n > limit as u64 {
                return Err(too_large(n.to_string()));
            }
        }
        let mut body = Vec::new();
        while let Some(chunk) = response
            .chunk()
            .await
            .map_err(|e| self.transport_error(e, label))?
        {
            if body.len() + chunk.len() > limit {
                return Err(too_large(format!("more than {limit}")));
            }
            body.extend_from_slice(&chunk);
        }
        Ok(body)
    }

    /// The full URL: origin, path, and the query in canonical order and strict
    /// encoding, so the bytes signed are the bytes sent.
    fn url(&self, req: &Request) -> String {
        let k = &self.inner.keyset;
        let mut pairs: Vec<(&str, String)> =
            req.query.iter().map(|(k, v)| (*k, v.clone())).collect();
        pairs.push(("uuid", k.user_id.clone()));
        pairs.push(("pnsdk", PNSDK.to_string()));
        if let Some(auth) = &k.auth_key {
            pairs.push(("auth", auth.expose().to_string()));
        }
        if k.secret_key.is_some() {
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_secs())
                .unwrap_or_default();
            pairs.push(("timestamp", now.to_string()));
        }
        let mut query = canonical_query(pairs.iter().map(|(k, v)| (*k, v.as_str())));
        if let (Some(secret), Some(publish)) = (&k.secret_key, &k.publish_key) {
            let body = req.body.as_deref().unwrap_or_default();
            let sig = sign_v2(
                secret.expose(),
                publish,
                req.method.as_str(),
                &req.path,
                &query,
                body,
            );
            query.push_str("&signature=");
            query.push_str(&encode(&sig));
        }
        format!("{}{}?{}", self.inner.origin, req.path, query)
    }

    fn transport_error(&self, e: reqwest::Error, label: &str) -> Error {
        if e.is_timeout() {
            return Error::Timeout {
                request: label.to_string(),
                after: self.inner.options.timeout,
            };
        }
        // The URL holds `auth` and `signature`: drop it, keep the causes.
        let e = e.without_url();
        let mut message = e.to_string();
        let mut source = std::error::Error::source(&e);
        while let Some(s) = source {
            message.push_str(": ");
            message.push_str(&s.to_string());
            source = s.source();
        }
        Error::Network {
            request: label.to_string(),
            message,
        }
    }
}

/// Whether a failed attempt may be sent again. Reads always may. A write may only
/// when it cannot have been applied: it never reached the server, or the server
/// said it did not take it (429 Too Many Requests, 503 Service Unavailable). After
/// a timeout, a lost answer or another 5xx the write may have been applied, so it
/// is not repeated: the caller reads the record and decides.
fn may_resend(method: &Method, err: &Error, sent: bool) -> bool {
    if *method == Method::GET {
        return err.is_retryable();
    }
    match err {
        Error::Api { status, .. } => matches!(status, 429 | 503),
        Error::Network { .. } | Error::Timeout { .. } => !sent,
        _ => false,
    }
}

/// An error answer: PubNub's envelope when it is one, else the status and body text
/// (Access Manager answers 403 in its own shape).
fn api_error(status: StatusCode, body: &[u8], label: &str) -> Error {
    let (message, details) = match serde_json::from_slice::<ErrorEnvelope>(body) {
        Ok(env) => (env.error.message, env.error.details),
        Err(_) => {
            let v: Option<serde_json::Value> = serde_json::from_slice(body).ok();
            let message = v
                .as_ref()
                .and_then(|v| v.get("message").or_else(|| v.pointer("/error/message")))
                .and_then(|m| m.as_str())
                .map(str::to_string)
                .unwrap_or_else(|| {
                    let text = String::from_utf8_lossy(body);
                    let text = text.trim();
                    if text.is_empty() {
                        status
                            .canonical_reason()
                            .unwrap_or("no message")
                            .to_string()
                    } else {
                        text.chars().take(300).collect()
                    }
                });
            (message, Vec::new())
        }
    };
    Error::Api {
        status: status.as_u16(),
        message,
        details,
        request: label.to_string(),
    }
}

/// Splits an origin URL into `scheme://host[:port]` and a path prefix. A bare host
/// (`ps.pndsn.com`) means https.
fn split_origin(origin: &str) -> Result<(String, String), Error> {
    let raw = origin.trim();
    // Messages show the origin with any credentials in it masked.
    let origin = crate::text::mask_url(raw);
    let with_scheme = if raw.contains("://") {
        raw.to_string()
    } else {
        format!("https://{raw}")
    };
    let url = reqwest::Url::parse(&with_scheme)
        .map_err(|e| Error::InvalidInput(format!("origin '{origin}' is not a URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none() {
        return Err(Error::InvalidInput(format!(
            "origin '{origin}' must be an http:// or https:// URL"
        )));
    }
    if url.query().is_some() || !url.username().is_empty() || url.password().is_some() {
        return Err(Error::InvalidInput(format!(
            "origin '{origin}' must not carry a query or credentials"
        )));
    }
    let base = url.origin().ascii_serialization();
    let prefix = url.path().trim_end_matches('/').to_string();
    Ok((base, prefix))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::keyset::Secret;

    fn client(k: Keyset) -> Client {
        Client::new(k).unwrap()
    }

    #[test]
    fn origins_are_normalised() {
        assert_eq!(
            split_origin("https://ps.pndsn.com/").unwrap(),
            ("https://ps.pndsn.com".to_string(), String::new())
        );
        assert_eq!(
            split_origin("ps.pndsn.com").unwrap().0,
            "https://ps.pndsn.com"
        );
        assert_eq!(
            split_origin("http://127.0.0.1:8090/base/").unwrap(),
            ("http://127.0.0.1:8090".to_string(), "/base".to_string())
        );
        assert!(split_origin("ftp://x").is_err());
        assert!(split_origin("http://u:p@x").is_err());
    }

    #[test]
    fn query_is_canonical_with_common_params_and_signature() {
        let mut k = Keyset::new("http://127.0.0.1:1", "sub-c-1", "me too");
        k.auth_key = Some(Secret::new("tok/en"));
        let c = client(k.clone());
        let req =
            Request::new(Method::GET, c.path(&["uuids"]).unwrap()).include("custom,status".into());
        let url = c.url(&req);
        assert_eq!(
            url,
            format!(
                "http://127.0.0.1:1/v2/objects/sub-c-1/uuids?auth=tok%2Fen&include=custom%2Cstatus&pnsdk=appctx%2F{}&uuid=me%20too",
                env!("CARGO_PKG_VERSION")
            )
        );

        k.secret_key = Some(Secret::new("sec"));
        k.publish_key = Some("pub".into());
        let c = client(k);
        let url = c.url(&Request::new(
            Method::DELETE,
            c.path(&["channels", "a%20b"]).unwrap(),
        ));
        let (_, query) = url.split_once('?').unwrap();
        let (signed, sig) = query.split_once("&signature=").unwrap();
        assert!(signed.contains("&timestamp="));
        assert_eq!(
            sig,
            sign_v2(
                "sec",
                "pub",
                "DELETE",
                "/v2/objects/sub-c-1/channels/a%20b",
                signed,
                b""
            )
        );
    }

    #[test]
    fn a_secret_without_publish_key_is_refused() {
        let mut k = Keyset::new("http://127.0.0.1:1", "s", "u");
        k.secret_key = Some(Secret::new("sec"));
        assert!(Client::new(k).is_err());
    }

    #[test]
    fn foreign_error_bodies_still_give_a_message() {
        let e = api_error(
            StatusCode::FORBIDDEN,
            br#"{"message":"Forbidden","payload":{},"error":true,"service":"Access Manager","status":403}"#,
            "GET /x",
        );
        assert_eq!(e.to_string(), "HTTP 403 Forbidden: Forbidden");
        let e = api_error(StatusCode::BAD_GATEWAY, b"", "GET /x");
        assert_eq!(e.to_string(), "HTTP 502 Bad Gateway: Bad Gateway");
    }
}
