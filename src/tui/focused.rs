//! The operations keys perform on whichever list has the focus, whatever its rows.

use super::list::{ListState, RowData};

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
}

impl<T: RowData> FocusedList for ListState<T> {
    fn search_text(&self) -> String {
        self.search.clone()
    }
    fn more_on_server(&self) -> bool {
        !self.exhausted && self.next.is_some()
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
    }
    fn clear_search(&mut self) -> bool {
        if self.search.is_empty() {
            return false;
        }
        let keep = self.selected_id().map(str::to_string);
        self.search.clear();
        self.recompute_visible();
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
