//! [`GatewayError`]: every error the gateway itself answers, and the one place that turns it
//! into `application/problem+json` (RFC 9457).
//!
//! Origin responses, including origin 4xx/5xx, pass through untouched; only conditions the
//! gateway detects become problems.

use crate::route::PathError;
use serde::Serialize;

/// A condition the gateway answers itself. Variants are named for the condition.
#[non_exhaustive]
#[derive(Debug, Clone, PartialEq)]
pub enum GatewayError {
    /// The request path cannot be normalised safely (encoded slash, backslash, ...).
    BadPath(PathError),
    /// No route has this path (for this host).
    RouteNotFound,
    /// A route has this path, but not this method. `allow` lists the methods that are served.
    MethodNotAllowed { allow: String },
    /// An upstream URL uses `${name}` and the worker has no such var or secret.
    MissingVariable { name: &'static str },
    /// An upstream URL assembled from vars is not a valid http(s) base URL.
    InvalidUpstreamUrl {
        upstream: &'static str,
        reason: String,
    },
    /// The origin could not be reached (connection refused, DNS, TLS, reset).
    UpstreamUnreachable { upstream: &'static str },
    /// The origin did not send response headers within the upstream's timeout.
    UpstreamTimeout {
        upstream: &'static str,
        timeout_ms: u32,
    },
    /// The runtime refused an operation that cannot fail for valid input (a bug).
    Internal { what: &'static str },
}

impl GatewayError {
    pub fn status(&self) -> u16 {
        match self {
            GatewayError::BadPath(_) => 400,
            GatewayError::RouteNotFound => 404,
            GatewayError::MethodNotAllowed { .. } => 405,
            GatewayError::MissingVariable { .. }
            | GatewayError::InvalidUpstreamUrl { .. }
            | GatewayError::Internal { .. } => 500,
            GatewayError::UpstreamUnreachable { .. } => 502,
            GatewayError::UpstreamTimeout { .. } => 504,
        }
    }

    /// Stable short name: the end of the problem `type` and the access log's `error` field.
    pub fn slug(&self) -> &'static str {
        match self {
            GatewayError::BadPath(_) => "bad-path",
            GatewayError::RouteNotFound => "route-not-found",
            GatewayError::MethodNotAllowed { .. } => "method-not-allowed",
            GatewayError::MissingVariable { .. } => "missing-variable",
            GatewayError::InvalidUpstreamUrl { .. } => "invalid-upstream-url",
            GatewayError::UpstreamUnreachable { .. } => "upstream-unreachable",
            GatewayError::UpstreamTimeout { .. } => "upstream-timeout",
            GatewayError::Internal { .. } => "internal",
        }
    }

    pub fn title(&self) -> &'static str {
        match self {
            GatewayError::BadPath(_) => "Bad request path",
            GatewayError::RouteNotFound => "Route not found",
            GatewayError::MethodNotAllowed { .. } => "Method not allowed",
            GatewayError::MissingVariable { .. } => "Gateway misconfigured",
            GatewayError::InvalidUpstreamUrl { .. } => "Gateway misconfigured",
            GatewayError::UpstreamUnreachable { .. } => "Upstream unreachable",
            GatewayError::UpstreamTimeout { .. } => "Upstream timed out",
            GatewayError::Internal { .. } => "Internal gateway error",
        }
    }

    pub fn detail(&self) -> String {
        match self {
            GatewayError::BadPath(e) => e.describe().to_string(),
            GatewayError::RouteNotFound => "no route matches this path".into(),
            GatewayError::MethodNotAllowed { allow } => format!("this route serves {allow}"),
            GatewayError::MissingVariable { name } => {
                format!("variable {name} is not set (add it to wrangler.toml [vars] or with `wrangler secret put {name}`)")
            }
            GatewayError::InvalidUpstreamUrl { upstream, reason } => {
                format!("upstream \"{upstream}\": {reason}")
            }
            GatewayError::UpstreamUnreachable { upstream } => {
                format!("upstream \"{upstream}\" could not be reached")
            }
            GatewayError::UpstreamTimeout {
                upstream,
                timeout_ms,
            } => {
                format!("upstream \"{upstream}\" did not answer within {timeout_ms} ms")
            }
            GatewayError::Internal { what } => format!("the gateway could not {what}"),
        }
    }

    /// Extra response headers the problem carries (`Allow` for 405).
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            GatewayError::MethodNotAllowed { allow } => vec![("allow", allow.clone())],
            _ => Vec::new(),
        }
    }

    /// The RFC 9457 body. `instance` is the request path as received.
    pub fn to_problem(&self, instance: &str, request_id: &str) -> String {
        #[derive(Serialize)]
        struct Problem<'a> {
            r#type: String,
            title: &'a str,
            status: u16,
            detail: String,
            instance: &'a str,
            request_id: &'a str,
        }
        let p = Problem {
            r#type: format!("{PROBLEM_TYPE_BASE}{}", self.slug()),
            title: self.title(),
            status: self.status(),
            detail: self.detail(),
            instance,
            request_id,
        };
        serde_json::to_string(&p).unwrap_or_default()
    }
}

/// Problem `type` URIs are `urn:gatehouse:problem:<slug>`; README lists every slug.
pub const PROBLEM_TYPE_BASE: &str = "urn:gatehouse:problem:";

/// The media type of every gateway error.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";
