//! Operations 9–16 of the wire spec (§4): a user's memberships and a channel's
//! members — list, set, remove, manage. Every write is one PATCH whose body says what
//! to set and delete, and whose answer is the resulting list (§8.3).

use reqwest::Method;
use serde::de::DeserializeOwned;
use serde_json::{json, Map, Value};

use super::client::{Client, Request};
use super::error::Error;
use super::objects::id_segment;
use super::options::{RelationChange, RelationEntry, RelationListOptions};
use super::paging::Pager;
use super::types::{Maybe, Member, Membership, Page};

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
        let mut body = Map::new();
        if !change.set.is_empty() || change.delete.is_empty() {
            let set = change.set.iter().map(|e| entry_json(e, related, true));
            body.insert("set".into(), Value::Array(set.collect()));
        }
        if !change.delete.is_empty() {
            let delete = change.delete.iter().map(|e| entry_json(e, related, false));
            body.insert("delete".into(), Value::Array(delete.collect()));
        }
        let bytes = serde_json::to_vec(&Value::Object(body))
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

/// `{"channel":{"id":…},"custom":…,"status":…,"type":…}` (fields only for `set`).
fn entry_json(e: &RelationEntry, related: &str, with_fields: bool) -> Value {
    let mut m = Map::new();
    m.insert(related.into(), json!({ "id": e.id }));
    if with_fields {
        put(&mut m, "custom", &e.custom);
        put(&mut m, "status", &e.status);
        put(&mut m, "type", &e.kind);
    }
    Value::Object(m)
}

fn put<T: serde::Serialize>(m: &mut Map<String, Value>, key: &str, v: &Maybe<T>) {
    match v {
        Maybe::Absent => {}
        Maybe::Null => {
            m.insert(key.into(), Value::Null);
        }
        Maybe::Value(v) => {
            m.insert(key.into(), serde_json::to_value(v).unwrap_or(Value::Null));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Custom;

    #[test]
    fn entries_are_plain_ids_or_carry_fields() {
        let plain = entry_json(&RelationEntry::id("room"), "channel", true);
        assert_eq!(plain.to_string(), r#"{"channel":{"id":"room"}}"#);
        let mut custom = Custom::new();
        custom.insert("role".into(), json!("admin"));
        let full = RelationEntry::id("bob")
            .with_custom(custom)
            .with_status("active")
            .with_type("staff");
        assert_eq!(
            entry_json(&full, "uuid", true).to_string(),
            r#"{"uuid":{"id":"bob"},"custom":{"role":"admin"},"status":"active","type":"staff"}"#
        );
        assert_eq!(
            entry_json(&full, "uuid", false).to_string(),
            r#"{"uuid":{"id":"bob"}}"#
        );
    }
}
