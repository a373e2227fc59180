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

/// Enters raw mode and the alternate screen. A panic of the UI thread restores the
/// terminal before its message is printed; a panic in a background task (a request)
/// is written to the log instead, since the app goes on (the task's failure reaches
/// the screen as an error message) and printing would tear the screen.
pub fn enter(mouse: bool) -> io::Result<TerminalGuard> {
    let previous = std::panic::take_hook();
    let ui_thread = std::thread::current().id();
    std::panic::set_hook(Box::new(move |info| {
        if std::thread::current().id() == ui_thread {
            restore(mouse);
            previous(info);
        } else {
            tracing::error!("panic in a background task: {info}");
        }
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

/// Raw mode, the alternate screen and the mouse again after a program had the terminal.
fn take_back(mouse: bool) -> io::Result<()> {
    enable_raw_mode()?;
    execute!(io::stdout(), EnterAlternateScreen)?;
    if mouse {
        execute!(io::stdout(), EnableMouseCapture)?;
    }
    Ok(())
}

/// Clears the screen and forgets what was drawn, so the next frame paints every cell.
/// Unlike `Terminal::clear` this never asks the terminal for the cursor position (a
/// reply that can be lost or never come, e.g. right after `$EDITOR` exits).
fn redraw_all(terminal: &mut Terminal<CrosstermBackend<io::Stdout>>) -> io::Result<()> {
    let size = terminal.size()?;
    terminal.resize(ratatui::layout::Rect::new(0, 0, size.width, size.height))
}

/// The signals that end the app: SIGTERM, SIGHUP and SIGINT (raw mode turns Ctrl-c
/// into a key, so a SIGINT comes from outside).
struct Signals {
    #[cfg(unix)]
    streams: Vec<tokio::signal::unix::Signal>,
}

impl Signals {
    fn new() -> io::Result<Signals> {
        #[cfg(unix)]
        {
            use tokio::signal::unix::{signal, SignalKind};
            Ok(Signals {
                streams: vec![
                    signal(SignalKind::terminate())?,
                    signal(SignalKind::hangup())?,
                    signal(SignalKind::interrupt())?,
                ],
            })
        }
        #[cfg(not(unix))]
        Ok(Signals {})
    }

    /// Waits for any of them.
    async fn recv(&mut self) {
        #[cfg(unix)]
        {
            let waits = self.streams.iter_mut().map(|s| Box::pin(s.recv()));
            futures::future::select_all(waits).await;
        }
        #[cfg(not(unix))]
        std::future::pending::<()>().await
    }
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
    redraw_all(&mut terminal)?;
    let mut signals = Signals::new()?;
    let size = terminal.size()?;
    let mut runner =
        Runner::with_channel(client, keymap, session, (size.width, size.height), channel);
    runner.app.mouse = mouse;
    if let Some(p) = super::columns::path() {
        runner.app.columns = super::columns::load(&p);
        runner.app.columns_path = Some(p);
    }
    let history = super::history::path();
    if let Some(p) = &history {
        super::history::load(&mut runner.app, p);
    }
    let mut events = EventStream::new();
    let mut tick = tokio::time::interval(Duration::from_millis(100));
    tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
    // Rows created elsewhere send no event to this client (see app/probe.rs): with
    // live updates on, the list's total is asked for now and then; every call to
    // PubNub is a billed transaction, so less often there.
    let every = match runner.app.session.backend {
        super::app::Backend::PubNub(_) => Duration::from_secs(30),
        _ => Duration::from_secs(5),
    };
    let mut poll = tokio::time::interval_at(tokio::time::Instant::now() + every, every);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
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
            _ = poll.tick(), if runner.app.live_on => runner.handle(Action::Poll),
            // SIGTERM, SIGHUP (the window closed), SIGINT from outside: leave through
            // the guard, which restores the terminal.
            _ = signals.recv() => break,
        }
        // Batch everything already queued, then draw once.
        runner.drain();
        for text in runner.copied.drain(..) {
            osc52(&text);
        }
        if !runner.external.is_empty() {
            // Hand the terminal to $EDITOR and take it back cleanly; the event reader
            // is dropped so it cannot steal the editor's keys, and made anew only once
            // the screen is ours again.
            drop(events);
            restore(mouse);
            runner.run_external();
            take_back(mouse)?;
            redraw_all(&mut terminal)?;
            events = EventStream::new();
        }
        if std::mem::take(&mut runner.app.redraw) {
            redraw_all(&mut terminal)?;
        }
        if runner.app.should_quit {
            break;
        }
        terminal.draw(|f| view::draw(f, &runner.app))?;
    }
    if let Some(p) = &history {
        if let Err(e) = super::history::save(&runner.app, p) {
            tracing::warn!("could not save {}: {e}", p.display());
        }
    }
    Ok(())
}
