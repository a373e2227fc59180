//! Checks each import record with the rules the server applies to the request that
//! would write it — the server's own functions on the exact body the client sends —
//! so a file is refused before anything is sent, and `--dry-run` and the real run
//! agree. (These rules live in `server::body` until they move to the wire layer.)

use crate::api::relations::{change_body, EntryBody};

use super::record::{ChannelRecord, MembershipRecord, UserRecord};
use crate::server::body::{self, check_channel_id, check_user_id, MAX_RECORD_BYTES};
use crate::server::error::ApiError;
use crate::server::model::{Kind, ObjectRow};
use crate::server::params::Include;
use crate::server::store::View;

/// Problems with a user record, each a sentence naming the field.
pub fn user(r: &UserRecord) -> Vec<String> {
    object(&r.id, Kind::User, serde_json::to_vec(&r.fields()))
}

/// Problems with a channel record.
pub fn channel(r: &ChannelRecord) -> Vec<String> {
    object(&r.id, Kind::Channel, serde_json::to_vec(&r.fields()))
}

/// Problems with a membership record, checked as the set-memberships body that
/// carries it.
pub fn membership(r: &MembershipRecord) -> Vec<String> {
    let mut problems = Vec::new();
    id_rules(&r.user, Kind::User, &mut problems);
    // The record's own fields, as the client writes them.
    let entry = EntryBody {
        related: "channel",
        id: &r.channel,
        custom: &r.custom,
        status: &r.status,
        kind: &r.kind,
    };
    match change_body(&[entry], &[]) {
        Err(e) => problems.push(format!("cannot be encoded: {e}")),
        Ok(bytes) => {
            if let Err(e) = body::manage_body(&bytes, View::Memberships) {
                problems.push(api_problem(&e));
            }
        }
    }
    problems
}

fn object(id: &str, kind: Kind, bytes: serde_json::Result<Vec<u8>>) -> Vec<String> {
    let mut problems = Vec::new();
    id_rules(id, kind, &mut problems);
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            problems.push(format!("cannot be encoded: {e}"));
            return problems;
        }
    };
    match body::object_patch(&bytes, kind) {
        Err(e) => problems.push(api_problem(&e)),
        Ok(patch) => {
            // As the server measures it: the patch over an empty record, rendered
            // with every field.
            let row = patch.apply(&ObjectRow::default());
            let all = Include {
                custom: true,
                status: true,
                kind: true,
                ..Default::default()
            };
            let rendered = crate::server::render::object(kind, &row, &all);
            let size = serde_json::to_vec(&rendered).map_or(0, |v| v.len());
            if size > MAX_RECORD_BYTES {
                problems.push(format!(
                    "the record would be {size} bytes; a record may be at most {MAX_RECORD_BYTES} bytes"
                ));
            }
        }
    }
    problems
}

/// The server's id rules (`api::rules`, which also refuse `.` and `..`).
fn id_rules(id: &str, kind: Kind, problems: &mut Vec<String>) {
    let checked = match kind {
        Kind::User => check_user_id(id, "id", true),
        Kind::Channel => check_channel_id(id, "id", true),
    };
    if let Err(e) = checked {
        problems.push(api_problem(&e));
    }
}

fn api_problem(e: &ApiError) -> String {
    match e.details.first() {
        Some(d) => format!("{}: {}", d.location, d.message),
        None => e.message.clone(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::Maybe;

    fn user_record(id: &str) -> UserRecord {
        serde_json::from_value(serde_json::json!({ "id": id })).unwrap()
    }

    #[test]
    fn records_are_checked_with_the_server_rules() {
        assert!(user(&user_record("ann")).is_empty());
        for bad in ["", "a,b", "a/b", "a:b", "a*b", "a\u{1b}b", ".", ".."] {
            assert_eq!(user(&user_record(bad)).len(), 1, "{bad:?}");
        }
        let mut long_status = user_record("ann");
        long_status.status = Maybe::Value("s".repeat(51));
        let p = user(&long_status);
        assert!(p[0].contains("status") && p[0].contains("50"), "{p:?}");
        let mut huge = user_record("ann");
        huge.name = Maybe::Value("n".repeat(40_000));
        assert!(
            user(&huge)[0].contains("at most 32768 bytes"),
            "{:?}",
            user(&huge)
        );
    }

    #[test]
    fn memberships_are_checked_as_the_body_that_writes_them() {
        let m = |v: serde_json::Value| -> MembershipRecord { serde_json::from_value(v).unwrap() };
        assert!(membership(&m(
            serde_json::json!({"user":"u","channel":"c","status":"ok"})
        ))
        .is_empty());
        let p = membership(&m(serde_json::json!({"user":"u","channel":"c/d"})));
        assert!(p[0].contains("set[0].channel.id"), "{p:?}");
        let p = membership(&m(
            serde_json::json!({"user":"u","channel":"c","type":"t".repeat(60)}),
        ));
        assert!(p[0].contains("set[0].type"), "{p:?}");
        let p = membership(&m(serde_json::json!({"user":"a:b","channel":"."})));
        assert_eq!(p.len(), 2, "{p:?}");
    }
}
