//! The `appctx` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use color_eyre::eyre::{eyre, Result};

use appctx::server::events::{EventConfig, EventType};
use appctx::server::{self, signing::Keys, ServerConfig};

#[derive(Parser)]
#[command(
    name = "appctx",
    version,
    about = "Browse and edit PubNub App Context from the terminal"
)]
struct Cli {
    #[command(flatten)]
    global: appctx::cli::GlobalArgs,
    /// Do not capture the mouse in the TUI (also `mouse = false` in config.toml).
    #[arg(long, global = true)]
    no_mouse: bool,
    #[command(subcommand)]
    command: Option<Command>,
}

#[derive(Subcommand)]
enum Command {
    /// Run the local App Context server (PubNub's wire protocol, SQLite-backed).
    Serve(ServeArgs),
    #[command(flatten)]
    Script(appctx::cli::Command),
}

#[derive(Parser)]
struct ServeArgs {
    /// Address to listen on.
    #[arg(long, default_value = "127.0.0.1:8090")]
    listen: SocketAddr,
    /// SQLite database file [default: appctx.db in the platform data dir].
    #[arg(long)]
    db: Option<PathBuf>,
    /// Do not seed a new database with the demo keyset.
    #[arg(long)]
    empty: bool,
    /// Deleting a user or channel deletes its memberships; memberships to missing users or channels are refused.
    #[arg(long, help_heading = "Keyset settings")]
    referential_integrity: bool,
    /// Publish key that signed requests are checked against (with --secret-key).
    #[arg(
        long,
        requires = "secret_key",
        env = "PUBNUB_PUBLISH_KEY",
        help_heading = "Keyset settings"
    )]
    publish_key: Option<String>,
    /// Turn on Access Manager with this secret key (better given in PUBNUB_SECRET_KEY,
    /// which other users cannot see in the process list): requests signed with it
    /// (signature v2) may do anything, grant tokens (POST /v3/pam/{sub_key}/grant) and
    /// revoke them; every other request needs a token as `auth` that allows it.
    #[arg(
        long,
        requires = "publish_key",
        env = "PUBNUB_SECRET_KEY",
        hide_env_values = true,
        help_heading = "Keyset settings"
    )]
    secret_key: Option<String>,
    /// "Disallow Get All User Metadata" and "Disallow Get All Channel Metadata": listing
    /// all users or all channels answers 403 unless signed with the secret key.
    #[arg(long, help_heading = "Keyset settings")]
    disallow_get_all: bool,
    /// App Context event types this keyset does not emit (its "User/Channel/Membership
    /// Metadata Events" settings off): any of user, channel, membership.
    #[arg(
        long,
        value_name = "TYPES",
        value_delimiter = ',',
        value_parser = parse_event_type,
        help_heading = "Keyset settings"
    )]
    no_events: Vec<EventType>,
    /// Test hook: seconds in a token's minute (default 60), so a ttl=1 token expires
    /// in this many seconds.
    #[arg(long, hide = true, default_value_t = 60, value_parser = clap::value_parser!(u64).range(1..))]
    token_minute_secs: u64,
    /// Let web pages from this origin read subscribe answers (CORS), e.g.
    /// http://localhost:3000. None may by default.
    #[arg(long, value_name = "ORIGIN")]
    allow_origin: Option<String>,
    /// Most connections held at once (each idle subscriber holds one); more are closed
    /// as soon as accepted.
    #[arg(long, value_name = "N", default_value_t = server::Limits::default().max_connections as u32,
          value_parser = clap::value_parser!(u32).range(1..=65_536))]
    max_connections: u32,
    /// Do not log requests (by default one line per request goes to stderr).
    #[arg(long, conflicts_with = "log")]
    quiet: bool,
    /// Append the request log to this file instead of stderr.
    #[arg(long, value_name = "FILE")]
    log: Option<PathBuf>,
}

fn parse_event_type(name: &str) -> Result<EventType, String> {
    EventType::from_name(name)
        .ok_or_else(|| format!("{name:?} is not an event type (user, channel, membership)"))
}

/// The default database file.
fn default_db() -> Result<PathBuf> {
    appctx::config::data_file("appctx.db")
        .ok_or_else(|| eyre!("cannot find a data directory: pass --db PATH"))
}

async fn serve(args: ServeArgs) -> Result<ExitCode> {
    let db = match args.db {
        Some(p) => p,
        None => default_db()?,
    };
    let signing = match (args.publish_key, args.secret_key) {
        (Some(publish_key), Some(secret_key)) => Some(Keys {
            publish_key,
            secret_key,
        }),
        _ => None,
    };
    let config = ServerConfig {
        listen: args.listen,
        db: db.clone(),
        empty: args.empty,
        referential_integrity: args.referential_integrity,
        signing,
        log_requests: !args.quiet,
    };
    let log = match (&args.log, args.quiet) {
        (_, true) => None,
        (Some(path), false) => match server::request_log::RequestLog::file(path) {
            Ok(log) => Some(log),
            Err(e) => {
                eprintln!("appctx serve: cannot open the log {}: {e}", path.display());
                return Ok(ExitCode::FAILURE);
            }
        },
        (None, false) => Some(server::request_log::RequestLog::stderr()),
    };
    let mut notes = Vec::new();
    if config.signing.is_some() {
        notes.push("Access Manager on: requests not signed with the secret key need a token (`appctx token grant`)".to_string());
    }
    if args.disallow_get_all {
        notes.push("Disallow Get All User/Channel Metadata on".to_string());
    }
    if !args.no_events.is_empty() {
        let names: Vec<&str> = args.no_events.iter().map(|t| t.name()).collect();
        notes.push(format!("no {} events", names.join(", ")));
    }
    let limits = server::Limits {
        allow_origin: args.allow_origin,
        max_connections: args.max_connections as usize,
        ..Default::default()
    };
    let settings = server::pam::KeysetSettings {
        disallow_get_all: args.disallow_get_all,
        token_minute_secs: args.token_minute_secs,
    };
    let events = EventConfig {
        disabled: args.no_events,
        ..Default::default()
    };
    let running = match server::start_full(config, events, limits, settings, log).await {
        Ok(r) => r,
        Err(e) => {
            // One plain line: this is an answer to the user, not a crash.
            eprintln!("appctx serve: {e}");
            return Ok(ExitCode::FAILURE);
        }
    };
    eprintln!(
        "appctx serve: App Context on {} (database {}; demo keyset '{}')",
        running.origin(),
        db.display(),
        server::DEMO_KEYSET
    );
    for note in notes {
        eprintln!("appctx serve: {note}");
    }
    tokio::signal::ctrl_c().await?;
    eprintln!("appctx serve: stopping");
    running.stop();
    Ok(ExitCode::SUCCESS)
}

/// The TUI on the resolved keyset (the embedded server when none is configured).
async fn tui(global: &appctx::cli::GlobalArgs, no_mouse: bool) -> Result<ExitCode> {
    use appctx::config::{Mode, Settings};
    use appctx::tui::app::{Backend, Session};
    let settings = match Settings::resolve(&global.flags()) {
        Ok(s) => s,
        Err(e) => {
            eprintln!("appctx: {}", appctx::text::escape_lines(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    init_file_log();
    let keymap = match load_keymap(&settings) {
        Ok(k) => k,
        Err(e) => {
            eprintln!("appctx: {}", appctx::text::escape_lines(&e.to_string()));
            return Ok(ExitCode::from(2));
        }
    };
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let options = appctx::api::ClientOptions {
        observer: Some(appctx::tui::runner::log_observer(tx.clone())),
        ..Default::default()
    };
    let connection = match settings.connect(options).await {
        Ok(c) => c,
        Err(e) => {
            eprintln!("appctx: {}", appctx::text::escape_lines(&e.to_string()));
            return Ok(ExitCode::from(1));
        }
    };
    let session = Session {
        keyset: settings.subscribe_key.value.clone(),
        backend: match settings.mode {
            Mode::Local { .. } => Backend::Local,
            Mode::Remote if appctx::api::keyset::is_loopback_origin(&settings.origin.value) => {
                Backend::LocalServer(settings.origin.value.clone())
            }
            Mode::Remote => Backend::PubNub(settings.origin.value.clone()),
        },
        read_only: settings.read_only.value,
        read_only_reason: settings.read_only.source.to_string(),
        access: settings.auth_key.as_ref().and_then(|a| {
            appctx::tui::access::Access::from_auth(a.value.expose(), &settings.user_id.value)
        }),
    };
    let mouse = !no_mouse && settings.mouse.value;
    appctx::tui::terminal::run(connection.client, keymap, session, mouse, (tx, rx)).await?;
    drop(connection.server);
    Ok(ExitCode::SUCCESS)
}

/// The TUI owns the terminal, so diagnostics go to `appctx.log` in the platform data
/// dir (level from `APPCTX_LOG`, default `info`), never to the screen.
fn init_file_log() {
    let Some(path) = appctx::config::data_file("appctx.log") else {
        return;
    };
    if let Some(dir) = path.parent() {
        let _ = std::fs::create_dir_all(dir);
    }
    let Ok(file) = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
    else {
        return;
    };
    let filter = tracing_subscriber::EnvFilter::try_from_env("APPCTX_LOG")
        .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("info"));
    let _ = tracing_subscriber::fmt()
        .with_writer(std::sync::Mutex::new(file))
        .with_ansi(false)
        .with_env_filter(filter)
        .try_init();
}

/// The default keys patched by `keymap.toml` next to the config file, if there is one.
fn load_keymap(settings: &appctx::config::Settings) -> Result<appctx::tui::keymap::Keymap> {
    let path = settings
        .config_file
        .as_ref()
        .and_then(|(p, _)| p.parent().map(|d| d.join("keymap.toml")));
    let text = match &path {
        Some(p) if p.exists() => Some(
            std::fs::read_to_string(p).map_err(|e| eyre!("cannot read {}: {e}", p.display()))?,
        ),
        _ => None,
    };
    appctx::tui::keymap::Keymap::with_patch(text.as_deref()).map_err(|e| match &path {
        Some(p) => eyre!("{} — {e}", p.display()),
        None => eyre!("{e}"),
    })
}

/// Error and panic reports: color-eyre's on a terminal; plain text (no colour, no
/// location or backtrace) when stderr goes to a file or a pipe.
fn install_reports(plain: bool) {
    let hooks = if plain {
        color_eyre::config::HookBuilder::blank()
            .display_env_section(false)
            .display_location_section(false)
    } else {
        color_eyre::config::HookBuilder::default()
    };
    // Only fails when a hook is already installed; the default report then serves.
    let _ = hooks.install();
}

/// A failure as one line: the message and its causes, `: `-separated, escaped.
fn one_line(e: &color_eyre::eyre::Report) -> String {
    let mut text = String::new();
    for cause in e.chain().map(|c| c.to_string()) {
        // Many messages already end with their cause.
        if !text.contains(&cause) {
            if !text.is_empty() {
                text.push_str(": ");
            }
            text.push_str(&cause);
        }
    }
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    appctx::text::escape(&text).into_owned()
}

fn main() -> ExitCode {
    use std::io::IsTerminal;
    let plain = !std::io::stderr().is_terminal();
    install_reports(plain);
    let cli = Cli::parse();
    // A scripting command is one client: on one thread it does the same work without
    // handing every answer to another thread (an export of 100k users took 0.45 s
    // instead of 0.54 s, with less CPU), and leaves the other cores to the server.
    // The server and the TUI (with its embedded server) use every core.
    let runtime = match cli.command {
        Some(Command::Script(_)) => tokio::runtime::Builder::new_current_thread(),
        _ => tokio::runtime::Builder::new_multi_thread(),
    }
    .enable_all()
    .build();
    let result = match runtime {
        Err(e) => Err(color_eyre::eyre::eyre!(
            "cannot start the async runtime: {e}"
        )),
        Ok(runtime) => runtime.block_on(async {
            match cli.command {
                Some(Command::Serve(args)) => serve(args).await,
                Some(Command::Script(command)) => Ok(appctx::cli::run(&cli.global, command).await),
                None => tui(&cli.global, cli.no_mouse).await,
            }
        }),
    };
    match result {
        Ok(code) => code,
        Err(e) if plain => {
            eprintln!("appctx: {}", one_line(&e));
            ExitCode::FAILURE
        }
        Err(e) => {
            eprintln!("Error: {e:?}");
            ExitCode::FAILURE
        }
    }
}
