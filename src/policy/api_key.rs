//! `kind = "api_key"`: an API key looked up by its SHA-256 in a KV namespace.
//!
//! KV holds `sha256:<hex of SHA-256(key)>` -> a consumer record (JSON):
//! `{"id", "name", "plan", "scopes": [...], "enabled": true, "expires_at": <unix s | RFC 3339>}`.
//! The plain key is never stored. Lookups, found or not, are reused per isolate for
//! `cache_ttl` (at most 60 s), which bounds how long a revoked key keeps working here.

use crate::auth::backend::AuthBackend;
use crate::auth::ttl_cache::TtlCache;
use crate::auth::{credentials, AuthError, Denied, Identity, Scheme};
use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};
use sha2::{Digest, Sha256};
use std::cell::RefCell;

pub use gatehouse_config::kinds::api_key::ApiKey;

/// What KV stores for a key.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct ConsumerRecord {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub plan: Option<String>,
    #[serde(default)]
    pub scopes: Vec<String>,
    #[serde(default = "enabled_default")]
    pub enabled: bool,
    /// Unix seconds or an RFC 3339 date-time; absent means no expiry.
    #[serde(default)]
    pub expires_at: Option<Value>,
}

fn enabled_default() -> bool {
    true
}

/// Longest key accepted before looking anything up (generated keys are 43 characters).
pub const MAX_KEY_BYTES: usize = 256;
/// API-key lookups (found or not) remembered per isolate, at most.
pub const LOOKUP_CACHE_CAPACITY: usize = 4096;

thread_local! {
    static LOOKUPS: RefCell<TtlCache<(&'static str, String), Option<ConsumerRecord>>> =
        RefCell::new(TtlCache::new(LOOKUP_CACHE_CAPACITY));
}

/// The KV key for an API key: `sha256:` and the lower-case hex SHA-256 of the key.
pub fn store_key(api_key: &str) -> String {
    let digest = Sha256::digest(api_key.as_bytes());
    let mut s = String::with_capacity(7 + 64);
    s.push_str("sha256:");
    for b in digest {
        s.push_str(&format!("{b:02x}"));
    }
    s
}

/// How the client is told to send the key.
pub fn scheme(policy: &ApiKey) -> Scheme {
    if policy.bearer {
        return Scheme::Bearer;
    }
    match (policy.header, policy.query) {
        (Some(h), _) => Scheme::ApiKeyHeader(h),
        (None, Some(q)) => Scheme::ApiKeyQuery(q),
        (None, None) => Scheme::ApiKeyHeader("x-api-key"),
    }
}

pub async fn authenticate<B: AuthBackend>(
    policy: &'static ApiKey,
    b: &B,
) -> Result<Identity, AuthError> {
    let deny = |d| AuthError::Denied(scheme(policy), d);
    let key = find_key(policy, b).map_err(deny)?;
    if key.len() > MAX_KEY_BYTES {
        return Err(deny(Denied::UnknownApiKey));
    }
    let now = b.now_s();
    let kv_key = store_key(&key);
    let cache_key = (policy.store, kv_key);
    let cached = LOOKUPS.with(|c| c.borrow().get(&cache_key, now));
    let record = match cached {
        Some(r) => r,
        None => {
            let raw = b
                .kv_get(policy.store, &cache_key.1)
                .await
                .map_err(AuthError::Failed)?;
            // A record that does not parse is treated as absent: fail closed.
            let record = raw.and_then(|r| serde_json::from_str::<ConsumerRecord>(&r).ok());
            let until = now + policy.cache_ttl_s as f64;
            LOOKUPS.with(|c| c.borrow_mut().insert(cache_key, record.clone(), until, now));
            record
        }
    };
    check_record(policy.name, record, now).map_err(deny)
}

fn find_key<B: AuthBackend>(policy: &ApiKey, b: &B) -> Result<String, Denied> {
    if policy.bearer {
        return credentials::bearer(b.header("authorization").as_deref())?
            .map(str::to_string)
            .ok_or(Denied::Missing);
    }
    let header = match (policy.header, policy.query) {
        (Some(h), _) => Some(h),
        (None, None) => Some("x-api-key"),
        (None, Some(_)) => None,
    };
    if let Some(h) = header {
        if let Some(k) = credentials::single_header(b.header(h).as_deref())? {
            return Ok(k.to_string());
        }
    }
    if let Some(q) = policy.query {
        if let Some(k) = credentials::query_param(b.query(), q)? {
            return Ok(k.to_string());
        }
    }
    Err(Denied::Missing)
}

/// Turns a looked-up record into an identity: unknown, disabled and expired keys are refused.
pub fn check_record(
    policy: &'static str,
    record: Option<ConsumerRecord>,
    now: f64,
) -> Result<Identity, Denied> {
    let r = record.ok_or(Denied::UnknownApiKey)?;
    if !r.enabled {
        return Err(Denied::ApiKeyDisabled);
    }
    if let Some(exp) = &r.expires_at {
        let at = match exp {
            Value::Number(n) => n.as_f64(),
            Value::String(s) => chrono::DateTime::parse_from_rfc3339(s)
                .ok()
                .map(|d| d.timestamp() as f64),
            Value::Null => Some(f64::MAX),
            _ => None,
        };
        // An expiry that cannot be read is treated as expired: fail closed.
        if at.is_none_or(|at| now >= at) {
            return Err(Denied::ApiKeyExpired);
        }
    }
    if r.id.is_empty() {
        return Err(Denied::NoSubject);
    }
    let mut claims = Map::new();
    claims.insert("id".into(), Value::String(r.id.clone()));
    claims.insert("name".into(), Value::String(r.name.clone()));
    if let Some(plan) = &r.plan {
        claims.insert("plan".into(), Value::String(plan.clone()));
    }
    claims.insert(
        "scopes".into(),
        Value::Array(r.scopes.iter().cloned().map(Value::String).collect()),
    );
    Ok(Identity {
        policy,
        subject: r.id,
        plan: r.plan,
        scopes: r.scopes,
        roles: Vec::new(),
        claims,
    })
}
