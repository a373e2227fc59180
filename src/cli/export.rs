//! `appctx export`: the whole keyset as JSON Lines (format in `record.rs`).
//!
//! Users and channels are paged straight to the output. App Context has no call that
//! lists every membership, so they are found by asking each user for its channels or
//! each channel for its members — whichever side is smaller, or both with
//! `--thorough` — several requests at a time, then written sorted by user and channel
//! so two exports of the same data are byte-identical.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{BufWriter, Write};
use std::path::{Path, PathBuf};

use futures::StreamExt;
use serde::Serialize;

use super::args::ExportArgs;
use super::record::{ChannelRecord, Header, MembershipRecord, Record, RelationState, UserRecord};
use super::{progress, CliError, Ctx};
use crate::api::types::{Member, Membership};
use crate::api::{
    Client, Error, Include, ListOptions, RelationInclude, Walk, WalkItem, WalkStats, MAX_LIMIT,
};

/// Relation lists fetched at once.
const CONCURRENCY: usize = 8;

/// Memberships keyed by (user id, channel id).
type Relations = BTreeMap<(String, String), RelationState>;

/// Counts of what was written, and what changed while it was read.
#[derive(Debug, Default, Serialize)]
pub struct ExportCounts {
    pub users: u64,
    pub channels: u64,
    pub memberships: u64,
    /// One line per list that changed during the export.
    pub changes: Vec<String>,
}

/// What to tell about a list that changed while it was walked, if it did.
fn change_note(kind: &str, stats: &WalkStats, end: Option<u64>) -> Option<String> {
    let moved = stats.shifts > 0;
    let counts_differ = stats.total_at_start != end || end.is_some_and(|e| e != stats.yielded);
    if !moved && !counts_differ {
        return None;
    }
    let count = |t: Option<u64>| t.map_or_else(|| "?".to_string(), |t| t.to_string());
    Some(format!(
        "{kind} changed during the export: {} at the start, {} at the end, {} written; \
         {} pages were re-read where records had moved. Every one that existed throughout \
         is in the file exactly once; those added or removed meanwhile may or may not be.",
        count(stats.total_at_start),
        count(end),
        stats.yielded,
        stats.shifts
    ))
}

/// Runs `appctx export`.
pub async fn run(ctx: &Ctx, args: ExportArgs) -> Result<(), CliError> {
    let conn = ctx.connect().await?;
    let mut sink = Sink::open(args.out.as_deref())?;
    let counts = export(&conn.client, &mut *sink.writer, args.meta, args.thorough).await?;
    sink.commit()?;
    eprintln!(
        "exported {} users, {} channels, {} memberships",
        counts.users, counts.channels, counts.memberships
    );
    for note in &counts.changes {
        eprintln!("appctx: {note}");
    }
    Ok(())
}

/// Writes the keyset `client` talks to as JSON Lines.
pub async fn export(
    client: &Client,
    out: &mut dyn Write,
    meta: bool,
    thorough: bool,
) -> Result<ExportCounts, CliError> {
    let mut counts = ExportCounts::default();
    let bar = progress::counter("exporting");
    line(out, &Record::Header(Header::current()))?;
    let all = ListOptions {
        limit: Some(MAX_LIMIT),
        include: Include::ALL,
        ..Default::default()
    };

    let mut user_ids = Vec::new();
    let mut users = client.users_walk(all.clone())?;
    while let Some(batch) = users.next_batch().await {
        for u in batch? {
            line(out, &Record::User(UserRecord::from_user(&u, meta)))?;
            user_ids.push(u.user_id);
        }
        bar.set_position(user_ids.len() as u64);
    }
    counts.users = user_ids.len() as u64;
    let end = users.total_now().await?;
    counts
        .changes
        .extend(change_note("users", users.stats(), end));

    let mut channel_ids = Vec::new();
    let mut channels = client.channels_walk(all)?;
    while let Some(batch) = channels.next_batch().await {
        for c in batch? {
            line(out, &Record::Channel(ChannelRecord::from_channel(&c, meta)))?;
            channel_ids.push(c.channel_id);
        }
        bar.set_position(counts.users + channel_ids.len() as u64);
    }
    counts.channels = channel_ids.len() as u64;
    let end = channels.total_now().await?;
    counts
        .changes
        .extend(change_note("channels", channels.stats(), end));

    let from_users = thorough || user_ids.len() <= channel_ids.len();
    let from_channels = thorough || !from_users;
    let mut relations = Relations::new();
    if from_users {
        let list = |user: &str| client.memberships_walk(user, relation_options());
        let key = |user: &str, m: &Membership| (user.to_string(), m.channel.id().to_string());
        walk(&user_ids, list, key, &mut relations).await?;
    }
    if from_channels {
        let list = |channel: &str| client.members_walk(channel, relation_options());
        let key = |channel: &str, m: &Member| (m.uuid.id().to_string(), channel.to_string());
        walk(&channel_ids, list, key, &mut relations).await?;
    }
    for ((user, channel), state) in &relations {
        let record = MembershipRecord::new(user, channel, state, meta);
        line(out, &Record::Membership(record))?;
    }
    counts.memberships = relations.len() as u64;
    out.flush()?;
    bar.finish_and_clear();
    Ok(counts)
}

fn relation_options() -> ListOptions<RelationInclude> {
    ListOptions {
        limit: Some(MAX_LIMIT),
        include: RelationInclude {
            relation: Include::ALL,
            related: None,
        },
        ..Default::default()
    }
}

/// Lists the relations of each owner (`list` = one owner's pager), several owners at
/// a time, and keys each by (user, channel) with `key(owner, item)`.
async fn walk<T: WalkItem>(
    owners: &[String],
    list: impl Fn(&str) -> Result<Walk<T>, Error>,
    key: impl Fn(&str, &T) -> (String, String),
    relations: &mut Relations,
) -> Result<(), Error>
where
    for<'a> &'a T: Into<RelationState>,
{
    let list = &list;
    let mut results = futures::stream::iter(owners)
        .map(|owner| async move { Ok::<_, Error>((owner, list(owner)?.collect_all().await?)) })
        .buffer_unordered(CONCURRENCY);
    while let Some(result) = results.next().await {
        let (owner, items) = result?;
        for item in &items {
            relations.insert(key(owner, item), item.into());
        }
    }
    Ok(())
}

fn line(out: &mut dyn Write, record: &Record) -> Result<(), CliError> {
    // Escaped like all JSON we print: the file may well be shown on a terminal.
    crate::text::write_json(&mut *out, record).map_err(|e| CliError::Io(e.to_string()))?;
    out.write_all(b"\n")?;
    Ok(())
}

/// Stdout, or a file written beside its final path and renamed into place on success
/// (a failed export leaves any earlier file untouched).
struct Sink {
    writer: Box<dyn Write + Send>,
    rename: Option<(PathBuf, PathBuf)>,
}

impl Sink {
    fn open(out: Option<&Path>) -> Result<Sink, CliError> {
        let Some(path) = out else {
            return Ok(Sink {
                writer: Box::new(BufWriter::new(std::io::stdout())),
                rename: None,
            });
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".partial-{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", tmp.display())))?;
        Ok(Sink {
            writer: Box::new(BufWriter::new(file)),
            rename: Some((tmp, path.to_path_buf())),
        })
    }

    fn commit(mut self) -> Result<(), CliError> {
        self.writer.flush()?;
        // Close the file before renaming it.
        drop(std::mem::replace(
            &mut self.writer,
            Box::new(std::io::sink()),
        ));
        if let Some((tmp, path)) = self.rename.take() {
            std::fs::rename(&tmp, &path).map_err(|e| {
                CliError::Io(format!(
                    "cannot move {} to {}: {e}",
                    tmp.display(),
                    path.display()
                ))
            })?;
        }
        Ok(())
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        if let Some((tmp, _)) = &self.rename {
            let _ = std::fs::remove_file(tmp);
        }
    }
}
