//! `appctx token` and a limited token, run as processes against a server with Access
//! Manager on: grant, parse (table and JSON), use, revoke (which outlasts a restart),
//! and a "Disallow Get All" keyset explained by `list` and `export`.

mod cli_support;

use std::path::Path;

use appctx::server::pam::KeysetSettings;
use appctx::server::signing::Keys;
use appctx::server::{self, events::EventConfig, Limits, RunningServer, ServerConfig};
use cli_support::{expect_code, json, run_raw, stderr, stdout};

const PUB: &str = "pub-c-tok";
const SEC: &str = "sec-c-tok";
const SUB: &str = "sub-c-tok";

async fn serve(db: &Path, settings: KeysetSettings) -> RunningServer {
    server::start_keyset(
        ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            db: db.to_path_buf(),
            empty: true,
            referential_integrity: false,
            signing: Some(Keys {
                publish_key: PUB.into(),
                secret_key: SEC.into(),
            }),
            log_requests: false,
        },
        EventConfig::default(),
        Limits::default(),
        settings,
    )
    .await
    .expect("server starts")
}

/// Runs the binary on `server`'s keyset with `keys` (e.g. the secret or a token) first.
async fn run(
    server: &RunningServer,
    dir: &Path,
    keys: &[&str],
    args: &[&str],
) -> std::process::Output {
    let config = dir.join("empty.toml");
    std::fs::write(&config, "").expect("config");
    let origin = server.origin();
    let config = config.display().to_string();
    let mut all = vec![
        "--config",
        &config,
        "--origin",
        &origin,
        "--subscribe-key",
        SUB,
    ];
    all.extend_from_slice(keys);
    all.extend_from_slice(args);
    run_raw(&all, &[]).await
}

const ADMIN: &[&str] = &["--publish-key", PUB, "--secret-key", SEC];

#[tokio::test]
async fn a_token_granted_parsed_used_and_revoked_through_the_cli() {
    let dir = tempfile::tempdir().expect("dir");
    let db = dir.path().join("server.db");
    let server = serve(&db, KeysetSettings::default()).await;
    let d = dir.path();

    let out = run(
        &server,
        d,
        ADMIN,
        &[
            "token",
            "grant",
            "--ttl",
            "60",
            "--uuid",
            "bob:get,update",
            "--channel-pattern",
            "room-.*:get,join",
            "--authorized-uuid",
            "agent",
            "--meta",
            r#"{"role":"agent"}"#,
        ],
    )
    .await;
    expect_code(&out, 0);
    let token = stdout(&out).trim().to_string();
    assert!(!token.is_empty() && !token.contains('\n'));

    // parse needs no keyset at all.
    let parsed = run_raw(&["token", "parse", &token], &[]).await;
    expect_code(&parsed, 0);
    let table = stdout(&parsed);
    assert!(table.contains("for uuid   agent"), "{table}");
    assert!(table.contains("(60 min left)"), "{table}");
    let rows: Vec<Vec<&str>> = table
        .lines()
        .filter(|l| l.contains(" exact ") || l.contains(" pattern "))
        .map(|l| l.split_whitespace().collect())
        .collect();
    assert_eq!(
        rows,
        vec![
            vec!["uuid", "exact", "bob", "get,update"],
            vec!["channel", "pattern", "room-.*", "get,join"],
        ],
        "{table}"
    );
    let v = json(&run_raw(&["token", "parse", "--json", &token], &[]).await);
    assert_eq!(v["ttl"], 60);
    assert_eq!(v["authorized_uuid"], "agent");
    assert_eq!(v["meta"]["role"], "agent");
    assert_eq!(v["resources"]["uuids"]["bob"]["update"], true);
    assert_eq!(v["resources"]["uuids"]["bob"]["delete"], false);
    assert_eq!(v["patterns"]["channels"]["room-.*"]["join"], true);
    assert_eq!(v["expired"], false);

    // Used as the agent: what the token allows works, the rest is refused (exit 1).
    let agent = &["--auth-key", token.as_str(), "--user-id", "agent"][..];
    let ok = run(&server, d, agent, &["users", "set", "bob", "--name", "Bob"]).await;
    assert_eq!(json(&ok)["name"], "Bob");
    let ok = run(
        &server,
        d,
        agent,
        &["memberships", "set", "bob", "--channel", "room-1"],
    )
    .await;
    expect_code(&ok, 0);
    let refused = run(&server, d, agent, &["users", "remove", "bob"]).await;
    expect_code(&refused, 1);
    assert!(stderr(&refused).contains("403"), "{}", stderr(&refused));
    // The CLI reads the token to say what it lacks.
    assert!(
        stderr(&refused).contains("this token has no `delete` on uuid `bob`"),
        "{}",
        stderr(&refused)
    );
    let refused = run(
        &server,
        d,
        agent,
        &["memberships", "set", "bob", "--channel", "lobby"],
    )
    .await;
    expect_code(&refused, 1);
    // Another user id may not use it.
    let other = &["--auth-key", token.as_str(), "--user-id", "mallory"][..];
    let refused = run(&server, d, other, &["users", "get", "bob"]).await;
    expect_code(&refused, 1);
    assert!(
        stderr(&refused).contains("this token is for uuid `agent`"),
        "{}",
        stderr(&refused)
    );

    let out = run(&server, d, ADMIN, &["token", "revoke", &token]).await;
    expect_code(&out, 0);
    let refused = run(&server, d, agent, &["users", "get", "bob"]).await;
    expect_code(&refused, 1);
    assert!(
        stderr(&refused).contains("Token is revoked"),
        "{}",
        stderr(&refused)
    );

    // The revocation is in the database: a restarted server still refuses it.
    server.stop();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    let server = serve(&db, KeysetSettings::default()).await;
    let refused = run(&server, d, agent, &["users", "get", "bob"]).await;
    expect_code(&refused, 1);
    assert!(
        stderr(&refused).contains("Token is revoked"),
        "{}",
        stderr(&refused)
    );
    // …and the data is there for the secret key.
    assert_eq!(
        json(&run(&server, d, ADMIN, &["users", "get", "bob"]).await)["name"],
        "Bob"
    );
}

#[tokio::test]
async fn token_usage_errors_send_nothing() {
    let garbage = run_raw(&["token", "parse", "not a token"], &[]).await;
    expect_code(&garbage, 2);
    assert!(stderr(&garbage).contains("not an Access Manager token"));
    // No secret: refused before anything is sent (there is no server here at all).
    let no_secret = run_raw(
        &[
            "--origin",
            "http://127.0.0.1:9",
            "--subscribe-key",
            SUB,
            "token",
            "grant",
            "--ttl",
            "5",
            "--uuid",
            "bob:get",
        ],
        &[],
    )
    .await;
    expect_code(&no_secret, 2);
    assert!(
        stderr(&no_secret).contains("secret"),
        "{}",
        stderr(&no_secret)
    );
    let bad_perm = run_raw(&["token", "grant", "--ttl", "5", "--uuid", "bob:fly"], &[]).await;
    expect_code(&bad_perm, 2);
}

#[tokio::test]
async fn disallow_get_all_is_explained_by_list_and_export() {
    let dir = tempfile::tempdir().expect("dir");
    let settings = KeysetSettings {
        disallow_get_all: true,
        ..Default::default()
    };
    let server = serve(&dir.path().join("server.db"), settings).await;
    let d = dir.path();
    expect_code(
        &run(&server, d, ADMIN, &["users", "set", "bob", "--name", "Bob"]).await,
        0,
    );
    let token = stdout(
        &run(
            &server,
            d,
            ADMIN,
            &[
                "token",
                "grant",
                "--ttl",
                "5",
                "--uuid-pattern",
                ".*:get",
                "--channel-pattern",
                ".*:get",
            ],
        )
        .await,
    )
    .trim()
    .to_string();
    let client = &["--auth-key", token.as_str()][..];
    for (args, what) in [
        (&["users", "list"][..], "list all users"),
        (&["channels", "list"][..], "list all channels"),
        (&["export"][..], "list all users"),
    ] {
        let out = run(&server, d, client, args).await;
        expect_code(&out, 1);
        let err = stderr(&out);
        assert!(
            err.contains(what) && err.contains("Disallow Get All"),
            "{args:?}: {err}"
        );
    }
    // By id it works; the secret key lists.
    assert_eq!(
        json(&run(&server, d, client, &["users", "get", "bob"]).await)["name"],
        "Bob"
    );
    let listed = json(&run(&server, d, ADMIN, &["users", "list", "--format", "json"]).await);
    assert_eq!(listed["data"][0]["id"], "bob");
}
