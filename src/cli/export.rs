//! `appctx export`: the whole keyset as JSON Lines (format in `record.rs`).
//!
//! Users and channels are walked in id order (consistently, see `api::walk`) straight
//! to the output. App Context has no call that lists every membership, so they are
//! found by asking each user for its channels or each channel for its members —
//! whichever side is smaller, or both with `--thorough` — while those are read,
//! several requests at a time; they are spooled to a temporary file and written
//! after the channels, in the order found (owners in id order, then the other end
//! in id order), so two exports of the same data are byte-identical and memory
//! holds one page of owners at a time.

use std::collections::HashSet;
use std::fs::File;
use std::io::{BufWriter, Seek, SeekFrom, Write};
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
    let count_only = ListOptions {
        limit: Some(1),
        include_total_count: true,
        include: Include::NONE,
        ..Default::default()
    };
    let users_total = client.list_users(&count_only).await?.total_count;
    let channels_total = client.list_channels(&count_only).await?.total_count;
    let from_users = thorough || users_total.unwrap_or(0) <= channels_total.unwrap_or(0);
    let from_channels = thorough || !from_users;
    // Memberships are found while their owners are read, and written after all
    // users and channels; the spool holds them meanwhile, not memory.
    let mut relations = Relations {
        spool: BufWriter::with_capacity(OUT_BUFFER, tempfile::tempfile()?),
        seen: thorough.then(HashSet::new),
        meta,
        written: 0,
    };

    let mut users = client.users_walk(all.clone())?;
    while let Some(batch) = users.next_batch().await {
        let batch = batch?;
        for u in &batch {
            line(out, &Record::User(UserRecord::from_user(u, meta)))?;
        }
        counts.users += batch.len() as u64;
        out.flush()?;
        if from_users {
            let owners: Vec<&str> = batch.iter().map(|u| u.user_id.as_str()).collect();
            let list = |user: &str| client.memberships_walk(user, relation_options());
            let key = |user: &str, m: &Membership| (user.to_string(), m.channel.id().to_string());
            relations.walk(&owners, list, key).await?;
        }
        bar.set_position(counts.users + relations.written);
    }
    let end = users.total_now().await?;
    counts
        .changes
        .extend(change_note("users", users.stats(), end));

    let mut channels = client.channels_walk(all)?;
    while let Some(batch) = channels.next_batch().await {
        let batch = batch?;
        for c in &batch {
            line(out, &Record::Channel(ChannelRecord::from_channel(c, meta)))?;
        }
        counts.channels += batch.len() as u64;
        out.flush()?;
        if from_channels {
            let owners: Vec<&str> = batch.iter().map(|c| c.channel_id.as_str()).collect();
            let list = |channel: &str| client.members_walk(channel, relation_options());
            let key = |channel: &str, m: &Member| (m.uuid.id().to_string(), channel.to_string());
            relations.walk(&owners, list, key).await?;
        }
        bar.set_position(counts.users + counts.channels + relations.written);
    }
    let end = channels.total_now().await?;
    counts
        .changes
        .extend(change_note("channels", channels.stats(), end));

    counts.memberships = relations.written;
    relations.copy_to(out)?;
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

/// Memberships found so far, written to a temporary file in the order found.
struct Relations {
    spool: BufWriter<File>,
    /// With `--thorough` both sides are read: (user, channel) digests seen, so each
    /// relation is written once.
    seen: Option<HashSet<u128>>,
    meta: bool,
    written: u64,
}

impl Relations {
    /// Reads the relations of each owner (`list` = one owner's walk), several owners
    /// at a time but written in the owners' order, each keyed by (user, channel) with
    /// `key(owner, item)`.
    async fn walk<T: WalkItem>(
        &mut self,
        owners: &[&str],
        list: impl Fn(&str) -> Result<Walk<T>, Error>,
        key: impl Fn(&str, &T) -> (String, String),
    ) -> Result<(), CliError>
    where
        for<'a> &'a T: Into<RelationState>,
    {
        let list = &list;
        let mut results = futures::stream::iter(owners)
            .map(|owner| async move { Ok::<_, Error>((*owner, list(owner)?.collect_all().await?)) })
            .buffered(CONCURRENCY);
        while let Some(result) = results.next().await {
            let (owner, items) = result?;
            for item in &items {
                let (user, channel) = key(owner, item);
                if let Some(seen) = &mut self.seen {
                    if !seen.insert(crate::api::walk::digest(&format!("{user}\0{channel}"))) {
                        continue;
                    }
                }
                let record = MembershipRecord::new(&user, &channel, &item.into(), self.meta);
                line(&mut self.spool, &Record::Membership(record))?;
                self.written += 1;
            }
        }
        Ok(())
    }

    /// Appends everything found to `out`.
    fn copy_to(self, out: &mut dyn Write) -> Result<(), CliError> {
        let mut file = self
            .spool
            .into_inner()
            .map_err(|e| CliError::Io(e.to_string()))?;
        file.seek(SeekFrom::Start(0))?;
        std::io::copy(&mut file, out)?;
        Ok(())
    }
}

fn line(out: &mut dyn Write, record: &Record) -> Result<(), CliError> {
    // Serialized into one buffer and written once: the serializer's many small
    // writes would each go through `dyn Write`.
    let mut text = Vec::with_capacity(LINE_CAPACITY);
    // Escaped like all JSON we print: the file may well be shown on a terminal.
    crate::text::write_json(&mut text, record).map_err(|e| CliError::Io(e.to_string()))?;
    text.push(b'\n');
    out.write_all(&text)?;
    Ok(())
}

/// Room for most records' lines.
const LINE_CAPACITY: usize = 1024;
/// The output's buffer: a page of 100 records is written in a call or two.
const OUT_BUFFER: usize = 256 * 1024;

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
                writer: Box::new(BufWriter::with_capacity(OUT_BUFFER, std::io::stdout())),
                rename: None,
            });
        };
        let mut tmp = path.as_os_str().to_owned();
        tmp.push(format!(".partial-{}", std::process::id()));
        let tmp = PathBuf::from(tmp);
        let file = File::create(&tmp)
            .map_err(|e| CliError::Usage(format!("cannot write {}: {e}", tmp.display())))?;
        Ok(Sink {
            writer: Box::new(BufWriter::with_capacity(OUT_BUFFER, file)),
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
