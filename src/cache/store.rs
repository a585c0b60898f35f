//! Whether an origin's response may be stored, and the [`Meta`] it is stored with, decided
//! over plain facts (its status and headers, the request's headers, the route's rules, the
//! purge counters). The Cache API adapter (`policy/cache/adapter.rs`) writes the entry.

use super::control::{self, CacheControl, CDN_CACHE_CONTROL};
use super::entry::{self, Meta, Windows};
use super::freshness::{age_value, apparent_age_s, lifetime, parse_http_date, ResponseFacts};

/// A `cache` policy's settings that decide what is stored.
pub struct Rules<'a> {
    /// Freshness lifetime replacing the origin's.
    pub ttl_s: Option<u64>,
    /// The route's `stale-if-error` and `stale-while-revalidate` windows.
    pub stale_if_error_s: Option<u64>,
    pub stale_while_revalidate_s: Option<u64>,
    /// Tags every entry of the route is stored under.
    pub tags: &'a [&'a str],
    /// The gateway's targeted cache-control field (RFC 9213), read before the others.
    pub control_header: &'a str,
}

/// The directives the cache acts on for a response (RFC 9213: the policy's `targeted`
/// field, else `CDN-Cache-Control`, else `Cache-Control`).
#[inline]
pub fn directives(
    header: &dyn Fn(&str) -> Option<String>,
    targeted: Option<&str>,
    cache_control: Option<&str>,
) -> CacheControl {
    let cdn = header(CDN_CACHE_CONTROL);
    control::effective([targeted, cdn.as_deref()], cache_control)
}

/// `Expires - Date` and `now - Date` from a response's headers. An `Expires` that does not
/// parse counts as already expired; without `Date`, `Expires` is measured from now.
#[inline]
pub fn dated(header: &dyn Fn(&str) -> Option<String>, now_ms: u64) -> ResponseFacts {
    let now_s = (now_ms / 1_000) as i64;
    let date = header("date").and_then(|d| parse_http_date(&d));
    ResponseFacts {
        expires_in_s: header("expires")
            .map(|e| parse_http_date(&e).map_or(0, |e| e - date.unwrap_or(now_s))),
        date_age_s: date.map(|d| apparent_age_s(now_ms, d)),
        ..ResponseFacts::default()
    }
}

/// Whether a response can be revalidated: it has an `ETag` or a `Last-Modified`.
#[inline]
pub fn has_validators(header: &dyn Fn(&str) -> Option<String>) -> bool {
    header("etag").is_some() || header("last-modified").is_some()
}

/// The request a response answers, as the store sees it.
pub struct Request<'a> {
    /// The request's headers (for the `Vary` record).
    pub header: &'a dyn Fn(&str) -> Option<String>,
    /// It sent `Authorization` to the origin (RFC 9111 3.5 applies).
    pub authorization: bool,
    /// The path's invalidation counter at the lookup, stored with the entry.
    pub path_gen: u64,
}

/// What the store decided.
#[derive(Debug, PartialEq)]
pub enum Stored {
    /// Store it with this metadata.
    Yes(Meta),
    /// Do not; why, as the `detail` of `Cache-Status`.
    No(&'static str),
}

/// Decides whether a response with `status` and headers (`header`) to `request` may be
/// stored under `rules` at `now_ms` (RFC 9111 3), and with which metadata: its lifetime,
/// stale windows, the request headers its `Vary` names, its tags with their counters
/// (`tag_counter`) and the path's invalidation counter.
#[inline]
pub fn decide(
    status: u16,
    header: &dyn Fn(&str) -> Option<String>,
    request: &Request<'_>,
    rules: &Rules<'_>,
    tag_counter: &dyn Fn(&str) -> u64,
    now_ms: u64,
) -> Stored {
    let vary = header("vary");
    let (cache_control, targeted) = (header("cache-control"), header(rules.control_header));
    let facts = ResponseFacts {
        status,
        cache_control: directives(header, targeted.as_deref(), cache_control.as_deref()),
        authorization: request.authorization,
        set_cookie: header("set-cookie").is_some(),
        vary_star: vary
            .as_deref()
            .is_some_and(|v| v.split(',').any(|p| p.trim() == "*")),
        age_s: header("age").map(|a| age_value(&a)),
        validators: has_validators(header),
        ..dated(header, now_ms)
    };
    let life = match lifetime(&facts, rules.ttl_s) {
        Ok(l) => l,
        Err(why) => return Stored::No(why.detail()),
    };
    let windows = Windows::choose(
        (rules.stale_if_error_s, rules.stale_while_revalidate_s),
        (None, None),
        &facts.cache_control,
    );
    let meta = Meta {
        cc: cache_control,
        tc: targeted,
        p: request.path_gen,
        vary: vary.map(|v| entry::vary_record(&v, request.header)),
        tags: entry::tags_record(rules.tags, header("cache-tag").as_deref(), tag_counter),
        ..Meta::default()
    }
    .renewed(life, windows, now_ms);
    Stored::Yes(meta)
}
