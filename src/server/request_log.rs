//! The request log of `appctx serve`: one line per request (method, path, status,
//! milliseconds). A request appends its line to a shared buffer and goes on; a thread
//! of its own writes the buffer out when it holds [`BUFFER_BYTES`], at least every
//! [`FLUSH_EVERY`], when asked and when the log closes. A request never waits for the
//! terminal or wakes the thread for its own line (handing each line to a sleeping
//! thread cost a third of the server's throughput on point reads).

use std::fmt::Write as _;
use std::io::Write;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a written line waits in the buffer before it reaches the file or terminal.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// The buffer is written out once it holds this much.
const BUFFER_BYTES: usize = 64 * 1024;
/// Most bytes that may wait for the writer thread; past that lines are counted, not
/// kept, so a slow terminal can never hold up requests or grow memory.
const PENDING_BYTES: usize = 4 << 20;

/// What waits for the writer thread.
#[derive(Default)]
struct Pending {
    bytes: String,
    /// Lines not kept since the last write.
    dropped: u64,
    /// The writer was woken for a full buffer and has not taken it yet.
    woken: bool,
    /// The writer sleeps until a line comes (nothing was waiting).
    sleeping: bool,
    /// Flushes asked for, and flushes done (a flush is done when everything before
    /// it was written).
    flushes_asked: u64,
    flushes_done: u64,
    closed: bool,
    /// Buffers the writer has taken (to check that lines are not handed over one by one).
    batches: u64,
}

struct Shared {
    pending: Mutex<Pending>,
    /// Wakes the writer thread.
    work: Condvar,
    /// Wakes those waiting for a flush.
    flushed: Condvar,
}

impl Shared {
    fn lock(&self) -> std::sync::MutexGuard<'_, Pending> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Where the request lines go. Cloning the `Arc` shares one writer thread.
pub struct RequestLog {
    shared: Arc<Shared>,
    thread: Mutex<Option<JoinHandle<()>>>,
}

impl std::fmt::Debug for RequestLog {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RequestLog")
    }
}

impl RequestLog {
    /// A log to this process's stderr.
    pub fn stderr() -> Arc<RequestLog> {
        RequestLog::to_writer(Box::new(std::io::stderr()))
    }

    /// A log appended to `path` (created if missing).
    pub fn file(path: &Path) -> std::io::Result<Arc<RequestLog>> {
        let file = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(path)?;
        Ok(RequestLog::to_writer(Box::new(file)))
    }

    /// A log to any writer (tests, benchmarks).
    pub fn to_writer(out: Box<dyn Write + Send>) -> Arc<RequestLog> {
        let shared = Arc::new(Shared {
            pending: Mutex::new(Pending::default()),
            work: Condvar::new(),
            flushed: Condvar::new(),
        });
        let writer = shared.clone();
        let thread = std::thread::Builder::new()
            .name("appctx-request-log".into())
            .spawn(move || write_lines(&writer, out))
            .ok();
        Arc::new(RequestLog {
            shared,
            thread: Mutex::new(thread),
        })
    }

    /// Appends one line (without its newline). Never blocks on the output: when the
    /// writer is that far behind, the line is counted as dropped and the count is
    /// written as soon as it catches up.
    pub fn line(&self, line: String) {
        self.line_fmt(format_args!("{line}"));
    }

    /// [`RequestLog::line`], formatted straight into the buffer.
    pub fn line_fmt(&self, line: std::fmt::Arguments<'_>) {
        let mut p = self.shared.lock();
        if p.closed || p.bytes.len() >= PENDING_BYTES {
            p.dropped += 1;
            return;
        }
        let _ = p.bytes.write_fmt(line);
        p.bytes.push('\n');
        if p.sleeping {
            // The first line after a quiet spell starts the FLUSH_EVERY clock.
            p.sleeping = false;
            self.shared.work.notify_one();
        } else if p.bytes.len() >= BUFFER_BYTES && !p.woken {
            p.woken = true;
            self.shared.work.notify_one();
        }
    }

    /// Writes out everything logged so far (waits up to a second for the writer).
    pub fn flush(&self) {
        let deadline = Instant::now() + Duration::from_secs(1);
        let mut p = self.shared.lock();
        p.flushes_asked += 1;
        let asked = p.flushes_asked;
        self.shared.work.notify_one();
        while p.flushes_done < asked {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() || self.thread.lock().map_or(true, |t| t.is_none()) {
                return;
            }
            p = match self.shared.flushed.wait_timeout(p, left) {
                Ok((p, _)) => p,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        self.shared.lock().closed = true;
        self.shared.work.notify_one();
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
    }
}

fn write_lines(shared: &Shared, mut out: Box<dyn Write + Send>) {
    let mut spare = String::new();
    let mut p = shared.lock();
    loop {
        let closed = p.closed;
        let asked = p.flushes_asked;
        let dropped = std::mem::take(&mut p.dropped);
        std::mem::swap(&mut p.bytes, &mut spare);
        p.woken = false;
        p.batches += u64::from(!spare.is_empty());
        drop(p);
        if dropped > 0 {
            let _ = writeln!(
                out,
                "appctx serve: {dropped} request log lines dropped (the log could not keep up)"
            );
        }
        if !spare.is_empty() {
            let _ = out.write_all(spare.as_bytes());
            spare.clear();
        }
        let _ = out.flush();
        p = shared.lock();
        p.flushes_done = asked;
        shared.flushed.notify_all();
        if closed {
            return;
        }
        // Sleeps until the buffer is full, a flush is asked for or the log closes,
        // or (once a line waits) until FLUSH_EVERY has passed.
        let mut deadline: Option<Instant> = None;
        while !p.closed && p.flushes_asked == asked && !p.woken {
            if p.bytes.is_empty() && p.dropped == 0 {
                // Nothing waits: the next line wakes the thread.
                p.sleeping = true;
                p = shared.work.wait(p).unwrap_or_else(|e| e.into_inner());
                p.sleeping = false;
                continue;
            }
            let due = *deadline.get_or_insert_with(|| Instant::now() + FLUSH_EVERY);
            let left = due.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            p = match shared.work.wait_timeout(p, left) {
                Ok((p, _)) => p,
                Err(e) => e.into_inner().0,
            };
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A writer whose bytes and `write` calls the test can see.
    #[derive(Clone, Default)]
    struct Seen(Arc<Mutex<(Vec<u8>, usize)>>);

    impl Write for Seen {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            let mut s = self.0.lock().unwrap();
            s.0.extend_from_slice(buf);
            s.1 += 1;
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    #[test]
    fn lines_are_batched_into_few_writes_and_flushed_on_request() {
        let seen = Seen::default();
        let log = RequestLog::to_writer(Box::new(seen.clone()));
        for i in 0..1000 {
            log.line(format!("GET /x/{i} 200 0.1ms"));
        }
        log.flush();
        let (bytes, writes) = seen.0.lock().unwrap().clone();
        let text = String::from_utf8(bytes).unwrap();
        assert_eq!(text.lines().count(), 1000);
        assert!(text.ends_with("GET /x/999 200 0.1ms\n"));
        assert!(writes < 10, "{writes} writes for 1000 lines");
    }

    /// Requests append to a buffer the writer takes whole: a burst of lines is taken
    /// in a few buffers, not handed over (and the thread woken) line by line.
    #[test]
    fn a_burst_of_lines_is_taken_in_a_few_buffers() {
        let seen = Seen::default();
        let log = RequestLog::to_writer(Box::new(seen.clone()));
        for i in 0..10_000 {
            log.line_fmt(format_args!("GET /v2/objects/demo/uuids/u{i} 200 0.1ms"));
        }
        log.flush();
        let batches = log.shared.lock().batches;
        let text = String::from_utf8(seen.0.lock().unwrap().0.clone()).unwrap();
        assert_eq!(text.lines().count(), 10_000);
        assert!(batches <= 12, "{batches} buffers for 10,000 lines");
    }

    #[test]
    fn lines_reach_the_writer_without_a_flush_call() {
        let seen = Seen::default();
        let log = RequestLog::to_writer(Box::new(seen.clone()));
        log.line("GET /a 200 0.1ms".into());
        std::thread::sleep(FLUSH_EVERY * 3);
        assert_eq!(seen.0.lock().unwrap().0, b"GET /a 200 0.1ms\n");
        drop(log);
    }

    #[test]
    fn dropping_the_log_writes_what_was_queued() {
        let seen = Seen::default();
        let log = RequestLog::to_writer(Box::new(seen.clone()));
        log.line("GET /b 404 0.2ms".into());
        drop(log);
        assert_eq!(seen.0.lock().unwrap().0, b"GET /b 404 0.2ms\n");
    }
}

/// The path as the log shows it: a token in the path (`DELETE …/grant/{token}`, a
/// revoke) is a credential, so only its first 8 characters are kept.
pub fn loggable_path(path: &str) -> std::borrow::Cow<'_, str> {
    match path.find("/grant/") {
        Some(i) => {
            let at = i + "/grant/".len();
            let keep = path[at..]
                .char_indices()
                .nth(8)
                .map_or(path.len(), |(b, _)| at + b);
            if keep < path.len() {
                format!("{}…", &path[..keep]).into()
            } else {
                path.into()
            }
        }
        None => path.into(),
    }
}

#[cfg(test)]
mod path_tests {
    use super::loggable_path;

    #[test]
    fn a_revoked_token_is_not_written_whole_to_the_log() {
        let p = "/v3/pam/demo/grant/qEF2AkF0GmXXXXXXXXXXXXXXXXXXX";
        assert_eq!(loggable_path(p), "/v3/pam/demo/grant/qEF2AkF0…");
        assert_eq!(
            loggable_path("/v2/objects/demo/uuids/u1"),
            "/v2/objects/demo/uuids/u1"
        );
    }
}
