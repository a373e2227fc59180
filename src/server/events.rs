//! App Context events (spec §12): what every changing write emits, a bounded buffer of
//! recent events per keyset, and the long-poll wait of the subscribe endpoint.
//!
//! * The store builds a [`Change`] for each user, channel or membership a write really
//!   changed (never for a no-op) and hands the batch to [`EventHub::publish`] right
//!   after the SQLite transaction commits, still holding the writer lock, so events are
//!   buffered in commit order.
//! * Every event gets a timetoken (100-ns units since the Unix epoch) from one clock
//!   that only moves forward, taken under the keyset's lock, so a keyset's buffer is
//!   sorted by timetoken and a reader that saw timetoken `T` can never later find an
//!   event at or before `T` appearing.
//! * A subscriber waits on its own [`Notify`], registered under each of its channels:
//!   no polling loops. Publishing wakes only the waiters of the channels its events
//!   are routed to; each re-scans the buffer from what it already looked at (a binary
//!   search, then the few newer events).
//! * The buffer keeps at most [`EventConfig::max_events`] events, none older than
//!   [`EventConfig::max_age`], at most [`EventConfig::max_routes`] (event, channel)
//!   routes (a user in 50,000 channels) and at most [`EventConfig::max_bytes`] per
//!   keyset and [`EventConfig::max_total_bytes`] over all keysets (30 KB custom
//!   values); the oldest events go first.
//! * A subscriber that fell behind (its timetoken is older than the oldest event
//!   still buffered) gets what PubNub gives for a timetoken older than its message
//!   queue: the oldest events still held, no error; what was dropped is not replayed.

use std::collections::{HashMap, VecDeque};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use serde_json::{json, Map, Value};
use tokio::sync::Notify;

use super::model::{format_updated, Kind, ObjectRow, RelationRow};
use super::store::{ObjectPatch, RelationPatch};

/// The region (`r`) the local server reports in timetokens. Clients echo it as `tr`.
pub const REGION: u32 = 1;
/// The shard (`a`) of every message.
pub const SHARD: &str = "1";
/// Most messages in one subscribe response (PubNub's page size for subscribe). One
/// event's messages are never split across responses, so a response may exceed this
/// by the fan-out of its last event.
pub const MAX_MESSAGES: usize = 100;

/// How events are buffered and how long a subscribe call waits.
#[derive(Clone, Debug)]
pub struct EventConfig {
    /// How long a subscribe call with a timetoken waits for events before answering
    /// with none (PubNub: about 280 s; SDK request timeouts are ~310 s).
    pub subscribe_timeout: Duration,
    /// Most events kept per keyset for clients that reconnect with a timetoken.
    pub max_events: usize,
    /// Oldest event kept.
    pub max_age: Duration,
    /// Most (event, channel) routes kept per keyset (a user event fans out to every
    /// channel the user is a member of).
    pub max_routes: usize,
    /// Most bytes of events (payloads and routes) kept per keyset: 10,000 events of
    /// 30 KB custom values would otherwise hold 300 MB.
    pub max_bytes: usize,
    /// Most bytes of events kept over all keysets together; past it the oldest events
    /// of whichever keyset holds them go first.
    pub max_total_bytes: usize,
    /// Event types not emitted at all: the keyset's "User/Channel/Membership Metadata
    /// Events" settings turned off (`serve --no-events`).
    pub disabled: Vec<EventType>,
}

impl Default for EventConfig {
    fn default() -> Self {
        EventConfig {
            subscribe_timeout: Duration::from_secs(280),
            max_events: 10_000,
            max_age: Duration::from_secs(600),
            max_routes: 200_000,
            max_bytes: 64 << 20,
            max_total_bytes: 256 << 20,
            disabled: Vec::new(),
        }
    }
}

/// `"uuid"`, `"channel"` or `"membership"` in the event's `type`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum EventType {
    Uuid,
    Channel,
    Membership,
}

impl EventType {
    /// The type named `user` (or `uuid`), `channel` or `membership`.
    pub fn from_name(name: &str) -> Option<EventType> {
        match name.trim().to_ascii_lowercase().as_str() {
            "user" | "uuid" => Some(EventType::Uuid),
            "channel" => Some(EventType::Channel),
            "membership" => Some(EventType::Membership),
            _ => None,
        }
    }

    /// Its name on the command line: `user`, `channel`, `membership`.
    pub fn name(self) -> &'static str {
        match self {
            EventType::Uuid => "user",
            other => other.as_str(),
        }
    }

    fn as_str(self) -> &'static str {
        match self {
            EventType::Uuid => "uuid",
            EventType::Channel => "channel",
            EventType::Membership => "membership",
        }
    }

    fn of(kind: Kind) -> EventType {
        match kind {
            Kind::User => EventType::Uuid,
            Kind::Channel => EventType::Channel,
        }
    }
}

/// One change a write made, ready to publish: the `d` payload of its messages and the
/// channels it is routed to.
#[derive(Clone, Debug)]
pub struct Change {
    /// `{"source":"objects","version":"2.0","event":…,"type":…,"data":{…}}`, as JSON.
    pub payload: String,
    /// The channels the event goes to.
    pub routes: Vec<String>,
    /// Its `type`.
    pub kind: EventType,
}

impl Change {
    fn new(event: &str, kind: EventType, data: Map<String, Value>, routes: Vec<String>) -> Self {
        let d = json!({
            "source": "objects",
            "version": "2.0",
            "event": event,
            "type": kind.as_str(),
            "data": Value::Object(data),
        });
        Change {
            payload: d.to_string(),
            routes,
            kind,
        }
    }

    /// `set` of a user or channel: `id`, `updated`, `eTag` and only the fields the
    /// PATCH body held, keys in alphabetical order. Routed to `routes` (the object's
    /// own channel first; for a user also the channels it is a member of).
    pub fn object_set(
        kind: Kind,
        row: &ObjectRow,
        patch: &ObjectPatch,
        routes: Vec<String>,
    ) -> Self {
        let mut fields: Vec<(&str, Value)> = vec![
            ("id", json!(row.id)),
            ("updated", json!(format_updated(row.updated))),
            ("eTag", json!(row.etag)),
        ];
        let mut written = |key: &'static str, sent: bool, value: Value| {
            if sent {
                fields.push((key, value));
            }
        };
        written("name", patch.name.is_some(), json!(row.name));
        written("type", patch.kind_field.is_some(), json!(row.kind_field));
        written("status", patch.status.is_some(), json!(row.status));
        written("custom", patch.custom.is_some(), json!(row.custom));
        match kind {
            Kind::User => {
                written(
                    "externalId",
                    patch.external_id.is_some(),
                    json!(row.external_id),
                );
                written(
                    "profileUrl",
                    patch.profile_url.is_some(),
                    json!(row.profile_url),
                );
                written("email", patch.email.is_some(), json!(row.email));
            }
            Kind::Channel => {
                written(
                    "description",
                    patch.description.is_some(),
                    json!(row.description),
                );
            }
        }
        Change::new("set", EventType::of(kind), sorted(fields), routes)
    }

    /// `delete` of a user or channel: `{"id":…}`.
    pub fn object_delete(kind: Kind, id: &str, routes: Vec<String>) -> Self {
        Change::new(
            "delete",
            EventType::of(kind),
            sorted(vec![("id", json!(id))]),
            routes,
        )
    }

    /// `set` of a membership: both ids, `updated` (nanosecond precision, as PubNub
    /// prints it in events), `eTag` and the written `custom`/`status`/`type`. Routed to
    /// the channel-id channel and the user-id channel.
    pub fn membership_set(row: &RelationRow, patch: &RelationPatch) -> Self {
        // Written straight to text (keys in alphabetical order, as `sorted` would put
        // them): an import writes 100 relations a call, and building each event as a
        // map of values took a fifth of the write.
        let data = MembershipSet {
            channel: IdOnly {
                id: &row.channel_id,
            },
            custom: patch.custom.as_ref().map(|_| row.custom.as_ref()),
            etag: &row.etag,
            status: patch.status.as_ref().map(|_| row.status.as_deref()),
            kind: patch.kind_field.as_ref().map(|_| row.kind_field.as_deref()),
            updated: format_updated_nanos(row.updated),
            uuid: IdOnly { id: &row.user_id },
        };
        let payload = serde_json::to_string(&Envelope {
            source: "objects",
            version: "2.0",
            event: "set",
            kind: EventType::Membership.as_str(),
            data,
        })
        .unwrap_or_default();
        Change {
            payload,
            routes: membership_routes(&row.user_id, &row.channel_id),
            kind: EventType::Membership,
        }
    }

    /// `delete` of a membership: `{"channel":{"id":C},"uuid":{"id":U}}`.
    pub fn membership_delete(user_id: &str, channel_id: &str) -> Self {
        Change::new(
            "delete",
            EventType::Membership,
            sorted(vec![
                ("channel", json!({"id": channel_id})),
                ("uuid", json!({"id": user_id})),
            ]),
            membership_routes(user_id, channel_id),
        )
    }
}

/// An event's payload, fields in PubNub's order.
#[derive(serde::Serialize)]
struct Envelope<'a, D> {
    source: &'static str,
    version: &'static str,
    event: &'a str,
    #[serde(rename = "type")]
    kind: &'a str,
    data: D,
}

/// `{"id":…}`.
#[derive(serde::Serialize)]
struct IdOnly<'a> {
    id: &'a str,
}

/// The `data` of a membership `set`, keys in alphabetical order; `custom`, `status`
/// and `type` only when the PATCH sent them (`Some(None)` is a `null`).
#[derive(serde::Serialize)]
struct MembershipSet<'a> {
    channel: IdOnly<'a>,
    #[serde(skip_serializing_if = "Option::is_none")]
    custom: Option<Option<&'a crate::api::types::Custom>>,
    #[serde(rename = "eTag")]
    etag: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    status: Option<Option<&'a str>>,
    #[serde(rename = "type", skip_serializing_if = "Option::is_none")]
    kind: Option<Option<&'a str>>,
    updated: String,
    uuid: IdOnly<'a>,
}

fn membership_routes(user_id: &str, channel_id: &str) -> Vec<String> {
    vec![channel_id.to_string(), user_id.to_string()]
}

/// A JSON object with its keys in byte-wise alphabetical order (`eTag` < `email`), as
/// PubNub sends event data.
fn sorted(mut fields: Vec<(&str, Value)>) -> Map<String, Value> {
    fields.sort_by(|a, b| a.0.cmp(b.0));
    fields
        .into_iter()
        .map(|(k, v)| (k.to_string(), v))
        .collect()
}

/// `updated` with nanosecond precision (always 9 fractional digits), as membership
/// events print it: `2020-10-14T20:56:43.681870939Z`. We store microseconds, so the
/// last three digits are zeros.
pub fn format_updated_nanos(micros: i64) -> String {
    let base = format_updated(micros.div_euclid(1_000_000) * 1_000_000);
    let frac = micros.rem_euclid(1_000_000);
    format!("{}.{frac:06}000Z", base.trim_end_matches('Z'))
}

/// Now, as a timetoken: 100-ns units since the Unix epoch.
pub fn now_timetoken() -> u64 {
    let d = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap_or_default();
    (d.as_nanos() / 100) as u64
}

/// One buffered event.
struct Stored {
    tt: u64,
    payload: Arc<str>,
    /// Sorted, deduplicated.
    routes: Box<[Box<str>]>,
}

impl Stored {
    /// What the event costs in memory, roughly: its text plus a fixed overhead.
    fn bytes(&self) -> usize {
        64 + self.payload.len() + self.routes.iter().map(|r| r.len() + 16).sum::<usize>()
    }
}

#[derive(Default)]
struct Ring {
    events: VecDeque<Stored>,
    routes: usize,
    bytes: usize,
}

impl Ring {
    fn push(&mut self, event: Stored) {
        self.routes += event.routes.len();
        self.bytes += event.bytes();
        self.events.push_back(event);
    }

    /// Drops the oldest event; returns its size in bytes.
    fn pop_oldest(&mut self) -> usize {
        match self.events.pop_front() {
            Some(e) => {
                self.routes -= e.routes.len();
                let n = e.bytes();
                self.bytes -= n;
                n
            }
            None => 0,
        }
    }

    /// Drops the oldest events until the keyset's bounds hold; returns the bytes freed.
    fn evict(&mut self, config: &EventConfig, now_tt: u64) -> usize {
        let max_age = (config.max_age.as_nanos() / 100) as u64;
        let oldest = now_tt.saturating_sub(max_age);
        let mut freed = 0;
        while let Some(front) = self.events.front() {
            let too_many = self.events.len() > config.max_events
                || self.routes > config.max_routes
                || self.bytes > config.max_bytes;
            if !too_many && front.tt >= oldest {
                break;
            }
            freed += self.pop_oldest();
        }
        freed
    }

    /// The timetoken of the newest event buffered.
    fn newest(&self) -> Option<u64> {
        self.events.back().map(|e| e.tt)
    }

    /// The messages for `channels` after `since`, whole events only, stopping once
    /// [`MAX_MESSAGES`] is reached; with the timetoken of the last event included.
    /// Events up to `scanned` (≥ `since`) are known not to match and are skipped.
    fn collect(&self, sub: &str, channels: &[String], since: u64, scanned: u64) -> Option<Batch> {
        let from = since.max(scanned);
        let start = self.events.partition_point(|e| e.tt <= from);
        let mut messages = Vec::new();
        let mut last = None;
        for event in self.events.range(start..) {
            let before = messages.len();
            for ch in channels {
                if event
                    .routes
                    .binary_search_by(|r| r.as_ref().cmp(ch.as_str()))
                    .is_ok()
                {
                    messages.push(Message {
                        tt: event.tt,
                        channel: ch.clone(),
                        payload: event.payload.clone(),
                    });
                }
            }
            if messages.len() > before {
                last = Some(event.tt);
                if messages.len() >= MAX_MESSAGES {
                    break;
                }
            }
        }
        last.map(|tt| Batch {
            sub: sub.to_string(),
            tt,
            messages,
        })
    }
}

/// The waiting calls of each channel: (registration id, the call's own [`Notify`]).
type Waiters = HashMap<Box<str>, Vec<(u64, Arc<Notify>)>>;

struct Keyset {
    ring: Mutex<Ring>,
    /// Who waits on which channel: each waiting subscribe call has its own [`Notify`],
    /// registered under every channel it listens to.
    waiters: Mutex<Waiters>,
    next_waiter: AtomicU64,
}

impl Keyset {
    /// Wakes the calls waiting on any of `channels` (a permit is kept for one that is
    /// between looking and waiting, so nothing is missed).
    fn wake(&self, channels: &[&str]) {
        let waiters = self.waiters.lock().unwrap_or_else(|e| e.into_inner());
        for ch in channels {
            for (_, notify) in waiters.get(*ch).into_iter().flatten() {
                notify.notify_one();
            }
        }
    }
}

/// A waiting call's registration, removed when the call ends (or its client hangs up).
struct Registration<'a> {
    keyset: &'a Keyset,
    id: u64,
    channels: &'a [String],
}

impl Drop for Registration<'_> {
    fn drop(&mut self) {
        let mut waiters = self
            .keyset
            .waiters
            .lock()
            .unwrap_or_else(|e| e.into_inner());
        for ch in self.channels {
            if let Some(list) = waiters.get_mut(ch.as_str()) {
                list.retain(|(id, _)| *id != self.id);
                if list.is_empty() {
                    waiters.remove(ch.as_str());
                }
            }
        }
    }
}

/// One message of a subscribe response.
#[derive(Clone, Debug)]
pub struct Message {
    /// The event's timetoken (`p.t`).
    pub tt: u64,
    /// The channel it was delivered on (`c`).
    pub channel: String,
    /// The `d` payload, as JSON.
    pub payload: Arc<str>,
}

/// What a subscribe call answers: a timetoken to continue from and the messages.
#[derive(Clone, Debug)]
pub struct Batch {
    pub sub: String,
    pub tt: u64,
    pub messages: Vec<Message>,
}

impl Batch {
    /// The response body, byte for byte in PubNub's shape:
    /// `{"t":{"t":"…","r":1},"m":[{"a":"1","f":0,"e":2,"p":{"t":"…","r":1},"k":…,"c":…,"d":{…}}]}`.
    pub fn to_json(&self) -> String {
        let sub = Value::String(self.sub.clone()).to_string();
        let mut out = String::with_capacity(64 + self.messages.len() * 256);
        out.push_str(&format!(
            r#"{{"t":{{"t":"{}","r":{REGION}}},"m":["#,
            self.tt
        ));
        for (i, m) in self.messages.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            out.push_str(&format!(
                r#"{{"a":"{SHARD}","f":0,"e":2,"p":{{"t":"{}","r":{REGION}}},"k":{sub},"c":{},"d":{}}}"#,
                m.tt,
                Value::String(m.channel.clone()),
                m.payload
            ));
        }
        out.push_str("]}");
        out
    }
}

/// The events of every keyset of one server.
pub struct EventHub {
    config: EventConfig,
    keysets: Mutex<HashMap<String, Arc<Keyset>>>,
    /// The last timetoken handed out (as an event's or as "now").
    clock: AtomicU64,
    last_sweep: Mutex<Instant>,
    /// Subscribe calls waiting right now.
    waiting: AtomicUsize,
    /// Bytes of events buffered over all keysets.
    total_bytes: AtomicUsize,
    /// Times a waiting subscribe call was woken to look for its events.
    wakeups: AtomicUsize,
}

/// Counts a waiting subscribe call for as long as it lives (a client that hangs up
/// drops it).
struct WaitGuard<'a>(&'a AtomicUsize);

impl Drop for WaitGuard<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::SeqCst);
    }
}

/// How often idle keysets are swept (aged events dropped, empty keysets forgotten).
const SWEEP_EVERY: Duration = Duration::from_secs(60);

impl Default for EventHub {
    fn default() -> Self {
        EventHub::new(EventConfig::default())
    }
}

impl EventHub {
    /// An empty hub.
    pub fn new(config: EventConfig) -> EventHub {
        EventHub {
            config,
            keysets: Mutex::new(HashMap::new()),
            clock: AtomicU64::new(0),
            last_sweep: Mutex::new(Instant::now()),
            waiting: AtomicUsize::new(0),
            total_bytes: AtomicUsize::new(0),
            wakeups: AtomicUsize::new(0),
        }
    }

    /// The configuration.
    pub fn config(&self) -> &EventConfig {
        &self.config
    }

    fn keyset(&self, sub: &str) -> Arc<Keyset> {
        let ks = {
            let mut map = self.keysets.lock().unwrap_or_else(|e| e.into_inner());
            map.entry(sub.to_string())
                .or_insert_with(|| {
                    Arc::new(Keyset {
                        ring: Mutex::new(Ring::default()),
                        waiters: Mutex::new(HashMap::new()),
                        next_waiter: AtomicU64::new(0),
                    })
                })
                .clone()
        };
        self.maybe_sweep();
        ks
    }

    /// A timetoken for a new event: after every one handed out before.
    fn next_tt(&self) -> u64 {
        let now = now_timetoken();
        let prev = self
            .clock
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| Some(now.max(p + 1)))
            .unwrap_or_default();
        now.max(prev + 1)
    }

    /// The current timetoken: no earlier than any handed out, and every later event's
    /// is greater.
    fn current_tt(&self) -> u64 {
        let now = now_timetoken();
        let prev = self
            .clock
            .fetch_update(Ordering::SeqCst, Ordering::SeqCst, |p| Some(now.max(p)))
            .unwrap_or_default();
        now.max(prev)
    }

    /// Buffers `changes` (in order) for keyset `sub` and wakes its subscribers.
    pub fn publish(&self, sub: &str, mut changes: Vec<Change>) {
        changes.retain(|c| !self.config.disabled.contains(&c.kind));
        if changes.is_empty() {
            return;
        }
        let ks = self.keyset(sub);
        let mut touched: Vec<String> = Vec::new();
        {
            let mut ring = ks.ring.lock().unwrap_or_else(|e| e.into_inner());
            let before = ring.bytes;
            for change in changes {
                touched.extend(change.routes.iter().cloned());
                let mut routes: Vec<Box<str>> = change
                    .routes
                    .into_iter()
                    .map(String::into_boxed_str)
                    .collect();
                routes.sort();
                routes.dedup();
                ring.push(Stored {
                    tt: self.next_tt(),
                    payload: Arc::from(change.payload),
                    routes: routes.into_boxed_slice(),
                });
            }
            let added = ring.bytes - before;
            let freed = ring.evict(&self.config, now_timetoken());
            self.total_bytes.fetch_add(added, Ordering::SeqCst);
            self.total_bytes.fetch_sub(freed, Ordering::SeqCst);
        }
        // Only the calls waiting on a channel these events go to.
        touched.sort();
        touched.dedup();
        ks.wake(&touched.iter().map(String::as_str).collect::<Vec<_>>());
        self.evict_over_total();
    }

    /// While all keysets together hold more than [`EventConfig::max_total_bytes`],
    /// drops the oldest event of all (one ring lock at a time, under the map lock, the
    /// same order as everywhere else).
    fn evict_over_total(&self) {
        if self.total_bytes.load(Ordering::SeqCst) <= self.config.max_total_bytes {
            return;
        }
        let map = self.keysets.lock().unwrap_or_else(|e| e.into_inner());
        while self.total_bytes.load(Ordering::SeqCst) > self.config.max_total_bytes {
            let oldest = map
                .values()
                .filter_map(|ks| {
                    let ring = ks.ring.lock().unwrap_or_else(|e| e.into_inner());
                    ring.events.front().map(|e| (e.tt, ks))
                })
                .min_by_key(|(tt, _)| *tt);
            let Some((_, ks)) = oldest else {
                return;
            };
            let freed = ks
                .ring
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .pop_oldest();
            self.total_bytes.fetch_sub(freed, Ordering::SeqCst);
        }
    }

    /// Bytes of events buffered over all keysets (tests, diagnostics).
    pub fn buffered_bytes(&self) -> usize {
        self.total_bytes.load(Ordering::SeqCst)
    }

    /// The handshake: the current timetoken and no messages.
    pub fn handshake(&self, sub: &str) -> Batch {
        let ks = self.keyset(sub);
        let _ring = ks.ring.lock().unwrap_or_else(|e| e.into_inner());
        Batch {
            sub: sub.to_string(),
            tt: self.current_tt(),
            messages: Vec::new(),
        }
    }

    /// Waits until keyset `sub` has events after `since` routed to one of `channels`
    /// and returns them, or returns none with the current timetoken once `timeout`
    /// passes.
    pub async fn wait(
        &self,
        sub: &str,
        channels: &[String],
        since: u64,
        timeout: Duration,
    ) -> Batch {
        let ks = self.keyset(sub);
        self.waiting.fetch_add(1, Ordering::SeqCst);
        let _counted = WaitGuard(&self.waiting);
        let deadline = tokio::time::sleep(timeout);
        tokio::pin!(deadline);
        // Events up to here were looked at and none was for us: a wake-up caused by
        // another channel's event only looks at what is newer.
        let mut scanned = since;
        // Registered before the first look, so a publish between a look and the wait
        // leaves a permit instead of being missed.
        let me = Arc::new(Notify::new());
        let _registration = {
            let id = ks.next_waiter.fetch_add(1, Ordering::Relaxed);
            let mut waiters = ks.waiters.lock().unwrap_or_else(|e| e.into_inner());
            for ch in channels {
                waiters
                    .entry(ch.as_str().into())
                    .or_default()
                    .push((id, me.clone()));
            }
            Registration {
                keyset: &ks,
                id,
                channels,
            }
        };
        loop {
            let notified = me.notified();
            tokio::pin!(notified);
            {
                let ring = ks.ring.lock().unwrap_or_else(|e| e.into_inner());
                if let Some(batch) = ring.collect(sub, channels, since, scanned) {
                    return batch;
                }
                scanned = ring.newest().unwrap_or(scanned).max(scanned);
            }
            tokio::select! {
                _ = &mut notified => {
                    self.wakeups.fetch_add(1, Ordering::Relaxed);
                }
                _ = &mut deadline => {
                    let ring = ks.ring.lock().unwrap_or_else(|e| e.into_inner());
                    return ring.collect(sub, channels, since, scanned).unwrap_or_else(|| Batch {
                        sub: sub.to_string(),
                        tt: self.current_tt(),
                        messages: Vec::new(),
                    });
                }
            }
        }
    }

    /// How many times a waiting subscribe call was woken by a write (tests,
    /// diagnostics: a write wakes only the calls waiting on its channels).
    pub fn wakeups(&self) -> usize {
        self.wakeups.load(Ordering::Relaxed)
    }

    /// How many subscribe calls are waiting for events right now.
    pub fn waiting(&self) -> usize {
        self.waiting.load(Ordering::SeqCst)
    }

    /// How many events keyset `sub` holds (tests, diagnostics).
    pub fn buffered(&self, sub: &str) -> usize {
        let map = self.keysets.lock().unwrap_or_else(|e| e.into_inner());
        map.get(sub).map_or(0, |ks| {
            ks.ring
                .lock()
                .unwrap_or_else(|e| e.into_inner())
                .events
                .len()
        })
    }

    /// Every [`SWEEP_EVERY`]: drops aged events everywhere and forgets keysets with no
    /// events and nobody waiting on them.
    fn maybe_sweep(&self) {
        {
            let mut last = self.last_sweep.lock().unwrap_or_else(|e| e.into_inner());
            if last.elapsed() < SWEEP_EVERY {
                return;
            }
            *last = Instant::now();
        }
        let now_tt = now_timetoken();
        let mut map = self.keysets.lock().unwrap_or_else(|e| e.into_inner());
        map.retain(|_, ks| {
            let mut ring = ks.ring.lock().unwrap_or_else(|e| e.into_inner());
            let freed = ring.evict(&self.config, now_tt);
            self.total_bytes.fetch_sub(freed, Ordering::SeqCst);
            !ring.events.is_empty() || Arc::strong_count(ks) > 1
        });
    }
}

#[cfg(test)]
mod tests {
    /// A membership `set` event is what building it as a sorted map of values gives
    /// (how every other event is built), for every combination of fields sent.
    #[test]
    fn membership_set_payload_is_the_sorted_map() {
        use super::*;
        let mut custom = crate::api::types::Custom::new();
        custom.insert("z".into(), json!(1));
        custom.insert("a \"q\" é".into(), json!("\u{85}x"));
        for bits in 0..16u8 {
            let row = RelationRow {
                user_id: "u\"1".into(),
                channel_id: "ch é".into(),
                kind_field: (bits & 8 != 0).then(|| "t".into()),
                status: (bits & 8 == 0).then(|| "active".into()),
                custom: (bits & 8 != 0).then(|| custom.clone()),
                updated: 1_600_000_000_123_456,
                etag: "AbCdEfGhIjKlMn".into(),
            };
            let patch = RelationPatch {
                other_id: String::new(),
                custom: (bits & 1 != 0).then(|| row.custom.clone()),
                status: (bits & 2 != 0).then(|| row.status.clone()),
                kind_field: (bits & 4 != 0).then(|| row.kind_field.clone()),
            };
            let mut fields: Vec<(&str, Value)> = vec![
                ("channel", json!({"id": row.channel_id})),
                ("uuid", json!({"id": row.user_id})),
                ("updated", json!(format_updated_nanos(row.updated))),
                ("eTag", json!(row.etag)),
            ];
            if patch.custom.is_some() {
                fields.push(("custom", json!(row.custom)));
            }
            if patch.status.is_some() {
                fields.push(("status", json!(row.status)));
            }
            if patch.kind_field.is_some() {
                fields.push(("type", json!(row.kind_field)));
            }
            let reference = Change::new("set", EventType::Membership, sorted(fields), vec![]);
            let fast = Change::membership_set(&row, &patch);
            assert_eq!(fast.payload, reference.payload, "{bits}");
            assert_eq!(
                fast.routes,
                membership_routes(&row.user_id, &row.channel_id)
            );
        }
    }

    use super::*;

    fn change(routes: &[&str]) -> Change {
        Change::object_delete(
            Kind::User,
            routes[0],
            routes.iter().map(|s| s.to_string()).collect(),
        )
    }

    #[test]
    fn nanosecond_updated_has_nine_digits() {
        assert_eq!(
            format_updated_nanos(1_602_709_003_681_870),
            "2020-10-14T20:56:43.681870000Z"
        );
        assert_eq!(
            format_updated_nanos(1_700_000_000_000_000),
            "2023-11-14T22:13:20.000000000Z"
        );
    }

    #[test]
    fn object_set_carries_only_written_fields_in_alphabetical_order() {
        let row = ObjectRow {
            id: "u1".into(),
            name: Some("Ann".into()),
            email: Some("a@b.c".into()),
            status: Some("active".into()),
            kind_field: Some("admin".into()),
            custom: Some([("k".to_string(), json!(1))].into_iter().collect()),
            updated: 1_602_706_255_763_006,
            etag: "e".into(),
            ..Default::default()
        };
        let patch = ObjectPatch {
            status: Some(Some("active".into())),
            custom: Some(None),
            kind_field: Some(Some("admin".into())),
            ..Default::default()
        };
        let c = Change::object_set(Kind::User, &row, &patch, vec!["u1".into()]);
        assert_eq!(
            c.payload,
            r#"{"source":"objects","version":"2.0","event":"set","type":"uuid","data":{"custom":{"k":1},"eTag":"e","id":"u1","status":"active","type":"admin","updated":"2020-10-14T20:10:55.763006Z"}}"#
        );
    }

    #[test]
    fn ring_keeps_order_and_bounds() {
        let hub = EventHub::new(EventConfig {
            max_events: 3,
            ..Default::default()
        });
        for i in 0..5 {
            hub.publish("k", vec![change(&[&format!("u{i}")])]);
        }
        assert_eq!(hub.buffered("k"), 3);
        let ks = hub.keyset("k");
        let ring = ks.ring.lock().unwrap();
        let tts: Vec<u64> = ring.events.iter().map(|e| e.tt).collect();
        assert!(tts.windows(2).all(|w| w[0] < w[1]));
        let b = ring
            .collect("k", &["u4".to_string(), "u0".to_string()], 0, 0)
            .unwrap();
        assert_eq!(b.messages.len(), 1);
        assert_eq!(b.messages[0].channel, "u4");
        assert_eq!(b.tt, tts[2]);
    }

    #[test]
    fn a_response_holds_at_most_a_page_of_whole_events() {
        let hub = EventHub::default();
        for _ in 0..150 {
            hub.publish("k", vec![change(&["x"])]);
        }
        // One event on two subscribed channels: two messages, never split.
        hub.publish("k", vec![change(&["x", "y"])]);
        let ks = hub.keyset("k");
        let ring = ks.ring.lock().unwrap();
        let chans = ["x".to_string(), "y".to_string()];
        let first = ring.collect("k", &chans, 0, 0).unwrap();
        assert_eq!(first.messages.len(), MAX_MESSAGES);
        assert_eq!(first.tt, ring.events[MAX_MESSAGES - 1].tt);
        let second = ring.collect("k", &chans, first.tt, 0).unwrap();
        assert_eq!(second.messages.len(), 52);
        assert_eq!(second.tt, ring.newest().unwrap());
        assert!(ring.collect("k", &chans, second.tt, 0).is_none());
        // Whatever was scanned already is skipped.
        assert!(ring.collect("k", &chans, 0, second.tt).is_none());
    }

    #[test]
    fn routes_budget_evicts_oldest() {
        let hub = EventHub::new(EventConfig {
            max_routes: 4,
            ..Default::default()
        });
        hub.publish("k", vec![change(&["a", "b", "c"])]);
        hub.publish("k", vec![change(&["d", "e"])]);
        assert_eq!(hub.buffered("k"), 1);
    }

    fn big(id: &str, kb: usize) -> Change {
        Change {
            payload: format!(r#"{{"id":"{id}","blob":"{}"}}"#, "x".repeat(kb * 1000)),
            routes: vec![id.to_string()],
            kind: EventType::Uuid,
        }
    }

    #[test]
    fn bytes_budget_per_keyset_evicts_the_oldest() {
        let hub = EventHub::new(EventConfig {
            max_bytes: 200_000,
            ..Default::default()
        });
        for i in 0..20 {
            hub.publish("k", vec![big(&format!("u{i}"), 30)]);
        }
        // 30 KB each: six fit in 200 KB.
        assert_eq!(hub.buffered("k"), 6);
        assert!(hub.buffered_bytes() <= 200_000);
        let ks = hub.keyset("k");
        let ring = ks.ring.lock().unwrap();
        let b = ring
            .collect(
                "k",
                &["u13".to_string(), "u14".to_string(), "u19".to_string()],
                0,
                0,
            )
            .unwrap();
        let got: Vec<_> = b.messages.iter().map(|m| m.channel.as_str()).collect();
        assert_eq!(got, ["u14", "u19"], "the newest are kept");
    }

    #[test]
    fn total_bytes_budget_spans_keysets_and_drops_the_oldest_of_all() {
        let hub = EventHub::new(EventConfig {
            max_total_bytes: 300_000,
            ..Default::default()
        });
        for i in 0..10 {
            hub.publish("a", vec![big(&format!("a{i}"), 30)]);
            hub.publish("b", vec![big(&format!("b{i}"), 30)]);
        }
        hub.publish("c", vec![big("c0", 30)]);
        assert!(hub.buffered_bytes() <= 300_000, "{}", hub.buffered_bytes());
        let (a, b, c) = (hub.buffered("a"), hub.buffered("b"), hub.buffered("c"));
        assert_eq!(a + b + c, 9, "nine events of ~30 KB fit in 300 KB");
        assert_eq!(c, 1, "the newest event stays");
        // The oldest went first, whichever keyset held them: a9 and b9 are the newest.
        assert_eq!((a, b), (4, 4));
        let ks = hub.keyset("a");
        let ring = ks.ring.lock().unwrap();
        assert!(ring.collect("a", &["a5".to_string()], 0, 0).is_none());
        assert!(ring.collect("a", &["a6".to_string()], 0, 0).is_some());
    }

    #[test]
    fn a_subscriber_behind_gets_the_oldest_still_held() {
        let hub = EventHub::new(EventConfig {
            max_events: 2,
            ..Default::default()
        });
        let before = hub.handshake("k").tt;
        for i in 0..5 {
            hub.publish("k", vec![change(&[&format!("u{i}")])]);
        }
        let ks = hub.keyset("k");
        let ring = ks.ring.lock().unwrap();
        let chans: Vec<String> = (0..5).map(|i| format!("u{i}")).collect();
        let b = ring.collect("k", &chans, before, 0).unwrap();
        let got: Vec<_> = b.messages.iter().map(|m| m.channel.as_str()).collect();
        assert_eq!(got, ["u3", "u4"]);
    }

    #[tokio::test]
    async fn a_write_wakes_only_the_subscribers_of_its_channels() {
        let hub = Arc::new(EventHub::default());
        let since = hub.handshake("k").tt;
        let waiter = |ch: &str| {
            let (hub, ch) = (hub.clone(), vec![ch.to_string()]);
            tokio::spawn(async move { hub.wait("k", &ch, since, Duration::from_secs(10)).await })
        };
        let on_b = waiter("b");
        let on_a = waiter("a");
        while hub.waiting() < 2 {
            tokio::task::yield_now().await;
        }
        for _ in 0..50 {
            hub.publish("k", vec![change(&["x"])]);
            tokio::task::yield_now().await;
        }
        assert_eq!(hub.wakeups(), 0, "nobody waits on x");
        hub.publish("k", vec![change(&["a"])]);
        let got = on_a.await.unwrap();
        assert_eq!(got.messages[0].channel, "a");
        assert_eq!(hub.wakeups(), 1, "only the call waiting on a woke");
        hub.publish("k", vec![change(&["b"])]);
        assert_eq!(on_b.await.unwrap().messages.len(), 1);
        assert_eq!(hub.waiting(), 0);
        let ks = hub.keyset("k");
        assert!(
            ks.waiters.lock().unwrap().is_empty(),
            "registrations are removed"
        );
    }

    #[test]
    fn handshake_is_before_every_later_event() {
        let hub = EventHub::default();
        let hs = hub.handshake("k").tt;
        hub.publish("k", vec![change(&["x"])]);
        let ks = hub.keyset("k");
        let ring = ks.ring.lock().unwrap();
        assert!(ring.events[0].tt > hs);
        assert_eq!(hs.to_string().len(), 17);
    }

    #[test]
    fn batch_json_matches_pubnub_shape() {
        let b = Batch {
            sub: "sub-a".into(),
            tt: 16027142346548263,
            messages: vec![Message {
                tt: 16027142346521934,
                channel: "uuid_mg3".into(),
                payload: Arc::from(
                    r#"{"source":"objects","version":"2.0","event":"delete","type":"uuid","data":{"id":"uuid_mg3"}}"#,
                ),
            }],
        };
        assert_eq!(
            b.to_json(),
            r#"{"t":{"t":"16027142346548263","r":1},"m":[{"a":"1","f":0,"e":2,"p":{"t":"16027142346521934","r":1},"k":"sub-a","c":"uuid_mg3","d":{"source":"objects","version":"2.0","event":"delete","type":"uuid","data":{"id":"uuid_mg3"}}}]}"#
        );
    }
}
