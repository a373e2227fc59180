//! Live updates: a background task that long-polls the subscribe endpoint for the ids
//! in view (rows on screen and the open detail), continues from the last timetoken
//! across reconnects (with backoff), and reports events and its state as actions.

use std::time::Duration;

use tokio::sync::mpsc::UnboundedSender;
use tokio::sync::watch;

use super::action::Action;
use crate::api::{Client, ClientOptions, RetryPolicy};

/// Most channels subscribed at once (the ids in view are few; this bounds the URL).
pub const MAX_CHANNELS: usize = 60;

/// Whether events are flowing.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum LiveState {
    /// Subscribed and receiving.
    Live,
    /// The last poll failed; trying again.
    Reconnecting(String),
    /// Turned off (Ctrl-l) or nothing to watch yet.
    Off,
}

/// The handle the runner keeps: what to watch, and whether to.
pub struct LiveHandle {
    channels: watch::Sender<Vec<String>>,
    enabled: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

impl LiveHandle {
    /// Changes the watched ids.
    pub fn watch(&self, channels: Vec<String>) {
        let _ = self.channels.send(channels);
    }

    /// Turns live updates on or off.
    pub fn enable(&self, on: bool) {
        let _ = self.enabled.send(on);
    }
}

impl Drop for LiveHandle {
    fn drop(&mut self) {
        self.task.abort();
    }
}

/// Starts the subscribe loop for `client`'s keyset.
pub fn spawn(client: &Client, tx: UnboundedSender<Action>) -> LiveHandle {
    let (channels, channels_rx) = watch::channel(Vec::new());
    let (enabled, enabled_rx) = watch::channel(true);
    // A long-poll answers after up to ~280 s: its own client, no retries (the loop
    // reconnects), a timeout above the server's.
    let options = ClientOptions {
        timeout: Duration::from_secs(310),
        retry: RetryPolicy::none(),
        ..Default::default()
    };
    let live =
        Client::with_options(client.keyset().clone(), options).unwrap_or_else(|_| client.clone());
    let task = tokio::spawn(run(live, tx, channels_rx, enabled_rx));
    LiveHandle {
        channels,
        enabled,
        task,
    }
}

async fn run(
    client: Client,
    tx: UnboundedSender<Action>,
    mut channels_rx: watch::Receiver<Vec<String>>,
    mut enabled_rx: watch::Receiver<bool>,
) {
    let mut timetoken = "0".to_string();
    let mut region = None;
    let mut failures: u32 = 0;
    let mut state = LiveState::Off;
    let report = |s: LiveState, state: &mut LiveState| {
        if *state != s {
            *state = s.clone();
            let _ = tx.send(Action::LiveState(s));
        }
    };
    loop {
        let channels = channels_rx.borrow_and_update().clone();
        let enabled = *enabled_rx.borrow_and_update();
        if !enabled || channels.is_empty() {
            if !enabled {
                report(LiveState::Off, &mut state);
                // Coming back later starts from "now": what changed meanwhile is reloaded.
                timetoken = "0".to_string();
            }
            tokio::select! {
                _ = channels_rx.changed() => {}
                _ = enabled_rx.changed() => {}
            }
            continue;
        }
        let poll = client.subscribe(&channels, &timetoken, region);
        tokio::select! {
            result = poll => match result {
                Ok(d) => {
                    failures = 0;
                    report(LiveState::Live, &mut state);
                    timetoken = d.timetoken;
                    region = d.region;
                    for e in d.events {
                        let _ = tx.send(Action::LiveEvent(e));
                    }
                }
                Err(e) => {
                    failures += 1;
                    report(LiveState::Reconnecting(e.to_string()), &mut state);
                    let backoff = Duration::from_millis(500 * 2u64.pow(failures.min(6))).min(Duration::from_secs(30));
                    tokio::select! {
                        _ = tokio::time::sleep(backoff) => {}
                        _ = enabled_rx.changed() => {}
                    }
                }
            },
            // New ids in view: poll again for them from the same timetoken.
            _ = channels_rx.changed() => {}
            _ = enabled_rx.changed() => {}
        }
    }
}
