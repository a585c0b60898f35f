//! `kind = "api_key"`: the table's [`ApiKey`]; with `check`, parsed once into [`ApiKeySettings`], which the
//! table's value is built from.

/// A compiled `api_key` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::api_key))]
pub struct ApiKey {
    pub name: &'static str,
    pub header: Option<&'static str>,
    pub query: Option<&'static str>,
    /// `bearer = true`: the key is sent as `Authorization: Bearer <key>` (what OpenAI's
    /// clients send as their API key).
    pub bearer: bool,
    /// KV binding name.
    pub store: &'static str,
    pub cache_ttl_s: u32,
    /// (record field, header) pairs.
    pub forward: &'static [(&'static str, &'static str)],
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::ApiKey;
    use crate::kinds::forward::{check_forward, Forward};
    use crate::leak;
    use crate::lex::{is_token_byte, is_var_name, parse_duration_ms};
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// `kind = "api_key"`: a key looked up by its SHA-256 in a KV namespace.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ApiKeySpec {
        /// Header carrying the key (default `x-api-key` when `query` is not set either).
        pub header: Option<String>,
        /// Query parameter carrying the key.
        pub query: Option<String>,
        /// The key comes as `Authorization: Bearer <key>` (default false).
        #[serde(default)]
        pub bearer: bool,
        /// KV binding with `sha256(key) -> consumer record`.
        pub store: String,
        /// How long a lookup (found or not) is reused per isolate (default "30s", max "60s").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub cache_ttl: Option<String>,
        /// Record field (`id`, `name`, `plan`, `scopes`) -> header sent to the origin.
        #[serde(default)]
        pub forward: BTreeMap<String, String>,
    }

    /// An `api_key` policy with defaults applied.
    #[derive(Debug)]
    pub struct ApiKeySettings {
        /// The settings as written (header, query, store).
        pub spec: ApiKeySpec,
        pub cache_ttl_s: u32,
        pub forward: Forward,
    }

    /// Parses and checks an `api_key` policy.
    pub fn parse(spec: &ApiKeySpec) -> Result<ApiKeySettings, Vec<String>> {
        let mut errors = Vec::new();
        if !is_var_name(&spec.store) {
            errors.push(format!(
                "store: \"{}\" is not a KV binding name (A-Z, 0-9, _)",
                spec.store
            ));
        }
        for (what, v) in [("header", &spec.header), ("query", &spec.query)] {
            if v.as_deref()
                .is_some_and(|n| n.is_empty() || !n.bytes().all(is_token_byte))
            {
                errors.push(format!("{what}: not a valid {what} name"));
            }
        }
        if let Some(h) = &spec.header {
            if h.eq_ignore_ascii_case("authorization") || h.eq_ignore_ascii_case("cookie") {
                errors.push(format!(
                "header: \"{h}\" cannot carry an API key; use a dedicated header such as x-api-key"
            ));
            }
        }
        if spec.bearer && (spec.header.is_some() || spec.query.is_some()) {
            errors
                .push("bearer: the key comes in Authorization; leave header and query out".into());
        }
        let cache_ttl_s = match spec.cache_ttl.as_deref().map(parse_duration_ms) {
            None => 30,
            Some(Ok(ms)) if ms <= 60_000 => (ms / 1000) as u32,
            Some(Ok(_)) => {
                errors.push(
                    "cache_ttl: at most 60s, so a revoked key stops working within a minute".into(),
                );
                30
            }
            Some(Err(e)) => {
                errors.push(format!("cache_ttl: {e}"));
                30
            }
        };
        let forward = check_forward(
            &spec.forward,
            Some(&["id", "name", "plan", "scopes"]),
            &mut errors,
        );
        if errors.is_empty() {
            Ok(ApiKeySettings {
                spec: spec.clone(),
                cache_ttl_s,
                forward,
            })
        } else {
            Err(errors)
        }
    }

    impl ApiKeySettings {
        /// The table's `api_key` policy.
        pub fn policy(&self, name: &str) -> ApiKey {
            let a = &self.spec;
            ApiKey {
                name: leak::str(name),
                header: a
                    .header
                    .as_ref()
                    .map(|h| leak::str(&h.to_ascii_lowercase())),
                query: leak::opt(a.query.as_deref()),
                bearer: a.bearer,
                store: leak::str(&a.store),
                cache_ttl_s: self.cache_ttl_s,
                forward: leak::pairs(&self.forward),
            }
        }
    }
}
