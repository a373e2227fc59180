//! How the app takes live events: a remote change updates the row and the detail in
//! place and flashes them, a remote removal marks the row as removed, a membership
//! change reloads the relations shown on either side, and an open editor on the
//! changed record warns before the user saves over it.

use std::collections::BTreeSet;

use super::action::{Command, Entity};
use super::app::{App, Overlay, Relations, Tab};
use super::editor::EditTarget;
use super::list::{ListState, RowData};
use super::live::{LiveState, MAX_CHANNELS};
use crate::api::subscribe::{EventAction, EventObject, ObjectEvent};

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
                        .map(|&r| self.users.rows[r].user_id.clone())
                },
                self.users.scroll,
                &mut ids,
            ),
            Tab::Channels => window(
                &|i| {
                    self.channels
                        .visible
                        .get(i)
                        .map(|&r| self.channels.rows[r].channel_id.clone())
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

    /// Ctrl-l.
    pub(crate) fn toggle_live(&mut self, cmds: &mut Vec<Command>) {
        self.live_on = !self.live_on;
        cmds.push(Command::LiveEnable(self.live_on));
        if self.live_on {
            self.watched.clear();
            self.refresh_watch(cmds);
        } else {
            self.live = LiveState::Off;
        }
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
                match e.action {
                    EventAction::Set => {
                        self.removed.remove(&id);
                        let changed = if is_user {
                            apply_set(&mut self.users, &id, &e.data)
                        } else {
                            apply_set(&mut self.channels, &id, &e.data)
                        };
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
                        if changed || in_detail {
                            self.flash.insert(id.clone(), FLASH_TICKS);
                        }
                        self.warn_editor(&id);
                    }
                    EventAction::Delete => {
                        self.removed.insert(id.clone());
                        self.flash.insert(id.clone(), FLASH_TICKS);
                        self.warn_editor(&id);
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
                    self.flash.insert(other, FLASH_TICKS);
                }
            }
        }
    }

    fn warn_editor(&mut self, id: &str) {
        if let Overlay::Editor(editor) = &mut self.overlay {
            let same = matches!(editor.target(), EditTarget::User { id: i, .. } | EditTarget::Channel { id: i, .. } if i == id);
            if same && !editor.saving {
                editor.remote_warning = Some(
                    "Someone changed this record on the server since you opened it. Saving will open a conflict view to compare theirs with yours."
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
