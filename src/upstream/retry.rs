//! Retries: what counts as a failed attempt, when another attempt is allowed, how long to wait
//! before it, and the per-isolate budget that keeps retries from multiplying an outage. Pure:
//! time and randomness come in as arguments.

/// How one attempt ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Attempt {
    /// No connection (refused, reset, DNS).
    Connect,
    /// No response headers within the timeout.
    Timeout,
    /// The origin answered with this status.
    Status(u16),
}

pub use gatehouse_config::table::upstream::{FailureSet, RetrySettings};

pub fn contains(set: &FailureSet, a: Attempt) -> bool {
    match a {
        Attempt::Connect => set.connect,
        Attempt::Timeout => set.timeout,
        Attempt::Status(s) => set.statuses.contains(&s),
    }
}

/// Methods that are safe to send twice (RFC 9110 9.2.2).
pub fn idempotent(method: &str) -> bool {
    matches!(
        method,
        "GET" | "HEAD" | "OPTIONS" | "PUT" | "DELETE" | "TRACE"
    )
}

/// The wait before retry number `retry` (1 for the first), with `r` uniform in `[0, 1)`.
pub fn backoff_ms(s: &RetrySettings, retry: u32, r: f64) -> f64 {
    let cap = f64::from(s.backoff_ms)
        * 2f64
            .powi(retry.saturating_sub(1).min(30) as i32)
            .min(f64::from(u32::MAX));
    r.clamp(0.0, 1.0) * cap.min(f64::from(s.max_backoff_ms))
}

/// How long to wait for a 503's `Retry-After` (delta-seconds only), if it fits before the
/// deadline; `None` means: do not retry on it.
pub fn retry_after_ms(value: Option<&str>, left_ms: f64) -> Option<f64> {
    let Some(v) = value else {
        return Some(0.0);
    };
    let ms = v.trim().parse::<u32>().ok()? as f64 * 1_000.0;
    (ms < left_ms).then_some(ms)
}

/// The per-isolate retry budget: a rolling 10 s window of requests and retries.
#[derive(Debug, Clone, Default)]
pub struct Budget {
    /// (bucket start s, requests, retries), one bucket per second.
    buckets: [(i64, u32, u32); 10],
}

impl Budget {
    /// Retries allowed per window whatever the request count.
    pub const MIN_RETRIES: u32 = 3;

    /// Counts a request (its first attempt).
    pub fn note_request(&mut self, now_ms: f64) {
        self.bucket(now_ms).1 += 1;
    }

    /// Takes a retry from the budget if one is left: retries in the window stay within
    /// `percent` of the window's requests plus [`Budget::MIN_RETRIES`].
    pub fn try_retry(&mut self, percent: u8, now_ms: f64) -> bool {
        let now_s = (now_ms / 1_000.0).floor() as i64;
        let (requests, retries) = self
            .buckets
            .iter()
            .filter(|(s, _, _)| now_s - *s < 10)
            .fold((0u64, 0u64), |(q, t), (_, bq, bt)| {
                (q + u64::from(*bq), t + u64::from(*bt))
            });
        let allowed = requests * u64::from(percent) / 100 + u64::from(Self::MIN_RETRIES);
        if retries >= allowed {
            return false;
        }
        self.bucket(now_ms).2 += 1;
        true
    }

    fn bucket(&mut self, now_ms: f64) -> &mut (i64, u32, u32) {
        let s = (now_ms / 1_000.0).floor() as i64;
        let slot = s.rem_euclid(10) as usize;
        if self.buckets[slot].0 != s {
            self.buckets[slot] = (s, 0, 0);
        }
        &mut self.buckets[slot]
    }
}
