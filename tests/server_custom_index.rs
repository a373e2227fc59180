//! Indexes on `custom` keys (`src/server/custom_index.rs`): made after a key has been
//! filtered on a few times, at most `MAX_INDEXES` per database, used by SQLite's
//! planner for the compiled filter (checked with EXPLAIN QUERY PLAN), and answers are
//! the same with and without them.

use appctx::api::types::Custom;
use appctx::filter::Target;
use appctx::server::custom_index::{MAX_INDEXES, USES_BEFORE_INDEX};
use appctx::server::model::{Kind, ObjectRow, RelationRow};
use appctx::server::params::{ListParams, Query};
use appctx::server::sql::compile;
use appctx::server::store::{Store, View};
use serde_json::{json, Value};

const SUB: &str = "indexed";

fn params(filter: &str, target: Target) -> ListParams {
    let raw = format!(
        "filter={}&limit=100&count=true",
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    );
    let q = Query::parse(Some(&raw)).unwrap();
    ListParams::parse(&q, target).unwrap()
}

/// Users whose `custom.t` holds each of these values (and one without `t`, one
/// without custom), with `k0`…`k9` too; one channel with a member per user whose
/// membership's custom holds the same `t`.
fn values() -> Vec<Value> {
    vec![
        json!("gold"),
        json!("Gold"),
        json!("silver"),
        json!("1"),
        json!(1),
        json!(1.5),
        json!(2),
        json!(true),
        json!(false),
        json!(""),
        json!(null),
        // Not what PubNub stores (custom values are scalars), but written straight
        // into the database: strings that look like these must still not match them.
        json!(["gold"]),
        json!({"a": 1}),
        json!("[\"gold\"]"),
        json!("{\"a\":1}"),
    ]
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("i.db"), false).unwrap();
    let mut objects = Vec::new();
    let mut relations = Vec::new();
    let mut customs: Vec<Option<Custom>> = values()
        .into_iter()
        .map(|v| {
            let mut c = Custom::new();
            c.insert("t".into(), v);
            for k in 0..10 {
                c.insert(format!("k{k}"), json!("x"));
            }
            Some(c)
        })
        .collect();
    customs.push(Some(Custom::new()));
    customs.push(None);
    for (i, custom) in customs.into_iter().enumerate() {
        let mut row = ObjectRow {
            id: format!("u{i:02}"),
            custom: custom.clone(),
            updated: 1,
            ..Default::default()
        };
        row.etag = row.compute_etag(Kind::User);
        objects.push((Kind::User, row));
        relations.push(RelationRow {
            user_id: format!("u{i:02}"),
            channel_id: "ch".into(),
            custom,
            updated: 1,
            etag: "e".into(),
            ..Default::default()
        });
    }
    store.bulk_load(SUB, &objects, &relations).unwrap();
    (dir, store)
}

fn user_ids(store: &Store, filter: &str) -> Result<(Vec<String>, Option<u64>), String> {
    let p = params(filter, Target::Users);
    let (rows, total) = store
        .list_objects(SUB, Kind::User, &p)
        .map_err(|e| format!("{e:?}"))?;
    Ok((rows.into_iter().map(|r| r.id).collect(), total))
}

fn member_ids(store: &Store, filter: &str) -> Result<(Vec<String>, Option<u64>), String> {
    let raw = format!(
        "filter={}&limit=100&count=true",
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    );
    let q = Query::parse(Some(&raw)).unwrap();
    let p = ListParams::parse(&q, Target::Members).map_err(|e| format!("{e:?}"))?;
    let (rows, total) = store
        .list_relations(SUB, View::Members, "ch", &p)
        .map_err(|e| format!("{e:?}"))?;
    Ok((
        rows.into_iter().map(|r| r.relation.user_id).collect(),
        total,
    ))
}

const FILTERS: &[&str] = &[
    "custom.t == 'gold'",
    "custom.t != 'gold'",
    "custom.t == '[\"gold\"]'",
    "custom.t == '{\"a\":1}'",
    "custom.t != '[\"gold\"]'",
    "custom.t < 'h'",
    "custom.t >= 'G'",
    "custom.t > ''",
    "custom.t <= 'silver'",
    "custom.t == 1",
    "custom.t != 1",
    "custom.t == 1.0",
    "custom.t > 1",
    "custom.t <= 2",
    "custom.t < 0",
    "custom.t == true",
    "custom.t == null",
    "custom.t != null",
    "!(custom.t == 'gold')",
    "custom.t == 'gold' || custom.t == 2",
    "custom.t == 'silver' && custom.k1 == 'x'",
];

#[test]
fn answers_are_the_same_before_and_after_the_index_is_made() {
    let (_d, s) = store();
    let before: Vec<_> = FILTERS
        .iter()
        .map(|f| (user_ids(&s, f), member_ids(&s, f)))
        .collect();
    // Enough uses for every key: the indexes are made in the background.
    for f in FILTERS
        .iter()
        .cycle()
        .take(FILTERS.len() * USES_BEFORE_INDEX as usize)
    {
        let _ = user_ids(&s, f);
        let _ = member_ids(&s, f);
    }
    let made = s.custom_indexes().unwrap();
    assert!(
        made.iter().any(|n| n == "custom_key_o_74"),
        "users' index on t: {made:?}"
    );
    assert!(
        made.iter().any(|n| n == "custom_key_m_74"),
        "members' index on t: {made:?}"
    );
    for (f, was) in FILTERS.iter().zip(before) {
        assert_eq!((user_ids(&s, f), member_ids(&s, f)), was, "{f}");
    }
    // Pinned, so both answers are the right ones and not just equal.
    assert_eq!(
        user_ids(&s, "custom.t == 'gold'").unwrap(),
        (vec!["u00".to_string()], Some(1))
    );
    assert_eq!(
        user_ids(&s, "custom.t == '[\"gold\"]'").unwrap(),
        (vec!["u13".to_string()], Some(1))
    );
    assert_eq!(
        user_ids(&s, "custom.t == 1").unwrap(),
        (vec!["u04".to_string()], Some(1))
    );
}

#[test]
fn an_index_is_made_only_after_a_few_uses_and_only_up_to_the_bound() {
    let (_d, s) = store();
    for _ in 1..USES_BEFORE_INDEX {
        user_ids(&s, "custom.t == 'gold'").unwrap();
    }
    assert_eq!(s.custom_indexes().unwrap(), Vec::<String>::new());
    user_ids(&s, "custom.t == 'gold'").unwrap();
    assert_eq!(s.custom_indexes().unwrap(), vec!["custom_key_o_74"]);
    // More keys than the bound, each used enough.
    for k in 0..10 {
        for _ in 0..USES_BEFORE_INDEX {
            let (ids, total) = user_ids(&s, &format!("custom.k{k} == 'x'")).unwrap();
            assert_eq!((ids.len(), total), (15, Some(15)), "k{k}");
        }
    }
    let made = s.custom_indexes().unwrap();
    assert_eq!(made.len(), MAX_INDEXES, "{made:?}");
    // Past the bound, filters on other keys still answer (reading every row).
    let (ids, total) = user_ids(&s, "custom.k9 == 'x'").unwrap();
    assert_eq!((ids.len(), total), (15, Some(15)));
    // The bound holds across a restart: the indexes are found in the database.
    let path = _d.path().join("i.db");
    drop(s);
    let s = Store::open(&path, false).unwrap();
    for _ in 0..USES_BEFORE_INDEX {
        user_ids(&s, "custom.k9 == 'x'").unwrap();
    }
    assert_eq!(s.custom_indexes().unwrap(), made);
}

/// The query plans of the page and the count of `custom.t == 'gold'` (as the server
/// compiles it) once the index exists.
#[test]
fn the_planner_uses_the_index_for_the_compiled_filter() {
    let (d, s) = store();
    for _ in 0..USES_BEFORE_INDEX {
        user_ids(&s, "custom.t == 'gold'").unwrap();
        member_ids(&s, "custom.t > 1").unwrap();
    }
    assert_eq!(
        s.custom_indexes().unwrap(),
        vec!["custom_key_m_74", "custom_key_o_74"]
    );
    let c = appctx::server::store::connect(&d.path().join("i.db")).unwrap();
    let plan = |sql: &str, params: Vec<rusqlite::types::Value>| -> String {
        let mut stmt = c.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).unwrap();
        let rows = stmt
            .query_map(rusqlite::params_from_iter(params), |r| {
                r.get::<_, String>(3)
            })
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        rows.join("; ")
    };
    let expr = appctx::filter::parse("custom.t == 'gold'").unwrap();
    let cond = compile(&expr, Target::Users).unwrap();
    let mut args = vec![
        rusqlite::types::Value::Text(SUB.into()),
        rusqlite::types::Value::Integer(Kind::User as i64),
    ];
    args.extend(cond.params);
    let count = plan(
        &format!(
            "SELECT COUNT(*) FROM objects o WHERE o.sub_key = ? AND o.kind = ? AND {}",
            cond.sql
        ),
        args.clone(),
    );
    assert!(
        count.contains("COVERING INDEX custom_key_o_74"),
        "count: {count}"
    );
    let page = plan(
        &format!(
            "SELECT o.id, o.custom FROM objects o WHERE o.sub_key = ? AND o.kind = ? AND {} ORDER BY o.id_k, o.id LIMIT 100",
            cond.sql
        ),
        args,
    );
    assert!(page.contains("INDEX custom_key_o_74"), "page: {page}");
    assert!(!page.contains("TEMP B-TREE"), "page sorted: {page}");

    let expr = appctx::filter::parse("custom.t > 1").unwrap();
    let cond = compile(&expr, Target::Members).unwrap();
    let mut args = vec![
        rusqlite::types::Value::Text(SUB.into()),
        rusqlite::types::Value::Text("ch".into()),
    ];
    args.extend(cond.params);
    let members = plan(
        &format!(
            "SELECT COUNT(*) FROM relations r WHERE r.sub_key = ? AND r.channel_id = ? AND {}",
            cond.sql
        ),
        args,
    );
    assert!(
        members.contains("INDEX custom_key_m_74"),
        "members: {members}"
    );
}
