//! The `cache` policy's steps in the request flow (wasm only), called by the gateway at three
//! points: at the policy's place in the chain ([`look_up`]: serve a fresh hit, or go on with
//! a [`CacheStep`]), just before the upstream call ([`CacheStep::serve_while_revalidating`]),
//! and once the origin answered ([`CacheStep::answer_from_cache`] for 304s and
//! `stale-if-error`, then [`CacheStep::finish`] to store and label the response).

use super::adapter::{self, Lookup, Pending, Stale};
use super::generations::{self, Generations};
use super::refresh;
use super::status::{self, Outcome};
use crate::auth::Identity;
use crate::config::{Table, Upstream};
use crate::error::GatewayError;
use crate::platform;
use crate::policy::cache::{Cache, FORWARDED_ON_CACHED_ROUTES};
use std::cell::RefCell;
use std::collections::HashMap;
use std::rc::Rc;
use web_sys::{Headers, Request, Response};

/// Headers the gateway itself sets on upstream requests; kept on cached routes.
const GATEWAY_HEADERS: &[&str] = &[
    "x-forwarded-proto",
    "x-forwarded-host",
    "x-request-id",
    "traceparent",
    "tracestate",
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
}

/// What the lookup decided.
pub enum Looked {
    /// A fresh entry (or a 304 for it): the client's response.
    Hit(Response),
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

/// Looks the request up. When it goes upstream, `upstream_headers` are cut down to what the
/// key holds (so no unkeyed header can shape a stored response), plus the stored validators
/// when a stale entry is revalidated.
pub async fn look_up(
    policy: &'static Cache,
    at: &At<'_>,
    identity: Option<&Identity>,
    upstream_headers: &Headers,
    table: &Table,
    env: &worker::Env,
) -> Looked {
    let query = policy.query(at.query);
    let mut step = CacheStep {
        policy,
        query: None,
        gens: None,
        pending: None,
        stale: None,
    };
    let now = platform::now_ms() as u64;
    // Without the purge counters an entry purged earlier could be served: bypass.
    if let Some(g) = generations::current(env, now).await {
        let mut parts = policy.key(
            at.route,
            at.host,
            at.path,
            query.as_deref(),
            |h| at.inbound.get(h).ok().flatten(),
            identity,
        );
        parts.generation = g.route(at.route);
        match adapter::lookup(parts.url(), at.inbound, &g, now, at.head).await {
            Lookup::Hit(resp) => return Looked::Hit(resp),
            Lookup::Miss(p) => step.pending = Some(p),
            Lookup::Stale(st) => step.stale = Some(st),
        }
        step.gens = Some(g);
    }
    step.query = query;
    trim(upstream_headers, policy, table);
    if let Some(st) = &step.stale {
        if let Some(etag) = &st.etag {
            let _ = upstream_headers.set("if-none-match", etag);
        } else if let Some(lm) = &st.last_modified {
            let _ = upstream_headers.set("if-modified-since", lm);
        }
    }
    Looked::Forward(step)
}

thread_local! {
    /// Per cache policy, the header names its origin may see, as a JS array built once per
    /// isolate.
    static KEEP: RefCell<HashMap<usize, js_sys::Array>> = RefCell::new(HashMap::new());
}

/// Removes every request header the origin may not see on a cached route.
fn trim(headers: &Headers, c: &'static Cache, table: &Table) {
    let keep = KEEP.with(|k| {
        k.borrow_mut()
            .entry(c as *const Cache as usize)
            .or_insert_with(|| {
                FORWARDED_ON_CACHED_ROUTES
                    .iter()
                    .chain(c.key_headers)
                    .chain(GATEWAY_HEADERS)
                    .chain(table.identity_headers)
                    .map(|name| wasm_bindgen::JsValue::from_str(name))
                    .collect()
            })
            .clone()
    });
    platform::keep_only(headers, &keep);
}

/// The upstream request, for a background refresh.
pub struct Outgoing<'a> {
    pub url: &'a str,
    pub headers: &'a Headers,
    pub request: &'a Request,
    pub upstream: &'static Upstream,
}

impl CacheStep {
    /// `stale-while-revalidate`: a stale entry inside its window is served now and refreshed
    /// after the response (unless this isolate is already refreshing it).
    pub fn serve_while_revalidating(
        &mut self,
        ctx: &worker::Context,
        out: Outgoing<'_>,
        inbound: &Headers,
        head: bool,
    ) -> Option<Response> {
        let st = self.stale.as_ref()?;
        let resp = adapter::serve_while_revalidating(st, inbound, head)?;
        if !refresh::running(&st.pending.url) {
            if let (Ok(headers), Ok(request), Ok(inbound), Some(stale)) = (
                Headers::new_with_headers(out.headers),
                out.request.clone(),
                Headers::new_with_headers(inbound),
                self.stale.take(),
            ) {
                refresh::start(
                    ctx,
                    refresh::Refresh {
                        stale,
                        policy: self.policy,
                        url: out.url.to_string(),
                        headers,
                        request,
                        inbound,
                        upstream: out.upstream.name,
                        timeout_ms: out.upstream.timeout_ms,
                        gens: self.gens.clone().unwrap_or_default(),
                    },
                );
            }
        }
        Some(resp)
    }

    /// After revalidating a stale entry: its refreshed copy on a 304, or the stale copy when
    /// the origin failed inside `stale-if-error`. Also the access log's `cache` label.
    pub fn answer_from_cache(
        &self,
        ctx: &worker::Context,
        sent: &Result<Response, GatewayError>,
        inbound: &Headers,
        head: bool,
    ) -> Option<(Response, &'static str)> {
        let st = self.stale.as_ref()?;
        let failed = match sent {
            Err(e) => Some(e.status()),
            Ok(r) if r.status() >= 500 => Some(r.status()),
            Ok(_) => None,
        };
        if let Some(code) = failed {
            return adapter::serve_if_error(st, code, inbound, head).map(|r| (r, "stale"));
        }
        match sent {
            Ok(r) if r.status() == 304 => {
                let now = platform::now_ms() as u64;
                adapter::revalidated(ctx, st, r, self.policy, inbound, now, head)
                    .map(|r| (r, "revalidated"))
            }
            _ => None,
        }
    }

    /// Stores the origin's response when allowed; answers the access log's `cache` label and
    /// the headers to add (`Cache-Status`, and `Age` when the origin sent none).
    pub fn finish(
        &self,
        ctx: &worker::Context,
        resp: &Response,
        inbound: &Headers,
    ) -> (&'static str, Vec<(&'static str, String)>) {
        let pending = self
            .pending
            .as_ref()
            .or(self.stale.as_ref().map(|s| &s.pending));
        let (label, cache_status) = match (&self.gens, pending) {
            (Some(g), Some(pending)) => {
                let now = platform::now_ms() as u64;
                let outcome = adapter::store(ctx, pending, self.policy, resp, inbound, g, now);
                let stored = matches!(outcome, Outcome::Forwarded { stored: true, .. });
                (
                    if stored { "stored" } else { "miss" },
                    status::header(&outcome),
                )
            }
            _ => (
                "bypass",
                format!(
                    "{}; fwd=bypass; fwd-status={}; detail=purge-counters-unavailable",
                    status::CACHE_NAME,
                    resp.status()
                ),
            ),
        };
        let mut headers = vec![("cache-status", cache_status)];
        if resp.headers().get("age").ok().flatten().is_none() {
            headers.push(("age", "0".to_string()));
        }
        (label, headers)
    }
}
