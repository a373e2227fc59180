//! PubNub request signing, version 2 (spec §11), used by the client to sign and by the
//! local server to verify.

use base64::Engine;
use hmac::{Hmac, Mac};
use percent_encoding::{utf8_percent_encode, AsciiSet, NON_ALPHANUMERIC};
use sha2::Sha256;

/// Every byte outside `[A-Za-z0-9-_.]` is percent-encoded (upper-case hex).
pub const STRICT: &AsciiSet = &NON_ALPHANUMERIC.remove(b'-').remove(b'_').remove(b'.');

/// Percent-encodes a path segment or query value the way PubNub signs it.
pub fn encode(value: &str) -> String {
    utf8_percent_encode(value, STRICT).to_string()
}

/// The canonical query: pairs sorted by key, values strictly encoded, `signature` left
/// out. A repeated key keeps its values in the order they are sent (the sort is
/// stable): `sort=name&sort=id` and `sort=id&sort=name` ask for different things, so
/// a signature for one must not verify the other.
pub fn canonical_query<'a>(pairs: impl IntoIterator<Item = (&'a str, &'a str)>) -> String {
    let mut pairs: Vec<(&str, &str)> = pairs
        .into_iter()
        .filter(|(k, _)| *k != "signature")
        .collect();
    pairs.sort_by_key(|(k, _)| *k);
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", encode(v)))
        .collect::<Vec<_>>()
        .join("&")
}

/// The `signature` value (`v2.` + unpadded base64url HMAC-SHA256) for a request.
/// `path` is the path exactly as sent (percent-encoded); `query` is the canonical query;
/// `body` the exact body bytes (empty for GET and DELETE).
pub fn sign_v2(
    secret: &str,
    publish_key: &str,
    method: &str,
    path: &str,
    query: &str,
    body: &[u8],
) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(m) => m,
        Err(_) => unreachable!("HMAC accepts keys of any length"),
    };
    mac.update(
        format!(
            "{}\n{publish_key}\n{path}\n{query}\n",
            method.to_ascii_uppercase()
        )
        .as_bytes(),
    );
    mac.update(body);
    let digest = mac.finalize().into_bytes();
    format!(
        "v2.{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(digest)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const SECRET: &str = "sec-c-EXAMPLE";
    const PUB: &str = "pub-c-EXAMPLE";

    #[test]
    fn worked_example_patch() {
        let q = canonical_query([
            ("uuid", "cli-user"),
            ("timestamp", "1700000000"),
            ("pnsdk", "PubNub-Rust-CLI/0.1.0"),
            ("include", "custom,status,type"),
            ("auth", "my-token"),
        ]);
        assert_eq!(q, "auth=my-token&include=custom%2Cstatus%2Ctype&pnsdk=PubNub-Rust-CLI%2F0.1.0&timestamp=1700000000&uuid=cli-user");
        let sig = sign_v2(
            SECRET,
            PUB,
            "PATCH",
            "/v2/objects/sub-c-EXAMPLE/uuids/user%201",
            &q,
            br#"{"name":"Alice","custom":{"tier":"gold"}}"#,
        );
        assert_eq!(sig, "v2.XgP4mMUx8u_7L-L7h5PZCacVfUYJ9gFUSuStU_1XXyw");
    }

    #[test]
    fn worked_example_get_with_filter_and_sort() {
        let q = canonical_query([
            ("count", "true"),
            ("filter", "name LIKE \"A*\" && status == 'active'"),
            ("limit", "50"),
            ("pnsdk", "PubNub-Rust-CLI/0.1.0"),
            ("sort", "name:asc,updated:desc"),
            ("timestamp", "1700000000"),
            ("uuid", "cli-user"),
        ]);
        let sig = sign_v2(
            SECRET,
            PUB,
            "GET",
            "/v2/objects/sub-c-EXAMPLE/uuids",
            &q,
            b"",
        );
        assert_eq!(sig, "v2.84yLOxC_KeCNnxZUQUNl1nFpfTHfA0fcDXhVT7DAe9A");
    }

    #[test]
    fn worked_example_delete() {
        let q = canonical_query([
            ("pnsdk", "PubNub-Rust-CLI/0.1.0"),
            ("timestamp", "1700000000"),
            ("uuid", "cli-user"),
            ("signature", "ignored"),
        ]);
        let sig = sign_v2(
            SECRET,
            PUB,
            "DELETE",
            "/v2/objects/sub-c-EXAMPLE/channels/room-1",
            &q,
            b"",
        );
        assert_eq!(sig, "v2.CBIvpoT_j7i50VUvi-n7AKJLNJQtCyW_9odBgjvM2y0");
    }
}
