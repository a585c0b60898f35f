//! [`WorkerAuth`]: the worker's [`AuthBackend`] and [`LimiterBackend`] over the request, `env`,
//! WebCrypto, KV, the Cache API and the RATE_LIMITER objects. Decisions stay in the pure
//! modules (`crate::auth`); this file does I/O and per-isolate caching.
//!
//! - Public keys are imported into WebCrypto once per isolate per (key, alg) and kept.
//! - JWKS: one fetch at a time per policy, stored per isolate and in the Cache API so a new
//!   isolate (or one whose IdP is down) starts from a copy. Workers cannot await a promise
//!   that belongs to another request, so concurrent requests do not share the fetch's future:
//!   they use the keys they have or, with none, poll the isolate's state until it lands.

use super::{
    cache_get_jwks, cache_put_jwks, fetch_text, import_verify_key, kv_get_js, sleep,
    tls_client_auth, verify_signature,
};
use crate::auth::backend::{AuthBackend, BackendError, ClientCert};
use crate::auth::jwk::{KeyMaterial, PublicJwk};
use crate::auth::jwks::{
    fetched_keys, ttl_from_cache_control, JwksSource, JwksState, KeySet, Need,
    IMPORTED_KEYS_CAPACITY,
};
use crate::auth::ttl_cache::TtlCache;
use crate::auth::Alg;
use crate::http::url::join_url;
use crate::ratelimit::backend::LimiterBackend;
use crate::runtime::{console_log, now_ms};
use crate::slots::Slots;
use std::cell::RefCell;
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen_futures::JsFuture;

/// How long the IdP gets to answer a JWKS request.
const JWKS_FETCH_TIMEOUT_MS: u32 = 5_000;

/// How often a request waiting for another request's JWKS fetch looks again.
const WAIT_STEP_MS: u32 = 10;

#[derive(Default)]
struct PolicyKeys {
    state: JwksState,
    /// A request is fetching right now.
    fetching: bool,
}

/// Clears the in-flight mark even when the fetching request is cancelled mid-way.
struct FetchingMark(usize);

impl Drop for FetchingMark {
    fn drop(&mut self) {
        JWKS.with(|m| {
            if let Some(e) = m.borrow_mut().get_mut(self.0) {
                e.fetching = false;
            }
        });
    }
}

enum Step {
    Fetch(Result<String, String>, bool),
    Wait,
    Done,
}

thread_local! {
    /// By `jwt` policy index.
    static JWKS: RefCell<Slots<PolicyKeys>> = const { RefCell::new(Slots::new()) };
    /// WebCrypto keys by material and algorithm, at most [`IMPORTED_KEYS_CAPACITY`] (they
    /// never expire: the cache is cleared when full).
    static CRYPTO_KEYS: RefCell<TtlCache<(KeyMaterial, Alg), JsValue>> =
        RefCell::new(TtlCache::new(IMPORTED_KEYS_CAPACITY));
    /// Secrets read so far, by name (the config names a few).
    static SECRETS: RefCell<Vec<(&'static str, Option<String>)>> = const { RefCell::new(Vec::new()) };
}

/// The worker's view of one request for authentication policies.
pub struct WorkerAuth<'a> {
    pub request: &'a web_sys::Request,
    pub headers: &'a web_sys::Headers,
    pub query: Option<&'a str>,
    pub env: &'a worker::Env,
}

impl AuthBackend for WorkerAuth<'_> {
    fn now_s(&self) -> f64 {
        now_ms() / 1000.0
    }

    fn header(&self, name: &str) -> Option<String> {
        self.headers.get(name).ok().flatten()
    }

    fn query(&self) -> Option<&str> {
        self.query
    }

    fn client_cert(&self) -> Option<ClientCert> {
        let raw = tls_client_auth(self.request);
        if raw.is_null() || raw.is_undefined() {
            return None;
        }
        let get = |k: &str| {
            js_sys::Reflect::get(&raw, &JsValue::from_str(k))
                .ok()
                .and_then(|v| v.as_string())
                .unwrap_or_default()
        };
        let presented = js_sys::Reflect::get(&raw, &JsValue::from_str("presented"))
            .ok()
            .and_then(|v| v.as_bool())
            .unwrap_or(false);
        Some(ClientCert {
            presented,
            verified: get("verified"),
            subject_dn: get("subject"),
            issuer_dn: get("issuer"),
            fingerprint_sha256: get("fingerprint"),
            serial: get("serial"),
        })
    }

    fn secret(&self, name: &'static str) -> Option<String> {
        // Secrets change only with a new deployment, which starts new isolates.
        SECRETS.with(|s| {
            let mut s = s.borrow_mut();
            if let Some((_, value)) = s.iter().find(|(n, _)| *n == name) {
                return value.clone();
            }
            let value = self
                .env
                .secret(name)
                .map(|v| v.to_string())
                .or_else(|_| self.env.var(name).map(|v| v.to_string()))
                .ok();
            s.push((name, value.clone()));
            value
        })
    }

    async fn jwks(
        &self,
        source: JwksSource,
        need: Need,
    ) -> Result<Rc<Vec<PublicJwk>>, BackendError> {
        let id = source.index;
        let mut waited = 0;
        loop {
            let now = self.now_s();
            let step = JWKS.with(|m| {
                let mut m = m.borrow_mut();
                let entry = m.get_or_insert_with(id, PolicyKeys::default);
                let has_keys = entry.state.usable(now, &source.times).is_some();
                if entry.fetching {
                    // Another request is fetching: use what there is, or wait for it.
                    if has_keys && need == Need::Keys {
                        Step::Done
                    } else {
                        Step::Wait
                    }
                } else if entry.state.should_fetch(now, need, &source.times) {
                    entry.fetching = true;
                    entry.state.last_attempt = Some(now);
                    Step::Fetch(jwks_url(&source, self.env), entry.state.set.is_some())
                } else {
                    Step::Done
                }
            });
            match step {
                Step::Fetch(url, have_copy) => {
                    let mark = FetchingMark(id);
                    let result = load_jwks(url, &source, have_copy, now).await;
                    JWKS.with(|m| {
                        if let (Some(set), Some(e)) = (result, m.borrow_mut().get_mut(id)) {
                            e.state.set = Some(set);
                        }
                    });
                    drop(mark);
                    break;
                }
                Step::Wait if waited < JWKS_FETCH_TIMEOUT_MS + 1_000 => {
                    let _ = JsFuture::from(sleep(WAIT_STEP_MS)).await;
                    waited += WAIT_STEP_MS;
                }
                Step::Wait | Step::Done => break,
            }
        }
        let now = self.now_s();
        JWKS.with(|m| {
            let m = m.borrow();
            m.get(id)
                .and_then(|e| e.state.usable(now, &source.times).cloned())
        })
        .ok_or_else(|| BackendError::Unavailable {
            what: "the identity provider's signing keys could not be fetched".into(),
        })
    }

    async fn verify(
        &self,
        key: &PublicJwk,
        alg: Alg,
        signing_input: &str,
        signature: &[u8],
    ) -> bool {
        verify_with_webcrypto(key, alg, signing_input, signature).await
    }

    async fn kv_get(
        &self,
        binding: &'static str,
        key: &str,
    ) -> Result<Option<String>, BackendError> {
        match JsFuture::from(kv_get_js(self.env.as_ref(), binding, key)).await {
            Ok(v) => Ok(v.as_string()),
            Err(e) if e.as_string().as_deref() == Some("no-binding") => Err(BackendError::Misconfigured {
                detail: format!("KV binding {binding} is not configured (add it to wrangler.toml [[kv_namespaces]])"),
            }),
            Err(_) => Err(BackendError::Unavailable {
                what: "the API key store could not be reached".into(),
            }),
        }
    }
}

/// Verifies a JWS signature with `crypto.subtle`, importing the key once per isolate per
/// (key, alg). A key WebCrypto refuses to import verifies nothing (and is logged).
pub async fn verify_with_webcrypto(
    key: &PublicJwk,
    alg: Alg,
    signing_input: &str,
    signature: &[u8],
) -> bool {
    let cache_key = (key.material.clone(), alg);
    let cached = CRYPTO_KEYS.with(|c| c.borrow().get(&cache_key, 0.0));
    let crypto_key = match cached {
        Some(k) => k,
        None => {
            let (format, data) = match &key.material {
                KeyMaterial::Jwk(json) => ("jwk", JsValue::from_str(json)),
                KeyMaterial::Spki(der) => ("spki", js_sys::Uint8Array::from(der.as_slice()).into()),
            };
            match JsFuture::from(import_verify_key(format, &data, alg.name())).await {
                Ok(k) => {
                    CRYPTO_KEYS.with(|c| {
                        c.borrow_mut()
                            .insert(cache_key, k.clone(), f64::INFINITY, 0.0)
                    });
                    k
                }
                Err(_) => {
                    log_error(&format!(
                        "a {:?} key (kid {:?}) could not be imported for {}",
                        key.kind,
                        key.kid,
                        alg.name()
                    ));
                    return false;
                }
            }
        }
    };
    JsFuture::from(verify_signature(
        &crypto_key,
        alg.name(),
        signature,
        signing_input,
    ))
    .await
    .ok()
    .and_then(|v| v.as_bool())
    .unwrap_or(false)
}

impl LimiterBackend for WorkerAuth<'_> {
    async fn limiter_take(
        &self,
        object: &str,
        body: &str,
        timeout_ms: u32,
    ) -> Result<String, String> {
        round_trip(self.env, object, body, timeout_ms).await
    }

    async fn pause(&self, ms: u32) {
        let _ = JsFuture::from(sleep(ms)).await;
    }
}

/// One round trip to the RATE_LIMITER object `object`.
async fn round_trip(
    env: &worker::Env,
    object: &str,
    body: &str,
    timeout_ms: u32,
) -> Result<String, String> {
    let env: &JsValue = env.as_ref();
    match JsFuture::from(super::limiter_take(env, object, body, timeout_ms)).await {
        Ok(v) => v.as_string().ok_or_else(|| "no answer".to_string()),
        Err(e) => Err(e.as_string().unwrap_or_else(|| format!("{e:?}"))),
    }
}

/// The limiter over the worker's env alone, for work that goes on after the answer (an LLM
/// call's token settlement) and so outlives the request's [`WorkerAuth`].
pub struct EnvLimiter(pub worker::Env);

impl LimiterBackend for EnvLimiter {
    async fn limiter_take(
        &self,
        object: &str,
        body: &str,
        timeout_ms: u32,
    ) -> Result<String, String> {
        round_trip(&self.0, object, body, timeout_ms).await
    }

    async fn pause(&self, ms: u32) {
        let _ = JsFuture::from(sleep(ms)).await;
    }
}

fn jwks_url(source: &JwksSource, env: &worker::Env) -> Result<String, String> {
    join_url(source.url, |name| env.var(name).ok().map(|v| v.to_string()))
        .map_err(|name| crate::error::GatewayError::MissingVariable { name }.detail())
}

/// Gets a key set: the Cache API copy when this isolate has none and it is fresh, else the
/// IdP; falls back to the (stale) Cache API copy when the IdP fails. `None` when nothing new
/// was obtained (the caller keeps what it had).
async fn load_jwks(
    url: Result<String, String>,
    source: &JwksSource,
    have_copy: bool,
    now: f64,
) -> Option<KeySet> {
    let url = match url {
        Ok(u) => u,
        Err(e) => {
            log_error(&format!("policy {}: jwks_url: {e}", source.policy));
            return None;
        }
    };
    let cache_key = format!(
        "https://jwks.gatehouse.invalid/?url={}",
        js_sys::encode_uri_component(&url)
    );
    let mut stored = None;
    if !have_copy {
        if let Ok(hit) = JsFuture::from(cache_get_jwks(&cache_key)).await {
            if !hit.is_null() {
                let body = get_str(&hit, "body");
                let fresh_until = js_sys::Reflect::get(&hit, &"freshUntil".into())
                    .ok()
                    .and_then(|v| v.as_f64())
                    .unwrap_or(0.0);
                if let Ok(keys) = fetched_keys(&body) {
                    let set = KeySet {
                        keys: Rc::new(keys),
                        fresh_until,
                    };
                    if fresh_until > now {
                        return Some(set);
                    }
                    stored = Some(set);
                }
            }
        }
    }
    match fetch_jwks(&url, source, now).await {
        Ok((set, body)) => {
            let keep = (set.fresh_until - now) as u32 + source.times.max_stale_s;
            let _ = JsFuture::from(cache_put_jwks(&cache_key, &body, set.fresh_until, keep)).await;
            Some(set)
        }
        Err(e) => {
            log_error(&format!(
                "policy {}: JWKS fetch from {url} failed: {e}",
                source.policy
            ));
            stored
        }
    }
}

async fn fetch_jwks(url: &str, source: &JwksSource, now: f64) -> Result<(KeySet, String), String> {
    let resp = JsFuture::from(fetch_text(url, JWKS_FETCH_TIMEOUT_MS))
        .await
        .map_err(|_| "unreachable or timed out".to_string())?;
    let status = js_sys::Reflect::get(&resp, &"status".into())
        .ok()
        .and_then(|v| v.as_f64())
        .unwrap_or(0.0);
    if status != 200.0 {
        return Err(format!("status {status}"));
    }
    let body = get_str(&resp, "body");
    let cache_control = js_sys::Reflect::get(&resp, &"cacheControl".into())
        .ok()
        .and_then(|v| v.as_string());
    let keys = fetched_keys(&body)?;
    let ttl = ttl_from_cache_control(cache_control.as_deref(), &source.times);
    Ok((
        KeySet {
            keys: Rc::new(keys),
            fresh_until: now + ttl as f64,
        },
        body,
    ))
}

fn get_str(obj: &JsValue, key: &str) -> String {
    js_sys::Reflect::get(obj, &JsValue::from_str(key))
        .ok()
        .and_then(|v| v.as_string())
        .unwrap_or_default()
}

fn log_error(message: &str) {
    console_log(&serde_json::json!({ "level": "error", "message": message }).to_string());
}
