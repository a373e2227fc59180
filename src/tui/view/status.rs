//! The tab bar, the status bar and the toasts.

use ratatui::layout::Rect;
use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Borders, Clear, Paragraph, Wrap};
use ratatui::Frame;

use super::{accent, dim, SPINNER};
use crate::tui::app::{App, Backend, Focus, Relations, Tab};

/// `Users | Channels` with the current one highlighted.
pub fn draw_tabs(frame: &mut Frame, app: &App, area: Rect) {
    let tab = |t: Tab, label: &'static str, key: &'static str| {
        let style = if app.tab == t {
            Style::default()
                .fg(Color::Black)
                .bg(Color::Cyan)
                .add_modifier(Modifier::BOLD)
        } else {
            dim()
        };
        Span::styled(format!(" {key} {label} "), style)
    };
    let mut spans = vec![
        Span::styled(" appctx ", accent().add_modifier(Modifier::BOLD)),
        tab(Tab::Users, "Users", "1"),
        Span::raw(" "),
        tab(Tab::Channels, "Channels", "2"),
    ];
    if !app.history.is_empty() {
        spans.push(Span::styled(
            format!("  ← {} back (Esc)", app.history.len()),
            dim(),
        ));
    }
    frame.render_widget(Paragraph::new(Line::from(spans)), area);
}

/// Keyset, backend, counts, filter and sort of the focused list, key hints.
pub fn draw_status(frame: &mut Frame, app: &App, area: Rect) {
    let mut spans = Vec::new();
    if app.busy() {
        spans.push(Span::styled(
            format!("{} ", SPINNER[app.spinner % SPINNER.len()]),
            accent(),
        ));
    }
    // The origin only when there is room: the list's state comes first.
    let (name, counts, filter, sort) = focused_summary(app);
    let state_w =
        name.len() + counts.len() + filter.as_ref().map_or(0, |f| f.len() + 12) + sort.len() + 12;
    let roomy = area.width as usize >= state_w + 70;
    let backend = match &app.session.backend {
        Backend::Local => "local server".to_string(),
        Backend::LocalServer(origin) if roomy => format!(
            "local server {}",
            origin
                .trim_start_matches("http://")
                .trim_start_matches("https://")
        ),
        Backend::LocalServer(_) => "local server".to_string(),
        Backend::PubNub(origin) if roomy => format!("PubNub {origin}"),
        Backend::PubNub(_) => "PubNub".to_string(),
    };
    spans.push(Span::styled(
        format!("keyset {} ", app.session.keyset),
        Style::default().add_modifier(Modifier::BOLD),
    ));
    spans.push(Span::styled(format!("({backend}) "), dim()));
    let (live, live_style) = match &app.live {
        crate::tui::live::LiveState::Live => ("● live", Style::default().fg(Color::Green)),
        crate::tui::live::LiveState::Reconnecting(_) => {
            ("◌ reconnecting", Style::default().fg(Color::Yellow))
        }
        crate::tui::live::LiveState::Off => ("○ off", dim()),
    };
    spans.push(Span::styled(format!("{live} "), live_style));
    if let Some(a) = &app.session.access {
        let (text, warn) = a.status(crate::tui::access::now());
        let style = if warn {
            Style::default().fg(Color::Black).bg(Color::Yellow)
        } else {
            dim()
        };
        spans.push(Span::styled(format!("{text} "), style));
    }
    if app.session.read_only {
        spans.push(Span::styled(
            " READ-ONLY ",
            Style::default().fg(Color::Black).bg(Color::Yellow),
        ));
        spans.push(Span::raw(" "));
    }
    spans.push(Span::raw(format!("│ {name}: {counts} ")));
    if let Some(f) = filter {
        spans.push(Span::styled(format!("│ filter: {f} "), accent()));
    }
    if !sort.is_empty() {
        spans.push(Span::styled(format!("│ sort: {sort} "), accent()));
    }
    // The hints of the current mode fill what the state leaves (whole hints only, the
    // most useful first).
    let width = area.width as usize;
    let used: usize = spans.iter().map(|s| s.width()).sum();
    // The state first; the hints get what is left, and `? help` at least.
    let share = width.saturating_sub(used + 1).max(8);
    let hints = crate::tui::help::fit_hints(&crate::tui::help::hints(app), share);
    let hint_w = unicode_width::UnicodeWidthStr::width(hints.as_str()) as u16;
    let left = Rect::new(
        area.x,
        area.y,
        area.width.saturating_sub(hint_w + 1),
        area.height,
    );
    let right = Rect::new(area.x + area.width - hint_w, area.y, hint_w, area.height);
    let bg = Style::default().bg(Color::Black);
    frame.render_widget(Paragraph::new("").style(bg), area);
    frame.render_widget(Paragraph::new(Line::from(spans)).style(bg), left);
    frame.render_widget(Paragraph::new(Span::styled(hints, dim())).style(bg), right);
}

fn sort_text(keys: &[crate::api::SortKey]) -> String {
    keys.iter()
        .map(ToString::to_string)
        .collect::<Vec<_>>()
        .join(",")
}

fn focused_summary(app: &App) -> (&'static str, String, Option<String>, String) {
    if app.focus == Focus::Detail {
        if let Some(d) = &app.detail {
            return match &d.relations {
                Relations::Memberships(l) => (
                    "memberships",
                    l.counts(),
                    l.filter.clone(),
                    sort_text(&l.sort),
                ),
                Relations::Members(l) => {
                    ("members", l.counts(), l.filter.clone(), sort_text(&l.sort))
                }
            };
        }
    }
    match app.tab {
        Tab::Users => (
            "users",
            app.users.counts(),
            app.users.filter.clone(),
            sort_text(&app.users.sort),
        ),
        Tab::Channels => (
            "channels",
            app.channels.counts(),
            app.channels.filter.clone(),
            sort_text(&app.channels.sort),
        ),
    }
}

/// Toasts stack above the status bar on the right; errors stay until dismissed.
pub fn draw_toasts(frame: &mut Frame, app: &App, area: Rect) {
    let mut bottom = area.y + area.height.saturating_sub(1);
    let width = (area.width / 2).clamp(20, 70).min(area.width);
    for toast in app.toasts.iter().rev().take(4) {
        let times = if toast.count > 1 {
            format!(" (×{})", toast.count)
        } else {
            String::new()
        };
        let text = if toast.error {
            format!("{}{times}  (x dismisses)", toast.text)
        } else {
            format!("{}{times}", toast.text)
        };
        let lines = (text.chars().count() as u16 / width.saturating_sub(2).max(1)) + 3;
        let h = lines.min(6);
        if bottom < area.y + h {
            break;
        }
        let rect = Rect::new(area.x + area.width - width, bottom - h, width, h);
        let style = if toast.error {
            Style::default().fg(Color::Red)
        } else {
            accent()
        };
        frame.render_widget(Clear, rect);
        frame.render_widget(
            Paragraph::new(text)
                .wrap(Wrap { trim: true })
                .block(Block::default().borders(Borders::ALL).border_style(style)),
            rect,
        );
        bottom -= h;
    }
}
