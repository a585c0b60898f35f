//! The `transform` policy's phases in the worker (wasm only); the edits themselves are
//! [`super::Transform`]'s.
//! - `on_request`: the query sent upstream, and a JSON request body (read whole, at most
//!   `max_body` or the route's smaller `max_body`, then sent as bytes with its new
//!   `Content-Length`); a body that does not say it is JSON is refused (415), never sent on
//!   unedited. When the response body is edited, the headers that would select another
//!   representation ([`REPRESENTATION_SELECTORS`]) do not reach the origin, and it is asked
//!   for JSON;
//! - `after_upstream`: a JSON answer from the origin, read whole (at most `max_body`), edited
//!   and sent with its new length and without its `ETag`. A 2xx answer with a body that is
//!   not JSON cannot be edited: 502, never passed through (fail closed).

use super::Transform;
use crate::error::GatewayError;
use crate::exchange::{OutgoingBody, WorkerExchange};
use crate::http::content_type::is_json;
use crate::pipeline::Flow;
use crate::policy::transform;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::io;
use serde_json::Value;

/// Request headers that let a client choose what the origin answers with, removed on routes
/// whose response body is edited: a range or a 304 is not a body the edits can apply to.
/// (A cache before the transform adds its own validators after this step.)
pub const REPRESENTATION_SELECTORS: &[&str] = &[
    "range",
    "if-range",
    "if-none-match",
    "if-modified-since",
    "if-match",
    "if-unmodified-since",
];

/// Response headers that describe the origin's body, not the edited one.
const UNEDITED_BODY_HEADERS: &[&str] = &[
    "content-length",
    "etag",
    "content-md5",
    "digest",
    "repr-digest",
    "content-digest",
    "content-encoding",
];

/// Edits the upstream query and request body.
pub async fn on_request(
    t: &Transform,
    x: &mut WorkerExchange<'_>,
) -> Result<Flow<Answer>, GatewayError> {
    if !transform::body_edits_empty(&t.response_body) {
        x.prepare_upstream_headers()?;
        if let Some(h) = x.outgoing.headers() {
            for name in REPRESENTATION_SELECTORS {
                let _ = h.delete(name);
            }
            let _ = h.set("accept", "application/json");
        }
    }
    if !transform::query_edits_empty(&t.query) {
        x.outgoing.query =
            Some(transform::edit_query(&t.query, x.query_sent()).unwrap_or_default());
    }
    let has_body = !matches!(x.ctx.method.as_str(), "GET" | "HEAD") && x.req.body().is_some();
    if transform::body_edits_empty(&t.request_body) || !has_body {
        return Ok(Flow::Continue);
    }
    // An earlier transform may have read and edited the body: this one edits what it left.
    if x.outgoing.body_bytes().is_none() && !is_json(x.header("content-type").as_deref()) {
        // Whatever it says it is, a body on this route is edited or refused: never sent on as is.
        return Err(GatewayError::UnsupportedMediaType {
            got: x.header("content-type"),
            accepted: &["application/json"],
        });
    }
    // The smaller of the transform's and the route's limits: reading whole never lets more
    // through than streaming would have.
    let limit = x
        .route
        .and_then(|r| r.limits.max_body)
        .map_or(u64::from(t.max_body), |m| m.min(u64::from(t.max_body)));
    let text = x.body_text(limit).await?;
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| GatewayError::InvalidBody {
        detail: e.to_string(),
    })?;
    transform::edit_body(&t.request_body, &mut doc);
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    x.prepare_upstream_headers()?;
    if let Some(h) = x.outgoing.headers() {
        let _ = h.set("content-length", &bytes.len().to_string());
    }
    x.outgoing.body = OutgoingBody::Bytes(js_sys::Uint8Array::from(&bytes[..]));
    Ok(Flow::Continue)
}

/// Edits the origin's JSON answer.
pub async fn after_upstream(
    t: &Transform,
    x: &mut WorkerExchange<'_>,
    result: Result<Answer, GatewayError>,
) -> Result<Answer, GatewayError> {
    let answer = result?;
    let content_type = answer.headers.get("content-type").ok().flatten();
    let no_body = x.ctx.is_head() || matches!(answer.status, 204 | 304);
    if transform::body_edits_empty(&t.response_body) || !answer.is_from_origin() {
        return Ok(answer);
    }
    if no_body {
        // Nothing to edit, but the headers describe the unedited body (its length, its
        // hashes): they would tell a client what the edits hide, or merge into an entry
        // holding the edited body on a 304.
        for name in UNEDITED_BODY_HEADERS {
            let _ = answer.headers.delete(name);
        }
        return Ok(answer);
    }
    if !is_json(content_type.as_deref()) {
        // The edits cannot apply: a successful answer fails closed; an error passes as is.
        if (200..300).contains(&answer.status) {
            return Err(GatewayError::ResponseTransformFailed {
                detail: "its body is not JSON",
            });
        }
        return Ok(answer);
    }
    let Some(source) = answer.source() else {
        return Ok(answer);
    };
    let text = match io::read_bounded(source.as_ref(), t.max_body).await {
        Ok(text) => text,
        Err(true) => {
            return Err(GatewayError::ResponseTransformFailed {
                detail: "its JSON body is larger than the transform's max_body",
            })
        }
        Err(false) => {
            return Err(GatewayError::ResponseTransformFailed {
                detail: "its body could not be read",
            })
        }
    };
    let mut doc: Value =
        serde_json::from_str(&text).map_err(|_| GatewayError::ResponseTransformFailed {
            detail: "its body is not valid JSON",
        })?;
    transform::edit_body(&t.response_body, &mut doc);
    let body = serde_json::to_string(&doc).unwrap_or_default();
    for name in UNEDITED_BODY_HEADERS {
        let _ = answer.headers.delete(name);
    }
    let edited = runtime::respond(
        answer.status,
        &answer.headers,
        &wasm_bindgen::JsValue::from_str(&body),
    );
    Ok(Answer::own(edited, true))
}
