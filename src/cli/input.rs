//! Checking command-line values before anything is sent: `--custom` JSON, `--include`
//! tokens, `--sort` keys and `--filter` expressions. Every problem is a usage error
//! (exit code 2) that says what was wrong and what is allowed.

use serde_json::Value;

use super::args::ListArgs;
use super::CliError;
use crate::api::rules::{self, sort_fields};
use crate::api::types::{Cursor, Custom};
use crate::api::{Include, ListOptions, PageRef, RelationInclude, SortKey};
use crate::filter::{self, Target};

/// Parses `--custom`: a JSON object whose values are strings, numbers, booleans or null.
pub fn custom(text: &str) -> Result<Custom, CliError> {
    let value: Value = serde_json::from_str(text)
        .map_err(|e| CliError::Usage(format!("--custom is not valid JSON: {e}")))?;
    custom_value(value).map_err(|m| CliError::Usage(format!("--custom {m}")))
}

/// Checks that a JSON value is a flat object of scalars.
pub fn custom_value(value: Value) -> Result<Custom, String> {
    let Value::Object(map) = value else {
        return Err(format!(
            "must be a JSON object of scalars, got {}",
            json_kind(&value)
        ));
    };
    let mut out = Custom::new();
    for (k, v) in map {
        if !rules::is_custom_value(&v) {
            return Err(format!(
                "must be a JSON object of scalars: '{k}' is {}",
                json_kind(&v)
            ));
        }
        out.insert(k, v);
    }
    Ok(out)
}

fn json_kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn tokens(text: &str) -> impl Iterator<Item = &str> {
    text.split(',').map(str::trim).filter(|t| !t.is_empty())
}

/// Parses `--include` for users or channels.
pub fn include(text: Option<&str>) -> Result<Include, CliError> {
    let Some(text) = text else {
        return Ok(Include::ALL);
    };
    let mut inc = Include::NONE;
    for t in tokens(text) {
        match t {
            "custom" => inc.custom = true,
            "status" => inc.status = true,
            "type" => inc.kind = true,
            other => {
                return Err(CliError::Usage(format!(
                    "--include: unknown field '{other}'; allowed: {}",
                    rules::include_tokens(Target::Users).join(", ")
                )))
            }
        }
    }
    Ok(inc)
}

/// Parses `--include` for memberships (`related` = `channel`) or members (`uuid`).
/// Any `channel.*` token expands the channel.
pub fn relation_include(text: Option<&str>, related: &str) -> Result<RelationInclude, CliError> {
    let Some(text) = text else {
        return Ok(RelationInclude {
            relation: Include::ALL,
            related: None,
        });
    };
    let mut inc = RelationInclude {
        relation: Include::NONE,
        related: None,
    };
    for t in tokens(text) {
        let known = if t == related {
            inc.related.get_or_insert(Include::NONE);
            true
        } else if let Some(field) = t.strip_prefix(related).and_then(|r| r.strip_prefix('.')) {
            set_field(inc.related.get_or_insert(Include::NONE), field)
        } else {
            set_field(&mut inc.relation, t)
        };
        if !known {
            return Err(unknown_include(t, related));
        }
    }
    Ok(inc)
}

fn set_field(inc: &mut Include, field: &str) -> bool {
    match field {
        "custom" => inc.custom = true,
        "status" => inc.status = true,
        "type" => inc.kind = true,
        _ => return false,
    }
    true
}

fn unknown_include(token: &str, related: &str) -> CliError {
    let target = if related == "uuid" {
        Target::Members
    } else {
        Target::Memberships
    };
    CliError::Usage(format!(
        "--include: unknown field '{token}'; allowed: {}",
        rules::include_tokens(target).join(", ")
    ))
}

/// Parses `--sort` and checks each field is sortable for `target`.
pub fn sort(text: Option<&str>, target: Target) -> Result<Vec<SortKey>, CliError> {
    let Some(text) = text else {
        return Ok(Vec::new());
    };
    let keys = SortKey::parse_list(text).map_err(|m| CliError::Usage(format!("--sort: {m}")))?;
    let allowed = sort_fields(target);
    for k in &keys {
        if !allowed.contains(&k.field.as_str()) {
            return Err(CliError::Usage(format!(
                "--sort: {target} cannot be sorted by '{}'; allowed: {}",
                k.field,
                allowed.join(", ")
            )));
        }
    }
    Ok(keys)
}

/// Checks `--filter` with the same parser the server uses; the error points at the
/// column.
pub fn filter(text: Option<&str>, target: Target) -> Result<Option<String>, CliError> {
    let Some(text) = text.filter(|t| !t.trim().is_empty()) else {
        return Ok(None);
    };
    filter::parse_for(text, target).map_err(|e| {
        let caret = " ".repeat(e.column.saturating_sub(1));
        CliError::Usage(format!(
            "--filter: {} at column {}\n  {text}\n  {caret}^",
            e.message, e.column
        ))
    })?;
    Ok(Some(text.to_string()))
}

/// The list options of `args`, checked for `target`.
pub fn list_options<I>(
    args: &ListArgs,
    target: Target,
    include: I,
) -> Result<ListOptions<I>, CliError> {
    let page = match (&args.next, &args.prev) {
        (Some(c), _) => Some(PageRef::Next(Cursor(c.clone()))),
        (None, Some(c)) => Some(PageRef::Prev(Cursor(c.clone()))),
        (None, None) => None,
    };
    Ok(ListOptions {
        limit: args.limit,
        page,
        filter: filter(args.filter.as_deref(), target)?,
        sort: sort(args.sort.as_deref(), target)?,
        include_total_count: args.count,
        include,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn custom_must_be_a_flat_object() {
        assert!(custom(r#"{"a":1,"b":"x","c":true,"d":null}"#).is_ok());
        for bad in [r#"[1]"#, r#"{"a":{"b":1}}"#, r#"{"a":[1]}"#, "nope", "3"] {
            let e = custom(bad).unwrap_err();
            assert_eq!(e.exit_code(), 2, "{bad}");
        }
    }

    #[test]
    fn relation_includes_expand_on_any_related_token() {
        let inc = relation_include(Some("custom,channel.type"), "channel").unwrap();
        assert!(inc.relation.custom && !inc.relation.status);
        assert_eq!(
            inc.related,
            Some(Include {
                custom: false,
                status: false,
                kind: true
            })
        );
        assert!(relation_include(Some("uuid"), "channel").is_err());
        assert!(relation_include(Some("channel.name"), "channel").is_err());
    }

    #[test]
    fn filter_errors_point_at_the_column() {
        let e = filter(Some("name == "), Target::Users).unwrap_err();
        assert!(e.to_string().contains("column"), "{e}");
        assert!(filter(Some("bogus == 1"), Target::Users).is_err());
        assert!(filter(Some("name LIKE 'A*'"), Target::Users)
            .unwrap()
            .is_some());
    }

    #[test]
    fn sort_fields_are_checked_per_list() {
        assert!(sort(Some("name:asc,updated:desc"), Target::Users).is_ok());
        assert!(sort(Some("email"), Target::Users).is_err());
        assert!(sort(Some("channel.name:desc"), Target::Memberships).is_ok());
    }
}
