//! Finding records on big keysets (issue 10's budgets): `cargo bench --bench find`
//! at 10k and 100k users, and 1M with `APPCTX_BENCH_1M=1` (a few minutes more).
//!
//! The users are written straight into SQLite, then the **shipped binary** runs as
//! `appctx serve --quiet` on that database (a separate process, as users run it), and
//! the TUI's own code (app, worker, HTTP client; no terminal) talks to it:
//! - server search: the request `/` sends while you type (a case-insensitive `LIKE` on
//!   id, name and email, `limit=100`, `count=true`), p50 over 21 different texts, so no
//!   remembered count helps (target at 1M: p50 ≤ 100 ms);
//! - `G`: from the first page to the last row selected (target at 1M: ≤ 1 s);
//! - memory: the resident size of the process holding the app after `G`, with every
//!   user known by count and 200 loaded (target ≤ 200 MB);
//! - keystroke to frame: one `/` keystroke over 100,000 loaded rows plus the frame
//!   drawn after it at 200×50 (target ≤ 20 ms).
//!
//! Benchmarks report; they do not assert: a missed target prints FAIL, exit 0.

#[path = "support/mod.rs"]
mod support;
use std::time::{Duration, Instant};
use support::{free_port, Serve};

use appctx::api::types::{Custom, Maybe, Page, User};
use appctx::api::{Client, Keyset};
use appctx::filter::Target;
use appctx::server::model::{now_micros, Kind, ObjectRow};
use appctx::server::store::Store;
use appctx::tui::action::{Action, PageData};
use appctx::tui::app::{App, Backend, Session};
use appctx::tui::keymap::Keymap;
use appctx::tui::{view, Runner};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const SUB: &str = "find";

fn session() -> Session {
    Session {
        keyset: SUB.into(),
        backend: Backend::LocalServer("bench".into()),
        read_only: false,
        read_only_reason: String::new(),
        access: None,
    }
}

fn rss_mb() -> f64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find(|l| l.starts_with("VmRSS:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(0.0, |kb| kb / 1024.0)
}

fn name(i: usize) -> String {
    const FIRST: &[&str] = &[
        "Anna", "Bartosz", "Chloé", "Dmitri", "Emma", "Zoë", "山本", "José",
    ];
    const LAST: &[&str] = &[
        "Nowak", "Müller", "García", "Quartz", "Tanaka", "Kim", "Cohen",
    ];
    format!(
        "{} {} {i}",
        FIRST[i % FIRST.len()],
        LAST[(i / 7) % LAST.len()]
    )
}

fn row(i: usize, now: i64) -> ObjectRow {
    let mut custom = Custom::new();
    custom.insert(
        "tier".into(),
        serde_json::json!(["free", "pro", "gold"][i % 3]),
    );
    let mut r = ObjectRow {
        id: format!("user-{i:07}"),
        name: Some(name(i)),
        email: Some(format!("u{i}@example.com")),
        status: Some("active".into()),
        custom: Some(custom),
        updated: now - i as i64,
        ..Default::default()
    };
    r.etag = r.compute_etag(Kind::User);
    r
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "ok"
    } else {
        "FAIL"
    }
}

fn p50(mut v: Vec<f64>) -> f64 {
    v.sort_by(|a, b| a.total_cmp(b));
    v[v.len() / 2]
}

struct Measured {
    search_p50_ms: f64,
    g_ms: f64,
    rss_mb: f64,
}

async fn measure(n: usize, dir: &std::path::Path) -> Result<Measured, String> {
    let db = dir.join(format!("find-{n}.db"));
    {
        let store = Store::open(&db, false).map_err(|e| e.to_string())?;
        let now = now_micros();
        let mut i = 0;
        while i < n {
            let end = (i + 50_000).min(n);
            let chunk: Vec<_> = (i..end).map(|i| (Kind::User, row(i, now))).collect();
            store
                .bulk_load(SUB, &chunk, &[])
                .map_err(|e| format!("{e:?}"))?;
            i = end;
        }
    }
    let port = free_port(18_700);
    let origin = format!("http://127.0.0.1:{port}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args([
            "serve",
            "--quiet",
            "--empty",
            "--listen",
            &format!("127.0.0.1:{port}"),
            "--db",
        ])
        .arg(&db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("appctx serve: {e}"))?;
    let _serve = Serve(child);
    let client =
        Client::new(Keyset::new(origin.clone(), SUB, "bench")).map_err(|e| e.to_string())?;
    for _ in 0..100 {
        if client.list_users(&Default::default()).await.is_ok() {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }

    // The server search `/` sends, for 21 different texts.
    let mut times = Vec::new();
    for k in 0..21 {
        let text = format!("quartz {}", 17 + k * 31);
        let filter =
            appctx::tui::command::search_filter(Target::Users, &text, None).ok_or("no filter")?;
        let opts = appctx::api::ListOptions {
            limit: Some(100),
            filter: Some(filter),
            include_total_count: true,
            include: appctx::api::Include::ALL,
            ..Default::default()
        };
        let t = Instant::now();
        client.list_users(&opts).await.map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }

    // G: the app loads its first page, then goes to the end.
    let mut runner = Runner::new(client, Keymap::default_map(), session(), (200, 50));
    let wait = Duration::from_secs(60);
    if !runner.wait_until(wait, |a| !a.users.rows.is_empty()).await {
        return Err("the first page never came".into());
    }
    let last = format!("user-{:07}", n - 1);
    let t = Instant::now();
    runner.handle(Action::Key(KeyEvent::new(
        KeyCode::Char('G'),
        KeyModifiers::SHIFT,
    )));
    let reached = runner
        .wait_until(wait, |a| a.users.selected_id() == Some(last.as_str()))
        .await;
    let g_ms = t.elapsed().as_secs_f64() * 1000.0;
    if !reached {
        return Err(format!("G never reached {last}"));
    }
    // The rows before the last page load as the selection moves up.
    for _ in 0..90 {
        runner.handle(Action::Key(KeyEvent::new(
            KeyCode::Char('k'),
            KeyModifiers::NONE,
        )));
    }
    runner.wait_until(wait, |a| a.users.rows.len() >= 200).await;
    Ok(Measured {
        search_p50_ms: p50(times),
        g_ms,
        rss_mb: rss_mb(),
    })
}

/// One `/` keystroke over `n` loaded rows and the frame after it, p50 and max.
fn keystroke_to_frame(n: usize) -> (f64, f64) {
    let (mut app, _) = App::new(Keymap::default_map(), session(), (200, 50));
    let now = "2026-01-01T00:00:00Z".to_string();
    for start in (0..n).step_by(100) {
        let data: Vec<User> = (start..start + 100)
            .map(|i| User {
                user_id: format!("user-{i:07}"),
                name: Some(name(i)),
                email: Some(format!("u{i}@example.com")),
                updated: now.clone(),
                etag: "e".into(),
                custom: Maybe::Null,
                ..Default::default()
            })
            .collect();
        let req = app.users.pending.unwrap_or(0);
        app.update(Action::PageLoaded {
            req,
            result: Ok(PageData::Users(Page {
                status: 200,
                data,
                total_count: Some(n as u64),
                next: Some(appctx::api::types::Cursor("x".into())),
                prev: None,
            })),
        });
        // Ask for the next page the way scrolling does.
        app.users.selected = app.users.visible.len().saturating_sub(1);
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char('j'),
            KeyModifiers::NONE,
        )));
    }
    let mut terminal =
        ratatui::Terminal::new(ratatui::backend::TestBackend::new(200, 50)).expect("terminal");
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('g'),
        KeyModifiers::NONE,
    )));
    app.update(Action::Key(KeyEvent::new(
        KeyCode::Char('/'),
        KeyModifiers::NONE,
    )));
    let mut times = Vec::new();
    for c in "müller 4".chars() {
        let t = Instant::now();
        app.update(Action::Key(KeyEvent::new(
            KeyCode::Char(c),
            KeyModifiers::NONE,
        )));
        terminal.draw(|f| view::draw(f, &app)).expect("draw");
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    let max = times.iter().cloned().fold(0.0, f64::max);
    (p50(times), max)
}

fn main() {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return eprintln!("find bench: no tokio runtime: {e}"),
    };
    let dir = match tempfile::tempdir() {
        Ok(d) => d,
        Err(e) => return eprintln!("find bench: {e}"),
    };
    let mut sizes = vec![10_000, 100_000];
    if std::env::var_os("APPCTX_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    println!("| users | server search p50 ms | G to the last row ms | RSS after G MB |");
    println!("|---|---|---|---|");
    for n in sizes {
        match runtime.block_on(measure(n, dir.path())) {
            Ok(m) => println!(
                "| {n} | {:.1} {} | {:.0} {} | {:.0} {} |",
                m.search_p50_ms,
                verdict(m.search_p50_ms <= 100.0),
                m.g_ms,
                verdict(m.g_ms <= 1000.0),
                m.rss_mb,
                verdict(m.rss_mb <= 200.0)
            ),
            Err(e) => println!("| {n} | error: {e} | | |"),
        }
    }
    let (p, max) = keystroke_to_frame(100_000);
    println!(
        "\n`/` keystroke + frame over 100,000 loaded rows: p50 {p:.1} ms, max {max:.1} ms {} (target ≤ 20 ms)",
        verdict(max <= 20.0)
    );
}
