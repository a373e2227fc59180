//! Which fields each App Context endpoint can filter on: validation for
//! [`parse_for`](super::parse_for), resolution for query builders, and field
//! names for Tab completion.

use std::fmt;

use super::Field;

/// The kind of list a filter applies to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Target {
    /// `GET /v2/objects/{sub}/uuids`
    Users,
    /// `GET /v2/objects/{sub}/channels`
    Channels,
    /// A user's channel memberships (`.../uuids/{uuid}/channels`).
    Memberships,
    /// A channel's members (`.../channels/{channel}/uuids`).
    Members,
}

impl Target {
    /// Lower-case name used in messages (`"users"`, ...).
    pub fn as_str(self) -> &'static str {
        match self {
            Target::Users => "users",
            Target::Channels => "channels",
            Target::Memberships => "memberships",
            Target::Members => "members",
        }
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

const USER_COLUMNS: &[&str] = &[
    "id",
    "name",
    "externalId",
    "profileUrl",
    "email",
    "status",
    "type",
    "updated",
];
const CHANNEL_COLUMNS: &[&str] = &["id", "name", "description", "status", "type", "updated"];
const RELATION_COLUMNS: &[&str] = &["status", "type", "updated"];

const USER_NAMES: &[&str] = &[
    "id",
    "name",
    "externalId",
    "profileUrl",
    "email",
    "status",
    "type",
    "updated",
    "custom.",
];
const CHANNEL_NAMES: &[&str] = &[
    "id",
    "name",
    "description",
    "status",
    "type",
    "updated",
    "custom.",
];
const MEMBERSHIP_NAMES: &[&str] = &[
    "channel.id",
    "channel.name",
    "channel.description",
    "channel.status",
    "channel.type",
    "channel.updated",
    "channel.custom.",
    "status",
    "type",
    "updated",
    "custom.",
];
const MEMBER_NAMES: &[&str] = &[
    "uuid.id",
    "uuid.name",
    "uuid.externalId",
    "uuid.profileUrl",
    "uuid.email",
    "uuid.status",
    "uuid.type",
    "uuid.updated",
    "uuid.custom.",
    "status",
    "type",
    "updated",
    "custom.",
];

/// Every filterable field name for `target`, for Tab completion; custom
/// fields appear as a `"custom."` (or `"channel.custom."`, `"uuid.custom."`)
/// prefix.
pub fn field_names(target: Target) -> &'static [&'static str] {
    match target {
        Target::Users => USER_NAMES,
        Target::Channels => CHANNEL_NAMES,
        Target::Memberships => MEMBERSHIP_NAMES,
        Target::Members => MEMBER_NAMES,
    }
}

/// What a valid field refers to, for turning a filter into a query.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum FieldRef<'a> {
    /// A built-in property such as `name` or `channel.updated`.
    Column {
        /// `None` for the listed object itself (or, for memberships and
        /// members, the relation); `Some("channel")` / `Some("uuid")` for the
        /// related object.
        entity: Option<&'static str>,
        /// The property name, e.g. `"externalId"`.
        name: &'a str,
    },
    /// A custom property such as `custom.tier` or `uuid.custom["a b"]`.
    Custom {
        /// As for [`FieldRef::Column`].
        entity: Option<&'static str>,
        /// The key inside `custom`.
        key: &'a str,
    },
}

/// Checks that `field` is filterable for `target` and says what it refers to;
/// the error is a message naming the field and the valid choices.
pub fn resolve_field(field: &Field, target: Target) -> Result<FieldRef<'_>, String> {
    let segs = field.segments();
    let (entity, rest, columns) = match (target, segs.first().map(String::as_str)) {
        (Target::Users, _) => (None, segs, USER_COLUMNS),
        (Target::Channels, _) => (None, segs, CHANNEL_COLUMNS),
        (Target::Memberships, Some("channel")) => (Some("channel"), &segs[1..], CHANNEL_COLUMNS),
        (Target::Members, Some("uuid")) => (Some("uuid"), &segs[1..], USER_COLUMNS),
        (Target::Memberships | Target::Members, _) => (None, segs, RELATION_COLUMNS),
    };
    let custom_prefix = match entity {
        Some(e) => format!("{e}.custom"),
        None => "custom".to_string(),
    };
    match rest {
        [] => Err(format!(
            "'{field}' needs a field name after it, e.g. {field}.name"
        )),
        [c] if c == "custom" => Err(format!(
            "'{field}' needs a key, e.g. {custom_prefix}.tier"
        )),
        [c, key] if c == "custom" => {
            if key.is_empty() {
                Err(format!("custom key in '{field}' must not be empty"))
            } else {
                Ok(FieldRef::Custom { entity, key })
            }
        }
        [c, ..] if c == "custom" => Err(format!(
            "'{field}': custom fields take exactly one key (e.g. {custom_prefix}.tier); nested keys are not filterable"
        )),
        [name] if columns.contains(&name.as_str()) => Ok(FieldRef::Column { entity, name }),
        _ => Err(unknown_field(field, target)),
    }
}

fn unknown_field(field: &Field, target: Target) -> String {
    let names = field_names(target);
    let list: Vec<String> = names
        .iter()
        .map(|n| match n.strip_suffix('.') {
            Some(prefix) => format!("{prefix}.<key>"),
            None => (*n).to_string(),
        })
        .collect();
    let text = field.to_string();
    let hint = names
        .iter()
        .find(|n| !n.ends_with('.') && n.eq_ignore_ascii_case(&text))
        .map(|n| format!(" (did you mean '{n}'?)"))
        .unwrap_or_default();
    format!(
        "unknown field '{text}' for {target}{hint}; filterable fields: {}",
        list.join(", ")
    )
}
