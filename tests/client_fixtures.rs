//! Every App Context response body recorded from real PubNub parses into the client's
//! models, and serialising the models gives back the same JSON: same keys, same key
//! order, same values. Nothing the server sent is lost.

use appctx::api::types::{Channel, ErrorEnvelope, Member, Membership, Page, Single, User};
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;

const RECORDED: &str = include_str!("fixtures/recorded/interactions.jsonl");

/// Parses `body` as `T` and checks the round trip is exact.
fn round_trip<T: DeserializeOwned + Serialize>(body: &str, what: &str) {
    let original: Value = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}"));
    let typed: T = serde_json::from_str(body).unwrap_or_else(|e| panic!("{what}: {e}\n{body}"));
    let again = serde_json::to_value(&typed).expect("serialise");
    assert_eq!(again, original, "{what}: values differ");
    // Value equality ignores key order; the text does not.
    assert_eq!(
        serde_json::to_string(&again).unwrap(),
        serde_json::to_string(&original).unwrap(),
        "{what}: key order differs"
    );
}

#[test]
fn every_recorded_app_context_response_parses_and_round_trips() {
    let mut checked = 0;
    for line in RECORDED.lines() {
        let rec: Value = serde_json::from_str(line).expect("jsonl line");
        let op = rec["operation"].as_str().unwrap_or_default();
        let status = rec["status"].as_u64().unwrap_or_default();
        let Some(body) = rec["resp_body"].as_str().filter(|b| !b.is_empty()) else {
            continue;
        };
        let what = format!(
            "#{} {op} {} ({})",
            rec["index"],
            status,
            rec["source_file"].as_str().unwrap_or_default()
        );
        if status != 200 {
            if op.starts_with("pam") || op.starts_with("subscribe") {
                continue;
            }
            round_trip::<ErrorEnvelope>(body, &what);
            checked += 1;
            continue;
        }
        match op {
            "get_all_uuid_metadata" => round_trip::<Page<User>>(body, &what),
            "get_uuid_metadata" | "set_uuid_metadata" | "remove_uuid_metadata" => {
                round_trip::<Single<User>>(body, &what)
            }
            "get_all_channel_metadata" => round_trip::<Page<Channel>>(body, &what),
            "get_channel_metadata" | "set_channel_metadata" | "remove_channel_metadata" => {
                round_trip::<Single<Channel>>(body, &what)
            }
            "get_memberships" | "set_memberships" | "remove_memberships" | "manage_memberships" => {
                round_trip::<Page<Membership>>(body, &what)
            }
            "get_channel_members"
            | "set_channel_members"
            | "remove_channel_members"
            | "manage_channel_members" => round_trip::<Page<Member>>(body, &what),
            // Access Manager and subscribe traffic are not App Context responses.
            _ => continue,
        }
        checked += 1;
    }
    // The recording holds 210 App Context responses (the rest is pam and subscribe).
    assert_eq!(checked, 210);
}

#[test]
fn expanded_relations_parse_as_objects_and_bare_ones_as_ids() {
    let body = r#"{"status":200,"data":[
        {"channel":{"id":"a","name":"A","description":null,"updated":"2024-01-01T00:00:00Z","eTag":"x"},"updated":"2024-01-01T00:00:00Z","eTag":"AZO/t53al7m8fw"},
        {"channel":{"id":"b"},"updated":"2024-01-01T00:00:00Z","eTag":"AZO/t53al7m8fw"}],"next":"Mg"}"#;
    let page: Page<Membership> = serde_json::from_str(body).unwrap();
    use appctx::api::types::Related;
    assert!(
        matches!(&page.data[0].channel, Related::Expanded(c) if c.name.as_deref() == Some("A"))
    );
    assert!(matches!(&page.data[1].channel, Related::Id { id } if id == "b"));
    assert_eq!(page.data[1].channel.id(), "b");
}
