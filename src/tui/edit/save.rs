//! The editor's save: `e`/`n`, `If-Match`, `$EDITOR`, and the conflict view after a 412.

use crossterm::event::{KeyCode, KeyEvent};

use crate::tui::action::{Command, Entity, Failure, Write};
use crate::tui::app::{App, Focus, Overlay, Tab, Toast};
use crate::tui::editor::{EditTarget, Editor, EditorOutcome, Payload};

use super::model::*;
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
        let editor = match &entity {
            Some(Entity::User(u)) => Editor::edit_user(u),
            Some(Entity::Channel(c)) => Editor::edit_channel(c),
            None => return,
        };
        self.overlay = Overlay::Editor(Box::new(editor));
    }

    /// `n`: create a user or channel (the current tab's kind).
    pub(crate) fn start_create(&mut self) {
        if self.refuse_read_only("creating") || self.refuse_busy() {
            return;
        }
        let editor = match self.tab {
            Tab::Users => Editor::new_user(),
            Tab::Channels => Editor::new_channel(),
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
            EditorOutcome::Save => {
                if let Ok(payload) = editor.validate() {
                    self.save(&mut editor, payload, cmds);
                }
            }
        }
        self.overlay = Overlay::Editor(editor);
    }

    pub(crate) fn save(&mut self, editor: &mut Editor, payload: Payload, cmds: &mut Vec<Command>) {
        let (if_match, create, before) = match editor.target() {
            EditTarget::NewUser | EditTarget::NewChannel => (None, true, None),
            EditTarget::User { id, etag } => (
                Some(etag.clone()),
                false,
                self.users
                    .rows
                    .iter()
                    .find(|u| &u.user_id == id)
                    .cloned()
                    .map(Entity::User),
            ),
            EditTarget::Channel { id, etag } => (
                Some(etag.clone()),
                false,
                self.channels
                    .rows
                    .iter()
                    .find(|c| &c.channel_id == id)
                    .cloned()
                    .map(Entity::Channel),
            ),
        };
        let before = before.or_else(|| self.detail.as_ref().and_then(|d| d.entity.clone()));
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

    /// `$EDITOR` came back.
    pub(crate) fn on_external(&mut self, result: Result<String, String>) {
        if let Overlay::Editor(editor) = &mut self.overlay {
            match result.and_then(|text| editor.apply_external(&text)) {
                Ok(()) => editor.server_error = None,
                Err(e) => {
                    editor.server_error = Some(format!("$EDITOR: {e} (the form is unchanged)"))
                }
            }
        }
    }

    /// The record fetched after a 412 arrived: show the conflict view.
    pub(crate) fn on_conflict_loaded(&mut self, result: Result<Entity, Failure>) {
        self.conflict_fetch = None;
        let Overlay::Editor(editor) = std::mem::replace(&mut self.overlay, Overlay::None) else {
            return;
        };
        let mut editor = editor;
        match (result, editor.validate()) {
            (Ok(theirs), Ok(mine)) => {
                self.overlay = Overlay::Conflict(Box::new(Conflict {
                    editor,
                    mine,
                    theirs,
                }));
            }
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

    pub(crate) fn on_conflict_key(
        &mut self,
        key: KeyEvent,
        conflict: Box<Conflict>,
        cmds: &mut Vec<Command>,
    ) {
        let Conflict {
            mut editor,
            mine,
            theirs,
        } = *conflict;
        let theirs_etag = match &theirs {
            Entity::User(u) => u.etag.clone(),
            Entity::Channel(c) => c.etag.clone(),
        };
        match key.code {
            KeyCode::Char('m') => {
                editor.set_etag(theirs_etag);
                editor.remote_warning = None;
                self.save(&mut editor, mine, cmds);
                self.overlay = Overlay::Editor(editor);
            }
            KeyCode::Char('t') => {
                self.toasts.push(Toast {
                    text: format!("Kept their version of {}", entity_label(&theirs)),
                    error: false,
                });
                self.apply_saved(theirs, cmds);
            }
            KeyCode::Char('e') | KeyCode::Esc => {
                editor.set_etag(theirs_etag);
                editor.remote_warning = Some("This record changed on the server after you opened it; saving now writes your version over theirs.".into());
                self.overlay = Overlay::Editor(editor);
            }
            _ => {
                self.overlay = Overlay::Conflict(Box::new(Conflict {
                    editor,
                    mine,
                    theirs,
                }))
            }
        }
    }

    /// Their eTag, for display.
    pub fn conflict_etag(c: &Conflict) -> String {
        c.theirs_etag()
    }
}
