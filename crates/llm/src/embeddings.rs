//! A client's embeddings request in OpenAI's shape, and a provider's embeddings answer.

use serde_json::{json, Map, Value};

use crate::chat::present;
use crate::usage::count;
use crate::{ClientError, Usage, Wire};

/// The most inputs one request may carry (OpenAI's limit).
const MAX_INPUTS: usize = 2048;

/// A client's `POST /v1/embeddings` request, checked by [`parse_embeddings`].
#[derive(Debug, Clone)]
pub struct Embeddings {
    body: Map<String, Value>,
    /// The model the client named: the gateway's alias.
    pub model: String,
    /// How many inputs to embed.
    pub input_count: usize,
    /// Characters of all text inputs (token-array inputs count 0 here).
    pub input_chars: usize,
    /// Tokens given as token arrays.
    input_tokens: u64,
}

/// Parses and checks a client's embeddings body. `input` is a non-empty string, an array of
/// 1 to 2048 non-empty strings, an array of token ids, or an array of such arrays.
/// `encoding_format` must be `float` or `base64`, `dimensions` an integer >= 1.
/// Errors are 400 [`ClientError`]s naming the field; never a panic.
pub fn parse_embeddings(body: &[u8]) -> Result<Embeddings, ClientError> {
    let body = crate::error::json_object(body)?;
    let model = match present(&body, "model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        None => {
            return Err(ClientError::new(
                Some("model"),
                "missing_required_parameter",
                "model is required",
            ))
        }
        Some(_) => {
            return Err(ClientError::new(
                Some("model"),
                "invalid_value",
                "model must be a non-empty string",
            ))
        }
    };
    let bad_input = || {
        ClientError::new(Some("input"), "invalid_value", "input must be a non-empty string, an array of 1 to 2048 non-empty strings, an array of token ids, or an array of token-id arrays")
    };
    let (input_count, input_chars, input_tokens) = match present(&body, "input") {
        None => {
            return Err(ClientError::new(
                Some("input"),
                "missing_required_parameter",
                "input is required",
            ))
        }
        Some(Value::String(s)) if !s.is_empty() => (1, s.chars().count(), 0),
        Some(Value::Array(items)) if !items.is_empty() && items.len() <= MAX_INPUTS => {
            if items
                .iter()
                .all(|i| i.as_str().is_some_and(|s| !s.is_empty()))
            {
                (
                    items.len(),
                    items
                        .iter()
                        .filter_map(Value::as_str)
                        .map(|s| s.chars().count())
                        .sum(),
                    0,
                )
            } else if items.iter().all(Value::is_u64) {
                (1, 0, items.len() as u64)
            } else if items.iter().all(|i| {
                i.as_array()
                    .is_some_and(|t| !t.is_empty() && t.iter().all(Value::is_u64))
            }) {
                (
                    items.len(),
                    0,
                    items
                        .iter()
                        .filter_map(Value::as_array)
                        .map(|t| t.len() as u64)
                        .sum(),
                )
            } else {
                return Err(bad_input());
            }
        }
        Some(_) => return Err(bad_input()),
    };
    if let Some(format) = present(&body, "encoding_format") {
        if !matches!(format.as_str(), Some("float" | "base64")) {
            return Err(ClientError::new(
                Some("encoding_format"),
                "invalid_value",
                "encoding_format must be \"float\" or \"base64\"",
            ));
        }
    }
    if let Some(dimensions) = present(&body, "dimensions") {
        if dimensions.as_u64().is_none_or(|d| d == 0) {
            return Err(ClientError::new(
                Some("dimensions"),
                "invalid_value",
                "dimensions must be an integer >= 1",
            ));
        }
    }
    Ok(Embeddings {
        body,
        model,
        input_count,
        input_chars,
        input_tokens,
    })
}

impl Embeddings {
    /// An estimate of the input's tokens: `ceil(input_chars / 3)` plus the tokens given as
    /// token arrays (exact). Use it when a provider reports no usage (Workers AI).
    pub fn estimated_tokens(&self) -> u64 {
        (self.input_chars as u64).div_ceil(3) + self.input_tokens
    }

    /// The client's body as parsed.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// The body to send a provider of `wire` for provider model `model`.
    ///
    /// - [`Wire::OpenAi`]: the client's body with `model` replaced.
    /// - [`Wire::WorkersAi`]: `{"text": [...]}` (the `inputs` of `env.AI.run`); token-id inputs,
    ///   `encoding_format: "base64"` and `dimensions` are refused (400); `user` is dropped.
    /// - [`Wire::Anthropic`]: refused (400): Anthropic has no embeddings API.
    pub fn provider_body(&self, wire: Wire, model: &str) -> Result<String, ClientError> {
        match wire {
            Wire::OpenAi => {
                let mut body = self.body.clone();
                body.insert("model".into(), Value::String(model.to_owned()));
                Ok(Value::Object(body).to_string())
            }
            Wire::Anthropic => Err(ClientError::new(
                Some("model"),
                "unsupported_value",
                "this model's provider (anthropic) has no embeddings; pick an embeddings model",
            )),
            Wire::WorkersAi => {
                let refuse = |param: &'static str, what: &str| {
                    ClientError::new(
                        Some(param),
                        "unsupported_parameter",
                        format!("{what} not supported by this model's provider (workers-ai)"),
                    )
                };
                if self.input_tokens > 0 {
                    return Err(refuse("input", "token-id inputs are"));
                }
                if present(&self.body, "encoding_format").is_some_and(|f| f != "float") {
                    return Err(refuse("encoding_format", "encoding_format \"base64\" is"));
                }
                if present(&self.body, "dimensions").is_some() {
                    return Err(refuse("dimensions", "dimensions is"));
                }
                let text: Vec<Value> = match &self.body["input"] {
                    Value::Array(items) => items.clone(),
                    single => vec![single.clone()],
                };
                Ok(json!({"text": text}).to_string())
            }
        }
    }
}

/// A provider's non-streaming embeddings answer -> OpenAI's
/// `{"object":"list","data":[{"object":"embedding","index","embedding"}],"model","usage":{"prompt_tokens","total_tokens"}}`,
/// naming `model`, and its usage (input tokens only).
///
/// OpenAI's answer is passed on with `model` replaced. Workers AI's `{"shape":[n,d],"data":[[...]]}`
/// (bare or in the REST `result` envelope) is rebuilt; it reports no tokens, so its usage is
/// 0 unless it carries a `usage` object (see [`Embeddings::estimated_tokens`]).
/// `Err(message)` for Anthropic or a body not in the provider's shape.
pub fn embeddings_answer(wire: Wire, body: &[u8], model: &str) -> Result<(String, Usage), String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the {} answer is not JSON: {e}", wire.name()))?;
    match wire {
        Wire::Anthropic => Err("the anthropic provider has no embeddings".into()),
        Wire::OpenAi => {
            let Value::Object(mut answer) = value else {
                return Err("the openai embeddings answer is not a JSON object".into());
            };
            if !answer.get("data").is_some_and(Value::is_array) {
                return Err("the openai embeddings answer has no `data` array".into());
            }
            let input = count(answer.get("usage").and_then(|u| u.get("prompt_tokens")));
            answer.insert("model".into(), Value::String(model.to_owned()));
            Ok((
                Value::Object(answer).to_string(),
                Usage { input, output: 0 },
            ))
        }
        Wire::WorkersAi => {
            let value = match value {
                Value::Object(mut map)
                    if map.get("result").is_some_and(Value::is_object)
                        && !map.contains_key("data") =>
                {
                    map.remove("result").unwrap_or_default()
                }
                other => other,
            };
            let Some(vectors) = value.get("data").and_then(Value::as_array) else {
                return Err("the workers-ai embeddings answer has no `data` array".into());
            };
            if !vectors.iter().all(Value::is_array) {
                return Err(
                    "the workers-ai embeddings answer's `data` is not an array of vectors".into(),
                );
            }
            let input = count(value.get("usage").and_then(|u| u.get("prompt_tokens")));
            let data: Vec<Value> = vectors
                .iter()
                .enumerate()
                .map(|(index, v)| json!({"object": "embedding", "index": index, "embedding": v}))
                .collect();
            let answer = json!({
                "object": "list",
                "data": data,
                "model": model,
                "usage": {"prompt_tokens": input, "total_tokens": input},
            });
            Ok((answer.to_string(), Usage { input, output: 0 }))
        }
    }
}
