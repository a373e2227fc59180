//! The command-line shapes of the scripting subcommands (clap derive). Checking the
//! values beyond their syntax happens in `input.rs`.

use std::path::PathBuf;

use clap::{Args, Subcommand, ValueEnum};

/// How records are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for reading.
    Table,
    /// One JSON document (lists: `{"data":[…],"totalCount":…,"next":…}`).
    Json,
    /// One JSON record per line.
    Jsonl,
    /// Comma-separated values with a header row, safe to open in a spreadsheet:
    /// cells starting with = + - @ get a leading ' (numbers excepted), and control,
    /// bidi and zero-width characters are written as \u{..}.
    Csv,
    /// CSV with every value as stored (control characters are still escaped when
    /// stdout is a terminal).
    RawCsv,
}

/// Options shared by every list.
#[derive(Args, Clone, Debug, Default)]
pub struct ListArgs {
    /// Filter expression, e.g. "name LIKE 'A*' && status == 'active'".
    #[arg(long, value_name = "EXPR")]
    pub filter: Option<String>,
    /// Sort keys with directions, e.g. name:asc,updated:desc.
    #[arg(long, value_name = "KEYS")]
    pub sort: Option<String>,
    /// Page size, 1 to 100 [default: 100].
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=100))]
    pub limit: Option<u32>,
    /// Every page, not just one.
    #[arg(long)]
    pub all: bool,
    /// The page after this `next` cursor.
    #[arg(long, value_name = "CURSOR", conflicts_with = "prev")]
    pub next: Option<String>,
    /// The page before this `prev` cursor.
    #[arg(long, value_name = "CURSOR")]
    pub prev: Option<String>,
    /// Optional fields, comma-separated [default: custom,status,type].
    #[arg(long, value_name = "FIELDS")]
    pub include: Option<String>,
    /// Ask for the total number of matches (totalCount).
    #[arg(long)]
    pub count: bool,
    /// Output format [default: table on a terminal, else json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `get ID`.
#[derive(Args, Clone, Debug)]
pub struct GetArgs {
    /// The id.
    pub id: String,
    /// Optional fields, comma-separated [default: custom,status,type].
    #[arg(long, value_name = "FIELDS")]
    pub include: Option<String>,
    /// Output format [default: json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `remove ID`.
#[derive(Args, Clone, Debug)]
pub struct RemoveArgs {
    /// The id.
    pub id: String,
}

/// Fields both users and channels have, and the write options.
#[derive(Args, Clone, Debug, Default)]
pub struct CommonSetArgs {
    /// Name.
    #[arg(long)]
    pub name: Option<String>,
    /// Status (free-form, e.g. active).
    #[arg(long)]
    pub status: Option<String>,
    /// Type (free-form).
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
    /// Custom data: a JSON object of strings, numbers, booleans (replaces the stored one).
    #[arg(long, value_name = "JSON")]
    pub custom: Option<String>,
    /// Clear these fields (comma-separated or repeated), e.g. --unset email,custom.
    #[arg(long, value_name = "FIELDS", value_delimiter = ',')]
    pub unset: Vec<String>,
    /// Write only if the stored eTag is still this one (else HTTP 412).
    #[arg(long, value_name = "ETAG")]
    pub if_match: Option<String>,
    /// Output format [default: json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `users set ID …`.
#[derive(Args, Clone, Debug)]
pub struct SetUserArgs {
    /// The user id.
    pub id: String,
    /// Email address.
    #[arg(long)]
    pub email: Option<String>,
    /// External id.
    #[arg(long)]
    pub external_id: Option<String>,
    /// Profile URL.
    #[arg(long)]
    pub profile_url: Option<String>,
    #[command(flatten)]
    pub common: CommonSetArgs,
}

/// `channels set ID …`.
#[derive(Args, Clone, Debug)]
pub struct SetChannelArgs {
    /// The channel id.
    pub id: String,
    /// Description.
    #[arg(long)]
    pub description: Option<String>,
    #[command(flatten)]
    pub common: CommonSetArgs,
}

/// `appctx users …`.
#[derive(Subcommand, Debug)]
pub enum UsersCommand {
    /// List users.
    List(ListArgs),
    /// Show one user.
    Get(GetArgs),
    /// Create or update a user (fields not given keep their value).
    Set(SetUserArgs),
    /// Remove a user.
    Remove(RemoveArgs),
}

/// `appctx channels …`.
#[derive(Subcommand, Debug)]
pub enum ChannelsCommand {
    /// List channels.
    List(ListArgs),
    /// Show one channel.
    Get(GetArgs),
    /// Create or update a channel (fields not given keep their value).
    Set(SetChannelArgs),
    /// Remove a channel.
    Remove(RemoveArgs),
}

/// The relation's own fields when setting memberships or members.
#[derive(Args, Clone, Debug, Default)]
pub struct RelationSetArgs {
    /// Custom data of the relation: a JSON object of scalars.
    #[arg(long, value_name = "JSON")]
    pub custom: Option<String>,
    /// Status of the relation.
    #[arg(long)]
    pub status: Option<String>,
    /// Type of the relation.
    #[arg(long = "type", value_name = "TYPE")]
    pub kind: Option<String>,
}

/// Options for printing the list a membership/member write answers with.
#[derive(Args, Clone, Debug, Default)]
pub struct RelationOutArgs {
    /// Optional fields of the answer [default: custom,status,type].
    #[arg(long, value_name = "FIELDS")]
    pub include: Option<String>,
    /// Output format [default: table on a terminal, else json].
    #[arg(long, value_enum)]
    pub format: Option<Format>,
}

/// `appctx memberships …`.
#[derive(Subcommand, Debug)]
pub enum MembershipsCommand {
    /// List a user's memberships (--include may add channel, channel.custom, channel.status, channel.type).
    List {
        /// The user id.
        // Its own id: the global `--user-id` (the caller, sent as `uuid`) is `user_id`,
        // and clap would let this positional overwrite it.
        #[arg(id = "target_user_id", value_name = "USER_ID")]
        user_id: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Add or update memberships of a user.
    Set {
        /// The user id.
        // Its own id: the global `--user-id` (the caller, sent as `uuid`) is `user_id`,
        // and clap would let this positional overwrite it.
        #[arg(id = "target_user_id", value_name = "USER_ID")]
        user_id: String,
        /// Channel to join (repeat for several).
        #[arg(long = "channel", value_name = "CHANNEL", required = true)]
        channels: Vec<String>,
        #[command(flatten)]
        fields: RelationSetArgs,
        #[command(flatten)]
        out: RelationOutArgs,
    },
    /// Remove memberships of a user.
    Remove {
        /// The user id.
        // Its own id: the global `--user-id` (the caller, sent as `uuid`) is `user_id`,
        // and clap would let this positional overwrite it.
        #[arg(id = "target_user_id", value_name = "USER_ID")]
        user_id: String,
        /// Channel to leave (repeat for several).
        #[arg(long = "channel", value_name = "CHANNEL", required = true)]
        channels: Vec<String>,
        #[command(flatten)]
        out: RelationOutArgs,
    },
}

/// `appctx members …`.
#[derive(Subcommand, Debug)]
pub enum MembersCommand {
    /// List a channel's members (--include may add uuid, uuid.custom, uuid.status, uuid.type).
    List {
        /// The channel id.
        channel_id: String,
        #[command(flatten)]
        list: ListArgs,
    },
    /// Add or update members of a channel.
    Set {
        /// The channel id.
        channel_id: String,
        /// User to add (repeat for several).
        #[arg(long = "user", value_name = "USER", required = true)]
        users: Vec<String>,
        #[command(flatten)]
        fields: RelationSetArgs,
        #[command(flatten)]
        out: RelationOutArgs,
    },
    /// Remove members of a channel.
    Remove {
        /// The channel id.
        channel_id: String,
        /// User to remove (repeat for several).
        #[arg(long = "user", value_name = "USER", required = true)]
        users: Vec<String>,
        #[command(flatten)]
        out: RelationOutArgs,
    },
}

/// `appctx export`.
#[derive(Args, Clone, Debug)]
pub struct ExportArgs {
    /// Write here instead of stdout (replaced only when the export succeeds).
    #[arg(long, value_name = "FILE")]
    pub out: Option<PathBuf>,
    /// Also write each record's server-assigned `updated` and `eTag` (import ignores them).
    #[arg(long)]
    pub meta: bool,
    /// Find memberships from both sides (every user and every channel), not only the
    /// smaller one: catches relations whose user or channel has no metadata.
    #[arg(long)]
    pub thorough: bool,
}

/// `appctx import FILE`.
#[derive(Args, Clone, Debug)]
pub struct ImportArgs {
    /// A file written by `appctx export` (`-` for stdin).
    pub file: PathBuf,
    /// Say what would change, change nothing.
    #[arg(long)]
    pub dry_run: bool,
}
