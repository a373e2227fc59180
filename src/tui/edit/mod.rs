//! The writing half of the app: the editor modal and its save (with `If-Match` and a
//! conflict view on 412), removal with a confirmation that names the effect, bulk
//! removal of marked rows, undo, and the read-only guard. Every write goes to the
//! worker as a [`Command::Write`]; one write runs at a time.

mod merge;
mod model;
mod relations;
mod remove;
mod save;

pub use merge::{merge_relation, show as show_value, Choice, Merge, Outcome, Slot};
pub use model::*;

use super::action::{Command, Entity, EntityKind, Failure, PageData, RequestId, Write, WriteDone};
use super::app::{App, Overlay, Relations};
use super::editor::EditTarget;

impl App {
    /// Refuses a write key in read-only mode, saying why. True when refused.
    pub(crate) fn refuse_read_only(&mut self, what: &str) -> bool {
        if !self.session.read_only {
            return false;
        }
        self.notify(
            format!(
                "Read-only session ({}): {what} refused, nothing was sent.",
                self.session.read_only_reason
            ),
            true,
        );
        true
    }

    /// Refuses a write the session's token cannot perform, naming the permission it
    /// lacks, before anything is sent. True when refused.
    pub(crate) fn refuse_token(&mut self, op: crate::api::access::Operation) -> bool {
        let Some(access) = &self.session.access else {
            return false;
        };
        let Some(why) = access.refusal(&op, crate::tui::access::now()) else {
            return false;
        };
        self.notify(
            format!(
                "Access Manager would refuse it: {why}. Nothing was sent (:token shows the token)."
            ),
            true,
        );
        true
    }

    /// A write key on a record the Chat SDK keeps for itself (`PUBNUB_INTERNAL…`) asks
    /// first: the first press says what it is, the same key again goes on.
    pub(crate) fn refuse_internal(&mut self, id: &str, what: &str) -> bool {
        if !crate::api::rules::is_internal_id(id) || self.internal_ok.as_deref() == Some(id) {
            return false;
        }
        self.internal_ok = Some(id.to_string());
        self.notify(
            format!("{id} is kept by PubNub's Chat SDK (moderation and other internal data): {what} it can change how the app behaves. Press the key again to go on."),
            true,
        );
        true
    }

    pub(crate) fn refuse_busy(&mut self) -> bool {
        if self.pending_write.is_some() || self.bulk.is_some() {
            self.notify(
                "A write is still in progress; try again when it has finished.",
                false,
            );
            return true;
        }
        false
    }

    pub(crate) fn send_write(&mut self, write: Write, purpose: Purpose, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        self.pending_write = Some(PendingWrite {
            req,
            purpose,
            target: write.target().map(str::to_string),
        });
        cmds.push(Command::Write { req, write });
    }

    /// `u`: takes back the last successful write of this session.
    pub(crate) fn start_undo(&mut self, cmds: &mut Vec<Command>) {
        if self.refuse_read_only("undo") || self.refuse_busy() {
            return;
        }
        let Some(entry) = self.undo.pop() else {
            self.notify("Nothing to undo.", false);
            return;
        };
        let what = entry.describe();
        self.notify(format!("Undoing {what}…"), false);
        self.send_write(entry.write(), Purpose::Undo { what }, cmds);
    }

    /// A write's answer.
    pub(crate) fn on_written(
        &mut self,
        req: RequestId,
        result: Result<WriteDone, Failure>,
        cmds: &mut Vec<Command>,
    ) {
        let Some(pending) = self.pending_write.take_if(|p| p.req == req) else {
            return; // an answer to something no longer waited for
        };
        match (pending.purpose, result) {
            (Purpose::Save { before }, Ok(WriteDone::Saved(entity))) => {
                self.note_own_etag(etag(&entity));
                self.expect_own_event(id_of(&entity), &etag(&entity));
                if let Overlay::Editor(_) = self.overlay {
                    self.overlay = Overlay::None;
                }
                let undo = match before {
                    Some(b) => UndoEntry::Restore {
                        before: b,
                        etag_after: etag(&entity),
                    },
                    None => UndoEntry::Remove {
                        kind: kind_of(&entity),
                        id: id_of(&entity).to_string(),
                    },
                };
                self.undo.push(undo);
                self.notify(format!("Saved {} (u undoes)", entity_label(&entity)), false);
                self.apply_saved(entity);
            }
            (Purpose::Save { .. }, Err(f)) if f.status == Some(412) => {
                // Someone changed it since it was opened: fetch theirs for the conflict view.
                let fetch = self.new_req();
                if let Overlay::Editor(editor) = &mut self.overlay {
                    editor.saving = false;
                    let (kind, id) = match editor.target() {
                        EditTarget::User { id, .. } => (EntityKind::User, id.clone()),
                        EditTarget::Channel { id, .. } => (EntityKind::Channel, id.clone()),
                        _ => return,
                    };
                    self.conflict_fetch = Some(fetch);
                    cmds.push(Command::FetchEntity {
                        req: fetch,
                        kind,
                        id,
                    });
                }
            }
            (Purpose::Save { .. }, Err(f))
                if f.status == Some(404) && matches!(self.overlay, Overlay::Editor(_)) =>
            {
                if let Overlay::Editor(editor) = std::mem::replace(&mut self.overlay, Overlay::None)
                {
                    self.ask_recreate(editor);
                }
            }
            (Purpose::Save { .. }, Err(f)) => {
                if let Overlay::Editor(editor) = &mut self.overlay {
                    editor.saving = false;
                    editor.server_error = Some(f.message);
                } else {
                    self.notify(format!("Save failed: {}", f.message), true);
                }
            }
            (Purpose::Remove, Ok(WriteDone::Removed { entity, relations })) => {
                let id = entity.as_ref().map(|e| id_of(e).to_string());
                let label = entity
                    .as_ref()
                    .map(entity_label)
                    .unwrap_or_else(|| "the record".into());
                let n = relations.len();
                if let Some(id) = id {
                    self.after_remove(&id, entity, relations);
                }
                self.notify(
                    format!("Removed {label} ({n} relations at the time; u undoes)"),
                    false,
                );
            }
            (Purpose::Relations { .. }, Ok(WriteDone::RelationConflicts(keys))) => {
                if let Overlay::Relations(r) = &mut self.overlay {
                    r.saving = false;
                    r.force_next = true;
                    r.error = Some(format!(
                        "Someone changed these since you opened them: {}. Their other changes are kept; Ctrl-s again writes yours over these.",
                        keys.join("; ")
                    ));
                }
            }
            (Purpose::Relations { undo }, Ok(WriteDone::Relations(page))) => {
                self.undo.push(undo);
                self.apply_relations_page(page);
                self.notify("Memberships updated (u undoes)", false);
                if let Overlay::Relations(_) = self.overlay {
                    self.overlay = Overlay::None;
                }
            }
            (Purpose::Undo { what }, Ok(done)) => {
                self.toasts.retain(|t| t.error);
                self.notify(format!("Undid {what}"), false);
                match done {
                    WriteDone::Saved(entity) => {
                        self.note_own_etag(etag(&entity));
                        self.apply_saved(entity)
                    }
                    WriteDone::Removed { entity, .. } => {
                        if let Some(e) = entity {
                            let id = id_of(&e).to_string();
                            self.after_remove(&id, None, Vec::new());
                            self.undo.pop(); // after_remove records nothing without an entity
                        }
                    }
                    WriteDone::Relations(page) => self.apply_relations_page(page),
                    // Undo sends no merge base, so it never meets a conflict.
                    WriteDone::RelationConflicts(_) => {}
                }
            }
            (purpose, Err(f)) => {
                if let (Purpose::Relations { .. }, Overlay::Relations(r)) =
                    (&purpose, &mut self.overlay)
                {
                    r.saving = false;
                    r.error = Some(f.message.clone());
                    return;
                }
                let what = match purpose {
                    Purpose::Undo { what } => format!("Undo of {what} failed"),
                    Purpose::Remove => "Remove failed".to_string(),
                    _ => "Write failed".to_string(),
                };
                self.notify(format!("{what}: {}", f.message), true);
            }
            (_, Ok(_)) => {}
        }
    }

    /// A saved record replaces its row and the detail in place (no reload).
    pub(crate) fn apply_saved(&mut self, entity: Entity) {
        match &entity {
            Entity::User(u) => {
                self.users.upsert_row(u.clone());
            }
            Entity::Channel(c) => {
                self.channels.upsert_row(c.clone());
            }
        }
        let id = id_of(&entity).to_string();
        // A new row is selected; the detail follows it at the end of `update`.
        if let Some(d) = self.detail.as_mut().filter(|d| d.id == id) {
            d.entity = Some(entity);
        }
    }

    /// The list a membership/member write answered replaces the detail's relations.
    pub(crate) fn apply_relations_page(&mut self, page: PageData) {
        let Some(d) = &mut self.detail else { return };
        match (&mut d.relations, page) {
            (Relations::Memberships(l), PageData::Memberships(p)) => {
                let limit = l.query().limit;
                l.pending = None;
                l.apply_page(p.data, p.total_count, p.next, true, limit);
            }
            (Relations::Members(l), PageData::Members(p)) => {
                let limit = l.query().limit;
                l.pending = None;
                l.apply_page(p.data, p.total_count, p.next, true, limit);
            }
            _ => {}
        }
    }
}
