//! Request heads the HTTP layer itself refuses (a request line or head too long, a
//! malformed head, a `Content-Length` that is not one number) are answered in PubNub's
//! error envelope, with `Content-Type: application/json`, a correct `Content-Length` and
//! `Connection: close`, and the connection is then closed; pipelined and kept-alive
//! requests, and heads arriving in small pieces, still work. Everything here talks raw
//! TCP to the real server, since an HTTP client would refuse to send most of it.

mod common;

use std::io::{Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::time::Duration;

use common::TestServer;
use serde_json::Value;

/// The server's limits (`appctx::server::head`), spelt out so this file says what
/// they are: the longest request line and the longest head.
const MAX_REQUEST_LINE: usize = 64 * 1024;
const MAX_HEAD: usize = 256 * 1024;

/// One HTTP answer.
#[derive(Debug)]
struct Answer {
    status: u16,
    headers: Vec<(String, String)>,
    body: Vec<u8>,
}

impl Answer {
    fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }

    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or_else(|_| {
            panic!(
                "{}: not JSON: {:.200}",
                self.status,
                String::from_utf8_lossy(&self.body)
            )
        })
    }
}

/// Sends `request` on a new connection (all at once, or in pieces of `piece` bytes with
/// a pause between them), and reads until the server closes the connection. Returns
/// every answer, in order.
fn exchange(addr: SocketAddr, request: Vec<u8>, piece: Option<usize>) -> Vec<Answer> {
    let mut conn = TcpStream::connect(addr).expect("connect");
    conn.set_nodelay(true).expect("nodelay");
    conn.set_read_timeout(Some(Duration::from_secs(30)))
        .expect("timeout");
    let mut writer = conn.try_clone().expect("clone");
    let sender = std::thread::spawn(move || {
        // The server may close before it has read everything: write errors are fine.
        match piece {
            None => {
                let _ = writer.write_all(&request);
            }
            Some(n) => {
                for p in request.chunks(n) {
                    if writer.write_all(p).is_err() {
                        break;
                    }
                    std::thread::sleep(Duration::from_millis(1));
                }
            }
        }
    });
    let mut raw = Vec::new();
    let mut chunk = [0u8; 64 * 1024];
    loop {
        match conn.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => raw.extend_from_slice(&chunk[..n]),
            Err(e)
                if matches!(
                    e.kind(),
                    std::io::ErrorKind::WouldBlock | std::io::ErrorKind::TimedOut
                ) =>
            {
                panic!(
                    "the server did not close the connection; got so far: {:.400}",
                    String::from_utf8_lossy(&raw)
                )
            }
            // A reset after the answers is a close too; the answers must be whole.
            Err(_) => break,
        }
    }
    sender.join().expect("sender");
    parse_answers(&raw)
}

/// Splits `raw` into answers framed by `Content-Length`.
fn parse_answers(mut raw: &[u8]) -> Vec<Answer> {
    let mut answers = Vec::new();
    while !raw.is_empty() {
        let text = String::from_utf8_lossy(raw);
        let head_end = text
            .find("\r\n\r\n")
            .unwrap_or_else(|| panic!("an answer without a whole head: {text:.400}"));
        let head = &text[..head_end];
        let mut lines = head.split("\r\n");
        let status_line = lines.next().expect("status line");
        let status: u16 = status_line
            .split(' ')
            .nth(1)
            .and_then(|s| s.parse().ok())
            .unwrap_or_else(|| panic!("status line: {status_line}"));
        let headers: Vec<(String, String)> = lines
            .map(|l| {
                let (n, v) = l.split_once(':').expect("header line");
                (n.trim().to_string(), v.trim().to_string())
            })
            .collect();
        let length: usize = headers
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case("content-length"))
            .unwrap_or_else(|| panic!("{status} without Content-Length: {head}"))
            .1
            .parse()
            .expect("Content-Length");
        let body_start = head_end + 4;
        assert!(
            raw.len() >= body_start + length,
            "{status}: Content-Length {length} but only {} body bytes",
            raw.len() - body_start
        );
        answers.push(Answer {
            status,
            headers,
            body: raw[body_start..body_start + length].to_vec(),
        });
        raw = &raw[body_start + length..];
    }
    answers
}

/// Checks `a` is PubNub's error envelope for `status`, as the last answer of a closed
/// connection, and returns its first detail.
fn envelope(a: &Answer, status: u16) -> Value {
    assert_eq!(
        a.status,
        status,
        "{:?} {}",
        a.headers,
        String::from_utf8_lossy(&a.body)
    );
    assert_eq!(a.header("content-type"), Some("application/json"), "{a:?}");
    assert_eq!(a.header("connection"), Some("close"), "{a:?}");
    let body = a.json();
    assert_eq!(body["status"], status, "{body}");
    assert_eq!(body["error"]["source"], "objects", "{body}");
    assert!(
        body["error"]["message"]
            .as_str()
            .is_some_and(|m| !m.is_empty()),
        "{body}"
    );
    body["error"]["details"][0].clone()
}

/// Runs blocking socket code off the test's runtime.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    tokio::task::spawn_blocking(f).await.expect("probe")
}

fn get(path: &str, extra: &str) -> Vec<u8> {
    format!("GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n").into_bytes()
}

fn patch(path: &str, body: &str, extra: &str) -> Vec<u8> {
    format!(
        "PATCH {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\n{extra}\r\n{body}",
        body.len()
    )
    .into_bytes()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_one_megabyte_filter_is_a_414_envelope() {
    let server = TestServer::start().await;
    let addr = server.server.addr;
    blocking(move || {
        let filter = format!("name%3D%3D%22{}%22", "a".repeat(1 << 20));
        let answers = exchange(
            addr,
            get(&format!("/v2/objects/demo/uuids?filter={filter}"), ""),
            None,
        );
        assert_eq!(answers.len(), 1, "{answers:?}");
        let detail = envelope(&answers[0], 414);
        assert_eq!(detail["location"], "uri", "{detail}");

        // Just over the limit: 414; just under: the request goes through (and its
        // filter is refused by the handler, also in the envelope).
        let line = |target_len: usize| {
            let prefix = "/v2/objects/demo/uuids?filter=";
            let target = format!("{prefix}{}", "a".repeat(target_len - prefix.len()));
            get(&target, "Connection: close\r\n")
        };
        // "GET " + target + " HTTP/1.1\r\n" is 15 bytes more than the target.
        let over = exchange(addr, line(MAX_REQUEST_LINE - 14), None);
        assert_eq!(over.len(), 1, "{over:?}");
        envelope(&over[0], 414);
        let under = exchange(addr, line(MAX_REQUEST_LINE - 15), None);
        assert_eq!(under.len(), 1, "{under:?}");
        assert_eq!(under[0].status, 400, "{under:?}");
        assert_eq!(under[0].json()["error"]["details"][0]["location"], "filter");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_over_the_limits_are_431_envelopes() {
    let server = TestServer::start().await;
    let addr = server.server.addr;
    blocking(move || {
        // More headers than hyper's 100.
        let many: String = (0..=100).map(|i| format!("X-Many-{i}: 1\r\n")).collect();
        let answers = exchange(addr, get("/time/0", &many), None);
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(envelope(&answers[0], 431)["location"], "headers");

        // Headers of 10 KiB each: over the limit, and over hyper's own buffer.
        let padded = |total: usize| -> String {
            (0..total / 10240)
                .map(|i| format!("X-Pad-{i}: {}\r\n", "p".repeat(10240 - 16)))
                .collect()
        };
        for total in [MAX_HEAD + 20 * 1024, 500 * 1024] {
            let answers = exchange(addr, get("/time/0", &padded(total)), None);
            assert_eq!(answers.len(), 1, "{total}: {answers:?}");
            assert_eq!(envelope(&answers[0], 431)["location"], "headers");
        }

        // Under the limit: answered as usual.
        let answers = exchange(
            addr,
            get(
                "/time/0",
                &(padded(MAX_HEAD - 20 * 1024) + "Connection: close\r\n"),
            ),
            None,
        );
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(answers[0].status, 200, "{answers:?}");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn malformed_heads_are_400_envelopes() {
    let server = TestServer::start().await;
    let addr = server.server.addr;
    blocking(move || {
        let body = r#"{"name":"x"}"#;
        let with = |headers: &str| {
            format!(
                "PATCH /v2/objects/demo/uuids/u1 HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}\r\n\r\n{body}"
            )
            .into_bytes()
        };
        for (headers, location) in [
            ("Content-Length: -1", "Content-Length"),
            ("Content-Length: abc", "Content-Length"),
            ("Content-Length: 12\r\nContent-Length: 13", "Content-Length"),
            ("Content-Length: 12, 12", "Content-Length"),
            ("Content-Length: 99999999999999999999", "Content-Length"),
            (
                "Content-Length: 12\r\nTransfer-Encoding: chunked",
                "Transfer-Encoding",
            ),
            ("Transfer-Encoding: gzip", "Transfer-Encoding"),
            ("Bad Header: 1\r\nContent-Length: 12", "headers"),
        ] {
            let answers = exchange(addr, with(headers), None);
            assert_eq!(answers.len(), 1, "{headers}: {answers:?}");
            assert_eq!(
                envelope(&answers[0], 400)["location"],
                location,
                "{headers}"
            );
        }
        // A request target hyper's URI parser refuses.
        let answers = exchange(addr, get("/v2/objects/demo/uuids/<u1>", ""), None);
        assert_eq!(answers.len(), 1, "{answers:?}");
        assert_eq!(envelope(&answers[0], 400)["location"], "path");
    })
    .await;
}

/// Two writes with bodies and two reads, then a refused head, then a request that must
/// not be answered.
fn pipeline() -> Vec<u8> {
    let mut all = Vec::new();
    all.extend(patch("/v2/objects/demo/uuids/u1", r#"{"name":"Ann"}"#, ""));
    all.extend(get("/v2/objects/demo/uuids/u1", ""));
    all.extend(patch(
        "/v2/objects/demo/channels/c1",
        r#"{"name":"Chan","description":"a channel with a longer body"}"#,
        "",
    ));
    all.extend(get("/v2/objects/demo/channels/c1", ""));
    all.extend(get("/time/0", "Content-Length: -1\r\n"));
    all.extend(get("/time/0", ""));
    all
}

fn check_pipeline(answers: &[Answer]) {
    let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
    assert_eq!(statuses, [200, 200, 200, 200, 400], "{answers:?}");
    assert_eq!(answers[1].json()["data"]["name"], "Ann");
    assert_eq!(answers[3].json()["data"]["name"], "Chan");
    for a in &answers[..4] {
        assert_ne!(a.header("connection"), Some("close"), "{a:?}");
    }
    assert_eq!(envelope(&answers[4], 400)["location"], "Content-Length");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pipelined_requests_after_bodies_are_answered_in_order() {
    let server = TestServer::start().await;
    let addr = server.server.addr;
    blocking(move || {
        check_pipeline(&exchange(addr, pipeline(), None));

        // A chunked body: answered, and the connection stays usable.
        let mut chunked = b"PATCH /v2/objects/demo/uuids/u2 HTTP/1.1\r\nHost: 127.0.0.1\r\nTransfer-Encoding: chunked\r\n\r\n".to_vec();
        chunked.extend(b"5\r\n{\"nam\r\n8\r\ne\":\"Bo\"}\r\n0\r\n\r\n");
        chunked.extend(get("/v2/objects/demo/uuids/u2", "Connection: close\r\n"));
        let answers = exchange(addr, chunked, None);
        let statuses: Vec<u16> = answers.iter().map(|a| a.status).collect();
        assert_eq!(statuses, [200, 200], "{answers:?}");
        assert_eq!(answers[1].json()["data"]["name"], "Bo");
    })
    .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn heads_dripped_in_small_pieces_still_work() {
    let server = TestServer::start().await;
    let addr = server.server.addr;
    blocking(move || {
        for piece in [1, 3, 7] {
            check_pipeline(&exchange(addr, pipeline(), Some(piece)));
        }
    })
    .await;
}
