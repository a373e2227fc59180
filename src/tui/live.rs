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
    /// Turned off (w) or nothing to watch yet.
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

/// How often the server is asked whether it still answers while a long-poll waits (a
/// poll to a server that vanished without closing the connection would otherwise
/// wait for its own timeout, minutes).
const HEALTH_EVERY: Duration = Duration::from_secs(10);

/// The longest pause between reconnect attempts: live updates come back within a few
/// seconds of the server answering again, however long it was away.
const MAX_BACKOFF: Duration = Duration::from_secs(2);

/// The pause before reconnect attempt `failures` (1, 2, …): 0.5 s, 1 s, then 2 s.
pub fn backoff(failures: u32) -> Duration {
    let ms = 250u64.saturating_mul(1u64 << failures.min(6));
    Duration::from_millis(ms).min(MAX_BACKOFF)
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
    // The quick "do you answer?" question: a short timeout, no retries.
    let probe = Client::with_options(
        client.keyset().clone(),
        ClientOptions {
            timeout: Duration::from_secs(3),
            retry: RetryPolicy::none(),
            ..Default::default()
        },
    )
    .unwrap_or_else(|_| client.clone());
    let task = tokio::spawn(run(live, probe, tx, channels_rx, enabled_rx));
    LiveHandle {
        channels,
        enabled,
        task,
    }
}

/// Resolves only when the server stops answering `/time/0` (checked every
/// [`HEALTH_EVERY`]), with the error.
async fn until_unhealthy(probe: &Client) -> crate::api::Error {
    loop {
        tokio::time::sleep(HEALTH_EVERY).await;
        if let Err(e) = probe.time().await {
            return e;
        }
    }
}

async fn run(
    client: Client,
    probe: Client,
    tx: UnboundedSender<Action>,
    mut channels_rx: watch::Receiver<Vec<String>>,
    mut enabled_rx: watch::Receiver<bool>,
) {
    let mut timetoken = "0".to_string();
    let mut region = None;
    let mut failures: u32 = 0;
    // The last subscribe was answered with an error status (not a lost connection).
    let mut refused = false;
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
                // The timetoken is kept: turned on again, the poll continues from it
                // and delivers what changed meanwhile (the app also re-reads the rows
                // in view, in case the server no longer holds those events).
                report(LiveState::Off, &mut state);
            }
            tokio::select! {
                _ = channels_rx.changed() => {}
                _ = enabled_rx.changed() => {}
            }
            continue;
        }
        if state != LiveState::Live && !refused {
            // Ask first: a long-poll from a saved timetoken may not answer for minutes
            // even though the server is back, and "live" should show at once. (Not
            // after the subscribe itself was refused: the server answers, but not
            // this, and only a subscribe that works is "live".)
            if let Err(e) = probe.time().await {
                failures += 1;
                report(LiveState::Reconnecting(e.to_string()), &mut state);
                tokio::select! {
                    _ = tokio::time::sleep(backoff(failures)) => {}
                    _ = enabled_rx.changed() => {}
                }
                continue;
            }
            failures = 0;
            report(LiveState::Live, &mut state);
        }
        let poll = client.subscribe(&channels, &timetoken, region);
        tokio::select! {
            result = poll => match result {
                Ok(d) => {
                    failures = 0;
                    refused = false;
                    report(LiveState::Live, &mut state);
                    timetoken = d.timetoken;
                    region = d.region;
                    for e in d.events {
                        let _ = tx.send(Action::LiveEvent(e));
                    }
                }
                Err(e) => {
                    failures += 1;
                    refused = e.status().is_some();
                    report(LiveState::Reconnecting(e.to_string()), &mut state);
                    tokio::select! {
                        _ = tokio::time::sleep(backoff(failures)) => {}
                        _ = enabled_rx.changed() => {}
                    }
                }
            },
            e = until_unhealthy(&probe) => {
                // The poll is dropped: it was waiting on a server that no longer answers.
                failures += 1;
                report(LiveState::Reconnecting(e.to_string()), &mut state);
            }
            // New ids in view: poll again for them from the same timetoken.
            _ = channels_rx.changed() => {}
            _ = enabled_rx.changed() => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_is_capped_at_two_seconds() {
        assert_eq!(backoff(1), Duration::from_millis(500));
        assert_eq!(backoff(2), Duration::from_secs(1));
        assert_eq!(backoff(3), MAX_BACKOFF);
        assert_eq!(backoff(1000), MAX_BACKOFF);
    }
}
