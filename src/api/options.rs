//! The parameters of App Context requests, as plain structs with SDK-like defaults:
//! what to `include`, how to `sort`, which page, and the bodies of writes.

use std::fmt;

use serde::Serialize;

use super::types::{Channel, Cursor, Custom, ETag, Maybe, User};

/// Page size limit PubNub documents (and the default).
pub const MAX_LIMIT: u32 = 100;

/// Which optional fields of a user or channel to include. The default follows the
/// SDK documentation: `status` and `type` yes, `custom` no.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Include {
    pub custom: bool,
    pub status: bool,
    /// `type` on the wire.
    pub kind: bool,
}

impl Default for Include {
    fn default() -> Self {
        Include {
            custom: false,
            status: true,
            kind: true,
        }
    }
}

impl Include {
    /// Nothing optional.
    pub const NONE: Include = Include {
        custom: false,
        status: false,
        kind: false,
    };
    /// `custom`, `status` and `type`.
    pub const ALL: Include = Include {
        custom: true,
        status: true,
        kind: true,
    };

    /// The include tokens, prefixed (`channel.custom`) when `prefix` is given.
    fn push_tokens(&self, prefix: Option<&str>, out: &mut Vec<String>) {
        let name = |t: &str| match prefix {
            Some(p) => format!("{p}.{t}"),
            None => t.to_string(),
        };
        if self.custom {
            out.push(name("custom"));
        }
        if self.status {
            out.push(name("status"));
        }
        if self.kind {
            out.push(name("type"));
        }
    }
}

/// What to include in membership/member items: the relation's own fields, and
/// whether to expand the related channel (memberships) or user (members) and with
/// which of its optional fields. The default includes the relation's `status` and
/// `type` and does not expand.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RelationInclude {
    /// The relation's own `custom`, `status` and `type`.
    pub relation: Include,
    /// `Some` expands the related object (`include=channel` / `uuid`), adding the
    /// optional fields chosen (`channel.custom`, `channel.status`, `channel.type`).
    pub related: Option<Include>,
}

impl RelationInclude {
    /// Every relation field and the related object with every field.
    pub const ALL: RelationInclude = RelationInclude {
        relation: Include::ALL,
        related: Some(Include::ALL),
    };
}

/// Turns include flags into the `include` query value.
pub trait IncludeParam {
    /// The comma-separated tokens; `related` is `channel` or `uuid`.
    fn include_value(&self, related: &str) -> String;
}

impl IncludeParam for Include {
    fn include_value(&self, _related: &str) -> String {
        let mut out = Vec::new();
        self.push_tokens(None, &mut out);
        out.join(",")
    }
}

impl IncludeParam for RelationInclude {
    fn include_value(&self, related: &str) -> String {
        let mut out = Vec::new();
        self.relation.push_tokens(None, &mut out);
        if let Some(r) = &self.related {
            out.push(related.to_string());
            r.push_tokens(Some(related), &mut out);
        }
        out.join(",")
    }
}

/// Sort direction.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum SortDirection {
    #[default]
    Asc,
    Desc,
}

/// One sort key: a field (`name`, `updated`, `channel.name`, …) and a direction.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SortKey {
    pub field: String,
    pub direction: SortDirection,
}

impl SortKey {
    /// Ascending by `field`.
    pub fn asc(field: impl Into<String>) -> SortKey {
        SortKey {
            field: field.into(),
            direction: SortDirection::Asc,
        }
    }

    /// Descending by `field`.
    pub fn desc(field: impl Into<String>) -> SortKey {
        SortKey {
            field: field.into(),
            direction: SortDirection::Desc,
        }
    }

    /// Parses `name:asc,updated:desc` (a key without direction is ascending).
    pub fn parse_list(text: &str) -> Result<Vec<SortKey>, String> {
        let mut keys = Vec::new();
        for part in text.split(',').map(str::trim) {
            if part.is_empty() {
                return Err(format!("empty sort key in '{text}'"));
            }
            let (field, direction) = match part.split_once(':') {
                None => (part, SortDirection::Asc),
                Some((f, d)) => match d.trim().to_ascii_lowercase().as_str() {
                    "asc" => (f.trim(), SortDirection::Asc),
                    "desc" => (f.trim(), SortDirection::Desc),
                    other => {
                        return Err(format!(
                            "sort direction must be asc or desc, got '{other}' in '{part}'"
                        ))
                    }
                },
            };
            if field.is_empty() {
                return Err(format!("sort key '{part}' has no field"));
            }
            keys.push(SortKey {
                field: field.to_string(),
                direction,
            });
        }
        Ok(keys)
    }
}

impl fmt::Display for SortKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let dir = match self.direction {
            SortDirection::Asc => "asc",
            SortDirection::Desc => "desc",
        };
        write!(f, "{}:{dir}", self.field)
    }
}

/// Which page to fetch: after a `next` cursor (`start`) or before a `prev` cursor
/// (`end`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum PageRef {
    Next(Cursor),
    Prev(Cursor),
}

/// The parameters of a list request. `I` is [`Include`] for users and channels,
/// [`RelationInclude`] for memberships and members.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListOptions<I> {
    /// Page size, 1–100 (`limit`); the server's default (100) when `None`.
    pub limit: Option<u32>,
    /// Which page; the first when `None`.
    pub page: Option<PageRef>,
    /// A filter expression (`filter`), e.g. `name LIKE 'A*'`.
    pub filter: Option<String>,
    /// Sort keys, most significant first (`sort`).
    pub sort: Vec<SortKey>,
    /// Ask for `totalCount` (`count=true`).
    pub include_total_count: bool,
    /// Optional fields and expansions (`include`).
    pub include: I,
}

/// Options of a user or channel list.
pub type ObjectListOptions = ListOptions<Include>;
/// Options of a membership or member list (also shape what relation writes return).
pub type RelationListOptions = ListOptions<RelationInclude>;

/// Options of set user / set channel.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SetOptions {
    /// Optional fields of the object returned.
    pub include: Include,
    /// Sent as `If-Match`: the write fails with 412 if the stored eTag differs.
    pub if_match: Option<ETag>,
}

/// The body of set user: fields left [`Maybe::Absent`] keep their stored value,
/// [`Maybe::Null`] clears, a value sets. `custom` replaces the whole stored map.
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserFields {
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub name: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub external_id: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub profile_url: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub email: Maybe<String>,
    #[serde(rename = "type", skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
}

impl From<&User> for UserFields {
    /// Every field of `user`, so a set writes exactly what it holds.
    fn from(u: &User) -> Self {
        UserFields {
            name: Maybe::present(u.name.clone()),
            external_id: Maybe::present(u.external_id.clone()),
            profile_url: Maybe::present(u.profile_url.clone()),
            email: Maybe::present(u.email.clone()),
            kind: u.kind.clone(),
            status: u.status.clone(),
            custom: u.custom.clone(),
        }
    }
}

/// The body of set channel; same rules as [`UserFields`].
#[derive(Clone, Debug, Default, PartialEq, Serialize)]
pub struct ChannelFields {
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub name: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub description: Maybe<String>,
    #[serde(rename = "type", skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
}

impl From<&Channel> for ChannelFields {
    fn from(c: &Channel) -> Self {
        ChannelFields {
            name: Maybe::present(c.name.clone()),
            description: Maybe::present(c.description.clone()),
            kind: c.kind.clone(),
            status: c.status.clone(),
            custom: c.custom.clone(),
        }
    }
}

/// One membership (a channel id, seen from a user) or member (a user id, seen from a
/// channel) to set or remove: a plain id, or with the relation's custom/status/type.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RelationEntry {
    /// The channel id (memberships) or user id (members).
    pub id: String,
    pub custom: Maybe<Custom>,
    pub status: Maybe<String>,
    pub kind: Maybe<String>,
}

impl RelationEntry {
    /// Just the id.
    pub fn id(id: impl Into<String>) -> RelationEntry {
        RelationEntry {
            id: id.into(),
            ..Default::default()
        }
    }

    /// With `custom`.
    pub fn with_custom(mut self, custom: Custom) -> RelationEntry {
        self.custom = Maybe::Value(custom);
        self
    }

    /// With `status`.
    pub fn with_status(mut self, status: impl Into<String>) -> RelationEntry {
        self.status = Maybe::Value(status.into());
        self
    }

    /// With `type`.
    pub fn with_type(mut self, kind: impl Into<String>) -> RelationEntry {
        self.kind = Maybe::Value(kind.into());
        self
    }
}

impl From<&str> for RelationEntry {
    fn from(id: &str) -> Self {
        RelationEntry::id(id)
    }
}

impl From<String> for RelationEntry {
    fn from(id: String) -> Self {
        RelationEntry::id(id)
    }
}

/// A membership/member write: entries to set, entries to delete, and an optional
/// `If-Match` (the Python SDK offers it on every App Context call).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RelationChange {
    pub set: Vec<RelationEntry>,
    pub delete: Vec<RelationEntry>,
    pub if_match: Option<ETag>,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn include_values_follow_the_wire_tokens() {
        assert_eq!(Include::default().include_value("x"), "status,type");
        assert_eq!(Include::ALL.include_value("x"), "custom,status,type");
        let r = RelationInclude {
            relation: Include {
                custom: true,
                status: false,
                kind: false,
            },
            related: Some(Include {
                custom: true,
                status: false,
                kind: true,
            }),
        };
        assert_eq!(
            r.include_value("channel"),
            "custom,channel,channel.custom,channel.type"
        );
        assert_eq!(
            RelationInclude::default().include_value("uuid"),
            "status,type"
        );
    }

    #[test]
    fn sort_lists_parse_with_directions() {
        let keys = SortKey::parse_list("name:asc, updated:DESC,id").unwrap();
        assert_eq!(
            keys,
            vec![
                SortKey::asc("name"),
                SortKey::desc("updated"),
                SortKey::asc("id")
            ]
        );
        let text: Vec<String> = keys.iter().map(|k| k.to_string()).collect();
        assert_eq!(text.join(","), "name:asc,updated:desc,id:asc");
        assert!(SortKey::parse_list("name:up").is_err());
        assert!(SortKey::parse_list("name,,id").is_err());
        assert!(SortKey::parse_list(":asc").is_err());
    }

    #[test]
    fn absent_fields_are_left_out_of_set_bodies() {
        let f = UserFields {
            name: Maybe::Value("Alice".into()),
            email: Maybe::Null,
            ..Default::default()
        };
        assert_eq!(
            serde_json::to_string(&f).unwrap(),
            r#"{"name":"Alice","email":null}"#
        );
    }
}
