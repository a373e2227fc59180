//! Editing text in the user's own editor (`$VISUAL`, `$EDITOR`, else `vi`): the text
//! goes to a temporary `.json` file, the editor runs on it with the terminal handed
//! over, and the file is read back.

use std::io::Write;
use std::process::Command;

/// What came back from `$EDITOR`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Edited {
    /// The file's new content.
    Changed(String),
    /// The file was saved as it was, or not saved at all.
    Unchanged,
    /// The editor could not be run, or failed; the text is kept where it was.
    Failed(String),
}

/// The editor command line to use.
pub fn editor_command() -> String {
    std::env::var("VISUAL")
        .ok()
        .filter(|v| !v.trim().is_empty())
        .or_else(|| {
            std::env::var("EDITOR")
                .ok()
                .filter(|v| !v.trim().is_empty())
        })
        .unwrap_or_else(|| "vi".to_string())
}

/// Runs the editor on `text` and says what became of it. The caller must have handed
/// the terminal over (left raw mode and the alternate screen) before calling.
pub fn edit(text: &str) -> Edited {
    match run(text) {
        Ok(after) if after == text => Edited::Unchanged,
        Ok(after) => Edited::Changed(after),
        Err(e) => Edited::Failed(e),
    }
}

fn run(text: &str) -> Result<String, String> {
    let mut file = tempfile::Builder::new()
        .prefix("appctx-")
        .suffix(".json")
        .tempfile()
        .map_err(|e| format!("cannot create a temporary file: {e}"))?;
    file.write_all(text.as_bytes())
        .and_then(|()| file.flush())
        .map_err(|e| format!("cannot write the temporary file: {e}"))?;
    let path = file.path().to_path_buf();
    let editor = editor_command();
    // Through the shell, as git does, so the variable may carry arguments
    // ("code --wait"); the file is passed as "$1", never spliced into the command.
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("appctx-editor")
        .arg(&path)
        .status()
        .map_err(|e| format!("cannot start a shell to run '{editor}': {e}"))?;
    match status.code() {
        Some(0) => {}
        // The shell's own codes: the command was not found / not executable.
        Some(127) => {
            return Err(format!(
                "cannot start '{editor}': command not found (set $VISUAL or $EDITOR)"
            ))
        }
        Some(126) => return Err(format!("cannot start '{editor}': not executable")),
        _ => {
            return Err(format!(
                "'{editor}' exited with {status}; nothing was taken from it"
            ))
        }
    }
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read the edited file back: {e}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    // One test, so the process environment is set by one thread at a time.
    #[test]
    fn editor_results_changed_unchanged_and_failed() {
        let dir = tempfile::tempdir().expect("tempdir");
        let script = dir.path().join("ed.sh");
        std::fs::write(
            &script,
            "#!/bin/sh\nfor f; do :; done\nprintf '{\"x\":1}' > \"$f\"\n",
        )
        .expect("write");
        std::process::Command::new("chmod")
            .arg("+x")
            .arg(&script)
            .status()
            .expect("chmod");
        std::env::remove_var("VISUAL");
        std::env::set_var("EDITOR", format!("{} --flag", script.display()));
        assert_eq!(edit("{}"), Edited::Changed("{\"x\":1}".into()));
        std::env::set_var("EDITOR", "true");
        assert_eq!(edit("{}"), Edited::Unchanged);
        std::env::set_var("EDITOR", "/nonexistent/editor-xyz");
        match edit("{}") {
            Edited::Failed(m) => assert!(m.contains("command not found"), "{m}"),
            other => panic!("expected a failure, got {other:?}"),
        }
        std::env::set_var("EDITOR", "false");
        assert!(matches!(edit("{}"), Edited::Failed(_)));
    }
}
