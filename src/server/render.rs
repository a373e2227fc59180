//! Stored rows to wire objects, shaped by `include` (spec §3): a field that was not
//! asked for is absent, one that was asked for but never set is `null`.

use serde::Serialize;
use serde_json::value::RawValue;

use super::model::{format_updated, Kind, ObjectRow};
use super::params::Include;
use super::store::{ObjectView, RelationWithObject, View};
use crate::api::types::{Channel, Maybe, Member, Membership, Related, User};

fn pick<T: Clone>(wanted: bool, v: &Option<T>) -> Maybe<T> {
    if wanted {
        Maybe::present(v.clone())
    } else {
        Maybe::Absent
    }
}

/// A user, with `type`/`status`/`custom` as asked for.
pub fn user(row: &ObjectRow, custom: bool, status: bool, kind: bool) -> User {
    User {
        user_id: row.id.clone(),
        name: row.name.clone(),
        external_id: row.external_id.clone(),
        profile_url: row.profile_url.clone(),
        email: row.email.clone(),
        kind: pick(kind, &row.kind_field),
        status: pick(status, &row.status),
        custom: pick(custom, &row.custom),
        updated: format_updated(row.updated),
        etag: row.etag.clone(),
    }
}

/// A channel, with `type`/`status`/`custom` as asked for.
pub fn channel(row: &ObjectRow, custom: bool, status: bool, kind: bool) -> Channel {
    Channel {
        channel_id: row.id.clone(),
        name: row.name.clone(),
        description: row.description.clone(),
        kind: pick(kind, &row.kind_field),
        status: pick(status, &row.status),
        custom: pick(custom, &row.custom),
        updated: format_updated(row.updated),
        etag: row.etag.clone(),
    }
}

/// A user or channel, serialized straight to the answer's bytes.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum Obj {
    User(User),
    Channel(Channel),
}

/// A membership or member item.
#[derive(serde::Serialize)]
#[serde(untagged)]
pub enum Rel {
    Membership(Membership),
    Member(Member),
}

/// A user or channel shaped by `include`.
pub fn object(kind: Kind, row: &ObjectRow, inc: &Include) -> Obj {
    match kind {
        Kind::User => Obj::User(user(row, inc.custom, inc.status, inc.kind)),
        Kind::Channel => Obj::Channel(channel(row, inc.custom, inc.status, inc.kind)),
    }
}

/// [`object`] from a row the caller is done with: its strings and `custom` move into
/// the answer instead of being copied (a page renders 100 of them).
pub fn object_from(kind: Kind, row: ObjectRow, inc: &Include) -> Obj {
    let take = |wanted: bool, v: Option<String>| {
        if wanted {
            Maybe::present(v)
        } else {
            Maybe::Absent
        }
    };
    let updated = format_updated(row.updated);
    let custom = if inc.custom {
        Maybe::present(row.custom)
    } else {
        Maybe::Absent
    };
    match kind {
        Kind::User => Obj::User(User {
            user_id: row.id,
            name: row.name,
            external_id: row.external_id,
            profile_url: row.profile_url,
            email: row.email,
            kind: take(inc.kind, row.kind_field),
            status: take(inc.status, row.status),
            custom,
            updated,
            etag: row.etag,
        }),
        Kind::Channel => Obj::Channel(Channel {
            channel_id: row.id,
            name: row.name,
            description: row.description,
            kind: take(inc.kind, row.kind_field),
            status: take(inc.status, row.status),
            custom,
            updated,
            etag: row.etag,
        }),
    }
}

/// A user as [`User`] serializes it, borrowing every string from the stored row.
#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct UserJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    external_id: Option<&'a str>,
    profile_url: Option<&'a str>,
    email: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Maybe::is_absent")]
    kind: Maybe<&'a str>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    status: Maybe<&'a str>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    custom: Maybe<&'a RawValue>,
    updated: String,
    #[serde(rename = "eTag")]
    etag: &'a str,
}

/// A channel as [`Channel`] serializes it, borrowing every string from the stored row.
#[derive(Serialize)]
struct ChannelJson<'a> {
    id: &'a str,
    name: Option<&'a str>,
    description: Option<&'a str>,
    #[serde(rename = "type", skip_serializing_if = "Maybe::is_absent")]
    kind: Maybe<&'a str>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    status: Maybe<&'a str>,
    #[serde(skip_serializing_if = "Maybe::is_absent")]
    custom: Maybe<&'a RawValue>,
    updated: String,
    #[serde(rename = "eTag")]
    etag: &'a str,
}

/// A user or channel shaped by `include`, as the JSON [`object`] would serialize to,
/// written straight from the stored row: no owned copy of the row, and `custom` is
/// the stored JSON text (checked to be JSON, never parsed into a map and written
/// again; the store writes it with sorted keys, which is what a re-serialization
/// gives). A list page renders 100 of these; this is most of its cost.
pub fn object_json(
    kind: Kind,
    row: &ObjectView<'_>,
    inc: &Include,
) -> serde_json::Result<Box<RawValue>> {
    fn wanted(wanted: bool, v: Option<&str>) -> Maybe<&str> {
        match wanted {
            true => Maybe::present(v),
            false => Maybe::Absent,
        }
    }
    let custom = match (inc.custom, row.custom) {
        (false, _) => Maybe::Absent,
        (true, None) => Maybe::Null,
        (true, Some(text)) => Maybe::Value(serde_json::from_str::<&RawValue>(text)?),
    };
    let updated = format_updated(row.updated);
    match kind {
        Kind::User => serde_json::value::to_raw_value(&UserJson {
            id: row.id,
            name: row.name,
            external_id: row.external_id,
            profile_url: row.profile_url,
            email: row.email,
            kind: wanted(inc.kind, row.kind_field),
            status: wanted(inc.status, row.status),
            custom,
            updated,
            etag: row.etag,
        }),
        Kind::Channel => serde_json::value::to_raw_value(&ChannelJson {
            id: row.id,
            name: row.name,
            description: row.description,
            kind: wanted(inc.kind, row.kind_field),
            status: wanted(inc.status, row.status),
            custom,
            updated,
            etag: row.etag,
        }),
    }
}

/// A membership or member item shaped by `include`.
pub fn relation(view: View, item: &RelationWithObject, inc: &Include) -> Rel {
    let r = &item.relation;
    let expanded = if inc.related {
        item.other.as_ref()
    } else {
        None
    };
    let kind = pick(inc.kind, &r.kind_field);
    let status = pick(inc.status, &r.status);
    let custom = pick(inc.custom, &r.custom);
    let updated = format_updated(r.updated);
    match view {
        View::Memberships => Rel::Membership(Membership {
            channel: match expanded {
                Some(o) => Related::Expanded(channel(
                    o,
                    inc.related_custom,
                    inc.related_status,
                    inc.related_kind,
                )),
                None => Related::Id {
                    id: r.channel_id.clone(),
                },
            },
            kind,
            status,
            custom,
            updated,
            etag: r.etag.clone(),
        }),
        View::Members => Rel::Member(Member {
            uuid: match expanded {
                Some(o) => Related::Expanded(user(
                    o,
                    inc.related_custom,
                    inc.related_status,
                    inc.related_kind,
                )),
                None => Related::Id {
                    id: r.user_id.clone(),
                },
            },
            kind,
            status,
            custom,
            updated,
            etag: r.etag.clone(),
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Custom;

    /// Rendered from the stored row, a listed user or channel is byte for byte what
    /// rendering its owned copy gives, for every `include`, both kinds, and text and
    /// `custom` values that need escaping or that a number formatter could change.
    #[test]
    fn object_json_is_object() {
        let dir = tempfile::tempdir().unwrap();
        let store = super::super::store::Store::open(&dir.path().join("r.db"), false).unwrap();
        let odd = "q\"uote\\ back \u{1} \u{7f} é 😀 \u{2028} \u{85} \u{202e}";
        let mut custom = Custom::new();
        for (k, v) in [
            ("tier", serde_json::json!("gold")),
            (odd, serde_json::json!(odd)),
            ("f", serde_json::json!(0.1)),
            ("big", serde_json::json!(1e100)),
            ("neg", serde_json::json!(-0.000_001_5)),
            ("u", serde_json::json!(u64::MAX)),
            ("i", serde_json::json!(i64::MIN)),
            ("b", serde_json::json!(false)),
            ("n", serde_json::Value::Null),
        ] {
            custom.insert(k.to_string(), v);
        }
        let row = |id: &str, custom: Option<Custom>, updated: i64| ObjectRow {
            id: id.into(),
            name: Some(odd.into()),
            description: Some("d".into()),
            external_id: Some("x".into()),
            profile_url: None,
            email: Some("e@x".into()),
            kind_field: Some("t".into()),
            status: None,
            custom,
            updated,
            etag: "E".into(),
        };
        let rows = [
            row("a", Some(custom), 1_700_000_000_000_001),
            row("b", Some(Custom::new()), 1_700_000_000_000_000),
            row("c", None, 1_700_000_000_120_000),
            ObjectRow {
                id: "d".into(),
                ..Default::default()
            },
        ];
        for kind in [Kind::User, Kind::Channel] {
            let objects: Vec<_> = rows.iter().map(|r| (kind, r.clone())).collect();
            store.bulk_load("k", &objects, &[]).unwrap();
            let p = super::super::params::ListParams {
                limit: 100,
                offset: 0,
                had_start: false,
                count: false,
                sort: Vec::new(),
                filter: None,
            };
            for bits in 0..8 {
                let inc = Include {
                    custom: bits & 1 != 0,
                    status: bits & 2 != 0,
                    kind: bits & 4 != 0,
                    ..Default::default()
                };
                let (owned, _) = store.list_objects("k", kind, &p).unwrap();
                let owned: Vec<String> = owned
                    .iter()
                    .map(|r| serde_json::to_string(&object(kind, r, &inc)).unwrap())
                    .collect();
                let (direct, _) = store
                    .list_objects_as("k", kind, &p, |v| {
                        Ok(object_json(kind, &v, &inc).unwrap().get().to_string())
                    })
                    .unwrap();
                assert_eq!(owned.len(), 4);
                assert_eq!(direct, owned, "{kind:?} {bits}");
            }
        }
    }

    /// The moving renderer answers exactly what the copying one does, for every
    /// `include` and both kinds.
    #[test]
    fn object_from_is_object() {
        let mut custom = Custom::new();
        custom.insert("tier".into(), serde_json::json!("gold"));
        let rows = [
            ObjectRow {
                id: "a".into(),
                name: Some("A".into()),
                description: Some("d".into()),
                external_id: Some("x".into()),
                profile_url: Some("p".into()),
                email: Some("e".into()),
                kind_field: Some("t".into()),
                status: Some("s".into()),
                custom: Some(custom),
                updated: 1_700_000_000_000_001,
                etag: "E".into(),
            },
            ObjectRow {
                id: "b".into(),
                ..Default::default()
            },
        ];
        for row in &rows {
            for kind in [Kind::User, Kind::Channel] {
                for bits in 0..8 {
                    let inc = Include {
                        custom: bits & 1 != 0,
                        status: bits & 2 != 0,
                        kind: bits & 4 != 0,
                        ..Default::default()
                    };
                    let copied = serde_json::to_string(&object(kind, row, &inc)).unwrap();
                    let moved =
                        serde_json::to_string(&object_from(kind, row.clone(), &inc)).unwrap();
                    assert_eq!(moved, copied, "{kind:?} {bits}");
                }
            }
        }
    }
}
