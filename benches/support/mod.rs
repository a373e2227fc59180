//! What several benches share: the shipped `appctx serve` as a child process, and a
//! shipped command timed with its peak memory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

#[path = "peak.rs"]
mod peak;
pub use peak::PeakSampler;

/// A child process (`appctx serve …`), killed when dropped.
pub struct Serve(pub std::process::Child);

impl Drop for Serve {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// A port free on loopback right now (`fallback` if none can be asked for).
pub fn free_port(fallback: u16) -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or(fallback)
}

/// How a command ran: wall seconds, its peak resident memory (KiB, the process's own:
/// [`PeakSampler`]), and its stderr.
#[allow(dead_code)]
pub struct Ran {
    pub seconds: f64,
    pub max_rss_kb: i64,
    pub stderr: String,
}

/// Runs `cmd` to its end with stdout to `stdout` (a file) and stderr kept; fails when
/// it exits non-zero.
#[allow(dead_code)]
pub fn run_measured(cmd: &mut Command, stdout: &Path) -> Result<Ran, String> {
    let out = std::fs::File::create(stdout).map_err(|e| e.to_string())?;
    let err_path = stdout.with_extension("stderr");
    let err = std::fs::File::create(&err_path).map_err(|e| e.to_string())?;
    let started = Instant::now();
    let child = cmd
        .stdout(Stdio::from(out))
        .stderr(Stdio::from(err))
        .stdin(Stdio::null())
        .spawn()
        .map_err(|e| format!("cannot start {cmd:?}: {e}"))?;
    // The wall time is the exit's; the sampler runs on a thread of its own.
    let sampler = PeakSampler::start(child.id(), std::time::Duration::from_millis(1));
    let mut child = child;
    let waited = child.wait();
    let seconds = started.elapsed().as_secs_f64();
    let max_rss_kb = sampler.stop() as i64;
    let status = waited.map_err(|e| format!("waiting for {cmd:?}: {e}"))?;
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    if !status.success() {
        return Err(format!("{cmd:?} failed: {stderr}"));
    }
    Ok(Ran {
        seconds,
        max_rss_kb,
        stderr,
    })
}
