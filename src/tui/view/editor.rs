//! The editor modal: the form's inputs with their errors, the custom table (or its raw
//! JSON view), the eTag, the save state, the server's answer and the key hints. It
//! scrolls to keep the focused input in view when the terminal is short.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;
use unicode_width::UnicodeWidthChar;

use super::{accent, centered, dim, error_style, truncate};
use crate::tui::editor::{Editor, Focus, LineInput, ValueKind};

/// Label column of the plain fields.
const LABEL_W: usize = 13;
/// Widest the modal gets.
const MAX_W: u16 = 100;

/// A part of the scrolling body.
enum Item {
    Line(Line<'static>),
    /// The raw JSON text area, this many rows high (borders included).
    Raw(u16),
}

/// Draws the editor centred in `area`.
pub fn draw(frame: &mut Frame, editor: &Editor, area: Rect) {
    let width = area.width.min(MAX_W);
    let w = width.saturating_sub(2) as usize;
    let top = top_lines(editor, w);
    let bottom = bottom_lines(editor, w);
    let footer = footer_lines(editor, w);
    let (items, focus) = body_items(editor, w);
    let body_h: usize = items.iter().map(item_height).sum();
    let wanted = top.len() + body_h + bottom.len() + footer.len() + 2;
    let rect = centered(area, width, u16::try_from(wanted).unwrap_or(u16::MAX));
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(accent())
        .title(Span::styled(
            format!(" {} ", truncate(&editor.title(), w.saturating_sub(2))),
            accent().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    let [top_r, body_r, bottom_r, footer_r] = Layout::vertical([
        Constraint::Length(len_u16(top.len())),
        Constraint::Min(1),
        Constraint::Length(len_u16(bottom.len())),
        Constraint::Length(len_u16(footer.len())),
    ])
    .areas(inner);
    frame.render_widget(Paragraph::new(top), top_r);
    draw_body(frame, editor, items, focus, body_r);
    frame.render_widget(Paragraph::new(bottom), bottom_r);
    frame.render_widget(Paragraph::new(footer), footer_r);
}

fn len_u16(n: usize) -> u16 {
    u16::try_from(n).unwrap_or(u16::MAX)
}

fn item_height(i: &Item) -> usize {
    match i {
        Item::Line(_) => 1,
        Item::Raw(h) => *h as usize,
    }
}

/// eTag and save state, the remote-change banner, the server's error.
fn top_lines(editor: &Editor, w: usize) -> Vec<Line<'static>> {
    let mut status = match editor.target().etag() {
        Some(etag) => vec![
            Span::styled("eTag ", dim()),
            Span::raw(truncate(etag, w.saturating_sub(30).max(8))),
        ],
        None => vec![Span::styled("new record", dim())],
    };
    if editor.is_dirty() {
        status.push(Span::styled(
            "  · modified",
            Style::default().fg(Color::Yellow),
        ));
    }
    if editor.saving {
        status.push(Span::styled(
            "  Saving…",
            Style::default()
                .fg(Color::Yellow)
                .add_modifier(Modifier::BOLD),
        ));
    }
    let mut lines = vec![Line::from(status)];
    if let Some(warning) = &editor.remote_warning {
        let banner = Style::default().fg(Color::Black).bg(Color::Yellow);
        for l in wrap(&format!("⚠ {warning}"), w, 2) {
            lines.push(Line::styled(format!("{l:<w$}"), banner));
        }
    }
    if let Some(err) = &editor.server_error {
        for l in wrap(&format!("✗ {err}"), w, 3) {
            lines.push(Line::styled(l, error_style()));
        }
    }
    lines
}

/// Messages about the whole form: a refused key, the record size.
fn bottom_lines(editor: &Editor, w: usize) -> Vec<Line<'static>> {
    let mut lines = Vec::new();
    for msg in [editor.notice(), editor.record_error()]
        .into_iter()
        .flatten()
    {
        for l in wrap(&format!("✗ {msg}"), w, 2) {
            lines.push(Line::styled(l, error_style()));
        }
    }
    lines
}

/// The key hints, packed into as few lines as fit.
fn footer_lines(editor: &Editor, w: usize) -> Vec<Line<'static>> {
    let hints: &[(&str, &str)] = if editor.raw().is_some() {
        &[
            ("Ctrl-s", "save"),
            ("Esc", "cancel"),
            ("Tab", "next"),
            ("Ctrl-j", "back to rows"),
            ("Ctrl-e", "$EDITOR"),
        ]
    } else {
        &[
            ("Ctrl-s", "save"),
            ("Esc", "cancel"),
            ("Tab", "next"),
            ("Ctrl-n", "add custom"),
            ("Ctrl-d", "delete row"),
            ("Ctrl-t", "type"),
            ("Ctrl-j", "raw JSON"),
            ("Ctrl-e", "$EDITOR"),
        ]
    };
    let mut lines = Vec::new();
    let mut spans: Vec<Span<'static>> = Vec::new();
    let mut used = 0;
    for (key, what) in hints {
        let len = key.chars().count() + 1 + what.chars().count();
        if used > 0 && used + 3 + len > w {
            lines.push(Line::from(std::mem::take(&mut spans)));
            used = 0;
        }
        if used > 0 {
            spans.push(Span::styled(" · ", dim()));
            used += 3;
        }
        spans.push(Span::styled(key.to_string(), accent()));
        spans.push(Span::raw(format!(" {what}")));
        used += len;
    }
    lines.push(Line::from(spans));
    lines
}

/// The fields and the custom section, and which items the focus covers.
fn body_items(editor: &Editor, w: usize) -> (Vec<Item>, (usize, usize)) {
    let mut items = Vec::new();
    let mut focus = (0, 1);
    let input_w = w.saturating_sub(LABEL_W + 2).max(1);
    for (i, f) in editor.fields().iter().enumerate() {
        let focused = editor.focus() == Focus::Field(i);
        let label = format!("{:<LABEL_W$}", f.key().name());
        let mut spans = vec![
            marker(focused),
            Span::styled(
                label,
                if focused {
                    accent().add_modifier(Modifier::BOLD)
                } else {
                    dim()
                },
            ),
        ];
        let placeholder = if f.is_untouched_absent() {
            "not loaded · unchanged"
        } else {
            "null"
        };
        spans.extend(input_spans(f.input(), input_w, focused, placeholder));
        let start = items.len();
        items.push(Item::Line(Line::from(spans)));
        if let Some(e) = f.error() {
            let text = truncate(&format!("✗ {e}"), input_w);
            items.push(Item::Line(Line::styled(
                format!("{}{text}", " ".repeat(LABEL_W + 2)),
                error_style(),
            )));
        }
        if focused {
            focus = (start, items.len());
        }
    }
    items.push(Item::Line(Line::raw("")));
    let heading = Span::styled("Custom fields", accent().add_modifier(Modifier::BOLD));
    if let Some(raw) = editor.raw() {
        items.push(Item::Line(Line::from(vec![
            heading,
            Span::styled(
                " as JSON: an object of strings, numbers, booleans or null",
                dim(),
            ),
        ])));
        let start = items.len();
        let lines = raw.area().lines().len();
        items.push(Item::Raw(
            u16::try_from(lines + 3).unwrap_or(u16::MAX).clamp(5, 18),
        ));
        items.push(Item::Line(match raw.error() {
            Some(e) => Line::styled(truncate(&format!("✗ {e}"), w), error_style()),
            None => Line::styled("✓ valid", Style::default().fg(Color::Green)),
        }));
        if editor.focus() == Focus::Raw {
            focus = (start, items.len());
        }
        return (items, focus);
    }
    let rows = editor.rows();
    items.push(Item::Line(Line::from(vec![
        heading,
        Span::styled(format!(" ({})", rows.len()), dim()),
    ])));
    if rows.is_empty() {
        items.push(Item::Line(Line::styled(
            truncate(
                &format!(
                    "  none: {} · Ctrl-n adds one",
                    editor.empty_custom_meaning()
                ),
                w,
            ),
            dim(),
        )));
        return (items, focus);
    }
    let type_w = 7;
    let cells = w.saturating_sub(2 + 3 + 3 + type_w);
    let key_w = (cells * 2 / 5).max(1);
    let value_w = cells.saturating_sub(key_w).max(1);
    let sep = || Span::styled(" │ ", dim());
    items.push(Item::Line(Line::styled(
        format!("  {:<key_w$} │ {:<value_w$} │ type", "key", "value"),
        dim(),
    )));
    for (r, row) in rows.iter().enumerate() {
        let on_key = editor.focus() == Focus::Key(r);
        let on_value = editor.focus() == Focus::Value(r);
        let mut spans = vec![marker(on_key || on_value)];
        spans.extend(padded(input_spans(row.key(), key_w, on_key, "key"), key_w));
        spans.push(sep());
        let value = if row.kind() == ValueKind::Null {
            vec![Span::styled("null", dim())]
        } else {
            input_spans(row.value(), value_w, on_value, "")
        };
        spans.extend(padded(value, value_w));
        spans.push(sep());
        spans.push(Span::styled(row.kind().name(), accent()));
        let start = items.len();
        items.push(Item::Line(Line::from(spans)));
        let errors: Vec<String> = [("key", row.key_error()), ("value", row.value_error())]
            .into_iter()
            .filter_map(|(what, e)| e.map(|e| format!("✗ {what}: {e}")))
            .collect();
        if !errors.is_empty() {
            items.push(Item::Line(Line::styled(
                truncate(&format!("    {}", errors.join("  ")), w),
                error_style(),
            )));
        }
        if on_key || on_value {
            focus = (start, items.len());
        }
    }
    (items, focus)
}

/// Renders the visible part of the body, scrolled so the focused input shows.
fn draw_body(
    frame: &mut Frame,
    editor: &Editor,
    items: Vec<Item>,
    focus: (usize, usize),
    area: Rect,
) {
    let h = area.height as usize;
    if h == 0 {
        return;
    }
    // Shrink the raw view to what is left when everything does not fit.
    let others: usize = items.iter().filter(|i| matches!(i, Item::Line(_))).count();
    let items: Vec<Item> = items
        .into_iter()
        .map(|i| match i {
            Item::Raw(rh) => Item::Raw(rh.min(len_u16(h.saturating_sub(others).max(4)))),
            line => line,
        })
        .collect();
    let top_of = |idx: usize| -> usize { items[..idx].iter().map(item_height).sum() };
    let (f_start, f_end) = (
        top_of(focus.0.min(items.len())),
        top_of(focus.1.min(items.len())),
    );
    let offset = f_end.saturating_sub(h).min(f_start);
    let mut y = 0usize;
    for item in items {
        let ih = item_height(&item);
        let (from, to) = (y.max(offset), (y + ih).min(offset + h));
        if from < to {
            let rect = Rect::new(
                area.x,
                area.y + len_u16(from - offset),
                area.width,
                len_u16(to - from),
            );
            match item {
                Item::Line(line) => frame.render_widget(Paragraph::new(line), rect),
                Item::Raw(_) => {
                    if let Some(raw) = editor.raw() {
                        let block = Block::default().borders(Borders::ALL).border_style(
                            if editor.focus() == Focus::Raw {
                                accent()
                            } else {
                                dim()
                            },
                        );
                        let inner = block.inner(rect);
                        frame.render_widget(block, rect);
                        frame.render_widget(raw.area(), inner);
                    }
                }
            }
        }
        y += ih;
    }
    let x = area.x + area.width.saturating_sub(1);
    if offset > 0 {
        frame.render_widget(
            Paragraph::new(Span::styled("↑", dim())),
            Rect::new(x, area.y, 1, 1),
        );
    }
    if y > offset + h {
        let last = area.y + area.height.saturating_sub(1);
        frame.render_widget(
            Paragraph::new(Span::styled("↓", dim())),
            Rect::new(x, last, 1, 1),
        );
    }
}

fn marker(focused: bool) -> Span<'static> {
    if focused {
        Span::styled("› ", accent().add_modifier(Modifier::BOLD))
    } else {
        Span::raw("  ")
    }
}

/// An input's text fitted into `w` columns, with a block cursor when focused and a dim
/// placeholder when empty.
fn input_spans(
    input: &LineInput,
    w: usize,
    focused: bool,
    placeholder: &str,
) -> Vec<Span<'static>> {
    let cursor_style = Style::default().add_modifier(Modifier::REVERSED);
    let text = input.text();
    if text.is_empty() {
        let ph = Span::styled(truncate(placeholder, w.saturating_sub(1)), dim());
        return if focused {
            vec![Span::styled(" ", cursor_style), ph]
        } else {
            vec![ph]
        };
    }
    if !focused {
        return vec![Span::raw(truncate(text, w))];
    }
    let chars: Vec<char> = text
        .chars()
        .map(|c| if c.is_control() { ' ' } else { c })
        .collect();
    let cursor = input.cursor().min(chars.len());
    let cw = |c: &char| c.width().unwrap_or(0);
    // Scroll right just enough to keep the cursor (one column) in view.
    let mut start = 0;
    while start < cursor && chars[start..cursor].iter().map(cw).sum::<usize>() + 1 > w {
        start += 1;
    }
    let before: String = chars[start..cursor].iter().collect();
    let at = chars.get(cursor).copied().unwrap_or(' ');
    let used = chars[start..cursor].iter().map(cw).sum::<usize>() + cw(&at).max(1);
    let after: String = chars
        .get(cursor + 1..)
        .map(|s| s.iter().collect())
        .unwrap_or_default();
    vec![
        Span::raw(before),
        Span::styled(at.to_string(), cursor_style),
        Span::raw(truncate(&after, w.saturating_sub(used))),
    ]
}

/// Pads spans with spaces to `w` columns (table cells line up).
fn padded(mut spans: Vec<Span<'static>>, w: usize) -> Vec<Span<'static>> {
    let used: usize = spans.iter().map(|s| s.width()).sum();
    if used < w {
        spans.push(Span::raw(" ".repeat(w - used)));
    }
    spans
}

/// Word wrap at `w` columns (long words split), at most `max` lines (the last one
/// cut with an ellipsis).
fn wrap(text: &str, w: usize, max: usize) -> Vec<String> {
    let w = w.max(1);
    let width = |s: &str| s.chars().map(|c| c.width().unwrap_or(0)).sum::<usize>();
    let mut lines: Vec<String> = Vec::new();
    let mut line = String::new();
    for word in text.split(' ') {
        let word: String = word
            .chars()
            .map(|c| if c.is_control() { ' ' } else { c })
            .collect();
        let sep = usize::from(!line.is_empty());
        if !line.is_empty() && width(&line) + sep + width(&word) > w {
            lines.push(std::mem::take(&mut line));
        } else if sep == 1 {
            line.push(' ');
        }
        for c in word.chars() {
            if width(&line) + c.width().unwrap_or(0) > w {
                lines.push(std::mem::take(&mut line));
            }
            line.push(c);
        }
    }
    lines.push(line);
    if lines.len() > max {
        let rest = lines.split_off(max.max(1) - 1).join(" ");
        lines.push(truncate(&rest, w));
    }
    lines
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::editor::tests::alice as user;
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use ratatui::backend::TestBackend;
    use ratatui::Terminal;

    fn render(editor: &Editor, w: u16, h: u16) -> String {
        let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
        term.draw(|f| draw(f, editor, f.area())).unwrap();
        let buf = term.backend().buffer().clone();
        (0..h)
            .map(|y| {
                (0..w)
                    .map(|x| buf[(x, y)].symbol().to_string())
                    .collect::<String>()
            })
            .collect::<Vec<_>>()
            .join("\n")
    }

    #[test]
    fn shows_the_form_at_80x24_and_120x40() {
        let mut e = Editor::edit_user(&user());
        e.server_error = Some("Invalid payload".into());
        e.remote_warning = Some("this record changed on the server since you opened it".into());
        for (w, h) in [(80, 24), (120, 40)] {
            let screen = render(&e, w, h);
            for text in [
                "Edit user user-1",
                "eTag",
                "etag-1",
                "name",
                "Alice",
                "email",
                "null",
                "Custom fields",
                "tier",
                "gold",
                "string",
                "Ctrl-s",
                "Ctrl-j raw JSON",
                "Ctrl-e $EDITOR",
                "save",
                "Invalid payload",
                "changed on the server",
            ] {
                assert!(screen.contains(text), "{w}×{h}: no {text:?} in\n{screen}");
            }
        }
    }

    #[test]
    fn shows_saving_errors_and_the_raw_view() {
        let mut e = Editor::new_channel();
        e.handle_key(KeyEvent::new(KeyCode::Char(':'), KeyModifiers::NONE));
        let screen = render(&e, 80, 24);
        assert!(screen.contains("New channel"), "{screen}");
        assert!(screen.contains("must not contain"), "{screen}");
        e.saving = true;
        assert!(render(&e, 80, 24).contains("Saving…"));
        e.saving = false;
        e.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
        e.handle_key(KeyEvent::new(KeyCode::Char('{'), KeyModifiers::NONE));
        let screen = render(&e, 80, 24);
        assert!(screen.contains("as JSON"), "{screen}");
        assert!(screen.contains("line 1, column"), "{screen}");
        assert!(screen.contains("back to rows"), "{screen}");
    }

    #[test]
    fn tiny_terminals_do_not_panic() {
        let mut e = Editor::edit_user(&user());
        e.server_error = Some("x".repeat(500));
        for (w, h) in [(40, 10), (20, 5), (1, 1), (0, 0)] {
            render(&e, w, h);
        }
        e.handle_key(KeyEvent::new(KeyCode::Char('j'), KeyModifiers::CONTROL));
        render(&e, 40, 10);
    }

    #[test]
    fn long_inputs_keep_the_cursor_in_view() {
        let mut e = Editor::new_user();
        for c in "a-very-long-user-id-".repeat(6).chars() {
            e.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE));
        }
        let screen = render(&e, 80, 24);
        assert!(screen.contains("long-user-id-"), "{screen}");
    }
}
