//! Keysets and profiles: which App Context the commands talk to, and as whom.
//!
//! Precedence: command-line flags > environment (`PUBNUB_SUBSCRIBE_KEY`,
//! `PUBNUB_PUBLISH_KEY`, `PUBNUB_SECRET_KEY`, `PUBNUB_AUTH_KEY`, `PUBNUB_USER_ID`,
//! `PUBNUB_ORIGIN`) > the selected profile of `config.toml` (platform config dir, or
//! `--config PATH` / `APPCTX_CONFIG`). With no keyset anywhere, the embedded local
//! server (keyset `demo`) is used. Every value remembers where it came from, for
//! `appctx config`; secrets stay [`Secret`]s and are never printed.
//!
//! ```toml
//! default_profile = "prod"
//!
//! [profiles.prod]
//! subscribe_key = "sub-c-…"
//! publish_key = "pub-c-…"
//! secret_key_env = "PROD_PUBNUB_SECRET"   # or secret_key = "sec-c-…"
//! user_id = "ops-cli"
//! read_only = true
//! ```

use std::collections::BTreeMap;
use std::fmt::{self, Write as _};
use std::net::{Ipv4Addr, SocketAddr};
use std::path::{Path, PathBuf};

use serde::Deserialize;

use crate::api::{self, Client, ClientOptions, Keyset, Secret, DEFAULT_ORIGIN};
use crate::server::{self, RunningServer, ServerConfig, StartError, DEMO_KEYSET};

/// The user id sent as `uuid` when none is configured.
pub const DEFAULT_USER_ID: &str = "appctx-cli";

/// The command-line side of the configuration (global flags).
#[derive(Clone, Debug, Default)]
pub struct Flags {
    pub config: Option<PathBuf>,
    pub profile: Option<String>,
    pub subscribe_key: Option<String>,
    pub publish_key: Option<String>,
    pub secret_key: Option<Secret>,
    pub auth_key: Option<Secret>,
    pub user_id: Option<String>,
    pub origin: Option<String>,
    pub local: bool,
    pub db: Option<PathBuf>,
    pub read_only: bool,
}

/// Where a setting came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    /// A command-line flag (`--subscribe-key`).
    Flag(&'static str),
    /// An environment variable.
    Env(String),
    /// The named profile in the config file.
    Profile(String),
    /// An environment variable that the named profile points at (`secret_key_env`).
    ProfileEnv { profile: String, var: String },
    /// Built in.
    Default,
    /// The embedded local server.
    Local,
}

impl fmt::Display for Source {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Source::Flag(name) => write!(f, "flag {name}"),
            Source::Env(var) => write!(f, "env {var}"),
            Source::Profile(p) => write!(f, "profile {p}"),
            Source::ProfileEnv { profile, var } => {
                write!(f, "env {var}, named by profile {profile}")
            }
            Source::Default => f.write_str("default"),
            Source::Local => f.write_str("embedded server"),
        }
    }
}

/// A value and where it came from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sourced<T> {
    pub value: T,
    pub source: Source,
}

fn sourced<T>(value: T, source: Source) -> Sourced<T> {
    Sourced { value, source }
}

/// Configuration problems, each a message a user can act on.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("cannot read the config file {path}: {source}")]
    Read {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the config file {path} is not valid: {message}")]
    Parse { path: PathBuf, message: String },
    #[error("unknown profile '{name}' (config file {path}); {}", known_list(.known))]
    UnknownProfile {
        name: String,
        path: PathBuf,
        known: Vec<String>,
    },
    #[error("profile '{profile}' takes its {what} from ${var}, which is not set")]
    MissingEnv {
        profile: String,
        what: &'static str,
        var: String,
    },
    #[error("profile '{profile}' sets both {what} and {what}_env; keep one")]
    Ambiguous { profile: String, what: &'static str },
    #[error("cannot find the platform {0} directory; pass --config PATH / --db PATH")]
    NoPlatformDir(&'static str),
    #[error("{0}")]
    Client(#[from] api::Error),
    #[error("cannot start the embedded App Context server: {0}")]
    Server(#[from] StartError),
}

fn known_list(known: &[String]) -> String {
    if known.is_empty() {
        "no profiles are defined".to_string()
    } else {
        format!("known profiles: {}", known.join(", "))
    }
}

/// `config.toml`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct FileConfig {
    default_profile: Option<String>,
    /// Capture the mouse in the TUI (default true).
    mouse: Option<bool>,
    #[serde(default)]
    profiles: BTreeMap<String, Profile>,
}

/// One `[profiles.NAME]` table.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Profile {
    subscribe_key: Option<String>,
    publish_key: Option<String>,
    secret_key: Option<String>,
    secret_key_env: Option<String>,
    auth_key: Option<String>,
    auth_key_env: Option<String>,
    user_id: Option<String>,
    origin: Option<String>,
    read_only: Option<bool>,
}

/// Remote PubNub (or `appctx serve`) or the embedded server.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Mode {
    /// Talk to `origin` with the resolved keyset.
    Remote,
    /// Start the local server in-process on a loopback port with this database.
    Local { db: Sourced<PathBuf> },
}

/// The resolved settings.
#[derive(Clone, Debug)]
pub struct Settings {
    /// The config file consulted, and whether it exists.
    pub config_file: Option<(PathBuf, bool)>,
    pub profile: Option<Sourced<String>>,
    pub mode: Mode,
    /// For [`Mode::Local`] the origin is only known once the server runs.
    pub origin: Sourced<String>,
    pub subscribe_key: Sourced<String>,
    pub publish_key: Option<Sourced<String>>,
    pub secret_key: Option<Sourced<Secret>>,
    pub auth_key: Option<Sourced<Secret>>,
    pub user_id: Sourced<String>,
    pub read_only: Sourced<bool>,
    /// Whether the TUI captures the mouse (`mouse` in config.toml; `--no-mouse`).
    pub mouse: Sourced<bool>,
}

/// A client ready to use, and the embedded server it talks to (kept running while
/// this lives).
pub struct Connection {
    pub client: Client,
    pub server: Option<RunningServer>,
}

impl Settings {
    /// Resolves flags, the process environment and the config file.
    pub fn resolve(flags: &Flags) -> Result<Settings, ConfigError> {
        Settings::resolve_with(flags, &|name| std::env::var(name).ok())
    }

    /// Resolves with `env` standing in for the environment (empty values count as
    /// unset).
    pub fn resolve_with(
        flags: &Flags,
        env: &dyn Fn(&str) -> Option<String>,
    ) -> Result<Settings, ConfigError> {
        let env = |name: &str| env(name).filter(|v| !v.is_empty());
        let config_path = match (&flags.config, env("APPCTX_CONFIG")) {
            (Some(p), _) => Some((p.clone(), true)),
            (None, Some(p)) => Some((PathBuf::from(p), true)),
            (None, None) => default_config_path().map(|p| (p, false)),
        };
        // An explicit path must exist; the default one may not.
        let file = match &config_path {
            Some((path, explicit)) => load_file(path, *explicit)?,
            None => None,
        };
        let config_file = config_path.map(|(p, _)| {
            let exists = p.is_file();
            (p, exists)
        });
        let path_for_errors = config_file
            .as_ref()
            .map(|(p, _)| p.clone())
            .unwrap_or_default();

        let profile_name = match (&flags.profile, env("APPCTX_PROFILE")) {
            (Some(p), _) => Some(sourced(p.clone(), Source::Flag("--profile"))),
            (None, Some(p)) => Some(sourced(p, Source::Env("APPCTX_PROFILE".into()))),
            (None, None) => file
                .as_ref()
                .and_then(|f| f.default_profile.clone())
                .map(|p| sourced(p, Source::Default)),
        };
        let empty = Profile::default();
        let profile = match &profile_name {
            None => &empty,
            Some(name) => file
                .as_ref()
                .and_then(|f| f.profiles.get(&name.value))
                .ok_or_else(|| ConfigError::UnknownProfile {
                    name: name.value.clone(),
                    path: path_for_errors.clone(),
                    known: file
                        .as_ref()
                        .map(|f| f.profiles.keys().cloned().collect())
                        .unwrap_or_default(),
                })?,
        };
        let look = Lookup {
            env: &env,
            profile: profile_name
                .as_ref()
                .map(|p| p.value.clone())
                .unwrap_or_default(),
        };
        let subscribe_key = look.pick(
            &flags.subscribe_key,
            "--subscribe-key",
            "PUBNUB_SUBSCRIBE_KEY",
            &profile.subscribe_key,
        );
        let publish_key = look.pick(
            &flags.publish_key,
            "--publish-key",
            "PUBNUB_PUBLISH_KEY",
            &profile.publish_key,
        );
        let origin = look.pick(&flags.origin, "--origin", "PUBNUB_ORIGIN", &profile.origin);
        let user_id = look
            .pick(
                &flags.user_id,
                "--user-id",
                "PUBNUB_USER_ID",
                &profile.user_id,
            )
            .unwrap_or_else(|| sourced(DEFAULT_USER_ID.to_string(), Source::Default));
        let secret_key = look.pick_secret(
            &flags.secret_key,
            "--secret-key",
            "PUBNUB_SECRET_KEY",
            (&profile.secret_key, &profile.secret_key_env),
            "secret_key",
        )?;
        let auth_key = look.pick_secret(
            &flags.auth_key,
            "--auth-key",
            "PUBNUB_AUTH_KEY",
            (&profile.auth_key, &profile.auth_key_env),
            "auth_key",
        )?;
        let read_only = if flags.read_only {
            sourced(true, Source::Flag("--read-only"))
        } else if let Some(r) = profile.read_only {
            sourced(r, Source::Profile(look.profile.clone()))
        } else {
            sourced(false, Source::Default)
        };

        let mouse = match file.as_ref().and_then(|f| f.mouse) {
            Some(m) => sourced(m, Source::Default),
            None => sourced(true, Source::Default),
        };

        // No keyset and no origin anywhere: the embedded server.
        let local = flags.local || (subscribe_key.is_none() && origin.is_none());
        if local {
            let db = match &flags.db {
                Some(p) => sourced(p.clone(), Source::Flag("--db")),
                None => sourced(default_db_path()?, Source::Default),
            };
            return Ok(Settings {
                config_file,
                profile: profile_name,
                mode: Mode::Local { db },
                origin: sourced("http://127.0.0.1 (a free port)".into(), Source::Local),
                subscribe_key: sourced(DEMO_KEYSET.to_string(), Source::Local),
                publish_key: None,
                secret_key: None,
                auth_key,
                user_id,
                read_only,
                mouse,
            });
        }
        Ok(Settings {
            config_file,
            profile: profile_name,
            mode: Mode::Remote,
            origin: origin.unwrap_or_else(|| sourced(DEFAULT_ORIGIN.to_string(), Source::Default)),
            // An origin without a key (e.g. `appctx serve`) means its demo keyset.
            subscribe_key: subscribe_key
                .unwrap_or_else(|| sourced(DEMO_KEYSET.to_string(), Source::Default)),
            publish_key,
            secret_key,
            auth_key,
            user_id,
            read_only,
            mouse,
        })
    }

    /// The keyset for `origin` (the resolved one, or the embedded server's).
    pub fn keyset(&self, origin: &str) -> Keyset {
        Keyset {
            origin: origin.to_string(),
            subscribe_key: self.subscribe_key.value.clone(),
            publish_key: self.publish_key.as_ref().map(|p| p.value.clone()),
            secret_key: self.secret_key.as_ref().map(|s| s.value.clone()),
            auth_key: self.auth_key.as_ref().map(|s| s.value.clone()),
            user_id: self.user_id.value.clone(),
        }
    }

    /// A client for these settings, starting the embedded server when the mode is
    /// local. Call inside a tokio runtime.
    pub async fn connect(&self, options: ClientOptions) -> Result<Connection, ConfigError> {
        let options = ClientOptions {
            read_only: options.read_only || self.read_only.value,
            ..options
        };
        match &self.mode {
            Mode::Remote => Ok(Connection {
                client: Client::with_options(self.keyset(&self.origin.value), options)?,
                server: None,
            }),
            Mode::Local { db } => {
                let running = server::start(ServerConfig {
                    listen: SocketAddr::from((Ipv4Addr::LOCALHOST, 0)),
                    db: db.value.clone(),
                    empty: false,
                    referential_integrity: false,
                    signing: None,
                    log_requests: false,
                })
                .await?;
                let client = Client::with_options(self.keyset(&running.origin()), options)?;
                Ok(Connection {
                    client,
                    server: Some(running),
                })
            }
        }
    }

    /// The settings as text, one per line with its source; secrets masked.
    pub fn report(&self) -> String {
        let mut out = String::new();
        let mut line = |name: &str, value: &str, source: Option<&Source>| {
            let _ = match source {
                Some(s) => writeln!(out, "{name:<14} {value}  ({s})"),
                None => writeln!(out, "{name:<14} {value}"),
            };
        };
        match &self.config_file {
            Some((p, true)) => line("config file", &p.display().to_string(), None),
            Some((p, false)) => line("config file", &format!("{} (not found)", p.display()), None),
            None => line("config file", "(no platform config directory)", None),
        }
        match &self.profile {
            Some(p) => line("profile", &p.value, Some(&p.source)),
            None => line("profile", "(none)", None),
        }
        match &self.mode {
            Mode::Remote => line("server", "remote", None),
            Mode::Local { db } => {
                line("server", "embedded local server", None);
                line(
                    "database",
                    &db.value.display().to_string(),
                    Some(&db.source),
                );
            }
        }
        let origin = crate::text::mask_url(&self.origin.value);
        line("origin", &origin, Some(&self.origin.source));
        line(
            "subscribe key",
            &self.subscribe_key.value,
            Some(&self.subscribe_key.source),
        );
        match &self.publish_key {
            Some(p) => line("publish key", &p.value, Some(&p.source)),
            None => line("publish key", "(not set)", None),
        }
        for (name, secret) in [
            ("secret key", &self.secret_key),
            ("auth key", &self.auth_key),
        ] {
            match secret {
                Some(s) => line(name, s.value.masked(), Some(&s.source)),
                None => line(name, "(not set)", None),
            }
        }
        line("user id", &self.user_id.value, Some(&self.user_id.source));
        line(
            "read only",
            &self.read_only.value.to_string(),
            Some(&self.read_only.source),
        );
        out
    }
}

/// Finds one setting: the flag, else the environment variable, else the profile.
struct Lookup<'a> {
    env: &'a dyn Fn(&str) -> Option<String>,
    /// The selected profile's name (empty when none).
    profile: String,
}

impl Lookup<'_> {
    fn pick(
        &self,
        flag: &Option<String>,
        flag_name: &'static str,
        var: &str,
        from_profile: &Option<String>,
    ) -> Option<Sourced<String>> {
        if let Some(v) = flag {
            return Some(sourced(v.clone(), Source::Flag(flag_name)));
        }
        if let Some(v) = (self.env)(var) {
            return Some(sourced(v, Source::Env(var.into())));
        }
        from_profile
            .clone()
            .filter(|v| !v.is_empty())
            .map(|v| sourced(v, Source::Profile(self.profile.clone())))
    }

    /// Like [`Lookup::pick`], where the profile may hold the secret itself or name the
    /// variable that does (`secret_key_env`), not both.
    fn pick_secret(
        &self,
        flag: &Option<Secret>,
        flag_name: &'static str,
        var: &str,
        (value, value_env): (&Option<String>, &Option<String>),
        what: &'static str,
    ) -> Result<Option<Sourced<Secret>>, ConfigError> {
        if let Some(s) = flag {
            return Ok(Some(sourced(s.clone(), Source::Flag(flag_name))));
        }
        if let Some(v) = (self.env)(var) {
            return Ok(Some(sourced(Secret::new(v), Source::Env(var.into()))));
        }
        let profile = self.profile.clone();
        match (value, value_env) {
            (Some(_), Some(_)) => Err(ConfigError::Ambiguous { profile, what }),
            (Some(v), None) => Ok(Some(sourced(
                Secret::new(v.clone()),
                Source::Profile(profile),
            ))),
            (None, Some(var)) => match (self.env)(var) {
                Some(v) => Ok(Some(sourced(
                    Secret::new(v),
                    Source::ProfileEnv {
                        profile,
                        var: var.clone(),
                    },
                ))),
                None => Err(ConfigError::MissingEnv {
                    profile,
                    what,
                    var: var.clone(),
                }),
            },
            (None, None) => Ok(None),
        }
    }
}

fn project_dirs() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("com", "appctx", "appctx")
}

/// `config.toml` in the platform config directory.
pub fn default_config_path() -> Option<PathBuf> {
    project_dirs().map(|d| d.config_dir().join("config.toml"))
}

/// `appctx.db` in the platform data directory (the same file `appctx serve` uses).
pub fn default_db_path() -> Result<PathBuf, ConfigError> {
    data_file("appctx.db").ok_or(ConfigError::NoPlatformDir("data"))
}

/// A file of appctx's own in the platform data directory (database, histories, log).
pub fn data_file(name: &str) -> Option<PathBuf> {
    project_dirs().map(|d| d.data_dir().join(name))
}

fn load_file(path: &Path, must_exist: bool) -> Result<Option<FileConfig>, ConfigError> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && !must_exist => return Ok(None),
        Err(source) => {
            return Err(ConfigError::Read {
                path: path.to_path_buf(),
                source,
            })
        }
    };
    toml::from_str(&text)
        .map(Some)
        .map_err(|e| ConfigError::Parse {
            path: path.to_path_buf(),
            message: parse_message(&text, &e),
        })
}

/// Where the file is wrong and why, without the line itself (toml's own message
/// quotes it, and it may hold a secret key). When the line sets a secret, the
/// values toml quotes in its message (`12345`) are masked too.
fn parse_message(text: &str, e: &toml::de::Error) -> String {
    let message = e.message().trim().replace('\n', "; ");
    let Some(span) = e.span() else {
        return message;
    };
    let before = text.get(..span.start).unwrap_or(text);
    let line_no = before.matches('\n').count() + 1;
    let column = before.rsplit('\n').next().map_or(0, |l| l.chars().count()) + 1;
    let line = text.lines().nth(line_no - 1).unwrap_or_default();
    let key = line
        .split('=')
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    let message = if key.contains("secret") || key.contains("auth") {
        mask_quoted(&message)
    } else {
        message
    };
    format!("line {line_no}, column {column}: {message}")
}

/// Every `quoted` part replaced by `***`.
fn mask_quoted(message: &str) -> String {
    message
        .split('`')
        .enumerate()
        .map(|(i, part)| if i % 2 == 1 { "***" } else { part })
        .collect::<Vec<_>>()
        .join("`")
}

#[cfg(test)]
mod tests;
