//! The local App Context service: PubNub's wire protocol over HTTP, backed by SQLite.
//!
//! `appctx serve` runs it on its own; the TUI and the CLI start it in-process on a
//! loopback port when no keyset is configured, and talk to it through the same client
//! they use for PubNub.
//!
//! Every write that changes something also emits App Context events (spec §12), which
//! clients receive by long-polling the subscribe endpoint ([`events`], [`subscribe`]).

pub mod body;
pub mod conn;
pub mod custom_index;
pub mod error;
pub mod events;
pub mod guard;
pub mod head;
mod list_query;
pub mod model;
pub mod page_cache;
pub mod pam;
pub mod params;
pub mod render;
pub mod request_log;
pub mod routes;
pub mod search_index;
pub mod seed;
pub mod signing;
pub mod sql;
pub mod store;
pub mod subscribe;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;

use axum::middleware;
use tokio::net::TcpListener;

use events::{EventConfig, EventHub};
use routes::AppState;
use store::Store;

/// The subscribe key the demo keyset is seeded into.
pub const DEMO_KEYSET: &str = "demo";

/// How to run the local server.
#[derive(Clone, Debug)]
pub struct ServerConfig {
    /// Where to listen, e.g. `127.0.0.1:8090` (`:0` picks a free port).
    pub listen: SocketAddr,
    /// The SQLite file.
    pub db: PathBuf,
    /// Do not seed a new database with the demo keyset.
    pub empty: bool,
    /// Deleting an object deletes its relations; relations need both ends to exist.
    pub referential_integrity: bool,
    /// With a secret key, Access Manager is on: requests signed (signature v2) with it
    /// and this publish key may do anything; others need a token it granted ([`pam`]).
    pub signing: Option<signing::Keys>,
    /// Print one line per request on stderr (see [`start_with_log`] for a file).
    pub log_requests: bool,
}

/// What one client may cost the server, and who may talk to it.
#[derive(Clone, Debug)]
pub struct Limits {
    /// Longest a list query (filter, sort, count) may run before it is stopped and
    /// answered with a 503.
    pub query_budget: std::time::Duration,
    /// The web origin allowed to read subscribe answers from a browser
    /// (`Access-Control-Allow-Origin`); none by default, so a web page cannot read a
    /// developer's local events.
    pub allow_origin: Option<String>,
    /// Most connections open at once; more are closed as soon as they are accepted.
    /// Waiting subscribe calls count too.
    pub max_connections: usize,
    /// How long a connection may take to send a whole request head, and how long a
    /// kept-alive connection may sit idle between requests.
    pub header_timeout: std::time::Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            query_budget: store::DEFAULT_QUERY_BUDGET,
            allow_origin: None,
            max_connections: 512,
            header_timeout: std::time::Duration::from_secs(10),
        }
    }
}

/// A server running in this process.
pub struct RunningServer {
    /// The address it listens on.
    pub addr: SocketAddr,
    events: Arc<EventHub>,
    task: tokio::task::JoinHandle<()>,
    log: Option<Arc<request_log::RequestLog>>,
}

impl RunningServer {
    /// `http://ADDR`, the origin a client uses.
    pub fn origin(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The events of this server's writes (buffer, waiting subscribers).
    pub fn events(&self) -> &Arc<EventHub> {
        &self.events
    }

    /// Stops serving, and writes out the request log.
    pub fn stop(self) {
        self.task.abort();
        if let Some(log) = &self.log {
            log.flush();
        }
    }
}

/// Errors starting the server.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("cannot open the database {path}: {source}")]
    Database {
        path: PathBuf,
        source: rusqlite::Error,
    },
    #[error("the database {} is in use by another appctx server (it holds {}); stop that one or use another --db", path.display(), lock.display())]
    InUse { path: PathBuf, lock: PathBuf },
    #[error("cannot lock the database {}: {source}", lock.display())]
    Lock {
        lock: PathBuf,
        source: std::io::Error,
    },
    #[error("--allow-origin {0:?} is not a valid header value")]
    Origin(String),
    #[error("cannot seed the demo keyset: {0}")]
    Seed(String),
    #[error("cannot listen on {addr}: {source}")]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
}

/// Opens the store (seeding a new one unless `empty`) and starts serving in the
/// background of the current tokio runtime, with the default event settings
/// (subscribe calls wait up to 280 s; see [`EventConfig`]).
pub async fn start(config: ServerConfig) -> Result<RunningServer, StartError> {
    start_with_events(config, EventConfig::default()).await
}

/// [`start`], with the subscribe timeout and event buffer bounds of `events`.
pub async fn start_with_events(
    config: ServerConfig,
    events: EventConfig,
) -> Result<RunningServer, StartError> {
    start_with(config, events, Limits::default()).await
}

/// [`start`], with the event settings of `events` and the resource bounds of `limits`.
pub async fn start_with(
    config: ServerConfig,
    events: EventConfig,
    limits: Limits,
) -> Result<RunningServer, StartError> {
    let log = config.log_requests.then(request_log::RequestLog::stderr);
    start_full(config, events, limits, pam::KeysetSettings::default(), log).await
}

/// [`start_with`], with the keyset settings of `settings` ("Disallow Get All", token
/// time). With `config.signing`, Access Manager is on (see [`pam`]).
pub async fn start_keyset(
    config: ServerConfig,
    events: EventConfig,
    limits: Limits,
    settings: pam::KeysetSettings,
) -> Result<RunningServer, StartError> {
    let log = config.log_requests.then(request_log::RequestLog::stderr);
    start_full(config, events, limits, settings, log).await
}

/// [`start_with`], with the request log going to `log` (none: no request log;
/// `config.log_requests` is not looked at).
pub async fn start_with_log(
    config: ServerConfig,
    events: EventConfig,
    limits: Limits,
    log: Option<Arc<request_log::RequestLog>>,
) -> Result<RunningServer, StartError> {
    start_full(config, events, limits, pam::KeysetSettings::default(), log).await
}

/// Everything: keyset settings and the request log's destination.
pub async fn start_full(
    config: ServerConfig,
    events: EventConfig,
    limits: Limits,
    settings: pam::KeysetSettings,
    log: Option<Arc<request_log::RequestLog>>,
) -> Result<RunningServer, StartError> {
    if let Some(dir) = config.db.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let db_lock = lock_database(&config.db)?;
    let hub = Arc::new(EventHub::new(events));
    let mut store = Store::open_with_events(&config.db, config.referential_integrity, hub.clone())
        .map_err(|source| StartError::Database {
            path: config.db.clone(),
            source,
        })?;
    store.set_query_budget(limits.query_budget);
    seed::initialise(&store, config.empty).map_err(|e| StartError::Seed(e.to_string()))?;
    let listener = TcpListener::bind(config.listen)
        .await
        .map_err(|source| StartError::Listen {
            addr: config.listen,
            source,
        })?;
    let addr = listener.local_addr().map_err(|source| StartError::Listen {
        addr: config.listen,
        source,
    })?;
    let allow_origin = match &limits.allow_origin {
        None => None,
        Some(o) => {
            Some(axum::http::HeaderValue::from_str(o).map_err(|_| StartError::Origin(o.clone()))?)
        }
    };
    let state = Arc::new(AppState {
        store,
        allow_origin,
        _db_lock: db_lock,
    });
    let gate = pam::Gate::open(config.signing.clone(), settings, &config.db)
        .map(Arc::new)
        .map_err(|source| StartError::Database {
            path: config.db.clone(),
            source,
        })?;
    let mut app = routes::router(state)
        .merge(pam::router(gate.clone()))
        .layer(axum::extract::DefaultBodyLimit::max(guard::MAX_BODY_BYTES));
    if gate.is_active() {
        app = app.layer(middleware::from_fn_with_state(gate, pam::check));
    }
    let front = guard::Front {
        body_timeout: limits.header_timeout,
        loopback_only: addr.ip().is_loopback(),
        log: log.clone(),
    };
    let task = tokio::spawn(async move { conn::serve(listener, app, front, &limits).await });
    Ok(RunningServer {
        addr,
        events: hub,
        task,
        log,
    })
}

/// Takes the lock file next to the database (`DB.lock`), so a second server on the
/// same file (another `appctx serve`, or the TUI's embedded one) refuses to start
/// instead of both running and their writes failing with "database is locked". The
/// operating system releases it when the process ends, however it ends.
fn lock_database(db: &std::path::Path) -> Result<std::fs::File, StartError> {
    let mut name = db.as_os_str().to_owned();
    name.push(".lock");
    let lock = PathBuf::from(name);
    let file = std::fs::OpenOptions::new()
        .create(true)
        .truncate(false)
        .write(true)
        .open(&lock)
        .map_err(|source| StartError::Lock {
            lock: lock.clone(),
            source,
        })?;
    match file.try_lock() {
        Ok(()) => Ok(file),
        Err(std::fs::TryLockError::WouldBlock) => Err(StartError::InUse {
            path: db.to_path_buf(),
            lock,
        }),
        Err(std::fs::TryLockError::Error(source)) => Err(StartError::Lock { lock, source }),
    }
}
