//! A stored entry's rules, with no I/O: how long the Cache API keeps it, its stale windows,
//! the `Vary` record it is stored with and matched against, and the purge tags it carries.
//! The Cache API adapter (`adapter.rs`) reads and writes entries with these.

use super::control::CacheControl;
use super::freshness::Lifetime;
use super::key::is_tag;

/// At most this many tags per entry (the route's first, then the origin's).
pub const MAX_TAGS: usize = 32;

/// How long past its freshness an entry with validators is kept for revalidation, at most.
pub const REVALIDATE_KEEP_S: u64 = 86_400;

/// A stale entry's windows, seconds.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Windows {
    /// `stale-if-error`: served when the origin fails.
    pub if_error_s: u64,
    /// `stale-while-revalidate`: served at once while refreshed in the background.
    pub while_revalidate_s: u64,
}

impl Windows {
    /// Each window is the route's setting, else the one already on the entry (a revalidated
    /// entry keeps its windows), else the origin's `Cache-Control` directive, else 0.
    pub fn choose(
        route: (Option<u64>, Option<u64>),
        on_entry: (Option<u64>, Option<u64>),
        origin: &CacheControl,
    ) -> Windows {
        Windows {
            if_error_s: route
                .0
                .or(on_entry.0)
                .or(origin.stale_if_error)
                .unwrap_or(0),
            while_revalidate_s: route
                .1
                .or(on_entry.1)
                .or(origin.stale_while_revalidate)
                .unwrap_or(0),
        }
    }
}

/// How long the Cache API keeps an entry: its fresh time left, plus the longer of its stale
/// windows and (when it has validators) time to be revalidated instead of refetched, at most
/// [`REVALIDATE_KEEP_S`].
pub fn keep_s(life: Lifetime, windows: Windows, has_validators: bool) -> u64 {
    let revalidate = if has_validators {
        life.ttl_s.min(REVALIDATE_KEEP_S)
    } else {
        0
    };
    let stale = windows
        .if_error_s
        .max(windows.while_revalidate_s)
        .max(revalidate);
    life.ttl_s.saturating_sub(life.initial_age_s) + stale
}

/// Whether an entry `age_s` old with `ttl_s` of freshness is still inside a stale window.
pub fn within_window(age_s: u64, ttl_s: u64, window_s: u64) -> bool {
    age_s < ttl_s + window_s
}

/// The `Vary` record stored with an entry: each name the origin listed (lower-case, in
/// order) with the request's value (JSON `[[name, value|null], ...]`).
pub fn vary_record(vary: &str, request_header: impl Fn(&str) -> Option<String>) -> String {
    let names: Vec<(String, Option<String>)> = vary
        .split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .map(|n| {
            let value = request_header(&n);
            (n, value)
        })
        .collect();
    serde_json::to_string(&names).unwrap_or_default()
}

/// Whether a request's headers match the stored `Vary` record (an unreadable record never
/// matches anything but an empty one).
pub fn vary_matches(record: &str, request_header: impl Fn(&str) -> Option<String>) -> bool {
    let wanted: Vec<(String, Option<String>)> = serde_json::from_str(record).unwrap_or_default();
    wanted.iter().all(|(n, v)| request_header(n) == *v)
}

/// The `Vary` header to give clients for a stored record: the names, comma-separated.
pub fn vary_names(record: &str) -> String {
    let names: Vec<(String, Option<String>)> = serde_json::from_str(record).unwrap_or_default();
    names
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tags record stored with an entry: the route's tags, then the valid names in the
/// origin's `Cache-Tag` header, at most [`MAX_TAGS`], each with its purge counter now (JSON
/// `[[tag, counter], ...]`); `None` when there are no tags.
pub fn tags_record(
    route_tags: &[&str],
    origin_cache_tag: Option<&str>,
    counter: impl Fn(&str) -> u64,
) -> Option<String> {
    let tags: Vec<(&str, u64)> = route_tags
        .iter()
        .copied()
        .chain(
            origin_cache_tag
                .unwrap_or_default()
                .split(',')
                .map(str::trim)
                .filter(|t| is_tag(t)),
        )
        .take(MAX_TAGS)
        .map(|t| (t, counter(t)))
        .collect();
    (!tags.is_empty()).then(|| serde_json::to_string(&tags).unwrap_or_default())
}

/// Whether no tag in a stored record was purged since (its counter moved on).
pub fn tags_current(record: &str, counter: impl Fn(&str) -> u64) -> bool {
    let stored: Vec<(String, u64)> = serde_json::from_str(record).unwrap_or_default();
    stored.iter().all(|(t, g)| counter(t) == *g)
}
