//! Printing records to stdout as a table, JSON, JSON Lines or CSV. Records are the wire
//! models serialised back to their JSON, so nothing the server sent is dropped; the
//! table and CSV flatten nested objects one level (`channel.name`), `custom` stays JSON.
//! Nothing reaches the terminal raw: see [`crate::text`] for what is escaped where.

use std::io::{IsTerminal, Write};

use serde::Serialize;
use serde_json::{Map, Value};

use super::args::Format;
use super::CliError;
use crate::api::types::Page;
use crate::text;

/// Widest a table cell gets before it is cut.
const MAX_CELL: usize = 40;

/// The format asked for, or the default: a table on a terminal, else `fallback`.
pub fn pick(format: Option<Format>, fallback: Format) -> Format {
    format.unwrap_or_else(|| {
        if std::io::stdout().is_terminal() {
            Format::Table
        } else {
            fallback
        }
    })
}

/// Writes bytes to stdout.
pub fn write_stdout(bytes: &[u8]) -> Result<(), CliError> {
    let mut out = std::io::stdout().lock();
    out.write_all(bytes)?;
    out.flush()?;
    Ok(())
}

/// A list to print: the records and PubNub's paging fields.
pub struct Listing {
    pub rows: Vec<Value>,
    pub total: Option<u64>,
    pub next: Option<String>,
    pub prev: Option<String>,
    /// Whether another page may follow (a full page came back); only then is the
    /// `--next` hint printed.
    pub more: bool,
}

impl Listing {
    /// A listing of one page.
    pub fn from_page<T: Serialize>(page: Page<T>) -> Listing {
        Listing {
            rows: page.data.iter().map(to_value).collect(),
            total: page.total_count,
            next: page.next.map(|c| c.0),
            prev: page.prev.map(|c| c.0),
            more: false,
        }
    }
}

/// A model as JSON (serialising our own types cannot fail; a failure shows as null).
pub fn to_value<T: Serialize>(v: &T) -> Value {
    serde_json::to_value(v).unwrap_or(Value::Null)
}

/// Prints one record.
pub fn print_one(format: Format, record: &Value) -> Result<(), CliError> {
    let text = match format {
        Format::Json => pretty(record) + "\n",
        Format::Jsonl => compact(record) + "\n",
        Format::Table => table(std::slice::from_ref(record)),
        Format::Csv | Format::RawCsv => csv(std::slice::from_ref(record), csv_mode(format)),
    };
    write_stdout(text.as_bytes())
}

/// Prints a list; paging hints go to stderr.
pub fn print_list(format: Format, listing: &Listing) -> Result<(), CliError> {
    let text = match format {
        Format::Json => {
            let mut m = Map::new();
            m.insert("data".into(), Value::Array(listing.rows.clone()));
            if let Some(t) = listing.total {
                m.insert("totalCount".into(), t.into());
            }
            if let Some(n) = &listing.next {
                m.insert("next".into(), n.clone().into());
            }
            if let Some(p) = &listing.prev {
                m.insert("prev".into(), p.clone().into());
            }
            pretty(&Value::Object(m)) + "\n"
        }
        Format::Jsonl => listing.rows.iter().map(|r| compact(r) + "\n").collect(),
        Format::Table => table(&listing.rows),
        Format::Csv | Format::RawCsv => csv(&listing.rows, csv_mode(format)),
    };
    write_stdout(text.as_bytes())?;
    if format != Format::Json {
        let mut note = format!("{} shown", listing.rows.len());
        if let Some(t) = listing.total {
            note.push_str(&format!(" of {t}"));
        }
        if let (Some(n), true) = (&listing.next, listing.more) {
            note.push_str(&format!("; next page: --next {n}"));
        }
        eprintln!("{}", text::escape(&note));
    }
    Ok(())
}

/// Indented JSON with unsafe characters escaped (`\u0085`).
fn pretty(v: &Value) -> String {
    text::json_string(v, true).unwrap_or_default()
}

/// One-line JSON with unsafe characters escaped.
fn compact(v: &Value) -> String {
    text::json_string(v, false).unwrap_or_default()
}

/// Columns (in first-seen order) and the cells of each row, nested objects flattened
/// one level except `custom`.
fn flatten(rows: &[Value]) -> (Vec<String>, Vec<Map<String, Value>>) {
    let mut columns: Vec<String> = Vec::new();
    let mut flat_rows = Vec::new();
    for row in rows {
        let mut flat = Map::new();
        if let Value::Object(m) = row {
            for (k, v) in m {
                match v {
                    Value::Object(inner) if k != "custom" => {
                        for (ik, iv) in inner {
                            flat.insert(format!("{k}.{ik}"), iv.clone());
                        }
                    }
                    _ => {
                        flat.insert(k.clone(), v.clone());
                    }
                }
            }
        }
        for k in flat.keys() {
            if !columns.contains(k) {
                columns.push(k.clone());
            }
        }
        flat_rows.push(flat);
    }
    (columns, flat_rows)
}

fn cell(v: Option<&Value>) -> String {
    match v {
        None | Some(Value::Null) => String::new(),
        Some(Value::String(s)) => s.clone(),
        Some(other) => other.to_string(),
    }
}

/// Aligned columns; long cells are cut with `…`, unsafe characters shown escaped.
pub fn table(rows: &[Value]) -> String {
    let (columns, flat) = flatten(rows);
    let cells: Vec<Vec<String>> = flat
        .iter()
        .map(|r| {
            columns
                .iter()
                .map(|c| {
                    let text = text::escape(&cell(r.get(c))).into_owned();
                    if text.chars().count() > MAX_CELL {
                        text.chars().take(MAX_CELL - 1).collect::<String>() + "…"
                    } else {
                        text
                    }
                })
                .collect()
        })
        .collect();
    let widths: Vec<usize> = columns
        .iter()
        .enumerate()
        .map(|(i, c)| {
            cells
                .iter()
                .map(|r| r[i].chars().count())
                .chain([c.chars().count()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    let mut out = String::new();
    let mut line = |items: &[String]| {
        let parts: Vec<String> = items
            .iter()
            .zip(&widths)
            .map(|(t, w)| format!("{t:<w$}"))
            .collect();
        out.push_str(parts.join("  ").trim_end());
        out.push('\n');
    };
    if !columns.is_empty() {
        let shown: Vec<String> = columns
            .iter()
            .map(|c| text::escape(c).into_owned())
            .collect();
        line(&shown);
    }
    for r in &cells {
        line(r);
    }
    out
}

/// How CSV cells are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CsvMode {
    /// For spreadsheets: formulas neutralised, unsafe characters escaped (line
    /// breaks and tabs kept, quoted).
    Safe,
    /// Every value as stored.
    Raw,
    /// As stored, but unsafe characters escaped: raw CSV shown on a terminal.
    RawOnTerminal,
}

fn csv_mode(format: Format) -> CsvMode {
    match format {
        Format::RawCsv if std::io::stdout().is_terminal() => CsvMode::RawOnTerminal,
        Format::RawCsv => CsvMode::Raw,
        _ => CsvMode::Safe,
    }
}

/// RFC 4180 CSV with a header row, its cells written as `mode` says.
pub fn csv(rows: &[Value], mode: CsvMode) -> String {
    let (columns, flat) = flatten(rows);
    let mut out = String::new();
    let quote = |s: &str| {
        let s = match mode {
            CsvMode::Safe => text::neutralise_formula(&text::escape_lines(s)).into_owned(),
            CsvMode::Raw => s.to_string(),
            CsvMode::RawOnTerminal => text::escape_lines(s).into_owned(),
        };
        if s.contains([',', '"', '\n', '\r']) {
            format!("\"{}\"", s.replace('"', "\"\""))
        } else {
            s
        }
    };
    out.push_str(
        &columns
            .iter()
            .map(|c| quote(c))
            .collect::<Vec<_>>()
            .join(","),
    );
    out.push('\n');
    for r in &flat {
        let line: Vec<String> = columns.iter().map(|c| quote(&cell(r.get(c)))).collect();
        out.push_str(&line.join(","));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn tables_flatten_related_objects_and_keep_custom_as_json() {
        let rows = vec![
            json!({"channel":{"id":"a","name":"Alpha"},"custom":{"k":1},"updated":"t"}),
            json!({"channel":{"id":"bb"},"status":"on","updated":"t2"}),
        ];
        let t = table(&rows);
        let lines: Vec<&str> = t.lines().collect();
        assert_eq!(
            lines[0],
            "channel.id  channel.name  custom   updated  status"
        );
        assert_eq!(lines[1], "a           Alpha         {\"k\":1}  t");
        assert_eq!(lines[2], "bb                                 t2       on");
    }

    #[test]
    fn csv_quotes_what_needs_it() {
        let rows = vec![json!({"id":"a,b","name":"say \"hi\"","custom":null})];
        assert_eq!(
            csv(&rows, CsvMode::Safe),
            "id,name,custom\n\"a,b\",\"say \"\"hi\"\"\",\n"
        );
    }

    #[test]
    fn csv_neutralises_formulas_and_escapes_controls_unless_raw() {
        let rows = vec![json!({"id":"=cmd|' /C calc'!A0","name":"a\u{1b}[2Jb\nc","n":-5,"s":"-5"})];
        assert_eq!(
            csv(&rows, CsvMode::Safe),
            "id,name,n,s\n'=cmd|' /C calc'!A0,\"a\\u{1b}[2Jb\nc\",-5,-5\n"
        );
        assert_eq!(
            csv(&rows, CsvMode::Raw),
            "id,name,n,s\n=cmd|' /C calc'!A0,\"a\u{1b}[2Jb\nc\",-5,-5\n"
        );
        assert_eq!(
            csv(&rows, CsvMode::RawOnTerminal),
            "id,name,n,s\n=cmd|' /C calc'!A0,\"a\\u{1b}[2Jb\nc\",-5,-5\n"
        );
    }

    #[test]
    fn tables_and_json_show_no_raw_controls() {
        let rows = vec![json!({"id":"x\u{1b}]52;c;aGk=\u{7}","name":"\u{202e}abc\u{9b}"})];
        let t = table(&rows);
        assert!(!t.chars().any(|c| c != '\n' && text::is_unsafe(c)), "{t:?}");
        assert!(t.contains("x\\u{1b}]52;c;aGk=\\u{7}"), "{t}");
        for j in [pretty(&rows[0]), compact(&rows[0])] {
            assert!(!j.chars().any(|c| c != '\n' && text::is_unsafe(c)), "{j:?}");
            assert!(j.contains("\\u009b") && j.contains("\\u202e"), "{j}");
        }
    }
}
