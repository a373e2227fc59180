//! Resolution of settings from flags, environment and config files.

use super::*;

fn write_config(text: &str) -> (tempfile::TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("config.toml");
    std::fs::write(&path, text).unwrap();
    (dir, path)
}

fn env_of(pairs: &[(&str, &str)]) -> impl Fn(&str) -> Option<String> {
    let map: BTreeMap<String, String> = pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
    move |k| map.get(k).cloned()
}

const PROFILES: &str = r#"
default_profile = "prod"

[profiles.prod]
subscribe_key = "sub-prod"
publish_key = "pub-prod"
secret_key_env = "PROD_SECRET"
user_id = "ops"
read_only = true

[profiles.dev]
subscribe_key = "sub-dev"
origin = "http://127.0.0.1:8090"
"#;

#[test]
fn flags_beat_env_beat_profile() {
    let (_d, path) = write_config(PROFILES);
    let flags = Flags {
        config: Some(path),
        subscribe_key: Some("sub-flag".into()),
        ..Default::default()
    };
    let env = env_of(&[
        ("PUBNUB_SUBSCRIBE_KEY", "sub-env"),
        ("PUBNUB_PUBLISH_KEY", "pub-env"),
        ("PROD_SECRET", "sec-from-var"),
    ]);
    let s = Settings::resolve_with(&flags, &env).unwrap();
    assert_eq!(s.mode, Mode::Remote);
    assert_eq!(s.subscribe_key.value, "sub-flag");
    assert_eq!(s.subscribe_key.source, Source::Flag("--subscribe-key"));
    assert_eq!(s.publish_key.as_ref().unwrap().value, "pub-env");
    assert_eq!(s.user_id.value, "ops");
    assert_eq!(s.user_id.source, Source::Profile("prod".into()));
    let secret = s.secret_key.as_ref().unwrap();
    assert_eq!(secret.value.expose(), "sec-from-var");
    assert!(matches!(secret.source, Source::ProfileEnv { .. }));
    assert!(s.read_only.value);
    assert_eq!(s.origin.value, DEFAULT_ORIGIN);
}

#[test]
fn report_masks_secrets_and_names_sources() {
    let (_d, path) = write_config(PROFILES);
    let flags = Flags {
        config: Some(path),
        auth_key: Some(Secret::new("token-TOPSECRET")),
        ..Default::default()
    };
    let env = env_of(&[("PROD_SECRET", "sec-TOPSECRET")]);
    let s = Settings::resolve_with(&flags, &env).unwrap();
    let report = s.report();
    assert!(!report.contains("TOPSECRET"), "{report}");
    assert!(!format!("{s:?}").contains("TOPSECRET"));
    assert!(
        report.contains("env PROD_SECRET, named by profile prod"),
        "{report}"
    );
    assert!(report.contains("sub-prod  (profile prod)"), "{report}");
    assert!(report.contains("(flag --auth-key)"), "{report}");
}

#[test]
fn no_keyset_anywhere_means_the_embedded_server() {
    let dir = tempfile::tempdir().unwrap();
    let (_d, path) = write_config("");
    let flags = Flags {
        config: Some(path),
        db: Some(dir.path().join("x.db")),
        ..Default::default()
    };
    let s = Settings::resolve_with(&flags, &env_of(&[])).unwrap();
    assert!(matches!(s.mode, Mode::Local { .. }));
    assert_eq!(s.subscribe_key.value, DEMO_KEYSET);
}

#[test]
fn an_origin_alone_means_its_demo_keyset() {
    let (_d, path) = write_config(PROFILES);
    let flags = Flags {
        config: Some(path),
        profile: Some("dev".into()),
        ..Default::default()
    };
    let s = Settings::resolve_with(&flags, &env_of(&[])).unwrap();
    assert_eq!(s.origin.value, "http://127.0.0.1:8090");
    assert_eq!(s.subscribe_key.value, "sub-dev");
    assert!(!s.read_only.value);
}

#[test]
fn unknown_profile_lists_the_known_ones() {
    let (_d, path) = write_config(PROFILES);
    let flags = Flags {
        config: Some(path),
        profile: Some("staging".into()),
        ..Default::default()
    };
    let e = Settings::resolve_with(&flags, &env_of(&[])).unwrap_err();
    let text = e.to_string();
    assert!(text.contains("unknown profile 'staging'"), "{text}");
    assert!(text.contains("known profiles: dev, prod"), "{text}");
}

#[test]
fn bad_toml_names_the_line() {
    let (_d, path) = write_config("[profiles.x]\nsubscribe_key = \"a\"\nread_only = maybe\n");
    let flags = Flags {
        config: Some(path),
        ..Default::default()
    };
    let text = Settings::resolve_with(&flags, &env_of(&[]))
        .unwrap_err()
        .to_string();
    assert!(text.contains("line 3"), "{text}");
}

#[test]
fn missing_secret_variable_is_an_error() {
    let (_d, path) = write_config(PROFILES);
    let flags = Flags {
        config: Some(path),
        ..Default::default()
    };
    let text = Settings::resolve_with(&flags, &env_of(&[]))
        .unwrap_err()
        .to_string();
    assert!(text.contains("$PROD_SECRET"), "{text}");
}

#[test]
fn an_explicit_config_file_must_exist() {
    let flags = Flags {
        config: Some(PathBuf::from("/nonexistent/appctx/config.toml")),
        ..Default::default()
    };
    assert!(matches!(
        Settings::resolve_with(&flags, &env_of(&[])),
        Err(ConfigError::Read { .. })
    ));
}
