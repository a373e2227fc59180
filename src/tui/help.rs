//! Every key of every mode, in one place: the browser's come from the keymap (so a
//! user's rebinding shows), the dialogs' from [`DIALOG_KEYS`], the table their
//! handlers follow. The help screen (`?`), the README's key tables and the status
//! bar's hints are all generated from here.

use super::app::{App, Overlay};
use super::keymap::{Intent, Keymap};

/// A mode with keys of its own.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Browser,
    Search,
    Filter,
    Sort,
    Command,
    Describe,
    Editor,
    Conflict,
    Confirm,
    Manager,
    Picker,
    Log,
    Help,
}

impl Mode {
    /// The heading the help screen and the README give the mode.
    pub fn title(self) -> &'static str {
        match self {
            Mode::Browser => "Browsing (lists and detail; rebind in keymap.toml)",
            Mode::Search => "Search (/)",
            Mode::Filter => "Server filter (f)",
            Mode::Sort => "Sort picker (s)",
            Mode::Command => "Command line (:)",
            Mode::Describe => "Describe view (v)",
            Mode::Editor => "Editor (e, n)",
            Mode::Conflict => "Conflict (a save met someone else's change)",
            Mode::Confirm => "Confirmation",
            Mode::Manager => "Memberships / members manager (m)",
            Mode::Picker => "Picker (a in the manager)",
            Mode::Log => "Request log (L)",
            Mode::Help => "Help (?)",
        }
    }
}

/// The keys of every dialog: mode, keys (space-separated), what they do. The first
/// rows of a mode are its status-bar hints, so the most useful come first.
pub const DIALOG_KEYS: &[(Mode, &str, &str)] = &[
    (Mode::Search, "Enter", "keep it; on a partly loaded list, as the server filter"),
    (Mode::Search, "Esc", "cancel the search"),
    (Mode::Search, "Up Down", "move in the list while typing"),
    (Mode::Filter, "Enter", "apply (empty clears the filter)"),
    (Mode::Filter, "Tab", "complete a field name"),
    (Mode::Filter, "Up Down", "filters used before"),
    (Mode::Filter, "Esc", "cancel"),
    (Mode::Sort, "Space", "cycle the field: off, ascending, descending"),
    (Mode::Sort, "Enter", "apply"),
    (Mode::Sort, "j k", "choose a field"),
    (Mode::Sort, "Esc", "cancel"),
    (Mode::Command, "Enter", "run: users, channels, user ID, channel ID, filter EXPR, sort KEYS, columns LIST, export FILE, live on or off, q"),
    (Mode::Command, "Tab", "complete a command or a loaded id"),
    (Mode::Command, "Up Down", "commands run before (kept across runs)"),
    (Mode::Command, "Esc", "cancel"),
    (Mode::Describe, "j k", "scroll"),
    (Mode::Describe, "y", "copy the JSON"),
    (Mode::Describe, "Esc", "close"),
    (Mode::Describe, "PageDown PageUp g G", "scroll by a page, to the top, to the end"),
    (Mode::Editor, "Ctrl-s", "save"),
    (Mode::Editor, "Tab", "next field"),
    (Mode::Editor, "Ctrl-e", "edit the record as JSON in $VISUAL / $EDITOR"),
    (Mode::Editor, "Esc", "close (asks first when something changed)"),
    (Mode::Editor, "Ctrl-n", "add a custom entry"),
    (Mode::Editor, "Ctrl-d", "remove the custom entry"),
    (Mode::Editor, "Ctrl-t", "change the custom value's type"),
    (Mode::Editor, "Ctrl-j", "raw JSON view on / off"),
    (Mode::Editor, "BackTab Enter Up Down", "previous field, next field, move between fields"),
    (Mode::Editor, "Ctrl-z Ctrl-y", "undo, redo in a field"),
    (Mode::Editor, "Ctrl-a Ctrl-u Ctrl-k Ctrl-w", "line start, delete to start, to end, a word"),
    (Mode::Conflict, "m Enter", "save the merge: mine where I changed, theirs where they did"),
    (Mode::Conflict, "Left Right", "take theirs / mine for a field both changed"),
    (Mode::Conflict, "t", "take their version, drop mine"),
    (Mode::Conflict, "e Esc", "back to the editor with the merge"),
    (Mode::Conflict, "Space", "switch the field's choice"),
    (Mode::Conflict, "j k", "move between fields"),
    (Mode::Confirm, "y", "yes (the question names what happens)"),
    (Mode::Confirm, "n Esc", "no; any other key also cancels and then does what it does"),
    (Mode::Manager, "a", "add: pick channels / users"),
    (Mode::Manager, "Ctrl-s", "save every change"),
    (Mode::Manager, "Space d", "remove the row (again: keep it) and move down"),
    (Mode::Manager, "e Enter", "edit the row's status, type and custom"),
    (Mode::Manager, "j k", "move"),
    (Mode::Manager, "Esc", "close (asks first when something changed)"),
    (Mode::Picker, "f /", "type a search of ids and names (=EXPR: an App Context filter)"),
    (Mode::Picker, "Space", "choose the row and move down ([=] rows already belong)"),
    (Mode::Picker, "Enter", "add the chosen rows"),
    (Mode::Picker, "j k", "move (more rows load as you go)"),
    (Mode::Picker, "Esc", "back to the manager"),
    (Mode::Log, "j k", "scroll"),
    (Mode::Log, "g G", "first, last request"),
    (Mode::Log, "L Esc q", "close"),
    (Mode::Help, "type", "search the keys"),
    (Mode::Help, "Up Down", "scroll"),
    (Mode::Help, "Esc ?", "close"),
];

/// The browser keys the status bar offers first.
const BROWSER_HINTS: &[(Intent, &str)] = &[
    (Intent::Help, "help"),
    (Intent::Command, "cmd"),
    (Intent::Search, "search"),
    (Intent::ServerFilter, "filter"),
    (Intent::Sort, "sort"),
    (Intent::Describe, "whole"),
    (Intent::Edit, "edit"),
    (Intent::Relations, "members"),
    (Intent::Log, "log"),
];

/// A help row: the mode, its keys, what they do.
pub type HelpRow = (Mode, String, String);

/// Every key of every mode, the browser's first (from the keymap as bound).
pub fn rows(keymap: &Keymap) -> Vec<HelpRow> {
    let mut out: Vec<HelpRow> = keymap
        .help_rows()
        .into_iter()
        .map(|(k, d)| (Mode::Browser, k, d.to_string()))
        .collect();
    out.extend(
        DIALOG_KEYS
            .iter()
            .map(|(m, k, d)| (*m, k.to_string(), d.to_string())),
    );
    out
}

/// The mode the keys go to now.
pub fn mode(app: &App) -> Mode {
    match &app.overlay {
        Overlay::None | Overlay::Report { .. } => Mode::Browser,
        Overlay::Help { .. } => Mode::Help,
        Overlay::Log { .. } => Mode::Log,
        Overlay::Search => Mode::Search,
        Overlay::Filter(_) => Mode::Filter,
        Overlay::Sort(_) => Mode::Sort,
        Overlay::Editor(_) => Mode::Editor,
        Overlay::Confirm(_) => Mode::Confirm,
        Overlay::Conflict(_) => Mode::Conflict,
        Overlay::Relations(r) if r.picking() => Mode::Picker,
        Overlay::Relations(_) => Mode::Manager,
        Overlay::Command(_) => Mode::Command,
        Overlay::Describe(_) => Mode::Describe,
    }
}

/// The hints for the current mode, most useful first, as (keys, word).
pub fn hints(app: &App) -> Vec<(String, String)> {
    match mode(app) {
        Mode::Browser => BROWSER_HINTS
            .iter()
            .map(|(i, w)| (app.keymap.hint(*i), w.to_string()))
            .collect(),
        m => DIALOG_KEYS
            .iter()
            .filter(|(mm, _, _)| *mm == m)
            .map(|(_, k, d)| {
                let word = d.split([',', ':', ';', '(']).next().unwrap_or(d).trim();
                (k.replace(' ', "/"), word.to_string())
            })
            .collect(),
    }
}

/// As many hints as fit in `width` columns, whole, joined by two spaces.
pub fn fit_hints(hints: &[(String, String)], width: usize) -> String {
    let mut out = String::new();
    for (k, w) in hints {
        let piece = format!("{k} {w}");
        let need = piece.chars().count() + if out.is_empty() { 0 } else { 2 };
        if out.chars().count() + need > width {
            break;
        }
        if !out.is_empty() {
            out.push_str("  ");
        }
        out.push_str(&piece);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's key tables are these rows, so they cannot drift.
    #[test]
    fn the_readme_lists_every_key_of_every_mode() {
        let readme = include_str!("../../README.md");
        let mut missing = Vec::new();
        for (mode, keys, desc) in rows(&Keymap::default_map()) {
            let keys: Vec<String> = keys.split(' ').map(|k| format!("`{k}`")).collect();
            let row = format!("| {} | {desc} |", keys.join(" "));
            let section = readme
                .split("\n#### ")
                .find(|s| s.starts_with(mode.title()))
                .unwrap_or("");
            if !section.contains(&row) {
                missing.push(format!("#### {}: {row}", mode.title()));
            }
        }
        assert!(
            missing.is_empty(),
            "README.md lacks these key rows (under '#### <mode title>'):\n{}",
            missing.join("\n")
        );
    }

    #[test]
    fn every_mode_has_keys_and_hints_fit_whole() {
        for m in [
            Mode::Search,
            Mode::Filter,
            Mode::Sort,
            Mode::Command,
            Mode::Describe,
            Mode::Editor,
            Mode::Conflict,
            Mode::Confirm,
            Mode::Manager,
            Mode::Picker,
            Mode::Log,
            Mode::Help,
        ] {
            assert!(DIALOG_KEYS.iter().any(|(mm, _, _)| *mm == m), "{m:?}");
        }
        let h = vec![
            ("?".to_string(), "help".to_string()),
            ("/".into(), "search".into()),
        ];
        assert_eq!(fit_hints(&h, 20), "? help  / search");
        assert_eq!(
            fit_hints(&h, 10),
            "? help",
            "a hint that does not fit is left out, not cut"
        );
    }
}
