//! The upstream side of a [`WorkerExchange`] (wasm only): the one proxied upstream call and
//! what it needs: the canary split, the mirror, the body to send (buffered when it may be
//! replayed) and the hash key for `balance = "hash"`. Steps that replace or follow the call
//! (fan-out, validation, invalidation) are the policies'.

use super::{OutgoingBody, WorkerExchange};
use crate::error::GatewayError;
use crate::http::params::cookie;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::upstream::canary::Sticky;
use crate::upstream::replay::Replay;
use crate::upstream::settings::{Balance, Mirror, Upstream};
use crate::upstream::{canary, forward, hash_key::hash_key};
use web_sys::Headers;

impl WorkerExchange<'_> {
    /// The request's key for an upstream balanced by hash.
    fn hash_key(&self, upstream: &Upstream) -> Option<String> {
        let Balance::Hash(on) = upstream.balance else {
            return None;
        };
        hash_key(
            on,
            |name| self.header(name),
            self.ctx.identity.as_ref(),
            self.ctx.client_ip.as_deref(),
        )
    }

    /// Whether this request is on the canary side of `index`'s split (`None`: no canary):
    /// forced, kept, or drawn on first use and the same for the rest of the request (a drawn
    /// side is remembered in a cookie when the split is sticky by cookie). The side goes in the
    /// access log.
    pub fn canary_side(&mut self, index: usize) -> Option<bool> {
        let c = self.tables.upstreams[index].canary.as_ref()?;
        if let Some(side) = self.side {
            return Some(side);
        }
        let sticky_key = match c.sticky {
            Sticky::Key(on) => hash_key(
                on,
                |name| self.header(name),
                self.ctx.identity.as_ref(),
                self.ctx.client_ip.as_deref(),
            ),
            Sticky::Cookie(_) => None,
        };
        let jar = self.header("cookie");
        let side = canary::side(
            c,
            |name| self.header(name),
            |name| {
                cookie(jar.as_deref(), name)
                    .ok()
                    .flatten()
                    .map(str::to_string)
            },
            sticky_key.as_deref(),
            js_sys::Math::random(),
        );
        if let Some(set) = canary::remember(c, side) {
            self.ctx.response_headers.push(("set-cookie", set));
        }
        self.ctx.log.canary = Some(side.canary);
        self.side = Some(side.canary);
        Some(side.canary)
    }

    /// The upstream this request goes to: `index`, or its canary when the request is on the
    /// canary side.
    fn split(&mut self, index: usize) -> usize {
        match (
            self.canary_side(index),
            &self.tables.upstreams[index].canary,
        ) {
            (Some(true), Some(c)) => c.upstream,
            _ => index,
        }
    }

    /// Sends a copy of the request to the mirror upstream after the response (one attempt, its
    /// answer discarded), marked `x-gatehouse-mirror: 1`. A streamed body is not mirrored.
    fn mirror(&self, m: &Mirror, headers: &Headers, body: &forward::Body) {
        let body = match body {
            forward::Body::None => forward::Body::None,
            forward::Body::Bytes(b) => forward::Body::Bytes(b.slice(0, b.length())),
            forward::Body::Stream(_) => return,
        };
        let Ok(headers) = Headers::new_with_headers(headers) else {
            return;
        };
        let _ = headers.set("x-gatehouse-mirror", "1");
        let (upstreams, index, path, method, env) = (
            self.tables.upstreams,
            m.upstream,
            self.outgoing.path_and_query.clone(),
            self.outgoing
                .method
                .map_or_else(|| self.ctx.method.clone(), str::to_string),
            self.env.clone(),
        );
        self.worker_ctx.wait_until(async move {
            let _ = forward::send(forward::Outgoing {
                upstreams,
                upstream: index,
                path_and_query: &path,
                method: &method,
                headers: &headers,
                body,
                hash_key: None,
                retryable: false,
                resendable: false,
                deadline_at: None,
                alone: false,
                env: &env,
            })
            .await;
        });
    }

    /// The body to send upstream: none for GET and HEAD (as sent upstream: a step may make a
    /// GET a POST with a body of its own, as a gRPC call does); buffered when the request may
    /// be sent more than once (retried or mirrored) and declares a `Content-Length` of at most
    /// [`forward::REPLAYABLE_BODY_BYTES`]; otherwise streamed (never retried nor mirrored).
    async fn upstream_body(&mut self, replay: bool) -> forward::Body {
        let method = self.outgoing.method.unwrap_or(self.ctx.method.as_str());
        if matches!(method, "GET" | "HEAD") {
            return forward::Body::None;
        }
        if let Some(bytes) = self.outgoing.body_bytes() {
            return forward::Body::Bytes(bytes.clone());
        }
        let Some(stream) = self.req.body() else {
            return forward::Body::None;
        };
        let small = self
            .header("content-length")
            .and_then(|v| v.trim().parse::<u32>().ok())
            .is_some_and(|n| n <= forward::REPLAYABLE_BODY_BYTES);
        if replay && small {
            if let Some(bytes) = runtime::io::request_bytes(self.req).await {
                return forward::Body::Bytes(bytes);
            }
        }
        // A body of unknown length is counted against the route's max_body as it streams.
        let route_max = self.route.and_then(|r| r.limits.max_body);
        if let (Some(max), None) = (route_max, self.header("content-length")) {
            let limited = runtime::limit_body(&stream, max as f64);
            let body = js_sys::Reflect::get(&limited, &"body".into()).ok();
            if let Some(body) =
                body.and_then(|b| wasm_bindgen::JsCast::dyn_into::<web_sys::ReadableStream>(b).ok())
            {
                if let Ok(state) = js_sys::Reflect::get(&limited, &"state".into()) {
                    self.outgoing.body = OutgoingBody::Counted { state };
                }
                return forward::Body::Stream(body);
            }
        }
        forward::Body::Stream(stream)
    }

    /// The one proxied upstream call: the canary split, the mirror, retries and fallbacks
    /// ([`forward::send`]).
    pub(super) async fn call_upstream(&mut self) -> Result<Answer, GatewayError> {
        let Some(route) = self.route.filter(|_| !self.preflight) else {
            return Err(GatewayError::RouteNotFound);
        };
        let index = self.split(route.upstream as usize);
        let upstream = &self.tables.upstreams[index];
        let replay = Replay::decide(
            &self.ctx.method,
            self.outgoing.method.is_some(),
            route.retry_unsafe,
            upstream,
            js_sys::Math::random(),
        );
        let body = self.upstream_body(replay.buffer_body).await;
        let streamed = matches!(body, forward::Body::Stream(_));
        let method = self.outgoing.method.unwrap_or(self.ctx.method.as_str());
        let headers = self.outgoing.headers().ok_or(GatewayError::Internal {
            what: "upstream headers prepared",
        })?;
        if let Some(m) = upstream.mirror.as_ref() {
            if replay.mirror_gets_copy(streamed) {
                self.mirror(m, headers, &body);
            }
        }
        let sent_at = runtime::now_ms();
        let (sent, tries) = forward::send(forward::Outgoing {
            upstreams: self.tables.upstreams,
            upstream: index,
            path_and_query: &self.outgoing.path_and_query,
            method,
            headers,
            retryable: replay.retryable(streamed),
            resendable: replay.resendable(streamed),
            deadline_at: None,
            alone: replay.alone(),
            body,
            hash_key: self.hash_key(upstream),
            env: self.env,
        })
        .await;
        let upstream_ms = runtime::now_ms() - sent_at;
        self.ctx.upstream_ms = Some(upstream_ms);
        self.ctx.log.upstream_ms = Some(upstream_ms);
        let last_failed = tries
            .last()
            .is_some_and(|t| !t.outcome.starts_with(['1', '2', '3', '4']));
        if tries.len() > 1 || last_failed {
            self.ctx.log.tries = Some(tries);
        }
        if self.outgoing.went_over() {
            let limit = route.limits.max_body.unwrap_or_default();
            return Err(GatewayError::PayloadTooLarge { limit });
        }
        let sent = sent?;
        self.ctx.log.target = Some(sent.target);
        self.ctx.log.attempts = Some(sent.attempts);
        if let Some(f) = sent.fallback {
            self.ctx.log.fallback = Some(f);
            self.ctx
                .response_headers
                .push(("x-gatehouse-fallback", f.label().to_string()));
        }
        let resp = sent.response;
        if route.websocket && resp.status() == 101 {
            return Ok(Answer::sealed(resp)); // carries the socket; cannot be re-wrapped
        }
        Ok(Answer::of(resp))
    }
}
