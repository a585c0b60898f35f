//! `kind = "require"`: what an authenticated caller must have (scopes, roles, claims).
//! Runs after an authentication policy; without an identity the request is a 401.

use crate::auth::identity::render;
use crate::auth::{Denied, Identity};
use serde_json::Value;

pub use gatehouse_config::kinds::require::{ClaimRule, ClaimTest, Require};

/// `Err(Missing)` without an identity, `Err(InsufficientScope)` when a condition fails.
pub fn check(policy: &Require, identity: Option<&Identity>) -> Result<(), Denied> {
    let id = identity.ok_or(Denied::Missing)?;
    let has = |s: &&str| id.scopes.iter().any(|x| x == s);
    if let Some(missing) = policy.scopes.iter().find(|s| !has(s)) {
        return Err(insufficient(format!("scope {missing}")));
    }
    if !policy.any_scopes.is_empty() && !policy.any_scopes.iter().any(has) {
        return Err(insufficient(format!(
            "one of the scopes {}",
            policy.any_scopes.join(", ")
        )));
    }
    if !policy.roles.is_empty() && !policy.roles.iter().any(|r| id.roles.iter().any(|x| x == r)) {
        return Err(insufficient(format!(
            "one of the roles {}",
            policy.roles.join(", ")
        )));
    }
    for rule in policy.claims {
        if !holds(rule, id.claim(rule.claim)) {
            return Err(insufficient(format!("claim {}", rule.claim)));
        }
    }
    Ok(())
}

/// The scopes to name in an RFC 6750 `scope` attribute.
pub fn scope_hint(policy: &Require) -> String {
    policy
        .scopes
        .iter()
        .chain(policy.any_scopes)
        .copied()
        .collect::<Vec<_>>()
        .join(" ")
}

fn holds(rule: &ClaimRule, value: Option<&Value>) -> bool {
    let Some(v) = value else { return false };
    let scalar = match v {
        Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(render(v)),
        _ => None,
    };
    match &rule.test {
        ClaimTest::Equals(want) => scalar.as_deref() == Some(want),
        ClaimTest::OneOf(list) => scalar.is_some_and(|s| list.contains(&s.as_str())),
        ClaimTest::Contains(want) => match v {
            Value::Array(items) => items.iter().any(|i| i.as_str() == Some(want)),
            Value::String(s) => s.split_ascii_whitespace().any(|w| w == *want),
            _ => false,
        },
    }
}

fn insufficient(required: String) -> Denied {
    Denied::InsufficientScope { required }
}
