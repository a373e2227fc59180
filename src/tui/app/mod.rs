//! The app's state and its one pure transition, [`App::update`]: an [`Action`] in,
//! state changed, [`Command`]s out. No I/O, no clock, no channels in here, so every
//! behaviour is tested without a terminal or a network.

use crate::api::types::{Channel, Member, Membership, User};
use crate::filter::Target;
use crate::tui::action::{
    Action, Command, Entity, EntityKind, Failure, LogEntry, PageData, RequestId, Source,
};
use crate::tui::edit::{Bulk, Confirm, Conflict, PendingWrite, UndoEntry};
use crate::tui::editor::Editor;
use crate::tui::focused::FocusedList;
use crate::tui::input::{FilterInput, SortPicker};
use crate::tui::keymap::{Intent, Keymap};
use crate::tui::layout::{self, Panes};
use crate::tui::list::{ListState, RowData};
use crate::tui::live::LiveState;
use crate::tui::relations_editor::RelationEditor;

mod command;
mod describe;
mod dialogs;
#[cfg(test)]
mod find_tests;
mod keys;
pub mod live;
mod loading;
mod messages;
mod probe;
#[cfg(test)]
mod selection_tests;
#[cfg(test)]
mod tests;

/// The two top-level lists.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tab {
    Users,
    Channels,
}

/// Which pane keys go to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Focus {
    List,
    Detail,
}

/// Local server or PubNub.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Backend {
    /// The embedded server.
    Local,
    /// A server on this machine (`appctx serve`), at this origin.
    LocalServer(String),
    PubNub(String),
}

/// What the status bar says about the keyset.
#[derive(Clone, Debug)]
pub struct Session {
    pub keyset: String,
    pub backend: Backend,
    pub read_only: bool,
    /// Why the session is read-only (`--read-only`, or the profile's setting).
    pub read_only_reason: String,
    /// The Access Manager token in use, if the auth key is one.
    pub access: Option<crate::tui::access::Access>,
}

/// The relations shown under a detail.
#[derive(Clone, Debug)]
pub enum Relations {
    Memberships(ListState<Membership>),
    Members(ListState<Member>),
}

/// The detail pane: one user or channel and its relations.
#[derive(Clone, Debug)]
pub struct Detail {
    pub kind: EntityKind,
    pub id: String,
    pub entity: Option<Entity>,
    pub pending: Option<RequestId>,
    pub error: Option<Failure>,
    pub relations: Relations,
}

/// A place in the browser history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub tab: Tab,
    pub detail: Option<(EntityKind, String)>,
    pub focus: Focus,
}

/// A message at the bottom right.
#[derive(Clone, Debug, PartialEq)]
pub struct Toast {
    pub text: String,
    /// Errors stay until dismissed (`x`); others go with the next key or after
    /// [`TOAST_TICKS`].
    pub error: bool,
    /// How many times this same message came (shown as "×N").
    pub count: u32,
    /// Ticks left before an info message goes.
    pub ttl: u8,
}

/// How long an info message stays, in ticks of ≈100 ms.
pub const TOAST_TICKS: u8 = 40;

/// A dialog over the panes.
#[derive(Clone, Debug)]
pub enum Overlay {
    None,
    Help {
        query: String,
        scroll: usize,
    },
    Log {
        scroll: usize,
    },
    /// Typing a local search for the focused list.
    Search,
    Filter(FilterInput),
    Sort(SortPicker),
    /// Editing or creating a user or channel.
    Editor(Box<Editor>),
    /// A question before a destructive write.
    Confirm(Box<Confirm>),
    /// A save met someone else's change (412).
    Conflict(Box<Conflict>),
    /// Adding, editing and removing memberships or members (`m`).
    Relations(Box<RelationEditor>),
    /// A whole record or relation as JSON (`v`).
    Describe(Box<crate::tui::describe::Describe>),
    /// The command line (`:`).
    Command(Box<crate::tui::command::CommandLine>),
    /// The outcome of a bulk action.
    Report {
        title: String,
        lines: Vec<String>,
    },
}

/// Requests the log keeps.
pub const LOG_LIMIT: usize = 1000;

/// Rows of a page, its `totalCount` and `next` cursor.
type Rows<T> = (Vec<T>, Option<u64>, Option<crate::api::types::Cursor>);

/// The whole UI state.
pub struct App {
    pub keymap: Keymap,
    pub session: Session,
    pub tab: Tab,
    pub focus: Focus,
    pub users: ListState<User>,
    pub channels: ListState<Channel>,
    pub detail: Option<Detail>,
    pub history: Vec<Location>,
    pub overlay: Overlay,
    pub toasts: Vec<Toast>,
    pub log: Vec<LogEntry>,
    /// Terminal size, for layout-dependent keys and the mouse.
    pub size: (u16, u16),
    pub spinner: usize,
    pub mouse: bool,
    /// Server filters used before, newest last.
    pub filter_history: Vec<String>,
    /// Command lines run before, newest last.
    pub command_history: Vec<String>,
    pub should_quit: bool,
    /// The next frame must repaint every cell (Ctrl-l): the loop clears it.
    pub redraw: bool,
    /// The write in flight (one at a time).
    pub pending_write: Option<PendingWrite>,
    /// A bulk removal in progress.
    pub bulk: Option<Bulk>,
    /// Successful writes of this session that `u` can take back, newest last.
    pub undo: Vec<UndoEntry>,
    /// The fetch of "their" record after a 412.
    pub conflict_fetch: Option<RequestId>,
    /// Live updates: state, whether on (w), the ids watched.
    pub live: LiveState,
    pub live_on: bool,
    pub watched: Vec<String>,
    /// Ids changed remotely a moment ago (ticks left), and ids removed remotely.
    pub flash: std::collections::HashMap<String, u8>,
    pub removed: std::collections::HashSet<String>,
    /// eTags this session's own saves produced (newest last, a few kept): their live
    /// events are ours, not someone else's change.
    pub own_etags: std::collections::VecDeque<String>,
    /// Live updates were off or disconnected: when they are back, the rows in view are
    /// read again (events the server no longer holds are not lost).
    pub live_gap: bool,
    /// The read-again of the rows in view: its request and what it asked for.
    pub catch_up: Option<(RequestId, Vec<String>)>,
    /// The `:export` running.
    pub export: Option<RequestId>,
    /// The list columns chosen with `:columns`, and where they are kept (none in tests).
    pub columns: crate::tui::columns::Chosen,
    pub columns_path: Option<std::path::PathBuf>,
    /// An own save waiting for its live event (id, ticks left), and whether the app
    /// already said that events seem to be off.
    pub awaiting_event: Option<(String, u8)>,
    pub events_off_said: bool,
    /// eTags of the last events seen (an own save's event can beat its answer).
    pub seen_etags: std::collections::VecDeque<String>,
    /// The Chat SDK record (`PUBNUB_INTERNAL…`) the user confirmed writing to.
    pub internal_ok: Option<String>,
    /// The count probe on its way (live mode), and the list it is for.
    pub probe: Option<(RequestId, Tab)>,
    next_req: RequestId,
}

impl App {
    /// A new app and the commands that load its first screen.
    pub fn new(keymap: Keymap, session: Session, size: (u16, u16)) -> (App, Vec<Command>) {
        let mut app = App {
            keymap,
            session,
            tab: Tab::Users,
            focus: Focus::List,
            users: ListState::new(Source::Users),
            channels: ListState::new(Source::Channels),
            detail: None,
            history: Vec::new(),
            overlay: Overlay::None,
            toasts: Vec::new(),
            log: Vec::new(),
            size,
            spinner: 0,
            mouse: true,
            filter_history: Vec::new(),
            command_history: Vec::new(),
            should_quit: false,
            redraw: false,
            pending_write: None,
            bulk: None,
            undo: Vec::new(),
            conflict_fetch: None,
            live: LiveState::Off,
            live_on: true,
            watched: Vec::new(),
            flash: Default::default(),
            removed: Default::default(),
            own_etags: Default::default(),
            live_gap: false,
            catch_up: None,
            export: None,
            probe: None,
            internal_ok: None,
            awaiting_event: None,
            events_off_said: false,
            seen_etags: Default::default(),
            columns: Default::default(),
            columns_path: None,
            next_req: 1,
        };
        let mut cmds = Vec::new();
        app.reload_list(Tab::Users, &mut cmds);
        app.reload_list(Tab::Channels, &mut cmds);
        (app, cmds)
    }

    pub(crate) fn new_req(&mut self) -> RequestId {
        self.next_req += 1;
        self.next_req
    }

    /// Whether something is loading (the spinner, and so the tick, runs only then).
    pub fn busy(&self) -> bool {
        self.pending_write.is_some()
            || self.export.is_some()
            || self.bulk.is_some()
            || self.conflict_fetch.is_some()
            || self.relation_picker_busy()
            || self.users.pending.is_some()
            || self.channels.pending.is_some()
            || self.users.found_pending.is_some()
            || self.channels.found_pending.is_some()
            || self.detail.as_ref().is_some_and(|d| {
                d.pending.is_some()
                    || match &d.relations {
                        Relations::Memberships(l) => l.pending.is_some(),
                        Relations::Members(l) => l.pending.is_some(),
                    }
            })
    }

    /// Whether the tick must run: a spinner, or a remote change still highlighted.
    pub fn needs_tick(&self) -> bool {
        self.busy()
            || !self.flash.is_empty()
            || self.toasts.iter().any(|t| !t.error)
            || self.awaiting_event.is_some()
            || self.users.found_due > 0
            || self.channels.found_due > 0
            || self.detail.as_ref().is_some_and(|d| match &d.relations {
                Relations::Memberships(l) => l.found_due > 0,
                Relations::Members(l) => l.found_due > 0,
            })
    }

    /// The layout of the panes at the current size.
    pub fn panes(&self) -> Panes {
        layout::panes(self.size, self.focus)
    }

    /// The one transition.
    pub fn update(&mut self, action: Action) -> Vec<Command> {
        let mut cmds = Vec::new();
        match action {
            Action::Key(key) => self.on_key(key, &mut cmds),
            Action::Mouse(m) => self.on_mouse(m, &mut cmds),
            Action::Resize(w, h) => self.size = (w, h),
            Action::Poll => self.on_poll(&mut cmds),
            Action::Notice { text, error } => self.notify(text, error),
            Action::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                self.fade_flash();
                self.age_toasts();
                self.search_tick(&mut cmds);
                self.age_awaited_event();
            }
            Action::LiveEvent(e) => self.on_live_event(e, &mut cmds),
            Action::LiveState(s) => self.on_live_state(s, &mut cmds),
            Action::PageLoaded { req, result } => self.on_page(req, result),
            Action::EntityLoaded { req, result } if self.conflict_fetch == Some(req) => {
                self.on_conflict_loaded(result)
            }
            Action::EntityLoaded { req, result } => self.on_entity(req, result),
            Action::Written { req, result } => self.on_written(req, result, &mut cmds),
            Action::BulkStep { req, id, result } => self.on_bulk_step(req, id, result, &mut cmds),
            Action::ExternalEdited(result) => self.on_external(result),
            Action::Exported { req, result } if self.export == Some(req) => {
                self.export = None;
                match result {
                    Ok((n, path)) => self.notify(format!("Exported {n} records to {path}"), false),
                    Err(f) => self.notify(format!("Export failed: {}", f.message), true),
                }
            }
            Action::Exported { .. } => {}
            Action::Logged(entry) => {
                self.log.push(entry);
                if self.log.len() > LOG_LIMIT {
                    self.log.drain(..self.log.len() - LOG_LIMIT);
                }
            }
        }
        self.sync_detail(&mut cmds);
        self.keep_selection_visible();
        self.refresh_watch(&mut cmds);
        cmds
    }

    /// The one rule for what the detail shows, applied after every action: with the
    /// list focused, the highlighted row (nothing while no row is highlighted), so the
    /// detail and every key that acts on "the selected record" agree whatever changed
    /// the list (filter, sort, search, reload, paging, live update, removal, tab).
    /// With the detail focused it keeps what was opened (a membership's channel, …).
    pub(crate) fn sync_detail(&mut self, cmds: &mut Vec<Command>) {
        if self.focus != Focus::List {
            return;
        }
        let selected = match self.tab {
            Tab::Users => self.users.selected_id().map(|id| (EntityKind::User, id)),
            Tab::Channels => self
                .channels
                .selected_id()
                .map(|id| (EntityKind::Channel, id)),
        };
        let agrees = match (selected, &self.detail) {
            (Some((kind, id)), Some(d)) => d.kind == kind && d.id == id,
            (None, None) => true,
            _ => false,
        };
        if !agrees {
            self.follow_selection(cmds);
        }
    }

    /// The record the detail shows, when it is the focused list's highlighted row or
    /// the opened record (tests check the rule with this).
    pub fn detail_id(&self) -> Option<(EntityKind, &str)> {
        self.detail.as_ref().map(|d| (d.kind, d.id.as_str()))
    }

    pub(crate) fn keep_selection_visible(&mut self) {
        let panes = self.panes();
        let list_h = panes.list.height.saturating_sub(3) as usize;
        let rel_h = panes.relations.height.saturating_sub(3) as usize;
        self.users.scroll_into_view(list_h);
        self.channels.scroll_into_view(list_h);
        if let Some(d) = &mut self.detail {
            match &mut d.relations {
                Relations::Memberships(l) => l.scroll_into_view(rel_h),
                Relations::Members(l) => l.scroll_into_view(rel_h),
            }
        }
    }
}
