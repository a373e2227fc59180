//! Compiles a parsed filter ([`crate::filter::Expr`]) to a parameterized SQL condition.
//!
//! Filter text never reaches SQL: fields map to fixed column expressions and every value
//! is a bound parameter. Each compiled condition is 0 or 1, never NULL, so `!` works as
//! two-valued logic. Semantics we chose where PubNub's are not established (spec §14):
//! `==`/`!=`/`<`… on strings are case-sensitive (byte order); `LIKE` is case-insensitive;
//! a field that is null or missing equals `null` and is unequal to every other value;
//! `updated` is compared as a timestamp; comparing a string field with a number or a
//! boolean is an error.

use rusqlite::types::Value as SqlValue;

use super::error::ApiError;
use super::model::{parse_updated, sort_key};
use crate::filter::{CmpOp, Expr, Field, Pattern, PatternPart, Target, Value};

/// A compiled condition and its parameters, in order.
#[derive(Debug, Default)]
pub struct Condition {
    pub sql: String,
    pub params: Vec<SqlValue>,
    /// The condition holds only for rows whose id is one of a few given (`id == 'a'
    /// || id == 'b'`, `uuid.id == 'a' || …` on a channel's members, or that `&&`
    /// more): they are looked up by key and sorted, not found by walking the list in
    /// order (import reads what is stored for up to 100 records at a time that way).
    pub by_ids: bool,
    /// A trigram index query whose rows include every row the condition matches,
    /// when the index can narrow them (see [`super::search_index`]).
    pub search_query: Option<String>,
}

/// What a filter field refers to in the query (`o` = the object row, `r` = the relation).
enum Column {
    /// A text column, with the name of its indexed sort-key column when it has one.
    Text {
        col: &'static str,
        key_col: Option<&'static str>,
    },
    /// `updated`, stored as microseconds.
    Updated(&'static str),
    /// One key of a `custom` JSON column.
    Custom { col: &'static str, key: String },
}

/// Maps a filter field to its column for the given target.
fn column(target: Target, field: &Field) -> Result<Column, ApiError> {
    let segs: Vec<&str> = field.segments().iter().map(String::as_str).collect();
    let unknown = || {
        ApiError::query(
            "filter",
            format!(
                "Invalid filter: field '{}' cannot be filtered on here.",
                segs.join(".")
            ),
        )
    };
    let object = |rest: &[&str], user: bool| -> Result<Column, ApiError> {
        Ok(match rest {
            ["id"] => Column::Text {
                col: "o.id",
                key_col: Some("o.id_k"),
            },
            ["name"] => Column::Text {
                col: "o.name",
                key_col: Some("o.name_k"),
            },
            ["status"] => Column::Text {
                col: "o.status",
                key_col: None,
            },
            ["type"] => Column::Text {
                col: "o.type",
                key_col: None,
            },
            ["updated"] => Column::Updated("o.updated"),
            ["custom", key] => Column::Custom {
                col: "o.custom",
                key: key.to_string(),
            },
            ["description"] if !user => Column::Text {
                col: "o.description",
                key_col: None,
            },
            ["externalId"] if user => Column::Text {
                col: "o.external_id",
                key_col: None,
            },
            ["profileUrl"] if user => Column::Text {
                col: "o.profile_url",
                key_col: None,
            },
            ["email"] if user => Column::Text {
                col: "o.email",
                key_col: None,
            },
            _ => return Err(unknown()),
        })
    };
    let relation = |rest: &[&str]| -> Result<Column, ApiError> {
        Ok(match rest {
            ["status"] => Column::Text {
                col: "r.status",
                key_col: None,
            },
            ["type"] => Column::Text {
                col: "r.type",
                key_col: None,
            },
            ["updated"] => Column::Updated("r.updated"),
            ["custom", key] => Column::Custom {
                col: "r.custom",
                key: key.to_string(),
            },
            _ => return Err(unknown()),
        })
    };
    match target {
        Target::Users => object(&segs, true),
        Target::Channels => object(&segs, false),
        Target::Memberships => match segs.as_slice() {
            ["channel", "id"] => Ok(Column::Text {
                col: "r.channel_id",
                key_col: None,
            }),
            ["channel", rest @ ..] => object(rest, false),
            rest => relation(rest),
        },
        Target::Members => match segs.as_slice() {
            ["uuid", "id"] => Ok(Column::Text {
                col: "r.user_id",
                key_col: None,
            }),
            ["uuid", rest @ ..] => object(rest, true),
            rest => relation(rest),
        },
    }
}

/// Compiles `expr` for `target`.
pub fn compile(expr: &Expr, target: Target) -> Result<Condition, ApiError> {
    let mut c = Condition::default();
    emit(expr, target, &mut c)?;
    // The rows that can match, from the trigram index; the caller decides whether to
    // start from them. The condition above decides either way.
    c.search_query = super::search_index::candidates(expr, target);
    let id_field: &[&str] = match target {
        Target::Users | Target::Channels => &["id"],
        Target::Members => &["uuid", "id"],
        Target::Memberships => &["channel", "id"],
    };
    c.by_ids = ids_only(expr, id_field);
    Ok(c)
}

fn emit(expr: &Expr, target: Target, c: &mut Condition) -> Result<(), ApiError> {
    match expr {
        Expr::Or(items) | Expr::And(items) => {
            let op = if matches!(expr, Expr::Or(_)) {
                " OR "
            } else {
                " AND "
            };
            c.sql.push('(');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    c.sql.push_str(op);
                }
                emit(item, target, c)?;
            }
            c.sql.push(')');
        }
        Expr::Not(inner) => {
            c.sql.push_str("(NOT ");
            emit(inner, target, c)?;
            c.sql.push(')');
        }
        Expr::Compare { field, op, value } => {
            compare(column(target, field)?, field, *op, value, c)?
        }
        Expr::Like { field, pattern } => like(column(target, field)?, field, pattern, c)?,
    }
    Ok(())
}

fn type_error(field: &Field, what: &str) -> ApiError {
    ApiError::query(
        "filter",
        format!("Invalid filter: {} {what}.", field.segments().join(".")),
    )
}

fn sql_op(op: CmpOp) -> &'static str {
    match op {
        CmpOp::Eq => "=",
        CmpOp::Ne => "<>",
        CmpOp::Lt => "<",
        CmpOp::Gt => ">",
        CmpOp::Le => "<=",
        CmpOp::Ge => ">=",
    }
}

fn compare(
    col: Column,
    field: &Field,
    op: CmpOp,
    value: &Value,
    c: &mut Condition,
) -> Result<(), ApiError> {
    match col {
        Column::Text { col, .. } => match (value, op) {
            (Value::Null, CmpOp::Eq) => c.sql.push_str(&format!("({col} IS NULL)")),
            (Value::Null, CmpOp::Ne) => c.sql.push_str(&format!("({col} IS NOT NULL)")),
            (Value::Null, _) => {
                return Err(type_error(
                    field,
                    "can only be compared with null using == or !=",
                ))
            }
            (Value::String(s), _) if never_null(col) => {
                // Bare, so `id == 'a' || id == 'b'` is a lookup by key (an import reads
                // what is stored for 100 ids at a time that way).
                c.sql.push_str(&format!("({col} {} ?)", sql_op(op)));
                c.params.push(SqlValue::Text(s.clone()));
            }
            (Value::String(s), _) => {
                // A null field is unequal to every string (so `!=` matches it).
                let fallback = if op == CmpOp::Ne { 1 } else { 0 };
                c.sql
                    .push_str(&format!("COALESCE({col} {} ?, {fallback})", sql_op(op)));
                c.params.push(SqlValue::Text(s.clone()));
            }
            _ => {
                return Err(type_error(
                    field,
                    "is a string field: compare it with a quoted string",
                ))
            }
        },
        Column::Updated(col) => {
            let Value::String(s) = value else {
                return Err(type_error(field, "must be compared with a quoted RFC 3339 timestamp, e.g. '2025-01-31T12:00:00Z'"));
            };
            let Some(micros) = parse_updated(s) else {
                return Err(type_error(
                    field,
                    &format!("must be compared with an RFC 3339 timestamp, got '{s}'"),
                ));
            };
            c.sql
                .push_str(&format!("COALESCE({col} {} ?, 0)", sql_op(op)));
            c.params.push(SqlValue::Integer(micros));
        }
        Column::Custom { col, key } => {
            if let Some(path) = json_path(&key) {
                if let Some(e) = super::custom_index::expr(col, &key) {
                    if indexed_compare(col, &e, &path, op, value, c) {
                        return Ok(());
                    }
                }
                return custom_compare(col, path, field, op, value, c);
            }
            let (cond, param) = match value {
                Value::Null => {
                    // Absent or null equals null.
                    let sql = match op {
                        CmpOp::Eq => format!("(NOT EXISTS (SELECT 1 FROM json_each({col}) AS j WHERE j.key = ? AND j.type <> 'null'))"),
                        CmpOp::Ne => format!("(EXISTS (SELECT 1 FROM json_each({col}) AS j WHERE j.key = ? AND j.type <> 'null'))"),
                        _ => return Err(type_error(field, "can only be compared with null using == or !=")),
                    };
                    c.sql.push_str(&sql);
                    c.params.push(SqlValue::Text(key));
                    return Ok(());
                }
                Value::String(s) => (
                    format!("j.type = 'text' AND j.value {} ?", sql_op_eqless(op)),
                    Some(SqlValue::Text(s.clone())),
                ),
                Value::Number(n) => (
                    format!(
                        "j.type IN ('integer','real') AND j.value {} ?",
                        sql_op_eqless(op)
                    ),
                    Some(SqlValue::Real(*n)),
                ),
                Value::Bool(b) => {
                    if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                        return Err(type_error(
                            field,
                            "is compared with a boolean: use == or !=",
                        ));
                    }
                    (
                        format!("j.type = '{}'", if *b { "true" } else { "false" }),
                        None,
                    )
                }
            };
            let exists =
                format!("EXISTS (SELECT 1 FROM json_each({col}) AS j WHERE j.key = ? AND {cond})");
            // `!=` is the negation of `==`, so a missing key is unequal to everything.
            if op == CmpOp::Ne {
                c.sql.push_str(&format!("(NOT {exists})"));
            } else {
                c.sql.push_str(&format!("({exists})"));
            }
            c.params.push(SqlValue::Text(key));
            if let Some(p) = param {
                c.params.push(p);
            }
        }
    }
    Ok(())
}

/// The JSON path of a top-level `custom` key for `json_type`/`json_extract`, or None
/// when SQLite's path syntax cannot name it (a `"` ends a quoted label, and keys with
/// escapes or control characters may be stored escaped): those keys are looked up
/// with `json_each`, with the same meaning.
fn json_path(key: &str) -> Option<String> {
    if key
        .chars()
        .any(|ch| ch == '"' || ch == '\\' || ch.is_control())
    {
        return None;
    }
    Some(format!("$.\"{key}\""))
}

/// A comparison on one `custom` key, read with `json_type`/`json_extract` (one parse of
/// the row's JSON, no per-key scan). The same meaning as the `json_each` form: a
/// missing or null key equals null and nothing else; strings compare with strings and
/// numbers with numbers only; `!=` is the negation of `==`.
fn custom_compare(
    col: &str,
    path: String,
    field: &Field,
    op: CmpOp,
    value: &Value,
    c: &mut Condition,
) -> Result<(), ApiError> {
    let path = SqlValue::Text(path);
    let kind = format!("json_type({col}, ?)");
    let cond = match value {
        Value::Null => {
            let cmp = match op {
                CmpOp::Eq => "=",
                CmpOp::Ne => "<>",
                _ => {
                    return Err(type_error(
                        field,
                        "can only be compared with null using == or !=",
                    ))
                }
            };
            c.sql
                .push_str(&format!("(COALESCE({kind}, 'null') {cmp} 'null')"));
            c.params.push(path);
            return Ok(());
        }
        Value::String(s) => {
            let cond = format!(
                "COALESCE({kind} = 'text' AND json_extract({col}, ?) {} ?, 0)",
                sql_op_eqless(op)
            );
            c.params
                .extend([path.clone(), path, SqlValue::Text(s.clone())]);
            cond
        }
        Value::Number(n) => {
            let cond = format!(
                "COALESCE({kind} IN ('integer', 'real') AND json_extract({col}, ?) {} ?, 0)",
                sql_op_eqless(op)
            );
            c.params.extend([path.clone(), path, SqlValue::Real(*n)]);
            cond
        }
        Value::Bool(b) => {
            if !matches!(op, CmpOp::Eq | CmpOp::Ne) {
                return Err(type_error(
                    field,
                    "is compared with a boolean: use == or !=",
                ));
            }
            c.params.push(path);
            format!(
                "COALESCE({kind} = '{}', 0)",
                if *b { "true" } else { "false" }
            )
        }
    };
    if op == CmpOp::Ne {
        c.sql.push_str(&format!("(NOT {cond})"));
    } else {
        c.sql.push_str(&format!("({cond})"));
    }
    Ok(())
}

/// A comparison of a string or a number on one `custom` key, written around the
/// literal expression `e` (`json_extract(col, '$."key"')`) as top-level `AND` terms, so
/// that SQLite can use an index on that expression (`custom_index`); None for the
/// comparisons left to [`custom_compare`] (null, booleans: false, nothing written).
/// The same meaning as
/// there, and also 0 or 1, never NULL:
/// - `e IS ?` is true only when the key holds that string: `json_extract` gives text
///   for JSON strings, numbers for numbers and booleans, NULL for null or no key, and
///   JSON text (starting with `[` or `{`) for arrays and objects, so `json_type` is
///   checked only for strings that start like those;
/// - for ranges and numbers, `e IS NOT NULL` first makes the rest non-NULL (the key
///   exists), and `json_type` tells strings from numbers and numbers from booleans.
fn indexed_compare(
    col: &str,
    e: &str,
    path: &str,
    op: CmpOp,
    value: &Value,
    c: &mut Condition,
) -> bool {
    let path = SqlValue::Text(path.to_string());
    let cond = match (value, op) {
        (Value::String(s), CmpOp::Eq | CmpOp::Ne) => {
            c.params.push(SqlValue::Text(s.clone()));
            if s.starts_with(['[', '{']) {
                c.params.push(path);
                format!("{e} IS ? AND json_type({col}, ?) = 'text'")
            } else {
                format!("{e} IS ?")
            }
        }
        (Value::String(s), _) => {
            c.params.extend([SqlValue::Text(s.clone()), path]);
            format!(
                "{e} IS NOT NULL AND {e} >= '' AND {e} {} ? AND json_type({col}, ?) = 'text'",
                sql_op(op)
            )
        }
        (Value::Number(n), _) => {
            c.params.extend([SqlValue::Real(*n), path]);
            format!(
                "{e} IS NOT NULL AND {e} {} ? AND json_type({col}, ?) IN ('integer', 'real')",
                sql_op_eqless(op)
            )
        }
        _ => return false,
    };
    if op == CmpOp::Ne {
        c.sql.push_str(&format!("(NOT ({cond}))"));
    } else {
        c.sql.push_str(&format!("({cond})"));
    }
    true
}

/// Whether only rows with one of a few given ids (`id_field`: the list's own id, or
/// the other end's on relation lists) can match `expr` (see [`Condition::by_ids`]).
fn ids_only(expr: &Expr, id_field: &[&str]) -> bool {
    match expr {
        Expr::Compare {
            field,
            op: CmpOp::Eq,
            value: Value::String(_),
        } => field.segments() == id_field,
        Expr::Or(items) => !items.is_empty() && items.iter().all(|i| ids_only(i, id_field)),
        Expr::And(items) => items.iter().any(|i| ids_only(i, id_field)),
        _ => false,
    }
}

/// The text columns that are never null (ids), whose comparisons need no `COALESCE`.
fn never_null(col: &str) -> bool {
    matches!(col, "o.id" | "r.user_id" | "r.channel_id")
}

/// For custom values `!=` is written as NOT(==), so the inner operator is `=`.
fn sql_op_eqless(op: CmpOp) -> &'static str {
    if op == CmpOp::Ne {
        "="
    } else {
        sql_op(op)
    }
}

/// The pattern as the parameter of the `pn_like` SQL function: a JSON array of
/// literal strings and `null` for each wildcard.
pub fn encode_pattern(p: &Pattern) -> String {
    let parts: Vec<serde_json::Value> =
        p.0.iter()
            .map(|part| match part {
                PatternPart::Literal(s) => serde_json::Value::String(s.clone()),
                PatternPart::Wildcard => serde_json::Value::Null,
            })
            .collect();
    serde_json::Value::Array(parts).to_string()
}

/// The inverse of [`encode_pattern`].
pub fn decode_pattern(text: &str) -> Option<Pattern> {
    let parts: Vec<Option<String>> = serde_json::from_str(text).ok()?;
    Some(Pattern(
        parts
            .into_iter()
            .map(|p| match p {
                Some(s) => PatternPart::Literal(s),
                None => PatternPart::Wildcard,
            })
            .collect(),
    ))
}

fn like(col: Column, field: &Field, pattern: &Pattern, c: &mut Condition) -> Result<(), ApiError> {
    let encoded = SqlValue::Text(encode_pattern(pattern));
    match col {
        Column::Text { col, key_col } => {
            c.sql.push_str(&format!("(pn_like({col}, ?)"));
            c.params.push(encoded);
            // A literal ASCII-alphanumeric prefix narrows an indexed sort-key range:
            // a name that starts with "ab" (any case) has a key that starts with "ab".
            if let (Some(key_col), Some(prefix)) = (key_col, pattern.literal_prefix()) {
                if !prefix.is_empty() && prefix.chars().all(|ch| ch.is_ascii_alphanumeric()) {
                    let lo = sort_key(prefix);
                    let hi = format!("{lo}\u{10FFFF}");
                    c.sql
                        .push_str(&format!(" AND {key_col} >= ? AND {key_col} < ?"));
                    c.params.push(SqlValue::Text(lo));
                    c.params.push(SqlValue::Text(hi));
                }
            }
            c.sql.push(')');
        }
        Column::Updated(_) => {
            return Err(type_error(
                field,
                "is a timestamp: use ==, <, >, <= or >= instead of LIKE",
            ))
        }
        Column::Custom { col, key } if json_path(&key).is_some() => {
            let path = SqlValue::Text(json_path(&key).unwrap_or_default());
            c.sql.push_str(&format!(
                "(COALESCE(json_type({col}, ?) = 'text' AND pn_like(json_extract({col}, ?), ?), 0))"
            ));
            c.params.extend([path.clone(), path, encoded]);
        }
        Column::Custom { col, key } => {
            c.sql.push_str(&format!(
                "(EXISTS (SELECT 1 FROM json_each({col}) AS j WHERE j.key = ? AND j.type = 'text' AND pn_like(j.value, ?)))"
            ));
            c.params.push(SqlValue::Text(key));
            c.params.push(encoded);
        }
    }
    Ok(())
}
