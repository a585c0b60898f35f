//! `stale-while-revalidate`: the stale entry is served at once and refreshed after the
//! response, in `ctx.waitUntil`. One refresh per key per isolate at a time, and at most
//! [`MAX_REFRESHES`] in all; other requests in the meantime are served the same stale entry.
//!
//! The refresh is the rest of the request's own flow ([`crate::pipeline::upstream_tail`]):
//! the upstream call as the route makes it (its canary side, a fan-out's parts), then the
//! `after_upstream` of the cache and of every policy after it (a response transform edits
//! the body first), so the cache stores exactly what a miss would have stored.

use super::flow::CacheStep;
use crate::cache::refreshes::Refreshes;
#[cfg(doc)]
use crate::cache::refreshes::MAX_REFRESHES;
use crate::exchange::WorkerExchange;
use crate::policy::{State, Step};
use crate::runtime;
use std::cell::RefCell;

thread_local! {
    /// Keys (Cache API URLs) being refreshed by this isolate.
    static REFRESHING: RefCell<Refreshes> = RefCell::new(Refreshes::new());
}

/// Whether a refresh for `key` may start in this isolate: none is running for it and fewer
/// than [`MAX_REFRESHES`] are running.
pub fn may_start(key: &str) -> bool {
    REFRESHING.with(|r| r.borrow().may_start(key, runtime::now_ms()))
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
    if !REFRESHING.with(|set| set.borrow_mut().start(&key, runtime::now_ms())) {
        return;
    }
    let running = Running(key);
    x.worker_ctx.wait_until(async move {
        detached.upstream_tail(&steps, states).await;
        drop(running);
    });
}

/// A running refresh's place in [`REFRESHING`], given back when the refresh ends, even when
/// the runtime cancels it mid-way (a leaked place would block refreshes of that key, and
/// [`MAX_REFRESHES`] leaked places all refreshes).
struct Running(String);

impl Drop for Running {
    fn drop(&mut self) {
        let _ = REFRESHING.try_with(|set| set.borrow_mut().finish(&self.0));
    }
}
