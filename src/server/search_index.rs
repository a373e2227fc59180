//! A trigram index that answers "which users or channels contain this text" without
//! reading every row, so a search such as `name LIKE '*quartz*'` on a million users
//! takes milliseconds instead of a scan.
//!
//! The index is an SQLite FTS5 table with the trigram tokenizer over the lower-cased
//! (Rust's `str::to_lowercase`, the same folding `LIKE` uses: see
//! [`crate::filter::Matcher`]) id, name, email and description of every object, kept
//! in step with `objects` by triggers. It only narrows the rows: a filter whose `LIKE`
//! literals are three characters or longer gets `o.rowid IN (rows whose text contains
//! them)` added, and the `LIKE` itself is still evaluated on those rows, so every
//! answer is exactly what the scan would give. Trigram matching is exact substring
//! matching on the folded text (case-sensitive tokenizer, no diacritic removal), so
//! the candidate rows are a superset of the matching ones.

use rusqlite::functions::FunctionFlags;
use rusqlite::Connection;

use crate::filter::{Expr, Pattern, PatternPart, Target};

/// The index, its triggers, and nothing else; created with the schema.
pub const SCHEMA: &str = r#"
CREATE VIRTUAL TABLE IF NOT EXISTS objects_search USING fts5(
  id, name, email, description,
  content='', contentless_delete=1, tokenize='trigram case_sensitive 1');
CREATE TRIGGER IF NOT EXISTS objects_search_insert AFTER INSERT ON objects BEGIN
  INSERT INTO objects_search(rowid, id, name, email, description)
  VALUES(new.rowid, pn_lower(new.id), pn_lower(new.name), pn_lower(new.email), pn_lower(new.description));
END;
DROP TRIGGER IF EXISTS objects_search_update;
CREATE TRIGGER objects_search_update AFTER UPDATE OF id, name, email, description ON objects
WHEN old.id IS NOT new.id OR old.name IS NOT new.name OR old.email IS NOT new.email
  OR old.description IS NOT new.description BEGIN
  DELETE FROM objects_search WHERE rowid = old.rowid;
  INSERT INTO objects_search(rowid, id, name, email, description)
  VALUES(new.rowid, pn_lower(new.id), pn_lower(new.name), pn_lower(new.email), pn_lower(new.description));
END;
CREATE TRIGGER IF NOT EXISTS objects_search_delete AFTER DELETE ON objects BEGIN
  DELETE FROM objects_search WHERE rowid = old.rowid;
END;
"#;

/// Fills the index from `objects` when it was just created for a database that
/// already held records (one written before the index existed).
const BACKFILL: &str = "INSERT INTO objects_search(rowid, id, name, email, description)
  SELECT rowid, pn_lower(id), pn_lower(name), pn_lower(email), pn_lower(description) FROM objects";

/// Registers `pn_lower`, the folding the index is built with, on `conn`.
pub fn register(conn: &Connection) -> rusqlite::Result<()> {
    conn.create_scalar_function(
        "pn_lower",
        1,
        FunctionFlags::SQLITE_UTF8 | FunctionFlags::SQLITE_DETERMINISTIC,
        |ctx| {
            Ok(match ctx.get_raw(0) {
                rusqlite::types::ValueRef::Text(bytes) => std::str::from_utf8(bytes).ok().map(fold),
                _ => None,
            })
        },
    )
}

/// Creates the index (and fills it, for a database written before it existed).
pub fn create(conn: &Connection) -> rusqlite::Result<()> {
    let existed: bool = conn.query_row(
        "SELECT EXISTS(SELECT 1 FROM sqlite_master WHERE name = 'objects_search')",
        [],
        |r| r.get(0),
    )?;
    conn.execute_batch(SCHEMA)?;
    if !existed {
        conn.execute(BACKFILL, [])?;
    }
    Ok(())
}

/// The folding both the index and `LIKE` compare with.
fn fold(text: &str) -> String {
    text.to_lowercase()
}

/// The index column of an object field, for the lists the index covers.
fn indexed_column(target: Target, segments: &[String]) -> Option<&'static str> {
    let user = match target {
        Target::Users => true,
        Target::Channels => false,
        Target::Memberships | Target::Members => return None,
    };
    match (segments.first()?.as_str(), segments.len()) {
        ("id", 1) => Some("id"),
        ("name", 1) => Some("name"),
        ("email", 1) if user => Some("email"),
        ("description", 1) if !user => Some("description"),
        _ => None,
    }
}

/// An FTS5 string literal: the text in double quotes, inner quotes doubled.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// `column : "literal"` for each literal of three characters or more, all required.
fn terms(column: &str, pattern: &Pattern) -> Option<String> {
    let terms: Vec<String> = pattern
        .0
        .iter()
        .filter_map(|part| match part {
            PatternPart::Literal(lit) => Some(fold(lit)),
            PatternPart::Wildcard => None,
        })
        // FTS5 query text ends at a NUL: the pieces around one are required instead.
        .flat_map(|lit| lit.split('\0').map(str::to_string).collect::<Vec<_>>())
        .filter(|lit| lit.chars().count() >= 3)
        .map(|lit| format!("{column} : {}", quoted(&lit)))
        .collect();
    (!terms.is_empty()).then(|| terms.join(" AND "))
}

/// The pattern of `items` when every one is a `LIKE` with that same pattern.
fn same_pattern(items: &[Expr]) -> Option<&Pattern> {
    let mut patterns = items.iter().map(|item| match item {
        Expr::Like { pattern, .. } => Some(pattern),
        _ => None,
    });
    let first = patterns.next()??;
    patterns.all(|p| p == Some(first)).then_some(first)
}

/// The FTS5 query whose rows include every row `expr` matches, when the index can
/// narrow it: a `LIKE` on an indexed field with a literal of three characters or
/// more, and `&&`/`||` of such (an `&&` needs one narrowable side, an `||` all).
pub fn candidates(expr: &Expr, target: Target) -> Option<String> {
    match expr {
        Expr::Like { field, pattern } => terms(indexed_column(target, field.segments())?, pattern),
        // One pattern on several fields (the TUI's search: id, name and email) is one
        // lookup over those columns.
        Expr::Or(items) if same_pattern(items).is_some() => {
            let columns = items
                .iter()
                .map(|item| match item {
                    Expr::Like { field, .. } => indexed_column(target, field.segments()),
                    _ => None,
                })
                .collect::<Option<Vec<&str>>>()?;
            terms(&format!("{{{}}}", columns.join(" ")), same_pattern(items)?)
        }
        Expr::And(items) => {
            let narrowed: Vec<String> = items
                .iter()
                .filter_map(|item| candidates(item, target))
                .map(|q| format!("({q})"))
                .collect();
            (!narrowed.is_empty()).then(|| narrowed.join(" AND "))
        }
        Expr::Or(items) => {
            let narrowed = items
                .iter()
                .map(|item| candidates(item, target).map(|q| format!("({q})")))
                .collect::<Option<Vec<String>>>()?;
            (!narrowed.is_empty()).then(|| narrowed.join(" OR "))
        }
        Expr::Not(_) | Expr::Compare { .. } => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::filter::parse;

    fn q(filter: &str, target: Target) -> Option<String> {
        candidates(&parse(filter).unwrap(), target)
    }

    #[test]
    fn like_literals_of_three_characters_or_more_narrow_by_the_index() {
        assert_eq!(
            q("name LIKE '*Quartz*'", Target::Users).as_deref(),
            Some("name : \"quartz\"")
        );
        assert_eq!(
            q("id LIKE '*ab*cdE*'", Target::Users).as_deref(),
            Some("id : \"cde\"")
        );
        assert_eq!(q("name LIKE '*ab*'", Target::Users), None);
        assert_eq!(
            q("name LIKE '*abc\\u0000de\\u0000fgh*'", Target::Users).as_deref(),
            Some("name : \"abc\" AND name : \"fgh\"")
        );
        assert_eq!(
            q("email LIKE '*a\"b*'", Target::Users).as_deref(),
            Some("email : \"a\"\"b\"")
        );
    }

    #[test]
    fn an_or_narrows_only_when_every_side_does_and_an_and_when_one_does() {
        let search = "id LIKE '*zoe*' || name LIKE '*zoe*' || email LIKE '*zoe*'";
        assert_eq!(
            q(search, Target::Users).as_deref(),
            Some("{id name email} : \"zoe\"")
        );
        assert_eq!(
            q("id LIKE '*zoe*' || name LIKE '*ann*'", Target::Users).as_deref(),
            Some("(id : \"zoe\") OR (name : \"ann\")")
        );
        assert_eq!(q("name LIKE '*zoe*' || status == 'x'", Target::Users), None);
        assert_eq!(
            q("name LIKE '*zoe*' && status == 'x'", Target::Users).as_deref(),
            Some("(name : \"zoe\")")
        );
        assert_eq!(q("!(name LIKE '*zoe*')", Target::Users), None);
    }

    #[test]
    fn fields_outside_the_index_and_relation_lists_are_not_narrowed() {
        assert_eq!(q("email LIKE '*zoe*'", Target::Channels), None);
        assert_eq!(q("description LIKE '*zoe*'", Target::Users), None);
        assert_eq!(q("status LIKE '*act*'", Target::Users), None);
        assert_eq!(q("custom.x LIKE '*act*'", Target::Users), None);
        assert_eq!(q("channel.name LIKE '*zoe*'", Target::Memberships), None);
        assert_eq!(
            q("description LIKE '*zoe*'", Target::Channels).as_deref(),
            Some("description : \"zoe\"")
        );
    }
}
