//! A paged, searchable list window: loaded rows, the server query that produced them,
//! the local search over them, the selection and the scroll position.

use crate::api::types::{Channel, Cursor, Member, Membership, Related, User};
use crate::api::SortKey;

use super::action::{Failure, ListQuery, RequestId, Source};

/// Rows are fetched this many at a time (PubNub's maximum page).
pub const PAGE_SIZE: u32 = 100;
/// The next page is fetched when the selection comes this close to the last loaded row.
pub const PREFETCH: usize = 25;

/// What a list needs from its rows.
pub trait RowData: Clone + serde::Serialize {
    /// The id shown and copied.
    fn row_id(&self) -> &str;
    /// Lower-cased text the local search looks in.
    fn haystack(&self) -> String;
}

fn lower(parts: &[Option<&str>]) -> String {
    let mut s = String::new();
    for p in parts.iter().flatten() {
        s.push_str(&p.to_lowercase());
        s.push('\u{1f}');
    }
    s
}

fn custom_text(c: Option<&crate::api::types::Custom>) -> String {
    c.map(|m| {
        m.iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" ")
    })
    .unwrap_or_default()
}

impl RowData for User {
    fn row_id(&self) -> &str {
        &self.user_id
    }
    fn haystack(&self) -> String {
        let custom = custom_text(self.custom.as_ref());
        lower(&[
            Some(&self.user_id),
            self.name.as_deref(),
            self.email.as_deref(),
            self.external_id.as_deref(),
            self.status.as_ref().map(String::as_str),
            self.kind.as_ref().map(String::as_str),
            Some(&custom),
        ])
    }
}

impl RowData for Channel {
    fn row_id(&self) -> &str {
        &self.channel_id
    }
    fn haystack(&self) -> String {
        let custom = custom_text(self.custom.as_ref());
        lower(&[
            Some(&self.channel_id),
            self.name.as_deref(),
            self.description.as_deref(),
            self.status.as_ref().map(String::as_str),
            self.kind.as_ref().map(String::as_str),
            Some(&custom),
        ])
    }
}

impl RowData for Membership {
    fn row_id(&self) -> &str {
        self.channel.id()
    }
    fn haystack(&self) -> String {
        let name = match &self.channel {
            Related::Expanded(c) => c.name.as_deref(),
            Related::Id { .. } => None,
        };
        let custom = custom_text(self.custom.as_ref());
        lower(&[
            Some(self.channel.id()),
            name,
            self.status.as_ref().map(String::as_str),
            self.kind.as_ref().map(String::as_str),
            Some(&custom),
        ])
    }
}

impl RowData for Member {
    fn row_id(&self) -> &str {
        self.uuid.id()
    }
    fn haystack(&self) -> String {
        let name = match &self.uuid {
            Related::Expanded(u) => u.name.as_deref(),
            Related::Id { .. } => None,
        };
        let custom = custom_text(self.custom.as_ref());
        lower(&[
            Some(self.uuid.id()),
            name,
            self.status.as_ref().map(String::as_str),
            self.kind.as_ref().map(String::as_str),
            Some(&custom),
        ])
    }
}

/// One list window.
#[derive(Clone, Debug)]
pub struct ListState<T> {
    pub source: Source,
    pub rows: Vec<T>,
    haystacks: Vec<String>,
    /// `totalCount` of the last page.
    pub total: Option<u64>,
    pub next: Option<Cursor>,
    /// The server said there is nothing more.
    pub exhausted: bool,
    /// The request whose answer this list waits for; any other answer is stale.
    pub pending: Option<RequestId>,
    /// Whether the pending request is for the first page (its rows replace the loaded ones).
    pub pending_first: bool,
    pub error: Option<Failure>,
    /// Server filter text.
    pub filter: Option<String>,
    pub sort: Vec<SortKey>,
    /// Local search text (a leading `!` inverts).
    pub search: String,
    /// Indices of rows that pass the local search.
    pub visible: Vec<usize>,
    /// Position in `visible`.
    pub selected: usize,
    /// First visible row drawn.
    pub scroll: usize,
    /// Ids marked (Space) for a bulk action.
    pub marked: std::collections::BTreeSet<String>,
}

impl<T: RowData> ListState<T> {
    /// An empty list for a source.
    pub fn new(source: Source) -> Self {
        ListState {
            source,
            rows: Vec::new(),
            haystacks: Vec::new(),
            total: None,
            next: None,
            exhausted: false,
            pending: None,
            pending_first: true,
            error: None,
            filter: None,
            sort: Vec::new(),
            search: String::new(),
            visible: Vec::new(),
            selected: 0,
            scroll: 0,
            marked: Default::default(),
        }
    }

    /// Replaces the row with `row`'s id in place (after a save), or adds it at the top
    /// (after a create). Returns whether it was already loaded.
    pub fn upsert_row(&mut self, row: T) -> bool {
        let id = row.row_id().to_string();
        let hay = row.haystack();
        if let Some(i) = self.rows.iter().position(|r| r.row_id() == id) {
            self.rows[i] = row;
            self.haystacks[i] = hay;
            self.recompute_visible();
            true
        } else {
            self.rows.insert(0, row);
            self.haystacks.insert(0, hay);
            self.total = self.total.map(|t| t + 1);
            self.recompute_visible();
            self.select_id(&id);
            false
        }
    }

    /// Drops the row with this id (after a removal).
    pub fn remove_row(&mut self, id: &str) {
        if let Some(i) = self.rows.iter().position(|r| r.row_id() == id) {
            self.rows.remove(i);
            self.haystacks.remove(i);
            self.total = self.total.map(|t| t.saturating_sub(1));
            self.marked.remove(id);
            self.recompute_visible();
        }
    }

    /// Marks or unmarks the selected row.
    pub fn toggle_mark(&mut self) {
        if let Some(id) = self.selected_id().map(str::to_string) {
            if !self.marked.remove(&id) {
                self.marked.insert(id);
            }
        }
    }

    /// Marks a request as the one this list waits for.
    pub fn expect(&mut self, req: RequestId, first: bool) {
        self.pending = Some(req);
        self.pending_first = first;
        self.error = None;
    }

    /// The query the server is asked with.
    pub fn query(&self) -> ListQuery {
        ListQuery {
            filter: self.filter.clone(),
            sort: self.sort.clone(),
            limit: PAGE_SIZE,
        }
    }

    /// Forgets loaded rows (before a reload with a new filter or sort).
    pub fn reset(&mut self) {
        self.rows.clear();
        self.haystacks.clear();
        self.visible.clear();
        self.total = None;
        self.next = None;
        self.exhausted = false;
        self.error = None;
        self.selected = 0;
        self.scroll = 0;
        self.marked.clear();
    }

    /// Adds a page of rows (the first page when `first`).
    pub fn apply_page(
        &mut self,
        data: Vec<T>,
        total: Option<u64>,
        next: Option<Cursor>,
        first: bool,
        limit: u32,
    ) {
        let keep = self.selected_id().map(str::to_string);
        if first {
            self.reset();
        }
        let got = data.len();
        // Knowing the total, grow once to it instead of doubling (halves the slack
        // a 100k-row list would otherwise carry).
        if let Some(t) = total {
            let want = (t as usize).min(2_000_000).saturating_sub(self.rows.len());
            if want > self.rows.capacity() - self.rows.len() {
                self.rows.reserve_exact(want);
                self.haystacks.reserve_exact(want);
            }
        }
        for row in data {
            self.haystacks.push(row.haystack());
            self.rows.push(row);
        }
        self.total = total.or(self.total);
        // The end: an empty or short page, or every counted row loaded (spec §5).
        self.exhausted = got == 0
            || (got as u32) < limit
            || self.total.is_some_and(|t| self.rows.len() as u64 >= t);
        self.next = if self.exhausted { None } else { next };
        self.error = None;
        self.recompute_visible();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    /// Applies the local search to the loaded rows.
    pub fn recompute_visible(&mut self) {
        let needle = self.search.trim();
        let (invert, needle) = match needle.strip_prefix('!') {
            Some(rest) => (true, rest.to_lowercase()),
            None => (false, needle.to_lowercase()),
        };
        self.visible = if needle.is_empty() {
            (0..self.rows.len()).collect()
        } else {
            self.haystacks
                .iter()
                .enumerate()
                .filter(|(_, h)| h.contains(&needle) != invert)
                .map(|(i, _)| i)
                .collect()
        };
        if self.selected >= self.visible.len() {
            self.selected = self.visible.len().saturating_sub(1);
        }
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&T> {
        self.visible
            .get(self.selected)
            .and_then(|&i| self.rows.get(i))
    }

    /// The selected row's id.
    pub fn selected_id(&self) -> Option<&str> {
        self.selected_row().map(RowData::row_id)
    }

    /// Selects the row with this id, if loaded and visible.
    pub fn select_id(&mut self, id: &str) -> bool {
        if let Some(pos) = self
            .visible
            .iter()
            .position(|&i| self.rows[i].row_id() == id)
        {
            self.selected = pos;
            true
        } else {
            false
        }
    }

    /// Moves the selection by `delta`, clamped.
    pub fn move_by(&mut self, delta: isize) {
        if self.visible.is_empty() {
            self.selected = 0;
            return;
        }
        let last = self.visible.len() - 1;
        self.selected = (self.selected as isize + delta).clamp(0, last as isize) as usize;
    }

    /// Whether the next page should be fetched now.
    pub fn wants_more(&self) -> bool {
        self.pending.is_none()
            && self.error.is_none()
            && !self.exhausted
            && self.next.is_some()
            && self.selected + PREFETCH >= self.visible.len()
    }

    /// Keeps the selection inside a window of `height` rows.
    pub fn scroll_into_view(&mut self, height: usize) {
        if height == 0 {
            return;
        }
        if self.selected < self.scroll {
            self.scroll = self.selected;
        } else if self.selected >= self.scroll + height {
            self.scroll = self.selected + 1 - height;
        }
        let max_scroll = self.visible.len().saturating_sub(height);
        self.scroll = self.scroll.min(max_scroll);
    }

    /// "shown N of M" text.
    pub fn counts(&self) -> String {
        let shown = self.visible.len();
        let loaded = self.rows.len();
        let total = match self.total {
            Some(t) => t.to_string(),
            None if self.exhausted => loaded.to_string(),
            None => "?".to_string(),
        };
        if shown != loaded {
            format!("shown {shown} (of {loaded} loaded) of {total}")
        } else {
            format!("shown {shown} of {total}")
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn user(id: &str, name: &str) -> User {
        User {
            user_id: id.into(),
            name: Some(name.into()),
            ..Default::default()
        }
    }

    #[test]
    fn local_search_is_case_insensitive_and_can_invert() {
        let mut l = ListState::new(Source::Users);
        l.apply_page(
            vec![
                user("a", "Zoë Ångström"),
                user("b", "Bob"),
                user("c", "bobby"),
            ],
            Some(3),
            None,
            true,
            100,
        );
        l.search = "BOB".into();
        l.recompute_visible();
        assert_eq!(l.visible, vec![1, 2]);
        l.search = "!bob".into();
        l.recompute_visible();
        assert_eq!(l.visible, vec![0]);
        l.search = "ångs".into();
        l.recompute_visible();
        assert_eq!(l.visible, vec![0]);
    }

    #[test]
    fn paging_ends_on_short_page_or_total() {
        let mut l: ListState<User> = ListState::new(Source::Users);
        let page: Vec<User> = (0..100).map(|i| user(&format!("u{i}"), "n")).collect();
        l.apply_page(
            page.clone(),
            Some(250),
            Some(Cursor("MTAw".into())),
            true,
            100,
        );
        assert!(!l.exhausted);
        assert!(!l.wants_more(), "selection at the top");
        l.selected = 80;
        assert!(l.wants_more());
        l.apply_page(
            page[..50].to_vec(),
            Some(250),
            Some(Cursor("MTUw".into())),
            false,
            100,
        );
        assert!(l.exhausted && l.next.is_none());
    }
}
