//! The request log of `appctx serve`: one line per request (method, path, status,
//! milliseconds), written by a thread of its own so that a request only formats its
//! line and hands it over. The thread writes through a buffer: one `write` per buffer
//! full, flushed at least every [`FLUSH_EVERY`], when asked and when the log closes.

use std::io::Write;
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{sync_channel, Receiver, RecvTimeoutError, SyncSender, TrySendError};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Longest a written line waits in the buffer before it reaches the file or terminal.
pub const FLUSH_EVERY: Duration = Duration::from_millis(200);
/// Lines that may wait for the writer thread; past that they are counted, not kept,
/// so a slow terminal can never hold up requests or grow memory.
const QUEUE_LINES: usize = 16_384;
const BUFFER_BYTES: usize = 64 * 1024;

enum Msg {
    Line(String),
    Flush(SyncSender<()>),
}

/// Where the request lines go. Cloning the `Arc` shares one writer thread.
pub struct RequestLog {
    tx: SyncSender<Msg>,
    dropped: Arc<AtomicU64>,
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
        let (tx, rx) = sync_channel(QUEUE_LINES);
        let dropped = Arc::new(AtomicU64::new(0));
        let counter = dropped.clone();
        let thread = std::thread::Builder::new()
            .name("appctx-request-log".into())
            .spawn(move || write_lines(rx, out, &counter))
            .ok();
        Arc::new(RequestLog {
            tx,
            dropped,
            thread: Mutex::new(thread),
        })
    }

    /// Hands one line (without its newline) to the writer thread. Never blocks: when
    /// the writer is that far behind, the line is counted as dropped and the count is
    /// written as soon as it catches up.
    pub fn line(&self, mut line: String) {
        line.push('\n');
        match self.tx.try_send(Msg::Line(line)) {
            Ok(()) => {}
            Err(TrySendError::Full(_)) | Err(TrySendError::Disconnected(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// Writes out everything logged so far (waits up to a second for the writer).
    pub fn flush(&self) {
        let (ack, done) = sync_channel(1);
        if self.tx.send(Msg::Flush(ack)).is_ok() {
            let _ = done.recv_timeout(Duration::from_secs(1));
        }
    }
}

impl Drop for RequestLog {
    fn drop(&mut self) {
        // The sender goes with `self`; the thread writes what is queued and ends.
        let (tx, _) = sync_channel(0);
        drop(std::mem::replace(&mut self.tx, tx));
        if let Some(thread) = self.thread.lock().ok().and_then(|mut t| t.take()) {
            let _ = thread.join();
        }
    }
}

fn write_lines(rx: Receiver<Msg>, out: Box<dyn Write + Send>, dropped: &AtomicU64) {
    let mut out = std::io::BufWriter::with_capacity(BUFFER_BYTES, out);
    let mut dirty_since: Option<Instant> = None;
    loop {
        let wait = match dirty_since {
            Some(t) => FLUSH_EVERY.saturating_sub(t.elapsed()),
            None => Duration::from_secs(3600),
        };
        match rx.recv_timeout(wait) {
            Ok(Msg::Line(line)) => {
                let lost = dropped.swap(0, Ordering::Relaxed);
                if lost > 0 {
                    let _ = writeln!(
                        out,
                        "appctx serve: {lost} request log lines dropped (the log could not keep up)"
                    );
                }
                let _ = out.write_all(line.as_bytes());
                let since = *dirty_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= FLUSH_EVERY {
                    let _ = out.flush();
                    dirty_since = None;
                }
            }
            Ok(Msg::Flush(ack)) => {
                let _ = out.flush();
                dirty_since = None;
                let _ = ack.send(());
            }
            Err(RecvTimeoutError::Timeout) => {
                let _ = out.flush();
                dirty_since = None;
            }
            Err(RecvTimeoutError::Disconnected) => {
                let _ = out.flush();
                return;
            }
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
pub fn loggable_path(path: &str) -> String {
    match path.find("/grant/") {
        Some(i) => {
            let at = i + "/grant/".len();
            let keep = path[at..]
                .char_indices()
                .nth(8)
                .map_or(path.len(), |(b, _)| at + b);
            if keep < path.len() {
                format!("{}…", &path[..keep])
            } else {
                path.to_string()
            }
        }
        None => path.to_string(),
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
