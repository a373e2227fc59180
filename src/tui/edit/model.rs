//! What the writing half keeps: the write in flight, undo entries, confirmations,
//! the conflict view and bulk progress.

use crate::api::{ChannelFields, RelationEntry, UserFields};
use crate::tui::action::{Entity, EntityKind, RequestId, Source, Write};
use crate::tui::app::Overlay;
use crate::tui::editor::{Editor, Payload};

use super::merge::Merge;

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
    /// The user or channel it writes (for a relation write: the user or channel whose
    /// memberships / members it changes), so its own live event is not announced as
    /// someone else's change.
    pub target: Option<String>,
}

impl Write {
    /// The id of the user or channel a write changes.
    pub fn target(&self) -> Option<&str> {
        match self {
            Write::SetUser { id, .. } | Write::SetChannel { id, .. } | Write::Remove { id, .. } => {
                Some(id)
            }
            Write::Recreate { entity, .. } => Some(id_of(entity)),
            Write::Manage { source, .. } => match source {
                Source::Memberships(id) | Source::Members(id) => Some(id),
                Source::Users | Source::Channels => None,
            },
        }
    }
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
                base: Vec::new(),
                force: false,
            },
        }
    }
}

pub(crate) fn kind_name(k: EntityKind) -> &'static str {
    match k {
        EntityKind::User => "user",
        EntityKind::Channel => "channel",
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
    /// Write the editor's record without `If-Match` (it was removed on the server).
    Recreate,
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

/// The 412 view: a three-way merge of the record as opened, as it is now on the
/// server (theirs) and as the editor would save it (mine).
#[derive(Clone, Debug)]
pub struct Conflict {
    pub editor: Box<Editor>,
    pub theirs: Entity,
    pub merge: Merge,
    /// Position in [`Conflict::shown`].
    pub selected: usize,
}

impl Conflict {
    /// A conflict view on `theirs` for what `editor` would save.
    pub fn new(editor: Box<Editor>, mine: &Payload, theirs: Entity) -> Conflict {
        let merge = Merge::new(editor.base(), &theirs, mine);
        let mut c = Conflict {
            editor,
            theirs,
            merge,
            selected: 0,
        };
        // Start on the first real conflict, if any.
        c.selected = c
            .shown()
            .iter()
            .position(|&i| c.merge.slots[i].is_conflict())
            .unwrap_or(0);
        c
    }

    /// The slots anybody changed (indices into `merge.slots`), in form order.
    pub fn shown(&self) -> Vec<usize> {
        (0..self.merge.slots.len())
            .filter(|&i| self.merge.slots[i].changed())
            .collect()
    }

    /// The selected slot's index in `merge.slots`.
    pub fn selected_slot(&self) -> Option<usize> {
        self.shown().get(self.selected).copied()
    }

    pub(crate) fn theirs_etag(&self) -> String {
        etag(&self.theirs)
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
