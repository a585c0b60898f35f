//! [`Identity`]: who the caller is once an authentication policy has accepted them, and how
//! that becomes headers for the origin.

use serde_json::{Map, Value};

/// An authenticated caller. Later policies (`require`, rate limits) and the origin see this.
#[derive(Debug, Clone, PartialEq)]
pub struct Identity {
    /// The policy that authenticated the request.
    pub policy: &'static str,
    /// `sub` of a JWT, `id` of an API-key consumer, subject DN of a client certificate.
    pub subject: String,
    /// The consumer's plan (API keys, or a `plan` claim).
    pub plan: Option<String>,
    pub scopes: Vec<String>,
    pub roles: Vec<String>,
    /// JWT claims, the API-key record, or certificate facts, by name.
    pub claims: Map<String, Value>,
}

impl Identity {
    /// Builds an identity from a claims object: `sub`, scopes from `scope` (space separated),
    /// `scp` or `permissions` (arrays or strings), roles from `roles`, plan from `plan`.
    pub fn from_claims(
        policy: &'static str,
        subject_claim: &str,
        claims: Map<String, Value>,
    ) -> Self {
        let mut scopes = Vec::new();
        for name in ["scope", "scp", "scopes", "permissions"] {
            push_words(claims.get(name), &mut scopes);
        }
        scopes.dedup();
        let mut roles = Vec::new();
        push_words(claims.get("roles"), &mut roles);
        Identity {
            policy,
            subject: claims.get(subject_claim).map(render).unwrap_or_default(),
            plan: claims
                .get("plan")
                .and_then(Value::as_str)
                .map(str::to_string),
            scopes,
            roles,
            claims,
        }
    }

    /// A claim by name or dotted path (`realm_access.roles`).
    pub fn claim(&self, path: &str) -> Option<&Value> {
        if let Some(v) = self.claims.get(path) {
            return Some(v);
        }
        let mut parts = path.split('.');
        let mut cur = self.claims.get(parts.next()?)?;
        for part in parts {
            cur = cur.as_object()?.get(part)?;
        }
        Some(cur)
    }

    /// `(header, value)` pairs for a policy's `forward` map (field -> header). Fields that are
    /// absent are skipped; values with control characters are dropped rather than sent.
    pub fn forward_headers(
        &self,
        forward: &[(&'static str, &'static str)],
    ) -> Vec<(&'static str, String)> {
        forward
            .iter()
            .filter_map(|&(field, header)| {
                let value = match field {
                    "scopes" if !self.claims.contains_key("scopes") => Some(self.scopes.join(" ")),
                    _ => self.claim(field).map(render),
                }?;
                let clean = !value.bytes().any(|b| (b < b' ' && b != b'\t') || b == 0x7f);
                clean.then_some((header, value))
            })
            .collect()
    }
}

/// A claim value as header text: strings as they are, arrays joined by spaces, others as JSON.
pub fn render(v: &Value) -> String {
    match v {
        Value::String(s) => s.clone(),
        Value::Array(items) => items.iter().map(render).collect::<Vec<_>>().join(" "),
        Value::Null => String::new(),
        other => other.to_string(),
    }
}

fn push_words(v: Option<&Value>, out: &mut Vec<String>) {
    match v {
        Some(Value::String(s)) => out.extend(s.split_ascii_whitespace().map(str::to_string)),
        Some(Value::Array(items)) => {
            out.extend(items.iter().filter_map(Value::as_str).map(str::to_string))
        }
        _ => {}
    }
}
