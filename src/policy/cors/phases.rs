//! The `cors` policy's phases in the worker (wasm only); the rules are [`super::Cors`]'s.
//! - `on_request`: a routed preflight is answered 204 (its grant added in `on_response`), and
//!   a disallowed origin is refused when `reject`;
//! - `on_response`: on every answer of the route, `Vary: Origin` and the grant.

use super::{Cors, CorsRequest};
use crate::error::GatewayError;
use crate::exchange::WorkerExchange;
use crate::pipeline::Flow;
use crate::policy::cors;
use crate::runtime::answer::Answer;
use web_sys::Headers;

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
pub fn on_request(c: &Cors, x: &mut WorkerExchange<'_>) -> Result<Flow<Answer>, GatewayError> {
    let facts = CorsFacts::of(x);
    let request = facts.request();
    if let (CorsRequest::Actual { origin } | CorsRequest::Preflight { origin, .. }, true) =
        (request, c.reject)
    {
        if !cors::allows_origin(c, origin) {
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
pub fn on_response(c: &Cors, x: &mut WorkerExchange<'_>, answer: &mut Answer) {
    let facts = CorsFacts::of(x);
    let request = facts.request();
    let granted = match request {
        CorsRequest::Preflight {
            origin,
            method,
            headers,
        } => cors::grants_preflight(
            c,
            origin,
            method,
            headers,
            x.route.map_or(&[][..], |r| r.methods),
        ),
        _ => true,
    };
    cors::apply(c, &mut answer.headers, request, granted);
}
