//! The real terminal: raw mode and the alternate screen on the way in, everything
//! restored on the way out, on a panic, and when the guard is dropped for any reason.
//! The event loop runs here.

use std::io::{self, Write};
use std::time::Duration;

use base64::Engine;
use crossterm::event::{DisableMouseCapture, EnableMouseCapture, Event, EventStream};
use crossterm::execute;
use crossterm::terminal::{
    disable_raw_mode, enable_raw_mode, EnterAlternateScreen, LeaveAlternateScreen,
};
use futures::StreamExt;
use ratatui::backend::CrosstermBackend;
use ratatui::Terminal;

use super::action::Action;
use super::app::Session;
use super::keymap::Keymap;
use super::runner::Runner;
use super::view;
use crate::api::Client;

/// Restores the terminal when dropped.
pub struct TerminalGuard {
    mouse: bool,
}

/// Puts the terminal back as it was: safe to call more than once.
pub fn restore(mouse: bool) {
    let _ = disable_raw_mode();
    let mut out = io::stdout();
    if mouse {
        let _ = execute!(out, DisableMouseCapture);
    }
    let _ = execute!(out, LeaveAlternateScreen, crossterm::cursor::Show);
}

impl Drop for TerminalGuard {
    fn drop(&mut self) {
        restore(self.mouse);
    }
}

/// Enters raw mode and the alternate screen; a panic restores the terminal before the
/// panic message is printed.
pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
    let previous = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
        restore(mouse);
        previous(info);
    }));
    enable_raw_mode()?;
    let guard = TerminalGuard { mouse };
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen)?;
    if mouse {
        execute!(out, EnableMouseCapture)?;
    }
    Ok(guard)
}

/// Writes `text` to the system clipboard through the terminal (OSC 52), which also
/// works over SSH.
fn osc52(text: &str) {
    let b64 = base64::engine::general_purpose::STANDARD.encode(text.as_bytes());
    let mut out = io::stdout();
    let _ = write!(out, "\x1b]52;c;{b64}\x07");
    let _ = out.flush();
}

fn to_action(e: Event) -> Option<Action> {
    match e {
        Event::Key(k) => Some(Action::Key(k)),
        Event::Mouse(m) => Some(Action::Mouse(m)),
        Event::Resize(w, h) => Some(Action::Resize(w, h)),
        _ => None,
    }
}

/// Runs the TUI until the user quits.
pub async fn run(
    client: Client,
    keymap: Keymap,
    session: Session,
    mouse: bool,
    channel: (
        tokio::sync::mpsc::UnboundedSender<Action>,
        tokio::sync::mpsc::UnboundedReceiver<Action>,
    ),
) -> color_eyre::Result<()> {
    let _guard = enter(mouse)?;
    let mut terminal = Terminal::new(CrosstermBackend::new(io::stdout()))?;
    terminal.clear()?;
    let size = terminal.size()?;
    let mut runner =
        Runner::with_channel(client, keymap, session, (size.width, size.height), channel);
    runner.app.mouse = mouse;
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    terminal.draw(|f| view::draw(f, &runner.app))?;
    loop {
        let busy = runner.app.needs_tick();
        tokio::select! {
            biased;
            Some(action) = runner.receiver().recv() => runner.handle(action),
            event = events.next() => match event {
                Some(Ok(e)) => {
                    if let Some(a) = to_action(e) {
                        runner.handle(a);
                    } else {
                        continue;
                    }
                }
                Some(Err(e)) => return Err(e.into()),
                None => break,
            },
            // The tick only runs while a spinner is visible: idle means no wake-ups.
            _ = tick.tick(), if busy => runner.handle(Action::Tick),
        }
        // Batch everything already queued, then draw once.
        runner.drain();
        for text in runner.copied.drain(..) {
            osc52(&text);
        }
        if !runner.external.is_empty() {
            // Hand the terminal to $EDITOR and take it back cleanly; the event reader
            // is dropped so it cannot steal the editor's keys.
            drop(events);
            restore(mouse);
            runner.run_external();
            events = EventStream::new();
            enable_raw_mode()?;
            execute!(io::stdout(), EnterAlternateScreen)?;
            if mouse {
                execute!(io::stdout(), EnableMouseCapture)?;
            }
            terminal.clear()?;
        }
        if runner.app.should_quit {
            break;
        }
        terminal.draw(|f| view::draw(f, &runner.app))?;
    }
    Ok(())
}
