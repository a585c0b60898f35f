//! Each policy kind's phases in the worker (wasm only): the match that sends every phase of
//! [`crate::pipeline::Phases`] to the module of the policy's kind. Inbound-only kinds (headers,
//! authentication, `require`, `rate_limit`) run [`Policy::on_request`] and
//! [`Policy::on_response`]; the cache uses all four phases ([`crate::cache::flow`]).

use super::{Inbound, Policy};
use crate::cache::flow::{self, CacheStep};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::{Flow, Phases};
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::auth::WorkerAuth;

/// Per-request state a policy keeps between its phases.
#[derive(Default)]
pub struct Scratch {
    /// A cached route's lookup, from `on_request` to `after_upstream`.
    pub cache: Option<CacheStep>,
}

impl<'a> Phases<WorkerExchange<'a>> for &'static Policy {
    async fn on_request(&self, x: &mut WorkerExchange<'a>) -> Result<Flow<Answer>, GatewayError> {
        match *self {
            Policy::Cache(c) => flow::on_request(c, x).await,
            policy => inbound(policy, x).await,
        }
    }

    async fn before_upstream(
        &self,
        x: &mut WorkerExchange<'a>,
    ) -> Result<Flow<Answer>, GatewayError> {
        match *self {
            Policy::Cache(_) => flow::before_upstream(x),
            _ => Ok(Flow::Continue),
        }
    }

    async fn after_upstream(
        &self,
        x: &mut WorkerExchange<'a>,
        result: Result<Answer, GatewayError>,
    ) -> Result<Answer, GatewayError> {
        match *self {
            Policy::Cache(_) => flow::after_upstream(x, result),
            _ => result,
        }
    }

    fn on_response(&self, _x: &mut WorkerExchange<'a>, answer: &mut Answer) {
        if !answer.is_sealed() {
            Policy::on_response(self, &mut answer.headers);
        }
    }
}

/// An inbound step over the exchange: the policy sees the upstream headers, the request
/// through [`WorkerAuth`] and the identity so far; what it adds goes back into the context.
async fn inbound(
    policy: &'static Policy,
    x: &mut WorkerExchange<'_>,
) -> Result<Flow<Answer>, GatewayError> {
    let backend = WorkerAuth {
        request: x.req,
        headers: &x.inbound,
        query: x.ctx.url.query,
        env: x.env,
    };
    let mut step = Inbound::new(
        &mut x.upstream_headers,
        &backend,
        x.route.map_or("", |r| r.id),
    );
    step.identity = x.ctx.identity.take();
    step.identity_scheme = x.ctx.identity_scheme;
    let flow = policy
        .on_request::<_, _, Answer>(x.table.policies, &mut step)
        .await;
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
