//! Running a fan-out in the worker (wasm only): each part through the one upstream call (so
//! balancing, retries, breakers and timeouts apply), at most [`MAX_IN_FLIGHT`] at a time, then
//! the merge ([`crate::aggregate::merge`]).

use super::Policy;
use crate::aggregate::merge::merge;
use crate::aggregate::settings::{FanOut, Part};
use crate::aggregate::template::{decode, render, Values};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::http::content_type::is_json;
use crate::http::trace::hex;
use crate::log::FellBack;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::io;
use crate::upstream::forward;
use crate::upstream::settings::Upstream;
use futures::stream::{self, StreamExt};
use serde_json::Value;
use web_sys::Headers;

/// Workers allow 6 simultaneous outgoing connections per request; more parts queue.
pub const MAX_IN_FLIGHT: usize = 6;

/// Request headers that carry the client's credentials; a part receives only those its
/// `credentials` lists (as it does the route's API-key headers).
pub const CREDENTIAL_HEADERS: &[&str] = &["authorization", "proxy-authorization", "cookie"];

/// Removes from `headers` every credential header `part` does not ask for (`all`: the
/// table's policies, whose API-key headers are credentials too).
fn keep_credentials(headers: &Headers, part: &Part, all: &[Policy]) {
    let api_key_headers = all.iter().filter_map(crate::policy::api_key_header);
    for name in CREDENTIAL_HEADERS.iter().copied().chain(api_key_headers) {
        if !part.credentials.contains(&name) {
            let _ = headers.delete(name);
        }
    }
}

/// A part's JSON, and the fallback that gave it (if one did).
type Answered = (Value, Option<FellBack>);

/// Template values from the request.
struct RequestValues<'a> {
    params: &'a [(String, String)],
    query: Option<&'a str>,
    identity: Option<&'a crate::auth::Identity>,
}

impl Values for RequestValues<'_> {
    // Path and query values arrive percent-encoded: decoded here, encoded once by `render`.
    fn param(&self, name: &str) -> Option<String> {
        self.params
            .iter()
            .find(|(k, _)| k == name)
            .and_then(|(_, v)| decode(v, false))
    }
    fn query(&self, name: &str) -> Option<String> {
        crate::http::params::query_param(self.query, name)
            .ok()
            .flatten()
            .and_then(|v| decode(v, true))
    }
    fn claim(&self, name: &str) -> Option<String> {
        self.identity?.claims.get(name).map(|v| match v.as_str() {
            Some(s) => s.to_string(),
            None => v.to_string(),
        })
    }
    fn consumer_id(&self) -> Option<String> {
        self.identity.map(|i| i.subject.clone())
    }
}

/// Calls the parts and merges their JSON: 200 `application/json`, with
/// `X-Gatehouse-Partial` naming the optional parts that failed; 502 `aggregation-failed`
/// naming the first required part that failed (or any part, with `on_partial = "fail"`).
pub async fn fan_out(
    x: &mut WorkerExchange<'_>,
    f: &'static FanOut,
    all: &'static [Policy],
) -> Result<Answer, GatewayError> {
    let started = runtime::now_ms();
    let values = RequestValues {
        params: &x.params,
        // The query as the route sends it upstream: after a request transform's edits, and on
        // a cached route the key's canonical query, so every part reads what the key holds.
        query: x.query_sent(),
        identity: x.ctx.identity.as_ref(),
    };
    let paths: Vec<Result<String, String>> =
        f.parts.iter().map(|p| render(p.path, &values)).collect();
    let base = x.outgoing.headers().ok_or(GatewayError::Internal {
        what: "upstream headers prepared",
    })?;
    let (env, ids, upstreams) = (x.env, &x.ctx.ids, x.tables.upstreams);
    let calls = f
        .parts
        .iter()
        .zip(paths)
        .enumerate()
        .map(|(i, (part, path))| {
            let headers = Headers::new_with_headers(base).ok();
            if let Some(h) = &headers {
                keep_credentials(h, part, all);
            }
            // Each part is a child span of the gateway's.
            let span = hex(&runtime::random_40()[..8]);
            if let Some(h) = &headers {
                let _ = h.set("traceparent", &ids.child_traceparent(&span));
            }
            async move {
                let answer = match (path, headers) {
                    (Ok(path), Some(headers)) => {
                        call(part, &path, &headers, upstreams, env, started).await
                    }
                    (Err(missing), _) => Err(format!("no value for {{{missing}}}")),
                    (_, None) => Err("headers".into()),
                };
                (i, answer)
            }
        });
    let mut results: Vec<(usize, Result<Answered, String>)> = stream::iter(calls)
        .buffer_unordered(MAX_IN_FLIGHT)
        .collect()
        .await;
    results.sort_by_key(|(i, _)| *i);
    let upstream_ms = runtime::now_ms() - started;
    x.ctx.upstream_ms = Some(upstream_ms);
    x.ctx.log.upstream_ms = Some(upstream_ms);
    let mut missing = Vec::new();
    let mut merged_in = Vec::new();
    for ((_, result), part) in results.into_iter().zip(f.parts) {
        match result {
            Ok((v, fallback)) => {
                // A part a fallback answered makes the whole answer degraded: never cached.
                if let (Some(f), None) = (fallback, x.ctx.log.fallback) {
                    x.ctx.log.fallback = Some(f);
                    x.ctx
                        .response_headers
                        .push(("x-gatehouse-fallback", f.label().to_string()));
                }
                merged_in.push((part.shape, Some(v)))
            }
            Err(why) => {
                if part.required || f.fail_on_partial {
                    return Err(GatewayError::AggregationFailed {
                        part: part.shape.name,
                        why,
                    });
                }
                missing.push(part.shape.name);
                merged_in.push((part.shape, None));
            }
        }
    }
    let body = merge(&merged_in).to_string();
    let headers = Headers::new().map_err(|_| GatewayError::Internal {
        what: "make headers",
    })?;
    let _ = headers.set("content-type", "application/json");
    if !missing.is_empty() {
        let _ = headers.set("x-gatehouse-partial", &missing.join(", "));
        x.ctx.log.partial = Some(missing);
    }
    let response = runtime::respond(200, &headers, &wasm_bindgen::JsValue::from_str(&body));
    Ok(Answer::own(response, true))
}

/// One part: its JSON answer, or why it failed (a failed call, a non-2xx status, not JSON,
/// larger than its limit, or no answer by its deadline).
async fn call(
    part: &'static Part,
    path: &str,
    headers: &Headers,
    upstreams: &'static [Upstream],
    env: &worker::Env,
    started: f64,
) -> Result<Answered, String> {
    let up = &upstreams[part.upstream];
    let deadline_at = started + f64::from(part.timeout_ms.unwrap_or(up.timeout_ms));
    let (sent, _) = forward::send(forward::Outgoing {
        upstreams,
        upstream: part.upstream,
        path_and_query: path,
        method: part.method,
        headers,
        body: forward::Body::None,
        hash_key: None,
        retryable: crate::upstream::retry::idempotent(part.method),
        resendable: crate::upstream::retry::idempotent(part.method),
        deadline_at: Some(deadline_at),
        alone: false,
        env,
    })
    .await;
    let sent = sent.map_err(|e| e.slug().to_string())?;
    let (response, fallback) = (sent.response, sent.fallback);
    if !(200..300).contains(&response.status()) {
        return Err(format!("status {}", response.status()));
    }
    let content_type = response.headers().get("content-type").ok().flatten();
    if !is_json(content_type.as_deref()) {
        return Err("not JSON".into());
    }
    let max = u32::try_from(part.max_bytes).unwrap_or(u32::MAX);
    let left = deadline_at - runtime::now_ms();
    if left <= 0.0 {
        return Err("timeout".into());
    }
    let text = io::read_bounded(response.as_ref(), max)
        .await
        .map_err(|too_large| if too_large { "too large" } else { "unreadable" }.to_string())?;
    let value = serde_json::from_str(&text).map_err(|_| "not JSON".to_string())?;
    Ok((value, fallback))
}
