//! The command line (`:`), in the k9s manner: `:users`, `:channels`, `:user ID`,
//! `:channel ID`, `:filter EXPR`, `:sort KEYS`, `:live on|off`, `:q`. Parsing and
//! completion are pure; the app carries a parsed [`Cmd`] out.

use crate::api::SortKey;

/// The commands, with what `Tab` completes and what help says.
pub const COMMANDS: &[(&str, &str)] = &[
    ("users", "show the users list"),
    ("channels", "show the channels list"),
    ("user", "open a user by id: :user ID"),
    ("channel", "open a channel by id: :channel ID"),
    (
        "filter",
        "set the focused list's server filter: :filter EXPR (empty clears)",
    ),
    (
        "sort",
        "set the focused list's sort: :sort name:asc,updated:desc",
    ),
    (
        "columns",
        "choose the list's columns: :columns name,status,custom.tier (empty: the defaults)",
    ),
    (
        "export",
        "write the focused list (or its marked rows) to a file: :export FILE (.csv or JSON lines)",
    ),
    ("live", "live updates: :live on | :live off"),
    (
        "token",
        "what the Access Manager token in use allows, and until when",
    ),
    ("q", "quit"),
];

/// A parsed command.
#[derive(Clone, Debug, PartialEq)]
pub enum Cmd {
    Users,
    Channels,
    User(String),
    Channel(String),
    /// None clears the filter.
    Filter(Option<String>),
    Sort(Vec<SortKey>),
    Live(bool),
    /// Write the focused list, or its marked rows, to this file.
    Export(String),
    /// Show the token in use.
    Token,
    /// The current tab's columns (None: the defaults).
    Columns(Option<String>),
    Quit,
}

/// Reads one command line (without the `:`).
pub fn parse(line: &str) -> Result<Cmd, String> {
    let line = line.trim();
    let (word, rest) = match line.split_once(char::is_whitespace) {
        Some((w, r)) => (w, r.trim()),
        None => (line, ""),
    };
    let need = |what: &str| {
        if rest.is_empty() {
            Err(format!(":{word} needs {what}"))
        } else {
            Ok(rest.to_string())
        }
    };
    match word {
        "users" | "u" => Ok(Cmd::Users),
        "channels" | "c" => Ok(Cmd::Channels),
        "user" => need("an id").map(Cmd::User),
        "channel" => need("an id").map(Cmd::Channel),
        "filter" | "f" => Ok(Cmd::Filter((!rest.is_empty()).then(|| rest.to_string()))),
        "sort" => SortKey::parse_list(&need("sort keys, e.g. name:asc")?).map(Cmd::Sort),
        "live" => match rest {
            "on" => Ok(Cmd::Live(true)),
            "off" => Ok(Cmd::Live(false)),
            _ => Err(":live takes on or off".into()),
        },
        "token" => Ok(Cmd::Token),
        "columns" | "cols" => Ok(Cmd::Columns((!rest.is_empty()).then(|| rest.to_string()))),
        "export" | "w" => need("a file name, e.g. users.jsonl or users.csv").map(Cmd::Export),
        "q" | "quit" => Ok(Cmd::Quit),
        "" => Err(
            "type a command: users, channels, user ID, channel ID, filter, sort, columns, export, live, q".into(),
        ),
        other => Err(format!(
            "no command '{other}' (users, channels, user ID, channel ID, filter, sort, columns, export, live, q)"
        )),
    }
}

/// Completes the command word, or the id after `user ` / `channel ` from `ids` (the
/// loaded ones): the longest common prefix of what fits. None when nothing fits.
pub fn complete(line: &str, user_ids: &[&str], channel_ids: &[&str]) -> Option<String> {
    let (word, rest) = match line.split_once(' ') {
        Some((w, r)) => (w, Some(r)),
        None => (line, None),
    };
    let (prefix, candidates): (String, Vec<&str>) = match rest {
        None => (
            String::new(),
            COMMANDS
                .iter()
                .map(|(c, _)| *c)
                .filter(|c| c.starts_with(word))
                .collect(),
        ),
        Some(r) => {
            let ids = match word {
                "user" => user_ids,
                "channel" => channel_ids,
                _ => return None,
            };
            (
                format!("{word} "),
                ids.iter().copied().filter(|id| id.starts_with(r)).collect(),
            )
        }
    };
    let first = candidates.first()?;
    let common = candidates.iter().fold(first.to_string(), |acc, c| {
        acc.chars()
            .zip(c.chars())
            .take_while(|(a, b)| a == b)
            .map(|(a, _)| a)
            .collect()
    });
    let done = candidates.len() == 1 && rest.is_none();
    Some(format!("{prefix}{common}{}", if done { " " } else { "" }))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse() {
        assert_eq!(parse("users"), Ok(Cmd::Users));
        assert_eq!(
            parse(" user  bob smith "),
            Ok(Cmd::User("bob smith".into()))
        );
        assert_eq!(parse("channel general"), Ok(Cmd::Channel("general".into())));
        assert_eq!(
            parse("filter name LIKE 'A*'"),
            Ok(Cmd::Filter(Some("name LIKE 'A*'".into())))
        );
        assert_eq!(parse("filter"), Ok(Cmd::Filter(None)));
        assert!(matches!(parse("sort name:desc"), Ok(Cmd::Sort(k)) if k.len() == 1));
        assert_eq!(parse("live off"), Ok(Cmd::Live(false)));
        assert!(parse("live maybe").is_err());
        assert!(parse("user").is_err());
        assert!(parse("frobnicate").is_err());
        assert_eq!(parse("q"), Ok(Cmd::Quit));
    }

    #[test]
    fn search_text_becomes_a_safe_server_filter() {
        use crate::filter::{parse_for, Target};
        let f = search_filter(Target::Users, "o'brien*", None).unwrap_or_default();
        let e = parse_for(&f, Target::Users).expect("parses back");
        assert_eq!(e.to_string(), f);
        assert!(f.contains("name LIKE"), "{f}");
        let f = search_filter(
            Target::Users,
            "quartz",
            Some("status == 'active' || type == 'x'"),
        )
        .unwrap_or_default();
        assert!(f.starts_with("(status =="), "{f}");
        assert!(parse_for(&f, Target::Users).is_ok());
        assert_eq!(search_filter(Target::Channels, "  ", None), None);
        assert_eq!(search_filter(Target::Channels, "!x", None), None);
    }

    #[test]
    fn tab_completes_commands_and_loaded_ids() {
        assert_eq!(complete("ch", &[], &[]), Some("channel".into()));
        assert_eq!(complete("use", &[], &[]), Some("user".into()));
        assert_eq!(complete("q", &[], &[]), Some("q ".into()));
        assert_eq!(
            complete("user ab", &["abigail-1", "abigail-2", "bob"], &[]),
            Some("user abigail-".into())
        );
        assert_eq!(
            complete("channel gen", &[], &["general"]),
            Some("channel general".into())
        );
        assert_eq!(complete("zzz", &[], &[]), None);
    }
}

/// The server filter that finds `text` the way `/` does on loaded rows: a
/// case-insensitive `LIKE '*text*'` on the ids and names of `target` (and e-mail or
/// description), and-ed with the list's current filter. Built with the filter module,
/// so any quote or `*` in the text is escaped, never pasted.
pub fn search_filter(
    target: crate::filter::Target,
    text: &str,
    current: Option<&str>,
) -> Option<String> {
    use crate::filter::{Expr, Field, Pattern, PatternPart, Target};
    let text = text.trim();
    if text.is_empty() || text.starts_with('!') {
        return None;
    }
    let fields: &[&[&str]] = match target {
        Target::Users => &[&["id"], &["name"], &["email"]],
        Target::Channels => &[&["id"], &["name"], &["description"]],
        Target::Memberships => &[&["channel", "id"], &["channel", "name"]],
        Target::Members => &[&["uuid", "id"], &["uuid", "name"]],
    };
    let pattern = Pattern::new([
        PatternPart::Wildcard,
        PatternPart::Literal(text.to_string()),
        PatternPart::Wildcard,
    ]);
    let any = Expr::Or(
        fields
            .iter()
            .map(|f| Expr::Like {
                field: Field::new(f.iter().copied()),
                pattern: pattern.clone(),
            })
            .collect(),
    );
    let expr = match current.map(crate::filter::parse) {
        // The printer parenthesises an `Or` inside an `And`, so the meaning holds.
        Some(Ok(existing)) => Expr::And(vec![existing, any]),
        _ => any,
    };
    Some(expr.to_string())
}

/// The command line being typed.
#[derive(Clone, Debug, Default)]
pub struct CommandLine {
    pub input: crate::tui::editor::LineInput,
    pub error: Option<String>,
    /// Position in the history while browsing it with ↑/↓.
    pub history_pos: Option<usize>,
}
