//! Removal: the confirmation that names the effect, single and bulk removal, and
//! what a removal leaves behind for undo.

use crossterm::event::{KeyCode, KeyEvent};

use crate::api::RelationEntry;
use crate::tui::action::{
    Command, Entity, EntityKind, Failure, RequestId, Source, Write, WriteDone,
};
use crate::tui::app::{App, Focus, Overlay, Relations, Tab};

use super::model::*;
impl App {
    /// `d`: remove the marked rows, or the selected one, after a confirmation.
    pub(crate) fn start_remove(&mut self) {
        if self.refuse_read_only("removing") || self.refuse_busy() {
            return;
        }
        match self.focus {
            Focus::List => {
                let (kind, noun, ids, rel) = match self.tab {
                    Tab::Users => (
                        EntityKind::User,
                        "user",
                        pick_ids(&self.users),
                        "memberships",
                    ),
                    Tab::Channels => (
                        EntityKind::Channel,
                        "channel",
                        pick_ids(&self.channels),
                        "members",
                    ),
                };
                if ids.is_empty() {
                    return;
                }
                for id in &ids {
                    let op = match kind {
                        EntityKind::User => crate::api::access::Operation::RemoveUser(id.clone()),
                        EntityKind::Channel => {
                            crate::api::access::Operation::RemoveChannel(id.clone())
                        }
                    };
                    if self.refuse_token(op) || self.refuse_internal(id, "removing") {
                        return;
                    }
                }
                let known = self.detail.as_ref().and_then(|d| {
                    if ids.len() == 1 && d.id == ids[0] {
                        match &d.relations {
                            Relations::Memberships(l) => l.total,
                            Relations::Members(l) => l.total,
                        }
                    } else {
                        None
                    }
                });
                let (title, count) = if ids.len() == 1 {
                    let count = match known {
                        Some(n) => format!("{n} {rel}"),
                        None => format!("its {rel}"),
                    };
                    (format!("Remove {noun} {}?", ids[0]), count)
                } else {
                    (
                        format!("Remove {} marked {noun}s?", ids.len()),
                        format!("their {rel}"),
                    )
                };
                let mut lines = vec![];
                if ids.len() > 1 {
                    lines.push(ids.iter().take(8).cloned().collect::<Vec<_>>().join(", "));
                    if ids.len() > 8 {
                        lines.push(format!("… and {} more", ids.len() - 8));
                    }
                }
                lines.push(format!("y: remove, and keep {count} (they then point at a missing {noun} unless the keyset enforces referential integrity)"));
                lines.push(format!("a: remove together with {count}"));
                lines.push(
                    "u undoes afterwards (the record and its relations are written back).".into(),
                );
                self.overlay = Overlay::Confirm(Box::new(Confirm {
                    title,
                    lines,
                    choices: vec![
                        (
                            'y',
                            format!("remove, keep {rel}"),
                            ConfirmAction::Remove {
                                kind,
                                ids: ids.clone(),
                                with_relations: false,
                            },
                        ),
                        (
                            'a',
                            format!("remove with {rel}"),
                            ConfirmAction::Remove {
                                kind,
                                ids,
                                with_relations: true,
                            },
                        ),
                    ],
                    back: None,
                }));
            }
            Focus::Detail => {
                let Some(d) = &self.detail else { return };
                let (source, ids, undo_set, noun) = match &d.relations {
                    Relations::Memberships(l) => {
                        let ids = pick_ids(l);
                        let undo: Vec<RelationEntry> = l
                            .rows
                            .iter()
                            .filter(|m| ids.iter().any(|i| i == m.channel.id()))
                            .map(|m| RelationEntry {
                                id: m.channel.id().to_string(),
                                custom: m.custom.clone(),
                                status: m.status.clone(),
                                kind: m.kind.clone(),
                            })
                            .collect();
                        (l.source.clone(), ids, undo, "membership")
                    }
                    Relations::Members(l) => {
                        let ids = pick_ids(l);
                        let undo: Vec<RelationEntry> = l
                            .rows
                            .iter()
                            .filter(|m| ids.iter().any(|i| i == m.uuid.id()))
                            .map(|m| RelationEntry {
                                id: m.uuid.id().to_string(),
                                custom: m.custom.clone(),
                                status: m.status.clone(),
                                kind: m.kind.clone(),
                            })
                            .collect();
                        (l.source.clone(), ids, undo, "member")
                    }
                };
                if ids.is_empty() {
                    return;
                }
                let whose = match &source {
                    Source::Memberships(u) => format!("of user {u} in"),
                    Source::Members(c) => format!("from channel {c}:"),
                    _ => String::new(),
                };
                let title = if ids.len() == 1 {
                    format!("Remove the {noun} {whose} {}?", ids[0])
                } else {
                    format!("Remove {} {noun}s {whose} …?", ids.len())
                };
                self.overlay = Overlay::Confirm(Box::new(Confirm {
                    title,
                    lines: vec![
                        ids.iter().take(8).cloned().collect::<Vec<_>>().join(", "),
                        "The users and channels themselves are kept. u undoes (their custom/status/type are restored).".into(),
                    ],
                    choices: vec![('y', format!("remove {} {noun}(s)", ids.len()), ConfirmAction::RemoveRelations { source, ids, undo_set })],
                    back: None,
                }));
            }
        }
    }

    pub(crate) fn on_confirm_key(
        &mut self,
        key: KeyEvent,
        confirm: Confirm,
        cmds: &mut Vec<Command>,
    ) {
        let chosen = match key.code {
            KeyCode::Char(c) => confirm
                .choices
                .iter()
                .find(|(k, _, _)| *k == c)
                .map(|(_, _, a)| a.clone()),
            _ => None,
        };
        let Some(action) = chosen else {
            // Not an answer: the question is dropped (nothing happens) and any other key
            // then does what it does where the question was asked.
            if let Some(back) = confirm.back {
                self.overlay = *back;
            }
            if !matches!(key.code, KeyCode::Esc | KeyCode::Char('n')) {
                self.on_key(key, cmds);
            }
            return;
        };
        match action {
            ConfirmAction::Discard => {}
            ConfirmAction::Recreate => {
                if let Some(back) = confirm.back {
                    if let Overlay::Editor(editor) = *back {
                        self.recreate_from_editor(editor, cmds);
                    }
                }
            }
            ConfirmAction::Remove {
                kind,
                ids,
                with_relations,
            } if ids.len() == 1 => {
                let id = ids[0].clone();
                self.send_write(
                    Write::Remove {
                        kind,
                        id,
                        with_relations,
                    },
                    Purpose::Remove,
                    cmds,
                );
            }
            ConfirmAction::Remove {
                kind,
                ids,
                with_relations,
            } => {
                self.bulk = Some(Bulk {
                    kind,
                    with_relations,
                    total: ids.len(),
                    queue: ids.into_iter().rev().collect(),
                    done: 0,
                    failures: Vec::new(),
                    req: None,
                });
                self.bulk_next(cmds);
            }
            ConfirmAction::RemoveRelations {
                source,
                ids,
                undo_set,
            } => {
                let undo = UndoEntry::Relations {
                    source: source.clone(),
                    set: undo_set,
                    delete: Vec::new(),
                };
                self.send_write(
                    Write::Manage {
                        source,
                        set: Vec::new(),
                        delete: ids,
                        base: Vec::new(),
                        force: false,
                    },
                    Purpose::Relations { undo },
                    cmds,
                );
            }
        }
    }

    pub(crate) fn bulk_next(&mut self, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        let Some(b) = &mut self.bulk else { return };
        match b.queue.pop() {
            Some(id) => {
                b.req = Some(req);
                cmds.push(Command::BulkRemove {
                    req,
                    write: Write::Remove {
                        kind: b.kind,
                        id: id.clone(),
                        with_relations: b.with_relations,
                    },
                    id,
                });
            }
            None => {
                let b = self.bulk.take().expect("bulk is set");
                let noun = if b.kind == EntityKind::User {
                    "users"
                } else {
                    "channels"
                };
                let mut lines = vec![format!(
                    "Removed {} of {} {noun}.",
                    b.total - b.failures.len(),
                    b.total
                )];
                if !b.failures.is_empty() {
                    lines.push(format!("{} failed:", b.failures.len()));
                    lines.extend(b.failures.iter().map(|(id, e)| format!("  {id}: {e}")));
                }
                lines.push("u undoes the removals one at a time, newest first.".into());
                self.overlay = Overlay::Report {
                    title: "Bulk removal".into(),
                    lines,
                };
            }
        }
    }

    pub(crate) fn on_bulk_step(
        &mut self,
        req: RequestId,
        id: String,
        result: Result<WriteDone, Failure>,
        cmds: &mut Vec<Command>,
    ) {
        let Some(b) = &mut self.bulk else { return };
        if b.req != Some(req) {
            return;
        }
        b.done += 1;
        match result {
            Ok(WriteDone::Removed { entity, relations }) => {
                self.after_remove(&id, entity, relations);
            }
            Ok(_) => {}
            Err(f) => {
                if let Some(b) = &mut self.bulk {
                    b.failures.push((id, f.message));
                }
            }
        }
        self.bulk_next(cmds);
    }

    pub(crate) fn after_remove(
        &mut self,
        id: &str,
        entity: Option<Entity>,
        relations: Vec<RelationEntry>,
    ) {
        let kind = match &entity {
            Some(Entity::User(_)) => Some(EntityKind::User),
            Some(Entity::Channel(_)) => Some(EntityKind::Channel),
            None => None,
        };
        match kind {
            Some(EntityKind::User) | None if self.tab == Tab::Users => self.users.remove_row(id),
            Some(EntityKind::Channel) | None => self.channels.remove_row(id),
            Some(EntityKind::User) => self.users.remove_row(id),
        }
        if let Some(entity) = entity {
            self.undo.push(UndoEntry::Recreate { entity, relations });
        }
        if self.detail.as_ref().is_some_and(|d| d.id == id) {
            // The detail then shows the row highlighted now (end of `update`).
            self.detail = None;
            self.focus = Focus::List;
        }
    }
}
