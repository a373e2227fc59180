//! The SQLite store behind the local server: one writer connection (all writes are
//! serialized, so a conditional write checks and writes atomically) and a few reader
//! connections (WAL lets them read while a write is in progress).

use std::path::Path;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use rusqlite::functions::FunctionFlags;
use rusqlite::types::Value as SqlValue;
use rusqlite::{params, params_from_iter, Connection, OptionalExtension, Row};

use super::custom_index::{self, CustomIndexes, Scope};
use super::error::ApiError;
use super::events::{Change, EventHub};
use super::list_query::{
    filter_key, order_columns, order_sql, relations_page_uncached, sort_values, ObjectQuery,
    RelationQuery, Seek,
};
use super::model::{now_micros, sort_key, Kind, ObjectRow, RelationRow};
use super::page_cache::{after, ListKey, PageCache, KEY_EVERY};
use super::params::{Include, ListParams};
use super::render;
use super::search_index;
use super::sql::decode_pattern;
use crate::api::rules::MAX_RECORD_BYTES;
use crate::api::types::Custom;
use crate::filter::Target;

const SCHEMA: &str = r#"
CREATE TABLE IF NOT EXISTS objects(
  sub_key TEXT NOT NULL, kind INTEGER NOT NULL, id TEXT NOT NULL,
  name TEXT, description TEXT, external_id TEXT, profile_url TEXT, email TEXT,
  type TEXT, status TEXT, custom TEXT, updated INTEGER NOT NULL, etag TEXT NOT NULL,
  id_k TEXT NOT NULL, name_k TEXT, description_k TEXT, type_k TEXT, status_k TEXT,
  PRIMARY KEY(sub_key, kind, id));
CREATE INDEX IF NOT EXISTS objects_by_id_k ON objects(sub_key, kind, id_k, id);
CREATE INDEX IF NOT EXISTS objects_whole_in_id_order ON objects(sub_key, kind, id_k, id,
  name, description, external_id, profile_url, email, type, status, custom, updated, etag)
  WHERE kind IN (0, 1);
DROP INDEX IF EXISTS objects_by_name_k;
CREATE INDEX IF NOT EXISTS objects_by_name ON objects(sub_key, kind, name_k, name, id_k, id);
CREATE TABLE IF NOT EXISTS relations(
  sub_key TEXT NOT NULL, user_id TEXT NOT NULL, channel_id TEXT NOT NULL,
  type TEXT, status TEXT, custom TEXT, updated INTEGER NOT NULL, etag TEXT NOT NULL,
  user_id_k TEXT NOT NULL, channel_id_k TEXT NOT NULL, type_k TEXT, status_k TEXT,
  PRIMARY KEY(sub_key, user_id, channel_id));
CREATE INDEX IF NOT EXISTS relations_by_channel ON relations(sub_key, channel_id, user_id_k, user_id);
CREATE INDEX IF NOT EXISTS relations_by_user ON relations(sub_key, user_id, channel_id_k, channel_id);
CREATE TABLE IF NOT EXISTS meta(key TEXT PRIMARY KEY, value TEXT);
"#;

pub(super) const OBJECT_COLS: &str = "o.id, o.name, o.description, o.external_id, o.profile_url, o.email, o.type, o.status, o.custom, o.updated, o.etag";
pub(super) const RELATION_COLS: &str =
    "r.user_id, r.channel_id, r.type, r.status, r.custom, r.updated, r.etag";

/// Which side a relation list is read from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum View {
    /// A user's memberships (the channels they are in).
    Memberships,
    /// A channel's members (the users in it).
    Members,
}

impl View {
    /// The filter/sort target of this view.
    pub fn target(self) -> Target {
        match self {
            View::Memberships => Target::Memberships,
            View::Members => Target::Members,
        }
    }
    /// The kind of the object at the other end of the relation.
    pub fn other_kind(self) -> Kind {
        match self {
            View::Memberships => Kind::Channel,
            View::Members => Kind::User,
        }
    }
}

/// A change to a user or channel: `None` keeps the stored value, `Some(None)` stores null.
#[derive(Debug, Default, Clone)]
pub struct ObjectPatch {
    pub name: Option<Option<String>>,
    pub description: Option<Option<String>>,
    pub external_id: Option<Option<String>>,
    pub profile_url: Option<Option<String>>,
    pub email: Option<Option<String>>,
    pub kind_field: Option<Option<String>>,
    pub status: Option<Option<String>>,
    pub custom: Option<Option<Custom>>,
}

impl ObjectPatch {
    /// The row after applying this patch on top of `base`.
    pub fn apply(&self, base: &ObjectRow) -> ObjectRow {
        fn pick<T: Clone>(patch: &Option<Option<T>>, old: &Option<T>) -> Option<T> {
            match patch {
                Some(v) => v.clone(),
                None => old.clone(),
            }
        }
        ObjectRow {
            id: base.id.clone(),
            name: pick(&self.name, &base.name),
            description: pick(&self.description, &base.description),
            external_id: pick(&self.external_id, &base.external_id),
            profile_url: pick(&self.profile_url, &base.profile_url),
            email: pick(&self.email, &base.email),
            kind_field: pick(&self.kind_field, &base.kind_field),
            status: pick(&self.status, &base.status),
            custom: pick(&self.custom, &base.custom),
            updated: base.updated,
            etag: base.etag.clone(),
        }
    }
}

/// One `set` entry of a membership/member PATCH: the other side's id and the fields sent.
#[derive(Debug, Default, Clone)]
pub struct RelationPatch {
    pub other_id: String,
    pub kind_field: Option<Option<String>>,
    pub status: Option<Option<String>>,
    pub custom: Option<Option<Custom>>,
}

/// The result of a conditional write.
#[derive(Debug)]
pub enum SetOutcome {
    /// Written (or unchanged, when `changed` is false).
    Done { row: Box<ObjectRow>, changed: bool },
    /// `If-Match` did not match the stored eTag.
    PreconditionFailed,
}

/// A relation read with the metadata of the object at its other end (if any).
#[derive(Debug, Clone)]
pub struct RelationWithObject {
    pub relation: RelationRow,
    pub other: Option<ObjectRow>,
}

/// A page of users or channels, and the total when it was asked for.
pub type ObjectPage = Listed<ObjectRow>;

/// A page of items, and the total when it was asked for.
pub type Listed<T> = (Vec<T>, Option<u64>);

/// The App Context database.
pub struct Store {
    /// Shared with the threads that build `custom` key indexes.
    writer: Arc<Mutex<Connection>>,
    readers: Vec<Mutex<Connection>>,
    next_reader: AtomicUsize,
    /// Deleting an object deletes its relations; relations need both ends to exist.
    pub referential_integrity: bool,
    /// Where the events of committed writes go (spec §12).
    events: Arc<EventHub>,
    /// Longest a query that reads a list may run before SQLite interrupts it (503).
    query_budget: Duration,
    /// Cursors' sort keys and counts, so walks are linear and counts cheap.
    pages: PageCache,
    /// Indexes on the `custom` keys filters use.
    custom: Arc<CustomIndexes>,
}

/// How long a list query may run by default (see [`Store::set_query_budget`]).
pub const DEFAULT_QUERY_BUDGET: Duration = Duration::from_secs(5);
/// SQLite virtual-machine steps between two looks at the clock.
const PROGRESS_STEPS: std::os::raw::c_int = 10_000;

/// The VFS every connection to a store's database goes through. `unix-excl` takes one
/// exclusive lock on the file when the first connection of the process first reads
/// it, holds it until the last one closes, and keeps the WAL index in this process's
/// memory instead of a `-shm` file. Connections of the same process share that lock,
/// so the writer and the readers work as with `unix`, but a read transaction no longer
/// takes and drops POSIX locks on the database and `-shm` files (two `fcntl` calls
/// and a process-wide mutex per read: 11 % of the server's CPU on a `get uuid
/// metadata`). The price: no other process can open the database while the server
/// has it, which the server's `DB.lock` file already decides for appctx processes.
#[cfg(unix)]
const VFS: &std::ffi::CStr = c"unix-excl";

/// A connection to the database at `path`, the way the store opens its own. Every
/// connection a process makes to a store's database must come from here: one of a
/// different VFS would take and drop POSIX locks of its own, which release the
/// process's exclusive lock (POSIX locks belong to the process, not the connection).
#[cfg(unix)]
pub fn connect(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open_with_flags_and_vfs(path, rusqlite::OpenFlags::default(), VFS)
}

/// A connection to the database at `path` (elsewhere SQLite's default VFS).
#[cfg(not(unix))]
pub fn connect(path: &Path) -> rusqlite::Result<Connection> {
    Connection::open(path)
}

fn open_connection(path: &Path) -> rusqlite::Result<Connection> {
    let conn = connect(path)?;
    conn.busy_timeout(std::time::Duration::from_secs(10))?;
    // WAL + NORMAL: a committed write is in the WAL file (handed to the OS) before we
    // answer, so it survives the process crashing or being killed. The WAL is synced
    // to disk at checkpoints, not per commit: a power loss or OS crash may roll back
    // the last acknowledged writes (the database stays consistent). That is the
    // promise, stated in the README; FULL would add an fsync per write.
    conn.pragma_update(None, "journal_mode", "WAL")?;
    conn.pragma_update(None, "synchronous", "NORMAL")?;
    // Reads through the OS page cache instead of copying pages into a small cache.
    conn.pragma_update(None, "mmap_size", 268_435_456i64)?;
    conn.pragma_update(None, "foreign_keys", "OFF")?;
    search_index::register(&conn)?;
    conn.create_scalar_function(
        "pn_like",
        2,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            let pattern = ctx.get_or_create_aux(1, |v| {
                let text = v
                    .as_str()
                    .map_err(|e| rusqlite::Error::UserFunctionError(e.into()))?;
                decode_pattern(text)
                    .map(|p| crate::filter::Matcher::new(&p, true))
                    .ok_or_else(|| {
                        rusqlite::Error::UserFunctionError("bad pattern parameter".into())
                    })
            })?;
            let matched = match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(bytes) => {
                    std::str::from_utf8(bytes).is_ok_and(|s| pattern.matches(s))
                }
                _ => false,
            };
            Ok(matched)
        },
    )?;
    Ok(conn)
}

/// Largest database a reader maps into memory whole (SQLite's own cap is 2 GB).
const READER_MMAP_BYTES: i64 = 2 << 30;

/// A reader maps the whole database (up to [`READER_MMAP_BYTES`]) instead of the first
/// 256 MB: pages past the mapping are copied in with `pread` on every visit, and a
/// walk of 1M users (a 0.4 GB database) visits each table page again and again.
fn map_whole_file(conn: Connection) -> rusqlite::Result<Connection> {
    conn.pragma_update(None, "mmap_size", READER_MMAP_BYTES)?;
    Ok(conn)
}

fn custom_to_sql(custom: &Option<Custom>) -> Option<String> {
    custom.as_ref().map(|c| {
        // Stored (and so answered) with sorted keys, as PubNub answers.
        let mut sorted = c.clone();
        sorted.sort_keys();
        serde_json::to_string(&sorted).unwrap_or_else(|_| "{}".to_string())
    })
}

fn custom_from_sql(text: Option<String>) -> rusqlite::Result<Option<Custom>> {
    match text {
        None => Ok(None),
        Some(t) => serde_json::from_str(&t).map(Some).map_err(|e| {
            rusqlite::Error::FromSqlConversionFailure(0, rusqlite::types::Type::Text, e.into())
        }),
    }
}

/// `EXPLAIN QUERY PLAN` of `sql`, one line per step.
fn explain(c: &Connection, sql: &str, args: Vec<SqlValue>) -> Result<Vec<String>, ApiError> {
    let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
    let lines = stmt
        .query_map(params_from_iter(args), |r| r.get::<_, String>(3))?
        .collect::<rusqlite::Result<Vec<_>>>()?;
    Ok(lines)
}

/// Rows a page holds at most (room is made for them up front).
const MAX_PAGE_ROWS: u64 = 100;

/// A listed row as an owned [`ObjectRow`].
fn owned_object(v: ObjectView<'_>) -> Result<ObjectRow, ApiError> {
    Ok(ObjectRow {
        id: v.id.to_string(),
        name: v.name.map(str::to_string),
        description: v.description.map(str::to_string),
        external_id: v.external_id.map(str::to_string),
        profile_url: v.profile_url.map(str::to_string),
        email: v.email.map(str::to_string),
        kind_field: v.kind_field.map(str::to_string),
        status: v.status.map(str::to_string),
        custom: custom_from_sql(v.custom.map(str::to_string))?,
        updated: v.updated,
        etag: v.etag.to_string(),
    })
}

pub(super) fn object_from_row(row: &Row, at: usize) -> rusqlite::Result<ObjectRow> {
    Ok(ObjectRow {
        id: row.get(at)?,
        name: row.get(at + 1)?,
        description: row.get(at + 2)?,
        external_id: row.get(at + 3)?,
        profile_url: row.get(at + 4)?,
        email: row.get(at + 5)?,
        kind_field: row.get(at + 6)?,
        status: row.get(at + 7)?,
        custom: custom_from_sql(row.get(at + 8)?)?,
        updated: row.get(at + 9)?,
        etag: row.get(at + 10)?,
    })
}

/// A stored user or channel borrowed from the row SQLite is on ([`OBJECT_COLS`] from
/// column `at`), for rendering it without an owned copy; `custom` is its JSON text.
#[derive(Clone, Copy, Debug)]
pub struct ObjectView<'a> {
    pub id: &'a str,
    pub name: Option<&'a str>,
    pub description: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub profile_url: Option<&'a str>,
    pub email: Option<&'a str>,
    pub kind_field: Option<&'a str>,
    pub status: Option<&'a str>,
    pub custom: Option<&'a str>,
    pub updated: i64,
    pub etag: &'a str,
}

impl<'a> ObjectView<'a> {
    fn from_row(row: &'a Row<'_>, at: usize) -> rusqlite::Result<ObjectView<'a>> {
        let text = |i: usize| -> rusqlite::Result<Option<&'a str>> {
            Ok(row.get_ref(at + i)?.as_str_or_null()?)
        };
        let required =
            |i: usize| -> rusqlite::Result<&'a str> { Ok(row.get_ref(at + i)?.as_str()?) };
        Ok(ObjectView {
            id: required(0)?,
            name: text(1)?,
            description: text(2)?,
            external_id: text(3)?,
            profile_url: text(4)?,
            email: text(5)?,
            kind_field: text(6)?,
            status: text(7)?,
            custom: text(8)?,
            updated: row.get(at + 9)?,
            etag: required(10)?,
        })
    }
}

pub(super) fn relation_from_row(row: &Row) -> rusqlite::Result<RelationRow> {
    Ok(RelationRow {
        user_id: row.get(0)?,
        channel_id: row.get(1)?,
        kind_field: row.get(2)?,
        status: row.get(3)?,
        custom: custom_from_sql(row.get(4)?)?,
        updated: row.get(5)?,
        etag: row.get(6)?,
    })
}

fn opt_key(s: &Option<String>) -> Option<String> {
    s.as_deref().map(sort_key)
}

/// A timestamp strictly after `prev`, so every change moves `updated` forward.
fn next_updated(prev: i64) -> i64 {
    now_micros().max(prev + 1)
}

impl Store {
    /// Opens (creating if needed) the database at `path`, with an event hub of the
    /// default configuration.
    pub fn open(path: &Path, referential_integrity: bool) -> rusqlite::Result<Store> {
        Store::open_with_events(path, referential_integrity, Arc::default())
    }

    /// Opens (creating if needed) the database at `path`; every write that changes
    /// something publishes its events to `events` once committed.
    pub fn open_with_events(
        path: &Path,
        referential_integrity: bool,
        events: Arc<EventHub>,
    ) -> rusqlite::Result<Store> {
        let writer = open_connection(path)?;
        writer.execute_batch(SCHEMA)?;
        search_index::create(&writer)?;
        let readers = (0..4)
            .map(|_| {
                open_connection(path)
                    .and_then(map_whole_file)
                    .map(Mutex::new)
            })
            .collect::<rusqlite::Result<Vec<_>>>()?;
        let custom = Arc::new(CustomIndexes::load(&writer)?);
        Ok(Store {
            writer: Arc::new(Mutex::new(writer)),
            readers,
            next_reader: AtomicUsize::new(0),
            referential_integrity,
            events,
            query_budget: DEFAULT_QUERY_BUDGET,
            pages: PageCache::default(),
            custom,
        })
    }

    /// Sets how long a list (with its filter and sort) may run; past it SQLite stops
    /// the query and the answer is a 503, so no filter can hold a connection for
    /// minutes.
    pub fn set_query_budget(&mut self, budget: Duration) {
        self.query_budget = budget;
    }

    /// Runs `f` on `c` with the query budget armed.
    fn budgeted<T>(
        &self,
        c: &Connection,
        f: impl FnOnce() -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let deadline = Instant::now() + self.query_budget;
        c.progress_handler(PROGRESS_STEPS, Some(move || Instant::now() >= deadline));
        let result = f();
        c.progress_handler(PROGRESS_STEPS, None::<fn() -> bool>);
        result
    }

    /// The event hub the writes publish to.
    pub fn events(&self) -> &Arc<EventHub> {
        &self.events
    }

    fn write<T>(
        &self,
        f: impl FnOnce(&mut Connection) -> Result<T, ApiError>,
    ) -> Result<T, ApiError> {
        let mut conn = self.writer.lock().unwrap_or_else(|e| e.into_inner());
        f(&mut conn)
    }

    fn read<T>(&self, f: impl FnOnce(&Connection) -> Result<T, ApiError>) -> Result<T, ApiError> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        for i in 0..n {
            if let Ok(conn) = self.readers[(start + i) % n].try_lock() {
                return f(&conn);
            }
        }
        let conn = self.readers[start % n]
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        f(&conn)
    }

    /// The names of the indexes on `custom` keys in the database, sorted, once no
    /// index is being built.
    pub fn custom_indexes(&self) -> Result<Vec<String>, ApiError> {
        self.custom.wait_idle();
        self.read(|c| Ok(custom_index::names(c)?))
    }

    /// A value from the `meta` table.
    pub fn meta(&self, key: &str) -> Result<Option<String>, ApiError> {
        self.read(|c| {
            Ok(
                c.query_row("SELECT value FROM meta WHERE key = ?", [key], |r| r.get(0))
                    .optional()?,
            )
        })
    }

    /// Sets a value in the `meta` table.
    pub fn set_meta(&self, key: &str, value: &str) -> Result<(), ApiError> {
        self.write(|c| {
            c.execute(
                "INSERT INTO meta(key, value) VALUES(?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                [key, value],
            )?;
            Ok(())
        })
    }

    /// One user or channel.
    pub fn get_object(
        &self,
        sub: &str,
        kind: Kind,
        id: &str,
    ) -> Result<Option<ObjectRow>, ApiError> {
        self.read(|c| Ok(get_object(c, sub, kind, id)?))
    }

    /// [`Store::get_object`] on the caller's thread when a reader connection is free
    /// right now (`None` when all are busy): a read by primary key takes microseconds,
    /// less than handing it to the blocking pool and back.
    pub fn try_get_object(
        &self,
        sub: &str,
        kind: Kind,
        id: &str,
    ) -> Option<Result<Option<ObjectRow>, ApiError>> {
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        (0..n).find_map(|i| {
            let conn = self.readers[(start + i) % n].try_lock().ok()?;
            Some(get_object(&conn, sub, kind, id).map_err(ApiError::from))
        })
    }

    /// Upserts a user or channel (PATCH merge). With `if_match`, the stored eTag must
    /// equal it or nothing is written. Identical data is a no-op.
    pub fn set_object(
        &self,
        sub: &str,
        kind: Kind,
        id: &str,
        patch: &ObjectPatch,
        if_match: Option<&str>,
    ) -> Result<SetOutcome, ApiError> {
        self.write(|c| {
            let tx = c.transaction()?;
            let existing = get_object(&tx, sub, kind, id)?;
            if let Some(expected) = if_match.filter(|e| !e.is_empty()) {
                let ok = match &existing {
                    Some(row) => expected == "*" || row.etag == expected,
                    None => false,
                };
                if !ok {
                    return Ok(SetOutcome::PreconditionFailed);
                }
            }
            let base = existing.clone().unwrap_or_else(|| ObjectRow {
                id: id.to_string(),
                ..Default::default()
            });
            let mut row = patch.apply(&base);
            if let Some(old) = &existing {
                if old.same_content(&row) {
                    return Ok(SetOutcome::Done {
                        row: Box::new(old.clone()),
                        changed: false,
                    });
                }
            }
            // Checked here, inside the write, so two racing PATCHes that each fit
            // cannot add up to a record over the limit.
            check_object_size(kind, &row)?;
            let _writing = self.pages.writing(sub);
            row.updated = next_updated(base.updated);
            row.etag = row.compute_etag(kind);
            upsert_object(&tx, sub, kind, &row)?;
            let routes = object_routes(&tx, sub, kind, id)?;
            tx.commit()?;
            self.events
                .publish(sub, vec![Change::object_set(kind, &row, patch, routes)]);
            Ok(SetOutcome::Done {
                row: Box::new(row),
                changed: true,
            })
        })
    }

    /// Inserts many objects and relations in one transaction (seeding, benchmarks).
    pub fn bulk_load(
        &self,
        sub: &str,
        objects: &[(Kind, ObjectRow)],
        relations: &[RelationRow],
    ) -> Result<(), ApiError> {
        self.write(|c| {
            let tx = c.transaction()?;
            let _writing = self.pages.writing(sub);
            for (kind, row) in objects {
                upsert_object(&tx, sub, *kind, row)?;
            }
            for r in relations {
                upsert_relation(&tx, sub, r)?;
            }
            tx.commit()?;
            Ok(())
        })
    }

    /// Deletes a user or channel (and, with referential integrity, its relations).
    /// Returns whether it existed. Emits a `delete` event when it did, and a membership
    /// `delete` for every relation removed with it.
    pub fn remove_object(&self, sub: &str, kind: Kind, id: &str) -> Result<bool, ApiError> {
        self.write(|c| {
            let tx = c.transaction()?;
            let _writing = self.pages.writing(sub);
            // Routed like a set, so taken before the relations may go.
            let routes = object_routes(&tx, sub, kind, id)?;
            let n = tx.execute(
                "DELETE FROM objects WHERE sub_key = ? AND kind = ? AND id = ?",
                params![sub, kind as i64, id],
            )?;
            let mut changes = Vec::new();
            if n > 0 {
                changes.push(Change::object_delete(kind, id, routes));
            }
            if self.referential_integrity {
                let col = match kind {
                    Kind::User => "user_id",
                    Kind::Channel => "channel_id",
                };
                let mut stmt = tx.prepare_cached(&format!(
                    "DELETE FROM relations WHERE sub_key = ? AND {col} = ? RETURNING user_id, channel_id"
                ))?;
                let removed = stmt
                    .query_map(params![sub, id], |r| {
                        Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?))
                    })?
                    .collect::<rusqlite::Result<Vec<_>>>()?;
                drop(stmt);
                let mut removed = removed;
                removed.sort();
                changes.extend(
                    removed
                        .iter()
                        .map(|(u, ch)| Change::membership_delete(u, ch)),
                );
            }
            tx.commit()?;
            self.events.publish(sub, changes);
            Ok(n > 0)
        })
    }

    /// A page of users or channels, and the total when asked for.
    pub fn list_objects(
        &self,
        sub: &str,
        kind: Kind,
        p: &ListParams,
    ) -> Result<(Vec<ObjectRow>, Option<u64>), ApiError> {
        self.list_objects_as(sub, kind, p, owned_object)
    }

    /// [`Store::list_objects`], each row made into a `T` by `item` while SQLite is on
    /// it (the server renders its answer straight from the row).
    pub fn list_objects_as<T>(
        &self,
        sub: &str,
        kind: Kind,
        p: &ListParams,
        item: impl Fn(ObjectView<'_>) -> Result<T, ApiError>,
    ) -> Result<(Vec<T>, Option<u64>), ApiError> {
        self.read(|c| self.list_objects_on(c, sub, kind, p, &item))
    }

    /// [`Store::list_objects`] on the caller's thread, when a reader connection is free
    /// right now and the page is a short read: the default order, no filter, from the
    /// start or from a remembered cursor (within a page of it), and any count asked for
    /// remembered. `None` otherwise (the caller hands it to the blocking pool). A walk's
    /// pages are such reads; handing each to another thread and back cost a wake-up
    /// each way.
    pub fn try_list_objects(
        &self,
        sub: &str,
        kind: Kind,
        p: &ListParams,
    ) -> Option<Result<ObjectPage, ApiError>> {
        self.try_list_objects_as(sub, kind, p, owned_object)
    }

    /// [`Store::try_list_objects`] with each row made into a `T` by `item`, as in
    /// [`Store::list_objects_as`].
    pub fn try_list_objects_as<T>(
        &self,
        sub: &str,
        kind: Kind,
        p: &ListParams,
        item: impl Fn(ObjectView<'_>) -> Result<T, ApiError>,
    ) -> Option<Result<Listed<T>, ApiError>> {
        if p.filter.is_some() || !p.sort.is_empty() {
            return None;
        }
        let columns = order_columns(p, false, &["o.id_k", "o.id"]);
        let list = ListKey {
            sub: sub.to_string(),
            list: format!("{kind:?}"),
            order: order_sql(&columns),
            filter: String::new(),
        };
        let generation = self.pages.generation(sub);
        if p.offset > 0 {
            let (_, skip) = self.pages.cursor(&list, p.offset, generation)?;
            if skip > p.limit {
                return None;
            }
        }
        if p.count {
            let counted = ListKey {
                order: String::new(),
                ..list
            };
            self.pages.count(&counted, generation)?;
        }
        let n = self.readers.len();
        let start = self.next_reader.fetch_add(1, Ordering::Relaxed);
        (0..n).find_map(|i| {
            let conn = self.readers[(start + i) % n].try_lock().ok()?;
            Some(self.list_objects_on(&conn, sub, kind, p, &item))
        })
    }

    fn list_objects_on<T>(
        &self,
        c: &Connection,
        sub: &str,
        kind: Kind,
        p: &ListParams,
        item: &impl Fn(ObjectView<'_>) -> Result<T, ApiError>,
    ) -> Result<(Vec<T>, Option<u64>), ApiError> {
        let q = ObjectQuery::new(sub, kind, p)?;
        if let Some(f) = &p.filter {
            self.custom
                .used(Scope::Objects, &custom_index::keys(f), &self.writer);
        }
        let list = ListKey {
            sub: sub.to_string(),
            list: format!("{kind:?}"),
            order: q.order.clone(),
            filter: filter_key(p),
        };
        self.budgeted(c, || {
            let from_index = q.page_from_index(c)?;
            let page = |seek: Option<Seek>| {
                let (sql, page_args) = q.page_sql(from_index, seek, p);
                let mut stmt = c.prepare_cached(&sql)?;
                let mut rows = stmt.query(params_from_iter(page_args))?;
                let mut page = Vec::with_capacity(p.limit.min(MAX_PAGE_ROWS) as usize);
                while let Some(r) = rows.next()? {
                    let made = item(ObjectView::from_row(r, 0)?)?;
                    page.push((made, sort_values(r, 11, q.columns.len())?));
                }
                Ok(page)
            };
            let count = || {
                let (sql, args) = q.count_sql();
                let n: i64 = c
                    .prepare_cached(&sql)?
                    .query_row(params_from_iter(args), |r| r.get(0))?;
                Ok(n as u64)
            };
            self.paged(&list, &q.columns, p, page, count)
        })
    }

    /// How SQLite runs the first page and the count of [`Store::list_objects`]
    /// (`EXPLAIN QUERY PLAN`, one line per step), so tests can pin that a query is
    /// answered from an index rather than by reading every row.
    pub fn list_objects_plan(
        &self,
        sub: &str,
        kind: Kind,
        p: &ListParams,
    ) -> Result<Vec<String>, ApiError> {
        let q = ObjectQuery::new(sub, kind, p)?;
        self.read(|c| {
            let mut lines = vec!["page:".to_string()];
            let (sql, args) = q.page_sql(q.page_from_index(c)?, None, p);
            lines.extend(explain(c, &sql, args)?);
            lines.push("count:".to_string());
            let (sql, args) = q.count_sql();
            lines.extend(explain(c, &sql, args)?);
            Ok(lines)
        })
    }

    /// How SQLite runs the first page of [`Store::list_relations`] (`EXPLAIN QUERY
    /// PLAN`), so tests can pin that a channel's members are read by key.
    pub fn list_relations_plan(
        &self,
        sub: &str,
        view: View,
        id: &str,
        p: &ListParams,
    ) -> Result<Vec<String>, ApiError> {
        let q = RelationQuery::new(sub, view, id, p)?;
        let (sql, args) = q.page_sql(p, None);
        self.read(|c| explain(c, &sql, args))
    }

    /// A page of `list` from `page` (given the seek condition past the previous page's
    /// last row when the cache knows it, else paging by offset), and the total from
    /// `count` or the cache; see [`super::page_cache`] for why the answer is the same.
    fn paged<T>(
        &self,
        list: &ListKey,
        columns: &[(String, bool)],
        p: &ListParams,
        page: impl Fn(Option<Seek>) -> Result<Vec<(T, Vec<SqlValue>)>, ApiError>,
        count: impl FnOnce() -> Result<u64, ApiError>,
    ) -> Result<(Vec<T>, Option<u64>), ApiError> {
        let counted = ListKey {
            order: String::new(),
            ..list.clone()
        };
        let before = self.pages.generation(&list.sub);
        let seek = match p.offset {
            0 => None,
            offset => self.pages.cursor(list, offset, before),
        };
        let sought = seek.is_some();
        let mut rows = page(seek.map(|(values, skip)| {
            let (cond, params) = after(columns, &values);
            Seek { cond, params, skip }
        }))?;
        let (total, fresh) = match p.count {
            false => (None, false),
            true => match self.pages.count(&counted, before) {
                Some(n) => (Some(n), false),
                None => (Some(count()?), true),
            },
        };
        if self.pages.generation(&list.sub) == before {
            let n = rows.len();
            // A short page ends the list: nobody walks on from it, so it takes no room
            // from walks that do (export reads a membership list per user).
            let full = n as u64 == p.limit;
            let keys = rows.iter().enumerate().filter_map(|(i, (_, key))| {
                let end = i + 1;
                (end % KEY_EVERY == 0 || end == n).then(|| (p.offset + end as u64, key.clone()))
            });
            if full {
                self.pages.remember_cursors(list, before, keys);
            }
            if let (true, Some(n)) = (fresh, total) {
                self.pages.remember_count(&counted, before, n);
            }
        } else if sought {
            // A write came in between: the remembered key may no longer be at that offset.
            rows = page(None)?;
        }
        Ok((rows.into_iter().map(|(row, _)| row).collect(), total))
    }

    /// A page of a user's memberships or a channel's members, with the metadata of the
    /// object at the other end, and the total when asked for.
    pub fn list_relations(
        &self,
        sub: &str,
        view: View,
        id: &str,
        p: &ListParams,
    ) -> Result<(Vec<RelationWithObject>, Option<u64>), ApiError> {
        let query = RelationQuery::new(sub, view, id, p)?;
        if let Some(f) = &p.filter {
            let scope = match view {
                View::Memberships => Scope::Memberships,
                View::Members => Scope::Members,
            };
            self.custom
                .used(scope, &custom_index::keys(f), &self.writer);
        }
        let list = ListKey {
            sub: sub.to_string(),
            list: format!("{view:?}:{id}"),
            order: order_sql(&query.columns),
            filter: filter_key(p),
        };
        self.read(|c| {
            self.budgeted(c, || {
                self.paged(
                    &list,
                    &query.columns,
                    p,
                    |seek| query.page(c, p, seek),
                    || query.count(c),
                )
            })
        })
    }

    /// Applies a membership/member PATCH atomically (deletes, then upserts) and returns
    /// the resulting list, paged as `p` says.
    pub fn manage_relations(
        &self,
        sub: &str,
        view: View,
        id: &str,
        set: &[RelationPatch],
        delete: &[String],
        p: &ListParams,
    ) -> Result<(Vec<RelationWithObject>, Option<u64>), ApiError> {
        self.write(|c| {
            let tx = c.transaction()?;
            let _writing = self.pages.writing(sub);
            let (own_kind, other_kind) = match view {
                View::Memberships => (Kind::User, Kind::Channel),
                View::Members => (Kind::Channel, Kind::User),
            };
            if self.referential_integrity && !set.is_empty() {
                if get_object(&tx, sub, own_kind, id)?.is_none() {
                    return Err(ApiError::path(
                        own_kind.noun().to_lowercase().as_str(),
                        format!(
                            "{} '{id}' does not exist (referential integrity is on).",
                            own_kind.noun()
                        ),
                    ));
                }
                let key = match view {
                    View::Memberships => "channel",
                    View::Members => "uuid",
                };
                for (i, entry) in set.iter().enumerate() {
                    if get_object(&tx, sub, other_kind, &entry.other_id)?.is_none() {
                        return Err(ApiError::body(
                            &format!("set[{i}].{key}.id"),
                            format!(
                                "{} '{}' does not exist (referential integrity is on).",
                                other_kind.noun(),
                                entry.other_id
                            ),
                        ));
                    }
                }
            }
            let ids = |other: &str| -> (String, String) {
                match view {
                    View::Memberships => (id.to_string(), other.to_string()),
                    View::Members => (other.to_string(), id.to_string()),
                }
            };
            let mut changes = Vec::new();
            for other in delete {
                let (u, ch) = ids(other);
                let n = tx.execute(
                    "DELETE FROM relations WHERE sub_key = ? AND user_id = ? AND channel_id = ?",
                    params![sub, u, ch],
                )?;
                if n > 0 {
                    changes.push(Change::membership_delete(&u, &ch));
                }
            }
            for (i, entry) in set.iter().enumerate() {
                let (u, ch) = ids(&entry.other_id);
                let existing = get_relation(&tx, sub, &u, &ch)?;
                let pick = |patch: &Option<Option<String>>, old: Option<&Option<String>>| match (
                    patch, old,
                ) {
                    (Some(v), _) => v.clone(),
                    (None, Some(old)) => old.clone(),
                    (None, None) => None,
                };
                let mut row = RelationRow {
                    kind_field: pick(&entry.kind_field, existing.as_ref().map(|e| &e.kind_field)),
                    status: pick(&entry.status, existing.as_ref().map(|e| &e.status)),
                    custom: match (&entry.custom, &existing) {
                        (Some(v), _) => v.clone(),
                        (None, Some(e)) => e.custom.clone(),
                        (None, None) => None,
                    },
                    user_id: u,
                    channel_id: ch,
                    updated: 0,
                    etag: String::new(),
                };
                if let Some(old) = &existing {
                    if old.kind_field == row.kind_field
                        && old.status == row.status
                        && old.custom == row.custom
                    {
                        continue;
                    }
                }
                row.updated = next_updated(existing.as_ref().map_or(0, |e| e.updated));
                row.etag = row.compute_etag();
                // As stored, with what it kept from before: the body check saw only
                // the entry.
                let row = check_relation_size(view, row, i)?;
                upsert_relation(&tx, sub, &row)?;
                changes.push(Change::membership_set(&row, entry));
            }
            // The answer lists the relations with the request's filter: budgeted like
            // a read, so a slow filter cannot hold the writer.
            let result = self.budgeted(&tx, || relations_page_uncached(&tx, sub, view, id, p))?;
            tx.commit()?;
            self.events.publish(sub, changes);
            Ok(result)
        })
    }
}

/// A user or channel as stored must fit in [`MAX_RECORD_BYTES`] as JSON (with every
/// field included).
fn check_object_size(kind: Kind, row: &ObjectRow) -> Result<(), ApiError> {
    let all = Include {
        custom: true,
        status: true,
        kind: true,
        ..Default::default()
    };
    let size = serde_json::to_vec(&render::object(kind, row, &all))
        .map(|v| v.len())
        .unwrap_or(0);
    if size > MAX_RECORD_BYTES {
        return Err(ApiError::body(
            "body",
            format!(
                "The {} would be {size} bytes; a record may be at most {MAX_RECORD_BYTES} bytes.",
                kind.noun().to_lowercase()
            ),
        ));
    }
    Ok(())
}

/// A membership as stored (every field, the other end as an id) must fit in
/// [`MAX_RECORD_BYTES`] as JSON.
/// `row`, if it renders within the record size limit.
fn check_relation_size(view: View, row: RelationRow, at: usize) -> Result<RelationRow, ApiError> {
    let all = Include {
        custom: true,
        status: true,
        kind: true,
        ..Default::default()
    };
    let item = RelationWithObject {
        relation: row,
        other: None,
    };
    let mut size = super::body::ByteCount(0);
    let _ = serde_json::to_writer(&mut size, &render::relation(view, &item, &all));
    let size = size.0;
    if size > MAX_RECORD_BYTES {
        return Err(ApiError::body(
            &format!("set[{at}]"),
            format!(
                "set[{at}] would be stored as {size} bytes; a record may be at most {MAX_RECORD_BYTES} bytes."
            ),
        ));
    }
    Ok(item.relation)
}

fn get_object(
    c: &Connection,
    sub: &str,
    kind: Kind,
    id: &str,
) -> rusqlite::Result<Option<ObjectRow>> {
    c.prepare_cached(&format!(
        "SELECT {OBJECT_COLS} FROM objects o WHERE o.sub_key = ? AND o.kind = ? AND o.id = ?"
    ))?
    .query_row(params![sub, kind as i64, id], |r| object_from_row(r, 0))
    .optional()
}

/// The channels an event about a user or channel goes to: the one named after its id
/// and, for a user, every channel it is a member of (spec §12).
fn object_routes(c: &Connection, sub: &str, kind: Kind, id: &str) -> rusqlite::Result<Vec<String>> {
    let mut routes = vec![id.to_string()];
    if kind == Kind::User {
        let mut stmt = c.prepare_cached(
            "SELECT channel_id FROM relations WHERE sub_key = ? AND user_id = ? ORDER BY channel_id",
        )?;
        let channels = stmt.query_map(params![sub, id], |r| r.get::<_, String>(0))?;
        for ch in channels {
            routes.push(ch?);
        }
    }
    Ok(routes)
}

fn get_relation(
    c: &Connection,
    sub: &str,
    user: &str,
    channel: &str,
) -> rusqlite::Result<Option<RelationRow>> {
    c.prepare_cached(&format!(
        "SELECT {RELATION_COLS} FROM relations r WHERE r.sub_key = ? AND r.user_id = ? AND r.channel_id = ?"
    ))?
    .query_row(params![sub, user, channel], relation_from_row)
    .optional()
}

fn upsert_object(c: &Connection, sub: &str, kind: Kind, row: &ObjectRow) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO objects(sub_key, kind, id, name, description, external_id, profile_url, email, type, status, custom, updated, etag, id_k, name_k, description_k, type_k, status_k)
         VALUES(?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT(sub_key, kind, id) DO UPDATE SET name=excluded.name, description=excluded.description,
           external_id=excluded.external_id, profile_url=excluded.profile_url, email=excluded.email,
           type=excluded.type, status=excluded.status, custom=excluded.custom, updated=excluded.updated,
           etag=excluded.etag, name_k=excluded.name_k, description_k=excluded.description_k,
           type_k=excluded.type_k, status_k=excluded.status_k",
    )?
    .execute(params![
        sub,
        kind as i64,
        row.id,
        row.name,
        row.description,
        row.external_id,
        row.profile_url,
        row.email,
        row.kind_field,
        row.status,
        custom_to_sql(&row.custom),
        row.updated,
        row.etag,
        sort_key(&row.id),
        opt_key(&row.name),
        opt_key(&row.description),
        opt_key(&row.kind_field),
        opt_key(&row.status),
    ])?;
    Ok(())
}

fn upsert_relation(c: &Connection, sub: &str, row: &RelationRow) -> rusqlite::Result<()> {
    c.prepare_cached(
        "INSERT INTO relations(sub_key, user_id, channel_id, type, status, custom, updated, etag, user_id_k, channel_id_k, type_k, status_k)
         VALUES(?,?,?,?,?,?,?,?,?,?,?,?)
         ON CONFLICT(sub_key, user_id, channel_id) DO UPDATE SET type=excluded.type, status=excluded.status,
           custom=excluded.custom, updated=excluded.updated, etag=excluded.etag,
           type_k=excluded.type_k, status_k=excluded.status_k",
    )?
    .execute(params![
        sub,
        row.user_id,
        row.channel_id,
        row.kind_field,
        row.status,
        custom_to_sql(&row.custom),
        row.updated,
        row.etag,
        sort_key(&row.user_id),
        sort_key(&row.channel_id),
        opt_key(&row.kind_field),
        opt_key(&row.status),
    ])?;
    Ok(())
}
