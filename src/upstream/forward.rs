//! The one way to reach an origin: the request path, cache revalidations and
//! stale-while-revalidate refreshes all call [`send`], so timeouts (and the breakers and
//! retries to come) apply to every one of them. A thin adapter over the runtime's `fetch`;
//! header rules live in `http::forwarding`.

use crate::config::Upstream;
use crate::error::GatewayError;
use crate::runtime::io::{self, FetchFailure};
use web_sys::{Headers, Request, Response};

/// What to send upstream.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub method: &'a str,
    pub headers: &'a Headers,
    /// The client's request, whose body is streamed through (not buffered).
    pub body_from: &'a Request,
    /// Its name (for errors) and timeout.
    pub upstream: &'static Upstream,
}

/// Sends the request. Redirects are never followed (they go back to the client as-is).
/// The timeout covers the wait for response headers; the body then streams without a limit.
pub async fn send(out: Outgoing<'_>) -> Result<Response, GatewayError> {
    let body = if out.method == "GET" || out.method == "HEAD" {
        None
    } else {
        out.body_from.body()
    };
    let (upstream, timeout_ms) = (out.upstream.name, out.upstream.timeout_ms);
    io::fetch(out.url, out.method, out.headers, body, timeout_ms)
        .await
        .map_err(|failure| match failure {
            FetchFailure::Timeout => GatewayError::UpstreamTimeout {
                upstream,
                timeout_ms,
            },
            FetchFailure::Unreachable => GatewayError::UpstreamUnreachable { upstream },
        })
}
