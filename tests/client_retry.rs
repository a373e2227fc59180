//! Retries against a tiny hand-written server on loopback that answers from a script:
//! 429, 5xx and timeouts are retried for reads (honouring Retry-After), a bounded
//! number of times within a bounded time; 4xx are not; a write is resent only when
//! it cannot have been applied. Redirects are not followed and oversized answers
//! are refused. Each test counts the hits.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use appctx::api::{Client, ClientOptions, Error, Include, Keyset, RetryPolicy, Secret};
use axum::http::{HeaderName, StatusCode};
use axum::response::IntoResponse;
use axum::Router;

const USER: &str = r#"{"status":200,"data":{"id":"u","name":"U","externalId":null,"profileUrl":null,"email":null,"updated":"2025-01-01T00:00:00Z","eTag":"e"}}"#;

/// One scripted answer: status, optional Retry-After, delay before answering.
#[derive(Clone)]
struct Step(u16, Option<&'static str>, Duration);

struct Scripted {
    hits: Arc<AtomicUsize>,
    origin: String,
}

/// Serves `steps` in order (repeating the last), counting requests.
async fn scripted(steps: Vec<Step>) -> Scripted {
    let hits = Arc::new(AtomicUsize::new(0));
    let queue = Arc::new(Mutex::new(VecDeque::from(steps)));
    let counter = hits.clone();
    let app = Router::new().fallback(move || {
        let queue = queue.clone();
        let counter = counter.clone();
        async move {
            counter.fetch_add(1, Ordering::SeqCst);
            let step = {
                let mut q = queue.lock().unwrap();
                if q.len() > 1 {
                    q.pop_front().unwrap()
                } else {
                    q.front().cloned().unwrap()
                }
            };
            tokio::time::sleep(step.2).await;
            let status = StatusCode::from_u16(step.0).unwrap();
            let body = if step.0 == 200 {
                USER.to_string()
            } else {
                format!(
                    r#"{{"status":{},"error":{{"message":"scripted {}","source":"objects"}}}}"#,
                    step.0, step.0
                )
            };
            let mut res = (status, [("content-type", "application/json")], body).into_response();
            if let Some(ra) = step.1 {
                res.headers_mut()
                    .insert(HeaderName::from_static("retry-after"), ra.parse().unwrap());
            }
            res
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    Scripted { hits, origin }
}

fn fast_client(origin: &str, timeout: Duration) -> Client {
    Client::with_options(
        Keyset::new(origin, "demo", "tester"),
        ClientOptions {
            timeout,
            retry: RetryPolicy {
                max_retries: 3,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
                max_retry_after: Duration::from_secs(5),
                max_total: Duration::from_secs(30),
            },
            read_only: false,
            observer: None,
            max_response_bytes: appctx::api::MAX_RESPONSE_BYTES,
        },
    )
    .unwrap()
}

const NOW: Duration = Duration::ZERO;

#[tokio::test]
async fn a_429_then_200_is_retried_once() {
    let s = scripted(vec![Step(429, Some("0"), NOW), Step(200, None, NOW)]).await;
    let c = fast_client(&s.origin, Duration::from_secs(5));
    let user = c.get_user("u", Include::ALL).await.unwrap();
    assert_eq!(user.user_id, "u");
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_400_is_not_retried() {
    let s = scripted(vec![Step(400, None, NOW)]).await;
    let c = fast_client(&s.origin, Duration::from_secs(5));
    let err = c.get_user("u", Include::ALL).await.unwrap_err();
    assert!(
        matches!(&err, Error::Api { status: 400, message, .. } if message == "scripted 400"),
        "{err}"
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 1);
}

#[tokio::test]
async fn other_4xx_are_not_retried_either() {
    for status in [403, 404, 409, 412] {
        let s = scripted(vec![Step(status, Some("0"), NOW)]).await;
        let c = fast_client(&s.origin, Duration::from_secs(5));
        assert_eq!(
            c.get_user("u", Include::ALL).await.unwrap_err().status(),
            Some(status)
        );
        assert_eq!(s.hits.load(Ordering::SeqCst), 1, "{status}");
    }
}

#[tokio::test]
async fn server_errors_are_retried_a_bounded_number_of_times() {
    let s = scripted(vec![Step(503, None, NOW)]).await;
    let c = fast_client(&s.origin, Duration::from_secs(5));
    let err = c.list_users(&Default::default()).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert_eq!(s.hits.load(Ordering::SeqCst), 4, "1 try + 3 retries");

    let s = scripted(vec![
        Step(500, None, NOW),
        Step(502, None, NOW),
        Step(200, None, NOW),
    ])
    .await;
    let c = fast_client(&s.origin, Duration::from_secs(5));
    c.get_user("u", Include::ALL).await.unwrap();
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn retry_after_is_honoured() {
    let s = scripted(vec![Step(429, Some("1"), NOW), Step(200, None, NOW)]).await;
    let c = fast_client(&s.origin, Duration::from_secs(5));
    let started = Instant::now();
    c.get_user("u", Include::ALL).await.unwrap();
    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "{:?}",
        started.elapsed()
    );
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);
}

#[tokio::test]
async fn a_timeout_is_retried_and_reported_as_a_timeout() {
    let slow = Duration::from_millis(800);
    let s = scripted(vec![Step(200, None, slow), Step(200, None, NOW)]).await;
    let c = fast_client(&s.origin, Duration::from_millis(200));
    c.get_user("u", Include::ALL).await.unwrap();
    assert_eq!(s.hits.load(Ordering::SeqCst), 2);

    let s = scripted(vec![Step(200, None, slow)]).await;
    let c = fast_client(&s.origin, Duration::from_millis(100));
    let err = c.get_user("u", Include::ALL).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert_eq!(s.hits.load(Ordering::SeqCst), 4);
}

#[tokio::test]
async fn network_errors_are_typed_and_never_show_secrets() {
    // A port nobody listens on.
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut k = Keyset::new(&origin, "demo", "tester");
    k.publish_key = Some("pub".into());
    k.secret_key = Some(Secret::new("sec-TOPSECRET"));
    k.auth_key = Some(Secret::new("auth-TOPSECRET"));
    let c = Client::with_options(
        k,
        ClientOptions {
            retry: RetryPolicy::none(),
            ..Default::default()
        },
    )
    .unwrap();
    let err = c.get_user("u", Include::ALL).await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err}");
    let shown = format!("{err} {err:?}");
    assert!(
        !shown.contains("TOPSECRET") && !shown.contains("signature"),
        "{shown}"
    );
    assert!(shown.contains("GET /v2/objects/demo/uuids/u"), "{shown}");
}

/// A server that reads each request and hangs up without answering.
async fn hang_up_server() -> (String, Arc<AtomicUsize>) {
    use tokio::io::AsyncReadExt;
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    let hits = Arc::new(AtomicUsize::new(0));
    let counter = hits.clone();
    tokio::spawn(async move {
        while let Ok((mut socket, _)) = listener.accept().await {
            counter.fetch_add(1, Ordering::SeqCst);
            let mut buf = [0u8; 4096];
            let _ = socket.read(&mut buf).await;
            drop(socket);
        }
    });
    (origin, hits)
}

#[tokio::test]
async fn a_lost_answer_is_resent_for_reads_but_not_for_writes() {
    let (origin, hits) = hang_up_server().await;
    let c = fast_client(&origin, Duration::from_secs(5));
    let err = c.get_user("u", Include::ALL).await.unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err}");
    assert_eq!(hits.load(Ordering::SeqCst), 4, "a GET is safe to resend");

    let (origin, hits) = hang_up_server().await;
    let c = fast_client(&origin, Duration::from_secs(5));
    let fields = appctx::api::UserFields::default();
    let err = c
        .set_user("u", &fields, &Default::default())
        .await
        .unwrap_err();
    assert!(matches!(err, Error::Network { .. }), "{err}");
    assert_eq!(
        hits.load(Ordering::SeqCst),
        1,
        "the PATCH may have been applied"
    );
}

async fn set_user(c: &Client) -> Result<appctx::api::types::User, Error> {
    let fields = appctx::api::UserFields::default();
    c.set_user("u", &fields, &Default::default()).await
}

#[tokio::test]
async fn a_write_that_times_out_is_not_sent_again() {
    let s = scripted(vec![Step(200, None, Duration::from_millis(800))]).await;
    let c = fast_client(&s.origin, Duration::from_millis(150));
    let err = set_user(&c).await.unwrap_err();
    assert!(matches!(err, Error::Timeout { .. }), "{err}");
    assert_eq!(
        s.hits.load(Ordering::SeqCst),
        1,
        "the PATCH may have been applied"
    );
}

#[tokio::test]
async fn a_write_is_retried_only_on_429_and_503() {
    for status in [429, 503] {
        let s = scripted(vec![Step(status, Some("0"), NOW), Step(200, None, NOW)]).await;
        let c = fast_client(&s.origin, Duration::from_secs(5));
        set_user(&c).await.unwrap();
        assert_eq!(
            s.hits.load(Ordering::SeqCst),
            2,
            "{status} means not applied"
        );
    }
    for status in [500, 502, 504] {
        let s = scripted(vec![Step(status, None, NOW), Step(200, None, NOW)]).await;
        let c = fast_client(&s.origin, Duration::from_secs(5));
        assert_eq!(set_user(&c).await.unwrap_err().status(), Some(status));
        assert_eq!(
            s.hits.load(Ordering::SeqCst),
            1,
            "{status} may have been applied"
        );
    }
}

#[tokio::test]
async fn retries_stop_within_the_total_time_budget() {
    let s = scripted(vec![Step(503, Some("1"), NOW)]).await;
    let c = Client::with_options(
        Keyset::new(&s.origin, "demo", "tester"),
        ClientOptions {
            retry: RetryPolicy {
                max_retries: 50,
                base_delay: Duration::from_millis(10),
                max_delay: Duration::from_millis(50),
                max_retry_after: Duration::from_secs(5),
                max_total: Duration::from_millis(2500),
            },
            ..Default::default()
        },
    )
    .unwrap();
    let started = Instant::now();
    let err = c.get_user("u", Include::ALL).await.unwrap_err();
    assert_eq!(err.status(), Some(503));
    assert!(
        started.elapsed() < Duration::from_secs(4),
        "{:?}",
        started.elapsed()
    );
    // Retry-After: 1 allows attempts at 0, 1 and 2 s within 2.5 s.
    assert_eq!(s.hits.load(Ordering::SeqCst), 3);
}

#[tokio::test]
async fn redirects_are_not_followed() {
    let target = scripted(vec![Step(200, None, NOW)]).await;
    let location = format!("{}/v2/objects/demo/uuids/u", target.origin);
    let app = Router::new().fallback(move || {
        let location = location.clone();
        async move { (StatusCode::TEMPORARY_REDIRECT, [("location", location)], "") }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let mut k = Keyset::new(&origin, "demo", "tester");
    k.auth_key = Some(Secret::new("auth-TOPSECRET"));
    let c = Client::new(k).unwrap();
    let err = c.get_user("u", Include::ALL).await.unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
    let err = set_user(&c).await.unwrap_err();
    assert!(err.to_string().contains("redirect"), "{err}");
    assert_eq!(
        target.hits.load(Ordering::SeqCst),
        0,
        "nothing reached the target"
    );
}

/// Answers every request with `size` bytes of a JSON string, chunked or not.
async fn big_answer_server(size: usize, chunked: bool) -> String {
    let app = Router::new().fallback(move || async move {
        let body = format!("\"{}\"", "x".repeat(size));
        if chunked {
            let chunks: Vec<Result<Vec<u8>, std::io::Error>> = body
                .into_bytes()
                .chunks(64 * 1024)
                .map(|c| Ok(c.to_vec()))
                .collect();
            axum::body::Body::from_stream(futures::stream::iter(chunks)).into_response()
        } else {
            body.into_response()
        }
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    origin
}

#[tokio::test]
async fn answers_over_the_size_limit_are_refused() {
    for chunked in [false, true] {
        let origin = big_answer_server(3 * 1024 * 1024, chunked).await;
        let c = Client::with_options(
            Keyset::new(&origin, "demo", "tester"),
            ClientOptions {
                max_response_bytes: 1024 * 1024,
                retry: RetryPolicy::none(),
                ..Default::default()
            },
        )
        .unwrap();
        let err = c.get_user("u", Include::ALL).await.unwrap_err();
        assert!(
            err.to_string().contains("over the limit of 1048576"),
            "chunked {chunked}: {err}"
        );
    }
}
