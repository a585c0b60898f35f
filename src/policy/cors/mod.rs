//! `kind = "cors"`: cross-origin requests from browsers, answered at the edge.
//!
//! ```toml
//! [policies.web-cors]
//! kind = "cors"
//! origins = ["https://app.example.com", "https://*.example.com"]
//! methods = ["GET", "PUT"]              # default: every method of the matched route
//! allow_headers = ["authorization", "content-type", "x-client"]
//! expose_headers = ["x-request-id", "ratelimit"]
//! credentials = true
//! max_age = "10m"
//! ```
//!
//! Contract:
//! - A preflight (`OPTIONS` with `Origin` and `Access-Control-Request-Method`) on a route with
//!   a CORS policy is answered 204 by the gateway, before authentication and rate limits (the
//!   build requires the policy to come before them) and without reaching the origin. The route
//!   is matched with the requested method, so it need not list `OPTIONS`. A preflight from an
//!   origin, or for a method or header, that is not allowed gets a 204 with no grant.
//! - Every answer on the route, problems included, carries `Vary: Origin`; an allowed origin
//!   also gets `Access-Control-Allow-Origin` (its own origin, or `*` when `origins = ["*"]`
//!   and no credentials), `Access-Control-Allow-Credentials: true` when `credentials`, and
//!   `Access-Control-Expose-Headers`. The origin server's own `Access-Control-*` headers are
//!   removed: the policy is the one authority, and a cached answer is never served with
//!   another origin's grant.
//! - A disallowed origin gets no CORS headers (the browser blocks the response), or a 403
//!   `cors-origin-rejected` problem with `reject = true`.
#[cfg(target_arch = "wasm32")]
pub mod phases;

use crate::http::method::Method;
use crate::http::{origin_syntax, HeaderEdit};

pub use gatehouse_config::kinds::cors::{Cors, OriginRule};

/// Headers the gateway owns on a CORS route; the origin server's copies are removed.
pub const CORS_RESPONSE_HEADERS: &[&str] = &[
    "access-control-allow-origin",
    "access-control-allow-credentials",
    "access-control-allow-methods",
    "access-control-allow-headers",
    "access-control-expose-headers",
    "access-control-max-age",
];

/// What the request is, as CORS sees it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CorsRequest<'a> {
    /// No `Origin` header: not a cross-origin browser request.
    NoOrigin,
    /// A preflight: `OPTIONS` with `Origin` and `Access-Control-Request-Method`.
    Preflight {
        origin: &'a str,
        method: &'a str,
        headers: Option<&'a str>,
    },
    /// Any other request with an `Origin`.
    Actual { origin: &'a str },
}

impl<'a> CorsRequest<'a> {
    /// Classifies a request from its method and headers.
    pub fn classify(
        method: &str,
        origin: Option<&'a str>,
        request_method: Option<&'a str>,
        request_headers: Option<&'a str>,
    ) -> CorsRequest<'a> {
        match (origin, request_method) {
            (None, _) => CorsRequest::NoOrigin,
            (Some(origin), Some(m)) if method == "OPTIONS" => CorsRequest::Preflight {
                origin,
                method: m,
                headers: request_headers,
            },
            (Some(origin), _) => CorsRequest::Actual { origin },
        }
    }

    pub fn is_preflight(&self) -> bool {
        matches!(self, CorsRequest::Preflight { .. })
    }
}

/// Whether `origin` (the `Origin` header as sent) is allowed.
pub fn allows_origin(cors: &Cors, origin: &str) -> bool {
    cors.origins.iter().any(|rule| matches(*rule, origin))
}

/// Whether a preflight may be granted: origin, method (one the route serves, and listed
/// in `methods` when set) and every requested header allowed.
pub fn grants_preflight(
    cors: &Cors,
    origin: &str,
    method: &str,
    headers: Option<&str>,
    route_methods: &[Method],
) -> bool {
    let Some(m) = crate::http::method::parse(method) else {
        return false;
    };
    let method_ok = route_methods.contains(&m)
        && (cors.methods.is_empty() || cors.methods.contains(&m) || simple(m));
    let headers_ok = headers
        .unwrap_or("")
        .split(',')
        .map(str::trim)
        .all(|h| h.is_empty() || cors.allow_headers.iter().any(|a| a.eq_ignore_ascii_case(h)));
    allows_origin(cors, origin) && method_ok && headers_ok
}

/// The headers a preflight grant adds (besides the ones every answer gets):
/// `Access-Control-Allow-Methods`, `-Allow-Headers` and `-Max-Age`.
pub fn preflight_headers(
    cors: &Cors,
    method: &str,
    headers: Option<&str>,
) -> Vec<(&'static str, String)> {
    let mut out = vec![("access-control-allow-methods", method.to_string())];
    if let Some(h) = headers.filter(|h| !h.trim().is_empty()) {
        out.push(("access-control-allow-headers", h.to_ascii_lowercase()));
    }
    out.push(("access-control-max-age", cors.max_age_s.to_string()));
    out
}

/// The grant for an allowed origin: `Access-Control-Allow-Origin`, `-Allow-Credentials`
/// and (on actual requests) `-Expose-Headers`. Empty for a disallowed origin.
pub fn grant_headers(cors: &Cors, origin: &str, preflight: bool) -> Vec<(&'static str, String)> {
    if !allows_origin(cors, origin) {
        return Vec::new();
    }
    let any = !cors.credentials && cors.origins.contains(&OriginRule::Any);
    let mut out = vec![(
        "access-control-allow-origin",
        if any {
            "*".to_string()
        } else {
            origin.to_string()
        },
    )];
    if cors.credentials {
        out.push(("access-control-allow-credentials", "true".to_string()));
    }
    if !preflight && !cors.expose_headers.is_empty() {
        out.push((
            "access-control-expose-headers",
            cors.expose_headers.join(", "),
        ));
    }
    out
}

/// Edits an answer's headers for `request`: the origin server's CORS headers go,
/// `Vary: Origin` is added, and the grant when there is one (with the preflight headers
/// for a preflight). `granted` is false for a preflight that was refused (it gets no grant
/// at all).
pub fn apply<H: HeaderEdit>(cors: &Cors, h: &mut H, request: CorsRequest, granted: bool) {
    h.remove_all(CORS_RESPONSE_HEADERS);
    add_vary(h, "Origin");
    let (origin, preflight) = match request {
        CorsRequest::NoOrigin => return,
        CorsRequest::Preflight { origin, .. } => {
            add_vary(h, "Access-Control-Request-Method");
            add_vary(h, "Access-Control-Request-Headers");
            (origin, true)
        }
        CorsRequest::Actual { origin } => (origin, false),
    };
    if !granted {
        return;
    }
    let grant = grant_headers(cors, origin, preflight);
    if grant.is_empty() {
        return;
    }
    for (name, value) in grant {
        h.set(name, &value);
    }
    if let CorsRequest::Preflight {
        method, headers, ..
    } = request
    {
        for (name, value) in preflight_headers(cors, method, headers) {
            h.set(name, &value);
        }
    }
}

/// GET, HEAD and POST need no listing in `methods` (browsers send them without asking when
/// the headers are simple; a preflight for them is granted like any other).
fn simple(m: Method) -> bool {
    matches!(m, Method::Get | Method::Head | Method::Post)
}

/// Adds `token` to `Vary` unless it is listed already (or `Vary: *`).
fn add_vary<H: HeaderEdit>(h: &mut H, token: &str) {
    match h.get("vary") {
        None => h.set("vary", token),
        Some(v) => {
            let listed = v
                .split(',')
                .map(str::trim)
                .any(|t| t == "*" || t.eq_ignore_ascii_case(token));
            if !listed {
                h.set("vary", &format!("{v}, {token}"));
            }
        }
    }
}

/// Whether `origin` (as sent) matches `rule`. An origin is `scheme "://" host [":" port]`,
/// compared in lower case; anything else (a path, user info, `null`) never matches.
fn matches(rule: OriginRule, origin: &str) -> bool {
    let origin = origin.to_ascii_lowercase();
    let Some((scheme, host, port)) = origin_syntax::split(&origin) else {
        return false;
    };
    match rule {
        OriginRule::Any => true,
        OriginRule::Exact(o) => o == origin,
        OriginRule::Subdomain {
            scheme: s,
            domain,
            port: p,
        } => {
            let sub = host
                .strip_suffix(domain)
                .and_then(|head| head.strip_suffix('.'));
            s == scheme && p == port && sub.is_some_and(|labels| !labels.is_empty())
        }
    }
}
