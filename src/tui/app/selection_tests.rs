//! The rule "the detail and every write key act on the highlighted row of the focused
//! list", checked over random sequences of keys and server answers (in any order,
//! stale ones included), plus the regressions that broke it.

use std::collections::VecDeque;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use proptest::prelude::*;

use super::{App, Backend, Focus, Overlay, Session, Tab};
use crate::api::subscribe::{EventAction, EventObject, ObjectEvent};
use crate::api::types::{Channel, Cursor, Member, Membership, Page, Related, User};
use crate::tui::action::{Action, Command, Entity, EntityKind, PageData, Source};
use crate::tui::edit::ConfirmAction;
use crate::tui::keymap::Keymap;

const USERS: usize = 230;
const CHANNELS: usize = 40;

fn session() -> Session {
    Session {
        keyset: "demo".into(),
        backend: Backend::Local,
        read_only: false,
        read_only_reason: String::new(),
        access: None,
    }
}

fn user(i: usize) -> User {
    User {
        user_id: format!("user-{i:03}"),
        name: Some(format!(
            "{} {i}",
            if i.is_multiple_of(3) { "Pat" } else { "Sam" }
        )),
        updated: "2026-01-01T00:00:00.000000Z".into(),
        etag: format!("e{i}"),
        ..Default::default()
    }
}

fn channel(i: usize) -> Channel {
    Channel {
        channel_id: format!("ch-{i:02}"),
        name: Some(format!("Room {i}")),
        updated: "2026-01-01T00:00:00.000000Z".into(),
        etag: format!("c{i}"),
        ..Default::default()
    }
}

fn page<T>(all: Vec<T>, cursor: &Option<Cursor>, limit: usize) -> Page<T> {
    let start: usize = cursor.as_ref().and_then(|c| c.0.parse().ok()).unwrap_or(0);
    let total = all.len();
    let data: Vec<T> = all.into_iter().skip(start).take(limit).collect();
    let end = start + data.len();
    Page {
        status: 200,
        data,
        total_count: Some(total as u64),
        next: (end < total).then(|| Cursor(end.to_string())),
        prev: None,
    }
}

/// A small fake server: a filter keeps every third user (or channel), a sort reverses.
fn answer(cmd: &Command) -> Option<Action> {
    match cmd {
        Command::FetchPage {
            req,
            source,
            query,
            cursor,
        } => {
            let keep = |i: &usize| query.filter.is_none() || i.is_multiple_of(3);
            let order = |mut v: Vec<usize>| {
                if !query.sort.is_empty() {
                    v.reverse();
                }
                v
            };
            let limit = query.limit as usize;
            let data = match source {
                Source::Users => {
                    let ids = order((0..USERS).filter(keep).collect());
                    PageData::Users(page(ids.into_iter().map(user).collect(), cursor, limit))
                }
                Source::Channels => {
                    let ids = order((0..CHANNELS).filter(keep).collect());
                    PageData::Channels(page(ids.into_iter().map(channel).collect(), cursor, limit))
                }
                Source::Memberships(_) => PageData::Memberships(page(
                    (0..5)
                        .map(|i| Membership {
                            channel: Related::Expanded(channel(i)),
                            kind: Default::default(),
                            status: Default::default(),
                            custom: Default::default(),
                            updated: String::new(),
                            etag: String::new(),
                        })
                        .collect(),
                    cursor,
                    limit,
                )),
                Source::Members(_) => PageData::Members(page(
                    (0..5)
                        .map(|i| Member {
                            uuid: Related::Expanded(user(i)),
                            kind: Default::default(),
                            status: Default::default(),
                            custom: Default::default(),
                            updated: String::new(),
                            etag: String::new(),
                        })
                        .collect(),
                    cursor,
                    limit,
                )),
            };
            Some(Action::PageLoaded {
                req: *req,
                result: Ok(data),
            })
        }
        Command::FetchEntity { req, kind, id } => {
            let n: usize = id
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let entity = match kind {
                EntityKind::User => Entity::User(user(n)),
                EntityKind::Channel => Entity::Channel(channel(n)),
            };
            Some(Action::EntityLoaded {
                req: *req,
                result: Ok(entity),
            })
        }
        _ => None,
    }
}

#[derive(Clone, Debug)]
enum Step {
    Key(KeyCode),
    /// Answer the oldest request waiting.
    AnswerOldest,
    /// Answer the newest request waiting (answers out of order).
    AnswerNewest,
    /// Drop the oldest request unanswered (it will never come).
    Lose,
    Filter,
    ClearFilter,
    Sort,
    Search(char),
    LiveSet(usize),
    LiveDelete(usize),
}

fn step() -> impl Strategy<Value = Step> {
    let keys = prop::sample::select(vec![
        KeyCode::Char('j'),
        KeyCode::Char('k'),
        KeyCode::Char('G'),
        KeyCode::Char('g'),
        KeyCode::PageDown,
        KeyCode::PageUp,
        KeyCode::Tab,
        KeyCode::Char('1'),
        KeyCode::Char('2'),
        KeyCode::Enter,
        KeyCode::Esc,
        KeyCode::Char('h'),
        KeyCode::Char('l'),
        KeyCode::Char(' '),
        KeyCode::Char('r'),
        KeyCode::Char('x'),
    ]);
    prop_oneof![
        4 => keys.prop_map(Step::Key),
        3 => Just(Step::AnswerOldest),
        1 => Just(Step::AnswerNewest),
        1 => Just(Step::Lose),
        1 => Just(Step::Filter),
        1 => Just(Step::ClearFilter),
        1 => Just(Step::Sort),
        1 => prop::sample::select(vec!['p', 'a', '7', 'z']).prop_map(Step::Search),
        1 => (0..USERS).prop_map(Step::LiveSet),
        1 => (0..USERS).prop_map(Step::LiveDelete),
    ]
}

struct Harness {
    app: App,
    waiting: VecDeque<Command>,
}

impl Harness {
    fn new() -> Harness {
        let (app, cmds) = App::new(Keymap::default_map(), session(), (120, 40));
        let mut h = Harness {
            app,
            waiting: VecDeque::new(),
        };
        h.take(cmds);
        h
    }

    fn take(&mut self, cmds: Vec<Command>) {
        self.waiting.extend(
            cmds.into_iter()
                .filter(|c| matches!(c, Command::FetchPage { .. } | Command::FetchEntity { .. })),
        );
    }

    fn act(&mut self, a: Action) {
        let cmds = self.app.update(a);
        self.take(cmds);
    }

    fn key(&mut self, code: KeyCode) {
        self.act(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    fn typed(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    fn run(&mut self, s: &Step) {
        match s {
            Step::Key(k) => self.key(*k),
            Step::AnswerOldest => {
                if let Some(a) = self.waiting.pop_front().as_ref().and_then(answer) {
                    self.act(a);
                }
            }
            Step::AnswerNewest => {
                if let Some(a) = self.waiting.pop_back().as_ref().and_then(answer) {
                    self.act(a);
                }
            }
            Step::Lose => {
                self.waiting.pop_front();
            }
            Step::Filter => {
                self.key(KeyCode::Char('f'));
                self.typed("name LIKE 'P*'");
                self.key(KeyCode::Enter);
                self.key(KeyCode::Esc); // in case the filter dialog stayed open
            }
            Step::ClearFilter => {
                self.key(KeyCode::Char('f'));
                for _ in 0..40 {
                    self.key(KeyCode::Backspace);
                }
                self.key(KeyCode::Enter);
                self.key(KeyCode::Esc);
            }
            Step::Sort => {
                self.key(KeyCode::Char('s'));
                self.key(KeyCode::Char(' '));
                self.key(KeyCode::Enter);
                self.key(KeyCode::Esc);
            }
            Step::Search(c) => {
                self.key(KeyCode::Char('/'));
                self.key(KeyCode::Char(*c));
                self.key(KeyCode::Enter);
            }
            Step::LiveSet(i) => {
                let mut u = user(*i);
                u.name = Some("Renamed".into());
                u.etag = format!("x{i}");
                self.act(Action::LiveEvent(ObjectEvent {
                    action: EventAction::Set,
                    object: EventObject::User,
                    channel: u.user_id.clone(),
                    data: serde_json::to_value(&u).unwrap_or_default(),
                }))
            }
            Step::LiveDelete(i) => self.act(Action::LiveEvent(ObjectEvent {
                action: EventAction::Delete,
                object: EventObject::User,
                channel: format!("user-{i:03}"),
                data: serde_json::json!({"id": format!("user-{i:03}")}),
            })),
        }
    }

    /// The id the focused list highlights, with its kind.
    fn highlighted(&self) -> Option<(EntityKind, String)> {
        match self.app.tab {
            Tab::Users => self
                .app
                .users
                .selected_id()
                .map(|id| (EntityKind::User, id.to_string())),
            Tab::Channels => self
                .app
                .channels
                .selected_id()
                .map(|id| (EntityKind::Channel, id.to_string())),
        }
    }

    fn detail(&self) -> Option<(EntityKind, String)> {
        self.app.detail_id().map(|(k, id)| (k, id.to_string()))
    }

    /// The rule, and what `d` and `e` would act on.
    fn check(&mut self) -> Result<(), TestCaseError> {
        if self.app.focus == Focus::List {
            prop_assert_eq!(
                self.detail(),
                self.highlighted(),
                "detail ≠ highlighted row"
            );
        }
        if !matches!(self.app.overlay, Overlay::None) {
            return Ok(());
        }
        let Some((_, shown)) = self.detail() else {
            return Ok(());
        };
        let marked = match self.app.tab {
            Tab::Users => !self.app.users.marked.is_empty(),
            Tab::Channels => !self.app.channels.marked.is_empty(),
        };
        // `e` edits what the detail shows.
        self.key(KeyCode::Char('e'));
        if let Overlay::Editor(ed) = &self.app.overlay {
            prop_assert_eq!(ed.id(), shown.clone(), "e edits another record");
        }
        self.key(KeyCode::Esc);
        self.app.overlay = Overlay::None;
        // `d` on the list removes the highlighted row (unless rows are marked).
        if self.app.focus == Focus::List && !marked {
            self.key(KeyCode::Char('d'));
            if let Overlay::Confirm(c) = &self.app.overlay {
                for (_, _, action) in &c.choices {
                    if let ConfirmAction::Remove { ids, .. } = action {
                        prop_assert_eq!(ids, &vec![shown.clone()], "d removes another record");
                    }
                }
            }
            self.app.overlay = Overlay::None;
        }
        Ok(())
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn detail_and_write_keys_follow_the_highlighted_row(steps in prop::collection::vec(step(), 1..60)) {
        let mut h = Harness::new();
        h.check()?;
        for s in &steps {
            h.run(s);
            h.check()?;
        }
        // Whatever happened, once every answer is in the rule still holds.
        drain(&mut h);
        h.check()?;
    }
}

fn settled() -> Harness {
    let mut h = Harness::new();
    drain(&mut h);
    h
}

fn drain(h: &mut Harness) {
    while let Some(c) = h.waiting.pop_front() {
        if let Some(a) = answer(&c) {
            h.act(a);
        }
    }
}

#[test]
fn a_server_filter_moves_the_detail_to_the_new_highlighted_row() {
    let mut h = settled();
    h.key(KeyCode::Char('j'));
    assert_eq!(h.detail().map(|d| d.1).as_deref(), Some("user-001"));
    h.run(&Step::Filter);
    drain(&mut h);
    // user-001 is not in the filtered list: the detail shows the highlighted row.
    assert_eq!(h.highlighted().map(|d| d.1).as_deref(), Some("user-000"));
    assert_eq!(h.detail().map(|d| d.1).as_deref(), Some("user-000"));
}

#[test]
fn a_new_sort_moves_the_detail_to_the_new_highlighted_row() {
    let mut h = settled();
    h.run(&Step::Sort);
    drain(&mut h);
    let top = h.highlighted().map(|d| d.1);
    assert_ne!(top.as_deref(), Some("user-000"), "sorted the other way");
    assert_eq!(h.detail().map(|d| d.1), top);
}

#[test]
fn focusing_the_list_after_opening_a_relation_shows_the_highlighted_row() {
    let mut h = settled();
    h.key(KeyCode::Enter); // focus the memberships
    h.key(KeyCode::Enter); // open a channel
    drain(&mut h);
    assert_eq!(h.app.focus, Focus::Detail);
    h.key(KeyCode::Char('h'));
    assert_eq!(h.detail(), h.highlighted());
}
