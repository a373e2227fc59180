//! `cargo bench --bench scale`: how the local server's list costs grow with the keyset,
//! at 1k, 10k and 100k users (and 1M with `APPCTX_BENCH_1M=1`, about 7 minutes more).
//!
//! Users are written straight into SQLite (`Store::bulk_load`; kept in
//! `$APPCTX_BENCH_DIR` between runs when that is set, e.g. `/tmp/appctx-scale`), then
//! the shipped `appctx serve --quiet` process answers HTTP on loopback:
//! - a full walk, `limit=100` pages following `next` to the end (what `export`,
//!   `list --all` and the TUI do): linear when its cost per row stays flat;
//! - `appctx export` (the shipped binary, the whole keyset to a file, start to exit),
//!   and the official Python SDK's paging loop (`benches/export_sdk.py`, process start
//!   to exit, `$APPCTX_PYTHON` or `.venv/bin/python`) against the same server,
//!   taking turns three times (medians are compared);
//! - the CLI as processes (wall time and peak RSS): `export`, `users list --all
//!   --format jsonl` and `import` of the export back (every record unchanged);
//! - one page starting at 0.9·N from a cursor the server never issued (pays the offset);
//! - `count=true` alone, the README list query (`name LIKE 'a*'`, `sort=name`,
//!   `count=true`) and `custom.tier == 'gold'` with `count=true`: p50 when nothing
//!   changed since the last request, and "changed": p50 with a write to the keyset
//!   before each request (so no cached count or cursor helps).
//!
//! Benchmarks report; they do not assert: a missed target prints FAIL, exit 0.

#[path = "support/mod.rs"]
mod support;
use std::time::Instant;
use support::{free_port, run_measured, Ran, Serve};

use base64::Engine;
use serde_json::{json, Value};

use appctx::api::types::Custom;
use appctx::server::model::{now_micros, Kind, ObjectRow};
use appctx::server::store::Store;

const SUB: &str = "scale";
const REPEAT: usize = 41;
const CHANGED_REPEAT: usize = 7;
/// Runs of the export and of the SDK's loop, taking turns.
const RUNS: usize = 3;

fn main() {
    let runtime = match tokio::runtime::Runtime::new() {
        Ok(r) => r,
        Err(e) => return eprintln!("scale bench: no tokio runtime: {e}"),
    };
    let mut sizes = vec![1_000, 10_000, 100_000];
    if std::env::var_os("APPCTX_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    // Only some sizes, e.g. APPCTX_BENCH_SIZES=1000000 (to re-measure one).
    if let Ok(only) = std::env::var("APPCTX_BENCH_SIZES") {
        sizes = only
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
    }
    println!("| users | load s | full walk s | µs/row | export s | SDK loop s: process (loop alone) | SDK / export | deep page 0.9·N ms | count p50 ms (changed) | README query p50 ms (changed) | tier=='gold'+count p50 ms (changed) | first write during the index build ms |");
    println!("|---|---|---|---|---|---|---|---|---|---|---|---|");
    let mut results = Vec::new();
    for n in sizes {
        match runtime.block_on(measure(n)) {
            Ok(r) => {
                let (sdk, ratio) = match r.sdk {
                    Some((process, alone)) => (
                        format!("{process:.2} ({alone:.2})"),
                        format!("{:.1}x ({:.1}x)", process / r.export_s, alone / r.export_s),
                    ),
                    None => ("no python".into(), "-".into()),
                };
                println!(
                    "| {n} | {:.1} | {:.2} | {:.1} | {:.2} | {sdk} | {ratio} | {:.1} | {:.2} ({:.1}) | {:.2} ({:.1}) | {:.2} ({:.1}) | {:.0} |",
                    r.load_s,
                    r.walk_s,
                    r.walk_s * 1e6 / n as f64,
                    r.export_s,
                    r.deep_ms,
                    r.count.0,
                    r.count.1,
                    r.readme.0,
                    r.readme.1,
                    r.tier.0,
                    r.tier.1,
                    r.index_wait_ms
                );
                results.push((n, r));
            }
            Err(e) => eprintln!("scale bench at {n}: {e}"),
        }
    }
    println!();
    println!("The shipped CLI as a process (wall s, peak RSS MB):");
    println!("| users | export | users list --all --format jsonl | import of the export (all unchanged) |");
    println!("|---|---|---|---|");
    let mb = |r: &Ran| r.max_rss_kb as f64 / 1024.0;
    for (n, r) in &results {
        println!(
            "| {n} | {:.2} s, {:.0} MB | {:.2} s, {:.0} MB | {:.2} s, {:.0} MB |",
            r.export.seconds,
            mb(&r.export),
            r.list.seconds,
            mb(&r.list),
            r.import.seconds,
            mb(&r.import)
        );
    }
    if let Some((n, r)) = results.iter().find(|(n, _)| *n >= 1_000_000) {
        for (what, ran) in [
            ("export", &r.export),
            ("users list --all", &r.list),
            ("import", &r.import),
        ] {
            println!(
                "{what} at {n}: peak RSS {:.0} MB (target <= 100) {}",
                mb(ran),
                verdict(mb(ran) <= 100.0)
            );
        }
    }
    // Linear: ten times the users cost ten times as much, i.e. the cost per row stays
    // about flat. Paging by offset makes it grow about tenfold per step; caches and
    // deeper B-trees make it creep up a little even when the work is linear.
    for pair in results.windows(2) {
        let ((n0, a), (n1, b)) = (&pair[0], &pair[1]);
        let growth = (b.walk_s / *n1 as f64) / (a.walk_s / *n0 as f64);
        println!(
            "walk cost per row, {n1} vs {n0} users: {growth:.2}x (offset paging: about 10x; target <= 2x) {}",
            verdict(growth <= 2.0)
        );
    }
    for (n, r) in &results {
        if let Some((process, alone)) = r.sdk {
            let ratio = process / r.export_s;
            println!(
                "export at {n}: {:.2} s, the SDK's loop {ratio:.1}x slower as a process ({:.1}x its loop alone; target >= 3x) {}",
                r.export_s,
                alone / r.export_s,
                verdict(ratio >= 3.0)
            );
        }
        if *n >= 1_000_000 {
            println!(
                "export at {n}: {:.1} s (target <= 60) {}",
                r.export_s,
                verdict(r.export_s <= 60.0)
            );
        }
    }
    if let Some((n1, last)) = results.last() {
        println!(
            "count=true at {n1}, unchanged: p50 {:.2} ms (target <= 5) {}",
            last.count.0,
            verdict(last.count.0 <= 5.0)
        );
        println!(
            "README list query at {n1}, unchanged: p50 {:.2} ms (target <= 10) {}",
            last.readme.0,
            verdict(last.readme.0 <= 10.0)
        );
        let ratio = last.tier.1 / last.readme.1;
        println!(
            "tier=='gold'+count / README query at {n1}, both after a write: {ratio:.1}x (target <= 10) {}",
            verdict(ratio <= 10.0)
        );
    }
}

fn verdict(ok: bool) -> &'static str {
    if ok {
        "PASS"
    } else {
        "FAIL"
    }
}

struct Measured {
    load_s: f64,
    walk_s: f64,
    export_s: f64,
    /// The shipped CLI's runs: export, `users list --all`, import of the export.
    export: Ran,
    list: Ran,
    import: Ran,
    /// The Python SDK's paging loop: (process s, loop alone s).
    sdk: Option<(f64, f64)>,
    /// The first write after the custom filter's third use (its index being built), ms.
    index_wait_ms: f64,
    deep_ms: f64,
    /// (p50 unchanged, p50 after a write), ms.
    count: (f64, f64),
    readme: (f64, f64),
    tier: (f64, f64),
}

const FIRST: &[&str] = &[
    "Aaron", "Alice", "Anna", "Ben", "Carla", "Chen", "Diego", "Élodie", "Fatima", "Hiro", "Ivan",
    "Jasmine", "Kenji", "Leila", "Łukasz", "Maria", "Noah", "Olivia", "Priya", "Søren", "Tomás",
    "Wei", "Yara", "Zoë",
];
const LAST: &[&str] = &[
    "Adams", "Ahmed", "Brown", "Chen", "da Silva", "Díaz", "García", "Jensen", "Kim", "Kowalski",
    "Müller", "Nguyen", "O'Brien", "Patel", "Rossi", "Sato", "Smith", "Zhang",
];
const TIERS: &[&str] = &["gold", "silver", "bronze", "bronze", "silver", "bronze"];

/// Splitmix64: the same data every run.
fn mix(i: u64) -> u64 {
    let mut z = i.wrapping_mul(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

fn user(i: usize, now: i64) -> ObjectRow {
    let r = mix(i as u64);
    let pick = |list: &[&'static str], shift: u32| list[((r >> shift) as usize) % list.len()];
    let name = match r % 50 {
        0 => None,
        1..=5 => Some(pick(FIRST, 8).to_lowercase()),
        _ => Some(format!("{} {}", pick(FIRST, 8), pick(LAST, 16))),
    };
    let mut custom = Custom::new();
    custom.insert("tier".into(), json!(pick(TIERS, 24)));
    custom.insert("score".into(), json!((r >> 32) % 1000));
    let mut row = ObjectRow {
        id: format!("user-{:07}", mix(i as u64 + 7) % 10_000_000),
        name,
        email: Some(format!("u{i}@example.com")),
        kind_field: Some("member".into()),
        status: Some("active".into()),
        custom: Some(custom),
        updated: now - (r % 1_000_000_000) as i64,
        ..Default::default()
    };
    row.id.push_str(&format!("-{i}"));
    row.etag = row.compute_etag(Kind::User);
    row
}

/// The seeded database for `n` users: `$APPCTX_BENCH_DIR/scale-{n}.db` when that is set
/// (kept between runs, since seeding 1M users takes most of a minute), else in `tmp`.
/// A database is reused only when it says it holds exactly these users. Returns the
/// path and the seconds spent loading (0 when reused).
fn seeded(n: usize, tmp: &std::path::Path) -> Result<(std::path::PathBuf, f64), String> {
    let dir = std::env::var_os("APPCTX_BENCH_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| tmp.to_path_buf());
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let db = dir.join(format!("scale-{n}.db"));
    let mark = format!("scale bench v1: {n} users");
    if let Ok(store) = Store::open(&db, false) {
        if store.meta("bench").ok().flatten().as_deref() == Some(mark.as_str()) {
            drop(store);
            // Each run builds the custom key index again (and measures what that costs).
            let c = appctx::server::store::connect(&db).map_err(|e| e.to_string())?;
            let names = appctx::server::custom_index::names(&c).map_err(|e| e.to_string())?;
            for name in names {
                c.execute_batch(&format!("DROP INDEX \"{name}\""))
                    .map_err(|e| e.to_string())?;
            }
            return Ok((db, 0.0));
        }
    }
    for ext in ["", "-wal", "-shm", ".lock"] {
        let mut f = db.clone().into_os_string();
        f.push(ext);
        let _ = std::fs::remove_file(f);
    }
    let loading = Instant::now();
    let store = Store::open(&db, false).map_err(|e| e.to_string())?;
    let now = now_micros();
    let mut i = 0;
    while i < n {
        let end = (i + 50_000).min(n);
        let chunk: Vec<_> = (i..end).map(|i| (Kind::User, user(i, now))).collect();
        store
            .bulk_load(SUB, &chunk, &[])
            .map_err(|e| format!("{e:?}"))?;
        i = end;
    }
    store
        .set_meta("bench", &mark)
        .map_err(|e| format!("{e:?}"))?;
    Ok((db, loading.elapsed().as_secs_f64()))
}

/// The Python SDK's paging loop (`benches/export_sdk.py`): (process s, loop s), or None
/// when no Python with `pubnub` is at hand.
async fn sdk_export(host: &str, n: usize) -> Result<Option<(f64, f64)>, String> {
    let python = std::env::var("APPCTX_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
        });
    if !python.exists() {
        return Ok(None);
    }
    let script = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/export_sdk.py");
    let started = Instant::now();
    let p = tokio::process::Command::new(&python)
        .arg(&script)
        .args([host, SUB])
        .output()
        .await
        .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
    let process_s = started.elapsed().as_secs_f64();
    if !p.status.success() {
        return Err(format!(
            "python SDK loop failed: {}",
            String::from_utf8_lossy(&p.stderr)
        ));
    }
    let report: Value =
        serde_json::from_slice(&p.stdout).map_err(|e| format!("python output: {e}"))?;
    if report["users"] != n {
        return Err(format!(
            "python SDK paged {} users, expected {n}",
            report["users"]
        ));
    }
    Ok(Some((
        process_s,
        report["loop_seconds"].as_f64().unwrap_or(0.0),
    )))
}

async fn measure(n: usize) -> Result<Measured, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let (db, load_s) = seeded(n, dir.path())?;
    let port = free_port(18_710);
    let host = format!("127.0.0.1:{port}");
    let origin = format!("http://{host}");
    let child = std::process::Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["serve", "--quiet", "--empty", "--listen", &host, "--db"])
        .arg(&db)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("appctx serve: {e}"))?;
    let _serve = Serve(child);
    let http = reqwest::Client::new();
    let list = format!("{origin}/v2/objects/{SUB}/uuids");
    let mut up = false;
    for _ in 0..200 {
        if http.get(format!("{origin}/time/0")).send().await.is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    if !up {
        return Err("appctx serve did not answer".into());
    }
    // A reused database may still hold the user the measurements below write.
    let _ = http.delete(format!("{list}/bench-writer")).send().await;

    // The full walk.
    let walking = Instant::now();
    let mut seen = 0usize;
    let mut next: Option<String> = None;
    loop {
        let mut q = "limit=100&include=custom,status,type".to_string();
        if let Some(c) = &next {
            q.push_str(&format!("&start={c}"));
        }
        let page = get(&http, &list, &q).await?;
        let rows = page["data"].as_array().map_or(0, Vec::len);
        if rows == 0 {
            break;
        }
        seen += rows;
        next = page["next"].as_str().map(str::to_string);
        if next.is_none() {
            break;
        }
    }
    let walk_s = walking.elapsed().as_secs_f64();
    if seen != n {
        return Err(format!("the walk saw {seen} of {n} users"));
    }

    // The CLI as a user runs it: export, list --all, then import of that export
    // (every record found unchanged), each as a process with its peak memory.
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").map_err(|e| e.to_string())?;
    let cli = |args: &[&str]| {
        let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_appctx"));
        cmd.arg("--config")
            .arg(&config)
            .args(["--origin", &origin, "--subscribe-key", SUB])
            .args(args)
            .env_remove("PUBNUB_SUBSCRIBE_KEY");
        cmd
    };
    let out = dir.path().join("export.jsonl");
    let out_text = out.display().to_string();
    // Export and the SDK's loop take turns, RUNS times; medians are compared (this
    // machine's speed drifts between minutes).
    let mut exports = Vec::new();
    let mut sdks = Vec::new();
    for _ in 0..RUNS {
        let _ = std::fs::remove_file(&out);
        let export = run_measured(
            &mut cli(&["export", "--out", &out_text]),
            &dir.path().join("export.stdout"),
        )?;
        let exported = count_lines(&out, "{\"kind\":\"user\"")?;
        if exported != n {
            return Err(format!("export wrote {exported} user lines for {n} users"));
        }
        exports.push(export);
        if let Some(sdk) = sdk_export(&host, n).await? {
            sdks.push(sdk);
        }
    }
    exports.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let export = exports.swap_remove(exports.len() / 2);
    let sdk = (!sdks.is_empty()).then(|| {
        (
            median(sdks.iter().map(|s| s.0).collect()),
            median(sdks.iter().map(|s| s.1).collect()),
        )
    });
    let listed_file = dir.path().join("list.jsonl");
    let list_all = run_measured(
        &mut cli(&["users", "list", "--all", "--format", "jsonl"]),
        &listed_file,
    )?;
    let listed = count_lines(&listed_file, "{")?;
    let _ = std::fs::remove_file(&listed_file);
    if listed != n {
        return Err(format!("users list --all printed {listed} users of {n}"));
    }
    let import = run_measured(
        &mut cli(&["import", &out_text]),
        &dir.path().join("import.stdout"),
    )?;
    let report: Value = serde_json::from_str(
        &std::fs::read_to_string(dir.path().join("import.stdout")).map_err(|e| e.to_string())?,
    )
    .map_err(|e| format!("import report: {e}"))?;
    if report["users"]["unchanged"] != n {
        return Err(format!(
            "re-import found {} of {n} users unchanged",
            report["users"]["unchanged"]
        ));
    }
    let export_s = export.seconds;
    let _ = std::fs::remove_file(&out);
    // A page from a cursor the server did not issue: 0.9·N + 1, so no remembered key.
    let deep =
        base64::engine::general_purpose::STANDARD_NO_PAD.encode((n * 9 / 10 + 1).to_string());
    let started = Instant::now();
    get(
        &http,
        &list,
        &format!("limit=100&include=custom&start={deep}"),
    )
    .await?;
    let deep_ms = started.elapsed().as_secs_f64() * 1e3;

    let count = p50(&http, &list, "limit=1&count=true").await?;
    let readme = p50(
        &http,
        &list,
        "limit=100&filter=name%20LIKE%20%27a*%27&sort=name&count=true&include=custom,status,type",
    )
    .await?;
    let (tier_unchanged, tier_changed, index_wait_ms) = p50_and_first_write(
        &http,
        &list,
        "limit=100&filter=custom.tier%20%3D%3D%20%27gold%27&count=true&include=custom",
    )
    .await?;
    let tier = (tier_unchanged, tier_changed);
    Ok(Measured {
        load_s,
        walk_s,
        export_s,
        export,
        list: list_all,
        import,
        sdk,
        index_wait_ms,
        deep_ms,
        count,
        readme,
        tier,
    })
}

/// Lines of `path` that start with `prefix`.
fn count_lines(path: &std::path::Path, prefix: &str) -> Result<usize, String> {
    use std::io::BufRead;
    let file = std::fs::File::open(path).map_err(|e| e.to_string())?;
    Ok(std::io::BufReader::new(file)
        .lines()
        .map_while(Result::ok)
        .filter(|l| l.starts_with(prefix))
        .count())
}

async fn get(http: &reqwest::Client, list: &str, query: &str) -> Result<Value, String> {
    let url = format!("{list}?{query}");
    let res = http.get(&url).send().await.map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{url}: {status} {body}"));
    }
    Ok(body)
}

/// (p50 with nothing changed, p50 with a write to the keyset before each request), ms.
async fn p50(http: &reqwest::Client, list: &str, query: &str) -> Result<(f64, f64), String> {
    p50_and_first_write(http, list, query)
        .await
        .map(|(a, b, _)| (a, b))
}

/// [`p50`], and how long the first write after the unchanged requests took, ms: for
/// the custom filter, the index on its key is being built then (it started after the
/// third request), and writes wait for that build.
async fn p50_and_first_write(
    http: &reqwest::Client,
    list: &str,
    query: &str,
) -> Result<(f64, f64, f64), String> {
    let mut unchanged = Vec::new();
    for _ in 0..REPEAT {
        let t = Instant::now();
        get(http, list, query).await?;
        unchanged.push(t.elapsed().as_secs_f64() * 1e3);
    }
    let mut changed = Vec::new();
    let mut first_write = 0.0;
    for k in 0..CHANGED_REPEAT {
        let writing = Instant::now();
        let res = http
            .patch(format!("{list}/bench-writer"))
            .body(json!({"name": format!("writer {k} {query}")}).to_string())
            .send()
            .await
            .map_err(|e| e.to_string())?;
        if !res.status().is_success() {
            return Err(format!("write: {}", res.status()));
        }
        if k == 0 {
            first_write = writing.elapsed().as_secs_f64() * 1e3;
        }
        let t = Instant::now();
        get(http, list, query).await?;
        changed.push(t.elapsed().as_secs_f64() * 1e3);
    }
    Ok((median(unchanged), median(changed), first_write))
}

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}
