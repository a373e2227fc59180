//! The users/channels list and the memberships/members list: only the rows inside the
//! window are built.

use ratatui::layout::{Constraint, Rect};
use ratatui::style::{Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Paragraph, Row, Table, Wrap};
use ratatui::Frame;

use super::{accent, dim, error_style, selected_style, truncate, SPINNER};
use crate::api::types::{Channel, Custom, Maybe, Member, Membership, Related, User};
use crate::filter::Target;
use crate::tui::app::{App, Focus, Relations, Tab};
use crate::tui::columns;
use crate::tui::list::{ListState, RowData};

fn opt(v: &Option<String>) -> String {
    v.clone().unwrap_or_default()
}

fn maybe(v: &Maybe<String>) -> String {
    v.as_ref().cloned().unwrap_or_default()
}

/// A compact one-line rendering of a custom map.
pub(crate) fn custom_line(c: &Maybe<Custom>) -> String {
    match c {
        Maybe::Value(m) if !m.is_empty() => m
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(" "),
        _ => String::new(),
    }
}

/// Columns of a table: header, share of width, and how to render a row.
struct Column<'a, T> {
    title: String,
    width: Constraint,
    cell: Box<dyn Fn(&T) -> String + 'a>,
}

fn user_columns(app: &App, width: u16) -> Vec<Column<'static, User>> {
    app.columns
        .for_tab(Target::Users, width)
        .into_iter()
        .map(|c| Column {
            title: c.title(),
            width: c.width(),
            cell: Box::new(move |u: &User| columns::user_cell(&c, u)),
        })
        .collect()
}

fn channel_columns(app: &App, width: u16) -> Vec<Column<'static, Channel>> {
    app.columns
        .for_tab(Target::Channels, width)
        .into_iter()
        .map(|c| Column {
            title: c.title(),
            width: c.width(),
            cell: Box::new(move |ch: &Channel| columns::channel_cell(&c, ch)),
        })
        .collect()
}

fn membership_columns(width: u16) -> Vec<Column<'static, Membership>> {
    let mut cols = vec![
        Column {
            title: "channel".into(),
            width: Constraint::Fill(3),
            cell: Box::new(|m: &Membership| columns::marked_id(m.channel.id())),
        },
        Column {
            title: "name".into(),
            width: Constraint::Fill(3),
            cell: Box::new(|m: &Membership| match &m.channel {
                Related::Expanded(c) => opt(&c.name),
                Related::Id { .. } => String::new(),
            }),
        },
        Column {
            title: "status".into(),
            width: Constraint::Length(8),
            cell: Box::new(|m: &Membership| maybe(&m.status)),
        },
        Column {
            title: "type".into(),
            width: Constraint::Length(9),
            cell: Box::new(|m: &Membership| maybe(&m.kind)),
        },
    ];
    if width >= 60 {
        cols.push(Column {
            title: "custom".into(),
            width: Constraint::Fill(4),
            cell: Box::new(|m: &Membership| custom_line(&m.custom)),
        });
    }
    cols
}

fn member_columns(width: u16) -> Vec<Column<'static, Member>> {
    let mut cols = vec![
        Column {
            title: "user".into(),
            width: Constraint::Fill(3),
            cell: Box::new(|m: &Member| columns::marked_id(m.uuid.id())),
        },
        Column {
            title: "name".into(),
            width: Constraint::Fill(3),
            cell: Box::new(|m: &Member| match &m.uuid {
                Related::Expanded(u) => opt(&u.name),
                Related::Id { .. } => String::new(),
            }),
        },
        Column {
            title: "status".into(),
            width: Constraint::Length(8),
            cell: Box::new(|m: &Member| maybe(&m.status)),
        },
        Column {
            title: "type".into(),
            width: Constraint::Length(9),
            cell: Box::new(|m: &Member| maybe(&m.kind)),
        },
    ];
    if width >= 60 {
        cols.push(Column {
            title: "custom".into(),
            width: Constraint::Fill(4),
            cell: Box::new(|m: &Member| custom_line(&m.custom)),
        });
    }
    cols
}

fn title_for<T: RowData>(name: &str, list: &ListState<T>, spinner: usize) -> Line<'static> {
    let mut spans = vec![Span::styled(
        format!(" {name} "),
        accent().add_modifier(Modifier::BOLD),
    )];
    spans.push(Span::raw(format!("{} ", list.counts())));
    if list.new_rows > 0 {
        spans.push(Span::styled(
            format!("{} new — r to load ", list.new_rows),
            ratatui::style::Style::default().fg(ratatui::style::Color::Yellow),
        ));
    }
    if list.pending.is_some() {
        spans.push(Span::styled(
            format!("{} ", SPINNER[spinner % SPINNER.len()]),
            accent(),
        ));
    }
    if !list.search.is_empty() {
        spans.push(Span::styled(format!("/{} ", list.search), accent()));
    }
    if let Some(f) = &list.filter {
        spans.push(Span::styled(format!("filter: {} ", truncate(f, 40)), dim()));
    }
    if !list.sort.is_empty() {
        let keys: Vec<String> = list.sort.iter().map(ToString::to_string).collect();
        spans.push(Span::styled(format!("sort: {} ", keys.join(",")), dim()));
    }
    Line::from(spans)
}

/// A table's title, focus and what it says when empty.
struct Chrome {
    title: Line<'static>,
    focused: bool,
    empty_text: &'static str,
}

fn draw_table<T: RowData>(
    frame: &mut Frame,
    area: Rect,
    list: &ListState<T>,
    cols: Vec<Column<'_, T>>,
    chrome: Chrome,
    app: &App,
) {
    let Chrome {
        title,
        focused,
        empty_text,
    } = chrome;
    let border = if focused { accent() } else { dim() };
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(if focused {
            BorderType::Thick
        } else {
            BorderType::Plain
        })
        .border_style(border)
        .title(title);
    let inner = block.inner(area);
    if let Some(err) = &list.error {
        let mut text = vec![
            Line::styled(format!("Could not load: {}", err.message), error_style()),
            Line::raw(""),
        ];
        if err.status == Some(403) {
            for l in
                crate::tui::access::explain_list_refusal(app.session.access.as_ref(), &list.source)
            {
                text.push(Line::raw(l));
            }
            text.push(Line::raw(""));
        }
        text.push(Line::styled(
            "Press r to retry, L for the request log.",
            dim(),
        ));
        frame.render_widget(
            Paragraph::new(text).wrap(Wrap { trim: true }).block(block),
            area,
        );
        return;
    }
    if list.visible.is_empty() {
        let text = if list.pending.is_some() {
            "Loading…".to_string()
        } else if !list.rows.is_empty() && !list.exhausted && list.next.is_some() {
            format!(
                "No loaded row matches (the list holds {} of {}): Enter searches the server, Esc clears.",
                list.rows.len(),
                list.total.map_or("?".to_string(), |t| t.to_string())
            )
        } else if !list.rows.is_empty() {
            "No row matches the search (Esc clears it).".to_string()
        } else {
            empty_text.to_string()
        };
        frame.render_widget(Paragraph::new(Line::styled(text, dim())).block(block), area);
        return;
    }
    let height = inner.height.saturating_sub(1) as usize;
    let start = list.scroll.min(list.visible.len());
    let end = (start + height).min(list.visible.len());
    let widths: Vec<Constraint> = cols.iter().map(|c| c.width).collect();
    let col_widths = ratatui::layout::Layout::horizontal(widths.clone())
        .spacing(1)
        .split(Rect::new(0, 0, inner.width, 1));
    let rows: Vec<Row> = list.visible[start..end]
        .iter()
        .enumerate()
        .filter_map(|(i, &idx)| list.row(idx).map(|row| (i, idx, row)))
        .map(|(i, idx, row)| {
            let marked = list.marked.contains(row.row_id());
            let found = list.is_found(idx);
            let cells: Vec<String> = cols
                .iter()
                .zip(col_widths.iter())
                .enumerate()
                .map(|(ci, (c, r))| {
                    let text = (c.cell)(row);
                    let text = match (ci, marked, found) {
                        (0, true, _) => format!("● {text}"),
                        // Found by the server search, not among the loaded rows.
                        (0, false, true) => format!("⌕ {text}"),
                        _ => text,
                    };
                    truncate(&text, r.width as usize)
                })
                .collect();
            let id = row.row_id();
            let mut style = if start + i == list.selected {
                selected_style(focused)
            } else {
                Style::default()
            };
            if row.soft_deleted() {
                style = style
                    .fg(ratatui::style::Color::DarkGray)
                    .add_modifier(Modifier::ITALIC);
            }
            if app.removed.contains(id) {
                style = style
                    .fg(ratatui::style::Color::Red)
                    .add_modifier(Modifier::CROSSED_OUT);
            } else if app.flash.contains_key(id) {
                style = style
                    .fg(ratatui::style::Color::Yellow)
                    .add_modifier(Modifier::BOLD);
            }
            Row::new(cells).style(style)
        })
        .collect();
    let header =
        Row::new(cols.iter().map(|c| c.title.clone())).style(dim().add_modifier(Modifier::BOLD));
    frame.render_widget(
        Table::new(rows, widths)
            .header(header)
            .column_spacing(1)
            .block(block),
        area,
    );
}

/// The Users or Channels list.
pub fn draw_main_list(frame: &mut Frame, app: &App, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let focused = app.focus == Focus::List;
    match app.tab {
        Tab::Users => draw_table(
            frame,
            area,
            &app.users,
            user_columns(app, area.width),
            Chrome {
                title: title_for("Users", &app.users, app.spinner),
                focused,
                empty_text: "No users in this keyset (or none match the server filter).",
            },
            app,
        ),
        Tab::Channels => draw_table(
            frame,
            area,
            &app.channels,
            channel_columns(app, area.width),
            Chrome {
                title: title_for("Channels", &app.channels, app.spinner),
                focused,
                empty_text: "No channels in this keyset (or none match the server filter).",
            },
            app,
        ),
    }
}

/// The memberships or members of the detail.
pub fn draw_relations(frame: &mut Frame, app: &App, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let Some(detail) = &app.detail else {
        return;
    };
    let focused = app.focus == Focus::Detail;
    match &detail.relations {
        Relations::Memberships(l) => draw_table(
            frame,
            area,
            l,
            membership_columns(area.width),
            Chrome {
                title: title_for("Memberships", l, app.spinner),
                focused,
                empty_text: "Not a member of any channel.",
            },
            app,
        ),
        Relations::Members(l) => draw_table(
            frame,
            area,
            l,
            member_columns(area.width),
            Chrome {
                title: title_for("Members", l, app.spinner),
                focused,
                empty_text: "No members.",
            },
            app,
        ),
    }
}
