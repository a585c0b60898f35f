//! Each policy kind's phases in the worker (wasm only): the match that sends every phase of
//! [`crate::pipeline::Phases`] to the module of the policy's kind. Inbound-only kinds (headers,
//! authentication, `require`, `rate_limit`) run [`Policy::on_request`] and
//! [`Policy::on_response`]; the cache uses all four phases ([`crate::cache::flow`]).

use super::cors::{Cors, CorsRequest};
use super::{transform_flow, Inbound, Policy};
use crate::cache::flow::{self, CacheStep};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::{Flow, Phases};
use crate::runtime;
use crate::runtime::answer::Answer;
use crate::runtime::auth::WorkerAuth;
use web_sys::Headers;

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
            Policy::Cors(c) => cors_on_request(c, x),
            Policy::Transform(t) => transform_flow::on_request(t, x).await,
            policy => inbound(policy, x).await,
        }
    }

    async fn before_upstream(
        &self,
        x: &mut WorkerExchange<'a>,
    ) -> Result<Flow<Answer>, GatewayError> {
        match *self {
            Policy::Cache(c) => flow::before_upstream(c, x),
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
            Policy::Transform(t) => transform_flow::after_upstream(t, x, result).await,
            _ => result,
        }
    }

    fn on_response(&self, x: &mut WorkerExchange<'a>, answer: &mut Answer) {
        if answer.is_sealed() {
            return;
        }
        match *self {
            Policy::Cors(c) => cors_on_response(c, x, answer),
            policy => policy.on_response(&mut answer.headers),
        }
    }
}

/// The CORS facts of the request: `Origin`, and for a routed preflight the method and
/// headers it asks for.
struct CorsFacts {
    origin: Option<String>,
    method: Option<String>,
    headers: Option<String>,
}

impl CorsFacts {
    fn of(x: &WorkerExchange<'_>) -> CorsFacts {
        CorsFacts {
            origin: x.header("origin"),
            method: x
                .preflight
                .then(|| x.header("access-control-request-method"))
                .flatten(),
            headers: x
                .preflight
                .then(|| x.header("access-control-request-headers"))
                .flatten(),
        }
    }

    fn request(&self) -> CorsRequest<'_> {
        let method = if self.method.is_some() { "OPTIONS" } else { "" };
        CorsRequest::classify(
            method,
            self.origin.as_deref(),
            self.method.as_deref(),
            self.headers.as_deref(),
        )
    }
}

/// `cors` on_request: a routed preflight is answered 204 here (the grant and the preflight
/// headers are added in `on_response`, like every answer's); a disallowed origin is refused
/// when `reject`.
fn cors_on_request(c: &Cors, x: &mut WorkerExchange<'_>) -> Result<Flow<Answer>, GatewayError> {
    let facts = CorsFacts::of(x);
    let request = facts.request();
    if let (CorsRequest::Actual { origin } | CorsRequest::Preflight { origin, .. }, true) =
        (request, c.reject)
    {
        if !c.allows_origin(origin) {
            return Err(GatewayError::CorsOriginRejected {
                origin: origin.to_string(),
            });
        }
    }
    if !request.is_preflight() {
        return Ok(Flow::Continue);
    }
    let headers = Headers::new().expect("Headers constructor");
    Ok(Flow::Respond(Answer::text(204, headers, None)))
}

/// `cors` on_response: on every answer of the route, `Vary: Origin` and the grant.
fn cors_on_response(c: &Cors, x: &mut WorkerExchange<'_>, answer: &mut Answer) {
    let facts = CorsFacts::of(x);
    let request = facts.request();
    let granted = match request {
        CorsRequest::Preflight {
            origin,
            method,
            headers,
        } => c.grants_preflight(
            origin,
            method,
            headers,
            x.route.map_or(&[][..], |r| r.methods),
        ),
        _ => true,
    };
    c.apply(&mut answer.headers, request, granted);
}

/// An inbound step over the exchange: the policy sees the upstream headers, the request
/// through [`WorkerAuth`] and the identity so far; what it adds goes back into the context.
async fn inbound(
    policy: &'static Policy,
    x: &mut WorkerExchange<'_>,
) -> Result<Flow<Answer>, GatewayError> {
    x.prepare_upstream_headers()?;
    let Some(upstream_headers) = x.upstream_headers.as_mut() else {
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
