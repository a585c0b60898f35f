//! A route as `build.rs` compiled it from a `[[route]]`: plain `&'static` data. Other tables
//! (upstreams, policies, schemas) are named by index into the compiled table.

use super::fan_out::FanOut;
use super::http::{Limits, Method};
use super::lifecycle::Lifecycle;
use super::log::LogMode;

/// One `match` condition of a route: a request header (lower-case name) or query parameter
/// (raw, as sent) with exactly this value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::route))]
pub enum Condition {
    Header(&'static str, &'static str),
    Query(&'static str, &'static str),
}

/// One `[[route]]`.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::route))]
pub struct Route {
    pub id: &'static str,
    /// Public path with the version prefix, in matchit syntax.
    pub path: &'static str,
    /// Methods served; `GET` routes include `HEAD`.
    pub methods: &'static [Method],
    /// Lower-case host name the request's Host must equal; `None` matches any host.
    pub host: Option<&'static str>,
    /// Index into the table's `upstreams`.
    pub upstream: u16,
    /// Path sent upstream; `None` sends the public path unchanged.
    pub rewrite: Option<&'static [RewritePart]>,
    /// Indices into the table's `policies`: the gateway's default policies, then the route's own.
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
    /// `grpc`: the unary method the route's JSON requests call on its upstream.
    pub grpc: Option<&'static crate::table::proto::GrpcCall>,
    /// `graphql`: the stored operation the route's REST requests run on its upstream.
    pub graphql: Option<&'static crate::table::graphql::GraphqlCall>,
    /// Version, deprecation and sunset.
    pub lifecycle: &'static Lifecycle,
    /// Indices into the table's `schemas`: the request body's and the query's schemas.
    pub body_schema: Option<u16>,
    pub query_schema: Option<u16>,
    /// `log` over `[gateway] log`.
    pub log: Option<LogMode>,
}

/// Routes sharing one public path (they differ by method or host).
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::route))]
pub struct PathGroup {
    pub path: &'static str,
    /// Indices into the table's `routes`; host-specific routes come first, then those with more
    /// `match` conditions.
    pub routes: &'static [u16],
}

/// A piece of a rewrite template: literal text or a route parameter.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::table::route))]
pub enum RewritePart {
    Lit(&'static str),
    Param(&'static str),
}
