//! All 16 App Context operations through `api::Client` against the in-process local
//! server: users, channels, memberships, members, with includes, filters, sorting,
//! paging, If-Match and percent-encoded ids.

mod common;

use appctx::api::types::{Custom, ETag, Maybe, Related};
use appctx::api::{
    ChannelFields, Client, Error, Include, Keyset, ListOptions, PageRef, RelationChange,
    RelationEntry, RelationInclude, RelationListOptions, SetOptions, SortKey, UserFields,
};
use common::TestServer;
use serde_json::json;

fn client(server: &TestServer) -> Client {
    Client::new(Keyset::new(server.origin(), "sub-c-test", "tester")).expect("client")
}

fn custom(v: serde_json::Value) -> Custom {
    serde_json::from_value(v).expect("custom map")
}

fn user(name: &str) -> UserFields {
    UserFields {
        name: Maybe::Value(name.to_string()),
        ..Default::default()
    }
}

fn channel(name: &str) -> ChannelFields {
    ChannelFields {
        name: Maybe::Value(name.to_string()),
        ..Default::default()
    }
}

#[tokio::test]
async fn users_set_get_list_remove_with_includes_and_if_match() {
    let server = TestServer::start().await;
    let c = client(&server);
    let fields = UserFields {
        name: Maybe::Value("Ann".into()),
        email: Maybe::Value("ann@example.com".into()),
        external_id: Maybe::Value("ext-1".into()),
        profile_url: Maybe::Value("https://example.com/ann.png".into()),
        kind: Maybe::Value("staff".into()),
        status: Maybe::Value("active".into()),
        custom: Maybe::Value(custom(json!({"tier": "gold", "age": 41, "vip": true}))),
    };
    let opts = SetOptions {
        include: Include::ALL,
        if_match: None,
    };
    let set = c.set_user("ann", &fields, &opts).await.unwrap();
    assert_eq!(set.user_id, "ann");
    assert_eq!(set.custom.as_ref().unwrap()["tier"], "gold");

    // The SDK default includes status and type but not custom.
    let got = c.get_user("ann", Include::default()).await.unwrap();
    assert_eq!(got.status, Maybe::Value("active".into()));
    assert_eq!(got.kind, Maybe::Value("staff".into()));
    assert!(got.custom.is_absent());
    let bare = c.get_user("ann", Include::NONE).await.unwrap();
    assert!(bare.status.is_absent() && bare.kind.is_absent());

    // A write with the current eTag succeeds; one with a stale eTag is refused.
    let current = ETag(got.etag.clone());
    let renamed = c
        .set_user(
            "ann",
            &user("Ann B."),
            &SetOptions {
                include: Include::ALL,
                if_match: Some(current.clone()),
            },
        )
        .await
        .unwrap();
    assert_eq!(renamed.name.as_deref(), Some("Ann B."));
    assert_eq!(
        renamed.email.as_deref(),
        Some("ann@example.com"),
        "absent fields are kept"
    );
    let stale = c
        .set_user(
            "ann",
            &user("Lost"),
            &SetOptions {
                include: Include::ALL,
                if_match: Some(current),
            },
        )
        .await
        .unwrap_err();
    assert!(matches!(stale, Error::Api { status: 412, .. }), "{stale}");

    c.set_user("bob", &user("Bob"), &SetOptions::default())
        .await
        .unwrap();
    let page = c.list_users(&Default::default()).await.unwrap();
    let ids: Vec<&str> = page.data.iter().map(|u| u.user_id.as_str()).collect();
    assert_eq!(ids, ["ann", "bob"]);

    c.remove_user("ann").await.unwrap();
    let gone = c.get_user("ann", Include::default()).await.unwrap_err();
    assert_eq!(gone.status(), Some(404));
    assert!(
        gone.to_string().contains("Requested object was not found."),
        "{gone}"
    );
}

#[tokio::test]
async fn channels_set_get_list_remove() {
    let server = TestServer::start().await;
    let c = client(&server);
    let fields = ChannelFields {
        name: Maybe::Value("General".into()),
        description: Maybe::Value("Everyone".into()),
        kind: Maybe::Value("public".into()),
        status: Maybe::Value("open".into()),
        custom: Maybe::Value(custom(json!({"color": "blue"}))),
    };
    let set = c
        .set_channel("general", &fields, &SetOptions::default())
        .await
        .unwrap();
    assert_eq!(set.description.as_deref(), Some("Everyone"));
    assert!(set.custom.is_absent(), "custom only with include=custom");
    let got = c.get_channel("general", Include::ALL).await.unwrap();
    assert_eq!(got.custom.as_ref().unwrap()["color"], "blue");

    // null clears a field.
    let cleared = c
        .set_channel(
            "general",
            &ChannelFields {
                description: Maybe::Null,
                ..Default::default()
            },
            &SetOptions::default(),
        )
        .await
        .unwrap();
    assert_eq!(cleared.description, None);
    assert_eq!(cleared.name.as_deref(), Some("General"));

    c.set_channel("random", &channel("Random"), &SetOptions::default())
        .await
        .unwrap();
    let page = c
        .list_channels(&ListOptions {
            sort: vec![SortKey::desc("id")],
            include_total_count: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(2));
    assert_eq!(page.data[0].channel_id, "random");
    c.remove_channel("general").await.unwrap();
    c.remove_channel("random").await.unwrap();
    let page = c.list_channels(&Default::default()).await.unwrap();
    assert!(page.data.is_empty());
}

#[tokio::test]
async fn memberships_set_list_remove_and_manage() {
    let server = TestServer::start().await;
    let c = client(&server);
    c.set_channel("room-1", &channel("Room 1"), &SetOptions::default())
        .await
        .unwrap();
    let with_fields = RelationEntry::id("room-1")
        .with_custom(custom(json!({"role": "admin"})))
        .with_status("active")
        .with_type("owner");
    let all = RelationListOptions {
        include: RelationInclude::ALL,
        ..Default::default()
    };
    let page = c
        .set_memberships("ann", &[with_fields, RelationEntry::id("room-2")], &all)
        .await
        .unwrap();
    assert_eq!(page.data.len(), 2);
    let first = &page.data[0];
    assert!(
        matches!(&first.channel, Related::Expanded(ch) if ch.name.as_deref() == Some("Room 1"))
    );
    assert_eq!(first.custom.as_ref().unwrap()["role"], "admin");
    assert_eq!(first.status, Maybe::Value("active".into()));
    // room-2 has no metadata: only its id comes back.
    assert!(matches!(&page.data[1].channel, Related::Id { id } if id == "room-2"));

    let listed = c
        .list_memberships("ann", &RelationListOptions::default())
        .await
        .unwrap();
    assert_eq!(listed.data.len(), 2);
    assert!(listed.data[0].custom.is_absent());
    assert_eq!(listed.data[0].kind, Maybe::Value("owner".into()));

    let managed = c
        .manage_memberships(
            "ann",
            &RelationChange {
                set: vec![RelationEntry::id("room-3")],
                delete: vec![RelationEntry::id("room-1")],
                if_match: None,
            },
            &RelationListOptions::default(),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = managed.data.iter().map(|m| m.channel.id()).collect();
    assert_eq!(ids, ["room-2", "room-3"]);

    let removed = c
        .remove_memberships(
            "ann",
            &["room-2".into(), "room-3".into()],
            &RelationListOptions {
                include_total_count: true,
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(removed.data.is_empty());
    assert_eq!(removed.total_count, Some(0));
}

#[tokio::test]
async fn members_set_list_remove_and_manage_mirror_memberships() {
    let server = TestServer::start().await;
    let c = client(&server);
    c.set_user("ann", &user("Ann"), &SetOptions::default())
        .await
        .unwrap();
    let page = c
        .set_members(
            "room",
            &[
                RelationEntry::id("ann").with_status("host"),
                RelationEntry::id("bob"),
            ],
            &RelationListOptions {
                include: RelationInclude {
                    relation: Include::default(),
                    related: Some(Include::NONE),
                },
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert!(matches!(&page.data[0].uuid, Related::Expanded(u) if u.name.as_deref() == Some("Ann")));
    assert_eq!(page.data[0].status, Maybe::Value("host".into()));

    // The same relation seen from the user's side.
    let from_user = c
        .list_memberships("ann", &RelationListOptions::default())
        .await
        .unwrap();
    assert_eq!(from_user.data[0].channel.id(), "room");
    assert_eq!(from_user.data[0].etag, page.data[0].etag);

    let filtered = c
        .list_members(
            "room",
            &RelationListOptions {
                filter: Some("uuid.id == 'bob'".into()),
                ..Default::default()
            },
        )
        .await
        .unwrap();
    assert_eq!(filtered.data.len(), 1);
    assert_eq!(filtered.data[0].uuid.id(), "bob");

    let managed = c
        .manage_members(
            "room",
            &RelationChange {
                set: vec![RelationEntry::id("cat")],
                delete: vec![RelationEntry::id("ann")],
                if_match: None,
            },
            &Default::default(),
        )
        .await
        .unwrap();
    let ids: Vec<&str> = managed.data.iter().map(|m| m.uuid.id()).collect();
    assert_eq!(ids, ["bob", "cat"]);
    let left = c
        .remove_members("room", &["bob".into(), "cat".into()], &Default::default())
        .await
        .unwrap();
    assert!(left.data.is_empty());
}

#[tokio::test]
async fn lists_filter_sort_count_and_page_both_ways() {
    let server = TestServer::start().await;
    let c = client(&server);
    for i in 0..25 {
        let fields = UserFields {
            name: Maybe::Value(format!("user {i:02}")),
            status: Maybe::Value(if i % 2 == 0 { "even" } else { "odd" }.into()),
            ..Default::default()
        };
        c.set_user(&format!("u{i:02}"), &fields, &SetOptions::default())
            .await
            .unwrap();
    }
    let first = c
        .list_users(&ListOptions {
            limit: Some(10),
            filter: Some("status == 'even' && name LIKE 'user*'".into()),
            sort: vec![SortKey::desc("name")],
            include_total_count: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(first.total_count, Some(13));
    assert_eq!(first.data.len(), 10);
    assert_eq!(first.data[0].user_id, "u24");
    let next = first.next.clone().expect("next cursor");
    let second = c
        .list_users(&ListOptions {
            limit: Some(10),
            page: Some(PageRef::Next(next)),
            filter: Some("status == 'even'".into()),
            sort: vec![SortKey::desc("name")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(second.data.len(), 3);
    assert_eq!(second.data[2].user_id, "u00");
    let back = c
        .list_users(&ListOptions {
            limit: Some(10),
            page: Some(PageRef::Prev(second.prev.clone().expect("prev cursor"))),
            filter: Some("status == 'even'".into()),
            sort: vec![SortKey::desc("name")],
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(back.data, first.data);

    let bad = c
        .list_users(&ListOptions {
            sort: vec![SortKey::asc("email")],
            ..Default::default()
        })
        .await
        .unwrap_err();
    assert!(matches!(bad, Error::Api { status: 400, ref details, .. } if !details.is_empty()));
}

#[tokio::test]
async fn pager_walks_every_page_and_stops() {
    let server = TestServer::start().await;
    let c = client(&server);
    let empty = c.users_pager(Default::default()).unwrap();
    assert!(empty.collect_all().await.unwrap().is_empty());
    for i in 0..25 {
        c.set_user(&format!("u{i:02}"), &user("x"), &SetOptions::default())
            .await
            .unwrap();
    }
    let mut pager = c
        .users_pager(ListOptions {
            limit: Some(10),
            include_total_count: true,
            ..Default::default()
        })
        .unwrap();
    let mut sizes = Vec::new();
    while let Some(page) = pager.next_page().await {
        sizes.push(page.unwrap().data.len());
    }
    assert_eq!(sizes, [10, 10, 5]);
    // Exactly a multiple of the limit: the empty page after the last ends it.
    let all = c
        .users_pager(ListOptions {
            limit: Some(5),
            ..Default::default()
        })
        .unwrap()
        .collect_all()
        .await
        .unwrap();
    assert_eq!(all.len(), 25);
    use futures::StreamExt;
    let pages: Vec<_> = c
        .members_pager("nobody", Default::default())
        .unwrap()
        .into_stream()
        .collect()
        .await;
    assert_eq!(pages.len(), 1, "an empty list is one empty page");
}

#[tokio::test]
async fn ids_with_reserved_characters_round_trip() {
    let server = TestServer::start().await;
    let c = client(&server);
    for id in ["a b", "ü-ñ é", "100%?&=#+", "[\"quoted\"]", "~tilde!'()"] {
        let got = c
            .set_channel(id, &channel(id), &SetOptions::default())
            .await
            .unwrap();
        assert_eq!(got.channel_id, id);
        assert_eq!(
            c.get_channel(id, Include::NONE).await.unwrap().channel_id,
            id
        );
        let members = c
            .set_members(id, &[RelationEntry::id(id)], &Default::default())
            .await
            .unwrap();
        assert_eq!(members.data[0].uuid.id(), id);
    }
    let err = c.get_user("", Include::NONE).await.unwrap_err();
    assert!(err.is_refusal(), "{err}");
}

#[tokio::test]
async fn read_only_client_refuses_every_write_before_sending() {
    let server = TestServer::start().await;
    let c = Client::with_options(
        Keyset::new(server.origin(), "sub-c-test", "tester"),
        appctx::api::ClientOptions {
            read_only: true,
            ..Default::default()
        },
    )
    .unwrap();
    let refusals = [
        c.set_user("a", &user("A"), &SetOptions::default())
            .await
            .err(),
        c.remove_user("a").await.err(),
        c.set_channel("a", &channel("A"), &SetOptions::default())
            .await
            .err(),
        c.remove_channel("a").await.err(),
        c.set_memberships("a", &["c".into()], &Default::default())
            .await
            .err(),
        c.remove_memberships("a", &["c".into()], &Default::default())
            .await
            .err(),
        c.manage_members("c", &RelationChange::default(), &Default::default())
            .await
            .err(),
        c.set_members("c", &["a".into()], &Default::default())
            .await
            .err(),
    ];
    for r in refusals {
        assert!(matches!(r, Some(Error::ReadOnly { .. })), "{r:?}");
    }
    // Reads still work, and nothing was written.
    assert!(c
        .list_users(&Default::default())
        .await
        .unwrap()
        .data
        .is_empty());
    assert!(c
        .list_members("c", &Default::default())
        .await
        .unwrap()
        .data
        .is_empty());
}
