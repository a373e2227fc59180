//! `appctx export` / `appctx import` as processes: an export imported into an empty
//! keyset exports identically; importing again changes nothing; dry runs write
//! nothing; failures are counted and the import goes on; a bad file sends nothing.

mod cli_support;
#[allow(dead_code)]
#[path = "common/proxy.rs"]
mod proxy;

use cli_support::{expect_code, json, stderr, stdout, Env};

/// A keyset with users, channels and memberships, some with every field, some bare,
/// and relations to a channel and a user that have no metadata.
async fn populate(env: &Env, sub: &str) {
    let runs: &[&[&str]] = &[
        &[
            "users",
            "set",
            "ann",
            "--name",
            "Ann",
            "--email",
            "ann@example.com",
            "--external-id",
            "E1",
            "--profile-url",
            "https://example.com/ann.png",
            "--status",
            "active",
            "--type",
            "staff",
            "--custom",
            r#"{"tier":"gold","score":9.5,"admin":true,"note":null}"#,
        ],
        &["users", "set", "bob smith", "--name", "Bób ✓"],
        &["users", "set", "cat"],
        &[
            "channels",
            "set",
            "general",
            "--name",
            "General",
            "--description",
            "All \"of\" us",
            "--status",
            "open",
            "--type",
            "public",
            "--custom",
            r#"{"color":"blue"}"#,
        ],
        &["channels", "set", "empty"],
        &[
            "memberships",
            "set",
            "ann",
            "--channel",
            "general",
            "--custom",
            r#"{"role":"admin"}"#,
            "--status",
            "active",
            "--type",
            "owner",
        ],
        &[
            "memberships",
            "set",
            "bob smith",
            "--channel",
            "general",
            "--channel",
            "ghost-channel",
        ],
        &[
            "members",
            "set",
            "general",
            "--user",
            "ghost-user",
            "--status",
            "invited",
        ],
    ];
    for args in runs {
        expect_code(&env.run_on(sub, args).await, 0);
    }
}

async fn export(env: &Env, sub: &str, file: &str, extra: &[&str]) -> String {
    let mut args = vec!["export", "--out", file];
    args.extend_from_slice(extra);
    let out = env.run_on(sub, &args).await;
    expect_code(&out, 0);
    assert!(
        stdout(&out).is_empty(),
        "an export to a file writes nothing to stdout"
    );
    std::fs::read_to_string(file).expect("export file")
}

#[tokio::test]
async fn export_then_import_into_an_empty_keyset_gives_an_identical_export() {
    let env = Env::start().await;
    populate(&env, "sub-c-a").await;
    let first_file = env.path("a.jsonl");
    let first = export(&env, "sub-c-a", &first_file, &["--thorough"]).await;
    let lines: Vec<serde_json::Value> = first
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(
        lines[0],
        serde_json::json!({"kind":"header","format":"appctx-export","version":1})
    );
    let kinds: Vec<&str> = lines.iter().map(|l| l["kind"].as_str().unwrap()).collect();
    assert_eq!(
        kinds,
        [
            "header",
            "user",
            "user",
            "user",
            "channel",
            "channel",
            "membership",
            "membership",
            "membership",
            "membership"
        ]
    );
    assert_eq!(lines[1]["custom"]["score"], 9.5);
    assert!(lines
        .iter()
        .any(|l| l["user"] == "ghost-user" && l["status"] == "invited"));
    assert!(lines.iter().any(|l| l["channel"] == "ghost-channel"));

    let imported = json(&env.run_on("sub-c-b", &["import", &first_file]).await);
    assert_eq!(imported["users"]["created"], 3);
    assert_eq!(imported["channels"]["created"], 2);
    assert_eq!(imported["memberships"]["created"], 4);

    let second = export(&env, "sub-c-b", &env.path("b.jsonl"), &["--thorough"]).await;
    assert_eq!(first, second);

    // Without --thorough the smaller side is walked; here both sides see everything
    // except relations whose walked end has no metadata.
    let quick = export(&env, "sub-c-b", &env.path("c.jsonl"), &[]).await;
    assert!(quick.lines().count() >= 8);

    // Importing again: everything is identical, nothing is written.
    let again = env.run_on("sub-c-b", &["import", &first_file]).await;
    let again_json: serde_json::Value = serde_json::from_slice(&again.stdout).unwrap();
    expect_code(&again, 0);
    assert_eq!(again_json["users"]["unchanged"], 3);
    assert_eq!(again_json["channels"]["unchanged"], 2);
    assert_eq!(again_json["memberships"]["unchanged"], 4);
    assert!(stderr(&again).contains("users: 0 created, 0 updated, 3 unchanged, 0 failed"));
    let third = export(
        &env,
        "sub-c-b",
        &env.path("d.jsonl"),
        &["--thorough", "--meta"],
    )
    .await;
    let fourth = export(
        &env,
        "sub-c-b",
        &env.path("e.jsonl"),
        &["--thorough", "--meta"],
    )
    .await;
    assert_eq!(third, fourth, "a no-op import keeps updated and eTag");
    assert!(third.contains("\"eTag\""));
}

#[tokio::test]
async fn dry_run_reports_and_writes_nothing() {
    let env = Env::start().await;
    populate(&env, "sub-c-a").await;
    let file = env.path("a.jsonl");
    export(&env, "sub-c-a", &file, &["--meta"]).await;
    json(
        &env.run_on(
            "sub-c-b",
            &["users", "set", "ann", "--name", "Someone else"],
        )
        .await,
    );

    let dry = json(
        &env.run_on("sub-c-b", &["--read-only", "import", "--dry-run", &file])
            .await,
    );
    assert_eq!(dry["dryRun"], true);
    assert_eq!(dry["users"]["updated"], 1);
    assert_eq!(dry["users"]["created"], 2);
    let users = json(&env.run_on("sub-c-b", &["users", "list"]).await);
    assert_eq!(
        users["data"].as_array().unwrap().len(),
        1,
        "dry run wrote nothing"
    );
    assert_eq!(users["data"][0]["name"], "Someone else");

    let refused = env
        .run_on("sub-c-b", &["--read-only", "import", &file])
        .await;
    expect_code(&refused, 2);

    let real = json(&env.run_on("sub-c-b", &["import", &file]).await);
    assert_eq!(real["users"]["updated"], 1);
    let ann = json(&env.run_on("sub-c-b", &["users", "get", "ann"]).await);
    assert_eq!(ann["name"], "Ann");
}

#[tokio::test]
async fn failures_are_counted_and_the_import_goes_on() {
    let env = Env::start().await;
    // Stored with a big name: adding a big email passes the record's own checks but
    // the merged record is over the server's 32 KiB limit.
    let big = "n".repeat(20_000);
    json(&env.run(&["users", "set", "big", "--name", &big]).await);
    let file = env.path("mixed.jsonl");
    let email = "e".repeat(20_000);
    let big_update = format!(r#"{{"kind":"user","id":"big","email":"{email}"}}"#);
    let text = [
        r#"{"kind":"header","format":"appctx-export","version":1}"#,
        r#"{"kind":"user","id":"good-1","name":"One"}"#,
        &big_update,
        r#"{"kind":"user","id":"good-2"}"#,
        r#"{"kind":"channel","id":"c","name":"C"}"#,
        r#"{"kind":"membership","user":"good-1","channel":"c","status":"x"}"#,
    ]
    .join("\n");
    std::fs::write(&file, text).unwrap();
    let out = env.run(&["import", &file]).await;
    expect_code(&out, 1);
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(report["users"]["created"], 2);
    assert_eq!(report["users"]["failed"], 1);
    assert_eq!(report["channels"]["created"], 1);
    assert_eq!(report["memberships"]["created"], 1);
    let err = stderr(&out);
    assert!(err.contains("line 3") && err.contains("400"), "{err}");
}

#[tokio::test]
async fn records_the_server_would_refuse_stop_the_file_before_anything_is_sent() {
    let env = Env::start().await;
    let file = env.path("refused.jsonl");
    let long_status = format!(
        r#"{{"kind":"user","id":"ok","status":"{}"}}"#,
        "s".repeat(51)
    );
    let text = [
        r#"{"kind":"header","format":"appctx-export","version":1}"#,
        r#"{"kind":"user","id":"good","name":"One"}"#,
        r#"{"kind":"user","id":"bad,id"}"#,
        &long_status,
        r#"{"kind":"channel","id":"c","custom":{"nested":{"no":1}}}"#,
        r#"{"kind":"membership","user":"good","channel":"a/b"}"#,
        r#"{"kind":"membership","user":"bad:user","channel":"c"}"#,
    ]
    .join("\n");
    std::fs::write(&file, text).unwrap();
    for dry in [true, false] {
        let args: Vec<&str> = if dry {
            vec!["import", "--dry-run", &file]
        } else {
            vec!["import", &file]
        };
        let out = env.run(&args).await;
        expect_code(&out, 2);
        let err = stderr(&out);
        for line in 3..=7 {
            assert!(err.contains(&format!("line {line}:")), "dry {dry}: {err}");
        }
        assert!(!err.contains("line 2:"), "{err}");
    }
    let users = json(&env.run(&["users", "list"]).await);
    assert_eq!(
        users["data"].as_array().unwrap().len(),
        0,
        "nothing was sent"
    );
}

/// Answers the first request with an empty list, then stops listening: every write
/// after the lookup finds nobody there.
async fn server_that_goes_away() -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        let (mut socket, _) = listener.accept().await.unwrap();
        let mut buf = vec![0u8; 16 * 1024];
        let mut got = Vec::new();
        while !got.windows(4).any(|w| w == b"\r\n\r\n") {
            let n = socket.read(&mut buf).await.unwrap();
            if n == 0 {
                break;
            }
            got.extend_from_slice(&buf[..n]);
        }
        let body = r#"{"status":200,"data":[]}"#;
        let answer = format!(
            "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        );
        socket.write_all(answer.as_bytes()).await.unwrap();
        // Dropping both: the port refuses connections from now on.
    });
    origin
}

#[tokio::test]
async fn import_stops_promptly_when_the_server_goes_away_and_says_how_to_resume() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("many.jsonl");
    let mut text = String::from(r#"{"kind":"header","format":"appctx-export","version":1}"#);
    for i in 0..3000 {
        text.push_str(&format!("\n{{\"kind\":\"user\",\"id\":\"u{i}\"}}"));
    }
    std::fs::write(&file, text).unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let origin = server_that_goes_away().await;
    let started = std::time::Instant::now();
    let (config, file) = (config.display().to_string(), file.display().to_string());
    let args = [
        "--config",
        &config,
        "--origin",
        &origin,
        "--subscribe-key",
        "sub-c-gone",
        "import",
        &file,
    ];
    let run = cli_support::run_raw(&args, &[]);
    let out = tokio::time::timeout(std::time::Duration::from_secs(60), run)
        .await
        .expect("the import gives up within a minute, not after 3,000 failures");
    expect_code(&out, 1);
    assert!(
        started.elapsed() < std::time::Duration::from_secs(20),
        "{:?}",
        started.elapsed()
    );
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let failed = report["users"]["failed"].as_u64().unwrap();
    assert!(failed < 50, "{report}");
    assert_eq!(report["users"]["skipped"].as_u64().unwrap() + failed, 3000);
    let err = stderr(&out);
    assert!(
        err.contains("import stopped") && err.contains("run the same import again"),
        "{err}"
    );
}

#[tokio::test]
async fn a_bad_file_exits_2_and_sends_nothing() {
    let env = Env::start().await;
    let file = env.path("bad.jsonl");
    let text = [
        r#"{"kind":"user","id":"fine"}"#,
        r#"{"kind":"user","id":"typo","nmae":"x"}"#,
        r#"not json"#,
        r#"{"kind":"space","id":"v1"}"#,
        r#"{"kind":"user","id":"fine","name":"again"}"#,
        r#"{"kind":"header","format":"appctx-export","version":99}"#,
    ]
    .join("\n");
    std::fs::write(&file, text).unwrap();
    let out = env.run(&["import", &file]).await;
    expect_code(&out, 2);
    let err = stderr(&out);
    for needle in [
        "line 2",
        "line 3",
        "line 4",
        "line 5: user 'fine' already appears on line 1",
        "line 6",
    ] {
        assert!(err.contains(needle), "{needle}: {err}");
    }
    let users = json(&env.run(&["users", "list"]).await);
    assert!(users["data"].as_array().unwrap().is_empty());
    let missing = env.run(&["import", &env.path("nope.jsonl")]).await;
    expect_code(&missing, 2);
}

#[tokio::test]
async fn export_to_stdout_is_json_lines() {
    let env = Env::start().await;
    json(&env.run(&["users", "set", "solo", "--name", "Solo"]).await);
    let out = env.run(&["export"]).await;
    expect_code(&out, 0);
    let text = stdout(&out);
    assert_eq!(
        text,
        concat!(
            "{\"kind\":\"header\",\"format\":\"appctx-export\",\"version\":1}\n",
            "{\"kind\":\"user\",\"id\":\"solo\",\"name\":\"Solo\",\"externalId\":null,\"profileUrl\":null,\"email\":null,\"type\":null,\"status\":null,\"custom\":null}\n"
        )
    );
    assert!(stderr(&out).contains("exported 1 users, 0 channels, 0 memberships"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn import_reads_only_what_it_names_and_writes_relations_100_per_call() {
    use appctx::api::{Client, Keyset, SetOptions};
    use futures::StreamExt;
    let env = Env::start().await;
    // A keyset that already holds 3,000 users the file does not mention.
    let c = Client::new(Keyset::new(env.server.origin(), "sub-c-big", "seeder")).unwrap();
    futures::stream::iter(0..3000)
        .for_each_concurrent(16, |i| {
            let c = c.clone();
            async move {
                c.set_user(
                    &format!("other{i:04}"),
                    &Default::default(),
                    &SetOptions::default(),
                )
                .await
                .unwrap();
            }
        })
        .await;
    // 250 users who are all members of one channel.
    let mut text = String::from(r#"{"kind":"header","format":"appctx-export","version":1}"#);
    text.push_str("\n{\"kind\":\"channel\",\"id\":\"big\"}");
    for i in 0..250 {
        text.push_str(&format!("\n{{\"kind\":\"user\",\"id\":\"u{i:03}\"}}"));
        text.push_str(&format!(
            "\n{{\"kind\":\"membership\",\"user\":\"u{i:03}\",\"channel\":\"big\",\"status\":\"in\"}}"
        ));
    }
    let file = env.path("members.jsonl");
    std::fs::write(&file, text).unwrap();

    let proxy = proxy::Proxy::start(env.server.origin()).await;
    let config = env.path("empty.toml");
    let run = |extra: &'static [&'static str]| {
        let args: Vec<String> = ["--config", &config, "--origin", &proxy.origin]
            .iter()
            .map(|s| s.to_string())
            .chain(["--subscribe-key", "sub-c-big", "import"].map(String::from))
            .chain(extra.iter().map(|s| s.to_string()))
            .chain([file.clone()])
            .collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            cli_support::run_raw(&args, &[]).await
        }
    };
    let report = json(&run(&[]).await);
    assert_eq!(report["users"]["created"], 250);
    assert_eq!(report["memberships"]["created"], 250);
    let hits = proxy.hits();
    let count = |method: &str, end: &str| {
        hits.iter()
            .filter(|h| h.method == method && h.path.ends_with(end))
            .count()
    };
    assert_eq!(
        count("PATCH", "/channels/big/uuids"),
        3,
        "250 members in 3 calls"
    );
    assert_eq!(count("PATCH", "/channels"), 0, "no call per user");
    // Only the 250 users named are looked up (30 ids per filter), not the 3,250.
    let lookups = count("GET", "sub-c-big/uuids");
    assert!(lookups <= 9, "{lookups} user lookups");
    assert!(count("GET", "/channels/big/uuids") <= 9, "member lookups");

    proxy.clear();
    let again = json(&run(&[]).await);
    assert_eq!(again["memberships"]["unchanged"], 250);
    assert_eq!(again["users"]["unchanged"], 250);
    assert!(
        proxy.hits().iter().all(|h| h.method == "GET"),
        "nothing written again"
    );
    let members = json(
        &env.run_on("sub-c-big", &["members", "list", "big", "--all", "--count"])
            .await,
    );
    assert_eq!(members["totalCount"], 250);
}

#[tokio::test]
async fn import_memory_does_not_grow_with_the_file() {
    let env = Env::start().await;
    // 20,000 users with 1 KB of custom data each: a 20 MB file.
    let blob = "b".repeat(1000);
    let mut text = String::from(r#"{"kind":"header","format":"appctx-export","version":1}"#);
    for i in 0..20_000 {
        text.push_str(&format!(
            "\n{{\"kind\":\"user\",\"id\":\"u{i:05}\",\"custom\":{{\"blob\":\"{blob}\"}}}}"
        ));
    }
    let big = env.path("big.jsonl");
    std::fs::write(&big, text).unwrap();
    let small = env.path("small.jsonl");
    std::fs::write(&small, r#"{"kind":"user","id":"one"}"#).unwrap();
    let config = env.path("empty.toml");
    let mut peaks = Vec::new();
    for file in [&big, &small] {
        let child = tokio::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
            .args(["--config", &config, "--origin", &env.server.origin()])
            .args(["--subscribe-key", "sub-c-mem", "import", "--dry-run", file])
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("appctx runs");
        let (peak, status) = cli_support::peak_kib(child).await;
        assert!(status.success());
        peaks.push(peak);
    }
    assert!(
        peaks[0] < peaks[1] + 10 * 1024,
        "a dry run of 20 MB peaked at {} KiB, of one record at {} KiB",
        peaks[0],
        peaks[1]
    );
}

/// How an import finds what a big group of one channel's members already holds: a
/// channel with no members needs no reads (only its count), one with few is read
/// whole, one with many is read by id; each way the tally is right.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_big_group_reads_what_its_channel_holds_the_cheapest_way() {
    use appctx::api::types::Maybe;
    use appctx::api::{Client, Keyset, RelationEntry, RelationListOptions};
    let env = Env::start().await;
    let proxy = proxy::Proxy::start(env.server.origin()).await;
    let config = env.path("empty.toml");
    let file = env.path("group.jsonl");
    let write_file = |range: std::ops::Range<usize>, status: &dyn Fn(usize) -> &'static str| {
        let mut text = String::from(r#"{"kind":"header","format":"appctx-export","version":1}"#);
        for i in range {
            text.push_str(&format!(
                "\n{{\"kind\":\"membership\",\"user\":\"u{i:04}\",\"channel\":\"big\",\"status\":\"{}\"}}",
                status(i)
            ));
        }
        std::fs::write(&file, text).unwrap();
    };
    let import = || {
        let args: Vec<String> = ["--config", &config, "--origin", &proxy.origin]
            .iter()
            .map(|s| s.to_string())
            .chain(["--subscribe-key", "sub-c-g", "import", &file].map(String::from))
            .collect();
        async move {
            let args: Vec<&str> = args.iter().map(String::as_str).collect();
            json(&cli_support::run_raw(&args, &[]).await)
        }
    };
    let member_reads = |proxy: &proxy::Proxy| {
        proxy
            .hits()
            .iter()
            .filter(|h| h.method == "GET" && h.path.ends_with("/channels/big/uuids"))
            .count()
    };

    // No members yet: 250 created with the count as the only read.
    write_file(0..250, &|_| "in");
    let report = import().await;
    assert_eq!(report["memberships"]["created"], 250, "{report}");
    assert_eq!(member_reads(&proxy), 1, "{:?}", proxy.hits());

    // 250 members: read whole (3 pages, not 9 lookups of 30); 50 changed.
    proxy.clear();
    write_file(0..250, &|i| if i < 50 { "out" } else { "in" });
    let report = import().await;
    assert_eq!(report["memberships"]["updated"], 50, "{report}");
    assert_eq!(report["memberships"]["unchanged"], 200, "{report}");
    let reads = member_reads(&proxy);
    assert!(
        (2..=5).contains(&reads),
        "{reads} reads: {:?}",
        proxy.hits()
    );

    // 1,250 members, 60 named: two lookups by id (plus the count), not 13 pages.
    let c = Client::new(Keyset::new(env.server.origin(), "sub-c-g", "seeder")).unwrap();
    for start in (250..1250).step_by(100) {
        let entries: Vec<RelationEntry> = (start..start + 100)
            .map(|i| RelationEntry {
                status: Maybe::Value("in".into()),
                ..RelationEntry::id(format!("u{i:04}"))
            })
            .collect();
        c.set_members("big", &entries, &RelationListOptions::default())
            .await
            .unwrap();
    }
    proxy.clear();
    write_file(1000..1060, &|i| if i % 2 == 0 { "out" } else { "in" });
    let report = import().await;
    assert_eq!(report["memberships"]["updated"], 30, "{report}");
    assert_eq!(report["memberships"]["unchanged"], 30, "{report}");
    assert_eq!(member_reads(&proxy), 3, "{:?}", proxy.hits());
}

/// A new channel whose members fill more than one of the import's chunks (10,000
/// relations) is counted once: its later chunks are known to be new, so nothing is
/// read for them.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_new_channel_spread_over_chunks_is_counted_once() {
    let env = Env::start().await;
    let proxy = proxy::Proxy::start(env.server.origin()).await;
    let config = env.path("empty.toml");
    let file = env.path("huge.jsonl");
    let mut text = String::from(r#"{"kind":"header","format":"appctx-export","version":1}"#);
    for i in 0..10_050 {
        text.push_str(&format!(
            "\n{{\"kind\":\"membership\",\"user\":\"u{i:05}\",\"channel\":\"huge\"}}"
        ));
    }
    std::fs::write(&file, text).unwrap();
    let args = [
        "--config",
        &config,
        "--origin",
        &proxy.origin,
        "--subscribe-key",
        "sub-c-h",
        "import",
        &file,
    ];
    let report = json(&cli_support::run_raw(&args, &[]).await);
    assert_eq!(report["memberships"]["created"], 10_050, "{report}");
    let hits = proxy.hits();
    let reads = hits.iter().filter(|h| h.method == "GET").count();
    let writes = hits.iter().filter(|h| h.method == "PATCH").count();
    assert_eq!((reads, writes), (1, 101), "reads, writes");
}
