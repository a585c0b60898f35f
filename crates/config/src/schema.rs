//! The routes/ file format, as serde types. Read by `build.rs` and the
//! native config tests; the runtime never parses TOML. Every struct denies unknown keys so a
//! typo fails the build instead of being ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `routes/gateway.toml`: global settings, upstreams, named policies, and (optionally)
/// unversioned routes.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewayFile {
    #[serde(default)]
    pub gateway: GatewaySection,
    /// Kept as raw TOML so each entry is checked on its own and errors name the entry.
    /// Upstreams by name (`a-z 0-9 - _`).
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::named::<UpstreamSpec>")]
    pub upstreams: BTreeMap<String, toml::Value>,
    /// Named policies (`a-z 0-9 - _`), each selected by its `kind`.
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::named::<crate::kinds::PolicySpec>")]
    pub policies: BTreeMap<String, toml::Value>,
    /// Unversioned routes.
    #[serde(default)]
    #[schemars(with = "Vec<RouteSpec>")]
    pub route: Vec<toml::Value>,
}

/// `[gateway]`: settings that apply to every route.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct GatewaySection {
    /// Named policies run before every route's own policies.
    #[serde(default)]
    pub default_policies: Vec<String>,
    /// Consumer plans (from API-key records or a `plan` claim) that `rate_limit` policies may
    /// give their own limits.
    #[serde(default)]
    pub plans: Vec<String>,
    /// How paths without a version prefix pick a version.
    pub versioning: Option<VersioningSpec>,
    /// Request limits for every route (a route's own keys win).
    pub limits: Option<LimitsSpec>,
    /// The API's description: OpenAPI documents and the developer portal.
    #[serde(default)]
    pub docs: DocsSpec,
    /// Which requests get an access-log line: "all" (default), "errors", or { sample = 0.1 }.
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::log_mode")]
    pub log: Option<toml::Value>,
    /// The Workers Analytics Engine dataset binding each request writes a data point to.
    pub analytics: Option<String>,
    /// GC pacing: slots of the array allocated per event (default 4096, 0 = off). Kept raw so
    /// a wrong type fails with the key's own rule.
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::gc_pace_slots")]
    pub gc_pace_slots: Option<toml::Value>,
}

/// `[gateway] docs = { title = "...", description = "...", portal = "/docs" }`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct DocsSpec {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The portal's path (default "/docs"), or `false` for none.
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::portal")]
    pub portal: Option<toml::Value>,
}

/// `limits = { max_body = "1MiB", max_headers = 64, content_types = ["application/json"] }`.
#[derive(Debug, Clone, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    #[schemars(pattern(crate::lex::BYTE_SIZE_PATTERN))]
    pub max_body: Option<String>,
    pub max_headers: Option<u32>,
    pub content_types: Option<Vec<String>>,
}

/// `[gateway] versioning = { header = "api-version", query = "api-version", default = "v2" }`.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct VersioningSpec {
    pub header: Option<String>,
    pub query: Option<String>,
    pub default: Option<String>,
}

/// API lifecycle keys: a whole `routes/<version>/version.toml`, or the same keys on a route.
#[derive(Debug, Default, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct LifecycleSpec {
    /// RFC 3339 date-time from which responses carry `Deprecation`.
    pub deprecated: Option<String>,
    /// RFC 3339 date-time from which the route answers 410.
    pub sunset: Option<String>,
    /// The version folder that replaces this one.
    pub successor: Option<String>,
    /// A URL describing the deprecation policy.
    pub policy_link: Option<String>,
}

/// `routes/<version>/*.toml`: a list of `[[route]]` tables.
#[derive(Debug, Default, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutesFile {
    #[serde(default)]
    #[schemars(with = "Vec<RouteSpec>")]
    pub route: Vec<toml::Value>,
    /// Routes made from a gRPC service's `google.api.http` options.
    #[serde(default)]
    #[schemars(with = "Vec<crate::grpc::GrpcRoutesSpec>")]
    pub grpc_routes: Vec<toml::Value>,
}

/// One `[[route]]` table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    #[schemars(pattern(crate::lex::ROUTE_ID_PATTERN))]
    pub id: String,
    pub path: String,
    #[schemars(schema_with = "crate::config_schema::methods")]
    pub methods: Vec<String>,
    /// Where requests go; absent on a fan-out route.
    pub upstream: Option<String>,
    /// Parts called concurrently and merged into one JSON answer, instead of `upstream`.
    #[serde(default)]
    pub fan_out: Vec<PartSpec>,
    /// `"omit"` (default: failed optional parts are left out) or `"fail"`.
    #[schemars(extend("enum" = ["omit", "fail"]))]
    pub on_partial: Option<String>,
    /// The gRPC method the route calls on its upstream (JSON in and out).
    pub grpc: Option<crate::grpc::GrpcSpec>,
    /// The stored GraphQL operation the route runs (REST in, the operation's `data` out).
    pub graphql: Option<crate::graphql_call::GraphqlCallSpec>,
    pub host: Option<String>,
    pub rewrite: Option<String>,
    #[serde(default)]
    pub policies: Vec<PolicyRef>,
    #[serde(default)]
    pub websocket: bool,
    #[serde(default)]
    pub allow_double_encoding: bool,
    /// The upstream's retries apply to POST and PATCH too (the origin must tolerate a
    /// request sent twice).
    #[serde(default)]
    pub retry_non_idempotent: bool,
    /// Only requests with these header and query values take this route.
    #[serde(rename = "match")]
    pub match_on: Option<MatchSpec>,
    /// Request limits over `[gateway] limits`.
    pub limits: Option<LimitsSpec>,
    pub deprecated: Option<String>,
    pub sunset: Option<String>,
    pub successor: Option<String>,
    pub policy_link: Option<String>,
    /// OpenAPI: a one-line summary, a longer description, and tags to group the route by.
    pub summary: Option<String>,
    pub description: Option<String>,
    #[serde(default)]
    pub tags: Vec<String>,
    /// A JSON Schema (2020-12) file under routes/ the request body must meet, e.g.
    /// "schemas/user.json".
    pub body_schema: Option<String>,
    /// A JSON Schema file the query parameters (as an object) must meet.
    pub query_schema: Option<String>,
    /// Which of this route's requests get an access-log line (over `[gateway] log`).
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::log_mode")]
    pub log: Option<toml::Value>,
}

impl RouteSpec {
    /// The route's own lifecycle keys.
    pub fn lifecycle(&self) -> LifecycleSpec {
        LifecycleSpec {
            deprecated: self.deprecated.clone(),
            sunset: self.sunset.clone(),
            successor: self.successor.clone(),
            policy_link: self.policy_link.clone(),
        }
    }
}

/// A route's policy entry: the name of a `[policies.<name>]` table, or an inline table.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(untagged)]
pub enum PolicyRef {
    /// A `[policies.<name>]` table's name.
    #[schemars(schema_with = "crate::config_schema::policy_name")]
    Named(String),
    /// An inline policy, selected by its `kind`.
    #[schemars(with = "crate::kinds::PolicySpec")]
    Inline(toml::Value),
}

/// A route's `match = { headers = { name = "value" }, query = { name = "value" } }`.
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// `[upstreams.<name>]`: a pool of targets and how requests reach them (checked by
/// `upstream.rs`).
#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSpec {
    /// One target: `http(s)://host[:port][/base-path]`, `${VAR}` parts from wrangler vars.
    pub url: Option<String>,
    /// A pool.
    pub targets: Option<Vec<TargetSpec>>,
    /// `"round-robin"` (default), `"random"` or `"hash"`.
    #[schemars(extend("enum" = ["round-robin", "random", "hash"]))]
    pub balance: Option<String>,
    /// With `balance = "hash"`: `header:<name>`, `cookie:<name>`, `claim:<name>`, `consumer`
    /// or `ip`.
    pub hash_on: Option<String>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub timeout: Option<String>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub deadline: Option<String>,
    pub retries: Option<RetriesSpec>,
    pub breaker: Option<BreakerSpec>,
    pub fallback: Option<FallbackSpec>,
    pub mirror: Option<MirrorSpec>,
    pub canary: Option<CanarySpec>,
    /// An LLM provider, for `llm` policies: `"openai"`, `"anthropic"`, `"openai-compatible"`
    /// or `"workers-ai"`.
    #[schemars(extend("enum" = ["openai", "anthropic", "openai-compatible", "workers-ai"]))]
    pub provider: Option<String>,
    /// The provider's API key, as `"${VAR}"` (set it with `wrangler secret put VAR`).
    #[schemars(pattern(r"^\$\{[A-Z_][A-Z0-9_]*\}$"))]
    pub key: Option<String>,
    /// `provider = "workers-ai"`: the AI binding's name (default `"AI"`).
    pub binding: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct MirrorSpec {
    pub upstream: String,
    /// Share of requests copied, 0-100 (default 100).
    pub percent: Option<f64>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct CanarySpec {
    pub upstream: String,
    pub percent: f64,
    /// Forcing header (none by default: forcing is opt-in).
    pub header: Option<String>,
    /// Forcing cookie.
    pub cookie: Option<String>,
    /// `cookie:<name>` (default `cookie:gatehouse_canary`) or a `hash_on` key.
    pub sticky: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub url: Option<String>,
    /// A service binding's name (wrangler.toml `[[services]]`).
    pub service: Option<String>,
    pub weight: Option<u32>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct RetriesSpec {
    pub attempts: u8,
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::failures")]
    pub on: Option<Vec<toml::Value>>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub backoff: Option<String>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub max_backoff: Option<String>,
    /// Retries per isolate as a share of its recent requests, e.g. `"20%"`.
    #[schemars(pattern(r"^\+?[0-9]+%$"))]
    pub budget: Option<String>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    pub failures: Option<u32>,
    pub error_ratio: Option<f64>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub window: Option<String>,
    pub min_requests: Option<u32>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub open: Option<String>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub max_open: Option<String>,
    pub probes: Option<u32>,
    #[serde(default)]
    #[schemars(schema_with = "crate::config_schema::failures")]
    pub on: Option<Vec<toml::Value>>,
}

#[derive(Debug, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct FallbackSpec {
    pub upstream: Option<String>,
    pub status: Option<u16>,
    pub json: Option<String>,
    pub body: Option<String>,
    pub content_type: Option<String>,
}

/// One `fan_out` part.
#[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
#[serde(deny_unknown_fields)]
pub struct PartSpec {
    pub name: String,
    pub upstream: String,
    /// Path template: `{param}`, `{query.<n>}`, `{claim.<n>}`, `{consumer.id}`.
    pub path: String,
    pub method: Option<String>,
    pub required: Option<bool>,
    #[schemars(pattern(crate::lex::DURATION_PATTERN))]
    pub timeout: Option<String>,
    #[schemars(pattern(crate::lex::BYTE_SIZE_PATTERN))]
    pub max_size: Option<String>,
    pub target: Option<String>,
    #[serde(default)]
    pub allow: Vec<String>,
    #[serde(default)]
    pub deny: Vec<String>,
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    pub group: Option<String>,
    pub merge: Option<String>,
    /// Client credential headers this part receives (`authorization`, `cookie`, an API-key
    /// header); none by default.
    #[serde(default)]
    pub credentials: Vec<String>,
}
