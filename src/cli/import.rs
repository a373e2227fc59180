//! `appctx import FILE`: reads an export back, streaming. A first pass checks every
//! line with the server's rules (`import_check.rs`): a bad line is a usage error and
//! nothing is sent. Then one pass per kind (users, channels, memberships) reads the
//! file again in chunks; for each chunk only the stored records it names are read
//! (by id filters), each record is compared with what is stored, identical ones are
//! skipped, and the rest are written — updates conditionally on the eTag just read.
//! Memory holds one chunk, not the file. A failed record is reported and the import
//! goes on; after several connection failures in a row it stops and says how to
//! resume. The summary counts created/updated/unchanged/failed/skipped.

use std::collections::HashMap;
use std::fs::File;
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use futures::StreamExt;
use indicatif::ProgressBar;
use serde::Serialize;

use super::args::ImportArgs;
use super::import_check::{check, Counts};
use super::record::{ChannelRecord, Record, UserRecord};
use super::{import_relations, progress, CliError, Ctx};
use crate::api::types::{Channel, ETag, HasId, User};
use crate::api::{Client, Error, Include, ListOptions, SetOptions, MAX_LIMIT};
use crate::filter::{CmpOp, Expr, Field, Value};

/// Writes in flight at once.
pub(super) const CONCURRENCY: usize = 16;
/// Users or channels handled at a time.
const CHUNK: usize = 1000;
/// Ids per lookup filter (`id == 'a' || id == 'b' || …`): well inside the filter
/// length limit even for 92-byte ids.
const IDS_PER_FILTER: usize = 30;

/// Created/updated/unchanged/failed counts of one kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Tally {
    pub created: u64,
    pub updated: u64,
    pub unchanged: u64,
    pub failed: u64,
    /// Not attempted: the import stopped first (the server was unreachable).
    pub skipped: u64,
}

impl Tally {
    pub(super) fn add(&mut self, o: &Outcome) {
        match o {
            Outcome::Created => self.created += 1,
            Outcome::Updated => self.updated += 1,
            Outcome::Unchanged => self.unchanged += 1,
            Outcome::Failed(_) => self.failed += 1,
            Outcome::Skipped => self.skipped += 1,
        }
    }
}

/// Requests in a row that could not reach the server before the import stops.
const UNREACHABLE_IN_A_ROW: u32 = 8;

/// Stops the import once the server has been unreachable (connection failures or
/// timeouts) for several requests in a row, instead of failing every record slowly.
#[derive(Default)]
pub(super) struct Breaker {
    in_a_row: AtomicU32,
    stopped: Mutex<Option<String>>,
}

impl Breaker {
    /// Counts one answer (or its absence).
    pub(super) fn note<T>(&self, result: &Result<T, Error>) {
        match result {
            Err(e @ (Error::Network { .. } | Error::Timeout { .. })) => {
                let n = self.in_a_row.fetch_add(1, Ordering::SeqCst) + 1;
                if n >= UNREACHABLE_IN_A_ROW {
                    if let Ok(mut stopped) = self.stopped.lock() {
                        stopped.get_or_insert_with(|| e.to_string());
                    }
                }
            }
            _ => self.in_a_row.store(0, Ordering::SeqCst),
        }
    }

    pub(super) fn tripped(&self) -> bool {
        self.stopped.lock().map_or(true, |s| s.is_some())
    }

    fn reason(&self) -> Option<String> {
        self.stopped.lock().ok().and_then(|s| s.clone())
    }
}

/// What an import did (or, dry, would do).
#[derive(Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ImportReport {
    pub dry_run: bool,
    pub users: Tally,
    pub channels: Tally,
    pub memberships: Tally,
    /// Why the import stopped early, when it did.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub stopped: Option<String>,
}

pub(super) enum Outcome {
    Created,
    Updated,
    Unchanged,
    Failed(String),
    Skipped,
}

pub(super) fn created_or_updated(exists: bool) -> Outcome {
    if exists {
        Outcome::Updated
    } else {
        Outcome::Created
    }
}

/// Runs `appctx import`.
pub async fn run(ctx: &Ctx, args: ImportArgs) -> Result<(), CliError> {
    let input = Input::open(&args.file)?;
    let counts = check(&input)?;
    if !args.dry_run {
        ctx.check_write("import")?;
    }
    let conn = ctx.connect().await?;
    let report = import(&conn.client, &input, counts, args.dry_run).await?;
    let json = crate::text::json_string(&report, true).map_err(|e| CliError::Io(e.to_string()))?;
    super::output::write_stdout(format!("{json}\n").as_bytes())?;
    let verb = if args.dry_run { "would be " } else { "" };
    for (kind, t) in [
        ("users", report.users),
        ("channels", report.channels),
        ("memberships", report.memberships),
    ] {
        eprintln!(
            "{kind}: {} {verb}created, {} {verb}updated, {} unchanged, {} failed, {} not sent",
            t.created, t.updated, t.unchanged, t.failed, t.skipped
        );
    }
    if let Some(reason) = &report.stopped {
        let skipped = report.users.skipped + report.channels.skipped + report.memberships.skipped;
        eprintln!(
            "appctx: import stopped: the server could not be reached {UNREACHABLE_IN_A_ROW} times in a row ({}); {skipped} records were not sent. \
             To resume, run the same import again: records already written are found unchanged and skipped.",
            crate::text::escape(reason)
        );
        return Err(CliError::Failed("import stopped".into()));
    }
    let failed = report.users.failed + report.channels.failed + report.memberships.failed;
    if failed > 0 {
        return Err(CliError::Failed(format!("{failed} records failed")));
    }
    Ok(())
}

/// The file to import, read once per pass. Stdin is copied to a temporary file
/// first, since it can be read only once.
pub struct Input {
    path: PathBuf,
    _spool: Option<tempfile::NamedTempFile>,
}

impl Input {
    pub(super) fn open(path: &Path) -> Result<Input, CliError> {
        if path.as_os_str() != "-" {
            File::open(path)
                .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))?;
            return Ok(Input {
                path: path.to_path_buf(),
                _spool: None,
            });
        }
        let mut spool = tempfile::NamedTempFile::new()?;
        std::io::copy(&mut std::io::stdin().lock(), spool.as_file_mut())?;
        Ok(Input {
            path: spool.path().to_path_buf(),
            _spool: Some(spool),
        })
    }

    /// Each non-blank line with its number.
    pub(super) fn lines(
        &self,
    ) -> Result<impl Iterator<Item = Result<(usize, String), CliError>>, CliError> {
        let file = File::open(&self.path)
            .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", self.path.display())))?;
        Ok(BufReader::new(file)
            .lines()
            .enumerate()
            .filter_map(|(i, line)| match line {
                Ok(l) if l.trim().is_empty() => None,
                Ok(l) => Some(Ok((i + 1, l))),
                Err(e) => Some(Err(CliError::Usage(format!("line {}: {e}", i + 1)))),
            }))
    }

    /// The records of one `kind`, with their line numbers (the file was checked).
    /// Lines that say they are of another kind are passed over unread (each pass over
    /// the file reads only its own kind's records).
    pub(super) fn records<'a, T: 'a>(
        &'a self,
        kind: &'static str,
        pick: impl Fn(Record) -> Option<T> + 'a,
    ) -> Result<impl Iterator<Item = Result<(usize, T), CliError>> + 'a, CliError> {
        Ok(self.lines()?.filter_map(move |line| {
            let (n, text) = match line {
                Ok(l) => l,
                Err(e) => return Some(Err(e)),
            };
            if Record::leading_kind(&text).is_some_and(|k| k != kind) {
                return None;
            }
            let record = Record::parse(&text).ok()?;
            pick(record).map(|r| Ok((n, r)))
        }))
    }
}

/// Imports a checked file into the keyset `client` talks to.
async fn import(
    client: &Client,
    input: &Input,
    counts: Counts,
    dry_run: bool,
) -> Result<ImportReport, CliError> {
    let total = counts.users + counts.channels + counts.memberships;
    let bar = progress::bar(total, "importing");
    let breaker = Breaker::default();
    let ctx = Run {
        client,
        dry_run,
        bar: &bar,
        breaker: &breaker,
    };
    let users = import_objects::<UserRecord>(&ctx, input).await?;
    let channels = import_objects::<ChannelRecord>(&ctx, input).await?;
    let memberships = import_relations::import(&ctx, input).await?;
    bar.finish_and_clear();
    Ok(ImportReport {
        dry_run,
        users,
        channels,
        memberships,
        stopped: breaker.reason(),
    })
}

/// What every step of an import shares.
pub(super) struct Run<'a> {
    pub client: &'a Client,
    pub dry_run: bool,
    pub bar: &'a ProgressBar,
    pub breaker: &'a Breaker,
}

impl Run<'_> {
    /// Counts and reports outcomes.
    pub(super) fn tally(&self, tally: &mut Tally, line: usize, what: &str, outcome: &Outcome) {
        if let Outcome::Failed(e) = outcome {
            report(self.bar, &format!("line {line}: {what}: {e}"));
        }
        tally.add(outcome);
        self.bar.inc(1);
    }
}

/// A user or channel record, as the importer handles it.
trait ObjectRecord: Sized {
    type Model: HasId + serde::de::DeserializeOwned;
    const NOUN: &'static str;
    fn pick(r: Record) -> Option<Self>;
    fn id(&self) -> &str;
    fn matches(&self, stored: &Self::Model) -> bool;
    fn etag(stored: &Self::Model) -> &str;
    async fn list(c: &Client, opts: &ListOptions<Include>) -> Result<Vec<Self::Model>, Error>;
    async fn write(&self, c: &Client, if_match: Option<ETag>) -> Result<(), Error>;
}

fn write_options(if_match: Option<ETag>) -> SetOptions {
    SetOptions {
        include: Include::NONE,
        if_match,
    }
}

impl ObjectRecord for UserRecord {
    type Model = User;
    const NOUN: &'static str = "user";
    fn pick(r: Record) -> Option<Self> {
        match r {
            Record::User(u) => Some(u),
            _ => None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn matches(&self, stored: &User) -> bool {
        UserRecord::matches(self, stored)
    }
    fn etag(stored: &User) -> &str {
        &stored.etag
    }
    async fn list(c: &Client, opts: &ListOptions<Include>) -> Result<Vec<User>, Error> {
        c.list_users(opts).await.map(|p| p.data)
    }
    async fn write(&self, c: &Client, if_match: Option<ETag>) -> Result<(), Error> {
        c.set_user(&self.id, &self.fields(), &write_options(if_match))
            .await
            .map(|_| ())
    }
}

impl ObjectRecord for ChannelRecord {
    type Model = Channel;
    const NOUN: &'static str = "channel";
    fn pick(r: Record) -> Option<Self> {
        match r {
            Record::Channel(c) => Some(c),
            _ => None,
        }
    }
    fn id(&self) -> &str {
        &self.id
    }
    fn matches(&self, stored: &Channel) -> bool {
        ChannelRecord::matches(self, stored)
    }
    fn etag(stored: &Channel) -> &str {
        &stored.etag
    }
    async fn list(c: &Client, opts: &ListOptions<Include>) -> Result<Vec<Channel>, Error> {
        c.list_channels(opts).await.map(|p| p.data)
    }
    async fn write(&self, c: &Client, if_match: Option<ETag>) -> Result<(), Error> {
        c.set_channel(&self.id, &self.fields(), &write_options(if_match))
            .await
            .map(|_| ())
    }
}

/// `field == 'a' || field == 'b' || …`, built as an expression (values are
/// quoted by the printer, never pasted).
pub(super) fn any_of(field: &[&str], ids: &[&str]) -> String {
    let mut terms: Vec<Expr> = ids
        .iter()
        .map(|id| Expr::Compare {
            field: Field::new(field.iter().copied()),
            op: CmpOp::Eq,
            value: Value::String((*id).to_string()),
        })
        .collect();
    let expr = if terms.len() == 1 {
        terms.remove(0)
    } else {
        Expr::Or(terms)
    };
    expr.to_string()
}

/// What [`any_of`]'s terms are joined with.
const OR: &str = " || ";

/// `ids` split so that each batch's [`any_of`] filter stays within the filter
/// length limit and [`IDS_PER_FILTER`] terms (quotes in ids are escaped, so the
/// text of a batch is measured, not guessed).
pub(super) fn id_batches<'a>(field: &[&str], ids: &[&'a str]) -> Vec<Vec<&'a str>> {
    // Room for the rest of the query is not needed: the limit is on the filter.
    let max_text = crate::filter::MAX_LEN;
    let mut batches = Vec::new();
    let mut batch: Vec<&str> = Vec::new();
    // The text of a batch is its terms joined by " || " (no parentheses): measured a
    // term at a time, not by printing each longer batch again.
    let mut text = 0;
    for id in ids {
        let term = any_of(field, &[id]).chars().count();
        let grown = if batch.is_empty() {
            term
        } else {
            text + OR.len() + term
        };
        if !batch.is_empty() && (batch.len() == IDS_PER_FILTER || grown > max_text) {
            batches.push(std::mem::take(&mut batch));
            text = term;
        } else {
            text = grown;
        }
        batch.push(id);
    }
    if !batch.is_empty() {
        batches.push(batch);
    }
    batches
}

/// What is stored for `ids`, read by id filters. A lookup that fails is returned
/// apart, so only the records it covered fail.
async fn stored<R: ObjectRecord>(
    run: &Run<'_>,
    ids: &[&str],
) -> (HashMap<String, R::Model>, HashMap<String, String>) {
    let mut found = HashMap::new();
    let mut failed = HashMap::new();
    let batches = id_batches(&["id"], ids);
    let mut lookups = futures::stream::iter(&batches)
        .map(|batch| async move {
            let opts = ListOptions {
                limit: Some(MAX_LIMIT),
                filter: Some(any_of(&["id"], batch)),
                include: Include::ALL,
                ..Default::default()
            };
            (batch, R::list(run.client, &opts).await)
        })
        .buffer_unordered(CONCURRENCY);
    while let Some((batch, result)) = lookups.next().await {
        run.breaker.note(&result);
        match result {
            Ok(models) => {
                for m in models {
                    found.insert(m.id().to_string(), m);
                }
            }
            Err(e) => {
                let msg = format!("cannot read the stored {}: {e}", R::NOUN);
                for id in batch.iter() {
                    failed.insert((*id).to_string(), msg.clone());
                }
            }
        }
    }
    (found, failed)
}

async fn import_objects<R: ObjectRecord>(run: &Run<'_>, input: &Input) -> Result<Tally, CliError> {
    let mut tally = Tally::default();
    let mut records = input.records(R::NOUN, R::pick)?;
    loop {
        let mut chunk = Vec::with_capacity(CHUNK);
        for r in records.by_ref().take(CHUNK) {
            chunk.push(r?);
        }
        if chunk.is_empty() {
            return Ok(tally);
        }
        import_chunk(run, &chunk, &mut tally).await;
    }
}

async fn import_chunk<R: ObjectRecord>(run: &Run<'_>, chunk: &[(usize, R)], tally: &mut Tally) {
    if run.breaker.tripped() {
        for (line, r) in chunk {
            run.tally(
                tally,
                *line,
                &format!("{} '{}'", R::NOUN, r.id()),
                &Outcome::Skipped,
            );
        }
        return;
    }
    let ids: Vec<&str> = chunk.iter().map(|(_, r)| r.id()).collect();
    let (existing, lookup_failed) = stored::<R>(run, &ids).await;
    let mut outcomes = futures::stream::iter(chunk)
        .map(|(line, record)| {
            let stored = existing.get(record.id());
            let lookup_error = lookup_failed.get(record.id());
            async move {
                let outcome = match (lookup_error, stored) {
                    // Nothing was sent for it, and the import has stopped.
                    (Some(_), _) if run.breaker.tripped() => Outcome::Skipped,
                    (Some(e), _) => Outcome::Failed(e.clone()),
                    (None, Some(s)) if record.matches(s) => Outcome::Unchanged,
                    (None, s) if run.dry_run => created_or_updated(s.is_some()),
                    _ if run.breaker.tripped() => Outcome::Skipped,
                    (None, s) => {
                        let tag = s.map(|s| ETag(R::etag(s).to_string()));
                        let result = record.write(run.client, tag).await;
                        run.breaker.note(&result);
                        match result {
                            Ok(()) => created_or_updated(s.is_some()),
                            Err(e) => Outcome::Failed(e.to_string()),
                        }
                    }
                };
                (line, record.id(), outcome)
            }
        })
        .buffer_unordered(CONCURRENCY);
    while let Some((line, id, outcome)) = outcomes.next().await {
        run.tally(tally, *line, &format!("{} '{id}'", R::NOUN), &outcome);
    }
}

/// A message on stderr that does not tear the progress bar.
pub(super) fn report(bar: &ProgressBar, message: &str) {
    bar.suspend(|| eprintln!("appctx: {}", crate::text::escape_lines(message)));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_filters_are_built_not_pasted() {
        assert_eq!(any_of(&["id"], &["a"]), r#"id == "a""#);
        let text = any_of(&["channel", "id"], &["x' || id != '", "b\"c"]);
        let parsed = crate::filter::parse(&text).unwrap();
        let Expr::Or(terms) = parsed else {
            panic!("{text}")
        };
        assert_eq!(terms.len(), 2, "{text}");
        assert!(
            matches!(&terms[0], Expr::Compare { value: Value::String(s), .. } if s == "x' || id != '")
        );
    }

    #[test]
    fn id_batches_keep_each_filter_within_the_limits() {
        let quoted = "\"".repeat(92);
        let ids: Vec<&str> = vec![quoted.as_str(); 100];
        let batches = id_batches(&["channel", "id"], &ids);
        assert_eq!(batches.iter().map(Vec::len).sum::<usize>(), 100);
        assert!(batches.len() > 4, "{} batches", batches.len());
        for b in &batches {
            let text = any_of(&["channel", "id"], b);
            assert!(crate::filter::parse(&text).is_ok(), "{} chars", text.len());
            assert!(text.chars().count() <= crate::filter::MAX_LEN);
            // Full: one more id would not have fitted.
            if b.len() < IDS_PER_FILTER && !std::ptr::eq(b, batches.last().unwrap()) {
                let more = [b.as_slice(), &[quoted.as_str()]].concat();
                assert!(any_of(&["channel", "id"], &more).chars().count() > crate::filter::MAX_LEN);
            }
        }
        // Terms are joined with OR and nothing else, as the batches are measured.
        assert_eq!(
            any_of(&["id"], &["a", "b"]).len(),
            2 * any_of(&["id"], &["a"]).len() + OR.len()
        );
        let short: Vec<String> = (0..65).map(|i| format!("u{i}")).collect();
        let short: Vec<&str> = short.iter().map(String::as_str).collect();
        let sizes: Vec<usize> = id_batches(&["id"], &short).iter().map(Vec::len).collect();
        assert_eq!(sizes, [30, 30, 5]);
    }
}
