//! What the server remembers between list requests so that walks are linear and
//! counts are cheap, without changing the wire: cursors stay PubNub's base64 offsets.
//!
//! - For every page it answers, the sort key of the page's last row, under the offset
//!   of the `next` cursor it issued (and of every [`KEY_EVERY`]th row, for clients that
//!   re-read a few rows of overlap, as `appctx export` does). A request for an offset
//!   then seeks past the nearest key at or before it (`WHERE (sort key) > (…)`) and
//!   skips only the rows between, instead of making SQLite step over `OFFSET` rows.
//! - Every `count=true` total, per list and filter.
//!
//! Both are tagged with the keyset's write generation, and an entry is used only while
//! the generation is unchanged, so an answer from the cache is always the answer of
//! the offset query. A write moves the generation before it commits and again after;
//! a reader takes it before and after its queries, and only when both are equal does
//! it use or keep an entry: then no write committed, or was in flight, in between, and
//! the data read is exactly the data of that generation.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::sync::Mutex;

use rusqlite::types::Value as SqlValue;

/// Most lists with remembered cursors, and most remembered counts; the oldest go first.
pub const MAX_ENTRIES: usize = 1024;
/// Most remembered keys per list; those remembered longest ago go first, so a walk in
/// progress keeps its keys wherever other walks of the same list are (a walk that
/// starts over after another one ended must not lose its new keys to the old ones).
pub const KEYS_PER_LIST: usize = 256;
/// A page remembers the key of every this-many-th row, and of its last.
pub const KEY_EVERY: usize = 10;

/// Which list a query reads, with everything that decides its rows and their order
/// except the page (offset, limit).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListKey {
    pub sub: String,
    /// Users, channels, or one object's memberships or members.
    pub list: String,
    /// The `ORDER BY` (empty for counts, which do not depend on it).
    pub order: String,
    /// The filter, as parsed (`Debug` of the expression).
    pub filter: String,
}

/// A bounded map that forgets first what was least recently inserted or updated
/// through [`Bounded::get_or_insert_with`] (the cursors of a walk in progress stay
/// while the walk reads other lists in between, as `export` reads memberships).
struct Bounded<K, V> {
    map: HashMap<K, V>,
    order: VecDeque<K>,
}

impl<K: Clone + Eq + std::hash::Hash, V> Bounded<K, V> {
    fn new() -> Self {
        Bounded {
            map: HashMap::new(),
            order: VecDeque::new(),
        }
    }

    fn get(&self, k: &K) -> Option<&V> {
        self.map.get(k)
    }

    /// The entry of `k`, made with `make` when missing, and now the last to be forgotten.
    fn get_or_insert_with(&mut self, k: &K, make: impl FnOnce() -> V) -> &mut V {
        if self.map.contains_key(k) {
            if let Some(at) = self.order.iter().position(|o| o == k) {
                if let Some(key) = self.order.remove(at) {
                    self.order.push_back(key);
                }
            }
        } else {
            self.order.push_back(k.clone());
            // The new key is last in line, so it stays.
            while self.order.len() > MAX_ENTRIES {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
        self.map.entry(k.clone()).or_insert_with(make)
    }

    fn insert(&mut self, k: K, v: V) {
        if self.map.insert(k.clone(), v).is_none() {
            self.order.push_back(k);
            while self.order.len() > MAX_ENTRIES {
                if let Some(old) = self.order.pop_front() {
                    self.map.remove(&old);
                }
            }
        }
    }
}

/// The cursors and counts of one server, and the write generation of each keyset.
pub struct PageCache {
    generations: Mutex<HashMap<String, u64>>,
    /// list → the sort keys of its rows, by offset.
    cursors: Mutex<Bounded<ListKey, Cursors>>,
    /// list → (generation, total).
    counts: Mutex<Bounded<ListKey, (u64, u64)>>,
}

impl Default for PageCache {
    fn default() -> Self {
        PageCache {
            generations: Mutex::new(HashMap::new()),
            cursors: Mutex::new(Bounded::new()),
            counts: Mutex::new(Bounded::new()),
        }
    }
}

/// The remembered sort keys of one list in one generation: offset → sort key of the
/// row just before it.
struct Cursors {
    generation: u64,
    keys: BTreeMap<u64, Vec<SqlValue>>,
    /// Offsets in the order they were remembered (an offset remembered again is in it
    /// twice and goes with its older place).
    order: VecDeque<u64>,
}

/// Moves a keyset's generation when made and again when dropped: hold it from before
/// a write commits until after.
pub struct Writing<'a> {
    cache: &'a PageCache,
    sub: String,
}

impl Drop for Writing<'_> {
    fn drop(&mut self) {
        self.cache.bump(&self.sub);
    }
}

impl PageCache {
    /// The write generation of keyset `sub`.
    pub fn generation(&self, sub: &str) -> u64 {
        let gens = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        gens.get(sub).copied().unwrap_or(0)
    }

    fn bump(&self, sub: &str) {
        let mut gens = self.generations.lock().unwrap_or_else(|e| e.into_inner());
        match gens.get_mut(sub) {
            Some(g) => *g += 1,
            None => {
                gens.insert(sub.to_string(), 1);
            }
        }
    }

    /// Call before a write to `sub` commits; keep the guard until it has.
    pub fn writing(&self, sub: &str) -> Writing<'_> {
        self.bump(sub);
        Writing {
            cache: self,
            sub: sub.to_string(),
        }
    }

    /// Where to resume `key` at `offset` in `generation`: the sort key of the row just
    /// before the nearest remembered offset at or below `offset`, and how many rows lie
    /// between that one and `offset`.
    pub fn cursor(
        &self,
        key: &ListKey,
        offset: u64,
        generation: u64,
    ) -> Option<(Vec<SqlValue>, u64)> {
        let cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        let list = cursors.get(key).filter(|c| c.generation == generation)?;
        let (at, values) = list.keys.range(1..=offset).next_back()?;
        Some((values.clone(), offset - at))
    }

    /// Remembers, for each (offset, key) of `keys`, that the row just before that offset
    /// has that sort key in `generation`.
    pub fn remember_cursors(
        &self,
        key: &ListKey,
        generation: u64,
        keys: impl IntoIterator<Item = (u64, Vec<SqlValue>)>,
    ) {
        let mut cursors = self.cursors.lock().unwrap_or_else(|e| e.into_inner());
        let list = cursors.get_or_insert_with(key, || Cursors {
            generation,
            keys: BTreeMap::new(),
            order: VecDeque::new(),
        });
        if list.generation != generation {
            list.generation = generation;
            list.keys.clear();
            list.order.clear();
        }
        for (offset, values) in keys {
            if list.keys.insert(offset, values).is_some() {
                // Already remembered: drop its older place in line.
                if let Some(at) = list.order.iter().position(|o| *o == offset) {
                    list.order.remove(at);
                }
            }
            list.order.push_back(offset);
        }
        while list.keys.len() > KEYS_PER_LIST {
            match list.order.pop_front() {
                Some(old) => {
                    list.keys.remove(&old);
                }
                None => break,
            }
        }
    }

    /// The total of `key` counted in `generation`.
    pub fn count(&self, key: &ListKey, generation: u64) -> Option<u64> {
        let counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        match counts.get(key) {
            Some((g, n)) if *g == generation => Some(*n),
            _ => None,
        }
    }

    /// Remembers the total of `key` in `generation`.
    pub fn remember_count(&self, key: &ListKey, generation: u64, total: u64) {
        let mut counts = self.counts.lock().unwrap_or_else(|e| e.into_inner());
        counts.insert(key.clone(), (generation, total));
    }
}

/// The condition "comes after the row whose sort key is `values`" for an `ORDER BY`
/// of `columns` (expression, descending), in SQLite's order: NULL before every value
/// ascending, after every value descending. Columns and values pair up in order; the
/// order must be total (it ends with the row's unique id), so the condition selects
/// exactly the rows after that one.
pub fn after(columns: &[(String, bool)], values: &[SqlValue]) -> (String, Vec<SqlValue>) {
    let mut branches = Vec::new();
    let mut params = Vec::new();
    for (i, ((col, desc), value)) in columns.iter().zip(values).enumerate() {
        let is_null = matches!(value, SqlValue::Null);
        let beyond = match (desc, is_null) {
            (false, true) => Some(format!("{col} IS NOT NULL")),
            (false, false) => Some(format!("{col} > ?")),
            (true, true) => None,
            (true, false) => Some(format!("({col} < ? OR {col} IS NULL)")),
        };
        let Some(beyond) = beyond else { continue };
        let mut parts = Vec::new();
        for ((prev, _), v) in columns[..i].iter().zip(values) {
            parts.push(format!("{prev} IS ?"));
            params.push(v.clone());
        }
        parts.push(beyond);
        if !is_null {
            params.push(value.clone());
        }
        branches.push(format!("({})", parts.join(" AND ")));
    }
    if branches.is_empty() {
        return ("0".to_string(), params);
    }
    let mut sql = format!("({})", branches.join(" OR "));
    // A bound on the first column alone, which an index on it can seek to.
    if let (Some((col, false)), Some(v)) = (columns.first(), values.first()) {
        if !matches!(v, SqlValue::Null) {
            sql = format!("{col} >= ? AND {sql}");
            params.insert(0, v.clone());
        }
    }
    (sql, params)
}

#[cfg(test)]
mod tests {
    use super::*;
    use rusqlite::{params_from_iter, Connection};

    /// Every row of a small table with NULLs and ties, in every order of two columns,
    /// seeking after each row must give exactly the rows after it in the full order.
    #[test]
    fn after_matches_the_order_with_nulls_ties_and_both_directions() {
        let c = Connection::open_in_memory().unwrap();
        c.execute_batch(
            "CREATE TABLE t(a TEXT, b INTEGER, id TEXT NOT NULL);
             INSERT INTO t VALUES (NULL,1,'p'),('x',NULL,'q'),('x',2,'r'),(NULL,NULL,'s'),
               ('y',1,'t'),('x',2,'u'),('a',3,'v'),(NULL,1,'w');",
        )
        .unwrap();
        for desc_a in [false, true] {
            for desc_b in [false, true] {
                let cols = vec![
                    ("a".to_string(), desc_a),
                    ("b".to_string(), desc_b),
                    ("id".to_string(), false),
                ];
                let order = cols
                    .iter()
                    .map(|(c, d)| format!("{c} {}", if *d { "DESC" } else { "ASC" }))
                    .collect::<Vec<_>>()
                    .join(", ");
                let all: Vec<Vec<SqlValue>> = c
                    .prepare(&format!("SELECT a, b, id FROM t ORDER BY {order}"))
                    .unwrap()
                    .query_map([], |r| Ok(vec![r.get(0)?, r.get(1)?, r.get(2)?]))
                    .unwrap()
                    .collect::<Result<_, _>>()
                    .unwrap();
                for (i, row) in all.iter().enumerate() {
                    let (cond, params) = after(&cols, row);
                    let rest: Vec<Vec<SqlValue>> = c
                        .prepare(&format!(
                            "SELECT a, b, id FROM t WHERE {cond} ORDER BY {order}"
                        ))
                        .unwrap()
                        .query_map(params_from_iter(params), |r| {
                            Ok(vec![r.get(0)?, r.get(1)?, r.get(2)?])
                        })
                        .unwrap()
                        .collect::<Result<_, _>>()
                        .unwrap();
                    assert_eq!(rest, all[i + 1..].to_vec(), "after row {i} in {order}");
                }
            }
        }
    }

    #[test]
    fn entries_hold_only_in_their_generation() {
        let cache = PageCache::default();
        let key = ListKey {
            sub: "k".into(),
            list: "users".into(),
            order: "id".into(),
            filter: String::new(),
        };
        let g = cache.generation("k");
        cache.remember_cursors(&key, g, [(100, vec![SqlValue::Text("u99".into())])]);
        cache.remember_count(&key, g, 5);
        assert_eq!(cache.cursor(&key, 100, g).map(|c| c.1), Some(0));
        assert_eq!(cache.cursor(&key, 105, g).map(|c| c.1), Some(5));
        assert!(cache.cursor(&key, 99, g).is_none());
        assert_eq!(cache.count(&key, g), Some(5));
        drop(cache.writing("other"));
        assert_eq!(cache.generation("k"), g, "another keyset's write");
        let w = cache.writing("k");
        assert_ne!(cache.generation("k"), g);
        drop(w);
        let g2 = cache.generation("k");
        assert_eq!(g2, g + 2, "moved before and after the commit");
        assert!(cache.cursor(&key, 100, g2).is_none());
        assert_eq!(cache.count(&key, g2), None);
    }

    /// A walk that starts over after another walk of the same list ended (a second
    /// export, or `list --all` before `export`) keeps the keys of its own pages: it
    /// used to lose them at once to the higher offsets of the ended walk, and paid
    /// for the offset on every page.
    #[test]
    fn a_new_walk_keeps_its_keys_beside_an_ended_one() {
        let cache = PageCache::default();
        let key = ListKey {
            sub: "k".into(),
            list: "users".into(),
            order: "id".into(),
            filter: String::new(),
        };
        let page_keys = |from: u64| {
            (1..=10u64).map(move |i| {
                (
                    from + 10 * i,
                    vec![SqlValue::Integer((from + 10 * i) as i64)],
                )
            })
        };
        // The ended walk: 1,000 pages of 100.
        for page in 0..1000u64 {
            cache.remember_cursors(&key, 0, page_keys(page * 100));
        }
        assert!(cache.cursor(&key, 96, 0).is_none());
        // The new walk, overlapping 4 rows like export: pages at 0, 96, 192, …
        let mut offset = 0;
        for _ in 0..50 {
            cache.remember_cursors(&key, 0, page_keys(offset));
            offset += 96;
            let (values, skip) = cache.cursor(&key, offset, 0).expect("the page's own key");
            assert!(skip < 10, "{skip} rows stepped over at {offset}");
            assert_eq!(values, vec![SqlValue::Integer((offset - skip) as i64)]);
        }
    }

    #[test]
    fn the_lowest_offsets_and_the_oldest_lists_go_first() {
        let cache = PageCache::default();
        let key = |list: usize| ListKey {
            sub: "k".into(),
            list: format!("list {list}"),
            order: String::new(),
            filter: String::new(),
        };
        let offsets = 1..=(KEYS_PER_LIST as u64 + 10);
        cache.remember_cursors(&key(0), 0, offsets.map(|o| (o, vec![])));
        assert_eq!(cache.cursor(&key(0), 10, 0), None);
        assert_eq!(cache.cursor(&key(0), 11, 0), Some((vec![], 0)));
        for list in 1..=MAX_ENTRIES {
            cache.remember_cursors(&key(list), 0, [(1, vec![])]);
            if list == MAX_ENTRIES / 2 {
                // A walk in progress: touched again, so it is not the oldest any more.
                cache.remember_cursors(&key(0), 0, [(500, vec![])]);
            }
        }
        assert_eq!(cache.cursor(&key(0), 500, 0), Some((vec![], 0)));
        assert!(cache.cursor(&key(1), 1, 0).is_none());
        assert!(cache.cursor(&key(2), 1, 0).is_some());
        assert!(cache.cursor(&key(MAX_ENTRIES), 1, 0).is_some());
    }
}
