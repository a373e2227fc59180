//! Access Manager v3 tokens (spec §16): their layout (a CBOR map, base64url), how a
//! grant request asks for one, and how the local server signs and checks them. What
//! each permission allows is in [`super::access`].

use base64::Engine;
use hmac::{Hmac, Mac};
use serde_json::{json, Map, Value};
use sha2::Sha256;

use super::access::{Permissions, ResourceType};
use super::cbor::{self, Cbor, CborError, Reader};

/// Shortest and longest `ttl` of a grant, in minutes (PubNub's 400 names this range).
pub const TTL_RANGE: std::ops::RangeInclusive<u64> = 1..=43_200;

/// The token version PubNub issues.
pub const VERSION: u64 = 2;

/// Names (exact, or regex patterns) with the permissions granted on each, per resource
/// type, in the order the grant listed them.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Grants {
    pub channels: Vec<(String, Permissions)>,
    pub groups: Vec<(String, Permissions)>,
    pub uuids: Vec<(String, Permissions)>,
}

impl Grants {
    /// The entries of one resource type.
    pub fn of(&self, kind: ResourceType) -> &[(String, Permissions)] {
        match kind {
            ResourceType::Channel => &self.channels,
            ResourceType::Group => &self.groups,
            ResourceType::Uuid => &self.uuids,
        }
    }

    fn of_mut(&mut self, kind: ResourceType) -> &mut Vec<(String, Permissions)> {
        match kind {
            ResourceType::Channel => &mut self.channels,
            ResourceType::Group => &mut self.groups,
            ResourceType::Uuid => &mut self.uuids,
        }
    }

    /// Adds `perms` to `name` (merged with an entry already there).
    pub fn add(&mut self, kind: ResourceType, name: &str, perms: Permissions) {
        let list = self.of_mut(kind);
        match list.iter_mut().find(|(n, _)| n == name) {
            Some((_, p)) => *p = Permissions(p.0 | perms.0),
            None => list.push((name.to_string(), perms)),
        }
    }

    pub fn is_empty(&self) -> bool {
        self.channels.is_empty() && self.groups.is_empty() && self.uuids.is_empty()
    }

    /// The token's map: `chan`, `grp`, `spc` (= channels), `usr` (= uuids), `uuid`, as
    /// PubNub writes them (the `spc`/`usr` copies are for SDKs of the Objects v1 era).
    fn to_cbor(&self) -> Cbor {
        let names = |list: &[(String, Permissions)]| {
            Cbor::Map(
                list.iter()
                    .map(|(n, p)| (Cbor::Text(n.clone()), Cbor::Int(p.0 as i128)))
                    .collect(),
            )
        };
        Cbor::Map(vec![
            (key("chan"), names(&self.channels)),
            (key("grp"), names(&self.groups)),
            (key("spc"), names(&self.channels)),
            (key("usr"), names(&self.uuids)),
            (key("uuid"), names(&self.uuids)),
        ])
    }

    fn from_cbor(c: &Cbor) -> Result<Grants, TokenError> {
        let mut g = Grants::default();
        let Cbor::Map(entries) = c else {
            return Err(TokenError::Layout("resources are not a map"));
        };
        for (k, v) in entries {
            let kind = match k.as_str() {
                Some("chan") => ResourceType::Channel,
                Some("grp") => ResourceType::Group,
                Some("uuid") => ResourceType::Uuid,
                // `spc`/`usr` repeat chan/uuid; unknown types are not ours to judge.
                _ => continue,
            };
            let Cbor::Map(names) = v else {
                return Err(TokenError::Layout("a resource type is not a map"));
            };
            for (n, p) in names {
                let name = n.as_str().ok_or(TokenError::Layout("a name is not text"))?;
                let bits = p
                    .as_u64()
                    .and_then(|b| u32::try_from(b).ok())
                    .ok_or(TokenError::Layout("permissions are not a small integer"))?;
                g.of_mut(kind).push((name.to_string(), Permissions(bits)));
            }
        }
        Ok(g)
    }

    fn to_json(&self) -> Value {
        let names = |list: &[(String, Permissions)]| {
            Value::Object(
                list.iter()
                    .map(|(n, p)| (n.clone(), p.to_json()))
                    .collect::<Map<_, _>>(),
            )
        };
        json!({
            "channels": names(&self.channels),
            "groups": names(&self.groups),
            "uuids": names(&self.uuids),
        })
    }
}

fn key(k: &str) -> Cbor {
    Cbor::Bytes(k.as_bytes().to_vec())
}

/// Why a string is not a token.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TokenError {
    #[error("not base64url")]
    Base64,
    #[error("not CBOR: {0}")]
    Cbor(#[from] CborError),
    #[error("not a token: {0}")]
    Layout(&'static str),
}

/// A decoded token.
#[derive(Clone, Debug, PartialEq)]
pub struct Token {
    /// `v`: 2.
    pub version: u64,
    /// `t`: when it was issued, Unix seconds.
    pub timestamp: u64,
    /// `ttl`: minutes it is valid for, from `timestamp`.
    pub ttl: u64,
    /// `res`: exact names.
    pub resources: Grants,
    /// `pat`: regular expressions.
    pub patterns: Grants,
    /// `meta`: whatever the granting server attached.
    pub meta: Cbor,
    /// `uuid`: the only user id that may use the token, when set.
    pub authorized_uuid: Option<String>,
    /// `sig`: HMAC-SHA256 of [`Token::signed_bytes`] with the keyset's secret key.
    pub signature: Vec<u8>,
    signed: Vec<u8>,
}

impl Token {
    /// Decodes a token string (base64url, with or without padding; the standard
    /// alphabet is read too). Does not check the signature or the expiry.
    pub fn parse(text: &str) -> Result<Token, TokenError> {
        let normal: String = text
            .trim()
            .trim_end_matches('=')
            .chars()
            .map(|c| match c {
                '+' => '-',
                '/' => '_',
                c => c,
            })
            .collect();
        let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
            .decode(normal.as_bytes())
            .map_err(|_| TokenError::Base64)?;
        Self::from_bytes(&bytes)
    }

    fn from_bytes(bytes: &[u8]) -> Result<Token, TokenError> {
        // Read the top map entry by entry, to know which bytes `sig` covers.
        let mut r = Reader::new(bytes);
        let (major, _, n) = r.head()?;
        if major != 5 {
            return Err(TokenError::Layout("not a map"));
        }
        let body_start = r.pos;
        let mut entries = Vec::new();
        let mut sig_span = None;
        for _ in 0..n {
            let start = r.pos;
            let k = r.item(1)?;
            let v = r.item(1)?;
            if k.as_str() == Some("sig") {
                sig_span = Some(start..r.pos);
            }
            entries.push((k, v));
        }
        if r.pos != bytes.len() {
            return Err(CborError::Trailing(bytes.len() - r.pos).into());
        }
        let map = Cbor::Map(entries);
        let sig_span = sig_span.ok_or(TokenError::Layout("no sig"))?;
        let mut signed = Vec::new();
        cbor::write_head(&mut signed, 5, n - 1);
        signed.extend(&bytes[body_start..sig_span.start]);
        signed.extend(&bytes[sig_span.end..]);
        let int = |k: &'static str| {
            map.get(k)
                .and_then(Cbor::as_u64)
                .ok_or(TokenError::Layout(k))
        };
        Ok(Token {
            version: int("v")?,
            timestamp: int("t")?,
            ttl: int("ttl")?,
            resources: Grants::from_cbor(map.get("res").ok_or(TokenError::Layout("res"))?)?,
            patterns: Grants::from_cbor(map.get("pat").ok_or(TokenError::Layout("pat"))?)?,
            meta: map.get("meta").cloned().unwrap_or(Cbor::Map(Vec::new())),
            authorized_uuid: match map.get("uuid") {
                None => None,
                Some(u) => Some(
                    u.as_str()
                        .ok_or(TokenError::Layout("uuid is not text"))?
                        .to_string(),
                ),
            },
            signature: match map.get("sig") {
                Some(Cbor::Bytes(b)) => b.clone(),
                _ => return Err(TokenError::Layout("sig is not bytes")),
            },
            signed,
        })
    }

    /// The bytes the signature covers: the token's map without its `sig` entry.
    pub fn signed_bytes(&self) -> &[u8] {
        &self.signed
    }

    /// Whether `secret` made this token (constant time).
    pub fn verify(&self, secret: &str) -> bool {
        let expected = sign(secret, &self.signed);
        expected.len() == self.signature.len()
            && expected
                .iter()
                .zip(&self.signature)
                .fold(0u8, |acc, (a, b)| acc | (a ^ b))
                == 0
    }

    /// When it stops being valid, in Unix seconds, with `minute` seconds to a minute
    /// (60, except on a test server that runs token time faster).
    pub fn expires_at(&self, minute: u64) -> u64 {
        self.timestamp
            .saturating_add(self.ttl.saturating_mul(minute))
    }

    /// The same fields, named as the SDKs' `parse_token` names them (`version`,
    /// `timestamp`, `ttl`, `authorized_uuid`, `resources`, `patterns`, `meta`; each
    /// name maps to its flags as booleans plus the raw `bits`).
    pub fn to_json(&self) -> Value {
        json!({
            "version": self.version,
            "timestamp": self.timestamp,
            "ttl": self.ttl,
            "authorized_uuid": self.authorized_uuid,
            "resources": self.resources.to_json(),
            "patterns": self.patterns.to_json(),
            "meta": cbor::to_json(&self.meta),
        })
    }
}

fn sign(secret: &str, bytes: &[u8]) -> Vec<u8> {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(bytes);
    mac.finalize().into_bytes().to_vec()
}

/// What a grant asks for: the body of `POST /v3/pam/{sub_key}/grant`.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct GrantRequest {
    /// Minutes, within [`TTL_RANGE`].
    pub ttl: u64,
    pub resources: Grants,
    pub patterns: Grants,
    /// A JSON object (empty when none).
    pub meta: Map<String, Value>,
    pub authorized_uuid: Option<String>,
}

/// Why a grant body is refused: a message and the body location it is about.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GrantProblem {
    pub message: String,
    pub details: String,
    pub location: String,
}

impl GrantRequest {
    /// The JSON body, as the SDKs write it (`resources`/`patterns` with `channels`,
    /// `groups`, `uuids`; `meta`; `uuid` when authorized).
    pub fn to_body(&self) -> Value {
        let side = |g: &Grants| {
            let names = |l: &[(String, Permissions)]| {
                Value::Object(l.iter().map(|(n, p)| (n.clone(), json!(p.0))).collect())
            };
            json!({"channels": names(&g.channels), "groups": names(&g.groups), "uuids": names(&g.uuids)})
        };
        let mut permissions = json!({
            "resources": side(&self.resources),
            "patterns": side(&self.patterns),
            "meta": Value::Object(self.meta.clone()),
        });
        if let Some(u) = &self.authorized_uuid {
            permissions["uuid"] = json!(u);
        }
        json!({"ttl": self.ttl, "permissions": permissions})
    }

    /// Reads a grant body. `channels`+`spaces` and `uuids`+`users` are merged (the
    /// Python SDK sends each twice); patterns must compile as regular expressions.
    pub fn from_body(body: &[u8]) -> Result<GrantRequest, GrantProblem> {
        let problem = |message: &str, details: String, location: &str| GrantProblem {
            message: message.to_string(),
            details,
            location: location.to_string(),
        };
        let v: Value = serde_json::from_slice(body).map_err(|e| {
            problem(
                "Invalid JSON",
                format!("The body is not JSON: {e}."),
                "body",
            )
        })?;
        let ttl = v.get("ttl").and_then(Value::as_u64);
        let ttl = match ttl {
            Some(t) if TTL_RANGE.contains(&t) => t,
            _ => {
                return Err(problem(
                    "Invalid ttl",
                    format!(
                        "Range should be {} to {} minute(s).",
                        TTL_RANGE.start(),
                        TTL_RANGE.end()
                    ),
                    "ttl",
                ))
            }
        };
        let perms = v.get("permissions").cloned().unwrap_or(Value::Null);
        let mut req = GrantRequest {
            ttl,
            ..Default::default()
        };
        for (side, target) in [
            ("resources", &mut req.resources),
            ("patterns", &mut req.patterns),
        ] {
            let Some(obj) = perms.get(side) else { continue };
            let Some(obj) = obj.as_object() else {
                return Err(problem(
                    "Invalid permissions",
                    format!("permissions.{side} must be an object."),
                    &format!("permissions.{side}"),
                ));
            };
            for (type_name, names) in obj {
                let kind = match type_name.as_str() {
                    "channels" | "spaces" => ResourceType::Channel,
                    "groups" => ResourceType::Group,
                    "uuids" | "users" => ResourceType::Uuid,
                    _ => continue,
                };
                let location = format!("permissions.{side}.{type_name}");
                let Some(names) = names.as_object() else {
                    return Err(problem(
                        "Invalid permissions",
                        format!("{location} must be an object."),
                        &location,
                    ));
                };
                for (name, bits) in names {
                    let Some(bits) = bits.as_u64().and_then(|b| u32::try_from(b).ok()) else {
                        return Err(problem(
                            "Invalid permissions",
                            format!("The permissions of {name:?} must be an integer bitmask."),
                            &location,
                        ));
                    };
                    if side == "patterns" {
                        if let Err(e) = super::access::compile_pattern(name) {
                            return Err(problem(
                                "Invalid permissions",
                                format!("Pattern {name:?} is not a valid regular expression: {e}"),
                                &location,
                            ));
                        }
                    }
                    target.add(kind, name, Permissions(bits));
                }
            }
        }
        if req.resources.is_empty() && req.patterns.is_empty() {
            return Err(problem(
                "Invalid permissions",
                "At least one resource or pattern must be granted.".to_string(),
                "permissions",
            ));
        }
        match perms.get("meta") {
            None | Some(Value::Null) => {}
            Some(Value::Object(m)) => req.meta = m.clone(),
            Some(_) => {
                return Err(problem(
                    "Invalid meta",
                    "permissions.meta must be an object.".to_string(),
                    "permissions.meta",
                ))
            }
        }
        match perms.get("uuid") {
            None | Some(Value::Null) => {}
            Some(Value::String(s)) if !s.is_empty() => req.authorized_uuid = Some(s.clone()),
            Some(_) => {
                return Err(problem(
                    "Invalid uuid",
                    "permissions.uuid must be a non-empty string.".to_string(),
                    "permissions.uuid",
                ))
            }
        }
        Ok(req)
    }

    /// Issues the token for this grant at `now` (Unix seconds), signed with `secret`:
    /// base64url with padding, as PubNub's tokens are written.
    pub fn issue(&self, secret: &str, now: u64) -> String {
        let mut entries = vec![
            (key("v"), Cbor::Int(VERSION as i128)),
            (key("t"), Cbor::Int(now as i128)),
            (key("ttl"), Cbor::Int(self.ttl as i128)),
            (key("res"), self.resources.to_cbor()),
            (key("pat"), self.patterns.to_cbor()),
            (
                key("meta"),
                cbor::from_json(&Value::Object(self.meta.clone())),
            ),
        ];
        if let Some(u) = &self.authorized_uuid {
            entries.push((key("uuid"), Cbor::Text(u.clone())));
        }
        let signed = cbor::encode(&Cbor::Map(entries.clone()));
        entries.push((key("sig"), Cbor::Bytes(sign(secret, &signed))));
        base64::engine::general_purpose::URL_SAFE.encode(cbor::encode(&Cbor::Map(entries)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::access::Permission;

    /// Issued by PubNub for the Python SDK's recorded test
    /// `test_grant_token_with_uuid_and_channels` (pubnub/python,
    /// tests/integrational/fixtures/native_sync/pam/grant_token_with_uuid_and_channels.json).
    const RECORDED: &str = "qEF2AkF0GmertwtDdHRsGDxDcmVzpURjaGFuoW9zb21lX2NoYW5uZWxfaWQY70NncnChbXNvbWVfZ3JvdXBfaWQFQ3NwY6Fvc29tZV9jaGFubmVsX2lkGO9DdXNyoWlzb21lX3V1aWQYaER1dWlkoWlzb21lX3V1aWQYaENwYXSlRGNoYW6hZnNvbWVfKgdDZ3JwoWZzb21lXyoBQ3NwY6Fmc29tZV8qB0N1c3KhZnNvbWVfKhggRHV1aWShZnNvbWVfKhggRG1ldGGgRHV1aWRpc29tZV91dWlkQ3NpZ1ggwfN_9UgB2U0sIBUVoaSihuFQ_BDnHJsmek0AuKQYhfs=";

    #[test]
    fn decodes_a_token_pubnub_issued() {
        let t = Token::parse(RECORDED).unwrap();
        assert_eq!(t.version, 2);
        assert_eq!(t.ttl, 60);
        assert_eq!(t.authorized_uuid.as_deref(), Some("some_uuid"));
        // The grant asked for 239 (all channel flags), 5 (read+manage), 104 (delete+get+update).
        assert_eq!(
            t.resources.channels,
            vec![("some_channel_id".into(), Permissions(239))]
        );
        assert_eq!(
            t.resources.groups,
            vec![("some_group_id".into(), Permissions(5))]
        );
        assert_eq!(
            t.resources.uuids,
            vec![("some_uuid".into(), Permissions(104))]
        );
        assert_eq!(t.patterns.channels, vec![("some_*".into(), Permissions(7))]);
        assert_eq!(t.patterns.uuids, vec![("some_*".into(), Permissions(32))]);
        assert_eq!(t.signature.len(), 32);
        assert_eq!(t.meta, Cbor::Map(vec![]));
        // Unpadded and standard-alphabet spellings are the same token.
        let unpadded = RECORDED.trim_end_matches('=');
        assert_eq!(Token::parse(unpadded).unwrap(), t);
        assert_eq!(
            Token::parse(&RECORDED.replace('_', "/").replace('-', "+")).unwrap(),
            t
        );
        // We cannot verify PubNub's signature without its secret: any guess fails.
        assert!(!t.verify("sec-c-anything"));
    }

    #[test]
    fn issued_tokens_have_pubnubs_layout_and_verify_with_their_secret_only() {
        let mut g = GrantRequest {
            ttl: 60,
            authorized_uuid: Some("some_uuid".into()),
            ..Default::default()
        };
        g.resources
            .add(ResourceType::Channel, "some_channel_id", Permissions(239));
        g.resources
            .add(ResourceType::Group, "some_group_id", Permissions(5));
        g.resources
            .add(ResourceType::Uuid, "some_uuid", Permissions(104));
        g.patterns
            .add(ResourceType::Channel, "some_*", Permissions(7));
        g.patterns
            .add(ResourceType::Group, "some_*", Permissions(1));
        g.patterns
            .add(ResourceType::Uuid, "some_*", Permissions(32));
        let text = g.issue("sec-c-test", 0x67abb70b);
        // Same grant, same issue time as the recorded token: every byte up to the
        // signature is the same (only the secret differs).
        let ours = base64::engine::general_purpose::URL_SAFE
            .decode(&text)
            .unwrap();
        let theirs = base64::engine::general_purpose::URL_SAFE
            .decode(RECORDED)
            .unwrap();
        assert_eq!(ours.len(), theirs.len());
        assert_eq!(ours[..ours.len() - 32], theirs[..theirs.len() - 32]);
        let t = Token::parse(&text).unwrap();
        assert!(t.verify("sec-c-test"));
        assert!(!t.verify("sec-c-other"));
        assert_eq!(t.expires_at(60), 0x67abb70b + 3600);
        // A changed byte before the signature breaks it.
        let mut tampered = ours.clone();
        let i = tampered.iter().position(|b| *b == 239).unwrap();
        tampered[i] = 255;
        let t2 = Token::parse(&base64::engine::general_purpose::URL_SAFE.encode(tampered)).unwrap();
        assert!(!t2.verify("sec-c-test"));
    }

    #[test]
    fn grant_bodies_are_read_like_pubnub_reads_them() {
        // What pubnub 10.x sends (recorded), with channels twice (as spaces) and uuids
        // twice (as users).
        let body = br#"{"ttl": 60, "permissions": {"resources": {"channels": {"space1": 3}, "groups": {"group1": 5}, "uuids": {"user1": 96}, "users": {"user1": 96}, "spaces": {"space1": 3}}, "patterns": {"channels": {}, "groups": {}, "uuids": {"^u-.*$": 32}, "users": {}, "spaces": {}}, "meta": {"k": 1.5}, "uuid": "test_user"}}"#;
        let g = GrantRequest::from_body(body).unwrap();
        assert_eq!(
            g.resources.channels,
            vec![("space1".into(), Permissions(3))]
        );
        assert_eq!(g.resources.uuids, vec![("user1".into(), Permissions(96))]);
        assert_eq!(g.patterns.uuids, vec![("^u-.*$".into(), Permissions(32))]);
        assert_eq!(g.authorized_uuid.as_deref(), Some("test_user"));
        assert_eq!(
            GrantRequest::from_body(&serde_json::to_vec(&g.to_body()).unwrap()).unwrap(),
            g
        );
        let t = Token::parse(&g.issue("s", 1)).unwrap();
        assert_eq!(t.to_json()["meta"], json!({"k": 1.5}));
        assert!(t.to_json()["resources"]["uuids"]["user1"]["update"] == json!(true));
        assert!(Permissions(96).has(Permission::Get));

        let bad_ttl = br#"{"ttl": 43201, "permissions": {"resources": {"channels": {"c": 1}}}}"#;
        let p = GrantRequest::from_body(bad_ttl).unwrap_err();
        assert_eq!(
            (p.message.as_str(), p.location.as_str()),
            ("Invalid ttl", "ttl")
        );
        assert_eq!(p.details, "Range should be 1 to 43200 minute(s).");
        assert!(GrantRequest::from_body(
            br#"{"ttl": 0, "permissions": {"resources": {"channels": {"c": 1}}}}"#
        )
        .is_err());
        assert!(GrantRequest::from_body(
            br#"{"ttl": 5, "permissions": {"patterns": {"channels": {"(": 1}}}}"#
        )
        .is_err());
        assert!(GrantRequest::from_body(br#"{"ttl": 5, "permissions": {}}"#).is_err());
    }

    #[test]
    fn garbage_is_an_error() {
        assert_eq!(Token::parse("!!"), Err(TokenError::Base64));
        assert!(Token::parse("oA").is_err()); // an empty map: no fields
        assert!(Token::parse("").is_err());
    }
}
