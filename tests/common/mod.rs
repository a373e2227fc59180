//! Shared helpers for integration tests: an in-process local server on a loopback port
//! with a temporary database.
#![allow(dead_code)]

use appctx::server::{self, RunningServer, ServerConfig};

/// A running in-process server and the temp dir holding its database.
pub struct TestServer {
    pub server: RunningServer,
    pub dir: tempfile::TempDir,
}

impl TestServer {
    /// Starts an empty server (no demo data).
    pub async fn start() -> TestServer {
        Self::start_with(|_| {}).await
    }

    /// Starts a server after `tweak` adjusts its configuration.
    pub async fn start_with(tweak: impl FnOnce(&mut ServerConfig)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut config = ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            db: dir.path().join("test.db"),
            empty: true,
            referential_integrity: false,
            signing: None,
            log_requests: false,
        };
        tweak(&mut config);
        let server = server::start(config).await.expect("server starts");
        TestServer { server, dir }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        self.server.origin()
    }
}
