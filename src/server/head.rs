//! Every request head is looked at before hyper parses it, so that what hyper would
//! refuse with a bare status and an empty body is answered in PubNub's error envelope
//! like every other rejection: a request line over [`MAX_REQUEST_LINE`] (`414`), a head
//! over [`MAX_HEAD`] or with more than [`MAX_HEADERS`] headers (`431`), and a malformed
//! head — a `Content-Length` that is not one number, `Content-Length` together with
//! `Transfer-Encoding`, a `Transfer-Encoding` that does not end in `chunked`, bytes that
//! are not HTTP (`400`).
//!
//! [`Inspected`] sits between the socket and hyper. It holds back the bytes of a
//! request head until the whole head has arrived, checks it with `httparse` (the parser
//! hyper uses, with hyper's header count), and then hands it to hyper, followed by
//! exactly `Content-Length` body bytes before it looks at the next head; so pipelined
//! and kept-alive requests are each checked. A chunked body is not counted: the rest of
//! such a connection goes to hyper unchecked.
//!
//! A head that fails is never given to hyper. Hyper gets a stand-in request instead,
//! `GET /<marker>/<code>` with `Connection: close`, which [`Marker::rejection`]
//! recognises in front of the app; so the envelope is answered in order, after the
//! answers to earlier pipelined requests, with hyper's own framing (`Content-Length`)
//! and `Connection: close`. Nothing the client sends after a bad head reaches hyper;
//! when hyper shuts the connection down, the rest is read and dropped for a while
//! (at most [`LINGER_BYTES`], within the header timeout) so that closing the socket
//! with unread bytes does not reset the connection before the client has read the
//! answer.
//!
//! hyper's own limits stay above these (a 400 KiB read buffer, 64 KiB URIs, 100
//! headers), so the checks here decide.

use std::future::Future;
use std::io;
use std::mem::MaybeUninit;
use std::pin::Pin;
use std::sync::Arc;
use std::task::{ready, Context, Poll};
use std::time::Duration;

use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};

use super::error::{ApiError, INVALID_PARAMS};
use crate::api::types::ErrorDetail;

/// Longest request line (method, path and query, version, line end): more is a `414`.
pub const MAX_REQUEST_LINE: usize = 64 * 1024;
/// Longest request head (request line and headers, up to the empty line): more is a
/// `431`.
pub const MAX_HEAD: usize = 256 * 1024;
/// Most headers in a request (hyper's limit): more is a `431`.
pub const MAX_HEADERS: usize = 100;
/// Most bytes read and dropped after a rejected head.
pub const LINGER_BYTES: usize = 16 << 20;

/// The first read buffer of a connection; it grows, up to [`MAX_HEAD`] + 1 bytes, only
/// for a head that does not fit.
const FIRST_BUFFER: usize = 8 * 1024;

/// Why a request head was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The request line is over [`MAX_REQUEST_LINE`].
    UriTooLong,
    /// The head is over [`MAX_HEAD`].
    HeadTooLarge,
    /// More than [`MAX_HEADERS`] headers.
    TooManyHeaders,
    /// `Content-Length` is not one non-negative decimal number (or repeated with
    /// another value).
    ContentLength,
    /// Both `Content-Length` and `Transfer-Encoding`.
    LengthAndEncoding,
    /// `Transfer-Encoding` that does not end in `chunked`, or in an HTTP/1.0 request.
    TransferEncoding,
    /// The method is not an HTTP token.
    Method,
    /// The request target is not a URI.
    Uri,
    /// A header name that is not an HTTP token.
    HeaderName,
    /// A header value with bytes a header value cannot hold.
    HeaderValue,
    /// A line that does not end in CRLF (or LF), or anything else that is not HTTP.
    Malformed,
    /// A version other than HTTP/1.0 or HTTP/1.1.
    Version,
}

impl Rejection {
    const ALL: [Rejection; 12] = [
        Rejection::UriTooLong,
        Rejection::HeadTooLarge,
        Rejection::TooManyHeaders,
        Rejection::ContentLength,
        Rejection::LengthAndEncoding,
        Rejection::TransferEncoding,
        Rejection::Method,
        Rejection::Uri,
        Rejection::HeaderName,
        Rejection::HeaderValue,
        Rejection::Malformed,
        Rejection::Version,
    ];

    fn code(self) -> usize {
        Self::ALL.iter().position(|r| *r == self).unwrap_or(0)
    }

    fn from_httparse(e: httparse::Error, method_parsed: bool) -> Self {
        match e {
            httparse::Error::TooManyHeaders => Rejection::TooManyHeaders,
            httparse::Error::HeaderName => Rejection::HeaderName,
            httparse::Error::HeaderValue => Rejection::HeaderValue,
            httparse::Error::Version => Rejection::Version,
            httparse::Error::Token if !method_parsed => Rejection::Method,
            httparse::Error::Token => Rejection::Uri,
            _ => Rejection::Malformed,
        }
    }

    /// The answer, in PubNub's envelope.
    pub fn error(self) -> ApiError {
        let (status, message, location, kind, detail) = match self {
            Rejection::UriTooLong => (
                StatusCode::URI_TOO_LONG,
                "Request URI is too long.",
                "uri",
                "path",
                format!("The request line may be at most {MAX_REQUEST_LINE} bytes."),
            ),
            Rejection::HeadTooLarge => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request headers are too large.",
                "headers",
                "header",
                format!("The request line and headers may be at most {MAX_HEAD} bytes."),
            ),
            Rejection::TooManyHeaders => (
                StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE,
                "Request headers are too large.",
                "headers",
                "header",
                format!("A request may have at most {MAX_HEADERS} headers."),
            ),
            Rejection::ContentLength => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "Content-Length",
                "header",
                "Content-Length must be one non-negative decimal number (repeated only with the same value).".to_string(),
            ),
            Rejection::LengthAndEncoding => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "Transfer-Encoding",
                "header",
                "A request may not have both Content-Length and Transfer-Encoding.".to_string(),
            ),
            Rejection::TransferEncoding => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "Transfer-Encoding",
                "header",
                "Transfer-Encoding must end in chunked, in an HTTP/1.1 request.".to_string(),
            ),
            Rejection::Method => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "method",
                "path",
                "The method is not a valid HTTP method.".to_string(),
            ),
            Rejection::Uri => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "path",
                "path",
                "The request target is not a valid URI: characters outside the URI set must be percent-encoded.".to_string(),
            ),
            Rejection::HeaderName => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "headers",
                "header",
                "A header name is not a valid HTTP token.".to_string(),
            ),
            Rejection::HeaderValue => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "headers",
                "header",
                "A header value holds a byte a header value cannot hold.".to_string(),
            ),
            Rejection::Malformed => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "headers",
                "header",
                "The request head is not valid HTTP/1.1.".to_string(),
            ),
            Rejection::Version => (
                StatusCode::BAD_REQUEST,
                INVALID_PARAMS,
                "version",
                "path",
                "Only HTTP/1.0 and HTTP/1.1 are served.".to_string(),
            ),
        };
        ApiError {
            status,
            message: message.to_string(),
            details: vec![ErrorDetail {
                message: detail,
                location: location.to_string(),
                location_type: kind.to_string(),
            }],
        }
    }

    /// The envelope, with `Connection: close`.
    pub fn response(self) -> Response {
        let mut res = self.error().into_response();
        res.headers_mut()
            .insert(header::CONNECTION, HeaderValue::from_static("close"));
        res
    }
}

/// The path prefix of the stand-in request for a rejected head: random for each
/// server, so no client can send it.
#[derive(Clone, Debug)]
pub struct Marker(Arc<str>);

impl Marker {
    /// A new random marker.
    pub fn new() -> Self {
        Marker(format!("/{:032x}/", rand::random::<u128>()).into())
    }

    /// The rejection a stand-in request's `path` stands for, if it is one.
    pub fn rejection(&self, path: &str) -> Option<Rejection> {
        let code = path.strip_prefix(&*self.0)?;
        Rejection::ALL.get(code.parse::<usize>().ok()?).copied()
    }

    fn stand_in(&self, r: Rejection) -> Vec<u8> {
        format!(
            "GET {}{} HTTP/1.1\r\nconnection: close\r\n\r\n",
            self.0,
            r.code()
        )
        .into_bytes()
    }
}

impl Default for Marker {
    fn default() -> Self {
        Self::new()
    }
}

/// What the next bytes from the client are.
enum State {
    /// A request head.
    Head,
    /// This many more body bytes of the request just handed on.
    Body(u64),
    /// A chunked body: from here on everything goes to hyper unchecked.
    Unchecked,
    /// A head was refused: hyper gets `stand_in` (from `sent` on), the client's
    /// bytes are dropped.
    Rejected {
        stand_in: Vec<u8>,
        sent: usize,
        dropped: usize,
        linger: Option<Pin<Box<tokio::time::Sleep>>>,
        shut: bool,
    },
}

/// A connection whose request heads are checked before hyper sees them (see the
/// module documentation).
pub struct Inspected<S> {
    io: S,
    /// Bytes read: `buf[start..end]` are not yet handed to hyper.
    buf: Vec<u8>,
    start: usize,
    end: usize,
    /// The first `released` bytes of `buf[start..end]` are checked and go to hyper.
    released: usize,
    /// How far the pending head has been searched for its end (0: not at all).
    scanned: usize,
    /// Whether the pending head's request line has ended.
    line_seen: bool,
    /// The client closed its side.
    eof: bool,
    state: State,
    marker: Marker,
    linger: Duration,
}

impl<S> Inspected<S> {
    /// Checks the requests arriving on `io`; a refused head is replaced by `marker`'s
    /// stand-in, and the connection then lingers for at most `linger` when hyper shuts
    /// it down.
    pub fn new(io: S, marker: Marker, linger: Duration) -> Self {
        Inspected {
            io,
            buf: vec![0; FIRST_BUFFER],
            start: 0,
            end: 0,
            released: 0,
            scanned: 0,
            line_seen: false,
            eof: false,
            state: State::Head,
            marker,
            linger,
        }
    }

    fn reject(&mut self, r: Rejection) {
        tracing::debug!("request head refused: {r:?}");
        self.start = 0;
        self.end = 0;
        self.released = 0;
        self.state = State::Rejected {
            stand_in: self.marker.stand_in(r),
            sent: 0,
            dropped: 0,
            linger: None,
            shut: false,
        };
    }

    /// Looks at the pending bytes as a request head: `Ok(Some((length, next state)))`
    /// for a whole good head, `Ok(None)` when more bytes are needed.
    fn inspect(&mut self) -> Result<Option<(usize, State)>, Rejection> {
        // Empty lines before a request line are allowed, and dropped (as hyper does).
        if self.scanned == 0 {
            loop {
                let pending = &self.buf[self.start..self.end];
                match pending {
                    [b'\n', ..] => self.start += 1,
                    [b'\r', b'\n', ..] => self.start += 2,
                    [b'\r'] | [] => return Ok(None),
                    _ => break,
                }
            }
        }
        let pending = &self.buf[self.start..self.end];
        let complete = if self.scanned == 0 {
            // Most heads arrive whole in one read: parse at once.
            true
        } else {
            // A head arriving in pieces: parse only once its end is there.
            let from = self.scanned.saturating_sub(2);
            pending[from..].windows(2).enumerate().any(|(i, w)| {
                w[0] == b'\n'
                    && (w[1] == b'\n'
                        || (w[1] == b'\r' && pending.get(from + i + 2) == Some(&b'\n')))
            })
        };
        if complete {
            if let Some(found) = check_head(pending)? {
                return Ok(Some(found));
            }
        }
        // Not whole yet.
        if !self.line_seen {
            if let Some(i) = pending[self.scanned..].iter().position(|&b| b == b'\n') {
                self.line_seen = true;
                if self.scanned + i + 1 > MAX_REQUEST_LINE {
                    return Err(Rejection::UriTooLong);
                }
            }
        }
        self.scanned = pending.len();
        if !self.line_seen && pending.len() > MAX_REQUEST_LINE {
            return Err(Rejection::UriTooLong);
        }
        if pending.len() > MAX_HEAD {
            return Err(Rejection::HeadTooLarge);
        }
        Ok(None)
    }
}

/// Checks a request head that may be complete: `Ok(None)` if it is not.
fn check_head(bytes: &[u8]) -> Result<Option<(usize, State)>, Rejection> {
    let mut headers = [const { MaybeUninit::<httparse::Header<'_>>::uninit() }; MAX_HEADERS];
    let mut req = httparse::Request::new(&mut []);
    let len = match req.parse_with_uninit_headers(bytes, &mut headers) {
        Ok(httparse::Status::Complete(len)) => len,
        Ok(httparse::Status::Partial) => return Ok(None),
        Err(e) => return Err(Rejection::from_httparse(e, req.method.is_some())),
    };
    let Some(path) = req.path else {
        return Err(Rejection::Malformed);
    };
    // The request line ends after " HTTP/1.x" and CRLF or LF.
    let path_end = path.as_ptr() as usize - bytes.as_ptr() as usize + path.len();
    let line = path_end
        + bytes[path_end..len]
            .iter()
            .position(|&b| b == b'\n')
            .map_or(0, |i| i + 1);
    if line > MAX_REQUEST_LINE {
        return Err(Rejection::UriTooLong);
    }
    if len > MAX_HEAD {
        return Err(Rejection::HeadTooLarge);
    }
    if !uri_ok(path.as_bytes()) {
        return Err(Rejection::Uri);
    }
    let mut length: Option<u64> = None;
    let mut encoding: Option<&[u8]> = None;
    for h in req.headers.iter() {
        if h.name.len() >= 1 << 16 {
            return Err(Rejection::HeadTooLarge);
        }
        if h.name.len() == 14 && h.name.eq_ignore_ascii_case("content-length") {
            let n = digits(h.value).ok_or(Rejection::ContentLength)?;
            if length.is_some_and(|prev| prev != n) {
                return Err(Rejection::ContentLength);
            }
            length = Some(n);
        } else if h.name.len() == 17 && h.name.eq_ignore_ascii_case("transfer-encoding") {
            encoding = Some(h.value);
        }
    }
    let next = match (length, encoding) {
        (Some(_), Some(_)) => return Err(Rejection::LengthAndEncoding),
        (None, Some(te)) => {
            if req.version != Some(1) || !ends_in_chunked(te) {
                return Err(Rejection::TransferEncoding);
            }
            State::Unchecked
        }
        (Some(n), None) if n > 0 => State::Body(n),
        _ => State::Head,
    };
    Ok(Some((len, next)))
}

/// A `Content-Length` value: decimal digits only (no sign, no spaces, no list), within
/// what hyper takes.
fn digits(value: &[u8]) -> Option<u64> {
    if value.is_empty() {
        return None;
    }
    let mut n: u64 = 0;
    for &b in value {
        if !b.is_ascii_digit() {
            return None;
        }
        n = n.checked_mul(10)?.checked_add(u64::from(b - b'0'))?;
    }
    // hyper's largest length (`u64::MAX - 2`; the two above mean "chunked", "until close").
    (n <= u64::MAX - 2).then_some(n)
}

/// Whether the last coding of a `Transfer-Encoding` value is `chunked` (as hyper reads
/// it).
fn ends_in_chunked(value: &[u8]) -> bool {
    std::str::from_utf8(value).is_ok_and(|s| {
        s.bytes().all(|b| (0x20..0x7f).contains(&b) || b == b'\t')
            && s.rsplit(',')
                .next()
                .is_some_and(|c| c.trim().eq_ignore_ascii_case("chunked"))
    })
}

/// Whether hyper (the `http` crate) takes `target` as a URI. Paths of the characters
/// valid in both a path and a query are checked here; anything else by `http` itself.
fn uri_ok(target: &[u8]) -> bool {
    let plain = target.first() == Some(&b'/')
        && target
            .iter()
            .all(|&b| matches!(b, 0x21 | 0x24..=0x3B | 0x3D | 0x3F..=0x5F | 0x61..=0x7E));
    plain || axum::http::Uri::try_from(target).is_ok()
}

impl<S: AsyncRead + Unpin> Inspected<S> {
    /// Reads from the client into `buf[end..]`, making room first.
    fn poll_fill(&mut self, cx: &mut Context<'_>) -> Poll<io::Result<usize>> {
        if self.end == self.buf.len() {
            if self.start > 0 {
                self.buf.copy_within(self.start..self.end, 0);
                self.end -= self.start;
                self.start = 0;
            } else {
                let grown = (self.buf.len() * 2).min(MAX_HEAD + 1).max(self.buf.len());
                self.buf.resize(grown, 0);
            }
        }
        if self.end == self.buf.len() {
            // Full at the largest size: only a rejected connection's dropped bytes.
            self.start = 0;
            self.end = 0;
        }
        let mut rb = ReadBuf::new(&mut self.buf[self.end..]);
        ready!(Pin::new(&mut self.io).poll_read(cx, &mut rb))?;
        let n = rb.filled().len();
        self.end += n;
        Poll::Ready(Ok(n))
    }

    /// Reads and drops what the client sends after a refused head, at most
    /// [`LINGER_BYTES`]: `Ready` once the client closed (or sent too much), `Pending`
    /// while it might send more.
    fn poll_drop_input(&mut self, cx: &mut Context<'_>) -> Poll<()> {
        loop {
            let State::Rejected { dropped, .. } = &self.state else {
                return Poll::Ready(());
            };
            if self.eof || *dropped >= LINGER_BYTES {
                return Poll::Ready(());
            }
            self.start = 0;
            self.end = 0;
            match ready!(self.poll_fill(cx)) {
                Ok(0) | Err(_) => self.eof = true,
                Ok(n) => {
                    if let State::Rejected { dropped, .. } = &mut self.state {
                        *dropped += n;
                    }
                }
            }
            self.start = 0;
            self.end = 0;
        }
    }
}

impl<S: AsyncRead + Unpin> AsyncRead for Inspected<S> {
    fn poll_read(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        out: &mut ReadBuf<'_>,
    ) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        if out.remaining() == 0 {
            // Nothing fits (hyper never asks so): reading into it would look like EOF.
            return Poll::Ready(Ok(()));
        }
        loop {
            if this.released > 0 {
                let n = this.released.min(out.remaining());
                out.put_slice(&this.buf[this.start..this.start + n]);
                this.start += n;
                this.released -= n;
                if this.start == this.end {
                    this.start = 0;
                    this.end = 0;
                }
                return Poll::Ready(Ok(()));
            }
            match &mut this.state {
                State::Rejected { stand_in, sent, .. } => {
                    if *sent < stand_in.len() {
                        let n = (stand_in.len() - *sent).min(out.remaining());
                        out.put_slice(&stand_in[*sent..*sent + n]);
                        *sent += n;
                        return Poll::Ready(Ok(()));
                    }
                    // hyper has the stand-in; it answers and shuts down without
                    // needing more. Keep reading (and dropping) so the client is not
                    // blocked writing, but never tell hyper the client left: that would
                    // cut the answer off.
                    let _ = this.poll_drop_input(cx);
                    return Poll::Pending;
                }
                State::Body(remaining) => {
                    let pending = this.end - this.start;
                    if pending > 0 {
                        let n = (*remaining).min(pending as u64);
                        *remaining -= n;
                        this.released = n as usize;
                        if *remaining == 0 {
                            this.state = State::Head;
                        }
                        continue;
                    }
                    if this.eof {
                        return Poll::Ready(Ok(()));
                    }
                    if out.remaining() as u64 <= *remaining {
                        // Straight into hyper's buffer: no copy for large bodies.
                        let before = out.filled().len();
                        ready!(Pin::new(&mut this.io).poll_read(cx, out))?;
                        let n = (out.filled().len() - before) as u64;
                        if n == 0 {
                            this.eof = true;
                        }
                        *remaining -= n;
                        if *remaining == 0 {
                            this.state = State::Head;
                        }
                        return Poll::Ready(Ok(()));
                    }
                    if ready!(this.poll_fill(cx))? == 0 {
                        this.eof = true;
                    }
                }
                State::Unchecked => {
                    let pending = this.end - this.start;
                    if pending > 0 {
                        this.released = pending;
                        continue;
                    }
                    return Pin::new(&mut this.io).poll_read(cx, out);
                }
                State::Head => {
                    if this.start < this.end {
                        match this.inspect() {
                            Ok(Some((len, next))) => {
                                this.released = len;
                                this.scanned = 0;
                                this.line_seen = false;
                                this.state = next;
                                continue;
                            }
                            Ok(None) => {}
                            Err(r) => {
                                this.reject(r);
                                continue;
                            }
                        }
                    }
                    if this.eof {
                        // A partial head and then the end: nothing for hyper (it would
                        // not answer one either).
                        return Poll::Ready(Ok(()));
                    }
                    if ready!(this.poll_fill(cx))? == 0 {
                        this.eof = true;
                    }
                }
            }
        }
    }
}

impl<S: AsyncRead + AsyncWrite + Unpin> AsyncWrite for Inspected<S> {
    fn poll_write(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        data: &[u8],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write(cx, data)
    }

    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut self.get_mut().io).poll_write_vectored(cx, bufs)
    }

    fn is_write_vectored(&self) -> bool {
        self.io.is_write_vectored()
    }

    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut self.get_mut().io).poll_flush(cx)
    }

    /// After a refused head: the answer is out, so send FIN, then read and drop what
    /// the client still sends until it closes, [`LINGER_BYTES`] or the linger time.
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        let this = self.get_mut();
        let linger_for = this.linger;
        let State::Rejected { shut, linger, .. } = &mut this.state else {
            return Pin::new(&mut this.io).poll_shutdown(cx);
        };
        if !*shut {
            let _ = ready!(Pin::new(&mut this.io).poll_shutdown(cx));
            *shut = true;
        }
        let timer = linger.get_or_insert_with(|| Box::pin(tokio::time::sleep(linger_for)));
        if timer.as_mut().poll(cx).is_ready() {
            return Poll::Ready(Ok(()));
        }
        ready!(this.poll_drop_input(cx));
        Poll::Ready(Ok(()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check(head: &str) -> Result<Option<usize>, Rejection> {
        check_head(head.as_bytes()).map(|r| {
            r.map(|(len, state)| {
                assert_eq!(len, head.len());
                match state {
                    State::Head => 0,
                    State::Body(n) => n as usize,
                    State::Unchecked => usize::MAX,
                    State::Rejected { .. } => unreachable!(),
                }
            })
        })
    }

    #[test]
    fn content_lengths() {
        let h = |cl: &str| format!("POST /x HTTP/1.1\r\nHost: a\r\n{cl}\r\n\r\n");
        assert_eq!(check(&h("Content-Length: 12")), Ok(Some(12)));
        assert_eq!(check(&h("content-length: 0")), Ok(Some(0)));
        assert_eq!(
            check(&h("Content-Length: 3\r\nContent-Length: 3")),
            Ok(Some(3))
        );
        for bad in [
            "Content-Length: -1",
            "Content-Length: abc",
            "Content-Length: +3",
            "Content-Length: 3, 3",
            "Content-Length: ",
            "Content-Length: 18446744073709551615",
            "Content-Length: 99999999999999999999999",
            "Content-Length: 3\r\nContent-Length: 4",
        ] {
            assert_eq!(check(&h(bad)), Err(Rejection::ContentLength), "{bad}");
        }
        assert_eq!(
            check(&h("Content-Length: 3\r\nTransfer-Encoding: chunked")),
            Err(Rejection::LengthAndEncoding)
        );
        assert_eq!(
            check(&h("Transfer-Encoding: chunked")),
            Ok(Some(usize::MAX))
        );
        assert_eq!(
            check(&h("Transfer-Encoding: gzip")),
            Err(Rejection::TransferEncoding)
        );
        assert_eq!(
            check("POST /x HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n"),
            Err(Rejection::TransferEncoding)
        );
    }

    #[test]
    fn malformed_heads() {
        assert_eq!(check("GET /x HTTP/1.1\r\nHost: a\r\n"), Ok(None));
        assert_eq!(check("GET /x HTTP/1.1\n\n"), Ok(Some(0)));
        assert_eq!(check("G(T /x HTTP/1.1\r\n\r\n"), Err(Rejection::Method));
        assert_eq!(check("GET /<x> HTTP/1.1\r\n\r\n"), Err(Rejection::Uri));
        assert_eq!(check("GET /x HTTP/2.0\r\n\r\n"), Err(Rejection::Version));
        assert_eq!(
            check("GET /x HTTP/1.1\r\nBad Name: 1\r\n\r\n"),
            Err(Rejection::HeaderName)
        );
        let many: String = (0..=MAX_HEADERS).map(|i| format!("X-{i}: 1\r\n")).collect();
        assert_eq!(
            check(&format!("GET /x HTTP/1.1\r\n{many}\r\n")),
            Err(Rejection::TooManyHeaders)
        );
        // What the fast path lets through, `http` takes too.
        assert_eq!(
            check("GET /v2/objects/k/uuids?filter=name%20LIKE%20%22a*%22&x={}|~ HTTP/1.1\r\n\r\n"),
            Ok(Some(0))
        );
        assert_eq!(check("GET /caf\u{e9} HTTP/1.1\r\n\r\n"), Ok(Some(0)));
        assert_eq!(
            check("GET /x?a=\"b\" HTTP/1.1\r\n\r\n"),
            Err(Rejection::Uri)
        );
    }

    #[test]
    fn stand_ins_round_trip() {
        let m = Marker::new();
        for r in Rejection::ALL {
            let head = String::from_utf8(m.stand_in(r)).expect("ascii");
            let path = head.split(' ').nth(1).expect("path");
            assert_eq!(m.rejection(path), Some(r));
            assert_eq!(Marker::new().rejection(path), None);
        }
        assert_eq!(m.rejection("/v2/objects/k/uuids"), None);
    }
}
