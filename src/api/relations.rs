//! Operations 9–16 of the wire spec (§4): a user's memberships and a channel's
//! members — list, set, remove, manage. Every write is one PATCH whose body says what
//! to set and delete, and whose answer is the resulting list (§8.3).

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde::ser::SerializeMap;
use serde::{Serialize, Serializer};

use super::client::{Client, Request};
use super::error::Error;
use super::objects::id_segment;
use super::options::{RelationChange, RelationEntry, RelationListOptions};
use super::paging::Pager;
use super::types::{Custom, Maybe, Member, Membership, Page};

/// Which side of the relation the call is made from.
#[derive(Clone, Copy)]
enum Side {
    /// `/uuids/{user}/channels`: entries name channels.
    Memberships,
    /// `/channels/{channel}/uuids`: entries name users.
    Members,
}

impl Side {
    fn owner(self) -> (&'static str, &'static str) {
        match self {
            Side::Memberships => ("uuids", "user"),
            Side::Members => ("channels", "channel"),
        }
    }
    fn collection(self) -> &'static str {
        match self {
            Side::Memberships => "channels",
            Side::Members => "uuids",
        }
    }
    /// The key naming the other end in entries, and the `include` expansion token.
    fn related(self) -> &'static str {
        match self {
            Side::Memberships => "channel",
            Side::Members => "uuid",
        }
    }
}

impl Client {
    /// A user's memberships, one page (`get_memberships`).
    pub async fn list_memberships(
        &self,
        user_id: &str,
        opts: &RelationListOptions,
    ) -> Result<Page<Membership>, Error> {
        self.list_relations(Side::Memberships, user_id, opts).await
    }

    /// Every page of a user's memberships.
    pub fn memberships_pager(
        &self,
        user_id: &str,
        opts: RelationListOptions,
    ) -> Result<Pager<Membership>, Error> {
        self.relation_pager(Side::Memberships, user_id, opts)
    }

    /// Adds or updates memberships (`set_memberships`); answers the user's resulting
    /// memberships, shaped by `opts`.
    pub async fn set_memberships(
        &self,
        user_id: &str,
        entries: &[RelationEntry],
        opts: &RelationListOptions,
    ) -> Result<Page<Membership>, Error> {
        let change = RelationChange {
            set: entries.to_vec(),
            ..Default::default()
        };
        self.manage_memberships(user_id, &change, opts).await
    }

    /// Removes memberships (`remove_memberships`).
    pub async fn remove_memberships(
        &self,
        user_id: &str,
        entries: &[RelationEntry],
        opts: &RelationListOptions,
    ) -> Result<Page<Membership>, Error> {
        let change = RelationChange {
            delete: entries.to_vec(),
            ..Default::default()
        };
        self.manage_memberships(user_id, &change, opts).await
    }

    /// Sets and removes memberships in one call (`manage_memberships`).
    pub async fn manage_memberships(
        &self,
        user_id: &str,
        change: &RelationChange,
        opts: &RelationListOptions,
    ) -> Result<Page<Membership>, Error> {
        self.manage_relations(Side::Memberships, user_id, change, opts)
            .await
    }

    /// A channel's members, one page (`get_channel_members`).
    pub async fn list_members(
        &self,
        channel_id: &str,
        opts: &RelationListOptions,
    ) -> Result<Page<Member>, Error> {
        self.list_relations(Side::Members, channel_id, opts).await
    }

    /// Every page of a channel's members.
    pub fn members_pager(
        &self,
        channel_id: &str,
        opts: RelationListOptions,
    ) -> Result<Pager<Member>, Error> {
        self.relation_pager(Side::Members, channel_id, opts)
    }

    /// Adds or updates members (`set_channel_members`).
    pub async fn set_members(
        &self,
        channel_id: &str,
        entries: &[RelationEntry],
        opts: &RelationListOptions,
    ) -> Result<Page<Member>, Error> {
        let change = RelationChange {
            set: entries.to_vec(),
            ..Default::default()
        };
        self.manage_members(channel_id, &change, opts).await
    }

    /// Removes members (`remove_channel_members`).
    pub async fn remove_members(
        &self,
        channel_id: &str,
        entries: &[RelationEntry],
        opts: &RelationListOptions,
    ) -> Result<Page<Member>, Error> {
        let change = RelationChange {
            delete: entries.to_vec(),
            ..Default::default()
        };
        self.manage_members(channel_id, &change, opts).await
    }

    /// Sets and removes members in one call (`manage_channel_members`).
    pub async fn manage_members(
        &self,
        channel_id: &str,
        change: &RelationChange,
        opts: &RelationListOptions,
    ) -> Result<Page<Member>, Error> {
        self.manage_relations(Side::Members, channel_id, change, opts)
            .await
    }

    fn relation_path(&self, side: Side, owner_id: &str) -> Result<String, Error> {
        let (owner, what) = side.owner();
        self.path(&[owner, &id_segment(owner_id, what)?, side.collection()])
    }

    fn relation_pager<T: DeserializeOwned>(
        &self,
        side: Side,
        owner_id: &str,
        opts: RelationListOptions,
    ) -> Result<Pager<T>, Error> {
        let req = Request::new(Method::GET, self.relation_path(side, owner_id)?);
        Ok(Pager::new(self.clone(), req, opts, side.related()))
    }

    async fn list_relations<T: DeserializeOwned>(
        &self,
        side: Side,
        owner_id: &str,
        opts: &RelationListOptions,
    ) -> Result<Page<T>, Error> {
        let req = Request::new(Method::GET, self.relation_path(side, owner_id)?)
            .list_params(opts, side.related());
        self.send(req).await
    }

    async fn manage_relations<T: DeserializeOwned>(
        &self,
        side: Side,
        owner_id: &str,
        change: &RelationChange,
        opts: &RelationListOptions,
    ) -> Result<Page<T>, Error> {
        let (_, what) = side.owner();
        self.check_write(&format!(
            "change the {} of {what} '{owner_id}'",
            side_noun(side)
        ))?;
        let related = side.related();
        for e in change.set.iter().chain(&change.delete) {
            id_segment(&e.id, related)?;
        }
        let set: Vec<_> = change.set.iter().map(|e| e.body(related)).collect();
        let delete: Vec<_> = change
            .delete
            .iter()
            .map(|e| e.body(related).id_only())
            .collect();
        let bytes = change_body(&set, &delete)
            .map_err(|e| Error::InvalidInput(format!("cannot encode the change: {e}")))?;
        let mut req = Request::new(Method::PATCH, self.relation_path(side, owner_id)?)
            .list_params(opts, related)
            .json_body(bytes);
        req.if_match = change.if_match.as_ref().map(|t| t.0.clone());
        self.send(req).await
    }
}

fn side_noun(side: Side) -> &'static str {
    match side {
        Side::Memberships => "memberships",
        Side::Members => "members",
    }
}

/// One entry of a relation change as the client sends it:
/// `{"channel":{"id":…},"custom":…,"status":…,"type":…}` (`uuid` for members), the
/// fields that are not absent; in `delete`, the id only. Written straight from the
/// borrowed fields (`appctx import` checks every line of a file with it).
pub(crate) struct EntryBody<'a> {
    pub related: &'a str,
    pub id: &'a str,
    pub custom: &'a Maybe<Custom>,
    pub status: &'a Maybe<String>,
    pub kind: &'a Maybe<String>,
}

impl<'a> EntryBody<'a> {
    /// The entry without its fields (as `delete` sends it).
    pub(crate) fn id_only(self) -> EntryBody<'a> {
        const ABSENT_CUSTOM: &Maybe<Custom> = &Maybe::Absent;
        const ABSENT_TEXT: &Maybe<String> = &Maybe::Absent;
        EntryBody {
            custom: ABSENT_CUSTOM,
            status: ABSENT_TEXT,
            kind: ABSENT_TEXT,
            ..self
        }
    }
}

impl RelationEntry {
    fn body<'a>(&'a self, related: &'a str) -> EntryBody<'a> {
        EntryBody {
            related,
            id: &self.id,
            custom: &self.custom,
            status: &self.status,
            kind: &self.kind,
        }
    }
}

impl Serialize for EntryBody<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct IdOnly<'a> {
            id: &'a str,
        }
        let mut m = s.serialize_map(None)?;
        m.serialize_entry(self.related, &IdOnly { id: self.id })?;
        if !self.custom.is_absent() {
            m.serialize_entry("custom", self.custom)?;
        }
        if !self.status.is_absent() {
            m.serialize_entry("status", self.status)?;
        }
        if !self.kind.is_absent() {
            m.serialize_entry("type", self.kind)?;
        }
        m.end()
    }
}

/// The body of a relation change: `{"set":[…]}`, `{"delete":[…]}` or both (an empty
/// change is an empty `set`).
pub(crate) fn change_body(set: &[EntryBody], delete: &[EntryBody]) -> serde_json::Result<Vec<u8>> {
    #[derive(Serialize)]
    struct Change<'a> {
        #[serde(skip_serializing_if = "Option::is_none")]
        set: Option<&'a [EntryBody<'a>]>,
        #[serde(skip_serializing_if = "<[_]>::is_empty")]
        delete: &'a [EntryBody<'a>],
    }
    let with_set = !set.is_empty() || delete.is_empty();
    serde_json::to_vec(&Change {
        set: with_set.then_some(set),
        delete,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn text(e: EntryBody) -> String {
        serde_json::to_string(&e).unwrap()
    }

    #[test]
    fn entries_are_plain_ids_or_carry_fields() {
        let room = RelationEntry::id("room");
        assert_eq!(text(room.body("channel")), r#"{"channel":{"id":"room"}}"#);
        let mut custom = Custom::new();
        custom.insert("role".into(), json!("admin"));
        let full = RelationEntry::id("bob")
            .with_custom(custom)
            .with_status("active")
            .with_type("staff");
        assert_eq!(
            text(full.body("uuid")),
            r#"{"uuid":{"id":"bob"},"custom":{"role":"admin"},"status":"active","type":"staff"}"#
        );
        assert_eq!(
            text(full.body("uuid").id_only()),
            r#"{"uuid":{"id":"bob"}}"#
        );
        let cleared = RelationEntry {
            status: Maybe::Null,
            ..RelationEntry::id("c\"1")
        };
        assert_eq!(
            text(cleared.body("channel")),
            r#"{"channel":{"id":"c\"1"},"status":null}"#
        );
    }

    #[test]
    fn a_change_sends_set_delete_or_both_and_an_empty_one_an_empty_set() {
        let (a, b) = (RelationEntry::id("a"), RelationEntry::id("b"));
        let body = |set: &[&RelationEntry], delete: &[&RelationEntry]| {
            let set: Vec<_> = set.iter().map(|e| e.body("channel")).collect();
            let delete: Vec<_> = delete.iter().map(|e| e.body("channel").id_only()).collect();
            String::from_utf8(change_body(&set, &delete).unwrap()).unwrap()
        };
        assert_eq!(body(&[], &[]), r#"{"set":[]}"#);
        assert_eq!(body(&[&a], &[]), r#"{"set":[{"channel":{"id":"a"}}]}"#);
        assert_eq!(body(&[], &[&b]), r#"{"delete":[{"channel":{"id":"b"}}]}"#);
        assert_eq!(
            body(&[&a], &[&b]),
            r#"{"set":[{"channel":{"id":"a"}}],"delete":[{"channel":{"id":"b"}}]}"#
        );
    }
}
