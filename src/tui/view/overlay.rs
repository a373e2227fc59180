//! Dialogs drawn over the panes: local search line, server filter editor, sort picker,
//! help (generated from the keymap, searchable) and the request log.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Row, Table};
use ratatui::Frame;

use super::{accent, centered, dim, error_style, truncate};
use crate::tui::app::{App, Focus, Relations, Tab};
use crate::tui::input::{FilterInput, SortPicker};

fn popup(frame: &mut Frame, rect: Rect, title: &str) -> Rect {
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(accent())
        .title(Span::styled(
            format!(" {title} "),
            accent().add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

fn bottom_bar(area: Rect, h: u16) -> Rect {
    let h = h.min(area.height.saturating_sub(1));
    Rect::new(
        area.x,
        area.y + area.height.saturating_sub(h + 1),
        area.width,
        h,
    )
}

/// `/text` at the bottom while typing a local search.
pub fn draw_search(frame: &mut Frame, app: &App, area: Rect) {
    fn state<T: crate::tui::list::RowData>(l: &crate::tui::list::ListState<T>) -> (String, String) {
        let server = if l.found_due > 0 || l.found_pending.is_some() {
            "searching the server…".to_string()
        } else if let Some(n) = l.found_total {
            format!("{n} on the server (Enter keeps them as the filter)")
        } else if l.search.trim().is_empty() || l.search.starts_with('!') || l.at_end() {
            String::new()
        } else {
            "searching the server…".to_string()
        };
        (l.search.clone(), server)
    }
    let (text, server) = match (app.focus, app.tab, &app.detail) {
        (Focus::Detail, _, Some(d)) => match &d.relations {
            Relations::Memberships(l) => state(l),
            Relations::Members(l) => state(l),
        },
        (_, Tab::Users, _) => state(&app.users),
        (_, Tab::Channels, _) => state(&app.channels),
    };
    let rect = bottom_bar(area, 3);
    let inner = popup(
        frame,
        rect,
        "Search (the server too, while the list is partly loaded; ! inverts, Enter keeps, Esc clears)",
    );
    frame.render_widget(
        Paragraph::new(Line::from(vec![
            Span::styled("/", accent()),
            Span::raw(crate::text::escape(&text).into_owned()),
            Span::styled("▏ ", accent()),
            Span::styled(server, dim()),
        ])),
        inner,
    );
}

/// The command line: what is typed, then the error or the commands.
pub fn draw_command(frame: &mut Frame, line: &crate::tui::command::CommandLine, area: Rect) {
    let rect = bottom_bar(area, 4);
    let inner = popup(
        frame,
        rect,
        "Command (Enter runs, Tab completes, ↑↓ history, Esc cancels)",
    );
    let width = inner.width as usize;
    let text = line.input.text();
    let cursor = line.input.cursor();
    let skip = cursor.saturating_sub(width.saturating_sub(3));
    let shown: String = text.chars().skip(skip).collect();
    let col = cursor - skip;
    let before: String = shown.chars().take(col).collect();
    let after: String = shown.chars().skip(col).collect();
    let mut lines = vec![Line::from(vec![
        Span::styled(":", accent()),
        Span::raw(truncate(&before, usize::MAX)),
        Span::styled("▏", accent()),
        Span::raw(truncate(&after, usize::MAX)),
    ])];
    lines.push(match &line.error {
        Some(e) => Line::styled(truncate(e, width), error_style()),
        None => Line::styled(
            truncate(
                &crate::tui::command::COMMANDS
                    .iter()
                    .map(|(c, _)| *c)
                    .collect::<Vec<_>>()
                    .join("  "),
                width,
            ),
            dim(),
        ),
    });
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The server filter editor with the parse error under its column.
pub fn draw_filter(frame: &mut Frame, input: &FilterInput, area: Rect) {
    let rect = bottom_bar(area, 6);
    let title = format!(
        "Server filter for {} (Enter applies, Tab completes, ↑↓ history, Esc cancels)",
        input.target
    );
    let inner = popup(frame, rect, &title);
    let width = inner.width as usize;
    // Keep the cursor in view on long filters.
    let skip = input.cursor.saturating_sub(width.saturating_sub(2));
    let shown: String = input.text.chars().skip(skip).collect();
    let cursor_col = input.cursor - skip;
    let before: String = shown.chars().take(cursor_col).collect();
    let after: String = shown.chars().skip(cursor_col).collect();
    let mut lines = vec![Line::from(vec![
        Span::raw(before),
        Span::styled("▏", accent()),
        Span::raw(after),
    ])];
    match &input.error {
        Some(e) => {
            let col = e.column.saturating_sub(1).saturating_sub(skip);
            lines.push(Line::styled(
                format!("{}^", " ".repeat(col.min(width.saturating_sub(1)))),
                error_style(),
            ));
            lines.push(Line::styled(
                truncate(&format!("column {}: {}", e.column, e.message), width),
                error_style(),
            ));
        }
        None if input.text.trim().is_empty() => {
            lines.push(Line::styled("(empty: no server filter)", dim()));
        }
        None => lines.push(Line::styled(
            "✓ valid",
            Style::default().fg(ratatui::style::Color::Green),
        )),
    }
    let candidates = input.candidates();
    if !candidates.is_empty() {
        lines.push(Line::styled(
            truncate(&format!("Tab: {}", candidates.join("  ")), width),
            dim(),
        ));
    }
    frame.render_widget(Paragraph::new(lines), inner);
}

/// The sort picker.
pub fn draw_sort(frame: &mut Frame, picker: &SortPicker, area: Rect) {
    let h = picker.fields.len() as u16 + 4;
    let rect = centered(area, 56, h);
    let inner = popup(frame, rect, &format!("Sort {}", picker.target));
    let mut lines: Vec<Line> = picker
        .fields
        .iter()
        .enumerate()
        .map(|(i, (name, dir))| {
            let rank = picker.order.iter().position(|&o| o == i);
            let mark = match (dir, rank) {
                (Some(false), Some(r)) => format!("{}. asc ", r + 1),
                (Some(true), Some(r)) => format!("{}. desc", r + 1),
                _ => "   ·   ".to_string(),
            };
            let style = if i == picker.cursor {
                Style::default().add_modifier(Modifier::REVERSED)
            } else {
                Style::default()
            };
            Line::styled(format!(" {mark:<8} {name}"), style)
        })
        .collect();
    lines.push(Line::styled(
        " Space: off → asc → desc   Enter: apply   Esc: cancel",
        dim(),
    ));
    frame.render_widget(Paragraph::new(lines), inner);
}

/// Help, generated from the keymap and filtered by what was typed.
pub fn draw_help(frame: &mut Frame, app: &App, query: &str, scroll: usize, area: Rect) {
    let rect = centered(area, 100, area.height.saturating_sub(2));
    let title = if query.is_empty() {
        "Help: every key of every mode; type to search, Esc closes".to_string()
    } else {
        format!("Help: {query}")
    };
    let inner = popup(frame, rect, &title);
    let q = query.to_lowercase();
    let mut lines: Vec<Row> = Vec::new();
    let mut last_mode = None;
    for (mode, k, d) in crate::tui::help::rows(&app.keymap) {
        let hit = q.is_empty()
            || k.to_lowercase().contains(&q)
            || d.to_lowercase().contains(&q)
            || mode.title().to_lowercase().contains(&q);
        if !hit {
            continue;
        }
        if last_mode != Some(mode) {
            last_mode = Some(mode);
            lines.push(Row::new(vec![
                Span::styled(mode.title(), accent().add_modifier(Modifier::BOLD)),
                Span::raw(""),
            ]));
        }
        lines.push(Row::new(vec![Span::styled(k, accent()), Span::raw(d)]));
    }
    let empty = lines.is_empty();
    let rows: Vec<Row> = lines.into_iter().skip(scroll).collect();
    frame.render_widget(
        Table::new(rows, [Constraint::Length(26), Constraint::Fill(1)]),
        inner,
    );
    if empty {
        frame.render_widget(
            Paragraph::new(Line::styled("No key matches.", dim())),
            inner,
        );
    }
}

/// The request log, newest at the bottom.
pub fn draw_log(frame: &mut Frame, app: &App, scroll: usize, area: Rect) {
    let rect = centered(
        area,
        area.width.saturating_sub(4),
        area.height.saturating_sub(2),
    );
    let inner = popup(
        frame,
        rect,
        &format!(
            "Request log ({} calls; j/k scroll, Esc closes)",
            app.log.len()
        ),
    );
    if app.log.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("No requests yet.", dim())),
            inner,
        );
        return;
    }
    let h = inner.height.saturating_sub(1) as usize;
    let last_start = app.log.len().saturating_sub(h);
    let start = scroll.min(last_start);
    let path_w = (inner.width as usize).saturating_sub(30).max(10);
    let rows: Vec<Row> = app.log[start..(start + h).min(app.log.len())]
        .iter()
        .map(|e| {
            let status = e
                .status
                .map(|s| s.to_string())
                .unwrap_or_else(|| "—".into());
            let style = match e.status {
                Some(s) if s < 400 => Style::default(),
                _ => error_style(),
            };
            let mut text = e.path.clone();
            if let Some(err) = &e.error {
                text = format!("{text}  {err}");
            }
            Row::new(vec![
                e.method.clone(),
                truncate(&text, path_w),
                status,
                format!("{} ms", e.millis),
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec!["method", "path", "status", "time"])
        .style(dim().add_modifier(Modifier::BOLD));
    frame.render_widget(
        Table::new(
            rows,
            [
                Constraint::Length(6),
                Constraint::Fill(1),
                Constraint::Length(6),
                Constraint::Length(9),
            ],
        )
        .header(header),
        inner,
    );
}
