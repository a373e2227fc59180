//! Whole-app browsing flows, driven by key events against an in-process local server
//! seeded with the demo keyset, drawn on ratatui's `TestBackend`, with snapshots of the
//! main screens at 120×40 and 80×24.

mod common;

use std::time::Duration;

use appctx::api::{Client, Keyset};
use appctx::tui::action::EntityKind;
use appctx::tui::app::{Backend, Focus, Relations, Session, Tab};
use appctx::tui::keymap::Keymap;
use appctx::tui::Runner;
use common::screen::screen;
use common::TestServer;
use crossterm::event::KeyCode;

const WAIT: Duration = Duration::from_secs(10);

fn session() -> Session {
    Session {
        keyset: "demo".into(),
        backend: Backend::Local,
        read_only: false,
        read_only_reason: String::new(),
        access: None,
    }
}

async fn demo(size: (u16, u16)) -> (TestServer, Runner) {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let client = Client::new(Keyset::new(server.origin(), "demo", "tui-test")).expect("client");
    let mut runner = Runner::new(client, Keymap::default_map(), session(), size);
    assert!(runner.settle(WAIT).await, "first screen loads");
    assert!(
        runner
            .wait_until(WAIT, |a| a.live == appctx::tui::live::LiveState::Live)
            .await,
        "live updates connect"
    );
    (server, runner)
}

fn snapshot(name: &str, runner: &Runner) {
    insta::with_settings!({snapshot_path => "snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, screen(runner));
    });
}

#[tokio::test]
async fn users_list_and_detail_at_120x40() {
    let (_server, runner) = demo((120, 40)).await;
    assert_eq!(runner.app.users.counts(), "shown 100 of 265");
    assert!(matches!(&runner.app.detail, Some(d) if d.kind == EntityKind::User));
    snapshot("users_120x40", &runner);
}

#[tokio::test]
async fn users_list_and_detail_at_80x24() {
    let (_server, runner) = demo((80, 24)).await;
    snapshot("users_80x24", &runner);
}

#[tokio::test]
async fn a_huge_terminal_and_a_tiny_one_draw_without_panicking() {
    let (_server, mut runner) = demo((250, 70)).await;
    let text = screen(&runner);
    assert!(
        text.contains("email") && text.contains("updated"),
        "wide columns shown"
    );
    for size in [(20, 5), (19, 4), (1, 1), (45, 12), (99, 30), (100, 30)] {
        runner.handle(appctx::tui::action::Action::Resize(size.0, size.1));
        screen(&runner);
    }
}

#[tokio::test]
async fn open_a_membership_then_its_member_then_go_back() {
    let (_server, mut runner) = demo((120, 40)).await;
    runner.key(KeyCode::Enter);
    assert_eq!(runner.app.focus, Focus::Detail);
    let user = runner.app.detail.as_ref().unwrap().id.clone();
    let channel = match &runner.app.detail.as_ref().unwrap().relations {
        Relations::Memberships(l) => l
            .selected_id()
            .expect("the first user has memberships")
            .to_string(),
        _ => panic!("a user shows memberships"),
    };
    runner.key(KeyCode::Enter);
    assert!(runner.settle(WAIT).await);
    assert_eq!(runner.app.tab, Tab::Channels);
    let d = runner.app.detail.as_ref().unwrap();
    assert_eq!(
        (d.kind, d.id.as_str()),
        (EntityKind::Channel, channel.as_str())
    );
    let members = match &d.relations {
        Relations::Members(l) => l
            .rows
            .iter()
            .map(|m| m.uuid.id().to_string())
            .collect::<Vec<_>>(),
        _ => panic!("a channel shows members"),
    };
    assert!(members.contains(&user), "{user} is a member of {channel}");
    snapshot("channel_opened_from_membership_120x40", &runner);
    runner.key(KeyCode::Esc);
    assert!(runner.settle(WAIT).await);
    assert_eq!(runner.app.tab, Tab::Users);
    assert_eq!(runner.app.detail.as_ref().unwrap().id, user);
}

#[tokio::test]
async fn server_filter_and_sort_reload_from_the_server() {
    let (_server, mut runner) = demo((120, 40)).await;
    runner.key(KeyCode::Char('f'));
    runner.type_text("name LIKE 'a*'");
    runner.key(KeyCode::Enter);
    assert!(runner.settle(WAIT).await);
    let names: Vec<String> = runner
        .app
        .users
        .rows
        .iter()
        .map(|u| u.name.clone().unwrap_or_default())
        .collect();
    assert!(!names.is_empty());
    assert!(
        names.iter().all(|n| n.to_lowercase().starts_with('a')),
        "{names:?}"
    );
    runner.key(KeyCode::Char('s'));
    runner.key(KeyCode::Char('j')); // name
    runner.key(KeyCode::Char(' '));
    runner.key(KeyCode::Char(' ')); // descending
    runner.key(KeyCode::Enter);
    assert!(runner.settle(WAIT).await);
    let sorted: Vec<String> = runner
        .app
        .users
        .rows
        .iter()
        .map(|u| u.name.clone().unwrap_or_default().to_lowercase())
        .collect();
    assert!(sorted.first() >= sorted.last(), "{sorted:?}");
    let status = screen(&runner);
    assert!(status.contains("filter: name LIKE 'a*'"), "{status}");
    assert!(status.contains("sort: name:desc"), "{status}");
}

#[tokio::test]
async fn scrolling_to_the_end_loads_every_page() {
    let (_server, mut runner) = demo((120, 40)).await;
    // G: the last row at once, with the rows before it still to load.
    runner.key(KeyCode::Char('G'));
    assert!(runner.settle(WAIT).await);
    assert_eq!(runner.app.users.counts(), "rows 166–265 of 265");
    let last = runner.app.users.selected_id().map(str::to_string);
    runner.key(KeyCode::Char('g'));
    assert!(runner.settle(WAIT).await);
    // Scrolling down loads page after page, to the same last row.
    for _ in 0..30 {
        runner.key(KeyCode::PageDown);
        assert!(runner.settle(WAIT).await);
    }
    assert_eq!(runner.app.users.selected_id().map(str::to_string), last);
    assert_eq!(runner.app.users.rows.len(), 265);
    assert!(runner.app.users.exhausted);
    let mut ids: Vec<&str> = runner
        .app
        .users
        .rows
        .iter()
        .map(|u| u.user_id.as_str())
        .collect();
    ids.dedup();
    assert_eq!(ids.len(), 265, "no duplicates across pages");
}

#[tokio::test]
async fn local_search_and_help_screens() {
    let (_server, mut runner) = demo((120, 40)).await;
    runner.key(KeyCode::Char('/'));
    runner.type_text("ABIGAIL");
    let shown = runner.app.users.visible.len();
    assert_eq!(shown, 3, "case-insensitive substring over loaded rows");
    // The list holds part of the keyset: Enter asks the server.
    runner.key(KeyCode::Enter);
    assert!(runner.settle(WAIT).await);
    let filter = runner.app.users.filter.clone().unwrap_or_default();
    assert!(filter.contains("LIKE"), "{filter}");
    assert!(runner.app.users.exhausted, "the server's answer is whole");
    assert!(runner.app.users.rows.len() >= 3);
    assert!(runner.app.users.rows.iter().all(|u| {
        let text = format!("{} {:?} {:?}", u.user_id, u.name, u.email).to_lowercase();
        text.contains("abigail")
    }));
    runner.key(KeyCode::Char('?'));
    snapshot("help_120x40", &runner);
    runner.type_text("sort");
    let text = screen(&runner);
    assert!(text.contains("choose sort keys"), "{text}");
    assert!(!text.contains("move down"), "help is filtered");
}

#[tokio::test]
async fn an_unreachable_server_shows_an_error_and_a_retry_key() {
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    drop(listener);
    let mut options = appctx::api::ClientOptions::default();
    options.retry.max_retries = 0;
    let client = Client::with_options(Keyset::new(origin, "demo", "t"), options).unwrap();
    let mut runner = Runner::new(client, Keymap::default_map(), session(), (80, 24));
    assert!(runner.settle(WAIT).await);
    let text = screen(&runner);
    assert!(text.contains("Could not load"), "{text}");
    assert!(text.contains("Press r to retry"), "{text}");
    runner.key(KeyCode::Char('r'));
    assert!(runner.app.busy(), "retry sends again");
}

#[tokio::test]
async fn the_request_log_lists_every_call_with_keys_masked() {
    let server = TestServer::start_with(|c| c.empty = false).await;
    let (tx, rx) = tokio::sync::mpsc::unbounded_channel();
    let options = appctx::api::ClientOptions {
        observer: Some(appctx::tui::runner::log_observer(tx.clone())),
        ..Default::default()
    };
    let client =
        Client::with_options(Keyset::new(server.origin(), "demo", "tui-test"), options).unwrap();
    let mut runner = Runner::with_channel(
        client,
        Keymap::default_map(),
        session(),
        (120, 40),
        (tx, rx),
    );
    assert!(runner.settle(WAIT).await);
    runner.key(KeyCode::Char('f'));
    runner.type_text("custom.nope == {");
    runner.key(KeyCode::Esc);
    runner.key(KeyCode::Char('/'));
    runner.key(KeyCode::Esc);
    assert!(
        runner.wait_until(WAIT, |a| a.log.len() >= 3).await,
        "{:?}",
        runner.app.log
    );
    let log = &runner.app.log;
    assert!(
        log.iter().any(|e| e.method == "GET"
            && e.path == "/v2/objects/{sub}/uuids"
            && e.status == Some(200)),
        "{log:?}"
    );
    assert!(
        log.iter().all(|e| !e.path.contains("demo")),
        "subscribe key masked: {log:?}"
    );
    assert_eq!(log.len(), 3, "the invalid filter was never sent: {log:?}");
    runner.key(KeyCode::Char('L'));
    let text = screen(&runner);
    assert!(
        text.contains("Request log") && text.contains("/v2/objects/{sub}/channels"),
        "{text}"
    );
}

#[tokio::test]
async fn someone_elses_changes_appear_without_a_key_press() {
    let (server, mut runner) = demo((120, 40)).await;
    let api = Client::new(Keyset::new(server.origin(), "demo", "someone-else")).unwrap();
    let id = runner.app.users.selected_id().unwrap().to_string();
    let second = runner.app.users.rows[1].user_id.clone();
    let fields = appctx::api::UserFields {
        name: appctx::api::types::Maybe::Value("Renamed Remotely".into()),
        ..Default::default()
    };
    api.set_user(&id, &fields, &Default::default())
        .await
        .unwrap();
    assert!(
        runner
            .wait_until(WAIT, |a| a.users.rows[0].name.as_deref()
                == Some("Renamed Remotely"))
            .await,
        "the row updates in place"
    );
    assert!(runner.app.flash.contains_key(&id), "and is marked");
    let text = screen(&runner);
    assert!(
        text.contains("Renamed Remotely") && text.contains("changed on the server"),
        "{text}"
    );
    // A membership added elsewhere shows up in the open user's memberships.
    let before = match &runner.app.detail.as_ref().unwrap().relations {
        Relations::Memberships(l) => l.rows.len(),
        _ => unreachable!(),
    };
    let change = appctx::api::RelationChange {
        set: vec![appctx::api::RelationEntry::id("eng.oncall")],
        ..Default::default()
    };
    api.manage_memberships(&id, &change, &Default::default())
        .await
        .unwrap();
    assert!(
        runner
            .wait_until(WAIT, |a| matches!(&a.detail.as_ref().unwrap().relations, Relations::Memberships(l) if l.rows.len() == before + 1))
            .await,
        "memberships reload"
    );
    // A removal elsewhere marks the row as removed.
    api.remove_user(&second).await.unwrap();
    assert!(
        runner
            .wait_until(WAIT, |a| a.removed.contains(&second))
            .await
    );
}

#[tokio::test]
async fn live_updates_show_reconnecting_when_the_subscription_fails_and_w_turns_them_off() {
    use appctx::tui::live::LiveState;
    let server = TestServer::start_with(|c| c.empty = false).await;
    let proxy = common::proxy::Proxy::start(server.origin()).await;
    let client = Client::new(Keyset::new(proxy.origin.clone(), "demo", "tui-test")).unwrap();
    let mut runner = Runner::new(client, Keymap::default_map(), session(), (120, 40));
    assert!(runner.settle(WAIT).await);
    assert!(runner.wait_until(WAIT, |a| a.live == LiveState::Live).await);
    assert!(screen(&runner).contains("● live"));
    // The subscribe endpoint starts failing; other ids in view (the channels tab) make
    // the task poll again.
    proxy.fail("GET", "/0");
    runner.key(KeyCode::Char('2'));
    assert!(
        runner
            .wait_until(WAIT, |a| matches!(a.live, LiveState::Reconnecting(_)))
            .await
    );
    assert!(screen(&runner).contains("◌ reconnecting"));
    runner.key(KeyCode::Char('w'));
    assert_eq!(runner.app.live, LiveState::Off);
    assert!(screen(&runner).contains("○ off"));
}
