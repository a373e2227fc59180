//! The editor form driven by keys, as the app drives it.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use serde_json::json;

use super::*;
use crate::api::types::{Channel, Custom, Maybe, User};

fn press(e: &mut Editor, code: KeyCode) -> EditorOutcome {
    e.handle_key(KeyEvent::new(code, KeyModifiers::NONE))
}

fn ctrl(e: &mut Editor, c: char) -> EditorOutcome {
    e.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL))
}

fn type_text(e: &mut Editor, text: &str) {
    for c in text.chars() {
        press(e, KeyCode::Char(c));
    }
}

/// Clears the focused single-line input and types `text`.
fn retype(e: &mut Editor, text: &str) {
    press(e, KeyCode::End);
    ctrl(e, 'u');
    type_text(e, text);
}

fn focus_field(e: &mut Editor, key: FieldKey) {
    let i = e.fields().iter().position(|f| f.key() == key).unwrap();
    e.set_focus(Focus::Field(i));
}

/// Adds a custom row by keys: key, value, then Ctrl-t until the type is `kind`.
fn add_row(e: &mut Editor, key: &str, value: &str, kind: ValueKind) {
    ctrl(e, 'n');
    type_text(e, key);
    press(e, KeyCode::Tab);
    type_text(e, value);
    while e.rows().last().unwrap().kind() != kind {
        ctrl(e, 't');
    }
}

fn replace_raw(e: &mut Editor, text: &str) {
    let raw = e.raw.as_mut().unwrap();
    raw.area.select_all();
    raw.area.cut();
    e.paste(text);
}

/// A user with every field loaded and one custom entry (shared with the view tests).
pub(crate) fn alice() -> User {
    let mut custom = Custom::new();
    custom.insert("tier".into(), json!("gold"));
    User {
        user_id: "user-1".into(),
        name: Some("Alice".into()),
        email: Some("alice@example.com".into()),
        status: Maybe::Value("active".into()),
        kind: Maybe::Null,
        custom: Maybe::Value(custom),
        updated: "2024-01-01T00:00:00.000000Z".into(),
        etag: "etag-1".into(),
        ..Default::default()
    }
}

fn fields_json(p: &Payload) -> String {
    match p {
        Payload::User { fields, .. } => serde_json::to_string(fields).unwrap(),
        Payload::Channel { fields, .. } => serde_json::to_string(fields).unwrap(),
    }
}

#[test]
fn editing_name_and_custom_of_each_type_builds_the_payload() {
    let mut e = Editor::edit_user(&alice());
    assert_eq!(e.title(), "Edit user user-1");
    retype(&mut e, "Bob");
    add_row(&mut e, "score", "1520", ValueKind::Number);
    add_row(&mut e, "ratio", "4.7", ValueKind::Number);
    add_row(&mut e, "vip", "true", ValueKind::Boolean);
    add_row(&mut e, "gone", "", ValueKind::Null);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Save);
    let p = e.validate().unwrap();
    assert!(matches!(&p, Payload::User { id, .. } if id == "user-1"));
    assert_eq!(
        fields_json(&p),
        r#"{"name":"Bob","externalId":null,"profileUrl":null,"email":"alice@example.com","type":null,"status":"active","custom":{"gone":null,"ratio":4.7,"score":1520,"tier":"gold","vip":true}}"#
    );
}

#[test]
fn editing_a_channel_sends_every_field() {
    let c = Channel {
        channel_id: "general".into(),
        name: Some("General".into()),
        kind: Maybe::Null,
        status: Maybe::Null,
        custom: Maybe::Null,
        etag: "e".into(),
        ..Default::default()
    };
    let mut e = Editor::edit_channel(&c);
    focus_field(&mut e, FieldKey::Description);
    type_text(&mut e, "Talk");
    add_row(&mut e, "topic", "news", ValueKind::String);
    let p = e.validate().unwrap();
    assert!(matches!(&p, Payload::Channel { id, .. } if id == "general"));
    assert_eq!(
        fields_json(&p),
        r#"{"name":"General","description":"Talk","type":null,"status":null,"custom":{"topic":"news"}}"#
    );
}

#[test]
fn creating_with_an_invalid_id_is_refused_on_the_id_field() {
    let mut e = Editor::new_user();
    assert_eq!(e.title(), "New user");
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert!(e.fields()[0].error().unwrap().contains("must not be empty"));
    type_text(&mut e, "team/alice");
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    let problems = e.validate().unwrap_err();
    assert_eq!(problems.len(), 1, "{problems:?}");
    assert!(problems[0].starts_with("id: "), "{problems:?}");
    assert_eq!(e.fields()[0].key(), FieldKey::Id);
    assert!(e.fields()[0].error().unwrap().contains(", / \\ * :"));
    retype(&mut e, "alice");
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Save);
    assert_eq!(e.fields()[0].error(), None);
    let p = e.validate().unwrap();
    assert!(matches!(&p, Payload::User { id, .. } if id == "alice"));
    assert_eq!(
        fields_json(&p),
        r#"{"name":null,"externalId":null,"profileUrl":null,"email":null,"type":null,"status":null,"custom":null}"#
    );
}

#[test]
fn status_of_51_characters_is_refused() {
    let mut e = Editor::edit_user(&alice());
    focus_field(&mut e, FieldKey::Status);
    retype(&mut e, &"s".repeat(51));
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    let status = e
        .fields()
        .iter()
        .find(|f| f.key() == FieldKey::Status)
        .unwrap();
    assert_eq!(
        status.error(),
        Some("must be at most 50 characters, got 51")
    );
    press(&mut e, KeyCode::Backspace);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Save);
}

#[test]
fn duplicate_custom_keys_are_flagged_on_both_rows() {
    let mut e = Editor::edit_user(&alice());
    add_row(&mut e, "tier", "silver", ValueKind::String);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert_eq!(e.rows().len(), 2);
    for row in e.rows() {
        assert_eq!(row.key_error(), Some("duplicate key 'tier'"));
    }
    ctrl(&mut e, 'd');
    assert_eq!(e.rows().len(), 1);
    assert_eq!(e.rows()[0].key_error(), None);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Save);
}

#[test]
fn values_must_fit_their_type() {
    let mut e = Editor::edit_user(&alice());
    add_row(&mut e, "n", "abc", ValueKind::Number);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert_eq!(e.rows()[1].value_error(), Some("'abc' is not a number"));
    ctrl(&mut e, 't');
    assert_eq!(
        e.rows()[1].value_error(),
        Some("'abc' is not a boolean: type true or false")
    );
    ctrl(&mut e, 't');
    assert_eq!(e.rows()[1].kind(), ValueKind::Null);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Save);
}

#[test]
fn empty_keys_are_refused_on_save() {
    let mut e = Editor::edit_user(&alice());
    ctrl(&mut e, 'n');
    assert_eq!(e.rows()[1].key_error(), None, "not before a save");
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert_eq!(e.rows()[1].key_error(), Some("key must not be empty"));
}

#[test]
fn big_integers_are_kept_exact() {
    let mut e = Editor::edit_user(&alice());
    add_row(&mut e, "big", "17585427405462024", ValueKind::Number);
    let p = e.validate().unwrap();
    assert!(fields_json(&p).contains(r#""big":17585427405462024"#));
    // And one loaded from the server survives an unrelated edit.
    let mut u = alice();
    if let Maybe::Value(c) = &mut u.custom {
        c.insert("ts".into(), json!(17585427405462024u64));
    }
    let mut e = Editor::edit_user(&u);
    retype(&mut e, "Al");
    assert!(fields_json(&e.validate().unwrap()).contains(r#""ts":17585427405462024"#));
}

#[test]
fn raw_json_view_keeps_invalid_text_and_refuses_to_leave() {
    let mut e = Editor::edit_user(&alice());
    ctrl(&mut e, 'j');
    assert_eq!(e.focus(), Focus::Raw);
    assert_eq!(e.raw().unwrap().text(), "{\n  \"tier\": \"gold\"\n}");
    assert!(!e.is_dirty());
    replace_raw(&mut e, "{\n  \"tier\": \"gold\",\n  \"n\": 1,\n}");
    let err = e.raw().unwrap().error().unwrap().to_string();
    assert!(err.starts_with("line 4, column 1:"), "{err}");
    ctrl(&mut e, 'j');
    assert!(e.raw().is_some(), "refused");
    assert!(e.raw().unwrap().text().contains("\"n\": 1,"), "text kept");
    assert!(e.notice().unwrap().contains("line 4"));
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert_eq!(ctrl(&mut e, 'e'), EditorOutcome::Nothing);
    assert!(e.is_dirty());
    replace_raw(&mut e, r#"{"tier": "gold", "n": [1]}"#);
    assert!(e.raw().unwrap().error().unwrap().contains("an array"));
    replace_raw(
        &mut e,
        r#"{"tier": "bronze", "n": 17585427405462024, "ok": false}"#,
    );
    assert_eq!(e.raw().unwrap().error(), None);
    ctrl(&mut e, 'j');
    assert!(e.raw().is_none());
    let rows: Vec<_> = e.rows().iter().map(|r| r.snapshot()).collect();
    assert_eq!(
        rows,
        vec![
            ("tier".into(), "bronze".into(), ValueKind::String),
            ("n".into(), "17585427405462024".into(), ValueKind::Number),
            ("ok".into(), "false".into(), ValueKind::Boolean),
        ]
    );
    assert_eq!(e.focus(), Focus::Key(0));
    assert!(fields_json(&e.validate().unwrap())
        .contains(r#""custom":{"n":17585427405462024,"ok":false,"tier":"bronze"}"#));
}

#[test]
fn saving_from_the_raw_view_sends_its_content() {
    let mut e = Editor::edit_user(&alice());
    ctrl(&mut e, 'j');
    replace_raw(&mut e, r#"{"a": 1}"#);
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Save);
    assert!(fields_json(&e.validate().unwrap()).contains(r#""custom":{"a":1}"#));
}

#[test]
fn external_edit_with_bad_content_leaves_the_form_unchanged() {
    let mut e = Editor::edit_user(&alice());
    retype(&mut e, "Bob");
    let before = e.to_json();
    for bad in [
        "{ not json",
        "[1, 2]",
        r#"{"id": "someone-else"}"#,
        r#"{"id": "user-1", "nickname": "x"}"#,
        r#"{"id": "user-1", "name": 5}"#,
        r#"{"id": "user-1", "custom": {"a": {"b": 1}}}"#,
        r#"{"id": "user-1", "custom": {"a": 1, "a": 2}}"#,
        &format!(r#"{{"id": "user-1", "status": "{}"}}"#, "s".repeat(51)),
    ] {
        let err = e.apply_external(bad).unwrap_err();
        assert!(!err.is_empty());
        assert_eq!(e.to_json(), before, "after {bad}: {err}");
    }
    assert!(e
        .apply_external("{ not json")
        .unwrap_err()
        .starts_with("line 1, column"));
}

#[test]
fn external_edit_round_trips_and_applies() {
    let mut e = Editor::edit_user(&alice());
    let text = e.to_json();
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    assert_eq!(
        v,
        json!({"id": "user-1", "name": "Alice", "email": "alice@example.com", "externalId": null,
               "profileUrl": null, "status": "active", "type": null, "custom": {"tier": "gold"}})
    );
    e.apply_external(&text).unwrap();
    assert!(!e.is_dirty());
    let edited = text.replace("\"Alice\"", "\"Alicia\"").replace(
        "\"tier\": \"gold\"",
        "\"tier\": \"gold\", \"n\": 4.7, \"on\": true",
    );
    e.apply_external(&edited).unwrap();
    assert!(e.is_dirty());
    assert_eq!(e.fields()[0].input().text(), "Alicia");
    assert_eq!(e.rows().len(), 3);
    assert!(fields_json(&e.validate().unwrap())
        .contains(r#""custom":{"n":4.7,"on":true,"tier":"gold"}"#));
    match ctrl(&mut e, 'e') {
        EditorOutcome::OpenExternal(t) => assert!(t.contains("\"Alicia\"")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn esc_cancels_a_clean_form_and_asks_on_a_dirty_one() {
    let mut e = Editor::edit_user(&alice());
    press(&mut e, KeyCode::Down);
    assert_eq!(press(&mut e, KeyCode::Esc), EditorOutcome::Cancel);
    type_text(&mut e, "x");
    assert!(e.is_dirty());
    assert_eq!(press(&mut e, KeyCode::Esc), EditorOutcome::AskDiscard);
    assert_eq!(ctrl(&mut e, 'c'), EditorOutcome::AskDiscard);
    press(&mut e, KeyCode::Backspace);
    assert_eq!(press(&mut e, KeyCode::Esc), EditorOutcome::Cancel);
    ctrl(&mut e, 'n');
    assert_eq!(press(&mut e, KeyCode::Esc), EditorOutcome::AskDiscard);
}

#[test]
fn keys_do_nothing_while_saving_but_the_input_is_kept() {
    let mut e = Editor::edit_user(&alice());
    retype(&mut e, "Bob");
    e.saving = true;
    type_text(&mut e, "zz");
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert_eq!(ctrl(&mut e, 'n'), EditorOutcome::Nothing);
    assert!(e.rows().len() == 1 && e.fields()[0].input().text() == "Bob");
    assert_eq!(press(&mut e, KeyCode::Esc), EditorOutcome::AskDiscard);
}

#[test]
fn focus_moves_with_tab_and_arrows() {
    let mut e = Editor::edit_user(&alice());
    assert_eq!(e.focus(), Focus::Field(0));
    press(&mut e, KeyCode::BackTab);
    assert_eq!(e.focus(), Focus::Value(0), "wraps to the last input");
    press(&mut e, KeyCode::Tab);
    assert_eq!(e.focus(), Focus::Field(0));
    for _ in 0..5 {
        press(&mut e, KeyCode::Down);
    }
    assert_eq!(e.focus(), Focus::Field(5));
    press(&mut e, KeyCode::Down);
    assert_eq!(e.focus(), Focus::Key(0));
    press(&mut e, KeyCode::Tab);
    assert_eq!(e.focus(), Focus::Value(0));
    press(&mut e, KeyCode::Up);
    assert_eq!(e.focus(), Focus::Field(5));
    press(&mut e, KeyCode::Enter);
    assert_eq!(e.focus(), Focus::Key(0));
}

#[test]
fn fields_and_custom_not_loaded_are_left_alone() {
    let u = User {
        user_id: "u".into(),
        etag: "e".into(),
        ..Default::default()
    };
    let mut e = Editor::edit_user(&u);
    let p = e.validate().unwrap();
    assert_eq!(
        fields_json(&p),
        r#"{"name":null,"externalId":null,"profileUrl":null,"email":null}"#
    );
    assert!(!e.to_json().contains("custom"));
}

#[test]
fn an_empty_custom_table_sends_what_the_record_had() {
    let mut e = Editor::edit_user(&alice());
    press(&mut e, KeyCode::BackTab);
    ctrl(&mut e, 'd');
    assert!(e.rows().is_empty());
    assert_eq!(e.focus(), Focus::Field(5));
    assert!(fields_json(&e.validate().unwrap()).ends_with(r#""custom":{}}"#));
}

#[test]
fn an_oversized_record_is_refused() {
    let mut e = Editor::edit_user(&alice());
    ctrl(&mut e, 'n');
    type_text(&mut e, "blob");
    press(&mut e, KeyCode::Tab);
    e.paste(&"x".repeat(33 * 1024));
    assert_eq!(ctrl(&mut e, 's'), EditorOutcome::Nothing);
    assert!(e.record_error().unwrap().contains("at most 32768"));
}

#[test]
fn a_rebase_shows_the_merge_over_their_etag_and_counts_as_a_change() {
    let mut e = Editor::edit_user(&alice());
    retype(&mut e, "Mine");
    let mut theirs = alice();
    theirs.email = Some("theirs@example.com".into());
    theirs.etag = "etag-2".into();
    let mut merged = theirs.clone();
    merged.name = Some("Mine".into());
    e.rebase(
        &crate::tui::action::Entity::User(theirs.clone()),
        &crate::tui::action::Entity::User(merged),
    );
    assert_eq!(e.target().etag(), Some("etag-2"), "saves over their eTag");
    assert_eq!(e.fields()[0].input().text(), "Mine");
    assert!(e.is_dirty(), "the merge is unsaved against their version");
    assert_eq!(
        e.base(),
        Some(&crate::tui::action::Entity::User(theirs.clone()))
    );
    e.load_user(&theirs);
    assert!(!e.is_dirty());
}
