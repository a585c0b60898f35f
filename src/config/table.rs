//! The compiled configuration: static tables that `build.rs` generates from routes/.
//! Nothing here is parsed at runtime; the types only hold `&'static` data.

pub use crate::aggregate::merge::Shape;
pub use crate::aggregate::settings::{FanOut, Part};
pub use crate::aggregate::template::Piece;
pub use crate::http::limits::Limits;
pub use crate::http::method::Method;
pub use crate::http::url::UrlPart;
use crate::policy::Policy;
use crate::route::lifecycle::{Lifecycle, Versioning};
pub use crate::route::rewrite::RewritePart;
pub use crate::upstream::breaker::BreakerSettings;
pub use crate::upstream::canary::{Canary, Sticky};
pub use crate::upstream::retry::{FailureSet, RetrySettings};
pub use crate::upstream::settings::{
    Balance, Fallback, HashOn, Mirror, Target, TargetAddr, Upstream,
};
pub use std::borrow::Cow;

/// One `match` condition of a route: a request header (lower-case name) or query parameter
/// (raw, as sent) with exactly this value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Condition {
    Header(&'static str, &'static str),
    Query(&'static str, &'static str),
}

/// One `[[route]]`.
#[derive(Debug)]
pub struct Route {
    pub id: &'static str,
    /// Public path with the version prefix, in matchit syntax.
    pub path: &'static str,
    /// Methods served; `GET` routes include `HEAD`.
    pub methods: &'static [Method],
    /// Lower-case host name the request's Host must equal; `None` matches any host.
    pub host: Option<&'static str>,
    /// Index into [`Table::upstreams`].
    pub upstream: u16,
    /// Path sent upstream; `None` sends the public path unchanged.
    pub rewrite: Option<&'static [RewritePart]>,
    /// Indices into [`Table::policies`]: the gateway's default policies, then the route's own.
    pub policies: &'static [u16],
    /// Keep `Upgrade`/`Connection` so WebSocket handshakes reach the origin.
    pub websocket: bool,
    /// Forward double-encoded escapes (`%252e`) instead of refusing them with 400 `bad-path`.
    pub allow_double_encoding: bool,
    /// The upstream's retries apply to non-idempotent methods (POST, PATCH) too.
    pub retry_unsafe: bool,
    /// `match = { headers, query }`: the request must carry all of these to take this route.
    pub conditions: &'static [Condition],
    /// Request limits (`[gateway] limits` with the route's own over them).
    pub limits: Limits,
    /// Parts called instead of one upstream (`upstream` is then the first part's, for logs).
    pub fan_out: Option<&'static FanOut>,
    /// Version, deprecation and sunset.
    pub lifecycle: &'static Lifecycle,
    /// Indices into [`Table::schemas`]: the request body's and the query's schemas.
    pub body_schema: Option<u16>,
    pub query_schema: Option<u16>,
    /// `log` over `[gateway] log`.
    pub log: Option<crate::metrics::LogMode>,
}

impl Route {
    pub fn serves(&self, method: Method) -> bool {
        self.methods.contains(&method)
    }
}

/// Routes sharing one public path (they differ by method or host).
#[derive(Debug)]
pub struct PathGroup {
    pub path: &'static str,
    /// Indices into [`Table::routes`]; host-specific routes come first, then those with more
    /// `match` conditions.
    pub routes: &'static [u16],
}

/// Everything routes/ compiled to.
#[derive(Debug)]
pub struct Table {
    pub upstreams: &'static [Upstream],
    pub policies: &'static [Policy],
    pub routes: &'static [Route],
    pub paths: &'static [PathGroup],
    /// Headers authentication policies set (`forward`); stripped from every upstream request.
    pub identity_headers: &'static [&'static str],
    /// Version folders of routes/ (`v1`, `v2`).
    pub versions: &'static [&'static str],
    /// `[gateway] versioning`: how unprefixed paths pick a version.
    pub versioning: Option<Versioning>,
    /// Compiled request schemas (`body_schema`, `query_schema`); routes index into it.
    pub schemas: &'static [crate::validation::Schema],
    /// OpenAPI documents and the developer portal.
    pub docs: Docs,
    /// `[gateway] log`: which requests get an access-log line (routes may say otherwise).
    pub log: crate::metrics::LogMode,
    /// `[gateway] analytics`: the Analytics Engine dataset binding, if any.
    pub analytics: Option<&'static str>,
}

/// What the build wrote to describe the API.
#[derive(Debug)]
pub struct Docs {
    pub title: &'static str,
    /// The developer portal's path; `None` when it is off.
    pub portal: Option<&'static str>,
    /// OpenAPI 3.1 documents: the whole API (`prefix` ""), then one per version (`/v1`).
    pub openapi: &'static [OpenApiDoc],
}

/// One OpenAPI document, served at `<prefix>/openapi.json`.
#[derive(Debug)]
pub struct OpenApiDoc {
    pub prefix: &'static str,
    pub json: &'static str,
    /// A strong validator of `json`.
    pub etag: &'static str,
}

impl Docs {
    /// No documents and no portal (tests and benchmarks).
    pub const NONE: Docs = Docs {
        title: "",
        portal: None,
        openapi: &[],
    };
}
