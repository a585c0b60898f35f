//! An alias's providers, called in order (wasm only): each over HTTP through
//! [`forward::send`] (so the provider upstream's timeout, retries and breaker apply) or
//! through the AI binding; the next one when [`fallback::verdict`] says so, skipping those
//! resting after a 429's `Retry-After`. The first answer is translated to OpenAI's shape:
//! whole ([`answer`]) or as it streams ([`super::stream::relay`]).

use super::fallback::{self, Cooldowns, Verdict};
use super::worker::{settle_later, Call, Request};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::log::Try;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::upstream::forward;
use crate::upstream::settings::{Provider, ProviderKind, Upstream};
use gatehouse_config::kinds::llm::ModelTarget;
use gatehouse_llm::Wire;
use std::cell::RefCell;
use wasm_bindgen::{JsCast, JsValue};
use wasm_bindgen_futures::JsFuture;
use web_sys::{Headers, ReadableStream};

thread_local! {
    /// Providers resting after a 429 with `Retry-After`, per isolate.
    static COOLDOWNS: RefCell<Cooldowns> = RefCell::new(Cooldowns::default());
}

/// The largest whole (not streamed) answer read from a provider.
const MAX_ANSWER_BYTES: u32 = 16 << 20;

/// Anthropic's API version sent with every call.
const ANTHROPIC_VERSION: &str = "2023-06-01";

/// The wire format a provider kind speaks.
pub fn wire(kind: ProviderKind) -> Wire {
    match kind {
        ProviderKind::OpenAi | ProviderKind::OpenAiCompatible => Wire::OpenAi,
        ProviderKind::Anthropic => Wire::Anthropic,
        ProviderKind::WorkersAi => Wire::WorkersAi,
    }
}

/// What one provider gave.
enum Sent {
    /// A 2xx: its body, streamed or whole.
    Answer(Body),
    /// Something to answer or to move on from: the status (0: no answer at all), what
    /// happened, the provider's body (for a client error), and its `Retry-After`.
    Failed {
        status: u16,
        why: String,
        body: Option<Vec<u8>>,
        retry_after_ms: Option<f64>,
    },
}

/// A provider's successful answer.
enum Body {
    Stream(ReadableStream),
    Whole(Vec<u8>),
}

/// Calls the alias's providers in order; the first that answers is the answer. When none
/// does: a client error from a provider is answered in OpenAI's shape with its status; else
/// [`GatewayError::LlmUnavailable`] (429 with the shortest rest when every provider is
/// resting or said 429). Reservations are given back when nothing was answered.
pub async fn providers(x: &mut WorkerExchange<'_>, call: Call) -> Result<Answer, GatewayError> {
    let mut tries: Vec<Try> = Vec::new();
    let mut rest: Option<f64> = None;
    let mut all_limited = true;
    let mut last_status = 0u16;
    // A request no provider of the alias can take (a field its API lacks): the client's.
    let mut unsupported: Option<gatehouse_llm::ClientError> = None;
    for target in call.alias.targets {
        let index = usize::from(target.upstream);
        let up = &x.tables.upstreams[index];
        let Some(provider) = up.provider else {
            continue;
        };
        let key = (target.upstream, target.model);
        let now = runtime::now_ms();
        if let Some(ms) = COOLDOWNS.with(|c| c.borrow_mut().resting(key, now)) {
            rest = Some(rest.map_or(ms, |r: f64| r.min(ms)));
            tries.push(Try {
                target: up.name,
                outcome: "resting".into(),
                ms: 0.0,
            });
            continue;
        }
        let body = match provider_body(&call, provider, target) {
            Ok(b) => b,
            Err(e) => {
                tries.push(Try {
                    target: up.name,
                    outcome: "unsupported".into(),
                    ms: 0.0,
                });
                unsupported = Some(e);
                continue;
            }
        };
        let sent = send(x, &call, index, provider, target, &body).await;
        let ms = runtime::now_ms() - now;
        let outcome = match &sent {
            Sent::Answer(_) => "200".to_string(),
            Sent::Failed { status: 0, why, .. } => why.clone(),
            Sent::Failed { status, .. } => status.to_string(),
        };
        tries.push(Try {
            target: up.name,
            outcome,
            ms,
        });
        let attempts = tries.iter().filter(|t| t.outcome != "resting").count() as u32;
        note(x, up, target, attempts, &tries);
        match sent {
            Sent::Answer(body) => {
                x.ctx.log.upstream_ms = Some(ms);
                return answer(x, call, up, provider, target, body).await;
            }
            Sent::Failed {
                status,
                body,
                retry_after_ms,
                ..
            } => {
                last_status = status;
                all_limited &= status == 429;
                if status == 429 {
                    let ms = retry_after_ms.unwrap_or(0.0);
                    COOLDOWNS.with(|c| c.borrow_mut().rest(key, runtime::now_ms(), ms));
                    if ms > 0.0 {
                        rest = Some(rest.map_or(ms, |r: f64| r.min(ms)));
                    }
                }
                if status != 0 && fallback::verdict(status) == Verdict::ClientError {
                    settle_later(x, call.holds, 0);
                    return Err(refused(up, provider, status, body.as_deref()));
                }
            }
        }
    }
    settle_later(x, call.holds, 0);
    if let Some(e) = unsupported.filter(|_| tries.iter().all(|t| t.outcome == "unsupported")) {
        return Err(GatewayError::LlmRefused {
            status: e.status,
            slug: "invalid-llm-request",
            detail: e.message,
        });
    }
    let limited = all_limited && (rest.is_some() || last_status == 429);
    let status = match last_status {
        _ if limited => 429,
        0 if tries.last().is_some_and(|t| t.outcome == "timeout") => 504,
        _ => 502,
    };
    let detail = tries
        .iter()
        .map(|t| format!("{} {}", t.target, t.outcome))
        .collect::<Vec<_>>()
        .join(", ");
    Err(GatewayError::LlmUnavailable {
        status,
        alias: call.alias.name,
        detail,
        retry_after_s: rest
            .filter(|_| limited)
            .map(|ms| (ms / 1000.0).ceil().max(1.0) as u64),
    })
}

/// A provider's refusal of the request itself (400, 413, 422): the same status, as a
/// problem whose detail carries the provider's message (read through its error shape).
fn refused(up: &Upstream, provider: Provider, status: u16, body: Option<&[u8]>) -> GatewayError {
    let text = gatehouse_llm::error_answer(wire(provider.kind), status, body.unwrap_or_default());
    let message = serde_json::from_str::<serde_json::Value>(&text)
        .ok()
        .and_then(|v| v["error"]["message"].as_str().map(str::to_string))
        .unwrap_or_default();
    GatewayError::LlmRefused {
        status,
        slug: "llm-request-refused",
        detail: format!("provider {} refused the request: {message}", up.name),
    }
}

/// Records which provider is being tried in the access log.
fn note(
    x: &mut WorkerExchange<'_>,
    up: &'static Upstream,
    target: &'static ModelTarget,
    attempts: u32,
    tries: &[Try],
) {
    x.ctx.log.upstream = Some(up.name);
    x.ctx.log.attempts = Some(attempts);
    if tries.len() > 1 {
        x.ctx.log.tries = Some(tries.to_vec());
    }
    if let Some(l) = x.ctx.log.llm.as_mut() {
        l.provider = up.name;
        l.model = target.model;
        l.attempts = attempts;
    }
}

/// The request as `provider` takes it; `Err` when its API cannot (a field it lacks,
/// embeddings from Anthropic): the next provider may.
fn provider_body(
    call: &Call,
    provider: Provider,
    target: &'static ModelTarget,
) -> Result<String, gatehouse_llm::ClientError> {
    let wire = wire(provider.kind);
    match &call.request {
        Request::Chat(c) => c.provider_body(wire, target.model, call.max_tokens),
        Request::Embeddings(e) => e.provider_body(wire, target.model),
    }
}

/// One call to one provider with the request `body` in its API's shape.
async fn send(
    x: &mut WorkerExchange<'_>,
    call: &Call,
    index: usize,
    provider: Provider,
    target: &'static ModelTarget,
    body: &str,
) -> Sent {
    if provider.kind == ProviderKind::WorkersAi {
        return workers_ai(x, provider, target, body).await;
    }
    let key = match provider.key {
        None => None,
        Some(var) => match x
            .env
            .secret(var)
            .map(|s| s.to_string())
            .or_else(|_| x.env.var(var).map(|v| v.to_string()))
        {
            Ok(k) => Some(k),
            Err(_) => {
                crate::runtime::console_log(
                    &serde_json::json!({ "level": "error", "message": format!("upstream {}: the provider key {var} is not set (wrangler secret put {var})", x.tables.upstreams[index].name), "request_id": x.ctx.ids.request_id }).to_string(),
                );
                return failed("not configured");
            }
        },
    };
    let Ok(headers) = Headers::new() else {
        return failed("headers");
    };
    let streaming = matches!(&call.request, Request::Chat(c) if c.stream);
    let _ = headers.set("content-type", "application/json");
    let _ = headers.set(
        "accept",
        if streaming {
            "text/event-stream"
        } else {
            "application/json"
        },
    );
    let _ = headers.set("x-request-id", &x.ctx.ids.request_id);
    match (provider.kind, key) {
        (ProviderKind::Anthropic, Some(k)) => {
            let _ = headers.set("x-api-key", &k);
            let _ = headers.set("anthropic-version", ANTHROPIC_VERSION);
        }
        (ProviderKind::Anthropic, None) => {
            let _ = headers.set("anthropic-version", ANTHROPIC_VERSION);
        }
        (_, Some(k)) => {
            let _ = headers.set("authorization", &format!("Bearer {k}"));
        }
        (_, None) => {}
    }
    let path = match (&call.request, provider.kind) {
        (_, ProviderKind::Anthropic) => "/v1/messages",
        (Request::Chat(_), _) => "/chat/completions",
        (Request::Embeddings(_), _) => "/embeddings",
    };
    let bytes = js_sys::Uint8Array::from(body.as_bytes());
    let (sent, _) = forward::send(forward::Outgoing {
        upstreams: x.tables.upstreams,
        upstream: index,
        path_and_query: path,
        method: "POST",
        headers: &headers,
        body: forward::Body::Bytes(bytes),
        hash_key: None,
        // A generation that timed out may be running (and billed): never sent again here;
        // the alias's next provider is the retry.
        retryable: false,
        resendable: false,
        deadline_at: None,
        alone: false,
        env: x.env,
    })
    .await;
    let resp = match sent {
        Ok(s) => s.response,
        Err(GatewayError::UpstreamTimeout { .. }) => return failed("timeout"),
        Err(GatewayError::UpstreamUnavailable { .. }) => return failed("open"),
        Err(e) => return failed(e.slug()),
    };
    let status = resp.status();
    if (200..300).contains(&status) {
        if streaming {
            if let Some(b) = resp.body() {
                return Sent::Answer(Body::Stream(b));
            }
        }
        return match runtime::io::answer_bytes(&resp, MAX_ANSWER_BYTES).await {
            Ok(b) => Sent::Answer(Body::Whole(b)),
            Err(why) => failed(&why),
        };
    }
    let retry_after_ms = fallback::retry_after_ms(
        resp.headers().get("retry-after").ok().flatten().as_deref(),
        crate::runtime::now_ms(),
    );
    let body = runtime::io::answer_bytes(&resp, 64 * 1024).await.ok();
    Sent::Failed {
        status,
        why: status.to_string(),
        body,
        retry_after_ms,
    }
}

fn failed(why: &str) -> Sent {
    Sent::Failed {
        status: 0,
        why: why.to_string(),
        body: None,
        retry_after_ms: None,
    }
}

/// One Workers AI call through the AI binding.
async fn workers_ai(
    x: &WorkerExchange<'_>,
    provider: Provider,
    target: &'static ModelTarget,
    inputs: &str,
) -> Sent {
    let binding = provider.binding.unwrap_or("AI");
    let env: &JsValue = x.env.as_ref();
    let out = match JsFuture::from(runtime::ai_run(env, binding, target.model, inputs)).await {
        Ok(v) => v,
        Err(e) => return failed(&e.as_string().unwrap_or_else(|| "AI binding failed".into())),
    };
    let get = |k: &str| js_sys::Reflect::get(&out, &k.into()).unwrap_or(JsValue::UNDEFINED);
    if get("ok").as_bool() != Some(true) {
        let status = get("status").as_f64().unwrap_or(502.0) as u16;
        let message = get("message").as_string().unwrap_or_default();
        // The binding answered no HTTP status of its own: a failure the next provider may
        // not share, never the client's fault.
        crate::runtime::console_log(
            &serde_json::json!({ "level": "warn", "message": format!("Workers AI ({binding}) failed ({status}): {message}"), "request_id": x.ctx.ids.request_id }).to_string(),
        );
        return failed("failed");
    }
    let body = get("body");
    if let Some(text) = body.as_string() {
        return Sent::Answer(Body::Whole(text.into_bytes()));
    }
    match body.dyn_into::<ReadableStream>() {
        Ok(s) => Sent::Answer(Body::Stream(s)),
        Err(_) => failed("ai: no body"),
    }
}

/// The provider's answer as the client's: a stream relayed as it arrives, or the whole
/// answer translated (stored in the exact-match cache when the request may be).
async fn answer(
    x: &mut WorkerExchange<'_>,
    call: Call,
    up: &'static Upstream,
    provider: Provider,
    target: &'static ModelTarget,
    body: Body,
) -> Result<Answer, GatewayError> {
    let wire = wire(provider.kind);
    let created = (runtime::calendar_now_ms(x.env) / 1000.0) as u64;
    let id = format!("chatcmpl-{}", x.ctx.ids.request_id);
    let bytes = match body {
        Body::Stream(s) => {
            return super::stream::relay(x, call, up, target, wire, s, &id, created);
        }
        Body::Whole(b) => b,
    };
    let translated = match &call.request {
        Request::Chat(_) => gatehouse_llm::chat_answer(wire, &bytes, target.model, &id, created),
        Request::Embeddings(_) => gatehouse_llm::embeddings_answer(wire, &bytes, target.model),
    };
    let (text, mut usage) = match translated {
        Ok(t) => t,
        Err(why) => {
            settle_later(x, call.holds, 0);
            return Err(GatewayError::LlmUnavailable {
                status: 502,
                alias: call.alias.name,
                detail: format!(
                    "{} answered something that is not its API's answer: {why}",
                    up.name
                ),
                retry_after_s: None,
            });
        }
    };
    if let Request::Embeddings(e) = &call.request {
        // Workers AI reports no tokens for embeddings: count the estimate, never nothing.
        if usage.input == 0 {
            usage.input = e.estimated_tokens();
        }
    }
    let ttft = runtime::now_ms() - x.ctx.started_ms;
    let price = call.policy.price(target.model);
    if let Some(l) = x.ctx.log.llm.as_mut() {
        l.tokens_in = usage.input;
        l.tokens_out = usage.output;
        l.cost_usd = price.map(|p| gatehouse_llm::cost_usd(usage, p.input, p.output));
        l.ttft_ms = Some(ttft);
        l.finish = serde_json::from_str::<serde_json::Value>(&text)
            .ok()
            .and_then(|v| {
                v["choices"][0]["finish_reason"]
                    .as_str()
                    .map(str::to_string)
            });
    }
    // An answer without usage (some OpenAI-compatible servers, Workers AI models) is
    // charged its reservation: unknown is never free.
    let charged = match usage.total() {
        0 => call.holds.first().map_or(0, |h| h.reserved),
        n => n,
    };
    settle_later(x, call.holds, charged);
    let mut answer = json(x, 200, text);
    let _ = answer.headers.set("x-gatehouse-provider", up.name);
    let _ = answer.headers.set("x-gatehouse-model", target.model);
    if let Some(url) = &call.cache_url {
        super::answer_cache::store(x, url, call.policy, &mut answer);
    }
    Ok(answer)
}

/// A JSON answer of the gateway's own making (not stored by anyone).
fn json(x: &mut WorkerExchange<'_>, status: u16, body: String) -> Answer {
    x.json_with(status, body)
}
