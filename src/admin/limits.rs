//! A rate limiter's state: `GET` reads what the `RateLimiter` object for (policy, key) holds,
//! `DELETE` resets it (its storage deleted: the next request starts from zero). The key is
//! given as its parts in the policy's `key` order: `?key=<part>&key=<part>`.

use super::query_values;
use crate::error::GatewayError;
use crate::policy::rate_limit;
use crate::policy::Policy;
use crate::runtime;
use serde_json::{json, Value};
use worker::Env;

/// The limiter object's name for `policy` and the key parts in the query.
fn object(policy: &str, query: Option<&str>) -> Result<String, GatewayError> {
    let table = &crate::config::TABLE;
    let Some(limit) = table.policies.iter().find_map(|p| match p {
        Policy::RateLimit(r) if r.name == policy => Some(r),
        _ => None,
    }) else {
        return Err(GatewayError::BadAdminRequest {
            detail: format!("no rate_limit policy is named \"{policy}\""),
        });
    };
    let parts = query_values(query, "key");
    if parts.len() != limit.key.len() {
        return Err(GatewayError::BadAdminRequest {
            detail: format!(
                "policy \"{policy}\" is keyed by {} part(s): give each as ?key=<value>, in order",
                limit.key.len()
            ),
        });
    }
    Ok(rate_limit::object_name_from_parts(limit, &parts))
}

/// `GET /__gatehouse/limits/<policy>?key=..`.
pub async fn read(env: &Env, policy: &str, query: Option<&str>) -> Result<String, GatewayError> {
    let name = object(policy, query)?;
    let state = runtime::io::limiter_call(env, &name, "peek")
        .await
        .map_err(|why| GatewayError::RateLimitUnavailable {
            policy: "admin",
            why,
        })?;
    let state: Value = serde_json::from_str(&state).unwrap_or(Value::Null);
    Ok(json!({ "policy": policy, "object": name, "state": state }).to_string())
}

/// `DELETE /__gatehouse/limits/<policy>?key=..`.
pub async fn reset(env: &Env, policy: &str, query: Option<&str>) -> Result<String, GatewayError> {
    let name = object(policy, query)?;
    runtime::io::limiter_call(env, &name, "reset")
        .await
        .map_err(|why| GatewayError::RateLimitUnavailable {
            policy: "admin",
            why,
        })?;
    Ok(json!({ "policy": policy, "object": name, "reset": true }).to_string())
}
