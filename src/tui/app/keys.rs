//! Keys in the browser: moving, tabs, opening and going back, and the intents
//! that open dialogs.

use crossterm::event::{KeyCode, KeyEvent, KeyEventKind, KeyModifiers};

use super::*;
use crate::tui::list::PageKind;

impl App {
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
            Overlay::Describe(d) => self.on_describe_key(key, *d, cmds),
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

    pub(crate) fn list_height(&self) -> usize {
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

    pub(crate) fn on_normal_key(&mut self, key: KeyEvent, cmds: &mut Vec<Command>) {
        let Some(intent) = self.keymap.intent(&key) else {
            return;
        };
        let page = self.list_height() as isize;
        match intent {
            Intent::Quit => {
                self.should_quit = true;
                cmds.push(Command::Quit);
            }
            // `G`: the true end, one request away however long the list.
            Intent::Bottom if self.with_focused(|l| !l.at_true_end()).unwrap_or(false) => {
                self.fetch_page(PageKind::Last, cmds);
            }
            // `g` after `G`: the list's first rows again.
            Intent::Top if self.with_focused(|l| !l.starts_at_top()).unwrap_or(false) => {
                self.fetch_page(PageKind::First, cmds);
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
            Intent::Describe => self.start_describe(),
            Intent::SortColumn => self.sort_by_next_column(cmds),
            Intent::ToggleDeleted => {
                if let Some(hidden) = self.with_focused(|l| l.toggle_deleted()) {
                    let text = if hidden {
                        "Soft-deleted rows (status deleted) hidden; H shows them"
                    } else {
                        "Soft-deleted rows shown"
                    };
                    self.notify(text, false);
                }
            }
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

    pub(crate) fn open(&mut self, cmds: &mut Vec<Command>) {
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
                match target {
                    Some((kind, id)) => {
                        self.history.push(self.location());
                        self.go_to(kind, id, cmds);
                    }
                    // No membership or member to follow: the record itself, whole.
                    None if self.detail.as_ref().is_some_and(|d| d.entity.is_some()) => {
                        self.start_describe()
                    }
                    None => {}
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

    pub(crate) fn back(&mut self, cmds: &mut Vec<Command>) {
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

    /// `o`: the list sorted by a column it shows: the first sort key's column
    /// ascending becomes descending, descending moves on to the next sortable column.
    fn sort_by_next_column(&mut self, cmds: &mut Vec<Command>) {
        use crate::api::{SortDirection, SortKey};
        let fields: Vec<&'static str> = if self.focus == Focus::List {
            let width = self.panes().list.width;
            self.columns
                .for_tab(self.current_target(), width)
                .iter()
                .filter_map(|c| c.sort_field())
                .collect()
        } else {
            // Relations: every field the wire sorts them by.
            crate::api::rules::sort_fields(self.current_target()).to_vec()
        };
        if fields.is_empty() {
            return;
        }
        let current = self.with_focused(|l| l.sort_keys()).unwrap_or_default();
        let next = match current.first() {
            Some(k) if fields.contains(&k.field.as_str()) && k.direction == SortDirection::Asc => {
                SortKey::desc(k.field.clone())
            }
            Some(k) => {
                let i = fields
                    .iter()
                    .position(|f| *f == k.field)
                    .map_or(0, |i| (i + 1) % fields.len());
                SortKey::asc(fields[i])
            }
            None => SortKey::asc(fields[0]),
        };
        let text = next.to_string();
        if self
            .with_focused(|l| l.set_sort(vec![next]))
            .unwrap_or(false)
        {
            self.notify(format!("Sorted by {text}"), false);
            self.reload_focused(cmds);
        }
    }
}
