//! Policies: named, reusable steps a route runs around its upstream call.
//!
//! Each `kind` in routes/ is one module here and one variant of [`Policy`]. In the worker the
//! phases of [`crate::pipeline`] reach them through `phases.rs`: inbound steps run in route
//! order (the gateway's `default_policies` first) and may answer the request themselves with
//! [`Flow::Respond`]; `on_response` runs in reverse order on every answer.

pub mod any;
pub mod api_key;
pub mod cache;
pub mod cors;
pub mod headers;
pub mod jwt;
pub mod mtls;
#[cfg(target_arch = "wasm32")]
pub mod phases;
pub mod rate_limit;
pub mod require;
pub mod transform;
#[cfg(target_arch = "wasm32")]
pub mod transform_flow;

use crate::auth::{AuthBackend, AuthError, Denied, Identity, Scheme};
use crate::error::GatewayError;
use crate::http::HeaderEdit;
use crate::ratelimit::backend::LimiterBackend;

pub use crate::pipeline::Flow;

/// A compiled policy. The config key `kind = "<name>"` selects the variant.
#[derive(Debug)]
pub enum Policy {
    /// `kind = "headers"`.
    Headers(headers::Headers),
    /// `kind = "jwt"`.
    Jwt(jwt::Jwt),
    /// `kind = "api_key"`.
    ApiKey(api_key::ApiKey),
    /// `kind = "mtls"`.
    Mtls(mtls::Mtls),
    /// `kind = "require"`.
    Require(require::Require),
    /// `kind = "any"`.
    Any(any::Any),
    /// `kind = "rate_limit"`.
    RateLimit(rate_limit::RateLimit),
    /// `kind = "cache"`.
    Cache(cache::Cache),
    /// `kind = "cors"`.
    Cors(cors::Cors),
    /// `kind = "transform"`.
    Transform(transform::Transform),
}

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
            response_headers: Vec::new(),
            warnings: Vec::new(),
        }
    }
}

impl Policy {
    /// Runs the inbound step. Errors become problem+json responses.
    pub async fn on_request<H: HeaderEdit, B: AuthBackend + LimiterBackend, R>(
        &'static self,
        all: &'static [Policy],
        req: &mut Inbound<'_, H, B>,
    ) -> Result<Flow<R>, GatewayError> {
        match self {
            Policy::Headers(p) => p.request.apply(req.upstream_headers),
            Policy::Jwt(_) | Policy::ApiKey(_) | Policy::Mtls(_) => {
                let (identity, scheme) = self
                    .authenticate(req.backend)
                    .await
                    .map_err(|e| denied_error(e, &[]))?;
                accept(req, self, identity, scheme);
            }
            Policy::Any(any) => {
                let (member, identity, scheme) = any.authenticate(all, req.backend).await?;
                accept(req, member, identity, scheme);
            }
            Policy::RateLimit(r) => {
                // A refusal is a 429 that carries the same RateLimit fields.
                let passed = r
                    .check(req.backend, req.identity.as_ref(), req.route)
                    .await?;
                req.response_headers.extend(passed.headers);
                req.warnings.extend(passed.failed_open);
            }
            // These work with the whole request and answer; the worker runs them from
            // `phases.rs`.
            Policy::Cache(_) | Policy::Cors(_) | Policy::Transform(_) => {}
            Policy::Require(r) => {
                if let Err(reason) = r.check(req.identity.as_ref()) {
                    let scheme = req.identity_scheme.unwrap_or(Scheme::Bearer);
                    let scope = r.scope_hint();
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
        &'static self,
        b: &B,
    ) -> Result<(Identity, Scheme), AuthError> {
        match self {
            Policy::Jwt(p) => p.authenticate(b).await.map(|i| (i, Scheme::Bearer)),
            Policy::ApiKey(p) => {
                let scheme = p.scheme();
                p.authenticate(b).await.map(|i| (i, scheme))
            }
            Policy::Mtls(p) => p
                .check(b.client_cert())
                .map(|i| (i, Scheme::ClientCertificate))
                .map_err(|d| AuthError::Denied(Scheme::ClientCertificate, d)),
            _ => Err(AuthError::Denied(Scheme::Bearer, Denied::Missing)),
        }
    }

    /// Whether this policy answers CORS preflights: a route with one is matched for an
    /// `OPTIONS` preflight by the method the browser asks for.
    pub fn answers_preflight(&self) -> bool {
        matches!(self, Policy::Cors(_))
    }

    /// The `forward` map of an authentication policy: (identity field, header).
    pub fn forward(&self) -> &'static [(&'static str, &'static str)] {
        match self {
            Policy::Jwt(p) => p.forward,
            Policy::ApiKey(p) => p.forward,
            Policy::Mtls(p) => p.forward,
            _ => &[],
        }
    }

    /// Calls `f` with every static string this policy sends to JS (header names and values).
    pub fn for_each_static_str(&self, f: &mut dyn FnMut(&'static str)) {
        match self {
            Policy::Headers(p) => {
                for edits in [&p.request, &p.response] {
                    edits.set.iter().for_each(|(k, v)| {
                        f(k);
                        f(v);
                    });
                    edits.remove.iter().for_each(|k| f(k));
                }
            }
            _ => self.forward().iter().for_each(|(_, h)| f(h)),
        }
    }

    /// Runs the outbound step on the response headers sent to the client.
    pub fn on_response<H: HeaderEdit>(&self, headers: &mut H) {
        if let Policy::Headers(p) = self {
            p.response.apply(headers)
        }
    }
}

/// Records the identity and sends its `forward` headers upstream.
fn accept<H: HeaderEdit, B>(
    req: &mut Inbound<'_, H, B>,
    policy: &Policy,
    identity: Identity,
    scheme: Scheme,
) {
    for (header, value) in identity.forward_headers(policy.forward()) {
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
