//! `appctx config` and keyset selection as a process: flags > environment > profile,
//! secrets masked, and clear errors (exit 2) for bad TOML and unknown profiles.

mod cli_support;

use cli_support::{expect_code, json, run_raw, stderr, stdout, Env};

const CONFIG: &str = r#"
default_profile = "prod"

[profiles.prod]
subscribe_key = "sub-c-prod"
publish_key = "pub-c-prod"
secret_key_env = "MY_PROD_SECRET"
user_id = "ops"
read_only = true

[profiles.staging]
subscribe_key = "sub-c-staging"
auth_key = "staging-TOPSECRET-token"
"#;

fn config_file(dir: &tempfile::TempDir, text: &str) -> String {
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    path.display().to_string()
}

/// The `appctx config` line for `name`.
fn line<'a>(report: &'a str, name: &str) -> &'a str {
    report
        .lines()
        .find(|l| l.starts_with(name))
        .unwrap_or_else(|| panic!("no '{name}' in:\n{report}"))
}

#[tokio::test]
async fn config_shows_each_setting_with_its_source_and_masks_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(&dir, CONFIG);
    let out = run_raw(
        &["--config", &cfg, "--user-id", "flag-user", "config"],
        &[
            ("MY_PROD_SECRET", "sec-c-TOPSECRET"),
            ("PUBNUB_PUBLISH_KEY", "pub-c-env"),
            ("PUBNUB_AUTH_KEY", "auth-TOPSECRET"),
        ],
    )
    .await;
    expect_code(&out, 0);
    let report = stdout(&out);
    assert!(!report.contains("TOPSECRET"), "{report}");
    assert!(line(&report, "profile").contains("prod"));
    assert!(line(&report, "subscribe key").contains("sub-c-prod  (profile prod)"));
    assert!(line(&report, "publish key").contains("pub-c-env  (env PUBNUB_PUBLISH_KEY)"));
    assert!(line(&report, "secret key")
        .contains("********  (env MY_PROD_SECRET, named by profile prod)"));
    assert!(line(&report, "auth key").contains("(env PUBNUB_AUTH_KEY)"));
    assert!(line(&report, "user id").contains("flag-user  (flag --user-id)"));
    assert!(line(&report, "read only").contains("true  (profile prod)"));
    assert!(line(&report, "origin").contains("https://ps.pndsn.com  (default)"));

    // Another profile, chosen by the environment; an env key beats it.
    let out = run_raw(
        &["--config", &cfg, "config"],
        &[
            ("APPCTX_PROFILE", "staging"),
            ("PUBNUB_SUBSCRIBE_KEY", "sub-c-env"),
        ],
    )
    .await;
    let report = stdout(&out);
    assert!(line(&report, "subscribe key").contains("sub-c-env  (env PUBNUB_SUBSCRIBE_KEY)"));
    assert!(line(&report, "auth key").contains("********  (profile staging)"));
    assert!(!report.contains("TOPSECRET"));
}

#[tokio::test]
async fn config_errors_are_clear_and_exit_2() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(&dir, CONFIG);
    let out = run_raw(&["--config", &cfg, "--profile", "qa", "users", "list"], &[]).await;
    expect_code(&out, 2);
    let err = stderr(&out);
    assert!(
        err.contains("unknown profile 'qa'") && err.contains("known profiles: prod, staging"),
        "{err}"
    );

    // The default profile needs its secret variable.
    let out = run_raw(&["--config", &cfg, "config"], &[]).await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("$MY_PROD_SECRET"), "{}", stderr(&out));

    let bad = config_file(&dir, "[profiles.a]\nsubscribe_key = \"x\"\norigin = \n");
    let out = run_raw(&["--config", &bad, "config"], &[]).await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("line 3"), "{}", stderr(&out));

    let typo = config_file(&dir, "[profiles.a]\nsubscribe_kee = \"x\"\n");
    let out = run_raw(&["--config", &typo, "config"], &[]).await;
    expect_code(&out, 2);
    assert!(stderr(&out).contains("subscribe_kee"), "{}", stderr(&out));
}

#[tokio::test]
async fn a_profile_selects_the_keyset_used() {
    let env = Env::start().await;
    let origin = env.server.origin();
    let cfg = env.path("profiles.toml");
    std::fs::write(
        &cfg,
        format!("[profiles.local]\nsubscribe_key = \"sub-c-profile\"\norigin = \"{origin}\"\nuser_id = \"p\"\n"),
    )
    .unwrap();
    json(
        &run_raw(
            &[
                "--config",
                &cfg,
                "--profile",
                "local",
                "users",
                "set",
                "via-profile",
            ],
            &[],
        )
        .await,
    );
    // The user landed in the profile's keyset.
    let list = json(&env.run_on("sub-c-profile", &["users", "list"]).await);
    assert_eq!(list["data"][0]["id"], "via-profile");
    let other = json(&env.run_on("sub-c-other", &["users", "list"]).await);
    assert!(other["data"].as_array().unwrap().is_empty());
    // The env origin and key beat the profile's.
    let out = run_raw(
        &["--config", &cfg, "--profile", "local", "users", "list"],
        &[("PUBNUB_SUBSCRIBE_KEY", "sub-c-other")],
    )
    .await;
    assert!(json(&out)["data"].as_array().unwrap().is_empty());
}

/// `serve` keeps its own --db, --publish-key and --secret-key next to the global
/// keyset flags of the same names.
#[tokio::test]
async fn serve_keeps_its_own_flags() {
    use tokio::io::{AsyncBufReadExt, BufReader};
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.db").display().to_string();
    let mut child = tokio::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["serve", "--listen", "127.0.0.1:0", "--db", &db, "--empty"])
        // serve reads its keys from PUBNUB_* too; the developer's shell must not leak in.
        .env_remove("PUBNUB_SECRET_KEY")
        .env_remove("PUBNUB_PUBLISH_KEY")
        .args([
            "--publish-key",
            "pub-c-serve",
            "--secret-key",
            "sec-c-serve",
        ])
        .stderr(std::process::Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("serve starts");
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    let origin = loop {
        let line = lines
            .next_line()
            .await
            .unwrap()
            .expect("serve announces itself");
        if let Some(rest) = line.split("App Context on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    assert!(std::path::Path::new(&db).exists());
    // It requires signatures made with its keys.
    let out = run_raw(
        &[
            "--config",
            "/dev/null",
            "--origin",
            &origin,
            "users",
            "list",
        ],
        &[],
    )
    .await;
    expect_code(&out, 1);
    assert!(stderr(&out).contains("403"), "{}", stderr(&out));
    let signed = [
        "--config",
        "/dev/null",
        "--origin",
        &origin,
        "--publish-key",
        "pub-c-serve",
        "--secret-key",
        "sec-c-serve",
        "users",
        "list",
    ];
    json(&run_raw(&signed, &[]).await);
    child.kill().await.unwrap();
}

#[tokio::test]
async fn config_errors_never_echo_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    for text in [
        "[profiles.a]\nsubscribe_key = \"x\"\nsecret_key = sec-c-TOPSECRET\n",
        "[profiles.a]\nsubscribe_key = \"x\"\nauth_key = 12345678\n",
        "[profiles.a]\nsubscribe_key = \"x\"\nsecret_key = \"sec-c-TOPSECRET\" \"again\"\n",
    ] {
        let cfg = config_file(&dir, text);
        let out = run_raw(&["--config", &cfg, "config"], &[]).await;
        expect_code(&out, 2);
        let err = stderr(&out);
        assert!(err.contains("line 3"), "{err}");
        assert!(
            !err.contains("TOPSECRET") && !err.contains("12345678"),
            "{text:?} -> {err}"
        );
    }
}

#[tokio::test]
async fn origins_with_credentials_are_masked() {
    let dir = tempfile::tempdir().unwrap();
    let cfg = config_file(&dir, "");
    for origin in [
        "http://admin:TOPSECRET@127.0.0.1:9",
        "http://127.0.0.1:9/?auth=TOPSECRET",
    ] {
        let base = ["--config", &cfg, "--subscribe-key", "sub-c-x"];
        let report = run_raw(&[&base[..], &["--origin", origin, "config"]].concat(), &[]).await;
        expect_code(&report, 0);
        let shown = stdout(&report);
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(line(&shown, "origin").contains("***"), "{shown}");

        let out = run_raw(
            &[&base[..], &["--origin", origin, "users", "list"]].concat(),
            &[],
        )
        .await;
        expect_code(&out, 2);
        let err = stderr(&out);
        assert!(!err.contains("TOPSECRET") && err.contains("***"), "{err}");

        let env = [("PUBNUB_ORIGIN", origin)];
        let out = run_raw(&["--config", &cfg, "--subscribe-key", "s", "config"], &env).await;
        assert!(!stdout(&out).contains("TOPSECRET"), "{}", stdout(&out));
    }
}

#[tokio::test]
async fn startup_errors_are_one_plain_line_when_stderr_is_not_a_terminal() {
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("serve.db").display().to_string();
    let out = run_raw(&["serve", "--listen", &addr, "--db", &db, "--empty"], &[]).await;
    expect_code(&out, 1);
    let err = stderr(&out);
    assert_eq!(err.lines().count(), 1, "{err:?}");
    assert!(err.starts_with("appctx"), "{err:?}"); // "appctx: …" or "appctx serve: …"
    assert!(!err.contains('\u{1b}'), "no colour: {err:?}");
    assert!(
        !err.contains("Location") && !err.contains("Backtrace"),
        "{err:?}"
    );
}
