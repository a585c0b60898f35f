//! Whether a response may be stored, for how long it is fresh, and how old a stored one is
//! (RFC 9111 sections 3, 4.2), for a shared cache.
//!
//! Contract:
//! - never stored: `no-store`, `private` (qualified or not), a `Set-Cookie` header, `Vary: *`,
//!   and statuses outside [`CACHEABLE_STATUSES`] - whatever the route's `ttl` says; nor a
//!   response to a request with `Authorization` unless it says `public`, `s-maxage` or
//!   `must-revalidate` (RFC 9111 3.5; only `forward = "all"` routes send `Authorization` on);
//! - stored already stale (a lifetime of 0: revalidated before every reuse) when it has a
//!   validator (`ETag` or `Last-Modified`) and says `no-cache`, or its lifetime is used up
//!   by its age (`max-age=0`); without a validator such a response is not stored;
//! - the directives are the ones the cache acts on ([`super::control::effective`]);
//! - freshness lifetime: the route's `ttl` when set, else `s-maxage`, else `max-age`, else
//!   `Expires - Date` (an `Expires` that does not parse is in the past); no explicit lifetime
//!   means not stored (no heuristic freshness);
//! - age: the origin's `Age` (or `now - Date`, whichever is larger) when stored, plus the time
//!   spent in this cache. An `Age` that is not one non-negative integer (`old, 0`) is older
//!   than any lifetime: the response is stale ([`age_value`]).

use super::control::CacheControl;

/// Statuses the cache stores (RFC 9110 15.1's heuristically cacheable ones, minus 206).
pub const CACHEABLE_STATUSES: &[u16] = &[200, 203, 204, 300, 301, 308, 404, 405, 410, 414, 501];

/// What the origin's response says about caching.
#[derive(Debug, Clone, Default)]
pub struct ResponseFacts {
    pub status: u16,
    pub cache_control: CacheControl,
    pub set_cookie: bool,
    pub vary_star: bool,
    /// The request carried `Authorization` to the origin.
    pub authorization: bool,
    /// `Expires - Date` in seconds, when both parse.
    pub expires_in_s: Option<i64>,
    /// The `Age` header.
    pub age_s: Option<u64>,
    /// `now - Date` at receipt, when `Date` parses.
    pub date_age_s: Option<i64>,
    /// The response has an `ETag` or a `Last-Modified`: it can be revalidated.
    pub validators: bool,
}

/// Why a response was not stored (the `detail` of `Cache-Status`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum NotStored {
    Status,
    NoStore,
    Private,
    SetCookie,
    VaryStar,
    NoCache,
    NoLifetime,
    Authorization,
}

impl NotStored {
    pub fn detail(self) -> &'static str {
        match self {
            NotStored::Status => "status",
            NotStored::NoStore => "no-store",
            NotStored::Private => "private",
            NotStored::SetCookie => "set-cookie",
            NotStored::VaryStar => "vary-star",
            NotStored::NoCache => "no-cache",
            NotStored::NoLifetime => "no-lifetime",
            NotStored::Authorization => "authorization",
        }
    }
}

/// How a storable response is kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lifetime {
    /// Fresh for this long after it was generated, seconds.
    pub ttl_s: u64,
    /// The age it already had when received, seconds.
    pub initial_age_s: u64,
}

/// Decides whether `r` may be stored; `route_ttl_s` is the route's explicit `ttl`.
pub fn lifetime(r: &ResponseFacts, route_ttl_s: Option<u64>) -> Result<Lifetime, NotStored> {
    let cc = &r.cache_control;
    if !CACHEABLE_STATUSES.contains(&r.status) {
        return Err(NotStored::Status);
    }
    if cc.no_store {
        return Err(NotStored::NoStore);
    }
    if cc.private {
        return Err(NotStored::Private);
    }
    if r.set_cookie {
        return Err(NotStored::SetCookie);
    }
    if r.vary_star {
        return Err(NotStored::VaryStar);
    }
    if r.authorization && !(cc.public || cc.s_maxage.is_some() || cc.must_revalidate) {
        return Err(NotStored::Authorization);
    }
    // Revalidated before every reuse: stored already stale, if it can be revalidated.
    let must_revalidate = Ok(Lifetime {
        ttl_s: 0,
        initial_age_s: 0,
    });
    if cc.no_cache {
        return if r.validators {
            must_revalidate
        } else {
            Err(NotStored::NoCache)
        };
    }
    let ttl_s = match route_ttl_s {
        Some(t) => t,
        None => match (cc.s_maxage, cc.max_age, r.expires_in_s) {
            (Some(s), _, _) => s,
            (None, Some(m), _) => m,
            (None, None, Some(e)) => e.max(0) as u64,
            (None, None, None) => return Err(NotStored::NoLifetime),
        },
    };
    let initial_age_s = r
        .age_s
        .unwrap_or(0)
        .max(r.date_age_s.unwrap_or(0).max(0) as u64);
    if ttl_s <= initial_age_s {
        return if r.validators {
            must_revalidate
        } else {
            Err(NotStored::NoLifetime)
        };
    }
    Ok(Lifetime {
        ttl_s,
        initial_age_s,
    })
}

/// The apparent age of a response whose `Date` names second `date_s`, received at `now_ms`
/// (RFC 9111 4.2.3), in whole seconds. `Date` has one-second resolution: the response was made
/// somewhere in that second, so only the time past its end is counted. Otherwise an answer
/// received a few milliseconds after a second boundary would be a second old, and whether a
/// short-lived response is stored would depend on sub-second timing (and on load).
pub fn apparent_age_s(now_ms: u64, date_s: i64) -> i64 {
    (now_ms as i64 - (date_s + 1) * 1000)
        .div_euclid(1000)
        .max(0)
}

/// The current age of an entry stored at `stored_at_ms` with `initial_age_s`, in seconds.
pub fn age_s(initial_age_s: u64, stored_at_ms: u64, now_ms: u64) -> u64 {
    initial_age_s.saturating_add(now_ms.saturating_sub(stored_at_ms) / 1000)
}

/// An `Age` header's value in seconds (RFC 9111 5.1: one non-negative integer; huge values
/// saturate). Anything else - a list such as `old, 0` (also two `Age` lines, which arrive
/// joined), a sign, a fraction - is invalid and counts as older than any lifetime, so the
/// response is stale, never fresh.
pub fn age_value(value: &str) -> u64 {
    let v = value.trim();
    if v.is_empty() || !v.bytes().all(|b| b.is_ascii_digit()) {
        return u64::MAX;
    }
    v.parse().unwrap_or(u64::from(u32::MAX))
}

/// Seconds since the Unix epoch of an HTTP date (RFC 9110 5.6.7) in any of its three
/// formats: IMF-fixdate (`Sun, 06 Nov 1994 08:49:37 GMT`), the obsolete RFC 850 form
/// (`Sunday, 06-Nov-94 08:49:37 GMT`; a two-digit year of 70 or more is 19xx, else 20xx) and
/// asctime (`Sun Nov  6 08:49:37 1994`). Anything else is `None`.
pub fn parse_http_date(s: &str) -> Option<i64> {
    let s = s.trim();
    let num = |t: &str, len: usize| -> Option<i64> {
        (t.len() == len && t.bytes().all(|b| b.is_ascii_digit())).then(|| t.parse().ok())?
    };
    let month = |m: &str| {
        [
            "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
        ]
        .iter()
        .position(|x| *x == m)
        .map(|i| i as u32 + 1)
    };
    let (day, mon, year, time) = if let Some((_, rest)) = s.split_once(", ") {
        let parts: Vec<&str> = rest.split(' ').collect();
        match parts.as_slice() {
            [day, mon, year, time, "GMT"] => (num(day, 2)?, month(mon)?, num(year, 4)?, *time),
            [date, time, "GMT"] => {
                let d: Vec<&str> = date.split('-').collect();
                let [day, mon, yy] = d.as_slice() else {
                    return None;
                };
                let yy = num(yy, 2)?;
                let year = if yy >= 70 { 1900 + yy } else { 2000 + yy };
                (num(day, 2)?, month(mon)?, year, *time)
            }
            _ => return None,
        }
    } else {
        // asctime: "Sun Nov  6 08:49:37 1994" (the day is space-padded).
        let parts: Vec<&str> = s.split(' ').filter(|p| !p.is_empty()).collect();
        let [_, mon, day, time, year] = parts.as_slice() else {
            return None;
        };
        let day = if day.len() == 1 {
            num(day, 1)?
        } else {
            num(day, 2)?
        };
        (day, month(mon)?, num(year, 4)?, *time)
    };
    let hms: Vec<&str> = time.split(':').collect();
    let [h, m, sec] = hms.as_slice() else {
        return None;
    };
    let (h, m, sec) = (num(h, 2)?, num(m, 2)?, num(sec, 2)?);
    if !(1..=31).contains(&day) || h > 23 || m > 59 || sec > 60 {
        return None;
    }
    let days = crate::http::dates::days_from_civil(year, mon, day as u32);
    Some(days * 86_400 + h * 3_600 + m * 60 + sec)
}
