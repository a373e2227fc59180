//! The writing half of the app: the editor modal and its save (with `If-Match` and a
//! conflict view on 412), removal with a confirmation that names the effect, bulk
//! removal of marked rows, undo, and the read-only guard. Every write goes to the
//! worker as a [`Command::Write`]; one write runs at a time.

use crossterm::event::{KeyCode, KeyEvent};

use super::action::{
    Command, Entity, EntityKind, Failure, ListQuery, PageData, RequestId, Source, Write, WriteDone,
};
use super::app::{App, Focus, Overlay, Relations, Tab, Toast};
use super::editor::{EditTarget, Editor, EditorOutcome, Payload};
use super::list::PAGE_SIZE;
use super::relations_editor::{RelOutcome, RelationEditor};
use crate::api::types::Maybe;
use crate::api::{ChannelFields, RelationEntry, UserFields};
use crate::filter::Target;

/// What a running write is for, so its answer lands in the right place.
#[derive(Clone, Debug)]
pub enum Purpose {
    /// The editor's save; `before` is the record as opened (None when creating).
    Save { before: Option<Entity> },
    /// Removal of one user or channel.
    Remove,
    /// A membership/member write whose inverse is `undo`.
    Relations { undo: UndoEntry },
    /// An undo (it records no undo of its own).
    Undo { what: String },
}

/// The write in flight.
#[derive(Clone, Debug)]
pub struct PendingWrite {
    pub req: RequestId,
    pub purpose: Purpose,
}

/// How to take back one successful write.
#[derive(Clone, Debug, PartialEq)]
pub enum UndoEntry {
    /// An edit: write the previous state back, if nobody changed it since.
    Restore { before: Entity, etag_after: String },
    /// A creation: remove it.
    Remove { kind: EntityKind, id: String },
    /// A removal: write the record and its relations back.
    Recreate {
        entity: Entity,
        relations: Vec<RelationEntry>,
    },
    /// A membership/member write: its inverse.
    Relations {
        source: Source,
        set: Vec<RelationEntry>,
        delete: Vec<String>,
    },
}

impl UndoEntry {
    fn describe(&self) -> String {
        match self {
            UndoEntry::Restore { before, .. } => format!("the edit of {}", entity_label(before)),
            UndoEntry::Remove { id, .. } => format!("the creation of {id}"),
            UndoEntry::Recreate { entity, relations } => {
                format!(
                    "the removal of {} ({} relations)",
                    entity_label(entity),
                    relations.len()
                )
            }
            UndoEntry::Relations { .. } => "the membership change".to_string(),
        }
    }

    fn write(&self) -> Write {
        match self.clone() {
            UndoEntry::Restore { before, etag_after } => match before {
                Entity::User(u) => Write::SetUser {
                    id: u.user_id.clone(),
                    fields: UserFields::from(&u),
                    if_match: Some(etag_after),
                    create: false,
                },
                Entity::Channel(c) => Write::SetChannel {
                    id: c.channel_id.clone(),
                    fields: ChannelFields::from(&c),
                    if_match: Some(etag_after),
                    create: false,
                },
            },
            UndoEntry::Remove { kind, id } => Write::Remove {
                kind,
                id,
                with_relations: false,
            },
            UndoEntry::Recreate { entity, relations } => Write::Recreate { entity, relations },
            UndoEntry::Relations {
                source,
                set,
                delete,
            } => Write::Manage {
                source,
                set,
                delete,
            },
        }
    }
}

fn entity_label(e: &Entity) -> String {
    match e {
        Entity::User(u) => format!("user {}", u.user_id),
        Entity::Channel(c) => format!("channel {}", c.channel_id),
    }
}

/// What a confirmed choice does.
#[derive(Clone, Debug)]
pub enum ConfirmAction {
    Remove {
        kind: EntityKind,
        ids: Vec<String>,
        with_relations: bool,
    },
    RemoveRelations {
        source: Source,
        ids: Vec<String>,
        undo_set: Vec<RelationEntry>,
    },
    /// Close the editor and drop its changes.
    Discard,
}

/// A yes/no (or several-way) question that names the exact effect.
#[derive(Clone, Debug)]
pub struct Confirm {
    pub title: String,
    pub lines: Vec<String>,
    /// Key, label, action.
    pub choices: Vec<(char, String, ConfirmAction)>,
    /// Where Esc returns to (the editor, for a discard question).
    pub back: Option<Box<Overlay>>,
}

/// The 412 view: their record against mine, field by field.
#[derive(Clone, Debug)]
pub struct Conflict {
    pub editor: Box<Editor>,
    pub mine: Payload,
    pub theirs: Entity,
}

impl Conflict {
    /// Field, theirs, mine, and whether they differ.
    pub fn rows(&self) -> Vec<(&'static str, String, String, bool)> {
        let show = |m: &Maybe<String>| match m {
            Maybe::Value(v) => v.clone(),
            Maybe::Null => "null".to_string(),
            Maybe::Absent => "(unchanged)".to_string(),
        };
        let opt = |o: &Option<String>| o.clone().unwrap_or_else(|| "null".to_string());
        let custom = |c: &Maybe<crate::api::types::Custom>| match c {
            Maybe::Value(v) => serde_json::to_string(v).unwrap_or_default(),
            Maybe::Null => "null".to_string(),
            Maybe::Absent => "(unchanged)".to_string(),
        };
        let mut rows: Vec<(&'static str, String, String)> = Vec::new();
        match (&self.theirs, &self.mine) {
            (Entity::User(t), Payload::User { fields: m, .. }) => {
                rows.push(("name", opt(&t.name), show(&m.name)));
                rows.push(("email", opt(&t.email), show(&m.email)));
                rows.push(("externalId", opt(&t.external_id), show(&m.external_id)));
                rows.push(("profileUrl", opt(&t.profile_url), show(&m.profile_url)));
                rows.push(("status", show(&t.status), show(&m.status)));
                rows.push(("type", show(&t.kind), show(&m.kind)));
                rows.push(("custom", custom(&t.custom), custom(&m.custom)));
            }
            (Entity::Channel(t), Payload::Channel { fields: m, .. }) => {
                rows.push(("name", opt(&t.name), show(&m.name)));
                rows.push(("description", opt(&t.description), show(&m.description)));
                rows.push(("status", show(&t.status), show(&m.status)));
                rows.push(("type", show(&t.kind), show(&m.kind)));
                rows.push(("custom", custom(&t.custom), custom(&m.custom)));
            }
            _ => {}
        }
        rows.into_iter()
            .map(|(f, t, m)| (f, t.clone(), m.clone(), t != m))
            .collect()
    }

    fn theirs_etag(&self) -> String {
        match &self.theirs {
            Entity::User(u) => u.etag.clone(),
            Entity::Channel(c) => c.etag.clone(),
        }
    }
}

/// A bulk removal in progress.
#[derive(Clone, Debug)]
pub struct Bulk {
    pub kind: EntityKind,
    pub with_relations: bool,
    pub queue: Vec<String>,
    pub total: usize,
    pub done: usize,
    pub failures: Vec<(String, String)>,
    pub req: Option<RequestId>,
}

impl App {
    /// Refuses a write key in read-only mode, saying why. True when refused.
    pub(crate) fn refuse_read_only(&mut self, what: &str) -> bool {
        if !self.session.read_only {
            return false;
        }
        self.toasts.push(Toast {
            text: format!(
                "Read-only session ({}): {what} refused, nothing was sent.",
                self.session.read_only_reason
            ),
            error: true,
        });
        true
    }

    fn refuse_busy(&mut self) -> bool {
        if self.pending_write.is_some() || self.bulk.is_some() {
            self.toasts.push(Toast {
                text: "A write is still in progress; try again when it has finished.".into(),
                error: false,
            });
            return true;
        }
        false
    }

    pub(crate) fn send_write(&mut self, write: Write, purpose: Purpose, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        self.pending_write = Some(PendingWrite { req, purpose });
        cmds.push(Command::Write { req, write });
    }

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

    fn save(&mut self, editor: &mut Editor, payload: Payload, cmds: &mut Vec<Command>) {
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
        confirm: Box<Confirm>,
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
            if matches!(key.code, KeyCode::Esc | KeyCode::Char('n')) {
                if let Some(back) = confirm.back {
                    self.overlay = *back;
                }
            } else {
                self.overlay = Overlay::Confirm(confirm);
            }
            return;
        };
        match action {
            ConfirmAction::Discard => {}
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
                    },
                    Purpose::Relations { undo },
                    cmds,
                );
            }
        }
    }

    fn bulk_next(&mut self, cmds: &mut Vec<Command>) {
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
                self.after_remove(&id, entity, relations, cmds);
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

    fn after_remove(
        &mut self,
        id: &str,
        entity: Option<Entity>,
        relations: Vec<RelationEntry>,
        cmds: &mut Vec<Command>,
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
            self.detail = None;
            self.focus = Focus::List;
            self.follow_list(cmds);
        }
    }

    /// `u`: takes back the last successful write of this session.
    pub(crate) fn start_undo(&mut self, cmds: &mut Vec<Command>) {
        if self.refuse_read_only("undo") || self.refuse_busy() {
            return;
        }
        let Some(entry) = self.undo.pop() else {
            self.toasts.push(Toast {
                text: "Nothing to undo.".into(),
                error: false,
            });
            return;
        };
        let what = entry.describe();
        self.toasts.push(Toast {
            text: format!("Undoing {what}…"),
            error: false,
        });
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
                self.toasts.push(Toast {
                    text: format!("Saved {} (u undoes)", entity_label(&entity)),
                    error: false,
                });
                self.apply_saved(entity, cmds);
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
            (Purpose::Save { .. }, Err(f)) => {
                if let Overlay::Editor(editor) = &mut self.overlay {
                    editor.saving = false;
                    editor.server_error = Some(f.message);
                } else {
                    self.toasts.push(Toast {
                        text: format!("Save failed: {}", f.message),
                        error: true,
                    });
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
                    self.after_remove(&id, entity, relations, cmds);
                }
                self.toasts.push(Toast {
                    text: format!("Removed {label} ({n} relations at the time; u undoes)"),
                    error: false,
                });
            }
            (Purpose::Relations { undo }, Ok(WriteDone::Relations(page))) => {
                self.undo.push(undo);
                self.apply_relations_page(page);
                self.toasts.push(Toast {
                    text: "Memberships updated (u undoes)".into(),
                    error: false,
                });
                if let Overlay::Relations(_) = self.overlay {
                    self.overlay = Overlay::None;
                }
            }
            (Purpose::Undo { what }, Ok(done)) => {
                self.toasts.retain(|t| t.error);
                self.toasts.push(Toast {
                    text: format!("Undid {what}"),
                    error: false,
                });
                match done {
                    WriteDone::Saved(entity) => self.apply_saved(entity, cmds),
                    WriteDone::Removed { entity, .. } => {
                        if let Some(e) = entity {
                            let id = id_of(&e).to_string();
                            self.after_remove(&id, None, Vec::new(), cmds);
                            self.undo.pop(); // after_remove records nothing without an entity
                        }
                    }
                    WriteDone::Relations(page) => self.apply_relations_page(page),
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
                self.toasts.push(Toast {
                    text: format!("{what}: {}", f.message),
                    error: true,
                });
            }
            (_, Ok(_)) => {}
        }
    }

    /// A saved record replaces its row and the detail in place (no reload).
    fn apply_saved(&mut self, entity: Entity, cmds: &mut Vec<Command>) {
        match &entity {
            Entity::User(u) => {
                self.users.upsert_row(u.clone());
            }
            Entity::Channel(c) => {
                self.channels.upsert_row(c.clone());
            }
        }
        let id = id_of(&entity).to_string();
        match &mut self.detail {
            Some(d) if d.id == id => d.entity = Some(entity),
            _ if self.focus == Focus::List => self.follow_list(cmds),
            _ => {}
        }
    }

    /// The list a membership/member write answered replaces the detail's relations.
    fn apply_relations_page(&mut self, page: PageData) {
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

fn pick_ids<T: super::list::RowData>(l: &super::list::ListState<T>) -> Vec<String> {
    if l.marked.is_empty() {
        l.selected_id()
            .map(|s| vec![s.to_string()])
            .unwrap_or_default()
    } else {
        l.marked.iter().cloned().collect()
    }
}

fn etag(e: &Entity) -> String {
    match e {
        Entity::User(u) => u.etag.clone(),
        Entity::Channel(c) => c.etag.clone(),
    }
}

fn id_of(e: &Entity) -> &str {
    match e {
        Entity::User(u) => &u.user_id,
        Entity::Channel(c) => &c.channel_id,
    }
}

fn kind_of(e: &Entity) -> EntityKind {
    match e {
        Entity::User(_) => EntityKind::User,
        Entity::Channel(_) => EntityKind::Channel,
    }
}

impl App {
    /// `m`: edit the open user's memberships or channel's members.
    pub(crate) fn start_relations(&mut self, _cmds: &mut Vec<Command>) {
        if self.refuse_read_only("changing memberships") || self.refuse_busy() {
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
