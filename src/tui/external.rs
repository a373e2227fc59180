//! Editing text in the user's own editor (`$VISUAL`, `$EDITOR`, else `vi`): the text
//! goes to a temporary `.json` file, the editor runs on it with the terminal handed
//! over, and the file is read back.

use std::io::Write;
use std::process::Command;

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

/// Runs the editor on `text` and returns what was saved. The caller must have handed
/// the terminal over (left raw mode and the alternate screen) before calling.
pub fn edit(text: &str) -> Result<String, String> {
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
    // Through the shell, so EDITOR may carry arguments ("code --wait").
    let status = Command::new("sh")
        .arg("-c")
        .arg(format!("{editor} \"$1\""))
        .arg("appctx-editor")
        .arg(&path)
        .status()
        .map_err(|e| format!("cannot start '{editor}': {e}"))?;
    if !status.success() {
        return Err(format!(
            "'{editor}' exited with {status}; nothing was changed"
        ));
    }
    std::fs::read_to_string(&path).map_err(|e| format!("cannot read the edited file back: {e}"))
}
