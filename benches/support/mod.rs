//! What several benches share: the shipped `appctx serve` as a child process, and a
//! shipped command timed with its peak memory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::Instant;

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

/// How a command ran: wall seconds, its peak resident memory (KiB, the process's own,
/// from `wait4`), and its stderr.
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
    let pid = child.id() as libc::pid_t;
    let mut status = 0;
    // SAFETY: an all-zero rusage is a valid value for wait4 to overwrite.
    let mut usage: libc::rusage = unsafe { std::mem::zeroed() };
    // SAFETY: `pid` is our own child, not waited for yet; both pointers are valid.
    let waited = unsafe { libc::wait4(pid, &mut status, 0, &mut usage) };
    let seconds = started.elapsed().as_secs_f64();
    // The child was reaped by wait4: dropping the handle does not wait again.
    drop(child);
    let stderr = std::fs::read_to_string(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&err_path);
    if waited != pid {
        return Err(format!("wait4 failed for {cmd:?}"));
    }
    if !(libc::WIFEXITED(status) && libc::WEXITSTATUS(status) == 0) {
        return Err(format!("{cmd:?} failed: {stderr}"));
    }
    Ok(Ran {
        seconds,
        max_rss_kb: usage.ru_maxrss,
        stderr,
    })
}
