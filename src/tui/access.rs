//! Access Manager in the TUI: the session's token (an `auth` key that is a PAM v3
//! token), what the status bar says about it, the `:token` view, and the check of a
//! write key against it before anything is sent (spec §16).

use crate::api::access::{Operation, ResourceType};
use crate::api::token::Token;

/// Minutes before expiry from which the status bar warns.
pub const WARN_MINUTES: u64 = 10;

/// The session's token and the user id it is used as.
#[derive(Clone, Debug, PartialEq)]
pub struct Access {
    pub token: Token,
    pub user_id: String,
}

impl Access {
    /// The access of an `auth` key, when it is a token (an old-style auth key is not).
    pub fn from_auth(auth: &str, user_id: &str) -> Option<Access> {
        Token::parse(auth).ok().map(|token| Access {
            token,
            user_id: user_id.to_string(),
        })
    }

    /// Unix seconds at which the token expires.
    pub fn expires_at(&self) -> u64 {
        self.token.expires_at(60)
    }

    /// Why the token does not allow `op`, if it does not.
    pub fn refusal(&self, op: &Operation, now: u64) -> Option<String> {
        if now >= self.expires_at() {
            return Some("this token has expired".into());
        }
        self.token
            .allows(op, Some(&self.user_id))
            .err()
            .map(|d| d.to_string())
    }

    /// The status bar's words: time left, a warning near and after the end.
    pub fn status(&self, now: u64) -> (String, bool) {
        let end = self.expires_at();
        if now >= end {
            return ("token expired".into(), true);
        }
        let mins = (end - now) / 60;
        let text = if mins >= 120 {
            format!("token {}h left", mins / 60)
        } else {
            format!("token {mins}m left")
        };
        (text, mins < WARN_MINUTES)
    }

    /// The `:token` view's text: what the token allows, then the token as the SDKs'
    /// `parse_token` shows it.
    pub fn describe(&self, now: u64) -> String {
        let mut out = String::new();
        let end = self.expires_at();
        out.push_str(&format!(
            "// issued {}, valid {} min, {}\n",
            self.token.timestamp,
            self.token.ttl,
            if now >= end {
                "EXPIRED".to_string()
            } else {
                format!("{} min left", (end - now) / 60)
            }
        ));
        match &self.token.authorized_uuid {
            Some(u) => out.push_str(&format!(
                "// only for uuid {u} (you are {})\n",
                self.user_id
            )),
            None => out.push_str("// for any uuid\n"),
        }
        for (label, grants) in [
            ("", &self.token.resources),
            ("pattern ", &self.token.patterns),
        ] {
            for kind in [ResourceType::Uuid, ResourceType::Channel] {
                for (name, perms) in grants.of(kind) {
                    out.push_str(&format!(
                        "// {label}{} {name}: {}\n",
                        kind.name(),
                        perms.names().join(", ")
                    ));
                }
            }
        }
        out.push_str(&serde_json::to_string_pretty(&self.token.to_json()).unwrap_or_default());
        out
    }
}

/// What to say about a 403 on a list, under the error: why, and what still works.
pub fn explain_list_refusal(
    access: Option<&Access>,
    source: &crate::tui::action::Source,
) -> Vec<String> {
    use crate::tui::action::Source;
    let now = now();
    let (op, all) = match source {
        Source::Users => (
            Operation::GetAll(ResourceType::Uuid),
            Some((ResourceType::Uuid, "user")),
        ),
        Source::Channels => (
            Operation::GetAll(ResourceType::Channel),
            Some((ResourceType::Channel, "channel")),
        ),
        Source::Memberships(u) => (Operation::GetMemberships(u.clone()), None),
        Source::Members(c) => (Operation::GetMembers(c.clone()), None),
    };
    let mut out = Vec::new();
    if let Some(why) = access.and_then(|a| a.refusal(&op, now)) {
        out.push(format!(
            "Access Manager: {why} (:token shows what it allows)."
        ));
    }
    if let Some((kind, one)) = all {
        let why = crate::api::access::list_all_refused(kind);
        // A sentence of its own here: "This keyset …".
        out.push(format!("T{}.", why.strip_prefix('t').unwrap_or(&why)));
        out.push(format!(
            "Open one by id with :{one} ID; its {} stay browseable from there.",
            if one == "user" {
                "memberships"
            } else {
                "members"
            }
        ));
    }
    out
}

/// What to say about a 403 on one record.
pub fn explain_record_refusal(
    access: Option<&Access>,
    kind: crate::tui::action::EntityKind,
    id: &str,
) -> Option<String> {
    use crate::tui::action::EntityKind;
    let op = match kind {
        EntityKind::User => Operation::GetUser(id.to_string()),
        EntityKind::Channel => Operation::GetChannel(id.to_string()),
    };
    access
        .and_then(|a| a.refusal(&op, now()))
        .map(|why| format!("Access Manager: {why} (:token shows what it allows)."))
}

/// Seconds since the epoch (the view and the key checks compare expiry with it).
pub fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::access::Permissions;
    use crate::api::token::GrantRequest;

    #[test]
    fn a_limited_token_says_what_it_lacks_and_when_it_ends() {
        let mut g = GrantRequest {
            ttl: 60,
            ..Default::default()
        };
        g.resources.add(
            ResourceType::Uuid,
            "alice",
            Permissions::parse_list("get,update").unwrap(),
        );
        let t = g.issue("secret", 1_000_000);
        let a = Access::from_auth(&t, "alice").unwrap();
        assert_eq!(
            a.refusal(&Operation::SetUser("alice".into()), 1_000_000),
            None
        );
        assert_eq!(
            a.refusal(&Operation::SetUser("bob".into()), 1_000_000)
                .as_deref(),
            Some("this token has no `update` on uuid `bob`")
        );
        assert_eq!(a.status(1_000_000), ("token 60m left".to_string(), false));
        assert!(a.status(1_000_000 + 55 * 60).1, "warns near the end");
        assert_eq!(
            a.refusal(&Operation::GetUser("alice".into()), 1_000_000 + 3600)
                .as_deref(),
            Some("this token has expired")
        );
        assert!(a.describe(1_000_000).contains("uuid alice: get, update"));
        assert!(Access::from_auth("not-a-token", "x").is_none());
    }
}
