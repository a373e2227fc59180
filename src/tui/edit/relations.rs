//! `m`: the memberships / members editor opened from the detail, and its one manage call.

use crossterm::event::KeyEvent;

use crate::filter::Target;
use crate::tui::action::{Command, ListQuery, Source, Write};
use crate::tui::app::{App, Overlay, Relations};
use crate::tui::list::PAGE_SIZE;
use crate::tui::relations_editor::{RelOutcome, RelationEditor};

use super::model::*;
impl App {
    /// `m`: edit the open user's memberships or channel's members.
    pub(crate) fn start_relations(&mut self, _cmds: &mut Vec<Command>) {
        if self.refuse_read_only("changing memberships") || self.refuse_busy() {
            return;
        }
        let Some(d) = &self.detail else { return };
        let op = match &d.relations {
            Relations::Memberships(_) => crate::api::access::Operation::ManageMemberships {
                user: d.id.clone(),
                channels: Vec::new(),
            },
            Relations::Members(_) => crate::api::access::Operation::ManageMembers {
                channel: d.id.clone(),
                users: Vec::new(),
            },
        };
        if self.refuse_token(op) {
            return;
        }
        let id = self
            .detail
            .as_ref()
            .map(|d| d.id.clone())
            .unwrap_or_default();
        if self.refuse_internal(&id, "changing its relations") {
            return;
        }
        let Some(d) = &self.detail else { return };
        let editor = match &d.relations {
            Relations::Memberships(l) => RelationEditor::memberships(&d.id, &l.rows),
            Relations::Members(l) => RelationEditor::members(&d.id, &l.rows),
        };
        self.overlay = Overlay::Relations(Box::new(editor));
    }

    /// Whether the relation picker waits for a page.
    pub fn relation_picker_busy(&self) -> bool {
        matches!(&self.overlay, Overlay::Relations(r) if r.picker_busy())
    }

    pub(crate) fn on_relations_key(
        &mut self,
        key: KeyEvent,
        mut editor: Box<RelationEditor>,
        cmds: &mut Vec<Command>,
    ) {
        match editor.handle_key(key) {
            RelOutcome::Close => return,
            RelOutcome::Nothing => {}
            RelOutcome::Save => {
                let (set, delete, undo_set, undo_delete) = editor.change();
                editor.saving = true;
                let source = editor.source.clone();
                // The edited relations as loaded: the merge base.
                let base: Vec<_> = undo_set
                    .iter()
                    .filter(|u| set.iter().any(|s| s.id == u.id))
                    .cloned()
                    .collect();
                let undo = UndoEntry::Relations {
                    source: source.clone(),
                    set: undo_set,
                    delete: undo_delete,
                };
                self.send_write(
                    Write::Manage {
                        source,
                        set,
                        delete,
                        base,
                        force: editor.force_next,
                    },
                    Purpose::Relations { undo },
                    cmds,
                );
            }
            RelOutcome::FetchPicker { filter, cursor } => {
                let req = self.new_req();
                editor.picker_waits_for(req);
                let source = match editor.picker_target() {
                    Target::Channels => Source::Channels,
                    _ => Source::Users,
                };
                cmds.push(Command::FetchPage {
                    req,
                    source,
                    query: ListQuery {
                        filter,
                        sort: Vec::new(),
                        limit: PAGE_SIZE,
                    },
                    cursor,
                });
            }
        }
        self.overlay = Overlay::Relations(editor);
    }
}
