//! How the app takes live events: a remote change updates the row and the detail in
//! place and flashes them, a remote removal marks the row as removed, a membership
//! change reloads the relations shown on either side, and an open editor on the
//! changed record warns before the user saves over it.

use std::collections::BTreeSet;

use super::{App, Overlay, Relations, Tab};
use crate::api::subscribe::{EventAction, EventObject, ObjectEvent};
use crate::tui::action::{Command, Entity, Failure, ListQuery, PageData, Source};
use crate::tui::editor::EditTarget;
use crate::tui::list::{ListState, RowData, PAGE_SIZE};
use crate::tui::live::{LiveState, MAX_CHANNELS};

/// Ticks (≈100 ms each) an own save waits for its live event before the app says that
/// the keyset seems to have App Context events off.
pub const EVENT_WAIT_TICKS: u8 = 50;

/// How many spinner ticks (≈100 ms each) a changed row stays highlighted.
pub const FLASH_TICKS: u8 = 12;

/// Fields an event may carry, as named on the wire.
const OBJECT_FIELDS: &[&str] = &[
    "name",
    "email",
    "externalId",
    "profileUrl",
    "description",
    "status",
    "type",
    "custom",
    "updated",
    "eTag",
];

/// `row` with the fields the event carries written over it.
fn merged<T: serde::Serialize + serde::de::DeserializeOwned>(
    row: &T,
    data: &serde_json::Value,
) -> Option<T> {
    let mut v = serde_json::to_value(row).ok()?;
    let obj = v.as_object_mut()?;
    for key in OBJECT_FIELDS {
        if let Some(x) = data.get(*key) {
            obj.insert((*key).to_string(), x.clone());
        }
    }
    serde_json::from_value(v).ok()
}

fn apply_set<T: RowData + serde::de::DeserializeOwned>(
    list: &mut ListState<T>,
    id: &str,
    data: &serde_json::Value,
) -> bool {
    let Some(row) = list.rows.iter().find(|r| r.row_id() == id) else {
        return false;
    };
    match merged(row, data) {
        Some(new) => {
            list.upsert_row(new);
            true
        }
        None => false,
    }
}

impl App {
    /// The ids on screen and the open detail: what the live subscription watches.
    fn ids_in_view(&self) -> Vec<String> {
        let mut ids = BTreeSet::new();
        if let Some(d) = &self.detail {
            ids.insert(d.id.clone());
            // The other side of the relations in view: a rename there shows in the row.
            let h = self.panes().relations.height;
            let others = match &d.relations {
                Relations::Memberships(l) => window_ids(l, l.scroll, h),
                Relations::Members(l) => window_ids(l, l.scroll, h),
            };
            ids.extend(others.into_iter().take(MAX_CHANNELS / 2));
        }
        let height = self.panes().list.height as usize;
        let window =
            |l: &dyn Fn(usize) -> Option<String>, scroll: usize, ids: &mut BTreeSet<String>| {
                for i in scroll..scroll + height {
                    if let Some(id) = l(i) {
                        ids.insert(id);
                    }
                }
            };
        match self.tab {
            Tab::Users => window(
                &|i| {
                    self.users
                        .visible
                        .get(i)
                        .and_then(|&r| self.users.row(r))
                        .map(|u| u.user_id.clone())
                },
                self.users.scroll,
                &mut ids,
            ),
            Tab::Channels => window(
                &|i| {
                    self.channels
                        .visible
                        .get(i)
                        .and_then(|&r| self.channels.row(r))
                        .map(|c| c.channel_id.clone())
                },
                self.channels.scroll,
                &mut ids,
            ),
        }
        ids.into_iter().take(MAX_CHANNELS).collect()
    }

    /// Tells the live task when the ids in view change.
    pub(crate) fn refresh_watch(&mut self, cmds: &mut Vec<Command>) {
        if !self.live_on {
            return;
        }
        let ids = self.ids_in_view();
        if ids != self.watched {
            self.watched = ids.clone();
            cmds.push(Command::LiveWatch(ids));
        }
    }

    /// w.
    pub(crate) fn toggle_live(&mut self, cmds: &mut Vec<Command>) {
        self.live_on = !self.live_on;
        cmds.push(Command::LiveEnable(self.live_on));
        if self.live_on {
            self.watched.clear();
            self.refresh_watch(cmds);
        } else {
            self.live = LiveState::Off;
            self.live_gap = true;
        }
    }

    /// The live task's state changed. Back to live after an outage or after being
    /// turned off: the rows in view (and the open detail's relations) are read again,
    /// so what changed meanwhile shows even if the server no longer holds its events.
    pub(crate) fn on_live_state(&mut self, s: LiveState, cmds: &mut Vec<Command>) {
        if matches!(s, LiveState::Reconnecting(_)) {
            self.live_gap = true;
        }
        if s == LiveState::Live && std::mem::take(&mut self.live_gap) {
            self.request_catch_up(cmds);
        }
        self.live = s;
    }

    /// Reads the rows in view again with one list call (`id == … || id == …`).
    pub(crate) fn request_catch_up(&mut self, cmds: &mut Vec<Command>) {
        let ids: Vec<String> = match self.tab {
            Tab::Users => window_ids(&self.users, self.users.scroll, self.panes().list.height),
            Tab::Channels => window_ids(
                &self.channels,
                self.channels.scroll,
                self.panes().list.height,
            ),
        };
        if let Some(filter) = ids_filter(&["id"], &ids) {
            let req = self.new_req();
            let source = match self.tab {
                Tab::Users => Source::Users,
                Tab::Channels => Source::Channels,
            };
            cmds.push(Command::FetchPage {
                req,
                source,
                query: ListQuery {
                    filter: Some(filter),
                    sort: Vec::new(),
                    limit: PAGE_SIZE,
                },
                cursor: None,
            });
            self.catch_up = Some((req, ids));
        }
        if self.detail.is_some() {
            self.reload_relations_live(cmds);
        }
    }

    /// The rows in view as they are now: changed ones replaced (and flashed), missing
    /// ones marked removed.
    pub(crate) fn on_caught_up(&mut self, result: Result<PageData, Failure>) {
        let Some((_, asked)) = self.catch_up.take() else {
            return;
        };
        let Ok(page) = result else {
            return; // the next reconnect tries again; nothing is marked from a failure
        };
        let mut seen = BTreeSet::new();
        match page {
            PageData::Users(p) => {
                for u in p.data {
                    seen.insert(u.user_id.clone());
                    self.caught_up_row(Entity::User(u));
                }
            }
            PageData::Channels(p) => {
                for c in p.data {
                    seen.insert(c.channel_id.clone());
                    self.caught_up_row(Entity::Channel(c));
                }
            }
            _ => return,
        }
        for id in asked.into_iter().filter(|id| !seen.contains(id)) {
            if self.removed.insert(id.clone()) {
                self.flash.insert(id.clone(), FLASH_TICKS);
                self.warn_editor(&id, true);
            }
        }
    }

    fn caught_up_row(&mut self, e: Entity) {
        let (id, etag) = match &e {
            Entity::User(u) => (u.user_id.clone(), u.etag.clone()),
            Entity::Channel(c) => (c.channel_id.clone(), c.etag.clone()),
        };
        let before = match &e {
            Entity::User(_) => self
                .users
                .rows
                .iter()
                .find(|u| u.user_id == id)
                .map(|u| u.etag.clone()),
            Entity::Channel(_) => self
                .channels
                .rows
                .iter()
                .find(|c| c.channel_id == id)
                .map(|c| c.etag.clone()),
        };
        self.removed.remove(&id);
        if before.as_deref() == Some(etag.as_str()) {
            return;
        }
        match &e {
            Entity::User(u) => {
                self.users.upsert_row(u.clone());
            }
            Entity::Channel(c) => {
                self.channels.upsert_row(c.clone());
            }
        }
        if let Some(d) = &mut self.detail {
            if d.id == id {
                d.entity = Some(e);
            }
        }
        self.flash.insert(id.clone(), FLASH_TICKS);
        self.warn_editor(&id, false);
    }

    /// A save of ours to `id` succeeded: with live updates connected and `id`
    /// watched, its event should follow within a few seconds.
    pub(crate) fn expect_own_event(&mut self, id: &str, etag: &str) {
        // The event may come before the write's own answer.
        if self.seen_etags.iter().any(|e| e == etag) {
            return;
        }
        if self.live == LiveState::Live
            && self.watched.iter().any(|w| w == id)
            && !self.events_off_said
        {
            self.awaiting_event = Some((id.to_string(), EVENT_WAIT_TICKS));
        }
    }

    /// A tick: an own save still without its event after the wait means events are off.
    pub(crate) fn age_awaited_event(&mut self) {
        let Some((id, ticks)) = &mut self.awaiting_event else {
            return;
        };
        *ticks = ticks.saturating_sub(1);
        if *ticks > 0 {
            return;
        }
        let id = id.clone();
        self.awaiting_event = None;
        if self.live != LiveState::Live {
            return; // the connection dropped: that explains it
        }
        self.events_off_said = true;
        self.notify(
            format!("Your save of {id} sent no App Context event within 5 s: events seem to be off for this keyset, so others' changes will not show live either (Admin Portal: the keyset's App Context settings, User / Channel / Membership Metadata Events). r reloads."),
            true,
        );
    }

    /// Remembers an eTag a save of ours produced.
    pub(crate) fn note_own_etag(&mut self, etag: String) {
        self.own_etags.push_back(etag);
        while self.own_etags.len() > 16 {
            self.own_etags.pop_front();
        }
    }

    /// Whether an event on `id` (carrying `etag`, if any) is this session's own write:
    /// one it answered with that eTag, or one still in flight on that record.
    fn is_own(&mut self, id: &str, etag: Option<&str>) -> bool {
        if let Some(t) = etag {
            if let Some(i) = self.own_etags.iter().position(|e| e == t) {
                self.own_etags.remove(i);
                return true;
            }
        }
        self.pending_write
            .as_ref()
            .is_some_and(|p| p.target.as_deref() == Some(id))
    }

    /// One event from the server.
    pub(crate) fn on_live_event(&mut self, e: ObjectEvent, cmds: &mut Vec<Command>) {
        match e.object {
            EventObject::User | EventObject::Channel => {
                let Some(id) = e
                    .data
                    .get("id")
                    .and_then(|v| v.as_str())
                    .map(str::to_string)
                else {
                    return;
                };
                let is_user = e.object == EventObject::User;
                if self.awaiting_event.as_ref().is_some_and(|(w, _)| *w == id) {
                    self.awaiting_event = None; // events are on
                }
                if let Some(t) = e.data.get("eTag").and_then(|v| v.as_str()) {
                    self.seen_etags.push_back(t.to_string());
                    while self.seen_etags.len() > 32 {
                        self.seen_etags.pop_front();
                    }
                }
                let own = self.is_own(&id, e.data.get("eTag").and_then(|v| v.as_str()));
                match e.action {
                    EventAction::Set => {
                        self.removed.remove(&id);
                        let changed = if is_user {
                            apply_set(&mut self.users, &id, &e.data)
                        } else {
                            apply_set(&mut self.channels, &id, &e.data)
                        };
                        let related = self.follow_rename(is_user, &id, &e.data);
                        let mut in_detail = false;
                        if let Some(d) = &mut self.detail {
                            if d.id == id {
                                in_detail = true;
                                d.entity = match &d.entity {
                                    Some(Entity::User(u)) if is_user => {
                                        merged(u, &e.data).map(Entity::User).or(d.entity.clone())
                                    }
                                    Some(Entity::Channel(c)) if !is_user => {
                                        merged(c, &e.data).map(Entity::Channel).or(d.entity.clone())
                                    }
                                    other => other.clone(),
                                };
                            }
                        }
                        if own {
                            return;
                        }
                        if changed || in_detail || related {
                            self.flash.insert(id.clone(), FLASH_TICKS);
                        }
                        self.warn_editor(&id, false);
                    }
                    EventAction::Delete if own => {}
                    EventAction::Delete => {
                        self.removed.insert(id.clone());
                        self.flash.insert(id.clone(), FLASH_TICKS);
                        self.warn_editor(&id, true);
                    }
                }
            }
            EventObject::Membership => {
                let user = e
                    .data
                    .pointer("/uuid/id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let channel = e
                    .data
                    .pointer("/channel/id")
                    .and_then(|v| v.as_str())
                    .unwrap_or_default()
                    .to_string();
                let (shown, other) =
                    match self.detail.as_ref().map(|d| (&d.relations, d.id.as_str())) {
                        Some((Relations::Memberships(_), id)) if id == user => (true, channel),
                        Some((Relations::Members(_), id)) if id == channel => (true, user),
                        _ => (false, String::new()),
                    };
                if shown {
                    self.reload_relations_live(cmds);
                    let owner = self
                        .detail
                        .as_ref()
                        .map(|d| d.id.clone())
                        .unwrap_or_default();
                    if !self.is_own(&owner, None) {
                        self.flash.insert(other, FLASH_TICKS);
                    }
                }
            }
        }
    }

    /// A user or channel changed: the relation rows in the detail that show it (a
    /// membership's channel, a member's user) take its new name and fields.
    fn follow_rename(&mut self, is_user: bool, id: &str, data: &serde_json::Value) -> bool {
        use crate::api::types::Related;
        let Some(d) = &mut self.detail else {
            return false;
        };
        match &mut d.relations {
            Relations::Memberships(l) if !is_user => {
                let hit = l.rows.iter().position(|m| m.channel.id() == id);
                let Some(i) = hit else { return false };
                let mut row = l.rows[i].clone();
                if let Related::Expanded(c) = &row.channel {
                    if let Some(c) = merged(c, data) {
                        row.channel = Related::Expanded(c);
                    }
                }
                l.upsert_row(row);
                true
            }
            Relations::Members(l) if is_user => {
                let hit = l.rows.iter().position(|m| m.uuid.id() == id);
                let Some(i) = hit else { return false };
                let mut row = l.rows[i].clone();
                if let Related::Expanded(u) = &row.uuid {
                    if let Some(u) = merged(u, data) {
                        row.uuid = Related::Expanded(u);
                    }
                }
                l.upsert_row(row);
                true
            }
            _ => false,
        }
    }

    fn warn_editor(&mut self, id: &str, removed: bool) {
        if let Overlay::Editor(editor) = &mut self.overlay {
            let same = matches!(editor.target(), EditTarget::User { id: i, .. } | EditTarget::Channel { id: i, .. } if i == id);
            if !same || editor.saving {
                return;
            }
            if removed {
                editor.remote_removed = true;
                editor.remote_warning = Some(
                    "Someone removed this record on the server since you opened it. Ctrl-s asks whether to re-create it; Esc discards."
                        .to_string(),
                );
            } else {
                editor.remote_removed = false;
                editor.remote_warning = Some(
                    "Someone changed this record on the server since you opened it. Saving shows a merge of their changes with yours."
                        .to_string(),
                );
            }
        }
    }

    /// Spinner tick: flashes fade.
    pub(crate) fn fade_flash(&mut self) {
        self.flash.retain(|_, n| {
            *n = n.saturating_sub(1);
            *n > 0
        });
    }
}

/// The ids of the rows drawn in a window of `height` rows from `scroll`.
fn window_ids<T: RowData>(list: &ListState<T>, scroll: usize, height: u16) -> Vec<String> {
    list.visible
        .iter()
        .skip(scroll)
        .take(height as usize)
        .filter_map(|&i| list.row(i))
        .map(|r| r.row_id().to_string())
        .take(MAX_CHANNELS)
        .collect()
}

/// `id == "a" || id == "b" …` (or `channel.id == …`), built with the filter module (quoted by its printer,
/// never pasted), or None for no ids.
pub fn ids_filter(field: &[&str], ids: &[String]) -> Option<String> {
    use crate::filter::{CmpOp, Expr, Field, Value};
    let mut terms: Vec<Expr> = ids
        .iter()
        .map(|id| Expr::Compare {
            field: Field::new(field.iter().copied()),
            op: CmpOp::Eq,
            value: Value::String(id.clone()),
        })
        .collect();
    match terms.len() {
        0 => None,
        1 => terms.pop().map(|t| t.to_string()),
        _ => Some(Expr::Or(terms).to_string()),
    }
}
