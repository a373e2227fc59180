//! `appctx export` while other clients write: every user that existed throughout the
//! export is in the file exactly once, and no id appears twice, although the offset
//! cursors PubNub pages with move under concurrent inserts and deletes.

mod cli_support;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::Arc;

use appctx::api::types::Maybe;
use appctx::api::{Client, ClientOptions, Keyset, SetOptions, UserFields};
use cli_support::{expect_code, stderr, Env};
use futures::StreamExt;

const SUB: &str = "sub-c-churn";
/// Users nobody touches during the export.
const STABLE: usize = 3000;
/// Ids that are deleted and created again while the export runs.
const CHURN: usize = 1500;

fn stable_id(i: usize) -> String {
    format!("u{i:05}")
}

/// Sorts right after `stable_id(i)`, so churn happens all along the list.
fn churn_id(i: usize) -> String {
    format!("u{i:05}x")
}

fn client(env: &Env) -> Client {
    Client::with_options(
        Keyset::new(env.server.origin(), SUB, "churner"),
        ClientOptions::default(),
    )
    .expect("client")
}

async fn create_all(c: &Client, ids: Vec<String>) {
    let fields = UserFields {
        name: Maybe::Value("x".into()),
        ..Default::default()
    };
    futures::stream::iter(ids)
        .for_each_concurrent(16, |id| {
            let (c, fields) = (c.clone(), fields.clone());
            async move {
                c.set_user(&id, &fields, &SetOptions::default())
                    .await
                    .expect("create user");
            }
        })
        .await;
}

/// Deletes and re-creates churn users until `stop`, counting the writes.
async fn churn(c: Client, worker: usize, stop: Arc<AtomicBool>, writes: Arc<AtomicU64>) {
    let fields = UserFields {
        name: Maybe::Value("churn".into()),
        ..Default::default()
    };
    let mut step = worker;
    while !stop.load(Ordering::Relaxed) {
        // Walk the churn ids in a stride so deletes land before and after the
        // export's position: first a pass of deletes, then a pass of creates.
        let i = (step * 7919) % CHURN;
        let id = churn_id(i * (STABLE / CHURN));
        let pass = (step / CHURN) % 2;
        let result = if pass == 0 {
            c.remove_user(&id).await
        } else {
            c.set_user(&id, &fields, &SetOptions::default())
                .await
                .map(|_| ())
        };
        if result.is_ok() {
            writes.fetch_add(1, Ordering::Relaxed);
        }
        step += 4;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_export_during_inserts_and_deletes_has_every_untouched_user_once() {
    let env = Env::start().await;
    let c = client(&env);
    let stable: Vec<String> = (0..STABLE).map(stable_id).collect();
    let churned: Vec<String> = (0..CHURN).map(|i| churn_id(i * (STABLE / CHURN))).collect();
    create_all(&c, stable.clone()).await;
    create_all(&c, churned).await;

    let stop = Arc::new(AtomicBool::new(false));
    let writes = Arc::new(AtomicU64::new(0));
    let workers: Vec<_> = (0..4)
        .map(|w| tokio::spawn(churn(c.clone(), w, stop.clone(), writes.clone())))
        .collect();
    // Let the churn get going before the export starts.
    while writes.load(Ordering::Relaxed) < 50 {
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    }
    let file = env.path("churn.jsonl");
    let out = env.run_on(SUB, &["export", "--out", &file]).await;
    stop.store(true, Ordering::Relaxed);
    for w in workers {
        w.await.expect("churn worker");
    }
    expect_code(&out, 0);
    let during = writes.load(Ordering::Relaxed);
    assert!(
        during > 100,
        "the churn must overlap the export ({during} writes)"
    );

    let text = std::fs::read_to_string(&file).expect("export file");
    let mut seen: HashMap<String, usize> = HashMap::new();
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("json line");
        if v["kind"] == "user" {
            let id = v["id"].as_str().expect("id").to_string();
            *seen.entry(id).or_default() += 1;
        }
    }
    let duplicated: Vec<_> = seen.iter().filter(|(_, n)| **n > 1).collect();
    assert!(duplicated.is_empty(), "duplicated: {duplicated:?}");
    let missing: Vec<_> = stable.iter().filter(|id| !seen.contains_key(*id)).collect();
    assert!(
        missing.is_empty(),
        "{} untouched users missing, e.g. {:?}",
        missing.len(),
        &missing[..missing.len().min(5)]
    );
    // The export says that the keyset changed under it.
    let report = stderr(&out);
    assert!(report.contains("changed during the export"), "{report}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn export_memory_does_not_grow_with_the_memberships() {
    use appctx::api::{RelationEntry, RelationListOptions};
    let env = Env::start().await;
    let c = client(&env);
    // 100 users in 200 channels each, every membership with 1 KB of custom data:
    // 20 MB of memberships, found from the user side.
    let users: Vec<String> = (0..100).map(|i| format!("user{i:03}")).collect();
    let channels: Vec<String> = (0..200).map(|i| format!("chan{i:03}")).collect();
    create_all(&c, users.clone()).await;
    futures::stream::iter(channels.clone())
        .for_each_concurrent(16, |id| {
            let c = c.clone();
            async move {
                c.set_channel(&id, &Default::default(), &SetOptions::default())
                    .await
                    .expect("create channel");
            }
        })
        .await;
    let mut custom = appctx::api::types::Custom::new();
    custom.insert("blob".into(), serde_json::json!("b".repeat(1000)));
    futures::stream::iter(users.clone())
        .for_each_concurrent(8, |user| {
            let (c, channels, custom) = (c.clone(), channels.clone(), custom.clone());
            async move {
                for chunk in channels.chunks(100) {
                    let entries: Vec<RelationEntry> = chunk
                        .iter()
                        .map(|ch| RelationEntry::id(ch).with_custom(custom.clone()))
                        .collect();
                    let answer = RelationListOptions {
                        limit: Some(1),
                        ..Default::default()
                    };
                    c.set_memberships(&user, &entries, &answer)
                        .await
                        .expect("memberships");
                }
            }
        })
        .await;

    let file = env.path("big.jsonl");
    let config = env.path("empty.toml");
    let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["--config", &config, "--origin", &env.server.origin()])
        .args(["--subscribe-key", SUB, "export", "--out", &file])
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("appctx runs");
    let (peak, status) = cli_support::peak_kib(child).await;
    assert!(status.success());
    let size = std::fs::metadata(&file).expect("export").len() / 1024;
    assert!(
        size > 20_000,
        "the export holds the memberships ({size} KiB)"
    );
    // What an export of nearly nothing takes, for comparison.
    let small = tokio::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["--config", &config, "--origin", &env.server.origin()])
        .args([
            "--subscribe-key",
            "sub-c-empty",
            "export",
            "--out",
            &env.path("small.jsonl"),
        ])
        .stderr(std::process::Stdio::null())
        .kill_on_drop(true)
        .spawn()
        .expect("appctx runs");
    let (base, _) = cli_support::peak_kib(small).await;
    assert!(
        peak < base + 10 * 1024,
        "export of {size} KiB peaked at {peak} KiB, an empty one at {base} KiB"
    );
}
