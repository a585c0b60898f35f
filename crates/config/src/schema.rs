//! The routes/ file format, as serde types. Read by `build.rs` and the
//! native config tests; the runtime never parses TOML. Every struct denies unknown keys so a
//! typo fails the build instead of being ignored.

use serde::Deserialize;
use std::collections::BTreeMap;

/// `routes/gateway.toml`: global settings, upstreams, named policies, and (optionally)
/// unversioned routes.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GatewayFile {
    #[serde(default)]
    pub gateway: GatewaySection,
    /// Kept as raw TOML so each entry is checked on its own and errors name the entry.
    #[serde(default)]
    pub upstreams: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub policies: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub route: Vec<toml::Value>,
}

/// `[gateway]`: settings that apply to every route.
#[derive(Debug, Default, Deserialize)]
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
    pub log: Option<toml::Value>,
    /// The Workers Analytics Engine dataset binding each request writes a data point to.
    pub analytics: Option<String>,
}

/// `[gateway] docs = { title = "...", description = "...", portal = "/docs" }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DocsSpec {
    pub title: Option<String>,
    pub description: Option<String>,
    /// The portal's path (default "/docs"), or `false` for none.
    pub portal: Option<toml::Value>,
}

/// `limits = { max_body = "1MiB", max_headers = 64, content_types = ["application/json"] }`.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitsSpec {
    pub max_body: Option<String>,
    pub max_headers: Option<u32>,
    pub content_types: Option<Vec<String>>,
}

/// `[gateway] versioning = { header = "api-version", query = "api-version", default = "v2" }`.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct VersioningSpec {
    pub header: Option<String>,
    pub query: Option<String>,
    pub default: Option<String>,
}

/// API lifecycle keys: a whole `routes/<version>/version.toml`, or the same keys on a route.
#[derive(Debug, Default, Clone, Deserialize)]
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
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesFile {
    #[serde(default)]
    pub route: Vec<toml::Value>,
}

/// One `[[route]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub id: String,
    pub path: String,
    pub methods: Vec<String>,
    /// Where requests go; absent on a fan-out route.
    pub upstream: Option<String>,
    /// Parts called concurrently and merged into one JSON answer, instead of `upstream`.
    #[serde(default)]
    pub fan_out: Vec<PartSpec>,
    /// `"omit"` (default: failed optional parts are left out) or `"fail"`.
    pub on_partial: Option<String>,
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
#[derive(Debug, Deserialize)]
#[serde(untagged)]
pub enum PolicyRef {
    Named(String),
    Inline(toml::Value),
}

/// A policy, selected by its `kind` key. One variant per module in `src/policy/`.
#[derive(Debug, Clone, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum PolicySpec {
    Headers(HeadersSpec),
    Jwt(Box<JwtSpec>),
    ApiKey(ApiKeySpec),
    Mtls(MtlsSpec),
    Require(RequireSpec),
    Any(AnySpec),
    RateLimit(RateLimitSpec),
    Cache(CacheSpec),
    Cors(CorsSpec),
    Transform(TransformSpec),
}

/// `kind = "transform"`: query and JSON body edits both ways.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformSpec {
    #[serde(default)]
    pub request: TransformRequestSpec,
    #[serde(default)]
    pub response: TransformResponseSpec,
    /// Largest body read for editing, e.g. `"1MiB"` (default 1 MiB).
    pub max_body: Option<String>,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformRequestSpec {
    #[serde(default)]
    pub query: QueryEditsSpec,
    #[serde(default)]
    pub body: BodyEditsSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransformResponseSpec {
    #[serde(default)]
    pub body: BodyEditsSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QueryEditsSpec {
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
}

/// JSON body edits; keys are JSON Pointers.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BodyEditsSpec {
    /// Values are TOML values, sent as JSON.
    #[serde(default)]
    pub set: BTreeMap<String, toml::Value>,
    #[serde(default)]
    pub remove: Vec<String>,
    #[serde(default)]
    pub rename: BTreeMap<String, String>,
    /// Pointer -> characters kept at the end.
    #[serde(default)]
    pub mask: BTreeMap<String, u32>,
    #[serde(default)]
    pub allow: Vec<String>,
}

/// `kind = "cors"`: cross-origin requests from browsers, preflights answered at the edge.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CorsSpec {
    /// Allowed origins: exact (`https://app.example.com`), subdomain patterns
    /// (`https://*.example.com`) or `"*"`.
    pub origins: Vec<String>,
    /// Methods a preflight may ask for (default: every method of the matched route).
    #[serde(default)]
    pub methods: Vec<String>,
    /// Request headers a page may send.
    #[serde(default)]
    pub allow_headers: Vec<String>,
    /// Response headers a page may read.
    #[serde(default)]
    pub expose_headers: Vec<String>,
    /// Allow cookies and HTTP authentication (never with `"*"`).
    #[serde(default)]
    pub credentials: bool,
    /// How long browsers may cache a preflight (default "10m", at most "24h").
    pub max_age: Option<String>,
    /// Answer a disallowed origin 403 instead of leaving out the CORS headers.
    #[serde(default)]
    pub reject: bool,
}

/// `kind = "cache"`: responses stored with the Workers Cache API.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct CacheSpec {
    /// Freshness lifetime that replaces the origin's (e.g. "60s").
    pub ttl: Option<String>,
    /// Which query parameters are part of the key (and sent upstream): all by default.
    pub query: Option<QuerySpec>,
    /// Request headers whose values are part of the key.
    #[serde(default)]
    pub key_headers: Vec<String>,
    /// On routes with authentication: one entry for all consumers instead of one each.
    #[serde(default)]
    pub shared: bool,
    /// How long past freshness a stored response may be served when the origin fails
    /// (replaces the origin's `stale-if-error`).
    pub stale_if_error: Option<String>,
    /// How long past freshness a stored response is served while it is refreshed in the
    /// background (replaces the origin's `stale-while-revalidate`).
    pub stale_while_revalidate: Option<String>,
    /// How long past freshness an entry with an `ETag` or `Last-Modified` is kept so it can
    /// be revalidated with a 304 instead of refetched (default "24h", at most 30 days).
    pub keep_for_revalidation: Option<String>,
    /// Tags every entry stored by this policy carries (purge by tag); origins add more with
    /// a `Cache-Tag` response header.
    #[serde(default)]
    pub tags: Vec<String>,
    /// What the origin sees: "keyed" (default: only what the key holds) or "all" (the request
    /// as on an uncached route; `Vary` governs reuse).
    pub forward: Option<String>,
    /// The gateway's own targeted cache-control response header (RFC 9213), honoured before
    /// `CDN-Cache-Control` and `Cache-Control` (default "Gatehouse-Cache-Control").
    pub control_header: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct QuerySpec {
    pub allow: Option<Vec<String>>,
    pub deny: Option<Vec<String>>,
}

/// `kind = "rate_limit"`: limits counted in a Durable Object per (policy, key).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RateLimitSpec {
    /// `ip`, `consumer`, `claim:<name>`, `header:<name>`, `route`, `global`, or a list of them.
    pub key: KeySpec,
    pub limits: Vec<LimitSpec>,
    /// Plan name -> limits that replace `limits` for consumers on that plan.
    #[serde(default)]
    pub plans: BTreeMap<String, Vec<LimitSpec>>,
    /// `"open"` (default) or `"closed"`: what happens when the limiter cannot answer.
    pub fail: Option<String>,
    /// How long to wait for the limiter (default "1s").
    pub timeout: Option<String>,
    /// `"exact"` (default: one round trip per request) or `"leased"`.
    pub mode: Option<String>,
    /// Leased mode: the most permits an isolate takes at once (default 10).
    pub lease: Option<u64>,
    /// Leased mode: how long leased permits stay valid at most (default "1s").
    pub lease_ttl: Option<String>,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(untagged)]
pub enum KeySpec {
    One(String),
    Many(Vec<String>),
}

/// One limit: `limit` per `window` (or per calendar `per = "day" | "month"`).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LimitSpec {
    pub name: String,
    pub limit: u64,
    pub window: Option<String>,
    pub per: Option<String>,
    /// `sliding_window` (default), `fixed_window` or `token_bucket`.
    pub algorithm: Option<String>,
    /// Token bucket size (default: `limit`).
    pub burst: Option<u64>,
}

/// `kind = "jwt"`: a signed JSON Web Token, verified against a secret, inline keys or a JWKS.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct JwtSpec {
    /// Allow-list of `alg` values, e.g. `["RS256", "ES256"]`. Anything else is rejected.
    pub algorithms: Vec<String>,
    /// Exact `iss` the token must carry.
    pub issuer: Option<String>,
    /// The token's `aud` must contain at least one of these.
    #[serde(default)]
    pub audiences: Vec<String>,
    /// Name of the wrangler secret holding the HMAC key (HS256/384/512).
    pub secret: Option<String>,
    /// URL of the identity provider's JSON Web Key Set; `${VAR}` parts resolve at runtime.
    pub jwks_url: Option<String>,
    /// Public keys written into the config (PEM or JWK).
    #[serde(default)]
    pub keys: Vec<InlineKeySpec>,
    /// Reject tokens without `exp` (default true).
    pub require_exp: Option<bool>,
    /// Clock skew allowed for `exp`, `nbf` and `iat` (default "30s").
    pub leeway: Option<String>,
    /// Longest token accepted, in bytes (default 8192).
    pub max_token_bytes: Option<u32>,
    /// Also accept the token from this cookie.
    pub cookie: Option<String>,
    /// Also accept the token from this query parameter.
    pub query: Option<String>,
    /// Bounds for the JWKS cache lifetime taken from its Cache-Control (default 1m..24h).
    pub jwks_min_ttl: Option<String>,
    pub jwks_max_ttl: Option<String>,
    /// An unknown `kid` refetches the JWKS at most this often (default "30s").
    pub jwks_refetch_interval: Option<String>,
    /// How long expired JWKS keys keep working while the IdP is unreachable (default "24h").
    pub jwks_max_stale: Option<String>,
    /// Verified tokens are remembered per isolate for at most this long ("0s" turns it off;
    /// default "5m"), never beyond their `exp`.
    pub token_cache_ttl: Option<String>,
    /// Claim name -> header sent to the origin, e.g. `{ sub = "x-user-id" }`.
    #[serde(default)]
    pub forward: BTreeMap<String, String>,
}

/// A public key in `keys = [...]`: exactly one of `pem` (SubjectPublicKeyInfo) or `jwk` (JSON).
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct InlineKeySpec {
    pub kid: Option<String>,
    pub pem: Option<String>,
    pub jwk: Option<String>,
}

/// `kind = "api_key"`: a key looked up by its SHA-256 in a KV namespace.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ApiKeySpec {
    /// Header carrying the key (default `x-api-key` when `query` is not set either).
    pub header: Option<String>,
    /// Query parameter carrying the key.
    pub query: Option<String>,
    /// KV binding with `sha256(key) -> consumer record`.
    pub store: String,
    /// How long a lookup (found or not) is reused per isolate (default "30s", max "60s").
    pub cache_ttl: Option<String>,
    /// Record field (`id`, `name`, `plan`, `scopes`) -> header sent to the origin.
    #[serde(default)]
    pub forward: BTreeMap<String, String>,
}

/// `kind = "mtls"`: the client certificate Cloudflare verified at the TLS handshake.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MtlsSpec {
    /// Allowed SHA-256 certificate fingerprints (hex); empty allows any verified certificate.
    #[serde(default)]
    pub fingerprints: Vec<String>,
    /// Allowed subject DNs, compared exactly; empty allows any.
    #[serde(default)]
    pub subjects: Vec<String>,
    /// `subject_dn`, `issuer_dn`, `fingerprint` or `serial` -> header sent to the origin.
    #[serde(default)]
    pub forward: BTreeMap<String, String>,
}

/// `kind = "require"`: what an authenticated caller must have.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RequireSpec {
    /// Every one of these scopes.
    #[serde(default)]
    pub scopes: Vec<String>,
    /// At least one of these scopes.
    #[serde(default)]
    pub any_scopes: Vec<String>,
    /// At least one of these roles (from the `roles` claim).
    #[serde(default)]
    pub roles: Vec<String>,
    /// Claim rules; all must hold.
    #[serde(default)]
    pub claims: Vec<ClaimRuleSpec>,
}

/// One claim rule: exactly one of `equals`, `one_of`, `contains`. `claim` may be a dotted path.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClaimRuleSpec {
    pub claim: String,
    pub equals: Option<String>,
    pub one_of: Option<Vec<String>>,
    pub contains: Option<String>,
}

/// `kind = "any"`: the first of several authentication policies that succeeds.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AnySpec {
    /// Names of `jwt`, `api_key` or `mtls` policies, tried in order.
    pub of: Vec<String>,
}

/// `kind = "headers"`: set or remove headers on the way to the origin and on the way back.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeadersSpec {
    #[serde(default)]
    pub request: HeaderEditsSpec,
    #[serde(default)]
    pub response: HeaderEditsSpec,
}

#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct HeaderEditsSpec {
    #[serde(default)]
    pub set: BTreeMap<String, String>,
    #[serde(default)]
    pub remove: Vec<String>,
}

/// A route's `match = { headers = { name = "value" }, query = { name = "value" } }`.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MatchSpec {
    #[serde(default)]
    pub headers: BTreeMap<String, String>,
    #[serde(default)]
    pub query: BTreeMap<String, String>,
}

/// `[upstreams.<name>]`: a pool of targets and how requests reach them (checked by
/// `upstream.rs`).
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSpec {
    /// One target: `http(s)://host[:port][/base-path]`, `${VAR}` parts from wrangler vars.
    pub url: Option<String>,
    /// A pool.
    pub targets: Option<Vec<TargetSpec>>,
    /// `"round-robin"` (default), `"random"` or `"hash"`.
    pub balance: Option<String>,
    /// With `balance = "hash"`: `header:<name>`, `cookie:<name>`, `claim:<name>`, `consumer`
    /// or `ip`.
    pub hash_on: Option<String>,
    pub timeout: Option<String>,
    pub deadline: Option<String>,
    pub retries: Option<RetriesSpec>,
    pub breaker: Option<BreakerSpec>,
    pub fallback: Option<FallbackSpec>,
    pub mirror: Option<MirrorSpec>,
    pub canary: Option<CanarySpec>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MirrorSpec {
    pub upstream: String,
    /// Share of requests copied, 0-100 (default 100).
    pub percent: Option<f64>,
}

#[derive(Debug, Deserialize)]
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

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TargetSpec {
    pub url: Option<String>,
    /// A service binding's name (wrangler.toml `[[services]]`).
    pub service: Option<String>,
    pub weight: Option<u32>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetriesSpec {
    pub attempts: u8,
    pub on: Option<Vec<toml::Value>>,
    pub backoff: Option<String>,
    pub max_backoff: Option<String>,
    /// Retries per isolate as a share of its recent requests, e.g. `"20%"`.
    pub budget: Option<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BreakerSpec {
    pub failures: Option<u32>,
    pub error_ratio: Option<f64>,
    pub window: Option<String>,
    pub min_requests: Option<u32>,
    pub open: Option<String>,
    pub max_open: Option<String>,
    pub probes: Option<u32>,
    pub on: Option<Vec<toml::Value>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct FallbackSpec {
    pub upstream: Option<String>,
    pub status: Option<u16>,
    pub json: Option<String>,
    pub body: Option<String>,
    pub content_type: Option<String>,
}

/// One `fan_out` part.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PartSpec {
    pub name: String,
    pub upstream: String,
    /// Path template: `{param}`, `{query.<n>}`, `{claim.<n>}`, `{consumer.id}`.
    pub path: String,
    pub method: Option<String>,
    pub required: Option<bool>,
    pub timeout: Option<String>,
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
