//! The local server's behaviour over HTTP, operation by operation: paging, sort,
//! filter, merge semantics, conditional writes, validation errors, referential
//! integrity and request signing.

mod common;

use appctx::api::signature::{canonical_query, encode, sign_v2};
use appctx::server::signing::Keys;
use common::TestServer;
use serde_json::{json, Value};

struct Api {
    http: reqwest::Client,
    base: String,
}

impl Api {
    fn new(server: &TestServer, sub: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("{}/v2/objects/{sub}", server.origin()),
        }
    }
    async fn call(&self, method: &str, path: &str, body: Option<Value>) -> (u16, Value) {
        self.raw(method, path, body.map(|b| b.to_string()), None)
            .await
    }
    async fn raw(
        &self,
        method: &str,
        path: &str,
        body: Option<String>,
        if_match: Option<&str>,
    ) -> (u16, Value) {
        let mut req = self
            .http
            .request(method.parse().unwrap(), format!("{}{path}", self.base));
        if let Some(b) = body {
            req = req.header("content-type", "application/json").body(b);
        }
        if let Some(tag) = if_match {
            req = req.header("if-match", tag);
        }
        let res = req.send().await.expect("server answers");
        let status = res.status().as_u16();
        let text = res.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or_else(|_| panic!("not JSON: {text}")),
        )
    }
    async fn get(&self, path: &str) -> (u16, Value) {
        self.call("GET", path, None).await
    }
    async fn patch(&self, path: &str, body: Value) -> (u16, Value) {
        self.call("PATCH", path, Some(body)).await
    }
}

fn ids(v: &Value) -> Vec<String> {
    v["data"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            i.get("id")
                .or_else(|| i.get("channel").and_then(|c| c.get("id")))
                .or_else(|| i.get("uuid").and_then(|c| c.get("id")))
                .and_then(Value::as_str)
                .unwrap()
                .to_string()
        })
        .collect()
}

async fn users(api: &Api, n: usize) {
    for i in 0..n {
        let (s, _) = api
            .patch(
                &format!("/uuids/u{i:02}"),
                json!({"name": format!("User {i:02}")}),
            )
            .await;
        assert_eq!(s, 200);
    }
}

#[tokio::test]
async fn paging_cursors_follow_pubnub_rules_both_ways() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "paging");
    users(&api, 25).await;
    let (_, p1) = api.get("/uuids?limit=10&count=true").await;
    assert_eq!(p1["totalCount"], 25);
    assert_eq!(p1["next"], "MTA");
    assert!(p1.get("prev").is_none());
    let (_, p2) = api.get("/uuids?limit=10&start=MTA").await;
    assert_eq!(
        (p2["next"].as_str(), p2["prev"].as_str()),
        (Some("MjA"), Some("MTA"))
    );
    let (_, p3) = api.get("/uuids?limit=10&start=MjA").await;
    assert_eq!(ids(&p3).len(), 5);
    assert_eq!(p3["next"], "MjU", "next is present even on the last page");
    let (_, p4) = api.get("/uuids?limit=10&start=MjU").await;
    assert_eq!(p4, json!({"status": 200, "data": []}));
    let mut all = [ids(&p1), ids(&p2), ids(&p3)].concat();
    all.dedup();
    assert_eq!(all.len(), 25);
    // Backwards: `end` gives the items before it.
    let (_, back) = api.get("/uuids?limit=10&end=MjA").await;
    assert_eq!(ids(&back), ids(&p2));
    assert_eq!(
        (back["next"].as_str(), back["prev"].as_str()),
        (Some("MjA"), Some("MTA"))
    );
    let (_, first) = api.get("/uuids?limit=10&end=MTA").await;
    assert_eq!(ids(&first), ids(&p1));
    assert!(first.get("prev").is_none(), "nothing before the first page");
}

#[tokio::test]
async fn sort_uses_pubnub_collation_and_several_keys() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "sort");
    for (id, name, status) in [
        ("2EEGYCPiuser", "b", "x"),
        ("2aQC4L", "a", "y"),
        ("2aiuiG", "B", "x"),
        ("test-fix-118-10", "c", "x"),
        ("test-fix-118-2", "a", "x"),
        ("test-fix-118-1", "a", "x"),
    ] {
        api.patch(
            &format!("/uuids/{id}?include=status"),
            json!({"name": name, "status": status}),
        )
        .await;
    }
    let (_, all) = api.get("/uuids").await;
    assert_eq!(
        ids(&all),
        [
            "2aiuiG",
            "2aQC4L",
            "2EEGYCPiuser",
            "test-fix-118-1",
            "test-fix-118-10",
            "test-fix-118-2"
        ]
    );
    let (_, by) = api
        .get("/uuids?sort=status:desc&sort=name:asc,id:desc")
        .await;
    assert_eq!(
        ids(&by),
        [
            "2aQC4L",
            "test-fix-118-2",
            "test-fix-118-1",
            "2aiuiG",
            "2EEGYCPiuser",
            "test-fix-118-10"
        ]
    );
    let (_, upd) = api.get("/uuids?sort=updated:desc&limit=1").await;
    assert_eq!(ids(&upd), ["test-fix-118-1"], "last written first");
}

#[tokio::test]
async fn filters_cover_the_language() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "filter");
    let people = [
        (
            "alice",
            "Alice Smith",
            json!({"tier": "gold", "karma": 10, "employment-status": "full-time", "vip": true}),
        ),
        ("bob", "bob*star", json!({"tier": "silver", "karma": 3.5})),
        ("carol", "Ćarol Øst", json!({"tier": "gold", "karma": 100})),
        ("dave", "dave", Value::Null),
    ];
    for (id, name, custom) in &people {
        api.patch(
            &format!("/uuids/{id}"),
            json!({"name": name, "custom": custom}),
        )
        .await;
    }
    let q = |f: &str| format!("/uuids?filter={}", encode(f));
    let cases: &[(&str, &[&str])] = &[
        ("name LIKE 'a*'", &["alice"]),
        ("name like \"*SMITH\"", &["alice"]),
        ("name LIKE 'bob\\**'", &["bob"]),
        ("name LIKE 'bob\\*'", &[]),
        ("name LIKE 'ć*'", &["carol"]),
        ("custom.tier == 'gold' && custom.karma > 50", &["carol"]),
        ("custom[\"employment-status\"] == \"full-time\"", &["alice"]),
        ("custom.vip == true || id == 'dave'", &["alice", "dave"]),
        ("!(custom.tier == 'gold')", &["bob", "dave"]),
        ("custom.tier != 'gold'", &["bob", "dave"]),
        ("custom.karma <= 10", &["alice", "bob"]),
        ("custom.tier == null", &["dave"]),
        (
            "email == null && (id == 'bob' || id == 'carol')",
            &["bob", "carol"],
        ),
        ("name == 'alice smith'", &[]),
    ];
    for (f, want) in cases {
        let (s, v) = api.get(&q(f)).await;
        assert_eq!(s, 200, "{f}: {v}");
        assert_eq!(ids(&v), *want, "{f}");
    }
    // updated compares as a timestamp, not as text.
    let (_, v) = api.get("/uuids/alice").await;
    let updated = v["data"]["updated"].as_str().unwrap().to_string();
    let coarse = format!("{}Z", &updated[..23]); // milliseconds only: lexically smaller
    let (_, v) = api
        .get(&q(&format!("id == 'alice' && updated >= '{coarse}'")))
        .await;
    assert_eq!(ids(&v), ["alice"]);
    let (_, v) = api
        .get(&q(&format!("updated > '{updated}' && id == 'alice'")))
        .await;
    assert_eq!(ids(&v), Vec::<String>::new());
}

#[tokio::test]
async fn relation_filters_work_without_expansion() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "relfilter");
    api.patch("/channels/midnight", json!({"name": "Midnight Club"}))
        .await;
    api.patch("/channels/noon", json!({"name": "Noon"})).await;
    api.patch("/uuids/kim", json!({"name": "Kim"})).await;
    let (s, v) = api
        .patch(
            &format!("/uuids/kim/channels?filter={}&count=1", encode("channel.name like 'Midn*'")),
            json!({"set": [{"channel": {"id": "midnight"}}, {"channel": {"id": "noon"}, "status": "muted"}]}),
        )
        .await;
    assert_eq!(s, 200);
    assert_eq!(
        ids(&v),
        ["midnight"],
        "the PATCH answers the filtered whole list"
    );
    assert_eq!(v["totalCount"], 1);
    let (_, v) = api
        .get(&format!(
            "/uuids/kim/channels?filter={}",
            encode("status == 'muted'")
        ))
        .await;
    assert_eq!(ids(&v), ["noon"]);
    let (_, v) = api
        .get(&format!(
            "/channels/noon/uuids?filter={}",
            encode("uuid.name == 'Kim'")
        ))
        .await;
    assert_eq!(ids(&v), ["kim"]);
}

#[tokio::test]
async fn hostile_filters_match_nothing_or_get_400_and_change_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "inject");
    users(&api, 3).await;
    let attacks = [
        "name == \"x' OR 1=1 --\"",
        "name == 'a\\'; DROP TABLE objects; --'",
        "name == \"\\\"; DELETE FROM objects; --\"",
        "custom[\"x') OR 1=1 --\"] == 1",
        "name LIKE '%'",
        "name LIKE '_ser 01'",
        "id == 'u00' ; DROP TABLE objects",
        "id == 'u00' -- comment",
        "' OR 1=1",
        "name == 1 OR 1=1",
        "1 == 1",
    ];
    for f in attacks {
        let (s, v) = api.get(&format!("/uuids?filter={}", encode(f))).await;
        match s {
            200 => assert_eq!(ids(&v), Vec::<String>::new(), "{f} matched rows"),
            400 => assert_eq!(v["error"]["details"][0]["location"], "filter", "{f}"),
            other => panic!("{f}: status {other}"),
        }
    }
    let (_, v) = api.get("/uuids?count=true").await;
    assert_eq!(v["totalCount"], 3, "data unchanged");
}

#[tokio::test]
async fn patch_merges_replaces_custom_and_identical_writes_change_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "merge");
    let (_, a) = api
        .patch(
            "/uuids/m?include=custom,status,type",
            json!({"name": "M", "status": "on", "custom": {"b": 1, "a": "x"}}),
        )
        .await;
    assert_eq!(a["data"]["custom"], json!({"a": "x", "b": 1}));
    assert_eq!(
        serde_json::to_string(&a["data"]["custom"]).unwrap(),
        r#"{"a":"x","b":1}"#,
        "custom keys sorted"
    );
    let etag = a["data"]["eTag"].as_str().unwrap();
    assert_eq!(etag.len(), 32);
    assert!(etag.chars().all(|c| c.is_ascii_hexdigit()));
    // Same data again: same updated and eTag.
    let (_, same) = api
        .patch(
            "/uuids/m?include=custom,status,type",
            json!({"name": "M", "custom": {"a": "x", "b": 1}}),
        )
        .await;
    assert_eq!(same["data"]["updated"], a["data"]["updated"]);
    assert_eq!(same["data"]["eTag"], a["data"]["eTag"]);
    // Absent keys are kept; custom is replaced whole; explicit null clears.
    let (_, b) = api
        .patch(
            "/uuids/m?include=custom,status,type",
            json!({"custom": {"c": true}, "email": null}),
        )
        .await;
    assert_eq!(b["data"]["name"], "M");
    assert_eq!(b["data"]["status"], "on");
    assert_eq!(b["data"]["custom"], json!({"c": true}));
    assert_ne!(b["data"]["eTag"], a["data"]["eTag"]);
    let (_, c) = api
        .patch("/uuids/m?include=status", json!({"status": null}))
        .await;
    assert_eq!(c["data"]["status"], Value::Null);
    assert!(
        c["data"].get("custom").is_none(),
        "custom absent when not included"
    );
    // {} creates an object whose fields are all null.
    let (_, e) = api
        .patch("/channels/empty?include=custom,status,type", json!({}))
        .await;
    assert_eq!(
        e["data"],
        json!({"id": "empty", "name": null, "description": null, "type": null, "status": null, "custom": null, "updated": e["data"]["updated"], "eTag": e["data"]["eTag"]})
    );
}

#[tokio::test]
async fn if_match_guards_writes_and_exactly_one_concurrent_writer_wins() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "ifmatch");
    let (_, v) = api.patch("/channels/c", json!({"name": "v1"})).await;
    let tag = v["data"]["eTag"].as_str().unwrap().to_string();
    api.patch("/channels/c", json!({"name": "v2"})).await;
    let (s, v) = api
        .raw(
            "PATCH",
            "/channels/c",
            Some(json!({"name": "v3"}).to_string()),
            Some(&tag),
        )
        .await;
    assert_eq!(s, 412);
    assert_eq!(
        v,
        json!({"status": 412, "error": {"message": "Channel to update has been modified after it was read.", "source": "objects"}})
    );
    let (_, now) = api.get("/channels/c").await;
    assert_eq!(now["data"]["name"], "v2", "nothing written on 412");
    let (s, _) = api
        .raw("PATCH", "/uuids/nobody", Some("{}".into()), Some(&tag))
        .await;
    assert_eq!(s, 412, "If-Match on a missing object");

    let current = now["data"]["eTag"].as_str().unwrap().to_string();
    let tasks: Vec<_> = (0..12)
        .map(|i| {
            let http = api.http.clone();
            let url = format!("{}/channels/c", api.base);
            let tag = current.clone();
            tokio::spawn(async move {
                http.patch(url)
                    .header("if-match", tag)
                    .body(json!({"name": format!("writer {i}")}).to_string())
                    .send()
                    .await
                    .unwrap()
                    .status()
                    .as_u16()
            })
        })
        .collect();
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap());
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 412).count(),
        11,
        "{statuses:?}"
    );
}

#[tokio::test]
async fn bad_input_gets_pubnub_error_envelopes_and_changes_nothing() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "errors");
    api.patch("/uuids/keep", json!({"name": "kept"})).await;
    let long = "x".repeat(51);
    let big = "y".repeat(33 * 1024);
    let cases: Vec<(&str, String, Option<String>, &str, &str)> = vec![
        (
            "PATCH",
            "/uuids/a,b".into(),
            Some("{}".into()),
            "uuid",
            "path",
        ),
        (
            "PATCH",
            "/uuids/a%3Ab".into(),
            Some("{}".into()),
            "uuid",
            "path",
        ),
        (
            "GET",
            format!("/uuids/{}", "u".repeat(93)),
            None,
            "uuid",
            "path",
        ),
        (
            "PATCH",
            "/uuids/keep".into(),
            Some(json!({"status": long}).to_string()),
            "uuid.status",
            "body",
        ),
        (
            "PATCH",
            "/channels/c".into(),
            Some(json!({"type": long}).to_string()),
            "channel.type",
            "body",
        ),
        (
            "PATCH",
            "/uuids/keep".into(),
            Some(json!({"custom": {"n": [1]}}).to_string()),
            "uuid.custom.n",
            "body",
        ),
        (
            "PATCH",
            "/uuids/keep".into(),
            Some(json!({"custom": {"big": big}}).to_string()),
            "body",
            "body",
        ),
        (
            "PATCH",
            "/uuids/keep".into(),
            Some("{name: nope".into()),
            "body",
            "body",
        ),
        (
            "PATCH",
            "/uuids/keep".into(),
            Some(json!({"name": 5}).to_string()),
            "uuid.name",
            "body",
        ),
        ("GET", "/uuids?limit=0".into(), None, "limit", "query"),
        ("GET", "/uuids?limit=101".into(), None, "limit", "query"),
        ("GET", "/uuids?start=%21%21".into(), None, "start", "query"),
        ("GET", "/uuids?sort=email".into(), None, "sort", "query"),
        ("GET", "/uuids?sort=name:up".into(), None, "sort", "query"),
        (
            "GET",
            "/uuids?include=channel".into(),
            None,
            "include",
            "query",
        ),
        ("GET", "/uuids?count=perhaps".into(), None, "count", "query"),
        (
            "GET",
            format!("/uuids?filter={}", encode("name ==")),
            None,
            "filter",
            "query",
        ),
        (
            "GET",
            format!("/uuids?filter={}", encode("description == 'x'")),
            None,
            "filter",
            "query",
        ),
        (
            "PATCH",
            "/uuids/keep/channels".into(),
            Some(json!({"set": [{"channel": {}}]}).to_string()),
            "set[0].channel.id",
            "body",
        ),
        (
            "PATCH",
            "/channels/c/uuids".into(),
            Some(json!({"set": [{"uuid": {"id": "a*b"}}]}).to_string()),
            "set[0].uuid.id",
            "body",
        ),
        (
            "PATCH",
            "/uuids/keep/channels".into(),
            Some(json!({"set": {"x": 1}}).to_string()),
            "set",
            "body",
        ),
    ];
    for (method, path, body, location, kind) in cases {
        let (s, v) = api.raw(method, &path, body, None).await;
        assert_eq!(s, 400, "{method} {path}: {v}");
        assert_eq!(v["status"], 400);
        assert_eq!(v["error"]["source"], "objects");
        let detail = &v["error"]["details"][0];
        assert_eq!(detail["location"], location, "{method} {path}: {v}");
        assert_eq!(detail["locationType"], kind, "{method} {path}");
        assert!(!detail["message"].as_str().unwrap().is_empty());
    }
    let (_, v) = api.get("/uuids?count=true&include=custom,status").await;
    assert_eq!(v["totalCount"], 1);
    assert_eq!(v["data"][0]["name"], "kept");
    assert_eq!(v["data"][0]["custom"], Value::Null);
    let (s, v) = api.get("/uuids/missing").await;
    assert_eq!(
        (s, v),
        (
            404,
            json!({"status": 404, "error": {"message": "Requested object was not found.", "source": "objects"}})
        )
    );
    let (s, v) = api.call("DELETE", "/uuids/missing", None).await;
    assert_eq!((s, v), (200, json!({"status": 200, "data": null})));
}

#[tokio::test]
async fn memberships_and_members_are_one_relation_and_patches_answer_the_whole_list() {
    let server = TestServer::start().await;
    let api = Api::new(&server, "rel");
    api.patch("/uuids/u", json!({"name": "U", "custom": {"a": 1}}))
        .await;
    api.patch("/channels/c1", json!({"name": "One", "custom": {"k": "v"}}))
        .await;
    let (_, v) = api
        .patch("/uuids/u/channels?count=1", json!({"set": [{"channel": {"id": "c1"}, "custom": {"role": "owner"}, "status": "active", "type": "t"}], "delete": []}))
        .await;
    assert_eq!(ids(&v), ["c1"]);
    let (_, v) = api
        .patch(
            "/uuids/u/channels?count=1",
            json!({"set": [{"channel": {"id": "c2"}}, {"channel": {"id": "c3"}}]}),
        )
        .await;
    assert_eq!(ids(&v), ["c1", "c2", "c3"], "whole resulting list");
    assert_eq!(v["totalCount"], 3);
    let inc = "include=custom,status,type,channel,channel.custom";
    let (_, m) = api.get(&format!("/uuids/u/channels?{inc}")).await;
    let first = &m["data"][0];
    assert_eq!(first["channel"]["custom"], json!({"k": "v"}));
    assert_eq!(
        m["data"][1]["channel"],
        json!({"id": "c2"}),
        "no metadata: just the id"
    );
    let (_, mem) = api
        .get("/channels/c1/uuids?include=custom,status,type,uuid")
        .await;
    let member = &mem["data"][0];
    assert_eq!(member["uuid"]["name"], "U");
    assert_eq!(
        member["updated"], first["updated"],
        "same relation record from both sides"
    );
    assert_eq!(member["eTag"], first["eTag"]);
    assert_eq!(member["custom"], json!({"role": "owner"}));
    // Re-setting identical content keeps updated; deletes of absent relations are fine.
    let (_, again) = api
        .patch("/channels/c1/uuids?include=custom", json!({"set": [{"uuid": {"id": "u"}, "custom": {"role": "owner"}}], "delete": [{"uuid": {"id": "ghost"}}]}))
        .await;
    assert_eq!(again["data"][0]["updated"], first["updated"]);
    let (_, gone) = api
        .patch("/uuids/u/channels?count=1", json!({"delete": [{"channel": {"id": "c1"}}, {"channel": {"id": "c2"}}, {"channel": {"id": "c3"}}]}))
        .await;
    assert_eq!(gone, json!({"status": 200, "data": [], "totalCount": 0}));
    // Without referential integrity, relations survive their objects.
    api.patch(
        "/uuids/u/channels",
        json!({"set": [{"channel": {"id": "c1"}}]}),
    )
    .await;
    api.call("DELETE", "/channels/c1", None).await;
    let (_, v) = api.get("/uuids/u/channels").await;
    assert_eq!(ids(&v), ["c1"]);
}

#[tokio::test]
async fn referential_integrity_refuses_dangling_relations_and_cascades_deletes() {
    let server = TestServer::start_with(|c| c.referential_integrity = true).await;
    let api = Api::new(&server, "ri");
    api.patch("/uuids/u", json!({"name": "U"})).await;
    api.patch("/channels/c", json!({"name": "C"})).await;
    let (s, v) = api
        .patch(
            "/uuids/u/channels",
            json!({"set": [{"channel": {"id": "nope"}}]}),
        )
        .await;
    assert_eq!(s, 400, "{v}");
    assert_eq!(v["error"]["details"][0]["location"], "set[0].channel.id");
    let (s, _) = api
        .patch(
            "/uuids/ghost/channels",
            json!({"set": [{"channel": {"id": "c"}}]}),
        )
        .await;
    assert_eq!(s, 400);
    let (s, _) = api
        .patch(
            "/uuids/u/channels",
            json!({"set": [{"channel": {"id": "c"}}]}),
        )
        .await;
    assert_eq!(s, 200);
    api.call("DELETE", "/uuids/u", None).await;
    let (_, v) = api.get("/channels/c/uuids?count=true").await;
    assert_eq!(v["totalCount"], 0, "memberships deleted with the user");
}

fn signed_url(
    origin: &str,
    keys: &Keys,
    method: &str,
    path: &str,
    mut query: Vec<(String, String)>,
    body: &str,
    ts: u64,
) -> String {
    query.push(("timestamp".into(), ts.to_string()));
    let canonical = canonical_query(query.iter().map(|(k, v)| (k.as_str(), v.as_str())));
    let sig = sign_v2(
        &keys.secret_key,
        &keys.publish_key,
        method,
        path,
        &canonical,
        body.as_bytes(),
    );
    format!("{origin}{path}?{canonical}&signature={}", encode(&sig))
}

#[tokio::test]
async fn signed_keysets_accept_good_signatures_only() {
    let keys = Keys {
        publish_key: "pub-c-test".into(),
        secret_key: "sec-c-test".into(),
    };
    let k = keys.clone();
    let server = TestServer::start_with(move |c| c.signing = Some(k)).await;
    let http = reqwest::Client::new();
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_secs();
    let path = "/v2/objects/sig/uuids/user%201";
    let body = r#"{"name":"Signed"}"#;
    let q = vec![
        ("uuid".to_string(), "tester".to_string()),
        ("include".to_string(), "custom,status".to_string()),
    ];
    let url = signed_url(&server.origin(), &keys, "PATCH", path, q.clone(), body, now);
    let res = http.patch(&url).body(body).send().await.unwrap();
    assert_eq!(res.status(), 200, "{}", res.text().await.unwrap());
    let wrong = Keys {
        secret_key: "sec-c-wrong".into(),
        ..keys.clone()
    };
    let url = signed_url(
        &server.origin(),
        &wrong,
        "PATCH",
        path,
        q.clone(),
        body,
        now,
    );
    let res = http.patch(&url).body(body).send().await.unwrap();
    assert_eq!(res.status(), 403);
    let v: Value = res.json().await.unwrap();
    assert_eq!(v["error"]["details"][0]["location"], "signature");
    let url = signed_url(
        &server.origin(),
        &keys,
        "PATCH",
        path,
        q.clone(),
        body,
        now - 600,
    );
    assert_eq!(
        http.patch(&url).body(body).send().await.unwrap().status(),
        403,
        "stale timestamp"
    );
    let url = signed_url(&server.origin(), &keys, "PATCH", path, q, body, now);
    let res = http
        .patch(&url)
        .body(r#"{"name":"Tampered"}"#)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "body is signed");
    let res = http
        .get(format!("{}/v2/objects/sig/uuids", server.origin()))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 403, "unsigned");
    let url = signed_url(
        &server.origin(),
        &keys,
        "GET",
        "/v2/objects/sig/uuids/user%201",
        vec![],
        "",
        now,
    );
    let v: Value = http.get(&url).send().await.unwrap().json().await.unwrap();
    assert_eq!(v["data"]["name"], "Signed");
    // The Python SDK signs the path before percent-encoding the ids: accepted too.
    let canonical = canonical_query([("timestamp", now.to_string().as_str()), ("uuid", "py")]);
    let sig = sign_v2(
        &keys.secret_key,
        &keys.publish_key,
        "GET",
        "/v2/objects/sig/uuids/user 1",
        &canonical,
        b"",
    );
    let url = format!(
        "{}/v2/objects/sig/uuids/user%201?{canonical}&signature={}",
        server.origin(),
        encode(&sig)
    );
    assert_eq!(
        http.get(&url).send().await.unwrap().status(),
        200,
        "signed over the decoded path"
    );
}
