//! Editing flows driven by keys against an in-process local server (sometimes behind a
//! counting proxy), each checking the server's state afterwards through `api::Client`.

mod common;

use std::time::Duration;

use appctx::api::types::Maybe;
use appctx::api::{Client, ClientOptions, Include, Keyset, ListOptions, RelationInclude};
use appctx::tui::action::Action;
use appctx::tui::app::{Backend, Focus, Overlay, Relations, Session};
use appctx::tui::keymap::Keymap;
use appctx::tui::Runner;
use common::proxy::Proxy;
use common::screen::screen;
use common::TestServer;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const WAIT: Duration = Duration::from_secs(10);

fn session(read_only: bool) -> Session {
    Session {
        keyset: "demo".into(),
        backend: Backend::Local,
        read_only,
        read_only_reason: if read_only {
            "--read-only".into()
        } else {
            String::new()
        },
        access: None,
    }
}

fn client(origin: &str, read_only: bool) -> Client {
    let options = ClientOptions {
        read_only,
        ..Default::default()
    };
    Client::with_options(Keyset::new(origin, "demo", "tui-edit"), options).expect("client")
}

async fn runner_on(origin: &str, read_only: bool) -> Runner {
    let mut r = Runner::new(
        client(origin, read_only),
        Keymap::default_map(),
        session(read_only),
        (120, 40),
    );
    assert!(r.settle(WAIT).await, "first screen loads");
    assert!(
        r.wait_until(WAIT, |a| a.live == appctx::tui::live::LiveState::Live)
            .await,
        "live updates connect"
    );
    r
}

fn ctrl(r: &mut Runner, c: char) {
    r.handle(Action::Key(KeyEvent::new(
        KeyCode::Char(c),
        KeyModifiers::CONTROL,
    )));
}

fn snapshot(name: &str, r: &Runner) {
    // Writes made during a test stamp new times and eTags: those are redacted.
    let filters = vec![
        // A time's length varies (trailing zeros are trimmed): the padding after it goes too.
        (r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z *", "[time] "),
        (r"[0-9a-f]{32}", "[etag]"),
    ];
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false, filters => filters}, {
        insta::assert_snapshot!(name, screen(r));
    });
}

fn all_relations() -> ListOptions<RelationInclude> {
    ListOptions {
        include: RelationInclude {
            relation: Include::ALL,
            related: None,
        },
        include_total_count: true,
        ..Default::default()
    }
}

#[tokio::test]
async fn remove_then_undo_restores_the_user_and_its_memberships() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    let id = r.app.users.selected_id().unwrap().to_string();
    let before = api.get_user(&id, Include::ALL).await.unwrap();
    let memberships = api.list_memberships(&id, &all_relations()).await.unwrap();
    assert!(memberships.total_count.unwrap() > 0);

    r.key(KeyCode::Char('d'));
    assert!(matches!(r.app.overlay, Overlay::Confirm(_)));
    snapshot("confirm_remove_user_120x40", &r);
    r.key(KeyCode::Char('a')); // remove together with the memberships
    assert!(r.settle(WAIT).await);
    assert_eq!(
        api.get_user(&id, Include::ALL).await.unwrap_err().status(),
        Some(404)
    );
    assert_eq!(
        api.list_memberships(&id, &all_relations())
            .await
            .unwrap()
            .total_count,
        Some(0)
    );
    assert!(
        !r.app.users.rows.iter().any(|u| u.user_id == id),
        "row gone"
    );

    r.key(KeyCode::Char('u'));
    assert!(r.settle(WAIT).await);
    let after = api.get_user(&id, Include::ALL).await.unwrap();
    assert_eq!(
        (after.name, after.email, after.custom),
        (before.name, before.email, before.custom)
    );
    let restored = api.list_memberships(&id, &all_relations()).await.unwrap();
    let strip = |p: &appctx::api::types::Page<appctx::api::types::Membership>| {
        p.data
            .iter()
            .map(|m| {
                (
                    m.channel.id().to_string(),
                    m.custom.clone(),
                    m.status.clone(),
                    m.kind.clone(),
                )
            })
            .collect::<Vec<_>>()
    };
    assert_eq!(strip(&restored), strip(&memberships));
    assert!(r.app.users.rows.iter().any(|u| u.user_id == id), "row back");
}

#[tokio::test]
async fn two_memberships_added_and_one_removed_in_one_manage_call() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let proxy = Proxy::start(server.origin()).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&proxy.origin, false).await;
    let user = r.app.users.selected_id().unwrap().to_string();
    let existing: Vec<String> = match &r.app.detail.as_ref().unwrap().relations {
        Relations::Memberships(l) => l.rows.iter().map(|m| m.channel.id().to_string()).collect(),
        _ => unreachable!(),
    };
    r.key(KeyCode::Enter); // focus memberships
    r.key(KeyCode::Char('m'));
    assert!(matches!(r.app.overlay, Overlay::Relations(_)));
    r.key(KeyCode::Char(' ')); // mark the first membership for removal
    r.key(KeyCode::Char('a'));
    assert!(r.settle(WAIT).await, "picker loads");
    let mut chosen = Vec::new();
    for _ in 0..30 {
        let Overlay::Relations(e) = &r.app.overlay else {
            panic!("editor closed")
        };
        let appctx::tui::relations_editor::Mode::Picker(p) = &e.mode else {
            panic!("not picking")
        };
        let (id, _) = p.rows[p.cursor].clone();
        if chosen.len() < 2 && !existing.contains(&id) {
            chosen.push(id);
            r.key(KeyCode::Char(' '));
        } else {
            r.key(KeyCode::Char('j'));
        }
        if chosen.len() == 2 {
            break;
        }
    }
    assert_eq!(chosen.len(), 2);
    r.key(KeyCode::Enter); // add the chosen
    snapshot("memberships_editor_120x40", &r);
    proxy.clear();
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let patches: Vec<_> = proxy
        .hits()
        .into_iter()
        .filter(|h| h.method == "PATCH")
        .collect();
    assert_eq!(patches.len(), 1, "one manage call: {patches:?}");
    assert!(patches[0]
        .path
        .ends_with(&format!("/uuids/{user}/channels")));
    let now = api.list_memberships(&user, &all_relations()).await.unwrap();
    let ids: Vec<String> = now
        .data
        .iter()
        .map(|m| m.channel.id().to_string())
        .collect();
    assert!(!ids.contains(&existing[0]), "removed");
    assert!(chosen.iter().all(|c| ids.contains(c)), "added");
    assert_eq!(ids.len(), existing.len() + 1);
    match &r.app.detail.as_ref().unwrap().relations {
        Relations::Memberships(l) => assert_eq!(
            l.rows.len(),
            ids.len(),
            "the list shows what the server returned"
        ),
        _ => unreachable!(),
    }
}

#[tokio::test]
async fn a_members_status_is_edited_in_one_call() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let proxy = Proxy::start(server.origin()).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&proxy.origin, false).await;
    r.key(KeyCode::Char('2'));
    assert!(r.settle(WAIT).await);
    // Find a channel with members.
    for _ in 0..40 {
        let has = matches!(&r.app.detail.as_ref().unwrap().relations, Relations::Members(l) if !l.rows.is_empty());
        if has {
            break;
        }
        r.key(KeyCode::Char('j'));
        assert!(r.settle(WAIT).await);
    }
    let channel = r.app.detail.as_ref().unwrap().id.clone();
    r.key(KeyCode::Enter);
    assert_eq!(r.app.focus, Focus::Detail);
    r.key(KeyCode::Char('m'));
    r.key(KeyCode::Char('e'));
    ctrl(&mut r, 'u');
    for _ in 0..60 {
        r.key(KeyCode::Backspace);
    }
    r.type_text("muted");
    r.key(KeyCode::Enter);
    proxy.clear();
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    assert_eq!(
        proxy.hits().iter().filter(|h| h.method == "PATCH").count(),
        1
    );
    let members = api.list_members(&channel, &all_relations()).await.unwrap();
    assert_eq!(members.data[0].status, Maybe::Value("muted".into()));
}

/// Opens the members manager on the first channel with members and edits the first
/// member's status to `status`; returns the channel and the member's id.
async fn edit_first_member_status(r: &mut Runner, status: &str) -> (String, String) {
    r.key(KeyCode::Char('2'));
    assert!(r.settle(WAIT).await);
    for _ in 0..40 {
        let has = matches!(&r.app.detail.as_ref().unwrap().relations, Relations::Members(l) if !l.rows.is_empty());
        if has {
            break;
        }
        r.key(KeyCode::Char('j'));
        assert!(r.settle(WAIT).await);
    }
    let d = r.app.detail.as_ref().unwrap();
    let channel = d.id.clone();
    let Relations::Members(l) = &d.relations else {
        panic!("members")
    };
    let member = l.rows[0].uuid.id().to_string();
    r.key(KeyCode::Enter);
    r.key(KeyCode::Char('m'));
    r.key(KeyCode::Char('e'));
    ctrl(r, 'u');
    for _ in 0..60 {
        r.key(KeyCode::Backspace);
    }
    r.type_text(status);
    r.key(KeyCode::Enter);
    (channel, member)
}

#[tokio::test]
async fn a_relation_saved_over_someone_elses_change_keeps_it_and_asks_on_a_real_conflict() {
    use appctx::api::{RelationChange, RelationEntry};
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    let (channel, member) = edit_first_member_status(&mut r, "muted").await;
    // Meanwhile someone adds a custom key to the same member (status untouched).
    let now = api.list_members(&channel, &all_relations()).await.unwrap();
    let current = now.data.iter().find(|m| m.uuid.id() == member).unwrap();
    let mut custom = current.custom.as_ref().cloned().unwrap_or_default();
    custom.insert("addedByThem".into(), serde_json::json!("yes"));
    let theirs = RelationChange {
        set: vec![RelationEntry {
            id: member.clone(),
            custom: Maybe::Value(custom),
            status: current.status.clone(),
            kind: current.kind.clone(),
        }],
        ..Default::default()
    };
    api.manage_members(&channel, &theirs, &all_relations())
        .await
        .unwrap();
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let after = api.list_members(&channel, &all_relations()).await.unwrap();
    let m = after.data.iter().find(|m| m.uuid.id() == member).unwrap();
    assert_eq!(m.status, Maybe::Value("muted".into()), "my status");
    assert_eq!(
        m.custom
            .as_ref()
            .and_then(|c| c.get("addedByThem"))
            .cloned(),
        Some(serde_json::json!("yes")),
        "their custom key survives"
    );

    // Both change the status: nothing is written until a second Ctrl-s.
    r.key(KeyCode::Char('m'));
    r.key(KeyCode::Char('e'));
    ctrl(&mut r, 'u');
    for _ in 0..60 {
        r.key(KeyCode::Backspace);
    }
    r.type_text("away");
    r.key(KeyCode::Enter);
    let theirs = RelationChange {
        set: vec![RelationEntry {
            id: member.clone(),
            custom: m.custom.clone(),
            status: Maybe::Value("banned".into()),
            kind: m.kind.clone(),
        }],
        ..Default::default()
    };
    api.manage_members(&channel, &theirs, &all_relations())
        .await
        .unwrap();
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let Overlay::Relations(ed) = &r.app.overlay else {
        panic!("the manager stays open: {:?}", r.app.overlay)
    };
    let err = ed.error.clone().unwrap_or_default();
    assert!(err.contains("status") && err.contains("banned"), "{err}");
    let stored = api.list_members(&channel, &all_relations()).await.unwrap();
    let m = stored.data.iter().find(|m| m.uuid.id() == member).unwrap();
    assert_eq!(
        m.status,
        Maybe::Value("banned".into()),
        "nothing written yet"
    );
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let stored = api.list_members(&channel, &all_relations()).await.unwrap();
    let m = stored.data.iter().find(|m| m.uuid.id() == member).unwrap();
    assert_eq!(
        m.status,
        Maybe::Value("away".into()),
        "mine, once confirmed"
    );
}

#[tokio::test]
async fn bulk_removal_goes_on_past_a_failure_and_reports_it() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let proxy = Proxy::start(server.origin()).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&proxy.origin, false).await;
    let ids: Vec<String> = r
        .app
        .users
        .rows
        .iter()
        .take(3)
        .map(|u| u.user_id.clone())
        .collect();
    proxy.fail("DELETE", &format!("/uuids/{}", ids[1]));
    for _ in 0..3 {
        r.key(KeyCode::Char(' '));
    }
    assert_eq!(r.app.users.marked.len(), 3);
    r.key(KeyCode::Char('d'));
    r.key(KeyCode::Char('y'));
    assert!(r.settle(WAIT).await);
    let Overlay::Report { lines, .. } = &r.app.overlay else {
        panic!("no report: {:?}", r.app.overlay)
    };
    let text = lines.join("\n");
    assert!(text.contains("Removed 2 of 3 users"), "{text}");
    assert!(
        text.contains(&ids[1]) && text.contains("Injected failure"),
        "{text}"
    );
    snapshot("bulk_report_120x40", &r);
    assert_eq!(
        api.get_user(&ids[0], Include::NONE)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
    assert!(
        api.get_user(&ids[1], Include::NONE).await.is_ok(),
        "the failed one stays"
    );
    assert_eq!(
        api.get_user(&ids[2], Include::NONE)
            .await
            .unwrap_err()
            .status(),
        Some(404)
    );
}

#[tokio::test]
async fn read_only_refuses_every_write_and_sends_nothing() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let proxy = Proxy::start(server.origin()).await;
    let mut r = runner_on(&proxy.origin, true).await;
    proxy.clear();
    for k in ['e', 'n', 'd', 'u'] {
        r.key(KeyCode::Char(k));
        assert!(
            matches!(r.app.overlay, Overlay::None),
            "{k} opened {:?}",
            r.app.overlay
        );
    }
    r.key(KeyCode::Enter);
    r.key(KeyCode::Char('m'));
    r.key(KeyCode::Char('d'));
    assert!(matches!(r.app.overlay, Overlay::None));
    assert!(r.settle(WAIT).await);
    let refusals = r
        .app
        .toasts
        .iter()
        .filter(|t| t.text.contains("Read-only session (--read-only)"))
        .map(|t| t.count)
        .sum::<u32>();
    assert!(refusals >= 6, "{:?}", r.app.toasts);
    assert!(
        proxy.hits().iter().all(|h| h.method == "GET"),
        "{:?}",
        proxy.hits()
    );
    let text = screen(&r);
    assert!(text.contains("READ-ONLY"), "{text}");
}

fn editor(r: &Runner) -> &appctx::tui::editor::Editor {
    match &r.app.overlay {
        Overlay::Editor(e) => e,
        other => panic!("no editor: {other:?}"),
    }
}

/// Adds a custom row: key, value, then Ctrl-t until it has `kind`.
fn add_custom(r: &mut Runner, key: &str, value: &str, kind: appctx::tui::editor::ValueKind) {
    ctrl(r, 'n');
    r.type_text(key);
    r.key(KeyCode::Tab);
    r.type_text(value);
    for _ in 0..4 {
        if editor(r).rows().last().map(|row| row.kind()) == Some(kind) {
            return;
        }
        ctrl(r, 't');
    }
    panic!("type {kind:?} not reached");
}

fn retype(r: &mut Runner, text: &str) {
    r.key(KeyCode::End);
    ctrl(r, 'u');
    r.type_text(text);
}

#[tokio::test]
async fn create_a_user_with_custom_fields_of_each_type() {
    use appctx::tui::editor::ValueKind;
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    r.key(KeyCode::Char('n'));
    r.type_text("user-nora-new");
    r.key(KeyCode::Tab);
    r.type_text("Nora Nowa");
    add_custom(&mut r, "tier", "gold", ValueKind::String);
    add_custom(&mut r, "karma", "17585427405462024", ValueKind::Number);
    add_custom(&mut r, "rating", "4.7", ValueKind::Number);
    add_custom(&mut r, "verified", "true", ValueKind::Boolean);
    snapshot("editor_new_user_120x40", &r);
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    assert!(
        matches!(r.app.overlay, Overlay::None),
        "editor closes on success: {:?}",
        r.app.overlay
    );
    let u = api.get_user("user-nora-new", Include::ALL).await.unwrap();
    assert_eq!(u.name.as_deref(), Some("Nora Nowa"));
    let custom = serde_json::to_string(&u.custom).unwrap();
    assert_eq!(
        custom,
        r#"{"karma":17585427405462024,"rating":4.7,"tier":"gold","verified":true}"#
    );
    assert_eq!(
        r.app.users.selected_id(),
        Some("user-nora-new"),
        "the new row is shown and selected"
    );
    // Creating the same id again is refused instead of overwriting it.
    r.key(KeyCode::Char('n'));
    r.type_text("user-nora-new");
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let err = editor(&r).server_error.clone().unwrap_or_default();
    assert!(err.contains("already exists"), "{err}");
    assert_eq!(
        api.get_user("user-nora-new", Include::ALL)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Nora Nowa")
    );
}

#[tokio::test]
async fn edit_a_channels_description_and_custom_in_place() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    r.key(KeyCode::Char('2'));
    assert!(r.settle(WAIT).await);
    let id = r.app.channels.selected_id().unwrap().to_string();
    r.key(KeyCode::Char('e'));
    r.key(KeyCode::Tab); // name -> description
    retype(&mut r, "Everything about the launch");
    add_custom(
        &mut r,
        "slaHours",
        "4",
        appctx::tui::editor::ValueKind::Number,
    );
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let c = api.get_channel(&id, Include::ALL).await.unwrap();
    assert_eq!(
        c.description.as_deref(),
        Some("Everything about the launch")
    );
    assert_eq!(
        c.custom.as_ref().and_then(|m| m.get("slaHours")),
        Some(&serde_json::json!(4))
    );
    let row = r
        .app
        .channels
        .rows
        .iter()
        .find(|ch| ch.channel_id == id)
        .unwrap();
    assert_eq!(row.etag, c.etag, "row updated in place with the new eTag");
    assert_eq!(r.app.channels.rows.len(), 58, "no reload of the whole list");
}

#[tokio::test]
async fn invalid_json_in_the_raw_view_stays_in_the_editor_and_sends_nothing() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let proxy = Proxy::start(server.origin()).await;
    let mut r = runner_on(&proxy.origin, false).await;
    r.key(KeyCode::Char('e'));
    ctrl(&mut r, 'j');
    assert!(editor(&r).raw().is_some());
    r.type_text("}{ not json");
    proxy.clear();
    ctrl(&mut r, 'j'); // refuses to leave the raw view
    ctrl(&mut r, 's'); // refuses to save
    assert!(r.settle(WAIT).await);
    let e = editor(&r);
    let raw = e.raw().expect("still in the raw view");
    assert!(
        raw.area().lines().join("\n").contains("}{ not json"),
        "text kept"
    );
    assert!(raw.error().is_some(), "error shown");
    snapshot("editor_raw_json_error_120x40", &r);
    assert!(proxy.hits().is_empty(), "nothing sent: {:?}", proxy.hits());
}

#[tokio::test]
async fn a_conflicting_change_opens_the_conflict_view_and_each_choice_works() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    let id = r.app.users.selected_id().unwrap().to_string();
    let theirs = |name: &str| appctx::api::UserFields {
        name: Maybe::Value(name.into()),
        ..Default::default()
    };

    // 1. Back to editing, then save: mine wins with their eTag.
    r.key(KeyCode::Char('e'));
    api.set_user(&id, &theirs("Theirs 1"), &Default::default())
        .await
        .unwrap();
    // Live updates: the open editor says the record changed before the user saves.
    assert!(
        r.wait_until(
            WAIT,
            |a| matches!(&a.overlay, Overlay::Editor(e) if e.remote_warning.is_some())
        )
        .await,
        "the editor warns about the remote change"
    );
    snapshot("editor_remote_change_warning_120x40", &r);
    retype(&mut r, "Mine 1");
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    assert!(
        matches!(r.app.overlay, Overlay::Conflict(_)),
        "{:?}",
        r.app.overlay
    );
    snapshot("conflict_view_120x40", &r);
    r.key(KeyCode::Char('e'));
    assert!(
        editor(&r).notice().unwrap_or_default().contains("merged"),
        "the editor says it holds the merge: {:?}",
        editor(&r).notice()
    );
    assert!(editor(&r).is_dirty(), "the merge is an unsaved change");
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    assert_eq!(
        api.get_user(&id, Include::ALL)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Mine 1")
    );

    // 2. Take theirs: nothing written, the row shows theirs.
    r.key(KeyCode::Char('e'));
    api.set_user(&id, &theirs("Theirs 2"), &Default::default())
        .await
        .unwrap();
    retype(&mut r, "Mine 2");
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    r.key(KeyCode::Char('t'));
    assert!(r.settle(WAIT).await);
    assert!(matches!(r.app.overlay, Overlay::None));
    assert_eq!(
        api.get_user(&id, Include::ALL)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Theirs 2")
    );
    let row = r.app.users.rows.iter().find(|u| u.user_id == id).unwrap();
    assert_eq!(row.name.as_deref(), Some("Theirs 2"));

    // 3. Apply mine on top of theirs.
    r.key(KeyCode::Char('e'));
    api.set_user(&id, &theirs("Theirs 3"), &Default::default())
        .await
        .unwrap();
    retype(&mut r, "Mine 3");
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    r.key(KeyCode::Char('m'));
    assert!(r.settle(WAIT).await);
    assert!(
        matches!(r.app.overlay, Overlay::None),
        "{:?}",
        r.app.overlay
    );
    assert_eq!(
        api.get_user(&id, Include::ALL)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("Mine 3")
    );
}

#[tokio::test]
async fn a_merge_keeps_their_custom_and_my_name_and_a_choice_on_the_same_field_holds() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    let id = r.app.users.selected_id().unwrap().to_string();
    let before = api.get_user(&id, Include::ALL).await.unwrap();

    // I change only the name; they change only custom.
    r.key(KeyCode::Char('e'));
    retype(&mut r, "Only My Name");
    let custom: appctx::api::types::Custom =
        serde_json::from_str(r#"{"tier":"platinum","seats":9}"#).unwrap();
    api.set_user(
        &id,
        &appctx::api::UserFields {
            custom: Maybe::Value(custom.clone()),
            ..Default::default()
        },
        &Default::default(),
    )
    .await
    .unwrap();
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let Overlay::Conflict(c) = &r.app.overlay else {
        panic!("conflict view: {:?}", r.app.overlay)
    };
    assert_eq!(c.merge.conflicts(), 0, "different fields do not conflict");
    r.key(KeyCode::Char('m'));
    assert!(r.settle(WAIT).await);
    assert!(
        matches!(r.app.overlay, Overlay::None),
        "{:?}",
        r.app.overlay
    );
    let after = api.get_user(&id, Include::ALL).await.unwrap();
    assert_eq!(after.name.as_deref(), Some("Only My Name"));
    assert_eq!(after.custom, Maybe::Value(custom), "their custom survives");
    assert_eq!(after.email, before.email);

    // Both change the name: the conflict defaults to mine; I choose theirs.
    r.key(KeyCode::Char('e'));
    retype(&mut r, "Mine Again");
    api.set_user(
        &id,
        &appctx::api::UserFields {
            name: Maybe::Value("Their Name".into()),
            ..Default::default()
        },
        &Default::default(),
    )
    .await
    .unwrap();
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    let Overlay::Conflict(c) = &r.app.overlay else {
        panic!("conflict view: {:?}", r.app.overlay)
    };
    assert_eq!(c.merge.conflicts(), 1);
    r.key(KeyCode::Left); // theirs for the selected conflict
    r.key(KeyCode::Char('m'));
    assert!(r.settle(WAIT).await);
    let after = api.get_user(&id, Include::ALL).await.unwrap();
    assert_eq!(
        after.name.as_deref(),
        Some("Their Name"),
        "the choice holds"
    );
}

#[tokio::test]
async fn ctrl_e_round_trips_the_record_through_the_users_editor() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let api = client(&server.origin(), false);
    let mut r = runner_on(&server.origin(), false).await;
    let id = r.app.users.selected_id().unwrap().to_string();
    // A stand-in for $EDITOR that edits the file the way a person would.
    let dir = tempfile::tempdir().unwrap();
    let script = dir.path().join("fake-editor.sh");
    std::fs::write(
        &script,
        "#!/bin/sh\nsed -i 's/\"name\": .*/\"name\": \"From The Editor\",/' \"$1\"\n",
    )
    .unwrap();
    std::fs::set_permissions(&script, std::os::unix::fs::PermissionsExt::from_mode(0o755)).unwrap();
    std::env::set_var("VISUAL", &script);
    r.key(KeyCode::Char('e'));
    ctrl(&mut r, 'e');
    assert_eq!(r.external.len(), 1, "the app asked for $EDITOR");
    r.run_external();
    assert!(
        editor(&r).server_error.is_none(),
        "{:?}",
        editor(&r).server_error
    );
    ctrl(&mut r, 's');
    assert!(r.settle(WAIT).await);
    assert_eq!(
        api.get_user(&id, Include::ALL)
            .await
            .unwrap()
            .name
            .as_deref(),
        Some("From The Editor")
    );
    // An editor that writes broken JSON changes nothing.
    std::fs::write(&script, "#!/bin/sh\necho '{broken' > \"$1\"\n").unwrap();
    r.key(KeyCode::Char('e'));
    ctrl(&mut r, 'e');
    r.run_external();
    let err = editor(&r).server_error.clone().unwrap_or_default();
    assert!(err.contains("$EDITOR"), "{err}");
    assert!(!editor(&r).is_dirty(), "form unchanged");
}
