//! Invalidation after a successful write (wasm only; the rules are
//! [`crate::cache::invalidate`]): what is cached for the written paths is made unreachable by
//! moving their purge counters.

use super::counters;
use crate::cache::generations::WriteBudget;
use crate::cache::invalidate::{invalidates, is_unsafe};
use crate::cache::invalidate::{path_key, paths};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::log::FellBack;
use crate::policy;
use crate::policy::Policy;
use crate::route::{host_for_matching, RouteIndex};
use crate::runtime;
use crate::runtime::answer::Answer;
use std::cell::RefCell;

thread_local! {
    static BUDGET: RefCell<WriteBudget> = RefCell::new(WriteBudget::default());
}

/// How long the writer waits for the counters to move, at most.
const TIMEOUT_MS: u32 = 2_000;

/// Whether a cached route (one of `routes` with a `cache` among `policies`) could hold
/// entries for `path` on `host`.
fn cached(routes: &'static RouteIndex, policies: &[Policy], host: &str, path: &str) -> bool {
    routes.routes_at(&host_for_matching(host), path).any(|r| {
        r.policies
            .iter()
            .any(|&i| policy::is_cache(&policies[i as usize]))
    })
}

/// The invalidation step's `after_upstream`: after a successful unsafe request that reached
/// the origin, what is cached for its path, and for the same-host paths its answer names in
/// `Location` and `Content-Location`, is invalidated (RFC 9111 4.4; see [`after_write`]); the
/// log's `cache` says so. The answer passes unchanged.
pub async fn after_upstream(
    x: &mut WorkerExchange<'_>,
    policies: &'static [Policy],
    result: Result<Answer, GatewayError>,
) -> Result<Answer, GatewayError> {
    let Ok(answer) = &result else {
        return result;
    };
    // A static fallback answered for an origin that failed: nothing was written.
    let written = answer.is_from_origin() && x.ctx.log.fallback != Some(FellBack::Static);
    if !(written && is_unsafe(&x.ctx.method) && invalidates(answer.status)) {
        return result;
    }
    let named = |name: &str| answer.headers.get(name).ok().flatten();
    let (location, content_location) = (named("location"), named("content-location"));
    let client = match (&x.ctx.identity, &x.ctx.client_ip) {
        (Some(i), _) => format!("{}\u{0}{}", i.policy, i.subject),
        (None, Some(ip)) => ip.clone(),
        (None, None) => String::new(),
    };
    let routes = x.tables.routes;
    let label = after_write(
        x.env,
        &client,
        x.ctx.url.host,
        &x.path,
        location.as_deref(),
        content_location.as_deref(),
        |host, path| cached(routes, policies, host, path),
    )
    .await;
    if label.is_some() {
        x.ctx.log.cache = label;
    }
    result
}

/// After a successful unsafe request to `path` on `host` whose answer named `location`
/// and `content_location`: moves the counters of every path it invalidates that a cached
/// route serves (`cached(host, path)`), and takes the new counters into this isolate at once. `client` (the
/// consumer, else the client's IP) spends its budget
/// ([`crate::cache::generations::CLIENT_PATHS_PER_MINUTE`]). Answers the access log's `cache` label:
/// `None` when nothing cached was touched, `invalidated`, `invalidate-failed` when the
/// counters could not be moved in time, or `invalidate-skipped` over the client's budget
/// (entries may then be served until they expire or are purged).
pub async fn after_write(
    env: &worker::Env,
    client: &str,
    host: &str,
    path: &str,
    location: Option<&str>,
    content_location: Option<&str>,
    cached: impl Fn(&str, &str) -> bool,
) -> Option<&'static str> {
    let keys: Vec<String> = paths(host, path, location, content_location)
        .iter()
        .filter(|p| cached(host, p))
        .map(|p| path_key(host, p))
        .collect();
    if keys.is_empty() {
        return None;
    }
    let now = runtime::now_ms() as u64;
    let within = BUDGET.with(|b| b.borrow_mut().take(client, keys.len() as u32, now));
    if !within {
        return Some("invalidate-skipped");
    }
    let answer = runtime::io::generations_invalidate(env, &keys.join(","), TIMEOUT_MS).await;
    let now = runtime::now_ms() as u64;
    match answer.ok().and_then(|json| counters::remember(&json, now)) {
        Some(_) => Some("invalidated"),
        None => Some("invalidate-failed"),
    }
}
