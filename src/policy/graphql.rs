//! `kind = "graphql"` in the worker (wasm only): reads the request's GraphQL operations
//! (a GET's query string, or a POST's JSON body), holds them to the policy
//! ([`crate::graphql::guard`]), names the operation for the access log, metrics and rate
//! limits after it, and sends the origin exactly what was checked.
//!
//! Contract: a POST must be `application/json` (else 415) of at most the route's `max_body`
//! (1 MiB when unset; else 413); other methods than GET, HEAD and POST are 405. The body
//! that passed is the one sent upstream (buffered once); an operation filled in from the
//! allowlist is sent with its text (in the body, or as the GET's `query` parameter). A GET's
//! query is read as it would be sent (after any policy before this one) and sent rebuilt:
//! each GraphQL parameter once, as checked. A CORS preflight passes untouched.

use crate::error::GatewayError;
use crate::exchange::{OutgoingBody, WorkerExchange};
use crate::graphql::request::{self, Params};
use crate::graphql::{guard, Refusal};
use crate::http::content_type::is_json;
use crate::pipeline::Flow;
use crate::runtime::answer::Answer;
use gatehouse_config::kinds::graphql::Graphql;

/// Checks the request's operations; see the module's contract.
pub async fn on_request(
    p: &'static Graphql,
    x: &mut WorkerExchange<'_>,
) -> Result<Flow<Answer>, GatewayError> {
    if x.preflight {
        return Ok(Flow::Continue);
    }
    match x.ctx.method.as_str() {
        "GET" | "HEAD" => {
            // What would be sent: the client's query, or as a policy before this one left it.
            let raw = x.query_sent().unwrap_or_default().to_string();
            let mut params = [request::from_query(&raw)?];
            let guarded = guard::guard(&mut params, true, p)?;
            x.ctx.log.operation = Some(guarded.name());
            // Only what was checked goes on, each GraphQL parameter once.
            x.outgoing.query = Some(request::rebuild_query(&raw, &params[0]));
        }
        "POST" => {
            if x.outgoing.body_bytes().is_none() && !is_json(x.header("content-type").as_deref()) {
                return Err(Refusal {
                    code: "UNSUPPORTED_MEDIA_TYPE",
                    message: "a GraphQL POST must be application/json".into(),
                    document: false,
                    status: 415,
                }
                .into());
            }
            let limit = x
                .route
                .and_then(|r| r.limits.max_body)
                .unwrap_or(crate::exchange::DEFAULT_MAX_BODY);
            let text = x.body_text(limit).await?;
            let (mut ops, batched) = request::from_json(&text)?;
            let guarded = guard::guard(&mut ops, false, p)?;
            x.ctx.log.operation = Some(guarded.name());
            let sent = if guarded.filled {
                with_texts(&text, &ops, batched)
            } else {
                text
            };
            x.outgoing.body = OutgoingBody::Bytes(js_sys::Uint8Array::from(sent.as_bytes()));
            // The checked bytes go as they are: no client header may say how to read them.
            x.prepare_upstream_headers()?;
            if let Some(h) = x.outgoing.headers() {
                let _ = h.delete("content-encoding");
            }
        }
        _ => {
            return Err(Refusal {
                code: "METHOD_NOT_ALLOWED",
                message: "GraphQL is served over GET and POST".into(),
                document: false,
                status: 405,
            }
            .into())
        }
    }
    Ok(Flow::Continue)
}

/// The body again, with each operation's `query` set to the text the guard settled on (an
/// allowlisted operation asked for by hash alone).
fn with_texts(text: &str, ops: &[Params], batched: bool) -> String {
    let Ok(mut value) = serde_json::from_str::<serde_json::Value>(text) else {
        return text.to_string();
    };
    let set = |v: &mut serde_json::Value, op: &Params| {
        if let (Some(o), Some(q)) = (v.as_object_mut(), &op.query) {
            o.insert("query".into(), q.clone().into());
        }
    };
    match (&mut value, batched) {
        (serde_json::Value::Array(items), true) => {
            items.iter_mut().zip(ops).for_each(|(v, op)| set(v, op));
        }
        (v, _) => set(v, &ops[0]),
    }
    value.to_string()
}
