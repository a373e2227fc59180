//! The `custom` map in the editor: rows of key, value and type, their validation, and
//! the raw JSON view of the same map (parsed keeping duplicate keys, so they can be
//! reported instead of silently merged).

use std::collections::BTreeMap;
use std::fmt;

use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
use serde_json::{Number, Value};

use super::line::LineInput;

/// The type of a custom value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ValueKind {
    String,
    Number,
    Boolean,
    /// A `null` value (the server accepts them); the value text is ignored.
    Null,
}

impl ValueKind {
    /// The next type for Ctrl-t: string → number → boolean → null → string.
    pub fn next(self) -> ValueKind {
        match self {
            ValueKind::String => ValueKind::Number,
            ValueKind::Number => ValueKind::Boolean,
            ValueKind::Boolean => ValueKind::Null,
            ValueKind::Null => ValueKind::String,
        }
    }

    /// The name shown in the type column.
    pub fn name(self) -> &'static str {
        match self {
            ValueKind::String => "string",
            ValueKind::Number => "number",
            ValueKind::Boolean => "boolean",
            ValueKind::Null => "null",
        }
    }
}

/// One custom entry as the form shows it.
#[derive(Clone, Debug)]
pub struct CustomRow {
    pub(crate) key: LineInput,
    pub(crate) value: LineInput,
    pub(crate) kind: ValueKind,
    pub(crate) key_error: Option<String>,
    pub(crate) value_error: Option<String>,
}

impl CustomRow {
    /// An empty string row.
    pub fn empty() -> CustomRow {
        CustomRow::from_text("", "", ValueKind::String)
    }

    fn from_text(key: &str, value: &str, kind: ValueKind) -> CustomRow {
        CustomRow {
            key: LineInput::new(key),
            value: LineInput::new(value),
            kind,
            key_error: None,
            value_error: None,
        }
    }

    /// A row for a JSON value, or `None` when it is not a scalar.
    pub fn from_json(key: &str, v: &Value) -> Option<CustomRow> {
        let (text, kind) = match v {
            Value::String(s) => (s.clone(), ValueKind::String),
            Value::Number(n) => (n.to_string(), ValueKind::Number),
            Value::Bool(b) => (b.to_string(), ValueKind::Boolean),
            Value::Null => (String::new(), ValueKind::Null),
            Value::Array(_) | Value::Object(_) => return None,
        };
        Some(CustomRow::from_text(key, &text, kind))
    }

    pub fn key(&self) -> &LineInput {
        &self.key
    }
    pub fn value(&self) -> &LineInput {
        &self.value
    }
    pub fn kind(&self) -> ValueKind {
        self.kind
    }
    pub fn key_error(&self) -> Option<&str> {
        self.key_error.as_deref()
    }
    pub fn value_error(&self) -> Option<&str> {
        self.value_error.as_deref()
    }

    /// Both inputs empty: a row added and never filled.
    pub(crate) fn is_blank(&self) -> bool {
        self.key.text().is_empty() && self.value.text().is_empty()
    }

    /// What the row compares as for "has anything changed".
    pub(crate) fn snapshot(&self) -> (String, String, ValueKind) {
        (
            self.key.text().to_string(),
            self.value.text().to_string(),
            self.kind,
        )
    }

    /// The value as JSON, or why the text is not a value of the row's type.
    pub fn typed_value(&self) -> Result<Value, String> {
        let text = self.value.text();
        match self.kind {
            ValueKind::String => Ok(Value::String(text.to_string())),
            ValueKind::Null => Ok(Value::Null),
            ValueKind::Boolean => match text.trim() {
                "true" => Ok(Value::Bool(true)),
                "false" => Ok(Value::Bool(false)),
                _ => Err(format!("'{text}' is not a boolean: type true or false")),
            },
            // Parsing the text as JSON keeps integers integers, exactly.
            ValueKind::Number => match serde_json::from_str::<Number>(text.trim()) {
                Ok(n) => Ok(Value::Number(n)),
                Err(_) => Err(format!("'{text}' is not a number")),
            },
        }
    }

    /// The value as JSON for `$EDITOR`: a value that does not fit its type is written
    /// as the string the user typed, so nothing typed is lost.
    pub(crate) fn lenient_value(&self) -> Value {
        self.typed_value()
            .unwrap_or_else(|_| Value::String(self.value.text().to_string()))
    }
}

/// Checks every row, storing the problems on them (emptiness only when `strict`), and
/// returns one message per problem.
pub fn check_rows(rows: &mut [CustomRow], strict: bool) -> Vec<String> {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for r in rows.iter() {
        *counts.entry(r.key.text().to_string()).or_default() += 1;
    }
    let mut problems = Vec::new();
    for r in rows.iter_mut() {
        let key = r.key.text().to_string();
        r.key_error = if key.is_empty() {
            strict.then(|| "key must not be empty".to_string())
        } else if counts.get(&key).copied().unwrap_or(0) > 1 {
            Some(format!("duplicate key '{key}'"))
        } else {
            None
        };
        r.value_error = r.typed_value().err();
        let label = if key.is_empty() { "(no key)" } else { &key };
        for e in [&r.key_error, &r.value_error].into_iter().flatten() {
            problems.push(format!("custom {label}: {e}"));
        }
    }
    problems
}

/// Rows from the entries of a JSON object, or why they cannot be rows.
pub fn rows_from_entries(entries: &[(String, Value)]) -> Result<Vec<CustomRow>, String> {
    let mut seen = std::collections::HashSet::new();
    let mut rows = Vec::with_capacity(entries.len());
    for (k, v) in entries {
        if !seen.insert(k.as_str()) {
            return Err(format!("duplicate key '{k}'"));
        }
        match CustomRow::from_json(k, v) {
            Some(row) => rows.push(row),
            None => {
                return Err(format!(
                    "'{k}' is {}; custom values must be strings, numbers, booleans or null",
                    if v.is_array() {
                        "an array"
                    } else {
                        "an object"
                    }
                ))
            }
        }
    }
    Ok(rows)
}

/// The entries of a JSON object in document order, duplicates kept.
#[derive(Debug, Default)]
pub struct Entries(pub Vec<(String, Value)>);

impl<'de> Deserialize<'de> for Entries {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Entries;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Entries, A::Error> {
                let mut out = Vec::new();
                while let Some((k, v)) = m.next_entry::<String, Value>()? {
                    out.push((k, v));
                }
                Ok(Entries(out))
            }
        }
        d.deserialize_map(V)
    }
}

/// A JSON parse error as "line L, column C: what".
pub fn describe_json_error(e: &serde_json::Error) -> String {
    let text = e.to_string();
    let what = match text.rfind(" at line ") {
        Some(i) => &text[..i],
        None => &text,
    };
    format!("line {}, column {}: {what}", e.line(), e.column())
}

/// Parses the raw view's text: an object of scalars (empty text is an empty object).
pub fn parse_raw(text: &str) -> Result<Vec<CustomRow>, String> {
    if text.trim().is_empty() {
        return Ok(Vec::new());
    }
    let entries: Entries = serde_json::from_str(text).map_err(|e| describe_json_error(&e))?;
    rows_from_entries(&entries.0)
}

/// Pretty JSON of `(key, value)` pairs, duplicates kept, at `indent` spaces.
pub fn pretty_entries<'a>(
    entries: impl IntoIterator<Item = (&'a str, Value)>,
    indent: usize,
) -> String {
    let pad = " ".repeat(indent + 2);
    let body: Vec<String> = entries
        .into_iter()
        .map(|(k, v)| format!("{pad}{}: {}", Value::from(k), v))
        .collect();
    if body.is_empty() {
        "{}".to_string()
    } else {
        format!("{{\n{}\n{}}}", body.join(",\n"), " ".repeat(indent))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(k: &str, v: &str, kind: ValueKind) -> CustomRow {
        CustomRow::from_text(k, v, kind)
    }

    #[test]
    fn numbers_keep_their_exact_form() {
        let big = row("n", "17585427405462024", ValueKind::Number);
        assert_eq!(big.typed_value().unwrap().to_string(), "17585427405462024");
        assert_eq!(
            row("n", "1520", ValueKind::Number).typed_value().unwrap(),
            serde_json::json!(1520)
        );
        assert_eq!(
            row("n", "4.7", ValueKind::Number).typed_value().unwrap(),
            serde_json::json!(4.7)
        );
        assert!(row("n", "abc", ValueKind::Number).typed_value().is_err());
        assert!(row("b", "yes", ValueKind::Boolean).typed_value().is_err());
    }

    #[test]
    fn raw_text_keeps_duplicates_to_report_them() {
        let err = parse_raw(r#"{"a": 1, "a": 2}"#).err().unwrap();
        assert!(err.contains("duplicate key 'a'"), "{err}");
        let err = parse_raw("{\n  \"a\": [1]\n}").err().unwrap();
        assert!(err.contains("an array"), "{err}");
        let err = parse_raw("{\n  \"a\": 1,\n}").err().unwrap();
        assert!(err.starts_with("line 3, column 1:"), "{err}");
        assert!(parse_raw("  ").unwrap().is_empty());
    }

    #[test]
    fn pretty_entries_is_json() {
        let text = pretty_entries(vec![("a", Value::from(1)), ("b\"", Value::from("x"))], 0);
        let v: Value = serde_json::from_str(&text).unwrap();
        assert_eq!(v, serde_json::json!({"a": 1, "b\"": "x"}));
    }
}
