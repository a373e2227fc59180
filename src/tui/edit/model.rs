//! What the writing half keeps: the write in flight, undo entries, confirmations,
//! the conflict view and bulk progress.

use crate::api::types::Maybe;
use crate::api::{ChannelFields, RelationEntry, UserFields};
use crate::tui::action::{Entity, EntityKind, RequestId, Source, Write};
use crate::tui::app::Overlay;
use crate::tui::editor::{Editor, Payload};

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
    pub(crate) fn describe(&self) -> String {
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

    pub(crate) fn write(&self) -> Write {
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

pub(crate) fn entity_label(e: &Entity) -> String {
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

    pub(crate) fn theirs_etag(&self) -> String {
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

pub(crate) fn pick_ids<T: crate::tui::list::RowData>(
    l: &crate::tui::list::ListState<T>,
) -> Vec<String> {
    if l.marked.is_empty() {
        l.selected_id()
            .map(|s| vec![s.to_string()])
            .unwrap_or_default()
    } else {
        l.marked.iter().cloned().collect()
    }
}

pub(crate) fn etag(e: &Entity) -> String {
    match e {
        Entity::User(u) => u.etag.clone(),
        Entity::Channel(c) => c.etag.clone(),
    }
}

pub(crate) fn id_of(e: &Entity) -> &str {
    match e {
        Entity::User(u) => &u.user_id,
        Entity::Channel(c) => &c.channel_id,
    }
}

pub(crate) fn kind_of(e: &Entity) -> EntityKind {
    match e {
        Entity::User(_) => EntityKind::User,
        Entity::Channel(_) => EntityKind::Channel,
    }
}
