//! `App::update` without a terminal or a network: navigation, paging triggers,
//! filter and sort state, stale answers, history.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::{App, Backend, Focus, Overlay, Relations, Session, Tab};
use crate::api::types::{Channel, Cursor, Membership, Page, Related, User};
use crate::api::SortKey;
use crate::tui::action::{
    Action, Command, Entity, EntityKind, Failure, PageData, RequestId, Source,
};
use crate::tui::keymap::Keymap;

pub(super) fn session() -> Session {
    Session {
        keyset: "demo".into(),
        backend: Backend::Local,
        read_only: false,
        read_only_reason: String::new(),
        access: None,
    }
}

pub(super) fn user(i: usize) -> User {
    User {
        user_id: format!("user-{i:03}"),
        name: Some(format!("Name {i}")),
        updated: "2026-01-01T00:00:00Z".into(),
        etag: "e".into(),
        ..Default::default()
    }
}

pub(super) fn page<T>(data: Vec<T>, total: u64, next: Option<&str>) -> Page<T> {
    Page {
        status: 200,
        data,
        total_count: Some(total),
        next: next.map(|n| Cursor(n.into())),
        prev: None,
    }
}

pub(super) fn key(app: &mut App, code: KeyCode) -> Vec<Command> {
    app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

pub(super) fn typed(app: &mut App, text: &str) -> Vec<Command> {
    text.chars()
        .flat_map(|c| key(app, KeyCode::Char(c)))
        .collect()
}

pub(super) fn fetch_req(cmds: &[Command], want: &Source) -> Option<RequestId> {
    cmds.iter().find_map(|c| match c {
        Command::FetchPage { req, source, .. } if source == want => Some(*req),
        _ => None,
    })
}

/// An app whose users list holds `n` users (of `total`), with a next cursor if more.
/// A membership in channel `general` ("General").
pub(super) fn general_membership() -> Membership {
    Membership {
        channel: Related::Expanded(Channel {
            channel_id: "general".into(),
            name: Some("General".into()),
            ..Default::default()
        }),
        kind: Default::default(),
        status: Default::default(),
        custom: Default::default(),
        updated: "2026-01-01T00:00:00Z".into(),
        etag: "x".into(),
    }
}

pub(super) fn loaded(n: usize, total: u64) -> (App, Vec<Command>) {
    let (mut app, cmds) = App::new(Keymap::default_map(), session(), (120, 40));
    let req = fetch_req(&cmds, &Source::Users).expect("users fetched at start");
    let next = if (n as u64) < total {
        Some("MTAw")
    } else {
        None
    };
    let cmds = app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(
            (0..n).map(user).collect(),
            total,
            next,
        ))),
    });
    (app, cmds)
}

#[test]
fn start_loads_both_lists() {
    let (_, cmds) = App::new(Keymap::default_map(), session(), (120, 40));
    assert!(fetch_req(&cmds, &Source::Users).is_some());
    assert!(fetch_req(&cmds, &Source::Channels).is_some());
}

#[test]
fn first_page_selects_the_first_user_and_loads_its_memberships() {
    let (app, cmds) = loaded(100, 250);
    assert_eq!(app.users.rows.len(), 100);
    assert_eq!(app.users.counts(), "shown 100 of 250");
    let d = app.detail.as_ref().expect("detail follows the selection");
    assert_eq!(d.id, "user-000");
    assert!(
        matches!(d.entity, Some(Entity::User(_))),
        "no refetch of a row we have"
    );
    assert!(fetch_req(&cmds, &Source::Memberships("user-000".into())).is_some());
}

#[test]
fn moving_near_the_end_fetches_the_next_page_once() {
    let (mut app, _) = loaded(100, 250);
    let cmds: Vec<Command> = (0..80)
        .flat_map(|_| key(&mut app, KeyCode::Char('j')))
        .collect();
    let cursors: Vec<_> = cmds
        .iter()
        .filter_map(|c| match c {
            Command::FetchPage {
                source: Source::Users,
                cursor,
                ..
            } => Some(cursor.clone()),
            _ => None,
        })
        .collect();
    assert_eq!(
        cursors,
        vec![Some(Cursor("MTAw".into()))],
        "one fetch, of the next page"
    );
}

#[test]
fn answers_to_outdated_requests_are_dropped() {
    let (mut app, cmds) = App::new(Keymap::default_map(), session(), (120, 40));
    let old = fetch_req(&cmds, &Source::Users).unwrap();
    // A new server filter supersedes the first request.
    key(&mut app, KeyCode::Char('f'));
    typed(&mut app, "name LIKE 'N*'");
    let cmds = key(&mut app, KeyCode::Enter);
    let new = fetch_req(&cmds, &Source::Users).expect("filter reloads");
    assert_ne!(old, new);
    app.update(Action::PageLoaded {
        req: old,
        result: Ok(PageData::Users(page(vec![user(1)], 1, None))),
    });
    assert!(app.users.rows.is_empty(), "stale page shown");
    app.update(Action::PageLoaded {
        req: new,
        result: Ok(PageData::Users(page(vec![user(7)], 1, None))),
    });
    assert_eq!(app.users.rows[0].user_id, "user-007");
}

#[test]
fn an_invalid_server_filter_is_never_sent() {
    let (mut app, _) = loaded(3, 3);
    key(&mut app, KeyCode::Char('f'));
    typed(&mut app, "name ==");
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(cmds.is_empty());
    match &app.overlay {
        Overlay::Filter(f) => assert_eq!(f.error.as_ref().map(|e| e.column), Some(8)),
        other => panic!("filter dialog closed: {other:?}"),
    }
    typed(&mut app, " 'x'");
    let cmds = key(&mut app, KeyCode::Enter);
    let sent = cmds.iter().find_map(|c| match c {
        Command::FetchPage { query, .. } => query.filter.clone(),
        _ => None,
    });
    assert_eq!(sent.as_deref(), Some("name == 'x'"));
    assert_eq!(app.filter_history, vec!["name == 'x'".to_string()]);
}

#[test]
fn sort_picker_sends_the_chosen_keys() {
    let (mut app, _) = loaded(3, 3);
    key(&mut app, KeyCode::Char('s'));
    key(&mut app, KeyCode::Char('j')); // name
    key(&mut app, KeyCode::Char(' ')); // asc
    key(&mut app, KeyCode::Char(' ')); // desc
    let cmds = key(&mut app, KeyCode::Enter);
    let sort = cmds.iter().find_map(|c| match c {
        Command::FetchPage {
            query,
            source: Source::Users,
            ..
        } => Some(query.sort.clone()),
        _ => None,
    });
    assert_eq!(sort, Some(vec![SortKey::desc("name")]));
}

#[test]
fn local_search_filters_loaded_rows_and_esc_clears_it() {
    let (mut app, _) = loaded(30, 30);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "name 2");
    assert_eq!(app.users.visible.len(), 11, "Name 2, Name 20..29");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.users.search, "name 2");
    assert_eq!(
        app.detail.as_ref().unwrap().id,
        "user-002",
        "detail follows"
    );
    key(&mut app, KeyCode::Esc);
    assert!(app.users.search.is_empty());
    assert_eq!(app.users.visible.len(), 30);
    assert_eq!(app.users.selected_id(), Some("user-002"), "selection kept");
}

#[test]
fn enter_on_a_membership_opens_the_channel_and_esc_goes_back() {
    let (mut app, cmds) = loaded(5, 5);
    let mreq = fetch_req(&cmds, &Source::Memberships("user-000".into())).unwrap();
    let m = general_membership();
    app.update(Action::PageLoaded {
        req: mreq,
        result: Ok(PageData::Memberships(page(vec![m], 1, None))),
    });
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, Focus::Detail);
    let cmds = key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Channels);
    let d = app.detail.as_ref().unwrap();
    assert_eq!((d.kind, d.id.as_str()), (EntityKind::Channel, "general"));
    assert!(matches!(d.relations, Relations::Members(_)));
    assert!(cmds.iter().any(|c| matches!(c, Command::FetchEntity { kind: EntityKind::Channel, id, .. } if id == "general")));
    assert!(fetch_req(&cmds, &Source::Members("general".into())).is_some());
    assert_eq!(app.history.len(), 1);
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.tab, Tab::Users);
    assert_eq!(app.detail.as_ref().unwrap().id, "user-000");
    assert_eq!(app.focus, Focus::Detail);
    assert!(app.history.is_empty());
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.focus, Focus::List);
}

#[test]
fn failures_show_a_message_and_r_retries() {
    let (mut app, cmds) = App::new(Keymap::default_map(), session(), (120, 40));
    let req = fetch_req(&cmds, &Source::Users).unwrap();
    app.update(Action::PageLoaded {
        req,
        result: Err(Failure {
            status: None,
            message: "network error on GET /v2/objects/demo/uuids: connection refused".into(),
        }),
    });
    assert!(app.users.error.is_some());
    assert!(app
        .toasts
        .iter()
        .any(|t| t.error && t.text.contains("connection refused")));
    let cmds = key(&mut app, KeyCode::Char('r'));
    assert!(fetch_req(&cmds, &Source::Users).is_some());
    assert!(app.users.error.is_none());
    assert!(app.toasts.is_empty());
}

#[test]
fn ctrl_c_quits_from_any_dialog() {
    let (mut app, _) = loaded(3, 3);
    key(&mut app, KeyCode::Char('f'));
    let cmds = app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('c'),
        KeyModifiers::CONTROL,
    )));
    assert!(app.should_quit);
    assert!(cmds.contains(&Command::Quit));
}

#[test]
fn copy_keys_copy_the_selected_row() {
    let (mut app, _) = loaded(3, 3);
    key(&mut app, KeyCode::Char('j'));
    let cmds = key(&mut app, KeyCode::Char('y'));
    assert!(cmds.contains(&Command::Copy("user-001".into())));
    let cmds = key(&mut app, KeyCode::Char('Y'));
    let json = cmds.iter().find_map(|c| match c {
        Command::Copy(t) => Some(t.clone()),
        _ => None,
    });
    assert!(json.unwrap().contains("\"id\": \"user-001\""));
}

#[test]
fn tabs_switch_with_keys() {
    let (mut app, _) = loaded(3, 3);
    key(&mut app, KeyCode::Char('2'));
    assert_eq!(app.tab, Tab::Channels);
    key(&mut app, KeyCode::Tab);
    assert_eq!(app.tab, Tab::Users);
}

#[test]
fn the_same_error_five_times_is_one_message_with_a_count() {
    let (mut app, _) = App::new(
        Keymap::default_map(),
        Session {
            read_only: true,
            read_only_reason: "--read-only".into(),
            access: None,
            ..session()
        },
        (120, 40),
    );
    for _ in 0..5 {
        key(&mut app, KeyCode::Char('n'));
    }
    assert_eq!(app.toasts.len(), 1, "{:?}", app.toasts);
    assert_eq!(app.toasts[0].count, 5);
    assert!(app.toasts[0].error);
}

#[test]
fn info_messages_expire_after_a_few_seconds_of_ticks() {
    let (mut app, _) = loaded(10, 10);
    key(&mut app, KeyCode::Char('y')); // "Copied id …"
    assert_eq!(app.toasts.len(), 1);
    assert!(app.needs_tick(), "the tick runs while a message is shown");
    for _ in 0..super::TOAST_TICKS {
        app.update(Action::Tick);
    }
    assert!(app.toasts.is_empty(), "{:?}", app.toasts);
}

#[test]
fn a_report_does_not_swallow_the_next_key() {
    let (mut app, _) = loaded(10, 10);
    app.overlay = Overlay::Report {
        title: "Bulk removal".into(),
        lines: vec!["done".into()],
    };
    key(&mut app, KeyCode::Char('j'));
    assert!(matches!(app.overlay, Overlay::None));
    assert_eq!(app.users.selected_id(), Some("user-001"), "j moved");
}

#[test]
fn the_command_line_opens_a_user_by_id_and_says_when_there_is_none() {
    let (mut app, _) = loaded(100, 250);
    key(&mut app, KeyCode::Char(':'));
    assert!(matches!(app.overlay, Overlay::Command(_)));
    typed(&mut app, "user someone-not-loaded");
    let cmds = key(&mut app, KeyCode::Enter);
    let req = cmds
        .iter()
        .find_map(|c| match c {
            Command::FetchEntity {
                req,
                kind: EntityKind::User,
                id,
            } if id == "someone-not-loaded" => Some(*req),
            _ => None,
        })
        .expect("the user is fetched");
    assert_eq!(app.focus, Focus::Detail);
    app.update(Action::EntityLoaded {
        req,
        result: Err(Failure {
            status: Some(404),
            message: "not found".into(),
        }),
    });
    assert!(
        app.toasts.iter().any(|t| t
            .text
            .contains("No user with id someone-not-loaded: n creates it")),
        "{:?}",
        app.toasts
    );
    key(&mut app, KeyCode::Char('n'));
    let Overlay::Editor(e) = &app.overlay else {
        panic!("n opens the editor: {:?}", app.overlay)
    };
    assert_eq!(e.id(), "someone-not-loaded", "the id is typed in");
    // Esc goes back to where `:` was typed.
    app.overlay = Overlay::None;
    key(&mut app, KeyCode::Esc);
    assert_eq!(app.focus, Focus::List);
}

#[test]
fn the_command_line_switches_lists_sets_filters_and_reports_errors() {
    let (mut app, _) = loaded(100, 250);
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "channels");
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.tab, Tab::Channels);
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "filter name ==");
    key(&mut app, KeyCode::Enter);
    let Overlay::Command(line) = &app.overlay else {
        panic!("a bad filter keeps the command line open")
    };
    assert!(line.error.is_some());
    key(&mut app, KeyCode::Esc);
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "bogus");
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.overlay, Overlay::Command(l) if l.error.as_deref().is_some_and(|e| e.contains("no command")))
    );
}

#[test]
fn enter_in_a_search_of_a_partly_loaded_list_searches_the_server() {
    let (mut app, _) = loaded(100, 250);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "quartz");
    assert!(app.users.visible.is_empty(), "nothing loaded matches");
    let cmds = key(&mut app, KeyCode::Enter);
    let filter = cmds.iter().find_map(|c| match c {
        Command::FetchPage {
            source: Source::Users,
            query,
            ..
        } => query.filter.clone(),
        _ => None,
    });
    let filter = filter.expect("the server is asked");
    assert!(filter.contains(r#"name LIKE "*quartz*""#), "{filter}");
    assert_eq!(
        app.users.search, "",
        "the local search is replaced by the server filter"
    );
}

#[test]
fn a_chat_sdk_record_asks_before_a_write_key_acts() {
    let (mut app, _) = App::new(Keymap::default_map(), session(), (120, 40));
    let req = app.users.pending.unwrap();
    let internal = User {
        user_id: "PUBNUB_INTERNAL_MODERATOR".into(),
        ..user(0)
    };
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(vec![internal], 1, None))),
    });
    key(&mut app, KeyCode::Char('e'));
    assert!(
        matches!(app.overlay, Overlay::None),
        "the first press only explains"
    );
    assert!(app
        .toasts
        .iter()
        .any(|t| t.text.contains("kept by PubNub's Chat SDK")));
    key(&mut app, KeyCode::Char('e'));
    assert!(
        matches!(app.overlay, Overlay::Editor(_)),
        "the second press goes on"
    );
}

#[test]
fn h_hides_and_shows_chat_sdk_soft_deleted_rows() {
    let (mut app, _) = App::new(Keymap::default_map(), session(), (120, 40));
    let req = app.users.pending.unwrap();
    let mut gone = user(1);
    gone.status = crate::api::types::Maybe::Value("deleted".into());
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(vec![user(0), gone, user(2)], 3, None))),
    });
    key(&mut app, KeyCode::Char('H'));
    let shown: Vec<&str> = app
        .users
        .visible
        .iter()
        .map(|&i| app.users.rows[i].user_id.as_str())
        .collect();
    assert_eq!(shown, vec!["user-000", "user-002"]);
    key(&mut app, KeyCode::Char('H'));
    assert_eq!(app.users.visible.len(), 3);
}
