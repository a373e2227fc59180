//! Walks resume from remembered sort keys instead of paying for the offset: every page
//! must still be exactly the offset answer, for every sort (NULLs, ties, descending),
//! filter and list kind, when a client re-reads an overlap, and after writes (which
//! make the server forget what it remembered).

use appctx::filter::Target;
use appctx::server::model::{Kind, ObjectRow, RelationRow};
use appctx::server::params::{ListParams, Query};
use appctx::server::store::{ObjectPatch, Store, View};
use serde_json::json;

const SUB: &str = "walks";
const USERS: usize = 60;

fn load(store: &Store) {
    let names = [
        None,
        Some("Anna"),
        Some("anna"),
        Some("Bob"),
        Some("Émile"),
        Some("zed"),
    ];
    let statuses = [None, Some("active"), Some("away")];
    let mut objects = Vec::new();
    let mut relations = Vec::new();
    for i in 0..USERS {
        let mut custom = appctx::api::types::Custom::new();
        custom.insert("n".into(), json!(i % 4));
        let mut row = ObjectRow {
            id: format!("u{:02}", (i * 37) % USERS),
            name: names[i % names.len()].map(str::to_string),
            status: statuses[i % statuses.len()].map(str::to_string),
            custom: Some(custom),
            // Ties in `updated` too.
            updated: 1_000 + (i % 5) as i64,
            ..Default::default()
        };
        row.etag = row.compute_etag(Kind::User);
        relations.push(RelationRow {
            user_id: row.id.clone(),
            channel_id: "ch".into(),
            status: statuses[(i / 2) % statuses.len()].map(str::to_string),
            updated: 2_000 + (i % 3) as i64,
            etag: format!("e{i}"),
            ..Default::default()
        });
        objects.push((Kind::User, row));
    }
    store.bulk_load(SUB, &objects, &relations).unwrap();
}

fn params(query: &str, target: Target, offset: usize, limit: usize) -> ListParams {
    let q = Query::parse(Some(query)).unwrap();
    let mut p = ListParams::parse(&q, target).unwrap();
    p.offset = offset as u64;
    p.limit = limit as u64;
    p.had_start = offset > 0;
    p
}

/// The ids of a page of users (or of the channel's members).
fn page(store: &Store, query: &str, members: bool, offset: usize, limit: usize) -> Vec<String> {
    if members {
        let p = params(query, Target::Members, offset, limit);
        let (rows, _) = store.list_relations(SUB, View::Members, "ch", &p).unwrap();
        rows.into_iter().map(|r| r.relation.user_id).collect()
    } else {
        let p = params(query, Target::Users, offset, limit);
        let (rows, _) = store.list_objects(SUB, Kind::User, &p).unwrap();
        rows.into_iter().map(|r| r.id).collect()
    }
}

const USER_QUERIES: &[&str] = &[
    "",
    "sort=name",
    "sort=name:desc",
    "sort=status,name:desc",
    "sort=updated:desc",
    "sort=updated,status:desc",
    "filter=name%20LIKE%20%27a*%27&sort=name",
    "filter=custom.n%20%3E%201&sort=status",
];
const MEMBER_QUERIES: &[&str] = &[
    "",
    "sort=status",
    "sort=status:desc,updated",
    "sort=uuid.name",
    "sort=uuid.name:desc,status",
    "filter=uuid.name%20%3D%3D%20%27Bob%27",
    "filter=status%20%3D%3D%20%27away%27&sort=uuid.updated:desc",
];

fn cases() -> Vec<(&'static str, bool)> {
    USER_QUERIES
        .iter()
        .map(|q| (*q, false))
        .chain(MEMBER_QUERIES.iter().map(|q| (*q, true)))
        .collect()
}

#[test]
fn sequential_and_overlapping_walks_equal_the_offset_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.db"), false).unwrap();
    load(&store);
    for (query, members) in cases() {
        // Offset 0 never seeks: the whole list in one page is the reference.
        let all = page(&store, query, members, 0, 100);
        assert!(all.len() > 3, "{query}: {}", all.len());
        for limit in [1, 7] {
            let mut walked = Vec::new();
            while walked.len() < all.len() + 1 {
                let got = page(&store, query, members, walked.len(), limit);
                if got.is_empty() {
                    break;
                }
                walked.extend(got);
            }
            assert_eq!(walked, all, "{query} limit {limit}");
        }
        // As `appctx export` reads: pages overlap by a few rows.
        let mut offset = 0;
        while offset < all.len() {
            let got = page(&store, query, members, offset, 10);
            assert_eq!(
                got,
                all[offset..(offset + 10).min(all.len())],
                "{query} at {offset}"
            );
            offset += 7;
        }
    }
}

#[test]
fn pages_after_a_write_are_the_offset_answer_of_the_new_data() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.db"), false).unwrap();
    load(&store);
    for (i, (query, members)) in cases().into_iter().enumerate() {
        let before = page(&store, query, members, 0, 100);
        // Remember keys up to 20, then change the data under them.
        let _ = page(&store, query, members, 10, 10);
        let id = before[3].clone();
        let patch = ObjectPatch {
            name: Some(Some(format!("aaa {i}"))),
            ..Default::default()
        };
        store
            .set_object(SUB, Kind::User, &id, &patch, None)
            .unwrap();
        store.remove_object(SUB, Kind::User, &before[5]).unwrap();
        if members {
            let (_, _) = store
                .manage_relations(
                    SUB,
                    View::Members,
                    "ch",
                    &[],
                    &[before[1].clone()],
                    &params("", Target::Members, 0, 1),
                )
                .unwrap();
        }
        // The reference from a second store on the file: it has remembered nothing.
        let fresh = Store::open(&dir.path().join("w.db"), false).unwrap();
        let after = page(&fresh, query, members, 0, 100);
        assert_ne!(after, before, "{query}");
        assert_eq!(
            page(&store, query, members, 20, 10),
            after[20.min(after.len())..30.min(after.len())],
            "{query}"
        );
        assert_eq!(
            page(&store, query, members, 13, 10),
            after[13.min(after.len())..23.min(after.len())],
            "{query}"
        );
    }
}

#[test]
fn counts_follow_writes() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.db"), false).unwrap();
    load(&store);
    let count = |query: &str| {
        let p = params(&format!("count=true&{query}"), Target::Users, 0, 1);
        store.list_objects(SUB, Kind::User, &p).unwrap().1.unwrap()
    };
    let filter = "filter=name%20LIKE%20%27a*%27";
    let (all, a) = (count(""), count(filter));
    assert_eq!((count(""), count(filter)), (all, a), "cached");
    let patch = ObjectPatch {
        name: Some(Some("Alfred".into())),
        ..Default::default()
    };
    store
        .set_object(SUB, Kind::User, "new-user", &patch, None)
        .unwrap();
    assert_eq!((count(""), count(filter)), (all + 1, a + 1));
    // Another keyset's write changes nothing here, and its own counts are its own.
    store
        .set_object("other", Kind::User, "x", &patch, None)
        .unwrap();
    assert_eq!((count(""), count(filter)), (all + 1, a + 1));
    store.remove_object(SUB, Kind::User, "new-user").unwrap();
    assert_eq!((count(""), count(filter)), (all, a));
}

/// A walk's page (default order, no filter) is read from the index holding whole rows
/// in id order; a jump steps over the skipped rows in the narrow id index; a filtered
/// list never reads the whole-rows index (it would test every row in id order instead
/// of using the filter's own index).
#[test]
fn walk_pages_read_whole_rows_in_order_and_jumps_step_over_keys() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.db"), false).unwrap();
    load(&store);
    let plan = |query: &str, offset: usize| {
        let p = params(query, Target::Users, offset, 10);
        let lines = store
            .list_objects_plan(SUB, Kind::User, &p)
            .unwrap()
            .join("\n");
        let (page, _count) = lines.split_once("count:").unwrap();
        page.to_string()
    };
    let first = plan("", 0);
    assert!(
        first.contains("COVERING INDEX objects_whole_in_id_order"),
        "{first}"
    );
    let jump = plan("", 40);
    assert!(
        jump.contains("COVERING INDEX objects_whole_in_id_order"),
        "{jump}"
    );
    assert!(jump.contains("COVERING INDEX objects_by_id_k"), "{jump}");
    for filtered in [
        "filter=custom.n%20%3D%3D%202",
        "filter=name%20LIKE%20%27a*%27",
        "sort=name",
    ] {
        let page = plan(filtered, 20);
        assert!(
            !page.contains("objects_whole_in_id_order"),
            "{filtered}: {page}"
        );
    }
    // A jump past the end is an empty page, as the offset gives.
    assert!(page(&store, "", false, USERS + 5, 10).is_empty());
    assert_eq!(page(&store, "", false, USERS - 2, 10).len(), 2);
}

/// The CLI's import reads the stored members it needs with `uuid.id == 'a' || …`
/// (`channel.id` for memberships): a lookup by key, not a walk of every member of
/// the channel (100,000 of them made each such read a scan). The answer is still the
/// matching members in list order.
#[test]
fn members_named_by_id_are_looked_up_by_key() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("w.db"), false).unwrap();
    load(&store);
    let query = |filter: &str| {
        format!(
            "filter={}",
            percent_encoding::utf8_percent_encode(filter, percent_encoding::NON_ALPHANUMERIC)
        )
    };
    let members = query("uuid.id == 'u17' || uuid.id == 'u03' || uuid.id == 'nope'");
    let p = params(&members, Target::Members, 0, 100);
    let plan = store
        .list_relations_plan(SUB, View::Members, "ch", &p)
        .unwrap()
        .join("\n");
    assert!(
        plan.contains("PRIMARY KEY (sub_key=? AND user_id=? AND channel_id=?)")
            || plan.contains("(sub_key=? AND user_id=? AND channel_id=?)"),
        "{plan}"
    );
    assert!(!plan.contains("relations_by_channel"), "{plan}");
    assert_eq!(page(&store, &members, true, 0, 100), ["u03", "u17"]);

    let memberships = query("channel.id == 'ch' || channel.id == 'other'");
    let p = params(&memberships, Target::Memberships, 0, 100);
    let plan = store
        .list_relations_plan(SUB, View::Memberships, "u03", &p)
        .unwrap()
        .join("\n");
    assert!(!plan.contains("relations_by_user"), "{plan}");
    let (rows, _) = store
        .list_relations(SUB, View::Memberships, "u03", &p)
        .unwrap();
    assert_eq!(rows.len(), 1);
}
