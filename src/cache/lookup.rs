//! What a stored entry is for a request, decided over plain facts: its [`Meta`], the path's
//! invalidation counter at lookup, the request's headers and the purge counters. The Cache API
//! adapter (`policy/cache/adapter.rs`) reads the entry and acts on the [`Verdict`].

use super::entry::{self, Meta};
use super::freshness::age_s;

/// What an entry is for this request.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Usable as it is: `age_s` old, fresh for `ttl_s - age_s` more.
    Fresh { ttl_s: u64, age_s: u64 },
    /// Past its freshness lifetime: to revalidate, or to serve within its stale windows.
    Stale { ttl_s: u64, age_s: u64 },
    /// Not usable; why, as the `fwd` of `Cache-Status` (`uri-miss`, `vary-miss`).
    Miss(&'static str),
}

/// Judges a stored entry by its metadata `meta` at `now_ms`: a miss when a write invalidated its path since it was stored (`meta.p != path_gen`), when
/// the request's headers differ from those its `Vary` recorded (`request_header`), or when a
/// tag it was stored under was purged since (`tag_counter`); else fresh or stale by its age.
#[inline]
pub fn verdict(
    meta: &Meta,
    path_gen: u64,
    request_header: impl Fn(&str) -> Option<String>,
    tag_counter: impl Fn(&str) -> u64,
    now_ms: u64,
) -> Verdict {
    if meta.p != path_gen {
        return Verdict::Miss("uri-miss");
    }
    if let Some(vary) = &meta.vary {
        if !entry::vary_matches(vary, request_header) {
            return Verdict::Miss("vary-miss");
        }
    }
    if let Some(tags) = &meta.tags {
        if !entry::tags_current(tags, tag_counter) {
            return Verdict::Miss("uri-miss");
        }
    }
    let (ttl_s, age_s) = (meta.ttl, age_s(meta.age, meta.at, now_ms));
    if age_s >= ttl_s {
        Verdict::Stale { ttl_s, age_s }
    } else {
        Verdict::Fresh { ttl_s, age_s }
    }
}
