//! `kind = "cache"`: responses kept with the Workers Cache API. This module decides the key
//! and what the origin may see; freshness rules are in [`crate::cache`], the Cache API calls
//! in the gateway's adapter.
//!
//! Contract:
//! - by default (`forward = "keyed"`) only the parts of the request that are in the key reach
//!   the origin: the query is the
//!   key's canonical query (ignored parameters are dropped), and request headers other than
//!   content negotiation, conditional ones handled by the cache, the key's headers and the
//!   gateway's own are removed, so no unkeyed header can change what is stored (poisoning);
//! - with `forward = "all"` the request reaches the origin as on an uncached route (the
//!   query still canonical), the origin's `Vary` decides which requests share an entry, and a
//!   response to a request with `Authorization` is stored only when it says `public`,
//!   `s-maxage` or `must-revalidate` (RFC 9111 3.5);
//! - the cache decides with the gateway's targeted field, else `CDN-Cache-Control`, else
//!   `Cache-Control` (RFC 9213); clients get `Cache-Control` and `CDN-Cache-Control` unchanged;
//! - on routes with authentication, entries are per consumer unless `shared = true`.

#[cfg(target_arch = "wasm32")]
pub mod adapter;
#[cfg(target_arch = "wasm32")]
pub mod counters;
#[cfg(target_arch = "wasm32")]
pub mod flow;
#[cfg(target_arch = "wasm32")]
pub mod invalidate;
#[cfg(target_arch = "wasm32")]
pub mod refresh;
#[cfg(target_arch = "wasm32")]
pub mod stale;

use crate::auth::Identity;
use crate::cache::key::{canonical_query, KeyParts};

pub use gatehouse_config::kinds::cache::Cache;

/// Request headers the origin still receives on a cached route (besides `key_headers`, the
/// gateway's `X-Forwarded-Proto/-Host`, `X-Request-Id`, trace context and identity headers).
/// Content negotiation is allowed because origins declare it with `Vary`, which is honoured;
/// anything else an origin should see (say `User-Agent`) must be listed in `key_headers`.
pub const FORWARDED_ON_CACHED_ROUTES: &[&str] = &["accept", "accept-encoding", "accept-language"];

/// The key for this request, at purge generation 0 (the caller sets the route's).
pub fn key<'a>(
    cache: &Cache,
    route: &'a str,
    host: &'a str,
    path: &'a str,
    query: Option<&'a str>,
    header: impl Fn(&str) -> Option<String>,
    identity: Option<&'a Identity>,
) -> KeyParts<'a> {
    KeyParts {
        route,
        host,
        path,
        query,
        headers: cache.key_headers.iter().map(|h| (*h, header(h))).collect(),
        // The policy too: an API-key consumer and a JWT subject may share a name.
        partition: if cache.shared {
            None
        } else {
            identity.map(|i| format!("{}\u{0}{}", i.policy, i.subject))
        },
        generation: 0,
        side: None,
    }
}

/// The query sent upstream and keyed on.
pub fn query(cache: &Cache, raw: Option<&str>) -> Option<String> {
    canonical_query(raw, cache.query)
}
