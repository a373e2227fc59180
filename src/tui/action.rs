//! Everything that can happen to the app ([`Action`]) and everything the app asks the
//! outside world to do ([`Command`]). Worker answers carry the id of the request they
//! answer, so an answer to an outdated request is recognised and dropped.

use crossterm::event::{KeyEvent, MouseEvent};

use crate::api::types::{Channel, Cursor, Member, Membership, Page, User};
use crate::api::{ChannelFields, RelationEntry, SortKey, UserFields};

/// Identifies one request to the worker.
pub type RequestId = u64;

/// Where a list's rows come from.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Source {
    Users,
    Channels,
    /// A user's memberships.
    Memberships(String),
    /// A channel's members.
    Members(String),
}

impl Source {
    /// What the list holds, for the wire rules (sort fields, filter fields).
    pub fn target(&self) -> crate::filter::Target {
        use crate::filter::Target;
        match self {
            Source::Users => Target::Users,
            Source::Channels => Target::Channels,
            Source::Memberships(_) => Target::Memberships,
            Source::Members(_) => Target::Members,
        }
    }
}

/// What `:export` writes.
#[derive(Clone, Debug, PartialEq)]
pub enum ExportWhat {
    /// These records (the marked rows).
    Rows(Vec<serde_json::Value>),
    /// The whole list on the server, with this filter (in id order: the consistent
    /// walk the CLI's export uses).
    List {
        source: Source,
        filter: Option<String>,
    },
}

/// How a list is asked for.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ListQuery {
    /// Server filter text (already validated).
    pub filter: Option<String>,
    pub sort: Vec<SortKey>,
    pub limit: u32,
}

/// A page of any list.
#[derive(Clone, Debug, PartialEq)]
pub enum PageData {
    Users(Page<User>),
    Channels(Page<Channel>),
    Memberships(Page<Membership>),
    Members(Page<Member>),
}

/// Users or channels.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EntityKind {
    User,
    Channel,
}

/// A single user or channel.
#[derive(Clone, Debug, PartialEq)]
pub enum Entity {
    User(User),
    Channel(Channel),
}

/// A failed request, as the user is shown it.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    /// HTTP status, when the server answered.
    pub status: Option<u16>,
    /// What went wrong, in one line.
    pub message: String,
}

/// One call in the request log.
#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub method: String,
    /// Path and query, keys masked.
    pub path: String,
    pub status: Option<u16>,
    pub millis: u64,
    pub error: Option<String>,
}

/// Everything that can happen.
#[derive(Clone, Debug)]
pub enum Action {
    Key(KeyEvent),
    Mouse(MouseEvent),
    Resize(u16, u16),
    /// Spinner frame (only while something is loading).
    Tick,
    /// A message from the outside (a failed save of a setting).
    Notice {
        text: String,
        error: bool,
    },
    /// Every few seconds while live updates are on: look for rows created elsewhere.
    Poll,
    /// A page arrived (or failed).
    PageLoaded {
        req: RequestId,
        result: Result<PageData, Failure>,
    },
    /// A user or channel arrived (or failed).
    EntityLoaded {
        req: RequestId,
        result: Result<Entity, Failure>,
    },
    /// The worker made a call.
    Logged(LogEntry),
    /// A write finished.
    Written {
        req: RequestId,
        result: Result<WriteDone, Failure>,
    },
    /// An App Context event from the server.
    LiveEvent(crate::api::subscribe::ObjectEvent),
    /// The live subscription's state changed.
    LiveState(super::live::LiveState),
    /// `$EDITOR` returned.
    ExternalEdited(super::external::Edited),
    /// An export (`:export`) finished: how many records went to which file.
    Exported {
        req: RequestId,
        result: Result<(u64, String), Failure>,
    },
    /// One step of a bulk removal finished.
    BulkStep {
        req: RequestId,
        id: String,
        result: Result<WriteDone, Failure>,
    },
}

/// What a successful write left on the server.
#[derive(Clone, Debug, PartialEq)]
pub enum WriteDone {
    /// The user or channel as stored after a set.
    Saved(Entity),
    /// A user or channel was removed, with what it was and its relations (for undo).
    Removed {
        entity: Option<Entity>,
        relations: Vec<RelationEntry>,
    },
    /// A membership/member write: the resulting first page of the list.
    Relations(PageData),
    /// Nothing written: someone else changed these keys of the relations being
    /// saved to other values than mine.
    RelationConflicts(Vec<String>),
}

/// A write the worker performs.
#[derive(Clone, Debug, PartialEq)]
pub enum Write {
    /// Sets a user; `if_match` guards an edit, `create` refuses an id that exists.
    SetUser {
        id: String,
        fields: UserFields,
        if_match: Option<String>,
        create: bool,
    },
    SetChannel {
        id: String,
        fields: ChannelFields,
        if_match: Option<String>,
        create: bool,
    },
    /// Writes a removed user or channel back, then its relations (undo of a removal).
    Recreate {
        entity: Entity,
        relations: Vec<RelationEntry>,
    },
    /// Removes a user or channel; first reads it and its relations (for undo), and
    /// removes the relations too when `with_relations`.
    Remove {
        kind: EntityKind,
        id: String,
        with_relations: bool,
    },
    /// One manage call on a user's memberships or a channel's members.
    Manage {
        source: Source,
        set: Vec<RelationEntry>,
        delete: Vec<String>,
        /// The relations of `set` as the editor loaded them: the worker re-reads them
        /// first and merges (what only someone else changed since is kept). Empty: no
        /// merge (undo, restore).
        base: Vec<RelationEntry>,
        /// Write mine over keys both sides changed (the user was told and confirmed).
        force: bool,
    },
}

/// What the app asks for.
#[derive(Clone, Debug, PartialEq)]
pub enum Command {
    FetchPage {
        req: RequestId,
        source: Source,
        query: ListQuery,
        cursor: Option<Cursor>,
    },
    FetchEntity {
        req: RequestId,
        kind: EntityKind,
        id: String,
    },
    /// A write.
    Write {
        req: RequestId,
        write: Write,
    },
    /// One of many removals (bulk delete): answered with [`Action::BulkStep`].
    BulkRemove {
        req: RequestId,
        write: Write,
        id: String,
    },
    /// Keep the chosen list columns; a failure is answered with [`Action::Notice`].
    SaveColumns {
        chosen: super::columns::Chosen,
        path: std::path::PathBuf,
    },
    /// Write records to a new file (`:export`); answered with [`Action::Exported`].
    Export {
        req: RequestId,
        path: String,
        what: ExportWhat,
    },
    /// Hand the terminal to `$EDITOR` on this text; answered with
    /// [`Action::ExternalEdited`].
    ExternalEdit(String),
    /// Watch these ids for live events.
    LiveWatch(Vec<String>),
    /// Turn live updates on or off.
    LiveEnable(bool),
    /// Put text on the clipboard (OSC 52).
    Copy(String),
    Quit,
}
