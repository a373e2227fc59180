//! The describe view's keys: open it on what is selected, scroll, copy, close.

use crossterm::event::KeyEvent;

use super::{App, Detail, Focus, Overlay, Relations};
use crate::tui::action::{Command, Entity};
use crate::tui::describe::Describe;
use crate::tui::keymap::Intent;
use crate::tui::layout;

impl App {
    /// `v`: the focused relation row, or else the record the detail shows, as JSON.
    pub(crate) fn start_describe(&mut self) {
        let relation = match (self.focus, &self.detail) {
            (
                Focus::Detail,
                Some(Detail {
                    relations: Relations::Memberships(l),
                    id,
                    ..
                }),
            ) => l.selected_row().map(|m| {
                let title = format!("Membership of {id} in {}", m.channel.id());
                (title, serde_json::to_string_pretty(m))
            }),
            (
                Focus::Detail,
                Some(Detail {
                    relations: Relations::Members(l),
                    id,
                    ..
                }),
            ) => l.selected_row().map(|m| {
                let title = format!("Member {} of {id}", m.uuid.id());
                (title, serde_json::to_string_pretty(m))
            }),
            _ => None,
        };
        let record = || match self.detail.as_ref().and_then(|d| d.entity.as_ref()) {
            Some(Entity::User(u)) => Some((
                format!("User {}", u.user_id),
                serde_json::to_string_pretty(u),
            )),
            Some(Entity::Channel(c)) => Some((
                format!("Channel {}", c.channel_id),
                serde_json::to_string_pretty(c),
            )),
            None => None,
        };
        match relation.or_else(record) {
            Some((title, Ok(json))) => {
                let title = crate::text::escape(&title).into_owned();
                self.overlay = Overlay::Describe(Box::new(Describe::new(title, json)));
            }
            Some((_, Err(e))) => self.notify(format!("Cannot show the record: {e}"), true),
            None => self.notify("Nothing selected to describe", false),
        }
    }

    pub(crate) fn on_describe_key(
        &mut self,
        key: KeyEvent,
        mut d: Describe,
        cmds: &mut Vec<Command>,
    ) {
        let text = layout::describe_text(self.size);
        let (w, h) = (text.width as usize, text.height as usize);
        let page = h.saturating_sub(1).max(1) as isize;
        match self.keymap.intent(&key) {
            Some(Intent::Back | Intent::Quit | Intent::Describe) => return,
            Some(Intent::Down) => d.scroll_by(1, w, h),
            Some(Intent::Up) => d.scroll_by(-1, w, h),
            Some(Intent::PageDown) => d.scroll_by(page, w, h),
            Some(Intent::PageUp) => d.scroll_by(-page, w, h),
            Some(Intent::Top) => d.scroll_by(isize::MIN / 2, w, h),
            Some(Intent::Bottom) => d.scroll_by(isize::MAX / 2, w, h),
            Some(Intent::CopyId | Intent::CopyJson) => {
                self.notify("Copied the JSON", false);
                cmds.push(Command::Copy(d.json.clone()));
            }
            Some(Intent::Redraw) => self.redraw = true,
            _ => {}
        }
        self.overlay = Overlay::Describe(Box::new(d));
    }
}
