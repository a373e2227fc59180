//! The three-way merge behind the conflict view: the record as the editor opened it
//! (base), as it is now on the server (theirs) and as the editor would save it (mine),
//! compared field by field and custom key by custom key. What only one side changed is
//! taken from that side; what both changed to different values is a conflict the user
//! decides, one choice per field or key.

use serde_json::{Map, Value};

use crate::api::types::{Custom, Maybe};
use crate::api::{ChannelFields, UserFields};
use crate::tui::action::Entity;
use crate::tui::editor::Payload;

/// Which side a conflicting slot takes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Choice {
    Mine,
    Theirs,
}

/// How one field or custom key merges.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Nobody changed it, or both made the same change.
    Same,
    /// Only I changed it.
    Mine,
    /// Only they changed it.
    Theirs,
    /// Both changed it, to different values: the user's choice.
    Conflict(Choice),
}

/// One field (`name`) or custom key (`custom.tier`) of the merge.
#[derive(Clone, Debug, PartialEq)]
pub struct Slot {
    /// The wire name: a field, or `custom.<key>`.
    pub name: String,
    /// `None` is null or absent (the two are one value for a field or a custom key).
    pub base: Option<Value>,
    pub theirs: Option<Value>,
    pub mine: Option<Value>,
    pub outcome: Outcome,
}

impl Slot {
    /// The value the merge saves.
    pub fn result(&self) -> &Option<Value> {
        match self.outcome {
            Outcome::Same | Outcome::Mine | Outcome::Conflict(Choice::Mine) => &self.mine,
            Outcome::Theirs | Outcome::Conflict(Choice::Theirs) => &self.theirs,
        }
    }

    /// Whether both sides changed it differently.
    pub fn is_conflict(&self) -> bool {
        matches!(self.outcome, Outcome::Conflict(_))
    }

    /// Whether anybody changed it.
    pub fn changed(&self) -> bool {
        !(self.base == self.theirs && self.base == self.mine)
    }
}

/// A three-way merge of one user or channel.
#[derive(Clone, Debug, PartialEq)]
pub struct Merge {
    pub slots: Vec<Slot>,
    /// Whether `custom` takes part (false when the editor never loaded it: then the
    /// save leaves the stored map alone).
    custom_known: bool,
    /// What an empty merged map is saved as: `{}` when any side had a map.
    custom_object: bool,
}

/// The plain fields of a kind, in the order the form shows them.
fn field_names(e: &Entity) -> &'static [&'static str] {
    match e {
        Entity::User(_) => &[
            "name",
            "email",
            "externalId",
            "profileUrl",
            "status",
            "type",
        ],
        Entity::Channel(_) => &["name", "description", "status", "type"],
    }
}

/// A record (or a save body) as its wire JSON object.
fn object<T: serde::Serialize>(v: &T) -> Map<String, Value> {
    match serde_json::to_value(v) {
        Ok(Value::Object(m)) => m,
        _ => Map::new(),
    }
}

fn non_null(v: Option<&Value>) -> Option<Value> {
    v.filter(|v| !v.is_null()).cloned()
}

fn custom_of(m: &Map<String, Value>) -> Option<Map<String, Value>> {
    match m.get("custom") {
        Some(Value::Object(c)) => Some(c.clone()),
        _ => None,
    }
}

fn outcome(base: &Option<Value>, theirs: &Option<Value>, mine: &Option<Value>) -> Outcome {
    if mine == theirs {
        Outcome::Same
    } else if mine == base {
        Outcome::Theirs
    } else if theirs == base {
        Outcome::Mine
    } else {
        Outcome::Conflict(Choice::Mine)
    }
}

impl Merge {
    /// Merges `mine` (the save body) with `theirs`, both descended from `base`. Without
    /// a base (a record created meanwhile by someone else, or one the editor did not
    /// keep), every difference is a conflict.
    pub fn new(base: Option<&Entity>, theirs: &Entity, mine: &Payload) -> Merge {
        let theirs_obj = match theirs {
            Entity::User(u) => object(u),
            Entity::Channel(c) => object(c),
        };
        let base_obj = base.map(|b| match b {
            Entity::User(u) => object(u),
            Entity::Channel(c) => object(c),
        });
        let mine_obj = match mine {
            Payload::User { fields, .. } => object(fields),
            Payload::Channel { fields, .. } => object(fields),
        };
        let mut slots = Vec::new();
        for &name in field_names(theirs) {
            let theirs_v = non_null(theirs_obj.get(name));
            let base_v = match &base_obj {
                Some(b) => non_null(b.get(name)),
                None => theirs_v.clone(),
            };
            // A field the save leaves out keeps the stored value: it is "unchanged".
            let mine_v = match mine_obj.get(name) {
                Some(v) => non_null(Some(v)),
                None => base_v.clone(),
            };
            let outcome = if base.is_none() && mine_v != theirs_v {
                Outcome::Conflict(Choice::Mine)
            } else {
                outcome(&base_v, &theirs_v, &mine_v)
            };
            slots.push(Slot {
                name: name.to_string(),
                base: base_v,
                theirs: theirs_v,
                mine: mine_v,
                outcome,
            });
        }
        let custom_known = mine_obj.contains_key("custom");
        let mut custom_object = false;
        if custom_known {
            let t = custom_of(&theirs_obj);
            let m = custom_of(&mine_obj);
            let b = base_obj.as_ref().and_then(custom_of);
            let base_known = base_obj.as_ref().is_some_and(|b| b.contains_key("custom"));
            custom_object = t.is_some() || m.is_some();
            let (t, m, b) = (
                t.unwrap_or_default(),
                m.unwrap_or_default(),
                b.unwrap_or_default(),
            );
            // Their keys in their order, then keys only mine or the base had.
            let mut keys: Vec<&String> = t.keys().collect();
            for k in m.keys().chain(b.keys()) {
                if !keys.contains(&k) {
                    keys.push(k);
                }
            }
            for k in keys {
                let (bv, tv, mv) = (non_null(b.get(k)), non_null(t.get(k)), non_null(m.get(k)));
                let outcome = if !base_known && mv != tv {
                    Outcome::Conflict(Choice::Mine)
                } else {
                    outcome(&bv, &tv, &mv)
                };
                slots.push(Slot {
                    name: format!("custom.{k}"),
                    base: bv,
                    theirs: tv,
                    mine: mv,
                    outcome,
                });
            }
        }
        Merge {
            slots,
            custom_known,
            custom_object,
        }
    }

    /// How many slots both sides changed differently.
    pub fn conflicts(&self) -> usize {
        self.slots.iter().filter(|s| s.is_conflict()).count()
    }

    /// Sets the choice of a conflicting slot (others are not choices).
    pub fn choose(&mut self, slot: usize, choice: Choice) {
        if let Some(s) = self.slots.get_mut(slot) {
            if s.is_conflict() {
                s.outcome = Outcome::Conflict(choice);
            }
        }
    }

    /// The merged record: `theirs` with every slot set to its result. Its eTag is
    /// theirs, so saving it writes over exactly the version it was merged with.
    pub fn merged(&self, theirs: &Entity) -> Entity {
        let mut obj = match theirs {
            Entity::User(u) => object(u),
            Entity::Channel(c) => object(c),
        };
        let mut custom = Custom::new();
        for s in &self.slots {
            let value = s.result().clone().unwrap_or(Value::Null);
            match s.name.strip_prefix("custom.") {
                Some(key) => {
                    if !value.is_null() {
                        custom.insert(key.to_string(), value);
                    }
                }
                None => {
                    obj.insert(s.name.clone(), value);
                }
            }
        }
        if self.custom_known {
            let c = if custom.is_empty() && !self.custom_object {
                Value::Null
            } else {
                Value::Object(custom)
            };
            obj.insert("custom".into(), c);
        }
        let v = Value::Object(obj);
        match theirs {
            Entity::User(u) => serde_json::from_value(v)
                .map(Entity::User)
                .unwrap_or_else(|_| Entity::User(u.clone())),
            Entity::Channel(c) => serde_json::from_value(v)
                .map(Entity::Channel)
                .unwrap_or_else(|_| Entity::Channel(c.clone())),
        }
    }

    /// The body that saves the merge.
    pub fn payload(&self, theirs: &Entity) -> Payload {
        let custom_sent = self.custom_known;
        match self.merged(theirs) {
            Entity::User(u) => {
                let mut fields = UserFields::from(&u);
                if !custom_sent {
                    fields.custom = Maybe::Absent;
                }
                Payload::User {
                    id: u.user_id,
                    fields,
                }
            }
            Entity::Channel(c) => {
                let mut fields = ChannelFields::from(&c);
                if !custom_sent {
                    fields.custom = Maybe::Absent;
                }
                Payload::Channel {
                    id: c.channel_id,
                    fields,
                }
            }
        }
    }
}

/// A relation's status, type and custom keys as one flat list of slots.
fn relation_slots(e: &crate::api::RelationEntry) -> Vec<(String, Option<Value>)> {
    let mut out = vec![
        (
            "status".to_string(),
            e.status.as_ref().map(|s| Value::String(s.clone())),
        ),
        (
            "type".to_string(),
            e.kind.as_ref().map(|s| Value::String(s.clone())),
        ),
    ];
    if let Some(c) = e.custom.as_ref() {
        out.extend(
            c.iter()
                .filter(|(_, v)| !v.is_null())
                .map(|(k, v)| (format!("custom.{k}"), Some(v.clone()))),
        );
    }
    out
}

/// Three-way merge of one membership or member: what only they changed since `base`
/// is kept, what only I changed is sent, and a key both changed to different values
/// takes mine and is named in the returned list ("custom.role: theirs \"admin\",
/// mine \"owner\"") so the user can be asked first.
pub fn merge_relation(
    base: &crate::api::RelationEntry,
    theirs: &crate::api::RelationEntry,
    mine: &crate::api::RelationEntry,
) -> (crate::api::RelationEntry, Vec<String>) {
    let (b, t, m) = (
        relation_slots(base),
        relation_slots(theirs),
        relation_slots(mine),
    );
    let get = |v: &[(String, Option<Value>)], k: &str| {
        v.iter().find(|(n, _)| n == k).and_then(|(_, x)| x.clone())
    };
    let mut names: Vec<String> = Vec::new();
    for (k, _) in t.iter().chain(m.iter()).chain(b.iter()) {
        if !names.contains(k) {
            names.push(k.clone());
        }
    }
    let mut conflicts = Vec::new();
    let mut out = crate::api::RelationEntry::id(mine.id.clone());
    let mut custom = Custom::new();
    for k in names {
        let (bv, tv, mv) = (get(&b, &k), get(&t, &k), get(&m, &k));
        let value = match outcome(&bv, &tv, &mv) {
            Outcome::Theirs => tv,
            Outcome::Conflict(_) => {
                conflicts.push(format!("{k}: theirs {}, mine {}", quoted(&tv), quoted(&mv)));
                mv
            }
            _ => mv,
        };
        match (k.as_str(), value) {
            ("status", v) => {
                out.status = Maybe::present(v.and_then(|v| v.as_str().map(String::from)))
            }
            ("type", v) => out.kind = Maybe::present(v.and_then(|v| v.as_str().map(String::from))),
            (key, Some(v)) => {
                if let Some(ck) = key.strip_prefix("custom.") {
                    custom.insert(ck.to_string(), v);
                }
            }
            (_, None) => {}
        }
    }
    let had_map = mine.custom.as_ref().is_some() || theirs.custom.as_ref().is_some();
    out.custom = if custom.is_empty() && !had_map {
        Maybe::Null
    } else {
        Maybe::Value(custom)
    };
    (out, conflicts)
}

fn quoted(v: &Option<Value>) -> String {
    match v {
        None => "(none)".into(),
        Some(v) => v.to_string(),
    }
}

/// A value as the conflict view shows it: strings bare, other JSON as JSON, none as `—`.
pub fn show(v: &Option<Value>) -> String {
    match v {
        None => "—".to_string(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::api::types::User;
    use serde_json::json;

    fn user(name: &str, custom: Value) -> User {
        User {
            user_id: "u1".into(),
            name: Some(name.into()),
            email: Some("a@example.com".into()),
            custom: match custom {
                Value::Object(m) => Maybe::Value(m),
                _ => Maybe::Null,
            },
            status: Maybe::Value("active".into()),
            kind: Maybe::Null,
            updated: "2026-01-01T00:00:00.000000Z".into(),
            etag: "base".into(),
            ..Default::default()
        }
    }

    fn mine_of(u: &User) -> Payload {
        Payload::User {
            id: u.user_id.clone(),
            fields: UserFields::from(u),
        }
    }

    fn custom(e: &Entity) -> Value {
        match e {
            Entity::User(u) => serde_json::to_value(&u.custom).unwrap_or_default(),
            Entity::Channel(c) => serde_json::to_value(&c.custom).unwrap_or_default(),
        }
    }

    #[test]
    fn changes_to_different_fields_both_survive() {
        let base = user("Ada", json!({"tier": "gold", "seats": 1}));
        let mut theirs = base.clone();
        theirs.custom = Maybe::Value(
            json!({"tier": "platinum", "seats": 9})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        theirs.etag = "theirs".into();
        let mut mine = base.clone();
        mine.name = Some("Ada Lovelace".into());
        let m = Merge::new(
            Some(&Entity::User(base)),
            &Entity::User(theirs.clone()),
            &mine_of(&mine),
        );
        assert_eq!(m.conflicts(), 0);
        let merged = m.merged(&Entity::User(theirs));
        let Entity::User(u) = &merged else {
            panic!("a user")
        };
        assert_eq!(u.name.as_deref(), Some("Ada Lovelace"));
        assert_eq!(custom(&merged), json!({"tier": "platinum", "seats": 9}));
        assert_eq!(u.etag, "theirs");
    }

    #[test]
    fn custom_keys_merge_one_by_one() {
        let base = user("Ada", json!({"a": 1, "b": 2, "c": 3}));
        let mut theirs = base.clone();
        theirs.custom = Maybe::Value(
            json!({"a": 10, "b": 2, "c": 3, "t": true})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let mut mine = base.clone();
        mine.custom = Maybe::Value(
            json!({"a": 1, "b": 20, "m": "x"})
                .as_object()
                .cloned()
                .unwrap_or_default(),
        );
        let m = Merge::new(
            Some(&Entity::User(base)),
            &Entity::User(theirs.clone()),
            &mine_of(&mine),
        );
        assert_eq!(m.conflicts(), 0);
        // a: theirs; b: mine; c: removed by me; t: added by them; m: added by me.
        assert_eq!(
            custom(&m.merged(&Entity::User(theirs))),
            json!({"a": 10, "b": 20, "t": true, "m": "x"})
        );
    }

    #[test]
    fn same_field_changed_by_both_is_a_choice_that_holds() {
        let base = user("Ada", json!({}));
        let mut theirs = base.clone();
        theirs.name = Some("Theirs".into());
        let mut mine = base.clone();
        mine.name = Some("Mine".into());
        let mut m = Merge::new(
            Some(&Entity::User(base)),
            &Entity::User(theirs.clone()),
            &mine_of(&mine),
        );
        assert_eq!(m.conflicts(), 1);
        let i = m.slots.iter().position(|s| s.name == "name").unwrap_or(99);
        assert_eq!(m.slots[i].outcome, Outcome::Conflict(Choice::Mine));
        m.choose(i, Choice::Theirs);
        let Payload::User { fields, .. } = m.payload(&Entity::User(theirs)) else {
            panic!("a user")
        };
        assert_eq!(fields.name, Maybe::Value("Theirs".into()));
    }

    #[test]
    fn fields_the_save_leaves_out_take_theirs() {
        let base = user("Ada", json!({"k": 1}));
        let mut theirs = base.clone();
        theirs.status = Maybe::Value("banned".into());
        theirs.custom = Maybe::Value(json!({"k": 2}).as_object().cloned().unwrap_or_default());
        let mut mine = mine_of(&base);
        if let Payload::User { fields, .. } = &mut mine {
            fields.status = Maybe::Absent;
            fields.custom = Maybe::Absent;
            fields.name = Maybe::Value("New".into());
        }
        let m = Merge::new(
            Some(&Entity::User(base)),
            &Entity::User(theirs.clone()),
            &mine,
        );
        assert_eq!(m.conflicts(), 0);
        let Payload::User { fields, .. } = m.payload(&Entity::User(theirs)) else {
            panic!("a user")
        };
        assert_eq!(fields.status, Maybe::Value("banned".into()));
        assert_eq!(
            fields.custom,
            Maybe::Absent,
            "custom not loaded: left alone"
        );
        assert_eq!(fields.name, Maybe::Value("New".into()));
    }

    fn rel(status: &str, custom: Value) -> crate::api::RelationEntry {
        crate::api::RelationEntry {
            id: "general".into(),
            status: Maybe::Value(status.into()),
            kind: Maybe::Null,
            custom: match custom {
                Value::Object(m) => Maybe::Value(m),
                _ => Maybe::Null,
            },
        }
    }

    #[test]
    fn a_relation_keeps_their_custom_key_and_my_status() {
        let base = rel("active", json!({"role": "member", "n": 1}));
        let theirs = rel("active", json!({"role": "member", "n": 2}));
        let mine = rel("away", json!({"role": "member", "n": 1}));
        let (out, conflicts) = merge_relation(&base, &theirs, &mine);
        assert!(conflicts.is_empty());
        assert_eq!(out.status, Maybe::Value("away".into()));
        assert_eq!(
            serde_json::to_value(&out.custom).unwrap_or_default(),
            json!({"role": "member", "n": 2})
        );
    }

    #[test]
    fn a_relation_key_changed_by_both_is_named() {
        let base = rel("active", json!({"role": "member"}));
        let theirs = rel("active", json!({"role": "admin"}));
        let mine = rel("active", json!({"role": "owner"}));
        let (out, conflicts) = merge_relation(&base, &theirs, &mine);
        assert_eq!(conflicts.len(), 1, "{conflicts:?}");
        assert!(conflicts[0].contains("custom.role"), "{conflicts:?}");
        assert_eq!(
            serde_json::to_value(&out.custom).unwrap_or_default(),
            json!({"role": "owner"})
        );
    }

    #[test]
    fn without_a_base_every_difference_is_a_conflict() {
        let theirs = user("Theirs", json!({"k": 1}));
        let mine = user("Mine", json!({"k": 1}));
        let m = Merge::new(None, &Entity::User(theirs), &mine_of(&mine));
        assert_eq!(m.conflicts(), 1);
    }
}
