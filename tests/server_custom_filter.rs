//! Filters on `custom` keys: the server reads a key with `json_type`/`json_extract`
//! (a key SQLite's JSON paths cannot name, such as one holding `"`, with `json_each`).
//! Both must mean the same: pinned here on edge cases (missing key, null, numbers
//! against strings, booleans against numbers, integers against reals), and checked
//! against each other on every filter by storing each value under two keys.

use appctx::api::types::Custom;
use appctx::filter::Target;
use appctx::server::model::{Kind, ObjectRow};
use appctx::server::params::{ListParams, Query};
use appctx::server::store::Store;
use serde_json::{json, Value};

const SUB: &str = "customs";
/// A key SQLite's path syntax cannot hold, so it is read with `json_each`.
const ODD_KEY: &str = "t\"r";

/// (id, value of `t` — None: the key is absent).
fn values() -> Vec<(&'static str, Option<Value>)> {
    vec![
        ("absent", None),
        ("null", Some(Value::Null)),
        ("gold", Some(json!("gold"))),
        ("Gold", Some(json!("Gold"))),
        ("silver", Some(json!("silver"))),
        ("str-1", Some(json!("1"))),
        ("int-1", Some(json!(1))),
        ("real-1.5", Some(json!(1.5))),
        ("int-2", Some(json!(2))),
        ("true", Some(json!(true))),
        ("false", Some(json!(false))),
        ("empty", Some(json!(""))),
    ]
}

fn store() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("c.db"), false).unwrap();
    let mut objects = Vec::new();
    for (id, value) in values() {
        let mut custom = Custom::new();
        custom.insert("other".into(), json!("x"));
        if let Some(v) = value {
            custom.insert("t".into(), v.clone());
            custom.insert(ODD_KEY.into(), v);
        }
        let mut row = ObjectRow {
            id: id.into(),
            custom: Some(custom),
            updated: 1,
            ..Default::default()
        };
        row.etag = row.compute_etag(Kind::User);
        objects.push((Kind::User, row));
    }
    // A user without any custom at all.
    objects.push((
        Kind::User,
        ObjectRow {
            id: "no-custom".into(),
            updated: 1,
            etag: "e".into(),
            ..Default::default()
        },
    ));
    store.bulk_load(SUB, &objects, &[]).unwrap();
    (dir, store)
}

/// The ids matching `filter`, sorted; Err with the message when it is refused.
fn ids(store: &Store, filter: &str) -> Result<Vec<String>, String> {
    let raw = format!(
        "filter={}",
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    );
    let q = Query::parse(Some(&raw)).map_err(|e| format!("{e:?}"))?;
    let p = ListParams::parse(&q, Target::Users).map_err(|e| format!("{e:?}"))?;
    let (rows, _) = store
        .list_objects(SUB, Kind::User, &p)
        .map_err(|e| format!("{e:?}"))?;
    let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    ids.sort();
    Ok(ids)
}

fn sorted(v: &[&str]) -> Vec<String> {
    let mut v: Vec<String> = v.iter().map(|s| s.to_string()).collect();
    v.sort();
    v
}

#[test]
fn missing_and_null_keys_equal_null_only() {
    let (_d, s) = store();
    assert_eq!(
        ids(&s, "custom.t == null").unwrap(),
        sorted(&["absent", "null", "no-custom"])
    );
    let not_null = ids(&s, "custom.t != null").unwrap();
    assert_eq!(not_null.len(), values().len() - 2);
    assert!(!not_null.contains(&"absent".to_string()));
    // A missing key is unequal to every value, so `!=` matches it.
    assert!(ids(&s, "custom.t != 'gold'")
        .unwrap()
        .contains(&"absent".to_string()));
    assert!(ids(&s, "custom.nothere == 'x'").unwrap().is_empty());
    assert_eq!(ids(&s, "custom.nothere == null").unwrap().len(), 13);
}

#[test]
fn strings_and_numbers_never_equal_each_other() {
    let (_d, s) = store();
    assert_eq!(ids(&s, "custom.t == '1'").unwrap(), sorted(&["str-1"]));
    assert_eq!(ids(&s, "custom.t == 1").unwrap(), sorted(&["int-1"]));
    assert_eq!(ids(&s, "custom.t == 1.0").unwrap(), sorted(&["int-1"]));
    assert_eq!(
        ids(&s, "custom.t > 1").unwrap(),
        sorted(&["real-1.5", "int-2"])
    );
    // Numbers (and booleans) are not strings: no string order applies to them.
    assert_eq!(
        ids(&s, "custom.t < 'h'").unwrap(),
        sorted(&["gold", "Gold", "str-1", "empty"])
    );
    assert_eq!(ids(&s, "custom.t == 'gold'").unwrap(), sorted(&["gold"]));
    assert_eq!(
        ids(&s, "custom.t LIKE 'g*'").unwrap(),
        sorted(&["gold", "Gold"])
    );
}

#[test]
fn booleans_are_not_numbers() {
    let (_d, s) = store();
    assert_eq!(ids(&s, "custom.t == true").unwrap(), sorted(&["true"]));
    assert_eq!(ids(&s, "custom.t == false").unwrap(), sorted(&["false"]));
    assert_eq!(ids(&s, "custom.t == 0").unwrap(), Vec::<String>::new());
    assert!(!ids(&s, "custom.t != true")
        .unwrap()
        .contains(&"true".to_string()));
    assert!(ids(&s, "custom.t < true").is_err());
}

#[test]
fn nested_keys_are_refused() {
    let (_d, s) = store();
    assert!(ids(&s, "custom.t.x == 'a'").is_err());
}

#[test]
fn path_lookup_and_json_each_lookup_agree_on_every_filter() {
    let (_d, s) = store();
    let values = [
        "null", "'gold'", "'Gold'", "'1'", "1", "1.5", "2", "0", "true", "false", "''", "'h'",
    ];
    let mut checked = 0;
    for op in ["==", "!=", "<", ">", "<=", ">="] {
        for v in values {
            // Refusals name the field, so only whether it was refused is compared.
            let path = ids(&s, &format!("custom.t {op} {v}")).map_err(|_| ());
            let each = ids(&s, &format!("custom['{ODD_KEY}'] {op} {v}")).map_err(|_| ());
            assert_eq!(path, each, "custom.t {op} {v}");
            checked += path.is_ok() as usize;
        }
    }
    for pattern in ["'g*'", "'*o*'", "'*'", "'1'", "''"] {
        let path = ids(&s, &format!("custom.t LIKE {pattern}")).map_err(|_| ());
        let each = ids(&s, &format!("custom['{ODD_KEY}'] LIKE {pattern}")).map_err(|_| ());
        assert_eq!(path, each, "LIKE {pattern}");
        checked += 1;
    }
    assert!(checked > 40, "{checked} filters compared");
}
