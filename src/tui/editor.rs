//! The editor form for one user or channel: its state, its keys, and its validation.
//! It is pure (no I/O, no terminal): the app feeds it keys and acts on the
//! [`EditorOutcome`]s it returns; `view::editor::draw` draws it.

mod custom;
mod fields;
mod line;
mod record;
#[cfg(test)]
pub(crate) mod tests;

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};
use ratatui::style::{Color, Modifier, Style};
use ratatui_textarea::TextArea;

pub use self::custom::{CustomRow, ValueKind};
pub use self::fields::{Field, FieldKey};
pub use self::line::LineInput;
use crate::api::options::{ChannelFields, UserFields};
use crate::tui::action::{Entity, EntityKind};

/// What the form edits.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditTarget {
    NewUser,
    NewChannel,
    /// An existing user, with the eTag the user opened (sent as `If-Match`).
    User {
        id: String,
        etag: String,
    },
    /// An existing channel, with the eTag the user opened.
    Channel {
        id: String,
        etag: String,
    },
}

impl EditTarget {
    /// User or channel.
    pub fn kind(&self) -> EntityKind {
        match self {
            EditTarget::NewUser | EditTarget::User { .. } => EntityKind::User,
            EditTarget::NewChannel | EditTarget::Channel { .. } => EntityKind::Channel,
        }
    }

    /// The eTag to send as `If-Match` (`None` when creating).
    pub fn etag(&self) -> Option<&str> {
        match self {
            EditTarget::User { etag, .. } | EditTarget::Channel { etag, .. } => Some(etag),
            _ => None,
        }
    }

    /// True for a record that does not exist yet.
    pub fn is_new(&self) -> bool {
        matches!(self, EditTarget::NewUser | EditTarget::NewChannel)
    }
}

/// What the app should do after a key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EditorOutcome {
    Nothing,
    /// The form is valid: send [`Editor::validate`]'s payload.
    Save,
    /// Nothing changed: just close.
    Cancel,
    /// Something changed: ask before discarding it.
    AskDiscard,
    /// Suspend the terminal, open `$EDITOR` on this JSON text, and pass the result to
    /// [`Editor::apply_external`].
    OpenExternal(String),
}

/// What a save sends.
#[derive(Clone, Debug, PartialEq)]
pub enum Payload {
    User { id: String, fields: UserFields },
    Channel { id: String, fields: ChannelFields },
}

/// Which input has the keyboard.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    /// A plain field, by index in [`Editor::fields`].
    Field(usize),
    /// The key of a custom row.
    Key(usize),
    /// The value of a custom row.
    Value(usize),
    /// The raw JSON view of `custom`.
    Raw,
}

/// The raw JSON view of `custom`: a multi-line text validated as it is typed.
#[derive(Clone, Debug)]
pub struct RawView {
    area: TextArea<'static>,
    /// The text when the view was opened (to tell whether it was edited).
    entered: String,
    error: Option<String>,
}

impl RawView {
    fn new(text: &str) -> RawView {
        let mut area = TextArea::new(text.lines().map(str::to_string).collect());
        area.set_cursor_line_style(Style::default());
        area.set_line_number_style(Style::default().fg(Color::DarkGray));
        RawView {
            area,
            entered: text.to_string(),
            error: None,
        }
    }

    /// The text area (drawn as a widget).
    pub fn area(&self) -> &TextArea<'static> {
        &self.area
    }

    /// The whole text.
    pub fn text(&self) -> String {
        self.area.lines().join("\n")
    }

    /// Why the text is not a valid `custom` object, with line and column.
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
}

/// What "has anything changed" compares.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Snapshot {
    fields: Vec<String>,
    rows: Vec<(String, String, ValueKind)>,
}

/// The form editing one user or channel.
#[derive(Clone, Debug)]
pub struct Editor {
    target: EditTarget,
    fields: Vec<Field>,
    rows: Vec<CustomRow>,
    /// The record did not include `custom`: while there are no rows, a save leaves
    /// the stored map alone.
    custom_absent: bool,
    /// The record's `custom` was an object (so no rows sends `{}`, not `null`).
    custom_was_object: bool,
    raw: Option<RawView>,
    focus: Focus,
    /// A save was attempted: empty ids and keys are reported from now on.
    attempted: bool,
    record_error: Option<String>,
    notice: Option<String>,
    baseline: Snapshot,
    /// A save is in flight: keys other than Esc / Ctrl-c do nothing.
    pub saving: bool,
    /// The server's answer to the last save, shown in the modal.
    pub server_error: Option<String>,
    /// Shown as a banner: the record changed on the server since it was opened.
    pub remote_warning: Option<String>,
    /// The record was removed on the server while the form was open: a save asks
    /// whether to re-create it.
    pub remote_removed: bool,
    /// The record as opened (or as last merged with): the base of the three-way merge
    /// after a 412. None when creating.
    base: Option<Entity>,
    /// Text `$EDITOR` returned that could not be taken (invalid JSON, a refused
    /// value): the next `Ctrl-e` opens it again instead of the form, so nothing typed
    /// there is lost.
    external_text: Option<String>,
}

impl Editor {
    fn blank(target: EditTarget) -> Editor {
        let keys = FieldKey::for_form(target.kind(), target.is_new());
        let mut e = Editor {
            fields: keys.into_iter().map(|k| Field::new(k, None)).collect(),
            target,
            rows: Vec::new(),
            custom_absent: false,
            custom_was_object: false,
            raw: None,
            focus: Focus::Field(0),
            attempted: false,
            record_error: None,
            notice: None,
            baseline: Snapshot {
                fields: Vec::new(),
                rows: Vec::new(),
            },
            saving: false,
            server_error: None,
            remote_warning: None,
            remote_removed: false,
            base: None,
            external_text: None,
        };
        e.baseline = e.snapshot();
        e
    }

    /// An empty form creating a user.
    pub fn new_user() -> Editor {
        Editor::blank(EditTarget::NewUser)
    }

    /// An empty form creating a channel.
    pub fn new_channel() -> Editor {
        Editor::blank(EditTarget::NewChannel)
    }

    /// A form creating a user or channel with this id typed in.
    pub fn new_with_id(kind: EntityKind, id: &str) -> Editor {
        let mut e = match kind {
            EntityKind::User => Editor::new_user(),
            EntityKind::Channel => Editor::new_channel(),
        };
        if let Some(f) = e.fields.iter_mut().find(|f| f.key == FieldKey::Id) {
            f.input.insert(id);
        }
        e.baseline = e.snapshot();
        e
    }

    /// What the form edits.
    pub fn target(&self) -> &EditTarget {
        &self.target
    }

    /// User or channel.
    pub fn kind(&self) -> EntityKind {
        self.target.kind()
    }

    /// The modal's title: "Edit user <id>", "New channel", …
    pub fn title(&self) -> String {
        match &self.target {
            EditTarget::NewUser => "New user".into(),
            EditTarget::NewChannel => "New channel".into(),
            EditTarget::User { id, .. } => format!("Edit user {id}"),
            EditTarget::Channel { id, .. } => format!("Edit channel {id}"),
        }
    }

    pub fn fields(&self) -> &[Field] {
        &self.fields
    }
    pub fn rows(&self) -> &[CustomRow] {
        &self.rows
    }
    pub fn focus(&self) -> Focus {
        self.focus
    }
    /// The raw JSON view, when it replaces the rows.
    pub fn raw(&self) -> Option<&RawView> {
        self.raw.as_ref()
    }
    /// A problem with the record as a whole (its size).
    pub fn record_error(&self) -> Option<&str> {
        self.record_error.as_deref()
    }
    /// Why the last key was refused, until the next key.
    pub fn notice(&self) -> Option<&str> {
        self.notice.as_deref()
    }
    /// No rows and nothing to send: what an empty custom table means.
    pub fn empty_custom_meaning(&self) -> &'static str {
        if self.custom_absent {
            "not loaded; left as stored"
        } else if self.custom_was_object {
            "saved as {}"
        } else {
            "saved as null"
        }
    }

    /// True when the form differs from the record it was opened on.
    pub fn is_dirty(&self) -> bool {
        self.snapshot() != self.baseline || self.raw.as_ref().is_some_and(|r| r.text() != r.entered)
    }

    fn snapshot(&self) -> Snapshot {
        Snapshot {
            fields: self
                .fields
                .iter()
                .map(|f| f.input.text().to_string())
                .collect(),
            rows: self.rows.iter().map(CustomRow::snapshot).collect(),
        }
    }

    /// Applies one key.
    pub fn handle_key(&mut self, key: KeyEvent) -> EditorOutcome {
        if key.kind == KeyEventKind::Release {
            return EditorOutcome::Nothing;
        }
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        if key.code == KeyCode::Esc || (ctrl && key.code == KeyCode::Char('c')) {
            return if self.is_dirty() {
                EditorOutcome::AskDiscard
            } else {
                EditorOutcome::Cancel
            };
        }
        if self.saving {
            return EditorOutcome::Nothing;
        }
        self.notice = None;
        let on_row = matches!(self.focus, Focus::Key(_) | Focus::Value(_));
        let in_raw = self.focus == Focus::Raw;
        match key.code {
            KeyCode::Char('s') if ctrl => {
                return match self.validate() {
                    Ok(_) => EditorOutcome::Save,
                    Err(_) => EditorOutcome::Nothing,
                };
            }
            KeyCode::Char('e') if ctrl => return self.open_external(),
            KeyCode::Char('j') if ctrl => self.toggle_raw(),
            KeyCode::Char('n') if ctrl && self.raw.is_none() => {
                self.rows.push(CustomRow::empty());
                self.focus = Focus::Key(self.rows.len() - 1);
            }
            KeyCode::Char('d') if ctrl && on_row => self.delete_row(),
            KeyCode::Char('t') if ctrl && on_row => {
                if let Focus::Key(r) | Focus::Value(r) = self.focus {
                    if let Some(row) = self.rows.get_mut(r) {
                        row.kind = row.kind.next();
                    }
                }
            }
            KeyCode::Tab => self.cycle_focus(true),
            KeyCode::BackTab => self.cycle_focus(false),
            KeyCode::Enter if !in_raw => self.cycle_focus(true),
            KeyCode::Up if !in_raw => self.vertical(false),
            KeyCode::Down if !in_raw => self.vertical(true),
            _ => self.edit_focused(key),
        }
        self.recheck();
        EditorOutcome::Nothing
    }

    /// Inserts pasted text into the focused input (newlines become spaces except in
    /// the raw JSON view).
    pub fn paste(&mut self, text: &str) {
        if self.saving {
            return;
        }
        match self.focus {
            Focus::Field(i) => {
                if let Some(f) = self.fields.get_mut(i) {
                    f.input.insert(text);
                }
            }
            Focus::Key(r) | Focus::Value(r) => {
                let is_key = matches!(self.focus, Focus::Key(_));
                if let Some(row) = self.rows.get_mut(r) {
                    if is_key { &mut row.key } else { &mut row.value }.insert(text);
                }
            }
            Focus::Raw => {
                if let Some(raw) = self.raw.as_mut() {
                    raw.area.insert_str(text);
                }
            }
        }
        self.recheck();
    }

    fn edit_focused(&mut self, key: KeyEvent) {
        match self.focus {
            Focus::Field(i) => {
                if let Some(f) = self.fields.get_mut(i) {
                    f.input.edit(key);
                }
            }
            Focus::Key(r) => {
                if let Some(row) = self.rows.get_mut(r) {
                    row.key.edit(key);
                }
            }
            Focus::Value(r) => {
                if let Some(row) = self.rows.get_mut(r) {
                    row.value.edit(key);
                }
            }
            Focus::Raw => {
                if let Some(raw) = self.raw.as_mut() {
                    raw.area.input(key);
                }
            }
        }
    }

    /// Every input in Tab order.
    fn stops(&self) -> Vec<Focus> {
        let mut stops: Vec<Focus> = (0..self.fields.len()).map(Focus::Field).collect();
        if self.raw.is_some() {
            stops.push(Focus::Raw);
        } else {
            for r in 0..self.rows.len() {
                stops.push(Focus::Key(r));
                stops.push(Focus::Value(r));
            }
        }
        stops
    }

    fn cycle_focus(&mut self, forward: bool) {
        let stops = self.stops();
        let n = stops.len();
        if n == 0 {
            return;
        }
        let at = stops.iter().position(|&s| s == self.focus).unwrap_or(0);
        let next = if forward {
            (at + 1) % n
        } else {
            (at + n - 1) % n
        };
        self.set_focus(stops[next]);
    }

    fn vertical(&mut self, down: bool) {
        let last_field = self.fields.len().saturating_sub(1);
        let first_custom = match (&self.raw, self.rows.is_empty()) {
            (Some(_), _) => Some(Focus::Raw),
            (None, false) => Some(Focus::Key(0)),
            (None, true) => None,
        };
        let next = match (self.focus, down) {
            (Focus::Field(i), false) => Focus::Field(i.saturating_sub(1)),
            (Focus::Field(i), true) if i < last_field => Focus::Field(i + 1),
            (Focus::Field(i), true) => first_custom.unwrap_or(Focus::Field(i)),
            (Focus::Key(0) | Focus::Value(0), false) => Focus::Field(last_field),
            (Focus::Key(r), false) => Focus::Key(r - 1),
            (Focus::Value(r), false) => Focus::Value(r - 1),
            (Focus::Key(r), true) => Focus::Key((r + 1).min(self.rows.len().saturating_sub(1))),
            (Focus::Value(r), true) => Focus::Value((r + 1).min(self.rows.len().saturating_sub(1))),
            (Focus::Raw, _) => Focus::Raw,
        };
        self.set_focus(next);
    }

    fn set_focus(&mut self, focus: Focus) {
        self.focus = focus;
        if let Some(raw) = self.raw.as_mut() {
            // Only the focused input shows a cursor.
            raw.area.set_cursor_style(if focus == Focus::Raw {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            });
        }
    }

    fn delete_row(&mut self) {
        let (r, value) = match self.focus {
            Focus::Key(r) => (r, false),
            Focus::Value(r) => (r, true),
            _ => return,
        };
        if r >= self.rows.len() {
            return;
        }
        self.rows.remove(r);
        let focus = if self.rows.is_empty() {
            Focus::Field(self.fields.len().saturating_sub(1))
        } else {
            let r = r.min(self.rows.len() - 1);
            if value {
                Focus::Value(r)
            } else {
                Focus::Key(r)
            }
        };
        self.set_focus(focus);
    }

    /// Opens or closes the raw JSON view. Closing with invalid JSON is refused (the
    /// text stays); closing with valid JSON replaces the rows.
    fn toggle_raw(&mut self) {
        match self.raw.take() {
            None => {
                let had_bad_values = self.rows.iter().any(|r| r.typed_value().is_err());
                let kept = self.rows.iter().filter(|r| !r.is_blank());
                let text =
                    custom::pretty_entries(kept.map(|r| (r.key.text(), r.lenient_value())), 0);
                self.raw = Some(RawView::new(&text));
                if had_bad_values {
                    self.notice =
                        Some("values that did not fit their type are shown as strings".into());
                }
                self.set_focus(Focus::Raw);
            }
            Some(raw) => match self.parse_raw_rows(&raw.text()) {
                Ok(rows) => {
                    self.rows = rows;
                    let focus = match self.focus {
                        Focus::Raw if !self.rows.is_empty() => Focus::Key(0),
                        Focus::Raw => Focus::Field(self.fields.len().saturating_sub(1)),
                        other => other,
                    };
                    self.set_focus(focus);
                }
                Err(e) => {
                    self.notice = Some(format!("the raw JSON stays open until it is valid: {e}"));
                    self.raw = Some(raw);
                }
            },
        }
    }

    /// The raw view's text as rows, checked like rows are.
    fn parse_raw_rows(&self, text: &str) -> Result<Vec<CustomRow>, String> {
        let mut rows = custom::parse_raw(text)?;
        match custom::check_rows(&mut rows, true).into_iter().next() {
            Some(problem) => Err(problem),
            None => Ok(rows),
        }
    }

    fn open_external(&mut self) -> EditorOutcome {
        if let Some(text) = &self.external_text {
            return EditorOutcome::OpenExternal(text.clone());
        }
        if let Some(e) = self.raw.as_ref().and_then(|r| r.error.clone()) {
            self.notice = Some(format!("fix the raw JSON before opening $EDITOR: {e}"));
            return EditorOutcome::Nothing;
        }
        EditorOutcome::OpenExternal(self.to_json())
    }

    /// Shows `text` until the next key.
    pub fn set_notice(&mut self, text: &str) {
        self.notice = Some(text.to_string());
    }

    /// The record as opened (the merge base).
    pub fn base(&self) -> Option<&Entity> {
        self.base.as_ref()
    }

    /// Text from `$EDITOR` that is kept because it could not be taken.
    pub fn external_text(&self) -> Option<&str> {
        self.external_text.as_deref()
    }

    /// Validates everything. On success, the body to send: every field of the form,
    /// so the result is exactly what the user sees (`custom` replaces the whole map).
    /// On failure the problems are stored on the fields (shown next to them) and
    /// returned.
    pub fn validate(&mut self) -> Result<Payload, Vec<String>> {
        self.attempted = true;
        self.check()
    }

    /// Re-runs the checks after an edit, so shown errors follow the text.
    fn recheck(&mut self) {
        let _ = self.check();
    }

    fn check(&mut self) -> Result<Payload, Vec<String>> {
        let kind = self.kind();
        let strict = self.attempted;
        let mut problems = Vec::new();
        for f in &mut self.fields {
            f.check(kind, strict);
            if let Some(e) = &f.error {
                problems.push(format!("{}: {e}", f.key.name()));
            }
        }
        let raw_rows = match self.raw.as_ref().map(|r| r.text()) {
            Some(text) => {
                let parsed = self.parse_raw_rows(&text);
                let error = parsed.as_ref().err().cloned();
                if let Some(e) = &error {
                    problems.push(format!("custom (raw JSON): {e}"));
                }
                if let Some(raw) = self.raw.as_mut() {
                    raw.error = error;
                }
                parsed.ok()
            }
            None => {
                problems.extend(custom::check_rows(&mut self.rows, strict));
                None
            }
        };
        self.record_error = None;
        if !problems.is_empty() {
            return Err(problems);
        }
        let rows = raw_rows.as_deref().unwrap_or(&self.rows);
        let payload = self.payload(rows);
        if let Err(e) = self.check_size(&payload) {
            self.record_error = Some(e.clone());
            return Err(vec![e]);
        }
        Ok(payload)
    }
}
