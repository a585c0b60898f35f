//! The admin API under `/__gatehouse/` (wasm only). It exists only when the `ADMIN_TOKEN`
//! secret is set (otherwise every path under the prefix is an ordinary 404) and answers only
//! `Authorization: Bearer <ADMIN_TOKEN>` (compared in constant time; else 401). Each call
//! writes one audit line (`"audit": "admin"`) besides the access log. Its own OpenAPI
//! document is `GET /__gatehouse/openapi.json`.
//!
//! | call | what |
//! | --- | --- |
//! | `POST /__gatehouse/keys` | create an API key ([`keys`]); the key is answered once |
//! | `GET /__gatehouse/keys` | list keys by `hash_prefix`, `consumer`, `plan` |
//! | `DELETE /__gatehouse/keys/<hash or prefix>` | revoke a key |
//! | `GET`, `DELETE /__gatehouse/limits/<policy>?key=..` | read or reset a limiter ([`limits`]) |
//! | `GET /__gatehouse/upstreams` | this isolate's view of every target ([`upstreams`]) |
//! | `POST /__gatehouse/purge` | purge the cache ([`purge`]) |

mod keys;
mod limits;
mod purge;
mod upstreams;

use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::Exchange;
use crate::runtime;
use crate::runtime::answer::Answer;
use web_sys::Request;
use worker::Env;

/// Every admin path starts with this.
pub const PREFIX: &str = "/__gatehouse/";

/// Bodies larger than this are refused.
pub const MAX_BODY: usize = 16 * 1024;

const OPENAPI: &str = include_str!("openapi.json");

/// An admin call's answer: status and JSON body.
pub struct Done {
    pub status: u16,
    pub json: String,
    /// What the audit line names, e.g. `keys.create`.
    pub action: &'static str,
}

/// Handles a request under [`PREFIX`]; `rest` is the path after it.
async fn handle(
    req: &Request,
    env: &Env,
    method: &str,
    rest: &str,
    query: Option<&str>,
) -> Result<Done, GatewayError> {
    let Some(token) = env
        .secret("ADMIN_TOKEN")
        .ok()
        .map(|s| s.to_string())
        .filter(|t| !t.is_empty())
    else {
        return Err(GatewayError::RouteNotFound);
    };
    let given = req.headers().get("authorization").ok().flatten();
    let bearer = given
        .as_deref()
        .and_then(|h| h.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, t)| t.trim());
    if !bearer.is_some_and(|t| same(t.as_bytes(), token.as_bytes())) {
        return Err(GatewayError::AdminUnauthorized);
    }
    let ok = |action, json| {
        Ok(Done {
            status: 200,
            json,
            action,
        })
    };
    let only = |allow: &str| {
        Err(GatewayError::MethodNotAllowed {
            allow: allow.into(),
        })
    };
    let segments: Vec<&str> = rest.split('/').collect();
    match (segments.as_slice(), method) {
        (["openapi.json"], "GET") => ok("openapi", OPENAPI.to_string()),
        (["openapi.json"], _) => only("GET"),
        (["purge"], "POST") => ok("purge", purge::purge(req, env).await?),
        (["purge"], _) => only("POST"),
        (["keys"], "POST") => Ok(Done {
            status: 201,
            json: keys::create(req, env).await?,
            action: "keys.create",
        }),
        (["keys"], "GET") => ok("keys.list", keys::list(env, query).await?),
        (["keys"], _) => only("GET, POST"),
        (["keys", hash], "DELETE") => ok("keys.revoke", keys::revoke(env, hash, query).await?),
        (["keys", _], _) => only("DELETE"),
        (["limits", policy], "GET") => ok("limits.read", limits::read(env, policy, query).await?),
        (["limits", policy], "DELETE") => {
            ok("limits.reset", limits::reset(env, policy, query).await?)
        }
        (["limits", _], _) => only("GET, DELETE"),
        (["upstreams"], "GET") => ok("upstreams", upstreams::health()),
        (["upstreams"], _) => only("GET"),
        _ => Err(GatewayError::RouteNotFound),
    }
}

/// The answer to a request under [`PREFIX`] (`rest` is the path after it), and its audit
/// line, written after the response (not for a plain 404: an admin API that does not exist,
/// or a path it does not have).
pub async fn answer(x: &mut WorkerExchange<'_>, rest: &str) -> Answer {
    let (method, query) = (x.ctx.method.clone(), x.ctx.url.query);
    let (answer, action) = match handle(x.req, x.env, &method, rest, query).await {
        Ok(done) => (x.json_with(done.status, done.json), done.action),
        Err(err) => (x.problem(&err), "refused"),
    };
    if answer.status != 404 || action != "refused" {
        let line = audit_line(
            &x.ctx.ids.request_id,
            &method,
            x.ctx.url.path,
            action,
            answer.status,
            x.ctx.log.client_ip.as_deref(),
        );
        runtime::log_later(x.worker_ctx, &line);
    }
    answer
}

/// The audit line for an admin call.
fn audit_line(
    request_id: &str,
    method: &str,
    path: &str,
    action: &str,
    status: u16,
    client_ip: Option<&str>,
) -> String {
    serde_json::json!({
        "audit": "admin",
        "timestamp": crate::log::iso8601(runtime::now_ms()),
        "request_id": request_id,
        "method": method,
        "path": path,
        "action": action,
        "status": status,
        "client_ip": client_ip,
    })
    .to_string()
}

/// Compares without stopping at the first difference.
fn same(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// The request's JSON body, at most [`MAX_BODY`] bytes.
async fn body(req: &Request) -> Result<String, GatewayError> {
    let text = runtime::io::request_text(req).await.unwrap_or_default();
    if text.len() > MAX_BODY {
        return Err(GatewayError::BadAdminRequest {
            detail: format!("the body is larger than {MAX_BODY} bytes"),
        });
    }
    Ok(text)
}

/// Every value of query parameter `name`, percent-decoded.
fn query_values(query: Option<&str>, name: &str) -> Vec<String> {
    query
        .unwrap_or_default()
        .split('&')
        .filter_map(|p| p.split_once('=').or(Some((p, ""))))
        .filter(|(n, _)| *n == name)
        .map(|(_, v)| crate::http::url::form_decode(v))
        .collect()
}
