//! Dialog state for typing a server filter (validated as you type, with history and
//! field-name completion) and for picking sort keys.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

use crate::api::rules::sort_fields;
use crate::api::{SortDirection, SortKey};
use crate::filter::{self, FilterError, Target};

/// The server-filter line.
#[derive(Clone, Debug)]
pub struct FilterInput {
    pub target: Target,
    pub text: String,
    /// Cursor position in chars.
    pub cursor: usize,
    /// Why the text does not parse (nothing is sent while there is one).
    pub error: Option<FilterError>,
    history_pos: Option<usize>,
    /// Plain-text search (the memberships picker): the text is found in ids and names;
    /// only text after a leading `=` is the filter language.
    pub plain: bool,
}

impl FilterInput {
    /// Starts editing `text` for `target`.
    pub fn new(target: Target, text: String) -> FilterInput {
        let mut f = FilterInput {
            target,
            cursor: text.chars().count(),
            text,
            error: None,
            history_pos: None,
            plain: false,
        };
        f.validate();
        f
    }

    /// Starts a plain-text search for `target` (`=` switches to the filter language).
    pub fn new_search(target: Target) -> FilterInput {
        FilterInput {
            plain: true,
            ..FilterInput::new(target, String::new())
        }
    }

    /// The filter-language part of the text: all of it, or in a plain search what
    /// follows a leading `=` (None for plain text).
    fn expression(&self) -> Option<&str> {
        if self.plain {
            self.text.trim_start().strip_prefix('=')
        } else {
            Some(&self.text)
        }
    }

    /// The server filter the text means: the expression, or for plain text a
    /// case-insensitive search of ids and names built with the filter module.
    pub fn to_filter(&self) -> Option<String> {
        match self.expression() {
            Some(e) if e.trim().is_empty() => None,
            Some(e) => Some(e.trim().to_string()),
            None => crate::tui::command::search_filter(self.target, &self.text, None),
        }
    }

    fn validate(&mut self) {
        self.error = match self.expression() {
            Some(e) if !e.trim().is_empty() => filter::parse_for(e, self.target).err(),
            _ => None,
        };
    }

    fn byte_at(&self, char_idx: usize) -> usize {
        self.text
            .char_indices()
            .nth(char_idx)
            .map_or(self.text.len(), |(b, _)| b)
    }

    /// Applies an editing key.
    pub fn edit(&mut self, key: KeyEvent) {
        let len = self.text.chars().count();
        match key.code {
            KeyCode::Char('a') if key.modifiers.contains(KeyModifiers::CONTROL) => self.cursor = 0,
            KeyCode::Char('e') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                self.cursor = len
            }
            KeyCode::Char('u') if key.modifiers.contains(KeyModifiers::CONTROL) => {
                let b = self.byte_at(self.cursor);
                self.text.replace_range(..b, "");
                self.cursor = 0;
            }
            KeyCode::Char(c) if !key.modifiers.contains(KeyModifiers::CONTROL) => {
                let b = self.byte_at(self.cursor);
                self.text.insert(b, c);
                self.cursor += 1;
            }
            KeyCode::Backspace if self.cursor > 0 => {
                let b = self.byte_at(self.cursor - 1);
                self.text.remove(b);
                self.cursor -= 1;
            }
            KeyCode::Delete if self.cursor < len => {
                let b = self.byte_at(self.cursor);
                self.text.remove(b);
            }
            KeyCode::Left => self.cursor = self.cursor.saturating_sub(1),
            KeyCode::Right => self.cursor = (self.cursor + 1).min(len),
            KeyCode::Home => self.cursor = 0,
            KeyCode::End => self.cursor = len,
            _ => return,
        }
        self.history_pos = None;
        self.validate();
    }

    fn set_text(&mut self, text: String) {
        self.cursor = text.chars().count();
        self.text = text;
        self.validate();
    }

    /// Older filter from history.
    pub fn history_prev(&mut self, history: &[String]) {
        if history.is_empty() {
            return;
        }
        let pos = match self.history_pos {
            None => history.len() - 1,
            Some(0) => 0,
            Some(p) => p - 1,
        };
        self.history_pos = Some(pos);
        self.set_text(history[pos].clone());
    }

    /// Newer filter from history (past the newest: empty).
    pub fn history_next(&mut self, history: &[String]) {
        match self.history_pos {
            Some(p) if p + 1 < history.len() => {
                self.history_pos = Some(p + 1);
                self.set_text(history[p + 1].clone());
            }
            Some(_) => {
                self.history_pos = None;
                self.set_text(String::new());
            }
            None => {}
        }
    }

    /// The field name being typed before the cursor, and where the cursor is (bytes).
    fn word_before_cursor(&self) -> (&str, usize) {
        let b = self.byte_at(self.cursor);
        let before = &self.text[..b];
        let start = before
            .rfind(|c: char| !(c.is_alphanumeric() || c == '.' || c == '_' || c == '$'))
            .map_or(0, |i| i + 1);
        (&before[start..], b)
    }

    /// Field names that extend the word before the cursor.
    pub fn candidates(&self) -> Vec<&'static str> {
        let (word, _) = self.word_before_cursor();
        if word.is_empty() {
            return Vec::new();
        }
        filter::field_names(self.target)
            .iter()
            .copied()
            .filter(|n| n.starts_with(word) && *n != word)
            .collect()
    }

    /// Completes the field name before the cursor (the longest common prefix of the
    /// candidates; a single candidate completes fully).
    pub fn complete(&mut self) {
        let (word, b) = self.word_before_cursor();
        let word_len = word.len();
        let candidates = self.candidates();
        let Some(first) = candidates.first() else {
            return;
        };
        let mut common = first.to_string();
        for c in &candidates[1..] {
            while !c.starts_with(&common) {
                common.pop();
            }
        }
        if common.len() > word_len {
            let add = common[word_len..].to_string();
            self.text.insert_str(b, &add);
            self.cursor += add.chars().count();
            self.validate();
        }
    }
}

/// The sort dialog: every sortable field with off/asc/desc, in the order chosen.
#[derive(Clone, Debug)]
pub struct SortPicker {
    pub target: Target,
    /// Field name and direction (`Some(true)` = descending), in display order.
    pub fields: Vec<(&'static str, Option<bool>)>,
    /// Priority: indices into `fields`, first = primary key.
    pub order: Vec<usize>,
    pub cursor: usize,
}

impl SortPicker {
    /// A picker showing `current`.
    pub fn new(target: Target, current: &[SortKey]) -> SortPicker {
        let mut fields: Vec<(&'static str, Option<bool>)> =
            sort_fields(target).iter().map(|f| (*f, None)).collect();
        let mut order = Vec::new();
        for k in current {
            if let Some(i) = fields.iter().position(|(f, _)| *f == k.field) {
                fields[i].1 = Some(k.direction == SortDirection::Desc);
                order.push(i);
            }
        }
        SortPicker {
            target,
            fields,
            order,
            cursor: 0,
        }
    }

    /// Moves the cursor.
    pub fn move_by(&mut self, d: isize) {
        let last = self.fields.len().saturating_sub(1) as isize;
        self.cursor = (self.cursor as isize + d).clamp(0, last) as usize;
    }

    /// off → ascending → descending → off, for the field under the cursor.
    pub fn cycle(&mut self) {
        let i = self.cursor;
        let Some(field) = self.fields.get_mut(i) else {
            return;
        };
        field.1 = match field.1 {
            None => Some(false),
            Some(false) => Some(true),
            Some(true) => None,
        };
        match field.1 {
            Some(false) => self.order.push(i),
            None => self.order.retain(|&o| o != i),
            Some(true) => {}
        }
    }

    /// The chosen keys, primary first.
    pub fn keys(&self) -> Vec<SortKey> {
        self.order
            .iter()
            .filter_map(|&i| {
                let (f, d) = self.fields[i];
                d.map(|descending| {
                    if descending {
                        SortKey::desc(f)
                    } else {
                        SortKey::asc(f)
                    }
                })
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn filter_errors_show_while_typing_and_clear_when_valid() {
        let mut f = FilterInput::new(Target::Users, String::new());
        for c in "name ==".chars() {
            f.edit(key(c));
        }
        assert!(f.error.is_some());
        for c in " 'a'".chars() {
            f.edit(key(c));
        }
        assert!(f.error.is_none(), "{:?}", f.error);
    }

    #[test]
    fn tab_completes_field_names() {
        let mut f = FilterInput::new(Target::Users, "prof".into());
        f.complete();
        assert_eq!(f.text, "profileUrl");
        let mut f = FilterInput::new(Target::Memberships, "channel.d".into());
        f.complete();
        assert_eq!(f.text, "channel.description");
    }

    #[test]
    fn history_walks_back_and_forth() {
        let h = vec!["a == 'x'".to_string(), "id == 'y'".to_string()];
        let mut f = FilterInput::new(Target::Users, String::new());
        f.history_prev(&h);
        assert_eq!(f.text, "id == 'y'");
        f.history_prev(&h);
        assert_eq!(f.text, "a == 'x'");
        f.history_next(&h);
        assert_eq!(f.text, "id == 'y'");
        f.history_next(&h);
        assert_eq!(f.text, "");
    }

    #[test]
    fn sort_picker_keeps_the_order_keys_were_chosen_in() {
        let mut p = SortPicker::new(Target::Users, &[]);
        p.cursor = 2; // updated
        p.cycle();
        p.cycle(); // desc
        p.cursor = 1; // name
        p.cycle();
        assert_eq!(
            p.keys(),
            vec![SortKey::desc("updated"), SortKey::asc("name")]
        );
    }
}
