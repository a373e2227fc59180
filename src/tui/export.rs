//! `:export FILE`: the focused list (or its marked rows) written to a new file, as JSON
//! lines or, for a `.csv` name, CSV made safe for spreadsheets (the CLI's writer). The
//! whole list is read with the CLI export's consistent walk, in id order, page by
//! page; JSON lines are written as pages arrive.

use std::io::Write;

use super::action::{ExportWhat, Source};
use crate::api::{Client, ListOptions};

/// Writes `what` to the new file `path`; returns how many records, and the path as
/// written. An existing file is never overwritten.
pub async fn export(
    client: &Client,
    path: &str,
    what: ExportWhat,
) -> Result<(u64, String), String> {
    let path = expand_home(path);
    let csv = path.to_ascii_lowercase().ends_with(".csv");
    let file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| match e.kind() {
            std::io::ErrorKind::AlreadyExists => format!("{path} exists; choose another name"),
            _ => format!("cannot create {path}: {e}"),
        })?;
    let mut out = std::io::BufWriter::new(file);
    let write_err = |e: std::io::Error| format!("writing {path}: {e}");
    // CSV takes its columns from every row: the rows wait in a spool, not in memory.
    let mut spool = match csv {
        true => {
            let dir = std::path::Path::new(&path)
                .parent()
                .filter(|d| !d.as_os_str().is_empty())
                .unwrap_or(std::path::Path::new("."));
            let mode = crate::cli::output::CsvMode::Safe;
            Some(crate::cli::output::CsvSpool::new_in(dir, mode).map_err(write_err)?)
        }
        false => None,
    };
    let mut n = 0u64;
    let mut put = |rows: Vec<serde_json::Value>, out: &mut std::io::BufWriter<std::fs::File>| {
        n += rows.len() as u64;
        if let Some(spool) = spool.as_mut() {
            return spool.add(&rows).map_err(write_err);
        }
        for r in rows {
            let line = crate::text::json_string(&r, false).map_err(|e| e.to_string())?;
            writeln!(out, "{line}").map_err(|e| format!("writing {path}: {e}"))?;
        }
        Ok::<(), String>(())
    };
    match what {
        ExportWhat::Rows(rows) => put(rows, &mut out)?,
        ExportWhat::List { source, filter } => {
            let err = |e: crate::api::Error| e.to_string();
            macro_rules! walk_all {
                ($walk:expr) => {{
                    let mut walk = $walk.map_err(err)?;
                    while let Some(batch) = walk.next_batch().await {
                        let rows = batch
                            .map_err(err)?
                            .iter()
                            .filter_map(|r| serde_json::to_value(r).ok())
                            .collect();
                        put(rows, &mut out)?;
                    }
                }};
            }
            let obj = ListOptions {
                limit: Some(100),
                filter: filter.clone(),
                include: crate::api::Include::ALL,
                ..Default::default()
            };
            let rel = ListOptions {
                limit: Some(100),
                filter,
                include: super::worker::RELATION_INCLUDE,
                ..Default::default()
            };
            match source {
                Source::Users => walk_all!(client.users_walk(obj)),
                Source::Channels => walk_all!(client.channels_walk(obj)),
                Source::Memberships(user) => walk_all!(client.memberships_walk(&user, rel)),
                Source::Members(channel) => walk_all!(client.members_walk(&channel, rel)),
            }
        }
    }
    if let Some(spool) = spool {
        spool.finish(&mut out).map_err(write_err)?;
    }
    out.flush().map_err(|e| format!("writing {path}: {e}"))?;
    Ok((n, path))
}

fn expand_home(path: &str) -> String {
    match (path.strip_prefix("~/"), std::env::var("HOME")) {
        (Some(rest), Ok(home)) => format!("{home}/{rest}"),
        _ => path.to_string(),
    }
}
