//! The `transform` policy's phases in the worker (wasm only); the edits themselves are
//! [`super::transform`]'s.
//! - `on_request`: the query sent upstream, and a JSON request body (read whole, at most
//!   `max_body`, then sent as bytes with its new `Content-Length`);
//! - `after_upstream`: a JSON answer from the origin, read whole (at most `max_body`), edited
//!   and sent with its new length and without its `ETag`.

use super::transform::{is_json, Transform};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::Flow;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::io;
use serde_json::Value;

/// Edits the upstream query and request body.
pub async fn on_request(
    t: &Transform,
    x: &mut WorkerExchange<'_>,
) -> Result<Flow<Answer>, GatewayError> {
    if !t.query.is_empty() {
        let current = x
            .upstream_query
            .clone()
            .or_else(|| x.ctx.url.query.map(str::to_string));
        x.upstream_query = Some(t.query.apply(current.as_deref()).unwrap_or_default());
    }
    let has_body = !matches!(x.ctx.method.as_str(), "GET" | "HEAD");
    if t.request_body.is_empty() || !has_body || !is_json(x.header("content-type").as_deref()) {
        return Ok(Flow::Continue);
    }
    let declared = x
        .header("content-length")
        .and_then(|v| v.trim().parse::<u64>().ok());
    if declared.is_some_and(|n| n > u64::from(t.max_body)) {
        return Err(GatewayError::PayloadTooLarge {
            limit: t.max_body.into(),
        });
    }
    let text = match io::read_bounded(x.req.as_ref(), t.max_body).await {
        Ok(text) => text,
        Err(true) => {
            return Err(GatewayError::PayloadTooLarge {
                limit: t.max_body.into(),
            })
        }
        Err(false) => {
            return Err(GatewayError::InvalidBody {
                detail: "it could not be read".into(),
            })
        }
    };
    let mut doc: Value = serde_json::from_str(&text).map_err(|e| GatewayError::InvalidBody {
        detail: e.to_string(),
    })?;
    t.request_body.apply(&mut doc);
    let bytes = serde_json::to_vec(&doc).unwrap_or_default();
    x.prepare_upstream_headers()?;
    if let Some(h) = &x.upstream_headers {
        let _ = h.set("content-length", &bytes.len().to_string());
    }
    x.body_override = Some(js_sys::Uint8Array::from(&bytes[..]));
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
    if t.response_body.is_empty()
        || !answer.is_from_origin()
        || no_body
        || !is_json(content_type.as_deref())
    {
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
    t.response_body.apply(&mut doc);
    let body = serde_json::to_string(&doc).unwrap_or_default();
    for name in [
        "content-length",
        "etag",
        "content-md5",
        "digest",
        "content-encoding",
    ] {
        let _ = answer.headers.delete(name);
    }
    let edited = runtime::respond(
        answer.status,
        &answer.headers,
        &wasm_bindgen::JsValue::from_str(&body),
    );
    Ok(Answer::own(edited, true))
}
