//! The routes/ file format, as serde types. Shared by `build.rs` (through `#[path]`) and the
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
}

/// `routes/<version>/*.toml`: a list of `[[route]]` tables.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RoutesFile {
    #[serde(default)]
    pub route: Vec<toml::Value>,
}

/// `[upstreams.<name>]`: where a route's requests go.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct UpstreamSpec {
    /// `http(s)://host[:port][/base-path]`; `${VAR}` parts resolve from wrangler vars at runtime.
    pub url: String,
    /// Time allowed until the origin's response headers arrive, e.g. `"5s"`, `"750ms"`.
    pub timeout: Option<String>,
}

/// One `[[route]]` table.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteSpec {
    pub id: String,
    pub path: String,
    pub methods: Vec<String>,
    pub upstream: String,
    pub host: Option<String>,
    pub rewrite: Option<String>,
    #[serde(default)]
    pub policies: Vec<PolicyRef>,
    #[serde(default)]
    pub websocket: bool,
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
