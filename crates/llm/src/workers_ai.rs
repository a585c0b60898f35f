//! Workers AI (`env.AI.run(model, inputs)`): the `inputs` written from a checked [`Chat`], the
//! answer and the stream events read back into OpenAI's shapes.
//!
//! Inputs, field by field (the table in `fields.rs` lists what is dropped or refused):
//! - `messages`: text only. `developer` becomes `system`; text parts are joined with newlines;
//!   image, audio and file parts are refused. `tool` messages keep `tool_call_id`; assistant
//!   `tool_calls` are passed in OpenAI's shape, which Workers AI's function-calling models read.
//!   Legacy `function` messages and `function_call` are refused (use `tools`).
//! - `max_tokens` (the gateway's cap), `temperature`, `top_p`, `seed`, `frequency_penalty`,
//!   `presence_penalty`, `response_format` and `tools` (OpenAI's shape) are copied; `stream`
//!   is set for a stream.
//! - `tool_choice`: `auto` is the default and is dropped; `none` sends no tools; `required`
//!   or a named function is refused (Workers AI cannot force a call).

use serde_json::{json, Map, Value};

use crate::chat::{openai_answer, present, Chat};
use crate::error::gateway_error;
use crate::relay::{carries_token, Emitter};
use crate::{fields, ClientError, Usage, Wire};

/// Fields copied to the inputs unchanged when present.
const COPIED: &[&str] = &[
    "temperature",
    "top_p",
    "seed",
    "frequency_penalty",
    "presence_penalty",
    "response_format",
];

/// The `inputs` object of `env.AI.run` for `chat`.
pub(crate) fn request(chat: &Chat, max_tokens: u64) -> Result<Map<String, Value>, ClientError> {
    let body = &chat.body;
    fields::check(Wire::WorkersAi, body)?;
    let mut out = Map::new();
    let mut messages = Vec::new();
    for (i, message) in chat.messages().iter().enumerate() {
        messages.push(message_input(i, message)?);
    }
    out.insert("messages".into(), Value::Array(messages));
    out.insert("max_tokens".into(), max_tokens.into());
    for key in COPIED {
        if let Some(value) = present(body, key) {
            out.insert((*key).into(), value.clone());
        }
    }
    let send_tools = match present(body, "tool_choice") {
        None => true,
        Some(Value::String(s)) if s == "auto" => true,
        Some(Value::String(s)) if s == "none" => false,
        Some(_) => {
            return Err(ClientError::new(Some("tool_choice"), "unsupported_value", "tool_choice may only be \"auto\" or \"none\" for this model's provider (workers-ai)"));
        }
    };
    if let Some(tools) = present(body, "tools").filter(|_| send_tools) {
        out.insert("tools".into(), tools.clone());
    }
    if chat.stream {
        out.insert("stream".into(), Value::Bool(true));
    }
    Ok(out)
}

fn message_input(i: usize, message: &Value) -> Result<Value, ClientError> {
    let refuse = |what: String| {
        Err(ClientError::new(
            Some("messages"),
            "unsupported_value",
            format!("messages[{i}]: {what} not supported by this model's provider (workers-ai)"),
        ))
    };
    let role = match message["role"].as_str().unwrap_or_default() {
        "developer" => "system",
        "function" => return refuse("role \"function\" is".into()),
        other => other,
    };
    if present(message.as_object().unwrap_or(&Map::new()), "function_call").is_some() {
        return refuse("function_call is".into());
    }
    let content = match message.get("content") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => {
            let mut texts = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                match part
                    .get("text")
                    .or_else(|| part.get("refusal"))
                    .and_then(Value::as_str)
                {
                    Some(text) => texts.push(text),
                    None => {
                        return refuse(format!(
                            "content[{j}] ({} part) is",
                            part["type"].as_str().unwrap_or("unknown")
                        ))
                    }
                }
            }
            texts.join("\n")
        }
        _ => String::new(),
    };
    let mut out = json!({"role": role, "content": content});
    if role == "tool" {
        out["tool_call_id"] = message["tool_call_id"].clone();
    }
    if let Some(calls) = message.get("tool_calls").filter(|c| c.is_array()) {
        out["tool_calls"] = calls.clone();
    }
    Ok(out)
}

/// The answer object `env.AI.run` resolved with; also accepts the REST API's
/// `{"result": {...}, "success": true}` envelope.
fn unwrap(value: Value) -> Value {
    match value {
        Value::Object(mut map)
            if map.get("result").is_some_and(Value::is_object) && !map.contains_key("response") =>
        {
            map.remove("result").unwrap_or_default()
        }
        other => other,
    }
}

/// A tool call of a Workers AI answer (`{name, arguments}` with arguments an object, or
/// OpenAI's `{id, type, function: {name, arguments}}`) in OpenAI's shape.
fn tool_call(call: &Value, id: &str, n: usize) -> Value {
    let function = call.get("function").unwrap_or(call);
    let arguments = match function.get("arguments") {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Null) | None => "{}".to_owned(),
        Some(other) => other.to_string(),
    };
    let call_id = call["id"]
        .as_str()
        .map(str::to_owned)
        .unwrap_or_else(|| format!("{id}-call-{n}"));
    json!({"id": call_id, "type": "function", "function": {"name": function["name"], "arguments": arguments}})
}

/// A non-streaming Workers AI answer as an OpenAI `chat.completion`.
pub(crate) fn answer(
    value: Value,
    model: &str,
    id: &str,
    created: u64,
) -> Result<(Value, Usage), String> {
    let value = unwrap(value);
    if value.get("choices").is_some() {
        return openai_answer(value, model);
    }
    let Some(answer) = value.as_object() else {
        return Err("the workers-ai answer is not a JSON object".into());
    };
    let calls: Vec<Value> = answer
        .get("tool_calls")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .enumerate()
        .map(|(n, c)| tool_call(c, id, n))
        .collect();
    let content = match answer.get("response") {
        Some(Value::String(s)) => Value::String(s.clone()),
        Some(Value::Null) | None if !calls.is_empty() => Value::Null,
        Some(Value::Null) | None => return Err("the workers-ai answer has no `response`".into()),
        Some(other) => Value::String(other.to_string()),
    };
    let usage = answer
        .get("usage")
        .and_then(Usage::from_openai)
        .unwrap_or_default();
    let mut message = json!({"role": "assistant", "content": content, "refusal": null});
    let finish = if calls.is_empty() {
        "stop"
    } else {
        message["tool_calls"] = Value::Array(calls);
        "tool_calls"
    };
    let out = json!({
        "id": id,
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": usage.to_openai(),
    });
    Ok((out, usage))
}

/// Translates one Workers AI stream event (not `[DONE]`) into OpenAI chunks on `emit`.
pub(crate) fn stream_event(mut value: Value, emit: &mut Emitter) {
    if let Some(error) = value.get("error").filter(|e| !e.is_null()) {
        let message = error
            .as_str()
            .or(error["message"].as_str())
            .unwrap_or("the provider's stream failed")
            .to_owned();
        emit.error(
            &message,
            gateway_error(&message, "server_error", "provider_error"),
        );
        return;
    }
    if let Some(usage) = value.get("usage").and_then(Usage::from_openai) {
        emit.usage = usage;
    }
    if let Some(choices) = value.get("choices").and_then(Value::as_array) {
        let usage_only = choices.is_empty() && value.get("usage").is_some_and(Value::is_object);
        for choice in choices {
            if let Some(reason) = choice["finish_reason"].as_str() {
                emit.finish_reason = Some(reason.to_owned());
            }
            if choice["delta"].get("role").is_some() {
                emit.role_sent = true;
            }
            if carries_token(&choice["delta"]) {
                emit.first_token = true;
            }
        }
        if usage_only {
            if !emit.include_usage {
                return;
            }
            emit.usage_sent = true;
        }
        value["model"] = Value::String(emit.model().to_owned());
        emit.event(&value);
        return;
    }
    emit.ensure_role();
    if let Some(text) = value
        .get("response")
        .and_then(Value::as_str)
        .filter(|t| !t.is_empty())
    {
        emit.content(text);
    }
    if let Some(calls) = value.get("tool_calls").and_then(Value::as_array) {
        for call in calls {
            let n = emit.new_tool(None);
            let mut delta = tool_call(call, emit.id(), n);
            delta["index"] = n.into();
            emit.tool_delta(delta);
        }
    }
}

/// `data: [DONE]`: the finish chunk (unless the model sent one), the usage chunk when asked,
/// then `[DONE]`.
pub(crate) fn stream_done(emit: &mut Emitter) {
    if emit.finish_reason.is_none() {
        emit.ensure_role();
        let reason = if emit.tool_count() > 0 {
            "tool_calls"
        } else {
            "stop"
        };
        emit.finish(reason);
    }
    emit.done();
}
