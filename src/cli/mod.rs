//! Scripting subcommands over [`api::Client`](crate::api::Client): list/get/set/remove
//! users and channels, memberships and members, export/import a whole keyset as JSON
//! Lines, and `config`. JSON goes to stdout, messages to stderr. Exit codes: 0 success,
//! 1 an API or network error, 2 bad usage or bad input (nothing sent).

mod args;
mod export;
mod import;
mod import_check;
mod import_relations;
mod input;
mod objects;
pub(crate) mod output;
mod progress;
pub mod record;
mod relations;
mod token;
mod validate;

use std::path::PathBuf;
use std::process::ExitCode;

use crate::api::{self, Secret};
use crate::config::{ConfigError, Connection, Flags, Settings};

pub use args::{
    ChannelsCommand, ExportArgs, ImportArgs, MembersCommand, MembershipsCommand, UsersCommand,
};

/// Flags that pick the keyset, accepted before or after any subcommand.
#[derive(clap::Args, Clone, Default)]
#[command(next_help_heading = "Keyset options (any command)")]
pub struct GlobalArgs {
    /// Config file [default: config.toml in the platform config dir; env APPCTX_CONFIG].
    #[arg(long, global = true, value_name = "PATH")]
    pub config: Option<PathBuf>,
    /// Profile of the config file to use [env APPCTX_PROFILE; default: its default_profile].
    #[arg(long, global = true, value_name = "NAME")]
    pub profile: Option<String>,
    /// Subscribe key [env PUBNUB_SUBSCRIBE_KEY].
    #[arg(long, global = true, value_name = "KEY")]
    pub subscribe_key: Option<String>,
    /// Publish key, needed to sign with --secret-key [env PUBNUB_PUBLISH_KEY].
    #[arg(long, global = true, value_name = "KEY")]
    pub publish_key: Option<String>,
    /// Secret key: sign every request (signature v2) [env PUBNUB_SECRET_KEY; prefer the env].
    // A plain String, like `serve --secret-key` whose id it shares (clap requires one type).
    #[arg(long, global = true, value_name = "KEY")]
    pub secret_key: Option<String>,
    /// Access Manager token or auth key, sent as `auth` [env PUBNUB_AUTH_KEY].
    #[arg(long, global = true, value_name = "TOKEN")]
    pub auth_key: Option<String>,
    /// Your user id, sent as `uuid` [env PUBNUB_USER_ID; default appctx-cli].
    #[arg(long, global = true, value_name = "ID")]
    pub user_id: Option<String>,
    /// Origin URL: https://ps.pndsn.com, or http://127.0.0.1:8090 for `appctx serve` [env PUBNUB_ORIGIN].
    #[arg(long, global = true, value_name = "URL")]
    pub origin: Option<String>,
    /// Use the embedded local server (keyset `demo`), whatever else is configured.
    #[arg(long, global = true)]
    pub local: bool,
    /// Database file of the embedded server [default: appctx.db in the platform data dir].
    #[arg(long, global = true, value_name = "PATH")]
    pub db: Option<PathBuf>,
    /// Refuse every write before sending it.
    #[arg(long, global = true)]
    pub read_only: bool,
}

impl std::fmt::Debug for GlobalArgs {
    /// The flags with the secrets masked.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut flags = self.flags();
        flags.origin = flags.origin.map(|o| crate::text::mask_url(&o).into_owned());
        std::fmt::Debug::fmt(&flags, f)
    }
}

impl GlobalArgs {
    /// The flags as the config resolver takes them.
    pub fn flags(&self) -> Flags {
        Flags {
            config: self.config.clone(),
            profile: self.profile.clone(),
            subscribe_key: self.subscribe_key.clone(),
            publish_key: self.publish_key.clone(),
            secret_key: self.secret_key.clone().map(Secret::new),
            auth_key: self.auth_key.clone().map(Secret::new),
            user_id: self.user_id.clone(),
            origin: self.origin.clone(),
            local: self.local,
            db: self.db.clone(),
            read_only: self.read_only,
        }
    }
}

/// The scripting subcommands.
#[derive(clap::Subcommand, Debug)]
pub enum Command {
    /// Users (UUID metadata): list, get, set, remove.
    #[command(subcommand)]
    Users(UsersCommand),
    /// Channels (channel metadata): list, get, set, remove.
    #[command(subcommand)]
    Channels(ChannelsCommand),
    /// A user's channel memberships: list, set, remove.
    #[command(subcommand)]
    Memberships(MembershipsCommand),
    /// A channel's members: list, set, remove.
    #[command(subcommand)]
    Members(MembersCommand),
    /// Write the whole keyset (users, channels, memberships) as JSON Lines.
    Export(ExportArgs),
    /// Read an export back: creates and updates what differs, skips identical records.
    Import(ImportArgs),
    /// Print the resolved settings and where each came from (secrets masked).
    Config,
    /// Access Manager tokens: parse (what one allows), grant, revoke.
    #[command(subcommand)]
    Token(token::TokenCommand),
}

/// A failed command, and the exit code it maps to.
#[derive(Debug, thiserror::Error)]
pub enum CliError {
    /// Bad usage or input; nothing was sent.
    #[error("{0}")]
    Usage(String),
    #[error("{0}")]
    Config(#[from] ConfigError),
    #[error("{0}")]
    Api(#[from] api::Error),
    #[error("{0}")]
    Io(String),
    /// Already reported on stderr (e.g. some import records failed).
    #[error("{0}")]
    Failed(String),
}

impl CliError {
    /// 2 for usage, input, configuration and read-only refusals; 1 otherwise.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Usage(_) => 2,
            CliError::Config(ConfigError::Client(e)) | CliError::Api(e) if e.is_refusal() => 2,
            CliError::Config(ConfigError::Server(_)) => 1,
            CliError::Config(_) => 2,
            _ => 1,
        }
    }
}

impl From<std::io::Error> for CliError {
    fn from(e: std::io::Error) -> Self {
        CliError::Io(e.to_string())
    }
}

/// Runs a scripting command and reports a failure on stderr.
pub async fn run(global: &GlobalArgs, command: Command) -> ExitCode {
    match dispatch(global, command).await {
        Ok(()) => ExitCode::SUCCESS,
        // A closed stdout (`| head`) is not a failure of the command.
        Err(CliError::Io(m)) if m.contains("Broken pipe") => ExitCode::SUCCESS,
        Err(e) => {
            if !matches!(e, CliError::Failed(_)) {
                // Messages carry ids, file lines and server text: nothing raw.
                eprintln!("appctx: {}", crate::text::escape_lines(&e.to_string()));
            }
            ExitCode::from(e.exit_code())
        }
    }
}

async fn dispatch(global: &GlobalArgs, command: Command) -> Result<(), CliError> {
    // Reading a token needs no keyset.
    if let Command::Token(token::TokenCommand::Parse(a)) = &command {
        return token::parse(a);
    }
    let settings = Settings::resolve(&global.flags())?;
    let ctx = Ctx { settings };
    let lists_all = matches!(
        &command,
        Command::Users(UsersCommand::List(_))
            | Command::Channels(ChannelsCommand::List(_))
            | Command::Export(_)
    );
    let result = run_command(&ctx, command).await;
    match result {
        Err(e) if lists_all => Err(explain_list_refusal(e)),
        Err(e) => Err(explain_token_refusal(&ctx.settings, e)),
        ok => ok,
    }
}

/// A 403 while using a token, explained from the token itself when it can be: the
/// permission it lacks for the operation (spec §16.4), or its expiry.
fn explain_token_refusal(settings: &Settings, e: CliError) -> CliError {
    let CliError::Api(api::Error::Api {
        status: 403,
        request,
        ..
    }) = &e
    else {
        return e;
    };
    let Some(auth) = &settings.auth_key else {
        return e;
    };
    let Ok(token) = api::token::Token::parse(auth.value.expose()) else {
        return e;
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let hint = if now >= token.expires_at(60) {
        Some("this token has expired (`appctx token parse` shows when)".to_string())
    } else {
        let (method, path) = request.split_once(' ').unwrap_or(("", request));
        api::access::Operation::of_request(method, path, b"")
            .and_then(|op| token.allows(&op, Some(&settings.user_id.value)).err())
            .map(|d| d.to_string())
    };
    let Some(hint) = hint else {
        return e;
    };
    eprintln!("appctx: {}", crate::text::escape_lines(&e.to_string()));
    eprintln!("appctx: {}", crate::text::escape_lines(&hint));
    CliError::Failed("refused by Access Manager".to_string())
}

/// A 403 to listing all users or channels, explained: most often the keyset's
/// "Disallow Get All … Metadata" setting (spec §16.4), which hides the full lists but
/// not the objects.
fn explain_list_refusal(e: CliError) -> CliError {
    let CliError::Api(api::Error::Api {
        status: 403,
        request,
        ..
    }) = &e
    else {
        return e;
    };
    use crate::api::access::{list_all_refused, ResourceType};
    let (what, kind, one) = if request.ends_with("/uuids") {
        ("users", ResourceType::Uuid, "users get ID")
    } else if request.ends_with("/channels") {
        ("channels", ResourceType::Channel, "channels get ID")
    } else {
        return e;
    };
    eprintln!("appctx: {}", crate::text::escape_lines(&e.to_string()));
    eprintln!(
        "appctx: {}. Sign with the secret key to list them, or open them by id (`appctx {one}`); memberships and members stay reachable from there.",
        list_all_refused(kind)
    );
    CliError::Failed(format!("listing all {what} was refused"))
}

async fn run_command(ctx: &Ctx, command: Command) -> Result<(), CliError> {
    match command {
        Command::Users(c) => objects::users(ctx, c).await,
        Command::Channels(c) => objects::channels(ctx, c).await,
        Command::Memberships(c) => relations::memberships(ctx, c).await,
        Command::Members(c) => relations::members(ctx, c).await,
        Command::Export(a) => export::run(ctx, a).await,
        Command::Import(a) => import::run(ctx, a).await,
        Command::Token(c) => token::run(ctx, c).await,
        Command::Config => {
            let report = ctx.settings.report();
            output::write_stdout(crate::text::escape_lines(&report).as_bytes())?;
            Ok(())
        }
    }
}

/// What every command gets: the resolved settings, and a way to connect once its
/// input has been checked.
pub(crate) struct Ctx {
    pub settings: Settings,
}

impl Ctx {
    /// Connects (starting the embedded server if that is the mode).
    pub async fn connect(&self) -> Result<Connection, CliError> {
        Ok(self.settings.connect(api::ClientOptions::default()).await?)
    }

    /// Refuses a write up front in read-only mode.
    pub fn check_write(&self, what: &str) -> Result<(), CliError> {
        if self.settings.read_only.value {
            return Err(CliError::Api(api::Error::ReadOnly {
                operation: what.to_string(),
            }));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_of_the_flags_masks_secrets() {
        let args = GlobalArgs {
            secret_key: Some("sec-c-TOPSECRET".into()),
            auth_key: Some("token-TOPSECRET".into()),
            subscribe_key: Some("sub-c-shown".into()),
            origin: Some("http://u:TOPSECRET@127.0.0.1:1".into()),
            ..Default::default()
        };
        let shown = format!("{args:?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("sub-c-shown"));
    }
}
