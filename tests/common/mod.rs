//! Shared helpers for integration tests: an in-process local server on a loopback port
//! with a temporary database.
#![allow(dead_code)]

use appctx::server::events::EventConfig;
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
        Self::start_with_events(tweak, EventConfig::default()).await
    }

    /// Starts a server after `tweak` adjusts its configuration, with the given event
    /// settings (e.g. a short subscribe timeout).
    pub async fn start_with_events(
        tweak: impl FnOnce(&mut ServerConfig),
        events: EventConfig,
    ) -> TestServer {
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
        let server = server::start_with_events(config, events)
            .await
            .expect("server starts");
        TestServer { server, dir }
    }

    /// `http://127.0.0.1:PORT`.
    pub fn origin(&self) -> String {
        self.server.origin()
    }
}
pub mod proxy;
pub mod screen;
