//! Accepting connections with bounds, so no client can hold the server by holding
//! sockets: at most [`Limits::max_connections`] at once (more are closed at once), and
//! a connection that has not sent a whole request head within
//! [`Limits::header_timeout`] is closed. That clock also runs while a kept-alive
//! connection waits for its next request, so it is the idle timeout as well
//! (slowloris: 2,000 connections dripping a header byte a second were all held).
//!
//! Each connection's request heads are checked before hyper parses them
//! ([`super::head`]), so a head hyper would refuse with a bare status is answered in
//! PubNub's error envelope instead.

use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use axum::response::Response;
use axum::Router;
use hyper::body::Incoming;
use hyper::server::conn::http1;
use hyper_util::rt::{TokioIo, TokioTimer};
use tokio::net::TcpListener;
use tokio::sync::Semaphore;

use super::guard::Front;
use super::head::{Inspected, Marker};
use super::Limits;

/// The app behind [`Front`], with the stand-in requests of refused heads answered in
/// front of both.
struct Guarded {
    app: Router,
    front: Arc<Front>,
    marker: Marker,
}

impl hyper::service::Service<hyper::Request<Incoming>> for Guarded {
    type Response = Response;
    type Error = Infallible;
    type Future = Pin<Box<dyn Future<Output = Result<Response, Infallible>> + Send>>;

    fn call(&self, req: hyper::Request<Incoming>) -> Self::Future {
        if let Some(r) = self.marker.rejection(req.uri().path()) {
            let res = r.response();
            return Box::pin(async move { Ok(res) });
        }
        let (app, front) = (self.app.clone(), self.front.clone());
        Box::pin(async move { Ok(front.answer(app, req.map(axum::body::Body::new)).await) })
    }
}

/// Serves `app`, behind `front`, on `listener` until the task is aborted.
pub async fn serve(listener: TcpListener, app: Router, front: Front, limits: &Limits) {
    let front = Arc::new(front);
    let slots = Arc::new(Semaphore::new(limits.max_connections));
    let header_timeout = limits.header_timeout;
    let marker = Marker::new();
    loop {
        let (stream, _peer) = match listener.accept().await {
            Ok(s) => s,
            Err(e) => {
                // Out of file descriptors and the like: wait instead of spinning.
                tracing::warn!("accept failed: {e}");
                tokio::time::sleep(Duration::from_millis(50)).await;
                continue;
            }
        };
        let Ok(slot) = slots.clone().try_acquire_owned() else {
            // Over the cap: closed at once rather than queued behind the others.
            drop(stream);
            continue;
        };
        let _ = stream.set_nodelay(true);
        let service = Guarded {
            app: app.clone(),
            front: front.clone(),
            marker: marker.clone(),
        };
        let io = Inspected::new(stream, marker.clone(), header_timeout);
        tokio::spawn(async move {
            let _slot = slot;
            // hyper's limits (a 400 KiB head buffer, 100 headers) stay at their
            // defaults, above those of `head`, so `head` decides.
            let conn = http1::Builder::new()
                .timer(TokioTimer::new())
                .header_read_timeout(header_timeout)
                .serve_connection(TokioIo::new(io), service);
            if let Err(e) = conn.await {
                tracing::debug!("connection ended: {e}");
            }
        });
    }
}
