//! `Store::try_list_objects`: a walk's next page (default order, no filter, from a
//! remembered cursor) is read on the caller's thread, with the same answer as
//! `Store::list_objects`; anything that may scan is left to the blocking pool.

use appctx::filter::Target;
use appctx::server::model::{Kind, ObjectRow};
use appctx::server::params::{ListParams, Query};
use appctx::server::store::Store;

const SUB: &str = "short";

fn params(raw: &str) -> ListParams {
    let q = Query::parse(Some(raw)).unwrap();
    ListParams::parse(&q, Target::Users).unwrap()
}

fn cursor(offset: u64) -> String {
    use base64::Engine;
    base64::engine::general_purpose::STANDARD_NO_PAD.encode(offset.to_string())
}

#[test]
fn a_walks_next_page_is_a_short_read_with_the_same_answer() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("s.db"), false).unwrap();
    let rows: Vec<_> = (0..500)
        .map(|i| {
            let mut r = ObjectRow {
                id: format!("u{i:04}"),
                name: Some(format!("User {i}")),
                updated: 1,
                ..Default::default()
            };
            r.etag = r.compute_etag(Kind::User);
            (Kind::User, r)
        })
        .collect();
    store.bulk_load(SUB, &rows, &[]).unwrap();

    // Nothing remembered yet: a page past the start would pay for its offset.
    let deep = params(&format!("limit=100&start={}", cursor(300)));
    assert!(store.try_list_objects(SUB, Kind::User, &deep).is_none());
    // A count nobody took yet may scan.
    assert!(store
        .try_list_objects(SUB, Kind::User, &params("limit=100&count=true"))
        .is_none());
    // The first page is short, and remembers where the next starts.
    let first = params("limit=100");
    let short = store
        .try_list_objects(SUB, Kind::User, &first)
        .unwrap()
        .unwrap();
    assert_eq!(
        short.0,
        store.list_objects(SUB, Kind::User, &first).unwrap().0
    );
    // A walk that re-reads 4 rows of overlap, like export.
    let next = params(&format!("limit=100&start={}", cursor(96)));
    let (rows, _) = store
        .try_list_objects(SUB, Kind::User, &next)
        .unwrap()
        .unwrap();
    assert_eq!(rows.first().map(|r| r.id.as_str()), Some("u0096"));
    assert_eq!(rows, store.list_objects(SUB, Kind::User, &next).unwrap().0);
    // Filters and sorts are left to the blocking pool.
    for raw in [
        "limit=100&filter=name%20LIKE%20%27u*%27",
        "limit=100&sort=name",
    ] {
        assert!(
            store
                .try_list_objects(SUB, Kind::User, &params(raw))
                .is_none(),
            "{raw}"
        );
    }
}
