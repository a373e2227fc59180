//! Query parameters of App Context requests: `include`, `limit`, `start`/`end`, `count`,
//! `sort` and `filter`, parsed and checked strictly (every problem is a 400 that says
//! which parameter and why).

use base64::Engine;

use super::error::ApiError;
use crate::filter::{self, Expr, Target};

/// The raw query as ordered, percent-decoded pairs (repeated keys kept).
#[derive(Debug, Default, Clone)]
pub struct Query(pub Vec<(String, String)>);

impl Query {
    /// Splits and percent-decodes a raw query string. `+` stays a plus sign: PubNub
    /// clients encode spaces as `%20`. A key or value that does not decode to UTF-8 is
    /// a 400 naming it (never a silent U+FFFD).
    pub fn parse(raw: Option<&str>) -> Result<Query, ApiError> {
        let Some(raw) = raw else {
            return Ok(Query::default());
        };
        let pairs = raw
            .split('&')
            .filter(|p| !p.is_empty())
            .map(|p| {
                let (k, v) = p.split_once('=').unwrap_or((p, ""));
                let key = decode(k).ok_or_else(|| {
                    ApiError::query("query", "A query parameter name is not UTF-8 once decoded.")
                })?;
                let value = decode(v).ok_or_else(|| {
                    ApiError::query(&key, format!("{key} is not UTF-8 once percent-decoded."))
                })?;
                Ok((key, value))
            })
            .collect::<Result<_, ApiError>>()?;
        Ok(Query(pairs))
    }

    /// The first value of `key`.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    /// Every value of `key`, in order.
    pub fn all<'a>(&'a self, key: &'a str) -> impl Iterator<Item = &'a str> + 'a {
        self.0
            .iter()
            .filter(move |(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

fn decode(s: &str) -> Option<String> {
    percent_encoding::percent_decode_str(s)
        .decode_utf8()
        .ok()
        .map(|c| c.into_owned())
}

/// What `include` asked for.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Include {
    pub custom: bool,
    pub status: bool,
    pub kind: bool,
    /// Expand the related channel (memberships) or user (members).
    pub related: bool,
    pub related_custom: bool,
    pub related_status: bool,
    pub related_kind: bool,
}

impl Include {
    /// Parses `include` for a target. `channel.custom` / `uuid.custom` imply the
    /// expansion (as recorded); `.status`/`.type` only add fields to an expansion that
    /// was asked for (spec §14.9: our choice). `totalCount` is accepted and ignored,
    /// as PubNub does.
    pub fn parse(q: &Query, target: Target) -> Result<Include, ApiError> {
        let mut inc = Include::default();
        let rel = match target {
            Target::Memberships => Some("channel"),
            Target::Members => Some("uuid"),
            _ => None,
        };
        for value in q.all("include") {
            for token in value.split(',').map(str::trim).filter(|t| !t.is_empty()) {
                match token {
                    "custom" => inc.custom = true,
                    "status" => inc.status = true,
                    "type" => inc.kind = true,
                    "totalCount" => {}
                    t if rel == Some(t) => inc.related = true,
                    t if rel.is_some_and(|r| t.strip_prefix(r) == Some(".custom")) => {
                        inc.related = true;
                        inc.related_custom = true;
                    }
                    t if rel.is_some_and(|r| t.strip_prefix(r) == Some(".status")) => {
                        inc.related_status = true
                    }
                    t if rel.is_some_and(|r| t.strip_prefix(r) == Some(".type")) => {
                        inc.related_kind = true
                    }
                    other => {
                        let allowed = crate::api::rules::include_tokens(target).join(", ");
                        return Err(ApiError::query(
                            "include",
                            format!("Unknown include value '{other}'. Allowed values: {allowed}."),
                        ));
                    }
                }
            }
        }
        Ok(inc)
    }
}

/// A sort key: a column and a direction.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SortKey {
    pub field: String,
    pub descending: bool,
}

pub use crate::api::rules::sort_fields;

/// A parsed list request.
#[derive(Debug, Clone)]
pub struct ListParams {
    pub limit: u64,
    /// Offset of the first item to return.
    pub offset: u64,
    /// Whether `start` was sent (then `prev` echoes it).
    pub had_start: bool,
    pub count: bool,
    pub sort: Vec<SortKey>,
    pub filter: Option<Expr>,
}

/// Default and maximum page size.
pub const MAX_LIMIT: u64 = 100;

/// Most comparisons (`==`, `LIKE`, …) in one filter: each costs a pass over every
/// candidate row (the query budget bounds the rest).
pub const MAX_FILTER_TERMS: usize = 200;

/// The comparisons in a filter.
fn terms(e: &Expr) -> usize {
    match e {
        Expr::Or(items) | Expr::And(items) => items.iter().map(terms).sum(),
        Expr::Not(inner) => terms(inner),
        Expr::Compare { .. } | Expr::Like { .. } => 1,
    }
}

impl ListParams {
    /// Parses the list parameters of a request for `target`.
    pub fn parse(q: &Query, target: Target) -> Result<ListParams, ApiError> {
        let limit = match q.get("limit") {
            None => MAX_LIMIT,
            Some(v) => match v.trim().parse::<u64>() {
                Ok(n) if (1..=MAX_LIMIT).contains(&n) => n,
                _ => {
                    return Err(ApiError::query(
                        "limit",
                        format!("limit must be a whole number from 1 to {MAX_LIMIT}, got '{v}'."),
                    ))
                }
            },
        };
        let count = match q.get("count") {
            None => false,
            Some(v) => parse_bool(v).ok_or_else(|| {
                ApiError::query("count", format!("count must be true or false, got '{v}'."))
            })?,
        };
        let (offset, limit, had_start) = if let Some(start) = q.get("start") {
            (decode_cursor(start, "start")?, limit, true)
        } else if let Some(end) = q.get("end") {
            // Items before `end`: [end - limit, end).
            let end = decode_cursor(end, "end")?;
            (end.saturating_sub(limit), limit.min(end), false)
        } else {
            (0, limit, false)
        };
        let mut sort = Vec::new();
        for value in q.all("sort") {
            for part in value.split(',').map(str::trim).filter(|p| !p.is_empty()) {
                let key = parse_sort_key(part, target)?;
                // Each field once, so there are never more keys than fields.
                if sort.iter().any(|k: &SortKey| k.field == key.field) {
                    return Err(ApiError::query(
                        "sort",
                        format!("Sort field '{}' is given more than once.", key.field),
                    ));
                }
                sort.push(key);
            }
        }
        let filter = match q.get("filter") {
            None => None,
            Some(text) if text.trim().is_empty() => None,
            Some(text) => Some(
                filter::parse_for(text, target)
                    .map_err(|e| ApiError::query("filter", format!("Invalid filter: {e}.")))?,
            ),
        };
        if let Some(n) = filter.as_ref().map(terms).filter(|n| *n > MAX_FILTER_TERMS) {
            return Err(ApiError::query(
                "filter",
                format!("Invalid filter: {n} comparisons; at most {MAX_FILTER_TERMS} are allowed."),
            ));
        }
        Ok(ListParams {
            limit,
            offset,
            had_start,
            count,
            sort,
            filter,
        })
    }
}

fn parse_sort_key(part: &str, target: Target) -> Result<SortKey, ApiError> {
    let (field, dir) = match part.rsplit_once(':') {
        Some((f, d)) => (f.trim(), Some(d.trim())),
        None => (part, None),
    };
    let descending = match dir.map(str::to_ascii_lowercase).as_deref() {
        None | Some("asc") => false,
        Some("desc") => true,
        Some(other) => {
            return Err(ApiError::query(
                "sort",
                format!("Sort direction must be asc or desc, got '{other}' in '{part}'."),
            ))
        }
    };
    let allowed = sort_fields(target);
    if !allowed.contains(&field) {
        return Err(ApiError::query(
            "sort",
            format!(
                "Unknown sort field '{field}'. Allowed fields: {}.",
                allowed.join(", ")
            ),
        ));
    }
    Ok(SortKey {
        field: field.to_string(),
        descending,
    })
}

/// `true`/`True`/`1` and `false`/`False`/`0`, as SDKs send them.
pub fn parse_bool(v: &str) -> Option<bool> {
    match v.trim().to_ascii_lowercase().as_str() {
        "true" | "1" => Some(true),
        "false" | "0" => Some(false),
        _ => None,
    }
}

/// A cursor is the base64 (standard alphabet, no padding) of a decimal offset.
pub fn encode_cursor(offset: u64) -> String {
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(offset.to_string())
}

/// Decodes a cursor; anything else is a 400 naming the parameter.
pub fn decode_cursor(text: &str, param: &str) -> Result<u64, ApiError> {
    let bad = || {
        ApiError::query(
            param,
            format!("Malformed {param} cursor '{text}': pass back a next or prev value from an earlier page."),
        )
    };
    let trimmed = text.trim_end_matches('=');
    let bytes = base64::engine::general_purpose::STANDARD_NO_PAD
        .decode(trimmed)
        .map_err(|_| bad())?;
    let digits = std::str::from_utf8(&bytes).map_err(|_| bad())?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    digits.parse::<u64>().map_err(|_| bad())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_are_base64_offsets_like_pubnub() {
        for (n, c) in [(1, "MQ"), (2, "Mg"), (10, "MTA"), (15, "MTU"), (16, "MTY")] {
            assert_eq!(encode_cursor(n), c);
            assert_eq!(decode_cursor(c, "start").ok(), Some(n));
        }
        assert!(decode_cursor("!!", "start").is_err());
        assert!(decode_cursor("YWJj", "start").is_err()); // "abc"
    }

    #[test]
    fn include_rejects_unknown_tokens_and_ignores_total_count() {
        let q = Query::parse(Some("include=custom%2Cstatus,totalCount")).unwrap();
        let inc = Include::parse(&q, Target::Users).unwrap();
        assert!(inc.custom && inc.status && !inc.kind);
        let q = Query::parse(Some("include=channel")).unwrap();
        assert!(Include::parse(&q, Target::Users).is_err());
        let inc = Include::parse(
            &Query::parse(Some("include=channel.custom")).unwrap(),
            Target::Memberships,
        )
        .unwrap();
        assert!(inc.related && inc.related_custom);
    }

    #[test]
    fn sort_accepts_comma_and_repeated_forms() {
        let q = Query::parse(Some("sort=name:desc,updated&sort=id%3Aasc")).unwrap();
        let p = ListParams::parse(&q, Target::Users).unwrap();
        let keys: Vec<_> = p
            .sort
            .iter()
            .map(|k| (k.field.as_str(), k.descending))
            .collect();
        assert_eq!(
            keys,
            vec![("name", true), ("updated", false), ("id", false)]
        );
        let q = Query::parse(Some("sort=email")).unwrap();
        assert!(ListParams::parse(&q, Target::Users).is_err());
    }

    #[test]
    fn limit_and_count_are_checked() {
        for bad in [
            "limit=0",
            "limit=101",
            "limit=-1",
            "limit=ten",
            "count=maybe",
        ] {
            assert!(
                ListParams::parse(&Query::parse(Some(bad)).unwrap(), Target::Users).is_err(),
                "{bad}"
            );
        }
        let p = ListParams::parse(
            &Query::parse(Some("count=True&limit=10")).unwrap(),
            Target::Users,
        )
        .unwrap();
        assert!(p.count);
        assert_eq!(p.limit, 10);
    }

    #[test]
    fn end_cursor_pages_backwards() {
        let p = ListParams::parse(
            &Query::parse(Some("end=MTU&limit=10")).unwrap(),
            Target::Users,
        )
        .unwrap();
        assert_eq!((p.offset, p.limit), (5, 10));
        let p = ListParams::parse(
            &Query::parse(Some("end=Mw&limit=10")).unwrap(),
            Target::Users,
        )
        .unwrap();
        assert_eq!((p.offset, p.limit), (0, 3));
    }
}
