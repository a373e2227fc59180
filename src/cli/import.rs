//! `appctx import FILE`: reads an export back. The whole file is checked first (a bad
//! line is a usage error and nothing is sent). Then, per kind, what is stored is read,
//! each record is compared with it, identical ones are skipped, and the rest are
//! written — updates conditionally on the eTag just read. A failed record is reported
//! and the import goes on; the summary counts created/updated/unchanged/failed.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::Mutex;

use futures::StreamExt;
use indicatif::ProgressBar;
use serde::Serialize;

use super::args::ImportArgs;
use super::record::{
    ChannelRecord, MembershipRecord, Record, RelationState, UserRecord, FORMAT, VERSION,
};
use super::{progress, validate, CliError, Ctx};
use crate::api::types::{Channel, ETag, HasId, User};
use crate::api::{
    Client, Error, Include, ListOptions, Pager, RelationInclude, RelationListOptions, SetOptions,
    MAX_LIMIT,
};

/// Writes in flight at once.
const CONCURRENCY: usize = 16;
/// Up to this many records of a kind are looked up one by one; more, and the whole
/// list is read instead.
const LOOKUP_ONE_BY_ONE: usize = 100;

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
    fn add(&mut self, o: &Outcome) {
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
struct Breaker {
    in_a_row: AtomicU32,
    stopped: Mutex<Option<String>>,
}

impl Breaker {
    /// Counts one answer (or its absence).
    fn note<T>(&self, result: &Result<T, Error>) {
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

    fn tripped(&self) -> bool {
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

enum Outcome {
    Created,
    Updated,
    Unchanged,
    Failed(String),
    Skipped,
}

/// Runs `appctx import`.
pub async fn run(ctx: &Ctx, args: ImportArgs) -> Result<(), CliError> {
    let text = read_input(&args.file)?;
    let records = parse(&text)?;
    if !args.dry_run {
        ctx.check_write("import")?;
    }
    let conn = ctx.connect().await?;
    let report = import(&conn.client, records, args.dry_run).await;
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

fn read_input(path: &std::path::Path) -> Result<String, CliError> {
    let mut text = String::new();
    if path.as_os_str() == "-" {
        std::io::stdin().read_to_string(&mut text)?;
        return Ok(text);
    }
    std::fs::read_to_string(path)
        .map_err(|e| CliError::Usage(format!("cannot read {}: {e}", path.display())))
}

/// Records sorted by kind, each with its line number.
#[derive(Debug, Default)]
pub struct Records {
    pub users: Vec<(usize, UserRecord)>,
    pub channels: Vec<(usize, ChannelRecord)>,
    pub memberships: Vec<(usize, MembershipRecord)>,
}

/// Parses and checks a whole file; every problem is listed with its line.
pub fn parse(text: &str) -> Result<Records, CliError> {
    let mut records = Records::default();
    let mut problems = Vec::new();
    let mut seen: HashMap<String, usize> = HashMap::new();
    let mut dup = |key: String, line: usize, problems: &mut Vec<String>| {
        if let Some(first) = seen.insert(key.clone(), line) {
            problems.push(format!(
                "line {line}: {key} already appears on line {first}"
            ));
        }
    };
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        if raw.trim().is_empty() {
            continue;
        }
        let record: Record = match serde_json::from_str(raw) {
            Ok(r) => r,
            Err(e) => {
                problems.push(format!("line {n}: {e}"));
                continue;
            }
        };
        match record {
            Record::Header(h) => {
                if h.format != FORMAT || h.version != VERSION {
                    problems.push(format!(
                        "line {n}: this build reads {FORMAT} version {VERSION}, the file is {} version {}",
                        h.format, h.version
                    ));
                }
            }
            Record::User(u) => {
                check(validate::user(&u), n, &mut problems);
                dup(format!("user '{}'", u.id), n, &mut problems);
                records.users.push((n, u));
            }
            Record::Channel(c) => {
                check(validate::channel(&c), n, &mut problems);
                dup(format!("channel '{}'", c.id), n, &mut problems);
                records.channels.push((n, c));
            }
            Record::Membership(m) => {
                check(validate::membership(&m), n, &mut problems);
                dup(
                    format!("membership '{}' in '{}'", m.user, m.channel),
                    n,
                    &mut problems,
                );
                records.memberships.push((n, m));
            }
        }
    }
    if problems.is_empty() {
        return Ok(records);
    }
    let shown = problems.len().min(20);
    let mut msg = format!(
        "the file has {} bad lines; nothing was imported:\n  ",
        problems.len()
    );
    msg.push_str(&problems[..shown].join("\n  "));
    if problems.len() > shown {
        msg.push_str(&format!("\n  … and {} more", problems.len() - shown));
    }
    Err(CliError::Usage(msg))
}

fn check(found: Vec<String>, line: usize, problems: &mut Vec<String>) {
    problems.extend(found.into_iter().map(|p| format!("line {line}: {p}")));
}

/// Imports parsed records into the keyset `client` talks to.
pub async fn import(client: &Client, records: Records, dry_run: bool) -> ImportReport {
    let total = records.users.len() + records.channels.len() + records.memberships.len();
    let bar = progress::bar(total as u64, "importing");
    let breaker = Breaker::default();
    let users = import_objects(client, records.users, dry_run, &bar, &breaker).await;
    let channels = import_objects(client, records.channels, dry_run, &bar, &breaker).await;
    let memberships =
        import_memberships(client, records.memberships, dry_run, &bar, &breaker).await;
    bar.finish_and_clear();
    ImportReport {
        dry_run,
        users,
        channels,
        memberships,
        stopped: breaker.reason(),
    }
}

/// A user or channel record, as the importer handles it.
trait ObjectRecord {
    type Model: HasId + serde::de::DeserializeOwned;
    const NOUN: &'static str;
    fn id(&self) -> &str;
    fn matches(&self, stored: &Self::Model) -> bool;
    fn etag(stored: &Self::Model) -> &str;
    fn pager(c: &Client) -> Result<Pager<Self::Model>, Error>;
    async fn get(c: &Client, id: &str) -> Result<Self::Model, Error>;
    async fn write(&self, c: &Client, if_match: Option<ETag>) -> Result<(), Error>;
}

fn read_all() -> ListOptions<Include> {
    ListOptions {
        limit: Some(MAX_LIMIT),
        include: Include::ALL,
        ..Default::default()
    }
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
    fn id(&self) -> &str {
        &self.id
    }
    fn matches(&self, stored: &User) -> bool {
        UserRecord::matches(self, stored)
    }
    fn etag(stored: &User) -> &str {
        &stored.etag
    }
    fn pager(c: &Client) -> Result<Pager<User>, Error> {
        c.users_pager(read_all())
    }
    async fn get(c: &Client, id: &str) -> Result<User, Error> {
        c.get_user(id, Include::ALL).await
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
    fn id(&self) -> &str {
        &self.id
    }
    fn matches(&self, stored: &Channel) -> bool {
        ChannelRecord::matches(self, stored)
    }
    fn etag(stored: &Channel) -> &str {
        &stored.etag
    }
    fn pager(c: &Client) -> Result<Pager<Channel>, Error> {
        c.channels_pager(read_all())
    }
    async fn get(c: &Client, id: &str) -> Result<Channel, Error> {
        c.get_channel(id, Include::ALL).await
    }
    async fn write(&self, c: &Client, if_match: Option<ETag>) -> Result<(), Error> {
        c.set_channel(&self.id, &self.fields(), &write_options(if_match))
            .await
            .map(|_| ())
    }
}

/// What is stored for `ids`, by listing everything when there are many, else one by
/// one (a 404 means not stored). One-by-one lookups that fail are returned apart, so
/// only their records fail.
type Lookup<M> = (HashMap<String, M>, HashMap<String, String>);

async fn stored<R: ObjectRecord>(
    client: &Client,
    ids: &[&str],
    breaker: &Breaker,
) -> Result<Lookup<R::Model>, Error> {
    if ids.len() > LOOKUP_ONE_BY_ONE {
        let all = R::pager(client)?.collect_all().await?;
        let found = all.into_iter().map(|m| (m.id().to_string(), m)).collect();
        return Ok((found, HashMap::new()));
    }
    let mut found = HashMap::new();
    let mut failed = HashMap::new();
    let mut lookups = futures::stream::iter(ids)
        .map(|id| async move { (*id, R::get(client, id).await) })
        .buffer_unordered(CONCURRENCY);
    while let Some((id, result)) = lookups.next().await {
        breaker.note(&result);
        match result {
            Ok(m) => {
                found.insert(id.to_string(), m);
            }
            Err(Error::Api { status: 404, .. }) => {}
            Err(e) => {
                failed.insert(id.to_string(), e.to_string());
            }
        }
    }
    Ok((found, failed))
}

async fn import_objects<R: ObjectRecord>(
    client: &Client,
    records: Vec<(usize, R)>,
    dry_run: bool,
    bar: &ProgressBar,
    breaker: &Breaker,
) -> Tally {
    let mut tally = Tally::default();
    if records.is_empty() {
        return tally;
    }
    if breaker.tripped() {
        tally.skipped = records.len() as u64;
        bar.inc(records.len() as u64);
        return tally;
    }
    let ids: Vec<&str> = records.iter().map(|(_, r)| r.id()).collect();
    let (existing, lookup_failed) = match stored::<R>(client, &ids, breaker).await {
        Ok(found) => found,
        Err(e) => {
            report(bar, &format!("cannot read the stored {}s: {e}", R::NOUN));
            tally.failed = records.len() as u64;
            bar.inc(records.len() as u64);
            return tally;
        }
    };
    let mut outcomes = futures::stream::iter(&records)
        .map(|(line, record)| {
            let stored = existing.get(record.id());
            let lookup_error = lookup_failed.get(record.id());
            async move {
                let outcome = match (lookup_error, stored) {
                    (Some(e), _) => Outcome::Failed(e.clone()),
                    (None, Some(s)) if record.matches(s) => Outcome::Unchanged,
                    (None, s) if dry_run => created_or_updated(s.is_some()),
                    _ if breaker.tripped() => Outcome::Skipped,
                    (None, s) => {
                        let tag = s.map(|s| ETag(R::etag(s).to_string()));
                        let result = record.write(client, tag).await;
                        breaker.note(&result);
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
        if let Outcome::Failed(e) = &outcome {
            report(bar, &format!("line {line}: {} '{id}': {e}", R::NOUN));
        }
        tally.add(&outcome);
        bar.inc(1);
    }
    tally
}

fn created_or_updated(exists: bool) -> Outcome {
    if exists {
        Outcome::Updated
    } else {
        Outcome::Created
    }
}

/// Memberships, one user at a time (several users at once): read the user's stored
/// memberships, then set the ones that differ in batches of up to 100.
async fn import_memberships(
    client: &Client,
    records: Vec<(usize, MembershipRecord)>,
    dry_run: bool,
    bar: &ProgressBar,
    breaker: &Breaker,
) -> Tally {
    let mut by_user: BTreeMap<&str, Vec<&(usize, MembershipRecord)>> = BTreeMap::new();
    for r in &records {
        by_user.entry(r.1.user.as_str()).or_default().push(r);
    }
    let mut tally = Tally::default();
    let mut per_user = futures::stream::iter(by_user)
        .map(|(user, recs)| async move {
            import_user_memberships(client, user, recs, dry_run, breaker).await
        })
        .buffer_unordered(CONCURRENCY);
    while let Some(outcomes) = per_user.next().await {
        for (line, outcome) in outcomes {
            if let Outcome::Failed(e) = &outcome {
                report(bar, &format!("line {line}: {e}"));
            }
            tally.add(&outcome);
            bar.inc(1);
        }
    }
    tally
}

async fn import_user_memberships(
    client: &Client,
    user: &str,
    records: Vec<&(usize, MembershipRecord)>,
    dry_run: bool,
    breaker: &Breaker,
) -> Vec<(usize, Outcome)> {
    if breaker.tripped() {
        return records
            .iter()
            .map(|(line, _)| (*line, Outcome::Skipped))
            .collect();
    }
    let read = RelationListOptions {
        limit: Some(MAX_LIMIT),
        include: RelationInclude {
            relation: Include::ALL,
            related: None,
        },
        ..Default::default()
    };
    let listed = match client.memberships_pager(user, read) {
        Ok(p) => p.collect_all().await,
        Err(e) => Err(e),
    };
    breaker.note(&listed);
    let existing: HashMap<String, RelationState> = match listed {
        Ok(items) => items
            .iter()
            .map(|m| (m.channel.id().to_string(), m.into()))
            .collect(),
        Err(e) => {
            let msg = format!("cannot read the memberships of user '{user}': {e}");
            return records
                .iter()
                .map(|(line, _)| (*line, Outcome::Failed(msg.clone())))
                .collect();
        }
    };
    let mut outcomes = Vec::new();
    let mut to_write = Vec::new();
    for (line, r) in records {
        match existing.get(&r.channel) {
            Some(s) if r.matches(s) => outcomes.push((*line, Outcome::Unchanged)),
            s if dry_run => outcomes.push((*line, created_or_updated(s.is_some()))),
            s => to_write.push((*line, r, s.is_some())),
        }
    }
    // Answer with as little as possible: the write is what matters.
    let answer = RelationListOptions {
        limit: Some(1),
        include: RelationInclude {
            relation: Include::NONE,
            related: None,
        },
        ..Default::default()
    };
    for batch in to_write.chunks(MAX_LIMIT as usize) {
        if breaker.tripped() {
            outcomes.extend(batch.iter().map(|(line, _, _)| (*line, Outcome::Skipped)));
            continue;
        }
        let entries: Vec<_> = batch.iter().map(|(_, r, _)| r.entry()).collect();
        let result = client.set_memberships(user, &entries, &answer).await;
        breaker.note(&result);
        for (line, r, existed) in batch {
            let outcome = match &result {
                Ok(_) => created_or_updated(*existed),
                Err(e) => Outcome::Failed(format!("membership '{user}' in '{}': {e}", r.channel)),
            };
            outcomes.push((*line, outcome));
        }
    }
    outcomes
}

/// A message on stderr that does not tear the progress bar.
fn report(bar: &ProgressBar, message: &str) {
    bar.suspend(|| eprintln!("appctx: {}", crate::text::escape_lines(message)));
}
