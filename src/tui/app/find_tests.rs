//! Finding records: `G` to the true end, the search that reaches the server, new
//! rows created elsewhere, relation rows following renames.

use crossterm::event::KeyCode;

use super::tests::{fetch_req, key, loaded, page, typed, user};
use super::App;
use crate::api::types::{Cursor, User};
use crate::api::SortKey;
use crate::tui::action::{Action, Command, PageData, RequestId, Source};

/// The `FetchPage` for users in `cmds`: its request, sort and cursor.
fn users_fetch(cmds: &[Command]) -> (RequestId, Vec<SortKey>, Option<Cursor>) {
    cmds.iter()
        .find_map(|c| match c {
            Command::FetchPage {
                req,
                source: Source::Users,
                query,
                cursor,
            } => Some((*req, query.sort.clone(), cursor.clone())),
            _ => None,
        })
        .expect("a users page is fetched")
}

#[test]
fn g_goes_to_the_true_end_in_one_request_and_k_walks_back_from_there() {
    let (mut app, _) = loaded(100, 100_000);
    // G: the reverse order's first page, not the next page.
    let (req, sort, cursor) = users_fetch(&key(&mut app, KeyCode::Char('G')));
    assert_eq!(sort, vec![SortKey::desc("id")]);
    assert_eq!(cursor, None);
    let tail: Vec<User> = (99_900..100_000).rev().map(user).collect();
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(tail, 100_000, Some("cHJldg")))),
    });
    assert_eq!(app.users.selected_id(), Some("user-99999"), "the last row");
    assert_eq!(app.detail_id().map(|d| d.1), Some("user-99999"));
    assert_eq!(app.users.counts(), "rows 99901–100000 of 100000");
    assert_eq!(
        app.users.rows.first().map(|u| u.user_id.as_str()),
        Some("user-99900")
    );
    // Up towards the first loaded row: the rows before it, in the reverse order.
    let cmds: Vec<Command> = (0..80)
        .flat_map(|_| key(&mut app, KeyCode::Char('k')))
        .collect();
    let (req, sort, cursor) = users_fetch(&cmds);
    assert_eq!(sort, vec![SortKey::desc("id")]);
    assert_eq!(cursor, Some(Cursor("cHJldg".into())));
    let selected = app.users.selected_id().map(str::to_string);
    let before: Vec<User> = (99_800..99_900).rev().map(user).collect();
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(before, 100_000, Some("cHJldjI")))),
    });
    assert_eq!(
        app.users.selected_id().map(str::to_string),
        selected,
        "the selection stays on its row"
    );
    assert_eq!(app.users.counts(), "rows 99801–100000 of 100000");
    let ids: Vec<&str> = app.users.rows.iter().map(|u| u.user_id.as_str()).collect();
    assert_eq!(ids[0], "user-99800");
    assert_eq!(ids[199], "user-99999");
    // g: the first rows again.
    let (_, sort, cursor) = users_fetch(&key(&mut app, KeyCode::Char('g')));
    assert!(
        sort.is_empty() && cursor.is_none(),
        "the first page of the list's own order"
    );
}

#[test]
fn g_on_a_sorted_list_reverses_every_key() {
    let (mut app, _) = loaded(100, 5_000);
    app.users.sort = vec![SortKey::asc("name"), SortKey::desc("updated")];
    let (_, sort, _) = users_fetch(&key(&mut app, KeyCode::End));
    assert_eq!(
        sort,
        vec![
            SortKey::desc("name"),
            SortKey::asc("updated"),
            SortKey::desc("id")
        ]
    );
}

#[test]
fn g_on_a_fully_loaded_list_just_moves() {
    let (mut app, _) = loaded(40, 40);
    let cmds = key(&mut app, KeyCode::Char('G'));
    assert!(fetch_req(&cmds, &Source::Users).is_none());
    assert_eq!(app.users.selected_id(), Some("user-039"));
}

fn tick(app: &mut App) -> Vec<Command> {
    app.update(Action::Tick)
}

#[test]
fn search_reaches_the_server_after_a_pause_and_merges_what_it_finds() {
    let (mut app, _) = loaded(100, 5_000);
    key(&mut app, KeyCode::Char('/'));
    let typed_cmds = typed(&mut app, "quar");
    assert!(
        fetch_req(&typed_cmds, &Source::Users).is_none(),
        "not per keystroke"
    );
    assert!(app.needs_tick(), "the pause is timed by ticks");
    let first = tick(&mut app);
    assert!(fetch_req(&first, &Source::Users).is_none(), "still typing");
    let cmds = [first, tick(&mut app)].concat();
    let (stale, _, _) = users_fetch(&cmds);
    // The user types on: the first answer is stale and dropped.
    typed(&mut app, "tz");
    let cmds = [tick(&mut app), tick(&mut app)].concat();
    let filter = cmds.iter().find_map(|c| match c {
        Command::FetchPage {
            source: Source::Users,
            query,
            ..
        } => query.filter.clone(),
        _ => None,
    });
    assert_eq!(
        filter.as_deref(),
        Some(r#"id LIKE "*quartz*" || name LIKE "*quartz*" || email LIKE "*quartz*""#)
    );
    let (req, _, _) = users_fetch(&cmds);
    assert_ne!(req, stale);
    let zoe = User {
        user_id: "user-4711".into(),
        name: Some("Zoë Quartz".into()),
        ..user(4711)
    };
    app.update(Action::PageLoaded {
        req: stale,
        result: Ok(PageData::Users(page(vec![user(4000)], 1, None))),
    });
    assert!(app.users.found.is_empty(), "a stale answer is dropped");
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(vec![zoe], 1, None))),
    });
    assert_eq!(
        app.users.selected_id(),
        Some("user-4711"),
        "found on the server"
    );
    assert_eq!(app.detail_id().map(|d| d.1), Some("user-4711"));
    // Esc forgets the search and what it found.
    key(&mut app, KeyCode::Esc);
    assert!(app.users.found.is_empty());
    assert_eq!(app.users.visible.len(), 100);
}

#[test]
fn a_fully_loaded_list_searches_only_locally() {
    let (mut app, _) = loaded(40, 40);
    key(&mut app, KeyCode::Char('/'));
    typed(&mut app, "name 3");
    let cmds = [tick(&mut app), tick(&mut app), tick(&mut app)].concat();
    assert!(fetch_req(&cmds, &Source::Users).is_none());
    assert!(app.users.visible.len() < 40);
}

#[test]
fn a_poll_in_live_mode_counts_rows_created_elsewhere() {
    let (mut app, _) = loaded(100, 250);
    let cmds = app.update(Action::Poll);
    let (req, limit) = cmds
        .iter()
        .find_map(|c| match c {
            Command::FetchPage {
                req,
                source: Source::Users,
                query,
                cursor: None,
            } => Some((*req, query.limit)),
            _ => None,
        })
        .expect("the poll asks for the total");
    assert_eq!(limit, 1, "one row: the count is what matters");
    assert!(app.update(Action::Poll).is_empty(), "one probe at a time");
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Users(page(vec![user(0)], 253, None))),
    });
    assert_eq!(app.users.new_rows, 3);
    assert_eq!(app.users.total, Some(253));
    assert_eq!(app.users.rows.len(), 100, "the probe's row is not added");
    // r loads them (and forgets the count).
    let cmds = key(&mut app, KeyCode::Char('r'));
    assert!(fetch_req(&cmds, &Source::Users).is_some());
    assert_eq!(app.users.new_rows, 0);
    // Live off: no probes.
    key(&mut app, KeyCode::Char('w'));
    assert!(app.update(Action::Poll).is_empty());
}

#[test]
fn a_membership_row_follows_a_rename_of_its_channel() {
    use crate::api::subscribe::{EventAction, EventObject, ObjectEvent};
    use crate::api::types::Related;
    let (mut app, cmds) = loaded(100, 250);
    let req = fetch_req(&cmds, &Source::Memberships("user-000".into())).unwrap();
    let m = super::tests::general_membership();
    let cmds = app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Memberships(page(vec![m], 1, None))),
    });
    let watched = cmds
        .iter()
        .any(|c| matches!(c, Command::LiveWatch(ids) if ids.iter().any(|i| i == "general")));
    assert!(
        watched,
        "the channel of a membership in view is watched: {cmds:?}"
    );
    app.update(Action::LiveEvent(ObjectEvent {
        action: EventAction::Set,
        object: EventObject::Channel,
        channel: "general".into(),
        data: serde_json::json!({"id": "general", "name": "Town Square", "eTag": "y", "updated": "2026-02-01T00:00:00Z"}),
    }));
    let d = app.detail.as_ref().unwrap();
    let crate::tui::app::Relations::Memberships(l) = &d.relations else {
        panic!()
    };
    match &l.rows[0].channel {
        Related::Expanded(c) => assert_eq!(c.name.as_deref(), Some("Town Square")),
        other => panic!("{other:?}"),
    }
}

#[test]
fn columns_are_chosen_per_tab_and_o_sorts_by_them() {
    let (mut app, _) = loaded(100, 250);
    app.columns_path = Some(std::path::PathBuf::from("/nonexistent/columns.toml"));
    key(&mut app, KeyCode::Char(':'));
    let cmds = typed(&mut app, "columns name,updated,custom.tier");
    assert!(cmds.is_empty());
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(
        cmds.iter().any(|c| matches!(c, Command::SaveColumns { chosen, .. } if chosen.users.as_deref() == Some(&["name".to_string(), "updated".into(), "custom.tier".into()][..]))),
        "{cmds:?}"
    );
    assert!(app.columns.channels.is_none(), "per tab");
    // o: name ascending, then descending, then the next sortable column.
    let mut sorts = Vec::new();
    for _ in 0..3 {
        key(&mut app, KeyCode::Char('o'));
        sorts.push(
            app.users
                .sort
                .iter()
                .map(|k| k.to_string())
                .collect::<Vec<_>>()
                .join(","),
        );
    }
    assert_eq!(sorts, vec!["name:asc", "name:desc", "updated:asc"]);
    // A bad column is explained on the command line, nothing changes.
    key(&mut app, KeyCode::Char(':'));
    typed(&mut app, "columns fish");
    key(&mut app, KeyCode::Enter);
    assert!(
        matches!(&app.overlay, super::Overlay::Command(l) if l.error.as_deref().is_some_and(|e| e.contains("no column 'fish'")))
    );
    assert_eq!(app.columns.users.as_ref().map(Vec::len), Some(3));
}

#[test]
fn enter_on_a_detail_follows_a_relation_or_else_shows_the_record_whole() {
    use super::{Focus, Overlay};
    let (mut app, cmds) = loaded(100, 250);
    let req = fetch_req(&cmds, &Source::Memberships("user-000".into())).unwrap();
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Memberships(page(vec![], 0, None))),
    });
    key(&mut app, KeyCode::Enter);
    assert_eq!(app.focus, Focus::Detail);
    key(&mut app, KeyCode::Enter);
    match &app.overlay {
        Overlay::Describe(d) => assert!(d.title.contains("user-000"), "{}", d.title),
        _ => panic!("Enter with no memberships shows the record whole"),
    }
    key(&mut app, KeyCode::Esc);

    // With a membership under the cursor, Enter follows it instead.
    let (mut app, cmds) = loaded(100, 250);
    let req = fetch_req(&cmds, &Source::Memberships("user-000".into())).unwrap();
    let m = super::tests::general_membership();
    app.update(Action::PageLoaded {
        req,
        result: Ok(PageData::Memberships(page(vec![m], 1, None))),
    });
    key(&mut app, KeyCode::Enter);
    let cmds = key(&mut app, KeyCode::Enter);
    assert!(matches!(app.overlay, Overlay::None), "no describe");
    assert!(
        cmds.iter()
            .any(|c| matches!(c, Command::FetchEntity { id, .. } if id == "general")),
        "the channel is opened: {cmds:?}"
    );
}
