//! A paged, searchable list window: loaded rows, the server query that produced them,
//! the local search over them, the selection and the scroll position.

use crate::api::types::{Channel, Cursor, Member, Membership, Related, User};
use crate::api::SortKey;

use super::action::{Failure, ListQuery, RequestId, Source};

/// Rows are fetched this many at a time (PubNub's maximum page).
pub const PAGE_SIZE: u32 = 100;
/// The next page is fetched when the selection comes this close to the last loaded row.
pub const PREFETCH: usize = 25;

/// Which page a request asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PageKind {
    /// The first page: its rows replace the loaded ones.
    First,
    /// The page after the last loaded row.
    Next,
    /// The last page (`G`): the first page of the reverse sort, whose rows replace the
    /// loaded ones, so the end of a million rows is one request away.
    Last,
    /// The page before the first loaded row, once the list starts at its end (the
    /// reverse sort's next page).
    Previous,
}

/// What a list needs from its rows.
pub trait RowData: Clone + serde::Serialize {
    /// The id shown and copied.
    fn row_id(&self) -> &str;
    /// Lower-cased text the local search looks in.
    fn haystack(&self) -> String;
    /// Soft-deleted the Chat SDK way: `status` "deleted" (of the record, or for a
    /// relation of the record on its other side).
    fn soft_deleted(&self) -> bool;
}

/// The `status` PubNub's Chat SDK writes when it soft-deletes a user or channel
/// (`DELETED = "deleted"` in pubnub/kmp-chat's Constants.kt; spec §16.7).
pub const SOFT_DELETED: &str = "deleted";

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
    fn soft_deleted(&self) -> bool {
        self.status.as_ref().map(String::as_str) == Some(SOFT_DELETED)
    }

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
    fn soft_deleted(&self) -> bool {
        self.status.as_ref().map(String::as_str) == Some(SOFT_DELETED)
    }

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
    fn soft_deleted(&self) -> bool {
        matches!(&self.channel, Related::Expanded(c) if c.status.as_ref().map(String::as_str) == Some(SOFT_DELETED))
    }

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
    fn soft_deleted(&self) -> bool {
        matches!(&self.uuid, Related::Expanded(u) if u.status.as_ref().map(String::as_str) == Some(SOFT_DELETED))
    }

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
    /// Which page the pending request asks for.
    pub pending_kind: PageKind,
    /// Rows before the first loaded one that are not loaded: non-zero after `G` went
    /// to the end of a list longer than what was loaded.
    pub base: u64,
    /// The cursor to the rows before the first loaded one (after `G`).
    pub prev: Option<Cursor>,
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
    /// Rows the server search found that are not loaded (shown after the loaded
    /// matches while `/` is typed on a partly loaded list).
    pub found: Vec<T>,
    found_hay: Vec<String>,
    /// The server search: ticks left before it is sent, the request on its way, and
    /// how many the server has for the text last answered.
    pub found_due: u8,
    pub found_pending: Option<RequestId>,
    pub found_total: Option<u64>,
    /// Rows the server has beyond those this list knew of (created elsewhere), until
    /// the list is reloaded.
    pub new_rows: u64,
    /// Soft-deleted rows (Chat SDK) are left out of `visible`.
    pub hide_deleted: bool,
}

/// Ticks (≈100 ms each) of typing pause before the search goes to the server.
pub const SEARCH_DEBOUNCE: u8 = 2;

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
            pending_kind: PageKind::First,
            base: 0,
            prev: None,
            error: None,
            filter: None,
            sort: Vec::new(),
            search: String::new(),
            visible: Vec::new(),
            selected: 0,
            scroll: 0,
            marked: Default::default(),
            found: Vec::new(),
            found_hay: Vec::new(),
            found_due: 0,
            found_pending: None,
            found_total: None,
            new_rows: 0,
            hide_deleted: false,
        }
    }

    /// The server's total now (a count probe): more than known means new rows.
    pub fn note_total(&mut self, now: u64) {
        if let Some(known) = self.total {
            if now > known {
                self.new_rows += now - known;
            }
        }
        self.total = Some(now);
    }

    /// The row at an index of `visible`'s space: loaded rows first, then found ones.
    pub fn row(&self, i: usize) -> Option<&T> {
        self.rows.get(i).or_else(|| {
            i.checked_sub(self.rows.len())
                .and_then(|j| self.found.get(j))
        })
    }

    /// Whether the row at index `i` came from the server search.
    pub fn is_found(&self, i: usize) -> bool {
        i >= self.rows.len()
    }

    /// The typed search changed: the server is asked again after a pause, while the
    /// list is only partly loaded and the text is a search (not `!` or empty).
    pub fn search_changed(&mut self) {
        let text = self.search.trim();
        let partial = !(self.exhausted || self.next.is_none()) || self.prev.is_some();
        if partial && !text.is_empty() && !text.starts_with('!') {
            self.found_due = SEARCH_DEBOUNCE;
        } else {
            self.found_due = 0;
            self.found_pending = None; // its answer, if any, is stale now
        }
    }

    /// The server search's answer: rows not loaded yet join the list after the
    /// loaded matches; the selection stays on its row.
    pub fn set_found(&mut self, rows: Vec<T>, total: Option<u64>) {
        let keep = self.selected_id().map(str::to_string);
        let loaded: std::collections::HashSet<&str> =
            self.rows.iter().map(RowData::row_id).collect();
        let fresh: Vec<T> = rows
            .into_iter()
            .filter(|r| !loaded.contains(r.row_id()))
            .collect();
        self.found_hay = fresh.iter().map(RowData::haystack).collect();
        self.found = fresh;
        self.found_total = total;
        self.recompute_visible();
        if let Some(id) = keep {
            self.select_id(&id);
        }
    }

    /// A tick of the search debounce: when the pause is over, the request to send
    /// (this list then waits for `req`'s answer as its server search).
    pub fn search_tick(&mut self, req: RequestId) -> Option<(Source, ListQuery)> {
        if self.found_due == 0 {
            return None;
        }
        self.found_due -= 1;
        if self.found_due > 0 {
            return None;
        }
        let current = self.filter.as_deref();
        let filter =
            crate::tui::command::search_filter(self.source.target(), &self.search, current)?;
        self.found_pending = Some(req);
        Some((
            self.source.clone(),
            ListQuery {
                filter: Some(filter),
                sort: self.sort.clone(),
                limit: PAGE_SIZE,
            },
        ))
    }

    fn clear_found(&mut self) {
        self.found.clear();
        self.found_hay.clear();
        self.found_due = 0;
        self.found_pending = None;
        self.found_total = None;
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
        if let Some(j) = self.found.iter().position(|r| r.row_id() == id) {
            self.found.remove(j);
            self.found_hay.remove(j);
        }
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
        let kind = if first {
            PageKind::First
        } else {
            PageKind::Next
        };
        self.expect_kind(req, kind);
    }

    /// Marks a request for a kind of page as the one this list waits for.
    pub fn expect_kind(&mut self, req: RequestId, kind: PageKind) {
        if kind == PageKind::First {
            self.new_rows = 0; // the reload brings them
        }
        self.pending = Some(req);
        self.pending_kind = kind;
        self.error = None;
    }

    /// Asks for a page: what to fetch (source, query, cursor), this list now waiting
    /// for `req`.
    pub fn request(
        &mut self,
        req: RequestId,
        kind: PageKind,
    ) -> (Source, ListQuery, Option<Cursor>) {
        self.expect_kind(req, kind);
        let (query, cursor) = match kind {
            PageKind::First => (self.query(), None),
            PageKind::Next => (self.query(), self.next.clone()),
            PageKind::Last => (self.reverse_query(), None),
            PageKind::Previous => (self.reverse_query(), self.prev.clone()),
        };
        (self.source.clone(), query, cursor)
    }

    /// The query in the exact reverse order (for the last pages).
    pub fn reverse_query(&self) -> ListQuery {
        ListQuery {
            sort: crate::api::rules::reverse_sort(self.source.target(), &self.sort),
            ..self.query()
        }
    }

    /// Whether every row up to the server's last is loaded (or nothing more is known).
    pub fn at_end(&self) -> bool {
        self.exhausted || self.next.is_none()
    }

    /// Whether the rows before the first loaded one should be fetched now (after `G`,
    /// the selection near the top).
    pub fn wants_previous(&self) -> bool {
        self.pending.is_none()
            && self.error.is_none()
            && self.prev.is_some()
            && self.selected < PREFETCH
    }

    /// Takes the answer to the pending request of `kind`.
    pub fn apply(
        &mut self,
        kind: PageKind,
        data: Vec<T>,
        total: Option<u64>,
        next: Option<Cursor>,
        limit: u32,
    ) {
        match kind {
            PageKind::First => self.apply_page(data, total, next, true, limit),
            PageKind::Next => self.apply_page(data, total, next, false, limit),
            PageKind::Last => self.apply_last_page(data, total, next, limit),
            PageKind::Previous => self.apply_previous_page(data, next, limit),
        }
    }

    /// The last page (rows in reverse order): the loaded rows become the list's end,
    /// the last row selected.
    fn apply_last_page(
        &mut self,
        mut data: Vec<T>,
        total: Option<u64>,
        next: Option<Cursor>,
        limit: u32,
    ) {
        self.reset();
        data.reverse();
        let got = data.len() as u64;
        for row in data {
            self.haystacks.push(row.haystack());
            self.rows.push(row);
        }
        self.total = total;
        let short = got < u64::from(limit);
        self.base = match total {
            Some(t) => t.saturating_sub(got),
            None if short => 0,
            // Unknown, but some: the list shows "rows … of ?".
            None => 1,
        };
        self.prev = if short || self.base == 0 { None } else { next };
        if self.prev.is_none() {
            self.base = 0;
        }
        self.exhausted = true;
        self.next = None;
        self.recompute_visible();
        self.selected = self.visible.len().saturating_sub(1);
    }

    /// The page before the first loaded row (rows in reverse order), put in front.
    fn apply_previous_page(&mut self, mut data: Vec<T>, next: Option<Cursor>, limit: u32) {
        let keep = self.selected_id().map(str::to_string);
        let before = self.visible.len();
        data.reverse();
        let got = data.len() as u64;
        let hay: Vec<String> = data.iter().map(RowData::haystack).collect();
        self.rows.splice(0..0, data);
        self.haystacks.splice(0..0, hay);
        self.base = self.base.saturating_sub(got);
        let short = got < u64::from(limit);
        self.prev = if short || self.base == 0 { None } else { next };
        if self.prev.is_none() {
            self.base = 0;
        }
        self.recompute_visible();
        let added = self.visible.len().saturating_sub(before);
        self.scroll += added;
        match keep {
            Some(id) => {
                self.select_id(&id);
            }
            None => self.selected += added,
        }
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
        self.base = 0;
        self.prev = None;
        self.new_rows = 0;
        self.clear_found();
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
        if !self.found.is_empty() {
            let ids: std::collections::HashSet<&str> = data.iter().map(RowData::row_id).collect();
            let keep: Vec<bool> = self
                .found
                .iter()
                .map(|r| !ids.contains(r.row_id()))
                .collect();
            let mut k = keep.iter();
            self.found.retain(|_| *k.next().unwrap_or(&true));
            let mut k = keep.iter();
            self.found_hay.retain(|_| *k.next().unwrap_or(&true));
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

    /// Forgets the server search (the search was cleared).
    pub fn end_search(&mut self) {
        self.clear_found();
        self.recompute_visible();
    }

    /// Applies the local search to the loaded rows.
    pub fn recompute_visible(&mut self) {
        let needle = self.search.trim();
        let (invert, needle) = match needle.strip_prefix('!') {
            Some(rest) => (true, rest.to_lowercase()),
            None => (false, needle.to_lowercase()),
        };
        self.visible = if needle.is_empty() && !self.hide_deleted {
            (0..self.rows.len()).collect()
        } else if needle.is_empty() {
            (0..self.rows.len())
                .filter(|&i| !self.rows[i].soft_deleted())
                .collect()
        } else {
            let n = self.rows.len();
            self.haystacks
                .iter()
                .chain(self.found_hay.iter())
                .enumerate()
                .filter(|(i, h)| h.contains(&needle) != invert && (*i < n || !invert))
                .map(|(i, _)| i)
                .filter(|&i| !self.hide_deleted || !self.row(i).is_some_and(RowData::soft_deleted))
                .collect()
        };
        if self.selected >= self.visible.len() {
            self.selected = self.visible.len().saturating_sub(1);
        }
    }

    /// The selected row.
    pub fn selected_row(&self) -> Option<&T> {
        self.visible.get(self.selected).and_then(|&i| self.row(i))
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
            .position(|&i| self.row(i).is_some_and(|r| r.row_id() == id))
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
        if !self.found.is_empty() {
            let total = self.total.map_or("?".to_string(), |t| t.to_string());
            let on_server = self.found_total.map_or("?".to_string(), |t| t.to_string());
            return format!(
                "shown {shown}: loaded matches and {on_server} on the server, of {total}"
            );
        }
        if self.base > 0 || self.prev.is_some() {
            // After `G`: the loaded rows are the end of the list.
            let first = self.base + 1;
            let last = self.base + loaded as u64;
            if shown != loaded {
                format!("shown {shown} of rows {first}–{last} of {total}")
            } else {
                format!("rows {first}–{last} of {total}")
            }
        } else if shown != loaded {
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
