//! A process's peak memory, measured one way for the benches and the tests: its
//! `VmHWM` (the high-water mark of its own memory since its exec, which only grows),
//! read by a thread at a fixed interval until the caller says the process has ended.
//!
//! Not `wait4`'s `ru_maxrss`: Linux counts in it the memory of the process the child
//! was forked from (a bench or test process, which may hold a whole keyset) as of the
//! fork. The last reading comes at most one interval before the exit. The tests read
//! every 100 µs, so a command that lives a few milliseconds is read dozens of times
//! (every 2 ms once read a one-record import at 3.6 MB of its 11.7); the benches every
//! millisecond, so the sampler takes little CPU from the command they time.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::thread::JoinHandle;
use std::time::Duration;

/// Samples the `VmHWM` of one process until [`PeakSampler::stop`].
pub struct PeakSampler {
    done: Arc<AtomicBool>,
    thread: JoinHandle<u64>,
}

impl PeakSampler {
    /// Starts sampling process `pid` every `every`.
    pub fn start(pid: u32, every: Duration) -> PeakSampler {
        let status_file = format!("/proc/{pid}/status");
        let done = Arc::new(AtomicBool::new(false));
        let thread = {
            let done = done.clone();
            std::thread::spawn(move || {
                let mut peak = 0;
                while !done.load(Ordering::Relaxed) {
                    if let Some(kib) = std::fs::read_to_string(&status_file)
                        .ok()
                        .as_deref()
                        .and_then(high_water_kib)
                    {
                        peak = peak.max(kib);
                    }
                    std::thread::sleep(every);
                }
                peak
            })
        };
        PeakSampler { done, thread }
    }

    /// The peak seen, in KiB; call once the process has exited (been waited for).
    pub fn stop(self) -> u64 {
        self.done.store(true, Ordering::Relaxed);
        self.thread.join().unwrap_or(0)
    }
}

/// The `VmHWM` of a `/proc/PID/status`, in KiB.
fn high_water_kib(status: &str) -> Option<u64> {
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|n| n.parse().ok())
}
