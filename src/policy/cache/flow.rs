//! The `cache` policy's phases in the worker (wasm only):
//! - `on_request` ([`on_request`]): at the policy's place in the chain, serve a fresh hit, or
//!   go on with a [`CacheStep`] (the canonical query upstream, the request trimmed to the key);
//! - `before_upstream` ([`before_upstream`]): serve a stale entry while it is refreshed in the
//!   background (`stale-while-revalidate`);
//! - `after_upstream` ([`after_upstream`]): a stale entry the origin confirmed with 304 or
//!   failed to replace (`stale-if-error`), else store and label the origin's answer.

use super::adapter::{self, Lookup, Pending, Stale};
use super::counters;
use super::refresh;
use super::stale;
use super::{Cache, FORWARDED_ON_CACHED_ROUTES};
use crate::auth::Identity;
use crate::cache::generations::Generations;
use crate::cache::invalidate;
use crate::cache::status::{self, Outcome};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::Flow;
use crate::policy::cache;
use crate::policy::Step;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::slots::Slots;
use std::cell::RefCell;
use std::rc::Rc;
use web_sys::{Headers, Response};

/// Headers the gateway itself sets on upstream requests; kept on cached routes.
const GATEWAY_HEADERS: &[&str] = &[
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-request-id",
    "traceparent",
    "tracestate",
];

/// Request headers that make a request conditional or partial: removed when the cache
/// revalidates a stored entry with its own validators.
const CLIENT_CONDITIONALS: &[&str] = &[
    "if-none-match",
    "if-modified-since",
    "if-match",
    "if-unmodified-since",
    "if-range",
    "range",
];

/// The request as the cache sees it.
pub struct At<'a> {
    pub route: &'static str,
    pub host: &'a str,
    /// The normalised path.
    pub path: &'a str,
    /// The client's raw query.
    pub query: Option<&'a str>,
    pub inbound: &'a Headers,
    pub head: bool,
    /// The canary side behind a split (`None`: the route's upstream has no canary).
    pub side: Option<bool>,
}

/// What the lookup decided.
pub enum Looked {
    /// A fresh entry (or a 304 for it): the client's answer.
    Hit(Answer),
    /// The request goes upstream; the step carries what the cache needs afterwards.
    Forward(CacheStep),
}

/// A cached route's request on its way upstream.
pub struct CacheStep {
    policy: &'static Cache,
    /// The canonical query, sent upstream instead of the client's.
    pub query: Option<String>,
    /// `None`: the purge counters could not be read, so the cache is bypassed.
    gens: Option<Rc<Generations>>,
    pending: Option<Pending>,
    stale: Option<Box<Stale>>,
}

/// Looks the request up: a fresh hit, or the step to forward with
/// ([`CacheStep::restrict`] then trims the upstream request to the key).
pub async fn look_up(
    policy: &'static Cache,
    at: &At<'_>,
    identity: Option<&Identity>,
    env: &worker::Env,
    worker_ctx: &worker::Context,
) -> Looked {
    let ctx: &wasm_bindgen::JsValue = worker_ctx.as_ref().as_ref();
    let query = cache::query(policy, at.query);
    let mut step = CacheStep {
        policy,
        query: None,
        gens: None,
        pending: None,
        stale: None,
    };
    let now = runtime::now_ms() as u64;
    // Without the purge counters an entry purged earlier could be served: bypass.
    if let Some(g) = counters::current(env, now).await {
        let mut parts = cache::key(
            policy,
            at.route,
            at.host,
            at.path,
            query.as_deref(),
            |h| at.inbound.get(h).ok().flatten(),
            identity,
        );
        parts.generation = g.route(at.route);
        parts.side = at
            .side
            .map(|canary| if canary { "canary" } else { "stable" });
        let key = Pending {
            url: parts.url(),
            fwd: "uri-miss",
            path_gen: g.path(&invalidate::path_key(at.host, at.path)),
            authorization: policy.forward_all && at.inbound.has("authorization").unwrap_or(false),
        };
        match adapter::lookup(key, at.inbound, &g, now, at.head, ctx).await {
            Lookup::Hit(resp) => return Looked::Hit(resp),
            Lookup::Miss(p) => step.pending = Some(p),
            Lookup::Stale(st) => step.stale = Some(st),
        }
        step.gens = Some(g);
    }
    step.query = query;
    Looked::Forward(step)
}

thread_local! {
    /// Per cache policy (by its index in the table), the header names its origin may see, as
    /// a JS array built once per isolate.
    static KEEP: RefCell<Slots<js_sys::Array>> = const { RefCell::new(Slots::new()) };
}

/// Removes every request header the origin may not see on a route cached by policy `index`.
fn trim(headers: &Headers, c: &'static Cache, index: u16, identity_headers: &[&str]) {
    let keep = KEEP.with(|k| {
        k.borrow_mut()
            .get_or_insert_with(usize::from(index), || {
                FORWARDED_ON_CACHED_ROUTES
                    .iter()
                    .chain(c.key_headers)
                    .chain(GATEWAY_HEADERS)
                    .chain(identity_headers)
                    .map(|name| wasm_bindgen::JsValue::from_str(name))
                    .collect()
            })
            .clone()
    });
    runtime::keep_only(headers, &keep);
}

/// `on_request`: looks the request up at the policy's place in the chain (after the
/// authentication before it, so entries can be per consumer, and after the route's query
/// validation); `policy` is the table's policy number `index`. On a miss, `state` keeps the
/// lookup for the later phases.
pub async fn on_request(
    policy: &'static Cache,
    index: u16,
    x: &mut WorkerExchange<'_>,
    state: &mut Option<CacheStep>,
) -> Result<Flow<Answer>, GatewayError> {
    // Behind a canary split the side is decided now: it is part of the key.
    let side = x.route.and_then(|r| x.canary_side(r.upstream as usize));
    // The query as it would go upstream: the client's, or as a policy before the cache
    // edited it (a request transform), so the key holds what the origin sees.
    let query = x.outgoing.query.clone();
    let at = At {
        route: x.route.map_or("", |r| r.id),
        host: x.ctx.url.host,
        path: &x.path,
        query: query.as_deref().or(x.ctx.url.query),
        inbound: &x.inbound,
        head: x.ctx.is_head(),
        side,
    };
    let identity = x.ctx.identity.as_ref();
    match look_up(policy, &at, identity, x.env, x.worker_ctx).await {
        Looked::Hit(answer) => {
            x.ctx.log.cache = Some("hit");
            Ok(Flow::Respond(answer))
        }
        Looked::Forward(step) => {
            x.prepare_upstream_headers()?;
            if let Some(headers) = x.outgoing.headers() {
                step.restrict(headers, index, x.tables.identity_headers);
            }
            // Only the key's canonical query goes upstream: none at all when it keeps no
            // parameter (never the client's raw query).
            x.outgoing.query = Some(step.query.clone().unwrap_or_default());
            *state = Some(step);
            Ok(Flow::Continue)
        }
    }
}

/// `before_upstream`: a stale entry inside its `stale-while-revalidate` window is served now
/// and refreshed after the response by the rest of the flow (`from_here`: this step and every
/// later one; [`refresh::start`]), unless this isolate is already refreshing it or is running
/// its most refreshes at once ([`refresh::may_start`]).
pub fn before_upstream(
    x: &mut WorkerExchange<'_>,
    state: &mut Option<CacheStep>,
    from_here: &[Step],
) -> Result<Flow<Answer>, GatewayError> {
    if let (Some(step), Some(headers)) = (state.as_ref(), x.outgoing.headers()) {
        step.add_validators(headers);
    }
    let Some(st) = state.as_ref().and_then(|s| s.stale.as_deref()) else {
        return Ok(Flow::Continue);
    };
    let Some(answer) = stale::serve_while_revalidating(st, &x.inbound, x.ctx.is_head()) else {
        return Ok(Flow::Continue);
    };
    x.ctx.log.cache = Some("stale");
    let key = st.pending.url.clone();
    if refresh::may_start(&key) {
        if let Some(step) = state.take() {
            refresh::start(x, step, key, from_here);
        }
    }
    Ok(Flow::Respond(answer))
}

/// `after_upstream`: the stored copy when the origin confirmed it (304) or failed inside
/// `stale-if-error`; otherwise the origin's answer, stored when allowed and labelled with
/// `Cache-Status` and `Age`.
pub fn after_upstream(
    x: &mut WorkerExchange<'_>,
    state: &Option<CacheStep>,
    result: Result<Answer, GatewayError>,
) -> Result<Answer, GatewayError> {
    let Some(step) = state.as_ref() else {
        return result;
    };
    let head = x.ctx.is_head();
    // A degraded answer (a fallback's, or a fan-out missing an optional part) is never
    // stored, and never confirms a stored entry.
    let degraded = if x.ctx.log.fallback.is_some() {
        Some("fallback")
    } else if x.ctx.log.partial.as_ref().is_some_and(|p| !p.is_empty()) {
        Some("partial")
    } else {
        None
    };
    let cached = step.answer_from_cache(x.worker_ctx, &result, &x.inbound, head, degraded);
    if let Some((answer, label)) = cached {
        x.ctx.log.cache = Some(label);
        return Ok(answer);
    }
    if let Some(resp) = result.as_ref().ok().and_then(Answer::source) {
        let (label, headers) = step.finish(x.worker_ctx, resp, &x.inbound, degraded, head);
        x.ctx.log.cache = Some(label);
        x.ctx.response_headers.extend(headers);
    }
    if let Ok(answer) = &result {
        // The gateway's own targeted field is for this cache only (read above, when stored).
        let _ = answer.headers.delete(step.policy.control_header);
    }
    result
}

impl CacheStep {
    /// Cuts the upstream request headers down to what the key holds (so no unkeyed header can
    /// shape a stored response) unless the policy forwards everything.
    fn restrict(&self, upstream_headers: &Headers, index: u16, identity_headers: &[&str]) {
        if !self.policy.forward_all {
            trim(upstream_headers, self.policy, index, identity_headers);
        }
    }

    /// Adds the stored validators when a stale entry is revalidated (in `before_upstream`,
    /// after every policy's `on_request` edited the request: a later policy may remove the
    /// client's conditional headers, never the cache's own).
    fn add_validators(&self, upstream_headers: &Headers) {
        if let Some(st) = &self.stale {
            // Only the cache's validators: a client's own conditionals (sent on with
            // `forward = "all"`) could make the origin confirm a stored body it never sent.
            for name in CLIENT_CONDITIONALS {
                let _ = upstream_headers.delete(name);
            }
            if let Some(etag) = &st.etag {
                let _ = upstream_headers.set("if-none-match", etag);
            } else if let Some(lm) = &st.last_modified {
                let _ = upstream_headers.set("if-modified-since", lm);
            }
        }
    }

    /// After revalidating a stale entry: its refreshed copy on a 304, or the stale copy when
    /// the origin failed inside `stale-if-error`. A `degraded` answer's 304 (a fallback upstream
    /// answering the entry's validators) confirms nothing: it counts as the origin failing.
    /// Also the access log's `cache` label.
    pub fn answer_from_cache(
        &self,
        ctx: &worker::Context,
        sent: &Result<Answer, GatewayError>,
        inbound: &Headers,
        head: bool,
        degraded: Option<&'static str>,
    ) -> Option<(Answer, &'static str)> {
        let st = self.stale.as_ref()?;
        let failed = match sent {
            Err(e) => Some(e.status()),
            Ok(r) if r.status >= 500 => Some(r.status),
            Ok(r) if r.status == 304 && degraded.is_some() => Some(502),
            Ok(_) => None,
        };
        if let Some(code) = failed {
            return stale::serve_if_error(st, code, inbound, head).map(|r| (r, "stale"));
        }
        match sent.as_ref().ok().and_then(Answer::source) {
            Some(r) if r.status() == 304 => {
                let now = runtime::now_ms() as u64;
                stale::revalidated(ctx, st, r, self.policy, inbound, now, head)
                    .map(|r| (r, "revalidated"))
            }
            _ => None,
        }
    }

    /// Stores the origin's response when allowed (never a `degraded` one, a fallback's or a
    /// partial fan-out: it must not outlive the outage; never an answer to HEAD: it has no
    /// body, and an entry serves GET too); answers the access log's `cache` label and the
    /// headers to add (`Cache-Status`, and `Age` when the origin sent none).
    pub fn finish(
        &self,
        ctx: &worker::Context,
        resp: &Response,
        inbound: &Headers,
        degraded: Option<&'static str>,
        head: bool,
    ) -> (&'static str, Vec<(&'static str, String)>) {
        let pending = self
            .pending
            .as_ref()
            .or(self.stale.as_ref().map(|s| &s.pending));
        let (label, cache_status) = match (&self.gens, pending) {
            (Some(_), Some(pending)) if degraded.is_some() || head => (
                "miss",
                status::header(&Outcome::Forwarded {
                    fwd: pending.fwd,
                    fwd_status: resp.status(),
                    stored: false,
                    detail: Some(if head {
                        "head"
                    } else {
                        degraded.unwrap_or("fallback")
                    }),
                }),
            ),
            (Some(g), Some(pending)) => {
                let now = runtime::now_ms() as u64;
                let outcome = adapter::store(ctx, pending, self.policy, resp, inbound, g, now);
                let stored = matches!(outcome, Outcome::Forwarded { stored: true, .. });
                (
                    if stored { "stored" } else { "miss" },
                    status::header(&outcome),
                )
            }
            _ => (
                "bypass",
                status::header(&Outcome::Bypass {
                    fwd_status: resp.status(),
                }),
            ),
        };
        let mut headers = vec![("cache-status", cache_status)];
        if resp.headers().get("age").ok().flatten().is_none() {
            headers.push(("age", "0".to_string()));
        }
        (label, headers)
    }
}
