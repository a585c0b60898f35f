//! The OpenAPI parts of a route with an `llm` policy: OpenAI's request body for its endpoint
//! (`.../chat/completions` or `.../embeddings`), its answers, and the schema of the error the
//! gateway relays from a provider.
//!
//! Contract (the document's: a request it calls valid is not refused for a reason it leaves
//! out): the body schema holds only what every provider the policy may reach accepts, so a
//! schema-valid body passes the gateway's own checks (`gatehouse_llm::parse_chat`,
//! `parse_embeddings`) and the translation to each provider's wire:
//! - `model` is one of the policy's aliases; for embeddings, only aliases whose every
//!   provider has an embeddings API (no `anthropic`); if none has, every alias is listed.
//! - chat `messages`: 1 or more of `system`, `developer`, `user`, `assistant`, each with text
//!   content (a string or text parts) holding a non-blank character; with an `anthropic`
//!   provider at least one is `user` or `assistant` (Anthropic has no system turns).
//! - chat `temperature` is 0 to 2, or 0 to 1 with an `anthropic` provider; `stop` is listed
//!   only without a `workers-ai` provider, `frequency_penalty` and `presence_penalty` only
//!   without an `anthropic` one (those providers refuse them).
//! - embeddings `input` is a non-empty string or 1 to 2048 of them; `encoding_format` is
//!   `float` (or `base64` without a `workers-ai` provider).
//! - other members are left out (`additionalProperties: false`): the gateway passes more of
//!   OpenAI's fields to OpenAI providers, but not to every provider.

use super::check::Checked;
use super::kinds::llm::LlmSettings;
use super::table::upstream::ProviderKind;
use serde_json::{json, Value};

/// The name of the provider-error schema in `components.schemas`.
pub const ERROR_SCHEMA: &str = "LlmError";

pub use crate::kinds::llm::Endpoint;

/// The provider kinds an alias's models reach.
fn kinds(c: &Checked, targets: &[(u16, String)]) -> Vec<ProviderKind> {
    targets
        .iter()
        .filter_map(|(u, _)| c.upstreams.get(usize::from(*u))?.provider.as_ref())
        .map(|p| p.kind)
        .collect()
}

/// The aliases a client may name at `endpoint`, and every provider kind they reach.
fn offered(c: &Checked, llm: &LlmSettings, endpoint: Endpoint) -> (Vec<String>, Vec<ProviderKind>) {
    let all: Vec<(&String, Vec<ProviderKind>)> = llm
        .targets
        .iter()
        .map(|(alias, targets)| (alias, kinds(c, targets)))
        .collect();
    let embeds = |k: &Vec<ProviderKind>| !k.contains(&ProviderKind::Anthropic);
    let chosen: Vec<&(&String, Vec<ProviderKind>)> = match endpoint {
        Endpoint::Embeddings if all.iter().any(|(_, k)| embeds(k)) => {
            all.iter().filter(|(_, k)| embeds(k)).collect()
        }
        _ => all.iter().collect(),
    };
    let aliases = chosen.iter().map(|(a, _)| (*a).clone()).collect();
    let reached = chosen.iter().flat_map(|(_, k)| k.clone()).collect();
    (aliases, reached)
}

/// Text with at least one non-blank character (providers refuse empty or blank text).
fn text() -> Value {
    json!({ "type": "string", "minLength": 1, "pattern": "\\S" })
}

/// The JSON request body of an llm route serving `endpoint`.
pub fn request_body(c: &Checked, llm: &LlmSettings, endpoint: Endpoint) -> Value {
    let (aliases, reached) = offered(c, llm, endpoint);
    let anthropic = reached.contains(&ProviderKind::Anthropic);
    let workers_ai = reached.contains(&ProviderKind::WorkersAi);
    let model = json!({
        "type": "string",
        "enum": aliases,
        "description": "A model alias of this gateway; it picks the providers, tried in order.",
    });
    let schema = match endpoint {
        Endpoint::Chat => {
            let content = json!({ "oneOf": [
                text(),
                { "type": "array", "minItems": 1, "items": {
                    "type": "object", "required": ["type", "text"], "additionalProperties": false,
                    "properties": { "type": { "const": "text" }, "text": text() },
                } },
            ] });
            let message = json!({
                "type": "object", "required": ["role", "content"], "additionalProperties": false,
                "properties": {
                    "role": { "enum": ["system", "developer", "user", "assistant"] },
                    "content": content,
                },
            });
            let mut messages = json!({ "type": "array", "minItems": 1, "items": message });
            if anthropic {
                messages["contains"] = json!({
                    "type": "object", "required": ["role"],
                    "properties": { "role": { "enum": ["user", "assistant"] } },
                });
            }
            let mut properties = json!({
                "model": model,
                "messages": messages,
                "stream": { "type": "boolean", "description": "Answer as server-sent events (`text/event-stream`), passed on as the provider writes them." },
                "stream_options": {
                    "type": "object", "additionalProperties": false,
                    "properties": { "include_usage": { "type": "boolean", "description": "End the stream with a chunk carrying `usage`." } },
                },
                "max_tokens": {
                    "type": "integer", "minimum": 1,
                    "description": format!("The most tokens the answer may use. At most {} (a plan may allow fewer): a larger value is lowered to it, and an absent one is set to it. Token limits reserve it before the call.", llm.max_tokens),
                },
                "temperature": { "type": "number", "minimum": 0, "maximum": if anthropic { 1 } else { 2 } },
                "top_p": { "type": "number", "minimum": 0, "maximum": 1 },
                "user": { "type": "string", "description": "Your end user's id, passed to the provider." },
            });
            if !workers_ai {
                properties["stop"] = json!({ "oneOf": [
                    text(),
                    { "type": "array", "minItems": 1, "maxItems": 4, "items": text() },
                ] });
            }
            if !anthropic {
                for penalty in ["frequency_penalty", "presence_penalty"] {
                    properties[penalty] = json!({ "type": "number", "minimum": -2, "maximum": 2 });
                }
            }
            json!({
                "type": "object",
                "description": "OpenAI's chat completion request, the fields every provider of these aliases accepts.",
                "required": ["model", "messages"],
                "additionalProperties": false,
                "properties": properties,
            })
        }
        Endpoint::Embeddings => {
            let formats: &[&str] = if workers_ai {
                &["float"]
            } else {
                &["float", "base64"]
            };
            json!({
                "type": "object",
                "description": "OpenAI's embeddings request, the fields every provider of these aliases accepts.",
                "required": ["model", "input"],
                "additionalProperties": false,
                "properties": {
                    "model": model,
                    "input": { "oneOf": [
                        text(),
                        { "type": "array", "minItems": 1, "maxItems": 2048, "items": text() },
                    ] },
                    "encoding_format": { "enum": formats },
                    "user": { "type": "string", "description": "Your end user's id, passed to the provider." },
                },
            })
        }
    };
    json!({ "required": true, "content": { "application/json": { "schema": schema } } })
}

/// What a 200 carries at `endpoint`: a chat completion (or its event stream), or the
/// embeddings list.
pub fn answer_content(endpoint: Endpoint) -> Value {
    let usage = json!({
        "type": "object",
        "properties": {
            "prompt_tokens": { "type": "integer", "minimum": 0 },
            "completion_tokens": { "type": "integer", "minimum": 0 },
            "total_tokens": { "type": "integer", "minimum": 0 },
        },
    });
    match endpoint {
        Endpoint::Chat => json!({
            "application/json": { "schema": {
                "type": "object",
                "description": "OpenAI's `chat.completion`, whichever provider answered (`model` names the provider's model, as `X-Gatehouse-Model` does).",
                "required": ["id", "object", "created", "model", "choices"],
                "properties": {
                    "id": { "type": "string" },
                    "object": { "const": "chat.completion" },
                    "created": { "type": "integer" },
                    "model": { "type": "string" },
                    "choices": { "type": "array", "items": { "type": "object" } },
                    "usage": usage,
                },
            } },
            "text/event-stream": { "schema": {
                "type": "string",
                "description": "With `stream: true`: `data: <chat.completion.chunk JSON>` events as the provider writes them (a final chunk with `usage` when `stream_options.include_usage` is set), then `data: [DONE]`. An error after the first event arrives as a `data: {\"error\": ...}` event.",
            } },
        }),
        Endpoint::Embeddings => json!({
            "application/json": { "schema": {
                "type": "object",
                "description": "OpenAI's embeddings list, whichever provider answered.",
                "required": ["object", "data", "model"],
                "properties": {
                    "object": { "const": "list" },
                    "data": { "type": "array", "items": { "type": "object" } },
                    "model": { "type": "string" },
                    "usage": usage,
                },
            } },
        }),
    }
}

/// The headers a 200 of an llm route carries beside the rate-limit ones.
pub fn answer_headers() -> Value {
    json!({
        "X-Gatehouse-Provider": { "description": "The provider upstream that answered.", "schema": { "type": "string" } },
        "X-Gatehouse-Model": { "description": "The provider's model that answered.", "schema": { "type": "string" } },
    })
}

/// 400 on an llm route: the gateway's problem (a body that is not OpenAI's request, an
/// unknown model), or a provider's own 400 relayed in OpenAI's error shape.
pub fn bad_request() -> Value {
    json!({
        "description": "The body is not OpenAI's request or names an unknown model (a problem whose `error` member is the same in OpenAI's shape), or a provider refused it (OpenAI's error JSON).",
        "content": {
            "application/problem+json": { "schema": { "$ref": "#/components/schemas/Problem" } },
            "application/json": { "schema": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") } },
        },
    })
}

/// Any other status a provider refused the request with (not one the gateway moves on from:
/// 401, 403, 404, 408, 409, 429, 5xx), relayed in OpenAI's error shape.
pub fn provider_refusal() -> Value {
    json!({
        "description": "A provider refused the request itself (e.g. 413 or 422); its status is kept and its error written in OpenAI's shape.",
        "content": { "application/json": { "schema": { "$ref": format!("#/components/schemas/{ERROR_SCHEMA}") } } },
    })
}

/// OpenAI's error body: `{"error": {"message", "type", "param", "code"}}`.
pub fn error_schema() -> Value {
    json!({
        "type": "object",
        "description": "OpenAI's error shape.",
        "required": ["error"],
        "properties": {
            "error": {
                "type": "object",
                "required": ["message", "type"],
                "properties": {
                    "message": { "type": "string" },
                    "type": { "type": "string" },
                    "param": { "type": ["string", "null"] },
                    "code": { "type": ["string", "integer", "null"] },
                },
            },
        },
    })
}
