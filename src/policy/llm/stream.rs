//! A provider's stream relayed to the client as it arrives (wasm only).
//!
//! Contract: each piece of the provider's body is translated when the client reads it
//! ([`gatehouse_llm::Relay`], through `relayBody` in platform.js): nothing is read ahead and
//! nothing waits for the end. The usage is read as the events pass. When the stream ends
//! (complete, broken by the provider, or abandoned by the client) the token reservations are
//! settled with the usage seen, and the access-log line and data point, which wait for the
//! end ([`crate::ctx::Ctx::log_after`]), get the tokens, cost, time to first token and how
//! the stream ended. A stream cut by the client counts what the provider reported so far
//! (see docs/src/policies/llm.md: a provider may bill more than it reported).

use super::worker::{settle, Call};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::log::AccessLog;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::upstream::settings::Upstream;
use futures::channel::oneshot;
use gatehouse_config::kinds::llm::ModelTarget;
use gatehouse_llm::{Relay, Usage, Wire};
use wasm_bindgen::closure::Closure;
use wasm_bindgen::JsValue;
use web_sys::{Headers, ReadableStream};

/// How a relayed stream ended.
struct End {
    usage: Usage,
    /// Time to the first chunk carrying content, from the request's arrival.
    ttft_ms: Option<f64>,
    finish: Option<String>,
    /// `client` or `provider` when cut; `None` when complete.
    cut: Option<&'static str>,
}

impl End {
    /// The tokens to settle the reservations at (each reserved `reserved`): a complete
    /// stream's usage; for a cut one, or one that reported none, never less than was
    /// reserved, since providers report usage only at the start and the end of a stream and
    /// bill what they generated.
    fn settled_at(&self, reserved: u64) -> u64 {
        let seen = self.usage.total();
        if self.cut.is_some() || seen == 0 {
            seen.max(reserved)
        } else {
            seen
        }
    }
}

/// The client's answer for a provider stream `body`: 200 `text/event-stream`, its events
/// translated to OpenAI's chunks as they arrive.
#[allow(clippy::too_many_arguments)]
pub fn relay(
    x: &mut WorkerExchange<'_>,
    call: Call,
    up: &'static Upstream,
    target: &'static ModelTarget,
    wire: Wire,
    body: ReadableStream,
    id: &str,
    created: u64,
) -> Result<Answer, GatewayError> {
    let include_usage = matches!(&call.request, super::worker::Request::Chat(c) if c.include_usage);
    let mut relay = Relay::new(wire, target.model, id, created, include_usage);
    let (done, ended) = oneshot::channel::<End>();
    let mut done = Some(done);
    let started = x.ctx.started_ms;
    let mut ttft_ms: Option<f64> = None;
    let feed = Closure::<dyn FnMut(JsValue, JsValue) -> JsValue>::new(
        move |chunk: JsValue, end: JsValue| -> JsValue {
            let out = if chunk.is_null() || chunk.is_undefined() {
                let out = relay.finish();
                let cut = match end.as_string().as_deref() {
                    Some("client") => Some("client"),
                    Some(_) => Some("provider"),
                    None if relay.errored().is_some() || !relay.is_complete() => Some("provider"),
                    None => None,
                };
                if let Some(tx) = done.take() {
                    let _ = tx.send(End {
                        usage: relay.usage(),
                        ttft_ms,
                        finish: relay.finish_reason().map(str::to_string),
                        cut,
                    });
                }
                out
            } else {
                let out = relay.push(&js_sys::Uint8Array::new(&chunk).to_vec());
                if ttft_ms.is_none() && relay.first_token_seen() {
                    ttft_ms = Some(runtime::now_ms() - started);
                }
                out
            };
            JsValue::from(js_sys::Uint8Array::from(out.as_slice()))
        },
    )
    .into_js_value();
    let stream = runtime::relay_body(&body, &feed);

    let holds = call.holds;
    let price = call.policy.price(target.model);
    let env = x.env.clone();
    let request_id = x.ctx.ids.request_id.clone();
    x.ctx.log_after = Some(Box::pin(async move {
        let end = ended.await.unwrap_or(End {
            usage: Usage::default(),
            ttft_ms: None,
            finish: None,
            cut: Some("client"),
        });
        let reserved = holds.first().map_or(0, |h| h.reserved);
        settle(env, holds, end.settled_at(reserved), request_id).await;
        Box::new(move |log: &mut AccessLog| {
            if let Some(l) = log.llm.as_mut() {
                l.tokens_in = end.usage.input;
                l.tokens_out = end.usage.output;
                l.cost_usd = price.map(|p| gatehouse_llm::cost_usd(end.usage, p.input, p.output));
                l.ttft_ms = end.ttft_ms;
                l.finish = end.finish;
                l.cut = end.cut;
            }
        }) as Box<dyn FnOnce(&mut AccessLog)>
    }));

    let headers = Headers::new().map_err(|_| GatewayError::Internal {
        what: "make the stream's headers",
    })?;
    let _ = headers.set("content-type", "text/event-stream; charset=utf-8");
    let _ = headers.set("cache-control", "no-cache, no-store");
    let _ = headers.set("x-gatehouse-provider", up.name);
    let _ = headers.set("x-gatehouse-model", target.model);
    Ok(Answer::own(
        runtime::respond(200, &headers, &JsValue::from(stream)),
        true,
    ))
}
