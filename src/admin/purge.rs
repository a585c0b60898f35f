//! `POST /__gatehouse/purge` (wasm only). The JSON body names one thing to purge:
//! - `{"route": "<route id>"}`: every entry of that cached route, everywhere (the route's
//!   purge counter is part of its keys);
//! - `{"tag": "<tag>"}`: every entry carrying the tag (route `tags` or origin `Cache-Tag`),
//!   everywhere;
//! - `{"url": "https://host/path?query", "headers": {...}}`: the shared entry for that URL
//!   (with those `key_headers` values), deleted from the Cache API of the data center that
//!   runs the purge (the Cache API has no global delete) and from this isolate's hot tier;
//!   and, everywhere, every entry of the URL's path (any query or consumer), through the
//!   path's invalidation counter (which also reaches other isolates' hot tiers).

use crate::cache::generations;
use crate::cache::key::is_tag;
use crate::error::GatewayError;
use crate::http::method::Method;
use crate::http::url::RequestUrl;
use crate::policy::cache::counters;
use crate::policy::Policy;
use crate::route::Matched;
use crate::route::{host_for_matching, normalise};
use crate::runtime;
use serde::Deserialize;
use web_sys::Request;
use worker::Env;

use super::MAX_BODY;
use crate::policy::cache;

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct Purge {
    route: Option<String>,
    tag: Option<String>,
    url: Option<String>,
    /// Header values the entry was stored for (`key_headers`); names in any case.
    #[serde(default)]
    headers: serde_json::Map<String, serde_json::Value>,
}

/// `POST /__gatehouse/purge` (already authorised); answers the JSON to send back with 200.
pub async fn purge(req: &Request, env: &Env) -> Result<String, GatewayError> {
    let bad = |detail: String| GatewayError::BadAdminRequest { detail };
    let text = runtime::io::request_text(req).await.unwrap_or_default();
    if text.len() > MAX_BODY {
        return Err(bad(format!("the body is larger than {MAX_BODY} bytes")));
    }
    let p: Purge = serde_json::from_str(&text).map_err(|e| {
        bad(format!(
            "the body must be JSON with one of \"route\", \"tag\" or \"url\" ({e})"
        ))
    })?;
    let now = runtime::now_ms() as u64;
    match (p.route, p.tag, p.url) {
        (Some(route), None, None) => {
            if !cached_routes().any(|(id, _)| id == route) {
                return Err(bad(format!("no cached route has id \"{route}\"")));
            }
            let g = bump(env, &format!("route:{route}"), now).await?;
            Ok(serde_json::json!({ "purged": "route", "route": route, "generation": g.route(&route) }).to_string())
        }
        (None, Some(tag), None) => {
            if !is_tag(&tag) {
                return Err(bad(format!(
                    "\"{tag}\" is not a tag (1-64 of A-Z a-z 0-9 . _ : -)"
                )));
            }
            let g = bump(env, &format!("tag:{tag}"), now).await?;
            Ok(
                serde_json::json!({ "purged": "tag", "tag": tag, "generation": g.tag(&tag) })
                    .to_string(),
            )
        }
        (None, None, Some(url)) => {
            let (key, path_key) = url_key(&url, &p.headers, env, now).await?;
            crate::policy::cache::adapter::hot_forget(&key);
            let deleted = runtime::io::cache_delete(&key).await;
            // Isolates elsewhere may hold a hot copy: the path's counter reaches them all.
            let json = runtime::io::generations_invalidate(env, &path_key, 2_000)
                .await
                .map_err(|why| GatewayError::PurgeUnavailable { why })?;
            counters::remember(&json, now);
            Ok(serde_json::json!({ "purged": "url", "url": url, "deleted": deleted, "path_invalidated": true }).to_string())
        }
        _ => Err(bad(
            "name exactly one of \"route\", \"tag\" or \"url\"".into()
        )),
    }
}

/// (route id, cache policy) of every route with a cache policy.
fn cached_routes() -> impl Iterator<Item = (&'static str, &'static crate::policy::cache::Cache)> {
    let table = &crate::config::TABLE;
    table.routes.iter().filter_map(move |r| {
        r.policies
            .iter()
            .find_map(|&i| match &table.policies[i as usize] {
                Policy::Cache(c) => Some((r.id, c)),
                _ => None,
            })
    })
}

/// The Cache API key of the shared entry for `url` (as a GET with `headers`), and its path's
/// invalidation key.
async fn url_key(
    url: &str,
    headers: &serde_json::Map<String, serde_json::Value>,
    env: &Env,
    now: u64,
) -> Result<(String, String), GatewayError> {
    let bad = |detail: String| GatewayError::BadAdminRequest { detail };
    if !url.starts_with("https://") && !url.starts_with("http://") {
        return Err(bad(format!("\"{url}\" is not an absolute http(s) URL")));
    }
    let u = RequestUrl::split(url);
    let path = normalise(u.path).map_err(|e| bad(format!("the URL's path: {}", e.describe())))?;
    let index = crate::config::index();
    let Matched::Found { route, .. } =
        index.find(Some(Method::Get), &host_for_matching(u.host), &path)
    else {
        return Err(bad(format!("no route serves GET {path}")));
    };
    let Some((_, c)) = cached_routes().find(|(id, _)| *id == route.id) else {
        return Err(bad(format!("route \"{}\" has no cache policy", route.id)));
    };
    let g = counters::current(env, now)
        .await
        .ok_or_else(|| GatewayError::PurgeUnavailable {
            why: "the purge counters could not be read".into(),
        })?;
    let query = cache::query(c, u.query);
    if let Some((name, _)) = headers.iter().find(|(_, v)| !v.is_string()) {
        return Err(bad(format!("headers.{name}: the value must be a string")));
    }
    let header = |h: &str| {
        headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(h))
            .and_then(|(_, v)| v.as_str().map(str::to_string))
    };
    let mut parts = cache::key(c, route.id, u.host, &path, query.as_deref(), header, None);
    parts.generation = g.route(route.id);
    Ok((
        parts.url(),
        crate::cache::invalidate::path_key(u.host, &path),
    ))
}

/// Increments one purge counter and keeps the answer as this isolate's copy.
async fn bump(
    env: &Env,
    key: &str,
    now: u64,
) -> Result<std::rc::Rc<generations::Generations>, GatewayError> {
    let json = runtime::io::generations_bump(env, key)
        .await
        .map_err(|why| GatewayError::PurgeUnavailable { why })?;
    counters::remember(&json, now).ok_or_else(|| GatewayError::PurgeUnavailable {
        why: "bad answer".into(),
    })
}
