//! The editor's save: `e`/`n`, `If-Match`, `$EDITOR`, and the conflict view after a 412.

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::action::{Command, Entity, Failure, Write};
use crate::tui::app::{App, Focus, Overlay, Tab};
use crate::tui::editor::{Editor, EditorOutcome, Payload};
use crate::tui::external::Edited;
use crate::tui::keymap::Intent;

use super::merge::{Choice, Outcome};
use super::model::*;
use crate::api::access::Operation;
impl App {
    /// `e`: edit the selected (list) or open (detail) user or channel.
    pub(crate) fn start_edit(&mut self) {
        if self.refuse_read_only("editing") || self.refuse_busy() {
            return;
        }
        let entity = match self.focus {
            Focus::List => match self.tab {
                Tab::Users => self.users.selected_row().cloned().map(Entity::User),
                Tab::Channels => self.channels.selected_row().cloned().map(Entity::Channel),
            },
            Focus::Detail => self.detail.as_ref().and_then(|d| d.entity.clone()),
        };
        let Some(entity) = entity else { return };
        let id = id_of(&entity).to_string();
        let (op, editor) = match &entity {
            Entity::User(u) => (Operation::SetUser(id.clone()), Editor::edit_user(u)),
            Entity::Channel(c) => (Operation::SetChannel(id.clone()), Editor::edit_channel(c)),
        };
        if self.refuse_token(op) || self.refuse_internal(&id, "editing") {
            return;
        }
        self.overlay = Overlay::Editor(Box::new(editor));
    }

    /// `n`: create a user or channel (the current tab's kind).
    pub(crate) fn start_create(&mut self) {
        if self.refuse_read_only("creating") || self.refuse_busy() {
            return;
        }
        // On a record that was not found (opened by id), the form starts with its id.
        let missing = self.detail.as_ref().and_then(|d| {
            (self.focus == Focus::Detail && d.error.as_ref().is_some_and(|f| f.status == Some(404)))
                .then(|| (d.kind, d.id.clone()))
        });
        let editor = match (missing, self.tab) {
            (Some((kind, id)), _) => Editor::new_with_id(kind, &id),
            (None, Tab::Users) => Editor::new_user(),
            (None, Tab::Channels) => Editor::new_channel(),
        };
        self.overlay = Overlay::Editor(Box::new(editor));
    }

    pub(crate) fn on_editor_key(
        &mut self,
        key: KeyEvent,
        mut editor: Box<Editor>,
        cmds: &mut Vec<Command>,
    ) {
        match editor.handle_key(key) {
            EditorOutcome::Nothing => {}
            EditorOutcome::Cancel => return,
            EditorOutcome::AskDiscard => {
                self.overlay = Overlay::Confirm(Box::new(Confirm {
                    title: "Discard changes?".into(),
                    lines: vec!["Your changes in the editor have not been saved.".into()],
                    choices: vec![('y', "discard them".into(), ConfirmAction::Discard)],
                    back: Some(Box::new(Overlay::Editor(editor))),
                }));
                return;
            }
            EditorOutcome::OpenExternal(text) => cmds.push(Command::ExternalEdit(text)),
            EditorOutcome::Save if editor.remote_removed => {
                // Saving over a removal is a choice, not an accident.
                self.ask_recreate(editor);
                return;
            }
            EditorOutcome::Save => {
                if let Ok(payload) = editor.validate() {
                    self.save(&mut editor, payload, cmds);
                }
            }
        }
        self.overlay = Overlay::Editor(editor);
    }

    pub(crate) fn save(&mut self, editor: &mut Editor, payload: Payload, cmds: &mut Vec<Command>) {
        let if_match = editor.target().etag().map(str::to_string);
        self.save_as(editor, payload, if_match, cmds);
    }

    /// Sends the editor's save with `if_match` (None: unconditional).
    fn save_as(
        &mut self,
        editor: &mut Editor,
        payload: Payload,
        if_match: Option<String>,
        cmds: &mut Vec<Command>,
    ) {
        let create = editor.target().is_new();
        // What undo writes back: the version this save replaces (the form's base: the
        // record as opened, or theirs after a merge).
        let before = if create { None } else { editor.base().cloned() };
        let write = match payload {
            Payload::User { id, fields } => Write::SetUser {
                id,
                fields,
                if_match,
                create,
            },
            Payload::Channel { id, fields } => Write::SetChannel {
                id,
                fields,
                if_match,
                create,
            },
        };
        editor.saving = true;
        editor.server_error = None;
        let before = if create { None } else { before };
        self.send_write(write, Purpose::Save { before }, cmds);
    }

    /// `$EDITOR` came back: a valid record is loaded into the form; anything else
    /// leaves the form as it was and says why (invalid text is kept for the next
    /// `Ctrl-e`).
    pub(crate) fn on_external(&mut self, result: Edited) {
        let Overlay::Editor(editor) = &mut self.overlay else {
            return;
        };
        editor.server_error = match result {
            Edited::Changed(text) => match editor.apply_external(&text) {
                Ok(()) => None,
                Err(e) => Some(format!(
                    "$EDITOR: {e}. The form is unchanged; Ctrl-e reopens your text."
                )),
            },
            Edited::Unchanged => {
                editor.set_notice("no changes from $EDITOR");
                None
            }
            Edited::Failed(e) => Some(format!("$EDITOR: {e}. The form is unchanged.")),
        };
    }

    /// The record fetched after a 412 arrived: show the conflict view (or, when it
    /// is gone, the question whether to re-create it).
    pub(crate) fn on_conflict_loaded(&mut self, result: Result<Entity, Failure>) {
        self.conflict_fetch = None;
        let Overlay::Editor(mut editor) = std::mem::replace(&mut self.overlay, Overlay::None)
        else {
            return;
        };
        match (result, editor.validate()) {
            (Ok(theirs), Ok(mine)) => {
                self.overlay = Overlay::Conflict(Box::new(Conflict::new(editor, &mine, theirs)));
            }
            (Err(f), _) if f.status == Some(404) => self.ask_recreate(editor),
            (Err(f), _) => {
                editor.server_error = Some(format!(
                    "Someone else changed this record, and reading their version failed: {}",
                    f.message
                ));
                self.overlay = Overlay::Editor(editor);
            }
            (_, Err(_)) => self.overlay = Overlay::Editor(editor),
        }
    }

    /// The record the editor saves was removed on the server: re-create it with the
    /// form's content (no `If-Match`), go back to the form, or discard.
    pub(crate) fn ask_recreate(&mut self, mut editor: Box<Editor>) {
        editor.remote_removed = true;
        editor.saving = false;
        let what = format!("{} {}", kind_name(editor.kind()), editor.id());
        self.overlay = Overlay::Confirm(Box::new(Confirm {
            title: format!("{what} was removed on the server"),
            lines: vec![
                format!("Someone removed {what} after you opened it."),
                "c writes your version as a new record (without If-Match; its memberships are not restored).".into(),
                "y drops your changes; Esc goes back to the form.".into(),
            ],
            choices: vec![
                ('c', "re-create it with my version".into(), ConfirmAction::Recreate),
                ('y', "discard my changes".into(), ConfirmAction::Discard),
            ],
            back: Some(Box::new(Overlay::Editor(editor))),
        }));
    }

    /// Re-creates the removed record the editor holds (a confirmed choice).
    pub(crate) fn recreate_from_editor(
        &mut self,
        mut editor: Box<Editor>,
        cmds: &mut Vec<Command>,
    ) {
        if let Ok(payload) = editor.validate() {
            editor.remote_removed = false;
            editor.remote_warning = None;
            self.save_as(&mut editor, payload, None, cmds);
        }
        self.overlay = Overlay::Editor(editor);
    }

    pub(crate) fn on_conflict_key(
        &mut self,
        key: KeyEvent,
        conflict: Box<Conflict>,
        cmds: &mut Vec<Command>,
    ) {
        let mut c = *conflict;
        let shown = c.shown().len();
        match (key.code, self.keymap.intent(&key)) {
            (KeyCode::Char('m') | KeyCode::Enter, _) => {
                // Mine where only I changed, theirs where only they did, the choice
                // where both did; saved over their eTag (a new 412 merges again).
                let merged = c.merge.merged(&c.theirs);
                c.editor.rebase(&c.theirs, &merged);
                if let Ok(payload) = c.editor.validate() {
                    self.save(&mut c.editor, payload, cmds);
                }
                self.overlay = Overlay::Editor(c.editor);
            }
            (KeyCode::Char('t'), _) => {
                self.notify(
                    format!("Kept their version of {}", entity_label(&c.theirs)),
                    false,
                );
                self.apply_saved(c.theirs);
            }
            (KeyCode::Char('e') | KeyCode::Esc, _) => {
                let merged = c.merge.merged(&c.theirs);
                c.editor.rebase(&c.theirs, &merged);
                c.editor
                    .set_notice("merged with their version: review, then Ctrl-s");
                self.overlay = Overlay::Editor(c.editor);
            }
            (KeyCode::Left | KeyCode::Char('<'), _) | (_, Some(Intent::FocusLeft)) => {
                if let Some(i) = c.selected_slot() {
                    c.merge.choose(i, Choice::Theirs);
                }
                self.overlay = Overlay::Conflict(Box::new(c));
            }
            (KeyCode::Right | KeyCode::Char('>'), _) | (_, Some(Intent::FocusRight)) => {
                if let Some(i) = c.selected_slot() {
                    c.merge.choose(i, Choice::Mine);
                }
                self.overlay = Overlay::Conflict(Box::new(c));
            }
            (KeyCode::Char(' '), _) => {
                if let Some(i) = c.selected_slot() {
                    let next = match c.merge.slots[i].outcome {
                        Outcome::Conflict(Choice::Mine) => Choice::Theirs,
                        _ => Choice::Mine,
                    };
                    c.merge.choose(i, next);
                }
                self.overlay = Overlay::Conflict(Box::new(c));
            }
            (_, Some(Intent::Down)) => {
                c.selected = (c.selected + 1).min(shown.saturating_sub(1));
                self.overlay = Overlay::Conflict(Box::new(c));
            }
            (_, Some(Intent::Up)) => {
                c.selected = c.selected.saturating_sub(1);
                self.overlay = Overlay::Conflict(Box::new(c));
            }
            _ => self.overlay = Overlay::Conflict(Box::new(c)),
        }
    }

    /// Their eTag, for display.
    pub fn conflict_etag(c: &Conflict) -> String {
        c.theirs_etag()
    }
}
