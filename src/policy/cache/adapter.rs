//! The Cache API side of the `cache` policy (wasm only): looks a key up (hot tier, then Cache
//! API), turns an entry into the client's response, and stores origin responses when
//! [`crate::cache::freshness::lifetime`] allows. What happens to a stale entry is in
//! [`super::stale`].
//!
//! A stored entry is the origin's response with its own `Cache-Control` replaced by
//! `public, max-age=<seconds to keep>` (how long the Cache API keeps it: the fresh time left
//! plus the stale window, see [`entry::keep_s`]), its `Vary` removed, and the gateway's
//! [`Meta`] in one header ([`entry::META_HEADER`]), removed again before anything is served.
//! Only one variant per key is kept; a request whose `Vary` headers differ is a miss that
//! replaces it. An entry whose tag was purged since it was stored is a miss.

use super::Cache;
use crate::cache::entry::{self, Meta, META_HEADER};
use crate::cache::generations::Generations;
use crate::cache::hot::{Admission, HotIndex, MAX_ENTRY_BYTES};
use crate::cache::lookup::{verdict, Verdict};
use crate::cache::range::{self, Ranged};
use crate::cache::status::{self, Outcome};
use crate::cache::store::{self as rules, Rules, Stored};
use crate::http::forwarding::strip_hop_by_hop;
use crate::runtime;
use crate::runtime::answer::Answer;
use wasm_bindgen::JsValue;
use web_sys::{Headers, Response, ResponseInit};

/// A stored entry's metadata; `None` for a response that is not a readable entry.
fn read_meta(stored: &Response) -> Option<Meta> {
    Meta::decode(header(&stored.headers(), META_HEADER).as_deref())
}

/// A miss: where to store the origin's answer and why it was forwarded.
#[derive(Clone)]
pub struct Pending {
    pub url: String,
    pub fwd: &'static str,
    /// The path's invalidation counter at the lookup (stored with the entry).
    pub path_gen: u64,
    /// The request sends `Authorization` to the origin (RFC 9111 3.5 applies).
    pub authorization: bool,
}

/// An entry past its freshness: to revalidate with its validators, or to serve if the
/// origin fails within its `stale-if-error` window.
pub struct Stale {
    pub pending: Pending,
    pub stored: Response,
    pub(super) meta: Meta,
    pub age_s: u64,
    pub ttl_s: u64,
    pub sie_s: u64,
    pub swr_s: u64,
    pub etag: Option<String>,
    pub last_modified: Option<String>,
}

pub enum Lookup {
    Hit(Answer),
    Stale(Box<Stale>),
    Miss(Pending),
}

pub(super) fn header(h: &Headers, name: &str) -> Option<String> {
    h.get(name).ok().flatten()
}

thread_local! {
    /// Which copies this isolate's hot tier holds (their bytes are in platform.js).
    static HOT: std::cell::RefCell<Option<HotIndex>> = const { std::cell::RefCell::new(None) };
}

/// Runs `f` on the isolate's hot-tier index (one non-generic accessor: one copy in the wasm).
fn hot_index(f: &mut dyn FnMut(&mut HotIndex)) {
    HOT.with(|h| f(h.borrow_mut().get_or_insert_with(HotIndex::default)));
}

/// Asks the hot tier's index whether to keep a copy of `entry` under `url` until `until_ms`.
/// Either way platform.js first drops the copy of `url` it holds (an older entry's, or another
/// variant's) and refuses that copy's writes still in flight; then the copies the index evicts.
/// An entry whose length is not declared yet counts as the largest a copy may be.
///
/// Contract with platform.js: it holds bytes only for URLs the index holds. Every drop from
/// the index is also a `runtime::hot_forget`, which refuses writes in flight.
fn hot_admit(url: &str, entry: &Response, until_ms: f64) -> bool {
    let bytes = header(&entry.headers(), "content-length")
        .and_then(|v| v.trim().parse::<u64>().ok())
        .unwrap_or(MAX_ENTRY_BYTES);
    let now = runtime::now_ms();
    let mut admitted = Admission::Refuse;
    hot_index(&mut |h| admitted = h.admit(url, bytes, until_ms, now));
    runtime::hot_forget(url);
    match admitted {
        Admission::Keep { drop } => {
            drop.iter().for_each(|old| runtime::hot_forget(old));
            true
        }
        Admission::Refuse => false,
    }
}

/// Drops `url`'s hot-tier copy, from the index and from platform.js.
pub fn hot_forget(url: &str) {
    hot_index(&mut |h| h.forget(url));
    runtime::hot_forget(url);
}

/// Stores `entry` under `url` after the response (in the Cache API, which keeps it until
/// `until_ms`, and in the hot tier when its index admits it).
pub(super) fn put_later(ctx: &JsValue, url: &str, entry: &Response, until_ms: f64) {
    let hot = hot_admit(url, entry, until_ms);
    runtime::cache_put_later(ctx, url, entry, hot);
}

/// Looks `key.url` up: in this isolate's hot tier first (only a fresh hit is served from
/// it; anything else drops the copy), then in the Cache API (a fresh hit there is copied into
/// the hot tier after the response). A fresh entry whose `Vary` headers match `inbound` is
/// served (a 304 when the client's validators match it, a 206 or 416 for a `Range`; no body
/// for HEAD); a stale one is returned for the caller to revalidate. An entry whose path was
/// invalidated since it was stored (its counter is not `key.path_gen`) is a miss.
pub async fn lookup(
    key: Pending,
    inbound: &Headers,
    gens: &Generations,
    now_ms: u64,
    head: bool,
    ctx: &JsValue,
) -> Lookup {
    let mut usable = None;
    hot_index(&mut |h| usable = h.usable(&key.url, now_ms as f64));
    match usable {
        Some(true) => match runtime::hot_match(&key.url) {
            Some(hot) => {
                if let Some(answer) = examine(&key, hot, inbound, gens, now_ms, head, None).hit() {
                    return with_range(answer, key, inbound, head).await;
                }
                hot_forget(&key.url);
            }
            // Not held after all (its body was longer than declared, or a newer store of the
            // key is running, whose write is then refused: the index no longer holds it).
            None => hot_forget(&key.url),
        },
        Some(false) => runtime::hot_forget(&key.url), // past when the Cache API drops it
        None => {}
    }
    let Some(stored) = runtime::io::cache_match(&key.url).await else {
        return Lookup::Miss(Pending {
            fwd: "uri-miss",
            ..key
        });
    };
    match examine(&key, stored, inbound, gens, now_ms, head, Some(ctx)) {
        Examined::Hit(answer) => with_range(answer, key, inbound, head).await,
        Examined::Stale(st) => Lookup::Stale(st),
        Examined::Miss(fwd) => Lookup::Miss(Pending { fwd, ..key }),
    }
}

/// What a stored entry is for this request.
enum Examined {
    Hit(Answer),
    Stale(Box<Stale>),
    /// Not usable; why (the `fwd` of `Cache-Status`).
    Miss(&'static str),
}

impl Examined {
    fn hit(self) -> Option<Answer> {
        match self {
            Examined::Hit(a) => Some(a),
            _ => None,
        }
    }
}

/// Checks a stored entry against the request and the counters. A fresh hit is turned into
/// the client's answer (and, with `remember`, copied into the hot tier first).
fn examine(
    key: &Pending,
    stored: Response,
    inbound: &Headers,
    gens: &Generations,
    now_ms: u64,
    head: bool,
    remember: Option<&JsValue>,
) -> Examined {
    let Some(meta) = read_meta(&stored) else {
        return Examined::Miss("uri-miss");
    };
    let judged = verdict(
        &meta,
        key.path_gen,
        |n| header(inbound, n),
        |t| gens.tag(t),
        now_ms,
    );
    let (ttl, age) = match judged {
        Verdict::Miss(fwd) => return Examined::Miss(fwd),
        Verdict::Fresh { ttl_s, age_s } | Verdict::Stale { ttl_s, age_s } => (ttl_s, age_s),
    };
    if let Verdict::Stale { .. } = judged {
        let h = stored.headers();
        return Examined::Stale(Box::new(Stale {
            pending: Pending {
                fwd: "stale",
                ..key.clone()
            },
            etag: header(&h, "etag"),
            last_modified: header(&h, "last-modified"),
            age_s: age,
            ttl_s: ttl,
            sie_s: meta.sie,
            swr_s: meta.swr,
            meta,
            stored,
        }));
    }
    if let Some(ctx) = remember {
        // The hot copy is kept no longer than the Cache API keeps the entry.
        let kept_s = header(&stored.headers(), "cache-control")
            .and_then(|cc| crate::cache::control::parse(&cc).max_age)
            .unwrap_or(0);
        let until_ms = (meta.at + kept_s * 1000) as f64;
        if hot_admit(&key.url, &stored, until_ms) {
            if let Ok(copy) = stored.clone() {
                runtime::hot_remember_later(ctx, &key.url, &copy);
            }
        }
    }
    let cache_status = status::header(&Outcome::Hit {
        ttl_s: ttl - age,
        memory: remember.is_none(),
    });
    match to_client(&stored, &meta, age, &cache_status, inbound, head) {
        Some(answer) => Examined::Hit(answer),
        None => Examined::Miss("uri-miss"),
    }
}

/// A hit, cut to the client's `Range` when it asks for one of a complete 200 (a 304 or a
/// HEAD answer is never cut).
async fn with_range(answer: Answer, key: Pending, inbound: &Headers, head: bool) -> Lookup {
    match header(inbound, "range").filter(|_| !head && answer.status == 200) {
        Some(range) => match ranged(answer.into_response(), &range, inbound).await {
            Some(cut) => Lookup::Hit(Answer::own(cut, false)),
            None => Lookup::Miss(Pending {
                fwd: "uri-miss",
                ..key
            }),
        },
        None => Lookup::Hit(answer),
    }
}

/// The client's answer from a stored entry: metadata removed, the origin's
/// `Cache-Control` and `Vary` restored, `Age` and `Cache-Status` set; 304 when the client's
/// validators match; no body for HEAD. The entry is wrapped once, into a response whose
/// headers the outbound step then edits.
pub(super) fn to_client(
    stored: &Response,
    meta: &Meta,
    age_s: u64,
    cache_status: &str,
    inbound: &Headers,
    head: bool,
) -> Option<Answer> {
    let inm = header(inbound, "if-none-match");
    let ims = header(inbound, "if-modified-since");
    let not_modified = (inm.is_some() || ims.is_some()) && {
        let h = stored.headers();
        crate::cache::conditional::not_modified(
            inm.as_deref(),
            ims.as_deref(),
            header(&h, "etag").as_deref(),
            header(&h, "last-modified").as_deref(),
            header(&h, "date").as_deref(),
            (runtime::now_ms() / 1_000.0) as i64,
        )
    };
    let status = if not_modified { 304 } else { stored.status() };
    let out = runtime::cached_response(
        stored,
        status,
        !head && !not_modified,
        meta.cc.clone(),
        meta.vary.as_ref().map(entry::vary_names),
        &age_s.to_string(),
        cache_status,
    );
    let answer = Answer::own(out, false);
    if not_modified {
        for name in ["content-length", "content-type", "content-encoding"] {
            let _ = answer.headers.delete(name);
        }
    }
    Some(answer)
}

/// A complete stored 200 cut to what the client's `Range` asks ([`range::select`]): 206 with
/// `Content-Range`, 416, or unchanged (no usable range, or an `If-Range` that does not name
/// it). `None` when its body could not be read to learn its length.
async fn ranged(full: Response, range_header: &str, inbound: &Headers) -> Option<Response> {
    let h = full.headers();
    if let Some(if_range) = header(inbound, "if-range") {
        let (etag, lm) = (header(&h, "etag"), header(&h, "last-modified"));
        if !range::if_range_holds(&if_range, etag.as_deref(), lm.as_deref()) {
            return Some(full);
        }
    }
    let length =
        |r: &Response| header(&r.headers(), "content-length").and_then(|l| l.parse::<u64>().ok());
    let (full, len) = match length(&full) {
        Some(len) => (full, len),
        // Unknown (the entry was stored as it streamed): read it to know its length.
        None => {
            let read = runtime::io::with_length(full).await?;
            let len = length(&read)?;
            (read, len)
        }
    };
    Some(match range::select(range_header, len) {
        Ranged::Full => full,
        Ranged::Part { start, end } => runtime::ranged(full, start as f64, end as f64, len as f64),
        Ranged::Unsatisfiable => runtime::ranged(full, -1.0, -1.0, len as f64),
    })
}

/// Stores `resp` under `pending.url` (after the response is sent) if [`rules::decide`]
/// allows, and says what happened for `Cache-Status`.
pub fn store(
    ctx: &worker::Context,
    pending: &Pending,
    policy: &Cache,
    resp: &Response,
    inbound: &Headers,
    gens: &Generations,
    now_ms: u64,
) -> Outcome {
    let h = resp.headers();
    let forwarded = |stored, detail| Outcome::Forwarded {
        fwd: pending.fwd,
        fwd_status: resp.status(),
        stored,
        detail,
    };
    let decided = rules::decide(
        resp.status(),
        &|n| header(&h, n),
        &rules::Request {
            header: &|n| header(inbound, n),
            authorization: pending.authorization,
            path_gen: pending.path_gen,
        },
        &Rules {
            ttl_s: policy.ttl_s,
            stale_if_error_s: policy.stale_if_error_s,
            stale_while_revalidate_s: policy.stale_while_revalidate_s,
            tags: policy.tags,
            control_header: policy.control_header,
        },
        &|t| gens.tag(t),
        now_ms,
    );
    let meta = match decided {
        Stored::Yes(meta) => meta,
        Stored::No(why) => return forwarded(false, Some(why)),
    };
    let (Ok(copy), Ok(mut headers)) = (resp.clone(), Headers::new_with_headers(&h)) else {
        return forwarded(false, Some("clone"));
    };
    // Hop-by-hop headers, and those the origin's `Connection` names, never enter an entry:
    // the Cache API drops `Connection` itself, so they could not be recognised later.
    strip_hop_by_hop(&mut headers, false);
    if meta.vary.is_some() {
        let _ = headers.delete("vary");
    }
    if meta.tc.is_some() {
        let _ = headers.delete(policy.control_header);
    }
    let Some((entry, until_ms)) = entry(&copy, &headers, meta, policy.keep_for_revalidation_s)
    else {
        return forwarded(false, Some("clone"));
    };
    put_later(ctx.as_ref(), &pending.url, &entry, until_ms);
    forwarded(true, None)
}

/// Whether a response with headers `h` can be revalidated (an `ETag` or `Last-Modified`).
pub(super) fn has_validators(h: &Headers) -> bool {
    rules::has_validators(&|n| header(h, n))
}

/// A Cache API entry: `body_from`'s status and body with `headers` plus `meta`, kept by
/// the Cache API for [`entry::keep_s`] (`revalidate_s` more when it has validators); with
/// the time (ms since the epoch) until which the Cache API keeps it.
pub(super) fn entry(
    body_from: &Response,
    headers: &Headers,
    meta: Meta,
    revalidate_s: u64,
) -> Option<(Response, f64)> {
    let revalidate_s = if has_validators(headers) {
        revalidate_s
    } else {
        0
    };
    let keep = entry::keep_s(meta.lifetime(), meta.windows(), revalidate_s);
    let until_ms = (meta.at + keep * 1000) as f64;
    let _ = headers.set("cache-control", &format!("public, max-age={keep}"));
    let _ = headers.set(META_HEADER, &meta.encode());
    let init = ResponseInit::new();
    init.set_status(body_from.status());
    init.set_headers_headers(headers);
    let entry = Response::new_with_opt_readable_stream_and_init(body_from.body().as_ref(), &init);
    entry.ok().map(|e| (e, until_ms))
}
