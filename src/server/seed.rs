//! Seeding a new database with the demo keyset (`assets/demo.json`, made by
//! `assets/gen_demo.py`) so a first run shows believable data.

use serde::Deserialize;

use super::error::ApiError;
use super::model::{now_micros, Kind, ObjectRow, RelationRow};
use super::store::Store;
use super::DEMO_KEYSET;
use crate::api::types::Custom;

/// The demo keyset, embedded in the binary.
pub const DEMO_JSON: &str = include_str!("../../assets/demo.json");

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct DemoObject {
    id: String,
    name: Option<String>,
    #[serde(default)]
    description: Option<String>,
    #[serde(default)]
    external_id: Option<String>,
    #[serde(default)]
    profile_url: Option<String>,
    #[serde(default)]
    email: Option<String>,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    custom: Option<Custom>,
}

#[derive(Deserialize)]
struct DemoMembership {
    uuid: String,
    channel: String,
    status: Option<String>,
    #[serde(rename = "type")]
    kind: Option<String>,
    custom: Option<Custom>,
}

#[derive(Deserialize)]
struct Demo {
    users: Vec<DemoObject>,
    channels: Vec<DemoObject>,
    memberships: Vec<DemoMembership>,
}

/// On a database that has never been initialised: seed the demo keyset (unless
/// `empty`) and mark it initialised, so a later start never re-seeds.
pub fn initialise(store: &Store, empty: bool) -> Result<(), ApiError> {
    if store.meta("initialised")?.is_some() {
        return Ok(());
    }
    if !empty {
        seed_demo(store, DEMO_KEYSET)?;
    }
    store.set_meta("initialised", &now_micros().to_string())
}

/// The demo keyset's `updated` times are spread over the 90 days before this instant
/// (2026-11-01T00:00:00Z), so a seeded keyset is the same, eTags included, every time.
pub const DEMO_EPOCH_MICROS: i64 = 1_793_491_200_000_000;

/// Loads the demo keyset into `sub`.
pub fn seed_demo(store: &Store, sub: &str) -> Result<(), ApiError> {
    let mut demo: Demo = serde_json::from_str(DEMO_JSON).map_err(ApiError::internal)?;
    for c in demo
        .users
        .iter_mut()
        .chain(demo.channels.iter_mut())
        .filter_map(|o| o.custom.as_mut())
        .chain(
            demo.memberships
                .iter_mut()
                .filter_map(|m| m.custom.as_mut()),
        )
    {
        c.sort_keys();
    }
    let now = DEMO_EPOCH_MICROS;
    let day = 86_400_000_000i64;
    let spread = |i: usize| now - ((i as i64 * 7_919) % 90) * day - (i as i64 * 61_000_017) % day;
    let mut objects = Vec::new();
    for (kind, list) in [(Kind::User, demo.users), (Kind::Channel, demo.channels)] {
        for (i, o) in list.into_iter().enumerate() {
            let mut row = ObjectRow {
                id: o.id,
                name: o.name,
                description: o.description,
                external_id: o.external_id,
                profile_url: o.profile_url,
                email: o.email,
                kind_field: o.kind,
                status: o.status,
                custom: o.custom,
                updated: spread(i + kind as usize * 1000),
                etag: String::new(),
            };
            row.etag = row.compute_etag(kind);
            objects.push((kind, row));
        }
    }
    let relations: Vec<RelationRow> = demo
        .memberships
        .into_iter()
        .enumerate()
        .map(|(i, m)| {
            let mut r = RelationRow {
                user_id: m.uuid,
                channel_id: m.channel,
                kind_field: m.kind,
                status: m.status,
                custom: m.custom,
                updated: spread(i + 5000),
                etag: String::new(),
            };
            r.etag = r.compute_etag();
            r
        })
        .collect();
    store.bulk_load(sub, &objects, &relations)
}
