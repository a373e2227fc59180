//! `Client::users_walk` against a list that changes between its requests in scripted
//! ways (deletes before the position, inserts before it, the boundary record gone,
//! a page's worth deleted): every record present throughout is yielded exactly once,
//! where plain offset paging skips and repeats.

mod common;

use std::collections::HashMap;
use std::sync::{Arc, Mutex};

use appctx::api::{Client, Keyset, ListOptions};
use axum::extract::{RawQuery, State};
use base64::Engine as _;

/// A change to the list, applied between two requests.
type Change = Box<dyn Fn(&mut Vec<String>) + Send>;

/// The list the fake server holds (kept sorted) and what to do before each request.
struct Script {
    ids: Vec<String>,
    requests: usize,
    /// The offset each request asked for, in order.
    offsets: Vec<usize>,
    /// Changes applied just before request `n` (1-based) is answered.
    changes: HashMap<usize, Change>,
}

type Shared = Arc<Mutex<Script>>;

fn user(id: &str) -> serde_json::Value {
    serde_json::json!({"id": id, "name": null, "externalId": null, "profileUrl": null,
        "email": null, "updated": "2025-01-01T00:00:00Z", "eTag": "e"})
}

async fn list(State(s): State<Shared>, RawQuery(q): RawQuery) -> axum::Json<serde_json::Value> {
    let mut s = s.lock().unwrap();
    s.requests += 1;
    let n = s.requests;
    if let Some(change) = s.changes.remove(&n) {
        change(&mut s.ids);
        s.ids.sort();
    }
    let q = q.unwrap_or_default();
    let param = |name: &str| {
        q.split('&')
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .map(str::to_string)
    };
    let offset: usize = param("start")
        .and_then(|c| {
            base64::engine::general_purpose::STANDARD_NO_PAD
                .decode(c)
                .ok()
        })
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|t| t.parse().ok())
        .unwrap_or(0);
    let limit: usize = param("limit").and_then(|l| l.parse().ok()).unwrap_or(100);
    s.offsets.push(offset);
    let page: Vec<_> = s
        .ids
        .iter()
        .skip(offset)
        .take(limit)
        .map(|id| user(id))
        .collect();
    let next =
        base64::engine::general_purpose::STANDARD_NO_PAD.encode((offset + page.len()).to_string());
    let mut body = serde_json::json!({"status": 200, "data": page, "next": next});
    if param("count").is_some() {
        body["totalCount"] = s.ids.len().into();
    }
    axum::Json(body)
}

async fn serve(script: Script) -> String {
    let app = axum::Router::new()
        .fallback(list)
        .with_state(Arc::new(Mutex::new(script)));
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    origin
}

fn id(i: usize) -> String {
    format!("s{i:04}")
}

/// 1,000 stable records, and changes between requests (limit 50).
fn script() -> Script {
    let mut changes: HashMap<usize, Change> = HashMap::new();
    // Extra records that come and go; they sort among the stable ones.
    let extra = |i: usize| format!("s{i:04}x");
    // Before request 3: 10 records before the position deleted.
    changes.insert(
        3,
        Box::new(move |ids| ids.retain(|i| !(0..10).any(|k| *i == extra(k)))),
    );
    // Before request 5: 15 inserted before the position.
    changes.insert(
        5,
        Box::new(move |ids| ids.extend((100..115).map(|k| format!("s{k:04}y")))),
    );
    // Before request 8: 120 deleted before the position (more than a page).
    changes.insert(
        8,
        Box::new(move |ids| ids.retain(|i| !(10..130).any(|k| *i == extra(k)))),
    );
    // Before request 12: the last record of the previous page gone, and a few more.
    changes.insert(
        12,
        Box::new(move |ids| ids.retain(|i| !(500..520).any(|k| *i == extra(k)))),
    );
    let mut ids: Vec<String> = (0..1000).map(id).collect();
    ids.extend((0..130).map(extra));
    ids.extend((500..520).map(extra));
    Script {
        ids,
        requests: 0,
        offsets: Vec::new(),
        changes,
    }
}

fn opts() -> ListOptions<appctx::api::Include> {
    ListOptions {
        limit: Some(50),
        ..Default::default()
    }
}

fn check(yielded: &[String]) -> (Vec<String>, Vec<String>) {
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for y in yielded {
        *counts.entry(y).or_default() += 1;
    }
    let missing = (0..1000)
        .map(id)
        .filter(|i| !counts.contains_key(i.as_str()))
        .collect();
    let repeated = counts
        .iter()
        .filter(|(_, n)| **n > 1)
        .map(|(i, _)| i.to_string())
        .collect();
    (missing, repeated)
}

#[tokio::test]
async fn a_walk_yields_every_record_present_throughout_exactly_once() {
    let origin = serve(script()).await;
    let c = Client::new(Keyset::new(origin, "demo", "walker")).unwrap();
    let mut walk = c.users_walk(opts()).unwrap();
    let mut yielded = Vec::new();
    while let Some(batch) = walk.next_batch().await {
        yielded.extend(batch.unwrap().into_iter().map(|u| u.user_id));
    }
    let (missing, repeated) = check(&yielded);
    assert!(missing.is_empty(), "missing {missing:?}");
    assert!(repeated.is_empty(), "repeated {repeated:?}");
    assert!(walk.stats().shifts >= 2, "{:?}", walk.stats());
    assert_eq!(walk.stats().total_at_start, Some(1150));
}

#[tokio::test]
async fn plain_offset_paging_skips_and_repeats_under_the_same_changes() {
    // The failure the walk exists for, shown with the pager on the same script.
    let origin = serve(script()).await;
    let c = Client::new(Keyset::new(origin, "demo", "pager")).unwrap();
    let all = c.users_pager(opts()).unwrap().collect_all().await.unwrap();
    let yielded: Vec<String> = all.into_iter().map(|u| u.user_id).collect();
    let (missing, repeated) = check(&yielded);
    assert!(!missing.is_empty() && !repeated.is_empty());
}

#[tokio::test]
async fn a_long_relation_walk_is_not_mistaken_for_churn() {
    use appctx::api::{RelationEntry, RelationListOptions};
    let server = common::TestServer::start().await;
    let c = Client::new(Keyset::new(server.origin(), "sub-c-walk", "walker")).unwrap();
    let users: Vec<String> = (0..1100).map(|i| format!("m{i:04}")).collect();
    for chunk in users.chunks(100) {
        let entries: Vec<RelationEntry> = chunk.iter().map(RelationEntry::id).collect();
        c.set_members("room", &entries, &RelationListOptions::default())
            .await
            .unwrap();
    }
    // Two per page, no count asked: over a thousand requests, all of them useful.
    let opts = RelationListOptions {
        limit: Some(2),
        ..Default::default()
    };
    let members = c.members_walk("room", opts).unwrap().collect_all().await;
    let members = members.expect("a quiet list is walked to its end");
    assert_eq!(members.len(), 1100);
}

#[tokio::test]
async fn the_next_page_is_asked_for_while_the_caller_handles_this_one() {
    let script = Arc::new(Mutex::new(Script {
        ids: (0..1000).map(id).collect(),
        requests: 0,
        offsets: Vec::new(),
        changes: HashMap::new(),
    }));
    let app = axum::Router::new()
        .fallback(list)
        .with_state(script.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let origin = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        axum::serve(listener, app).await.unwrap();
    });
    let c = Client::new(Keyset::new(origin, "demo", "walker")).unwrap();
    let mut walk = c.users_walk(opts()).unwrap();
    let first = walk.next_batch().await.unwrap().unwrap();
    assert_eq!(first.len(), 50);
    // The caller has not asked for more, yet the second page is on its way (and the
    // third, read ahead once the second's bytes are in: never more than two ahead).
    let mut asked = 0;
    for _ in 0..500 {
        asked = script.lock().unwrap().requests;
        if asked >= 2 {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    assert!(
        (2..=3).contains(&asked),
        "{asked} requests before the caller wanted the second page"
    );
    let second = walk.next_batch().await.unwrap().unwrap();
    assert_eq!(second.first().map(|u| u.user_id.as_str()), Some("s0050"));
    let mut rest = second.len() + first.len();
    while let Some(batch) = walk.next_batch().await {
        rest += batch.unwrap().len();
    }
    assert_eq!(rest, 1000);
    // Each page was asked for once: pages read ahead were the ones the walk used.
    let offsets = script.lock().unwrap().offsets.clone();
    let mut unique = offsets.clone();
    unique.sort();
    unique.dedup();
    assert_eq!(unique.len(), offsets.len(), "{offsets:?}");
    // Only the page after the last, read ahead in case the last was full, is extra.
    assert!(offsets.len() <= 1000 / 46 + 2, "{offsets:?}");
}
