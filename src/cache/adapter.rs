//! The Cache API side of the `cache` policy (wasm only): looks a key up and turns a fresh
//! entry into the client's response, and stores an origin response when
//! [`super::freshness::lifetime`] allows.
//!
//! A stored entry is the origin's response with its own `Cache-Control` replaced by
//! `public, max-age=<fresh seconds left>` (how long the Cache API keeps it) and these headers,
//! removed again before anything is served:
//! `x-gatehouse-stored-at` (ms), `x-gatehouse-ttl` and `x-gatehouse-age` (s),
//! `x-gatehouse-cc` (the origin's `Cache-Control`), `x-gatehouse-vary` (JSON: each `Vary`
//! header name with the request's value when stored). Only one variant per key is kept; a
//! request whose `Vary` headers differ is a miss that replaces it.

use super::control;
use super::freshness::{age_s, lifetime, ResponseFacts};
use super::status::Outcome;
use crate::platform;
use wasm_bindgen::JsCast;
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Response, ResponseInit};

const STORED_AT: &str = "x-gatehouse-stored-at";
const TTL: &str = "x-gatehouse-ttl";
const AGE: &str = "x-gatehouse-age";
const ORIGIN_CC: &str = "x-gatehouse-cc";
const VARY: &str = "x-gatehouse-vary";

/// A miss: where to store the origin's answer and why it was forwarded.
pub struct Pending {
    pub url: String,
    pub fwd: &'static str,
}

pub enum Lookup {
    Hit(Response),
    Miss(Pending),
}

fn header(h: &Headers, name: &str) -> Option<String> {
    h.get(name).ok().flatten()
}

/// Looks `url` up; a fresh entry whose `Vary` headers match `inbound` is served (a 304 when
/// the client's validators match it; no body for HEAD).
pub async fn lookup(url: String, inbound: &Headers, now_ms: u64, head: bool) -> Lookup {
    let miss = |url, fwd| Lookup::Miss(Pending { url, fwd });
    let Ok(found) = JsFuture::from(platform::cache_match(&url)).await else {
        return miss(url, "uri-miss");
    };
    let Ok(stored) = found.dyn_into::<Response>() else {
        return miss(url, "uri-miss");
    };
    let h = stored.headers();
    let num = |name| header(&h, name).and_then(|v| v.parse::<u64>().ok());
    let (Some(stored_at), Some(ttl), Some(age0)) = (num(STORED_AT), num(TTL), num(AGE)) else {
        return miss(url, "uri-miss");
    };
    if let Some(vary) = header(&h, VARY) {
        let wanted: Vec<(String, Option<String>)> = serde_json::from_str(&vary).unwrap_or_default();
        if wanted.iter().any(|(n, v)| header(inbound, n) != *v) {
            return miss(url, "vary-miss");
        }
    }
    let age = age_s(age0, stored_at, now_ms);
    if age >= ttl {
        return miss(url, "stale");
    }
    let Ok(out) = Headers::new_with_headers(&h) else {
        return miss(url, "uri-miss");
    };
    for name in [STORED_AT, TTL, AGE, ORIGIN_CC, VARY] {
        let _ = out.delete(name);
    }
    match header(&h, ORIGIN_CC) {
        Some(cc) => {
            let _ = out.set("cache-control", &cc);
        }
        None => {
            let _ = out.delete("cache-control");
        }
    }
    if let Some(vary) = header(&h, VARY) {
        let names: Vec<(String, Option<String>)> = serde_json::from_str(&vary).unwrap_or_default();
        let list: Vec<&str> = names.iter().map(|(n, _)| n.as_str()).collect();
        let _ = out.set("vary", &list.join(", "));
    }
    let _ = out.set("age", &age.to_string());
    let _ = out.set(
        "cache-status",
        &super::status::header(&Outcome::Hit { ttl_s: ttl - age }),
    );
    let not_modified = super::conditional::not_modified(
        header(inbound, "if-none-match").as_deref(),
        header(inbound, "if-modified-since").as_deref(),
        header(&h, "etag").as_deref(),
        header(&h, "last-modified").as_deref(),
    );
    let init = ResponseInit::new();
    init.set_headers_headers(&out);
    if not_modified {
        init.set_status(304);
        for name in ["content-length", "content-type", "content-encoding"] {
            let _ = out.delete(name);
        }
    } else {
        init.set_status(stored.status());
    }
    let body = if head || not_modified {
        None
    } else {
        stored.body()
    };
    match Response::new_with_opt_readable_stream_and_init(body.as_ref(), &init) {
        Ok(r) => Lookup::Hit(r),
        Err(_) => miss(url, "uri-miss"),
    }
}

/// Stores `resp` under `pending.url` (after the response is sent) if it may be stored, and
/// says what happened for `Cache-Status`.
pub fn store(
    ctx: &worker::Context,
    pending: &Pending,
    route_ttl_s: Option<u64>,
    resp: &Response,
    inbound: &Headers,
    now_ms: u64,
) -> Outcome {
    let h = resp.headers();
    let vary = header(&h, "vary");
    let facts = ResponseFacts {
        status: resp.status(),
        cache_control: control::parse(&header(&h, "cache-control").unwrap_or_default()),
        set_cookie: header(&h, "set-cookie").is_some(),
        vary_star: vary
            .as_deref()
            .is_some_and(|v| v.split(',').any(|p| p.trim() == "*")),
        age_s: header(&h, "age").and_then(|a| a.trim().parse().ok()),
        ..ResponseFacts::default()
    };
    let forwarded = |stored, detail| Outcome::Forwarded {
        fwd: pending.fwd,
        fwd_status: facts.status,
        stored,
        detail,
    };
    let life = match lifetime(&facts, route_ttl_s) {
        Ok(l) => l,
        Err(why) => return forwarded(false, Some(why.detail())),
    };
    let (Ok(copy), Ok(headers)) = (resp.clone(), Headers::new_with_headers(&h)) else {
        return forwarded(false, Some("clone"));
    };
    if let Some(cc) = header(&h, "cache-control") {
        let _ = headers.set(ORIGIN_CC, &cc);
    }
    if let Some(v) = vary {
        let names: Vec<(String, Option<String>)> = v
            .split(',')
            .map(|n| n.trim().to_ascii_lowercase())
            .filter(|n| !n.is_empty())
            .map(|n| {
                let value = header(inbound, &n);
                (n, value)
            })
            .collect();
        let _ = headers.set(VARY, &serde_json::to_string(&names).unwrap_or_default());
        let _ = headers.delete("vary");
    }
    let _ = headers.set(
        "cache-control",
        &format!("public, max-age={}", life.ttl_s - life.initial_age_s),
    );
    let _ = headers.set(STORED_AT, &now_ms.to_string());
    let _ = headers.set(TTL, &life.ttl_s.to_string());
    let _ = headers.set(AGE, &life.initial_age_s.to_string());
    let init = ResponseInit::new();
    init.set_status(copy.status());
    init.set_headers_headers(&headers);
    let Ok(entry) = Response::new_with_opt_readable_stream_and_init(copy.body().as_ref(), &init)
    else {
        return forwarded(false, Some("clone"));
    };
    platform::cache_put_later(ctx.as_ref(), &pending.url, &entry);
    forwarded(true, None)
}
