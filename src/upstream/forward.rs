//! The one way to reach an origin: the request path, cache revalidations and
//! stale-while-revalidate refreshes all call [`send`], so balancing, timeouts, breakers,
//! retries and fallbacks apply to every one of them. The attempts loop is
//! [`super::send::attempts`] over this file's JS `fetch` transport; decisions are the pure
//! modules' ([`super::pool`], [`super::retry`], [`super::fallback`]); the fallback's send is
//! here.

use super::fallback;
use super::pool::{with_pool, Choice};
use super::resolve::cached_origin;
use super::send::{attempts, ending, Attempts, Transport};
use super::settings::{Fallback, TargetAddr, Upstream};
use crate::error::GatewayError;
use crate::log::FellBack;
use crate::log::Try;
use crate::runtime;
use crate::runtime::io::{self, FetchFailure};
use crate::upstream::retry;
use web_sys::{Headers, ReadableStream, Response};

/// Request bodies up to this size are buffered so a failed attempt can be sent again (and a
/// mirror can get a copy); larger or unsized bodies stream through and are never retried.
pub const REPLAYABLE_BODY_BYTES: u32 = 64 * 1024;

/// A request body on its way upstream.
pub enum Body {
    None,
    /// Streamed from the client: one attempt only.
    Stream(ReadableStream),
    /// Buffered: may be sent again.
    Bytes(js_sys::Uint8Array),
}

/// What to send upstream.
pub struct Outgoing<'a> {
    /// The table's upstreams (a fallback names another by index).
    pub upstreams: &'static [Upstream],
    /// Index of the upstream in `upstreams`.
    pub upstream: usize,
    /// Path and query, appended to the chosen target's base URL.
    pub path_and_query: &'a str,
    pub method: &'a str,
    pub headers: &'a Headers,
    pub body: Body,
    /// The request's key for `balance = "hash"`.
    pub hash_key: Option<String>,
    /// Whether a failed attempt may be sent again: the method is idempotent (or the route
    /// allows retrying it) and the body, if any, is buffered.
    pub retryable: bool,
    /// Whether the request may be sent to another upstream after this one failed (the
    /// fallback upstream): the method is idempotent (or the route allows retrying it) and the
    /// body, if any, is buffered. A timed-out POST may have been processed: it is never sent
    /// again unless the route says so. A static fallback answers either way.
    pub resendable: bool,
    /// An absolute deadline (ms since the epoch) over the upstream's own (a fan-out part's
    /// timeout, counted from the start of the fan-out).
    pub deadline_at: Option<f64>,
    /// Whether this is the request's one upstream call, with nothing sent beside it (no
    /// mirror, not a fan-out part) and nothing after it. When it is, and the upstream has no
    /// retries and no fallback, a timed-out attempt is not aborted but left to the runtime,
    /// which cancels a request's outstanding fetches once its answer is sent.
    pub alone: bool,
    pub env: &'a worker::Env,
}

/// What came back, and how.
pub struct Sent {
    pub response: Response,
    /// The target that answered (`Target::id`), or the fallback's name.
    pub target: &'static str,
    pub attempts: u32,
    /// Which fallback answered, if one did.
    pub fallback: Option<FellBack>,
}

/// Sends the request to the upstream's pool: a target by the pool's balance, skipping open
/// breakers; failed attempts retried (on another target when there is one) within the retry
/// settings, the isolate's retry budget and the deadline; the fallback when the pool fails
/// or is open. Redirects are never followed. Each attempt's timeout covers the wait for
/// response headers; the body then streams without a limit.
pub async fn send(out: Outgoing<'_>) -> (Result<Sent, GatewayError>, Vec<Try>) {
    let up = &out.upstreams[out.upstream];
    let done = attempts(
        &WorkerTransport { out: &out },
        &Attempts {
            index: out.upstream,
            upstream: up,
            hash_key: out.hash_key.as_deref(),
            retryable: out.retryable,
            deadline_at: out.deadline_at,
            alone: out.alone,
        },
    )
    .await;
    let (result, tries, attempts) = (done.result, done.tries, done.attempts);
    let answered = result.as_ref().ok().map(|(resp, _)| resp.status());
    let client_refused = matches!(result, Err(GatewayError::PayloadTooLarge { .. }));
    if !client_refused && fallback::falls_back(up, answered) {
        if let Some(fallback) = &up.fallback {
            if let Some(sent) = fall_back(fallback, &out, attempts).await {
                return (Ok(sent), tries);
            }
        }
    }
    let result = result.map(|(response, target)| Sent {
        response,
        target: up.targets[target].id,
        attempts,
        fallback: None,
    });
    (result, tries)
}

/// The worker's [`Transport`]: JS `fetch` to the targets of `out`'s upstream.
struct WorkerTransport<'a> {
    out: &'a Outgoing<'a>,
}

impl Transport for WorkerTransport<'_> {
    type Response = Response;

    fn now_ms(&self) -> f64 {
        runtime::now_ms()
    }

    fn random(&self) -> f64 {
        js_sys::Math::random()
    }

    #[inline]
    fn status(&self, response: &Response) -> u16 {
        response.status()
    }

    #[inline]
    fn retry_after(&self, response: &Response) -> Option<String> {
        response.headers().get("retry-after").ok().flatten()
    }

    // The futures themselves, not wrapped in another state machine (smaller wasm).
    fn attempt(
        &self,
        target: usize,
        timeout_ms: u32,
        abort: bool,
    ) -> impl std::future::Future<Output = Result<Response, GatewayError>> {
        let up = &self.out.upstreams[self.out.upstream];
        attempt(self.out, up, target, timeout_ms, abort)
    }

    fn sleep(&self, ms: u32) -> impl std::future::Future<Output = ()> {
        io::sleep(ms)
    }
}

/// One attempt to one target.
async fn attempt(
    out: &Outgoing<'_>,
    up: &'static Upstream,
    target: usize,
    timeout_ms: u32,
    abort: bool,
) -> Result<Response, GatewayError> {
    let body = match &out.body {
        Body::None => None,
        Body::Stream(s) => Some(wasm_bindgen::JsValue::from(s.clone())),
        Body::Bytes(b) => Some(wasm_bindgen::JsValue::from(b.clone())),
    };
    let (url, service) = match &up.targets[target].addr {
        TargetAddr::Url(parts) => {
            let env = out.env;
            let origin = cached_origin(
                (out.upstream, target),
                up.name,
                parts,
                |name| env.var(name).ok().map(|v| v.to_string()),
                |err| {
                    let line = serde_json::json!({ "level": "error", "message": err.detail() });
                    runtime::console_log(&line.to_string())
                },
            )?;
            let mut url = String::with_capacity(
                origin.authority.len() + origin.base_path.len() + out.path_and_query.len(),
            );
            url.push_str(&origin.authority);
            url.push_str(&origin.base_path);
            url.push_str(out.path_and_query);
            (url, None)
        }
        TargetAddr::Service(binding) => (
            format!(
                "https://{}{}",
                binding.to_ascii_lowercase(),
                out.path_and_query
            ),
            Some(*binding),
        ),
    };
    io::fetch(
        out.env,
        service,
        &url,
        out.method,
        out.headers,
        body,
        timeout_ms,
        abort,
    )
    .await
    .map_err(|failure| match failure {
        FetchFailure::Timeout => GatewayError::UpstreamTimeout {
            upstream: up.name,
            timeout_ms,
        },
        FetchFailure::Unreachable => GatewayError::UpstreamUnreachable { upstream: up.name },
        // The exchange answers with the route's limit (`went_over`).
        FetchFailure::BodyOverLimit => GatewayError::PayloadTooLarge { limit: 0 },
    })
}

/// The fallback's answer: one attempt to the fallback upstream (its own pool and breakers, no
/// retries), or the static answer. `None` when the fallback upstream failed too.
async fn fall_back(fallback: &Fallback, out: &Outgoing<'_>, attempts: u32) -> Option<Sent> {
    match fallback {
        Fallback::Static {
            status,
            content_type,
            body,
        } => {
            let headers = Headers::new().ok()?;
            let _ = headers.set("content-type", content_type);
            let _ = headers.set("cache-control", "no-store");
            let body = wasm_bindgen::JsValue::from_str(body);
            Some(Sent {
                response: runtime::respond(*status, &headers, &body),
                target: "static",
                attempts,
                fallback: Some(FellBack::Static),
            })
        }
        Fallback::Upstream(index) => {
            let up = &out.upstreams[*index];
            let now = runtime::now_ms();
            let r = js_sys::Math::random();
            let hash_key = out.hash_key.as_deref();
            let Choice::Target(target) =
                with_pool(*index, up, |p| p.choose(up, hash_key, &[], now, r))
            else {
                return None;
            };
            let again = Outgoing {
                upstreams: out.upstreams,
                upstream: *index,
                path_and_query: out.path_and_query,
                method: out.method,
                headers: out.headers,
                body: match &out.body {
                    Body::Bytes(b) => Body::Bytes(b.clone()),
                    _ => Body::None,
                },
                hash_key: None,
                retryable: false,
                resendable: false,
                deadline_at: out.deadline_at,
                alone: out.alone,
                env: out.env,
            };
            if !fallback::may_resend(out.resendable, matches!(out.body, Body::Stream(_))) {
                // Not idempotent (the first upstream may have acted on it), or the stream
                // went to the failed attempt.
                return None;
            }
            let sent = attempt(&again, up, target, up.timeout_ms, !again.alone).await;
            let ending = ending(&WorkerTransport { out: &again }, &sent);
            let failed = up.breaker.is_some_and(|b| retry::contains(&b.on, ending));
            with_pool(*index, up, |p| p.record(target, failed, runtime::now_ms()));
            let response = sent.ok()?;
            Some(Sent {
                response,
                target: up.targets[target].id,
                attempts: attempts + 1,
                fallback: Some(FellBack::Upstream(up.name)),
            })
        }
    }
}
