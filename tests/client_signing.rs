//! Signed requests (signature v2 over exactly the bytes sent) are accepted by a local
//! server started with the same secret and refused by one with another secret; the
//! refusal is a 4xx and is not retried.

mod common;

use appctx::api::types::Maybe;
use std::time::{Duration, Instant};

use appctx::api::{
    ChannelFields, Client, ClientOptions, Error, Include, Keyset, RelationEntry, RetryPolicy,
    Secret, SetOptions, UserFields,
};
use appctx::server::signing::Keys;
use common::TestServer;

async fn signing_server(secret: &str) -> TestServer {
    let keys = Keys {
        publish_key: "pub-c-test".into(),
        secret_key: secret.into(),
    };
    TestServer::start_with(|c| c.signing = Some(keys)).await
}

fn signed_client(server: &TestServer, secret: &str) -> Client {
    let mut k = Keyset::new(server.origin(), "sub-c-test", "signer");
    k.publish_key = Some("pub-c-test".into());
    k.secret_key = Some(Secret::new(secret));
    k.auth_key = Some(Secret::new("token+with/odd=chars"));
    // A retry would wait at least 2.5 s: the timing shows whether one happened.
    let retry = RetryPolicy {
        base_delay: Duration::from_secs(5),
        max_delay: Duration::from_secs(5),
        ..Default::default()
    };
    let options = ClientOptions {
        retry,
        ..Default::default()
    };
    Client::with_options(k, options).expect("client")
}

#[tokio::test]
async fn signed_requests_are_accepted_by_a_server_with_the_secret() {
    let server = signing_server("sec-c-RIGHT").await;
    let c = signed_client(&server, "sec-c-RIGHT");
    let fields = UserFields {
        name: Maybe::Value("Zoë \"quoted\" & co".into()),
        custom: Maybe::Value(serde_json::from_str(r#"{"emoji":"🎉","n":1.5}"#).unwrap()),
        ..Default::default()
    };
    // PATCH with a body and an id that needs encoding.
    let u = c
        .set_user("user 1", &fields, &SetOptions::default())
        .await
        .unwrap();
    assert_eq!(u.user_id, "user 1");
    // GET with filter and sort (values that need strict encoding).
    let page = c
        .list_users(&appctx::api::ListOptions {
            filter: Some("name LIKE 'Zo*' && id != \"x\"".into()),
            sort: vec![appctx::api::SortKey::desc("updated")],
            include_total_count: true,
            ..Default::default()
        })
        .await
        .unwrap();
    assert_eq!(page.total_count, Some(1));
    c.set_channel("room 1", &ChannelFields::default(), &SetOptions::default())
        .await
        .unwrap();
    c.set_memberships(
        "user 1",
        &[RelationEntry::id("room 1")],
        &Default::default(),
    )
    .await
    .unwrap();
    // DELETE.
    c.remove_channel("room 1").await.unwrap();
    c.get_user("user 1", Include::ALL).await.unwrap();
}

#[tokio::test]
async fn a_wrong_secret_is_refused_with_403_and_not_retried() {
    let server = signing_server("sec-c-RIGHT").await;
    let c = signed_client(&server, "sec-c-WRONG");
    let started = Instant::now();
    let err = c.get_user("anyone", Include::ALL).await.unwrap_err();
    assert!(matches!(err, Error::Api { status: 403, .. }), "{err}");
    assert!(!err.is_retryable());
    assert!(
        started.elapsed() < Duration::from_secs(2),
        "no retry happened"
    );
    let text = err.to_string();
    assert!(
        !text.contains("sec-c-") && !text.contains("token"),
        "{text}"
    );

    // And without signing at all.
    let unsigned = Client::new(Keyset::new(server.origin(), "sub-c-test", "u")).unwrap();
    let err = unsigned.list_users(&Default::default()).await.unwrap_err();
    assert_eq!(err.status(), Some(403));
}
