//! `cargo bench --bench export`: export 10,000 users from the local App Context server
//! with `appctx export` (the real binary) and with the official Python SDK's
//! `get_all_uuid_metadata` paging loop (`benches/export_sdk.py`), same server, same
//! run. Target: appctx at least 2x faster in wall time.
//!
//! Both are timed as processes, start to exit, because that is what a user waits for;
//! the Python script also reports its paging loop alone (SDK import and interpreter
//! start left out), and the ratio against that is printed too. Runs alternate
//! (appctx, python, appctx, python, …) so drift hits both alike; medians are compared.
//! Python: `$APPCTX_PYTHON`, default `.venv/bin/python` (with pubnub==10.8.0).
//!
//! Benchmarks report; they do not assert: a missed target prints FAIL and the run
//! still exits 0.

use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use futures::StreamExt;
use serde_json::json;

use appctx::api::types::{Custom, Maybe};
use appctx::api::{Client, Keyset, SetOptions, UserFields};
use appctx::server::{start, ServerConfig};

/// Users loaded.
const USERS: usize = 10_000;
/// Timed runs of each side.
const ROUNDS: usize = 5;
/// Keyset the data lives in.
const SUB: &str = "bench-export";

fn main() {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return eprintln!("export bench: no tokio runtime: {e}"),
    };
    if let Err(e) = runtime.block_on(run()) {
        eprintln!("export bench: {e}");
    }
}

async fn run() -> Result<(), String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let server = start(ServerConfig {
        listen: "127.0.0.1:0".parse().map_err(|e| format!("{e}"))?,
        db: dir.path().join("bench.db"),
        empty: true,
        referential_integrity: false,
        signing: None,
        log_requests: false,
    })
    .await
    .map_err(|e| e.to_string())?;
    let origin = server.origin();

    let loading = Instant::now();
    load(&origin).await?;
    println!(
        "loaded {USERS} users in {:.1} s (set_user, 32 at a time)",
        loading.elapsed().as_secs_f64()
    );

    let python = std::env::var("APPCTX_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python"));
    let script = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/export_sdk.py");
    let out = dir.path().join("export.jsonl");
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").map_err(|e| e.to_string())?;
    let host = origin.trim_start_matches("http://").to_string();

    let mut ours = Vec::new();
    let mut theirs = Vec::new();
    let mut loops = Vec::new();
    for round in 0..ROUNDS {
        let started = Instant::now();
        let o = Command::new(env!("CARGO_BIN_EXE_appctx"))
            .args(["--config", &config.display().to_string()])
            .args([
                "--origin",
                &origin,
                "--subscribe-key",
                SUB,
                "export",
                "--out",
            ])
            .arg(&out)
            .env_remove("PUBNUB_SUBSCRIBE_KEY")
            .output()
            .map_err(|e| format!("cannot run appctx: {e}"))?;
        ours.push(started.elapsed());
        if !o.status.success() {
            return Err(format!(
                "appctx export failed: {}",
                String::from_utf8_lossy(&o.stderr)
            ));
        }
        if round == 0 {
            let lines = std::fs::read_to_string(&out).map_err(|e| e.to_string())?;
            let users = lines
                .lines()
                .filter(|l| l.starts_with("{\"kind\":\"user\""))
                .count();
            if users != USERS {
                return Err(format!("appctx exported {users} users, expected {USERS}"));
            }
        }

        let started = Instant::now();
        let p = Command::new(&python)
            .arg(&script)
            .args([&host, SUB])
            .output()
            .map_err(|e| format!("cannot run {} (set APPCTX_PYTHON): {e}", python.display()))?;
        theirs.push(started.elapsed());
        if !p.status.success() {
            return Err(format!(
                "python SDK loop failed: {}",
                String::from_utf8_lossy(&p.stderr)
            ));
        }
        let report: serde_json::Value =
            serde_json::from_slice(&p.stdout).map_err(|e| format!("python output: {e}"))?;
        if report["users"] != USERS {
            return Err(format!(
                "python SDK paged {} users, expected {USERS}",
                report["users"]
            ));
        }
        loops.push(Duration::from_secs_f64(
            report["loop_seconds"].as_f64().unwrap_or(0.0),
        ));
    }

    let (ours, theirs, loops) = (median(ours), median(theirs), median(loops));
    println!("export of {USERS} users, median of {ROUNDS} alternating runs:");
    println!(
        "  appctx export (process, JSONL file written)   {:>8.1} ms",
        ms(ours)
    );
    println!(
        "  python SDK get_all_uuid_metadata (process)    {:>8.1} ms",
        ms(theirs)
    );
    println!(
        "  python SDK paging loop only (in-script)       {:>8.1} ms",
        ms(loops)
    );
    let ratio = theirs.as_secs_f64() / ours.as_secs_f64();
    let loop_ratio = loops.as_secs_f64() / ours.as_secs_f64();
    let verdict = if ratio >= 2.0 { "PASS" } else { "FAIL" };
    println!("  ratio python/appctx: {ratio:.2}x process-to-process ({verdict}, target >= 2x); {loop_ratio:.2}x against the loop alone");
    Ok(())
}

/// Loads the users through the client, with every field set.
async fn load(origin: &str) -> Result<(), String> {
    let client =
        Client::new(Keyset::new(origin, SUB, "bench-loader")).map_err(|e| e.to_string())?;
    let results: Vec<_> = futures::stream::iter(0..USERS)
        .map(|i| {
            let client = client.clone();
            async move {
                let tier = ["free", "pro", "team"][i % 3];
                let custom: Custom = serde_json::from_value(json!({
                    "tier": tier, "karma": i, "beta": i % 2 == 0,
                }))
                .unwrap_or_default();
                let fields = UserFields {
                    name: Maybe::Value(format!("User {i:05}")),
                    email: Maybe::Value(format!("user{i:05}@example.com")),
                    external_id: Maybe::Value(format!("ext-{i}")),
                    profile_url: Maybe::Value(format!("https://example.com/avatars/{i}.png")),
                    kind: Maybe::Value("member".into()),
                    status: Maybe::Value("active".into()),
                    custom: Maybe::Value(custom),
                };
                client
                    .set_user(&format!("user-{i:05}"), &fields, &SetOptions::default())
                    .await
            }
        })
        .buffer_unordered(32)
        .collect()
        .await;
    match results.into_iter().find_map(Result::err) {
        Some(e) => Err(format!("loading users: {e}")),
        None => Ok(()),
    }
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v.get(v.len() / 2).copied().unwrap_or_default()
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
