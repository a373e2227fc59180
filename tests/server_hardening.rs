//! The local server under hostile or careless clients: every rejection in PubNub's
//! error envelope, limits checked where they cannot be raced, no request able to hold
//! the server, one process per database, and signatures that cannot be replayed
//! elsewhere.

mod common;

use std::time::{Duration, Instant};

use appctx::api::signature::{canonical_query, encode, sign_v2};
use appctx::api::types::Custom;
use appctx::server::events::EventConfig;
use appctx::server::model::{Kind, ObjectRow};
use appctx::server::signing::Keys;
use appctx::server::store::Store;
use appctx::server::{self, Limits, RunningServer, ServerConfig};
use common::TestServer;
use reqwest::header::{HeaderValue, IF_MATCH};
use serde_json::{json, Value};

/// Sends a request and returns the status and the body, which must be PubNub's error
/// envelope or a JSON answer.
async fn send(req: reqwest::RequestBuilder) -> (u16, Value) {
    let res = req.send().await.expect("server answers");
    let status = res.status().as_u16();
    let ctype = res
        .headers()
        .get("content-type")
        .and_then(|v| v.to_str().ok())
        .unwrap_or("")
        .to_string();
    let text = res.text().await.expect("body");
    let body = serde_json::from_str(&text)
        .unwrap_or_else(|_| panic!("{status} {ctype}: not JSON: {text:.200}"));
    (status, body)
}

/// Checks `body` is the error envelope for `status` and returns its first detail.
fn envelope(status: u16, body: &Value) -> Value {
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["error"]["source"], "objects", "{body}");
    assert!(body["error"]["message"].is_string(), "{body}");
    body["error"]["details"][0].clone()
}

/// `?k=v&…`, encoded as PubNub clients do (a space is `%20`, never `+`).
fn query(pairs: &[(&str, &str)]) -> String {
    let parts: Vec<String> = pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect();
    format!("?{}", parts.join("&"))
}

fn objects(server: &TestServer, sub: &str) -> String {
    format!("{}/v2/objects/{sub}", server.origin())
}

#[tokio::test]
async fn invalid_utf8_in_the_path_or_query_is_a_400_envelope() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let base = objects(&server, "utf8");
    let (s, b) = send(http.get(format!("{base}/uuids/%FF%FE"))).await;
    assert_eq!(s, 400);
    assert_eq!(envelope(400, &b)["locationType"], "path");
    // Lossy decoding would look for a name equal to U+FFFD and answer 200.
    let (s, b) = send(http.get(format!("{base}/uuids?filter=name%20%3D%3D%20%27%FF%27"))).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(envelope(400, &b)["location"], "filter");
    let (s, b) = send(
        http.patch(format!("{base}/uuids/u1?include=custom&x=%C3"))
            .body(r#"{"name":"A"}"#),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(envelope(400, &b)["locationType"], "query");
    let (s, _) = send(http.get(format!("{base}/uuids/u1"))).await;
    assert_eq!(s, 404, "nothing was written");
}

#[tokio::test]
async fn a_body_over_the_limit_is_a_413_envelope() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let big = format!(r#"{{"name":"{}"}}"#, "x".repeat(5 << 20));
    let (s, b) = send(
        http.patch(format!("{}/uuids/u1", objects(&server, "big")))
            .header("content-type", "application/json")
            .body(big),
    )
    .await;
    assert_eq!(s, 413);
    assert_eq!(envelope(413, &b)["locationType"], "body");
}

#[tokio::test]
async fn long_filters_and_repeated_sort_keys_are_400_envelopes() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let base = objects(&server, "sizes");
    // The longest query the HTTP layer reads whole (its URI limit is 64 KiB).
    let filter = format!("name == '{}'", "a".repeat(60_000));
    let (s, b) = send(http.get(format!("{base}/uuids{}", query(&[("filter", &filter)])))).await;
    assert_eq!(s, 400);
    assert_eq!(envelope(400, &b)["location"], "filter");
    // More sort keys than there are fields: each field may come once.
    let sort = vec!["name"; 1001].join(",");
    let (s, b) = send(http.get(format!("{base}/uuids{}", query(&[("sort", &sort)])))).await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(envelope(400, &b)["location"], "sort");
    let (s, _) = send(http.get(format!("{base}/uuids?sort=name:desc&sort=id,updated"))).await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn subscribe_keys_are_checked_on_every_route() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let origin = server.origin();
    let long = "k".repeat(93);
    for path in [
        format!("/v2/objects/{long}/uuids"),
        "/v2/objects/a%20b/uuids/u1".to_string(),
        "/v2/objects/%C3%A9/channels".to_string(),
        format!("/v2/subscribe/{long}/ch/0"),
        "/v2/presence/sub-key/a%2Fb/channel/ch/heartbeat".to_string(),
    ] {
        let (s, b) = send(http.get(format!("{origin}{path}"))).await;
        assert_eq!(s, 400, "{path}: {b}");
        assert_eq!(envelope(400, &b)["location"], "subKey", "{path}");
    }
    let (s, _) = send(http.get(format!(
        "{origin}/v2/objects/sub-c-0123abcd-ef01-2345-6789-abcdef012345/uuids"
    )))
    .await;
    assert_eq!(s, 200);
}

#[tokio::test]
async fn a_non_ascii_if_match_is_a_400_and_writes_nothing() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/uuids/u1", objects(&server, "ifm"));
    let (s, first) = send(http.patch(&url).body(r#"{"name":"Ann"}"#)).await;
    assert_eq!(s, 200);
    let tag = HeaderValue::from_bytes(b"\xe9tag").expect("obs-text is a valid header value");
    let (s, b) = send(
        http.patch(&url)
            .header(IF_MATCH, tag)
            .body(r#"{"name":"Bob"}"#),
    )
    .await;
    assert_eq!(s, 400, "{b}");
    let detail = envelope(400, &b);
    assert_eq!(
        (detail["location"].as_str(), detail["locationType"].as_str()),
        (Some("If-Match"), Some("header"))
    );
    let (_, now) = send(http.get(&url)).await;
    assert_eq!(now["data"]["name"], "Ann");
    assert_eq!(now["data"]["eTag"], first["data"]["eTag"]);
}

// Several worker threads, as `appctx serve` has, so the two PATCHes really overlap.
#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn racing_patches_cannot_store_a_record_over_the_limit() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let base = objects(&server, "race");
    // Each half fits alone (20 KB); both together do not (40 KB > 32 KiB).
    let name = json!({ "name": "n".repeat(20_000) }).to_string();
    let custom = json!({ "custom": { "blob": "c".repeat(20_000) } }).to_string();
    for round in 0..40 {
        let url = format!("{base}/uuids/r{round}");
        let a = send(http.patch(&url).body(name.clone()));
        let b = send(http.patch(&url).body(custom.clone()));
        let ((sa, _), (sb, _)) = tokio::join!(a, b);
        let mut statuses = [sa, sb];
        statuses.sort();
        assert_eq!(statuses, [200, 400], "round {round}: exactly one fits");
        let (_, got) = send(http.get(format!("{url}?include=custom"))).await;
        let size = got["data"].to_string().len();
        assert!(size <= 32 * 1024, "round {round}: stored {size} bytes");
    }
}

/// A server whose keyset `slow` holds `n` users with a 1 KB custom value each, loaded
/// straight into the database before it starts.
async fn seeded(n: usize, limits: Limits) -> (RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("seeded.db");
    {
        let store = Store::open(&db, false).expect("store");
        let rows: Vec<(Kind, ObjectRow)> = (0..n)
            .map(|i| {
                let mut custom = Custom::new();
                custom.insert("blob".into(), json!(format!("{i:06}{}", "a".repeat(1000))));
                let row = ObjectRow {
                    id: format!("u{i:06}"),
                    name: Some(format!("User {i}")),
                    custom: Some(custom),
                    updated: 1_700_000_000_000_000,
                    etag: "e".into(),
                    ..Default::default()
                };
                (Kind::User, row)
            })
            .collect();
        store.bulk_load("slow", &rows, &[]).expect("load");
    }
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        db,
        empty: true,
        referential_integrity: false,
        signing: None,
        log_requests: false,
    };
    let server = server::start_with(config, EventConfig::default(), limits)
        .await
        .expect("server starts");
    (server, dir)
}

/// 140 LIKE comparisons on a custom field: every row is parsed 140 times.
fn slow_filter() -> String {
    (0..140)
        .map(|i| format!("custom.blob LIKE '*q{i}*'"))
        .collect::<Vec<_>>()
        .join(" || ")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_slow_filter_is_stopped_by_the_query_budget_with_a_503() {
    let limits = Limits {
        query_budget: Duration::from_millis(200),
        ..Default::default()
    };
    let (server, _dir) = seeded(20_000, limits).await;
    let http = reqwest::Client::new();
    let started = Instant::now();
    let (s, b) = send(http.get(format!(
        "{}/v2/objects/slow/uuids{}",
        server.origin(),
        query(&[("filter", &slow_filter()), ("count", "true")])
    )))
    .await;
    assert_eq!(s, 503, "{b}");
    envelope(503, &b);
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "{:?}",
        started.elapsed()
    );
    // A filter with too many comparisons is refused before it runs.
    let many = vec!["name == 'x'"; 201].join(" || ");
    let (s, b) = send(http.get(format!(
        "{}/v2/objects/slow/uuids{}",
        server.origin(),
        query(&[("filter", &many)])
    )))
    .await;
    assert_eq!(s, 400, "{b}");
    assert_eq!(envelope(400, &b)["location"], "filter");
}

/// `GET /time/0` over a plain socket from its own OS thread, so the measurement does
/// not depend on the (possibly stalled) tokio runtime: how long the answer took.
fn probe_time(addr: std::net::SocketAddr) -> Duration {
    use std::io::{Read, Write};
    let started = Instant::now();
    let mut conn = std::net::TcpStream::connect(addr).expect("connect");
    conn.set_read_timeout(Some(Duration::from_secs(20)))
        .expect("timeout");
    conn.write_all(b"GET /time/0 HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
        .expect("send");
    let mut answer = String::new();
    conn.read_to_string(&mut answer).expect("answer");
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    started.elapsed()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn time_answers_while_slow_lists_and_gets_run() {
    let limits = Limits {
        query_budget: Duration::from_secs(4),
        ..Default::default()
    };
    let (server, _dir) = seeded(20_000, limits).await;
    let http = reqwest::Client::new();
    let origin = server.origin();
    let mut busy = Vec::new();
    // More slow lists than reader connections, then GETs queued behind them.
    for _ in 0..6 {
        let req = http.get(format!(
            "{origin}/v2/objects/slow/uuids{}",
            query(&[("filter", &slow_filter())])
        ));
        busy.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    tokio::time::sleep(Duration::from_millis(200)).await;
    for i in 0..6 {
        let req = http.get(format!("{origin}/v2/objects/slow/uuids/u{i:06}"));
        busy.push(tokio::spawn(
            async move { req.send().await.map(|r| r.status()) },
        ));
    }
    let addr = server.addr;
    let probes = std::thread::spawn(move || {
        (0..3)
            .map(|_| {
                std::thread::sleep(Duration::from_millis(300));
                probe_time(addr)
            })
            .collect::<Vec<_>>()
    })
    .join()
    .expect("probe thread");
    for took in probes {
        assert!(took < Duration::from_millis(500), "/time/0 took {took:?}");
    }
    for task in busy {
        let status = task.await.expect("task").expect("answered");
        assert!([200, 503].contains(&status.as_u16()), "{status}");
    }
}

/// Starts `appctx serve` on `db` and a free port with `env`; returns the child and,
/// once it announced itself, its origin (or `None` and everything it printed when it
/// exited instead).
fn spawn_serve(
    db: &std::path::Path,
    args: &[&str],
    env: &[(&str, &str)],
) -> (std::process::Child, Result<String, String>) {
    use std::io::{BufRead, BufReader};
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_appctx"));
    cmd.args(["serve", "--listen", "127.0.0.1:0", "--empty", "--db"])
        .arg(db)
        .args(args)
        .env_remove("PUBNUB_SECRET_KEY")
        .env_remove("PUBNUB_PUBLISH_KEY")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped());
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().expect("appctx serve runs");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let mut printed = Vec::new();
    loop {
        match lines.next() {
            Some(Ok(line)) => {
                if let Some(rest) = line.split("App Context on ").nth(1) {
                    let origin = rest.split_whitespace().next().unwrap_or("").to_string();
                    std::thread::spawn(move || for _ in lines {});
                    return (child, Ok(origin));
                }
                printed.push(line);
            }
            _ => return (child, Err(printed.join("\n"))),
        }
    }
}

#[tokio::test]
async fn a_second_server_on_the_same_database_refuses_to_start() {
    let dir = tempfile::tempdir().expect("temp dir");
    let db = dir.path().join("shared.db");
    let (mut first, origin) = spawn_serve(&db, &[], &[]);
    let origin = origin.expect("the first server starts");
    let (mut second, refused) = spawn_serve(&db, &[], &[]);
    let printed = refused.expect_err("the second server must not start");
    let status = second.wait().expect("second exits");
    assert!(!status.success());
    assert_eq!(printed.lines().count(), 1, "one line: {printed}");
    assert!(
        printed.contains("in use by another appctx server") && printed.contains("shared.db"),
        "{printed}"
    );
    // The first one is unaffected and still writes.
    let (s, _) = send(
        reqwest::Client::new()
            .patch(format!("{origin}/v2/objects/k/uuids/u1"))
            .body(r#"{"name":"A"}"#),
    )
    .await;
    assert_eq!(s, 200);
    first.kill().expect("kill");
    let _ = first.wait();
    // Once it is gone, the database is free again.
    let (mut third, origin) = spawn_serve(&db, &[], &[]);
    assert!(origin.is_ok(), "{origin:?}");
    third.kill().expect("kill");
    let _ = third.wait();
}

fn keys() -> Keys {
    Keys {
        publish_key: "pub-c-hard".into(),
        secret_key: "sec-c-hard".into(),
    }
}

fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .expect("clock")
        .as_secs()
}

/// `?query&signature=…` for `pairs` as sent, signed over `signed_path`.
fn signed_query(signed_path: &str, method: &str, pairs: &[(&str, &str)]) -> String {
    let k = keys();
    let canonical = canonical_query(pairs.iter().copied());
    let sig = sign_v2(
        &k.secret_key,
        &k.publish_key,
        method,
        signed_path,
        &canonical,
        b"",
    );
    format!("?{canonical}&signature={}", encode(&sig))
}

#[tokio::test]
async fn signatures_bind_the_order_of_repeated_keys_and_the_route() {
    let server = TestServer::start_with(|c| c.signing = Some(keys())).await;
    let http = reqwest::Client::new();
    let origin = server.origin();
    let ts = unix_now().to_string();
    let path = "/v2/objects/sig/uuids";
    let sent = signed_query(
        path,
        "GET",
        &[("sort", "name"), ("sort", "id"), ("timestamp", &ts)],
    );
    let (s, b) = send(http.get(format!("{origin}{path}{sent}"))).await;
    assert_eq!(s, 200, "signed as sent: {b}");
    // The same signature with the sort keys swapped asks for another order.
    let swapped = sent.replacen("sort=name&sort=id", "sort=id&sort=name", 1);
    assert_ne!(swapped, sent);
    let (s, b) = send(http.get(format!("{origin}{path}{swapped}"))).await;
    assert_eq!(s, 403, "{b}");
    // Signed for the members of channel c1, sent to channel 'c1/uuids'.
    let members = "/v2/objects/sig/channels/c1/uuids";
    let q = signed_query(members, "GET", &[("timestamp", &ts)]);
    let (s, _) = send(http.get(format!("{origin}{members}{q}"))).await;
    assert_eq!(s, 200);
    let (s, b) = send(http.get(format!("{origin}/v2/objects/sig/channels/c1%2Fuuids{q}"))).await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(envelope(403, &b)["location"], "signature");
    // The Python SDK's form (signed before encoding the id) still verifies.
    let spaced = "/v2/objects/sig/uuids/user name";
    let q = signed_query(spaced, "GET", &[("timestamp", &ts)]);
    let (s, b) = send(http.get(format!("{origin}/v2/objects/sig/uuids/user%20name{q}"))).await;
    assert_eq!(s, 404, "verified, then not found: {b}");
}

#[tokio::test]
async fn extreme_timestamps_are_refused_not_overflowed() {
    let server = TestServer::start_with(|c| c.signing = Some(keys())).await;
    let http = reqwest::Client::new();
    let path = "/v2/objects/sig/uuids";
    for ts in [i64::MIN.to_string(), i64::MAX.to_string(), "-1".to_string()] {
        let q = signed_query(path, "GET", &[("timestamp", &ts)]);
        let (s, b) = send(http.get(format!("{}{path}{q}", server.origin()))).await;
        assert_eq!(s, 403, "{ts}: {b}");
        assert_eq!(envelope(403, &b)["location"], "timestamp");
    }
}

#[tokio::test]
async fn serve_takes_its_secret_from_the_environment() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, origin) = spawn_serve(
        &dir.path().join("env.db"),
        &[],
        &[
            ("PUBNUB_PUBLISH_KEY", "pub-c-hard"),
            ("PUBNUB_SECRET_KEY", "sec-c-hard"),
        ],
    );
    let origin = origin.expect("serve starts");
    let http = reqwest::Client::new();
    let path = "/v2/objects/env/uuids";
    let (s, _) = send(http.get(format!("{origin}{path}"))).await;
    assert_eq!(s, 403, "unsigned requests are refused");
    let q = signed_query(path, "GET", &[("timestamp", &unix_now().to_string())]);
    let (s, _) = send(http.get(format!("{origin}{path}{q}"))).await;
    assert_eq!(s, 200);
    child.kill().expect("kill");
    let _ = child.wait();
}

#[tokio::test]
async fn a_loopback_server_answers_only_loopback_host_names() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/v2/objects/host/uuids", server.origin());
    let port = server.server.addr.port();
    for host in ["evil.example", "evil.example:80", "localhost.evil.example"] {
        let (s, b) = send(http.get(&url).header("host", host)).await;
        assert_eq!(s, 403, "{host}: {b}");
        assert_eq!(envelope(403, &b)["location"], "Host");
    }
    for host in [format!("localhost:{port}"), format!("127.0.0.1:{port}")] {
        let (s, _) = send(http.get(&url).header("host", host.as_str())).await;
        assert_eq!(s, 200, "{host}");
    }
}

#[tokio::test]
async fn subscribe_answers_carry_no_cors_origin_unless_one_is_allowed() {
    let subscribe = |origin: String| async move {
        reqwest::get(format!("{origin}/v2/subscribe/cors/ch/0?tt=0"))
            .await
            .expect("subscribe answers")
    };
    let server = TestServer::start().await;
    let res = subscribe(server.origin()).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers().get("access-control-allow-origin").is_none());
    let dir = tempfile::tempdir().expect("temp dir");
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        db: dir.path().join("cors.db"),
        empty: true,
        referential_integrity: false,
        signing: None,
        log_requests: false,
    };
    let limits = Limits {
        allow_origin: Some("http://localhost:3000".into()),
        ..Default::default()
    };
    let allowed = server::start_with(config, EventConfig::default(), limits)
        .await
        .expect("server starts");
    let res = subscribe(allowed.origin()).await;
    assert_eq!(
        res.headers()
            .get("access-control-allow-origin")
            .map(|v| v.as_bytes()),
        Some(&b"http://localhost:3000"[..])
    );
}

/// A server with the given connection bounds.
async fn bounded(
    max_connections: usize,
    header_timeout: Duration,
) -> (RunningServer, tempfile::TempDir) {
    let dir = tempfile::tempdir().expect("temp dir");
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        db: dir.path().join("conn.db"),
        empty: true,
        referential_integrity: false,
        signing: None,
        log_requests: false,
    };
    let limits = Limits {
        max_connections,
        header_timeout,
        ..Default::default()
    };
    let server = server::start_with(config, EventConfig::default(), limits)
        .await
        .expect("server starts");
    (server, dir)
}

/// Whether the server closed `conn` within `within` (reads give EOF or a reset).
fn closed_within(conn: &mut std::net::TcpStream, within: Duration) -> bool {
    use std::io::Read;
    conn.set_read_timeout(Some(within)).expect("timeout");
    let mut buf = [0u8; 4096];
    loop {
        match conn.read(&mut buf) {
            Ok(0) => return true,
            // An answer (e.g. a 408) before closing is fine; keep reading.
            Ok(_) => continue,
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                return false
            }
            Err(_) => return true,
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn slow_and_idle_connections_are_closed() {
    use std::io::Write;
    let (server, _dir) = bounded(512, Duration::from_millis(300)).await;
    let addr = server.addr;
    tokio::task::spawn_blocking(move || {
        // A head dripping in, one byte at a time.
        let mut slow = std::net::TcpStream::connect(addr).expect("connect");
        slow.write_all(b"GET /time/0 HTTP/1.1\r\nHo").expect("send");
        assert!(
            closed_within(&mut slow, Duration::from_secs(3)),
            "a slow head is cut off"
        );
        // A kept-alive connection that goes quiet after one answer.
        let mut idle = std::net::TcpStream::connect(addr).expect("connect");
        idle.write_all(b"GET /time/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            .expect("send");
        assert!(
            closed_within(&mut idle, Duration::from_secs(3)),
            "an idle connection is closed"
        );
        // A whole head, then a body that never finishes: 408 in the envelope.
        let mut drip = std::net::TcpStream::connect(addr).expect("connect");
        drip.write_all(
            b"PATCH /v2/objects/k/uuids/u1 HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n\r\n{\"na",
        )
        .expect("send");
        drip.set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let mut answer = String::new();
        let _ = std::io::Read::read_to_string(&mut drip, &mut answer);
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
        assert!(answer.contains(r#""status":408"#), "{answer}");
    })
    .await
    .expect("probe");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn connections_over_the_cap_are_closed_at_once() {
    let (server, _dir) = bounded(4, Duration::from_secs(30)).await;
    let addr = server.addr;
    let origin = server.origin();
    let held: Vec<_> = (0..4)
        .map(|_| std::net::TcpStream::connect(addr).expect("connect"))
        .collect();
    tokio::time::sleep(Duration::from_millis(200)).await;
    let answered = tokio::task::spawn_blocking(move || {
        let mut extra = std::net::TcpStream::connect(addr).expect("connect");
        closed_within(&mut extra, Duration::from_secs(2))
    })
    .await
    .expect("probe");
    assert!(answered, "a fifth connection is closed, not held");
    drop(held);
    tokio::time::sleep(Duration::from_millis(200)).await;
    let res = reqwest::get(format!("{origin}/time/0"))
        .await
        .expect("answers");
    assert_eq!(res.status(), 200, "slots come back when connections close");
}

#[tokio::test]
async fn a_membership_is_measured_as_stored_not_as_sent() {
    let server = TestServer::start().await;
    let http = reqwest::Client::new();
    let url = format!("{}/uuids/u1/channels", objects(&server, "relsize"));
    // The entry alone fits; stored with its eTag, updated and the status kept from
    // before, it would not.
    let (s, _) = send(
        http.patch(&url)
            .body(json!({"set": [{"channel": {"id": "c"}, "status": "s".repeat(50)}]}).to_string()),
    )
    .await;
    assert_eq!(s, 200);
    let blob = "x".repeat(32 * 1024 - 60);
    let entry = json!({"channel": {"id": "c"}, "custom": {"b": blob}});
    assert!(entry.to_string().len() <= 32 * 1024);
    let (s, b) = send(http.patch(&url).body(json!({ "set": [entry] }).to_string())).await;
    assert_eq!(s, 400, "{b:.300}");
    assert_eq!(envelope(400, &b)["location"], "set[0]");
    let (_, list) = send(http.get(format!("{url}?include=custom,status"))).await;
    assert!(list["data"][0]["custom"].is_null(), "nothing was written");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_signed_server_does_not_wait_for_a_body_that_never_comes() {
    use std::io::Write;
    let dir = tempfile::tempdir().expect("temp dir");
    let config = ServerConfig {
        listen: "127.0.0.1:0".parse().expect("addr"),
        db: dir.path().join("drip.db"),
        empty: true,
        referential_integrity: false,
        signing: Some(keys()),
        log_requests: false,
    };
    let limits = Limits {
        header_timeout: Duration::from_millis(300),
        ..Default::default()
    };
    let server = server::start_with(config, EventConfig::default(), limits)
        .await
        .expect("server starts");
    let addr = server.addr;
    let answer = tokio::task::spawn_blocking(move || {
        // A GET announcing a body it never sends: the signature check reads bodies.
        let mut drip = std::net::TcpStream::connect(addr).expect("connect");
        drip.write_all(
            b"GET /v2/objects/k/uuids HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 10\r\n\r\n",
        )
        .expect("send");
        drip.set_read_timeout(Some(Duration::from_secs(3)))
            .expect("timeout");
        let mut answer = String::new();
        let _ = std::io::Read::read_to_string(&mut drip, &mut answer);
        answer
    })
    .await
    .expect("probe");
    assert!(answer.starts_with("HTTP/1.1 408"), "{answer}");
}

#[tokio::test]
async fn serve_applies_its_keyset_settings_flags() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, origin) = spawn_serve(
        &dir.path().join("settings.db"),
        &["--disallow-get-all", "--no-events", "user,membership"],
        &[],
    );
    let origin = origin.expect("serve starts");
    let http = reqwest::Client::new();
    let o = format!("{origin}/v2/objects/settings");
    let (s, b) = send(http.get(format!("{o}/uuids"))).await;
    assert_eq!(s, 403, "{b}");
    assert_eq!(b["service"], "Access Manager");
    let (s, _) = send(http.get(format!("{o}/channels"))).await;
    assert_eq!(s, 403);
    // Events: the handshake's timetoken, three writes, then only the channel event.
    let sub = format!("{origin}/v2/subscribe/settings/u1,c1/0");
    let (_, hs) = send(http.get(format!("{sub}?uuid=w"))).await;
    let tt = hs["t"]["t"].as_str().expect("tt").to_string();
    for (path, body) in [
        ("/uuids/u1", json!({"name": "U"})),
        (
            "/uuids/u1/channels",
            json!({"set": [{"channel": {"id": "c1"}}]}),
        ),
        ("/channels/c1", json!({"name": "C"})),
    ] {
        let (s, _) = send(http.patch(format!("{o}{path}")).json(&body)).await;
        assert_eq!(s, 200, "{path}");
    }
    let (_, got) = send(http.get(format!("{sub}?uuid=w&tt={tt}"))).await;
    let types: Vec<&str> = got["m"]
        .as_array()
        .expect("messages")
        .iter()
        .map(|m| m["d"]["type"].as_str().unwrap_or_default())
        .collect();
    assert_eq!(types, ["channel"], "{got}");
    child.kill().expect("kill");
    let _ = child.wait();
}

/// `serve --max-connections N` holds N connections and closes the next at once.
#[tokio::test]
async fn serve_holds_as_many_connections_as_max_connections_says() {
    let dir = tempfile::tempdir().expect("temp dir");
    let (mut child, origin) = spawn_serve(
        &dir.path().join("cap.db"),
        &["--max-connections", "3", "--quiet"],
        &[],
    );
    let origin = origin.expect("serve starts");
    let addr = origin.trim_start_matches("http://").to_string();
    tokio::task::spawn_blocking(move || {
        use std::io::Write;
        let mut held: Vec<std::net::TcpStream> = (0..3)
            .map(|_| std::net::TcpStream::connect(&addr).expect("connect"))
            .collect();
        // Each of the three answers a request, so the server holds them all.
        for conn in &mut held {
            conn.write_all(b"GET /time/0 HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
                .expect("send");
            conn.set_read_timeout(Some(Duration::from_secs(5)))
                .expect("timeout");
            let mut buf = [0u8; 512];
            let n = std::io::Read::read(conn, &mut buf).expect("answer");
            assert!(
                buf[..n].starts_with(b"HTTP/1.1 200"),
                "held connections answer"
            );
        }
        let mut fourth = std::net::TcpStream::connect(&addr).expect("connect");
        assert!(
            closed_within(&mut fourth, Duration::from_secs(3)),
            "the fourth connection is closed at once"
        );
        drop(held);
    })
    .await
    .expect("probe");
    let _ = child.kill();
    let _ = child.wait();
}
