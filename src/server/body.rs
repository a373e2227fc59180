//! Request bodies of the write operations, validated field by field. Every problem is a
//! 400 whose `details` name the field (`location`) and say what is wrong.

use serde_json::{Map, Value};

use super::error::ApiError;
use super::model::Kind;
use super::store::{ObjectPatch, RelationPatch, View};
use crate::api::types::Custom;

use crate::api::rules::{self, IdKind};
pub use crate::api::rules::{MAX_ENTRIES, MAX_RECORD_BYTES, MAX_STATUS_TYPE};

/// Checks a user id against the wire rules ([`rules::id_problem`]); the 400 names
/// `location` in the body or the path.
pub fn check_user_id(id: &str, location: &str, body: bool) -> Result<(), ApiError> {
    check_id(IdKind::User, id, location, body)
}

/// Checks a channel id against the wire rules ([`rules::id_problem`]).
pub fn check_channel_id(id: &str, location: &str, body: bool) -> Result<(), ApiError> {
    check_id(IdKind::Channel, id, location, body)
}

fn check_id(kind: IdKind, id: &str, location: &str, body: bool) -> Result<(), ApiError> {
    match rules::id_problem(kind, id) {
        None => Ok(()),
        Some(msg) if body => Err(ApiError::body(location, msg)),
        Some(msg) => Err(ApiError::path(location, msg)),
    }
}

/// Parses a body as a JSON object, whatever the content type (Ruby sends form types).
pub fn parse_json_object(bytes: &[u8]) -> Result<Map<String, Value>, ApiError> {
    let text = std::str::from_utf8(bytes)
        .map_err(|_| ApiError::body("body", "Request body must be UTF-8 encoded JSON."))?;
    if text.trim().is_empty() {
        return Err(ApiError::body(
            "body",
            "Request body must be a JSON object, got nothing.",
        ));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(_) => Err(ApiError::body(
            "body",
            "Request body must be a JSON object.",
        )),
        Err(e) => Err(ApiError::body(
            "body",
            format!("Request body is not valid JSON: {e}."),
        )),
    }
}

/// Where field `key` of the object at `prefix` is, for an error (`uuid.name`,
/// `set[3].status`): made only when there is an error to report.
fn loc(prefix: &str, key: &str) -> String {
    format!("{prefix}.{key}")
}

fn string_field(
    map: &Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<Option<String>>, ApiError> {
    match map.get(key) {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::String(s)) => Ok(Some(Some(s.clone()))),
        Some(other) => Err(ApiError::body(
            &loc(prefix, key),
            format!("{key} must be a string or null, got {}.", json_kind(other)),
        )),
    }
}

fn short_field(
    map: &Map<String, Value>,
    key: &str,
    prefix: &str,
) -> Result<Option<Option<String>>, ApiError> {
    let v = string_field(map, key, prefix)?;
    if let Some(Some(s)) = &v {
        if let Some(problem) = rules::short_field_problem(key, s) {
            return Err(ApiError::body(&loc(prefix, key), problem));
        }
    }
    Ok(v)
}

fn custom_field(
    map: &Map<String, Value>,
    prefix: &str,
) -> Result<Option<Option<Custom>>, ApiError> {
    let loc = || loc(prefix, "custom");
    match map.get("custom") {
        None => Ok(None),
        Some(Value::Null) => Ok(Some(None)),
        Some(Value::Object(obj)) => {
            let mut custom = Custom::new();
            for (k, v) in obj {
                if !rules::is_custom_value(v) {
                    return Err(ApiError::body(
                        &format!("{}.{k}", loc()),
                        format!(
                            "custom values must be strings, numbers or booleans; '{k}' is {}.",
                            json_kind(v)
                        ),
                    ));
                }
                custom.insert(k.clone(), v.clone());
            }
            custom.sort_keys();
            Ok(Some(Some(custom)))
        }
        Some(other) => Err(ApiError::body(
            &loc(),
            format!(
                "custom must be an object of scalar values or null, got {}.",
                json_kind(other)
            ),
        )),
    }
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

/// The body of set UUID / set channel metadata. Unknown keys (and `id`) are ignored.
pub fn object_patch(bytes: &[u8], kind: Kind) -> Result<ObjectPatch, ApiError> {
    let map = parse_json_object(bytes)?;
    let prefix = match kind {
        Kind::User => "uuid",
        Kind::Channel => "channel",
    };
    let mut patch = ObjectPatch {
        name: string_field(&map, "name", prefix)?,
        kind_field: short_field(&map, "type", prefix)?,
        status: short_field(&map, "status", prefix)?,
        custom: custom_field(&map, prefix)?,
        ..Default::default()
    };
    match kind {
        Kind::User => {
            patch.external_id = string_field(&map, "externalId", prefix)?;
            patch.profile_url = string_field(&map, "profileUrl", prefix)?;
            patch.email = string_field(&map, "email", prefix)?;
        }
        Kind::Channel => {
            patch.description = string_field(&map, "description", prefix)?;
        }
    }
    Ok(patch)
}

/// Counts the bytes written to it: the size of a value as JSON, without the JSON.
pub(crate) struct ByteCount(pub usize);

impl std::io::Write for ByteCount {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A parsed membership/member PATCH body.
#[derive(Debug, Default)]
pub struct ManageBody {
    pub set: Vec<RelationPatch>,
    pub delete: Vec<String>,
}

/// The body of set/remove/manage memberships (`channel` entries) or members (`uuid`
/// entries). Either array may be absent, empty or null.
pub fn manage_body(bytes: &[u8], view: View) -> Result<ManageBody, ApiError> {
    let map = parse_json_object(bytes)?;
    let key = match view {
        View::Memberships => "channel",
        View::Members => "uuid",
    };
    let mut body = ManageBody::default();
    let mut in_set = std::collections::HashSet::new();
    for list in ["set", "delete"] {
        let entries = match map.get(list) {
            None | Some(Value::Null) => continue,
            Some(Value::Array(a)) => a,
            Some(other) => {
                return Err(ApiError::body(
                    list,
                    format!("{list} must be an array or null, got {}.", json_kind(other)),
                ))
            }
        };
        for (i, entry) in entries.iter().enumerate() {
            let at = format!("{list}[{i}]");
            let Value::Object(entry) = entry else {
                return Err(ApiError::body(
                    &at,
                    format!("{at} must be an object like {{\"{key}\":{{\"id\":\"…\"}}}}."),
                ));
            };
            let id = match entry.get(key) {
                Some(Value::Object(o)) => match o.get("id") {
                    Some(Value::String(s)) => s.clone(),
                    _ => {
                        return Err(ApiError::body(
                            &format!("{at}.{key}.id"),
                            format!("{at}.{key}.id must be a string."),
                        ))
                    }
                },
                _ => {
                    return Err(ApiError::body(
                        &format!("{at}.{key}"),
                        format!("{at} needs \"{key}\": {{\"id\": \"…\"}}."),
                    ))
                }
            };
            let id_loc = format!("{at}.{key}.id");
            match view {
                View::Memberships => check_channel_id(&id, &id_loc, true)?,
                View::Members => check_user_id(&id, &id_loc, true)?,
            }
            if list == "delete" {
                if !body.delete.contains(&id) {
                    body.delete.push(id);
                }
                continue;
            }
            if !in_set.insert(id.clone()) {
                return Err(ApiError::body(
                    &id_loc,
                    format!("'{id}' appears more than once in set."),
                ));
            }
            let patch = RelationPatch {
                other_id: id,
                kind_field: short_field(entry, "type", &at)?,
                status: short_field(entry, "status", &at)?,
                custom: custom_field(entry, &at)?,
            };
            let mut size = ByteCount(0);
            let _ = serde_json::to_writer(&mut size, entry);
            let ByteCount(size) = size;
            if size > MAX_RECORD_BYTES {
                return Err(ApiError::body(
                    &at,
                    format!(
                        "{at} is {size} bytes; a record may be at most {MAX_RECORD_BYTES} bytes."
                    ),
                ));
            }
            body.set.push(patch);
        }
    }
    if let Some(id) = body.delete.iter().find(|d| in_set.contains(*d)) {
        return Err(ApiError::body(
            "delete",
            format!("'{id}' is both in set and in delete; send one or the other."),
        ));
    }
    let n = body.set.len() + body.delete.len();
    if n > MAX_ENTRIES {
        return Err(ApiError::body(
            "set",
            format!("At most {MAX_ENTRIES} set and delete entries per request, got {n}."),
        ));
    }
    Ok(body)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_problems_name_the_place() {
        let e = check_user_id("a/b", "uuid", false).unwrap_err();
        assert_eq!(e.details[0].location_type, "path");
        let e = check_channel_id("", "set[0].channel.id", true).unwrap_err();
        assert_eq!(e.details[0].location_type, "body");
        assert!(check_channel_id("..", "channel", false).is_err());
    }

    #[test]
    fn object_patch_keeps_absent_and_nulls_explicit() {
        let p = object_patch(
            br#"{"name":"A","email":null,"id":"ignored","extra":1}"#,
            Kind::User,
        )
        .unwrap();
        assert_eq!(p.name, Some(Some("A".into())));
        assert_eq!(p.email, Some(None));
        assert_eq!(p.status, None);
    }

    #[test]
    fn bad_bodies_are_refused_with_the_field_named() {
        let e = object_patch(br#"{"custom":{"a":{"b":1}}}"#, Kind::User).unwrap_err();
        assert_eq!(e.details[0].location, "uuid.custom.a");
        let e = object_patch(
            format!(r#"{{"status":"{}"}}"#, "s".repeat(51)).as_bytes(),
            Kind::Channel,
        )
        .unwrap_err();
        assert_eq!(e.details[0].location, "channel.status");
        assert!(object_patch(b"not json", Kind::User).is_err());
        assert!(object_patch(b"[1]", Kind::User).is_err());
        assert!(object_patch(br#"{"name":5}"#, Kind::User).is_err());
    }

    #[test]
    fn manage_bodies_accept_sdk_variants() {
        let b = manage_body(
            br#"{"set":null,"delete":[{"channel":{"id":"a"},"custom":null}]}"#,
            View::Memberships,
        )
        .unwrap();
        assert_eq!(b.delete, vec!["a".to_string()]);
        let b = manage_body(
            br#"{"set":[{"uuid":{"id":"u"},"status":"","type":"","custom":null}]}"#,
            View::Members,
        )
        .unwrap();
        assert_eq!(b.set[0].status, Some(Some(String::new())));
        assert!(manage_body(
            br#"{"set":[{"channel":{"id":"a"}}],"delete":[{"channel":{"id":"a"}}]}"#,
            View::Memberships
        )
        .is_err());
        assert!(manage_body(br#"{"set":[{"channel":"a"}]}"#, View::Memberships).is_err());
    }
}
