//! Dialogs of the writing half: confirmation, conflict (theirs against mine), bulk
//! report, and the memberships / members editor with its picker.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::{accent, centered, dim, error_style, truncate};
use crate::tui::action::Source;
use crate::tui::edit::{show_value, Choice, Confirm, Conflict, Outcome};
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

/// The three-way merge: every field and custom key somebody changed, theirs, mine and
/// what the merge keeps; real conflicts marked with the choice; the selected row's
/// values whole underneath.
pub fn draw_conflict(frame: &mut Frame, c: &Conflict, area: Rect) {
    let shown = c.shown();
    let conflicts = c.merge.conflicts();
    let detail_h = 5u16;
    let want = shown.len() as u16 + detail_h + 5;
    let rect = centered(area, 120, want.min(area.height));
    let title = match conflicts {
        0 => "Changed on the server meanwhile: no field was changed by both".to_string(),
        1 => "Conflict: 1 field changed by both you and them".to_string(),
        n => format!("Conflict: {n} fields changed by both you and them"),
    };
    let inner = popup(frame, rect, &title, error_style());
    let keys_h = 2u16;
    let table_h = inner
        .height
        .saturating_sub(keys_h + detail_h)
        .max(2)
        .min(shown.len() as u16 + 1);
    let fw = 18usize;
    let w = (inner.width as usize).saturating_sub(fw + 6) / 3;
    let rows: Vec<Row> = shown
        .iter()
        .enumerate()
        .map(|(pos, &i)| {
            let slot = &c.merge.slots[i];
            let (label, style) = match slot.outcome {
                Outcome::Same => ("same", dim()),
                Outcome::Mine => ("mine", Style::default()),
                Outcome::Theirs => ("theirs", Style::default()),
                Outcome::Conflict(Choice::Mine) => ("CONFLICT → mine", error_style()),
                Outcome::Conflict(Choice::Theirs) => ("CONFLICT → theirs", error_style()),
            };
            let mut style = style;
            if pos == c.selected {
                style = style.add_modifier(Modifier::REVERSED);
            }
            Row::new(vec![
                truncate(&slot.name, fw),
                truncate(&show_value(&slot.theirs), w),
                truncate(&show_value(&slot.mine), w),
                truncate(&format!("{label}: {}", show_value(slot.result())), w),
            ])
            .style(style)
        })
        .collect();
    let header = Row::new(vec![
        "field",
        "theirs (server now)",
        "mine (editor)",
        "saved",
    ])
    .style(accent().add_modifier(Modifier::BOLD));
    // Keep the selected row in the window.
    let window = table_h.saturating_sub(1) as usize;
    let skip = (c.selected + 1).saturating_sub(window.max(1));
    let rows: Vec<Row> = rows.into_iter().skip(skip).collect();
    let table = Table::new(
        rows,
        [
            Constraint::Length(fw as u16),
            Constraint::Fill(1),
            Constraint::Fill(1),
            Constraint::Fill(1),
        ],
    )
    .header(header);
    frame.render_widget(table, Rect::new(inner.x, inner.y, inner.width, table_h));
    // The selected slot, every value whole.
    let mut y = inner.y + table_h;
    if let Some(i) = c.selected_slot() {
        let s = &c.merge.slots[i];
        let lines = vec![
            Line::styled(format!("{}:", s.name), accent()),
            Line::raw(format!(
                "  when opened: {}",
                truncate(&show_value(&s.base), usize::MAX)
            )),
            Line::raw(format!(
                "  theirs:      {}",
                truncate(&show_value(&s.theirs), usize::MAX)
            )),
            Line::raw(format!(
                "  mine:        {}",
                truncate(&show_value(&s.mine), usize::MAX)
            )),
        ];
        let h = detail_h.min((inner.y + inner.height).saturating_sub(y + keys_h));
        frame.render_widget(
            Paragraph::new(lines).wrap(Wrap { trim: false }),
            Rect::new(inner.x, y, inner.width, h),
        );
        y += h;
    }
    let key = |k: &str, text: &str| {
        vec![
            Span::styled(
                format!(" {k} "),
                Style::default().fg(Color::Black).bg(Color::Cyan),
            ),
            Span::raw(format!(" {text}  ")),
        ]
    };
    let mut first = key("m", "save the merge (their eTag)");
    first.extend(key("t", "take theirs, drop mine"));
    first.extend(key("e", "edit the merge"));
    let mut second = key("↑↓", "field");
    second.extend(key("←/→/Space", "conflict: theirs / mine"));
    second.extend(key("Esc", "edit the merge"));
    let keys = vec![Line::from(first), Line::from(second)];
    if y < inner.y + inner.height {
        frame.render_widget(
            Paragraph::new(keys).wrap(Wrap { trim: true }),
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
                Span::styled(
                    if p.filter.plain && !p.filter.text.trim_start().starts_with('=') {
                        "search: "
                    } else {
                        "filter: "
                    },
                    dim(),
                ),
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
            let already = if what == "channels" {
                "already a member"
            } else {
                "already in the channel"
            };
            for (i, (id, name)) in p.rows.iter().enumerate().skip(start).take(list_h) {
                let existing = e.rows.iter().any(|r| &r.id == id && r.original.is_some());
                let chosen = if existing {
                    "[=]"
                } else if p.chosen.contains(id) {
                    "[x]"
                } else {
                    "[ ]"
                };
                let name = match (existing, name) {
                    (true, Some(n)) => Some(format!("{n}  ({already})")),
                    (true, None) => Some(format!("({already})")),
                    (false, n) => n.clone(),
                };
                let style = if i == p.cursor && !p.typing {
                    Style::default().add_modifier(Modifier::REVERSED)
                } else {
                    Style::default()
                };
                lines.push(Line::styled(
                    truncate(
                        &format!("{chosen} {id}  {}", name.unwrap_or_default()),
                        body.width as usize,
                    ),
                    style,
                ));
            }
            frame.render_widget(Paragraph::new(lines), body);
            let hint = if p.typing {
                "type to search ids and names, or =EXPR for an App Context filter · Enter applies · Esc back to the list"
            } else {
                "/ search · Space choose and move down · Enter add the chosen · j/k move (more load as you scroll) · Esc back"
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
