//! The app, its worker and the action queue wired together, without a terminal: the
//! event loop drives a [`Runner`] with real key events, the TUI tests drive one with
//! synthetic keys and a `TestBackend`.

use std::time::Duration;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use tokio::sync::mpsc::{unbounded_channel, UnboundedReceiver, UnboundedSender};

use super::action::{Action, Command};
use super::app::{App, Session};
use super::keymap::Keymap;
use super::worker::Worker;
use crate::api::Client;

/// A client observer that puts every request into the app's request log.
pub fn log_observer(tx: UnboundedSender<Action>) -> crate::api::Observer {
    crate::api::Observer(std::sync::Arc::new(move |r: crate::api::RequestRecord| {
        let _ = tx.send(Action::Logged(super::action::LogEntry {
            method: r.method,
            path: r.path,
            status: r.status,
            millis: r.millis,
            error: r.error,
        }));
    }))
}

/// App + worker + queue.
pub struct Runner {
    pub app: App,
    worker: Worker,
    tx: UnboundedSender<Action>,
    rx: UnboundedReceiver<Action>,
    /// Text the app asked to copy (the loop writes it to the terminal as OSC 52).
    pub copied: Vec<String>,
    /// Text the app asked to open in `$EDITOR` (the loop hands the terminal over).
    pub external: Vec<String>,
    live: super::live::LiveHandle,
}

impl Runner {
    /// Starts the app and its first requests.
    pub fn new(client: Client, keymap: Keymap, session: Session, size: (u16, u16)) -> Runner {
        let (tx, rx) = unbounded_channel();
        Self::with_channel(client, keymap, session, size, (tx, rx))
    }

    /// Like [`Runner::new`], on a queue made beforehand (so the client's request
    /// observer can feed the request log, see [`log_observer`]).
    pub fn with_channel(
        client: Client,
        keymap: Keymap,
        session: Session,
        size: (u16, u16),
        (tx, rx): (UnboundedSender<Action>, UnboundedReceiver<Action>),
    ) -> Runner {
        let live = super::live::spawn(&client, tx.clone());
        let worker = Worker::new(client, tx.clone());
        let (app, cmds) = App::new(keymap, session, size);
        let mut r = Runner {
            app,
            worker,
            tx,
            rx,
            copied: Vec::new(),
            external: Vec::new(),
            live,
        };
        r.dispatch(cmds);
        r
    }

    /// A sender for actions from outside (terminal events).
    pub fn sender(&self) -> UnboundedSender<Action> {
        self.tx.clone()
    }

    fn dispatch(&mut self, cmds: Vec<Command>) {
        for cmd in cmds {
            match cmd {
                Command::Copy(text) => self.copied.push(text),
                Command::ExternalEdit(text) => self.external.push(text),
                Command::LiveWatch(ids) => self.live.watch(ids),
                Command::LiveEnable(on) => self.live.enable(on),
                Command::Quit => {}
                other => self.worker.run(other),
            }
        }
    }

    /// Applies one action.
    pub fn handle(&mut self, action: Action) {
        let cmds = self.app.update(action);
        self.dispatch(cmds);
    }

    /// Applies every action already queued; returns how many.
    pub fn drain(&mut self) -> usize {
        let mut n = 0;
        while let Ok(a) = self.rx.try_recv() {
            self.handle(a);
            n += 1;
        }
        n
    }

    /// Waits for the next queued action (worker answers), up to `timeout`.
    pub async fn next_action(&mut self, timeout: Duration) -> Option<Action> {
        tokio::time::timeout(timeout, self.rx.recv())
            .await
            .ok()
            .flatten()
    }

    /// The queue, for the event loop's `select!`.
    pub fn receiver(&mut self) -> &mut UnboundedReceiver<Action> {
        &mut self.rx
    }

    /// Runs `$EDITOR` for each pending request and feeds the results back. The event
    /// loop hands the terminal over around this; tests call it directly.
    pub fn run_external(&mut self) {
        for text in std::mem::take(&mut self.external) {
            let result = super::external::edit(&text);
            self.handle(Action::ExternalEdited(result));
        }
    }

    /// Sends a key press (tests).
    pub fn key(&mut self, code: KeyCode) {
        self.handle(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    /// Types text character by character (tests).
    pub fn type_text(&mut self, text: &str) {
        for c in text.chars() {
            self.key(KeyCode::Char(c));
        }
    }

    /// Processes worker answers until `done(app)` holds or `timeout` passes; returns
    /// whether it held.
    pub async fn wait_until(&mut self, timeout: Duration, done: impl Fn(&App) -> bool) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            self.drain();
            if done(&self.app) {
                return true;
            }
            let left = deadline.saturating_duration_since(tokio::time::Instant::now());
            if left.is_zero() {
                return false;
            }
            if let Some(a) = self.next_action(left).await {
                self.handle(a);
            }
        }
    }

    /// Waits until nothing is loading.
    pub async fn settle(&mut self, timeout: Duration) -> bool {
        self.wait_until(timeout, |app| !app.busy()).await
    }
}
