//! The API described to its consumers (wasm only): the OpenAPI 3.1 documents the build wrote
//! (`/openapi.json`, `/<version>/openapi.json`) and the developer portal (`/docs` unless
//! `[gateway] docs.portal` moves or disables it), all served by the worker itself.
//!
//! Contract: these paths are answered before routing (a route at one of them fails the
//! build); GET and HEAD
//! only (405 otherwise); documents carry a strong `ETag` and `Cache-Control: public,
//! max-age=300`, and a matching `If-None-Match` gets 304. A document reads as at the
//! gateway's calendar: each operation past its sunset is served retired
//! (`OpenApiDoc::at`), with its own ETag.

use crate::error::GatewayError;
use crate::runtime::answer::Answer;
use std::borrow::Cow;
use web_sys::Headers;

const PORTAL_HTML: &str = include_str!("portal/portal.html");
const PORTAL_JS: &str = include_str!("portal/portal.js");
const PORTAL_CSS: &str = include_str!("portal/portal.css");

/// One answer: its type, body and validator.
struct Asset {
    content_type: &'static str,
    body: Cow<'static, str>,
    etag: Cow<'static, str>,
}

/// The portal's page (with its base path filled in), script and stylesheet, each with its
/// ETag: built once per isolate.
fn portal_assets(base: &str) -> &'static [(String, String); 3] {
    static ASSETS: std::sync::OnceLock<[(String, String); 3]> = std::sync::OnceLock::new();
    ASSETS.get_or_init(|| {
        let tagged = |body: String| {
            let etag = format!(
                "\"{:016x}\"",
                crate::http::hash::stable_hash(&[body.as_bytes()])
            );
            (body, etag)
        };
        [
            tagged(PORTAL_HTML.replace("__BASE__", base)),
            tagged(PORTAL_JS.to_string()),
            tagged(PORTAL_CSS.to_string()),
        ]
    })
}

/// The asset at `path`, if the docs serve one there; an OpenAPI document as it reads at
/// `now_s` (operations past their sunset retired).
fn asset(docs: &crate::config::Docs, path: &str, now_s: impl FnOnce() -> i64) -> Option<Asset> {
    if let Some(prefix) = path.strip_suffix("/openapi.json") {
        let doc = docs.openapi.iter().find(|d| d.prefix == prefix)?;
        let (body, etag) = doc.at(now_s());
        return Some(Asset {
            content_type: "application/json",
            body,
            etag: etag.map_or(Cow::Borrowed(doc.etag), Cow::Owned),
        });
    }
    let base = docs.portal?;
    let (index, content_type) = match path.strip_prefix(base)? {
        "" | "/" => (0, "text/html; charset=utf-8"),
        "/portal.js" => (1, "text/javascript; charset=utf-8"),
        "/portal.css" => (2, "text/css; charset=utf-8"),
        _ => return None,
    };
    let (body, etag) = &portal_assets(base)[index];
    Some(Asset {
        content_type,
        body: Cow::Borrowed(body),
        etag: Cow::Borrowed(etag),
    })
}

/// The answer for a docs path, or `None` when `path` is not one.
pub fn serve(
    docs: &crate::config::Docs,
    path: &str,
    method: &str,
    inbound: &Headers,
    now_s: impl FnOnce() -> i64,
) -> Option<Result<Answer, GatewayError>> {
    let a = asset(docs, path, now_s)?;
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
                .any(|t| t.trim().trim_start_matches("W/") == a.etag.as_ref())
    });
    if matches {
        return Some(Ok(Answer::text(304, headers, None)));
    }
    let body = (method == "GET").then(|| a.body.to_string());
    Some(Ok(Answer::text(200, headers, body)))
}
