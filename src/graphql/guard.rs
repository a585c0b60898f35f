//! The `graphql` policy's rule over one request: the batch size, persisted operations and the
//! allowlist, then each operation's measures against the limits.
//!
//! Contract: every operation the origin is sent was parsed and measured here. A persisted
//! hash is only trusted when the gateway holds the text (its allowlist); otherwise a request
//! with a hash and no text is answered `PERSISTED_QUERY_NOT_FOUND`, so automatic-persisted-
//! query clients send it again with the text. A hash sent with a text must be that text's.

use super::analyze::{analyze, check, Analysis, OperationType};
use super::request::Params;
use super::Refusal;
use gatehouse_config::kinds::graphql::Graphql;
use sha2::{Digest, Sha256};

/// The longest operation name kept for logs, metrics and rate-limit keys.
pub const MAX_NAME: usize = 256;

/// What the guard found: each operation's measures, and whether it filled in a text from the
/// allowlist (the request must then be sent with it).
#[derive(Debug)]
pub struct Guarded {
    pub operations: Vec<Analysis>,
    pub filled: bool,
}

impl Guarded {
    /// The operations' names, `,`-joined (an anonymous one is empty), cut to
    /// [`MAX_NAME`] bytes: the access log's and the rate limit's `operation`. The client
    /// chooses it: a limit keyed on it is per name, not a quota.
    pub fn name(&self) -> String {
        let names: Vec<&str> = self
            .operations
            .iter()
            .map(|a| a.name.as_deref().unwrap_or(""))
            .collect();
        let mut name = names.join(",");
        if name.len() > MAX_NAME {
            let mut end = MAX_NAME;
            while !name.is_char_boundary(end) {
                end -= 1;
            }
            name.truncate(end);
        }
        name
    }
}

/// Checks a request's operations (`get`: it came as a GET, where only queries may run).
pub fn guard(ops: &mut [Params], get: bool, policy: &Graphql) -> Result<Guarded, Refusal> {
    if ops.len() > policy.max_batch as usize {
        return Err(Refusal::limit(format!(
            "the batch has {} operations, over the limit of {}",
            ops.len(),
            policy.max_batch
        )));
    }
    let mut filled = false;
    let mut operations = Vec::with_capacity(ops.len());
    for op in ops.iter_mut() {
        filled |= resolve_text(op, policy)?;
        let query = op.query.as_deref().unwrap_or_default();
        let a = analyze(
            query,
            op.operation_name.as_deref(),
            op.variables.as_ref(),
            policy,
        )?;
        if get && a.operation != OperationType::Query {
            return Err(Refusal {
                code: "METHOD_NOT_ALLOWED",
                message: "only queries may be sent with GET: use POST".into(),
                document: false,
                status: 405,
            });
        }
        check(&a, policy)?;
        operations.push(a);
    }
    Ok(Guarded { operations, filled })
}

/// Settles the operation's text: checks a hash against the text sent with it, fills in the
/// text of a listed hash, and holds the text to the allowlist. True when it filled one in.
fn resolve_text(op: &mut Params, policy: &Graphql) -> Result<bool, Refusal> {
    if let (Some(hash), Some(query)) = (&op.persisted_hash, &op.query) {
        if hex_sha256(query) != *hash {
            return Err(Refusal {
                code: "PERSISTED_QUERY_HASH_MISMATCH",
                message: "extensions.persistedQuery.sha256Hash is not the query's SHA-256".into(),
                document: false,
                status: 400,
            });
        }
    }
    let Some(allowlist) = policy.allowlist else {
        return match (&op.query, &op.persisted_hash) {
            (Some(_), _) => Ok(false),
            (None, Some(_)) => Err(Refusal::persisted_not_found()),
            (None, None) => Err(Refusal::bad_request("the request has no query")),
        };
    };
    let listed = match (&op.query, &op.persisted_hash) {
        (Some(q), _) => allowlist.iter().find(|p| p.text == q.trim()),
        (None, Some(h)) => allowlist.iter().find(|p| p.sha256 == h),
        (None, None) => return Err(Refusal::bad_request("the request has no query")),
    };
    match (listed, &op.query) {
        (Some(_), Some(_)) => Ok(false),
        (Some(p), None) => {
            op.query = Some(p.text.to_string());
            Ok(true)
        }
        (None, Some(_)) => Err(Refusal::not_allowed()),
        (None, None) => Err(Refusal::persisted_not_found()),
    }
}

/// The SHA-256 of `text`, lowercase hex.
pub fn hex_sha256(text: &str) -> String {
    Sha256::digest(text.as_bytes())
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}
