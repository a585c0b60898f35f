//! The API described to its consumers (wasm only): the OpenAPI 3.1 documents the build wrote
//! (`/openapi.json`, `/<version>/openapi.json`) and the developer portal (`/docs` unless
//! `[gateway] docs.portal` moves or disables it), all served by the worker itself.
//!
//! Contract: these paths are answered before routing (they shadow routes); GET and HEAD
//! only (405 otherwise); documents carry a strong `ETag` and `Cache-Control: public,
//! max-age=300`, and a matching `If-None-Match` gets 304.

use crate::error::GatewayError;
use crate::runtime::answer::Answer;
use web_sys::Headers;

const PORTAL_HTML: &str = include_str!("portal/portal.html");
const PORTAL_JS: &str = include_str!("portal/portal.js");
const PORTAL_CSS: &str = include_str!("portal/portal.css");

/// One static answer: its type, body and validator.
struct Asset {
    content_type: &'static str,
    body: String,
    etag: String,
}

/// The asset at `path`, if the docs serve one there.
fn asset(docs: &crate::config::Docs, path: &str) -> Option<Asset> {
    if let Some(prefix) = path.strip_suffix("/openapi.json") {
        let doc = docs.openapi.iter().find(|d| d.prefix == prefix)?;
        return Some(Asset {
            content_type: "application/json",
            body: doc.json.to_string(),
            etag: doc.etag.to_string(),
        });
    }
    let base = docs.portal?;
    let rest = path.strip_prefix(base)?;
    let (content_type, body) = match rest {
        "" | "/" => (
            "text/html; charset=utf-8",
            PORTAL_HTML.replace("__BASE__", base),
        ),
        "/portal.js" => ("text/javascript; charset=utf-8", PORTAL_JS.to_string()),
        "/portal.css" => ("text/css; charset=utf-8", PORTAL_CSS.to_string()),
        _ => return None,
    };
    let etag = format!(
        "\"{:016x}\"",
        crate::upstream::balance::stable_hash(&[body.as_bytes()])
    );
    Some(Asset {
        content_type,
        body,
        etag,
    })
}

/// The answer for a docs path, or `None` when `path` is not one.
pub fn serve(
    docs: &crate::config::Docs,
    path: &str,
    method: &str,
    inbound: &Headers,
) -> Option<Result<Answer, GatewayError>> {
    let a = asset(docs, path)?;
    let if_none_match = inbound.get("if-none-match").ok().flatten();
    if method != "GET" && method != "HEAD" {
        return Some(Err(GatewayError::MethodNotAllowed {
            allow: "GET, HEAD".into(),
        }));
    }
    let headers = Headers::new().ok()?;
    let _ = headers.set("content-type", a.content_type);
    let _ = headers.set("cache-control", "public, max-age=300");
    let _ = headers.set("etag", &a.etag);
    let _ = headers.set("x-content-type-options", "nosniff");
    if a.content_type.starts_with("text/html") {
        // Everything the page uses comes from this worker.
        let _ = headers.set(
            "content-security-policy",
            "default-src 'self'; connect-src 'self'; img-src 'self' data:; frame-ancestors 'none'",
        );
    }
    let matches = if_none_match.as_deref().is_some_and(|inm| {
        inm.trim() == "*"
            || inm
                .split(',')
                .any(|t| t.trim().trim_start_matches("W/") == a.etag)
    });
    if matches {
        return Some(Ok(Answer::text(304, headers, None)));
    }
    let body = (method == "GET").then_some(a.body);
    Some(Ok(Answer::text(200, headers, body)))
}
