//! The export format: JSON Lines, one record per line, each with a `kind`.
//!
//! ```text
//! {"kind":"header","format":"appctx-export","version":1}
//! {"kind":"user","id":"u1","name":"Ann","externalId":null,"profileUrl":null,"email":null,"type":null,"status":"active","custom":{"tier":"gold"}}
//! {"kind":"channel","id":"c1","name":"General","description":null,"type":null,"status":null,"custom":null}
//! {"kind":"membership","user":"u1","channel":"c1","type":null,"status":null,"custom":{"role":"admin"}}
//! ```
//!
//! Users come first, then channels, then memberships, so an import with referential
//! integrity on creates both ends before the relation. Export writes every field
//! (`null` when unset). On import a field left out of a record keeps the stored value
//! and `null` clears it; `updated` and `eTag` (written with `export --meta`) are
//! ignored, since the server assigns them.

use serde::{Deserialize, Serialize};

use crate::api::types::{Channel, Custom, Maybe, Member, Membership, User};
use crate::api::{ChannelFields, RelationEntry, UserFields};

/// `format` of the header line.
pub const FORMAT: &str = "appctx-export";
/// The version this build writes and reads.
pub const VERSION: u32 = 1;

/// One line of an export.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "lowercase")]
pub enum Record {
    Header(Header),
    User(UserRecord),
    Channel(ChannelRecord),
    Membership(MembershipRecord),
}

impl Record {
    /// The `kind` a line starts with (`{"kind":"user",…`, spaces allowed) and the
    /// rest of the line after its comma, read without parsing the line; `None` for a
    /// line whose first key is not a plain `kind` string.
    fn split_kind(line: &str) -> Option<(&str, &str)> {
        let ws = |s: &str| -> usize { s.len() - s.trim_start().len() };
        let rest = line.strip_prefix('{')?;
        let rest = rest[ws(rest)..].strip_prefix("\"kind\"")?;
        let rest = rest[ws(rest)..].strip_prefix(':')?;
        let rest = rest[ws(rest)..].strip_prefix('"')?;
        let end = rest.find(['"', '\\'])?;
        let (kind, after) = rest.split_at(end);
        let after = after.strip_prefix('"')?;
        let after = after[ws(after)..].strip_prefix(',')?;
        Some((kind, after))
    }

    /// The `kind` a line starts with (see [`Record::parse`]), read without parsing it.
    pub fn leading_kind(line: &str) -> Option<&str> {
        Record::split_kind(line).map(|(kind, _)| kind)
    }

    /// Reads one line. A line whose first key is `kind` (as this tool writes them) is
    /// read straight into that record's type; any other line goes through serde's
    /// tagged form (which first copies the whole object into a buffer), as does a line
    /// the direct read refuses, so the answer and any error are the tagged form's.
    pub fn parse(line: &str) -> serde_json::Result<Record> {
        let direct = Record::split_kind(line).and_then(|(kind, rest)| {
            let text = format!("{{{rest}");
            match kind {
                "membership" => serde_json::from_str(&text).map(Record::Membership).ok(),
                "user" => serde_json::from_str(&text).map(Record::User).ok(),
                "channel" => serde_json::from_str(&text).map(Record::Channel).ok(),
                _ => None,
            }
        });
        match direct {
            Some(record) => Ok(record),
            None => serde_json::from_str(line),
        }
    }
}

/// The first line: what this file is.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Header {
    pub format: String,
    pub version: u32,
}

impl Header {
    /// This build's header.
    pub fn current() -> Header {
        Header {
            format: FORMAT.to_string(),
            version: VERSION,
        }
    }
}

/// Server-assigned `updated` and `eTag`, written only with `--meta`.
fn meta(updated: &str, etag: &str, with: bool) -> (Option<String>, Option<String>) {
    if with {
        (Some(updated.to_string()), Some(etag.to_string()))
    } else {
        (None, None)
    }
}

/// A user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct UserRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub name: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub external_id: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub profile_url: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub email: Maybe<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(rename = "eTag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl UserRecord {
    /// The record of a user read with `include=custom,status,type`.
    pub fn from_user(u: &User, meta_too: bool) -> UserRecord {
        let f = UserFields::from(u);
        let (updated, etag) = meta(&u.updated, &u.etag, meta_too);
        UserRecord {
            id: u.user_id.clone(),
            name: f.name,
            external_id: f.external_id,
            profile_url: f.profile_url,
            email: f.email,
            kind: f.kind,
            status: f.status,
            custom: f.custom,
            updated,
            etag,
        }
    }

    /// The set-user body that writes this record.
    pub fn fields(&self) -> UserFields {
        UserFields {
            name: self.name.clone(),
            external_id: self.external_id.clone(),
            profile_url: self.profile_url.clone(),
            email: self.email.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            custom: self.custom.clone(),
        }
    }

    /// True when `u` already holds every field this record names.
    pub fn matches(&self, u: &User) -> bool {
        same(&self.name, &u.name)
            && same(&self.external_id, &u.external_id)
            && same(&self.profile_url, &u.profile_url)
            && same(&self.email, &u.email)
            && same_maybe(&self.kind, &u.kind)
            && same_maybe(&self.status, &u.status)
            && same_maybe(&self.custom, &u.custom)
    }
}

/// A channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ChannelRecord {
    pub id: String,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub name: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub description: Maybe<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(rename = "eTag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

impl ChannelRecord {
    /// The record of a channel read with `include=custom,status,type`.
    pub fn from_channel(c: &Channel, meta_too: bool) -> ChannelRecord {
        let f = ChannelFields::from(c);
        let (updated, etag) = meta(&c.updated, &c.etag, meta_too);
        ChannelRecord {
            id: c.channel_id.clone(),
            name: f.name,
            description: f.description,
            kind: f.kind,
            status: f.status,
            custom: f.custom,
            updated,
            etag,
        }
    }

    /// The set-channel body that writes this record.
    pub fn fields(&self) -> ChannelFields {
        ChannelFields {
            name: self.name.clone(),
            description: self.description.clone(),
            kind: self.kind.clone(),
            status: self.status.clone(),
            custom: self.custom.clone(),
        }
    }

    /// True when `c` already holds every field this record names.
    pub fn matches(&self, c: &Channel) -> bool {
        same(&self.name, &c.name)
            && same(&self.description, &c.description)
            && same_maybe(&self.kind, &c.kind)
            && same_maybe(&self.status, &c.status)
            && same_maybe(&self.custom, &c.custom)
    }
}

/// A membership: user `user` belongs to channel `channel`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MembershipRecord {
    pub user: String,
    pub channel: String,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub updated: Option<String>,
    #[serde(rename = "eTag", default, skip_serializing_if = "Option::is_none")]
    pub etag: Option<String>,
}

/// The relation fields as read from the server, from either side.
#[derive(Clone, Debug, PartialEq)]
pub struct RelationState {
    pub kind: Maybe<String>,
    pub status: Maybe<String>,
    pub custom: Maybe<Custom>,
    pub updated: String,
    pub etag: String,
}

impl From<&Membership> for RelationState {
    fn from(m: &Membership) -> Self {
        RelationState {
            kind: m.kind.clone(),
            status: m.status.clone(),
            custom: m.custom.clone(),
            updated: m.updated.clone(),
            etag: m.etag.clone(),
        }
    }
}

impl From<&Member> for RelationState {
    fn from(m: &Member) -> Self {
        RelationState {
            kind: m.kind.clone(),
            status: m.status.clone(),
            custom: m.custom.clone(),
            updated: m.updated.clone(),
            etag: m.etag.clone(),
        }
    }
}

impl MembershipRecord {
    /// The record of a relation read with `include=custom,status,type`.
    pub fn new(user: &str, channel: &str, r: &RelationState, meta_too: bool) -> MembershipRecord {
        let (updated, etag) = meta(&r.updated, &r.etag, meta_too);
        MembershipRecord {
            user: user.to_string(),
            channel: channel.to_string(),
            kind: present(&r.kind),
            status: present(&r.status),
            custom: present(&r.custom),
            updated,
            etag,
        }
    }

    /// The set-memberships entry that writes this record.
    pub fn entry(&self) -> RelationEntry {
        RelationEntry {
            id: self.channel.clone(),
            custom: self.custom.clone(),
            status: self.status.clone(),
            kind: self.kind.clone(),
        }
    }

    /// True when the stored relation holds every field this record names.
    pub fn matches(&self, r: &RelationState) -> bool {
        same_maybe(&self.kind, &r.kind)
            && same_maybe(&self.status, &r.status)
            && same_maybe(&self.custom, &r.custom)
    }
}

/// A field read with `include` is present; an absent one is written as null.
fn present<T: Clone>(m: &Maybe<T>) -> Maybe<T> {
    match m {
        Maybe::Value(v) => Maybe::Value(v.clone()),
        _ => Maybe::Null,
    }
}

fn same<T: PartialEq>(want: &Maybe<T>, have: &Option<T>) -> bool {
    match want {
        Maybe::Absent => true,
        Maybe::Null => have.is_none(),
        Maybe::Value(v) => have.as_ref() == Some(v),
    }
}

fn same_maybe<T: PartialEq>(want: &Maybe<T>, have: &Maybe<T>) -> bool {
    match want {
        Maybe::Absent => true,
        Maybe::Null => have.as_ref().is_none(),
        Maybe::Value(v) => have.as_ref() == Some(v),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Reading a line directly gives what the tagged form gives, errors included.
    #[test]
    fn parse_reads_lines_as_the_tagged_form_does() {
        let lines = [
            r#"{"kind":"user","id":"u","name":"N","custom":{"a":1.5,"b":null}}"#,
            r#"{"kind":"channel","id":"c","description":"d \" \u0085"}"#,
            r#"{"kind":"membership","user":"u","channel":"c","status":null,"custom":{"r":"x"}}"#,
            r#"{"kind":"membership","user":"u","channel":"c","updated":"2020-01-01T00:00:00Z","eTag":"e"}"#,
            r#"{"id":"u","kind":"user"}"#,
            r#"{"kind":"user"}"#,
            r#"{"kind":"user","id":"u","nmae":"N"}"#,
            r#"{"kind":"user","id":"u","kind":"channel"}"#,
            r#"{"kind":"user","id":"u"} trailing"#,
            r#"{"kind":"membership","user":"u"}"#,
            r#"{"kind":"space","id":"u"}"#,
            r#"{"kind": "user", "id": "spaced"}"#,
            r#"{ "kind" : "membership" ,"user":"u", "channel" : "c", "custom": {"a": [1]}}"#,
            r#"{"kind":"user","id":"u",}"#,
            r#"{"kind":"user",,"id":"u"}"#,
            "{\"kind\":\"user\",\n\"id\":\"u\"}",
            r#"{"kind":"header","format":"appctx-export","version":1}"#,
            "not json",
        ];
        assert_eq!(Record::leading_kind(lines[0]), Some("user"));
        assert_eq!(Record::leading_kind(lines[2]), Some("membership"));
        assert_eq!(Record::leading_kind(lines[4]), None);
        assert_eq!(Record::leading_kind(lines[5]), None);
        assert_eq!(Record::leading_kind(r#"{"kind":"us\"er","id":"x"}"#), None);
        assert_eq!(
            Record::leading_kind(r#"{ "kind" : "user" , "id": "x"}"#),
            Some("user")
        );
        for line in lines {
            let tagged = serde_json::from_str::<Record>(line);
            let direct = Record::parse(line);
            match (&tagged, &direct) {
                (Ok(a), Ok(b)) => assert_eq!(a, b, "{line}"),
                (Err(a), Err(b)) => assert_eq!(a.to_string(), b.to_string(), "{line}"),
                _ => panic!("{line}: {tagged:?} vs {direct:?}"),
            }
        }
    }

    #[test]
    fn records_round_trip_with_kind_tags() {
        let lines = [
            r#"{"kind":"header","format":"appctx-export","version":1}"#,
            r#"{"kind":"user","id":"u1","name":"Ann","externalId":null,"profileUrl":null,"email":null,"type":null,"status":"active","custom":{"a":1,"b":"x"}}"#,
            r#"{"kind":"channel","id":"c1","name":null,"description":"d","type":"t","status":null,"custom":null,"updated":"2025-01-01T00:00:00Z","eTag":"e"}"#,
            r#"{"kind":"membership","user":"u1","channel":"c1","type":null,"status":null,"custom":{"role":"admin"}}"#,
        ];
        for line in lines {
            let r: Record = serde_json::from_str(line).unwrap();
            assert_eq!(serde_json::to_string(&r).unwrap(), line);
        }
    }

    #[test]
    fn absent_fields_are_kept_and_unknown_ones_refused() {
        let r: Record = serde_json::from_str(r#"{"kind":"user","id":"u","name":"N"}"#).unwrap();
        let Record::User(u) = r else { panic!() };
        assert!(u.email.is_absent());
        assert_eq!(
            serde_json::to_string(&u.fields()).unwrap(),
            r#"{"name":"N"}"#
        );
        assert!(serde_json::from_str::<Record>(r#"{"kind":"user","id":"u","nmae":"N"}"#).is_err());
        assert!(serde_json::from_str::<Record>(r#"{"kind":"space","id":"u"}"#).is_err());
    }
}
