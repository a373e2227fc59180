//! Where and as whom the client talks: the origin, the keyset, the caller's user id, and
//! the two secrets (secret key, auth token) that must never be printed.

use std::fmt;

/// PubNub's default origin.
pub const DEFAULT_ORIGIN: &str = "https://ps.pndsn.com";

/// A secret string (secret key, auth token). Its `Debug` never shows the value, and it
/// has no `Display`: reading it takes an explicit [`Secret::expose`].
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    /// Wraps a secret value.
    pub fn new(value: impl Into<String>) -> Secret {
        Secret(value.into())
    }

    /// The secret itself, for signing or sending; never for messages.
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// A masked form for display: `********`.
    pub fn masked(&self) -> &'static str {
        "********"
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(********)")
    }
}

/// Everything a [`Client`](super::Client) needs to address a keyset.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Keyset {
    /// `https://ps.pndsn.com`, or `http://127.0.0.1:8090` for a local server.
    pub origin: String,
    /// The subscribe key: the `{sub_key}` in every path.
    pub subscribe_key: String,
    /// The publish key: needed only to sign requests.
    pub publish_key: Option<String>,
    /// With a secret key every request carries `timestamp` and `signature` (v2).
    pub secret_key: Option<Secret>,
    /// An Access Manager token or legacy auth key, sent as `auth`.
    pub auth_key: Option<Secret>,
    /// The caller's user id, sent as `uuid` on every request.
    pub user_id: String,
}

impl Keyset {
    /// A keyset on `origin` with only a subscribe key and a user id.
    pub fn new(
        origin: impl Into<String>,
        subscribe_key: impl Into<String>,
        user_id: impl Into<String>,
    ) -> Keyset {
        Keyset {
            origin: origin.into(),
            subscribe_key: subscribe_key.into(),
            publish_key: None,
            secret_key: None,
            auth_key: None,
            user_id: user_id.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_secrets() {
        let mut k = Keyset::new(DEFAULT_ORIGIN, "sub-c-1", "me");
        k.secret_key = Some(Secret::new("sec-c-TOPSECRET"));
        k.auth_key = Some(Secret::new("token-TOPSECRET"));
        let shown = format!("{k:?} {k:#?}");
        assert!(!shown.contains("TOPSECRET"), "{shown}");
        assert!(shown.contains("sub-c-1"));
    }
}

/// Whether `origin` names this machine (`localhost`, `127.0.0.0/8`, `::1`): then it is
/// a local server such as `appctx serve`, not PubNub.
pub fn is_loopback_origin(origin: &str) -> bool {
    let Ok(url) = reqwest::Url::parse(origin) else {
        return false;
    };
    let Some(host) = url.host_str() else {
        return false;
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    host.eq_ignore_ascii_case("localhost")
        || host
            .parse::<std::net::IpAddr>()
            .is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod loopback_tests {
    use super::is_loopback_origin;

    #[test]
    fn loopback_origins_are_local() {
        assert!(is_loopback_origin("http://127.0.0.1:8090"));
        assert!(is_loopback_origin("http://127.1.2.3"));
        assert!(is_loopback_origin("http://localhost:9000"));
        assert!(is_loopback_origin("http://[::1]:8090"));
        assert!(!is_loopback_origin("https://ps.pndsn.com"));
        assert!(!is_loopback_origin("http://10.0.0.1"));
        assert!(!is_loopback_origin("not a url"));
    }
}
