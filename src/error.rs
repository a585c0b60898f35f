//! [`GatewayError`]: every error the gateway itself answers, and the one place that turns it
//! into `application/problem+json` (RFC 9457).
//!
//! Origin responses, including origin 4xx/5xx, pass through untouched; only conditions the
//! gateway detects become problems.

use crate::auth::{Denied, Scheme};
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
    /// Every target of the upstream's pool has its circuit breaker open (and no fallback
    /// applies): 503 with `Retry-After`.
    UpstreamUnavailable {
        upstream: &'static str,
        retry_after_s: u64,
    },
    /// The runtime refused an operation that cannot fail for valid input (a bug).
    Internal { what: &'static str },
    /// A credential was missing or refused (401), or lacks what the route requires (403).
    /// `others` are further schemes the route accepts (challenged too).
    Unauthorized {
        scheme: Scheme,
        reason: Denied,
        others: Vec<Scheme>,
        /// Scopes to name in an `insufficient_scope` challenge.
        scope: Option<String>,
    },
    /// Credentials cannot be checked right now: the IdP's keys or the key store are out of
    /// reach and nothing usable is cached.
    AuthUnavailable { what: String },
    /// An authentication policy cannot work as deployed (a secret or binding is missing).
    AuthMisconfigured { detail: String },
    /// A rate limit refused the request. `headers` are the RateLimit fields to send.
    RateLimited {
        policy: &'static str,
        retry_after_s: u64,
        headers: Vec<(&'static str, String)>,
    },
    /// The limiter errored or timed out and the policy has `on_error = "deny"` (the default).
    RateLimitUnavailable { policy: &'static str, why: String },
    /// The admin endpoint was called without the right `ADMIN_TOKEN` bearer token.
    AdminUnauthorized,
    /// The admin endpoint could not use the request (bad JSON, unknown route, ...).
    BadAdminRequest { detail: String },
    /// The purge counters (CACHE_GENERATIONS) could not be updated.
    PurgeUnavailable { why: String },
    /// A browser request from an origin a `cors` policy with `reject = true` does not allow.
    CorsOriginRejected { origin: String },
    /// A request body larger than a limit that needs to read it (413).
    PayloadTooLarge { limit: u64 },
    /// A fan-out part failed (a required one, or any with `on_partial = "fail"`): 502 naming
    /// the part, never carrying the origin's body.
    AggregationFailed { part: &'static str, why: String },
    /// More request header fields than the route's `max_headers` (431).
    TooManyHeaders { count: usize, max: u32 },
    /// Request header fields larger in all than the gateway accepts (431); see
    /// [`crate::http::limits::MAX_HEADER_BYTES`].
    HeadersTooLarge { bytes: usize, max: usize },
    /// A request target (path and query) longer than the gateway accepts (414); see
    /// [`crate::http::limits::MAX_TARGET_BYTES`].
    UriTooLong { bytes: usize, max: usize },
    /// A request body whose media type the route does not accept (415).
    UnsupportedMediaType {
        got: Option<String>,
        accepted: &'static [&'static str],
    },
    /// A JSON request body a transform must edit is not valid JSON (400).
    InvalidBody { detail: String },
    /// The request body or query does not meet the route's JSON Schema (422); each failure
    /// as (JSON Pointer, message), listed in the problem's `errors` member.
    ValidationFailed {
        part: &'static str,
        failures: Vec<crate::validation::Failure>,
    },
    /// The origin's JSON answer could not be transformed (too large, not JSON): 502, never
    /// the unfiltered body.
    ResponseTransformFailed { detail: &'static str },
    /// The route's version is past its `sunset`. The lifecycle headers (`Sunset`, successor
    /// `Link`) are on the answer.
    ApiSunset {
        version: &'static str,
        sunset: &'static str,
        successor: Option<String>,
    },
    /// The request asked for a version (header or query) that does not exist.
    UnknownVersion {
        asked: String,
        known: &'static [&'static str],
    },
    /// A gRPC route's method answered a status other than OK: the HTTP status of its code
    /// (NOT_FOUND 404, INVALID_ARGUMENT 400, UNAVAILABLE 503, ...), with `grpc_code`,
    /// `grpc_status` and the server's message in the problem.
    GrpcStatus {
        code: u32,
        message: String,
        /// The status's `google.rpc.Status` details, as JSON (`grpc_details`).
        details: Vec<serde_json::Value>,
    },
    /// A gRPC route's upstream answered something that is not a gRPC answer (502).
    GrpcInvalidAnswer { detail: String },
    /// A route's stored GraphQL operation answered `errors`: the status of the first error's
    /// `extensions.code` (NOT_FOUND 404, UNAUTHENTICATED 401, ...; 502 otherwise), with the
    /// errors in the problem's `graphql_errors`.
    GraphqlErrors {
        status: u16,
        errors: Vec<serde_json::Value>,
    },
    /// A route's GraphQL upstream answered something that is not a GraphQL response (502).
    GraphqlInvalidAnswer { detail: String },
    /// A `graphql` policy refused the request: its GraphQL error code and message (written
    /// in GraphQL's shape, `crate::graphql::answer`).
    GraphqlRefused(crate::graphql::Refusal),
    /// An `llm` route refused the request before calling a provider (not OpenAI's request
    /// shape, an unknown alias, a model the consumer's plan may not use): its status and slug.
    LlmRefused {
        status: u16,
        slug: &'static str,
        detail: String,
    },
    /// Every provider of an `llm` alias failed before answering: 429 when each was rate
    /// limited (with the shortest `Retry-After` any gave), 504 when the last timed out, else
    /// 502. The providers' own bodies never reach the client.
    LlmUnavailable {
        status: u16,
        alias: &'static str,
        detail: String,
        retry_after_s: Option<u64>,
    },
}

impl From<crate::graphql::Refusal> for GatewayError {
    fn from(r: crate::graphql::Refusal) -> GatewayError {
        GatewayError::GraphqlRefused(r)
    }
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
            GatewayError::UpstreamUnavailable { .. } => 503,
            GatewayError::Unauthorized { scheme, reason, .. } => match (scheme, reason) {
                (_, Denied::InsufficientScope { .. }) => 403,
                (Scheme::ClientCertificate, _) => 403,
                _ => 401,
            },
            GatewayError::AuthUnavailable { .. } => 503,
            GatewayError::AuthMisconfigured { .. } => 500,
            GatewayError::RateLimited { .. } => 429,
            GatewayError::RateLimitUnavailable { .. } => 503,
            GatewayError::AdminUnauthorized => 401,
            GatewayError::BadAdminRequest { .. } => 400,
            GatewayError::PurgeUnavailable { .. } => 503,
            GatewayError::CorsOriginRejected { .. } => 403,
            GatewayError::PayloadTooLarge { .. } => 413,
            GatewayError::TooManyHeaders { .. } => 431,
            GatewayError::HeadersTooLarge { .. } => 431,
            GatewayError::UriTooLong { .. } => 414,
            GatewayError::AggregationFailed { .. } => 502,
            GatewayError::UnsupportedMediaType { .. } => 415,
            GatewayError::InvalidBody { .. } => 400,
            GatewayError::ValidationFailed { .. } => 422,
            GatewayError::ResponseTransformFailed { .. } => 502,
            GatewayError::ApiSunset { .. } => 410,
            GatewayError::UnknownVersion { .. } => 400,
            GatewayError::GrpcStatus { code, .. } => crate::grpc::status::http_status(*code),
            GatewayError::GrpcInvalidAnswer { .. } => 502,
            GatewayError::GraphqlRefused(r) => r.status,
            GatewayError::GraphqlErrors { status, .. } => *status,
            GatewayError::GraphqlInvalidAnswer { .. } => 502,
            GatewayError::LlmRefused { status, .. }
            | GatewayError::LlmUnavailable { status, .. } => *status,
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
            GatewayError::UpstreamUnavailable { .. } => "upstream-unavailable",
            GatewayError::Internal { .. } => "internal",
            GatewayError::Unauthorized { .. } if self.status() == 403 => "forbidden",
            GatewayError::Unauthorized { .. } => "unauthorized",
            GatewayError::AuthUnavailable { .. } => "auth-unavailable",
            GatewayError::AuthMisconfigured { .. } => "auth-misconfigured",
            GatewayError::RateLimited { .. } => "rate-limited",
            GatewayError::RateLimitUnavailable { .. } => "rate-limit-unavailable",
            GatewayError::AdminUnauthorized => "admin-unauthorized",
            GatewayError::BadAdminRequest { .. } => "bad-admin-request",
            GatewayError::PurgeUnavailable { .. } => "purge-unavailable",
            GatewayError::CorsOriginRejected { .. } => "cors-origin-rejected",
            GatewayError::PayloadTooLarge { .. } => "payload-too-large",
            GatewayError::TooManyHeaders { .. } => "request-header-fields-too-large",
            GatewayError::HeadersTooLarge { .. } => "request-headers-too-large",
            GatewayError::UriTooLong { .. } => "uri-too-long",
            GatewayError::AggregationFailed { .. } => "aggregation-failed",
            GatewayError::UnsupportedMediaType { .. } => "unsupported-media-type",
            GatewayError::InvalidBody { .. } => "invalid-body",
            GatewayError::ValidationFailed { .. } => "validation-failed",
            GatewayError::ResponseTransformFailed { .. } => "response-transform-failed",
            GatewayError::ApiSunset { .. } => "api-sunset",
            GatewayError::UnknownVersion { .. } => "unknown-version",
            GatewayError::GrpcStatus { .. } => "grpc-status",
            GatewayError::GrpcInvalidAnswer { .. } => "grpc-invalid-answer",
            GatewayError::GraphqlRefused(_) => "graphql-refused",
            GatewayError::GraphqlErrors { .. } => "graphql-errors",
            GatewayError::GraphqlInvalidAnswer { .. } => "graphql-invalid-answer",
            GatewayError::LlmRefused { slug, .. } => slug,
            GatewayError::LlmUnavailable { .. } => "llm-unavailable",
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
            GatewayError::UpstreamUnavailable { .. } => "Upstream unavailable",
            GatewayError::Internal { .. } => "Internal gateway error",
            GatewayError::Unauthorized { .. } if self.status() == 403 => "Forbidden",
            GatewayError::Unauthorized { .. } => "Unauthorized",
            GatewayError::AuthUnavailable { .. } => "Authentication unavailable",
            GatewayError::AuthMisconfigured { .. } => "Gateway misconfigured",
            GatewayError::RateLimited { .. } => "Too many requests",
            GatewayError::RateLimitUnavailable { .. } => "Rate limiter unavailable",
            GatewayError::AdminUnauthorized => "Unauthorized",
            GatewayError::BadAdminRequest { .. } => "Bad admin request",
            GatewayError::PurgeUnavailable { .. } => "Purge unavailable",
            GatewayError::CorsOriginRejected { .. } => "Origin not allowed",
            GatewayError::PayloadTooLarge { .. } => "Payload too large",
            GatewayError::TooManyHeaders { .. } => "Request header fields too large",
            GatewayError::HeadersTooLarge { .. } => "Request headers too large",
            GatewayError::UriTooLong { .. } => "URI too long",
            GatewayError::AggregationFailed { .. } => "Aggregation failed",
            GatewayError::UnsupportedMediaType { .. } => "Unsupported media type",
            GatewayError::InvalidBody { .. } => "Invalid request body",
            GatewayError::ValidationFailed { .. } => "Validation failed",
            GatewayError::ResponseTransformFailed { .. } => "Response transform failed",
            GatewayError::ApiSunset { .. } => "API version retired",
            GatewayError::UnknownVersion { .. } => "Unknown API version",
            GatewayError::GrpcStatus { .. } => "The gRPC method failed",
            GatewayError::GrpcInvalidAnswer { .. } => "Invalid gRPC answer",
            GatewayError::GraphqlRefused(_) => "GraphQL request refused",
            GatewayError::GraphqlErrors { .. } => "The GraphQL operation failed",
            GatewayError::GraphqlInvalidAnswer { .. } => "Invalid GraphQL answer",
            GatewayError::LlmRefused { .. } => "LLM request refused",
            GatewayError::LlmUnavailable { .. } => "No LLM provider answered",
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
            GatewayError::UpstreamUnavailable {
                upstream,
                retry_after_s,
            } => format!(
                "every target of upstream \"{upstream}\" is failing and is not being sent requests; retry in {retry_after_s} s"
            ),
            GatewayError::Internal { what } => format!("the gateway could not {what}"),
            GatewayError::Unauthorized { reason, .. } => reason.describe(),
            GatewayError::AuthUnavailable { what } => what.clone(),
            GatewayError::AuthMisconfigured { detail } => detail.clone(),
            GatewayError::RateLimited {
                policy,
                retry_after_s,
                ..
            } => {
                format!("rate limit \"{policy}\" exceeded; retry in {retry_after_s} s")
            }
            GatewayError::RateLimitUnavailable { policy, .. } => {
                format!("rate limit \"{policy}\" could not be checked: the limiter failed or did not answer in time")
            }
            GatewayError::AdminUnauthorized => {
                "the admin endpoint needs `Authorization: Bearer <ADMIN_TOKEN>`".into()
            }
            GatewayError::BadAdminRequest { detail } => detail.clone(),
            GatewayError::ApiSunset {
                version,
                sunset,
                successor,
            } => match successor {
                Some(next) => format!("API version {version} was retired on {sunset}; use {next}"),
                None => format!("API version {version} was retired on {sunset}"),
            },
            GatewayError::UnknownVersion { asked, known } => format!(
                "there is no API version {asked:?}; known versions: {}",
                known.join(", ")
            ),
            GatewayError::PayloadTooLarge { limit } => {
                format!("the request body is larger than {limit} bytes")
            }
            GatewayError::InvalidBody { detail } => format!("the JSON body is invalid: {detail}"),
            GatewayError::ValidationFailed { part, failures } => format!(
                "the request {part} does not match its schema ({} failure{})",
                failures.len(),
                if failures.len() == 1 { "" } else { "s" }
            ),
            GatewayError::AggregationFailed { part, why } => {
                format!("part \"{part}\" failed ({why})")
            }
            GatewayError::TooManyHeaders { count, max } => {
                format!("the request has {count} header fields; this route accepts at most {max}")
            }
            GatewayError::HeadersTooLarge { bytes, max } => {
                format!("the request's header fields are {bytes} bytes in all; the gateway accepts at most {max}")
            }
            GatewayError::UriTooLong { bytes, max } => {
                format!("the request's path and query are {bytes} bytes; the gateway accepts at most {max}")
            }
            GatewayError::UnsupportedMediaType { got, accepted } => {
                let shown: String = got
                    .as_deref()
                    .unwrap_or("none")
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .take(100)
                    .collect();
                format!(
                    "the request body's media type {shown:?} is not accepted; send one of: {}",
                    accepted.join(", ")
                )
            }
            GatewayError::ResponseTransformFailed { detail } => {
                format!("the upstream's answer could not be transformed: {detail}")
            }
            GatewayError::CorsOriginRejected { origin } => {
                let shown: String = origin
                    .chars()
                    .filter(char::is_ascii_graphic)
                    .take(100)
                    .collect();
                format!("pages from the origin {shown:?} may not call this API")
            }
            GatewayError::PurgeUnavailable { why } => {
                format!("the purge counters could not be updated ({why})")
            }
            GatewayError::GrpcStatus { code, message, .. } if message.is_empty() => {
                format!("the method answered {}", crate::grpc::status::name(*code))
            }
            GatewayError::GrpcStatus { code, message, .. } => {
                format!("the method answered {}: {message}", crate::grpc::status::name(*code))
            }
            GatewayError::GrpcInvalidAnswer { detail } => {
                format!("the upstream's answer is not a gRPC answer: {detail}")
            }
            GatewayError::GraphqlRefused(r) => r.message.clone(),
            GatewayError::GraphqlErrors { errors, .. } => {
                let first = errors
                    .first()
                    .and_then(|e| e["message"].as_str())
                    .unwrap_or("no message");
                format!("the operation answered errors: {first}")
            }
            GatewayError::GraphqlInvalidAnswer { detail } => {
                format!("the upstream's answer is not a GraphQL response: {detail}")
            }
            GatewayError::LlmRefused { detail, .. } => detail.clone(),
            GatewayError::LlmUnavailable { alias, detail, .. } => {
                format!("no provider of model \"{alias}\" answered: {detail}")
            }
        }
    }

    /// Extra response headers the problem carries: `Allow` for 405, `WWW-Authenticate` for
    /// refused credentials (RFC 6750 for bearer tokens), `Retry-After` for 503.
    pub fn headers(&self) -> Vec<(&'static str, String)> {
        match self {
            GatewayError::MethodNotAllowed { allow } => vec![("allow", allow.clone())],
            GatewayError::GraphqlRefused(r) if r.status == 405 => {
                vec![("allow", "GET, HEAD, POST".into())]
            }
            GatewayError::Unauthorized {
                scheme,
                reason,
                others,
                scope,
            } => {
                let challenges: Vec<String> =
                    std::iter::once(challenge(*scheme, Some(reason), scope.as_deref()))
                        .chain(others.iter().map(|s| challenge(*s, None, None)))
                        .filter(|c| !c.is_empty())
                        .collect();
                if challenges.is_empty() {
                    Vec::new()
                } else {
                    vec![("www-authenticate", challenges.join(", "))]
                }
            }
            GatewayError::AuthUnavailable { .. } => vec![("retry-after", "30".into())],
            GatewayError::LlmUnavailable {
                retry_after_s: Some(s),
                ..
            } => vec![("retry-after", s.to_string())],
            GatewayError::UpstreamUnavailable { retry_after_s, .. } => {
                vec![("retry-after", retry_after_s.to_string())]
            }
            GatewayError::RateLimited {
                retry_after_s,
                headers,
                ..
            } => {
                let mut h = headers.clone();
                h.push(("retry-after", retry_after_s.to_string()));
                h
            }
            GatewayError::RateLimitUnavailable { .. } | GatewayError::PurgeUnavailable { .. } => {
                vec![("retry-after", "5".into())]
            }
            GatewayError::AdminUnauthorized => {
                vec![(
                    "www-authenticate",
                    "Bearer realm=\"gatehouse-admin\"".into(),
                )]
            }
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
            #[serde(skip_serializing_if = "Option::is_none")]
            errors: Option<Vec<Invalid<'a>>>,
            /// On `grpc-status` problems: the gRPC code and its name.
            #[serde(skip_serializing_if = "Option::is_none")]
            grpc_code: Option<u32>,
            #[serde(skip_serializing_if = "Option::is_none")]
            grpc_status: Option<&'static str>,
            /// On `grpc-status` problems with `google.rpc.Status` details: each as an Any.
            #[serde(skip_serializing_if = "Option::is_none")]
            grpc_details: Option<&'a [serde_json::Value]>,
            /// On `graphql-errors` problems: the operation's errors, as the origin gave them.
            #[serde(skip_serializing_if = "Option::is_none")]
            graphql_errors: Option<&'a [serde_json::Value]>,
            /// On `llm` and `rate-limited` problems: the same in OpenAI's error shape, which
            /// OpenAI's clients read (a token limit answers them too).
            #[serde(skip_serializing_if = "Option::is_none")]
            error: Option<OpenAiError>,
        }
        /// OpenAI's `{"error": {"message", "type", "code"}}`.
        #[derive(Serialize)]
        struct OpenAiError {
            message: String,
            r#type: &'static str,
            code: &'static str,
        }
        /// One validation failure (RFC 9457 extension member `errors`).
        #[derive(Serialize)]
        struct Invalid<'a> {
            pointer: &'a str,
            detail: &'a str,
        }
        let errors = match self {
            GatewayError::ValidationFailed { failures, .. } => Some(
                failures
                    .iter()
                    .map(|f| Invalid {
                        pointer: &f.pointer,
                        detail: &f.message,
                    })
                    .collect(),
            ),
            _ => None,
        };
        let grpc_code = match self {
            GatewayError::GrpcStatus { code, .. } => Some(*code),
            _ => None,
        };
        let graphql_errors = match self {
            GatewayError::GraphqlErrors { errors, .. } => Some(errors.as_slice()),
            _ => None,
        };
        let grpc_details = match self {
            GatewayError::GrpcStatus { details, .. } if !details.is_empty() => {
                Some(details.as_slice())
            }
            _ => None,
        };
        let error = match self {
            GatewayError::LlmRefused { .. }
            | GatewayError::LlmUnavailable { .. }
            | GatewayError::RateLimited { .. } => Some(OpenAiError {
                message: self.detail(),
                r#type: match self.status() {
                    429 => "rate_limit_error",
                    403 => "permission_error",
                    s if s >= 500 => "api_error",
                    _ => "invalid_request_error",
                },
                code: self.slug(),
            }),
            _ => None,
        };
        let p = Problem {
            error,
            errors,
            grpc_code,
            grpc_details,
            graphql_errors,
            grpc_status: grpc_code.map(crate::grpc::status::name),
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

/// One `WWW-Authenticate` challenge; empty for client certificates (no HTTP challenge).
fn challenge(scheme: Scheme, reason: Option<&Denied>, scope: Option<&str>) -> String {
    let mut c = match scheme {
        Scheme::Bearer => r#"Bearer realm="gatehouse""#.to_string(),
        Scheme::ApiKeyHeader(h) => format!(r#"ApiKey realm="gatehouse", header="{h}""#),
        Scheme::ApiKeyQuery(q) => format!(r#"ApiKey realm="gatehouse", query="{q}""#),
        Scheme::ClientCertificate => return String::new(),
    };
    if let (Scheme::Bearer, Some(reason)) = (scheme, reason) {
        if let Some(code) = reason.bearer_error() {
            // describe() never contains a double quote or a backslash.
            c.push_str(&format!(
                r#", error="{code}", error_description="{}""#,
                reason.describe().replace(['"', '\\'], "'")
            ));
        }
        if let Some(scope) = scope {
            c.push_str(&format!(r#", scope="{scope}""#));
        }
    }
    c
}

/// Problem `type` URIs are `urn:gatehouse:problem:<slug>`; docs/src/reference/errors.md lists every slug.
pub const PROBLEM_TYPE_BASE: &str = "urn:gatehouse:problem:";

/// The media type of every gateway error.
pub const PROBLEM_CONTENT_TYPE: &str = "application/problem+json";

impl From<crate::http::limits::Exceeded> for GatewayError {
    fn from(e: crate::http::limits::Exceeded) -> GatewayError {
        use crate::http::limits::Exceeded;
        match e {
            Exceeded::TooManyHeaders { count, max } => GatewayError::TooManyHeaders { count, max },
            Exceeded::HeadersTooLarge { bytes, max } => {
                GatewayError::HeadersTooLarge { bytes, max }
            }
            Exceeded::UriTooLong { bytes, max } => GatewayError::UriTooLong { bytes, max },
            Exceeded::UnsupportedMediaType { got, accepted } => {
                GatewayError::UnsupportedMediaType { got, accepted }
            }
            Exceeded::PayloadTooLarge { limit } => GatewayError::PayloadTooLarge { limit },
        }
    }
}

impl From<crate::auth::backend::BackendError> for GatewayError {
    fn from(e: crate::auth::backend::BackendError) -> GatewayError {
        use crate::auth::backend::BackendError;
        match e {
            BackendError::Unavailable { what } => GatewayError::AuthUnavailable { what },
            BackendError::Misconfigured { detail } => GatewayError::AuthMisconfigured { detail },
        }
    }
}
