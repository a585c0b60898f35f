//! `kind = "llm"` in the worker: OpenAI's API (`POST .../chat/completions`,
//! `POST .../embeddings`) in front of the providers an alias lists.
//!
//! The phases:
//! - `on_request`: reads the body (at most the plan's `max_prompt`), checks it is OpenAI's
//!   shape ([`gatehouse_llm`]), finds the alias and holds the plan's guards (models allowed;
//!   `max_tokens` capped at the plan's, and set when the client sets none, so what a provider
//!   may write is bounded); answers from the exact-match cache when the policy has one and
//!   the request is cacheable ([`answer_cache`]); then reserves the worst case (estimated
//!   prompt tokens + `max_tokens`) from every `unit = "tokens"` rate limit of the route.
//! - `upstream`: the providers in order ([`call`]), each through [`crate::upstream::forward`]
//!   (or the AI binding), moving on before any byte reached the client
//!   ([`fallback`]); the answer translated to OpenAI's shape, a stream as it arrives
//!   ([`stream`]).
//! - after the answer (the end of a stream): the reservations are settled with the real
//!   usage, and the access log and data point get the call's figures.

#[cfg(target_arch = "wasm32")]
mod answer_cache;
#[cfg(target_arch = "wasm32")]
mod call;
pub mod fallback;
#[cfg(target_arch = "wasm32")]
mod stream;

pub use gatehouse_config::kinds::llm::{Alias, Endpoint, Llm, ModelTarget};

/// Tokens to reserve before the call: the prompt's estimate and every token the answer may
/// use. Saturating: a hostile estimate cannot wrap.
pub fn reservation(prompt_estimate: u64, max_tokens: u64) -> u64 {
    prompt_estimate.saturating_add(max_tokens).max(1)
}

#[cfg(target_arch = "wasm32")]
pub use worker::*;

#[cfg(target_arch = "wasm32")]
mod worker {
    use super::*;
    use crate::error::GatewayError;
    use crate::exchange::WorkerExchange;
    use crate::log::LlmLog;
    use crate::pipeline::Flow;
    use crate::policy::rate_limit::{self, TokenHold};
    use crate::policy::Policy;
    use crate::runtime::answer::Answer;
    use crate::runtime::auth::WorkerAuth;
    use gatehouse_llm::{Chat, Embeddings};

    /// What the step keeps between its phases for one request.
    pub struct Call {
        pub policy: &'static Llm,
        pub alias: &'static Alias,
        pub request: Request,
        /// `max_tokens` as sent (the client's, capped; or the plan's).
        pub max_tokens: u64,
        /// The exact-match cache entry's URL, when this request may be cached.
        pub cache_url: Option<String>,
        /// Token reservations to settle.
        pub holds: Vec<TokenHold>,
    }

    /// The client's request, parsed.
    pub enum Request {
        Chat(Chat),
        Embeddings(Embeddings),
    }

    impl Request {
        fn alias(&self) -> &str {
            match self {
                Request::Chat(c) => &c.model,
                Request::Embeddings(e) => &e.model,
            }
        }
    }

    /// The `on_request` phase: parse, guards, cache lookup, token reservation.
    pub async fn on_request(
        policy: &'static Llm,
        x: &mut WorkerExchange<'_>,
        state: &mut Option<Box<Call>>,
    ) -> Result<Flow<Answer>, GatewayError> {
        let Some(route) = x.route else {
            return Err(GatewayError::RouteNotFound);
        };
        let plan = x.ctx.identity.as_ref().and_then(|i| i.plan.clone());
        let (allowed, max_tokens, max_prompt) = policy.guard(plan.as_deref());
        let media = x.header("content-type");
        if !crate::http::content_type::is_json(media.as_deref()) {
            return Err(GatewayError::UnsupportedMediaType {
                got: media,
                accepted: &["application/json"],
            });
        }
        let body = x.body_text(u64::from(max_prompt)).await?;
        let refused = |e: gatehouse_llm::ClientError| GatewayError::LlmRefused {
            status: e.status,
            slug: "invalid-llm-request",
            detail: e.message,
        };
        let request = match Endpoint::of_path(route.path) {
            Endpoint::Chat => {
                Request::Chat(gatehouse_llm::parse_chat(body.as_bytes()).map_err(refused)?)
            }
            Endpoint::Embeddings => Request::Embeddings(
                gatehouse_llm::parse_embeddings(body.as_bytes()).map_err(refused)?,
            ),
        };
        let name = request.alias();
        let Some(alias) = policy.models.iter().find(|a| a.name == name) else {
            return Err(GatewayError::LlmRefused {
                status: 400,
                slug: "unknown-model",
                detail: format!(
                    "model \"{}\" is not offered here; use one of: {}",
                    name.escape_debug(),
                    offered(policy, allowed)
                ),
            });
        };
        if allowed.is_some_and(|list| !list.contains(&alias.name)) {
            return Err(GatewayError::LlmRefused {
                status: 403,
                slug: "model-not-allowed",
                detail: format!(
                    "your plan may not use model \"{}\"; it may use: {}",
                    alias.name,
                    offered(policy, allowed)
                ),
            });
        }
        let max_tokens = match &request {
            Request::Chat(c) => c.max_tokens.map_or(u64::from(max_tokens), |asked| {
                asked.min(u64::from(max_tokens))
            }),
            Request::Embeddings(_) => 0,
        };
        x.ctx.log.llm = Some(LlmLog {
            alias: alias.name,
            stream: matches!(&request, Request::Chat(c) if c.stream),
            ..LlmLog::default()
        });
        let mut call = Box::new(Call {
            policy,
            alias,
            request,
            max_tokens,
            cache_url: None,
            holds: Vec::new(),
        });
        if let Some(hit) = answer_cache::lookup(x, &mut call).await {
            return Ok(Flow::Respond(hit));
        }
        reserve(x, &mut call).await?;
        *state = Some(call);
        Ok(Flow::Continue)
    }

    /// The aliases a consumer may name, for an error's detail.
    fn offered(policy: &Llm, allowed: Option<&[&str]>) -> String {
        let names: Vec<&str> = policy
            .models
            .iter()
            .map(|a| a.name)
            .filter(|n| allowed.is_none_or(|l| l.contains(n)))
            .collect();
        names.join(", ")
    }

    /// Reserves the request's worst case from every `unit = "tokens"` rate limit of the
    /// route (they stand before this step). A refusal is the limit's 429; reservations
    /// already taken are given back at once.
    async fn reserve(x: &mut WorkerExchange<'_>, call: &mut Call) -> Result<(), GatewayError> {
        let Some(route) = x.route else {
            return Ok(());
        };
        let cost = match &call.request {
            Request::Chat(c) => reservation(c.estimated_prompt_tokens(), call.max_tokens),
            Request::Embeddings(e) => reservation(e.estimated_tokens(), 0),
        };
        let all = crate::config::TABLE.policies;
        let token_limits = route
            .policies
            .iter()
            .filter_map(|&i| match &all[usize::from(i)] {
                Policy::RateLimit(r) if r.tokens => Some(r),
                _ => None,
            });
        for policy in token_limits {
            let backend = WorkerAuth {
                request: x.req,
                headers: &x.inbound,
                query: x.ctx.url.query,
                env: x.env,
            };
            let taken = rate_limit::reserve_tokens(
                policy,
                &backend,
                x.ctx.identity.as_ref(),
                route.id,
                cost,
            )
            .await;
            match taken {
                Ok((hold, passed)) => {
                    x.ctx.response_headers.extend(passed.headers);
                    if let Some(warning) = passed.allowed_on_error {
                        crate::runtime::console_log(
                            &serde_json::json!({ "level": "warn", "message": warning, "request_id": x.ctx.ids.request_id })
                                .to_string(),
                        );
                    }
                    call.holds.extend(hold);
                }
                Err(e) => {
                    settle_later(x, std::mem::take(&mut call.holds), 0);
                    return Err(e);
                }
            }
        }
        Ok(())
    }

    /// Settles `holds` at `used` tokens after the answer (each hold's own reservation is
    /// given back or topped up); a failure is logged, never answered.
    pub fn settle_later(x: &WorkerExchange<'_>, holds: Vec<TokenHold>, used: u64) {
        if holds.is_empty() {
            return;
        }
        let env = x.env.clone();
        let request_id = x.ctx.ids.request_id.clone();
        x.worker_ctx
            .wait_until(settle(env, holds, used, request_id));
    }

    /// Settles `holds` at `used` tokens.
    pub async fn settle(env: ::worker::Env, holds: Vec<TokenHold>, used: u64, request_id: String) {
        let limiter = crate::runtime::auth::EnvLimiter(env);
        for hold in &holds {
            if let Err(why) = rate_limit::settle_tokens(hold, &limiter, used).await {
                crate::runtime::console_log(
                    &serde_json::json!({
                        "level": "warn",
                        "message": format!("rate_limit policy {}: could not settle {used} tokens (reserved {}): {why}", hold.policy.name, hold.reserved),
                        "request_id": request_id,
                    })
                    .to_string(),
                );
            }
        }
    }

    /// The `upstream` phase: the alias's providers in order.
    pub async fn upstream(
        x: &mut WorkerExchange<'_>,
        state: &mut Option<Box<Call>>,
    ) -> Result<Answer, GatewayError> {
        let Some(call) = state.take() else {
            return Err(GatewayError::Internal {
                what: "keep the llm request",
            });
        };
        call::providers(x, *call).await
    }
}
