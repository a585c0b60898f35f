//! API keys in KV (the store of an `api_key` policy): create (the key is answered once and
//! only its SHA-256 is stored, as `sha256:<hex>`, with the consumer record `make key-create`
//! writes), list by hash prefix, consumer or plan (from the entry's KV metadata), revoke.
//! A revoked key stops working within the policy's `cache_ttl` (each isolate remembers
//! lookups that long).

use super::{body, query_values};
use crate::error::GatewayError;
use crate::http::trace::hex;
use crate::policy::Policy;
use crate::runtime;
use base64ct::{Base64UrlUnpadded, Encoding};
use serde::Deserialize;
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use web_sys::Request;
use worker::Env;

fn bad(detail: String) -> GatewayError {
    GatewayError::BadAdminRequest { detail }
}

/// The KV binding keys go to: the one `store` every `api_key` policy uses, or the one named.
fn store(named: Option<&str>) -> Result<&'static str, GatewayError> {
    let table = &crate::config::TABLE;
    let mut stores: Vec<&'static str> = table
        .policies
        .iter()
        .filter_map(|p| match p {
            Policy::ApiKey(k) => Some(k.store),
            _ => None,
        })
        .collect();
    stores.sort_unstable();
    stores.dedup();
    match (named, stores.as_slice()) {
        (Some(n), _) => stores.iter().find(|s| **s == n).copied().ok_or_else(|| {
            bad(format!(
                "no api_key policy uses the store \"{n}\" (they use: {})",
                stores.join(", ")
            ))
        }),
        (None, [one]) => Ok(one),
        (None, []) => Err(bad("no api_key policy is configured".into())),
        (None, _) => Err(bad(format!("name the store: one of {}", stores.join(", ")))),
    }
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct NewKey {
    consumer: String,
    name: Option<String>,
    plan: Option<String>,
    #[serde(default)]
    scopes: Vec<String>,
    expires_at: Option<String>,
    store: Option<String>,
}

/// `POST /__gatehouse/keys`: a new key for a consumer; the key is in the answer only.
pub async fn create(req: &Request, env: &Env) -> Result<String, GatewayError> {
    let text = body(req).await?;
    let k: NewKey = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "the body must be JSON like {{\"consumer\": \"acme\", \"plan\": \"gold\"}} ({e})"
        ))
    })?;
    if k.consumer.is_empty() || k.consumer.len() > 200 {
        return Err(bad("consumer: 1-200 characters".into()));
    }
    if let Some(e) = &k.expires_at {
        if chrono::DateTime::parse_from_rfc3339(e).is_err() {
            return Err(bad(format!(
                "expires_at: \"{e}\" is not an RFC 3339 date-time"
            )));
        }
    }
    let store = store(k.store.as_deref())?;
    let random = runtime::random_40();
    let key = format!("gh_{}", Base64UrlUnpadded::encode_string(&random[..32])); // 256 bits
    let hash = hex(&Sha256::digest(key.as_bytes()));
    let record = json!({
        "id": k.consumer,
        "name": k.name.clone().unwrap_or_else(|| k.consumer.clone()),
        "plan": k.plan,
        "scopes": k.scopes,
        "enabled": true,
        "expires_at": k.expires_at,
    });
    let created = crate::log::iso8601(runtime::now_ms());
    let metadata = json!({ "id": k.consumer, "plan": k.plan, "created": created });
    runtime::io::kv_put(
        env,
        store,
        &format!("sha256:{hash}"),
        &record.to_string(),
        &metadata.to_string(),
    )
    .await
    .map_err(|why| bad(format!("the key could not be stored: {why}")))?;
    Ok(json!({ "key": key, "hash": hash, "consumer": k.consumer, "plan": k.plan, "store": store, "created": created }).to_string())
}

/// The keys in a store as (hash, metadata).
async fn all(
    env: &Env,
    store: &str,
    hash_prefix: &str,
) -> Result<Vec<(String, Value)>, GatewayError> {
    let listed = runtime::io::kv_list(env, store, &format!("sha256:{hash_prefix}"))
        .await
        .map_err(|why| bad(format!("the store could not be listed: {why}")))?;
    let entries: Vec<Value> = serde_json::from_str(&listed).unwrap_or_default();
    Ok(entries
        .into_iter()
        .filter_map(|e| {
            let hash = e
                .get("name")?
                .as_str()?
                .strip_prefix("sha256:")?
                .to_string();
            Some((hash, e.get("metadata").cloned().unwrap_or(Value::Null)))
        })
        .collect())
}

/// `GET /__gatehouse/keys?hash_prefix=..&consumer=..&plan=..&store=..`.
pub async fn list(env: &Env, query: Option<&str>) -> Result<String, GatewayError> {
    let one = |name| query_values(query, name).into_iter().next();
    let store = store(one("store").as_deref())?;
    let prefix = one("hash_prefix").unwrap_or_default();
    if !prefix.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad("hash_prefix: hex digits".into()));
    }
    let (consumer, plan) = (one("consumer"), one("plan"));
    let keys: Vec<Value> = all(env, store, &prefix.to_ascii_lowercase())
        .await?
        .into_iter()
        .filter(|(_, m)| consumer.as_deref().is_none_or(|c| m.get("id").and_then(Value::as_str) == Some(c)))
        .filter(|(_, m)| plan.as_deref().is_none_or(|p| m.get("plan").and_then(Value::as_str) == Some(p)))
        .map(|(hash, m)| json!({ "hash": hash, "consumer": m.get("id"), "plan": m.get("plan"), "created": m.get("created") }))
        .collect();
    Ok(json!({ "store": store, "keys": keys }).to_string())
}

/// `DELETE /__gatehouse/keys/<hash or a prefix of at least 8 hex digits>`.
pub async fn revoke(env: &Env, hash: &str, query: Option<&str>) -> Result<String, GatewayError> {
    let store = store(query_values(query, "store").first().map(String::as_str))?;
    let hash = hash.to_ascii_lowercase();
    if hash.len() < 8 || hash.len() > 64 || !hash.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(bad(
            "name the key by its SHA-256 hash (hex), or at least its first 8 digits".into(),
        ));
    }
    let found = all(env, store, &hash).await?;
    let full = match found.as_slice() {
        [(h, _)] => h.clone(),
        [] => return Err(GatewayError::RouteNotFound),
        many => {
            return Err(bad(format!(
                "{} keys start with {hash}; give more digits",
                many.len()
            )))
        }
    };
    runtime::io::kv_delete(env, store, &format!("sha256:{full}"))
        .await
        .map_err(|why| bad(format!("the key could not be deleted: {why}")))?;
    Ok(json!({ "revoked": full, "store": store }).to_string())
}
