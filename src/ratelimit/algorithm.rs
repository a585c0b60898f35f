//! The limit algorithms. A limiter holds one [`State`] per [`Limit`] and calls [`Limit::take`]
//! once per request, serially (a Durable Object is single-threaded), which is what makes the
//! count exact: there is no read-modify-write race to lose.
//!
//! Contract for every algorithm:
//! - `take` admits the request only if `cost` units fit; a refused request consumes nothing;
//! - `remaining` is what could still be admitted now, `reset_ms` how long until the quota is
//!   fully available again, `retry_after_ms` (refused only) how long until `cost` would fit;
//! - a clock that goes backwards (a restarted object on another machine) never refills or
//!   resets anything: time is taken as `max(now, last seen)`.

use crate::http::dates::{self as calendar};
use serde::{Deserialize, Serialize};

pub use gatehouse_config::table::limit::{Algorithm, Limit};

/// What a limiter persists per limit. Fields unused by an algorithm stay zero.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
pub struct State {
    /// Start of the current window (window algorithms).
    #[serde(default)]
    pub start: u64,
    #[serde(default)]
    pub count: u64,
    /// The previous window's count (sliding window).
    #[serde(default)]
    pub prev: u64,
    /// Tokens left (token bucket); meaningful once `last` is set.
    #[serde(default)]
    pub tokens: f64,
    /// The latest time seen, ms (0 = never used); the token bucket's refill clock.
    #[serde(default)]
    pub last: u64,
}

/// The outcome of one `take`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Decision {
    pub allowed: bool,
    pub remaining: u64,
    pub reset_ms: u64,
    pub retry_after_ms: Option<u64>,
}

/// Tries to take `cost` units at `now_ms`, updating `state`.
pub fn take(l: &Limit, state: &mut State, now_ms: u64, cost: u64) -> Decision {
    let previous = state.last;
    let now = now_ms.max(previous);
    state.last = now;
    match l.algorithm {
        Algorithm::FixedWindow => {
            let w = l.window_ms.max(1);
            let start = now - now % w;
            counted(l, state, start, start + w, now, cost)
        }
        Algorithm::Calendar(period) => {
            let (start, end) = calendar::window(period, now);
            counted(l, state, start, end, now, cost)
        }
        Algorithm::SlidingWindow => sliding(l, state, now, cost),
        Algorithm::TokenBucket { burst } => bucket(l, state, previous, now, cost, burst),
    }
}

/// Settles a reservation at its real cost: `delta` units more (`> 0`) or fewer (`< 0`) than
/// were taken at `taken_ms` (the limiter's clock when it took them).
///
/// Contract: a charge always applies, even past the limit (the units were really used; later
/// takes are refused until the count falls back), and lands in the window the reservation
/// was counted in while that window still counts, else in the current one. A give-back only
/// returns units to the window (or bucket) they were taken from, and only while it still
/// counts; never below zero, never above a bucket's burst. So after every reservation is
/// settled, what the limiter holds is exactly the real usage, as far as it still counts.
pub fn settle(l: &Limit, state: &mut State, now_ms: u64, taken_ms: u64, delta: i64) {
    // Roll the windows forward to now (a zero-cost take consumes nothing).
    take(l, state, now_ms, 0);
    let adjust = |n: &mut u64| *n = (*n as i64).saturating_add(delta).max(0) as u64;
    match l.algorithm {
        Algorithm::FixedWindow | Algorithm::Calendar(_) => {
            let taken_start = match l.algorithm {
                Algorithm::Calendar(period) => calendar::window(period, taken_ms).0,
                _ => taken_ms - taken_ms % l.window_ms.max(1),
            };
            if taken_start == state.start || delta > 0 {
                adjust(&mut state.count);
            }
        }
        Algorithm::SlidingWindow => {
            let w = l.window_ms.max(1);
            let taken_start = taken_ms - taken_ms % w;
            if taken_start == state.start {
                adjust(&mut state.count);
            } else if taken_start + w == state.start {
                adjust(&mut state.prev);
            } else if delta > 0 {
                adjust(&mut state.count);
            }
        }
        Algorithm::TokenBucket { burst } => {
            state.tokens = (state.tokens - delta as f64).min(burst as f64);
        }
    }
}

/// How long until the window containing `now_ms` ends (the count a permit was taken
/// against stops applying); `None` for a token bucket, which has no windows.
pub fn window_left_ms(l: &Limit, now_ms: u64) -> Option<u64> {
    match l.algorithm {
        Algorithm::FixedWindow | Algorithm::SlidingWindow => {
            let w = l.window_ms.max(1);
            Some(w - now_ms % w)
        }
        Algorithm::Calendar(period) => Some(calendar::window(period, now_ms).1 - now_ms),
        Algorithm::TokenBucket { .. } => None,
    }
}

/// Fixed and calendar windows: a plain count per `[start, end)`.
fn counted(l: &Limit, s: &mut State, start: u64, end: u64, now: u64, cost: u64) -> Decision {
    if start > s.start {
        s.start = start;
        s.count = 0;
    }
    let allowed = s.count + cost <= l.limit;
    if allowed {
        s.count += cost;
    }
    let reset_ms = end - now;
    Decision {
        allowed,
        remaining: l.limit.saturating_sub(s.count),
        reset_ms,
        // Refused: the window must end; a cost above the limit never fits, but the
        // earliest honest answer is still the window's end.
        retry_after_ms: (!allowed).then_some(reset_ms),
    }
}

fn sliding(l: &Limit, s: &mut State, now: u64, cost: u64) -> Decision {
    let w = l.window_ms.max(1);
    let start = now - now % w;
    if start > s.start {
        // The window we were counting becomes the previous one only if it is adjacent.
        s.prev = if start == s.start + w { s.count } else { 0 };
        s.start = start;
        s.count = 0;
    }
    let elapsed = now - start;
    let weighted = |prev: u64, elapsed: u64| (prev * (w - elapsed)).div_ceil(w);
    let estimate = weighted(s.prev, elapsed) + s.count;
    let allowed = estimate + cost <= l.limit;
    if allowed {
        s.count += cost;
    }
    let used = weighted(s.prev, elapsed) + s.count;
    let retry_after_ms = (!allowed).then(|| {
        // Within this window the previous count fades; find when `cost` fits.
        let room = l.limit.saturating_sub(s.count + cost);
        if s.count + cost <= l.limit && s.prev > 0 {
            // Need ceil(prev * (w - e) / w) <= room  <=>  e >= w - room * w / prev.
            let e = w - (room * w / s.prev).min(w);
            e.saturating_sub(elapsed).max(1)
        } else {
            // Only the next window helps: then this window's count is the one fading.
            let next_prev = s.count;
            let room = l.limit.saturating_sub(cost);
            let e = (room * w)
                .checked_div(next_prev)
                .map_or(0, |fading| w - fading.min(w));
            (w - elapsed) + e
        }
    });
    Decision {
        allowed,
        remaining: l.limit.saturating_sub(used),
        reset_ms: if s.count == 0 {
            w - elapsed
        } else {
            2 * w - elapsed
        },
        retry_after_ms,
    }
}

/// `previous` is the last time seen before this call (0: never used, so the bucket is full).
fn bucket(l: &Limit, s: &mut State, previous: u64, now: u64, cost: u64, burst: u64) -> Decision {
    let per_ms = l.limit as f64 / l.window_ms.max(1) as f64;
    s.tokens = if previous == 0 {
        burst as f64
    } else {
        (s.tokens + (now - previous) as f64 * per_ms).min(burst as f64)
    };
    let allowed = s.tokens + 1e-9 >= cost as f64;
    if allowed {
        s.tokens -= cost as f64;
    }
    let missing = |want: f64| ((want - s.tokens).max(0.0) / per_ms).ceil() as u64;
    Decision {
        allowed,
        remaining: s.tokens.floor().max(0.0) as u64,
        reset_ms: missing(burst as f64),
        retry_after_ms: (!allowed).then(|| missing(cost as f64).max(1)),
    }
}
