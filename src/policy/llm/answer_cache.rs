//! The exact-match answer cache of an `llm` policy with `cache = { ttl, shared }` (wasm
//! only): a non-streaming chat request at temperature 0 whose every field matches an earlier
//! one (the alias, the `max_tokens` sent, the messages and options, in a canonical form) is
//! answered with that earlier answer, from the Workers Cache API of this data centre.
//!
//! Contract: entries are per consumer unless `shared = true` (the key holds the consumer's
//! id, so one consumer never gets another's answer), per policy, and kept `ttl`. A hit calls
//! no provider and counts no tokens (`Cache-Status: gatehouse; hit`, `llm.cached` in the
//! log); a miss that is answered is stored (`Cache-Status: gatehouse; fwd=miss; stored`).
//! Errors and streams are never stored.

use super::worker::{Call, Request};
use crate::exchange::WorkerExchange;
use crate::runtime;
use crate::runtime::answer::Answer;
use gatehouse_config::kinds::llm::Llm;
use sha2::{Digest, Sha256};
use web_sys::Headers;

/// The cache entry's URL for this request, when the policy caches and the request may be.
fn url(x: &WorkerExchange<'_>, call: &Call) -> Option<String> {
    let cache = call.policy.cache?;
    let Request::Chat(chat) = &call.request else {
        return None;
    };
    if !chat.cacheable() {
        return None;
    }
    let scope = if cache.shared {
        String::new()
    } else {
        // The authentication policy too: a JWT `sub` may equal an API key's consumer id.
        let who = x.ctx.identity.as_ref()?;
        format!("{}\u{0}{}", who.policy, who.subject)
    };
    let mut h = Sha256::new();
    for part in [
        call.policy.name,
        scope.as_str(),
        call.alias.name,
        &call.max_tokens.to_string(),
        &chat.cache_text(),
    ] {
        h.update((part.len() as u64).to_be_bytes());
        h.update(part.as_bytes());
    }
    let hex: String = h.finalize().iter().map(|b| format!("{b:02x}")).collect();
    Some(format!("https://llm-cache.gatehouse.internal/{hex}"))
}

/// The stored answer for this request, as the client's answer; remembers the entry's URL in
/// `call` so a miss can be stored.
pub async fn lookup(x: &mut WorkerExchange<'_>, call: &mut Call) -> Option<Answer> {
    let url = url(x, call)?;
    let stored = runtime::io::cache_match(&url).await;
    call.cache_url = Some(url);
    let stored = stored?;
    let headers = Headers::new_with_headers(&stored.headers()).ok()?;
    let _ = headers.delete("cache-control");
    let _ = headers.set("cache-control", "no-store");
    let _ = headers.set("cache-status", "gatehouse; hit");
    let body = stored.body().map(wasm_bindgen::JsValue::from);
    let response = runtime::respond(200, &headers, &body.unwrap_or(wasm_bindgen::JsValue::NULL));
    x.ctx.log.cache = Some("hit");
    if let Some(l) = x.ctx.log.llm.as_mut() {
        l.cached = true;
        l.provider = headers
            .get("x-gatehouse-provider")
            .ok()
            .flatten()
            .and_then(|p| provider_name(&p))
            .unwrap_or("");
        l.model = call
            .alias
            .targets
            .iter()
            .find(|t| headers.get("x-gatehouse-model").ok().flatten().as_deref() == Some(t.model))
            .map_or("", |t| t.model);
    }
    Some(Answer::own(response, false))
}

/// The table's name for a provider upstream (the log holds `&'static str`).
fn provider_name(name: &str) -> Option<&'static str> {
    crate::config::TABLE
        .upstreams
        .iter()
        .find(|u| u.name == name)
        .map(|u| u.name)
}

/// Stores a translated answer under `url` for the policy's `ttl`, and marks the answer as
/// stored.
pub fn store(x: &mut WorkerExchange<'_>, url: &str, policy: &Llm, answer: &mut Answer) {
    let Some(cache) = policy.cache else {
        return;
    };
    let Some(body) = answer.text_body() else {
        return;
    };
    let Ok(headers) = Headers::new_with_headers(&answer.headers) else {
        return;
    };
    let _ = headers.set("cache-control", &format!("max-age={}", cache.ttl_s));
    let entry = runtime::respond(200, &headers, &wasm_bindgen::JsValue::from_str(body));
    runtime::cache_put_later(x.worker_ctx.as_ref(), url, &entry, false);
    let _ = answer
        .headers
        .set("cache-status", "gatehouse; fwd=miss; stored");
    x.ctx.log.cache = Some("stored");
}
