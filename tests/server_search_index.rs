//! The trigram index behind `LIKE '*text*'` (src/server/search_index.rs) only narrows
//! the rows a filter reads, so every answer must equal the scan's: checked here on
//! names whose lower-casing is not one character for one (İ, Σ at a word's end, ß,
//! the Kelvin sign), quotes, emoji and combining marks, and through renames, deletes
//! and a database written before the index existed.

use appctx::filter::{parse, Expr, Matcher, Target};
use appctx::server::model::{Kind, ObjectRow};
use appctx::server::params::{ListParams, Query};
use appctx::server::store::{ObjectPatch, SetOutcome, Store};

const SUB: &str = "search";

fn names() -> Vec<&'static str> {
    vec![
        "Zoë Quartz",
        "ZOË QUARTZ",
        "quartzite",
        "İstanbul Office",
        "istanbul office",
        "ΟΔΥΣΣΕΥΣ",
        "οδυσσευς",
        "Straße",
        "STRASSE",
        "\u{212A}elvin",
        "kelvin",
        "say \"hi\" there",
        "🦀 crab 🦀",
        "नमस्ते दुनिया",
        "a'b'c",
        "ab",
        "",
    ]
}

fn store_at(dir: &std::path::Path) -> Store {
    Store::open(&dir.join("s.db"), false).unwrap()
}

fn seeded() -> (tempfile::TempDir, Store) {
    let dir = tempfile::tempdir().unwrap();
    let store = store_at(dir.path());
    let objects: Vec<(Kind, ObjectRow)> = names()
        .into_iter()
        .enumerate()
        .map(|(i, name)| {
            let mut row = ObjectRow {
                id: format!("u{i:02}"),
                name: Some(name.to_string()),
                email: Some(format!("{}@Example.COM", name.replace(' ', "."))),
                updated: 1,
                ..Default::default()
            };
            row.etag = row.compute_etag(Kind::User);
            (Kind::User, row)
        })
        .collect();
    store.bulk_load(SUB, &objects, &[]).unwrap();
    (dir, store)
}

/// The ids the server answers for `filter`, with the total it counts.
fn search(store: &Store, filter: &str) -> (Vec<String>, u64) {
    let raw = format!(
        "count=true&limit=100&filter={}",
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    );
    let q = Query::parse(Some(&raw)).unwrap();
    let p = ListParams::parse(&q, Target::Users).unwrap();
    let (rows, total) = store.list_objects(SUB, Kind::User, &p).unwrap();
    let mut ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    ids.sort();
    (ids, total.unwrap())
}

/// The ids a scan of every row with the filter's own matcher finds.
fn scanned(store: &Store, field: &str, pattern_text: &str) -> Vec<String> {
    let Expr::Like { pattern, .. } = parse(&format!("{field} LIKE {pattern_text}")).unwrap() else {
        panic!("not a LIKE");
    };
    let matcher = Matcher::new(&pattern, true);
    let q = Query::parse(Some("limit=100")).unwrap();
    let p = ListParams::parse(&q, Target::Users).unwrap();
    let (rows, _) = store.list_objects(SUB, Kind::User, &p).unwrap();
    let mut ids: Vec<String> = rows
        .into_iter()
        .filter(|r| {
            let value = match field {
                "name" => r.name.clone(),
                "email" => r.email.clone(),
                _ => Some(r.id.clone()),
            };
            value.is_some_and(|v| matcher.matches(&v))
        })
        .collect::<Vec<_>>()
        .into_iter()
        .map(|r| r.id)
        .collect();
    ids.sort();
    ids
}

const PATTERNS: &[&str] = &[
    "'*quartz*'",
    "'*QUARTZ*'",
    "'*zoë*'",
    "'*ZOË QU*'",
    "'*istanbul*'",
    "'*İSTANBUL*'",
    "'*i̇stan*'",
    "'*ΟΔΥΣΣΕΥΣ*'",
    "'*σευς*'",
    "'*σευσ*'",
    "'*straße*'",
    "'*strasse*'",
    "'*kelvin*'",
    "'*\u{212A}ELVIN*'",
    "'*\"hi\"*'",
    "'*🦀 c*'",
    "'*नमस्ते*'",
    "'*स्ते दु*'",
    "\"*a'b'c*\"",
    "'*ab*'",
    "'*art*z*'",
    "'qua*ite'",
    "'*example.com'",
    "'*@EXAMPLE*'",
    "'*nothing like it*'",
    "'*crab\\u0000xyz*'",
];

#[test]
fn the_index_answers_exactly_what_a_scan_does() {
    let (_d, s) = seeded();
    let mut narrowed_hits = 0;
    for field in ["name", "email", "id"] {
        for pattern in PATTERNS {
            let expected = scanned(&s, field, pattern);
            let (got, total) = search(&s, &format!("{field} LIKE {pattern}"));
            assert_eq!(got, expected, "{field} LIKE {pattern}");
            assert_eq!(
                total as usize,
                expected.len(),
                "count of {field} LIKE {pattern}"
            );
            narrowed_hits += got.len();
        }
    }
    assert!(narrowed_hits > 20, "the patterns must find something");
    // The TUI's search: one term across id, name and email.
    let (got, _) = search(
        &s,
        "id LIKE '*QUARTZ*' || name LIKE '*QUARTZ*' || email LIKE '*QUARTZ*'",
    );
    assert_eq!(got, vec!["u00", "u01", "u02"]);
}

#[test]
fn renames_and_deletes_reach_the_index() {
    let (_d, s) = seeded();
    let patch = ObjectPatch {
        name: Some(Some("Onyx Pebble".into())),
        ..Default::default()
    };
    let outcome = s.set_object(SUB, Kind::User, "u00", &patch, None).unwrap();
    assert!(matches!(outcome, SetOutcome::Done { changed: true, .. }));
    assert_eq!(search(&s, "name LIKE '*quartz*'").0, vec!["u01", "u02"]);
    assert_eq!(search(&s, "name LIKE '*pebble*'").0, vec!["u00"]);
    // The email was kept: the index row still has it.
    assert_eq!(
        search(&s, "email LIKE '*zoë.quartz*'").0,
        vec!["u00", "u01"]
    );

    assert!(s.remove_object(SUB, Kind::User, "u01").unwrap());
    assert_eq!(search(&s, "name LIKE '*quartz*'").0, vec!["u02"]);
    assert_eq!(search(&s, "email LIKE '*zoë.quartz*'").0, vec!["u00"]);

    let created = ObjectPatch {
        name: Some(Some("Quartz Again".into())),
        ..Default::default()
    };
    s.set_object(SUB, Kind::User, "new", &created, None)
        .unwrap();
    assert_eq!(search(&s, "name LIKE '*quartz*'").0, vec!["new", "u02"]);
}

#[test]
fn a_database_written_before_the_index_existed_gets_it_filled() {
    let (dir, s) = seeded();
    drop(s);
    {
        let c = appctx::server::store::connect(&dir.path().join("s.db")).unwrap();
        c.execute_batch(
            "DROP TRIGGER objects_search_insert; DROP TRIGGER objects_search_update;
             DROP TRIGGER objects_search_delete; DROP TABLE objects_search;",
        )
        .unwrap();
    }
    let s = store_at(dir.path());
    assert_eq!(
        search(&s, "name LIKE '*quartz*'").0,
        vec!["u00", "u01", "u02"]
    );
    // Opening again does not fill it twice.
    drop(s);
    let s = store_at(dir.path());
    assert_eq!(search(&s, "name LIKE '*quartz*'").1, 3);
}

/// The plan of the TUI's search: both the page and the count start from the index
/// (a full read of `objects` at a million users takes seconds).
#[test]
fn the_search_reads_the_index_not_every_row() {
    let (_d, s) = seeded();
    let filter = "id LIKE '*quartz 17*' || name LIKE '*quartz 17*' || email LIKE '*quartz 17*'";
    let raw = format!(
        "count=true&limit=100&filter={}",
        percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
    );
    let q = Query::parse(Some(&raw)).unwrap();
    let p = ListParams::parse(&q, Target::Users).unwrap();
    let plan = s.list_objects_plan(SUB, Kind::User, &p).unwrap();
    let text = plan.join("\n");
    let (page, count) = text.split_once("count:").unwrap();
    for part in [page, count] {
        assert!(part.contains("SCAN objects_search"), "{text}");
        assert!(
            part.contains("SEARCH o USING INTEGER PRIMARY KEY"),
            "{text}"
        );
        assert!(
            !part.contains("SCAN o\n") && !part.contains("USING INDEX objects_by"),
            "{text}"
        );
    }
    // A list without a search keeps walking its own index in order.
    let q = Query::parse(Some(
        "count=true&limit=100&filter=status%20%3D%3D%20%27x%27",
    ))
    .unwrap();
    let p = ListParams::parse(&q, Target::Users).unwrap();
    let plan = s.list_objects_plan(SUB, Kind::User, &p).unwrap().join("\n");
    assert!(plan.contains("USING INDEX objects_by_id_k"), "{plan}");
    assert!(!plan.contains("objects_search"), "{plan}");
}

/// Writes that change no indexed field leave the index alone (re-indexing costs a
/// few hundred microseconds a write).
#[test]
fn a_write_that_changes_no_indexed_field_does_not_touch_the_index() {
    let (dir, s) = seeded();
    // The index's storage: its number of blocks and their total size.
    let pages = || -> (i64, i64) {
        let c = appctx::server::store::connect(&dir.path().join("s.db")).unwrap();
        c.query_row(
            "SELECT count(*), coalesce(sum(length(block)), 0) FROM objects_search_data",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap()
    };
    let before = pages();
    let status = ObjectPatch {
        status: Some(Some("away".into())),
        ..Default::default()
    };
    s.set_object(SUB, Kind::User, "u03", &status, None).unwrap();
    assert_eq!(pages(), before, "a status write re-indexed the record");
    let rename = ObjectPatch {
        name: Some(Some("Someone Else".into())),
        ..Default::default()
    };
    s.set_object(SUB, Kind::User, "u03", &rename, None).unwrap();
    assert_ne!(pages(), before, "a rename must reach the index");
}

/// When the index finds many rows the matches are dense: the page walks the list's
/// own order and stops when full, and only the count starts from the index.
#[test]
fn a_search_that_finds_many_rows_pages_in_list_order_and_counts_from_the_index() {
    let dir = tempfile::tempdir().unwrap();
    let s = store_at(dir.path());
    let objects: Vec<(Kind, ObjectRow)> = (0..10_400)
        .map(|i| {
            let mut row = ObjectRow {
                id: format!("d{i:05}"),
                name: Some(format!(
                    "{} {i}",
                    if i % 2 == 0 { "Quartz" } else { "Opal" }
                )),
                updated: 1,
                ..Default::default()
            };
            row.etag = row.compute_etag(Kind::User);
            (Kind::User, row)
        })
        .collect();
    s.bulk_load(SUB, &objects, &[]).unwrap();
    let raw = |filter: &str| {
        let raw = format!(
            "count=true&limit=100&filter={}",
            percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
        );
        ListParams::parse(&Query::parse(Some(&raw)).unwrap(), Target::Users).unwrap()
    };
    let dense = raw("name LIKE '*uart*'");
    let plan = s
        .list_objects_plan(SUB, Kind::User, &dense)
        .unwrap()
        .join("\n");
    let (page, count) = plan.split_once("count:").unwrap();
    assert!(page.contains("USING INDEX objects_by_id_k"), "{plan}");
    assert!(
        !page.contains("SEARCH o USING INTEGER PRIMARY KEY"),
        "{plan}"
    );
    assert!(
        count.contains("SEARCH o USING INTEGER PRIMARY KEY"),
        "{plan}"
    );
    let (rows, total) = s.list_objects(SUB, Kind::User, &dense).unwrap();
    assert_eq!(total, Some(5_200));
    let ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    let expected: Vec<String> = (0..200).step_by(2).map(|i| format!("d{i:05}")).collect();
    assert_eq!(ids, expected);

    // A rare text among the same rows still reads the index for the page too.
    let rare = raw("name LIKE '*quartz 4242*'");
    let plan = s
        .list_objects_plan(SUB, Kind::User, &rare)
        .unwrap()
        .join("\n");
    let (page, _) = plan.split_once("count:").unwrap();
    assert!(
        page.contains("SEARCH o USING INTEGER PRIMARY KEY"),
        "{plan}"
    );
    let (rows, total) = s.list_objects(SUB, Kind::User, &rare).unwrap();
    assert_eq!((rows.len(), total), (1, Some(1)));
}

/// The CLI's import reads what is stored for its ids with `id == 'a' || id == 'b' …`
/// (100 at a time): each must be a lookup by key, not a read of every row (at a
/// million users that was a full scan per 100 records).
#[test]
fn an_or_of_ids_is_looked_up_by_key() {
    let (_d, s) = seeded();
    let raw = format!(
        "limit=100&filter={}",
        percent_encoding::utf8_percent_encode(
            "id == 'u01' || id == 'u05' || id == 'nope'",
            percent_encoding::NON_ALPHANUMERIC
        )
    );
    let p = ListParams::parse(&Query::parse(Some(&raw)).unwrap(), Target::Users).unwrap();
    let plan = s.list_objects_plan(SUB, Kind::User, &p).unwrap().join("\n");
    let (page, _) = plan.split_once("count:").unwrap();
    assert!(page.contains("(sub_key=? AND kind=? AND id=?)"), "{plan}");
    let (rows, _) = s.list_objects(SUB, Kind::User, &p).unwrap();
    let ids: Vec<String> = rows.into_iter().map(|r| r.id).collect();
    assert_eq!(ids, vec!["u01", "u05"]);
}
