//! [`Refreshes`]: the `stale-while-revalidate` refreshes one isolate is running, by entry key
//! (its Cache API URL). Pure; the cache policy keeps one per isolate
//! ([`crate::policy::cache`]).

use std::collections::HashSet;

/// Refreshes one isolate runs at once, at most. Each is a background origin request; a stale
/// entry met while this many are running is served stale without starting another (a later
/// request starts it once one finishes), so distinct stale keys cannot grow the set (nor the
/// isolate's background requests) without bound.
pub const MAX_REFRESHES: usize = 64;

/// The keys being refreshed: at most [`MAX_REFRESHES`].
#[derive(Debug, Default)]
pub struct Refreshes {
    keys: HashSet<String>,
}

impl Refreshes {
    /// No refreshes running.
    pub fn new() -> Self {
        Self::default()
    }

    /// Whether a refresh of `key` may start now: none is running for it and fewer than
    /// [`MAX_REFRESHES`] are running.
    pub fn may_start(&self, key: &str) -> bool {
        !self.keys.contains(key) && self.keys.len() < MAX_REFRESHES
    }

    /// Records a refresh of `key` as running; `false` (and nothing recorded) when
    /// [`Refreshes::may_start`] says it may not.
    pub fn start(&mut self, key: &str) -> bool {
        if !self.may_start(key) {
            return false;
        }
        self.keys.insert(key.to_string())
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
