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
use crate::policy::cache::Cache;
use crate::policy::phases::Scratch;
use crate::policy::Policy;
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

/// Runs the rest of `x`'s flow after its answer, from the cache policy `policy` on, with
/// `step` (the lookup that found the stale entry `key`): a 304 refreshes the entry, a
/// storable answer replaces it, a failure leaves it as it is.
pub fn start(x: &WorkerExchange<'_>, policy: &'static Cache, step: CacheStep, key: String) {
    let (Some(route), Some(detached)) = (x.route, x.detach()) else {
        return;
    };
    let table = x.table;
    let steps: Vec<&'static Policy> = route
        .policies
        .iter()
        .map(|&i| &table.policies[i as usize])
        .skip_while(|p| !matches!(p, Policy::Cache(c) if std::ptr::eq(c, policy)))
        .collect();
    REFRESHING.with(|set| set.borrow_mut().insert(key.clone()));
    x.worker_ctx.wait_until(async move {
        let scratch = Scratch { cache: Some(step) };
        detached.upstream_tail(&steps, scratch).await;
        REFRESHING.with(|set| set.borrow_mut().remove(&key));
    });
}
