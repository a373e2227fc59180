//! Keys (and the mouse) while a dialog is open or the pointer is used: help, request
//! log, local search, server filter, sort picker; clicks and the wheel on the lists.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseButton, MouseEventKind};

use super::{App, Focus, Overlay};
use crate::tui::action::Command;
use crate::tui::input::{FilterInput, SortPicker};
use crate::tui::keymap::Intent;

impl App {
    pub(crate) fn on_help_key(&mut self, key: KeyEvent, mut query: String, mut scroll: usize) {
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Char('?') if query.is_empty() => return,
            KeyCode::Down => scroll = scroll.saturating_add(1),
            KeyCode::Up => scroll = scroll.saturating_sub(1),
            KeyCode::Backspace => {
                query.pop();
                scroll = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                query.push(c);
                scroll = 0;
            }
            _ => {}
        }
        self.overlay = Overlay::Help { query, scroll };
    }

    pub(crate) fn on_log_key(&mut self, key: KeyEvent, scroll: usize) {
        let scroll = scroll.min(self.log.len().saturating_sub(1));
        let scroll = match (key.code, self.keymap.intent(&key)) {
            (KeyCode::Esc, _) | (_, Some(Intent::Log)) | (_, Some(Intent::Quit)) => return,
            (_, Some(Intent::Down)) => scroll.saturating_add(1),
            (_, Some(Intent::Up)) => scroll.saturating_sub(1),
            (_, Some(Intent::Top)) => 0,
            (_, Some(Intent::Bottom)) => usize::MAX,
            _ => scroll,
        };
        self.overlay = Overlay::Log { scroll };
    }

    pub(crate) fn on_search_key(&mut self, key: KeyEvent, cmds: &mut Vec<Command>) {
        match key.code {
            KeyCode::Enter => {
                // The list holds only part of what the server has: the search goes
                // there (as the list's server filter, which `f` shows and edits).
                let partial = self.with_focused(|l| l.more_on_server()).unwrap_or(false);
                let search = self.with_focused(|l| l.search_text()).unwrap_or_default();
                let current = self.with_focused(|l| l.server_filter()).flatten();
                if let Some(filter) = partial
                    .then(|| {
                        crate::tui::command::search_filter(
                            self.current_target(),
                            &search,
                            current.as_deref(),
                        )
                    })
                    .flatten()
                {
                    self.with_focused(|l| l.clear_search());
                    if self
                        .with_focused(|l| l.set_server_filter(Some(filter.clone())))
                        .unwrap_or(false)
                    {
                        self.filter_history.retain(|h| h != &filter);
                        self.filter_history.push(filter);
                        self.reload_focused(cmds);
                        self.notify(
                            format!("Searching the server for '{}' (f edits the filter, Esc in f clears it)", search.trim()),
                            false,
                        );
                    }
                    return;
                }
                self.moved(cmds);
                return;
            }
            KeyCode::Esc => {
                self.with_focused(|l| l.clear_search());
                self.moved(cmds);
                return;
            }
            KeyCode::Backspace => {
                self.with_focused(|l| l.edit_search(None));
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.with_focused(|l| l.edit_search(Some(c)));
            }
            KeyCode::Down | KeyCode::Up => {
                let d = if key.code == KeyCode::Down { 1 } else { -1 };
                self.with_focused(|l| l.move_selection(d));
            }
            _ => {}
        }
        if self.focus == Focus::List {
            self.follow_selection(cmds);
        }
        self.overlay = Overlay::Search;
    }

    pub(crate) fn on_filter_key(
        &mut self,
        key: KeyEvent,
        mut input: FilterInput,
        cmds: &mut Vec<Command>,
    ) {
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Enter => {
                if input.error.is_some() {
                    self.overlay = Overlay::Filter(input);
                    return;
                }
                let text = input.text.trim().to_string();
                let filter = if text.is_empty() {
                    None
                } else {
                    Some(text.clone())
                };
                if !text.is_empty() {
                    self.filter_history.retain(|h| h != &text);
                    self.filter_history.push(text);
                }
                let changed = self
                    .with_focused(|l| l.set_server_filter(filter))
                    .unwrap_or(false);
                if changed {
                    self.reload_focused(cmds);
                }
                return;
            }
            KeyCode::Up => input.history_prev(&self.filter_history),
            KeyCode::Down => input.history_next(&self.filter_history),
            KeyCode::Tab => input.complete(),
            _ => input.edit(key),
        }
        self.overlay = Overlay::Filter(input);
    }

    pub(crate) fn on_sort_key(
        &mut self,
        key: KeyEvent,
        mut picker: SortPicker,
        cmds: &mut Vec<Command>,
    ) {
        match (key.code, self.keymap.intent(&key)) {
            (KeyCode::Esc, _) => return,
            (KeyCode::Enter, _) => {
                let keys = picker.keys();
                let changed = self.with_focused(|l| l.set_sort(keys)).unwrap_or(false);
                if changed {
                    self.reload_focused(cmds);
                }
                return;
            }
            (KeyCode::Char(' '), _) => picker.cycle(),
            (_, Some(Intent::Down)) => picker.move_by(1),
            (_, Some(Intent::Up)) => picker.move_by(-1),
            _ => {}
        }
        self.overlay = Overlay::Sort(picker);
    }

    pub(crate) fn on_mouse(&mut self, m: crossterm::event::MouseEvent, cmds: &mut Vec<Command>) {
        if !self.mouse || !matches!(self.overlay, Overlay::None) {
            return;
        }
        let panes = self.panes();
        let inside = |r: ratatui::layout::Rect| {
            m.column >= r.x && m.column < r.x + r.width && m.row >= r.y && m.row < r.y + r.height
        };
        let (focus, area) = if inside(panes.list) {
            (Focus::List, panes.list)
        } else if inside(panes.relations) && self.detail.is_some() {
            (Focus::Detail, panes.relations)
        } else {
            return;
        };
        match m.kind {
            MouseEventKind::ScrollDown | MouseEventKind::ScrollUp => {
                self.focus = focus;
                let d = if m.kind == MouseEventKind::ScrollDown {
                    3
                } else {
                    -3
                };
                self.with_focused(|l| l.move_selection(d));
                self.moved(cmds);
            }
            MouseEventKind::Down(MouseButton::Left) => {
                self.focus = focus;
                // Rows start below the border and the header line.
                let first_row = area.y + 2;
                if m.row >= first_row && m.row < area.y + area.height.saturating_sub(1) {
                    let offset = (m.row - first_row) as usize;
                    self.with_focused(|l| l.click(offset));
                    self.moved(cmds);
                }
            }
            _ => {}
        }
    }
}
