//! When to fetch a JSON Web Key Set, and which keys may verify a token. Pure: the adapter in
//! `crate::runtime::auth` does the I/O and asks these functions what to do.
//!
//! Contract:
//! - keys are fresh for the TTL from the IdP's `Cache-Control` (`s-maxage` over `max-age`),
//!   clamped to `[min_ttl, max_ttl]`; without one, `min_ttl`;
//! - a stale set is refetched, but at most once per `refetch_interval`; while the IdP fails,
//!   the old keys keep working until `max_stale` after they went stale;
//! - an unknown `kid` triggers a refetch at most once per `refetch_interval`, so a flood of
//!   made-up key ids cannot hammer the IdP;
//! - a fetched document that holds no usable key (not JSON, no `keys`, or only keys whose
//!   material cannot be read) is a failed fetch ([`fetched_keys`]): it never replaces keys
//!   that work. An empty `keys` list is not garbage but the IdP's word: every key is revoked.

use super::jwk::PublicJwk;
use super::{Alg, Denied};
use crate::http::url::UrlPart;
use std::rc::Rc;

/// Where one `jwt` policy's keys come from: what the runtime needs to fetch, keep and refresh
/// them. The policy name (unique) keys the per-isolate key state.
#[derive(Debug, Clone, Copy)]
pub struct JwksSource {
    pub policy: &'static str,
    /// The policy's index in the table: the key of the isolate's JWKS state.
    pub index: usize,
    /// The JWKS URL template (`${VAR}`s resolved at runtime).
    pub url: &'static [UrlPart],
    pub times: JwksTimes,
}

pub use gatehouse_config::table::jwks::JwksTimes;

/// Public keys imported into WebCrypto that one isolate keeps, at most (for every `jwt`
/// policy together; keys from a rotated JWKS stay until the cache is full, which then starts
/// again empty and re-imports keys as tokens use them).
pub const IMPORTED_KEYS_CAPACITY: usize = 256;

/// A fetched key set and when it was fetched. Times are seconds since the epoch.
#[derive(Debug, Clone)]
pub struct KeySet {
    /// Shared, so handing the set to a request does not copy it.
    pub keys: Rc<Vec<PublicJwk>>,
    pub fresh_until: f64,
}

/// What the fetch bookkeeping of one policy remembers between requests.
#[derive(Debug, Clone, Default)]
pub struct JwksState {
    pub set: Option<KeySet>,
    /// When the last fetch was started, successful or not.
    pub last_attempt: Option<f64>,
}

/// Why a fetch might be wanted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Need {
    /// The request is about to use the set.
    Keys,
    /// The token's `kid` is not in the set.
    UnknownKid,
}

impl JwksState {
    /// Whether to contact the IdP now.
    pub fn should_fetch(&self, now: f64, need: Need, t: &JwksTimes) -> bool {
        let throttled = self
            .last_attempt
            .is_some_and(|at| now - at < t.refetch_interval_s as f64);
        match (&self.set, need) {
            (None, _) => !throttled,
            (Some(set), Need::Keys) => now >= set.fresh_until && !throttled,
            (Some(_), Need::UnknownKid) => !throttled,
        }
    }

    /// The keys that may still be used: fresh ones, or stale ones within `max_stale`.
    pub fn usable(&self, now: f64, t: &JwksTimes) -> Option<&Rc<Vec<PublicJwk>>> {
        let set = self.set.as_ref()?;
        (now < set.fresh_until + t.max_stale_s as f64).then_some(&set.keys)
    }
}

/// The keys of a JWKS document fetched from the IdP. A document that lists keys of which none
/// is usable is an error, as a failed fetch is: an IdP that answers garbage must not take away
/// the keys the isolate already verifies with (they keep working up to `max_stale`). A document
/// whose `keys` list is empty is taken at its word: no key verifies (an IdP revoking every
/// key in an emergency must not be overruled by `max_stale`).
pub fn fetched_keys(body: &str) -> Result<Vec<PublicJwk>, String> {
    let keys = super::jwk::parse_jwks(body)?;
    if keys.is_empty() && !lists_no_keys(body) {
        return Err("the JWKS document has no usable key".into());
    }
    Ok(keys)
}

/// Whether `body` is a JWKS document with an empty `keys` list.
fn lists_no_keys(body: &str) -> bool {
    #[derive(serde::Deserialize)]
    struct Set {
        keys: Vec<serde::de::IgnoredAny>,
    }
    serde_json::from_str::<Set>(body).is_ok_and(|set| set.keys.is_empty())
}

/// Seconds to treat a JWKS response as fresh.
pub fn ttl_from_cache_control(cache_control: Option<&str>, t: &JwksTimes) -> u32 {
    let mut max_age = None;
    let mut s_maxage = None;
    for directive in cache_control.unwrap_or("").split(',') {
        let directive = directive.trim().to_ascii_lowercase();
        let (name, value) = directive.split_once('=').unwrap_or((&directive, ""));
        let secs = value.trim_matches('"').parse::<u32>().ok();
        match name.trim() {
            "max-age" => max_age = secs,
            "s-maxage" => s_maxage = secs,
            "no-store" | "no-cache" => max_age = Some(0),
            _ => {}
        }
    }
    s_maxage
        .or(max_age)
        .unwrap_or(t.min_ttl_s)
        .clamp(t.min_ttl_s, t.max_ttl_s)
}

/// The most keys one token may be tried against (when it has no `kid`).
pub const MAX_CANDIDATES: usize = 4;

/// Keys that may verify a token with this `kid` and `alg`: same `kid` (when the token names
/// one), the key kind the algorithm needs, and no conflicting `alg` pinned on the key.
pub fn candidates<'k>(
    keys: &'k [PublicJwk],
    kid: Option<&str>,
    alg: Alg,
) -> Result<Vec<&'k PublicJwk>, Denied> {
    let found: Vec<&PublicJwk> = keys
        .iter()
        .filter(|k| kid.is_none() || k.kid.as_deref() == kid)
        .filter(|k| k.kind == alg.key_kind())
        .filter(|k| k.alg.as_deref().is_none_or(|a| a == alg.name()))
        .take(MAX_CANDIDATES)
        .collect();
    if found.is_empty() {
        Err(Denied::UnknownKey)
    } else {
        Ok(found)
    }
}

/// Whether any key carries this `kid` at all (to tell "unknown kid" from "wrong kind").
pub fn knows_kid(keys: &[PublicJwk], kid: &str) -> bool {
    keys.iter().any(|k| k.kid.as_deref() == Some(kid))
}
