//! A forwarding proxy in front of a real local server, for tests that need to count the
//! requests a client makes or to make one particular request fail.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri};
use axum::response::{IntoResponse, Response};

/// A request seen by the proxy.
#[derive(Clone, Debug, PartialEq)]
pub struct Hit {
    pub method: String,
    pub path: String,
}

#[derive(Clone)]
struct Shared {
    upstream: String,
    http: reqwest::Client,
    hits: Arc<Mutex<Vec<Hit>>>,
    fail: Arc<Mutex<Vec<(String, String)>>>,
}

/// The running proxy.
pub struct Proxy {
    pub origin: String,
    hits: Arc<Mutex<Vec<Hit>>>,
    fail: Arc<Mutex<Vec<(String, String)>>>,
}

impl Proxy {
    /// Starts a proxy to `upstream` (`http://127.0.0.1:PORT`).
    pub async fn start(upstream: String) -> Proxy {
        let hits = Arc::new(Mutex::new(Vec::new()));
        let fail = Arc::new(Mutex::new(Vec::new()));
        let shared = Shared {
            upstream,
            http: reqwest::Client::new(),
            hits: hits.clone(),
            fail: fail.clone(),
        };
        let app = axum::Router::new().fallback(forward).with_state(shared);
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind");
        let origin = format!("http://{}", listener.local_addr().expect("addr"));
        tokio::spawn(async move {
            let _ = axum::serve(listener, app).await;
        });
        Proxy { origin, hits, fail }
    }

    /// Requests so far.
    pub fn hits(&self) -> Vec<Hit> {
        self.hits.lock().unwrap().clone()
    }

    /// Forgets the requests so far.
    pub fn clear(&self) {
        self.hits.lock().unwrap().clear();
    }

    /// Answers `method` requests whose path ends with `path_end` with a 400 envelope.
    pub fn fail(&self, method: &str, path_end: &str) {
        self.fail
            .lock()
            .unwrap()
            .push((method.to_string(), path_end.to_string()));
    }
}

async fn forward(
    State(s): State<Shared>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let path = uri.path().to_string();
    s.hits.lock().unwrap().push(Hit {
        method: method.to_string(),
        path: path.clone(),
    });
    let failing = s
        .fail
        .lock()
        .unwrap()
        .iter()
        .any(|(m, p)| *m == method.as_str() && path.ends_with(p.as_str()));
    if failing {
        let body = r#"{"status":400,"error":{"message":"Injected failure for this test.","source":"objects"}}"#;
        return (
            StatusCode::BAD_REQUEST,
            [("content-type", "application/json")],
            body,
        )
            .into_response();
    }
    let url = format!(
        "{}{}",
        s.upstream,
        uri.path_and_query().map(|p| p.as_str()).unwrap_or("/")
    );
    let mut req = s.http.request(method, url).body(body);
    for name in ["if-match", "content-type"] {
        if let Some(v) = headers.get(name) {
            req = req.header(name, v);
        }
    }
    match req.send().await {
        Ok(res) => {
            let status =
                StatusCode::from_u16(res.status().as_u16()).unwrap_or(StatusCode::BAD_GATEWAY);
            let bytes = res.bytes().await.unwrap_or_default();
            (status, [("content-type", "application/json")], bytes).into_response()
        }
        Err(e) => (StatusCode::BAD_GATEWAY, e.to_string()).into_response(),
    }
}
