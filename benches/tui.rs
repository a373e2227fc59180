//! TUI budgets (issue 4), in one run: `cargo bench --bench tui`.
//!
//! * drawing a frame at 200×50 with 100,000 users loaded (target ≤ 2 ms),
//! * one local-search keystroke over those 100,000 rows (target ≤ 20 ms),
//! * resident memory with 100,000 users loaded (target ≤ 200 MB RSS),
//! * start to first list drawn with the embedded server and the demo keyset
//!   (target ≤ 500 ms): a fresh database, server start, seeding, first page, first draw.
//!
//! Idle CPU is measured on the real binary by `benches/tui_idle.sh` (it needs a
//! terminal). Benchmarks report; they never fail on a missed target.

use std::time::{Duration, Instant};

use appctx::api::types::{Cursor, Maybe, Page, User};
use appctx::api::{Client, Keyset};
use appctx::server::{self, ServerConfig};
use appctx::tui::action::{Action, Command, PageData, Source};
use appctx::tui::app::{App, Backend, Session};
use appctx::tui::keymap::Keymap;
use appctx::tui::{view, Runner};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::backend::TestBackend;
use ratatui::Terminal;

fn session() -> Session {
    Session {
        keyset: "bench".into(),
        backend: Backend::Local,
        read_only: false,
        read_only_reason: String::new(),
        access: None,
    }
}

fn rss_mb() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

const FIRST: &[&str] = &[
    "Anna", "Bartosz", "Chloé", "Dmitri", "Emma", "Fatima", "Gustav", "Hana", "Ігор", "José",
    "Kenji", "Léa", "Mateo", "Nora", "Olek", "Priya", "Quinn", "Raj", "Sofia", "Tomás", "山本",
    "Zoë",
];
const LAST: &[&str] = &[
    "Nowak", "Müller", "García", "Smith", "Kowalski", "Rossi", "Dubois", "Tanaka", "Kim",
    "Ivanova", "Haddad", "Cohen",
];

fn user(i: usize) -> User {
    let name = format!(
        "{} {}",
        FIRST[i % FIRST.len()],
        LAST[(i / FIRST.len()) % LAST.len()]
    );
    let mut custom = appctx::api::types::Custom::new();
    custom.insert(
        "tier".into(),
        serde_json::json!(["gold", "silver", "free"][i % 3]),
    );
    custom.insert("karma".into(), serde_json::json!(i % 5000));
    User {
        user_id: format!("user-{i:06}"),
        email: Some(format!(
            "{}.{i}@example.com",
            name.to_lowercase().replace(' ', ".")
        )),
        name: Some(name),
        external_id: None,
        profile_url: Some(format!("https://cdn.example.com/a/{i}.png")),
        kind: Maybe::Value("member".into()),
        status: Maybe::Value(["active", "away"][i % 2].into()),
        custom: Maybe::Value(custom),
        updated: "2026-11-01T00:00:00.123456Z".into(),
        etag: format!("{:032x}", i * 7919),
    }
}

fn percentile(mut v: Vec<Duration>, p: f64) -> Duration {
    v.sort();
    v[((v.len() - 1) as f64 * p).round() as usize]
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

fn loaded_app(n: usize) -> App {
    let (mut app, cmds) = App::new(Keymap::default_map(), session(), (200, 50));
    let mut req = cmds
        .iter()
        .find_map(|c| match c {
            Command::FetchPage {
                req,
                source: Source::Users,
                ..
            } => Some(*req),
            _ => None,
        })
        .expect("users requested");
    let pages = n / 100;
    for p in 0..pages {
        let data: Vec<User> = (p * 100..(p + 1) * 100).map(user).collect();
        let next = (p + 1 < pages).then(|| Cursor(format!("p{p}")));
        let cmds = app.update(Action::PageLoaded {
            req,
            result: Ok(PageData::Users(Page {
                status: 200,
                data,
                total_count: Some(n as u64),
                next,
                prev: None,
            })),
        });
        // Scroll to the end so the app asks for the next page, as a user would.
        app.users.selected = app.users.visible.len().saturating_sub(1);
        let more = app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('G'),
            KeyModifiers::NONE,
        )));
        if let Some(r) = more.iter().chain(cmds.iter()).find_map(|c| match c {
            Command::FetchPage {
                req,
                source: Source::Users,
                ..
            } => Some(*req),
            _ => None,
        }) {
            req = r;
        }
    }
    app.users.selected = n / 2;
    app
}

fn main() {
    println!(
        "appctx TUI benchmark ({} cores)",
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    let before = rss_mb();
    let mut app = loaded_app(100_000);
    let after = rss_mb();
    assert_eq!(app.users.rows.len(), 100_000, "all pages applied");

    // Frame drawing at 200x50.
    let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
    for _ in 0..20 {
        terminal.draw(|f| view::draw(f, &app)).expect("draw");
    }
    let mut frames = Vec::new();
    for i in 0..300 {
        app.users.selected = (i * 331) % 100_000;
        app.update(Action::Resize(200, 50));
        let t = Instant::now();
        terminal.draw(|f| view::draw(f, &app)).expect("draw");
        frames.push(t.elapsed());
    }
    let frame_p50 = percentile(frames.clone(), 0.5);
    let frame_p99 = percentile(frames, 0.99);

    // Local search keystrokes over 100k rows: open search, type, then delete.
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    let mut keys = Vec::new();
    for c in "nowak".chars().chain(std::iter::repeat_n('\u{8}', 5)) {
        let code = if c == '\u{8}' {
            KeyCode::Backspace
        } else {
            KeyCode::Char(c)
        };
        let t = Instant::now();
        app.update(Action::Key(KeyEvent::new(code, KeyModifiers::NONE)));
        keys.push(t.elapsed());
    }
    let key_max = *keys.iter().max().expect("keys");
    let key_p50 = percentile(keys, 0.5);

    // Start to first list drawn, embedded server with a new database.
    let rt = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .expect("runtime");
    let startup = rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let t = Instant::now();
        let running = server::start(ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            db: dir.path().join("demo.db"),
            empty: false,
            referential_integrity: false,
            signing: None,
            log_requests: false,
        })
        .await
        .expect("server");
        let client = Client::new(Keyset::new(running.origin(), "demo", "bench")).expect("client");
        let mut runner = Runner::new(client, Keymap::default_map(), session(), (120, 40));
        runner
            .wait_until(Duration::from_secs(10), |a| !a.users.rows.is_empty())
            .await;
        let mut terminal = Terminal::new(TestBackend::new(120, 40)).expect("terminal");
        terminal.draw(|f| view::draw(f, &runner.app)).expect("draw");
        t.elapsed()
    });

    // Live updates: a write answered by the server, to the change drawn in the TUI.
    let live = rt.block_on(async {
        let dir = tempfile::tempdir().expect("tempdir");
        let running = server::start(ServerConfig {
            listen: "127.0.0.1:0".parse().expect("addr"),
            db: dir.path().join("live.db"),
            empty: false,
            referential_integrity: false,
            signing: None,
            log_requests: false,
        })
        .await
        .expect("server");
        let client = Client::new(Keyset::new(running.origin(), "demo", "bench")).expect("client");
        let other =
            Client::new(Keyset::new(running.origin(), "demo", "someone-else")).expect("client");
        let mut runner = Runner::new(client, Keymap::default_map(), session(), (200, 50));
        runner
            .wait_until(Duration::from_secs(10), |a| {
                a.live == appctx::tui::live::LiveState::Live
            })
            .await;
        let id = runner.app.users.rows[0].user_id.clone();
        let mut terminal = Terminal::new(TestBackend::new(200, 50)).expect("terminal");
        let mut samples = Vec::new();
        for i in 0..200 {
            let name = format!("Live {i}");
            let fields = appctx::api::UserFields {
                name: Maybe::Value(name.clone()),
                ..Default::default()
            };
            other
                .set_user(&id, &fields, &Default::default())
                .await
                .expect("write");
            let answered = Instant::now();
            let seen = runner
                .wait_until(Duration::from_secs(5), |a| {
                    a.users.rows[0].name.as_deref() == Some(name.as_str())
                })
                .await;
            terminal.draw(|f| view::draw(f, &runner.app)).expect("draw");
            if seen {
                samples.push(answered.elapsed());
            }
        }
        samples
    });
    let live_n = live.len();
    let live_p50 = percentile(live.clone(), 0.5);
    let live_p95 = percentile(live, 0.95);

    let rss = after.max(before);
    println!();
    println!("| measure | result | target | |");
    println!("|---|---|---|---|");
    println!(
        "| frame at 200×50, 100k users loaded | p50 {:.2} ms, p99 {:.2} ms | ≤ 2 ms | {} |",
        ms(frame_p50),
        ms(frame_p99),
        verdict(frame_p99 <= Duration::from_millis(2))
    );
    println!(
        "| local-search keystroke, 100k rows | p50 {:.2} ms, max {:.2} ms | ≤ 20 ms | {} |",
        ms(key_p50),
        ms(key_max),
        verdict(key_max <= Duration::from_millis(20))
    );
    println!("| RSS with 100k users loaded | {rss:.0} MB (before loading {before:.0} MB) | ≤ 200 MB | {} |", verdict(rss <= 200.0));
    println!("| live update: write answered → change drawn ({live_n} writes) | p50 {:.2} ms, p95 {:.2} ms | p95 ≤ 100 ms | {} |", ms(live_p50), ms(live_p95), verdict(live_p95 <= Duration::from_millis(100)));
    println!("| start to first list drawn (embedded server, new database, seeding) | {:.0} ms | ≤ 500 ms | {} |", ms(startup), verdict(startup <= Duration::from_millis(500)));
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}
