//! `cargo bench --bench relations`: one channel with 1k, 10k and 100k members (and 1M
//! with `APPCTX_BENCH_1M=1`; `APPCTX_BENCH_SIZES=100000` for some only), against the
//! shipped `appctx serve --quiet` process on a new database:
//! - `appctx import` of a file holding the channel's N memberships (the shipped binary,
//!   start to exit, with its peak memory), into an empty keyset; three times, taking
//!   turns with the SDK's loop below, each into a new keyset (medians are shown);
//! - the official Python SDK's `set_channel_members` loop, 100 members per call
//!   (`benches/members_sdk.py`, `$APPCTX_PYTHON` or `.venv/bin/python`), writing the
//!   same members into another keyset of the same server; the bench then checks that
//!   both keysets hold the same members, eTags included;
//! - the same import again, every membership found unchanged;
//! - `appctx members list big --all --format jsonl` (a walk of the members);
//! - one page of members from a cursor at 0.9·N that the server never issued.
//!
//! Benchmarks report; they do not assert: a missed target prints FAIL, exit 0.

#[path = "support/mod.rs"]
mod support;
use std::io::Write;
use std::process::Command;
use std::time::Instant;

use base64::Engine;
use serde_json::{json, Value};
use support::{free_port, run_measured, Ran, Serve};

const CHANNEL: &str = "big";
/// Runs of the import and of the SDK's loop, taking turns.
const RUNS: usize = 3;

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

struct Measured {
    import: Ran,
    /// The SDK's loop: (process s, loop alone s), when Python with `pubnub` is at hand.
    sdk: Option<(f64, f64)>,
    reimport: Ran,
    list: Ran,
    deep_ms: f64,
    requests: Option<u64>,
}

fn main() {
    let mut sizes = vec![1_000, 10_000, 100_000];
    if std::env::var_os("APPCTX_BENCH_1M").is_some() {
        sizes.push(1_000_000);
    }
    if let Ok(only) = std::env::var("APPCTX_BENCH_SIZES") {
        sizes = only
            .split(',')
            .filter_map(|s| s.trim().parse().ok())
            .collect();
    }
    println!("| members of one channel | import s (peak MB) | SDK loop s: process (loop alone) | SDK / import | re-import, unchanged s (peak MB) | members list --all s (peak MB) | deep page 0.9·N ms |");
    println!("|---|---|---|---|---|---|---|");
    let mut results = Vec::new();
    for n in sizes {
        match measure(n) {
            Ok(r) => {
                let mb = |r: &Ran| r.max_rss_kb as f64 / 1024.0;
                let (sdk, ratio) = match r.sdk {
                    Some((process, alone)) => (
                        format!("{process:.2} ({alone:.2})"),
                        format!(
                            "{:.1}x ({:.1}x)",
                            process / r.import.seconds,
                            alone / r.import.seconds
                        ),
                    ),
                    None => ("no python".into(), "-".into()),
                };
                println!(
                    "| {n} | {:.2} ({:.0}) | {sdk} | {ratio} | {:.2} ({:.0}) | {:.2} ({:.0}) | {:.1} |",
                    r.import.seconds,
                    mb(&r.import),
                    r.reimport.seconds,
                    mb(&r.reimport),
                    r.list.seconds,
                    mb(&r.list),
                    r.deep_ms
                );
                if let Some(requests) = r.requests {
                    println!("  import at {n}: {requests} requests reached the server");
                }
                results.push((n, r));
            }
            Err(e) => eprintln!("relations bench at {n}: {e}"),
        }
    }
    for (n, r) in &results {
        if let Some((process, _)) = r.sdk {
            let ratio = process / r.import.seconds;
            println!(
                "import of {n} members: {:.2} s, the SDK's loop {ratio:.1}x slower (target >= 2x at 100k) {}",
                r.import.seconds,
                // The issue's target is set at 100k; other sizes show the curve.
                if *n == 100_000 {
                    verdict(ratio >= 2.0)
                } else if ratio >= 2.0 {
                    "info (>= 2x)"
                } else {
                    "info (< 2x)"
                }
            );
        }
    }
    for pair in results.windows(2) {
        let ((n0, a), (n1, b)) = (&pair[0], &pair[1]);
        let growth = (b.list.seconds / *n1 as f64) / (a.list.seconds / *n0 as f64);
        println!(
            "members walk cost per member, {n1} vs {n0}: {growth:.2}x (target <= 2x) {}",
            verdict(growth <= 2.0)
        );
        let growth = (b.reimport.seconds / *n1 as f64) / (a.reimport.seconds / *n0 as f64);
        println!(
            "unchanged re-import cost per member, {n1} vs {n0}: {growth:.2}x (target <= 2x) {}",
            verdict(growth <= 2.0)
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

/// The fields of member `i`, as `benches/members_sdk.py` writes them.
fn membership(i: usize) -> Value {
    json!({
        "kind": "membership",
        "user": format!("m-{i:07}"),
        "channel": CHANNEL,
        "type": "member",
        "status": if !i.is_multiple_of(3) { "active" } else { "invited" },
        "custom": {"role": if i.is_multiple_of(1000) { "owner" } else { "member" }, "n": i % 7},
    })
}

fn python() -> Option<std::path::PathBuf> {
    let python = std::env::var("APPCTX_PYTHON")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|_| {
            std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(".venv/bin/python")
        });
    python.exists().then_some(python)
}

fn measure(n: usize) -> Result<Measured, String> {
    let dir = tempfile::tempdir().map_err(|e| e.to_string())?;
    let file = dir.path().join("members.jsonl");
    {
        let mut out =
            std::io::BufWriter::new(std::fs::File::create(&file).map_err(|e| e.to_string())?);
        writeln!(
            out,
            r#"{{"kind":"header","format":"appctx-export","version":1}}"#
        )
        .map_err(|e| e.to_string())?;
        for i in 0..n {
            writeln!(out, "{}", membership(i)).map_err(|e| e.to_string())?;
        }
        out.flush().map_err(|e| e.to_string())?;
    }
    let port = free_port(18_760);
    let host = format!("127.0.0.1:{port}");
    let origin = format!("http://{host}");
    let db = dir.path().join("relations.db");
    let log = dir.path().join("requests.log");
    let child = Command::new(env!("CARGO_BIN_EXE_appctx"))
        .args(["serve", "--empty", "--listen", &host, "--db"])
        .arg(&db)
        .arg("--log")
        .arg(&log)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .map_err(|e| format!("appctx serve: {e}"))?;
    let _serve = Serve(child);
    let rt = tokio::runtime::Runtime::new().map_err(|e| e.to_string())?;
    let http = reqwest::Client::new();
    if !(0..200).any(|_| {
        let up = rt
            .block_on(http.get(format!("{origin}/time/0")).send())
            .is_ok();
        if !up {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        up
    }) {
        return Err("appctx serve did not answer".into());
    }
    let config = dir.path().join("empty.toml");
    std::fs::write(&config, "").map_err(|e| e.to_string())?;
    let cli = |sub: &str, args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_appctx"));
        cmd.arg("--config")
            .arg(&config)
            .args(["--origin", &origin, "--subscribe-key", sub])
            .args(args)
            .env_remove("PUBNUB_SUBSCRIBE_KEY");
        cmd
    };
    let file_text = file.display().to_string();
    let report = dir.path().join("import.json");
    // Import and the SDK's loop take turns, each into a keyset of its own, RUNS times;
    // the medians are compared (this machine's speed drifts between minutes).
    let mut imports = Vec::new();
    let mut sdks = Vec::new();
    let mut requests = None;
    for run in 0..RUNS {
        let imp = format!("imp{run}");
        let lines_before = log_lines(&log);
        let import = run_measured(&mut cli(&imp, &["import", &file_text]), &report)?;
        if run == 0 {
            requests = log_lines(&log).zip(lines_before).map(|(a, b)| a - b);
        }
        let created = read_json(&report)?["memberships"]["created"].clone();
        if created != n {
            return Err(format!("import created {created} of {n} memberships"));
        }
        imports.push(import);
        if let Some(python) = python() {
            let sdk = format!("sdk{run}");
            let script =
                std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("benches/members_sdk.py");
            let started = Instant::now();
            let p = Command::new(&python)
                .arg(&script)
                .args([host.as_str(), &sdk, CHANNEL, &n.to_string()])
                .output()
                .map_err(|e| format!("cannot run {}: {e}", python.display()))?;
            let process = started.elapsed().as_secs_f64();
            if !p.status.success() {
                return Err(format!(
                    "python SDK loop failed: {}",
                    String::from_utf8_lossy(&p.stderr)
                ));
            }
            let out: Value = serde_json::from_slice(&p.stdout).map_err(|e| e.to_string())?;
            if run == 0 {
                rt.block_on(same_members(&http, &origin, &imp, &sdk, n))?;
            }
            sdks.push((process, out["loop_seconds"].as_f64().unwrap_or(0.0)));
        }
    }
    imports.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let import = imports.swap_remove(imports.len() / 2);
    let sdk = (!sdks.is_empty()).then(|| {
        let process = median(sdks.iter().map(|s| s.0).collect());
        let alone = median(sdks.iter().map(|s| s.1).collect());
        (process, alone)
    });

    let reimport = run_measured(&mut cli("imp0", &["import", &file_text]), &report)?;
    let unchanged = read_json(&report)?["memberships"]["unchanged"].clone();
    if unchanged != n {
        return Err(format!("re-import found {unchanged} of {n} unchanged"));
    }
    let listed_file = dir.path().join("members.out");
    let list = run_measured(
        &mut cli(
            "imp0",
            &["members", "list", CHANNEL, "--all", "--format", "jsonl"],
        ),
        &listed_file,
    )?;
    let listed = std::fs::read_to_string(&listed_file)
        .map_err(|e| e.to_string())?
        .lines()
        .count();
    if listed != n {
        return Err(format!("members list --all printed {listed} of {n}"));
    }
    let deep =
        base64::engine::general_purpose::STANDARD_NO_PAD.encode((n * 9 / 10 + 1).to_string());
    let started = Instant::now();
    let page = rt.block_on(get(
        &http,
        &format!("{origin}/v2/objects/imp0/channels/{CHANNEL}/uuids?limit=100&include=custom&start={deep}"),
    ))?;
    let deep_ms = started.elapsed().as_secs_f64() * 1e3;
    if page["data"].as_array().map_or(0, Vec::len) != 100.min(n - n * 9 / 10 - 1) {
        return Err(format!("deep page: {}", page["data"]));
    }
    Ok(Measured {
        import,
        sdk,
        reimport,
        list,
        deep_ms,
        requests,
    })
}

/// Lines in the server's request log so far (it is flushed within 200 ms).
fn log_lines(log: &std::path::Path) -> Option<u64> {
    std::thread::sleep(std::time::Duration::from_millis(300));
    let text = std::fs::read_to_string(log).ok()?;
    Some(text.lines().count() as u64)
}

fn read_json(path: &std::path::Path) -> Result<Value, String> {
    let text = std::fs::read_to_string(path).map_err(|e| e.to_string())?;
    serde_json::from_str(&text).map_err(|e| format!("{}: {e}", path.display()))
}

async fn get(http: &reqwest::Client, url: &str) -> Result<Value, String> {
    let res = http.get(url).send().await.map_err(|e| e.to_string())?;
    let status = res.status();
    let body: Value = res.json().await.map_err(|e| e.to_string())?;
    if !status.is_success() {
        return Err(format!("{url}: {status} {body}"));
    }
    Ok(body)
}

/// The members the import wrote and those the SDK wrote are the same, eTags included
/// (a relation's eTag is over its content; `updated` differs), read page by page in
/// both keysets.
async fn same_members(
    http: &reqwest::Client,
    origin: &str,
    imp: &str,
    sdk: &str,
    n: usize,
) -> Result<(), String> {
    let mut next: Option<String> = None;
    let mut seen = 0;
    loop {
        let mut pages = Vec::new();
        for sub in [imp, sdk] {
            let mut url = format!(
                "{origin}/v2/objects/{sub}/channels/{CHANNEL}/uuids?limit=100&include=custom,status,type"
            );
            if let Some(c) = &next {
                url.push_str(&format!("&start={c}"));
            }
            let mut page = get(http, &url).await?;
            if let Some(items) = page["data"].as_array_mut() {
                for item in items {
                    if let Some(o) = item.as_object_mut() {
                        o.remove("updated");
                    }
                }
            }
            pages.push(page);
        }
        if pages[0]["data"] != pages[1]["data"] {
            return Err(format!(
                "the import and the SDK wrote different members after {seen}: {} vs {}",
                pages[0]["data"], pages[1]["data"]
            ));
        }
        let rows = pages[0]["data"].as_array().map_or(0, Vec::len);
        seen += rows;
        next = pages[0]["next"].as_str().map(str::to_string);
        if rows < 100 || next.is_none() {
            break;
        }
    }
    if seen != n {
        return Err(format!("{seen} members compared, {n} written"));
    }
    Ok(())
}
