//! The SQL of a list page: the `ORDER BY` of a sort, the seek that resumes a walk
//! from a remembered key, and the queries of object and relation lists (filter,
//! count, page) that `store.rs` runs.

use rusqlite::types::Value as SqlValue;
use rusqlite::{params_from_iter, Connection, Row};

use super::error::ApiError;
use super::model::Kind;
use super::params::ListParams;
use super::sql::compile;
use super::store::{
    object_from_row, relation_from_row, RelationWithObject, View, OBJECT_COLS, RELATION_COLS,
};
use crate::filter::Target;

/// The `ORDER BY` columns (expression, descending) for the requested sort keys, then
/// `tiebreak` ascending. Strings sort by their collation key, then by the raw text.
/// `relation` says whether unprefixed fields (`status`, `type`, `updated`) are the
/// relation's (`r`) or the object's (`o`).
pub(super) fn order_columns(
    p: &ListParams,
    relation: bool,
    tiebreak: &[&str],
) -> Vec<(String, bool)> {
    let mut parts = Vec::new();
    for key in &p.sort {
        let own = if relation { "r" } else { "o" };
        let field = key
            .field
            .strip_prefix("channel.")
            .or_else(|| key.field.strip_prefix("uuid."));
        let cols: Vec<String> = match (field, key.field.as_str()) {
            (Some("id"), f) if f.starts_with("channel.") => {
                vec!["r.channel_id_k".into(), "r.channel_id".into()]
            }
            (Some("id"), _) => vec!["r.user_id_k".into(), "r.user_id".into()],
            (Some("updated"), _) => vec!["o.updated".into()],
            (Some(f), _) => vec![format!("o.{f}_k"), format!("o.{f}")],
            (None, "updated") => vec![format!("{own}.updated")],
            (None, f) => vec![format!("{own}.{f}_k"), format!("{own}.{f}")],
        };
        parts.extend(cols.into_iter().map(|c| (c, key.descending)));
    }
    parts.extend(tiebreak.iter().map(|c| (c.to_string(), false)));
    parts
}

/// `ORDER BY` text for `columns`, each behind a unary `+`: no index can give that
/// order, so SQLite finds the rows by the filter's keys and sorts them.
pub(super) fn unary_plus(columns: &[(String, bool)]) -> String {
    order_sql(
        &columns
            .iter()
            .map(|(c, desc)| (format!("+{c}"), *desc))
            .collect::<Vec<_>>(),
    )
}

/// `ORDER BY` text for `columns`.
pub(super) fn order_sql(columns: &[(String, bool)]) -> String {
    columns
        .iter()
        .map(|(c, desc)| format!("{c} {}", if *desc { "DESC" } else { "ASC" }))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The `ORDER BY` columns as a select list, so a page can remember its last row's key.
pub(super) fn key_select(columns: &[(String, bool)]) -> String {
    columns
        .iter()
        .map(|(c, _)| c.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The sort key of a row: the `n` columns from `at`.
pub(super) fn sort_values(r: &Row, at: usize, n: usize) -> rusqlite::Result<Vec<SqlValue>> {
    (at..at + n).map(|i| r.get::<_, SqlValue>(i)).collect()
}

/// The filter part of a list's cache key.
pub(super) fn filter_key(p: &ListParams) -> String {
    p.filter
        .as_ref()
        .map(|f| format!("{f:?}"))
        .unwrap_or_default()
}

/// Where a page resumes: past a row's sort key (`cond`, with `params`), then `skip`
/// rows further.
pub(super) struct Seek {
    pub(super) cond: String,
    pub(super) params: Vec<SqlValue>,
    pub(super) skip: u64,
}

/// The condition of the partial index `objects_whole_in_id_order` (every row meets
/// it). That index holds whole rows, so SQLite would prefer it for any query in id
/// order, filtered ones too, and read every row in order to test the filter instead of
/// using the filter's own index (a rare `custom.tier` value on 1M users would read them
/// all): only a query whose `WHERE` names this exact term can use it, and only the
/// pages of unfiltered lists in id order do.
pub(super) const WHOLE_ROWS: &str = "o.kind IN (0, 1)";

/// The parts of a user or channel list query: its condition, order and parameters.
pub(super) struct ObjectQuery {
    /// The condition after the keyset and kind (` AND …`, or empty).
    pub(super) filter_sql: String,
    pub(super) args: Vec<SqlValue>,
    pub(super) columns: Vec<(String, bool)>,
    pub(super) order: String,
    pub(super) keys: String,
    /// The trigram index query that narrows the rows, if any.
    pub(super) search_query: Option<String>,
    /// The filter names the few ids that can match.
    pub(super) by_ids: bool,
}

/// Candidate rows from the trigram index up to which a page is read from them (then
/// sorted) rather than by walking the list's index in order until the page is full:
/// with more, matches are dense and the walk stops early.
pub(super) const FEW_CANDIDATES: i64 = 5_000;

impl ObjectQuery {
    pub(super) fn new(sub: &str, kind: Kind, p: &ListParams) -> Result<ObjectQuery, ApiError> {
        let target = match kind {
            Kind::User => Target::Users,
            Kind::Channel => Target::Channels,
        };
        let mut filter_sql = String::new();
        let mut args: Vec<SqlValue> =
            vec![SqlValue::Text(sub.into()), SqlValue::Integer(kind as i64)];
        let mut search_query = None;
        let mut by_ids = false;
        if let Some(f) = &p.filter {
            let cond = compile(f, target)?;
            filter_sql = format!(" AND {}", cond.sql);
            args.extend(cond.params);
            search_query = cond.search_query;
            by_ids = cond.by_ids;
        }
        let columns = order_columns(p, false, &["o.id_k", "o.id"]);
        let order = order_sql(&columns);
        let keys = key_select(&columns);
        Ok(ObjectQuery {
            filter_sql,
            args,
            columns,
            order,
            keys,
            search_query,
            by_ids,
        })
    }

    /// The `WHERE` condition and its parameters. `from_index` starts from the rows
    /// the trigram index finds (`+` keeps SQLite from walking the keyset in the
    /// list's index instead, testing every row against those); otherwise the filter
    /// alone decides, row by row.
    pub(super) fn where_sql(&self, from_index: bool) -> (String, Vec<SqlValue>) {
        let mut args = self.args.clone();
        match (&self.search_query, from_index) {
            (Some(query), true) => {
                args.push(SqlValue::Text(query.clone()));
                let sql = format!(
                    "+o.sub_key = ? AND +o.kind = ?{} AND o.rowid IN (SELECT rowid FROM objects_search WHERE objects_search MATCH ?)",
                    self.filter_sql
                );
                (sql, args)
            }
            _ => (
                format!("o.sub_key = ? AND o.kind = ?{}", self.filter_sql),
                args,
            ),
        }
    }

    /// Whether the page starts from the trigram index: it finds few rows.
    pub(super) fn page_from_index(&self, c: &Connection) -> Result<bool, ApiError> {
        let Some(query) = &self.search_query else {
            return Ok(false);
        };
        let n: i64 = c
            .prepare_cached(&format!(
                "SELECT count(*) FROM (SELECT 1 FROM objects_search WHERE objects_search MATCH ? LIMIT {})",
                FEW_CANDIDATES + 1
            ))?
            .query_row([query], |r| r.get(0))?;
        Ok(n <= FEW_CANDIDATES)
    }

    /// The page's SQL (past `seek`, else by offset) and its parameters.
    pub(super) fn page_sql(
        &self,
        from_index: bool,
        seek: Option<Seek>,
        p: &ListParams,
    ) -> (String, Vec<SqlValue>) {
        let ObjectQuery { keys, .. } = self;
        // `+` sorts the few rows the ids name instead of walking the list's index in
        // order and testing every row.
        let order = match self.by_ids {
            true => unary_plus(&self.columns),
            false => self.order.clone(),
        };
        let (where_sql, mut args) = self.where_sql(from_index);
        if !self.filter_sql.is_empty() || !p.sort.is_empty() {
            let (seek_sql, tail) = seek_or_offset(seek, &mut args, p);
            let sql = format!(
                "SELECT {OBJECT_COLS}, {keys} FROM objects o WHERE {where_sql}{seek_sql} ORDER BY {order} {tail}"
            );
            return (sql, args);
        }
        // The default order with no filter (a walk's page): read from the index that
        // holds whole rows in that order, so a page is a run of neighbouring entries
        // instead of 100 rows fetched from wherever each was inserted. Only queries
        // that name its condition can use it (see `WHOLE_ROWS`).
        let whole = "objects o INDEXED BY objects_whole_in_id_order";
        let skip = seek.as_ref().map_or(p.offset, |s| s.skip);
        if skip == 0 {
            let (seek_sql, tail) = seek_or_offset(seek, &mut args, p);
            let sql = format!(
                "SELECT {OBJECT_COLS}, {keys} FROM {whole} WHERE {where_sql} AND {WHOLE_ROWS}{seek_sql} ORDER BY {order} {tail}"
            );
            return (sql, args);
        }
        // A jump: the rows skipped are stepped over in the narrow id index (their
        // keys only), and the page is read from the key after them. Stepping over
        // 900,000 whole rows took 141 ms.
        let (seek_sql, tail) = seek_or_offset(
            seek,
            &mut args,
            &ListParams {
                limit: 1,
                ..p.clone()
            },
        );
        let mut page_args = self.args.clone();
        page_args.extend(args);
        let sql = format!(
            "SELECT {OBJECT_COLS}, {keys} FROM {whole} WHERE {where_sql} AND {WHOLE_ROWS}
               AND (o.id_k, o.id) >= (SELECT o.id_k, o.id FROM objects o INDEXED BY objects_by_id_k
                 WHERE {where_sql}{seek_sql} ORDER BY {order} {tail})
             ORDER BY {order} LIMIT {}",
            p.limit
        );
        (sql, page_args)
    }

    pub(super) fn count_sql(&self) -> (String, Vec<SqlValue>) {
        let (where_sql, args) = self.where_sql(self.search_query.is_some());
        (
            format!("SELECT COUNT(*) FROM objects o WHERE {where_sql}"),
            args,
        )
    }
}

/// The SQL after the `WHERE` condition that selects the page: ` AND (past the key)`
/// when seeking, then `LIMIT n OFFSET ?` (the offset counted from the key, or from the
/// start). Pushes its parameters onto `args`.
///
/// The limit is written into the text, not bound: SQLite plans with a bound `LIMIT`'s
/// value, so a statement with `LIMIT ?` was compiled again on every run (the limit is
/// one of a few small numbers, so the statements stay few).
pub(super) fn seek_or_offset(
    seek: Option<Seek>,
    args: &mut Vec<SqlValue>,
    p: &ListParams,
) -> (String, String) {
    let (sql, skip) = match seek {
        Some(Seek { cond, params, skip }) => {
            args.extend(params);
            (format!(" AND {cond}"), skip)
        }
        None => (String::new(), p.offset),
    };
    args.push(SqlValue::Integer(skip.min(i64::MAX as u64) as i64));
    (sql, format!("LIMIT {} OFFSET ?", p.limit))
}

/// Whether the filter reads the object at the other end of a relation (anything of
/// `channel.`/`uuid.` but its id, which the relation holds).
pub(super) fn filter_reads_other(e: &crate::filter::Expr) -> bool {
    use crate::filter::Expr;
    match e {
        Expr::Or(items) | Expr::And(items) => items.iter().any(filter_reads_other),
        Expr::Not(inner) => filter_reads_other(inner),
        Expr::Compare { field, .. } | Expr::Like { field, .. } => {
            let segs = field.segments();
            matches!(segs.first().map(String::as_str), Some("channel" | "uuid"))
                && !(segs.len() == 2 && segs[1] == "id")
        }
    }
}

/// A relation list query: its condition, order and the join with the other end.
pub(super) struct RelationQuery {
    pub(super) where_sql: String,
    pub(super) args: Vec<SqlValue>,
    pub(super) columns: Vec<(String, bool)>,
    pub(super) join: String,
    /// The filter reads the other end, so rows must be joined before they are counted.
    pub(super) filter_reads_other: bool,
    /// The filter or the order reads the other end, so rows must be joined before the
    /// page is cut; otherwise the page is cut from the relations alone and only its
    /// rows are joined.
    pub(super) reads_other: bool,
    /// The filter names the few other ends that can match (see [`ObjectQuery`]).
    pub(super) by_ids: bool,
}

impl RelationQuery {
    pub(super) fn new(
        sub: &str,
        view: View,
        id: &str,
        p: &ListParams,
    ) -> Result<RelationQuery, ApiError> {
        let (own_col, other_col, tiebreak) = match view {
            View::Memberships => (
                "r.user_id",
                "r.channel_id",
                ["r.channel_id_k", "r.channel_id"],
            ),
            View::Members => ("r.channel_id", "r.user_id", ["r.user_id_k", "r.user_id"]),
        };
        let join = format!(
            "LEFT JOIN objects o ON o.sub_key = r.sub_key AND o.kind = {} AND o.id = {other_col}",
            view.other_kind() as i64
        );
        let mut where_sql = format!("r.sub_key = ? AND {own_col} = ?");
        let mut args: Vec<SqlValue> = vec![SqlValue::Text(sub.into()), SqlValue::Text(id.into())];
        let mut by_ids = false;
        if let Some(f) = &p.filter {
            let cond = compile(f, view.target())?;
            where_sql.push_str(" AND ");
            where_sql.push_str(&cond.sql);
            args.extend(cond.params);
            by_ids = cond.by_ids;
        }
        let columns = order_columns(p, true, &tiebreak);
        let filter_reads_other = p.filter.as_ref().is_some_and(filter_reads_other);
        let reads_other = filter_reads_other || columns.iter().any(|(c, _)| c.starts_with("o."));
        Ok(RelationQuery {
            where_sql,
            args,
            columns,
            join,
            filter_reads_other,
            reads_other,
            by_ids,
        })
    }

    /// One page (seeking past a key, or by offset), each row with its sort key.
    pub(super) fn page(
        &self,
        c: &Connection,
        p: &ListParams,
        seek: Option<Seek>,
    ) -> Result<Vec<(RelationWithObject, Vec<SqlValue>)>, ApiError> {
        let (sql, args) = self.page_sql(p, seek);
        let n = self.columns.len();
        let mut stmt = c.prepare_cached(&sql)?;
        let rows = stmt
            .query_map(params_from_iter(args), |r| {
                let relation = relation_from_row(r)?;
                let has_other: bool = r.get(7)?;
                let other = if has_other {
                    Some(object_from_row(r, 8)?)
                } else {
                    None
                };
                Ok((
                    RelationWithObject { relation, other },
                    sort_values(r, 19, n)?,
                ))
            })?
            .collect::<rusqlite::Result<Vec<_>>>()?;
        Ok(rows)
    }

    /// The SQL of [`RelationQuery::page`] and its parameters.
    pub(super) fn page_sql(&self, p: &ListParams, seek: Option<Seek>) -> (String, Vec<SqlValue>) {
        let Self {
            where_sql, join, ..
        } = self;
        let order = order_sql(&self.columns);
        // `+` sorts the few rows the ids name (found by key) instead of walking the
        // owner's relations in order and testing each: a channel's 100,000 members.
        let inner_order = match self.by_ids {
            true => unary_plus(&self.columns),
            false => order.clone(),
        };
        let keys = key_select(&self.columns);
        let mut args = self.args.clone();
        let (seek_sql, tail) = seek_or_offset(seek, &mut args, p);
        let sql = if self.reads_other {
            format!(
                "SELECT {RELATION_COLS}, o.id IS NOT NULL, {OBJECT_COLS}, {keys} FROM relations r {join} WHERE {where_sql}{seek_sql} ORDER BY {inner_order} {tail}"
            )
        } else {
            format!(
                "SELECT {RELATION_COLS}, o.id IS NOT NULL, {OBJECT_COLS}, {keys} FROM (SELECT r.* FROM relations r WHERE {where_sql}{seek_sql} ORDER BY {inner_order} {tail}) r {join} ORDER BY {order}"
            )
        };
        (sql, args)
    }

    /// How many relations match (joined only when the filter reads the other end).
    pub(super) fn count(&self, c: &Connection) -> Result<u64, ApiError> {
        let Self {
            where_sql, join, ..
        } = self;
        let sql = if self.filter_reads_other {
            format!("SELECT COUNT(*) FROM relations r {join} WHERE {where_sql}")
        } else {
            format!("SELECT COUNT(*) FROM relations r WHERE {where_sql}")
        };
        let n: i64 = c
            .prepare_cached(&sql)?
            .query_row(params_from_iter(self.args.clone()), |r| r.get(0))?;
        Ok(n as u64)
    }
}

/// A page of relations (and its total when asked for) read on `c` as it is, with
/// nothing remembered: the answer of a relation PATCH, read inside its transaction.
/// Reads go through [`super::store::Store::list_relations`], which seeks from cached
/// cursors and reuses counts.
pub(super) fn relations_page_uncached(
    c: &Connection,
    sub: &str,
    view: View,
    id: &str,
    p: &ListParams,
) -> Result<(Vec<RelationWithObject>, Option<u64>), ApiError> {
    let query = RelationQuery::new(sub, view, id, p)?;
    let rows = query
        .page(c, p, None)?
        .into_iter()
        .map(|(r, _)| r)
        .collect();
    let total = match p.count {
        true => Some(query.count(c)?),
        false => None,
    };
    Ok((rows, total))
}
