//! The describe view (`v`): a whole record or relation as pretty JSON, every value
//! whole (long values wrap instead of ending in "…"), scrollable and copyable. Here
//! the state, the JSON tokens and the wrapping, so that keys and drawing agree on how
//! many lines there are.

use unicode_width::UnicodeWidthChar;

/// What a piece of the JSON text is, for its colour.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Token {
    Key,
    Str,
    Number,
    Literal,
    Punct,
}

/// The describe view's state.
#[derive(Clone, Debug)]
pub struct Describe {
    pub title: String,
    /// The record as pretty JSON (what `y` copies).
    pub json: String,
    /// First line shown (of the wrapped lines).
    pub scroll: usize,
}

/// A wrapped line: its pieces and their kinds.
pub type WrappedLine = Vec<(Token, String)>;

impl Describe {
    pub fn new(title: String, json: String) -> Describe {
        Describe {
            title,
            json,
            scroll: 0,
        }
    }

    /// The lines at a width, wrapped.
    pub fn lines(&self, width: usize) -> Vec<WrappedLine> {
        let mut out = Vec::new();
        for line in self.json.lines() {
            wrap(&tokens(line), width.max(8), &mut out);
        }
        out
    }

    /// Scrolls by `delta` lines, kept inside the text for a view of `width`×`height`.
    pub fn scroll_by(&mut self, delta: isize, width: usize, height: usize) {
        let max = self.lines(width).len().saturating_sub(height.max(1));
        self.scroll = (self.scroll as isize + delta).clamp(0, max as isize) as usize;
    }
}

/// Splits one line of pretty JSON into coloured pieces. Characters that could move
/// the cursor or hide text (bidi overrides, zero-width) are shown as `\u{…}` escapes;
/// control characters are already escaped by the JSON writer.
pub fn tokens(line: &str) -> Vec<(Token, String)> {
    let chars: Vec<char> = line.chars().collect();
    let mut out: Vec<(Token, String)> = Vec::new();
    let mut i = 0;
    let push = |out: &mut Vec<(Token, String)>, kind: Token, text: String| match out.last_mut() {
        Some((k, t)) if *k == kind && kind == Token::Punct => t.push_str(&text),
        _ => out.push((kind, text)),
    };
    while i < chars.len() {
        let c = chars[i];
        if c == '"' {
            let start = i;
            i += 1;
            while i < chars.len() && chars[i] != '"' {
                if chars[i] == '\\' {
                    i += 1;
                }
                i += 1;
            }
            i = (i + 1).min(chars.len());
            let text: String = chars[start..i].iter().map(|&c| safe(c)).collect();
            let rest = chars[i..].iter().find(|c| !c.is_whitespace());
            let kind = if rest == Some(&':') {
                Token::Key
            } else {
                Token::Str
            };
            push(&mut out, kind, text);
        } else if c == '-' || c.is_ascii_digit() {
            let start = i;
            while i < chars.len() && matches!(chars[i], '0'..='9' | '-' | '+' | '.' | 'e' | 'E') {
                i += 1;
            }
            push(&mut out, Token::Number, chars[start..i].iter().collect());
        } else if c.is_ascii_alphabetic() {
            let start = i;
            while i < chars.len() && chars[i].is_ascii_alphabetic() {
                i += 1;
            }
            push(&mut out, Token::Literal, chars[start..i].iter().collect());
        } else {
            push(&mut out, Token::Punct, safe(c));
            i += 1;
        }
    }
    out
}

fn safe(c: char) -> String {
    if crate::text::is_unsafe(c) {
        format!("\\u{{{:04x}}}", c as u32)
    } else {
        c.to_string()
    }
}

/// Wraps pieces into lines of at most `width` columns (continuations indented by
/// two), keeping each piece's kind.
fn wrap(pieces: &[(Token, String)], width: usize, out: &mut Vec<WrappedLine>) {
    let mut line: WrappedLine = Vec::new();
    let mut used = 0;
    for (kind, text) in pieces {
        let mut chunk = String::new();
        for c in text.chars() {
            let w = c.width().unwrap_or(0);
            if used + w > width && used > 0 {
                if !chunk.is_empty() {
                    line.push((*kind, std::mem::take(&mut chunk)));
                }
                out.push(std::mem::take(&mut line));
                line.push((Token::Punct, "  ".into()));
                used = 2;
            }
            chunk.push(c);
            used += w;
        }
        if !chunk.is_empty() {
            line.push((*kind, chunk));
        }
    }
    out.push(line);
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(l: &WrappedLine) -> String {
        l.iter().map(|(_, t)| t.as_str()).collect()
    }

    #[test]
    fn keys_strings_numbers_and_literals_are_told_apart() {
        let t = tokens(r#"  "name": "a \"b\": c", "n": -1.5e3, "ok": true, "x": null"#);
        let kinds: Vec<(Token, &str)> = t
            .iter()
            .filter(|(k, _)| *k != Token::Punct)
            .map(|(k, s)| (*k, s.as_str()))
            .collect();
        assert_eq!(
            kinds,
            vec![
                (Token::Key, "\"name\""),
                (Token::Str, r#""a \"b\": c""#),
                (Token::Key, "\"n\""),
                (Token::Number, "-1.5e3"),
                (Token::Key, "\"ok\""),
                (Token::Literal, "true"),
                (Token::Key, "\"x\""),
                (Token::Literal, "null"),
            ]
        );
    }

    #[test]
    fn long_values_wrap_whole_and_hidden_characters_show() {
        let long = "x".repeat(100);
        let d = Describe::new(
            "t".into(),
            format!("{{\n  \"bio\": \"{long}\",\n  \"evil\": \"a\u{202e}b\"\n}}"),
        );
        let lines = d.lines(40);
        let all: String = lines.iter().map(text).collect::<Vec<_>>().join("");
        assert_eq!(all.matches('x').count(), 100, "every character is shown");
        assert!(lines.iter().all(|l| text(l).chars().count() <= 40));
        assert!(all.contains("a\\u{202e}b"), "{all}");
    }

    #[test]
    fn scrolling_stays_inside_the_text() {
        let d0 = Describe::new("t".into(), (0..50).map(|i| format!("{i}\n")).collect());
        let mut d = d0.clone();
        d.scroll_by(1000, 80, 20);
        assert_eq!(d.scroll, 30);
        d.scroll_by(-5, 80, 20);
        assert_eq!(d.scroll, 25);
        d.scroll_by(-1000, 80, 20);
        assert_eq!(d.scroll, 0);
    }
}
