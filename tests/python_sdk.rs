//! Runs the real-client compatibility suite in `tests/sdk/`: the official PubNub Python
//! SDK (pinned in `tests/sdk/requirements.txt`) drives all 16 App Context operations
//! against the `appctx serve` binary built for this test run.
//!
//! The Python interpreter is `$APPCTX_PYTHON` (default `.venv/bin/python`, relative to
//! the crate root). It must be able to `import pubnub` and `import pytest`; the
//! README's test command (`bash .ci/test`) creates that venv. A missing interpreter or
//! SDK fails this test: it is never skipped silently.

use std::io::ErrorKind;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// The whole suite normally takes a few seconds; this only guards against a hang.
const SUITE_TIMEOUT: Duration = Duration::from_secs(300);

fn setup_hint() -> String {
    "Run the README's test command, `bash .ci/test`, which creates .venv with \
     `python3 -m venv .venv && .venv/bin/pip install -r tests/sdk/requirements.txt` \
     (or point APPCTX_PYTHON at an interpreter that has pubnub==10.8.0 and pytest)."
        .to_string()
}

fn python(manifest_dir: &Path) -> PathBuf {
    let raw = std::env::var_os("APPCTX_PYTHON").unwrap_or_else(|| ".venv/bin/python".into());
    let path = PathBuf::from(raw);
    // A bare command name (e.g. `python3`) is looked up on PATH; anything with a
    // directory part is taken relative to the crate root.
    if path.is_absolute() || path.components().count() == 1 {
        path
    } else {
        manifest_dir.join(path)
    }
}

fn check_interpreter(python: &Path, manifest_dir: &Path) {
    let probe = Command::new(python)
        .args(["-c", "import pubnub, pytest; print(pubnub.__file__)"])
        .current_dir(manifest_dir)
        .stdin(Stdio::null())
        .output();
    match probe {
        Err(e) if e.kind() == ErrorKind::NotFound => panic!(
            "Python interpreter {} not found (APPCTX_PYTHON).\n{}",
            python.display(),
            setup_hint()
        ),
        Err(e) => panic!("cannot run {}: {e}\n{}", python.display(), setup_hint()),
        Ok(out) if !out.status.success() => panic!(
            "{} cannot `import pubnub, pytest` ({}):\n{}\n{}",
            python.display(),
            out.status,
            String::from_utf8_lossy(&out.stderr).trim(),
            setup_hint()
        ),
        Ok(_) => {}
    }
}

#[test]
fn official_python_sdk_drives_all_operations() {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    let appctx_bin = env!("CARGO_BIN_EXE_appctx");
    let python = python(manifest_dir);
    check_interpreter(&python, manifest_dir);

    eprintln!(
        "running `{} -m pytest tests/sdk -q` against {appctx_bin}",
        python.display()
    );
    // stdout/stderr are inherited, so pytest's progress and report stream straight
    // to the terminal (or CI log) as they happen.
    let mut child = Command::new(&python)
        .args(["-m", "pytest", "tests/sdk", "-q"])
        .current_dir(manifest_dir)
        .env("APPCTX_BIN", appctx_bin)
        .env("PYTHONDONTWRITEBYTECODE", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::inherit())
        .stderr(Stdio::inherit())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {}: {e}\n{}", python.display(), setup_hint()));

    let started = Instant::now();
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break status,
            Ok(None) if started.elapsed() > SUITE_TIMEOUT => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("pytest did not finish within {SUITE_TIMEOUT:?}; killed it");
            }
            Ok(None) => std::thread::sleep(Duration::from_millis(50)),
            Err(e) => panic!("waiting for pytest: {e}"),
        }
    };
    assert!(
        status.success(),
        "the Python SDK compatibility suite failed ({status}); see pytest's report above \
         (exit code 5 means no tests were collected)"
    );
}
