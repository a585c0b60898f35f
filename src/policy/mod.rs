//! Policies: named, reusable steps a route runs around its upstream call, and the steps a
//! route's own settings add.
//!
//! Each `kind` in routes/ is one module here and one variant of [`Policy`] (defined with the
//! kind's runtime type in `gatehouse-config`'s `kinds/`, so the build's checker writes the
//! same types; this module gives them their behaviour as free functions); its phases live
//! in its module (`cors/phases.rs`, `transform/phases.rs`, `cache/flow.rs`; the inbound-only
//! kinds through `inbound.rs`). In the worker a route runs as a list of [`Step`]s through the
//! phases of [`crate::pipeline`], dispatched by the one `impl Phases for Step` below: inbound
//! steps run in route order (the gateway's `default_policies` first) and may answer the
//! request themselves with [`Flow::Respond`]; `on_response` runs in reverse order on every
//! answer.
pub mod any;
pub mod api_key;
pub mod cache;
pub mod cors;
#[cfg(target_arch = "wasm32")]
pub mod fan_out;
#[cfg(target_arch = "wasm32")]
pub mod graphql;
#[cfg(target_arch = "wasm32")]
pub mod graphql_call;
#[cfg(target_arch = "wasm32")]
pub mod grpc;
pub mod headers;
#[cfg(target_arch = "wasm32")]
mod inbound;
pub mod jwt;
pub mod llm;
pub mod mtls;
pub mod rate_limit;
pub mod require;
pub mod transform;
#[cfg(target_arch = "wasm32")]
pub mod validate;

use crate::auth::{AuthBackend, AuthError, Denied, Identity, Scheme};
use crate::error::GatewayError;
use crate::http::HeaderEdit;
use crate::ratelimit::backend::LimiterBackend;

pub use crate::pipeline::Flow;

pub use gatehouse_config::kinds::Policy;

/// The request on its way upstream, as policies see it.
pub struct Inbound<'a, H, B> {
    /// Headers that will be sent to the origin (already cleaned of hop-by-hop, gateway-owned
    /// and identity headers).
    pub upstream_headers: &'a mut H,
    /// The runtime: request facts, secrets, keys, KV.
    pub backend: &'a B,
    /// Set by the latest authentication policy that accepted the request.
    pub identity: Option<Identity>,
    /// How that identity authenticated (for the `require` challenge).
    pub identity_scheme: Option<Scheme>,
    /// The matched route's id.
    pub route: &'static str,
    /// The request's GraphQL operation name(s), as a `graphql` policy found them (empty
    /// before one ran).
    pub operation: &'a str,
    /// Headers policies add to the response, whatever it turns out to be (RateLimit fields).
    pub response_headers: Vec<(&'static str, String)>,
    /// Problems a policy tolerated and the gateway should log (a limiter that failed open).
    pub warnings: Vec<String>,
}

impl<'a, H, B> Inbound<'a, H, B> {
    /// The state before the first policy: no identity, nothing added yet.
    pub fn new(upstream_headers: &'a mut H, backend: &'a B, route: &'static str) -> Self {
        Inbound {
            upstream_headers,
            backend,
            identity: None,
            identity_scheme: None,
            route,
            operation: "",
            response_headers: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

/// Runs the inbound step. Errors become problem+json responses.
pub async fn on_request<H: HeaderEdit, B: AuthBackend + LimiterBackend, R>(
    policy: &'static Policy,
    all: &'static [Policy],
    req: &mut Inbound<'_, H, B>,
) -> Result<Flow<R>, GatewayError> {
    match policy {
        Policy::Headers(p) => headers::apply(&p.request, req.upstream_headers),
        Policy::Jwt(_) | Policy::ApiKey(_) | Policy::Mtls(_) => {
            let (identity, scheme) = authenticate(policy, req.backend)
                .await
                .map_err(|e| denied_error(e, &[]))?;
            accept(req, policy, identity, scheme);
        }
        Policy::Any(any) => {
            let (member, identity, scheme) = any::authenticate(any, all, req.backend).await?;
            accept(req, member, identity, scheme);
        }
        // Token limits are reserved and settled by the route's `llm` step.
        Policy::RateLimit(r) if r.tokens => {}
        Policy::RateLimit(r) => {
            // A refusal is a 429 that carries the same RateLimit fields.
            let passed = rate_limit::check(
                r,
                req.backend,
                req.identity.as_ref(),
                req.route,
                req.operation,
            )
            .await?;
            req.response_headers.extend(passed.headers);
            req.warnings.extend(passed.allowed_on_error);
        }
        // These work with the whole request and answer: their own modules' phases.
        Policy::Cache(_)
        | Policy::Cors(_)
        | Policy::Transform(_)
        | Policy::Graphql(_)
        | Policy::Llm(_) => {}
        Policy::Require(r) => {
            if let Err(reason) = require::check(r, req.identity.as_ref()) {
                let scheme = req.identity_scheme.unwrap_or(Scheme::Bearer);
                let scope = require::scope_hint(r);
                return Err(GatewayError::Unauthorized {
                    scheme,
                    reason,
                    others: Vec::new(),
                    scope: (!scope.is_empty()).then_some(scope),
                });
            }
        }
    }
    Ok(Flow::Continue)
}

/// Runs an authentication policy (`jwt`, `api_key`, `mtls`); other kinds never
/// authenticate and answer `Missing`.
pub async fn authenticate<B: AuthBackend>(
    policy: &'static Policy,
    b: &B,
) -> Result<(Identity, Scheme), AuthError> {
    match policy {
        Policy::Jwt(p) => jwt::authenticate(p, b).await.map(|i| (i, Scheme::Bearer)),
        Policy::ApiKey(p) => {
            let scheme = api_key::scheme(p);
            api_key::authenticate(p, b).await.map(|i| (i, scheme))
        }
        Policy::Mtls(p) => mtls::check(p, b.client_cert())
            .map(|i| (i, Scheme::ClientCertificate))
            .map_err(|d| AuthError::Denied(Scheme::ClientCertificate, d)),
        _ => Err(AuthError::Denied(Scheme::Bearer, Denied::Missing)),
    }
}

/// Whether this policy answers CORS preflights: a route with one is matched for an
/// `OPTIONS` preflight by the method the browser asks for.
pub fn answers_preflight(policy: &Policy) -> bool {
    matches!(policy, Policy::Cors(_))
}

/// Whether this policy makes its route a GraphQL endpoint: the gateway's refusals on it are
/// written in GraphQL's shape (`crate::graphql::answer`).
pub fn speaks_graphql(policy: &Policy) -> bool {
    matches!(policy, Policy::Graphql(_))
}

/// The header an `api_key` policy reads the key from, if it reads one.
pub fn api_key_header(policy: &Policy) -> Option<&'static str> {
    match policy {
        Policy::ApiKey(k) => k.header,
        _ => None,
    }
}

/// Whether this is a `cache` policy: its route may hold stored answers, and a route's
/// validation runs before it.
pub fn is_cache(policy: &Policy) -> bool {
    matches!(policy, Policy::Cache(_))
}

/// The `forward` map of an authentication policy: (identity field, header).
pub fn forward(policy: &Policy) -> &'static [(&'static str, &'static str)] {
    match policy {
        Policy::Jwt(p) => p.forward,
        Policy::ApiKey(p) => p.forward,
        Policy::Mtls(p) => p.forward,
        _ => &[],
    }
}

/// Calls `f` with every static string this policy sends to JS (header names and values).
pub fn for_each_static_str(policy: &Policy, f: &mut dyn FnMut(&'static str)) {
    match policy {
        Policy::Headers(p) => {
            for edits in [&p.request, &p.response] {
                edits.set.iter().for_each(|(k, v)| {
                    f(k);
                    f(v);
                });
                edits.remove.iter().for_each(|k| f(k));
            }
        }
        _ => forward(policy).iter().for_each(|(_, h)| f(h)),
    }
}

/// Runs the outbound step on the response headers sent to the client.
pub fn on_response<H: HeaderEdit>(policy: &Policy, headers: &mut H) {
    if let Policy::Headers(p) = policy {
        headers::apply(&p.response, headers)
    }
}

/// Records the identity and sends its `forward` headers upstream.
fn accept<H: HeaderEdit, B>(
    req: &mut Inbound<'_, H, B>,
    policy: &Policy,
    identity: Identity,
    scheme: Scheme,
) {
    for (header, value) in identity.forward_headers(forward(policy)) {
        req.upstream_headers.set(header, &value);
    }
    req.identity = Some(identity);
    req.identity_scheme = Some(scheme);
}

/// Turns a failed authentication into the error answered to the client.
pub fn denied_error(e: AuthError, others: &[Scheme]) -> GatewayError {
    match e {
        AuthError::Failed(err) => err.into(),
        AuthError::Denied(scheme, reason) => GatewayError::Unauthorized {
            scheme,
            reason,
            others: others.iter().copied().filter(|s| *s != scheme).collect(),
            scope: None,
        },
    }
}

/// One step of a route's flow in the worker: one of its policies, or a step its own settings
/// add. [`Step::for_route`] lays them out.
#[derive(Clone, Copy)]
pub enum Step {
    /// The policy at `index` of `all` (the table's policies).
    Policy { index: u16, all: &'static [Policy] },
    /// `query_schema` / `body_schema`: checks the query in `on_request` and the body (as the
    /// policies before it left it) in `before_upstream`.
    Validate {
        query: Option<&'static crate::validation::Schema>,
        body: Option<&'static crate::validation::Schema>,
    },
    /// `fan_out`: its parts are the upstream call.
    FanOut {
        fan_out: &'static crate::aggregate::settings::FanOut,
        all: &'static [Policy],
    },
    /// After a successful write that reached the origin: what is cached for its paths is
    /// invalidated (every route without a fan-out).
    Invalidate { all: &'static [Policy] },
    /// `grpc`: the request becomes the method's message and its answer JSON again. Last, so
    /// its `after_upstream` runs first: every other step sees the translated answer.
    Grpc {
        call: &'static gatehouse_config::table::proto::GrpcCall,
        protos: &'static gatehouse_config::table::proto::Protos,
    },
    /// `graphql`: the request becomes the stored operation's variables, and its answer the
    /// operation's `data`. Last, like a gRPC call.
    GraphqlCall {
        call: &'static gatehouse_config::table::graphql::GraphqlCall,
    },
}

impl Step {
    /// The steps of `route`, in order: its policies (indexes into `all`), with the validation
    /// step placed just before the first `cache` (so a query is checked before any stored
    /// answer is served, and after the authentication before it) or after the last policy;
    /// then the fan-out, or the invalidation step; then a gRPC or GraphQL route's call.
    pub fn for_route(
        route: &'static crate::route::compiled::Route,
        all: &'static [Policy],
        schemas: &'static [crate::validation::Schema],
        protos: &'static gatehouse_config::table::proto::Protos,
    ) -> Vec<Step> {
        let schema = |i: Option<u16>| i.and_then(|i| schemas.get(usize::from(i)));
        let mut validate =
            (route.query_schema.is_some() || route.body_schema.is_some()).then(|| Step::Validate {
                query: schema(route.query_schema),
                body: schema(route.body_schema),
            });
        let mut steps = Vec::with_capacity(route.policies.len() + 2);
        for &index in route.policies {
            if is_cache(&all[usize::from(index)]) {
                steps.extend(validate.take());
            }
            steps.push(Step::Policy { index, all });
        }
        steps.extend(validate);
        steps.push(match route.fan_out {
            Some(fan_out) => Step::FanOut { fan_out, all },
            None => Step::Invalidate { all },
        });
        if let Some(call) = route.grpc {
            steps.push(Step::Grpc { call, protos });
        }
        if let Some(call) = route.graphql {
            steps.push(Step::GraphqlCall { call });
        }
        steps
    }
}

/// What a step keeps between its phases for one request.
#[derive(Default)]
pub struct State {
    /// A `cache` step's lookup, from `on_request` to `after_upstream`.
    #[cfg(target_arch = "wasm32")]
    cache: Option<cache::flow::CacheStep>,
    /// An `llm` step's request, from `on_request` to `upstream`.
    #[cfg(target_arch = "wasm32")]
    llm: Option<Box<llm::Call>>,
}

#[cfg(target_arch = "wasm32")]
mod worker {
    // The kinds' modules, `Policy` and its rules, `State`, `Step`: a new kind needs no line here.
    use super::*;
    use crate::error::GatewayError;
    use crate::exchange::WorkerExchange;
    use crate::pipeline::{Flow, Phases};
    use crate::runtime::answer::Answer;

    impl State {
        /// A state that carries a cache lookup on into a background refresh.
        pub(super) fn of_cache(step: cache::flow::CacheStep) -> State {
            State {
                cache: Some(step),
                llm: None,
            }
        }
    }

    impl<'a> Phases<WorkerExchange<'a>> for Step {
        type State = State;

        async fn on_request(
            &self,
            x: &mut WorkerExchange<'a>,
            state: &mut State,
        ) -> Result<Flow<Answer>, GatewayError> {
            match *self {
                Step::Policy { index, all } => match &all[usize::from(index)] {
                    Policy::Cache(c) => {
                        cache::flow::on_request(c, index, x, &mut state.cache).await
                    }
                    Policy::Cors(c) => cors::phases::on_request(c, x),
                    Policy::Transform(t) => transform::phases::on_request(t, x).await,
                    Policy::Graphql(g) => graphql::on_request(g, x).await,
                    Policy::Llm(l) if !x.preflight => llm::on_request(l, x, &mut state.llm).await,
                    policy => inbound::on_request(policy, all, x).await,
                },
                Step::Validate { query, .. } => {
                    validate::check_query(x, query).map(|()| Flow::Continue)
                }
                Step::Grpc { call, protos } if !x.preflight => grpc::on_request(x, call, protos)
                    .await
                    .map(|()| Flow::Continue),
                Step::GraphqlCall { call } if !x.preflight => graphql_call::on_request(x, call)
                    .await
                    .map(|()| Flow::Continue),
                Step::FanOut { .. }
                | Step::Invalidate { .. }
                | Step::Grpc { .. }
                | Step::GraphqlCall { .. } => Ok(Flow::Continue),
            }
        }

        async fn before_upstream(
            &self,
            x: &mut WorkerExchange<'a>,
            state: &mut State,
            from_here: &[Step],
        ) -> Result<Flow<Answer>, GatewayError> {
            match *self {
                Step::Policy { index, all } if super::is_cache(&all[usize::from(index)]) => {
                    cache::flow::before_upstream(x, &mut state.cache, from_here)
                }
                Step::Validate { body, .. } => {
                    validate::check_body(x, body).await.map(|()| Flow::Continue)
                }
                _ => Ok(Flow::Continue),
            }
        }

        async fn upstream(
            &self,
            x: &mut WorkerExchange<'a>,
            state: &mut State,
        ) -> Option<Result<Answer, GatewayError>> {
            match *self {
                Step::FanOut { fan_out, all } if !x.preflight => {
                    Some(fan_out::fan_out(x, fan_out, all).await)
                }
                Step::Policy { index, all } if !x.preflight => match &all[usize::from(index)] {
                    Policy::Llm(_) => Some(llm::upstream(x, &mut state.llm).await),
                    _ => None,
                },
                _ => None,
            }
        }

        async fn after_upstream(
            &self,
            x: &mut WorkerExchange<'a>,
            state: &mut State,
            result: Result<Answer, GatewayError>,
        ) -> Result<Answer, GatewayError> {
            match *self {
                Step::Policy { index, all } => match &all[usize::from(index)] {
                    Policy::Cache(_) => cache::flow::after_upstream(x, &state.cache, result),
                    Policy::Transform(t) => transform::phases::after_upstream(t, x, result).await,
                    _ => result,
                },
                Step::Invalidate { all } => cache::invalidate::after_upstream(x, all, result).await,
                Step::Grpc { call, protos } => grpc::after_upstream(x, call, protos, result).await,
                Step::GraphqlCall { .. } => graphql_call::after_upstream(x, result).await,
                Step::Validate { .. } | Step::FanOut { .. } => result,
            }
        }

        fn on_response(&self, x: &mut WorkerExchange<'a>, _state: &mut State, answer: &mut Answer) {
            if answer.is_sealed() {
                return;
            }
            if let Step::Policy { index, all } = *self {
                match &all[usize::from(index)] {
                    Policy::Cors(c) => cors::phases::on_response(c, x, answer),
                    policy => super::on_response(policy, &mut answer.headers),
                }
            }
        }
    }
}
