//! Running the real `appctx` binary against an in-process server, with a clean
//! environment (no PUBNUB_* / APPCTX_* from the developer's shell) and an empty config.
#![allow(dead_code)]

use std::process::Output;

#[path = "../../benches/support/peak.rs"]
mod peak;

use appctx::server::{self, RunningServer, ServerConfig};

/// A server with a temp database, and a temp dir for files the test writes.
pub struct Env {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

/// The environment variables the binary reads.
const VARS: &[&str] = &[
    "PUBNUB_SUBSCRIBE_KEY",
    "PUBNUB_PUBLISH_KEY",
    "PUBNUB_SECRET_KEY",
    "PUBNUB_AUTH_KEY",
    "PUBNUB_USER_ID",
    "PUBNUB_ORIGIN",
    "APPCTX_CONFIG",
    "APPCTX_PROFILE",
];

impl Env {
    /// Starts an empty server.
    pub async fn start() -> Env {
        let dir = tempfile::tempdir().expect("temp dir");
        let server = server::start(ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            db: dir.path().join("server.db"),
            empty: true,
            referential_integrity: false,
            signing: None,
            log_requests: false,
        })
        .await
        .expect("server starts");
        std::fs::write(dir.path().join("empty.toml"), "").expect("config");
        Env { server, dir }
    }

    /// A path inside the temp dir.
    pub fn path(&self, name: &str) -> String {
        self.dir.path().join(name).display().to_string()
    }

    /// Runs `appctx --origin … --subscribe-key SUB ARGS…`.
    pub async fn run_on(&self, sub: &str, args: &[&str]) -> Output {
        let origin = self.server.origin();
        let config = self.path("empty.toml");
        let mut all = vec![
            "--config",
            &config,
            "--origin",
            &origin,
            "--subscribe-key",
            sub,
        ];
        all.extend_from_slice(args);
        run_raw(&all, &[]).await
    }

    /// Runs against keyset `sub-c-cli`.
    pub async fn run(&self, args: &[&str]) -> Output {
        self.run_on("sub-c-cli", args).await
    }
}

/// Runs the binary with exactly `args` and `env` (nothing inherited that it reads).
pub async fn run_raw(args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = tokio::process::Command::new(env!("CARGO_BIN_EXE_appctx"));
    cmd.args(args).kill_on_drop(true);
    for v in VARS {
        cmd.env_remove(v);
    }
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().await.expect("appctx runs")
}

/// Stdout as text.
pub fn stdout(o: &Output) -> String {
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// Stderr as text.
pub fn stderr(o: &Output) -> String {
    String::from_utf8_lossy(&o.stderr).into_owned()
}

/// Asserts the exit code, showing stderr when it is not the one expected.
pub fn expect_code(o: &Output, code: i32) {
    assert_eq!(
        o.status.code(),
        Some(code),
        "stdout: {}\nstderr: {}",
        stdout(o),
        stderr(o)
    );
}

/// Stdout parsed as JSON, after checking the command succeeded.
pub fn json(o: &Output) -> serde_json::Value {
    expect_code(o, 0);
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", stdout(o)))
}

/// The peak resident memory of a process, in KiB, measured as the benches measure it
/// (`benches/support/peak.rs`).
pub async fn peak_kib(mut child: tokio::process::Child) -> (u64, std::process::ExitStatus) {
    let every = std::time::Duration::from_micros(100);
    let sampler = peak::PeakSampler::start(child.id().expect("pid"), every);
    let status = child.wait().await.expect("wait");
    (sampler.stop(), status)
}
