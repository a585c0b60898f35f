//! Rate-limit arithmetic, pure and clock-explicit: the algorithms a limiter Durable Object
//! runs on its state ([`algorithm`]), UTC calendar windows for quotas ([`crate::http::dates`]), and the
//! IETF `RateLimit-Policy` / `RateLimit` header values ([`headers`]). Nothing here does I/O;
//! all times are milliseconds since the epoch, passed in.
pub mod algorithm;
pub mod backend;
pub mod batch;
use crate::http::dates as calendar;
pub mod headers;
pub mod lease;

pub use algorithm::{Algorithm, Decision, Limit, State};

use serde::{Deserialize, Serialize};

/// Takes `cost` from every limit at once: admitted only if all admit, and a refused request
/// consumes from none of them (several limits on one route stay consistent).
pub fn take_all(limits: &[Limit], states: &mut [State], now_ms: u64, cost: u64) -> Vec<Decision> {
    let mut trial = states.to_vec();
    let decisions: Vec<Decision> = limits
        .iter()
        .zip(trial.iter_mut())
        .map(|(l, s)| algorithm::take(l, s, now_ms, cost))
        .collect();
    if decisions.iter().all(|d| d.allowed) {
        states.clone_from_slice(&trial);
        decisions
    } else {
        // Report each limit as it stands without this request; refused ones keep their retry.
        limits
            .iter()
            .zip(states.iter())
            .zip(&decisions)
            .map(|((l, s), d)| {
                let mut look = s.clone();
                let now = algorithm::take(l, &mut look, now_ms, 0);
                Decision {
                    allowed: false,
                    remaining: now.remaining,
                    reset_ms: now.reset_ms,
                    retry_after_ms: d.retry_after_ms,
                }
            })
            .collect()
    }
}

/// How long a limiter's state matters after its last request: the longest window (a token
/// bucket's time to refill, a sliding window's two windows, a calendar period). After that it
/// can be deleted without changing any future decision.
pub fn idle_after_ms(limits: &[Limit]) -> u64 {
    limits
        .iter()
        .map(|l| match l.algorithm {
            Algorithm::FixedWindow => l.window_ms,
            Algorithm::SlidingWindow => 2 * l.window_ms,
            Algorithm::TokenBucket { burst } => (burst * l.window_ms).div_ceil(l.limit.max(1)),
            Algorithm::Calendar(calendar::Period::Day) => 86_400_000,
            Algorithm::Calendar(calendar::Period::Month) => 31 * 86_400_000,
        })
        .max()
        .unwrap_or(0)
        .max(60_000)
}

/// What the gateway sends a limiter object: the limits (the object keeps no config of its
/// own) and either the cost of this request (exact mode) or, when `lease > 0`, how many
/// permits the isolate would like to hold for up to `lease_ttl_ms` (leased mode).
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TakeRequest {
    pub limits: Vec<WireLimit>,
    pub cost: u64,
    #[serde(default)]
    pub lease: u64,
    #[serde(default)]
    pub lease_ttl_ms: u64,
    /// Settles an earlier reservation instead of taking: `settle` units more (`> 0`) or fewer
    /// (`< 0`) than were taken at `taken_ms` ([`algorithm::settle`]); `cost` is then unused.
    #[serde(default)]
    pub settle: i64,
    #[serde(default)]
    pub taken_ms: u64,
}

/// The limiter object's whole decision for one take request, on its state at `now_ms`.
pub fn answer(
    take: &TakeRequest,
    limits: &[Limit],
    states: &mut [State],
    now_ms: u64,
) -> TakeResponse {
    let (granted, decisions, next_ms, lease_ms) = if take.settle != 0 {
        let decisions = limits
            .iter()
            .zip(states.iter_mut())
            .map(|(l, s)| {
                algorithm::settle(l, s, now_ms, take.taken_ms, take.settle);
                algorithm::take(l, s, now_ms, 0)
            })
            .collect();
        (0, decisions, 0, 0)
    } else if take.lease > 0 {
        let (granted, decisions, next_ms) = lease::lease_all(limits, states, now_ms, take.lease);
        let lease_ms = lease::lease_ms(limits, now_ms, take.lease_ttl_ms);
        (granted, decisions, next_ms, lease_ms)
    } else {
        (0, take_all(limits, states, now_ms, take.cost), 0, 0)
    };
    TakeResponse {
        decisions: decisions.into_iter().map(Into::into).collect(),
        granted,
        lease_ms,
        next_ms,
        now_ms,
    }
}

/// A [`Limit`] on the wire.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct WireLimit {
    pub name: String,
    pub limit: u64,
    pub window_ms: u64,
    /// `fixed_window`, `sliding_window`, `token_bucket`, `day`, `month`.
    pub algorithm: String,
    #[serde(default)]
    pub burst: u64,
}

impl WireLimit {
    pub fn to_limit(&self) -> Option<Limit> {
        let algorithm = match self.algorithm.as_str() {
            "fixed_window" => Algorithm::FixedWindow,
            "sliding_window" => Algorithm::SlidingWindow,
            "token_bucket" => Algorithm::TokenBucket { burst: self.burst },
            "day" => Algorithm::Calendar(calendar::Period::Day),
            "month" => Algorithm::Calendar(calendar::Period::Month),
            _ => return None,
        };
        (self.limit > 0).then_some(Limit {
            limit: self.limit,
            window_ms: self.window_ms,
            algorithm,
        })
    }

    pub fn from_limit(name: &str, l: &Limit) -> WireLimit {
        let (algorithm, burst) = match l.algorithm {
            Algorithm::FixedWindow => ("fixed_window", 0),
            Algorithm::SlidingWindow => ("sliding_window", 0),
            Algorithm::TokenBucket { burst } => ("token_bucket", burst),
            Algorithm::Calendar(calendar::Period::Day) => ("day", 0),
            Algorithm::Calendar(calendar::Period::Month) => ("month", 0),
        };
        WireLimit {
            name: name.to_string(),
            limit: l.limit,
            window_ms: l.window_ms,
            algorithm: algorithm.to_string(),
            burst,
        }
    }
}

/// The limiter's answer: one decision per limit, in order. For a lease, `granted` permits
/// (0 = refused) valid for `lease_ms` from when the request was sent, and `next_ms`: when the
/// grant used up everything available, how long until another permit could be had.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct TakeResponse {
    pub decisions: Vec<WireDecision>,
    #[serde(default)]
    pub granted: u64,
    #[serde(default)]
    pub lease_ms: u64,
    #[serde(default)]
    pub next_ms: u64,
    /// The limiter's clock when it decided (what a settle names as `taken_ms`).
    #[serde(default)]
    pub now_ms: u64,
}

#[derive(Debug, Clone, Copy, Serialize, Deserialize)]
pub struct WireDecision {
    pub allowed: bool,
    pub remaining: u64,
    pub reset_ms: u64,
    pub retry_after_ms: Option<u64>,
}

impl From<Decision> for WireDecision {
    fn from(d: Decision) -> Self {
        WireDecision {
            allowed: d.allowed,
            remaining: d.remaining,
            reset_ms: d.reset_ms,
            retry_after_ms: d.retry_after_ms,
        }
    }
}

impl From<WireDecision> for Decision {
    fn from(d: WireDecision) -> Self {
        Decision {
            allowed: d.allowed,
            remaining: d.remaining,
            reset_ms: d.reset_ms,
            retry_after_ms: d.retry_after_ms,
        }
    }
}
