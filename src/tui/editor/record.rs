//! Between a record and the form: opening a user or channel, the payload a save
//! sends, the record-size rule, and the whole record as JSON for `$EDITOR` and back.

use std::collections::HashSet;
use std::fmt;

use serde::de::{Deserialize, Deserializer, Error as _, MapAccess, Visitor};
use serde_json::Value;

use super::custom::{self, CustomRow, Entries};
use super::{EditTarget, Editor, Field, FieldKey, Focus, Payload};
use crate::api::options::{ChannelFields, UserFields};
use crate::api::rules::MAX_RECORD_BYTES;
use crate::api::types::{Channel, Custom, Maybe, User};
use crate::tui::action::{Entity, EntityKind};

/// Stand-ins for what the server adds to a stored record, so the size rule counts them.
const UPDATED_SAMPLE: &str = "2000-01-01T00:00:00.000000Z";
const ETAG_SAMPLE: &str = "AaBbCcDdEeFfGgHhIiJjKk";

impl Editor {
    /// A form editing `u`, remembering its eTag.
    pub fn edit_user(u: &User) -> Editor {
        let mut e = Editor::new_user();
        e.load_user(u);
        e
    }

    /// A form editing `c`, remembering its eTag.
    pub fn edit_channel(c: &Channel) -> Editor {
        let mut e = Editor::new_channel();
        e.load_channel(c);
        e
    }

    /// Replaces the form's content (and eTag) with a user record: the conflict view's
    /// "take theirs". The result counts as unchanged.
    pub fn load_user(&mut self, u: &User) {
        self.target = EditTarget::User {
            id: u.user_id.clone(),
            etag: u.etag.clone(),
        };
        self.fields = FieldKey::for_form(EntityKind::User, false)
            .into_iter()
            .map(|k| match k {
                FieldKey::Name => Field::new(k, u.name.as_deref()),
                FieldKey::Email => Field::new(k, u.email.as_deref()),
                FieldKey::ExternalId => Field::new(k, u.external_id.as_deref()),
                FieldKey::ProfileUrl => Field::new(k, u.profile_url.as_deref()),
                FieldKey::Status => maybe_field(k, &u.status),
                _ => maybe_field(k, &u.kind),
            })
            .collect();
        self.load_custom(&u.custom);
        self.base = Some(Entity::User(u.clone()));
    }

    /// Replaces the form's content (and eTag) with a channel record.
    pub fn load_channel(&mut self, c: &Channel) {
        self.target = EditTarget::Channel {
            id: c.channel_id.clone(),
            etag: c.etag.clone(),
        };
        self.fields = FieldKey::for_form(EntityKind::Channel, false)
            .into_iter()
            .map(|k| match k {
                FieldKey::Name => Field::new(k, c.name.as_deref()),
                FieldKey::Description => Field::new(k, c.description.as_deref()),
                FieldKey::Status => maybe_field(k, &c.status),
                _ => maybe_field(k, &c.kind),
            })
            .collect();
        self.load_custom(&c.custom);
        self.base = Some(Entity::Channel(c.clone()));
    }

    /// Loads `entity` as a fresh edit of it.
    pub fn load(&mut self, entity: &Entity) {
        match entity {
            Entity::User(u) => self.load_user(u),
            Entity::Channel(c) => self.load_channel(c),
        }
    }

    /// After a conflict: the form shows `merged`, but its base (and the eTag a save
    /// must match) is `theirs`, so the merge counts as an unsaved change and a further
    /// 412 merges against the right version.
    pub fn rebase(&mut self, theirs: &Entity, merged: &Entity) {
        let mut from = self.clone();
        from.load(theirs);
        self.load(merged);
        self.baseline = from.baseline;
        self.base = Some(theirs.clone());
        self.remote_warning = None;
        self.remote_removed = false;
        self.external_text = None;
    }

    fn load_custom(&mut self, custom: &Maybe<Custom>) {
        self.custom_absent = custom.is_absent();
        self.custom_was_object = custom.as_ref().is_some();
        self.rows = custom.as_ref().map_or_else(Vec::new, |map| {
            map.iter()
                .map(|(k, v)| {
                    // The server stores scalars only; anything else is shown as its text.
                    CustomRow::from_json(k, v)
                        .or_else(|| CustomRow::from_json(k, &Value::String(v.to_string())))
                        .unwrap_or_else(CustomRow::empty)
                })
                .collect()
        });
        self.raw = None;
        self.attempted = false;
        self.record_error = None;
        self.notice = None;
        self.set_focus(Focus::Field(0));
        self.baseline = self.snapshot();
    }

    /// The record's id: the target's, or the id typed when creating.
    pub fn id(&self) -> String {
        match &self.target {
            EditTarget::User { id, .. } | EditTarget::Channel { id, .. } => id.clone(),
            EditTarget::NewUser | EditTarget::NewChannel => self
                .fields
                .iter()
                .find(|f| f.key == FieldKey::Id)
                .map(|f| f.input.text().to_string())
                .unwrap_or_default(),
        }
    }

    /// The body a save sends, from checked rows.
    pub(super) fn payload(&self, rows: &[CustomRow]) -> Payload {
        let field = |k: FieldKey| match self.fields.iter().find(|f| f.key == k) {
            Some(f) if !f.is_untouched_absent() => Maybe::present(f.value()),
            _ => Maybe::Absent,
        };
        let custom = if rows.is_empty() {
            if self.custom_absent {
                Maybe::Absent
            } else if self.custom_was_object {
                Maybe::Value(Custom::new())
            } else {
                Maybe::Null
            }
        } else {
            // Sorted, as PubNub stores and answers custom maps.
            let mut map: Custom = rows
                .iter()
                .map(|r| (r.key.text().to_string(), r.lenient_value()))
                .collect();
            map.sort_keys();
            Maybe::Value(map)
        };
        let id = self.id();
        match self.kind() {
            EntityKind::User => Payload::User {
                id,
                fields: UserFields {
                    name: field(FieldKey::Name),
                    external_id: field(FieldKey::ExternalId),
                    profile_url: field(FieldKey::ProfileUrl),
                    email: field(FieldKey::Email),
                    kind: field(FieldKey::Type),
                    status: field(FieldKey::Status),
                    custom,
                },
            },
            EntityKind::Channel => Payload::Channel {
                id,
                fields: ChannelFields {
                    name: field(FieldKey::Name),
                    description: field(FieldKey::Description),
                    kind: field(FieldKey::Type),
                    status: field(FieldKey::Status),
                    custom,
                },
            },
        }
    }

    /// The record as the server would store it must fit in [`MAX_RECORD_BYTES`].
    pub(super) fn check_size(&self, payload: &Payload) -> Result<(), String> {
        let etag = self.target.etag().unwrap_or(ETAG_SAMPLE).to_string();
        let updated = UPDATED_SAMPLE.to_string();
        let json = match payload {
            Payload::User { id, fields: f } => serde_json::to_string(&User {
                user_id: id.clone(),
                name: f.name.clone().into_option(),
                external_id: f.external_id.clone().into_option(),
                profile_url: f.profile_url.clone().into_option(),
                email: f.email.clone().into_option(),
                kind: f.kind.clone(),
                status: f.status.clone(),
                custom: f.custom.clone(),
                updated,
                etag,
            }),
            Payload::Channel { id, fields: f } => serde_json::to_string(&Channel {
                channel_id: id.clone(),
                name: f.name.clone().into_option(),
                description: f.description.clone().into_option(),
                kind: f.kind.clone(),
                status: f.status.clone(),
                custom: f.custom.clone(),
                updated,
                etag,
            }),
        };
        let size = json.map_or(0, |s| s.len());
        if size > MAX_RECORD_BYTES {
            return Err(format!(
                "the record would be {size} bytes as JSON; at most {MAX_RECORD_BYTES} are allowed"
            ));
        }
        Ok(())
    }

    /// The whole record (fields and custom) as pretty JSON, for `$EDITOR`. Fields not
    /// loaded are left out; a custom value that does not fit its type is written as
    /// the string typed. With the raw view open and valid, `custom` is its content.
    pub fn to_json(&self) -> String {
        let raw_rows = self
            .raw
            .as_ref()
            .and_then(|r| self.parse_raw_rows(&r.text()).ok());
        let rows: Vec<&CustomRow> = raw_rows
            .as_deref()
            .unwrap_or(&self.rows)
            .iter()
            .filter(|r| !r.is_blank())
            .collect();
        let mut lines = vec![format!("  \"id\": {}", Value::String(self.id()))];
        for f in self.fields.iter().filter(|f| f.key != FieldKey::Id) {
            if let Some(v) = f.to_json() {
                lines.push(format!("  {}: {v}", Value::from(f.key.name())));
            }
        }
        let custom = if !rows.is_empty() {
            Some(custom::pretty_entries(
                rows.iter().map(|r| (r.key.text(), r.lenient_value())),
                2,
            ))
        } else if self.custom_absent {
            None
        } else if self.custom_was_object {
            Some("{}".to_string())
        } else {
            Some("null".to_string())
        };
        if let Some(c) = custom {
            lines.push(format!("  \"custom\": {c}"));
        }
        format!("{{\n{}\n}}\n", lines.join(",\n"))
    }

    /// Takes the whole record back from `$EDITOR`. Invalid JSON, a field of the wrong
    /// type, an unknown field, a changed id or a value the form would refuse is an
    /// error, and the form is left as it was. A field left out becomes null.
    pub fn apply_external(&mut self, text: &str) -> Result<(), String> {
        let taken = serde_json::from_str::<RecordJson>(text)
            .map_err(|e| custom::describe_json_error(&e))
            .and_then(|record| {
                let mut next = self.clone();
                next.load_record_json(record)?;
                next.check().map_err(|problems| problems.join("; "))?;
                Ok(next)
            });
        match taken {
            Ok(mut next) => {
                next.notice = None;
                next.external_text = None;
                *self = next;
                Ok(())
            }
            Err(e) => {
                // Keep what was typed there: the next Ctrl-e reopens it.
                self.external_text = Some(text.to_string());
                Err(e)
            }
        }
    }

    fn load_record_json(&mut self, record: RecordJson) -> Result<(), String> {
        let mut seen = HashSet::new();
        for (k, v) in &record.fields {
            if !seen.insert(k.as_str()) {
                return Err(format!("'{k}' appears more than once"));
            }
            match k.as_str() {
                "updated" | "eTag" => {}
                "id" if !self.target.is_new() => {
                    let id = self.id();
                    if v.as_str() != Some(id.as_str()) {
                        return Err(format!(
                            "the id of an existing record cannot be changed (it is '{id}')"
                        ));
                    }
                }
                name if self.fields.iter().any(|f| f.key.name() == name) => {}
                other => {
                    let mut known = vec!["id"];
                    known.extend(
                        self.fields
                            .iter()
                            .map(|f| f.key.name())
                            .filter(|&n| n != "id"),
                    );
                    known.push("custom");
                    return Err(format!(
                        "unknown field '{other}' (the fields are {})",
                        known.join(", ")
                    ));
                }
            }
        }
        for f in &mut self.fields {
            let v = record
                .fields
                .iter()
                .find(|(k, _)| k == f.key.name())
                .map(|(_, v)| v);
            f.set_from_json(v)?;
        }
        match record.custom {
            None => self.rows.clear(),
            Some(None) => {
                self.rows.clear();
                self.custom_absent = false;
                self.custom_was_object = false;
            }
            Some(Some(entries)) => {
                self.rows = custom::rows_from_entries(&entries.0)?;
                self.custom_absent = false;
                self.custom_was_object = true;
            }
        }
        self.raw = None;
        let focus = match self.focus {
            Focus::Key(r) | Focus::Value(r) if r >= self.rows.len() => Focus::Field(0),
            Focus::Raw => Focus::Field(0),
            other => other,
        };
        self.set_focus(focus);
        Ok(())
    }
}

fn maybe_field(key: FieldKey, value: &Maybe<String>) -> Field {
    let mut f = Field::new(key, value.as_ref().map(String::as_str));
    f.absent = value.is_absent();
    f
}

/// The record JSON from `$EDITOR`: its top-level entries (duplicates kept, to report
/// them) and `custom` (missing, null, or its entries).
struct RecordJson {
    fields: Vec<(String, Value)>,
    custom: Option<Option<Entries>>,
}

impl<'de> Deserialize<'de> for RecordJson {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = RecordJson;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object (the whole record)")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<RecordJson, A::Error> {
                let mut out = RecordJson {
                    fields: Vec::new(),
                    custom: None,
                };
                while let Some(k) = m.next_key::<String>()? {
                    if k == "custom" {
                        if out.custom.is_some() {
                            return Err(A::Error::custom("'custom' appears more than once"));
                        }
                        out.custom = Some(m.next_value::<Option<Entries>>()?);
                    } else {
                        out.fields.push((k, m.next_value::<Value>()?));
                    }
                }
                Ok(out)
            }
        }
        d.deserialize_map(V)
    }
}
