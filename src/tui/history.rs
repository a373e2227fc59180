//! The filter and command-line histories, kept across runs in `history.json` in the
//! data dir (next to `appctx.log`). A missing or unreadable file is an empty history;
//! only the newest [`KEEP`] entries of each are kept.

use std::path::{Path, PathBuf};

use super::app::App;

/// Entries kept per history.
pub const KEEP: usize = 200;

#[derive(serde::Serialize, serde::Deserialize, Default)]
struct File {
    #[serde(default)]
    filters: Vec<String>,
    #[serde(default)]
    commands: Vec<String>,
}

/// Where the histories live.
pub fn path() -> Option<PathBuf> {
    crate::config::data_file("history.json")
}

fn newest(mut v: Vec<String>) -> Vec<String> {
    v.retain(|s| !s.contains('\n') && s.len() <= 4096);
    if v.len() > KEEP {
        v.drain(..v.len() - KEEP);
    }
    v
}

/// Loads the histories into the app (newest last).
pub fn load(app: &mut App, path: &Path) {
    let Ok(text) = std::fs::read_to_string(path) else {
        return;
    };
    match serde_json::from_str::<File>(&text) {
        Ok(f) => {
            app.filter_history = newest(f.filters);
            app.command_history = newest(f.commands);
        }
        Err(e) => tracing::warn!("ignoring {}: {e}", path.display()),
    }
}

/// Saves the app's histories (atomically: a crash leaves the old file).
pub fn save(app: &App, path: &Path) -> std::io::Result<()> {
    let f = File {
        filters: newest(app.filter_history.clone()),
        commands: newest(app.command_history.clone()),
    };
    if let Some(dir) = path.parent() {
        std::fs::create_dir_all(dir)?;
    }
    let tmp = path.with_extension("json.tmp");
    std::fs::write(&tmp, serde_json::to_vec_pretty(&f)?)?;
    std::fs::rename(tmp, path)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::tui::app::{Backend, Session};
    use crate::tui::keymap::Keymap;

    fn app() -> App {
        let session = Session {
            keyset: "demo".into(),
            backend: Backend::Local,
            read_only: false,
            read_only_reason: String::new(),
            access: None,
        };
        App::new(Keymap::default_map(), session, (80, 24)).0
    }

    #[test]
    fn histories_survive_a_restart_and_a_broken_file_is_empty() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("sub").join("history.json");
        let mut a = app();
        a.filter_history = (0..300).map(|i| format!("name == 'n{i}'")).collect();
        a.command_history = vec!["user bob".into()];
        save(&a, &path).unwrap();
        let mut b = app();
        load(&mut b, &path);
        assert_eq!(b.command_history, vec!["user bob".to_string()]);
        assert_eq!(b.filter_history.len(), KEEP);
        assert_eq!(b.filter_history.last().unwrap(), "name == 'n299'");
        std::fs::write(&path, "{ not json").unwrap();
        let mut c = app();
        load(&mut c, &path);
        assert!(c.command_history.is_empty() && c.filter_history.is_empty());
    }
}
