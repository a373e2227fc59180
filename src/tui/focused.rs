//! The operations keys perform on whichever list has the focus, whatever its rows.

use super::action::{ListQuery, RequestId, Source};
use super::list::{ListState, PageKind, RowData};
use crate::api::types::Cursor;

/// The operations keys perform on whichever list has the focus.
pub trait FocusedList {
    fn move_selection(&mut self, delta: isize);
    fn click(&mut self, offset: usize);
    fn edit_search(&mut self, c: Option<char>);
    fn clear_search(&mut self) -> bool;
    fn server_filter(&self) -> Option<String>;
    fn set_server_filter(&mut self, filter: Option<String>) -> bool;
    fn sort_keys(&self) -> Vec<crate::api::SortKey>;
    fn set_sort(&mut self, keys: Vec<crate::api::SortKey>) -> bool;
    fn selected_id_string(&self) -> Option<String>;
    fn selected_json(&self) -> Option<String>;
    fn toggle_marked(&mut self);
    /// The local search text.
    fn search_text(&self) -> String;
    /// Whether the server has rows this list has not loaded.
    fn more_on_server(&self) -> bool;
    /// The page the selection needs now: the next one near the last loaded row, the
    /// previous one near the first after `G`.
    fn wanted_page(&self) -> Option<PageKind>;
    /// Asks for a page: what to fetch; the list now waits for `req`.
    fn request_page(
        &mut self,
        req: RequestId,
        kind: PageKind,
    ) -> (Source, ListQuery, Option<Cursor>);
    /// Whether the last loaded row is the list's last.
    fn at_true_end(&self) -> bool;
    /// Whether the loaded rows start at the list's first row.
    fn starts_at_top(&self) -> bool;
    /// Whether a request is on its way.
    fn loading(&self) -> bool;
    /// What the list shows.
    fn source(&self) -> Source;
    /// Hides or shows soft-deleted rows; returns whether they are now hidden.
    fn toggle_deleted(&mut self) -> bool;
    /// A tick of the server search's debounce (see [`ListState::search_tick`]).
    fn search_tick(&mut self, req: RequestId) -> Option<(Source, ListQuery)>;
    /// The marked rows that are loaded, as JSON.
    fn marked_json(&self) -> Vec<serde_json::Value>;
}

impl<T: RowData> FocusedList for ListState<T> {
    fn search_text(&self) -> String {
        self.search.clone()
    }
    fn more_on_server(&self) -> bool {
        !self.at_end() || self.prev.is_some()
    }
    fn wanted_page(&self) -> Option<PageKind> {
        if self.wants_more() {
            Some(PageKind::Next)
        } else if self.wants_previous() {
            Some(PageKind::Previous)
        } else {
            None
        }
    }
    fn request_page(
        &mut self,
        req: RequestId,
        kind: PageKind,
    ) -> (Source, ListQuery, Option<Cursor>) {
        self.request(req, kind)
    }
    fn at_true_end(&self) -> bool {
        self.at_end()
    }
    fn starts_at_top(&self) -> bool {
        self.base == 0 && self.prev.is_none()
    }
    fn loading(&self) -> bool {
        self.pending.is_some()
    }
    fn source(&self) -> Source {
        self.source.clone()
    }
    fn toggle_deleted(&mut self) -> bool {
        let keep = self.selected_id().map(str::to_string);
        self.hide_deleted = !self.hide_deleted;
        self.recompute_visible();
        if let Some(id) = keep {
            self.select_id(&id);
        }
        self.hide_deleted
    }
    fn search_tick(&mut self, req: RequestId) -> Option<(Source, ListQuery)> {
        ListState::search_tick(self, req)
    }
    fn marked_json(&self) -> Vec<serde_json::Value> {
        self.rows
            .iter()
            .filter(|r| self.marked.contains(r.row_id()))
            .filter_map(|r| serde_json::to_value(r).ok())
            .collect()
    }
    fn move_selection(&mut self, delta: isize) {
        self.move_by(delta);
    }
    fn click(&mut self, offset: usize) {
        let target = self.scroll + offset;
        if target < self.visible.len() {
            self.selected = target;
        }
    }
    fn edit_search(&mut self, c: Option<char>) {
        match c {
            Some(c) => self.search.push(c),
            None => {
                self.search.pop();
            }
        }
        self.recompute_visible();
        self.search_changed();
    }
    fn clear_search(&mut self) -> bool {
        if self.search.is_empty() {
            return false;
        }
        let keep = self.selected_id().map(str::to_string);
        self.search.clear();
        self.end_search();
        if let Some(id) = keep {
            self.select_id(&id);
        }
        true
    }
    fn server_filter(&self) -> Option<String> {
        self.filter.clone()
    }
    fn set_server_filter(&mut self, filter: Option<String>) -> bool {
        if self.filter == filter {
            return false;
        }
        self.filter = filter;
        self.reset();
        true
    }
    fn sort_keys(&self) -> Vec<crate::api::SortKey> {
        self.sort.clone()
    }
    fn set_sort(&mut self, keys: Vec<crate::api::SortKey>) -> bool {
        if self.sort == keys {
            return false;
        }
        self.sort = keys;
        self.reset();
        true
    }
    fn selected_id_string(&self) -> Option<String> {
        self.selected_id().map(str::to_string)
    }
    fn selected_json(&self) -> Option<String> {
        self.selected_row()
            .and_then(|r| serde_json::to_string_pretty(r).ok())
    }
    fn toggle_marked(&mut self) {
        self.toggle_mark();
    }
}
