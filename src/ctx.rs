//! [`Ctx`]: the per-request context. Made once when the request arrives; every phase reads
//! and adds to it; it owns the access-log line, written once the response has left.

use crate::auth::{Identity, Scheme};
use crate::http::trace::RequestIds;
use crate::http::url::RequestUrl;
use crate::log::{iso8601, AccessLog};

/// What the gateway knows about one request, shared by the phases.
pub struct Ctx<'a> {
    /// Request id and trace context (continued from the client when valid).
    pub ids: RequestIds,
    /// The request URL as the runtime gave it (path still percent-encoded).
    pub url: RequestUrl<'a>,
    pub method: String,
    /// From `CF-Connecting-IP`.
    pub client_ip: Option<String>,
    /// When the request arrived, ms since the epoch.
    pub started_ms: f64,
    /// The access-log line, filled in as the request goes.
    pub log: AccessLog,
    /// Set by the latest authentication policy that accepted the request.
    pub identity: Option<Identity>,
    /// How that identity authenticated (for the `require` challenge).
    pub identity_scheme: Option<Scheme>,
    /// Headers policies add to the response, whatever it turns out to be (RateLimit fields,
    /// Cache-Status). Appended in the outbound step.
    pub response_headers: Vec<(&'static str, String)>,
    /// Time waiting for the origin's response headers, when the upstream was called.
    pub upstream_ms: Option<f64>,
    /// Set by a step whose answer streams on after it is handed back and whose figures
    /// belong in the access log (an LLM stream's tokens): the log line and data point wait
    /// for it and apply the edit it resolves with.
    pub log_after: Option<LogAfter>,
}

/// What the access log waits for ([`Ctx::log_after`]).
pub type LogAfter = std::pin::Pin<
    Box<dyn std::future::Future<Output = Box<dyn FnOnce(&mut crate::log::AccessLog)>>>,
>;

impl<'a> Ctx<'a> {
    /// The context of a request for `url` (absolute) with `method`. `request_id` and
    /// `traceparent` are the client's headers; `random` is 40 bytes from a CSPRNG.
    pub fn new(
        url: &'a str,
        method: String,
        request_id: Option<&str>,
        traceparent: Option<&str>,
        client_ip: Option<String>,
        random: &[u8; 40],
        started_ms: f64,
    ) -> Ctx<'a> {
        let ids = RequestIds::new(request_id, traceparent, random);
        let url = RequestUrl::split(url);
        let log = AccessLog {
            timestamp: iso8601(started_ms),
            request_id: ids.request_id.clone(),
            trace_id: ids.trace_id.clone(),
            method: method.clone(),
            path: url.path.to_string(),
            client_ip: client_ip.clone(),
            ..AccessLog::default()
        };
        Ctx {
            ids,
            url,
            method,
            client_ip,
            started_ms,
            log,
            identity: None,
            identity_scheme: None,
            response_headers: Vec::new(),
            upstream_ms: None,
            log_after: None,
        }
    }

    /// HEAD requests get no body on any answer.
    pub fn is_head(&self) -> bool {
        self.method == "HEAD"
    }
}
