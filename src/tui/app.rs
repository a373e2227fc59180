//! The app's state and its one pure transition, [`App::update`]: an [`Action`] in,
//! state changed, [`Command`]s out. No I/O, no clock, no channels in here, so every
//! behaviour is tested without a terminal or a network.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::action::{
    Action, Command, Entity, EntityKind, Failure, LogEntry, PageData, RequestId, Source,
};
use super::edit::{Bulk, Confirm, Conflict, PendingWrite, UndoEntry};
use super::editor::Editor;
use super::focused::FocusedList;
use super::input::{FilterInput, SortPicker};
use super::keymap::{Intent, Keymap};
use super::layout::{self, Panes};
use super::list::{ListState, RowData};
use super::live::LiveState;
use super::relations_editor::RelationEditor;
use crate::api::types::{Channel, Member, Membership, User};
use crate::filter::Target;

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
    /// The command line (`:`).
    Command(Box<super::command::CommandLine>),
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
            || self.bulk.is_some()
            || self.conflict_fetch.is_some()
            || self.relation_picker_busy()
            || self.users.pending.is_some()
            || self.channels.pending.is_some()
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
        self.busy() || !self.flash.is_empty() || self.toasts.iter().any(|t| !t.error)
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
            Action::Tick => {
                self.spinner = self.spinner.wrapping_add(1);
                self.fade_flash();
                self.age_toasts();
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
    fn sync_detail(&mut self, cmds: &mut Vec<Command>) {
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

    fn keep_selection_visible(&mut self) {
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

    // ----- loading -----

    fn reload_list(&mut self, tab: Tab, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        let (source, query) = match tab {
            Tab::Users => {
                self.users.expect(req, true);
                (Source::Users, self.users.query())
            }
            Tab::Channels => {
                self.channels.expect(req, true);
                (Source::Channels, self.channels.query())
            }
        };
        cmds.push(Command::FetchPage {
            req,
            source,
            query,
            cursor: None,
        });
    }

    fn fetch_more(&mut self, cmds: &mut Vec<Command>) {
        let req = self.next_req + 1;
        let mut push = |source: Source, query, cursor| {
            cmds.push(Command::FetchPage {
                req,
                source,
                query,
                cursor,
            })
        };
        let mut used = false;
        match self.focus {
            Focus::List => {
                let wants = match self.tab {
                    Tab::Users => self.users.wants_more(),
                    Tab::Channels => self.channels.wants_more(),
                };
                if wants {
                    used = true;
                    match self.tab {
                        Tab::Users => {
                            self.users.expect(req, false);
                            push(Source::Users, self.users.query(), self.users.next.clone());
                        }
                        Tab::Channels => {
                            self.channels.expect(req, false);
                            push(
                                Source::Channels,
                                self.channels.query(),
                                self.channels.next.clone(),
                            );
                        }
                    }
                }
            }
            Focus::Detail => {
                if let Some(d) = &mut self.detail {
                    match &mut d.relations {
                        Relations::Memberships(l) if l.wants_more() => {
                            used = true;
                            l.expect(req, false);
                            push(l.source.clone(), l.query(), l.next.clone());
                        }
                        Relations::Members(l) if l.wants_more() => {
                            used = true;
                            l.expect(req, false);
                            push(l.source.clone(), l.query(), l.next.clone());
                        }
                        _ => {}
                    }
                }
            }
        }
        if used {
            self.next_req = req;
        }
    }

    /// Reloads the detail's relations (a live membership event).
    pub(crate) fn reload_relations_live(&mut self, cmds: &mut Vec<Command>) {
        self.reload_relations(cmds);
    }

    fn reload_relations(&mut self, cmds: &mut Vec<Command>) {
        let req = self.new_req();
        if let Some(d) = &mut self.detail {
            let (source, query) = match &mut d.relations {
                Relations::Memberships(l) => {
                    l.expect(req, true);
                    (l.source.clone(), l.query())
                }
                Relations::Members(l) => {
                    l.expect(req, true);
                    (l.source.clone(), l.query())
                }
            };
            cmds.push(Command::FetchPage {
                req,
                source,
                query,
                cursor: None,
            });
        }
    }

    /// Shows `id` in the detail pane, with `entity` when already known.
    fn show_detail(
        &mut self,
        kind: EntityKind,
        id: String,
        entity: Option<Entity>,
        cmds: &mut Vec<Command>,
    ) {
        if self
            .detail
            .as_ref()
            .is_some_and(|d| d.kind == kind && d.id == id)
        {
            if let (Some(d), Some(e)) = (&mut self.detail, entity) {
                d.entity = Some(e);
            }
            return;
        }
        let relations = match kind {
            EntityKind::User => {
                Relations::Memberships(ListState::new(Source::Memberships(id.clone())))
            }
            EntityKind::Channel => Relations::Members(ListState::new(Source::Members(id.clone()))),
        };
        let mut pending = None;
        if entity.is_none() {
            let req = self.new_req();
            pending = Some(req);
            cmds.push(Command::FetchEntity {
                req,
                kind,
                id: id.clone(),
            });
        }
        self.detail = Some(Detail {
            kind,
            id,
            entity,
            pending,
            error: None,
            relations,
        });
        self.reload_relations(cmds);
    }

    /// The detail follows the selected row of the current list.
    pub(crate) fn follow_selection(&mut self, cmds: &mut Vec<Command>) {
        let picked = match self.tab {
            Tab::Users => self
                .users
                .selected_row()
                .map(|u| (EntityKind::User, u.user_id.clone(), Entity::User(u.clone()))),
            Tab::Channels => self.channels.selected_row().map(|c| {
                (
                    EntityKind::Channel,
                    c.channel_id.clone(),
                    Entity::Channel(c.clone()),
                )
            }),
        };
        match picked {
            Some((kind, id, entity)) => self.show_detail(kind, id, Some(entity), cmds),
            None => self.detail = None,
        }
    }

    fn on_page(&mut self, req: RequestId, result: Result<PageData, Failure>) {
        if let Overlay::Relations(r) = &mut self.overlay {
            if r.take_page(req, &result.clone().map_err(|f| f.message)) {
                return;
            }
        }
        if self.catch_up.as_ref().is_some_and(|(r, _)| *r == req) {
            self.on_caught_up(result);
            return;
        }
        fn apply<T: RowData>(
            list: &mut ListState<T>,
            req: RequestId,
            result: Result<Rows<T>, Failure>,
        ) -> Option<Result<(), Failure>> {
            if list.pending != Some(req) {
                return None; // stale: an older filter, sort or target
            }
            let first = list.pending_first;
            list.pending = None;
            Some(match result {
                Ok((rows, total, next)) => {
                    let limit = list.query().limit;
                    list.apply_page(rows, total, next, first, limit);
                    Ok(())
                }
                Err(f) => {
                    list.error = Some(f.clone());
                    Err(f)
                }
            })
        }
        let outcome = match result {
            Ok(PageData::Users(p)) => {
                apply(&mut self.users, req, Ok((p.data, p.total_count, p.next)))
            }
            Ok(PageData::Channels(p)) => {
                apply(&mut self.channels, req, Ok((p.data, p.total_count, p.next)))
            }
            Ok(PageData::Memberships(p)) => match self.detail.as_mut().map(|d| &mut d.relations) {
                Some(Relations::Memberships(l)) => {
                    apply(l, req, Ok((p.data, p.total_count, p.next)))
                }
                _ => None,
            },
            Ok(PageData::Members(p)) => match self.detail.as_mut().map(|d| &mut d.relations) {
                Some(Relations::Members(l)) => apply(l, req, Ok((p.data, p.total_count, p.next))),
                _ => None,
            },
            Err(f) => {
                let mut out = apply(&mut self.users, req, Err(f.clone()));
                if out.is_none() {
                    out = apply(&mut self.channels, req, Err(f.clone()));
                }
                if out.is_none() {
                    out = match self.detail.as_mut().map(|d| &mut d.relations) {
                        Some(Relations::Memberships(l)) => apply(l, req, Err(f.clone())),
                        Some(Relations::Members(l)) => apply(l, req, Err(f)),
                        None => None,
                    };
                }
                out
            }
        };
        if let Some(Err(f)) = outcome {
            self.toast_error(format!("Loading failed: {}", f.message));
        }
    }

    fn on_entity(&mut self, req: RequestId, result: Result<Entity, Failure>) {
        let Some(d) = &mut self.detail else { return };
        if d.pending != Some(req) {
            return;
        }
        d.pending = None;
        match result {
            Ok(e) => {
                d.entity = Some(e);
                d.error = None;
            }
            Err(f) if f.status == Some(404) => {
                let noun = match d.kind {
                    EntityKind::User => "user",
                    EntityKind::Channel => "channel",
                };
                let text = format!("No {noun} with id {}: n creates it", d.id);
                d.error = Some(f);
                self.toast_error(text);
            }
            Err(f) => {
                let text = format!("Loading {} failed: {}", d.id, f.message);
                d.error = Some(f);
                self.toast_error(text);
            }
        }
    }

    fn toast_error(&mut self, text: String) {
        self.notify(text, true);
    }

    fn toast(&mut self, text: String) {
        self.notify(text, false);
    }

    /// Shows a message. The same text again is one message with a count, moved to the
    /// front, not another box.
    pub(crate) fn notify(&mut self, text: impl Into<String>, error: bool) {
        let text = text.into();
        let count = match self.toasts.iter().position(|t| t.text == text) {
            Some(i) => self.toasts.remove(i).count + 1,
            None => 1,
        };
        self.toasts.push(Toast {
            text,
            error,
            count,
            ttl: TOAST_TICKS,
        });
    }

    /// A tick: info messages age and go.
    fn age_toasts(&mut self) {
        self.toasts.retain_mut(|t| {
            if t.error {
                return true;
            }
            t.ttl = t.ttl.saturating_sub(1);
            t.ttl > 0
        });
    }

    // ----- keys -----

    pub(crate) fn on_key(&mut self, key: KeyEvent, cmds: &mut Vec<Command>) {
        if key.kind == KeyEventKind::Release {
            return;
        }
        if key.modifiers.contains(KeyModifiers::CONTROL) && key.code == KeyCode::Char('c') {
            self.should_quit = true;
            cmds.push(Command::Quit);
            return;
        }
        self.toasts.retain(|t| t.error);
        match std::mem::replace(&mut self.overlay, Overlay::None) {
            Overlay::None => self.on_normal_key(key, cmds),
            Overlay::Help { query, scroll } => self.on_help_key(key, query, scroll),
            Overlay::Log { scroll } => self.on_log_key(key, scroll),
            Overlay::Search => self.on_search_key(key, cmds),
            Overlay::Filter(input) => self.on_filter_key(key, input, cmds),
            Overlay::Sort(picker) => self.on_sort_key(key, picker, cmds),
            Overlay::Editor(editor) => self.on_editor_key(key, editor, cmds),
            Overlay::Confirm(confirm) => self.on_confirm_key(key, *confirm, cmds),
            Overlay::Conflict(conflict) => self.on_conflict_key(key, conflict, cmds),
            Overlay::Relations(editor) => self.on_relations_key(key, editor, cmds),
            Overlay::Command(line) => self.on_command_key(key, *line, cmds),
            // Any key closes a report; a key that means something also does it.
            Overlay::Report { .. } => {
                if !matches!(key.code, KeyCode::Esc | KeyCode::Enter | KeyCode::Char('q')) {
                    self.on_normal_key(key, cmds);
                }
            }
        }
    }

    pub(crate) fn current_target(&self) -> Target {
        match (self.focus, self.tab, &self.detail) {
            (
                Focus::Detail,
                _,
                Some(Detail {
                    relations: Relations::Memberships(_),
                    ..
                }),
            ) => Target::Memberships,
            (
                Focus::Detail,
                _,
                Some(Detail {
                    relations: Relations::Members(_),
                    ..
                }),
            ) => Target::Members,
            (_, Tab::Users, _) => Target::Users,
            (_, Tab::Channels, _) => Target::Channels,
        }
    }

    /// Runs `f` on the focused list, whatever its row type.
    pub(crate) fn with_focused<R>(
        &mut self,
        f: impl FnOnce(&mut dyn FocusedList) -> R,
    ) -> Option<R> {
        match self.focus {
            Focus::List => Some(match self.tab {
                Tab::Users => f(&mut self.users),
                Tab::Channels => f(&mut self.channels),
            }),
            Focus::Detail => match self.detail.as_mut().map(|d| &mut d.relations) {
                Some(Relations::Memberships(l)) => Some(f(l)),
                Some(Relations::Members(l)) => Some(f(l)),
                None => None,
            },
        }
    }

    fn list_height(&self) -> usize {
        let p = self.panes();
        let area = if self.focus == Focus::List {
            p.list
        } else {
            p.relations
        };
        (area.height.saturating_sub(3) as usize).max(1)
    }

    pub(crate) fn moved(&mut self, cmds: &mut Vec<Command>) {
        if self.focus == Focus::List {
            self.follow_selection(cmds);
        }
        self.fetch_more(cmds);
    }

    fn on_normal_key(&mut self, key: KeyEvent, cmds: &mut Vec<Command>) {
        let Some(intent) = self.keymap.intent(&key) else {
            return;
        };
        let page = self.list_height() as isize;
        match intent {
            Intent::Quit => {
                self.should_quit = true;
                cmds.push(Command::Quit);
            }
            Intent::Down
            | Intent::Up
            | Intent::PageDown
            | Intent::PageUp
            | Intent::Top
            | Intent::Bottom => {
                let delta = match intent {
                    Intent::Down => 1,
                    Intent::Up => -1,
                    Intent::PageDown => page,
                    Intent::PageUp => -page,
                    Intent::Top => isize::MIN / 2,
                    _ => isize::MAX / 2,
                };
                self.with_focused(|l| l.move_selection(delta));
                self.moved(cmds);
            }
            Intent::NextTab | Intent::PrevTab => {
                let tab = if self.tab == Tab::Users {
                    Tab::Channels
                } else {
                    Tab::Users
                };
                self.switch_tab(tab, cmds);
            }
            Intent::UsersTab => self.switch_tab(Tab::Users, cmds),
            Intent::ChannelsTab => self.switch_tab(Tab::Channels, cmds),
            Intent::FocusLeft => self.focus = Focus::List,
            Intent::FocusRight => {
                if self.detail.is_some() {
                    self.focus = Focus::Detail;
                }
            }
            Intent::Open => self.open(cmds),
            Intent::Back => self.back(cmds),
            Intent::Search => {
                self.overlay = Overlay::Search;
            }
            Intent::ServerFilter => {
                let current = self
                    .with_focused(|l| l.server_filter())
                    .flatten()
                    .unwrap_or_default();
                self.overlay = Overlay::Filter(FilterInput::new(self.current_target(), current));
            }
            Intent::Sort => {
                let current = self.with_focused(|l| l.sort_keys()).unwrap_or_default();
                self.overlay = Overlay::Sort(SortPicker::new(self.current_target(), &current));
            }
            Intent::Reload => self.reload_focused(cmds),
            Intent::Help => {
                self.overlay = Overlay::Help {
                    query: String::new(),
                    scroll: 0,
                }
            }
            Intent::Log => self.overlay = Overlay::Log { scroll: usize::MAX },
            Intent::CopyId => {
                if let Some(id) = self.with_focused(|l| l.selected_id_string()).flatten() {
                    self.toast(format!("Copied id {id}"));
                    cmds.push(Command::Copy(id));
                }
            }
            Intent::CopyJson => {
                if let Some(json) = self.with_focused(|l| l.selected_json()).flatten() {
                    self.toast("Copied the row as JSON".into());
                    cmds.push(Command::Copy(json));
                }
            }
            Intent::Dismiss => {
                self.toasts.pop();
            }
            Intent::Edit => self.start_edit(),
            Intent::New => self.start_create(),
            Intent::Delete => self.start_remove(),
            Intent::Undo => self.start_undo(cmds),
            Intent::Mark => {
                self.with_focused(|l| l.toggle_marked());
                self.with_focused(|l| l.move_selection(1));
                self.moved(cmds);
            }
            Intent::Relations => self.start_relations(cmds),
            Intent::ToggleLive => self.toggle_live(cmds),
            Intent::Redraw => self.redraw = true,
            Intent::Command => self.overlay = Overlay::Command(Box::default()),
        }
    }

    pub(crate) fn reload_focused(&mut self, cmds: &mut Vec<Command>) {
        match self.focus {
            Focus::List => {
                match self.tab {
                    Tab::Users => self.users.error = None,
                    Tab::Channels => self.channels.error = None,
                }
                self.reload_list(self.tab, cmds);
            }
            Focus::Detail => self.reload_relations(cmds),
        }
        if let Some(d) = &mut self.detail {
            if d.error.is_some() {
                let req = self.next_req + 1;
                self.next_req = req;
                d.pending = Some(req);
                d.error = None;
                cmds.push(Command::FetchEntity {
                    req,
                    kind: d.kind,
                    id: d.id.clone(),
                });
            }
        }
        self.toasts.clear();
    }

    pub(crate) fn switch_tab(&mut self, tab: Tab, cmds: &mut Vec<Command>) {
        if self.tab == tab {
            return;
        }
        self.tab = tab;
        self.focus = Focus::List;
        self.follow_selection(cmds);
    }

    pub(crate) fn location(&self) -> Location {
        Location {
            tab: self.tab,
            detail: self.detail.as_ref().map(|d| (d.kind, d.id.clone())),
            focus: self.focus,
        }
    }

    fn open(&mut self, cmds: &mut Vec<Command>) {
        match self.focus {
            Focus::List => {
                if self.detail.is_some() {
                    self.focus = Focus::Detail;
                }
            }
            Focus::Detail => {
                let target = match self.detail.as_ref().map(|d| &d.relations) {
                    Some(Relations::Memberships(l)) => l
                        .selected_id()
                        .map(|id| (EntityKind::Channel, id.to_string())),
                    Some(Relations::Members(l)) => {
                        l.selected_id().map(|id| (EntityKind::User, id.to_string()))
                    }
                    None => None,
                };
                if let Some((kind, id)) = target {
                    self.history.push(self.location());
                    self.go_to(kind, id, cmds);
                }
            }
        }
    }

    /// Opens a user or channel: its tab, selected in the list when loaded, its detail
    /// fetched fresh, focus on its relations.
    pub(crate) fn go_to(&mut self, kind: EntityKind, id: String, cmds: &mut Vec<Command>) {
        self.tab = match kind {
            EntityKind::User => Tab::Users,
            EntityKind::Channel => Tab::Channels,
        };
        match kind {
            EntityKind::User => self.users.select_id(&id),
            EntityKind::Channel => self.channels.select_id(&id),
        };
        self.detail = None;
        self.show_detail(kind, id, None, cmds);
        self.focus = Focus::Detail;
    }

    fn back(&mut self, cmds: &mut Vec<Command>) {
        if let Some(loc) = self.history.pop() {
            match loc.detail {
                Some((kind, id)) => {
                    self.go_to(kind, id, cmds);
                    self.tab = loc.tab;
                }
                None => {
                    self.tab = loc.tab;
                    self.follow_selection(cmds);
                }
            }
            self.focus = loc.focus;
            return;
        }
        if self.focus == Focus::Detail {
            self.focus = Focus::List; // the detail follows the highlighted row again
            return;
        }
        let cleared = self.with_focused(|l| l.clear_search()).unwrap_or(false);
        if cleared {
            self.follow_selection(cmds);
        }
    }
}
