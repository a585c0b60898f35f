//! Policies: named, reusable steps a route runs around its upstream call.
//!
//! Inbound steps run in route order (the gateway's `default_policies` first) and may answer
//! the request themselves with [`Flow::Respond`]; outbound steps run in reverse order on the
//! origin's response. Each `kind` in routes/ is one module here and one variant of [`Policy`].

pub mod headers;

use crate::error::GatewayError;
use crate::http::HeaderEdit;

/// What an inbound step decided.
pub enum Flow<R> {
    /// Go on to the next policy, then the upstream.
    Continue,
    /// Answer with this response; later policies and the upstream are skipped.
    Respond(R),
}

/// A compiled policy. The config key `kind = "<name>"` selects the variant.
#[derive(Debug)]
pub enum Policy {
    /// `kind = "headers"`.
    Headers(headers::Headers),
}

/// The request on its way upstream, as policies see it.
pub struct Inbound<'a, H> {
    /// Headers that will be sent to the origin (already cleaned of hop-by-hop and
    /// gateway-owned headers).
    pub upstream_headers: &'a mut H,
}

impl Policy {
    /// Runs the inbound step. Errors become problem+json responses.
    pub async fn on_request<H: HeaderEdit, R>(
        &self,
        req: &mut Inbound<'_, H>,
    ) -> Result<Flow<R>, GatewayError> {
        match self {
            Policy::Headers(p) => {
                p.request.apply(req.upstream_headers);
                Ok(Flow::Continue)
            }
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
        }
    }

    /// Runs the outbound step on the response headers sent to the client.
    pub fn on_response<H: HeaderEdit>(&self, headers: &mut H) {
        match self {
            Policy::Headers(p) => p.response.apply(headers),
        }
    }
}
