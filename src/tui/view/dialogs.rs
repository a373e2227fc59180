//! Dialogs of the writing half: confirmation, conflict (theirs against mine), bulk
//! report, and the memberships / members editor with its picker.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::{accent, centered, dim, error_style, truncate};
use crate::tui::action::Source;
use crate::tui::edit::{Confirm, Conflict};
use crate::tui::relations_editor::{Mode, RelationEditor};

fn popup(frame: &mut Frame, rect: Rect, title: &str, color: Style) -> Rect {
    frame.render_widget(Clear, rect);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(color)
        .title(Span::styled(
            format!(" {title} "),
            color.add_modifier(Modifier::BOLD),
        ));
    let inner = block.inner(rect);
    frame.render_widget(block, rect);
    inner
}

/// The confirmation: what will happen, and the keys that do it.
pub fn draw_confirm(frame: &mut Frame, c: &Confirm, area: Rect) {
    let h = (c.lines.len() + c.choices.len() + 5) as u16;
    let rect = centered(area, 90, h);
    let inner = popup(frame, rect, &c.title, Style::default().fg(Color::Yellow));
    let mut lines: Vec<Line> = c.lines.iter().map(|l| Line::raw(l.clone())).collect();
    lines.push(Line::raw(""));
    for (k, label, _) in &c.choices {
        lines.push(Line::from(vec![
            Span::styled(
                format!(" {k} "),
                Style::default().fg(Color::Black).bg(Color::Yellow),
            ),
            Span::raw(format!(" {label}")),
        ]));
    }
    lines.push(Line::from(vec![
        Span::styled(" Esc ", Style::default().fg(Color::Black).bg(Color::Gray)),
        Span::raw(" cancel"),
    ]));
    frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), inner);
}

/// Theirs against mine, field by field.
pub fn draw_conflict(frame: &mut Frame, c: &Conflict, area: Rect) {
    let rows = c.rows();
    let rect = centered(area, 110, rows.len() as u16 + 9);
    let inner = popup(
        frame,
        rect,
        "Conflict: someone changed this record after you opened it",
        error_style(),
    );
    let w = (inner.width.saturating_sub(16) / 2) as usize;
    let mut table_rows: Vec<Row> = rows
        .iter()
        .map(|(field, theirs, mine, differs)| {
            let style = if *differs {
                Style::default().add_modifier(Modifier::BOLD)
            } else {
                dim()
            };
            let mark = if *differs { "≠" } else { " " };
            Row::new(vec![
                format!("{mark} {field}"),
                truncate(theirs, w),
                truncate(mine, w),
            ])
            .style(style)
        })
        .collect();
    table_rows.push(Row::new(vec![String::new(), String::new(), String::new()]));
    let header = Row::new(vec![
        "field",
        "theirs (now on the server)",
        "mine (in the editor)",
    ])
    .style(accent().add_modifier(Modifier::BOLD));
    let table_h = table_rows.len() as u16 + 1;
    let table = Table::new(
        table_rows,
        [
            Constraint::Length(14),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ],
    )
    .header(header);
    frame.render_widget(
        table,
        Rect::new(inner.x, inner.y, inner.width, table_h.min(inner.height)),
    );
    let keys = vec![
        Line::from(vec![
            Span::styled(" m ", Style::default().fg(Color::Black).bg(Color::Cyan)),
            Span::raw(" apply mine on top of theirs (save again with their eTag)"),
        ]),
        Line::from(vec![
            Span::styled(" t ", Style::default().fg(Color::Black).bg(Color::Cyan)),
            Span::raw(" take theirs (drop my changes)"),
        ]),
        Line::from(vec![
            Span::styled(" e ", Style::default().fg(Color::Black).bg(Color::Cyan)),
            Span::raw(" back to editing"),
        ]),
    ];
    let y = inner.y + table_h.min(inner.height);
    if y < inner.y + inner.height {
        frame.render_widget(
            Paragraph::new(keys),
            Rect::new(inner.x, y, inner.width, inner.y + inner.height - y),
        );
    }
}

/// A report (bulk removal results).
pub fn draw_report(frame: &mut Frame, title: &str, lines: &[String], area: Rect) {
    let rect = centered(area, 100, (lines.len() as u16 + 4).min(area.height));
    let inner = popup(frame, rect, title, accent());
    let mut text: Vec<Line> = lines.iter().map(|l| Line::raw(l.clone())).collect();
    text.push(Line::styled("Enter or Esc closes", dim()));
    frame.render_widget(Paragraph::new(text).wrap(Wrap { trim: false }), inner);
}

/// The memberships / members editor.
pub fn draw_relations_editor(frame: &mut Frame, e: &RelationEditor, area: Rect) {
    let title = match &e.source {
        Source::Memberships(u) => format!("Memberships of user {u}"),
        Source::Members(c) => format!("Members of channel {c}"),
        _ => "Relations".into(),
    };
    let rect = centered(
        area,
        area.width.saturating_sub(6).max(60),
        area.height.saturating_sub(4).max(12),
    );
    let inner = popup(frame, rect, &title, accent());
    if inner.height < 4 {
        return;
    }
    let footer_h = 3;
    let body = Rect::new(inner.x, inner.y, inner.width, inner.height - footer_h);
    let footer = Rect::new(
        inner.x,
        inner.y + inner.height - footer_h,
        inner.width,
        footer_h,
    );
    match &e.mode {
        Mode::Picker(p) => {
            let what = if matches!(e.source, Source::Memberships(_)) {
                "channels"
            } else {
                "users"
            };
            let mut lines = vec![Line::from(vec![
                Span::styled("filter: ", dim()),
                Span::raw(p.filter.text.clone()),
                Span::styled(if p.typing { "▏" } else { "" }, accent()),
            ])];
            if let Some(err) = &p.filter.error {
                lines.push(Line::styled(
                    format!("column {}: {}", err.column, err.message),
                    error_style(),
                ));
            } else {
                let loading = if p.pending.is_some() {
                    " (loading…)"
                } else {
                    ""
                };
                lines.push(Line::styled(
                    format!(
                        "{} of {} {what} loaded, {} chosen{loading}",
                        p.rows.len(),
                        p.total.map_or("?".into(), |t| t.to_string()),
                        p.chosen.len()
                    ),
                    dim(),
                ));
            }
            if let Some(err) = &p.error {
                lines.push(Line::styled(err.clone(), error_style()));
            }
            let list_h = body.height.saturating_sub(lines.len() as u16) as usize;
            let start = p.cursor.saturating_sub(list_h.saturating_sub(1));
            for (i, (id, name)) in p.rows.iter().enumerate().skip(start).take(list_h) {
                let chosen = if p.chosen.contains(id) { "[x]" } else { "[ ]" };
                let style = if i == p.cursor && !p.typing {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(
                    truncate(
                        &format!("{chosen} {id}  {}", name.clone().unwrap_or_default()),
                        body.width as usize,
                    ),
                    style,
                ));
            }
            frame.render_widget(Paragraph::new(lines), body);
            let hint = if p.typing {
                "type an App Context filter (Tab completes a field) · Enter applies · Esc back to the list"
            } else {
                "f edit filter · Space choose · Enter add the chosen · j/k move (more load as you scroll) · Esc back"
            };
            frame.render_widget(
                Paragraph::new(Line::styled(hint, dim())).wrap(Wrap { trim: true }),
                footer,
            );
            return;
        }
        Mode::Edit(f) => {
            let labels = ["status", "type", "custom (JSON object)"];
            let mut lines = vec![Line::styled(
                format!(
                    "Editing {}",
                    e.rows.get(f.row).map(|r| r.id.as_str()).unwrap_or("")
                ),
                accent(),
            )];
            for (i, label) in labels.iter().enumerate() {
                let cursor = if i == f.focus { "▏" } else { "" };
                let value = if f.inputs[i].is_empty() && i != f.focus {
                    Span::styled("null", dim())
                } else {
                    Span::raw(f.inputs[i].clone())
                };
                lines.push(Line::from(vec![
                    Span::styled(
                        format!("{label:<22}"),
                        if i == f.focus { accent() } else { dim() },
                    ),
                    value,
                    Span::styled(cursor, accent()),
                ]));
            }
            if let Some(err) = &f.error {
                lines.push(Line::styled(err.clone(), error_style()));
            }
            frame.render_widget(Paragraph::new(lines).wrap(Wrap { trim: false }), body);
            frame.render_widget(
                Paragraph::new(Line::styled(
                    "Tab next field · Enter apply · Esc cancel (empty = null)",
                    dim(),
                )),
                footer,
            );
            return;
        }
        Mode::Rows => {}
    }
    let height = body.height.saturating_sub(1) as usize;
    let start = e.cursor.saturating_sub(height.saturating_sub(1));
    let rows: Vec<Row> = e
        .rows
        .iter()
        .enumerate()
        .skip(start)
        .take(height)
        .map(|(i, r)| {
            let custom = r
                .fields
                .custom
                .as_ref()
                .map(|c| serde_json::to_string(c).unwrap_or_default())
                .unwrap_or_default();
            let mut style = match r.marker() {
                "−" => Style::default()
                    .fg(Color::Red)
                    .add_modifier(Modifier::CROSSED_OUT),
                "+" => Style::default().fg(Color::Green),
                "~" => Style::default().fg(Color::Yellow),
                _ => Style::default(),
            };
            if i == e.cursor {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Row::new(vec![
                r.marker().to_string(),
                r.id.clone(),
                r.name.clone().unwrap_or_default(),
                r.fields.status.clone().unwrap_or_default(),
                r.fields.kind.clone().unwrap_or_default(),
                custom,
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec!["", "id", "name", "status", "type", "custom"])
        .style(dim().add_modifier(Modifier::BOLD));
    let table = Table::new(
        rows,
        [
            Constraint::Length(1),
            Constraint::Fill(2),
            Constraint::Fill(2),
            Constraint::Length(9),
            Constraint::Length(9),
            Constraint::Fill(3),
        ],
    )
    .header(header);
    if e.rows.is_empty() {
        frame.render_widget(
            Paragraph::new(Line::styled("None yet: press a to add.", dim())),
            body,
        );
    } else {
        frame.render_widget(table, body);
    }
    let mut foot = vec![Line::styled(
        "a add · Space/d mark for removal · e edit status/type/custom · Ctrl-s save all as one call · Esc close",
        dim(),
    )];
    if e.saving {
        foot.insert(0, Line::styled("Saving…", accent()));
    }
    if let Some(err) = &e.error {
        foot.insert(0, Line::styled(err.clone(), error_style()));
    }
    frame.render_widget(Paragraph::new(foot).wrap(Wrap { trim: true }), footer);
}
