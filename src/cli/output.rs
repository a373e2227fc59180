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
    let cells = table_cells(&columns, &flat);
    let header = table_header(&columns);
    let widths = table_widths(&header, &cells);
    let mut out = String::new();
    if !columns.is_empty() {
        out.push_str(&table_line(&header, &widths));
    }
    for r in &cells {
        out.push_str(&table_line(r, &widths));
    }
    out
}

fn table_header(columns: &[String]) -> Vec<String> {
    columns
        .iter()
        .map(|c| text::escape(c).into_owned())
        .collect()
}

fn table_cells(columns: &[String], flat: &[Map<String, Value>]) -> Vec<Vec<String>> {
    flat.iter()
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
        .collect()
}

fn table_widths(header: &[String], cells: &[Vec<String>]) -> Vec<usize> {
    header
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
        .collect()
}

fn table_line(items: &[String], widths: &[usize]) -> String {
    let parts: Vec<String> = items
        .iter()
        .zip(widths)
        .map(|(t, w)| format!("{t:<w$}"))
        .collect();
    let mut line = parts.join("  ").trim_end().to_string();
    line.push('\n');
    line
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

/// One CSV cell, written as `mode` says and quoted when it needs it.
fn csv_cell(s: &str, mode: CsvMode) -> String {
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
}

fn csv_line<'a>(cells: impl Iterator<Item = &'a str>, mode: CsvMode) -> String {
    let mut line = cells
        .map(|c| csv_cell(c, mode))
        .collect::<Vec<_>>()
        .join(",");
    line.push('\n');
    line
}

/// RFC 4180 CSV with a header row, its cells written as `mode` says.
pub fn csv(rows: &[Value], mode: CsvMode) -> String {
    let (columns, flat) = flatten(rows);
    let mut out = csv_line(columns.iter().map(String::as_str), mode);
    for r in &flat {
        let cells: Vec<String> = columns.iter().map(|c| cell(r.get(c))).collect();
        out.push_str(&csv_line(cells.iter().map(String::as_str), mode));
    }
    out
}

/// CSV of any number of rows in bounded memory: the columns are every row's (as
/// [`csv`] takes them), known only at the end, so the rows wait flattened in an
/// unnamed temporary file (gone however the process ends) until the header can be
/// written.
pub struct CsvSpool {
    spool: std::io::BufWriter<std::fs::File>,
    columns: Vec<String>,
    seen: std::collections::HashSet<String>,
    mode: CsvMode,
}

impl CsvSpool {
    /// A spool in `dir` (the output's directory, so it has room for the output).
    pub fn new_in(dir: &std::path::Path, mode: CsvMode) -> std::io::Result<CsvSpool> {
        Ok(CsvSpool {
            spool: std::io::BufWriter::new(tempfile::tempfile_in(dir)?),
            columns: Vec::new(),
            seen: Default::default(),
            mode,
        })
    }

    /// Holds rows until [`CsvSpool::finish`].
    pub fn add(&mut self, rows: &[Value]) -> std::io::Result<()> {
        let (columns, flat) = flatten(rows);
        for c in columns {
            if self.seen.insert(c.clone()) {
                self.columns.push(c);
            }
        }
        for row in flat {
            serde_json::to_writer(&mut self.spool, &row)?;
            self.spool.write_all(b"\n")?;
        }
        Ok(())
    }

    /// Writes the header and every row held to `out`.
    pub fn finish(self, out: &mut impl Write) -> std::io::Result<()> {
        use std::io::{BufRead, Seek};
        let mode = self.mode;
        let columns = self.columns;
        let mut file = self.spool.into_inner().map_err(|e| e.into_error())?;
        file.rewind()?;
        out.write_all(csv_line(columns.iter().map(String::as_str), mode).as_bytes())?;
        for line in std::io::BufReader::new(file).lines() {
            let row: Map<String, Value> = serde_json::from_str(&line?)?;
            let cells: Vec<String> = columns.iter().map(|c| cell(row.get(c))).collect();
            out.write_all(csv_line(cells.iter().map(String::as_str), mode).as_bytes())?;
        }
        Ok(())
    }
}

/// Prints a list as its pages arrive (`list --all`), holding one page at a time.
/// Table and CSV take their columns from the first page that has rows, so the
/// caller streams only lists whose rows all have the same fields; JSON is written
/// piece by piece in the shape [`print_list`] gives.
pub struct ListPrinter {
    format: Format,
    out: std::io::BufWriter<std::io::Stdout>,
    shown: u64,
    columns: Option<(Vec<String>, Vec<usize>)>,
}

impl ListPrinter {
    /// Starts the output.
    pub fn start(format: Format) -> Result<ListPrinter, CliError> {
        let mut p = ListPrinter {
            format,
            out: std::io::BufWriter::new(std::io::stdout()),
            shown: 0,
            columns: None,
        };
        if format == Format::Json {
            p.out.write_all(b"{\n  \"data\": [")?;
        }
        Ok(p)
    }

    /// Prints records: as JSON Lines straight from them (the same bytes as through
    /// [`to_value`], without building a map per record), else through [`Self::rows`].
    pub fn records<T: Serialize>(&mut self, records: &[T]) -> Result<(), CliError> {
        if self.format != Format::Jsonl {
            let rows: Vec<Value> = records.iter().map(to_value).collect();
            return self.rows(&rows);
        }
        for r in records {
            text::write_json(&mut self.out, r).map_err(|e| CliError::Io(e.to_string()))?;
            self.out.write_all(b"\n")?;
        }
        self.shown += records.len() as u64;
        self.out.flush()?;
        Ok(())
    }

    /// Prints rows.
    pub fn rows(&mut self, rows: &[Value]) -> Result<(), CliError> {
        if rows.is_empty() {
            return Ok(());
        }
        let mut text = String::new();
        match self.format {
            Format::Json => {
                for r in rows {
                    text.push_str(if self.shown == 0 { "\n" } else { ",\n" });
                    for (i, line) in pretty(r).lines().enumerate() {
                        if i > 0 {
                            text.push('\n');
                        }
                        text.push_str("    ");
                        text.push_str(line);
                    }
                    self.shown += 1;
                }
            }
            Format::Jsonl => {
                for r in rows {
                    text.push_str(&compact(r));
                    text.push('\n');
                }
            }
            Format::Table => {
                let (cols, flat) = flatten(rows);
                let (columns, widths) = self.columns.get_or_insert_with(|| {
                    let header = table_header(&cols);
                    let widths = table_widths(&header, &table_cells(&cols, &flat));
                    text.push_str(&table_line(&header, &widths));
                    (cols, widths)
                });
                for r in table_cells(columns, &flat) {
                    text.push_str(&table_line(&r, widths));
                }
            }
            Format::Csv | Format::RawCsv => {
                let mode = csv_mode(self.format);
                let (cols, flat) = flatten(rows);
                let (columns, _) = self.columns.get_or_insert_with(|| {
                    text.push_str(&csv_line(cols.iter().map(String::as_str), mode));
                    (cols, Vec::new())
                });
                for r in &flat {
                    let cells: Vec<String> = columns.iter().map(|c| cell(r.get(c))).collect();
                    text.push_str(&csv_line(cells.iter().map(String::as_str), mode));
                }
            }
        }
        if self.format != Format::Json {
            self.shown += rows.len() as u64;
        }
        self.out.write_all(text.as_bytes())?;
        self.out.flush()?;
        Ok(())
    }

    /// Ends the output; the count goes to stderr except for JSON, which carries
    /// `totalCount` when it is known.
    pub fn finish(mut self, total: Option<u64>) -> Result<(), CliError> {
        if self.format == Format::Json {
            let mut end = String::from(if self.shown == 0 { "]" } else { "\n  ]" });
            if let Some(t) = total {
                end.push_str(&format!(",\n  \"totalCount\": {t}"));
            }
            end.push_str("\n}\n");
            self.out.write_all(end.as_bytes())?;
        } else if matches!(self.format, Format::Csv | Format::RawCsv) && self.columns.is_none() {
            self.out.write_all(b"\n")?;
        }
        self.out.flush()?;
        if self.format != Format::Json {
            let mut note = format!("{} shown", self.shown);
            if let Some(t) = total {
                note.push_str(&format!(" of {t}"));
            }
            eprintln!("{note}");
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    /// `list --all --format jsonl` writes records straight from them: the same bytes
    /// as through a JSON value, absent fields, nulls, odd text and numbers included.
    #[test]
    fn records_as_json_lines_are_the_values_lines() {
        use crate::api::types::{Maybe, User};
        let mut custom = crate::api::types::Custom::new();
        custom.insert("score".into(), json!(9.5));
        custom.insert("z \u{1b}]52".into(), json!("\u{85}\u{202e}x"));
        let users = [
            User {
                user_id: "u\"1".into(),
                name: Some("Zoë".into()),
                custom: Maybe::Value(custom),
                status: Maybe::Null,
                updated: "2020-01-01T00:00:00Z".into(),
                etag: "e".into(),
                ..Default::default()
            },
            User::default(),
        ];
        for u in &users {
            let mut direct = Vec::new();
            text::write_json(&mut direct, u).unwrap();
            assert_eq!(String::from_utf8(direct).unwrap(), compact(&to_value(u)));
        }
    }

    #[test]
    fn a_csv_spool_writes_what_csv_writes_with_every_rows_columns() {
        let pages = [
            vec![json!({"id": "a", "name": "=cmd"}), json!({"id": "b"})],
            vec![json!({"id": "c", "email": "c@x", "custom": {"k": 1}})],
        ];
        let dir = tempfile::tempdir().unwrap();
        let mut spool = CsvSpool::new_in(dir.path(), CsvMode::Safe).unwrap();
        for p in &pages {
            spool.add(p).unwrap();
        }
        let mut out = Vec::new();
        spool.finish(&mut out).unwrap();
        let all: Vec<Value> = pages.concat();
        assert_eq!(String::from_utf8(out).unwrap(), csv(&all, CsvMode::Safe));
        assert_eq!(
            std::fs::read_dir(dir.path()).unwrap().count(),
            0,
            "no file left"
        );
    }

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
