//! The request log of the real `appctx serve` process: one line per request on stderr
//! by default, in a file with `--log FILE`, none with `--quiet`.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Starts `appctx serve` with `extra` flags; returns the child, its origin and every
/// stderr line it prints from then on.
fn spawn_server(db: &std::path::Path, extra: &[&str]) -> (Child, String, Arc<Mutex<Vec<String>>>) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["serve", "--listen", "127.0.0.1:0", "--empty", "--db"])
        .arg(db)
        .args(extra)
        .env_remove("PUBNUB_SECRET_KEY")
        .env_remove("PUBNUB_PUBLISH_KEY")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .expect("appctx serve starts");
    let stderr = child.stderr.take().expect("stderr");
    let mut lines = BufReader::new(stderr).lines();
    let origin = loop {
        let line = lines
            .next()
            .expect("server prints its address")
            .expect("utf-8");
        if let Some(rest) = line.split("App Context on ").nth(1) {
            break rest.split_whitespace().next().expect("origin").to_string();
        }
    };
    let seen = Arc::new(Mutex::new(Vec::new()));
    let sink = seen.clone();
    std::thread::spawn(move || {
        for line in lines.map_while(Result::ok) {
            sink.lock().unwrap().push(line);
        }
    });
    (child, origin, seen)
}

async fn requests(origin: &str) {
    let http = reqwest::Client::new();
    for i in 0..5 {
        let res = http
            .get(format!("{origin}/v2/objects/logtest/uuids/u-{i}"))
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 404);
    }
    let res = http
        .get(format!("{origin}/v2/objects/logtest/uuids"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
}

/// Waits until `check` holds, for up to 5 s.
fn eventually(mut check: impl FnMut() -> bool) -> bool {
    let deadline = Instant::now() + Duration::from_secs(5);
    while Instant::now() < deadline {
        if check() {
            return true;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    check()
}

fn request_lines(lines: &[String]) -> Vec<&String> {
    lines
        .iter()
        .filter(|l| l.starts_with("GET /v2/objects/logtest/"))
        .collect()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn default_log_goes_to_stderr_one_line_per_request() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, origin, stderr) = spawn_server(&dir.path().join("a.db"), &[]);
    requests(&origin).await;
    let ok = eventually(|| request_lines(&stderr.lock().unwrap()).len() == 6);
    child.kill().unwrap();
    child.wait().unwrap();
    let lines = stderr.lock().unwrap().clone();
    assert!(ok, "{lines:?}");
    assert!(
        request_lines(&lines)[0].starts_with("GET /v2/objects/logtest/uuids/u-0 404 "),
        "{lines:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn log_file_gets_the_lines_and_stderr_none() {
    let dir = tempfile::tempdir().unwrap();
    let log = dir.path().join("requests.log");
    let log_arg = log.to_str().unwrap().to_string();
    let (mut child, origin, stderr) = spawn_server(&dir.path().join("b.db"), &["--log", &log_arg]);
    requests(&origin).await;
    let read = || std::fs::read_to_string(&log).unwrap_or_default();
    let ok = eventually(|| read().lines().count() == 6);
    child.kill().unwrap();
    child.wait().unwrap();
    let text = read();
    assert!(ok, "{text}");
    let lines: Vec<&str> = text.lines().collect();
    assert!(
        lines[0].starts_with("GET /v2/objects/logtest/uuids/u-0 404 "),
        "{text}"
    );
    assert!(
        lines[5].starts_with("GET /v2/objects/logtest/uuids 200 "),
        "{text}"
    );
    assert!(lines.iter().all(|l| l.ends_with("ms")), "{text}");
    assert!(request_lines(&stderr.lock().unwrap()).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn quiet_prints_no_request_lines() {
    let dir = tempfile::tempdir().unwrap();
    let (mut child, origin, stderr) = spawn_server(&dir.path().join("c.db"), &["--quiet"]);
    requests(&origin).await;
    // Longer than the log's flush interval: any line would have arrived.
    std::thread::sleep(appctx::server::request_log::FLUSH_EVERY * 3);
    child.kill().unwrap();
    child.wait().unwrap();
    let lines = stderr.lock().unwrap().clone();
    assert!(request_lines(&lines).is_empty(), "{lines:?}");
}

#[test]
fn quiet_and_log_together_are_refused() {
    let out = Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["serve", "--quiet", "--log", "/dev/null"])
        .output()
        .unwrap();
    assert!(!out.status.success());
}
