//! Access Manager's permission model for App Context (spec §16): the permission flags,
//! which flag on which resource each operation needs, and whether a token grants it.
//! The local server enforces this table; clients use it to explain a 403 before or
//! after they send.

use std::fmt;

use super::token::Token;

/// One permission flag.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Permission {
    Read,
    Write,
    Manage,
    Delete,
    Create,
    Get,
    Update,
    Join,
}

impl Permission {
    /// Every flag, in bit order.
    pub const ALL: [Permission; 8] = [
        Permission::Read,
        Permission::Write,
        Permission::Manage,
        Permission::Delete,
        Permission::Create,
        Permission::Get,
        Permission::Update,
        Permission::Join,
    ];

    /// Its bit in a token: read 1, write 2, manage 4, delete 8, create 16, get 32,
    /// update 64, join 128.
    pub fn bit(self) -> u32 {
        1 << Self::ALL
            .iter()
            .position(|p| *p == self)
            .unwrap_or_default()
    }

    /// Its name in docs and SDKs.
    pub fn name(self) -> &'static str {
        match self {
            Permission::Read => "read",
            Permission::Write => "write",
            Permission::Manage => "manage",
            Permission::Delete => "delete",
            Permission::Create => "create",
            Permission::Get => "get",
            Permission::Update => "update",
            Permission::Join => "join",
        }
    }

    /// The flag named `name` (case-insensitive).
    pub fn from_name(name: &str) -> Option<Permission> {
        Self::ALL
            .into_iter()
            .find(|p| p.name().eq_ignore_ascii_case(name.trim()))
    }
}

impl fmt::Display for Permission {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A set of flags, as the bitmask a token holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Permissions(pub u32);

impl Permissions {
    pub fn has(self, p: Permission) -> bool {
        self.0 & p.bit() != 0
    }

    /// The names of the flags set, in bit order (`create` left out: nothing uses it).
    pub fn names(self) -> Vec<&'static str> {
        Permission::ALL
            .into_iter()
            .filter(|p| *p != Permission::Create && self.has(*p))
            .map(Permission::name)
            .collect()
    }

    /// `get,update`-style list into a mask.
    pub fn parse_list(list: &str) -> Result<Permissions, String> {
        let mut bits = 0;
        for name in list.split(',').filter(|n| !n.trim().is_empty()) {
            let p = Permission::from_name(name).ok_or_else(|| {
                format!(
                    "unknown permission {:?} (one of read, write, manage, delete, get, update, join)",
                    name.trim()
                )
            })?;
            bits |= p.bit();
        }
        if bits == 0 {
            return Err("no permissions given".to_string());
        }
        Ok(Permissions(bits))
    }

    /// `{"read":bool,…,"join":bool}` as the SDKs' `parse_token` shows a mask.
    pub fn to_json(self) -> serde_json::Value {
        let mut m = serde_json::Map::new();
        for p in Permission::ALL {
            if p != Permission::Create {
                m.insert(p.name().to_string(), self.has(p).into());
            }
        }
        serde_json::Value::Object(m)
    }
}

/// What a permission is granted on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ResourceType {
    Channel,
    Group,
    Uuid,
}

impl ResourceType {
    pub fn name(self) -> &'static str {
        match self {
            ResourceType::Channel => "channel",
            ResourceType::Group => "channel group",
            ResourceType::Uuid => "uuid",
        }
    }
}

/// One permission an operation needs.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Need {
    pub kind: ResourceType,
    pub id: String,
    pub permission: Permission,
}

/// A request as Access Manager sees it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Operation {
    /// Get all UUID metadata (or all channel metadata with `Channel`).
    GetAll(ResourceType),
    GetUser(String),
    SetUser(String),
    RemoveUser(String),
    GetChannel(String),
    SetChannel(String),
    RemoveChannel(String),
    /// Get a user's memberships.
    GetMemberships(String),
    /// Set, remove or manage a user's memberships: the user and every channel named in
    /// `set` and `delete`.
    ManageMemberships {
        user: String,
        channels: Vec<String>,
    },
    /// Get a channel's members.
    GetMembers(String),
    /// Set, remove or manage a channel's members: the channel and every user named.
    ManageMembers {
        channel: String,
        users: Vec<String>,
    },
    /// Subscribe (and heartbeat) on channels.
    Subscribe(Vec<String>),
}

impl Operation {
    /// The permissions it needs, all of them (spec §16.4). `GetAll` needs none on a
    /// named resource: the keyset's "Disallow Get All" setting decides.
    pub fn needs(&self) -> Vec<Need> {
        use Permission::*;
        use ResourceType::*;
        let one = |kind, id: &String, permission| Need {
            kind,
            id: id.clone(),
            permission,
        };
        match self {
            Operation::GetAll(_) => Vec::new(),
            Operation::GetUser(u) => vec![one(Uuid, u, Get)],
            Operation::SetUser(u) => vec![one(Uuid, u, Update)],
            Operation::RemoveUser(u) => vec![one(Uuid, u, Delete)],
            Operation::GetChannel(c) => vec![one(Channel, c, Get)],
            Operation::SetChannel(c) => vec![one(Channel, c, Update)],
            Operation::RemoveChannel(c) => vec![one(Channel, c, Delete)],
            Operation::GetMemberships(u) => vec![one(Uuid, u, Get)],
            Operation::ManageMemberships { user, channels } => {
                let mut v = vec![one(Uuid, user, Update)];
                v.extend(channels.iter().map(|c| one(Channel, c, Join)));
                v
            }
            Operation::GetMembers(c) => vec![one(Channel, c, Get)],
            Operation::ManageMembers { channel, users } => {
                let _ = users; // members are managed on the channel alone
                vec![one(Channel, channel, Manage)]
            }
            Operation::Subscribe(channels) => {
                channels.iter().map(|c| one(Channel, c, Read)).collect()
            }
        }
    }
}

impl Operation {
    /// The operation a request is: `method`, the `path` as sent (percent-encoded; a
    /// path prefix before `/v2/` is skipped) and, for membership and member PATCHes,
    /// the JSON `body` whose `set`/`delete` entries name the other side. `None` for
    /// what Access Manager does not check here (time, leave, unknown paths).
    pub fn of_request(method: &str, path: &str, body: &[u8]) -> Option<Operation> {
        use Operation as O;
        let path = path.find("/v2/").map_or(path, |i| &path[i..]);
        let segs: Vec<String> = path
            .split('/')
            .skip(1)
            .map(|s| {
                percent_encoding::percent_decode_str(s)
                    .decode_utf8_lossy()
                    .into_owned()
            })
            .collect();
        let s: Vec<&str> = segs.iter().map(String::as_str).collect();
        let (get, patch, del) = (method == "GET", method == "PATCH", method == "DELETE");
        let list = |c: &str| -> Vec<String> {
            c.split(',')
                .filter(|c| !c.is_empty())
                .map(String::from)
                .collect()
        };
        Some(match s.as_slice() {
            ["v2", "objects", _, "uuids"] if get => O::GetAll(ResourceType::Uuid),
            ["v2", "objects", _, "channels"] if get => O::GetAll(ResourceType::Channel),
            ["v2", "objects", _, "uuids", u] if get => O::GetUser(u.to_string()),
            ["v2", "objects", _, "uuids", u] if patch => O::SetUser(u.to_string()),
            ["v2", "objects", _, "uuids", u] if del => O::RemoveUser(u.to_string()),
            ["v2", "objects", _, "channels", c] if get => O::GetChannel(c.to_string()),
            ["v2", "objects", _, "channels", c] if patch => O::SetChannel(c.to_string()),
            ["v2", "objects", _, "channels", c] if del => O::RemoveChannel(c.to_string()),
            ["v2", "objects", _, "uuids", u, "channels"] if get => O::GetMemberships(u.to_string()),
            ["v2", "objects", _, "uuids", u, "channels"] if patch => O::ManageMemberships {
                user: u.to_string(),
                channels: named_in(body, "channel"),
            },
            ["v2", "objects", _, "channels", c, "uuids"] if get => O::GetMembers(c.to_string()),
            ["v2", "objects", _, "channels", c, "uuids"] if patch => O::ManageMembers {
                channel: c.to_string(),
                users: named_in(body, "uuid"),
            },
            ["v2", "subscribe", _, channels, _] if get => O::Subscribe(list(channels)),
            ["v2", "presence", "sub-key", _, "channel", channels, "heartbeat"] if get => {
                O::Subscribe(list(channels))
            }
            _ => return None,
        })
    }
}

/// The ids a membership/member PATCH body names in `set` and `delete`
/// (`{"set":[{"channel":{"id":…}}]}`), in order, once each; none when it is not
/// such a body (the server then answers 400 anyway).
fn named_in(body: &[u8], key: &str) -> Vec<String> {
    let Ok(v) = serde_json::from_slice::<serde_json::Value>(body) else {
        return Vec::new();
    };
    let mut ids: Vec<String> = Vec::new();
    for list in ["set", "delete"] {
        for entry in v.get(list).and_then(|l| l.as_array()).into_iter().flatten() {
            if let Some(id) = entry
                .pointer(&format!("/{key}/id"))
                .and_then(|i| i.as_str())
            {
                if !ids.iter().any(|x| x == id) {
                    ids.push(id.to_string());
                }
            }
        }
    }
    ids
}

/// A regular expression of a grant's `patterns`, compiled with bounded size.
pub fn compile_pattern(pattern: &str) -> Result<regex::Regex, regex::Error> {
    regex::RegexBuilder::new(pattern)
        .size_limit(1 << 20)
        .dfa_size_limit(1 << 20)
        .build()
}

/// Why a token does not allow a request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Denial {
    /// The token lacks a permission.
    Missing(Need),
    /// The token is for another user id.
    WrongUser { authorized: String, caller: String },
}

impl fmt::Display for Denial {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Denial::Missing(n) => write!(
                f,
                "this token has no `{}` on {} `{}`",
                n.permission,
                n.kind.name(),
                n.id
            ),
            Denial::WrongUser { authorized, caller } => write!(
                f,
                "this token is for uuid `{authorized}`, and the request is made as `{caller}`"
            ),
        }
    }
}

impl Token {
    /// The permissions the token grants on `id`: its exact entry when it has one;
    /// else every pattern that matches `id` (a regex search, as PubNub documents
    /// patterns), combined.
    pub fn permissions_on(&self, kind: ResourceType, id: &str) -> Permissions {
        if let Some((_, p)) = self.resources.of(kind).iter().find(|(n, _)| n == id) {
            return *p;
        }
        let bits = self
            .patterns
            .of(kind)
            .iter()
            .filter(|(pat, _)| compile_pattern(pat).is_ok_and(|re| re.is_match(id)))
            .fold(0, |acc, (_, p)| acc | p.0);
        Permissions(bits)
    }

    /// Whether the token allows `op` for a client whose user id is `caller`.
    pub fn allows(&self, op: &Operation, caller: Option<&str>) -> Result<(), Denial> {
        if let Some(authorized) = &self.authorized_uuid {
            if caller != Some(authorized.as_str()) {
                return Err(Denial::WrongUser {
                    authorized: authorized.clone(),
                    caller: caller.unwrap_or_default().to_string(),
                });
            }
        }
        for need in op.needs() {
            if !self
                .permissions_on(need.kind, &need.id)
                .has(need.permission)
            {
                return Err(Denial::Missing(need));
            }
        }
        Ok(())
    }
}

/// Why a keyset refuses to list all users (`Uuid`) or all channels (`Channel`): the
/// CLI and the TUI both say this, each followed by how to go on from there.
pub fn list_all_refused(kind: ResourceType) -> String {
    let (what, setting) = match kind {
        ResourceType::Channel => ("channels", "Channel"),
        _ => ("users", "User"),
    };
    format!(
        "this keyset does not let this client list all {what}: \"Disallow Get All {setting} Metadata\" is on (Admin Portal: the keyset's App Context settings), or Access Manager refuses it"
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::token::GrantRequest;

    fn token(setup: impl FnOnce(&mut GrantRequest)) -> Token {
        let mut g = GrantRequest {
            ttl: 5,
            ..Default::default()
        };
        setup(&mut g);
        Token::parse(&g.issue("s", 0)).unwrap()
    }

    #[test]
    fn bits_are_pubnubs() {
        let bits: Vec<u32> = Permission::ALL.iter().map(|p| p.bit()).collect();
        assert_eq!(bits, [1, 2, 4, 8, 16, 32, 64, 128]);
        assert_eq!(
            Permissions::parse_list("get, update").unwrap(),
            Permissions(96)
        );
        assert_eq!(
            Permissions(239).names(),
            ["read", "write", "manage", "delete", "get", "update", "join"]
        );
        assert!(Permissions::parse_list("get,fly").is_err());
        assert!(Permissions::parse_list("").is_err());
    }

    #[test]
    fn exact_entries_decide_and_patterns_match_anywhere() {
        let t = token(|g| {
            g.resources.add(ResourceType::Uuid, "bob", Permissions(32));
            g.patterns
                .add(ResourceType::Uuid, ".*", Permissions(32 | 64));
            g.patterns
                .add(ResourceType::Channel, "^room-", Permissions(32));
            g.patterns
                .add(ResourceType::Channel, "chat", Permissions(128));
        });
        // bob's own entry (get only) wins over the pattern that would add update.
        assert!(t.allows(&Operation::GetUser("bob".into()), None).is_ok());
        assert_eq!(
            t.allows(&Operation::SetUser("bob".into()), None)
                .unwrap_err()
                .to_string(),
            "this token has no `update` on uuid `bob`"
        );
        assert!(t.allows(&Operation::SetUser("alice".into()), None).is_ok());
        assert!(t
            .allows(&Operation::GetChannel("room-1".into()), None)
            .is_ok());
        assert!(t
            .allows(&Operation::GetChannel("the-room-1".into()), None)
            .is_err());
        assert_eq!(
            t.permissions_on(ResourceType::Channel, "room-chat").0,
            32 | 128
        );
        assert!(t
            .allows(&Operation::GetAll(ResourceType::Uuid), None)
            .is_ok());
    }

    #[test]
    fn memberships_need_update_on_the_user_and_join_on_each_channel() {
        let t = token(|g| {
            g.resources.add(ResourceType::Uuid, "u", Permissions(64));
            g.resources
                .add(ResourceType::Channel, "a", Permissions(128));
            g.resources.add(ResourceType::Channel, "b", Permissions(32));
        });
        let op = |chs: &[&str]| Operation::ManageMemberships {
            user: "u".into(),
            channels: chs.iter().map(|c| c.to_string()).collect(),
        };
        assert!(t.allows(&op(&["a"]), None).is_ok());
        assert_eq!(
            t.allows(&op(&["a", "b"]), None).unwrap_err(),
            Denial::Missing(Need {
                kind: ResourceType::Channel,
                id: "b".into(),
                permission: Permission::Join
            })
        );
        assert!(t
            .allows(&Operation::GetMemberships("u".into()), None)
            .is_err());
        let members = Operation::ManageMembers {
            channel: "a".into(),
            users: vec!["u".into()],
        };
        assert!(t.allows(&members, None).is_err(), "join is not manage");
    }

    #[test]
    fn requests_map_to_operations() {
        use Operation as O;
        let op = |m, p, b: &str| Operation::of_request(m, p, b.as_bytes());
        assert_eq!(
            op("GET", "/v2/objects/s/uuids", ""),
            Some(O::GetAll(ResourceType::Uuid))
        );
        assert_eq!(
            op("DELETE", "/v2/objects/s/uuids/a%20b", ""),
            Some(O::RemoveUser("a b".into()))
        );
        assert_eq!(
            op("PATCH", "/pre/v2/objects/s/channels/c", ""),
            Some(O::SetChannel("c".into()))
        );
        assert_eq!(
            op(
                "PATCH",
                "/v2/objects/s/uuids/u/channels",
                r#"{"set":[{"channel":{"id":"a"}}],"delete":[{"channel":{"id":"b"}},{"channel":{"id":"a"}}]}"#
            ),
            Some(O::ManageMemberships {
                user: "u".into(),
                channels: vec!["a".into(), "b".into()]
            })
        );
        assert_eq!(
            op("GET", "/v2/subscribe/s/a,b/0", ""),
            Some(O::Subscribe(vec!["a".into(), "b".into()]))
        );
        assert_eq!(op("GET", "/time/0", ""), None);
        assert_eq!(op("POST", "/v2/objects/s/uuids", ""), None);
    }

    #[test]
    fn an_authorized_uuid_binds_the_token_to_one_caller() {
        let t = token(|g| {
            g.authorized_uuid = Some("me".into());
            g.patterns.add(ResourceType::Uuid, ".*", Permissions(32));
        });
        let op = Operation::GetUser("x".into());
        assert!(t.allows(&op, Some("me")).is_ok());
        assert!(matches!(
            t.allows(&op, Some("you")),
            Err(Denial::WrongUser { .. })
        ));
        assert!(t.allows(&op, None).is_err());
    }
}
