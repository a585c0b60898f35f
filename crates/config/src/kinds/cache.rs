//! `kind = "cache"`: the table's [`Cache`]; with `check`, parsed once into [`CacheSettings`], which the
//! table's value is built from.

use crate::table::cache_key::QueryRule;

/// A compiled `cache` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::cache))]
pub struct Cache {
    pub name: &'static str,
    /// Freshness lifetime replacing the origin's.
    pub ttl_s: Option<u64>,
    pub query: QueryRule,
    /// Lower-case request header names whose values are part of the key.
    pub key_headers: &'static [&'static str],
    pub shared: bool,
    /// `stale-if-error` window replacing the origin's.
    pub stale_if_error_s: Option<u64>,
    /// `stale-while-revalidate` window replacing the origin's.
    pub stale_while_revalidate_s: Option<u64>,
    /// How long past its freshness an entry with an `ETag` or `Last-Modified` is kept to be
    /// revalidated (`keep_for_revalidation`, default a day).
    pub keep_for_revalidation_s: u64,
    /// Tags every entry stored here carries (purge by tag), besides the origin's `Cache-Tag`.
    pub tags: &'static [&'static str],
    /// `forward = "all"`: the origin sees the request as on an uncached route, and `Vary`
    /// alone governs reuse (with RFC 9111 3.5 for requests with `Authorization`).
    pub forward_all: bool,
    /// The gateway's targeted cache-control field (RFC 9213), lower case: honoured before
    /// `CDN-Cache-Control`, then `Cache-Control`, and never sent to clients.
    pub control_header: &'static str,
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{Cache, QueryRule};
    use crate::fan_out::CheckedFanOut;
    use crate::kinds::{Placement, Settings};
    use crate::leak;
    use crate::lex::{is_token_byte, parse_duration_ms};
    use crate::template::Piece;
    use serde::Deserialize;

    /// `kind = "cache"`: responses stored with the Workers Cache API.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CacheSpec {
        /// Freshness lifetime that replaces the origin's (e.g. "60s").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
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
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub stale_if_error: Option<String>,
        /// How long past freshness a stored response is served while it is refreshed in the
        /// background (replaces the origin's `stale-while-revalidate`).
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub stale_while_revalidate: Option<String>,
        /// How long past freshness an entry with an `ETag` or `Last-Modified` is kept so it can
        /// be revalidated with a 304 instead of refetched (default "24h", at most 30 days).
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub keep_for_revalidation: Option<String>,
        /// Tags every entry stored by this policy carries (purge by tag); origins add more with
        /// a `Cache-Tag` response header.
        #[serde(default)]
        pub tags: Vec<String>,
        /// What the origin sees: "keyed" (default: only what the key holds) or "all" (the request
        /// as on an uncached route; `Vary` governs reuse).
        #[schemars(extend("enum" = ["keyed", "all"]))]
        pub forward: Option<String>,
        /// The gateway's own targeted cache-control response header (RFC 9213), honoured before
        /// `CDN-Cache-Control` and `Cache-Control` (default "Gatehouse-Cache-Control").
        pub control_header: Option<String>,
    }

    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct QuerySpec {
        pub allow: Option<Vec<String>>,
        pub deny: Option<Vec<String>>,
    }

    /// A `cache` policy with everything parsed.
    #[derive(Debug)]
    pub struct CacheSettings {
        pub ttl_s: Option<u64>,
        pub query: QueryRule,
        /// The query parameter names the key keeps: `None` for all but `query_deny`.
        pub query_allow: Option<Vec<String>>,
        pub query_deny: Vec<String>,
        pub key_headers: Vec<String>,
        pub shared: bool,
        pub stale_if_error_s: Option<u64>,
        pub stale_while_revalidate_s: Option<u64>,
        pub keep_for_revalidation_s: u64,
        pub tags: Vec<String>,
        pub forward_all: bool,
        /// Lower case.
        pub control_header: String,
    }

    /// `keep_for_revalidation` when unset: a day (`crate::cache::entry::REVALIDATE_KEEP_S`).
    const DEFAULT_KEEP_FOR_REVALIDATION_S: u64 = 86_400;
    /// The most `keep_for_revalidation` may say: 30 days.
    const MAX_KEEP_FOR_REVALIDATION_S: u64 = 30 * 86_400;

    /// The default targeted field (RFC 9213) for Gatehouse's own decisions.
    pub const DEFAULT_CONTROL_HEADER: &str = "gatehouse-cache-control";

    /// Names `control_header` may not take: fields with their own meaning.
    const NOT_CONTROL: &[&str] = &[
        "cache-control",
        "cdn-cache-control",
        "connection",
        "expires",
        "pragma",
        "vary",
        "age",
    ];

    /// Headers a key may not name: they are rewritten by the gateway, hop-by-hop, or carry
    /// credentials (use the per-consumer partition instead).
    const NOT_KEYABLE: &[&str] = &[
        "authorization",
        "connection",
        "cookie",
        "host",
        "te",
        "transfer-encoding",
        "upgrade",
        "x-forwarded-for",
        "x-forwarded-host",
        "x-forwarded-proto",
        "x-request-id",
        "traceparent",
        "tracestate",
    ];

    /// A cache tag: 1-64 of `A-Z a-z 0-9 . _ : -` (the rule `crate::cache::key::is_tag` applies
    /// to origins' `Cache-Tag` values at runtime).
    fn is_tag(t: &str) -> bool {
        (1..=64).contains(&t.len())
            && t.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b".-_:".contains(&b))
    }

    /// A stale window: whole seconds, at most 7 days.
    fn stale_window(value: Option<&str>, key: &str, errors: &mut Vec<String>) -> Option<u64> {
        match value.map(parse_duration_ms) {
            None => None,
            Some(Ok(ms)) if ms % 1_000 == 0 && ms <= 604_800_000 => Some(ms / 1_000),
            Some(Ok(_)) => {
                errors.push(format!("{key}: whole seconds, at most 7 days"));
                None
            }
            Some(Err(e)) => {
                errors.push(format!("{key}: {e}"));
                None
            }
        }
    }

    /// Parses and checks a `cache` policy.
    pub fn parse(spec: &CacheSpec) -> Result<CacheSettings, Vec<String>> {
        let mut errors = Vec::new();
        let ttl_s = match spec.ttl.as_deref().map(parse_duration_ms) {
            None => None,
            Some(Ok(ms)) if (1_000..=31_536_000_000).contains(&ms) && ms % 1_000 == 0 => {
                Some(ms / 1_000)
            }
            Some(Ok(_)) => {
                errors.push("ttl: whole seconds between 1s and 365 days".into());
                None
            }
            Some(Err(e)) => {
                errors.push(format!("ttl: {e}"));
                None
            }
        };
        let stale_if_error_s = stale_window(
            spec.stale_if_error.as_deref(),
            "stale_if_error",
            &mut errors,
        );
        let stale_while_revalidate_s = stale_window(
            spec.stale_while_revalidate.as_deref(),
            "stale_while_revalidate",
            &mut errors,
        );
        let keep_for_revalidation_s =
            match spec.keep_for_revalidation.as_deref().map(parse_duration_ms) {
                None => DEFAULT_KEEP_FOR_REVALIDATION_S,
                Some(Ok(ms)) if ms % 1_000 == 0 && ms / 1_000 <= MAX_KEEP_FOR_REVALIDATION_S => {
                    ms / 1_000
                }
                Some(Ok(_)) => {
                    errors.push("keep_for_revalidation: whole seconds, at most 30 days".into());
                    0
                }
                Some(Err(e)) => {
                    errors.push(format!("keep_for_revalidation: {e}"));
                    0
                }
            };
        let names = |list: &[String], what: &str, errors: &mut Vec<String>| {
            for n in list {
                if n.is_empty() || n.contains(['&', '=', '#', ' ']) {
                    errors.push(format!("query.{what}: \"{n}\" is not a parameter name"));
                }
            }
            leak::strs(list)
        };
        let query = match &spec.query {
            None => QueryRule::All,
            Some(q) => match (&q.allow, &q.deny) {
                (Some(allow), None) => QueryRule::Allow(names(allow, "allow", &mut errors)),
                (None, Some(deny)) => QueryRule::Deny(names(deny, "deny", &mut errors)),
                _ => {
                    errors.push("query: give `allow` or `deny` (one of them)".into());
                    QueryRule::All
                }
            },
        };
        let mut key_headers = Vec::new();
        for h in &spec.key_headers {
            let lower = h.to_ascii_lowercase();
            if h.is_empty() || !h.bytes().all(is_token_byte) {
                errors.push(format!("key_headers: \"{h}\" is not a header name"));
            } else if NOT_KEYABLE.contains(&lower.as_str()) {
                errors.push(format!("key_headers: \"{h}\" cannot be part of a cache key (credentials, hop-by-hop or set by the gateway)"));
            } else if key_headers.contains(&lower) {
                errors.push(format!("key_headers: \"{h}\" is listed twice"));
            } else {
                key_headers.push(lower);
            }
        }
        for t in &spec.tags {
            if !is_tag(t) {
                errors.push(format!(
                    "tags: \"{t}\" is not a tag (1-64 of A-Z a-z 0-9 . _ : -)"
                ));
            }
        }
        let forward_all = match spec.forward.as_deref() {
            None | Some("keyed") => false,
            Some("all") => true,
            Some(other) => {
                errors.push(format!("forward: \"{other}\" is not \"keyed\" or \"all\""));
                false
            }
        };
        let control_header = spec
            .control_header
            .as_deref()
            .unwrap_or(DEFAULT_CONTROL_HEADER)
            .to_ascii_lowercase();
        if control_header.is_empty() || !control_header.bytes().all(is_token_byte) {
            errors.push(format!(
                "control_header: \"{control_header}\" is not a header name"
            ));
        } else if NOT_CONTROL.contains(&control_header.as_str()) {
            errors.push(format!(
            "control_header: \"{control_header}\" has its own meaning; name a header of your own"
        ));
        }
        if errors.is_empty() {
            Ok(CacheSettings {
                forward_all,
                control_header,
                tags: spec.tags.clone(),
                ttl_s,
                query,
                query_allow: spec.query.as_ref().and_then(|q| q.allow.clone()),
                query_deny: spec
                    .query
                    .as_ref()
                    .and_then(|q| q.deny.clone())
                    .unwrap_or_default(),
                key_headers,
                shared: spec.shared,
                stale_if_error_s,
                stale_while_revalidate_s,
                keep_for_revalidation_s,
            })
        } else {
            Err(errors)
        }
    }

    impl CacheSettings {
        /// Whether the key (and so the upstream request) keeps query parameter `name`.
        pub fn keeps_query(&self, name: &str) -> bool {
            match &self.query_allow {
                Some(allow) => allow.iter().any(|n| n == name),
                None => !self.query_deny.iter().any(|n| n == name),
            }
        }

        /// The table's `cache` policy.
        pub fn policy(&self, name: &str) -> Cache {
            Cache {
                name: leak::str(name),
                ttl_s: self.ttl_s,
                query: self.query,
                key_headers: leak::strs(&self.key_headers),
                shared: self.shared,
                stale_if_error_s: self.stale_if_error_s,
                stale_while_revalidate_s: self.stale_while_revalidate_s,
                keep_for_revalidation_s: self.keep_for_revalidation_s,
                tags: leak::strs(&self.tags),
                forward_all: self.forward_all,
                control_header: leak::str(&self.control_header),
            }
        }
    }

    /// A route's `cache` policy: at most one, on GET/HEAD-only non-WebSocket routes, after every
    /// policy that can refuse a request (authentication, `require`, `rate_limit`: a hit must never
    /// skip one of them), and before every transform that edits the response body; on a fan-out
    /// route, the key holds every value a part's template takes.
    pub fn placement(p: &Placement, errors: &mut Vec<String>) {
        let Some(at) = p.only_one(Settings::is_cache, "cache", errors) else {
            return;
        };
        let ctx = p.ctx;
        let name = &p.policy(at).name;
        if p.methods.iter().any(|m| m != "GET" && m != "HEAD") {
            errors.push(format!(
            "{ctx}: policy \"{name}\" (cache) needs a route whose methods are GET and HEAD only"
        ));
        }
        if p.websocket {
            errors.push(format!(
                "{ctx}: policy \"{name}\" (cache) cannot be used with websocket = true"
            ));
        }
        // A hit answers at the cache's place in the chain: every policy that can refuse a
        // request (authentication, `require`, `rate_limit`) must have run by then.
        for i in at + 1..p.chain.len() {
            let after = p.policy(i);
            if after.settings.refuses() {
                errors.push(format!(
                "{ctx}: policy \"{}\" ({}) must come before policy \"{name}\" (cache): a hit answers without running the policies after the cache",
                after.name,
                after.settings.kind()
            ));
            }
        }
        // A response transform before the cache would be skipped on hits (the cache answers
        // first) while entries hold the unedited body.
        for i in 0..at {
            if let Settings::Transform(t) = &p.policy(i).settings {
                if t.edits_response() {
                    errors.push(format!(
                    "{ctx}: policy \"{}\" (transform) edits the response body, so it must come after policy \"{name}\" (cache): entries then hold the edited body",
                    p.policy(i).name
                ));
                }
            }
        }
        if let (Settings::Cache(cache), Some(f)) = (&p.policy(at).settings, p.fan_out) {
            cached_fan_out(name, cache, f, ctx, errors);
        }
    }

    /// A cached fan-out route: every value a part's template takes must be part of the cache key
    /// (a query parameter the key keeps; no identity on a `shared` cache), or one entry would
    /// answer for requests whose parts differ.
    fn cached_fan_out(
        name: &str,
        cache: &CacheSettings,
        f: &CheckedFanOut,
        ctx: &str,
        errors: &mut Vec<String>,
    ) {
        for part in &f.parts {
            for piece in &part.path {
                let problem = match piece {
                Piece::Query(n) if !cache.keeps_query(n) => format!(
                    "uses {{query.{n}}}, which the key of policy \"{name}\" (cache) leaves out: one entry would answer for every value"
                ),
                Piece::Claim(n) if cache.shared => format!(
                    "uses {{claim.{n}}}, but policy \"{name}\" (cache) is shared: one consumer's answer would be served to every other"
                ),
                Piece::ConsumerId if cache.shared => format!(
                    "uses {{consumer.id}}, but policy \"{name}\" (cache) is shared: one consumer's answer would be served to every other"
                ),
                _ => continue,
            };
                errors.push(format!("{ctx}: fan_out part \"{}\" {problem}", part.name));
            }
        }
    }
}
