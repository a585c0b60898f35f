//! `kind = "rate_limit"`: the table's [`RateLimit`]; with `check`, parsed once into [`RateLimitSettings`], which the
//! table's value is built from.

use crate::table::limit::Limit;

/// A compiled `rate_limit` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::rate_limit))]
pub struct RateLimit {
    pub name: &'static str,
    /// Its place in the table's policies: with a limit list's slot, the key of per-isolate
    /// state (never an address: identical constants may share one).
    pub index: u16,
    /// What the count is per; the parts are joined into the object's name.
    pub key: &'static [KeyPart],
    /// The limits, unless the consumer's plan selects others.
    pub limits: &'static [NamedLimit],
    /// Plan name -> limits for consumers on that plan.
    pub plans: &'static [(&'static str, &'static [NamedLimit])],
    /// What happens when the limiter errors or does not answer within `timeout_ms`.
    pub on_error: OnError,
    pub timeout_ms: u32,
    /// `mode = "leased"`: the most permits an isolate leases at once (0 = exact mode).
    pub lease: u32,
    /// How long leased permits stay valid at most.
    pub lease_ttl_ms: u32,
    /// `unit = "tokens"`: the limits count LLM tokens, which the route's `llm` step reserves
    /// and settles (this step itself takes nothing); otherwise they count requests.
    pub tokens: bool,
}

/// `on_error`: the answer when the limiter cannot decide (it errors, or does not answer
/// within the policy's `timeout`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::rate_limit))]
pub enum OnError {
    /// `"deny"` (the default): 503 `rate-limit-unavailable` with `Retry-After`.
    Deny,
    /// `"allow"`: the request goes on without rate-limit headers, and a warning is logged.
    Allow,
}

impl OnError {
    /// Whether a request the limiter could not decide on is let through.
    pub fn allows(self) -> bool {
        self == OnError::Allow
    }
}

#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::rate_limit))]
pub struct NamedLimit {
    pub name: &'static str,
    pub limit: Limit,
}

/// One part of a rate-limit key.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::rate_limit))]
pub enum KeyPart {
    /// `CF-Connecting-IP`.
    Ip,
    /// The authenticated subject (JWT `sub`, API-key consumer id, certificate DN).
    Consumer,
    Claim(&'static str),
    Header(&'static str),
    /// The matched route's id.
    Route,
    /// The GraphQL operation's name, as a `graphql` policy before it found it (empty for an
    /// anonymous operation).
    Operation,
    /// One count for everyone.
    Global,
}

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::{KeyPart, Limit, NamedLimit, OnError, RateLimit};
    use crate::leak;
    use crate::lex::{is_token_byte, parse_duration_ms};
    use crate::table::limit::Algorithm;
    use gatehouse_shared::dates::Period;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    /// `kind = "rate_limit"`: limits counted in a Durable Object per (policy, key).
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct RateLimitSpec {
        /// `ip`, `consumer`, `claim:<name>`, `header:<name>`, `route`, `global`, or a list of them.
        pub key: KeySpec,
        pub limits: Vec<LimitSpec>,
        /// Plan name -> limits that replace `limits` for consumers on that plan.
        #[serde(default)]
        pub plans: BTreeMap<String, Vec<LimitSpec>>,
        /// `"deny"` (default) or `"allow"`: what happens when the limiter cannot answer.
        #[schemars(extend("enum" = ["deny", "allow"]))]
        pub on_error: Option<String>,
        /// The key `on_error` replaced; present, it fails the check with a message naming
        /// `on_error` (never silently ignored: `fail = "closed"` must not become "allow").
        #[serde(default)]
        #[schemars(schema_with = "crate::config_schema::renamed")]
        pub fail: Option<toml::Value>,
        /// How long to wait for the limiter (default "1s").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub timeout: Option<String>,
        /// `"exact"` (default: one round trip per request) or `"leased"`.
        #[schemars(extend("enum" = ["exact", "leased"]))]
        pub mode: Option<String>,
        /// Leased mode: the most permits an isolate takes at once (default 10).
        pub lease: Option<u64>,
        /// Leased mode: how long leased permits stay valid at most (default "1s").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub lease_ttl: Option<String>,
        /// `"requests"` (default) or `"tokens"`: LLM tokens, reserved and settled by the
        /// route's `llm` policy (which must come after this one).
        #[schemars(extend("enum" = ["requests", "tokens"]))]
        pub unit: Option<String>,
    }

    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(untagged)]
    pub enum KeySpec {
        One(String),
        Many(Vec<String>),
    }

    /// One limit: `limit` per `window` (or per calendar `per = "day" | "month"`).
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct LimitSpec {
        pub name: String,
        pub limit: u64,
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub window: Option<String>,
        #[schemars(extend("enum" = ["day", "month"]))]
        pub per: Option<String>,
        /// `sliding_window` (default), `fixed_window` or `token_bucket`.
        #[schemars(extend("enum" = ["sliding_window", "fixed_window", "token_bucket"]))]
        pub algorithm: Option<String>,
        /// Token bucket size (default: `limit`).
        pub burst: Option<u64>,
    }

    /// A `rate_limit` policy with everything parsed.
    #[derive(Debug)]
    pub struct RateLimitSettings {
        pub key: Vec<KeyPart>,
        pub limits: Vec<LimitSettings>,
        pub plans: Vec<(String, Vec<LimitSettings>)>,
        pub on_error: OnError,
        pub timeout_ms: u32,
        /// Leased mode's batch size (0 = exact mode) and lease lifetime.
        pub lease: u32,
        pub lease_ttl_ms: u32,
        /// Whether the key needs an identity (consumer or claim parts).
        pub needs_identity: bool,
        /// `unit = "tokens"`.
        pub tokens: bool,
    }

    #[derive(Debug)]
    pub struct LimitSettings {
        pub name: String,
        pub limit: u64,
        pub window_ms: u64,
        pub algorithm: Algorithm,
    }

    /// Parses and checks a `rate_limit` policy; `plans` are `[gateway] plans`.
    pub fn parse(spec: &RateLimitSpec, plans: &[String]) -> Result<RateLimitSettings, Vec<String>> {
        let mut errors = Vec::new();
        let parts: Vec<String> = match &spec.key {
            KeySpec::One(k) => vec![k.clone()],
            KeySpec::Many(k) => k.clone(),
        };
        if parts.is_empty() {
            errors.push("key: name at least one part".into());
        }
        let mut key = Vec::new();
        let mut needs_identity = false;
        for p in &parts {
            let part = match p.split_once(':') {
                None if p == "ip" => KeyPart::Ip,
                None if p == "consumer" => {
                    needs_identity = true;
                    KeyPart::Consumer
                }
                None if p == "route" => KeyPart::Route,
                None if p == "operation" => KeyPart::Operation,
                None if p == "global" => KeyPart::Global,
                Some(("claim", c)) if !c.is_empty() => {
                    needs_identity = true;
                    KeyPart::Claim(leak::str(c))
                }
                Some(("header", h)) if !h.is_empty() && h.bytes().all(is_token_byte) => {
                    KeyPart::Header(leak::str(&h.to_ascii_lowercase()))
                }
                _ => {
                    errors.push(format!("key: unknown part \"{p}\" (use ip, consumer, claim:<name>, header:<name>, route, operation, global)"));
                    continue;
                }
            };
            key.push(part);
        }
        let limits = check_limits(&spec.limits, "limits", &mut errors);
        let mut plan_limits = Vec::new();
        for (plan, list) in &spec.plans {
            if !plans.contains(plan) {
                errors.push(format!(
                    "plans: plan \"{plan}\" is not declared in [gateway] plans"
                ));
            }
            plan_limits.push((
                plan.clone(),
                check_limits(list, &format!("plans.{plan}"), &mut errors),
            ));
        }
        if spec.fail.is_some() {
            errors.push(
                "fail: renamed; use on_error = \"deny\" (the default; was fail = \"closed\") or on_error = \"allow\" (was fail = \"open\")".into(),
            );
        }
        let on_error = match spec.on_error.as_deref() {
            None | Some("deny") => OnError::Deny,
            Some("allow") => OnError::Allow,
            Some(other) => {
                errors.push(format!(
                    "on_error: \"{other}\" is not \"deny\" or \"allow\""
                ));
                OnError::Deny
            }
        };
        let timeout_ms = match spec.timeout.as_deref().map(parse_duration_ms) {
            None => 1_000,
            Some(Ok(ms)) if ms <= 10_000 => ms as u32,
            Some(Ok(_)) => {
                errors.push("timeout: at most 10s".into());
                1_000
            }
            Some(Err(e)) => {
                errors.push(format!("timeout: {e}"));
                1_000
            }
        };
        let (lease, lease_ttl_ms) = lease_settings(spec, &mut errors);
        let tokens = match spec.unit.as_deref() {
            None | Some("requests") => false,
            Some("tokens") => true,
            Some(other) => {
                errors.push(format!(
                    "unit: \"{other}\" is not \"requests\" or \"tokens\""
                ));
                false
            }
        };
        if tokens && lease > 0 {
            errors.push(
                "mode = \"leased\" counts requests; a unit = \"tokens\" limit is always exact"
                    .into(),
            );
        }
        if errors.is_empty() {
            Ok(RateLimitSettings {
                key,
                limits,
                plans: plan_limits,
                on_error,
                timeout_ms,
                lease,
                lease_ttl_ms,
                needs_identity,
                tokens,
            })
        } else {
            Err(errors)
        }
    }

    /// `mode`, `lease` and `lease_ttl`: (0, 0) in exact mode.
    fn lease_settings(spec: &RateLimitSpec, errors: &mut Vec<String>) -> (u32, u32) {
        match spec.mode.as_deref() {
            None | Some("exact") => {
                if spec.lease.is_some() || spec.lease_ttl.is_some() {
                    errors.push("lease, lease_ttl: only used with mode = \"leased\"".into());
                }
                return (0, 0);
            }
            Some("leased") => {}
            Some(other) => {
                errors.push(format!("mode: \"{other}\" is not \"exact\" or \"leased\""));
                return (0, 0);
            }
        }
        let lease = spec.lease.unwrap_or(10);
        // A lease larger than a limit (or a bucket's burst) could never be granted whole.
        let smallest = spec
            .limits
            .iter()
            .chain(spec.plans.values().flatten())
            .map(|l| l.burst.unwrap_or(l.limit).min(l.limit))
            .min()
            .unwrap_or(0);
        if lease == 0 || lease > 1_000 {
            errors.push("lease: between 1 and 1000 permits".into());
        } else if lease > smallest {
            errors.push(format!(
                "lease: {lease} is more than the smallest limit or burst ({smallest}); lower it"
            ));
        }
        let ttl = match spec.lease_ttl.as_deref().map(parse_duration_ms) {
            None => 1_000,
            Some(Ok(ms)) if (100..=60_000).contains(&ms) => ms as u32,
            Some(Ok(_)) => {
                errors.push("lease_ttl: between 100ms and 60s".into());
                1_000
            }
            Some(Err(e)) => {
                errors.push(format!("lease_ttl: {e}"));
                1_000
            }
        };
        (lease.min(1_000) as u32, ttl)
    }

    fn check_limits(list: &[LimitSpec], at: &str, errors: &mut Vec<String>) -> Vec<LimitSettings> {
        if list.is_empty() {
            errors.push(format!("{at}: list at least one limit"));
        }
        let mut out: Vec<LimitSettings> = Vec::new();
        for l in list {
            let ctx = format!("{at}: limit \"{}\"", l.name);
            if l.name.is_empty()
                || !l
                    .name
                    .bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
            {
                errors.push(format!("{ctx}: names use a-z, 0-9, '-' and '_'"));
            }
            if out.iter().any(|o| o.name == l.name) {
                errors.push(format!("{ctx}: duplicate name"));
            }
            if l.limit == 0 {
                errors.push(format!("{ctx}: limit must be at least 1"));
            }
            let (window_ms, algorithm) = match (&l.window, &l.per, l.algorithm.as_deref()) {
                (None, Some(per), None) => match per.as_str() {
                    "day" => (86_400_000, Algorithm::Calendar(Period::Day)),
                    "month" => (2_592_000_000, Algorithm::Calendar(Period::Month)),
                    other => {
                        errors.push(format!(
                            "{ctx}: per = \"{other}\": use \"day\" or \"month\""
                        ));
                        continue;
                    }
                },
                (Some(w), None, algorithm) => {
                    let Ok(ms) = parse_duration_ms(w)
                        .map_err(|e| errors.push(format!("{ctx}: window: {e}")))
                    else {
                        continue;
                    };
                    let a = match algorithm.unwrap_or("sliding_window") {
                        "sliding_window" => Algorithm::SlidingWindow,
                        "fixed_window" => Algorithm::FixedWindow,
                        "token_bucket" => {
                            let burst = l.burst.unwrap_or(l.limit);
                            if burst == 0 {
                                errors.push(format!("{ctx}: burst must be at least 1"));
                            }
                            Algorithm::TokenBucket { burst }
                        }
                        other => {
                            errors.push(format!("{ctx}: algorithm \"{other}\": use sliding_window, fixed_window or token_bucket"));
                            continue;
                        }
                    };
                    (ms, a)
                }
                (Some(_), Some(_), _) => {
                    errors.push(format!("{ctx}: give `window` or `per`, not both"));
                    continue;
                }
                (None, Some(_), Some(_)) => {
                    errors.push(format!("{ctx}: calendar quotas (`per`) take no algorithm"));
                    continue;
                }
                (None, None, _) => {
                    errors.push(format!(
                        "{ctx}: give `window` (e.g. \"1m\") or `per` (\"day\" or \"month\")"
                    ));
                    continue;
                }
            };
            if l.burst.is_some() && !matches!(algorithm, Algorithm::TokenBucket { .. }) {
                errors.push(format!("{ctx}: burst is only used by token_bucket"));
            }
            out.push(LimitSettings {
                name: l.name.clone(),
                limit: l.limit,
                window_ms,
                algorithm,
            });
        }
        out
    }

    /// A limit list as the table's.
    fn limits(list: &[LimitSettings]) -> &'static [NamedLimit] {
        leak::slice(
            list.iter()
                .map(|l| NamedLimit {
                    name: leak::str(&l.name),
                    limit: Limit {
                        limit: l.limit,
                        window_ms: l.window_ms,
                        algorithm: l.algorithm,
                    },
                })
                .collect(),
        )
    }

    impl RateLimitSettings {
        /// The table's `rate_limit` policy; `index` is its place in the table.
        pub fn policy(&self, name: &str, index: usize) -> RateLimit {
            let plans = self
                .plans
                .iter()
                .map(|(plan, l)| (leak::str(plan), limits(l)))
                .collect();
            RateLimit {
                name: leak::str(name),
                index: index as u16,
                key: leak::slice(self.key.clone()),
                limits: limits(&self.limits),
                plans: leak::slice(plans),
                on_error: self.on_error,
                timeout_ms: self.timeout_ms,
                lease: self.lease,
                lease_ttl_ms: self.lease_ttl_ms,
                tokens: self.tokens,
            }
        }
    }
}
