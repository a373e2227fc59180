//! Text from data or a server, made safe to show: terminal control sequences, bidi
//! overrides and invisible characters escaped; JSON that escapes them too; cells
//! that a spreadsheet would run as formulas neutralised; credentials in URLs masked.
//! Used by the CLI for everything it prints (the TUI has its own cell sanitiser).

use std::borrow::Cow;
use std::fmt::Write as _;
use std::io;

use serde::Serialize;

/// Characters never printed as they are: C0 controls, DEL and C1 controls (ESC
/// starts terminal sequences, OSC 52 writes the clipboard, BEL rings), bidi
/// embeddings, overrides, isolates and marks (they reorder what is shown), and
/// zero-width or invisible characters (they hide what is there).
pub fn is_unsafe(c: char) -> bool {
    matches!(c,
        '\u{0}'..='\u{1f}'
        | '\u{7f}'..='\u{9f}'
        | '\u{61c}'
        | '\u{180e}'
        | '\u{200b}'..='\u{200f}'
        | '\u{2028}'..='\u{202e}'
        | '\u{2060}'..='\u{2064}'
        | '\u{2066}'..='\u{2069}'
        | '\u{feff}'
    )
}

/// `s` with every unsafe character written as `\u{1b}`; a backslash stays as it is.
pub fn escape(s: &str) -> Cow<'_, str> {
    escape_except(s, &[])
}

/// Like [`escape`], keeping line feeds and tabs: for messages of several lines.
pub fn escape_lines(s: &str) -> Cow<'_, str> {
    escape_except(s, &['\n', '\t'])
}

fn escape_except<'a>(s: &'a str, keep: &[char]) -> Cow<'a, str> {
    let bad = |c: char| is_unsafe(c) && !keep.contains(&c);
    if !s.chars().any(bad) {
        return Cow::Borrowed(s);
    }
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        if bad(c) {
            let _ = write!(out, "\\u{{{:x}}}", c as u32);
        } else {
            out.push(c);
        }
    }
    Cow::Owned(out)
}

/// A CSV cell that a spreadsheet would evaluate (`=`, `+`, `-`, `@`, or a tab
/// first) gets a leading `'`, unless it is just a number (`-3.5`). OWASP's advice
/// for CSV injection.
pub fn neutralise_formula(cell: &str) -> Cow<'_, str> {
    let risky = cell.starts_with(['=', '+', '-', '@', '\t', '\r']);
    if risky && cell.parse::<f64>().is_err() {
        Cow::Owned(format!("'{cell}"))
    } else {
        Cow::Borrowed(cell)
    }
}

/// A serde_json formatter that also escapes the unsafe characters serde_json leaves
/// as they are (C1 controls, DEL, bidi and zero-width characters): the JSON means
/// the same, and a terminal showing it is not driven by it.
struct SafeFormatter<F>(F);

impl<F: serde_json::ser::Formatter> serde_json::ser::Formatter for SafeFormatter<F> {
    fn write_string_fragment<W: ?Sized + io::Write>(
        &mut self,
        writer: &mut W,
        fragment: &str,
    ) -> io::Result<()> {
        // Printable ASCII, most text, holds nothing unsafe: one check per byte instead
        // of decoding characters.
        if fragment.bytes().all(|b| (0x20..0x7f).contains(&b)) {
            return writer.write_all(fragment.as_bytes());
        }
        let mut start = 0;
        for (i, c) in fragment.char_indices() {
            if is_unsafe(c) {
                writer.write_all(&fragment.as_bytes()[start..i])?;
                write!(writer, "\\u{:04x}", c as u32)?;
                start = i + c.len_utf8();
            }
        }
        writer.write_all(&fragment.as_bytes()[start..])
    }

    fn begin_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_array(w)
    }
    fn end_array<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array(w)
    }
    fn begin_array_value<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_array_value(w, first)
    }
    fn end_array_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_array_value(w)
    }
    fn begin_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object(w)
    }
    fn end_object<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object(w)
    }
    fn begin_object_key<W: ?Sized + io::Write>(
        &mut self,
        w: &mut W,
        first: bool,
    ) -> io::Result<()> {
        self.0.begin_object_key(w, first)
    }
    fn end_object_key<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_key(w)
    }
    fn begin_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.begin_object_value(w)
    }
    fn end_object_value<W: ?Sized + io::Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.0.end_object_value(w)
    }
}

/// Writes `value` as one line of JSON with unsafe characters escaped.
pub fn write_json<W: io::Write, T: Serialize + ?Sized>(
    writer: W,
    value: &T,
) -> serde_json::Result<()> {
    let mut ser = serde_json::Serializer::with_formatter(
        writer,
        SafeFormatter(serde_json::ser::CompactFormatter),
    );
    value.serialize(&mut ser)
}

/// `value` as JSON (indented when `pretty`) with unsafe characters escaped.
pub fn json_string<T: Serialize + ?Sized>(value: &T, pretty: bool) -> serde_json::Result<String> {
    let mut out = Vec::new();
    if pretty {
        let mut ser = serde_json::Serializer::with_formatter(
            &mut out,
            SafeFormatter(serde_json::ser::PrettyFormatter::new()),
        );
        value.serialize(&mut ser)?;
    } else {
        write_json(&mut out, value)?;
    }
    // The serializer writes UTF-8 only.
    Ok(String::from_utf8_lossy(&out).into_owned())
}

/// A URL with any credentials masked: the user info (`http://u:SECRET@host`) and the
/// value of every query parameter (`?auth=…`, `&signature=…`). Works on text that is
/// not a valid URL too, since it is meant for error messages.
pub fn mask_url(url: &str) -> Cow<'_, str> {
    let (head, query) = match url.split_once('?') {
        Some((h, q)) => (h, Some(q)),
        None => (url, None),
    };
    let after_scheme = head.find("://").map_or(0, |i| i + 3);
    let authority_end = head[after_scheme..]
        .find(['/', '#'])
        .map_or(head.len(), |i| after_scheme + i);
    let userinfo = head[after_scheme..authority_end].rfind('@');
    if userinfo.is_none() && query.is_none() {
        return Cow::Borrowed(url);
    }
    let mut out = String::with_capacity(url.len());
    out.push_str(&head[..after_scheme]);
    match userinfo {
        Some(at) => {
            out.push_str("***");
            out.push_str(&head[after_scheme + at..]);
        }
        None => out.push_str(&head[after_scheme..]),
    }
    if let Some(q) = query {
        out.push('?');
        let (q, fragment) = match q.split_once('#') {
            Some((q, f)) => (q, Some(f)),
            None => (q, None),
        };
        let pairs: Vec<String> = q
            .split('&')
            .map(|pair| match pair.split_once('=') {
                Some((k, v)) if !v.is_empty() => format!("{k}=***"),
                _ => pair.to_string(),
            })
            .collect();
        out.push_str(&pairs.join("&"));
        if let Some(f) = fragment {
            out.push('#');
            out.push_str(f);
        }
    }
    Cow::Owned(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn terminal_controls_bidi_and_invisibles_are_escaped() {
        let hostile = "a\u{1b}]52;c;SGVsbG8=\u{7}b\u{9b}31mc\u{202e}d\u{200b}e\u{2066}f\u{feff}";
        assert_eq!(
            escape(hostile),
            "a\\u{1b}]52;c;SGVsbG8=\\u{7}b\\u{9b}31mc\\u{202e}d\\u{200b}e\\u{2066}f\\u{feff}"
        );
        assert_eq!(escape("line\nnext\t"), "line\\u{a}next\\u{9}");
        assert_eq!(escape_lines("line\nnext\t\u{1b}"), "line\nnext\t\\u{1b}");
        assert!(matches!(escape("Bób ✓ 日本"), Cow::Borrowed(_)));
    }

    #[test]
    fn json_escapes_c1_bidi_and_zero_width_and_means_the_same() {
        let v = serde_json::json!({"name": "x\u{85}y\u{9b}z\u{202e}w\u{200b}\u{1b}é"});
        for pretty in [false, true] {
            let text = json_string(&v, pretty).unwrap();
            assert!(!text.chars().any(|c| c != '\n' && is_unsafe(c)), "{text}");
            assert!(
                text.contains("\\u0085") && text.contains("\\u009b"),
                "{text}"
            );
            assert!(
                text.contains("\\u202e") && text.contains("\\u200b"),
                "{text}"
            );
            assert!(text.contains("\\u001b") && text.contains('é'), "{text}");
            let back: serde_json::Value = serde_json::from_str(&text).unwrap();
            assert_eq!(back, v);
        }
        assert_eq!(
            json_string(&serde_json::json!([1, {"a": "b"}]), true).unwrap(),
            "[\n  1,\n  {\n    \"a\": \"b\"\n  }\n]"
        );
    }

    #[test]
    fn formulas_are_neutralised_but_numbers_are_not() {
        for risky in ["=HYPERLINK(\"x\")", "+1+2", "-2+3", "@SUM(A1)", "\tx", "=1"] {
            assert_eq!(neutralise_formula(risky), format!("'{risky}"), "{risky}");
        }
        for plain in ["-3.5", "+7", "name", "", "a=b"] {
            assert_eq!(neutralise_formula(plain), plain, "{plain}");
        }
    }

    #[test]
    fn credentials_in_urls_are_masked() {
        assert_eq!(mask_url("http://u:SECRET@host:8/p"), "http://***@host:8/p");
        assert_eq!(
            mask_url("https://h/x?auth=TOKEN&uuid=me"),
            "https://h/x?auth=***&uuid=***"
        );
        assert_eq!(mask_url("SECRET@host"), "***@host");
        assert_eq!(mask_url("https://ps.pndsn.com"), "https://ps.pndsn.com");
        assert_eq!(mask_url("http://h/a@b"), "http://h/a@b");
    }
}
