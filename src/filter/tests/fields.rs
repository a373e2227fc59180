//! `parse_for` / `resolve_field` / `field_names` tests: which fields each
//! target accepts and how unknown ones are reported.

use super::*;
use crate::filter::{field_names, parse_for, resolve_field, FieldRef, Target};

fn accepts(target: Target, field_text: &str) {
    let text = format!("{field_text} == 1");
    if let Err(e) = parse_for(&text, target) {
        panic!("{target} should accept {field_text}: {e}");
    }
}

fn rejects(target: Target, text: &str, column: usize, needle: &str) {
    match parse_for(text, target) {
        Ok(e) => panic!("{target} should reject {text:?}, got {e:?}"),
        Err(e) => {
            assert_eq!(e.column, column, "column for {text:?}: {e}");
            assert!(
                e.message.contains(needle),
                "message for {text:?}: {:?}",
                e.message
            );
        }
    }
}

#[test]
fn users_fields() {
    for f in [
        "id",
        "name",
        "externalId",
        "profileUrl",
        "email",
        "status",
        "type",
        "updated",
    ] {
        accepts(Target::Users, f);
    }
    accepts(Target::Users, "custom.tier");
    accepts(Target::Users, r#"custom["employment-status"]"#);
    accepts(Target::Users, r#"["custom"]["a b"]"#);
    for f in [
        "description",
        "channel.name",
        "uuid.name",
        "foo",
        "Name",
        "custom.a.b",
    ] {
        assert!(
            parse_for(&format!("{f} == 1"), Target::Users).is_err(),
            "{f}"
        );
    }
}

#[test]
fn channels_fields() {
    for f in [
        "id",
        "name",
        "description",
        "status",
        "type",
        "updated",
        "custom.x",
    ] {
        accepts(Target::Channels, f);
    }
    for f in ["email", "externalId", "profileUrl", "channel.name"] {
        assert!(
            parse_for(&format!("{f} == 1"), Target::Channels).is_err(),
            "{f}"
        );
    }
}

#[test]
fn memberships_fields() {
    for f in [
        "channel.id",
        "channel.name",
        "channel.description",
        "channel.status",
        "channel.type",
        "channel.updated",
        "channel.custom.x",
        r#"channel.custom["a-b"]"#,
        "status",
        "type",
        "updated",
        "custom.role",
    ] {
        accepts(Target::Memberships, f);
    }
    for f in [
        "id",
        "name",
        "channel.email",
        "uuid.name",
        "channel",
        "channel.custom",
        "description",
    ] {
        assert!(
            parse_for(&format!("{f} == 1"), Target::Memberships).is_err(),
            "{f}"
        );
    }
}

#[test]
fn members_fields() {
    for f in [
        "uuid.id",
        "uuid.name",
        "uuid.externalId",
        "uuid.profileUrl",
        "uuid.email",
        "uuid.status",
        "uuid.type",
        "uuid.updated",
        "uuid.custom.x",
        "status",
        "type",
        "updated",
        "custom.role",
    ] {
        accepts(Target::Members, f);
    }
    for f in [
        "id",
        "email",
        "uuid.description",
        "channel.name",
        "uuid",
        "uuid.custom.a.b",
    ] {
        assert!(
            parse_for(&format!("{f} == 1"), Target::Members).is_err(),
            "{f}"
        );
    }
}

#[test]
fn unknown_field_message_and_column() {
    rejects(
        Target::Users,
        "name == 'x' && foo == 1",
        16,
        "unknown field 'foo' for users; filterable fields: id, name, externalId, profileUrl, email, status, type, updated, custom.<key>",
    );
    rejects(
        Target::Channels,
        "(name == 'x' || !(email == 1))",
        19,
        "unknown field 'email' for channels",
    );
    rejects(
        Target::Memberships,
        "channel.nam LIKE 'x*'",
        1,
        "channel.custom.<key>, status",
    );
    rejects(
        Target::Users,
        "externalid == 'x'",
        1,
        "did you mean 'externalId'?",
    );
    rejects(
        Target::Members,
        r#"uuid.custom["a b"] == 1 || uuid.x == 1"#,
        28,
        "unknown field 'uuid.x' for members",
    );
}

#[test]
fn custom_needs_exactly_one_key() {
    rejects(
        Target::Users,
        "custom == 1",
        1,
        "needs a key, e.g. custom.tier",
    );
    rejects(Target::Users, "custom.a.b == 1", 1, "exactly one key");
    rejects(
        Target::Memberships,
        "channel.custom == 1",
        1,
        "e.g. channel.custom.tier",
    );
    rejects(
        Target::Members,
        "uuid.custom.a['b'] == 1",
        1,
        "exactly one key",
    );
    rejects(Target::Users, r#"custom[""] == 1"#, 1, "must not be empty");
    rejects(
        Target::Memberships,
        "channel == 1",
        1,
        "needs a field name after it",
    );
}

#[test]
fn syntax_errors_come_through_parse_for() {
    rejects(Target::Users, "name ==", 8, "expected a value");
}

#[test]
fn resolve_field_kinds() {
    let f = field(&["name"]);
    assert_eq!(
        resolve_field(&f, Target::Users),
        Ok(FieldRef::Column {
            entity: None,
            name: "name"
        })
    );
    let f = field(&["channel", "updated"]);
    assert_eq!(
        resolve_field(&f, Target::Memberships),
        Ok(FieldRef::Column {
            entity: Some("channel"),
            name: "updated"
        })
    );
    let f = field(&["uuid", "custom", "a b"]);
    assert_eq!(
        resolve_field(&f, Target::Members),
        Ok(FieldRef::Custom {
            entity: Some("uuid"),
            key: "a b"
        })
    );
    let f = field(&["custom", "role"]);
    assert_eq!(
        resolve_field(&f, Target::Members),
        Ok(FieldRef::Custom {
            entity: None,
            key: "role"
        })
    );
}

#[test]
fn field_names_are_all_valid() {
    for target in [
        Target::Users,
        Target::Channels,
        Target::Memberships,
        Target::Members,
    ] {
        let names = field_names(target);
        assert!(!names.is_empty());
        for name in names {
            let text = match name.strip_suffix('.') {
                Some(prefix) => format!("{prefix}.k"),
                None => (*name).to_string(),
            };
            accepts(target, &text);
        }
    }
    assert!(field_names(Target::Users).contains(&"custom."));
    assert!(field_names(Target::Memberships).contains(&"channel.custom."));
    assert!(field_names(Target::Members).contains(&"uuid.externalId"));
}
