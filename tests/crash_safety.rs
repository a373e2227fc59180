//! Crash safety: every write the server answered with 200 is still there after the
//! server process is killed with SIGKILL and started again on the same database.

use std::io::{BufRead, BufReader};
use std::process::{Child, Command, Stdio};

use serde_json::{json, Value};

/// Starts `appctx serve` on a free port; returns the child and its origin.
fn spawn_server(db: &std::path::Path) -> (Child, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["serve", "--listen", "127.0.0.1:0", "--empty", "--db"])
        .arg(db)
        // serve reads its keys from PUBNUB_* too; the developer's shell must not leak in.
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
    // Keep draining stderr so the server never blocks on a full pipe.
    std::thread::spawn(move || for _ in lines {});
    (child, origin)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn acknowledged_writes_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("crash.db");
    let (mut child, origin) = spawn_server(&db);
    let http = reqwest::Client::new();
    let mut acknowledged = Vec::new();
    for i in 0..60 {
        let id = format!("user-{i}");
        let body = json!({"name": format!("Name {i}"), "custom": {"n": i}});
        let res = http
            .patch(format!("{origin}/v2/objects/crash/uuids/{id}"))
            .body(body.to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        let res = http
            .patch(format!("{origin}/v2/objects/crash/uuids/{id}/channels"))
            .body(json!({"set": [{"channel": {"id": format!("ch-{}", i % 5)}}]}).to_string())
            .send()
            .await
            .unwrap();
        assert_eq!(res.status(), 200);
        acknowledged.push(id);
    }
    child.kill().expect("SIGKILL"); // std's kill() is SIGKILL on Unix
    child.wait().unwrap();

    let (mut child, origin) = spawn_server(&db);
    for (i, id) in acknowledged.iter().enumerate() {
        let v: Value = http
            .get(format!(
                "{origin}/v2/objects/crash/uuids/{id}?include=custom"
            ))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(v["data"]["custom"]["n"], i, "{id} lost: {v}");
    }
    let v: Value = http
        .get(format!(
            "{origin}/v2/objects/crash/channels/ch-0/uuids?count=true"
        ))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(v["totalCount"], 12);
    child.kill().unwrap();
    child.wait().unwrap();
}

/// While `appctx serve` runs, the database is its alone (`unix-excl`): the WAL index is
/// in the server's memory, so there is no `-shm` file and a read takes no file locks,
/// and another process cannot open the file behind the server's back. Once the server
/// is gone (here killed, so nothing was checkpointed), the file opens and holds the
/// write, recovered from the WAL.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_running_server_holds_its_database_alone() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("own.db");
    let (mut child, origin) = spawn_server(&db);
    let http = reqwest::Client::new();
    let res = http
        .patch(format!("{origin}/v2/objects/own/uuids/u1"))
        .body(json!({"name": "Kept"}).to_string())
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    let res = http
        .get(format!("{origin}/v2/objects/own/uuids/u1"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert!(
        dir.path().join("own.db-wal").exists(),
        "the database is in WAL mode"
    );
    assert!(
        !dir.path().join("own.db-shm").exists(),
        "the WAL index is in the server's memory, not in a -shm file"
    );
    let other = rusqlite::Connection::open(&db).unwrap();
    other.busy_timeout(std::time::Duration::ZERO).unwrap();
    let read = other.query_row("SELECT count(*) FROM objects", [], |r| r.get::<_, i64>(0));
    let err = read.expect_err("another process cannot read the database while the server runs");
    assert!(err.to_string().contains("locked"), "{err}");
    drop(other);

    child.kill().expect("SIGKILL");
    child.wait().unwrap();
    let after = rusqlite::Connection::open(&db).unwrap();
    let name: String = after
        .query_row("SELECT name FROM objects WHERE id = 'u1'", [], |r| r.get(0))
        .unwrap();
    assert_eq!(name, "Kept");
}
