//! When an upstream's fallback answers instead of its pool, and whether the request may go to
//! a fallback upstream. Pure; [`super::forward`] (wasm) acts on it.

use super::retry::{contains, Attempt, FailureSet};
use super::settings::Upstream;

/// The statuses after which the fallback answers instead: those the retries or the breaker
/// count as failures, else 502, 503 and 504 ([`FailureSet::DEFAULT`]). Connect errors,
/// timeouts and an open pool always do ([`falls_back`]).
pub fn failures(up: &Upstream) -> FailureSet {
    up.retries
        .map(|r| r.on)
        .or(up.breaker.map(|b| b.on))
        .unwrap_or(FailureSet::DEFAULT)
}

/// Whether `up`'s fallback answers instead of what its pool gave: `answered` is the last
/// attempt's status, `None` when there was no answer (connect error, timeout, every target
/// open). Contract: `false` without a fallback; with one, `true` for no answer and for a
/// status in [`failures`]; any other status (a 4xx, a 2xx) is the client's answer.
pub fn falls_back(up: &Upstream, answered: Option<u16>) -> bool {
    up.fallback.is_some()
        && answered.is_none_or(|status| contains(&failures(up), Attempt::Status(status)))
}

/// Whether a request whose pool failed may be sent to a fallback *upstream* (a static
/// fallback answers either way). Contract: only a resendable request (idempotent, or the route
/// allows resending it: [`super::replay`]) whose body did not stream to the failed attempt.
pub fn may_resend(resendable: bool, body_streamed: bool) -> bool {
    resendable && !body_streamed
}
