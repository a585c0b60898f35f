//! The inbound-only kinds in the worker (wasm only): `headers`, the authentication kinds,
//! `require`, `any` and `rate_limit` run [`Policy::on_request`] over the exchange's upstream
//! headers and the request (through [`WorkerAuth`]); what they add goes back into the
//! context.

use super::{Inbound, Policy};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::Flow;
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::auth::WorkerAuth;

/// An inbound step over the exchange: the policy sees the upstream headers, the request
/// through [`WorkerAuth`] and the identity so far; what it adds goes back into the context.
pub async fn on_request(
    policy: &'static Policy,
    all: &'static [Policy],
    x: &mut WorkerExchange<'_>,
) -> Result<Flow<Answer>, GatewayError> {
    x.prepare_upstream_headers()?;
    let Some(upstream_headers) = x.outgoing.headers_mut() else {
        return Err(GatewayError::Internal {
            what: "upstream headers prepared",
        });
    };
    let backend = WorkerAuth {
        request: x.req,
        headers: &x.inbound,
        query: x.ctx.url.query,
        env: x.env,
    };
    let mut step = Inbound::new(upstream_headers, &backend, x.route.map_or("", |r| r.id));
    step.identity = x.ctx.identity.take();
    step.identity_scheme = x.ctx.identity_scheme;
    step.operation = x.ctx.log.operation.as_deref().unwrap_or_default();
    let flow = super::on_request::<_, _, Answer>(policy, all, &mut step).await;
    let Inbound {
        identity,
        identity_scheme,
        response_headers,
        warnings,
        ..
    } = step;
    if let Some(identity) = &identity {
        x.ctx.log.consumer = Some(identity.subject.clone());
    }
    x.ctx.identity = identity;
    x.ctx.identity_scheme = identity_scheme;
    x.ctx.response_headers.extend(response_headers);
    for warning in warnings {
        let line = serde_json::json!({ "level": "warn", "message": warning, "request_id": x.ctx.ids.request_id });
        runtime::console_log(&line.to_string());
    }
    flow
}
