//! `appctx token`: read what an Access Manager token allows (no secret needed), grant
//! one, revoke one (with the keyset's secret key). Spec §16.

use clap::{Args, Subcommand};
use serde_json::{json, Value};

use super::output::{self, write_stdout};
use super::{CliError, Ctx};
use crate::api::access::{Permissions, ResourceType};
use crate::api::token::{GrantRequest, Token, TTL_RANGE};

/// The `token` subcommands.
#[derive(Subcommand, Debug)]
pub enum TokenCommand {
    /// Show what a token allows: resources, patterns, authorized uuid, expiry (no
    /// secret needed; the signature is not checked).
    Parse(ParseArgs),
    /// Grant a token (needs the secret and publish keys); prints it on stdout.
    Grant(GrantArgs),
    /// Revoke a token (needs the secret and publish keys).
    Revoke(RevokeArgs),
}

#[derive(Args, Debug)]
pub struct ParseArgs {
    /// The token (as `auth` carries it).
    pub token: String,
    /// Print JSON (the fields the SDKs' parse_token gives, plus `expires_at`).
    #[arg(long)]
    pub json: bool,
}

#[derive(Args, Debug)]
pub struct RevokeArgs {
    /// The token to revoke.
    pub token: String,
}

#[derive(Args, Debug)]
pub struct GrantArgs {
    /// Minutes the token is valid (1 to 43200).
    #[arg(long)]
    pub ttl: u64,
    /// A user id and its permissions, `ID:get,update,delete` (repeatable).
    #[arg(long = "uuid", value_name = "ID:PERMS")]
    pub uuids: Vec<String>,
    /// A regex of user ids and its permissions, `'^user-.*$:get'` (repeatable).
    #[arg(long = "uuid-pattern", value_name = "REGEX:PERMS")]
    pub uuid_patterns: Vec<String>,
    /// A channel and its permissions, `ID:read,write,get,update,delete,manage,join`.
    #[arg(long = "channel", value_name = "ID:PERMS")]
    pub channels: Vec<String>,
    /// A regex of channels and its permissions, `'room-.*:get,join'`.
    #[arg(long = "channel-pattern", value_name = "REGEX:PERMS")]
    pub channel_patterns: Vec<String>,
    /// A channel group and its permissions, `ID:read,manage`.
    #[arg(long = "group", value_name = "ID:PERMS")]
    pub groups: Vec<String>,
    /// A regex of channel groups and its permissions.
    #[arg(long = "group-pattern", value_name = "REGEX:PERMS")]
    pub group_patterns: Vec<String>,
    /// The only user id that may use the token.
    #[arg(long, value_name = "ID")]
    pub authorized_uuid: Option<String>,
    /// A JSON object stored in the token as `meta`.
    #[arg(long, value_name = "JSON")]
    pub meta: Option<String>,
}

/// `NAME:PERMS`, split at the last `:` (a pattern may hold colons; flags never do).
fn name_and_perms(arg: &str, flag: &str) -> Result<(String, Permissions), CliError> {
    let (name, perms) = arg.rsplit_once(':').ok_or_else(|| {
        CliError::Usage(format!(
            "--{flag} {arg:?}: expected NAME:PERMISSIONS, e.g. {}",
            if flag.contains("pattern") {
                "'room-.*:get,join'"
            } else {
                "bob:get,update"
            }
        ))
    })?;
    if name.is_empty() {
        return Err(CliError::Usage(format!(
            "--{flag} {arg:?}: the name is empty"
        )));
    }
    let perms = Permissions::parse_list(perms)
        .map_err(|e| CliError::Usage(format!("--{flag} {arg:?}: {e}")))?;
    if flag.contains("pattern") {
        crate::api::access::compile_pattern(name).map_err(|e| {
            CliError::Usage(format!("--{flag} {arg:?}: not a regular expression: {e}"))
        })?;
    }
    Ok((name.to_string(), perms))
}

impl GrantArgs {
    /// The grant these flags describe; usage errors before anything is sent.
    pub fn request(&self) -> Result<GrantRequest, CliError> {
        if !TTL_RANGE.contains(&self.ttl) {
            return Err(CliError::Usage(format!(
                "--ttl {}: must be {} to {} minutes",
                self.ttl,
                TTL_RANGE.start(),
                TTL_RANGE.end()
            )));
        }
        let mut g = GrantRequest {
            ttl: self.ttl,
            authorized_uuid: self.authorized_uuid.clone(),
            ..Default::default()
        };
        let sets = [
            (&self.uuids, "uuid", ResourceType::Uuid, false),
            (
                &self.uuid_patterns,
                "uuid-pattern",
                ResourceType::Uuid,
                true,
            ),
            (&self.channels, "channel", ResourceType::Channel, false),
            (
                &self.channel_patterns,
                "channel-pattern",
                ResourceType::Channel,
                true,
            ),
            (&self.groups, "group", ResourceType::Group, false),
            (
                &self.group_patterns,
                "group-pattern",
                ResourceType::Group,
                true,
            ),
        ];
        for (args, flag, kind, pattern) in sets {
            for a in args {
                let (name, perms) = name_and_perms(a, flag)?;
                let side = if pattern {
                    &mut g.patterns
                } else {
                    &mut g.resources
                };
                side.add(kind, &name, perms);
            }
        }
        if g.resources.is_empty() && g.patterns.is_empty() {
            return Err(CliError::Usage(
                "grant at least one of --uuid, --channel, --group or their -pattern forms"
                    .to_string(),
            ));
        }
        if let Some(meta) = &self.meta {
            match serde_json::from_str::<Value>(meta) {
                Ok(Value::Object(m)) => g.meta = m,
                _ => {
                    return Err(CliError::Usage(
                        "--meta must be a JSON object, e.g. '{\"role\":\"agent\"}'".to_string(),
                    ))
                }
            }
        }
        Ok(g)
    }
}

/// `token parse` needs no keyset: it runs before the settings are resolved.
pub fn parse(args: &ParseArgs) -> Result<(), CliError> {
    let token = Token::parse(&args.token)
        .map_err(|e| CliError::Usage(format!("this is not an Access Manager token: {e}")))?;
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or_default();
    let text = if args.json {
        let mut v = token.to_json();
        v["expires_at"] = json!(rfc3339(token.expires_at(60)));
        v["expired"] = json!(now >= token.expires_at(60));
        crate::text::json_string(&v, true).map_err(|e| CliError::Io(e.to_string()))? + "\n"
    } else {
        describe(&token, now)
    };
    write_stdout(text.as_bytes())
}

fn rfc3339(secs: u64) -> String {
    time::OffsetDateTime::from_unix_timestamp(secs as i64)
        .ok()
        .and_then(|t| {
            t.format(&time::format_description::well_known::Rfc3339)
                .ok()
        })
        .unwrap_or_else(|| secs.to_string())
}

/// The table form: a header of when and for whom, then one row per grant.
pub fn describe(token: &Token, now: u64) -> String {
    let expires = token.expires_at(60);
    let left = if now >= expires {
        "expired".to_string()
    } else {
        let mins = (expires - now).div_ceil(60);
        format!("{mins} min left")
    };
    let mut out = format!(
        "issued     {}\nttl        {} min\nexpires    {} ({left})\nfor uuid   {}\n",
        rfc3339(token.timestamp),
        token.ttl,
        rfc3339(expires),
        match &token.authorized_uuid {
            Some(u) => crate::text::escape(u).into_owned(),
            None => "any (no authorized uuid)".to_string(),
        }
    );
    let mut rows = Vec::new();
    for (grants, match_kind) in [(&token.resources, "exact"), (&token.patterns, "pattern")] {
        for kind in [
            ResourceType::Uuid,
            ResourceType::Channel,
            ResourceType::Group,
        ] {
            for (name, perms) in grants.of(kind) {
                rows.push(json!({
                    "type": kind.name(),
                    "match": match_kind,
                    "name": name,
                    "permissions": if perms.0 == 0 { "(none)".to_string() } else { perms.names().join(",") },
                }));
            }
        }
    }
    out.push('\n');
    if rows.is_empty() {
        out.push_str("(no resources or patterns)\n");
    } else {
        out.push_str(&output::table(&rows));
    }
    let meta = crate::api::cbor::to_json(&token.meta);
    if meta.as_object().is_some_and(|m| !m.is_empty()) {
        out.push_str(&format!(
            "\nmeta       {}\n",
            crate::text::json_string(&meta, false).unwrap_or_default()
        ));
    }
    out
}

/// Runs `token grant` / `token revoke` (parse is handled before a keyset is resolved).
pub async fn run(ctx: &Ctx, command: TokenCommand) -> Result<(), CliError> {
    match command {
        TokenCommand::Parse(a) => parse(&a),
        TokenCommand::Grant(a) => {
            let grant = a.request()?;
            require_secret(ctx, "token grant")?;
            let conn = ctx.connect().await?;
            let token = conn.client.grant_token(&grant).await?;
            write_stdout(format!("{token}\n").as_bytes())
        }
        TokenCommand::Revoke(a) => {
            Token::parse(&a.token).map_err(|e| {
                CliError::Usage(format!("this is not an Access Manager token: {e}"))
            })?;
            require_secret(ctx, "token revoke")?;
            let conn = ctx.connect().await?;
            conn.client.revoke_token(&a.token).await?;
            eprintln!("appctx: token revoked");
            Ok(())
        }
    }
}

fn require_secret(ctx: &Ctx, what: &str) -> Result<(), CliError> {
    if ctx.settings.secret_key.is_none() || ctx.settings.publish_key.is_none() {
        return Err(CliError::Usage(format!(
            "{what} needs the keyset's secret and publish keys: --secret-key (better PUBNUB_SECRET_KEY) and --publish-key, or secret_key/publish_key in the config profile"
        )));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn grant(args: &[&str]) -> Result<GrantRequest, CliError> {
        #[derive(clap::Parser)]
        struct P {
            #[command(flatten)]
            g: GrantArgs,
        }
        let p =
            <P as clap::Parser>::try_parse_from(std::iter::once("x").chain(args.iter().copied()))
                .map_err(|e| CliError::Usage(e.to_string()))?;
        p.g.request()
    }

    #[test]
    fn grant_flags_become_the_grant() {
        let g = grant(&[
            "--ttl",
            "60",
            "--uuid",
            "bob:get,update",
            "--channel-pattern",
            "^a:b$:get,join",
            "--authorized-uuid",
            "bob",
            "--meta",
            r#"{"role":"agent"}"#,
        ])
        .unwrap();
        assert_eq!(
            g.resources.uuids,
            vec![("bob".to_string(), Permissions(96))]
        );
        assert_eq!(
            g.patterns.channels,
            vec![("^a:b$".to_string(), Permissions(160))]
        );
        assert_eq!(g.authorized_uuid.as_deref(), Some("bob"));
        assert_eq!(g.meta["role"], "agent");
        for bad in [
            &["--ttl", "0", "--uuid", "b:get"][..],
            &["--ttl", "5"],
            &["--ttl", "5", "--uuid", "bob"],
            &["--ttl", "5", "--uuid", "bob:fly"],
            &["--ttl", "5", "--channel-pattern", "(:get"],
            &["--ttl", "5", "--uuid", "b:get", "--meta", "[1]"],
        ] {
            assert!(matches!(grant(bad), Err(CliError::Usage(_))), "{bad:?}");
        }
    }

    #[test]
    fn the_table_names_every_grant_and_the_expiry() {
        let g = grant(&[
            "--ttl",
            "60",
            "--uuid",
            "bob:get",
            "--channel-pattern",
            "room-.*:join",
        ])
        .unwrap();
        let t = Token::parse(&g.issue("s", 1_700_000_000)).unwrap();
        let text = describe(&t, 1_700_000_000 + 30);
        assert!(
            text.contains("expires    2023-11-14T23:13:20Z (60 min left)"),
            "{text}"
        );
        assert!(text.contains("for uuid   any"), "{text}");
        let rows: Vec<&str> = text
            .lines()
            .filter(|l| l.contains("exact") || l.contains("pattern"))
            .collect();
        assert_eq!(rows.len(), 2, "{text}");
        assert!(rows[0].contains("uuid") && rows[0].contains("bob") && rows[0].contains("get"));
        assert!(
            rows[1].contains("channel") && rows[1].contains("room-.*") && rows[1].contains("join")
        );
        assert!(describe(&t, 1_700_000_000 + 3600).contains("(expired)"));
    }
}
