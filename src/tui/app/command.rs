//! How the app runs the command line: keys while it is open, and each command.

use crossterm::event::{KeyCode, KeyEvent};

use super::{App, Overlay, Tab};
use crate::tui::action::{Command, EntityKind, ExportWhat};
use crate::tui::command::{self, Cmd, CommandLine};

impl App {
    pub(crate) fn on_command_key(
        &mut self,
        key: KeyEvent,
        mut line: CommandLine,
        cmds: &mut Vec<Command>,
    ) {
        match key.code {
            KeyCode::Esc => return,
            KeyCode::Enter => {
                let text = line.input.text().trim().to_string();
                match command::parse(&text) {
                    Ok(cmd) => {
                        self.command_history.retain(|h| h != &text);
                        self.command_history.push(text);
                        if let Err(e) = self.run_command(cmd, cmds) {
                            line.error = Some(e);
                            self.overlay = Overlay::Command(Box::new(line));
                        }
                    }
                    Err(e) => {
                        line.error = Some(e);
                        self.overlay = Overlay::Command(Box::new(line));
                    }
                }
                return;
            }
            KeyCode::Tab => {
                let users: Vec<&str> = self.users.rows.iter().map(|u| u.user_id.as_str()).collect();
                let channels: Vec<&str> = self
                    .channels
                    .rows
                    .iter()
                    .map(|c| c.channel_id.as_str())
                    .collect();
                if let Some(done) = command::complete(line.input.text(), &users, &channels) {
                    line.input = crate::tui::editor::LineInput::new(&done);
                }
            }
            KeyCode::Up | KeyCode::Down => {
                let n = self.command_history.len();
                if n > 0 {
                    let pos = match (line.history_pos, key.code) {
                        (None, KeyCode::Up) => n - 1,
                        (Some(p), KeyCode::Up) => p.saturating_sub(1),
                        (Some(p), _) => (p + 1).min(n - 1),
                        (None, _) => n - 1,
                    };
                    line.history_pos = Some(pos);
                    line.input = crate::tui::editor::LineInput::new(&self.command_history[pos]);
                }
            }
            _ => {
                line.input.edit(key);
                line.error = None;
            }
        }
        self.overlay = Overlay::Command(Box::new(line));
    }

    /// Carries out one command; an error stays on the command line.
    fn run_command(&mut self, cmd: Cmd, cmds: &mut Vec<Command>) -> Result<(), String> {
        match cmd {
            Cmd::Users => self.switch_tab(Tab::Users, cmds),
            Cmd::Channels => self.switch_tab(Tab::Channels, cmds),
            Cmd::User(id) => self.open_by_id(EntityKind::User, id, cmds)?,
            Cmd::Channel(id) => self.open_by_id(EntityKind::Channel, id, cmds)?,
            Cmd::Filter(filter) => {
                if let Some(f) = &filter {
                    crate::filter::parse_for(f, self.current_target())
                        .map_err(|e| format!("column {}: {}", e.column, e.message))?;
                    self.filter_history.retain(|h| h != f);
                    self.filter_history.push(f.clone());
                }
                if self
                    .with_focused(|l| l.set_server_filter(filter))
                    .unwrap_or(false)
                {
                    self.reload_focused(cmds);
                }
            }
            Cmd::Sort(keys) => {
                if self.with_focused(|l| l.set_sort(keys)).unwrap_or(false) {
                    self.reload_focused(cmds);
                }
            }
            Cmd::Live(on) => {
                if on != self.live_on {
                    self.toggle_live(cmds);
                }
            }
            Cmd::Export(path) => self.start_export(path, cmds)?,
            Cmd::Columns(list) => self.set_columns(list, cmds)?,
            Cmd::Token => {
                let a = self.session.access.as_ref().ok_or(
                    "no Access Manager token in use (--auth-key or PUBNUB_AUTH_KEY with a token)",
                )?;
                let text = a.describe(crate::tui::access::now());
                self.overlay = Overlay::Describe(Box::new(crate::tui::describe::Describe::new(
                    "Access Manager token".into(),
                    text,
                )));
            }
            Cmd::Quit => {
                self.should_quit = true;
                cmds.push(Command::Quit);
            }
        }
        Ok(())
    }

    /// Opens a user or channel by id (loaded or not); the way back is `Esc`. A 404
    /// says so and offers to create it (see `on_entity`).
    fn open_by_id(
        &mut self,
        kind: EntityKind,
        id: String,
        cmds: &mut Vec<Command>,
    ) -> Result<(), String> {
        match kind {
            EntityKind::User => crate::api::rules::check_user_id(&id)?,
            EntityKind::Channel => crate::api::rules::check_channel_id(&id)?,
        }
        self.history.push(self.location());
        self.go_to(kind, id, cmds);
        Ok(())
    }

    /// `:export FILE`: the marked rows of the focused list, or else the whole list on
    /// the server with its filter. Written by the worker into a new file.
    fn start_export(&mut self, path: String, cmds: &mut Vec<Command>) -> Result<(), String> {
        if self.export.is_some() {
            return Err("an export is already running".into());
        }
        let (source, filter, marked) = self
            .with_focused(|l| (l.source(), l.server_filter(), l.marked_json()))
            .ok_or("no list has the focus")?;
        let what = if marked.is_empty() {
            ExportWhat::List { source, filter }
        } else {
            ExportWhat::Rows(marked)
        };
        let req = self.new_req();
        self.export = Some(req);
        self.notify(format!("Exporting to {path}…"), false);
        cmds.push(Command::Export { req, path, what });
        Ok(())
    }

    /// `:columns a,b,c`: the current tab's columns, kept for the next run.
    fn set_columns(&mut self, list: Option<String>, cmds: &mut Vec<Command>) -> Result<(), String> {
        use crate::tui::columns;
        if self.focus != crate::tui::app::Focus::List {
            return Err(":columns sets the users or channels list's columns (h focuses it)".into());
        }
        let target = self.current_target();
        let names = match list {
            Some(text) => Some(
                columns::parse_list(&text, target)?
                    .iter()
                    .map(columns::Col::title)
                    .collect(),
            ),
            None => None,
        };
        match self.tab {
            Tab::Users => self.columns.users = names,
            Tab::Channels => self.columns.channels = names,
        }
        if let Some(path) = self.columns_path.clone() {
            cmds.push(Command::SaveColumns {
                chosen: self.columns.clone(),
                path,
            });
        }
        Ok(())
    }
}
