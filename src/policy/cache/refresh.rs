//! `stale-while-revalidate`: the stale entry is served at once and refreshed after the
//! response, in `ctx.waitUntil`. One refresh per key per isolate at a time; other requests in
//! the meantime are served the same stale entry.
//!
//! The refresh is the rest of the request's own flow ([`crate::pipeline::upstream_tail`]):
//! the upstream call as the route makes it (its canary side, a fan-out's parts), then the
//! `after_upstream` of the cache and of every policy after it (a response transform edits
//! the body first), so the cache stores exactly what a miss would have stored.

use super::flow::CacheStep;
use crate::exchange::WorkerExchange;
use crate::policy::{State, Step};
use std::cell::RefCell;
use std::collections::HashSet;

thread_local! {
    /// Keys (Cache API URLs) being refreshed by this isolate.
    static REFRESHING: RefCell<HashSet<String>> = RefCell::new(HashSet::new());
}

/// Whether a refresh for `key` is already running in this isolate.
pub fn running(key: &str) -> bool {
    REFRESHING.with(|r| r.borrow().contains(key))
}

/// Runs the rest of `x`'s flow after its answer, over `from_here` (the cache step and every
/// later one), with `step` (the lookup that found the stale entry `key`) as the cache's
/// state and the later steps' states new: a 304 refreshes the entry, a storable answer
/// replaces it, a failure leaves it as it is.
pub fn start(x: &WorkerExchange<'_>, step: CacheStep, key: String, from_here: &[Step]) {
    let Some(detached) = x.detach() else {
        return;
    };
    let steps = from_here.to_vec();
    let mut states: Vec<State> = steps.iter().map(|_| State::default()).collect();
    if let Some(first) = states.first_mut() {
        *first = State::of_cache(step);
    }
    REFRESHING.with(|set| set.borrow_mut().insert(key.clone()));
    x.worker_ctx.wait_until(async move {
        detached.upstream_tail(&steps, states).await;
        REFRESHING.with(|set| set.borrow_mut().remove(&key));
    });
}
