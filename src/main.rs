//! The `appctx` command line.

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};
use color_eyre::eyre::{eyre, Result};

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
    #[arg(long)]
    referential_integrity: bool,
    /// Publish key that signed requests are checked against (with --secret-key).
    #[arg(long, requires = "secret_key")]
    publish_key: Option<String>,
    /// Require signature v2 on every request, made with this secret key.
    #[arg(long, requires = "publish_key", hide_env_values = true)]
    secret_key: Option<String>,
}

/// The default database file.
fn default_db() -> Result<PathBuf> {
    let dirs = directories::ProjectDirs::from("com", "appctx", "appctx")
        .ok_or_else(|| eyre!("cannot find a data directory: pass --db PATH"))?;
    Ok(dirs.data_dir().join("appctx.db"))
}

async fn serve(args: ServeArgs) -> Result<()> {
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
    let running = server::start(ServerConfig {
        listen: args.listen,
        db: db.clone(),
        empty: args.empty,
        referential_integrity: args.referential_integrity,
        signing,
        log_requests: true,
    })
    .await?;
    eprintln!(
        "appctx serve: App Context on {} (database {}; demo keyset '{}')",
        running.origin(),
        db.display(),
        server::DEMO_KEYSET
    );
    tokio::signal::ctrl_c().await?;
    eprintln!("appctx serve: stopping");
    running.stop();
    Ok(())
}

#[tokio::main]
async fn main() -> Result<ExitCode> {
    color_eyre::install()?;
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Serve(args)) => serve(args).await.map(|()| ExitCode::SUCCESS),
        Some(Command::Script(command)) => Ok(appctx::cli::run(&cli.global, command).await),
        None => serve(ServeArgs::parse_from(["serve"]))
            .await
            .map(|()| ExitCode::SUCCESS),
    }
}
