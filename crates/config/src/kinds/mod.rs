//! One module per policy `kind`. Each holds the kind's runtime type (what the worker's table
//! holds; always compiled) and, with the `check` feature, its checker: the TOML shape
//! (`<Kind>Spec`), `parse` (settings parsed ONCE into a typed value, whose errors the checker
//! reports), the placement rule (where the kind may stand in a route's chain, when it has one)
//! and `policy`, which builds the runtime type from that same value.
//!
//! This file is the list: [`Policy`] (one variant per kind, always compiled) and, for the
//! checker, [`PolicySpec`] (the `kind` key), [`Settings`] and [`PLACEMENT_RULES`].
//!
//! Adding a kind (docs/src/contributing/adding-a-policy-kind.md): its module here, its lines in
//! this file, its policy module `src/policy/<kind>.rs` (its rules), and its phases in `src/policy/mod.rs`.

pub mod any;
pub mod api_key;
pub mod cache;
pub mod cors;
#[cfg(feature = "check")]
pub mod forward;
pub mod graphql;
pub mod headers;
pub mod jwt;
pub mod llm;
pub mod mtls;
pub mod rate_limit;
pub mod require;
pub mod transform;

/// `[policies]` by name: the policy's index in the checked list, or `None` for a policy that
/// is defined but failed its own check (already reported; where it is named, nothing more is
/// said, so one mistake gives one error).
#[cfg(feature = "check")]
pub type PolicyIndex = std::collections::HashMap<String, Option<usize>>;

/// A compiled policy. The config key `kind = "<name>"` selects the variant.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds))]
pub enum Policy {
    /// `kind = "headers"`.
    Headers(headers::Headers),
    /// `kind = "jwt"`.
    Jwt(jwt::Jwt),
    /// `kind = "api_key"`.
    ApiKey(api_key::ApiKey),
    /// `kind = "mtls"`.
    Mtls(mtls::Mtls),
    /// `kind = "require"`.
    Require(require::Require),
    /// `kind = "any"`.
    Any(any::Any),
    /// `kind = "rate_limit"`.
    RateLimit(rate_limit::RateLimit),
    /// `kind = "cache"`.
    Cache(cache::Cache),
    /// `kind = "cors"`.
    Cors(cors::Cors),
    /// `kind = "transform"`.
    Transform(transform::Transform),
    /// `kind = "graphql"`.
    Graphql(graphql::Graphql),
    /// `kind = "llm"`.
    Llm(llm::Llm),
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the `kind` key, each kind's parsed settings and the placement rules.
#[cfg(feature = "check")]
mod check {
    // Every kind module and `Policy`: a new kind needs no line here.
    use super::*;
    use crate::check::CheckedPolicy;
    use crate::fan_out::CheckedFanOut;
    use any::AnySpec;
    use headers::HeadersSpec;
    use require::RequireSpec;
    use serde::Deserialize;

    /// A policy, selected by its `kind` key. One variant per module here and in the worker's `src/policy/`.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(tag = "kind", rename_all = "snake_case")]
    pub enum PolicySpec {
        Headers(headers::HeadersSpec),
        Jwt(Box<jwt::JwtSpec>),
        ApiKey(api_key::ApiKeySpec),
        Mtls(mtls::MtlsSpec),
        Require(require::RequireSpec),
        Any(any::AnySpec),
        RateLimit(rate_limit::RateLimitSpec),
        Cache(cache::CacheSpec),
        Cors(cors::CorsSpec),
        Transform(transform::TransformSpec),
        Graphql(graphql::GraphqlSpec),
        Llm(llm::LlmSpec),
    }

    /// A policy's settings, parsed and checked.
    #[derive(Debug)]
    pub enum Settings {
        Headers(HeadersSpec),
        Jwt(Box<jwt::JwtSettings>),
        ApiKey(api_key::ApiKeySettings),
        Mtls(mtls::MtlsSettings),
        Require(RequireSpec),
        Any(AnySpec),
        RateLimit(rate_limit::RateLimitSettings),
        Cache(cache::CacheSettings),
        Cors(cors::CorsSettings),
        Transform(transform::TransformSettings),
        Graphql(graphql::GraphqlSettings),
        Llm(llm::LlmSettings),
    }

    impl Settings {
        /// Parses a policy's settings once; every problem found, one line each (without the
        /// file and policy, which the caller puts in front). `plans` are `[gateway] plans`;
        /// `documents` are `routes/graphql/**` as (path, text).
        pub fn parse(
            spec: &PolicySpec,
            plans: &[String],
            documents: &[(String, String)],
        ) -> Result<Settings, Vec<String>> {
            Ok(match spec {
                PolicySpec::Headers(h) => Settings::Headers(headers::parse(h)?),
                PolicySpec::Jwt(j) => Settings::Jwt(Box::new(jwt::parse(j)?)),
                PolicySpec::ApiKey(a) => Settings::ApiKey(api_key::parse(a)?),
                PolicySpec::Mtls(m) => Settings::Mtls(mtls::parse(m)?),
                PolicySpec::Require(r) => Settings::Require(require::parse(r)?),
                PolicySpec::Any(a) => Settings::Any(any::parse(a)?),
                PolicySpec::RateLimit(r) => Settings::RateLimit(rate_limit::parse(r, plans)?),
                PolicySpec::Cache(c) => Settings::Cache(cache::parse(c)?),
                PolicySpec::Cors(c) => Settings::Cors(cors::parse(c)?),
                PolicySpec::Transform(t) => Settings::Transform(transform::parse(t)?),
                PolicySpec::Graphql(g) => Settings::Graphql(graphql::parse(g, documents)?),
                PolicySpec::Llm(l) => Settings::Llm(llm::parse(l, plans)?),
            })
        }

        /// The table's policy number `index`. `members` are an `any` policy's resolved
        /// members.
        pub fn policy(&self, name: &str, index: usize, members: &[usize]) -> Policy {
            match self {
                Settings::Headers(h) => Policy::Headers(headers::policy(h)),
                Settings::Jwt(j) => Policy::Jwt(j.policy(name, index)),
                Settings::ApiKey(a) => Policy::ApiKey(a.policy(name)),
                Settings::Mtls(m) => Policy::Mtls(m.policy(name)),
                Settings::Require(r) => Policy::Require(require::policy(r)),
                Settings::Any(_) => Policy::Any(any::policy(members)),
                Settings::RateLimit(r) => Policy::RateLimit(r.policy(name, index)),
                Settings::Cache(c) => Policy::Cache(c.policy(name)),
                Settings::Cors(c) => Policy::Cors(c.policy(name)),
                Settings::Transform(t) => Policy::Transform(t.policy()),
                Settings::Graphql(g) => Policy::Graphql(g.policy(name)),
                Settings::Llm(l) => Policy::Llm(l.policy(name)),
            }
        }

        /// The policies an `any` policy tries (indexes into `policies`, found by name in
        /// `named`); empty for other kinds.
        pub fn members(
            &self,
            ctx: &str,
            named: &PolicyIndex,
            policies: &[CheckedPolicy],
            errors: &mut Vec<String>,
        ) -> Vec<usize> {
            match self {
                Settings::Any(spec) => any::members(spec, ctx, named, policies, errors),
                _ => Vec::new(),
            }
        }

        /// Whether the policy authenticates (sets an identity).
        pub fn authenticates(&self) -> bool {
            matches!(
                self,
                Settings::Jwt(_) | Settings::ApiKey(_) | Settings::Mtls(_) | Settings::Any(_)
            )
        }

        /// Whether the policy can be a member of an `any` policy.
        pub fn is_credential(&self) -> bool {
            matches!(
                self,
                Settings::Jwt(_) | Settings::ApiKey(_) | Settings::Mtls(_)
            )
        }

        /// What the policy is, when it judges an identity and so needs an authentication policy
        /// before it.
        pub fn needs_identity(&self) -> Option<&'static str> {
            match self {
                Settings::Require(_) => Some("require"),
                Settings::RateLimit(r) if r.needs_identity => {
                    Some("rate_limit keyed by consumer or claim")
                }
                _ => None,
            }
        }

        /// Whether the policy's key needs the operation's name (a `rate_limit` keyed by
        /// `operation`).
        pub fn needs_operation(&self) -> bool {
            matches!(self, Settings::RateLimit(r) if r.key.contains(&rate_limit::KeyPart::Operation))
        }

        /// The config `kind` of the policy.
        pub fn kind(&self) -> &'static str {
            match self {
                Settings::Headers(_) => "headers",
                Settings::Jwt(_) => "jwt",
                Settings::ApiKey(_) => "api_key",
                Settings::Mtls(_) => "mtls",
                Settings::Require(_) => "require",
                Settings::Any(_) => "any",
                Settings::RateLimit(_) => "rate_limit",
                Settings::Cache(_) => "cache",
                Settings::Cors(_) => "cors",
                Settings::Transform(_) => "transform",
                Settings::Graphql(_) => "graphql",
                Settings::Llm(_) => "llm",
            }
        }

        /// Whether the policy can refuse a request (authentication, `require`, `rate_limit`,
        /// `graphql`): on a cached route it must run before the lookup, or a hit would skip it.
        pub fn refuses(&self) -> bool {
            self.authenticates()
                || matches!(
                    self,
                    Settings::Require(_)
                        | Settings::RateLimit(_)
                        | Settings::Graphql(_)
                        | Settings::Llm(_)
                )
        }

        /// Whether the policy names the request's operation (`graphql`), which a `rate_limit`
        /// after it may key on.
        pub fn names_operation(&self) -> bool {
            matches!(self, Settings::Graphql(_))
        }

        pub fn is_cache(&self) -> bool {
            matches!(self, Settings::Cache(_))
        }

        /// Whether the policy answers CORS preflights (it must come before anything that could
        /// refuse a request without credentials).
        pub fn is_cors(&self) -> bool {
            matches!(self, Settings::Cors(_))
        }

        /// Whether a preflight must not pass this policy first: it refuses requests without
        /// credentials or over a limit, or answers from cache.
        pub fn refuses_or_answers(&self) -> bool {
            self.authenticates()
                || self.needs_identity().is_some()
                || self.is_cache()
                || matches!(
                    self,
                    Settings::RateLimit(_) | Settings::Graphql(_) | Settings::Llm(_)
                )
        }

        /// The query parameter an authentication policy reads its credential from, if any.
        pub fn credential_query(&self) -> Option<&str> {
            match self {
                Settings::Jwt(j) => j.spec.query.as_deref(),
                Settings::ApiKey(a) => a.spec.query.as_deref(),
                _ => None,
            }
        }

        /// The headers an authentication policy sets from the identity (`forward`).
        pub fn forward(&self) -> &[(String, String)] {
            match self {
                Settings::Jwt(j) => &j.forward,
                Settings::ApiKey(a) => &a.forward,
                Settings::Mtls(m) => &m.forward,
                _ => &[],
            }
        }
    }

    /// What a placement rule sees of one route.
    pub struct Placement<'a> {
        /// The route's policies in order (the gateway's defaults first), as indexes into `all`.
        pub chain: &'a [usize],
        pub all: &'a [CheckedPolicy],
        pub methods: &'a [String],
        pub websocket: bool,
        pub fan_out: Option<&'a CheckedFanOut>,
        /// `routes/<file>: route "<id>"`, put in front of every message.
        pub ctx: &'a str,
    }

    impl Placement<'_> {
        /// The position in the chain of the first policy `is` selects; more than one is an
        /// error (`more than one <kind> policy`).
        pub fn only_one(
            &self,
            is: fn(&Settings) -> bool,
            kind: &str,
            errors: &mut Vec<String>,
        ) -> Option<usize> {
            let found: Vec<usize> = (0..self.chain.len())
                .filter(|&p| is(&self.all[self.chain[p]].settings))
                .collect();
            if found.len() > 1 {
                errors.push(format!("{}: more than one {kind} policy", self.ctx));
            }
            found.first().copied()
        }

        /// The policy at chain position `at`.
        pub fn policy(&self, at: usize) -> &CheckedPolicy {
            &self.all[self.chain[at]]
        }
    }

    /// The kinds' rules for where they may stand in a route, run in this order.
    pub const PLACEMENT_RULES: &[fn(&Placement, &mut Vec<String>)] = &[
        cors::placement,
        cache::placement,
        graphql::placement,
        llm::placement,
    ];

    /// Runs every kind's placement rule over one route.
    pub fn check_placement(p: &Placement, errors: &mut Vec<String>) {
        for rule in PLACEMENT_RULES {
            rule(p, errors);
        }
    }
}
