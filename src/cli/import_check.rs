//! The first pass of `appctx import`: every line of the file checked with the rules
//! the server applies (`validate.rs`), and every record's key checked for duplicates,
//! before anything is sent. One thread reads blocks of lines while the others check
//! them on every core (nothing else runs meanwhile). Keys are kept as 96-bit
//! digests in one sorted vector, 12 bytes a record; only when two are equal is the
//! file read again to name the lines.

use std::collections::{BTreeMap, HashMap};
use std::sync::{mpsc, Mutex};

use sha2::{Digest, Sha256};

use super::import::Input;
use super::record::{Record, FORMAT, VERSION};
use super::{validate, CliError};

/// Problems listed in the message (the rest are counted).
const LISTED: usize = 20;
/// Lines a thread checks at a time: up to this many, and no more than
/// [`BYTES_PER_BLOCK`] of text past the first, so the blocks in flight (two per
/// thread and the one being read) hold a few MB however long the lines are.
const LINES_PER_BLOCK: usize = 4096;
const BYTES_PER_BLOCK: usize = 256 * 1024;

/// How many records of each kind a checked file holds.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counts {
    pub users: u64,
    pub channels: u64,
    pub memberships: u64,
}

/// A record's key (kind and ids) as a 96-bit digest: a collision among a billion
/// records has odds of about 1e-11, and would only refuse the file.
type Key = [u8; 12];

/// What checking some lines found.
#[derive(Default)]
struct Found {
    counts: Counts,
    /// (line, problem), the first [`LISTED`] of these lines.
    problems: Vec<(usize, String)>,
    /// Problems in all.
    total: usize,
    keys: Vec<Key>,
}

impl Found {
    fn add(&mut self, line: usize, problem: String) {
        self.total += 1;
        if self.problems.len() < LISTED {
            self.problems.push((line, problem));
        }
    }

    /// Takes in what the lines after these found.
    fn merge(&mut self, later: Found) {
        self.counts.users += later.counts.users;
        self.counts.channels += later.counts.channels;
        self.counts.memberships += later.counts.memberships;
        let room = LISTED.saturating_sub(self.problems.len());
        self.problems.extend(later.problems.into_iter().take(room));
        self.total += later.total;
        self.keys.extend(later.keys);
    }
}

/// The key of a record, and how it is named in messages (`None` for the header).
fn key_of(record: &Record) -> Option<(Key, String)> {
    let name = match record {
        Record::Header(_) => return None,
        Record::User(u) => format!("user '{}'", u.id),
        Record::Channel(c) => format!("channel '{}'", c.id),
        Record::Membership(m) => format!("membership '{}' in '{}'", m.user, m.channel),
    };
    let digest = Sha256::digest(name.as_bytes());
    let mut key = [0u8; 12];
    key.copy_from_slice(&digest[..12]);
    Some((key, name))
}

fn check_lines(lines: &[(usize, String)]) -> Found {
    let mut found = Found::default();
    for (n, raw) in lines {
        let n = *n;
        let record = match Record::parse(raw) {
            Ok(r) => r,
            Err(e) => {
                found.add(n, format!("line {n}: {e}"));
                continue;
            }
        };
        let problems = match &record {
            Record::Header(h) => {
                if h.format != FORMAT || h.version != VERSION {
                    found.add(
                        n,
                        format!(
                            "line {n}: this build reads {FORMAT} version {VERSION}, the file is {} version {}",
                            h.format, h.version
                        ),
                    );
                }
                continue;
            }
            Record::User(u) => {
                found.counts.users += 1;
                validate::user(u)
            }
            Record::Channel(c) => {
                found.counts.channels += 1;
                validate::channel(c)
            }
            Record::Membership(m) => {
                found.counts.memberships += 1;
                validate::membership(m)
            }
        };
        for p in problems {
            found.add(n, format!("line {n}: {p}"));
        }
        if let Some((key, _)) = key_of(&record) {
            found.keys.push(key);
        }
    }
    found
}

/// Checks the whole file; every problem is listed with its line (the first 20).
pub fn check(input: &Input) -> Result<Counts, CliError> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(4));
    // This thread reads blocks of lines while the others check them.
    let (to_workers, blocks) = mpsc::sync_channel::<(usize, Vec<(usize, String)>)>(threads);
    let blocks = Mutex::new(blocks);
    let (to_main, results) = mpsc::channel::<(usize, Found)>();
    std::thread::scope(|scope| -> Result<(), CliError> {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                let (blocks, to_main) = (&blocks, to_main.clone());
                scope.spawn(move || loop {
                    let next = blocks.lock().ok().and_then(|b| b.recv().ok());
                    let Some((at, block)) = next else { break };
                    if to_main.send((at, check_lines(&block))).is_err() {
                        break;
                    }
                })
            })
            .collect();
        let read = (|| {
            let mut lines = input.lines()?;
            for at in 0.. {
                let (mut block, mut bytes) = (Vec::with_capacity(LINES_PER_BLOCK), 0);
                while block.len() < LINES_PER_BLOCK && bytes < BYTES_PER_BLOCK {
                    let Some(line) = lines.next() else { break };
                    let line = line?;
                    bytes += line.1.len();
                    block.push(line);
                }
                if block.is_empty() || to_workers.send((at, block)).is_err() {
                    break;
                }
            }
            Ok::<(), CliError>(())
        })();
        // No more blocks: the workers end once they have checked those sent.
        drop(to_workers);
        for w in workers {
            w.join()
                .map_err(|_| CliError::Io("checking the file failed".into()))?;
        }
        read
    })?;
    drop(to_main);
    // Merged in the order of the lines, so problems are listed in it.
    let parts: BTreeMap<usize, Found> = results.into_iter().collect();
    let mut found = Found::default();
    for part in parts.into_values() {
        found.merge(part);
    }
    let mut keys = std::mem::take(&mut found.keys);
    keys.sort_unstable();
    let repeated: std::collections::HashSet<Key> = keys
        .windows(2)
        .filter(|w| w[0] == w[1])
        .map(|w| w[0])
        .collect();
    drop(keys);
    if !repeated.is_empty() {
        name_repeats(input, &repeated, &mut found)?;
    }
    if found.total == 0 {
        return Ok(found.counts);
    }
    let mut msg = format!(
        "the file has {} problems; nothing was imported:\n  ",
        found.total
    );
    let listed: Vec<String> = found.problems.into_iter().map(|(_, p)| p).collect();
    msg.push_str(&listed.join("\n  "));
    if found.total > listed.len() {
        msg.push_str(&format!("\n  … and {} more", found.total - listed.len()));
    }
    Err(CliError::Usage(msg))
}

/// Reads the file again for the records whose keys appear more than once, and adds
/// a problem for each repeat naming the line it first appeared on (in line order
/// with the other problems).
fn name_repeats(
    input: &Input,
    repeated: &std::collections::HashSet<Key>,
    found: &mut Found,
) -> Result<(), CliError> {
    let mut first: HashMap<Key, usize> = HashMap::new();
    let mut repeats = Found::default();
    for line in input.lines()? {
        let (n, raw) = line?;
        let Some((key, name)) = Record::parse(&raw).ok().as_ref().and_then(key_of) else {
            continue;
        };
        if !repeated.contains(&key) {
            continue;
        }
        match first.get(&key) {
            Some(at) => repeats.add(n, format!("line {n}: {name} already appears on line {at}")),
            None => {
                first.insert(key, n);
            }
        }
    }
    found.total += repeats.total;
    found.problems.extend(repeats.problems);
    found.problems.sort_by_key(|(line, _)| *line);
    found.problems.truncate(LISTED);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_text(lines: &[String]) -> Result<Counts, String> {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        std::fs::write(&path, lines.join("\n")).unwrap();
        let input = Input::open(&path).unwrap();
        check(&input).map_err(|e| match e {
            CliError::Usage(m) => m,
            other => panic!("{other:?}"),
        })
    }

    fn user(id: &str) -> String {
        format!(r#"{{"kind":"user","id":"{id}"}}"#)
    }

    /// Repeats are found however far apart (in blocks checked by different threads),
    /// each names the line of the first, and problems are listed in line order.
    #[test]
    fn repeats_far_apart_are_named_with_the_first_line_in_line_order() {
        let mut lines: Vec<String> = (0..3 * LINES_PER_BLOCK * 2)
            .map(|i| user(&format!("u{i}")))
            .collect();
        lines[9000] = user("u3");
        lines[20_000] = user("u3");
        lines[5000] = r#"{"kind":"user","id":"bad,id"}"#.to_string();
        lines.push(r#"{"kind":"membership","user":"u1","channel":"c"}"#.to_string());
        lines.push(r#"{"kind":"membership","user":"u1","channel":"c","status":"x"}"#.to_string());
        let n = lines.len();
        let msg = check_text(&lines).unwrap_err();
        let listed: Vec<&str> = msg.lines().skip(1).map(str::trim).collect();
        assert_eq!(listed.len(), 4, "{msg}");
        assert!(listed[0].starts_with("line 5001: "), "{msg}");
        assert_eq!(listed[1], "line 9001: user 'u3' already appears on line 4");
        assert_eq!(listed[2], "line 20001: user 'u3' already appears on line 4");
        assert_eq!(
            listed[3],
            format!(
                "line {n}: membership 'u1' in 'c' already appears on line {}",
                n - 1
            )
        );
        assert!(msg.starts_with("the file has 4 problems"), "{msg}");
    }

    /// A line that cannot be read (not UTF-8) ends the check with its line, however
    /// far in, and the threads stop.
    #[test]
    fn an_unreadable_line_stops_the_check() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("f.jsonl");
        let mut bytes = Vec::new();
        for i in 0..10_000 {
            if i == 7_000 {
                bytes.extend_from_slice(b"{\"kind\":\"user\",\"id\":\"\xff\"}\n");
            } else {
                bytes.extend_from_slice(user(&format!("u{i}")).as_bytes());
                bytes.push(b'\n');
            }
        }
        std::fs::write(&path, bytes).unwrap();
        let input = Input::open(&path).unwrap();
        match check(&input) {
            Err(CliError::Usage(m)) => assert!(m.contains("line 7001"), "{m}"),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn a_clean_file_is_counted_and_many_problems_are_capped() {
        let mut lines =
            vec![r#"{"kind":"header","format":"appctx-export","version":1}"#.to_string()];
        lines.extend((0..5000).map(|i| user(&format!("u{i}"))));
        lines.push(r#"{"kind":"channel","id":"c"}"#.to_string());
        let counts = check_text(&lines).unwrap();
        assert_eq!(
            (counts.users, counts.channels, counts.memberships),
            (5000, 1, 0)
        );
        let bad: Vec<String> = (0..50).map(|_| "not json".to_string()).collect();
        let msg = check_text(&bad).unwrap_err();
        assert!(msg.starts_with("the file has 50 problems"), "{msg}");
        assert!(msg.ends_with("… and 30 more"), "{msg}");
        assert!(
            msg.contains("line 1: ") && msg.contains("line 20: ") && !msg.contains("line 21: "),
            "{msg}"
        );
    }
}
