//! When an `llm` alias moves on to its next provider, and how long a provider that answered
//! 429 is left alone: pure rules, clock passed in.
//!
//! Contract: a 400, 413 or 422 is the request's own fault and would fail the same everywhere:
//! it is answered (as a problem naming the provider's message). Every other answer that is
//! not a 2xx (429, any 5xx and Anthropic's 529, a key, model or account problem of that
//! provider: 401, 403, 404, a redirect, ...), a connection failure and a timeout move on to
//! the next provider. All of this happens before the first byte of an answer reaches the
//! client; once a stream has started, nothing is retried.

use std::collections::HashMap;

/// The longest `Retry-After` honoured; a longer one is cut to this.
pub const MAX_COOLDOWN_MS: f64 = 600_000.0;

/// What one provider's answer means for the alias's list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// A 2xx: this is the answer.
    Answer,
    /// The request itself was refused: answer with it, try no other provider.
    ClientError,
    /// Try the next provider.
    Next,
}

/// The verdict for a provider's HTTP status.
pub fn verdict(status: u16) -> Verdict {
    match status {
        200..=299 => Verdict::Answer,
        400 | 413 | 422 => Verdict::ClientError,
        _ => Verdict::Next,
    }
}

/// `Retry-After` (delay-seconds or an HTTP-date) as ms from `now_ms`; `None` when absent or
/// unreadable. Capped at [`MAX_COOLDOWN_MS`].
pub fn retry_after_ms(value: Option<&str>, now_ms: f64) -> Option<f64> {
    let v = value?.trim();
    let ms = if let Ok(s) = v.parse::<u64>() {
        s as f64 * 1000.0
    } else {
        let at = crate::cache::freshness::parse_http_date(v)? as f64 * 1000.0;
        (at - now_ms).max(0.0)
    };
    Some(ms.min(MAX_COOLDOWN_MS))
}

/// Providers (upstream index, model) that said 429 with a `Retry-After`, until when (ms).
/// One per isolate: another isolate may still call a provider this one is leaving alone.
#[derive(Debug, Default)]
pub struct Cooldowns {
    until: HashMap<(u16, &'static str), f64>,
}

impl Cooldowns {
    /// Remembers that `target` asked to be left alone for `ms` from `now_ms`.
    pub fn rest(&mut self, target: (u16, &'static str), now_ms: f64, ms: f64) {
        if ms > 0.0 {
            let until = now_ms + ms.min(MAX_COOLDOWN_MS);
            let e = self.until.entry(target).or_insert(0.0);
            *e = e.max(until);
        }
    }

    /// How long `target` is still to be left alone, ms (`None`: it may be called).
    pub fn resting(&mut self, target: (u16, &'static str), now_ms: f64) -> Option<f64> {
        match self.until.get(&target) {
            Some(&until) if until > now_ms => Some(until - now_ms),
            Some(_) => {
                self.until.remove(&target);
                None
            }
            None => None,
        }
    }
}
