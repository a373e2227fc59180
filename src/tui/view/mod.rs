//! Drawing: `draw(frame, &app)` renders the whole screen from the state. Nothing here
//! changes state or does I/O; only visible rows are turned into widgets.

mod describe;
mod detail;
mod dialogs;
pub mod editor;
mod overlay;
mod status;
mod tables;

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::Frame;

use super::app::{App, Overlay};

/// Spinner frames, one per tick while something loads.
pub const SPINNER: [&str; 10] = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"];

pub(crate) fn accent() -> Style {
    Style::default().fg(Color::Cyan)
}

pub(crate) fn dim() -> Style {
    Style::default().fg(Color::DarkGray)
}

pub(crate) fn selected_style(focused: bool) -> Style {
    if focused {
        Style::default()
            .bg(Color::Blue)
            .fg(Color::White)
            .add_modifier(Modifier::BOLD)
    } else {
        Style::default().bg(Color::DarkGray).fg(Color::White)
    }
}

pub(crate) fn error_style() -> Style {
    Style::default().fg(Color::Red)
}

/// Draws the frame.
pub fn draw(frame: &mut Frame, app: &App) {
    let area = frame.area();
    if area.width < 20 || area.height < 5 {
        frame.render_widget(
            ratatui::widgets::Paragraph::new("appctx: the terminal is too small (20×5 at least)"),
            area,
        );
        return;
    }
    let panes = app.panes();
    status::draw_tabs(frame, app, panes.tabs);
    tables::draw_main_list(frame, app, panes.list);
    detail::draw_detail(frame, app, panes.detail);
    tables::draw_relations(frame, app, panes.relations);
    status::draw_status(frame, app, panes.status);
    match &app.overlay {
        Overlay::None => {}
        Overlay::Search => overlay::draw_search(frame, app, area),
        Overlay::Filter(input) => overlay::draw_filter(frame, input, area),
        Overlay::Command(line) => overlay::draw_command(frame, line, area),
        Overlay::Sort(picker) => overlay::draw_sort(frame, picker, area),
        Overlay::Help { query, scroll } => overlay::draw_help(frame, app, query, *scroll, area),
        Overlay::Log { scroll } => overlay::draw_log(frame, app, *scroll, area),
        Overlay::Editor(editor) => self::editor::draw(frame, editor, area),
        Overlay::Confirm(c) => dialogs::draw_confirm(frame, c, area),
        Overlay::Conflict(c) => dialogs::draw_conflict(frame, c, area),
        Overlay::Relations(r) => dialogs::draw_relations_editor(frame, r, area),
        Overlay::Report { title, lines } => dialogs::draw_report(frame, title, lines, area),
        Overlay::Describe(d) => describe::draw(frame, app, d),
    }
    if let Some(b) = &app.bulk {
        let rect = centered(area, 50, 3);
        frame.render_widget(ratatui::widgets::Clear, rect);
        frame.render_widget(
            ratatui::widgets::Paragraph::new(format!(
                "Removing {}/{}… ({} failed so far)",
                b.done + 1,
                b.total,
                b.failures.len()
            ))
            .block(ratatui::widgets::Block::bordered().border_style(accent())),
            rect,
        );
    }
    status::draw_toasts(frame, app, area);
}

/// A rectangle of at most `w`×`h` centred in `area`.
pub(crate) fn centered(area: Rect, w: u16, h: u16) -> Rect {
    let w = w.min(area.width);
    let h = h.min(area.height);
    Rect::new(
        area.x + (area.width - w) / 2,
        area.y + (area.height - h) / 2,
        w,
        h,
    )
}

/// Text cut to `max` display columns with an ellipsis (wide characters counted).
pub(crate) fn truncate(s: &str, max: usize) -> String {
    use unicode_width::UnicodeWidthChar;
    let mut out = String::new();
    let mut width = 0;
    for c in s.chars() {
        // Control, C1, bidi overrides and zero-width characters never reach the
        // terminal (the CLI uses the same rule).
        let c = if crate::text::is_unsafe(c) { ' ' } else { c };
        let cw = c.width().unwrap_or(0);
        if width + cw > max {
            if max > 0 {
                while width + 1 > max {
                    if let Some(p) = out.pop() {
                        width -= p.width().unwrap_or(0);
                    } else {
                        break;
                    }
                }
                out.push('…');
            }
            return out;
        }
        width += cw;
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use unicode_width::UnicodeWidthStr;

    #[test]
    fn truncate_counts_display_columns() {
        assert_eq!(truncate("hello", 10), "hello");
        assert_eq!(truncate("hello world", 5), "hell…");
        let cjk = truncate("田中結衣さん", 7);
        assert!(cjk.width() <= 7, "{cjk}");
        assert_eq!(truncate("a\nb", 5), "a b");
        // Bidi overrides and zero-width characters are blanked like controls.
        assert_eq!(truncate("a\u{202e}b\u{200b}c\u{1b}", 10), "a b c ");
    }
}
