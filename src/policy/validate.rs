//! Request validation in the worker (wasm only): the validation step ([`super::Step::Validate`])
//! sits after the route's policies, or just before its first `cache` (so a caller without
//! credentials gets 401, not a list of errors, and no stored answer skips the query check).
//! Its `on_request` checks the query; its `before_upstream` checks the JSON body as the
//! policies left it (after a request transform), against the route's compiled schemas
//! ([`crate::validation`]).
//!
//! Contract: a failing query or body is 422 `validation-failed` listing each failure; a body
//! on a route with `body_schema` must be JSON (`application/json` or `+json`, else 415) that
//! parses and that no two parsers read differently (no member named twice in one object, no
//! number a 64-bit float does not hold: [`crate::json_text`]; else 400 `invalid-body`), and
//! is at most the route's `max_body` (1 MiB when unset; else 413). The body that passed is
//! the one sent upstream (buffered once).

use crate::error::GatewayError;
use crate::exchange::{OutgoingBody, WorkerExchange};
use crate::http::content_type::is_json;
use crate::json_text;
use crate::validation::{query_object, validate, Schema};

/// Checks the client's query against the route's `query_schema`.
pub fn check_query(x: &WorkerExchange<'_>, schema: Option<&Schema>) -> Result<(), GatewayError> {
    if let Some(schema) = schema {
        let failures = validate(schema, &query_object(schema, x.ctx.url.query));
        if !failures.is_empty() {
            return Err(GatewayError::ValidationFailed {
                part: "query",
                failures,
            });
        }
    }
    Ok(())
}

/// Checks the request body against the route's `body_schema`.
pub async fn check_body(
    x: &mut WorkerExchange<'_>,
    schema: Option<&Schema>,
) -> Result<(), GatewayError> {
    let (Some(schema), Some(route)) = (schema, x.route) else {
        return Ok(());
    };
    if !matches!(x.ctx.method.as_str(), "POST" | "PUT" | "PATCH") {
        return Ok(());
    }
    if x.outgoing.body_bytes().is_none() && !is_json(x.header("content-type").as_deref()) {
        return Err(GatewayError::UnsupportedMediaType {
            got: x.header("content-type"),
            accepted: &["application/json"],
        });
    }
    // A transform may already have read (and edited) the body: that is what goes upstream.
    let text = x
        .body_text(
            route
                .limits
                .max_body
                .unwrap_or(crate::exchange::DEFAULT_MAX_BODY),
        )
        .await?;
    let value: serde_json::Value =
        serde_json::from_str(&text).map_err(|e| GatewayError::InvalidBody {
            detail: e.to_string(),
        })?;
    // The text goes upstream, not `value`: refuse what another parser could read differently.
    json_text::check(&text).map_err(|a| GatewayError::InvalidBody {
        detail: a.describe(),
    })?;
    let failures = validate(schema, &value);
    if !failures.is_empty() {
        return Err(GatewayError::ValidationFailed {
            part: "body",
            failures,
        });
    }
    if x.outgoing.body_bytes().is_none() {
        x.outgoing.body = OutgoingBody::Bytes(js_sys::Uint8Array::from(text.as_bytes()));
    }
    Ok(())
}
