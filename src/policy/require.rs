//! `kind = "require"`: what an authenticated caller must have (scopes, roles, claims).
//! Runs after an authentication policy; without an identity the request is a 401.

use crate::auth::identity::render;
use crate::auth::{Denied, Identity};
use serde_json::Value;

/// A compiled `require` policy. Every listed condition must hold.
#[derive(Debug)]
pub struct Require {
    /// All of these scopes.
    pub scopes: &'static [&'static str],
    /// At least one of these scopes.
    pub any_scopes: &'static [&'static str],
    /// At least one of these roles.
    pub roles: &'static [&'static str],
    pub claims: &'static [ClaimRule],
}

#[derive(Debug)]
pub struct ClaimRule {
    /// Claim name or dotted path.
    pub claim: &'static str,
    pub test: ClaimTest,
}

#[derive(Debug)]
pub enum ClaimTest {
    /// A string, number or boolean claim, compared as text.
    Equals(&'static str),
    OneOf(&'static [&'static str]),
    /// An array claim holding this value, or a space-separated string containing it as a word.
    Contains(&'static str),
}

impl Require {
    /// `Err(Missing)` without an identity, `Err(InsufficientScope)` when a condition fails.
    pub fn check(&self, identity: Option<&Identity>) -> Result<(), Denied> {
        let id = identity.ok_or(Denied::Missing)?;
        let has = |s: &&str| id.scopes.iter().any(|x| x == s);
        if let Some(missing) = self.scopes.iter().find(|s| !has(s)) {
            return Err(insufficient(format!("scope {missing}")));
        }
        if !self.any_scopes.is_empty() && !self.any_scopes.iter().any(has) {
            return Err(insufficient(format!(
                "one of the scopes {}",
                self.any_scopes.join(", ")
            )));
        }
        if !self.roles.is_empty() && !self.roles.iter().any(|r| id.roles.iter().any(|x| x == r)) {
            return Err(insufficient(format!(
                "one of the roles {}",
                self.roles.join(", ")
            )));
        }
        for rule in self.claims {
            if !rule.holds(id.claim(rule.claim)) {
                return Err(insufficient(format!("claim {}", rule.claim)));
            }
        }
        Ok(())
    }

    /// The scopes to name in an RFC 6750 `scope` attribute.
    pub fn scope_hint(&self) -> String {
        self.scopes
            .iter()
            .chain(self.any_scopes)
            .copied()
            .collect::<Vec<_>>()
            .join(" ")
    }
}

impl ClaimRule {
    fn holds(&self, value: Option<&Value>) -> bool {
        let Some(v) = value else { return false };
        let scalar = match v {
            Value::String(_) | Value::Number(_) | Value::Bool(_) => Some(render(v)),
            _ => None,
        };
        match &self.test {
            ClaimTest::Equals(want) => scalar.as_deref() == Some(want),
            ClaimTest::OneOf(list) => scalar.is_some_and(|s| list.contains(&s.as_str())),
            ClaimTest::Contains(want) => match v {
                Value::Array(items) => items.iter().any(|i| i.as_str() == Some(want)),
                Value::String(s) => s.split_ascii_whitespace().any(|w| w == *want),
                _ => false,
            },
        }
    }
}

fn insufficient(required: String) -> Denied {
    Denied::InsufficientScope { required }
}
