//! `stale-while-revalidate`: the stale entry is served at once and refreshed after the
//! response, in `ctx.waitUntil`. One refresh per key per isolate at a time; other requests in
//! the meantime are served the same stale entry.

use super::adapter::{self, Stale};
use super::stale;
use crate::policy::cache::Cache;
use crate::runtime;
use crate::upstream::forward;
use std::cell::RefCell;
use std::collections::HashSet;
use wasm_bindgen::JsCast;
use web_sys::Headers;

thread_local! {
    /// Keys (Cache API URLs) being refreshed by this isolate.
    static REFRESHING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// What the background request needs, owned (it outlives the request handler).
pub struct Refresh {
    pub stale: Box<Stale>,
    pub policy: &'static Cache,
    /// Path and query after the target's base URL.
    pub path_and_query: String,
    pub headers: Headers,
    pub inbound: Headers,
    /// Index of the route's upstream.
    pub upstream: usize,
    pub env: worker::Env,
    pub gens: std::rc::Rc<super::generations::Generations>,
}

/// Whether a refresh for `key` is already running in this isolate.
pub fn running(key: &str) -> bool {
    REFRESHING.with(|r| r.borrow().contains(key))
}

/// Sends the revalidation request after the response and stores what comes back: a 304
/// refreshes the entry, a storable answer replaces it, a failure leaves it as it is.
pub fn start(ctx: &worker::Context, r: Refresh) {
    let key = r.stale.pending.url.clone();
    REFRESHING.with(|set| set.borrow_mut().insert(key.clone()));
    let js: &wasm_bindgen::JsValue = ctx.as_ref().as_ref();
    let bg = worker::Context::new(js.clone().unchecked_into());
    ctx.wait_until(async move {
        let sent = forward::send(forward::Outgoing {
            upstream: r.upstream,
            path_and_query: &r.path_and_query,
            method: "GET",
            headers: &r.headers,
            body: forward::Body::None,
            hash_key: None,
            retryable: true,
            resendable: true,
            deadline_at: None,
            alone: false,
            env: &r.env,
        })
        .await
        .0
        .map(|sent| sent.response);
        let now = runtime::now_ms() as u64;
        match sent {
            Ok(resp) if resp.status() == 304 => {
                let _ = stale::revalidated(&bg, &r.stale, &resp, r.policy, &r.inbound, now, true);
            }
            Ok(resp) if resp.status() < 500 => {
                let _ = adapter::store(
                    &bg,
                    &r.stale.pending,
                    r.policy,
                    &resp,
                    &r.inbound,
                    &r.gens,
                    now,
                );
            }
            _ => {}
        }
        REFRESHING.with(|set| set.borrow_mut().remove(&key));
    });
}
