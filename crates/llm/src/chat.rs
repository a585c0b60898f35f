//! A client's chat request in OpenAI's shape: checked once, then written for any wire.

use serde_json::{Map, Value};

use crate::canonical::canonical;
use crate::error::ClientError;
use crate::usage::Usage;
use crate::{anthropic, fields, workers_ai, Wire};

/// Message roles a client may send.
const ROLES: &[&str] = &[
    "system",
    "developer",
    "user",
    "assistant",
    "tool",
    "function",
];

/// Prompt tokens counted per image part by [`Chat::estimated_prompt_tokens`] (OpenAI's cost
/// of one 512x512 high-detail tile set: 85 + 4 * 170).
const TOKENS_PER_IMAGE: u64 = 765;

/// Fields that never change an answer, left out of [`Chat::cache_text`].
const CACHE_IGNORED: &[&str] = &[
    "user",
    "stream",
    "stream_options",
    "store",
    "metadata",
    "safety_identifier",
    "prompt_cache_key",
    "service_tier",
];

/// A client's chat request in OpenAI's shape, checked by [`parse_chat`].
#[derive(Debug, Clone)]
pub struct Chat {
    pub(crate) body: Map<String, Value>,
    /// The model the client named: the gateway's alias.
    pub model: String,
    /// The client asked for a streamed answer (`stream: true`).
    pub stream: bool,
    /// The client asked for the final usage chunk (`stream_options.include_usage: true`).
    pub include_usage: bool,
    /// `max_completion_tokens`, else `max_tokens`, when the client gave one (always >= 1).
    pub max_tokens: Option<u64>,
    /// `temperature` when the client gave one (0 to 2).
    pub temperature: Option<f64>,
    /// Characters (Unicode scalar values) of all message text: text contents, text parts,
    /// tool-call names and arguments.
    pub prompt_chars: usize,
    messages: usize,
    images: usize,
    tool_chars: usize,
}

/// Parses and checks a client's `POST /v1/chat/completions` body.
///
/// Errors (all status 400, never a panic): invalid JSON or UTF-8 (`invalid_json`, nesting past
/// serde_json's depth limit included), a body that is not an object, a missing or empty
/// `model` or `messages`, a message without a known `role` or with content of the wrong shape,
/// a tool message without `tool_call_id`, a non-boolean `stream`, a `max_tokens` /
/// `max_completion_tokens` that is not an integer >= 1 (or both given and different), a
/// `temperature` outside 0..=2, a `top_p` outside 0..=1, `n` other than 1, a `stop` that is not
/// a string or an array of strings, malformed `tools` or `tool_choice`.
pub fn parse_chat(body: &[u8]) -> Result<Chat, ClientError> {
    let body = crate::error::json_object(body)?;
    let model = match body.get("model") {
        Some(Value::String(m)) if !m.is_empty() => m.clone(),
        Some(Value::String(_)) => {
            return Err(ClientError::new(
                Some("model"),
                "invalid_value",
                "model must not be empty",
            ))
        }
        None | Some(Value::Null) => return Err(missing("model")),
        Some(_) => {
            return Err(ClientError::new(
                Some("model"),
                "invalid_type",
                "model must be a string",
            ))
        }
    };
    let stream = optional_bool(&body, "stream")?.unwrap_or(false);
    let include_usage = match present(&body, "stream_options") {
        None => false,
        Some(Value::Object(options)) => match options.get("include_usage") {
            None | Some(Value::Null) => false,
            Some(Value::Bool(b)) => *b,
            Some(_) => {
                return Err(ClientError::new(
                    Some("stream_options"),
                    "invalid_type",
                    "stream_options.include_usage must be a boolean",
                ))
            }
        },
        Some(_) => {
            return Err(ClientError::new(
                Some("stream_options"),
                "invalid_type",
                "stream_options must be an object",
            ))
        }
    };
    let max_tokens = match (
        positive_int(&body, "max_tokens")?,
        positive_int(&body, "max_completion_tokens")?,
    ) {
        (Some(a), Some(b)) if a != b => {
            return Err(ClientError::new(
                Some("max_tokens"),
                "invalid_value",
                "give max_tokens or max_completion_tokens, not both with different values",
            ));
        }
        (a, b) => b.or(a),
    };
    let temperature = number_in(&body, "temperature", 0.0, 2.0)?;
    number_in(&body, "top_p", 0.0, 1.0)?;
    number_in(&body, "frequency_penalty", -2.0, 2.0)?;
    number_in(&body, "presence_penalty", -2.0, 2.0)?;
    if let Some(n) = present(&body, "n") {
        if n.as_u64() != Some(1) {
            return Err(ClientError::new(
                Some("n"),
                "unsupported_value",
                "n must be 1: the gateway answers with one choice",
            ));
        }
    }
    if let Some(stop) = present(&body, "stop") {
        let ok = match stop {
            Value::String(_) => true,
            Value::Array(items) => items.iter().all(Value::is_string),
            _ => false,
        };
        if !ok {
            return Err(ClientError::new(
                Some("stop"),
                "invalid_type",
                "stop must be a string or an array of strings",
            ));
        }
    }
    let tool_chars = check_tools(&body)?;
    check_tool_choice(&body)?;
    let mut text = Counts::default();
    let messages = match body.get("messages") {
        Some(Value::Array(list)) if !list.is_empty() => list,
        Some(Value::Array(_)) => {
            return Err(ClientError::new(
                Some("messages"),
                "invalid_value",
                "messages must not be empty",
            ))
        }
        None | Some(Value::Null) => return Err(missing("messages")),
        Some(_) => {
            return Err(ClientError::new(
                Some("messages"),
                "invalid_type",
                "messages must be an array of message objects",
            ))
        }
    };
    for (i, message) in messages.iter().enumerate() {
        check_message(i, message, &mut text)?;
    }
    Ok(Chat {
        messages: messages.len(),
        body,
        model,
        stream,
        include_usage: stream && include_usage,
        max_tokens,
        temperature,
        prompt_chars: text.chars,
        images: text.images,
        tool_chars,
    })
}

impl Chat {
    /// A rough, upper-leaning estimate of the prompt's tokens before the call:
    /// `ceil(prompt_chars / 3) + 4 per message + 3 + ceil(chars of the tools' JSON / 3)
    /// + 765 per image part`. (English averages about 4 characters a token; 3 leans high.)
    pub fn estimated_prompt_tokens(&self) -> u64 {
        let per_message = 4 * self.messages as u64;
        (self.prompt_chars as u64).div_ceil(3)
            + per_message
            + 3
            + (self.tool_chars as u64).div_ceil(3)
            + TOKENS_PER_IMAGE * self.images as u64
    }

    /// Whether the exact-match answer cache may hold the answer: the client did not ask for a
    /// stream and gave `temperature: 0` (an absent temperature means OpenAI's default, 1).
    pub fn cacheable(&self) -> bool {
        !self.stream && self.temperature == Some(0.0)
    }

    /// Canonical text for the answer cache's key: the body with `model` = the alias, object keys
    /// sorted at every depth, no whitespace, and the fields that never change an answer left
    /// out (`user`, `stream`, `stream_options`, `store`, `metadata`, `safety_identifier`,
    /// `prompt_cache_key`, `service_tier`).
    pub fn cache_text(&self) -> String {
        let mut body = self.body.clone();
        for key in CACHE_IGNORED {
            body.remove(*key);
        }
        body.insert("model".into(), Value::String(self.model.clone()));
        canonical(&Value::Object(body))
    }

    /// The client's body as parsed.
    pub fn body(&self) -> &Map<String, Value> {
        &self.body
    }

    /// The body to send a provider of `wire`, for provider model `model`, with
    /// `max_tokens` as the completion cap.
    ///
    /// - [`Wire::OpenAi`]: the client's body with `model` replaced and the cap written to
    ///   `max_completion_tokens` when the client used that field, else to `max_tokens` (the
    ///   field OpenAI-compatible servers all know); for a stream
    ///   `stream_options.include_usage: true` is added (the gateway needs the usage), and
    ///   without a stream `stream_options` is left out (OpenAI refuses it then).
    /// - [`Wire::Anthropic`]: a Messages API body; see the `anthropic` module for each field.
    /// - [`Wire::WorkersAi`]: the `inputs` object of `env.AI.run` (the model is `env.AI.run`'s
    ///   first argument, so `model` is not written); see the `workers_ai` module.
    ///
    /// A request a wire cannot carry without changing its meaning is a [`ClientError`] (400)
    /// naming the field.
    pub fn provider_body(
        &self,
        wire: Wire,
        model: &str,
        max_tokens: u64,
    ) -> Result<String, ClientError> {
        let body = match wire {
            Wire::OpenAi => {
                fields::check(Wire::OpenAi, &self.body)?;
                self.openai_body(model, max_tokens)
            }
            Wire::Anthropic => anthropic::request(self, model, max_tokens)?,
            Wire::WorkersAi => workers_ai::request(self, max_tokens)?,
        };
        Ok(Value::Object(body).to_string())
    }

    fn openai_body(&self, model: &str, max_tokens: u64) -> Map<String, Value> {
        let mut body = self.body.clone();
        body.retain(|k, _| fields::fate(Wire::OpenAi, k) != fields::Fate::Drop);
        body.insert("model".into(), Value::String(model.to_owned()));
        let completion = present(&body, "max_completion_tokens").is_some();
        if completion {
            body.insert("max_completion_tokens".into(), max_tokens.into());
        }
        if !completion || present(&body, "max_tokens").is_some() {
            body.insert("max_tokens".into(), max_tokens.into());
        }
        if self.stream {
            let options = body
                .entry("stream_options")
                .or_insert_with(|| Value::Object(Map::new()));
            if !options.is_object() {
                *options = Value::Object(Map::new());
            }
            if let Value::Object(options) = options {
                options.insert("include_usage".into(), Value::Bool(true));
            }
        } else {
            body.remove("stream_options");
        }
        body
    }

    /// The checked messages.
    pub(crate) fn messages(&self) -> &[Value] {
        self.body
            .get("messages")
            .and_then(Value::as_array)
            .map(Vec::as_slice)
            .unwrap_or(&[])
    }
}

/// A provider's non-streaming chat answer -> OpenAI's `chat.completion` JSON, and its usage.
///
/// The answer names `model`. `id` and `created` are used when the provider gives none
/// (Anthropic gives an id, Workers AI neither). `finish_reason` is mapped from Anthropic's
/// `stop_reason`: `end_turn`/`stop_sequence`/`pause_turn` -> `stop`, `max_tokens` -> `length`,
/// `tool_use` -> `tool_calls`, `refusal` -> `content_filter`. An OpenAI answer is passed on with
/// only `model` replaced. `Err(message)` when the body is not the provider's answer shape.
pub fn chat_answer(
    wire: Wire,
    body: &[u8],
    model: &str,
    id: &str,
    created: u64,
) -> Result<(String, Usage), String> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| format!("the {} answer is not JSON: {e}", wire.name()))?;
    let (answer, usage) = match wire {
        Wire::OpenAi => openai_answer(value, model)?,
        Wire::Anthropic => anthropic::answer(&value, model, id, created)?,
        Wire::WorkersAi => workers_ai::answer(value, model, id, created)?,
    };
    Ok((answer.to_string(), usage))
}

/// An OpenAI `chat.completion` with `model` replaced, and its usage.
pub(crate) fn openai_answer(value: Value, model: &str) -> Result<(Value, Usage), String> {
    let Value::Object(mut answer) = value else {
        return Err("the answer is not a JSON object".into());
    };
    if !answer.get("choices").is_some_and(Value::is_array) {
        return Err("the answer has no `choices` array".into());
    }
    let usage = answer
        .get("usage")
        .and_then(Usage::from_openai)
        .unwrap_or_default();
    answer.insert("model".into(), Value::String(model.to_owned()));
    Ok((Value::Object(answer), usage))
}

/// Text, in characters and image parts, counted while checking messages.
#[derive(Default)]
struct Counts {
    chars: usize,
    images: usize,
}

fn check_message(i: usize, message: &Value, counts: &mut Counts) -> Result<(), ClientError> {
    let at = |what: &str| format!("messages[{i}]{what}");
    let bad =
        |code: &'static str, text: String| Err(ClientError::new(Some("messages"), code, text));
    let Value::Object(message) = message else {
        return bad("invalid_type", format!("{} must be an object", at("")));
    };
    let role = match message.get("role") {
        Some(Value::String(role)) if ROLES.contains(&role.as_str()) => role.as_str(),
        Some(Value::String(role)) => {
            return bad(
                "invalid_value",
                format!(
                    "{} must be one of {}; got {role:?}",
                    at(".role"),
                    ROLES.join(", ")
                ),
            )
        }
        _ => {
            return bad(
                "missing_required_parameter",
                format!("{} is required and must be a string", at(".role")),
            )
        }
    };
    let content = present(message, "content");
    match (role, content) {
        ("assistant", None) => {}
        ("function", None) => {}
        (_, None) => {
            return bad(
                "missing_required_parameter",
                format!("{} is required for role {role:?}", at(".content")),
            )
        }
        (_, Some(Value::String(text))) => counts.chars += text.chars().count(),
        (_, Some(Value::Array(parts))) => {
            for (j, part) in parts.iter().enumerate() {
                check_part(role, &at(&format!(".content[{j}]")), part, counts)?;
            }
        }
        (_, Some(_)) => {
            return bad(
                "invalid_type",
                format!(
                    "{} must be a string or an array of content parts",
                    at(".content")
                ),
            )
        }
    }
    match role {
        "tool" if !message.get("tool_call_id").is_some_and(Value::is_string) => {
            return bad(
                "missing_required_parameter",
                format!("{} is required for role \"tool\"", at(".tool_call_id")),
            );
        }
        "function" if !message.get("name").is_some_and(Value::is_string) => {
            return bad(
                "missing_required_parameter",
                format!("{} is required for role \"function\"", at(".name")),
            );
        }
        "assistant" => {
            if let Some(calls) = present(message, "tool_calls") {
                let Value::Array(calls) = calls else {
                    return bad(
                        "invalid_type",
                        format!("{} must be an array", at(".tool_calls")),
                    );
                };
                for (j, call) in calls.iter().enumerate() {
                    let function = call.get("function");
                    let name = function.and_then(|f| f.get("name")).and_then(Value::as_str);
                    let arguments = function
                        .and_then(|f| f.get("arguments"))
                        .and_then(Value::as_str);
                    let id = call.get("id").and_then(Value::as_str);
                    match (id, name, arguments) {
                        (Some(_), Some(name), Some(arguments)) => counts.chars += name.chars().count() + arguments.chars().count(),
                        _ => {
                            return bad(
                                "invalid_value",
                                format!("{} must be {{\"id\",\"type\":\"function\",\"function\":{{\"name\",\"arguments\"}}}} with string values", at(&format!(".tool_calls[{j}]"))),
                            )
                        }
                    }
                }
            }
            if let Some(call) = present(message, "function_call") {
                let name = call.get("name").and_then(Value::as_str);
                let arguments = call.get("arguments").and_then(Value::as_str);
                let (Some(name), Some(arguments)) = (name, arguments) else {
                    return bad(
                        "invalid_value",
                        format!(
                            "{} must be {{\"name\",\"arguments\"}} with string values",
                            at(".function_call")
                        ),
                    );
                };
                counts.chars += name.chars().count() + arguments.chars().count();
            }
        }
        _ => {}
    }
    Ok(())
}

fn check_part(role: &str, at: &str, part: &Value, counts: &mut Counts) -> Result<(), ClientError> {
    let bad =
        |code: &'static str, text: String| Err(ClientError::new(Some("messages"), code, text));
    let kind = part.get("type").and_then(Value::as_str).unwrap_or("");
    let allowed: &[&str] = match role {
        "user" => &["text", "image_url", "input_audio", "file"],
        "assistant" => &["text", "refusal"],
        _ => &["text"],
    };
    if !allowed.contains(&kind) {
        return bad(
            "invalid_value",
            format!(
                "{at}.type must be one of {} for role {role:?}; got {kind:?}",
                allowed.join(", ")
            ),
        );
    }
    match kind {
        "text" | "refusal" => match part.get(kind).and_then(Value::as_str) {
            Some(text) => counts.chars += text.chars().count(),
            None => return bad("invalid_type", format!("{at}.{kind} must be a string")),
        },
        "image_url" => {
            if !part
                .get("image_url")
                .and_then(|i| i.get("url"))
                .is_some_and(Value::is_string)
            {
                return bad(
                    "invalid_type",
                    format!("{at}.image_url.url must be a string"),
                );
            }
            counts.images += 1;
        }
        _ => {}
    }
    Ok(())
}

/// Checks `tools` and `functions`; returns the characters of their JSON.
fn check_tools(body: &Map<String, Value>) -> Result<usize, ClientError> {
    let mut chars = 0;
    if let Some(tools) = present(body, "tools") {
        let Value::Array(tools) = tools else {
            return Err(ClientError::new(
                Some("tools"),
                "invalid_type",
                "tools must be an array",
            ));
        };
        for (i, tool) in tools.iter().enumerate() {
            if tool.get("type").and_then(Value::as_str) != Some("function") {
                return Err(ClientError::new(
                    Some("tools"),
                    "invalid_value",
                    format!("tools[{i}].type must be \"function\""),
                ));
            }
            check_function(
                tool.get("function"),
                "tools",
                &format!("tools[{i}].function"),
            )?;
        }
        chars += Value::Array(tools.clone()).to_string().chars().count();
    }
    if let Some(functions) = present(body, "functions") {
        let Value::Array(functions) = functions else {
            return Err(ClientError::new(
                Some("functions"),
                "invalid_type",
                "functions must be an array",
            ));
        };
        for (i, function) in functions.iter().enumerate() {
            check_function(Some(function), "functions", &format!("functions[{i}]"))?;
        }
        chars += Value::Array(functions.clone()).to_string().chars().count();
    }
    Ok(chars)
}

fn check_function(
    function: Option<&Value>,
    param: &'static str,
    at: &str,
) -> Result<(), ClientError> {
    let Some(Value::Object(function)) = function else {
        return Err(ClientError::new(
            Some(param),
            "invalid_type",
            format!("{at} must be an object"),
        ));
    };
    if function
        .get("name")
        .and_then(Value::as_str)
        .is_none_or(str::is_empty)
    {
        return Err(ClientError::new(
            Some(param),
            "missing_required_parameter",
            format!("{at}.name must be a non-empty string"),
        ));
    }
    if present(function, "parameters").is_some_and(|p| !p.is_object()) {
        return Err(ClientError::new(
            Some(param),
            "invalid_type",
            format!("{at}.parameters must be a JSON Schema object"),
        ));
    }
    Ok(())
}

fn check_tool_choice(body: &Map<String, Value>) -> Result<(), ClientError> {
    if let Some(choice) = present(body, "tool_choice") {
        let ok = match choice {
            Value::String(s) => matches!(s.as_str(), "auto" | "none" | "required"),
            Value::Object(o) => {
                o.get("type").and_then(Value::as_str) == Some("function")
                    && o.get("function")
                        .and_then(|f| f.get("name"))
                        .is_some_and(Value::is_string)
            }
            _ => false,
        };
        if !ok {
            return Err(ClientError::new(
                Some("tool_choice"),
                "invalid_value",
                "tool_choice must be \"auto\", \"none\", \"required\" or {\"type\":\"function\",\"function\":{\"name\"}}",
            ));
        }
    }
    if let Some(call) = present(body, "function_call") {
        let ok = match call {
            Value::String(s) => matches!(s.as_str(), "auto" | "none"),
            Value::Object(o) => o.get("name").is_some_and(Value::is_string),
            _ => false,
        };
        if !ok {
            return Err(ClientError::new(
                Some("function_call"),
                "invalid_value",
                "function_call must be \"auto\", \"none\" or {\"name\"}",
            ));
        }
    }
    Ok(())
}

/// The field's value unless absent or `null` (OpenAI treats `null` as not given).
pub(crate) fn present<'a>(map: &'a Map<String, Value>, key: &str) -> Option<&'a Value> {
    map.get(key).filter(|v| !v.is_null())
}

fn missing(param: &'static str) -> ClientError {
    ClientError::new(
        Some(param),
        "missing_required_parameter",
        format!("{param} is required"),
    )
}

fn optional_bool(
    body: &Map<String, Value>,
    key: &'static str,
) -> Result<Option<bool>, ClientError> {
    match present(body, key) {
        None => Ok(None),
        Some(Value::Bool(b)) => Ok(Some(*b)),
        Some(_) => Err(ClientError::new(
            Some(key),
            "invalid_type",
            format!("{key} must be a boolean"),
        )),
    }
}

/// An integer >= 1. JSON has one number type: a whole number written with a fraction or an
/// exponent (`5.0`, `5e0`) is the integer 5, as JSON Schema's `integer` (and so the OpenAPI
/// document) says, up to 2^53, where floats stop holding every integer.
fn positive_int(body: &Map<String, Value>, key: &'static str) -> Result<Option<u64>, ClientError> {
    const EXACT: f64 = 9_007_199_254_740_992.0;
    match present(body, key) {
        None => Ok(None),
        Some(v) => match v.as_u64().or_else(|| {
            v.as_f64()
                .filter(|x| x.fract() == 0.0 && (1.0..=EXACT).contains(x))
                .map(|x| x as u64)
        }) {
            Some(n) if n >= 1 => Ok(Some(n)),
            _ => Err(ClientError::new(
                Some(key),
                "invalid_value",
                format!("{key} must be an integer >= 1"),
            )),
        },
    }
}

fn number_in(
    body: &Map<String, Value>,
    key: &'static str,
    low: f64,
    high: f64,
) -> Result<Option<f64>, ClientError> {
    match present(body, key) {
        None => Ok(None),
        Some(v) => match v.as_f64() {
            Some(x) if (low..=high).contains(&x) => Ok(Some(x)),
            _ => Err(ClientError::new(
                Some(key),
                "invalid_value",
                format!("{key} must be a number from {low} to {high}"),
            )),
        },
    }
}
