//! Receiving App Context events (spec §12): a long-poll on the subscribe endpoint for
//! some channels (a user id's, a channel id's), continuing from a timetoken so nothing
//! is missed across reconnects.

use reqwest::Method;
use serde::Deserialize;

use super::client::{Client, Request};
use super::error::Error;
use super::signature::encode;

/// `set` or `delete`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventAction {
    Set,
    Delete,
}

/// What an event is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventObject {
    User,
    Channel,
    Membership,
}

/// One App Context event.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectEvent {
    pub action: EventAction,
    pub object: EventObject,
    /// The channel it was delivered on.
    pub channel: String,
    /// The event's `data`: `id`, `updated`, `eTag` and the fields written (users and
    /// channels), or `channel`/`uuid` ids and the relation's fields (memberships).
    pub data: serde_json::Value,
}

/// One answer of the subscribe endpoint.
#[derive(Clone, Debug, PartialEq)]
pub struct Delivery {
    /// Where to continue from.
    pub timetoken: String,
    pub region: Option<i64>,
    pub events: Vec<ObjectEvent>,
}

#[derive(Deserialize)]
struct Raw {
    t: RawTime,
    #[serde(default)]
    m: Vec<RawMessage>,
}

#[derive(Deserialize)]
struct RawTime {
    t: String,
    #[serde(default)]
    r: Option<i64>,
}

#[derive(Deserialize)]
struct RawMessage {
    #[serde(default)]
    e: Option<i64>,
    #[serde(default)]
    c: String,
    #[serde(default)]
    d: serde_json::Value,
}

impl Client {
    /// The server's current timetoken (`/time/0`): a cheap question that tells whether
    /// the server answers at all.
    pub async fn time(&self) -> Result<String, Error> {
        let path = format!("{}/time/0", self.path_prefix());
        let v: Vec<serde_json::Value> = self.send(Request::new(Method::GET, path)).await?;
        match v.first() {
            Some(serde_json::Value::Number(n)) => Ok(n.to_string()),
            _ => Err(Error::InvalidInput(
                "the time endpoint did not answer with a timetoken".into(),
            )),
        }
    }

    /// One long-poll: waits (up to the server's ~280 s) for events on `channels` after
    /// `timetoken` ("0" = the handshake, answered at once with the current one).
    /// Messages that are not App Context events are skipped.
    pub async fn subscribe(
        &self,
        channels: &[String],
        timetoken: &str,
        region: Option<i64>,
    ) -> Result<Delivery, Error> {
        if channels.is_empty() {
            return Err(Error::InvalidInput(
                "subscribe needs at least one channel".into(),
            ));
        }
        let list: Vec<String> = channels.iter().map(|c| encode(c)).collect();
        let path = format!(
            "{}/v2/subscribe/{}/{}/0",
            self.path_prefix(),
            encode(&self.keyset().subscribe_key),
            list.join(",")
        );
        let mut req = Request::new(Method::GET, path);
        req.query.push(("tt", timetoken.to_string()));
        if let Some(r) = region {
            req.query.push(("tr", r.to_string()));
        }
        let raw: Raw = self.send(req).await?;
        let events = raw
            .m
            .into_iter()
            .filter(|m| {
                m.e == Some(2) && m.d.get("source").and_then(|s| s.as_str()) == Some("objects")
            })
            .filter_map(|m| {
                let action = match m.d.get("event")?.as_str()? {
                    "set" => EventAction::Set,
                    "delete" => EventAction::Delete,
                    _ => return None,
                };
                let object = match m.d.get("type")?.as_str()? {
                    "uuid" => EventObject::User,
                    "channel" => EventObject::Channel,
                    "membership" => EventObject::Membership,
                    _ => return None,
                };
                Some(ObjectEvent {
                    action,
                    object,
                    channel: m.c,
                    data: m.d.get("data").cloned().unwrap_or_default(),
                })
            })
            .collect();
        Ok(Delivery {
            timetoken: raw.t.t,
            region: raw.t.r,
            events,
        })
    }
}
