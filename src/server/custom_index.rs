//! Indexes on `custom` keys that filters use, so `custom.tier == 'gold'` (with its
//! count) reads an index range instead of every row's JSON.
//!
//! A filter on a top-level `custom` key is compiled with the literal expression
//! [`expr`] (`json_extract(o.custom, '$."tier"')`), and the index is on the same
//! expression, which is how SQLite's planner matches an expression index. The index
//! is created once the key has been filtered on [`USES_BEFORE_INDEX`] times in one
//! server's life (a one-off filter does not pay for it), in the background: a thread
//! takes the writer connection, so the build waits for the write in progress and
//! writes wait for the build (about 2 s at 1M users here), while reads and lists go
//! on (WAL). At most [`MAX_INDEXES`] such indexes exist per database; past that no
//! more are made and filters on other keys read every row's JSON, as before, with the
//! same answers. The indexes stay in the database (they are found again at start)
//! and every write keeps them up to date (one `json_extract` per index and row).
//!
//! Which index serves which list:
//! - users and channels: `objects(sub_key, kind, <key>, id_k, id)`, so a page in the
//!   default (id) order is read off the index in order, and a count is a range of it;
//! - a channel's members: `relations(sub_key, channel_id, <key>, user_id_k, user_id)`;
//! - a user's memberships: `relations(sub_key, user_id, <key>, channel_id_k, channel_id)`.

use std::collections::{HashMap, HashSet};
use std::sync::{Arc, Condvar, Mutex};

use rusqlite::Connection;

use crate::filter::{CmpOp, Expr, Value};

/// Most `custom` key indexes per database (all lists together).
pub const MAX_INDEXES: usize = 8;
/// Filters on a key before its index is made.
pub const USES_BEFORE_INDEX: u32 = 3;
/// Longest key indexed (and compiled to a literal expression), in bytes.
const MAX_KEY_BYTES: usize = 64;
/// Names of these indexes start with this.
const PREFIX: &str = "custom_key_";
/// Most keys whose uses are counted at once: a client filtering on ever new keys
/// starts the count over instead of growing it (keys in real use soon count again).
const MAX_COUNTED_KEYS: usize = 1024;

/// The list an index serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Scope {
    /// Users and channels (`objects`).
    Objects,
    /// A channel's members (`relations`, by channel).
    Members,
    /// A user's memberships (`relations`, by user).
    Memberships,
}

impl Scope {
    fn tag(self) -> &'static str {
        match self {
            Scope::Objects => "o",
            Scope::Members => "m",
            Scope::Memberships => "s",
        }
    }

    /// The index's table and columns around the key's expression.
    fn definition(self, expression: &str) -> String {
        match self {
            Scope::Objects => format!("objects(sub_key, kind, {expression}, id_k, id)"),
            Scope::Members => {
                format!("relations(sub_key, channel_id, {expression}, user_id_k, user_id)")
            }
            Scope::Memberships => {
                format!("relations(sub_key, user_id, {expression}, channel_id_k, channel_id)")
            }
        }
    }
}

/// The literal expression that reads `key` of the JSON column `col`, or None when the
/// key is not one we write into SQL text (too long, or holding a quote, a backslash
/// or a control character): such keys are compared through bound parameters and
/// never indexed.
pub fn expr(col: &str, key: &str) -> Option<String> {
    if key.is_empty()
        || key.len() > MAX_KEY_BYTES
        || key
            .chars()
            .any(|ch| ch == '"' || ch == '\'' || ch == '\\' || ch.is_control())
    {
        return None;
    }
    Some(format!("json_extract({col}, '$.\"{key}\"')"))
}

/// The index's name: the scope and the key's bytes in hex (any key makes a valid name).
fn name(scope: Scope, key: &str) -> String {
    let hex: String = key.bytes().map(|b| format!("{b:02x}")).collect();
    format!("{PREFIX}{}_{hex}", scope.tag())
}

/// The `custom` keys of the list's own rows (not the other end of a relation) that
/// `filter` compares in a way an index serves (`==`, `<`, `>`, `<=`, `>=` with a
/// string or a number, not under `!`).
pub fn keys(filter: &Expr) -> Vec<String> {
    fn walk(e: &Expr, out: &mut Vec<String>) {
        match e {
            Expr::Or(items) | Expr::And(items) => {
                items.iter().for_each(|i| walk(i, out));
            }
            Expr::Not(_) | Expr::Like { .. } => {}
            Expr::Compare { field, op, value } => {
                let segs = field.segments();
                // `custom.key` is the list's own rows' (a relation's on relation lists).
                let key = match segs {
                    [custom, key] if custom == "custom" => key,
                    _ => return,
                };
                let served =
                    *op != CmpOp::Ne && matches!(value, Value::String(_) | Value::Number(_));
                if served && expr("c", key).is_some() && !out.contains(key) {
                    out.push(key.clone());
                }
            }
        }
    }
    let mut out = Vec::new();
    walk(filter, &mut out);
    out
}

#[derive(Default)]
struct State {
    /// Filters seen per (scope, key) without an index.
    uses: HashMap<(Scope, String), u32>,
    /// Names of the indexes made or being made.
    made: HashSet<String>,
    /// Builds in progress.
    building: usize,
}

/// Which keys have indexes, and the builds in progress, for one database.
#[derive(Default)]
pub struct CustomIndexes {
    state: Mutex<State>,
    idle: Condvar,
}

impl CustomIndexes {
    /// Reads the indexes already in the database.
    pub fn load(c: &Connection) -> rusqlite::Result<CustomIndexes> {
        let mut stmt = c.prepare(
            "SELECT name FROM sqlite_master WHERE type = 'index' AND substr(name, 1, ?1) = ?2",
        )?;
        let made = stmt
            .query_map(rusqlite::params![PREFIX.len() as i64, PREFIX], |r| r.get(0))?
            .collect::<rusqlite::Result<HashSet<String>>>()?;
        Ok(CustomIndexes {
            state: Mutex::new(State {
                made,
                ..Default::default()
            }),
            idle: Condvar::new(),
        })
    }

    /// Notes that a list in `scope` filtered on `keys`; starts building the index of a
    /// key that reached [`USES_BEFORE_INDEX`] while there is room, on `writer`, in a
    /// thread of its own.
    pub fn used(self: &Arc<Self>, scope: Scope, keys: &[String], writer: &Arc<Mutex<Connection>>) {
        if keys.is_empty() {
            return;
        }
        let mut builds = Vec::new();
        {
            let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
            for key in keys {
                let index = name(scope, key);
                if st.made.contains(&index) {
                    continue;
                }
                if st.uses.len() >= MAX_COUNTED_KEYS && !st.uses.contains_key(&(scope, key.clone()))
                {
                    st.uses.clear();
                }
                let n = st.uses.entry((scope, key.clone())).or_insert(0);
                *n += 1;
                if *n >= USES_BEFORE_INDEX && st.made.len() < MAX_INDEXES {
                    st.made.insert(index.clone());
                    st.uses.remove(&(scope, key.clone()));
                    st.building += 1;
                    builds.push((index, key.clone()));
                }
            }
        }
        for (index, key) in builds {
            let Some(expression) = expr("custom", &key) else {
                continue;
            };
            let sql = format!(
                "CREATE INDEX IF NOT EXISTS \"{index}\" ON {}",
                scope.definition(&expression)
            );
            let (me, writer) = (Arc::clone(self), Arc::clone(writer));
            let spawned = std::thread::Builder::new()
                .name("custom-index".into())
                .spawn(move || {
                    let result = {
                        let c = writer.lock().unwrap_or_else(|e| e.into_inner());
                        c.execute_batch(&sql)
                    };
                    if let Err(e) = result {
                        tracing::warn!("cannot index custom key {key:?}: {e}");
                    }
                    me.finished();
                });
            if spawned.is_err() {
                self.finished();
            }
        }
    }

    fn finished(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        st.building = st.building.saturating_sub(1);
        self.idle.notify_all();
    }

    /// Waits until no index is being built.
    pub fn wait_idle(&self) {
        let mut st = self.state.lock().unwrap_or_else(|e| e.into_inner());
        while st.building > 0 {
            st = self.idle.wait(st).unwrap_or_else(|e| e.into_inner());
        }
    }
}

/// The names of the `custom` key indexes in the database, sorted.
pub fn names(c: &Connection) -> rusqlite::Result<Vec<String>> {
    let mut stmt = c.prepare(
        "SELECT name FROM sqlite_master WHERE type = 'index' AND substr(name, 1, ?1) = ?2 ORDER BY name",
    )?;
    let names = stmt
        .query_map(rusqlite::params![PREFIX.len() as i64, PREFIX], |r| r.get(0))?
        .collect::<rusqlite::Result<Vec<String>>>()?;
    Ok(names)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_sql_cannot_hold_are_not_written_into_it() {
        assert_eq!(
            expr("o.custom", "tier").as_deref(),
            Some("json_extract(o.custom, '$.\"tier\"')")
        );
        for odd in ["", "a'b", "a\"b", "a\\b", "a\nb", &"k".repeat(65)] {
            assert_eq!(expr("o.custom", odd), None, "{odd:?}");
        }
        assert_eq!(name(Scope::Objects, "tier"), "custom_key_o_74696572");
    }

    #[test]
    fn counting_uses_of_ever_new_keys_stays_bounded() {
        let indexes = Arc::new(CustomIndexes::default());
        let writer = Arc::new(Mutex::new(Connection::open_in_memory().unwrap()));
        for i in 0..5 * MAX_COUNTED_KEYS {
            indexes.used(Scope::Objects, &[format!("k{i}")], &writer);
        }
        let st = indexes.state.lock().unwrap();
        assert!(st.uses.len() <= MAX_COUNTED_KEYS, "{}", st.uses.len());
        assert!(st.made.is_empty());
    }
}
