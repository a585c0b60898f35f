//! The runtime: the only code that talks to JS. Every `platform.js` binding is declared here,
//! and every await on a JS promise is in this module ([`io`] and [`auth`]); the rest of the
//! crate calls typed functions and stays pure and natively testable.
//!
//! Each wasm <-> JS crossing costs, so the hot path keeps JS objects as they are, crosses once
//! where JS can do a loop, and interns the static strings it sends.

pub mod answer;
pub mod auth;
pub mod io;

use std::cell::{Cell, RefCell};
use wasm_bindgen::prelude::*;

#[wasm_bindgen(module = "/src/runtime/platform.js")]
extern "C" {
    #[wasm_bindgen(js_name = deleteAll)]
    fn delete_all(headers: &web_sys::Headers, names: &js_sys::Array);

    /// Deletes every header whose name starts with `prefix`, in one crossing.
    #[wasm_bindgen(js_name = deletePrefixed)]
    pub fn delete_prefixed(headers: &web_sys::Headers, prefix: &str);

    /// `fetch(url, {method, headers, body, redirect: "manual"})` (through the service binding
    /// `env[service]` when given), rejecting with the string `"timeout"` after `ms` without
    /// response headers; a timed-out fetch is aborted when `abort` is set.
    #[wasm_bindgen(js_name = fetchUpstream)]
    #[allow(clippy::too_many_arguments)]
    fn fetch_upstream(
        env: &JsValue,
        service: Option<&str>,
        url: &str,
        method: &str,
        headers: &web_sys::Headers,
        body: Option<JsValue>,
        ms: u32,
        abort: bool,
    ) -> js_sys::Promise;

    /// A new response with `response`'s status, status text, streamed body and a copy of its
    /// headers, which (unlike a fetched or stored response's) can be edited.
    pub fn editable(response: &web_sys::Response) -> web_sys::Response;

    /// `new Response(body, {status, headers})` in one crossing (`body`: a stream, text or null).
    pub fn respond(status: u16, headers: &web_sys::Headers, body: &JsValue) -> web_sys::Response;

    #[wasm_bindgen(js_name = logAfterResponse)]
    fn log_after_response(ctx: &JsValue, line: &str);

    /// The Cache API entry for a key URL (resolves undefined when there is none).
    #[wasm_bindgen(js_name = cacheMatch)]
    fn cache_match(url: &str) -> js_sys::Promise;

    /// The response with its body read into memory and its `Content-Length` set.
    /// The body's bytes if at most `max` (null when larger).
    #[wasm_bindgen(js_name = readBytes)]
    fn read_bytes(message: &JsValue, max: u32) -> js_sys::Promise;

    #[wasm_bindgen(js_name = withLength)]
    fn with_length(resp: web_sys::Response) -> js_sys::Promise;

    /// `caches.default.put(url, response)` in `ctx.waitUntil`, and a hot-tier copy when
    /// `hot` (the hot tier's index admitted it: `cache::hot`).
    #[wasm_bindgen(js_name = cachePutLater)]
    pub fn cache_put_later(ctx: &JsValue, url: &str, response: &web_sys::Response, hot: bool);

    #[wasm_bindgen(js_name = writeDataPoint)]
    fn write_data_point_js(env: &JsValue, binding: &str, point: &str);

    /// Admin calls to a RATE_LIMITER object: `peek` or `reset` (see platform.js).
    #[wasm_bindgen(js_name = limiterCall)]
    fn limiter_call(env: &JsValue, name: &str, method: &str) -> js_sys::Promise;

    /// KV writes, lists and deletes for the admin API (see platform.js).
    #[wasm_bindgen(js_name = kvPut)]
    fn kv_put(
        env: &JsValue,
        binding: &str,
        key: &str,
        value: &str,
        metadata: &str,
    ) -> js_sys::Promise;
    #[wasm_bindgen(js_name = kvList)]
    fn kv_list(env: &JsValue, binding: &str, prefix: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = kvDelete)]
    fn kv_delete(env: &JsValue, binding: &str, key: &str) -> js_sys::Promise;

    /// The isolate's hot-tier copy of the entry under `url`, if platform.js holds one and no
    /// newer store of it is running (`cache::hot` decides what it holds).
    #[wasm_bindgen(js_name = hotMatch)]
    pub fn hot_match(url: &str) -> Option<web_sys::Response>;

    /// Drops the hot tier's copy of `url`.
    #[wasm_bindgen(js_name = hotForget)]
    pub fn hot_forget(url: &str);
    /// `{copies, numbers, pending}`: what the hot tier's JS side holds (for tests).
    #[wasm_bindgen(js_name = hotSizes)]
    pub fn hot_sizes() -> JsValue;

    /// Keeps a copy of a Cache API entry the hot tier's index admitted, in `ctx.waitUntil`.
    #[wasm_bindgen(js_name = hotRememberLater)]
    pub fn hot_remember_later(ctx: &JsValue, url: &str, entry: &web_sys::Response);

    /// Deletes every header not named in `keep`.
    #[wasm_bindgen(js_name = keepOnly)]
    pub fn keep_only(headers: &web_sys::Headers, keep: &js_sys::Array);

    /// The CACHE_GENERATIONS counters as JSON (rejects after `ms`).
    #[wasm_bindgen(js_name = generationsGet)]
    fn generations_get(env: &JsValue, ms: u32) -> js_sys::Promise;

    /// Increments one purge counter; resolves the counters as JSON.
    #[wasm_bindgen(js_name = generationsBump)]
    fn generations_bump(env: &JsValue, key: &str) -> js_sys::Promise;

    /// Deletes a Cache API entry in this data center.
    #[wasm_bindgen(js_name = cacheDelete)]
    fn cache_delete(url: &str) -> js_sys::Promise;

    /// The number of header fields.
    /// The header fields' count, or minus their total bytes when over `max_bytes`
    /// ([`crate::http::limits::HeaderTally::from_runtime`]).
    #[wasm_bindgen(js_name = headerTally)]
    pub fn header_tally(headers: &web_sys::Headers, max_bytes: u32) -> f64;

    /// `{ body, state }`: `body` passed through, erroring past `max` bytes (`state.over`).
    #[wasm_bindgen(js_name = limitBody)]
    pub fn limit_body(body: &web_sys::ReadableStream, max: f64) -> JsValue;

    /// `body` passed through `feed`: each chunk (a `Uint8Array`), then `null` at its end, is
    /// given to `feed`, and the text it returns is sent on (UTF-8); nothing is buffered.
    #[wasm_bindgen(js_name = transformBody)]
    pub fn transform_body(
        body: &web_sys::ReadableStream,
        feed: &JsValue,
    ) -> web_sys::ReadableStream;

    /// `body` passed through `feed(chunk, end)` as the client reads it: the bytes `feed`
    /// returns are sent on; `end` is `null` for a chunk, and at the end `feed(null, null)`,
    /// `"provider"` (the body broke) or `"client"` (the client went away).
    #[wasm_bindgen(js_name = relayBody)]
    pub fn relay_body(body: &web_sys::ReadableStream, feed: &JsValue) -> web_sys::ReadableStream;

    /// `env[binding].run(model, JSON.parse(inputs))`: `{ ok, body }` or `{ ok: false,
    /// status, message }` (see platform.js).
    #[wasm_bindgen(js_name = aiRun)]
    pub fn ai_run(env: &JsValue, binding: &str, model: &str, inputs: &str) -> js_sys::Promise;

    /// A request's or response's body as text, at most `max` bytes (null when larger).
    #[wasm_bindgen(js_name = readBounded)]
    fn read_bounded(message: &JsValue, max: u32) -> js_sys::Promise;

    /// The client's response for a stored cache entry (see platform.js).
    #[wasm_bindgen(js_name = cachedResponse)]
    pub fn cached_response(
        stored: &web_sys::Response,
        status: u16,
        with_body: bool,
        cache_control: Option<String>,
        vary: Option<String>,
        age: &str,
        cache_status: &str,
    ) -> web_sys::Response;

    /// `full` (a complete 200) cut to bytes `start..=end` of `len` as 206, or 416 when
    /// `start` is negative (see platform.js).
    pub fn ranged(full: web_sys::Response, start: f64, end: f64, len: f64) -> web_sys::Response;

    /// Moves the path counters named (comma-separated `p:<hash>` keys) in the
    /// CACHE_GENERATIONS object; resolves the new counters as JSON (see platform.js).
    #[wasm_bindgen(js_name = generationsInvalidate)]
    fn generations_invalidate(env: &JsValue, keys: &str, ms: u32) -> js_sys::Promise;

    /// One round trip to the RATE_LIMITER object `name` (see platform.js).
    #[wasm_bindgen(js_name = limiterTake)]
    fn limiter_take(env: &JsValue, name: &str, body: &str, ms: u32) -> js_sys::Promise;

    // --- authentication (runtime/auth.rs) ---
    #[wasm_bindgen(js_name = importVerifyKey)]
    fn import_verify_key(format: &str, data: &JsValue, alg: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = verifySignature)]
    fn verify_signature(key: &JsValue, alg: &str, signature: &[u8], input: &str)
        -> js_sys::Promise;
    #[wasm_bindgen(js_name = kvGet)]
    fn kv_get_js(env: &JsValue, binding: &str, key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = tlsClientAuth)]
    fn tls_client_auth(request: &web_sys::Request) -> JsValue;
    #[wasm_bindgen(js_name = fetchText)]
    fn fetch_text(url: &str, ms: u32) -> js_sys::Promise;
    #[wasm_bindgen(js_name = cacheGetJwks)]
    fn cache_get_jwks(key: &str) -> js_sys::Promise;
    #[wasm_bindgen(js_name = cachePutJwks)]
    fn cache_put_jwks(key: &str, body: &str, fresh_until: f64, keep_s: u32) -> js_sys::Promise;
    pub(crate) fn sleep(ms: u32) -> js_sys::Promise;
}

#[wasm_bindgen]
extern "C" {
    #[wasm_bindgen(js_namespace = crypto, js_name = getRandomValues)]
    fn get_random_values(buf: &mut [u8]);

    #[wasm_bindgen(js_namespace = console, js_name = log)]
    pub fn console_log(line: &str);
}

/// Starts the future queue (the executor behind every `async` export), which lives in
/// js-sys (`js-sys` 0.3.107, `src/futures/queue.rs`; `wasm_bindgen_futures::spawn_local` is
/// only a re-export of `js_sys::futures::spawn_local`). `Queue::new` reads the global's
/// `queueMicrotask` once, when the queue is first used: if it is a function every poll is
/// scheduled with it, else with a resolved promise's `then`. `src/entry.js` calls this once
/// per instance (and again after a reset) with `queueMicrotask` hidden, because on workerd
/// the promise is the cheaper of the two (see BENCHMARKS.md). Futures run the same either
/// way. `tests/pinned_runtime.rs` and `tests/e2e/runtime_contract.test.mjs` guard this.
#[wasm_bindgen(js_name = startFutureQueue)]
pub fn start_future_queue() {
    wasm_bindgen_futures::spawn_local(async {});
}

/// 40 bytes from the runtime's CSPRNG (request id, trace id, span id).
pub fn random_40() -> [u8; 40] {
    let mut buf = [0u8; 40];
    get_random_values(&mut buf);
    buf
}

/// Milliseconds since the epoch. In workerd time advances only across I/O.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}

/// The environment variable that moves the gateway's calendar, for tests: a signed whole
/// number of milliseconds added to the real clock (`"-31536000000"` is a year ago). Read ONLY
/// from the Worker's environment bindings (wrangler.toml `[vars]`, Miniflare `bindings`),
/// never from a request: whoever could set it could lift a sunset (410) or start a fresh
/// daily quota at will, so no header, query or body can reach it. Deployments leave it unset.
pub const TEST_CLOCK_VAR: &str = "GATEHOUSE_TEST_CLOCK";

thread_local! {
    /// The test clock's offset, read once per isolate (bindings do not change within one).
    static CLOCK_OFFSET_MS: Cell<Option<f64>> = const { Cell::new(None) };
}

/// Milliseconds since the epoch on the calendar the gateway judges dates by: the API
/// lifecycle (`deprecated`, `sunset`) and the rate limiter's clock (its windows and calendar
/// quotas). It is [`now_ms`] plus the [`TEST_CLOCK_VAR`] offset; unset, empty or not a whole
/// number, the offset is 0 and this is the real clock. Durations (timeouts, `duration_ms`),
/// cache ages, token and key expiry stay on the real clock.
pub fn calendar_now_ms(env: &worker::Env) -> f64 {
    let offset = CLOCK_OFFSET_MS.with(|c| {
        c.get().unwrap_or_else(|| {
            let offset = env
                .var(TEST_CLOCK_VAR)
                .ok()
                .and_then(|v| v.to_string().trim().parse::<i64>().ok())
                .unwrap_or(0) as f64;
            c.set(Some(offset));
            if offset != 0.0 {
                // Loud, once per isolate: set outside tests it moves sunsets and quotas.
                let message = format!("{TEST_CLOCK_VAR} is set: the gateway's calendar (API lifecycle, rate-limit windows) runs {offset} ms from the real clock. It is a test-only variable; remove it outside tests");
                console_log(&serde_json::json!({ "level": "error", "message": message }).to_string());
            }
            offset
        })
    });
    now_ms() + offset
}

/// Writes one Analytics Engine data point (JSON: `{indexes, blobs, doubles}`) to the dataset
/// bound as `binding`; never waits, never fails the request (see platform.js).
pub fn write_data_point(env: &worker::Env, binding: &str, point: &str) {
    write_data_point_js(env.as_ref(), binding, point);
}

/// Writes an access-log line after the response is returned (`ctx.waitUntil`).
pub fn log_later(ctx: &worker::Context, line: &str) {
    let raw: &JsValue = ctx.as_ref();
    log_after_response(raw, line);
}

thread_local! {
    /// The gateway's own constant lists (a handful), each with its JS array; found by the
    /// slice itself (address and length), never by address alone.
    static NAME_LISTS: RefCell<Vec<(&'static [&'static str], js_sys::Array)>> =
        const { RefCell::new(Vec::new()) };
    static INTERNED: Cell<bool> = const { Cell::new(false) };
}

/// Deletes a static list of header names in one crossing; the JS array is built once per
/// isolate for each list.
pub fn delete_names(headers: &web_sys::Headers, names: &'static [&'static str]) {
    NAME_LISTS.with(|lists| {
        let mut lists = lists.borrow_mut();
        let at = match lists.iter().position(|(l, _)| std::ptr::eq(*l, names)) {
            Some(at) => at,
            None => {
                lists.push((names, names.iter().map(|n| JsValue::from_str(n)).collect()));
                lists.len() - 1
            }
        };
        delete_all(headers, &lists[at].1);
    });
}

/// Interns the static strings sent to JS on every request (header names, policy names), so
/// they cross as cached JS strings instead of being decoded each time: the gateway's own
/// header names and every string `configured` passes on. Once per isolate.
pub fn intern_static_strings(configured: impl FnOnce(&mut dyn FnMut(&'static str))) {
    if INTERNED.with(|i| i.replace(true)) {
        return;
    }
    for name in crate::http::reserved::GATEWAY_OWNED_HEADERS
        .iter()
        .chain(crate::http::reserved::HOP_BY_HOP_HEADERS)
        .chain(crate::http::forwarding::OTHER_HEADER_NAMES)
    {
        wasm_bindgen::intern(name);
    }
    configured(&mut |s| {
        wasm_bindgen::intern(s);
    });
}

impl crate::http::HeaderEdit for web_sys::Headers {
    fn get(&self, name: &str) -> Option<String> {
        web_sys::Headers::get(self, name).ok().flatten()
    }

    /// Invalid names or values (impossible for names from the checked config) are skipped.
    fn set(&mut self, name: &str, value: &str) {
        let _ = web_sys::Headers::set(self, name, value);
    }

    fn remove(&mut self, name: &str) {
        let _ = self.delete(name);
    }

    fn remove_all(&mut self, names: &'static [&'static str]) {
        delete_names(self, names);
    }
}
