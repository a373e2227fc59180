//! New rows elsewhere: App Context sends events only on the channel of a record's
//! own id, so a record created by someone else reaches no subscriber that does not
//! already know its id. While live updates are on, the loop sends a poll every few
//! seconds and the focused list asks the server for its total alone (one row, with
//! `count`); more than it had means "N new — r to load", and the total is updated.

use super::{App, Focus, Overlay, Tab};
use crate::tui::action::{Command, ListQuery, PageData, RequestId};

impl App {
    /// The loop's poll (only while live updates are on).
    pub(crate) fn on_poll(&mut self, cmds: &mut Vec<Command>) {
        if !self.live_on || self.probe.is_some() || !matches!(self.overlay, Overlay::None) {
            return;
        }
        if self.focus != Focus::List {
            return;
        }
        let list_ready = match self.tab {
            Tab::Users => self.users.pending.is_none() && self.users.total.is_some(),
            Tab::Channels => self.channels.pending.is_none() && self.channels.total.is_some(),
        };
        if !list_ready {
            return;
        }
        let (source, query) = match self.tab {
            Tab::Users => (self.users.source.clone(), self.users.query()),
            Tab::Channels => (self.channels.source.clone(), self.channels.query()),
        };
        let req = self.new_req();
        self.probe = Some((req, self.tab));
        cmds.push(Command::FetchPage {
            req,
            source,
            query: ListQuery { limit: 1, ..query },
            cursor: None,
        });
    }

    /// Whether `req` is the probe; if so its answer is taken.
    pub(crate) fn take_probe(
        &mut self,
        req: RequestId,
        result: &Result<PageData, crate::tui::action::Failure>,
    ) -> bool {
        let Some((probe, tab)) = self.probe else {
            return false;
        };
        if probe != req {
            return false;
        }
        self.probe = None;
        let total = match result {
            Ok(PageData::Users(p)) if tab == Tab::Users => p.total_count,
            Ok(PageData::Channels(p)) if tab == Tab::Channels => p.total_count,
            _ => None, // a failed probe changes nothing; the next one tries again
        };
        if let Some(now) = total {
            match tab {
                Tab::Users => self.users.note_total(now),
                Tab::Channels => self.channels.note_total(now),
            }
        }
        true
    }
}
