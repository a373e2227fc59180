//! Key bindings: named intents, the default table (`assets/keymap.toml`), a user's
//! patch over it, and the help text generated from the same table so it cannot drift.

use std::collections::HashMap;

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The defaults, embedded.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// What a key means in the normal (not typing) mode.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Intent {
    Quit,
    Down,
    Up,
    Top,
    Bottom,
    PageDown,
    PageUp,
    NextTab,
    PrevTab,
    UsersTab,
    ChannelsTab,
    FocusLeft,
    FocusRight,
    Open,
    Back,
    Search,
    ServerFilter,
    Sort,
    Reload,
    Help,
    Log,
    CopyId,
    CopyJson,
    Dismiss,
    Edit,
    New,
    Delete,
    Undo,
    Mark,
    Relations,
    ToggleLive,
    Redraw,
    Command,
    Describe,
    SortColumn,
    ToggleDeleted,
}

/// Every intent with its config name and what the help screen says about it.
pub const INTENTS: &[(Intent, &str, &str)] = &[
    (Intent::Quit, "quit", "quit (Ctrl-c always quits)"),
    (Intent::Down, "down", "move down"),
    (Intent::Up, "up", "move up"),
    (Intent::Top, "top", "go to the first row"),
    (
        Intent::Bottom,
        "bottom",
        "go to the last row (one request, however long the list)",
    ),
    (Intent::PageDown, "page_down", "page down"),
    (Intent::PageUp, "page_up", "page up"),
    (Intent::NextTab, "next_tab", "next tab (Users / Channels)"),
    (Intent::PrevTab, "prev_tab", "previous tab"),
    (Intent::UsersTab, "users_tab", "show users"),
    (Intent::ChannelsTab, "channels_tab", "show channels"),
    (Intent::FocusLeft, "focus_left", "focus the list"),
    (Intent::FocusRight, "focus_right", "focus the detail"),
    (
        Intent::Open,
        "open",
        "open: a row's detail, a relation's other side, else the record whole",
    ),
    (Intent::Back, "back", "go back (history), close a dialog"),
    (
        Intent::Search,
        "search",
        "search loaded rows (a leading ! inverts)",
    ),
    (
        Intent::ServerFilter,
        "server_filter",
        "edit the server filter (App Context filter language)",
    ),
    (Intent::Sort, "sort", "choose sort keys and directions"),
    (
        Intent::Reload,
        "reload",
        "reload the focused list (and retry after an error)",
    ),
    (Intent::Help, "help", "this help"),
    (Intent::Log, "log", "request log"),
    (
        Intent::CopyId,
        "copy_id",
        "copy the selected row's id (OSC 52)",
    ),
    (
        Intent::CopyJson,
        "copy_json",
        "copy the selected row as JSON (OSC 52)",
    ),
    (Intent::Dismiss, "dismiss", "dismiss the newest message"),
    (Intent::Edit, "edit", "edit the selected user or channel"),
    (Intent::New, "new", "create a user or channel"),
    (
        Intent::Delete,
        "delete",
        "remove the selected or marked rows (asks first)",
    ),
    (
        Intent::Undo,
        "undo",
        "undo the last edit or removal of this session",
    ),
    (
        Intent::Mark,
        "mark",
        "mark or unmark the row (for bulk removal)",
    ),
    (
        Intent::Relations,
        "relations",
        "add, edit and remove memberships / members",
    ),
    (
        Intent::ToggleLive,
        "live",
        "turn live updates on or off (on again, it catches up)",
    ),
    (Intent::Redraw, "redraw", "redraw the whole screen"),
    (
        Intent::Command,
        "command",
        "command line: users, channels, user ID, channel ID, filter, sort, columns, export, live, q",
    ),
    (
        Intent::Describe,
        "describe",
        "the whole record or relation as JSON, every value whole (y copies)",
    ),
    (
        Intent::SortColumn,
        "sort_column",
        "sort by a column shown: ascending, descending, then the next column",
    ),
    (
        Intent::ToggleDeleted,
        "toggle_deleted",
        "hide or show soft-deleted rows (Chat SDK: status deleted)",
    ),
];

/// A key and its modifiers, as bound.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Key {
    pub code: KeyCode,
    pub mods: KeyModifiers,
}

impl Key {
    /// The binding a key event matches (Shift is folded into the character).
    pub fn from_event(e: &KeyEvent) -> Key {
        let mut mods = e.modifiers & (KeyModifiers::CONTROL | KeyModifiers::ALT);
        let code = match e.code {
            KeyCode::Char(c) if mods.contains(KeyModifiers::CONTROL) => {
                KeyCode::Char(c.to_ascii_lowercase())
            }
            KeyCode::BackTab => {
                mods.remove(KeyModifiers::SHIFT);
                KeyCode::BackTab
            }
            other => other,
        };
        Key { code, mods }
    }

    /// Parses `"j"`, `"Enter"`, `"Ctrl-d"`, `"Alt-x"`.
    pub fn parse(text: &str) -> Result<Key, String> {
        let mut mods = KeyModifiers::NONE;
        let mut rest = text;
        loop {
            if let Some(r) = rest.strip_prefix("Ctrl-") {
                mods |= KeyModifiers::CONTROL;
                rest = r;
            } else if let Some(r) = rest.strip_prefix("Alt-") {
                mods |= KeyModifiers::ALT;
                rest = r;
            } else {
                break;
            }
        }
        let code = match rest {
            "Enter" => KeyCode::Enter,
            "Esc" => KeyCode::Esc,
            "Tab" => KeyCode::Tab,
            "BackTab" => KeyCode::BackTab,
            "Up" => KeyCode::Up,
            "Down" => KeyCode::Down,
            "Left" => KeyCode::Left,
            "Right" => KeyCode::Right,
            "Home" => KeyCode::Home,
            "End" => KeyCode::End,
            "PageUp" => KeyCode::PageUp,
            "PageDown" => KeyCode::PageDown,
            "Space" => KeyCode::Char(' '),
            "Backspace" => KeyCode::Backspace,
            "Delete" => KeyCode::Delete,
            f if f.len() > 1 && f.starts_with('F') && f[1..].parse::<u8>().is_ok() => {
                KeyCode::F(f[1..].parse().unwrap_or(1))
            }
            c if c.chars().count() == 1 => {
                let ch = c.chars().next().unwrap_or(' ');
                KeyCode::Char(if mods.contains(KeyModifiers::CONTROL) {
                    ch.to_ascii_lowercase()
                } else {
                    ch
                })
            }
            _ => return Err(format!("unknown key '{text}'")),
        };
        Ok(Key { code, mods })
    }

    /// How the help screen writes it.
    pub fn label(&self) -> String {
        let mut s = String::new();
        if self.mods.contains(KeyModifiers::CONTROL) {
            s.push_str("Ctrl-");
        }
        if self.mods.contains(KeyModifiers::ALT) {
            s.push_str("Alt-");
        }
        match self.code {
            KeyCode::Char(' ') => s.push_str("Space"),
            KeyCode::Char(c) => s.push(c),
            KeyCode::F(n) => s.push_str(&format!("F{n}")),
            other => s.push_str(&format!("{other:?}")),
        }
        s
    }
}

/// The resolved bindings.
#[derive(Clone, Debug)]
pub struct Keymap {
    by_key: HashMap<Key, Intent>,
    keys: Vec<(Intent, Vec<Key>)>,
}

#[derive(serde::Deserialize)]
struct KeymapFile {
    #[serde(default)]
    keys: HashMap<String, Vec<String>>,
}

impl Keymap {
    /// The defaults.
    pub fn default_map() -> Keymap {
        match Keymap::with_patch(None) {
            Ok(k) => k,
            Err(e) => unreachable!("the embedded keymap is valid: {e}"),
        }
    }

    /// The defaults patched with a user's file text: each action the file names gets
    /// exactly the keys it lists.
    pub fn with_patch(user: Option<&str>) -> Result<Keymap, String> {
        let mut table: Vec<(Intent, Vec<Key>)> = Vec::new();
        let defaults: KeymapFile = toml::from_str(DEFAULT_KEYMAP).map_err(|e| e.to_string())?;
        let user: Option<KeymapFile> = match user {
            Some(text) => Some(toml::from_str(text).map_err(|e| format!("keymap.toml: {e}"))?),
            None => None,
        };
        if let Some(u) = &user {
            for name in u.keys.keys() {
                if !INTENTS.iter().any(|(_, n, _)| n == name) {
                    let known: Vec<&str> = INTENTS.iter().map(|(_, n, _)| *n).collect();
                    return Err(format!(
                        "keymap.toml: unknown action '{name}'; actions: {}",
                        known.join(", ")
                    ));
                }
            }
        }
        for (intent, name, _) in INTENTS {
            let texts = user
                .as_ref()
                .and_then(|u| u.keys.get(*name))
                .or_else(|| defaults.keys.get(*name))
                .cloned()
                .unwrap_or_default();
            let keys = texts
                .iter()
                .map(|t| Key::parse(t).map_err(|e| format!("keymap.toml: {name}: {e}")))
                .collect::<Result<Vec<_>, _>>()?;
            table.push((*intent, keys));
        }
        let mut by_key = HashMap::new();
        for (intent, keys) in &table {
            for k in keys {
                if let Some(prev) = by_key.insert(*k, *intent) {
                    if prev != *intent {
                        return Err(format!(
                            "keymap.toml: key {} is bound to two actions",
                            k.label()
                        ));
                    }
                }
            }
        }
        Ok(Keymap {
            by_key,
            keys: table,
        })
    }

    /// The intent of a key event, if bound.
    pub fn intent(&self, e: &KeyEvent) -> Option<Intent> {
        self.by_key.get(&Key::from_event(e)).copied()
    }

    /// The first key bound to an intent, for hints.
    pub fn hint(&self, intent: Intent) -> String {
        self.keys
            .iter()
            .find(|(i, _)| *i == intent)
            .and_then(|(_, k)| k.first())
            .map(Key::label)
            .unwrap_or_else(|| "(unbound)".into())
    }

    /// Help rows: keys, description; generated from the table.
    pub fn help_rows(&self) -> Vec<(String, &'static str)> {
        let mut rows: Vec<(String, &'static str)> = self
            .keys
            .iter()
            .map(|(intent, keys)| {
                let desc = INTENTS
                    .iter()
                    .find(|(i, _, _)| i == intent)
                    .map(|(_, _, d)| *d)
                    .unwrap_or("");
                let labels: Vec<String> = keys.iter().map(Key::label).collect();
                (labels.join(" "), desc)
            })
            .collect();
        rows.push(("Ctrl-c".into(), "quit at once, from anywhere"));
        rows
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The README's key table is the keymap's help, row for row, so it cannot drift.
    #[test]
    fn readme_key_table_matches_the_keymap() {
        let readme = include_str!("../../README.md");
        let rows: Vec<String> = Keymap::default_map()
            .help_rows()
            .iter()
            .map(|(keys, desc)| {
                let keys: Vec<String> = keys.split(' ').map(|k| format!("`{k}`")).collect();
                format!("| {} | {desc} |", keys.join(" "))
            })
            .collect();
        let missing: Vec<&String> = rows
            .iter()
            .filter(|r| !readme.contains(r.as_str()))
            .collect();
        assert!(
            missing.is_empty(),
            "README.md lacks these key rows (copy them in):\n{}",
            missing
                .iter()
                .map(|s| s.as_str())
                .collect::<Vec<_>>()
                .join("\n")
        );
    }

    fn ev(code: KeyCode, mods: KeyModifiers) -> KeyEvent {
        KeyEvent::new(code, mods)
    }

    #[test]
    fn defaults_bind_the_documented_keys() {
        let k = Keymap::default_map();
        assert_eq!(
            k.intent(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Intent::Down)
        );
        assert_eq!(
            k.intent(&ev(KeyCode::Down, KeyModifiers::NONE)),
            Some(Intent::Down)
        );
        assert_eq!(
            k.intent(&ev(KeyCode::Char('G'), KeyModifiers::SHIFT)),
            Some(Intent::Bottom)
        );
        assert_eq!(
            k.intent(&ev(KeyCode::Char('d'), KeyModifiers::CONTROL)),
            Some(Intent::PageDown)
        );
        assert_eq!(
            k.intent(&ev(KeyCode::BackTab, KeyModifiers::SHIFT)),
            Some(Intent::PrevTab)
        );
    }

    #[test]
    fn a_user_patch_changes_only_the_actions_it_names() {
        let k = Keymap::with_patch(Some("[keys]\nquit = [\"Ctrl-q\"]\n")).unwrap();
        assert_eq!(
            k.intent(&ev(KeyCode::Char('q'), KeyModifiers::CONTROL)),
            Some(Intent::Quit)
        );
        assert_eq!(k.intent(&ev(KeyCode::Char('q'), KeyModifiers::NONE)), None);
        assert_eq!(
            k.intent(&ev(KeyCode::Char('j'), KeyModifiers::NONE)),
            Some(Intent::Down)
        );
    }

    #[test]
    fn bad_user_keymaps_are_explained() {
        assert!(Keymap::with_patch(Some("[keys]\nfly = [\"x\"]"))
            .unwrap_err()
            .contains("unknown action 'fly'"));
        assert!(Keymap::with_patch(Some("[keys]\nquit = [\"Hyper-x\"]"))
            .unwrap_err()
            .contains("unknown key"));
        assert!(Keymap::with_patch(Some("[keys]\nquit = [\"j\"]"))
            .unwrap_err()
            .contains("two actions"));
        assert!(Keymap::with_patch(Some("[keys")).is_err());
    }

    #[test]
    fn help_is_generated_from_the_table() {
        let k = Keymap::default_map();
        let rows = k.help_rows();
        assert!(rows
            .iter()
            .any(|(keys, d)| keys == "j Down" && d.contains("move down")));
        assert_eq!(rows.len(), INTENTS.len() + 1);
    }
}
