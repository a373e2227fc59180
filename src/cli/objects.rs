//! `appctx users …` and `appctx channels …`: list, get, set, remove. Input is checked
//! before connecting, so a bad flag sends nothing.

use serde::Serialize;

use super::args::{ChannelsCommand, CommonSetArgs, Format, ListArgs, UsersCommand};
use super::output::{self, Listing};
use super::{input, CliError, Ctx};
use crate::api::types::{Custom, ETag, Maybe, Page};
use crate::api::{
    ChannelFields, Client, Error, Pager, SetOptions, UserFields, Walk, WalkItem, MAX_LIMIT,
};
use crate::filter::Target;

/// `appctx users …`.
pub async fn users(ctx: &Ctx, cmd: UsersCommand) -> Result<(), CliError> {
    match cmd {
        UsersCommand::List(args) => {
            let opts = input::list_options(
                &args,
                Target::Users,
                input::include(args.include.as_deref())?,
            )?;
            let conn = ctx.connect().await?;
            let c = &conn.client;
            let all = || {
                Rows::pick(
                    &args,
                    || c.users_walk(opts.clone()),
                    || c.users_pager(opts.clone()),
                )
            };
            list(&args, c.list_users(&opts), all, true).await
        }
        UsersCommand::Get(args) => {
            let include = input::include(args.include.as_deref())?;
            read_one(ctx, args.format, async |c| {
                c.get_user(&args.id, include).await
            })
            .await
        }
        UsersCommand::Set(args) => {
            let common = &args.common;
            let unset = Unset::new(&common.unset, USER_FIELDS)?;
            let fields = UserFields {
                name: unset.field("name", &common.name)?,
                external_id: unset.field("external-id", &args.external_id)?,
                profile_url: unset.field("profile-url", &args.profile_url)?,
                email: unset.field("email", &args.email)?,
                kind: unset.field("type", &common.kind)?,
                status: unset.field("status", &common.status)?,
                custom: unset.custom(common)?,
            };
            let what = format!("set user '{}'", args.id);
            write_one(ctx, what, common.format, async |c| {
                c.set_user(&args.id, &fields, &set_options(common)).await
            })
            .await
        }
        UsersCommand::Remove(args) => {
            let what = format!("remove user '{}'", args.id);
            write_one(ctx, what, Some(Format::Jsonl), async |c| {
                c.remove_user(&args.id).await.map(|()| removed(&args.id))
            })
            .await
        }
    }
}

/// `appctx channels …`.
pub async fn channels(ctx: &Ctx, cmd: ChannelsCommand) -> Result<(), CliError> {
    match cmd {
        ChannelsCommand::List(args) => {
            let opts = input::list_options(
                &args,
                Target::Channels,
                input::include(args.include.as_deref())?,
            )?;
            let conn = ctx.connect().await?;
            let c = &conn.client;
            let all = || {
                Rows::pick(
                    &args,
                    || c.channels_walk(opts.clone()),
                    || c.channels_pager(opts.clone()),
                )
            };
            list(&args, c.list_channels(&opts), all, true).await
        }
        ChannelsCommand::Get(args) => {
            let include = input::include(args.include.as_deref())?;
            read_one(ctx, args.format, async |c| {
                c.get_channel(&args.id, include).await
            })
            .await
        }
        ChannelsCommand::Set(args) => {
            let common = &args.common;
            let unset = Unset::new(&common.unset, CHANNEL_FIELDS)?;
            let fields = ChannelFields {
                name: unset.field("name", &common.name)?,
                description: unset.field("description", &args.description)?,
                kind: unset.field("type", &common.kind)?,
                status: unset.field("status", &common.status)?,
                custom: unset.custom(common)?,
            };
            let what = format!("set channel '{}'", args.id);
            write_one(ctx, what, common.format, async |c| {
                c.set_channel(&args.id, &fields, &set_options(common)).await
            })
            .await
        }
        ChannelsCommand::Remove(args) => {
            let what = format!("remove channel '{}'", args.id);
            write_one(ctx, what, Some(Format::Jsonl), async |c| {
                c.remove_channel(&args.id).await.map(|()| removed(&args.id))
            })
            .await
        }
    }
}

/// Where `list --all` reads from: a consistent walk in id order (the default
/// order), or the plain pager when a sort or a starting cursor is given.
pub enum Rows<T> {
    Walk(Walk<T>),
    Pager(Pager<T>, Option<u64>),
}

impl<T: WalkItem> Rows<T> {
    /// The walk when the list is in its default order from the start, else the pager.
    pub fn pick(
        args: &ListArgs,
        walk: impl FnOnce() -> Result<Walk<T>, Error>,
        pager: impl FnOnce() -> Result<Pager<T>, Error>,
    ) -> Result<Rows<T>, Error> {
        if args.sort.is_none() && args.next.is_none() && args.prev.is_none() {
            Ok(Rows::Walk(walk()?))
        } else {
            Ok(Rows::Pager(pager()?, None))
        }
    }

    async fn next(&mut self) -> Option<Result<Vec<T>, Error>> {
        match self {
            Rows::Walk(w) => w.next_batch().await,
            Rows::Pager(p, total) => p.next_page().await.map(|page| {
                page.map(|page| {
                    *total = total.or(page.total_count);
                    page.data
                })
            }),
        }
    }

    fn total(&self) -> Option<u64> {
        match self {
            Rows::Walk(w) => w.stats().total_at_start,
            Rows::Pager(_, total) => *total,
        }
    }
}

/// Runs a list: one page, or with `--all` every page, printed as it arrives when
/// the rows are `uniform` (all have the same fields; else they are gathered first,
/// so table and CSV columns cover every row).
pub async fn list<T, F, P>(
    args: &ListArgs,
    one_page: F,
    all: P,
    uniform: bool,
) -> Result<(), CliError>
where
    T: Serialize + WalkItem,
    F: std::future::Future<Output = Result<Page<T>, Error>>,
    P: FnOnce() -> Result<Rows<T>, Error>,
{
    let format = output::pick(args.format, Format::Json);
    if !args.all {
        let mut listing = Listing::from_page(one_page.await?);
        let full = listing.rows.len() as u64 >= u64::from(args.limit.unwrap_or(MAX_LIMIT));
        let counted_all = listing
            .total
            .is_some_and(|t| listing.rows.len() as u64 >= t);
        listing.more = full && !counted_all;
        return output::print_list(format, &listing);
    }
    let mut rows = all()?;
    let bar = super::progress::counter("fetching");
    let mut printer = output::ListPrinter::start(format)?;
    let mut gathered = Vec::new();
    while let Some(batch) = rows.next().await {
        let batch = batch?;
        bar.inc(batch.len() as u64);
        if uniform {
            bar.suspend(|| printer.records(&batch))?;
        } else {
            gathered.extend(batch.iter().map(output::to_value));
        }
    }
    bar.finish_and_clear();
    printer.rows(&gathered)?;
    printer.finish(rows.total().filter(|_| args.count))
}

/// Connects, runs one read, prints its answer.
pub async fn read_one<T: Serialize>(
    ctx: &Ctx,
    format: Option<Format>,
    op: impl AsyncFnOnce(&Client) -> Result<T, Error>,
) -> Result<(), CliError> {
    let conn = ctx.connect().await?;
    let value = op(&conn.client).await?;
    output::print_one(
        output::pick(format, Format::Json),
        &output::to_value(&value),
    )
}

/// Refuses in read-only mode, else connects, runs one write and prints its answer.
pub async fn write_one<T: Serialize>(
    ctx: &Ctx,
    what: String,
    format: Option<Format>,
    op: impl AsyncFnOnce(&Client) -> Result<T, Error>,
) -> Result<(), CliError> {
    ctx.check_write(&what)?;
    read_one(ctx, format, op).await
}

/// What a remove prints: `{"removed":"ID"}`.
fn removed(id: &str) -> serde_json::Value {
    serde_json::json!({ "removed": id })
}

const USER_FIELDS: &[&str] = &[
    "name",
    "email",
    "external-id",
    "profile-url",
    "status",
    "type",
    "custom",
];
const CHANNEL_FIELDS: &[&str] = &["name", "description", "status", "type", "custom"];

/// The fields `--unset` names, checked against those the object has.
struct Unset<'a>(&'a [String]);

impl<'a> Unset<'a> {
    fn new(names: &'a [String], allowed: &[&str]) -> Result<Unset<'a>, CliError> {
        match names.iter().find(|n| !allowed.contains(&n.as_str())) {
            Some(bad) => Err(CliError::Usage(format!(
                "--unset: unknown field '{bad}'; allowed: {}",
                allowed.join(", ")
            ))),
            None => Ok(Unset(names)),
        }
    }

    /// Null when unset, the flag's value when given, else absent (kept as stored).
    fn field(&self, name: &str, given: &Option<String>) -> Result<Maybe<String>, CliError> {
        self.parsed(name, given, |v| Ok(v.to_string()))
    }

    /// `--custom`, checked to be a JSON object of scalars.
    fn custom(&self, common: &CommonSetArgs) -> Result<Maybe<Custom>, CliError> {
        self.parsed("custom", &common.custom, input::custom)
    }

    fn parsed<T>(
        &self,
        name: &str,
        given: &Option<String>,
        parse: impl Fn(&str) -> Result<T, CliError>,
    ) -> Result<Maybe<T>, CliError> {
        let unset = self.0.iter().any(|n| n == name);
        match (given, unset) {
            (Some(_), true) => Err(CliError::Usage(format!(
                "--{name} and --unset {name} contradict each other"
            ))),
            (Some(v), false) => Ok(Maybe::Value(parse(v)?)),
            (None, true) => Ok(Maybe::Null),
            (None, false) => Ok(Maybe::Absent),
        }
    }
}

fn set_options(common: &CommonSetArgs) -> SetOptions {
    SetOptions {
        include: crate::api::Include::ALL,
        if_match: common.if_match.clone().map(ETag),
    }
}
