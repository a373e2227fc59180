//! Draws the describe view: syntax-coloured JSON, wrapped, from the scroll line.

use ratatui::style::{Color, Modifier, Style};
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, BorderType, Borders, Clear, Paragraph};
use ratatui::Frame;

use super::{accent, dim, truncate};
use crate::tui::app::App;
use crate::tui::describe::{Describe, Token};
use crate::tui::keymap::Intent;
use crate::tui::layout;

fn style(t: Token) -> Style {
    match t {
        Token::Key => accent(),
        Token::Str => Style::default().fg(Color::Green),
        Token::Number => Style::default().fg(Color::Yellow),
        Token::Literal => Style::default().fg(Color::Magenta),
        Token::Punct => Style::default(),
    }
}

pub fn draw(frame: &mut Frame, app: &App, d: &Describe) {
    let popup = layout::describe_popup(app.size);
    let text = layout::describe_text(app.size);
    let lines = d.lines(text.width as usize);
    let h = text.height as usize;
    let start = d.scroll.min(lines.len().saturating_sub(h.max(1)));
    let end = (start + h).min(lines.len());
    let position = if lines.len() > h {
        format!(" {}–{} of {} lines ", start + 1, end, lines.len())
    } else {
        String::new()
    };
    let k = |i| app.keymap.hint(i);
    let footer = format!(
        " {}/{} scroll  {} copy  {} close ",
        k(Intent::Down),
        k(Intent::Up),
        k(Intent::CopyId),
        k(Intent::Back)
    );
    let title_w = (popup.width as usize).saturating_sub(position.chars().count() + 4);
    let block = Block::default()
        .borders(Borders::ALL)
        .border_type(BorderType::Rounded)
        .border_style(accent())
        .title(Span::styled(
            format!(" {} ", truncate(&d.title, title_w)),
            accent().add_modifier(Modifier::BOLD),
        ))
        .title(Line::styled(position, dim()).right_aligned())
        .title_bottom(Line::styled(footer, dim()).right_aligned());
    frame.render_widget(Clear, popup);
    frame.render_widget(block, popup);
    let shown: Vec<Line> = lines[start..end]
        .iter()
        .map(|l| {
            Line::from(
                l.iter()
                    .map(|(t, s)| Span::styled(s.clone(), style(*t)))
                    .collect::<Vec<_>>(),
            )
        })
        .collect();
    frame.render_widget(Paragraph::new(shown), text);
}
