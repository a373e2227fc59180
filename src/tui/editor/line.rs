//! A single-line text input built on `ratatui_textarea::TextArea`, with the editor's
//! own key map (Ctrl-e belongs to `$EDITOR` and Enter to "next input", so the text
//! area's default bindings are not used as they are).

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui_textarea::{CursorMove, TextArea};

/// One line of editable text.
#[derive(Clone, Debug)]
pub struct LineInput {
    area: TextArea<'static>,
}

impl Default for LineInput {
    fn default() -> Self {
        LineInput::new("")
    }
}

impl LineInput {
    /// An input holding `text` (newlines become spaces), cursor at the end.
    pub fn new(text: &str) -> LineInput {
        let mut area = TextArea::new(vec![one_line(text)]);
        area.move_cursor(CursorMove::End);
        LineInput { area }
    }

    /// The text.
    pub fn text(&self) -> &str {
        self.area.lines().first().map_or("", String::as_str)
    }

    /// The cursor position in characters.
    pub fn cursor(&self) -> usize {
        self.area.cursor().1
    }

    /// Inserts text at the cursor (pasted text; newlines become spaces).
    pub fn insert(&mut self, text: &str) -> bool {
        self.area.insert_str(one_line(text))
    }

    /// Applies an editing key; true when the text changed. Keys it does not know are
    /// ignored.
    pub fn edit(&mut self, key: KeyEvent) -> bool {
        let ctrl = key.modifiers.contains(KeyModifiers::CONTROL);
        let alt = key.modifiers.contains(KeyModifiers::ALT);
        let a = &mut self.area;
        let movement = match key.code {
            KeyCode::Char('a') if ctrl => Some(CursorMove::Head),
            KeyCode::Left if ctrl || alt => Some(CursorMove::WordBack),
            KeyCode::Right if ctrl || alt => Some(CursorMove::WordForward),
            KeyCode::Left => Some(CursorMove::Back),
            KeyCode::Right => Some(CursorMove::Forward),
            KeyCode::Home => Some(CursorMove::Head),
            KeyCode::End => Some(CursorMove::End),
            _ => None,
        };
        if let Some(m) = movement {
            a.move_cursor(m);
            return false;
        }
        match key.code {
            KeyCode::Char(c) if !ctrl && !alt => {
                a.insert_char(c);
                true
            }
            KeyCode::Char('u') if ctrl => a.delete_line_by_head(),
            KeyCode::Char('k') if ctrl => a.delete_line_by_end(),
            KeyCode::Char('w') if ctrl => a.delete_word(),
            KeyCode::Char('z') if ctrl => a.undo(),
            KeyCode::Char('y') if ctrl => a.redo(),
            KeyCode::Backspace if ctrl || alt => a.delete_word(),
            KeyCode::Backspace => a.delete_char(),
            KeyCode::Delete => a.delete_next_char(),
            _ => false,
        }
    }
}

fn one_line(text: &str) -> String {
    text.replace(['\r', '\n'], " ")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(code: KeyCode, m: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, m)
    }

    #[test]
    fn edits_with_cursor_keys() {
        let mut l = LineInput::new("ace");
        assert_eq!(l.cursor(), 3);
        l.edit(key(KeyCode::Left, KeyModifiers::NONE));
        l.edit(key(KeyCode::Left, KeyModifiers::NONE));
        assert!(l.edit(key(KeyCode::Char('b'), KeyModifiers::NONE)));
        assert_eq!(l.text(), "abce");
        l.edit(key(KeyCode::End, KeyModifiers::NONE));
        assert!(l.edit(key(KeyCode::Backspace, KeyModifiers::NONE)));
        assert_eq!(l.text(), "abc");
        l.edit(key(KeyCode::Char('a'), KeyModifiers::CONTROL));
        assert_eq!(l.cursor(), 0);
        assert!(l.edit(key(KeyCode::Delete, KeyModifiers::NONE)));
        assert_eq!(l.text(), "bc");
        l.edit(key(KeyCode::End, KeyModifiers::NONE));
        assert!(l.edit(key(KeyCode::Char('u'), KeyModifiers::CONTROL)));
        assert_eq!(l.text(), "");
    }

    #[test]
    fn stays_one_line() {
        let mut l = LineInput::new("a\nb");
        assert_eq!(l.text(), "a b");
        assert!(!l.edit(key(KeyCode::Enter, KeyModifiers::NONE)));
        l.insert("c\r\nd");
        assert_eq!(l.text(), "a bc  d");
    }
}
