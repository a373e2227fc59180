//! The plain fields of the editor form (id, name, email, …): which ones each entity
//! has, their rules (the local server's, so a save is refused here rather than there),
//! and their text in the record JSON handed to `$EDITOR`.

use serde_json::Value;

use super::line::LineInput;
use crate::api::rules::{check_channel_id, check_user_id, MAX_STATUS_TYPE};
use crate::tui::action::EntityKind;

/// One plain field, named as on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FieldKey {
    Id,
    Name,
    Email,
    ExternalId,
    ProfileUrl,
    Description,
    Status,
    Type,
}

impl FieldKey {
    /// The wire name, used as the label and as the key in the record JSON.
    pub fn name(self) -> &'static str {
        match self {
            FieldKey::Id => "id",
            FieldKey::Name => "name",
            FieldKey::Email => "email",
            FieldKey::ExternalId => "externalId",
            FieldKey::ProfileUrl => "profileUrl",
            FieldKey::Description => "description",
            FieldKey::Status => "status",
            FieldKey::Type => "type",
        }
    }

    /// The fields of a form, in the order shown.
    pub fn for_form(kind: EntityKind, creating: bool) -> Vec<FieldKey> {
        let rest: &[FieldKey] = match kind {
            EntityKind::User => &[
                FieldKey::Name,
                FieldKey::Email,
                FieldKey::ExternalId,
                FieldKey::ProfileUrl,
                FieldKey::Status,
                FieldKey::Type,
            ],
            EntityKind::Channel => &[
                FieldKey::Name,
                FieldKey::Description,
                FieldKey::Status,
                FieldKey::Type,
            ],
        };
        let mut keys = Vec::with_capacity(rest.len() + 1);
        if creating {
            keys.push(FieldKey::Id);
        }
        keys.extend_from_slice(rest);
        keys
    }
}

/// One input of the form.
#[derive(Clone, Debug)]
pub struct Field {
    pub(crate) key: FieldKey,
    pub(crate) input: LineInput,
    /// The record did not include this field (not loaded): while the input stays
    /// empty a save leaves the stored value alone instead of clearing it.
    pub(crate) absent: bool,
    pub(crate) error: Option<String>,
}

impl Field {
    /// A field holding `value` (`None`: null, shown empty).
    pub fn new(key: FieldKey, value: Option<&str>) -> Field {
        Field {
            key,
            input: LineInput::new(value.unwrap_or("")),
            absent: false,
            error: None,
        }
    }

    pub fn key(&self) -> FieldKey {
        self.key
    }
    pub fn input(&self) -> &LineInput {
        &self.input
    }
    pub fn error(&self) -> Option<&str> {
        self.error.as_deref()
    }
    /// Not loaded and still empty: a save leaves it as stored.
    pub fn is_untouched_absent(&self) -> bool {
        self.absent && self.input.text().is_empty()
    }

    /// The value to send: `None` for an empty input (null).
    pub fn value(&self) -> Option<String> {
        let t = self.input.text();
        (!t.is_empty()).then(|| t.to_string())
    }

    /// Checks the field, storing the problem on it; emptiness is reported only when
    /// `strict` (after the first save attempt), so a fresh form is not all red.
    pub fn check(&mut self, kind: EntityKind, strict: bool) {
        let text = self.input.text();
        self.error = match self.key {
            FieldKey::Id if text.is_empty() && !strict => None,
            FieldKey::Id => match kind {
                EntityKind::User => check_user_id(text).err(),
                EntityKind::Channel => check_channel_id(text).err(),
            },
            FieldKey::Status | FieldKey::Type => {
                let n = text.chars().count();
                (n > MAX_STATUS_TYPE)
                    .then(|| format!("must be at most {MAX_STATUS_TYPE} characters, got {n}"))
            }
            _ => None,
        };
    }

    /// The field as JSON for `$EDITOR` (`None`: not loaded, left out).
    pub fn to_json(&self) -> Option<Value> {
        if self.is_untouched_absent() {
            return None;
        }
        Some(self.value().map_or(Value::Null, Value::String))
    }

    /// Takes a value from the record JSON: a string, null, or missing (both empty).
    pub fn set_from_json(&mut self, v: Option<&Value>) -> Result<(), String> {
        let text = match v {
            None | Some(Value::Null) => "",
            Some(Value::String(s)) => s.as_str(),
            Some(_) => return Err(format!("{} must be a string or null", self.key.name())),
        };
        if text != self.input.text() {
            self.input = LineInput::new(text);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_rules_are_the_servers() {
        let mut f = Field::new(FieldKey::Id, Some("a:b"));
        f.check(EntityKind::User, false);
        assert!(f.error().unwrap().contains(", / \\ * :"), "{:?}", f.error());
        let mut f = Field::new(FieldKey::Id, Some(&"x".repeat(93)));
        f.check(EntityKind::Channel, false);
        assert!(f.error().unwrap().contains("92 bytes"));
        let mut f = Field::new(FieldKey::Id, None);
        f.check(EntityKind::User, false);
        assert_eq!(f.error(), None);
        f.check(EntityKind::User, true);
        assert!(f.error().unwrap().contains("must not be empty"));
    }

    #[test]
    fn status_and_type_are_counted_in_characters() {
        let mut f = Field::new(FieldKey::Type, Some(&"é".repeat(50)));
        f.check(EntityKind::User, true);
        assert_eq!(f.error(), None);
        let mut f = Field::new(FieldKey::Status, Some(&"é".repeat(51)));
        f.check(EntityKind::User, true);
        assert_eq!(f.error(), Some("must be at most 50 characters, got 51"));
    }
}
