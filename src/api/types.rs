//! The App Context wire model, shared by the client and the local server.
//!
//! Field order in these structs is the key order PubNub emits. A field that the server
//! only sends when asked for (`type`, `status`, `custom`, expanded relations) is a
//! [`Maybe`], which keeps "absent" and "null" apart so nothing is lost on a round trip.

use serde::{Deserialize, Deserializer, Serialize, Serializer};

/// A `custom` map: flat, scalar values only. PubNub answers with the keys sorted; the
/// local server sorts them before storing (`sort_keys`). An insertion-ordered map: a
/// few entries cost a fraction of a B-tree node, which matters with 100k rows loaded.
pub type Custom = serde_json::Map<String, serde_json::Value>;

/// A field that may be absent from the JSON, present as `null`, or present with a value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum Maybe<T> {
    /// Not in the JSON at all (not requested with `include`).
    #[default]
    Absent,
    /// Present as `null`.
    Null,
    /// Present with a value.
    Value(T),
}

impl<T> Maybe<T> {
    /// True when the field is not in the JSON.
    pub fn is_absent(&self) -> bool {
        matches!(self, Maybe::Absent)
    }
    /// The value, if there is one.
    pub fn as_ref(&self) -> Option<&T> {
        match self {
            Maybe::Value(v) => Some(v),
            _ => None,
        }
    }
    /// Absent or null become `None`.
    pub fn into_option(self) -> Option<T> {
        match self {
            Maybe::Value(v) => Some(v),
            _ => None,
        }
    }
    /// `Some(None)` becomes null, `Some(Some(v))` a value, `None` absent.
    pub fn from_nullable(v: Option<Option<T>>) -> Self {
        match v {
            None => Maybe::Absent,
            Some(None) => Maybe::Null,
            Some(Some(v)) => Maybe::Value(v),
        }
    }
    /// A present field from a nullable value.
    pub fn present(v: Option<T>) -> Self {
        match v {
            None => Maybe::Null,
            Some(v) => Maybe::Value(v),
        }
    }
}

impl<T: Serialize> Serialize for Maybe<T> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        match self {
            Maybe::Value(v) => v.serialize(s),
            _ => s.serialize_none(),
        }
    }
}

impl<'de, T: Deserialize<'de>> Deserialize<'de> for Maybe<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        // Only called when the key is present; `#[serde(default)]` gives `Absent`.
        Ok(Maybe::present(Option::<T>::deserialize(d)?))
    }
}

/// User (UUID) metadata.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    /// The user id (`uuid` on the wire in paths).
    #[serde(rename = "id")]
    pub user_id: String,
    pub name: Option<String>,
    pub external_id: Option<String>,
    pub profile_url: Option<String>,
    pub email: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    pub updated: String,
    #[serde(rename = "eTag")]
    pub etag: String,
}

/// Channel metadata.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Channel {
    #[serde(rename = "id")]
    pub channel_id: String,
    pub name: Option<String>,
    pub description: Option<String>,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    pub updated: String,
    #[serde(rename = "eTag")]
    pub etag: String,
}

/// A related object inside a membership or member item: either expanded (with
/// `include=channel` / `include=uuid`) or just its id.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum Related<T> {
    /// The related object's metadata.
    Expanded(T),
    /// Only the id: not expanded, or the object has no metadata.
    Id { id: String },
}

impl<T: HasId> Related<T> {
    /// The related object's id either way.
    pub fn id(&self) -> &str {
        match self {
            Related::Expanded(t) => t.id(),
            Related::Id { id } => id,
        }
    }
}

/// Anything with an App Context id.
pub trait HasId {
    /// The object's id.
    fn id(&self) -> &str;
}
impl HasId for User {
    fn id(&self) -> &str {
        &self.user_id
    }
}
impl HasId for Channel {
    fn id(&self) -> &str {
        &self.channel_id
    }
}

/// A membership: one channel a user belongs to, seen from the user.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Membership {
    pub channel: Related<Channel>,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    pub updated: String,
    #[serde(rename = "eTag")]
    pub etag: String,
}

/// A member: one user in a channel, seen from the channel.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Member {
    pub uuid: Related<User>,
    #[serde(rename = "type", default, skip_serializing_if = "Maybe::is_absent")]
    pub kind: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub status: Maybe<String>,
    #[serde(default, skip_serializing_if = "Maybe::is_absent")]
    pub custom: Maybe<Custom>,
    pub updated: String,
    #[serde(rename = "eTag")]
    pub etag: String,
}

/// One page of a list response.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Page<T> {
    pub status: u16,
    pub data: Vec<T>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub total_count: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub next: Option<Cursor>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub prev: Option<Cursor>,
}

/// A single-object response (`data` may be null, as after a delete).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Single<T> {
    pub status: u16,
    pub data: Option<T>,
}

/// An opaque paging cursor (`next` / `prev`), passed back as `start` / `end`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Cursor(pub String);

impl Cursor {
    /// The cursor PubNub answers for the page starting at `offset`: observably the
    /// base64 (standard alphabet, no padding) of the decimal offset (spec §5). Walks
    /// that must look back a few items build their own from it.
    pub fn at_offset(offset: u64) -> Cursor {
        use base64::Engine as _;
        Cursor(base64::engine::general_purpose::STANDARD_NO_PAD.encode(offset.to_string()))
    }
}

/// An entity tag, as the server sent it.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ETag(pub String);

/// The error envelope: `{"status":N,"error":{...}}`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ErrorEnvelope {
    pub status: u16,
    pub error: ErrorBody,
}

/// PubNub's error object.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorBody {
    pub message: String,
    pub source: String,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub details: Vec<ErrorDetail>,
}

/// One problem in a request, with where it was.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ErrorDetail {
    pub message: String,
    pub location: String,
    pub location_type: String,
}
