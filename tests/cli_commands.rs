//! The scripting CLI run as a process against an in-process server: set, get, list
//! (filter, sort, paging, formats), remove, memberships and members, exit codes, and
//! refusals that send nothing.

mod cli_support;

use cli_support::{expect_code, json, run_raw, stderr, stdout, Env};

#[tokio::test]
async fn users_set_get_list_remove() {
    let env = Env::start().await;
    let out = env
        .run(&[
            "users",
            "set",
            "ann smith",
            "--name",
            "Ann",
            "--email",
            "ann@example.com",
            "--external-id",
            "E1",
            "--profile-url",
            "https://example.com/a.png",
            "--status",
            "active",
            "--type",
            "staff",
            "--custom",
            r#"{"tier":"gold","n":3,"ok":true}"#,
        ])
        .await;
    let user = json(&out);
    assert_eq!(user["id"], "ann smith");
    assert_eq!(user["custom"]["n"], 3);
    assert_eq!(user["type"], "staff");

    let got = json(&env.run(&["users", "get", "ann smith"]).await);
    assert_eq!(got, user);
    let bare = json(
        &env.run(&["users", "get", "ann smith", "--include", "status"])
            .await,
    );
    assert!(bare.get("custom").is_none() && bare.get("type").is_none());
    assert_eq!(bare["status"], "active");

    // --unset clears, other fields stay.
    let changed = json(
        &env.run(&["users", "set", "ann smith", "--unset", "email,custom"])
            .await,
    );
    assert!(changed["email"].is_null() && changed["custom"].is_null());
    assert_eq!(changed["name"], "Ann");

    let list = json(&env.run(&["users", "list"]).await);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);

    let removed = json(&env.run(&["users", "remove", "ann smith"]).await);
    assert_eq!(removed, serde_json::json!({"removed": "ann smith"}));
    let missing = env.run(&["users", "get", "ann smith"]).await;
    expect_code(&missing, 1);
    let err = stderr(&missing);
    assert!(
        err.contains("404") && err.contains("Requested object was not found."),
        "{err}"
    );
    assert!(stdout(&missing).is_empty());
}

#[tokio::test]
async fn channels_in_every_format() {
    let env = Env::start().await;
    json(
        &env.run(&[
            "channels",
            "set",
            "general",
            "--name",
            "General, all",
            "--description",
            "say \"hi\"",
        ])
        .await,
    );
    json(
        &env.run(&[
            "channels",
            "set",
            "random",
            "--name",
            "Random",
            "--custom",
            r#"{"color":"red"}"#,
        ])
        .await,
    );

    let jsonl = stdout(&env.run(&["channels", "list", "--format", "jsonl"]).await);
    let lines: Vec<serde_json::Value> = jsonl
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), 2);
    assert_eq!(lines[0]["description"], "say \"hi\"");

    let csv = stdout(
        &env.run(&["channels", "list", "--format", "csv", "--include", "custom"])
            .await,
    );
    let mut rows = csv.lines();
    assert_eq!(rows.next(), Some("id,name,description,custom,updated,eTag"));
    assert!(
        rows.next()
            .unwrap()
            .starts_with("general,\"General, all\",\"say \"\"hi\"\"\",,"),
        "{csv}"
    );
    assert!(
        rows.next()
            .unwrap()
            .starts_with("random,Random,,\"{\"\"color\"\":\"\"red\"\"}\","),
        "{csv}"
    );

    let table = stdout(
        &env.run(&["channels", "list", "--format", "table", "--include", ""])
            .await,
    );
    assert!(
        table.starts_with("id       name          description"),
        "{table}"
    );

    let got = json(&env.run(&["channels", "get", "random"]).await);
    assert_eq!(got["custom"]["color"], "red");
    expect_code(&env.run(&["channels", "remove", "random"]).await, 0);
    let list = json(&env.run(&["channels", "list"]).await);
    assert_eq!(list["data"].as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn list_with_filter_sort_and_paging() {
    let env = Env::start().await;
    for i in 0..12 {
        let status = if i % 2 == 0 { "even" } else { "odd" };
        let id = format!("u{i:02}");
        let name = format!("user {i:02}");
        json(
            &env.run(&["users", "set", &id, "--name", &name, "--status", status])
                .await,
        );
    }
    let args = [
        "users",
        "list",
        "--filter",
        "status == 'even'",
        "--sort",
        "name:desc",
        "--limit",
        "5",
        "--count",
    ];
    let first = json(&env.run(&args).await);
    assert_eq!(first["totalCount"], 6);
    let ids: Vec<&str> = first["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["u10", "u08", "u06", "u04", "u02"]);
    let next = first["next"].as_str().unwrap().to_string();
    let mut more = args.to_vec();
    more.extend(["--next", &next]);
    let second = json(&env.run(&more).await);
    assert_eq!(second["data"].as_array().unwrap().len(), 1);
    assert_eq!(second["data"][0]["id"], "u00");

    let all = json(
        &env.run(&["users", "list", "--all", "--limit", "5", "--sort", "id"])
            .await,
    );
    let data = all["data"].as_array().unwrap();
    assert_eq!(data.len(), 12);
    assert_eq!(data[11]["id"], "u11");

    // The table says how many and where the next page is, on stderr.
    let t = env
        .run(&[
            "users", "list", "--limit", "5", "--format", "table", "--count",
        ])
        .await;
    expect_code(&t, 0);
    assert!(
        stderr(&t).contains("5 shown of 12; next page: --next"),
        "{}",
        stderr(&t)
    );
}

#[tokio::test]
async fn memberships_and_members() {
    let env = Env::start().await;
    json(
        &env.run(&["channels", "set", "room-1", "--name", "Room One"])
            .await,
    );
    let set = json(
        &env.run(&[
            "memberships",
            "set",
            "ann",
            "--channel",
            "room-1",
            "--channel",
            "room-2",
            "--custom",
            r#"{"role":"admin"}"#,
            "--status",
            "active",
            "--type",
            "owner",
        ])
        .await,
    );
    assert_eq!(set["data"].as_array().unwrap().len(), 2);
    assert_eq!(set["data"][0]["custom"]["role"], "admin");

    let expanded = json(
        &env.run(&["memberships", "list", "ann", "--include", "channel,status"])
            .await,
    );
    assert_eq!(expanded["data"][0]["channel"]["name"], "Room One");
    assert_eq!(expanded["data"][0]["status"], "active");
    assert!(expanded["data"][0].get("custom").is_none());

    let members = json(
        &env.run(&["members", "list", "room-2", "--include", "custom,uuid"])
            .await,
    );
    assert_eq!(members["data"][0]["uuid"]["id"], "ann");
    assert_eq!(members["data"][0]["custom"]["role"], "admin");

    json(
        &env.run(&[
            "members", "set", "room-2", "--user", "bob", "--status", "guest",
        ])
        .await,
    );
    let filtered = json(
        &env.run(&["members", "list", "room-2", "--filter", "status == 'guest'"])
            .await,
    );
    assert_eq!(filtered["data"].as_array().unwrap().len(), 1);
    assert_eq!(filtered["data"][0]["uuid"]["id"], "bob");

    let left = json(
        &env.run(&["memberships", "remove", "ann", "--channel", "room-1"])
            .await,
    );
    assert_eq!(left["data"].as_array().unwrap().len(), 1);
    let left = json(
        &env.run(&[
            "members", "remove", "room-2", "--user", "ann", "--user", "bob",
        ])
        .await,
    );
    assert!(left["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn bad_input_exits_2_and_sends_nothing() {
    let env = Env::start().await;
    let cases: &[&[&str]] = &[
        &["users", "set", "x", "--custom", r#"{"nested":{"a":1}}"#],
        &["users", "set", "x", "--custom", "[1,2]"],
        &["users", "set", "x", "--custom", "not json"],
        &["users", "set", "x", "--unset", "bogus"],
        &["users", "set", "x", "--name", "N", "--unset", "name"],
        &["channels", "set", "x", "--custom", r#"{"a":[1]}"#],
        &["memberships", "set", "x", "--channel", "c", "--custom", "3"],
        &["users", "list", "--filter", "name == "],
        &["users", "list", "--filter", "bogus == 1"],
        &["users", "list", "--sort", "email:asc"],
        &["users", "list", "--limit", "0"],
        &["users", "list", "--include", "channel"],
        &["memberships", "list", "x", "--include", "uuid.custom"],
    ];
    for args in cases {
        let out = env.run(args).await;
        expect_code(&out, 2);
        assert!(stdout(&out).is_empty(), "{args:?}");
    }
    let filter_err = stderr(&env.run(&["users", "list", "--filter", "name == "]).await);
    assert!(filter_err.contains("column 9"), "{filter_err}");
    let list = json(&env.run(&["users", "list"]).await);
    assert!(
        list["data"].as_array().unwrap().is_empty(),
        "nothing was written"
    );
    let members = json(&env.run(&["memberships", "list", "x"]).await);
    assert!(members["data"].as_array().unwrap().is_empty());
}

#[tokio::test]
async fn read_only_refuses_writes_before_sending() {
    let env = Env::start().await;
    json(&env.run(&["users", "set", "keep", "--name", "Keep"]).await);
    let cases: &[&[&str]] = &[
        &["--read-only", "users", "set", "new", "--name", "N"],
        &["users", "remove", "keep", "--read-only"],
        &["--read-only", "channels", "set", "c"],
        &[
            "--read-only",
            "memberships",
            "set",
            "keep",
            "--channel",
            "c",
        ],
        &["--read-only", "members", "remove", "c", "--user", "keep"],
    ];
    for args in cases {
        let out = env.run(args).await;
        expect_code(&out, 2);
        assert!(stderr(&out).contains("read-only"), "{}", stderr(&out));
    }
    // A profile can be read-only too.
    let config = env.path("ro.toml");
    std::fs::write(
        &config,
        "[profiles.ro]\nsubscribe_key = \"sub-c-cli\"\nread_only = true\n",
    )
    .unwrap();
    let origin = env.server.origin();
    let out = run_raw(
        &[
            "--config",
            &config,
            "--profile",
            "ro",
            "--origin",
            &origin,
            "users",
            "remove",
            "keep",
        ],
        &[],
    )
    .await;
    expect_code(&out, 2);
    // Reads work and nothing changed.
    let list = json(&env.run(&["--read-only", "users", "list"]).await);
    let ids: Vec<&str> = list["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap())
        .collect();
    assert_eq!(ids, ["keep"]);
}

#[tokio::test]
async fn api_errors_exit_1_with_status_and_message() {
    let env = Env::start().await;
    let user = json(&env.run(&["users", "set", "ann", "--name", "Ann"]).await);
    let etag = user["eTag"].as_str().unwrap().to_string();
    json(
        &env.run(&[
            "users",
            "set",
            "ann",
            "--name",
            "Ann 2",
            "--if-match",
            &etag,
        ])
        .await,
    );
    let stale = env
        .run(&[
            "users",
            "set",
            "ann",
            "--name",
            "Ann 3",
            "--if-match",
            &etag,
        ])
        .await;
    expect_code(&stale, 1);
    let err = stderr(&stale);
    assert!(
        err.contains("412") && err.contains("User to update has been modified after it was read."),
        "{err}"
    );

    let bad_id = env.run(&["users", "set", "a,b", "--name", "x"]).await;
    expect_code(&bad_id, 1);
    assert!(stderr(&bad_id).contains("400"), "{}", stderr(&bad_id));
}

#[tokio::test]
async fn with_no_keyset_anywhere_the_embedded_server_is_used() {
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    let db = dir.path().join("local.db");
    let (config, db) = (config.display().to_string(), db.display().to_string());
    let out = run_raw(
        &[
            "--config", &config, "--db", &db, "users", "list", "--limit", "3", "--count",
        ],
        &[],
    )
    .await;
    let page = json(&out);
    assert_eq!(
        page["data"].as_array().unwrap().len(),
        3,
        "the demo keyset is seeded"
    );
    assert!(page["totalCount"].as_u64().unwrap() > 3);
    // Writes persist in the database file between runs.
    json(
        &run_raw(
            &[
                "--config", &config, "--db", &db, "users", "set", "local-1", "--name", "L",
            ],
            &[],
        )
        .await,
    );
    let got = json(
        &run_raw(
            &["--config", &config, "--db", &db, "users", "get", "local-1"],
            &[],
        )
        .await,
    );
    assert_eq!(got["name"], "L");
}

/// Raw terminal controls, C1 controls, bidi overrides and zero-width characters.
fn unsafe_chars(text: &str) -> Vec<char> {
    text.chars()
        .filter(|c| *c != '\n' && appctx::text::is_unsafe(*c))
        .collect()
}

#[tokio::test]
async fn nothing_from_the_data_reaches_the_terminal_raw() {
    let env = Env::start().await;
    let hostile = "Eve\u{1b}]52;c;cm0gLXJmIH4=\u{7}\u{1b}[2J\u{9b}31m\u{202e}gpj.exe\u{200b}";
    json(
        &env.run(&["users", "set", "eve", "--name", hostile, "--status", "=1+2"])
            .await,
    );
    for format in ["table", "json", "jsonl", "csv"] {
        for args in [
            vec!["users", "list", "--format", format],
            vec!["users", "get", "eve", "--format", format],
        ] {
            let out = env.run(&args).await;
            expect_code(&out, 0);
            let text = stdout(&out);
            assert!(unsafe_chars(&text).is_empty(), "{args:?}: {text:?}");
            assert!(text.contains("Eve"), "{args:?}: {text}");
        }
    }
    let csv = stdout(&env.run(&["users", "get", "eve", "--format", "csv"]).await);
    assert!(csv.contains(",'=1+2"), "formula neutralised: {csv}");
    // JSON output means the same data, only escaped.
    let v = json(&env.run(&["users", "get", "eve", "--format", "json"]).await);
    assert_eq!(v["name"], hostile);
    // Raw CSV to a pipe is the data as stored.
    let raw = stdout(
        &env.run(&["users", "get", "eve", "--format", "raw-csv"])
            .await,
    );
    assert!(raw.contains(hostile) && raw.contains(",=1+2"), "{raw:?}");

    // Error messages quote file content and server text: escaped too.
    let file = env.path("evil.jsonl");
    std::fs::write(
        &file,
        "{\"kind\":\"\\u001b[31mspace\\u0085\",\"id\":\"x\"}\n",
    )
    .unwrap();
    let out = env.run(&["import", &file]).await;
    expect_code(&out, 2);
    let err = stderr(&out);
    assert!(unsafe_chars(&err).is_empty(), "{err:?}");
    assert!(err.contains("\\u{1b}[31mspace"), "{err}");
}

/// A server whose first page of users (100, of a total of 300) comes at once and
/// whose later pages never come.
async fn first_page_only_server() -> String {
    use axum::http::Uri;
    let app = axum::Router::new().fallback(|uri: Uri| async move {
        let query = uri.query().unwrap_or_default();
        if query.contains("start=") {
            std::future::pending::<()>().await;
        }
        let users: Vec<serde_json::Value> = (0..100)
            .map(|i| {
                serde_json::json!({"id": format!("u{i:03}"), "name": null, "externalId": null,
                    "profileUrl": null, "email": null, "updated": "2025-01-01T00:00:00Z", "eTag": "e"})
            })
            .collect();
        axum::Json(serde_json::json!({"status": 200, "data": users, "totalCount": 300, "next": "MTAw"}))
    });
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    origin
}

#[tokio::test]
async fn list_all_prints_each_page_as_it_arrives() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let origin = first_page_only_server().await;
    let dir = tempfile::tempdir().unwrap();
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").unwrap();
    for format in ["jsonl", "csv", "json"] {
        let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
            .args([
                "--config",
                &config.display().to_string(),
                "--origin",
                &origin,
            ])
            .args(["--subscribe-key", "sub-c-slow", "users", "list", "--all"])
            .args(["--format", format])
            .stdout(std::process::Stdio::piped())
            .stderr(std::process::Stdio::null())
            .kill_on_drop(true)
            .spawn()
            .expect("appctx runs");
        let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
        let mut ids = 0;
        let read = async {
            while let Ok(Some(line)) = lines.next_line().await {
                if line.contains("u099") {
                    return;
                }
                ids += 1;
            }
        };
        tokio::time::timeout(std::time::Duration::from_secs(10), read)
            .await
            .unwrap_or_else(|_| panic!("{format}: the first page was not printed ({ids} lines)"));
        child.kill().await.unwrap();
    }
}
