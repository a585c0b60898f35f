//! The admin API under `/__gatehouse/` (its calls are wasm only; which call a request makes,
//! and whether it may, is decided natively in [`call`]). It exists only when the `ADMIN_TOKEN`
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

pub mod call;
#[cfg(target_arch = "wasm32")]
mod keys;
#[cfg(target_arch = "wasm32")]
mod limits;
#[cfg(target_arch = "wasm32")]
mod purge;
#[cfg(target_arch = "wasm32")]
mod upstreams;

#[cfg(target_arch = "wasm32")]
use {
    crate::error::GatewayError,
    crate::exchange::WorkerExchange,
    crate::pipeline::Exchange,
    crate::runtime,
    crate::runtime::answer::Answer,
    call::{query_values, Call},
    web_sys::Request,
    worker::Env,
};

/// Every admin path starts with this.
pub const PREFIX: &str = "/__gatehouse/";

/// Bodies larger than this are refused.
pub const MAX_BODY: usize = 16 * 1024;

#[cfg(target_arch = "wasm32")]
const OPENAPI: &str = include_str!("openapi.json");

/// An admin call's answer: status and JSON body.
#[cfg(target_arch = "wasm32")]
pub struct Done {
    pub status: u16,
    pub json: String,
    /// What the audit line names, e.g. `keys.create`.
    pub action: &'static str,
}

/// Handles a request under [`PREFIX`]; `rest` is the path after it ([`call`] decides
/// whether and which call; this makes it).
#[cfg(target_arch = "wasm32")]
async fn handle(
    req: &Request,
    env: &Env,
    method: &str,
    rest: &str,
    query: Option<&str>,
) -> Result<Done, GatewayError> {
    let token = env.secret("ADMIN_TOKEN").ok().map(|s| s.to_string());
    let given = req.headers().get("authorization").ok().flatten();
    call::authorise(token.as_deref(), given.as_deref())?;
    let call = call::route(method, rest)?;
    let json = match call {
        Call::OpenApi => OPENAPI.to_string(),
        Call::Purge => purge::purge(req, env).await?,
        Call::CreateKey => keys::create(req, env).await?,
        Call::ListKeys => keys::list(env, query).await?,
        Call::RevokeKey(hash) => keys::revoke(env, hash, query).await?,
        Call::ReadLimit(policy) => limits::read(env, policy, query).await?,
        Call::ResetLimit(policy) => limits::reset(env, policy, query).await?,
        Call::Upstreams => upstreams::health(),
    };
    Ok(Done {
        status: call.status(),
        json,
        action: call.action(),
    })
}

/// The answer to a request under [`PREFIX`] (`rest` is the path after it), and its audit
/// line, written after the response (not for a plain 404: an admin API that does not exist,
/// or a path it does not have; [`call::audited`]).
#[cfg(target_arch = "wasm32")]
pub async fn answer(x: &mut WorkerExchange<'_>, rest: &str) -> Answer {
    let (method, query) = (x.ctx.method.clone(), x.ctx.url.query);
    let (answer, action) = match handle(x.req, x.env, &method, rest, query).await {
        Ok(done) => (x.json_with(done.status, done.json), done.action),
        Err(err) => (x.problem(&err), "refused"),
    };
    if call::audited(answer.status, action == "refused") {
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
#[cfg(target_arch = "wasm32")]
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

/// The request's JSON body, at most [`MAX_BODY`] bytes.
#[cfg(target_arch = "wasm32")]
async fn body(req: &Request) -> Result<String, GatewayError> {
    let text = runtime::io::request_text(req).await.unwrap_or_default();
    if text.len() > MAX_BODY {
        return Err(GatewayError::BadAdminRequest {
            detail: format!("the body is larger than {MAX_BODY} bytes"),
        });
    }
    Ok(text)
}
