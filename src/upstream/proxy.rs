//! Sends a request to an origin with the runtime's `fetch` and turns the answer into the
//! client's response. A thin adapter: header rules live in `http::forwarding`.

use crate::error::GatewayError;
use crate::platform;
use futures::future::{select, Either};
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{
    AbortController, Headers, Request, RequestInit, RequestRedirect, Response, ResponseInit,
};

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
    let unreachable = || GatewayError::UpstreamUnreachable {
        upstream: out.upstream,
    };
    let init = RequestInit::new();
    init.set_method(out.method);
    init.set_headers_headers(out.headers);
    init.set_redirect(RequestRedirect::Manual);
    if out.method != "GET" && out.method != "HEAD" {
        init.set_body_opt_readable_stream(out.body_from.body().as_ref());
    }
    let abort = AbortController::new().map_err(|_| unreachable())?;
    init.set_signal(Some(&abort.signal()));
    let request = Request::new_with_str_and_init(out.url, &init).map_err(|_| unreachable())?;

    let fetch = JsFuture::from(platform::fetch(&request));
    let timer = platform::sleep(out.timeout_ms);
    match select(fetch, timer).await {
        Either::Left((Ok(resp), _)) => resp.dyn_into::<Response>().map_err(|_| unreachable()),
        Either::Left((Err(_), _)) => Err(unreachable()),
        Either::Right(_) => {
            abort.abort();
            Err(GatewayError::UpstreamTimeout {
                upstream: out.upstream,
                timeout_ms: out.timeout_ms,
            })
        }
    }
}

/// A new response with the origin's status and streamed body and the given headers
/// (a fetched response's headers are immutable). Should the runtime refuse, the origin's
/// response goes back unchanged rather than failing the request.
pub fn rewrap(resp: Response, headers: &Headers) -> Response {
    let init = ResponseInit::new();
    init.set_status(resp.status());
    init.set_status_text(&resp.status_text());
    init.set_headers_headers(headers);
    Response::new_with_opt_readable_stream_and_init(resp.body().as_ref(), &init).unwrap_or(resp)
}
