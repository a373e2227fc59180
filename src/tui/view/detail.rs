//! The detail pane: every field of the selected user or channel, its eTag and
//! `updated`, and its custom map as a key | value | type table.

use ratatui::layout::{Constraint, Layout, Rect};
use ratatui::style::Modifier;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Paragraph, Row, Table};
use ratatui::Frame;

use super::{accent, dim, error_style, truncate, SPINNER};
use crate::api::types::{Custom, Maybe};
use crate::tui::action::{Entity, EntityKind};
use crate::tui::app::App;

fn field(name: &'static str, value: Option<&str>, width: usize) -> Line<'static> {
    let v = match value {
        Some(v) => Span::raw(truncate(v, width.saturating_sub(14))),
        None => Span::styled("null", dim()),
    };
    Line::from(vec![
        Span::styled(format!("{name:<12}"), dim()),
        Span::raw(" "),
        v,
    ])
}

fn maybe(m: &Maybe<String>) -> Option<&str> {
    m.as_ref().map(String::as_str)
}

/// The type column of the custom table.
pub(crate) fn value_type(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::String(_) => "string",
        serde_json::Value::Number(n) if n.is_f64() => "number",
        serde_json::Value::Number(_) => "integer",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Null => "null",
        _ => "invalid",
    }
}

fn value_text(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// The fields the detail shows, named, and the custom map.
fn fields(e: &Entity) -> (Vec<(&'static str, Option<&str>)>, &Maybe<Custom>) {
    match e {
        Entity::User(u) => (
            vec![
                ("name", u.name.as_deref()),
                ("email", u.email.as_deref()),
                ("externalId", u.external_id.as_deref()),
                ("profileUrl", u.profile_url.as_deref()),
                ("status", maybe(&u.status)),
                ("type", maybe(&u.kind)),
                ("updated", Some(&u.updated)),
                ("eTag", Some(&u.etag)),
            ],
            &u.custom,
        ),
        Entity::Channel(c) => (
            vec![
                ("name", c.name.as_deref()),
                ("description", c.description.as_deref()),
                ("status", maybe(&c.status)),
                ("type", maybe(&c.kind)),
                ("updated", Some(&c.updated)),
                ("eTag", Some(&c.etag)),
            ],
            &c.custom,
        ),
    }
}

/// Whether the detail shows every field and custom entry of `entity` whole in `inner`.
fn fits(entity: Option<&Entity>, inner: Rect) -> bool {
    let value_w = (inner.width as usize).saturating_sub(14);
    let w = |s: &str| unicode_width::UnicodeWidthStr::width(s);
    let Some(entity) = entity else { return true };
    let (named, custom) = fields(entity);
    let values: Vec<Option<&str>> = named.iter().map(|(_, v)| *v).collect();
    let custom_rows = match custom {
        Maybe::Value(m) if !m.is_empty() => m.len() + 1,
        _ => 1,
    };
    let custom_cut = match custom {
        Maybe::Value(m) => {
            let key_w = m.keys().map(|k| w(k)).max().unwrap_or(3).clamp(3, 24);
            let val_w = (inner.width as usize).saturating_sub(key_w.max(10) + 10);
            m.iter()
                .any(|(k, v)| w(k) > key_w || w(&value_text(v)) > val_w)
        }
        _ => false,
    };
    values.len() + custom_rows <= inner.height as usize
        && !custom_cut
        && values.iter().flatten().all(|v| w(v) <= value_w)
}

/// Draws the detail of the open user or channel.
pub fn draw_detail(frame: &mut Frame, app: &App, area: Rect) {
    if area.width == 0 || area.height == 0 {
        return;
    }
    let Some(d) = &app.detail else {
        let block = Block::default()
            .borders(Borders::ALL)
            .border_style(dim())
            .title(" Detail ");
        frame.render_widget(
            Paragraph::new(Line::styled("Nothing selected.", dim())).block(block),
            area,
        );
        return;
    };
    let noun = match d.kind {
        EntityKind::User => "User",
        EntityKind::Channel => "Channel",
    };
    let mut title = vec![Span::styled(
        format!(" {noun} "),
        accent().add_modifier(Modifier::BOLD),
    )];
    title.push(Span::raw(format!("{} ", truncate(&d.id, 60))));
    if d.pending.is_some() {
        title.push(Span::styled(
            format!("{} ", SPINNER[app.spinner % SPINNER.len()]),
            accent(),
        ));
    }
    let soft_deleted = match &d.entity {
        Some(Entity::User(u)) => crate::tui::list::RowData::soft_deleted(u),
        Some(Entity::Channel(c)) => crate::tui::list::RowData::soft_deleted(c),
        None => false,
    };
    if soft_deleted {
        title.push(Span::styled("soft-deleted (Chat SDK) ", dim()));
    }
    if crate::api::rules::is_internal_id(&d.id) {
        title.push(Span::styled(
            "⚙ kept by the Chat SDK ",
            ratatui::style::Style::default().fg(ratatui::style::Color::Magenta),
        ));
    }
    if app.removed.contains(&d.id) {
        title.push(Span::styled("removed on the server ", error_style()));
    } else if app.flash.contains_key(&d.id) {
        title.push(Span::styled(
            "changed on the server ",
            ratatui::style::Style::default().fg(ratatui::style::Color::Yellow),
        ));
    }
    let block = Block::default()
        .borders(Borders::ALL)
        .border_style(dim())
        .title(Line::from(title));
    let inner = block.inner(area);
    // Whatever does not fit (a small terminal, a long value, a big custom map) is one
    // key away, whole.
    let block = if d.entity.is_some() && !fits(d.entity.as_ref(), inner) {
        block.title_bottom(
            Line::styled(
                format!(
                    " {} shows it whole ",
                    app.keymap.hint(crate::tui::keymap::Intent::Describe)
                ),
                accent(),
            )
            .right_aligned(),
        )
    } else {
        block
    };
    frame.render_widget(block, area);
    let w = inner.width as usize;
    let (lines, custom): (Vec<Line>, &Maybe<Custom>) = match &d.entity {
        None => {
            let mut msg = match &d.error {
                Some(e) => vec![Line::styled(
                    format!("Could not load: {} (r retries)", e.message),
                    error_style(),
                )],
                None => vec![Line::styled("Loading…", dim())],
            };
            if d.error.as_ref().is_some_and(|e| e.status == Some(403)) {
                if let Some(why) = crate::tui::access::explain_record_refusal(
                    app.session.access.as_ref(),
                    d.kind,
                    &d.id,
                ) {
                    msg.push(Line::raw(why));
                }
            }
            frame.render_widget(
                Paragraph::new(msg).wrap(ratatui::widgets::Wrap { trim: true }),
                inner,
            );
            return;
        }
        Some(e) => {
            let (named, custom) = fields(e);
            let lines = named.into_iter().map(|(n, v)| field(n, v, w)).collect();
            (lines, custom)
        }
    };
    let n = lines.len() as u16;
    let [top, bottom] =
        Layout::vertical([Constraint::Length(n.min(inner.height)), Constraint::Fill(1)])
            .areas(inner);
    frame.render_widget(Paragraph::new(lines), top);
    if bottom.height == 0 {
        return;
    }
    match custom {
        Maybe::Value(map) if !map.is_empty() => {
            let key_w = map
                .keys()
                .map(|k| k.chars().count())
                .max()
                .unwrap_or(3)
                .clamp(3, 24) as u16;
            let val_w = (bottom.width.saturating_sub(key_w + 10)) as usize;
            let rows: Vec<Row> = map
                .iter()
                .map(|(k, v)| {
                    Row::new(vec![
                        truncate(k, key_w as usize),
                        truncate(&value_text(v), val_w),
                        value_type(v).to_string(),
                    ])
                })
                .collect();
            let header = Row::new(vec!["custom key", "value", "type"])
                .style(dim().add_modifier(Modifier::BOLD));
            let table = Table::new(
                rows,
                [
                    Constraint::Length(key_w.max(10)),
                    Constraint::Fill(1),
                    Constraint::Length(7),
                ],
            )
            .header(header)
            .column_spacing(1);
            frame.render_widget(table, bottom);
        }
        Maybe::Value(_) => frame.render_widget(
            Paragraph::new(Line::styled("custom: {} (empty)", dim())),
            bottom,
        ),
        _ => frame.render_widget(Paragraph::new(Line::styled("custom: null", dim())), bottom),
    }
}
