//! The memberships / members editor (`m`): mark relations for removal, edit one
//! relation's status/type/custom, add new ones from a searchable, paged picker, then
//! send everything as ONE manage call. Pure state and keys; the app sends the call.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use super::action::{PageData, RequestId, Source};
use super::input::FilterInput;
use crate::api::types::{Cursor, Custom, Maybe, Member, Membership, Related};
use crate::api::RelationEntry;
use crate::filter::Target;

/// A relation's own fields.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Fields {
    pub status: Option<String>,
    pub kind: Option<String>,
    pub custom: Option<Custom>,
}

/// One row: an existing relation or one being added.
#[derive(Clone, Debug)]
pub struct RelRow {
    pub id: String,
    pub name: Option<String>,
    /// As loaded; `None` for a row being added.
    pub original: Option<Fields>,
    pub fields: Fields,
    pub remove: bool,
}

impl RelRow {
    /// Added, edited, or marked for removal.
    pub fn changed(&self) -> bool {
        self.remove || self.original.as_ref() != Some(&self.fields)
    }

    /// `+` added, `−` removed, `~` edited, blank unchanged.
    pub fn marker(&self) -> &'static str {
        match (&self.original, self.remove) {
            (_, true) => "−",
            (None, false) => "+",
            (Some(o), false) if *o != self.fields => "~",
            _ => " ",
        }
    }
}

/// The channel (or user) picker for adding relations.
#[derive(Clone, Debug)]
pub struct Picker {
    pub filter: FilterInput,
    /// The filter the shown rows were fetched with.
    pub applied: Option<String>,
    /// Keys go to the filter line (else to the list).
    pub typing: bool,
    pub rows: Vec<(String, Option<String>)>,
    pub cursor: usize,
    pub chosen: Vec<String>,
    pub next: Option<Cursor>,
    pub total: Option<u64>,
    pub pending: Option<RequestId>,
    pub error: Option<String>,
}

/// Editing one row's status, type and custom (as JSON).
#[derive(Clone, Debug)]
pub struct RowForm {
    pub row: usize,
    /// status, type, custom JSON.
    pub inputs: [String; 3],
    pub focus: usize,
    pub error: Option<String>,
}

/// What the editor is showing.
#[derive(Clone, Debug)]
pub enum Mode {
    Rows,
    Picker(Box<Picker>),
    Edit(RowForm),
}

/// What a key asks the app to do.
#[derive(Clone, Debug, PartialEq)]
pub enum RelOutcome {
    Nothing,
    Close,
    /// Fetch a picker page: filter, cursor.
    FetchPicker {
        filter: Option<String>,
        cursor: Option<Cursor>,
    },
    /// Send the manage call.
    Save,
}

/// The editor.
#[derive(Clone, Debug)]
pub struct RelationEditor {
    pub source: Source,
    pub rows: Vec<RelRow>,
    pub cursor: usize,
    pub mode: Mode,
    pub saving: bool,
    pub error: Option<String>,
    /// The last save found keys someone else changed too, and the user was told: the
    /// next save writes mine over them.
    pub force_next: bool,
    confirm_close: bool,
}

fn fields(status: &Maybe<String>, kind: &Maybe<String>, custom: &Maybe<Custom>) -> Fields {
    Fields {
        status: status.as_ref().cloned(),
        kind: kind.as_ref().cloned(),
        custom: custom.as_ref().cloned(),
    }
}

fn is_ctrl(k: &KeyEvent, c: char) -> bool {
    k.modifiers.contains(KeyModifiers::CONTROL) && k.code == KeyCode::Char(c)
}

impl RelationEditor {
    /// Over a user's loaded memberships.
    pub fn memberships(user: &str, loaded: &[Membership]) -> RelationEditor {
        let rows = loaded
            .iter()
            .map(|m| {
                let name = match &m.channel {
                    Related::Expanded(c) => c.name.clone(),
                    Related::Id { .. } => None,
                };
                let f = fields(&m.status, &m.kind, &m.custom);
                RelRow {
                    id: m.channel.id().to_string(),
                    name,
                    original: Some(f.clone()),
                    fields: f,
                    remove: false,
                }
            })
            .collect();
        Self::with_rows(Source::Memberships(user.to_string()), rows)
    }

    /// Over a channel's loaded members.
    pub fn members(channel: &str, loaded: &[Member]) -> RelationEditor {
        let rows = loaded
            .iter()
            .map(|m| {
                let name = match &m.uuid {
                    Related::Expanded(u) => u.name.clone(),
                    Related::Id { .. } => None,
                };
                let f = fields(&m.status, &m.kind, &m.custom);
                RelRow {
                    id: m.uuid.id().to_string(),
                    name,
                    original: Some(f.clone()),
                    fields: f,
                    remove: false,
                }
            })
            .collect();
        Self::with_rows(Source::Members(channel.to_string()), rows)
    }

    fn with_rows(source: Source, rows: Vec<RelRow>) -> RelationEditor {
        RelationEditor {
            source,
            rows,
            cursor: 0,
            mode: Mode::Rows,
            saving: false,
            error: None,
            force_next: false,
            confirm_close: false,
        }
    }

    /// What the picker lists: channels for memberships, users for members.
    pub fn picker_target(&self) -> Target {
        match self.source {
            Source::Memberships(_) => Target::Channels,
            _ => Target::Users,
        }
    }

    /// Whether anything would be sent.
    pub fn dirty(&self) -> bool {
        self.rows.iter().any(RelRow::changed)
    }

    /// The manage call: entries to set (added and edited rows, with their fields) and
    /// ids to delete; and its inverse, for undo.
    pub fn change(
        &self,
    ) -> (
        Vec<RelationEntry>,
        Vec<String>,
        Vec<RelationEntry>,
        Vec<String>,
    ) {
        let entry = |id: &str, f: &Fields| RelationEntry {
            id: id.to_string(),
            custom: Maybe::present(f.custom.clone()),
            status: Maybe::present(f.status.clone()),
            kind: Maybe::present(f.kind.clone()),
        };
        let (mut set, mut delete, mut undo_set, mut undo_delete) = (vec![], vec![], vec![], vec![]);
        for r in self.rows.iter().filter(|r| r.changed()) {
            match (&r.original, r.remove) {
                (Some(o), true) => {
                    delete.push(r.id.clone());
                    undo_set.push(entry(&r.id, o));
                }
                (None, true) => {}
                (None, false) => {
                    set.push(entry(&r.id, &r.fields));
                    undo_delete.push(r.id.clone());
                }
                (Some(o), false) => {
                    set.push(entry(&r.id, &r.fields));
                    undo_set.push(entry(&r.id, o));
                }
            }
        }
        (set, delete, undo_set, undo_delete)
    }

    /// A picker page arrived (true when it was this editor's request).
    pub fn take_page(&mut self, req: RequestId, page: &Result<PageData, String>) -> bool {
        let Mode::Picker(p) = &mut self.mode else {
            return false;
        };
        if p.pending != Some(req) {
            return false;
        }
        p.pending = None;
        match page {
            Ok(PageData::Users(pg)) => {
                p.rows
                    .extend(pg.data.iter().map(|u| (u.user_id.clone(), u.name.clone())));
                p.total = pg.total_count.or(p.total);
                p.next = if pg.data.is_empty() {
                    None
                } else {
                    pg.next.clone()
                };
            }
            Ok(PageData::Channels(pg)) => {
                p.rows.extend(
                    pg.data
                        .iter()
                        .map(|c| (c.channel_id.clone(), c.name.clone())),
                );
                p.total = pg.total_count.or(p.total);
                p.next = if pg.data.is_empty() {
                    None
                } else {
                    pg.next.clone()
                };
            }
            Ok(_) => {}
            Err(e) => p.error = Some(e.clone()),
        }
        if p.total.is_some_and(|t| p.rows.len() as u64 >= t) {
            p.next = None;
        }
        true
    }

    /// Records the request id of a picker fetch.
    pub fn picker_waits_for(&mut self, req: RequestId) {
        if let Mode::Picker(p) = &mut self.mode {
            p.pending = Some(req);
        }
    }

    /// Whether the picker is open.
    pub fn picking(&self) -> bool {
        matches!(&self.mode, Mode::Picker(_))
    }

    /// Whether a picker page is loading.
    pub fn picker_busy(&self) -> bool {
        matches!(&self.mode, Mode::Picker(p) if p.pending.is_some())
    }

    /// Handles a key.
    pub fn handle_key(&mut self, key: KeyEvent) -> RelOutcome {
        if self.saving {
            return RelOutcome::Nothing;
        }
        match std::mem::replace(&mut self.mode, Mode::Rows) {
            Mode::Rows => self.rows_key(key),
            Mode::Picker(p) => self.picker_key(key, p),
            Mode::Edit(f) => self.form_key(key, f),
        }
    }

    fn rows_key(&mut self, key: KeyEvent) -> RelOutcome {
        let was_confirming = std::mem::take(&mut self.confirm_close);
        if is_ctrl(&key, 's') {
            if !self.dirty() {
                self.error = Some("Nothing to save.".into());
                return RelOutcome::Nothing;
            }
            self.error = None;
            return RelOutcome::Save;
        }
        match key.code {
            KeyCode::Esc => {
                if !self.dirty() || was_confirming {
                    return RelOutcome::Close;
                }
                self.confirm_close = true;
                self.error = Some("Unsaved changes: Esc again discards them, Ctrl-s saves.".into());
            }
            KeyCode::Char('j') | KeyCode::Down => {
                self.cursor = (self.cursor + 1).min(self.rows.len().saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Char(' ') | KeyCode::Char('d') => {
                if let Some(r) = self.rows.get_mut(self.cursor) {
                    if r.original.is_none() {
                        self.rows.remove(self.cursor);
                    } else {
                        r.remove = !r.remove;
                        self.cursor += 1; // Space advances, as everywhere
                    }
                    self.cursor = self.cursor.min(self.rows.len().saturating_sub(1));
                }
            }
            KeyCode::Char('e') | KeyCode::Enter => {
                if let Some(r) = self.rows.get(self.cursor) {
                    let custom = r
                        .fields
                        .custom
                        .as_ref()
                        .map(|c| serde_json::to_string(c).unwrap_or_default())
                        .unwrap_or_default();
                    self.mode = Mode::Edit(RowForm {
                        row: self.cursor,
                        inputs: [
                            r.fields.status.clone().unwrap_or_default(),
                            r.fields.kind.clone().unwrap_or_default(),
                            custom,
                        ],
                        focus: 0,
                        error: None,
                    });
                }
            }
            KeyCode::Char('a') => {
                self.mode = Mode::Picker(Box::new(Picker {
                    filter: FilterInput::new_search(self.picker_target()),
                    applied: None,
                    typing: false,
                    rows: Vec::new(),
                    cursor: 0,
                    chosen: Vec::new(),
                    next: None,
                    total: None,
                    pending: None,
                    error: None,
                }));
                return RelOutcome::FetchPicker {
                    filter: None,
                    cursor: None,
                };
            }
            _ => {}
        }
        RelOutcome::Nothing
    }

    fn picker_key(&mut self, key: KeyEvent, mut p: Box<Picker>) -> RelOutcome {
        let mut outcome = RelOutcome::Nothing;
        if p.typing {
            match key.code {
                KeyCode::Esc => p.typing = false,
                KeyCode::Enter | KeyCode::Tab if p.filter.error.is_none() => {
                    p.typing = false;
                    let filter = p.filter.to_filter();
                    if filter != p.applied {
                        p.applied = filter.clone();
                        p.rows.clear();
                        p.cursor = 0;
                        p.next = None;
                        p.total = None;
                        p.error = None;
                        outcome = RelOutcome::FetchPicker {
                            filter,
                            cursor: None,
                        };
                    }
                }
                KeyCode::Enter | KeyCode::Tab => {}
                _ => p.filter.edit(key),
            }
            self.mode = Mode::Picker(p);
            return outcome;
        }
        match key.code {
            KeyCode::Esc => return RelOutcome::Nothing, // back to the rows, nothing added
            KeyCode::Char('f') | KeyCode::Char('/') | KeyCode::Tab => p.typing = true,
            KeyCode::Char('j') | KeyCode::Down => {
                p.cursor = (p.cursor + 1).min(p.rows.len().saturating_sub(1))
            }
            KeyCode::Char('k') | KeyCode::Up => p.cursor = p.cursor.saturating_sub(1),
            KeyCode::Char(' ') => {
                if let Some((id, _)) = p.rows.get(p.cursor) {
                    if self
                        .rows
                        .iter()
                        .any(|r| &r.id == id && r.original.is_some())
                    {
                        // Already a membership / member: nothing to add.
                    } else if let Some(i) = p.chosen.iter().position(|c| c == id) {
                        p.chosen.remove(i);
                    } else {
                        p.chosen.push(id.clone());
                    }
                }
                p.cursor = (p.cursor + 1).min(p.rows.len().saturating_sub(1));
            }
            KeyCode::Enter => {
                for id in &p.chosen {
                    if self.rows.iter().any(|r| &r.id == id) {
                        continue;
                    }
                    let name = p
                        .rows
                        .iter()
                        .find(|(i, _)| i == id)
                        .and_then(|(_, n)| n.clone());
                    self.rows.push(RelRow {
                        id: id.clone(),
                        name,
                        original: None,
                        fields: Fields::default(),
                        remove: false,
                    });
                }
                self.cursor = self.rows.len().saturating_sub(1);
                return RelOutcome::Nothing;
            }
            _ => {}
        }
        if p.pending.is_none() && p.next.is_some() && p.cursor + 10 >= p.rows.len() {
            outcome = RelOutcome::FetchPicker {
                filter: p.applied.clone(),
                cursor: p.next.clone(),
            };
        }
        self.mode = Mode::Picker(p);
        outcome
    }

    fn form_key(&mut self, key: KeyEvent, mut f: RowForm) -> RelOutcome {
        let apply = is_ctrl(&key, 's') || key.code == KeyCode::Enter;
        if apply {
            match parse_form(&f.inputs) {
                Ok(fields) => {
                    if let Some(r) = self.rows.get_mut(f.row) {
                        r.fields = fields;
                    }
                    return RelOutcome::Nothing;
                }
                Err(e) => f.error = Some(e),
            }
            self.mode = Mode::Edit(f);
            return RelOutcome::Nothing;
        }
        match key.code {
            KeyCode::Esc => return RelOutcome::Nothing,
            KeyCode::Tab | KeyCode::Down => f.focus = (f.focus + 1) % 3,
            KeyCode::BackTab | KeyCode::Up => f.focus = (f.focus + 2) % 3,
            KeyCode::Backspace => {
                f.inputs[f.focus].pop();
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                f.inputs[f.focus].push(c)
            }
            _ => {}
        }
        f.error = None;
        self.mode = Mode::Edit(f);
        RelOutcome::Nothing
    }
}

/// status, type (≤ 50 characters; empty = null) and custom (a JSON object of scalars;
/// empty = null).
pub fn parse_form(inputs: &[String; 3]) -> Result<Fields, String> {
    let short = |name: &str, v: &str| -> Result<Option<String>, String> {
        if v.chars().count() > 50 {
            return Err(format!("{name} must be at most 50 characters"));
        }
        Ok((!v.is_empty()).then(|| v.to_string()))
    };
    let custom = if inputs[2].trim().is_empty() {
        None
    } else {
        let v: serde_json::Value = serde_json::from_str(&inputs[2])
            .map_err(|e| format!("custom is not valid JSON: {e}"))?;
        let serde_json::Value::Object(map) = v else {
            return Err("custom must be a JSON object like {\"role\":\"owner\"}".into());
        };
        let mut c = Custom::new();
        for (k, v) in map {
            if v.is_object() || v.is_array() {
                return Err(format!(
                    "custom values must be strings, numbers or booleans; '{k}' is not"
                ));
            }
            c.insert(k, v);
        }
        Some(c)
    };
    Ok(Fields {
        status: short("status", &inputs[0])?,
        kind: short("type", &inputs[1])?,
        custom,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn m(id: &str, status: Option<&str>) -> Membership {
        Membership {
            channel: Related::Id { id: id.into() },
            kind: Maybe::Null,
            status: Maybe::present(status.map(String::from)),
            custom: Maybe::Null,
            updated: "2026-01-01T00:00:00Z".into(),
            etag: "x".into(),
        }
    }

    fn k(code: KeyCode) -> KeyEvent {
        KeyEvent::new(code, KeyModifiers::NONE)
    }

    #[test]
    fn adds_edits_and_removals_become_one_change_and_its_inverse() {
        let mut e = RelationEditor::memberships("u", &[m("a", Some("active")), m("b", None)]);
        e.handle_key(k(KeyCode::Char(' '))); // remove a
        e.handle_key(k(KeyCode::Char('j')));
        e.handle_key(k(KeyCode::Char('e'))); // edit b
        for c in "muted".chars() {
            e.handle_key(k(KeyCode::Char(c)));
        }
        e.handle_key(k(KeyCode::Enter));
        assert_eq!(
            e.handle_key(k(KeyCode::Char('a'))),
            RelOutcome::FetchPicker {
                filter: None,
                cursor: None
            }
        );
        let page = PageData::Channels(crate::api::types::Page {
            status: 200,
            data: vec![crate::api::types::Channel {
                channel_id: "c".into(),
                ..Default::default()
            }],
            total_count: Some(1),
            next: None,
            prev: None,
        });
        e.picker_waits_for(9);
        assert!(e.take_page(9, &Ok(page)));
        e.handle_key(k(KeyCode::Char(' ')));
        e.handle_key(k(KeyCode::Enter));
        let (set, delete, undo_set, undo_delete) = e.change();
        assert_eq!(
            set.iter().map(|s| s.id.as_str()).collect::<Vec<_>>(),
            ["b", "c"]
        );
        assert_eq!(set[0].status, Maybe::Value("muted".into()));
        assert_eq!(delete, ["a"]);
        assert_eq!(
            undo_set
                .iter()
                .map(|s| (s.id.as_str(), s.status.clone()))
                .collect::<Vec<_>>(),
            [("a", Maybe::Value("active".into())), ("b", Maybe::Null)]
        );
        assert_eq!(undo_delete, ["c"]);
    }

    #[test]
    fn bad_custom_json_stays_in_the_form() {
        let mut e = RelationEditor::memberships("u", &[m("a", None)]);
        e.handle_key(k(KeyCode::Enter));
        e.handle_key(k(KeyCode::Tab));
        e.handle_key(k(KeyCode::Tab));
        for c in "{nope".chars() {
            e.handle_key(k(KeyCode::Char(c)));
        }
        e.handle_key(k(KeyCode::Enter));
        match &e.mode {
            Mode::Edit(f) => {
                assert!(f.error.as_ref().unwrap().contains("not valid JSON"));
                assert_eq!(f.inputs[2], "{nope");
            }
            other => panic!("form closed: {other:?}"),
        }
        assert!(!e.dirty());
    }

    #[test]
    fn esc_with_changes_asks_once() {
        let mut e = RelationEditor::memberships("u", &[m("a", None)]);
        e.handle_key(k(KeyCode::Char('d')));
        assert_eq!(e.handle_key(k(KeyCode::Esc)), RelOutcome::Nothing);
        assert!(e.error.is_some());
        assert_eq!(e.handle_key(k(KeyCode::Esc)), RelOutcome::Close);
    }
}
