//! The wire rules of App Context, defined once: ids, field lengths, record size, custom
//! value types, sort fields and include tokens. The local server enforces them; the
//! client, the CLI's import and the TUI's editor check input with them before sending,
//! so what one side accepts the other does too.

use serde_json::Value;

use crate::filter::Target;

/// Longest user or channel id, in bytes of UTF-8 (spec §2).
pub const MAX_ID_BYTES: usize = 92;
/// Characters an id must not contain (spec §2).
pub const ID_FORBIDDEN: &[char] = &[',', '/', '\\', '*', ':'];
/// Longest `status` / `type`, in characters.
pub const MAX_STATUS_TYPE: usize = 50;
/// Largest record (object or relation) as JSON, in bytes (spec §13).
pub const MAX_RECORD_BYTES: usize = 32 * 1024;
/// Most `set` + `delete` entries in one membership/member PATCH (PubNub has a cap whose
/// value is not documented; spec §14.10).
pub const MAX_ENTRIES: usize = 100;
/// Longest subscribe key, in bytes (PubNub's are `sub-c-` and a UUID: 42 bytes).
pub const MAX_SUB_KEY_BYTES: usize = 92;

/// Which kind of id a rule is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IdKind {
    User,
    Channel,
}

impl IdKind {
    fn noun(self) -> &'static str {
        match self {
            IdKind::User => "User id",
            IdKind::Channel => "Channel id",
        }
    }
}

/// What is wrong with a user or channel id, if anything. Channel ids follow the user-id
/// rules, since a channel id is also the name of the channel its events go to (spec §2
/// leaves channel ids open). `.` and `..` are refused: an id is one path segment
/// (spec §2), and URL parsers (WHATWG, RFC 3986 §5.2.4) remove those segments, `%2E`
/// spelt or not, so no SDK could ever read, change or delete such a record.
pub fn id_problem(kind: IdKind, id: &str) -> Option<String> {
    let what = kind.noun();
    if id.is_empty() {
        Some(format!("{what} must not be empty."))
    } else if id.len() > MAX_ID_BYTES {
        Some(format!(
            "{what} must be at most {MAX_ID_BYTES} bytes of UTF-8, got {}.",
            id.len()
        ))
    } else if id.chars().any(char::is_control) {
        Some(format!("{what} must not contain control characters."))
    } else if id.contains(ID_FORBIDDEN) {
        Some(format!("{what} must not contain any of , / \\ * :"))
    } else if id == "." || id == ".." {
        Some(format!(
            "{what} must not be '.' or '..': URLs cannot address them."
        ))
    } else {
        None
    }
}

/// Checks a user id; the error says what is wrong.
pub fn check_user_id(id: &str) -> Result<(), String> {
    id_problem(IdKind::User, id).map_or(Ok(()), Err)
}

/// Checks a channel id; the error says what is wrong.
pub fn check_channel_id(id: &str) -> Result<(), String> {
    id_problem(IdKind::Channel, id).map_or(Ok(()), Err)
}

/// What is wrong with a subscribe key in a path, if anything: it names a keyset the
/// server keeps, so it is short, printable ASCII and one path segment.
pub fn sub_key_problem(key: &str) -> Option<String> {
    if key.is_empty() {
        Some("The subscribe key must not be empty.".to_string())
    } else if key.len() > MAX_SUB_KEY_BYTES {
        Some(format!(
            "The subscribe key must be at most {MAX_SUB_KEY_BYTES} bytes, got {}.",
            key.len()
        ))
    } else if !key
        .bytes()
        .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_' | b'.'))
        || key == "."
        || key == ".."
    {
        Some("The subscribe key may hold only letters, digits, '-', '_' and '.'.".to_string())
    } else {
        None
    }
}

/// What is wrong with a `status` or `type` value, if anything.
pub fn short_field_problem(key: &str, value: &str) -> Option<String> {
    let n = value.chars().count();
    (n > MAX_STATUS_TYPE)
        .then(|| format!("{key} must be at most {MAX_STATUS_TYPE} characters, got {n}."))
}

/// Whether a value may be stored in `custom`: a string, number, boolean or null.
pub fn is_custom_value(v: &Value) -> bool {
    !matches!(v, Value::Array(_) | Value::Object(_))
}

/// The id prefix PubNub's Chat SDK gives the records it keeps for itself (e.g.
/// `PUBNUB_INTERNAL_MODERATION_<channel>` channels and memberships holding bans and
/// mutes). Tools such as BizOps Workspace show them apart and do not edit them
/// casually (spec §16.7).
pub const INTERNAL_PREFIX: &str = "PUBNUB_INTERNAL";

/// Whether an id is one of those records.
pub fn is_internal_id(id: &str) -> bool {
    id.starts_with(INTERNAL_PREFIX)
}

/// The field that orders a target's rows by their id: with no `sort` the order, and
/// after any `sort` the tiebreak, is by it ascending (spec §6).
pub fn id_sort_field(target: Target) -> &'static str {
    match target {
        Target::Users | Target::Channels => "id",
        Target::Memberships => "channel.id",
        Target::Members => "uuid.id",
    }
}

/// The exact reverse of `sort` on `target`: every key's direction flipped, then the
/// id descending (the tiebreak the server applies ascending), so the first page of the
/// reverse is the last page of `sort`, backwards. How a client reaches the end of a
/// million rows with one request.
pub fn reverse_sort(target: Target, sort: &[crate::api::SortKey]) -> Vec<crate::api::SortKey> {
    use crate::api::{SortDirection, SortKey};
    let id = id_sort_field(target);
    let mut out: Vec<SortKey> = sort
        .iter()
        .map(|k| SortKey {
            field: k.field.clone(),
            direction: match k.direction {
                SortDirection::Asc => SortDirection::Desc,
                SortDirection::Desc => SortDirection::Asc,
            },
        })
        .collect();
    if !sort.iter().any(|k| k.field == id) {
        out.push(SortKey::desc(id));
    }
    out
}

/// Sortable fields per target (spec §6).
pub fn sort_fields(target: Target) -> &'static [&'static str] {
    match target {
        Target::Users => &["id", "name", "updated", "type", "status"],
        Target::Channels => &["id", "name", "description", "updated", "type", "status"],
        Target::Memberships => &[
            "channel.id",
            "channel.name",
            "channel.description",
            "channel.updated",
            "channel.status",
            "channel.type",
            "updated",
            "status",
            "type",
        ],
        Target::Members => &[
            "uuid.id",
            "uuid.name",
            "uuid.updated",
            "uuid.status",
            "uuid.type",
            "updated",
            "status",
            "type",
        ],
    }
}

/// The `include` tokens of a target (spec §3.7), besides `totalCount`, which the server
/// accepts and ignores.
pub fn include_tokens(target: Target) -> &'static [&'static str] {
    match target {
        Target::Users | Target::Channels => &["custom", "status", "type"],
        Target::Memberships => &[
            "custom",
            "status",
            "type",
            "channel",
            "channel.custom",
            "channel.status",
            "channel.type",
        ],
        Target::Members => &[
            "custom",
            "status",
            "type",
            "uuid",
            "uuid.custom",
            "uuid.status",
            "uuid.type",
        ],
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_ids_follow_pubnub_rules() {
        assert!(check_user_id("alice").is_ok());
        assert!(check_user_id("ünï-çødé_1.2").is_ok());
        assert!(check_user_id("...").is_ok());
        for bad in [
            "", "a,b", "a/b", "a\\b", "a*b", "a:b", "a\u{1}b", "a\0", ".", "..",
        ] {
            assert!(check_user_id(bad).is_err(), "{bad:?}");
            assert!(check_channel_id(bad).is_err(), "{bad:?}");
        }
        assert!(check_user_id(&"x".repeat(92)).is_ok());
        assert!(check_user_id(&"x".repeat(93)).is_err());
    }

    #[test]
    fn sub_keys_are_short_printable_segments() {
        for good in [
            "demo",
            "sub-c-0123abcd-ef01-2345-6789-abcdef012345",
            "k_1.x",
        ] {
            assert!(sub_key_problem(good).is_none(), "{good}");
        }
        let long = "k".repeat(93);
        for bad in ["", "a b", "ü", "a/b", "..", long.as_str()] {
            assert!(sub_key_problem(bad).is_some(), "{bad:?}");
        }
    }

    #[test]
    fn every_sort_field_is_distinct() {
        for t in [
            Target::Users,
            Target::Channels,
            Target::Memberships,
            Target::Members,
        ] {
            let mut f = sort_fields(t).to_vec();
            f.sort();
            f.dedup();
            assert_eq!(f.len(), sort_fields(t).len());
        }
    }

    #[test]
    fn the_reverse_sort_flips_every_key_and_ends_on_the_id() {
        use crate::api::SortKey;
        assert_eq!(reverse_sort(Target::Users, &[]), vec![SortKey::desc("id")]);
        assert_eq!(
            reverse_sort(
                Target::Memberships,
                &[SortKey::asc("channel.name"), SortKey::desc("updated")]
            ),
            vec![
                SortKey::desc("channel.name"),
                SortKey::asc("updated"),
                SortKey::desc("channel.id")
            ]
        );
        assert_eq!(
            reverse_sort(Target::Channels, &[SortKey::desc("id")]),
            vec![SortKey::asc("id")],
            "the id already orders: not twice"
        );
    }
}
