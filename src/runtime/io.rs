//! Awaits on the runtime's promises, typed: upstream fetches, the Cache API, the purge
//! counters object and request bodies. (Authentication's are in [`super::auth`].)

use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, Request, Response};

/// Why a fetch produced no response.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FetchFailure {
    /// No response headers within the timeout.
    Timeout,
    /// Connection refused, DNS, TLS, reset, or not a response.
    Unreachable,
    /// The gateway cut the call: the client's streamed body went over the route's `max_body`.
    /// Says nothing about the origin.
    BodyOverLimit,
}

/// `fetch(url, {method, headers, body, redirect: "manual"})`, through the service binding
/// `service` when given: redirects are never followed; `timeout_ms` covers the wait for
/// response headers, the body then streams without a limit. `body` is a stream or bytes.
/// A timed-out fetch is aborted when `abort` is set, else left for the runtime to cancel
/// when the request ends (for a call nothing else in the request waits on).
#[allow(clippy::too_many_arguments)]
pub async fn fetch(
    env: &worker::Env,
    service: Option<&str>,
    url: &str,
    method: &str,
    headers: &Headers,
    body: Option<JsValue>,
    timeout_ms: u32,
    abort: bool,
) -> Result<Response, FetchFailure> {
    let env: &JsValue = env.as_ref();
    let sent = super::fetch_upstream(env, service, url, method, headers, body, timeout_ms, abort);
    match JsFuture::from(sent).await {
        Ok(resp) => resp
            .dyn_into::<Response>()
            .map_err(|_| FetchFailure::Unreachable),
        Err(reason) => Err(match reason.as_string().as_deref() {
            Some("timeout") => FetchFailure::Timeout,
            Some("over-limit") => FetchFailure::BodyOverLimit,
            _ => FetchFailure::Unreachable,
        }),
    }
}

/// A request's or response's body as text, if it is at most `max` bytes (`Err(true)` when
/// larger, `Err(false)` when it could not be read).
pub async fn read_bounded(message: &JsValue, max: u32) -> Result<String, bool> {
    match JsFuture::from(super::read_bounded(message, max)).await {
        Ok(v) if v.is_null() => Err(true),
        Ok(v) => v.as_string().ok_or(false),
        Err(_) => Err(false),
    }
}

/// A request's or response's body as bytes, if it is at most `max` bytes (`Err(true)` when
/// larger, `Err(false)` when it could not be read).
pub async fn read_bytes_bounded(message: &JsValue, max: u32) -> Result<Vec<u8>, bool> {
    match JsFuture::from(super::read_bytes(message, max)).await {
        Ok(v) if v.is_null() => Err(true),
        Ok(v) => v
            .dyn_into::<js_sys::Uint8Array>()
            .map(|a| a.to_vec())
            .map_err(|_| false),
        Err(_) => Err(false),
    }
}

/// An upstream answer's body, read whole up to `max` bytes, for a step that translates it;
/// `Err` says why not, for the step's own error ("it is larger than N bytes", "it could not
/// be read").
pub async fn answer_bytes(response: &web_sys::Response, max: u32) -> Result<Vec<u8>, String> {
    read_bytes_bounded(response.as_ref(), max)
        .await
        .map_err(|too_large| {
            if too_large {
                format!("it is larger than {max} bytes")
            } else {
                "it could not be read".into()
            }
        })
}

/// Resolves after `ms`.
pub async fn sleep(ms: u32) {
    let _ = JsFuture::from(super::sleep(ms)).await;
}

/// The request's body, read whole (for bodies small enough to send more than once).
pub async fn request_bytes(req: &web_sys::Request) -> Option<js_sys::Uint8Array> {
    let buffer = JsFuture::from(req.array_buffer().ok()?).await.ok()?;
    Some(js_sys::Uint8Array::new(&buffer))
}

/// The Cache API entry stored under `url`, if any (a failing cache reads as a miss).
pub async fn cache_match(url: &str) -> Option<Response> {
    let found = JsFuture::from(super::cache_match(url)).await.ok()?;
    found.dyn_into::<Response>().ok()
}

/// `resp` with its body read into memory and `Content-Length` declared (`None` when the
/// body cannot be read).
pub async fn with_length(resp: Response) -> Option<Response> {
    let out = JsFuture::from(super::with_length(resp)).await.ok()?;
    out.dyn_into::<Response>().ok()
}

/// Deletes the Cache API entry under `url` in this data center; whether one was there.
pub async fn cache_delete(url: &str) -> bool {
    JsFuture::from(super::cache_delete(url))
        .await
        .ok()
        .and_then(|v| v.as_bool())
        .unwrap_or(false)
}

/// The purge counters (JSON) from the CACHE_GENERATIONS object, or `None` when it does not
/// answer within `timeout_ms`.
pub async fn generations_get(env: &worker::Env, timeout_ms: u32) -> Option<String> {
    let env: &JsValue = env.as_ref();
    let answer = JsFuture::from(super::generations_get(env, timeout_ms)).await;
    answer.ok().and_then(|v| v.as_string())
}

/// Moves the path counters `keys` (`p:<hash>`) in the CACHE_GENERATIONS object, giving up
/// after `timeout_ms`; the new counters as JSON.
pub async fn generations_invalidate(
    env: &worker::Env,
    keys: &str,
    timeout_ms: u32,
) -> Result<String, String> {
    let env: &JsValue = env.as_ref();
    match JsFuture::from(super::generations_invalidate(env, keys, timeout_ms)).await {
        Ok(v) => v.as_string().ok_or_else(|| "not a string".to_string()),
        Err(e) => Err(e.as_string().unwrap_or_else(|| "failed".to_string())),
    }
}

/// A promise's string answer, or why it failed.
async fn text_of(p: js_sys::Promise) -> Result<String, String> {
    match JsFuture::from(p).await {
        Ok(v) => Ok(v.as_string().unwrap_or_default()),
        Err(e) => Err(e.as_string().unwrap_or_else(|| "failed".to_string())),
    }
}

/// `peek` or `reset` on the RATE_LIMITER object `name` (admin API).
pub async fn limiter_call(env: &worker::Env, name: &str, method: &str) -> Result<String, String> {
    text_of(super::limiter_call(env.as_ref(), name, method)).await
}

/// Writes a KV entry with metadata (JSON).
pub async fn kv_put(
    env: &worker::Env,
    binding: &str,
    key: &str,
    value: &str,
    metadata: &str,
) -> Result<(), String> {
    text_of(super::kv_put(env.as_ref(), binding, key, value, metadata))
        .await
        .map(|_| ())
}

/// Lists KV keys with a prefix: JSON `[{name, metadata}]`.
pub async fn kv_list(env: &worker::Env, binding: &str, prefix: &str) -> Result<String, String> {
    text_of(super::kv_list(env.as_ref(), binding, prefix)).await
}

/// Deletes a KV entry.
pub async fn kv_delete(env: &worker::Env, binding: &str, key: &str) -> Result<(), String> {
    text_of(super::kv_delete(env.as_ref(), binding, key))
        .await
        .map(|_| ())
}

/// Increments one purge counter; the counters after it (JSON), or why it failed.
pub async fn generations_bump(env: &worker::Env, key: &str) -> Result<String, String> {
    let env: &JsValue = env.as_ref();
    match JsFuture::from(super::generations_bump(env, key)).await {
        Ok(v) => v.as_string().ok_or_else(|| "bad answer".to_string()),
        Err(e) => Err(e.as_string().unwrap_or_else(|| "no answer".into())),
    }
}

/// The request body as text (`None` when it cannot be read).
pub async fn request_text(req: &Request) -> Option<String> {
    let promise = req.text().ok()?;
    JsFuture::from(promise).await.ok()?.as_string()
}
