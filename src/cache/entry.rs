//! A stored entry's rules, with no I/O: the metadata stored with it, how long the Cache API
//! keeps it, its stale windows, the `Vary` record it is stored with and matched against, and
//! the purge tags it carries. The Cache API adapter (`adapter.rs`) reads and writes entries
//! with these.

use super::control::CacheControl;
use super::freshness::Lifetime;
use super::key::is_tag;
use serde::{Deserialize, Serialize};

/// The one header an entry's [`Meta`] is stored in; removed before anything is served.
pub const META_HEADER: &str = "x-gatehouse-meta";

/// Each name the origin's `Vary` listed (lower-case, in order) with the request's value when
/// the entry was stored.
pub type VaryRecord = Vec<(String, Option<String>)>;

/// Each tag an entry carries with its purge counter when the entry was stored.
pub type TagsRecord = Vec<(String, u64)>;

/// What the gateway stores with an entry, as JSON in [`META_HEADER`] (one header, so a hit
/// reads and removes it in one step).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Meta {
    /// When it was stored, ms since the epoch.
    pub at: u64,
    /// Its freshness lifetime, seconds.
    pub ttl: u64,
    /// Its age when stored (the origin's `Age` or `Date`), seconds.
    pub age: u64,
    /// Its `stale-if-error` window, seconds.
    pub sie: u64,
    /// Its `stale-while-revalidate` window, seconds.
    pub swr: u64,
    /// The origin's `Cache-Control` (the stored one says how long the Cache API keeps it).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cc: Option<String>,
    /// The gateway's targeted cache-control field (RFC 9213), kept here because clients
    /// never see it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tc: Option<String>,
    /// Its path's invalidation counter when stored ([`super::invalidate`]); the entry is a
    /// miss once the counter moves on.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub p: u64,
    /// The `Vary` record, when the origin sent `Vary` (the stored entry has no `Vary`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub vary: Option<VaryRecord>,
    /// The purge tags, when it has any.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<TagsRecord>,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Meta {
    /// The header value.
    pub fn encode(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }

    /// The metadata in a header value; `None` when absent or unreadable (the entry is then a
    /// miss and is replaced, as are entries written by older releases).
    pub fn decode(value: Option<&str>) -> Option<Meta> {
        serde_json::from_str(value?).ok()
    }

    /// This metadata for an entry stored at `now_ms` with `life` and `windows`.
    pub fn renewed(self, life: Lifetime, windows: Windows, now_ms: u64) -> Meta {
        Meta {
            at: now_ms,
            ttl: life.ttl_s,
            age: life.initial_age_s,
            sie: windows.if_error_s,
            swr: windows.while_revalidate_s,
            ..self
        }
    }

    /// The freshness it was stored with.
    pub fn lifetime(&self) -> Lifetime {
        Lifetime {
            ttl_s: self.ttl,
            initial_age_s: self.age,
        }
    }

    /// Its stale windows.
    pub fn windows(&self) -> Windows {
        Windows {
            if_error_s: self.sie,
            while_revalidate_s: self.swr,
        }
    }
}

/// At most this many tags per entry (the route's first, then the origin's).
pub const MAX_TAGS: usize = 32;

/// How long past its freshness an entry with validators is kept for revalidation, unless the
/// policy's `keep_for_revalidation` says otherwise.
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
        // `no-cache` and `must-revalidate`: never served without a successful revalidation.
        if origin.no_cache || origin.must_revalidate {
            return Windows::default();
        }
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
/// windows and `revalidate_s` (the policy's `keep_for_revalidation` when the entry has an
/// `ETag` or `Last-Modified`, else 0): a stale entry with validators is revalidated with a
/// conditional request (a 304 costs no body) instead of refetched.
pub fn keep_s(life: Lifetime, windows: Windows, revalidate_s: u64) -> u64 {
    let stale = windows
        .if_error_s
        .max(windows.while_revalidate_s)
        .max(revalidate_s);
    life.ttl_s.saturating_sub(life.initial_age_s) + stale
}

/// Whether an entry `age_s` old with `ttl_s` of freshness is still inside a stale window.
pub fn within_window(age_s: u64, ttl_s: u64, window_s: u64) -> bool {
    age_s < ttl_s + window_s
}

/// The `Vary` record stored with an entry: each name the origin listed (lower-case, in
/// order) with the request's value.
pub fn vary_record(vary: &str, request_header: impl Fn(&str) -> Option<String>) -> VaryRecord {
    vary.split(',')
        .map(|n| n.trim().to_ascii_lowercase())
        .filter(|n| !n.is_empty())
        .map(|n| {
            let value = request_header(&n);
            (n, value)
        })
        .collect()
}

/// Whether a request's headers match the stored `Vary` record: every listed header has the
/// value it had, and one absent then is absent now.
pub fn vary_matches(record: &VaryRecord, request_header: impl Fn(&str) -> Option<String>) -> bool {
    record.iter().all(|(n, v)| request_header(n) == *v)
}

/// The `Vary` header to give clients for a stored record: the names, comma-separated.
pub fn vary_names(record: &VaryRecord) -> String {
    record
        .iter()
        .map(|(n, _)| n.as_str())
        .collect::<Vec<_>>()
        .join(", ")
}

/// The tags record stored with an entry: the route's tags, then the valid names in the
/// origin's `Cache-Tag` header, at most [`MAX_TAGS`], each with its purge counter now;
/// `None` when there are no tags.
pub fn tags_record(
    route_tags: &[&str],
    origin_cache_tag: Option<&str>,
    counter: impl Fn(&str) -> u64,
) -> Option<TagsRecord> {
    let tags: TagsRecord = route_tags
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
        .map(|t| (t.to_string(), counter(t)))
        .collect();
    (!tags.is_empty()).then_some(tags)
}

/// Whether no tag in a stored record was purged since (its counter moved on).
pub fn tags_current(record: &TagsRecord, counter: impl Fn(&str) -> u64) -> bool {
    record.iter().all(|(t, g)| counter(t) == *g)
}
