//! Reading what is left of a request body the handler did not read.
//!
//! A request refused before its body is read (too large, no key) leaves the
//! client still sending. If the server closed the connection on it, the
//! client's next write would meet a reset and it would report a broken pipe,
//! never the problem details that say what to fix. So the answer goes out at
//! once, and the rest of the body is read and thrown away behind it, within
//! bounds, as a web server's lingering close does.

use std::pin::Pin;
use std::sync::{Arc, Mutex};
use std::task::{Context, Poll};
use std::time::Duration;

use axum::body::{Body, Bytes, HttpBody};
use axum::extract::Request;
use axum::http::header;
use axum::middleware::Next;
use axum::response::Response;
use http_body::{Frame, SizeHint};

/// Beyond this many unread bytes the client is not waited for: the
/// connection closes once the answer is sent.
const DRAIN_AT_MOST: u64 = 64 << 20;
/// A client that sends nothing for this long has stopped.
const DRAIN_IDLE: Duration = Duration::from_secs(2);
/// And no client holds a connection open longer than this after its answer.
const DRAIN_FOR_AT_MOST: Duration = Duration::from_secs(30);

/// Middleware: runs the handler on a body it shares, and reads whatever the
/// handler left of it while the answer goes out.
pub(crate) async fn unread_body(request: Request, next: Next) -> Response {
    // A client that waits for `100 Continue` sends no body once it has its
    // answer, so there is nothing to wait for.
    let waits_to_send = request
        .headers()
        .get(header::EXPECT)
        .is_some_and(|expect| expect.as_bytes().eq_ignore_ascii_case(b"100-continue"));
    let (parts, body) = request.into_parts();
    let shared = Shared(Arc::new(Mutex::new(body)));
    let response = next.run(Request::from_parts(parts, Body::new(shared.clone()))).await;
    if !waits_to_send && !shared.is_end_stream() && shared.size_hint().lower() <= DRAIN_AT_MOST {
        tokio::spawn(shared.drain());
    }
    response
}

/// The request body, shared between the handler and this middleware.
#[derive(Clone)]
struct Shared(Arc<Mutex<Body>>);

impl Shared {
    /// Reads the body to its end, or until it passes the bounds; dropping
    /// it then lets the server close the connection.
    async fn drain(mut self) {
        let mut read = 0u64;
        let _ = tokio::time::timeout(DRAIN_FOR_AT_MOST, async {
            while read <= DRAIN_AT_MOST {
                let next = std::future::poll_fn(|cx| Pin::new(&mut self).poll_frame(cx));
                match tokio::time::timeout(DRAIN_IDLE, next).await {
                    Ok(Some(Ok(frame))) => {
                        read += frame.data_ref().map_or(0, |data| data.len() as u64);
                    }
                    _ => break,
                }
            }
        })
        .await;
    }

    fn body(&self) -> std::sync::MutexGuard<'_, Body> {
        // A handler that panicked mid-read leaves a body still worth reading.
        self.0.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
    }
}

impl HttpBody for Shared {
    type Data = Bytes;
    type Error = axum::Error;

    fn poll_frame(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
    ) -> Poll<Option<Result<Frame<Bytes>, axum::Error>>> {
        Pin::new(&mut *self.body()).poll_frame(cx)
    }

    fn is_end_stream(&self) -> bool {
        self.body().is_end_stream()
    }

    fn size_hint(&self) -> SizeHint {
        self.body().size_hint()
    }
}
