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
/// its `VmHWM`), and its stderr.
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
    // Not `wait4`'s `ru_maxrss`: Linux counts in it the memory of the process the child
    // was forked from (the bench, which may hold a whole keyset it loaded) as of the
    // fork. `VmHWM` is the high-water mark of the child's own memory since its exec;
    // it only grows, so its last sample before the exit misses at most the last 1 ms.
    // A thread samples it, so the wall time is the exit's, not the next sample's.
    let status_file = format!("/proc/{}/status", child.id());
    let done = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sampler = {
        let done = done.clone();
        std::thread::spawn(move || {
            let mut max_kb = 0;
            while !done.load(std::sync::atomic::Ordering::Relaxed) {
                if let Some(kb) = std::fs::read_to_string(&status_file)
                    .ok()
                    .as_deref()
                    .and_then(high_water_kb)
                {
                    max_kb = max_kb.max(kb);
                }
                std::thread::sleep(std::time::Duration::from_millis(1));
            }
            max_kb
        })
    };
    let mut child = child;
    let waited = child.wait();
    let seconds = started.elapsed().as_secs_f64();
    done.store(true, std::sync::atomic::Ordering::Relaxed);
    let max_rss_kb = sampler.join().unwrap_or(0);
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

/// The `VmHWM` of a `/proc/PID/status`, in KiB.
fn high_water_kb(status: &str) -> Option<i64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}
