//! Sends a request to an origin with the runtime's `fetch` and turns the answer into the
//! client's response. A thin adapter: header rules live in `http::forwarding`.

use crate::error::GatewayError;
use crate::platform;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, Response};

/// What to send upstream.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub method: &'a str,
    pub headers: &'a Headers,
    /// The client's request, whose body is streamed through (not buffered).
    pub body_from: &'a Request,
    pub upstream: &'static str,
    pub timeout_ms: u32,
}

/// Sends the request. Redirects are never followed (they go back to the client as-is).
/// The timeout covers the wait for response headers; the body then streams without a limit.
pub async fn send(out: Outgoing<'_>) -> Result<Response, GatewayError> {
    let body = if out.method == "GET" || out.method == "HEAD" {
        None
    } else {
        out.body_from.body()
    };
    let sent = platform::fetch_with_timeout(out.url, out.method, out.headers, body, out.timeout_ms);
    match JsFuture::from(sent).await {
        Ok(resp) => resp
            .dyn_into::<Response>()
            .map_err(|_| GatewayError::UpstreamUnreachable {
                upstream: out.upstream,
            }),
        Err(reason) if reason.as_string().as_deref() == Some("timeout") => {
            Err(GatewayError::UpstreamTimeout {
                upstream: out.upstream,
                timeout_ms: out.timeout_ms,
            })
        }
        Err(_) => Err(GatewayError::UpstreamUnreachable {
            upstream: out.upstream,
        }),
    }
}
