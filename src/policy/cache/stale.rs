//! A stale entry (wasm only): served at once while it is refreshed
//! (`stale-while-revalidate`), served when the origin fails (`stale-if-error`), or refreshed
//! and served when the origin confirms it with 304 (its headers updated, RFC 9111 3.2).

use super::adapter::{entry, has_validators, header, put_later, to_client, Stale};
use super::Cache;
use crate::cache::entry::{self as entries, Windows, META_HEADER};
use crate::cache::freshness::{age_value, lifetime, ResponseFacts};
use crate::cache::status::{self, Outcome};
use crate::cache::store::{dated, directives};
use crate::http::forwarding::strip_hop_by_hop;
use crate::runtime::answer::Answer;
use web_sys::{Headers, Response, ResponseInit};

/// Serves a stale entry because the origin failed (`stale-if-error`), if still within its
/// window; `fwd_status` is what the origin answered (502 for no answer).
pub fn serve_if_error(
    stale: &Stale,
    fwd_status: u16,
    inbound: &Headers,
    head: bool,
) -> Option<Answer> {
    if !entries::within_window(stale.age_s, stale.ttl_s, stale.sie_s) {
        return None;
    }
    let cache_status = status::header(&Outcome::StaleIfError { fwd_status });
    to_client(
        &stale.stored,
        &stale.meta,
        stale.age_s,
        &cache_status,
        inbound,
        head,
    )
}

/// Serves a stale entry while it is refreshed in the background, if still within its
/// `stale-while-revalidate` window.
pub fn serve_while_revalidating(stale: &Stale, inbound: &Headers, head: bool) -> Option<Answer> {
    if !entries::within_window(stale.age_s, stale.ttl_s, stale.swr_s) {
        return None;
    }
    let cache_status = status::header(&Outcome::StaleWhileRevalidate {
        ttl_s: stale.ttl_s as i64 - stale.age_s as i64,
    });
    // A copy: the stored body is needed again by the background refresh.
    let copy = stale.stored.clone().ok()?;
    to_client(
        &copy,
        &stale.meta,
        stale.age_s,
        &cache_status,
        inbound,
        head,
    )
}

/// Headers a 304 does not update in a stored entry (RFC 9111 3.2): its length and coding
/// belong to the stored body, `Set-Cookie` is never stored, `Vary` and `Cache-Control` live in
/// the entry's metadata, `Age` is recomputed.
const NOT_UPDATED_BY_304: &[&str] = &[
    "content-length",
    "content-encoding",
    "content-range",
    "transfer-encoding",
    "set-cookie",
    "vary",
    "age",
    "cache-control",
    META_HEADER,
];

/// The origin answered a revalidation with 304: the stored entry takes every header the 304
/// carries (except [`NOT_UPDATED_BY_304`], hop-by-hop ones and those its `Connection` names),
/// is stored again with the 304's freshness, and served.
pub fn revalidated(
    ctx: &worker::Context,
    stale: &Stale,
    not_modified: &Response,
    policy: &Cache,
    inbound: &Headers,
    now_ms: u64,
    head: bool,
) -> Option<Answer> {
    let merged = Headers::new_with_headers(&stale.stored.headers()).ok()?;
    let mut fresh = Headers::new_with_headers(&not_modified.headers()).ok()?;
    strip_hop_by_hop(&mut fresh, false);
    let mut meta = stale.meta.clone();
    if let Some(cc) = header(&fresh, "cache-control") {
        meta.cc = Some(cc);
    }
    if let Some(tc) = header(&fresh, policy.control_header) {
        meta.tc = Some(tc);
    }
    for pair in js_sys::try_iter(fresh.as_ref()).ok().flatten()?.flatten() {
        let pair = js_sys::Array::from(&pair);
        let (Some(name), Some(value)) = (pair.get(0).as_string(), pair.get(1).as_string()) else {
            continue;
        };
        if !NOT_UPDATED_BY_304.contains(&name.as_str()) && name != policy.control_header {
            let _ = merged.set(&name, &value);
        }
    }
    let facts = ResponseFacts {
        status: stale.stored.status(),
        cache_control: directives(
            &|n| header(&merged, n),
            meta.tc.as_deref(),
            meta.cc.as_deref(),
        ),
        authorization: stale.pending.authorization,
        age_s: header(&fresh, "age").map(|a| age_value(&a)),
        validators: has_validators(&merged),
        ..dated(&|n| header(&merged, n), now_ms)
    };
    // The stored body with the refreshed headers: stored again if still storable, and served.
    let init = ResponseInit::new();
    init.set_status(stale.stored.status());
    init.set_headers_headers(&merged);
    let current =
        Response::new_with_opt_readable_stream_and_init(stale.stored.body().as_ref(), &init)
            .ok()?;
    let stored = match lifetime(&facts, policy.ttl_s) {
        Ok(life) => {
            let copy = current.clone().ok()?;
            let headers = Headers::new_with_headers(&merged).ok()?;
            // The entry keeps its windows unless the route sets them.
            let windows = Windows::choose(
                (policy.stale_if_error_s, policy.stale_while_revalidate_s),
                (Some(meta.sie), Some(meta.swr)),
                &facts.cache_control,
            );
            let meta = meta.clone().renewed(life, windows, now_ms);
            let (entry, until_ms) = entry(&copy, &headers, meta, policy.keep_for_revalidation_s)?;
            put_later(ctx.as_ref(), &stale.pending.url, &entry, until_ms);
            true
        }
        Err(_) => false,
    };
    let cache_status = status::header(&Outcome::Forwarded {
        fwd: "stale",
        fwd_status: 304,
        stored,
        detail: None,
    });
    to_client(
        &current,
        &meta,
        facts.age_s.filter(|&a| a != u64::MAX).unwrap_or(0),
        &cache_status,
        inbound,
        head,
    )
}
