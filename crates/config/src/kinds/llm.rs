//! `kind = "llm"`: an OpenAI-compatible endpoint (`POST .../chat/completions`,
//! `POST .../embeddings`) in front of LLM providers. The client's `model` is an alias; the
//! alias lists providers (upstreams with `provider = ...`) and their models, tried in order
//! until one answers. Per-plan guards (models allowed, `max_tokens`, prompt size), per-model
//! prices for the cost in logs and metrics, and an opt-in exact-match answer cache.
//! `rate_limit` policies with `unit = "tokens"` before it on the route count tokens: the
//! step reserves the request's worst case before the call and settles the real usage after.

/// A compiled `llm` policy.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::llm))]
pub struct Llm {
    pub name: &'static str,
    /// The aliases a client may name as `model`.
    pub models: &'static [Alias],
    /// Provider model -> price (USD per million tokens).
    pub prices: &'static [(&'static str, Price)],
    /// `max_tokens` sent when the client sets none, and the most it may ask for.
    pub max_tokens: u32,
    /// The largest request body accepted, bytes.
    pub max_prompt_bytes: u32,
    /// Plan name -> its guards (a consumer on no listed plan gets the policy's own).
    pub plans: &'static [(&'static str, PlanGuard)],
    /// The exact-match answer cache, when on.
    pub cache: Option<AnswerCache>,
}

/// `models.<alias> = [{ provider, model }, ...]`.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::llm))]
pub struct Alias {
    pub name: &'static str,
    /// Tried in order: the next one when the one before fails before answering.
    pub targets: &'static [ModelTarget],
}

/// One provider and model of an alias.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::llm))]
pub struct ModelTarget {
    /// Index of the provider upstream in the table's `upstreams`.
    pub upstream: u16,
    /// The provider's model name, sent as `model`.
    pub model: &'static str,
}

/// `prices."<model>" = { input, output }`: USD per million tokens.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::llm))]
pub struct Price {
    pub input: f64,
    pub output: f64,
}

/// `plans.<plan> = { models, max_tokens, max_prompt }`.
#[derive(Debug)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::llm))]
pub struct PlanGuard {
    /// The aliases this plan may use (`None`: all of them).
    pub models: Option<&'static [&'static str]>,
    pub max_tokens: u32,
    pub max_prompt_bytes: u32,
}

/// `cache = { ttl, shared }`.
#[derive(Debug, Clone, Copy, PartialEq)]
#[cfg_attr(feature = "bake", derive(databake::Bake), databake(path = gatehouse_config::kinds::llm))]
pub struct AnswerCache {
    pub ttl_s: u32,
    /// One entry for every consumer (`false`, the default: one per consumer).
    pub shared: bool,
}

impl Llm {
    /// The guards for a consumer on `plan`.
    pub fn guard(&self, plan: Option<&str>) -> (Option<&'static [&'static str]>, u32, u32) {
        match plan.and_then(|p| self.plans.iter().find(|(name, _)| *name == p)) {
            Some((_, g)) => (g.models, g.max_tokens, g.max_prompt_bytes),
            None => (None, self.max_tokens, self.max_prompt_bytes),
        }
    }

    /// The price of a provider model, if configured.
    pub fn price(&self, model: &str) -> Option<Price> {
        self.prices
            .iter()
            .find(|(m, _)| *m == model)
            .map(|(_, p)| *p)
    }
}

/// Which of OpenAI's endpoints an `llm` route serves: the checker allows only these two
/// path ends.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Endpoint {
    Chat,
    Embeddings,
}

impl Endpoint {
    /// The endpoint of a route's path.
    pub fn of_path(path: &str) -> Endpoint {
        if path.ends_with("/embeddings") {
            Endpoint::Embeddings
        } else {
            Endpoint::Chat
        }
    }
}

/// The default and cap of `max_tokens` when the policy sets none.
pub const DEFAULT_MAX_TOKENS: u32 = 4096;
/// The largest request body when the policy sets no `max_prompt`.
pub const DEFAULT_MAX_PROMPT_BYTES: u32 = 1 << 20;

#[cfg(feature = "check")]
pub use check::*;

/// The checker's part: the TOML shape, its parse and the value the table holds.
#[cfg(feature = "check")]
mod check {
    use super::*;
    use crate::kinds::{Placement, Settings};
    use crate::leak;
    use crate::lex::{byte_size, parse_duration_ms};
    use crate::upstream::CheckedUpstream;
    use serde::Deserialize;
    use std::collections::BTreeMap;

    const MAX_ALIASES: usize = 64;
    const MAX_TARGETS: usize = 8;
    const MAX_PROMPT_CAP: u64 = 10 << 20;
    const MAX_TOKENS_CAP: u64 = 1_000_000;

    /// `kind = "llm"`: an OpenAI-compatible endpoint in front of LLM providers.
    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct LlmSpec {
        /// Alias (what clients send as `model`) -> providers and models, tried in order.
        pub models: BTreeMap<String, Vec<ModelSpec>>,
        /// Provider model -> price in USD per million tokens, for the cost in logs and metrics.
        #[serde(default)]
        pub prices: BTreeMap<String, PriceSpec>,
        /// Sent when the client sets none, and the most a client may ask for (default 4096).
        pub max_tokens: Option<u64>,
        /// The largest request body (default "1MiB").
        pub max_prompt: Option<String>,
        /// Plan name -> guards that replace the policy's own for consumers on that plan.
        #[serde(default)]
        pub plans: BTreeMap<String, PlanSpec>,
        /// Exact-match answers for non-streaming, temperature-0 requests.
        pub cache: Option<CacheSpec>,
    }

    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct ModelSpec {
        /// An upstream with `provider = ...` in `[upstreams]`.
        pub provider: String,
        /// The provider's model name.
        pub model: String,
    }

    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PriceSpec {
        /// USD per million input (prompt) tokens.
        pub input: f64,
        /// USD per million output (completion) tokens.
        pub output: f64,
    }

    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct PlanSpec {
        /// The aliases this plan may use (default: all).
        pub models: Option<Vec<String>>,
        /// The plan's `max_tokens`: sent when the client sets none, and the most it may ask
        /// for (default: the policy's).
        pub max_tokens: Option<u64>,
        /// The plan's largest request body (default: the policy's `max_prompt`).
        pub max_prompt: Option<String>,
    }

    #[derive(Debug, Clone, Deserialize, schemars::JsonSchema)]
    #[serde(deny_unknown_fields)]
    pub struct CacheSpec {
        /// How long an answer is kept, e.g. "10m" (at most "24h").
        #[schemars(pattern(crate::lex::DURATION_PATTERN))]
        pub ttl: String,
        /// One entry for every consumer instead of one per consumer (default false).
        #[serde(default)]
        pub shared: bool,
    }

    /// A checked `llm` policy; provider names are resolved by [`LlmSettings::resolve`].
    #[derive(Debug)]
    pub struct LlmSettings {
        pub spec: LlmSpec,
        pub max_tokens: u32,
        pub max_prompt_bytes: u32,
        pub plans: Vec<(String, Option<Vec<String>>, u32, u32)>,
        pub cache: Option<AnswerCache>,
        /// alias -> (upstream index, model), once resolved.
        pub targets: Vec<(String, Vec<(u16, String)>)>,
    }

    fn is_alias(s: &str) -> bool {
        !s.is_empty()
            && s.len() <= 128
            && s.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"-_.:/@".contains(&b))
    }

    fn is_model(s: &str) -> bool {
        !s.is_empty() && s.len() <= 256 && s.chars().all(|c| !c.is_control() && c != ' ')
    }

    fn tokens(key: &str, v: Option<u64>, default: u32, errors: &mut Vec<String>) -> u32 {
        match v {
            None => default,
            Some(n) if (1..=MAX_TOKENS_CAP).contains(&n) => n as u32,
            Some(_) => {
                errors.push(format!("{key}: must be 1 to {MAX_TOKENS_CAP}"));
                default
            }
        }
    }

    fn prompt(key: &str, v: Option<&str>, default: u32, errors: &mut Vec<String>) -> u32 {
        match v.map(|s| byte_size(key, s, MAX_PROMPT_CAP)) {
            None => default,
            Some(Ok(n)) => n as u32,
            Some(Err(e)) => {
                errors.push(e);
                default
            }
        }
    }

    /// Parses and checks an `llm` policy; `plans` are `[gateway] plans`.
    pub fn parse(spec: &LlmSpec, plans: &[String]) -> Result<LlmSettings, Vec<String>> {
        let mut errors = Vec::new();
        if spec.models.is_empty() {
            errors.push("models: name at least one alias, e.g. models.fast = [{ provider = \"openai\", model = \"gpt-4o-mini\" }]".into());
        }
        if spec.models.len() > MAX_ALIASES {
            errors.push(format!("models: at most {MAX_ALIASES} aliases"));
        }
        for (alias, list) in &spec.models {
            if !is_alias(alias) {
                errors.push(format!(
                    "models.\"{alias}\": an alias uses letters, digits and - _ . : / @"
                ));
            }
            if list.is_empty() || list.len() > MAX_TARGETS {
                errors.push(format!(
                    "models.\"{alias}\": list 1 to {MAX_TARGETS} {{ provider, model }} entries"
                ));
            }
            for m in list {
                if !is_model(&m.model) {
                    errors.push(format!(
                        "models.\"{alias}\": model \"{}\" must be 1 to 256 characters without spaces or control characters",
                        m.model.escape_debug()
                    ));
                }
            }
        }
        for (model, p) in &spec.prices {
            if !(p.input.is_finite() && p.output.is_finite() && p.input >= 0.0 && p.output >= 0.0) {
                errors.push(format!(
                    "prices.\"{model}\": input and output are USD per million tokens, 0 or more"
                ));
            }
            if !spec.models.values().flatten().any(|m| &m.model == model) {
                errors.push(format!(
                    "prices.\"{model}\": no alias uses this model (prices are keyed by the provider's model name)"
                ));
            }
        }
        let max_tokens = tokens(
            "max_tokens",
            spec.max_tokens,
            DEFAULT_MAX_TOKENS,
            &mut errors,
        );
        let max_prompt_bytes = prompt(
            "max_prompt",
            spec.max_prompt.as_deref(),
            DEFAULT_MAX_PROMPT_BYTES,
            &mut errors,
        );
        let mut plan_guards = Vec::new();
        for (plan, p) in &spec.plans {
            if !plans.contains(plan) {
                errors.push(format!(
                    "plans.{plan}: not a plan in [gateway] plans ({})",
                    plans.join(", ")
                ));
            }
            if let Some(models) = &p.models {
                for m in models {
                    if !spec.models.contains_key(m) {
                        errors.push(format!(
                            "plans.{plan}.models: \"{m}\" is not an alias in models"
                        ));
                    }
                }
            }
            let t = tokens(
                &format!("plans.{plan}.max_tokens"),
                p.max_tokens,
                max_tokens,
                &mut errors,
            );
            let b = prompt(
                &format!("plans.{plan}.max_prompt"),
                p.max_prompt.as_deref(),
                max_prompt_bytes,
                &mut errors,
            );
            plan_guards.push((plan.clone(), p.models.clone(), t, b));
        }
        let cache = spec
            .cache
            .as_ref()
            .and_then(|c| match parse_duration_ms(&c.ttl) {
                Ok(ms) if (1_000..=86_400_000).contains(&ms) => Some(AnswerCache {
                    ttl_s: (ms / 1000) as u32,
                    shared: c.shared,
                }),
                Ok(_) => {
                    errors.push("cache.ttl: must be 1s to 24h".into());
                    None
                }
                Err(e) => {
                    errors.push(format!("cache.ttl: {e}"));
                    None
                }
            });
        if errors.is_empty() {
            Ok(LlmSettings {
                spec: spec.clone(),
                max_tokens,
                max_prompt_bytes,
                plans: plan_guards,
                cache,
                targets: Vec::new(),
            })
        } else {
            Err(errors)
        }
    }

    impl LlmSettings {
        /// Finds each model's provider among the upstreams: it must be one with `provider`.
        pub fn resolve(
            &mut self,
            ctx: &str,
            upstreams: &[CheckedUpstream],
            errors: &mut Vec<String>,
        ) {
            self.targets.clear();
            for (alias, list) in &self.spec.models {
                let mut resolved = Vec::new();
                for m in list {
                    match upstreams.iter().position(|u| u.name == m.provider) {
                        Some(i) if upstreams[i].provider.is_some() => {
                            resolved.push((i as u16, m.model.clone()))
                        }
                        Some(_) => errors.push(format!(
                            "{ctx}: models.\"{alias}\": upstream \"{}\" is not an LLM provider (set provider = \"openai\", \"anthropic\", \"openai-compatible\" or \"workers-ai\")",
                            m.provider
                        )),
                        None => errors.push(format!(
                            "{ctx}: models.\"{alias}\": provider \"{}\" is not defined in routes/gateway.toml [upstreams]",
                            m.provider
                        )),
                    }
                }
                self.targets.push((alias.clone(), resolved));
            }
        }

        pub fn policy(&self, name: &str) -> Llm {
            Llm {
                name: leak::str(name),
                models: leak::slice(
                    self.targets
                        .iter()
                        .map(|(alias, list)| Alias {
                            name: leak::str(alias),
                            targets: leak::slice(
                                list.iter()
                                    .map(|(u, m)| ModelTarget {
                                        upstream: *u,
                                        model: leak::str(m),
                                    })
                                    .collect(),
                            ),
                        })
                        .collect(),
                ),
                prices: leak::slice(
                    self.spec
                        .prices
                        .iter()
                        .map(|(m, p)| {
                            (
                                leak::str(m),
                                Price {
                                    input: p.input,
                                    output: p.output,
                                },
                            )
                        })
                        .collect(),
                ),
                max_tokens: self.max_tokens,
                max_prompt_bytes: self.max_prompt_bytes,
                plans: leak::slice(
                    self.plans
                        .iter()
                        .map(|(plan, models, t, b)| {
                            (
                                leak::str(plan),
                                PlanGuard {
                                    models: models.as_deref().map(leak::strs),
                                    max_tokens: *t,
                                    max_prompt_bytes: *b,
                                },
                            )
                        })
                        .collect(),
                ),
                cache: self.cache,
            }
        }
    }

    /// Where `llm` may stand: one per route, last but for `headers`; every `rate_limit` with
    /// `unit = "tokens"` on the route stands before it (it counts what the llm step
    /// reserves), and a tokens limit needs an llm policy after it. An llm route answers
    /// POST only, has no cache, transform, fan-out or other upstream call.
    pub fn placement(p: &Placement, errors: &mut Vec<String>) {
        let is_tokens = |s: &Settings| matches!(s, Settings::RateLimit(r) if r.tokens);
        let at = p.only_one(|s| matches!(s, Settings::Llm(_)), "llm", errors);
        let Some(at) = at else {
            for i in 0..p.chain.len() {
                if is_tokens(&p.policy(i).settings) {
                    errors.push(format!(
                        "{}: policy \"{}\" (rate_limit with unit = \"tokens\") needs an llm policy after it on the route",
                        p.ctx,
                        p.policy(i).name
                    ));
                }
            }
            return;
        };
        let name = &p.policy(at).name;
        for i in 0..p.chain.len() {
            let other = p.policy(i);
            let settings = &other.settings;
            if i > at && is_tokens(settings) {
                errors.push(format!(
                    "{}: policy \"{}\" (rate_limit with unit = \"tokens\") must come before policy \"{name}\" (llm), which reserves the tokens",
                    p.ctx, other.name
                ));
            }
            if i > at && !matches!(settings, Settings::Headers(_)) {
                errors.push(format!(
                    "{}: policy \"{}\" ({}) comes after policy \"{name}\" (llm): put it before (only headers may follow)",
                    p.ctx,
                    other.name,
                    settings.kind()
                ));
            }
            if matches!(
                settings,
                Settings::Cache(_) | Settings::Transform(_) | Settings::Graphql(_)
            ) {
                errors.push(format!(
                    "{}: policy \"{}\" ({}) cannot share a route with policy \"{name}\" (llm): the llm policy has its own answer cache",
                    p.ctx,
                    other.name,
                    settings.kind()
                ));
            }
        }
        if p.methods.iter().any(|m| m != "POST") {
            errors.push(format!(
                "{}: a route with policy \"{name}\" (llm) serves POST only",
                p.ctx
            ));
        }
        if p.fan_out.is_some() || p.websocket {
            errors.push(format!(
                "{}: a route with policy \"{name}\" (llm) has no fan_out or websocket",
                p.ctx
            ));
        }
    }
}
