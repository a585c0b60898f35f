//! [`Refreshes`]: the `stale-while-revalidate` refreshes one isolate is running, by entry key
//! (its Cache API URL). Pure; the cache policy keeps one per isolate
//! ([`crate::policy::cache`]).

use std::collections::HashMap;

/// Refreshes one isolate runs at once, at most. Each is a background origin request; a stale
/// entry met while this many are running is served stale without starting another (a later
/// request starts it once one finishes), so distinct stale keys cannot grow the set (nor the
/// isolate's background requests) without bound.
pub const MAX_REFRESHES: usize = 64;

/// After this long a refresh's place is taken back even if it never said it ended: the
/// runtime may cancel a `waitUntil` task without dropping it (Cloudflare ends them 30 s after
/// the answer), and a place it kept forever would be lost.
pub const MAX_REFRESH_AGE_MS: f64 = 60_000.0;

/// The keys being refreshed, with when each started: at most [`MAX_REFRESHES`].
#[derive(Debug, Default)]
pub struct Refreshes {
    keys: HashMap<String, f64>,
}

impl Refreshes {
    /// No refreshes running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a refresh of `key` may start at `now_ms`: none younger than
    /// [`MAX_REFRESH_AGE_MS`] is running for it and fewer than [`MAX_REFRESHES`] such are.
    pub fn may_start(&self, key: &str, now_ms: f64) -> bool {
        let live = |started: &f64| now_ms - started < MAX_REFRESH_AGE_MS;
        !self.keys.get(key).is_some_and(live)
            && self.keys.values().filter(|s| live(s)).count() < MAX_REFRESHES
    }

    /// Records a refresh of `key` as running from `now_ms` (places older than
    /// [`MAX_REFRESH_AGE_MS`] are taken back first); `false` (and nothing recorded) when
    /// [`Refreshes::may_start`] says it may not.
    pub fn start(&mut self, key: &str, now_ms: f64) -> bool {
        self.keys
            .retain(|_, started| now_ms - *started < MAX_REFRESH_AGE_MS);
        if !self.may_start(key, now_ms) {
            return false;
        }
        self.keys.insert(key.to_string(), now_ms);
        true
    }

    /// The refresh of `key` ended (stored, confirmed, failed or cancelled).
    pub fn finish(&mut self, key: &str) {
        self.keys.remove(key);
    }

    /// Refreshes running.
    pub fn len(&self) -> usize {
        self.keys.len()
    }

    /// Whether none is running.
    pub fn is_empty(&self) -> bool {
        self.keys.is_empty()
    }
}
