//! The attempts to one upstream's pool, written once over a [`Transport`]: a target by the
//! pool's balance, skipping open breakers; failed attempts retried (on another target when
//! there is one) within the retry settings, the isolate's retry budget and the deadline. The
//! worker's transport is `forward.rs` (JS `fetch`); native tests drive the same loop with a
//! scripted one and a test clock (tests/send.rs).

use super::pool::{with_pool, Choice};
use super::retry::{self, Attempt};
use super::settings::Upstream;
use crate::error::GatewayError;
use crate::log::Try;

/// What the loop needs from the runtime: a clock, randomness, one attempt, a pause.
#[allow(async_fn_in_trait)] // single-threaded runtime: no Send bounds wanted
pub trait Transport {
    /// A response from the origin.
    type Response;
    /// Milliseconds since the epoch.
    fn now_ms(&self) -> f64;
    /// A uniform number in `[0, 1)`.
    fn random(&self) -> f64;
    /// A response's status.
    fn status(&self, response: &Self::Response) -> u16;
    /// A response's `Retry-After`.
    fn retry_after(&self, response: &Self::Response) -> Option<String>;
    /// One attempt to target `target`, given `timeout_ms` for the response headers (`abort`:
    /// cancel it on timeout). Fails with `UpstreamTimeout` or another error for no answer.
    async fn attempt(
        &self,
        target: usize,
        timeout_ms: u32,
        abort: bool,
    ) -> Result<Self::Response, GatewayError>;
    /// Waits `ms` before the next attempt.
    async fn sleep(&self, ms: u32);
}

/// One request to the pool of upstream number `index` (its per-isolate state).
pub struct Attempts<'a> {
    pub index: usize,
    pub upstream: &'static Upstream,
    /// The request's key for `balance = "hash"`.
    pub hash_key: Option<&'a str>,
    /// A failed attempt may be sent again (idempotent, body buffered).
    pub retryable: bool,
    /// An absolute deadline over the upstream's own.
    pub deadline_at: Option<f64>,
    /// The request's one upstream call with nothing after it: a timed-out attempt may be
    /// left to the runtime when no retry or fallback follows.
    pub alone: bool,
}

/// What the attempts came to.
pub struct Outcome<R> {
    /// The last answer and the target that gave it, or why there was none.
    pub result: Result<(R, usize), GatewayError>,
    /// Each attempt, for the access log.
    pub tries: Vec<Try>,
    pub attempts: u32,
}

/// Runs the attempts: retries follow the upstream's `retries` (only when `retryable`),
/// each waits its backoff or the origin's `Retry-After` (503) when that fits before the
/// deadline and the isolate's retry budget allows; every attempt is recorded on the target's
/// breaker. An open pool is `UpstreamUnavailable`, a deadline reached `UpstreamTimeout`.
pub async fn attempts<T: Transport>(t: &T, a: &Attempts<'_>) -> Outcome<T::Response> {
    let up = a.upstream;
    let started = t.now_ms();
    let deadline = match (
        up.deadline_ms.map(|d| started + f64::from(d)),
        a.deadline_at,
    ) {
        (Some(x), Some(y)) => Some(x.min(y)),
        (x, y) => x.or(y),
    };
    with_pool(a.index, up, |p| p.budget.note_request(started));
    let extra = match up.retries {
        Some(r) if a.retryable => u32::from(r.attempts),
        _ => 0,
    };
    // Another attempt or the fallback may follow a timeout, so it must not linger.
    let abort = !a.alone || extra > 0 || up.fallback.is_some();
    let mut tried = Vec::new();
    let mut tries = Vec::new();
    let mut attempts = 0;
    let result = loop {
        let now = t.now_ms();
        let left = deadline.map(|d| d - now);
        if left.is_some_and(|l| l < 1.0) {
            break Err(GatewayError::UpstreamTimeout {
                upstream: up.name,
                timeout_ms: (deadline.unwrap_or(now) - started).max(0.0) as u32,
            });
        }
        let r = t.random();
        let target = match with_pool(a.index, up, |p| p.choose(up, a.hash_key, &tried, now, r)) {
            Choice::Target(i) => i,
            Choice::AllOpen { retry_after_s } => {
                tries.push(Try {
                    target: up.name,
                    outcome: "open".into(),
                    ms: 0.0,
                });
                break Err(GatewayError::UpstreamUnavailable {
                    upstream: up.name,
                    retry_after_s,
                });
            }
        };
        tried.push(target);
        attempts += 1;
        let timeout = left.map_or(up.timeout_ms, |l| up.timeout_ms.min(l as u32));
        let sent = t.attempt(target, timeout, abort).await;
        if matches!(sent, Err(GatewayError::PayloadTooLarge { .. })) {
            // The gateway cut the call because the client's body went over max_body: nothing
            // was learned about the target, so no breaker record, no retry, no try logged.
            break sent.map(|resp| (resp, target));
        }
        let ending = ending(t, &sent);
        let done = t.now_ms();
        tries.push(Try {
            target: up.targets[target].id,
            outcome: outcome(ending),
            ms: done - now,
        });
        let breaker_failure = up.breaker.is_some_and(|b| retry::contains(&b.on, ending));
        with_pool(a.index, up, |p| p.record(target, breaker_failure, done));
        let retry = up.retries.filter(|r| retry::contains(&r.on, ending));
        let Some(settings) = retry.filter(|_| attempts <= extra) else {
            break sent.map(|resp| (resp, target));
        };
        let left = deadline.map_or(f64::INFINITY, |d| d - done);
        let wait = match &sent {
            Ok(resp) if t.status(resp) == 503 => {
                retry::retry_after_ms(t.retry_after(resp).as_deref(), left)
            }
            _ => Some(retry::backoff_ms(&settings, attempts, t.random())),
        };
        let budget_left = || {
            with_pool(a.index, up, |p| {
                p.budget.try_retry(settings.budget_percent, done)
            })
        };
        match wait {
            Some(ms) if ms < left && budget_left() => {
                if ms >= 1.0 {
                    t.sleep(ms as u32).await;
                }
            }
            _ => break sent.map(|resp| (resp, target)),
        }
    };
    Outcome {
        result,
        tries,
        attempts,
    }
}

/// An attempt's ending as the access log writes it.
#[inline]
fn outcome(a: Attempt) -> String {
    match a {
        Attempt::Connect => "connect".into(),
        Attempt::Timeout => "timeout".into(),
        Attempt::Status(s) => s.to_string(),
    }
}

/// How an attempt ended, for the breaker and the retry rules.
#[inline]
pub fn ending<T: Transport>(t: &T, sent: &Result<T::Response, GatewayError>) -> Attempt {
    match sent {
        Ok(resp) => Attempt::Status(t.status(resp)),
        Err(GatewayError::UpstreamTimeout { .. }) => Attempt::Timeout,
        Err(_) => Attempt::Connect,
    }
}
