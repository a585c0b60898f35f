//! Anthropic's Messages API: the request written from a checked [`Chat`], the answer and the
//! stream events read back into OpenAI's shapes.
//!
//! Request, field by field (the table in `fields.rs` lists what is dropped or refused):
//! - `system` and `developer` messages, wherever they stand, are joined (blank line between)
//!   into the top-level `system` string: Anthropic has no system turns.
//! - `user` content: text -> `text` blocks; `image_url` with a `data:image/...;base64,` URL ->
//!   an `image` block with a `base64` source (jpeg, png, gif or webp), with an `http(s)` URL ->
//!   a `url` source; `detail` is dropped (Anthropic has no such setting); `input_audio` and
//!   `file` parts are refused. Empty text is left out (Anthropic refuses empty text blocks).
//! - `assistant`: text and refusal parts -> `text` blocks; `tool_calls` -> `tool_use` blocks
//!   (arguments must be a JSON object, `""` reads as `{}`); a legacy `function_call` ->
//!   `tool_use` with id `call_fn_<message index>`. An assistant message with nothing left is
//!   dropped.
//! - `tool` messages -> `tool_result` blocks in a user turn; a legacy `function` message ->
//!   `tool_result` for the latest `function_call`.
//! - Consecutive turns of the same role are merged into one (consecutive tool results become
//!   one user turn, first in it). A message's `name` is dropped (Anthropic has none).
//! - `tools` / `functions` -> `tools` with `input_schema` (`{"type":"object"}` when none);
//!   `tool_choice` `auto`/`none`/`required`/`{function}` -> `auto`/`none`/`any`/`tool`
//!   (legacy `function_call` likewise); `parallel_tool_calls: false` ->
//!   `disable_parallel_tool_use: true`. Without tools, no `tool_choice` is sent.
//! - `temperature` (must be <= 1 here: Anthropic's range is 0..=1), `top_p` copied;
//!   `stop` (string or array) -> `stop_sequences`; `user` -> `metadata.user_id`; `stream`.

use serde_json::{json, Map, Value};

use crate::chat::{present, Chat};
use crate::error::{anthropic_type, gateway_error};
use crate::relay::Emitter;
use crate::usage::count;
use crate::{fields, ClientError, Usage, Wire};

/// Image media types Anthropic accepts in a base64 source.
const IMAGE_TYPES: &[&str] = &["image/jpeg", "image/png", "image/gif", "image/webp"];

/// The Messages API body for `chat`.
pub(crate) fn request(
    chat: &Chat,
    model: &str,
    max_tokens: u64,
) -> Result<Map<String, Value>, ClientError> {
    let body = &chat.body;
    fields::check(Wire::Anthropic, body)?;
    let mut out = Map::new();
    out.insert("model".into(), model.into());
    out.insert("max_tokens".into(), max_tokens.into());
    let (system, messages) = turns(chat.messages())?;
    if !system.is_empty() {
        out.insert("system".into(), system.join("\n\n").into());
    }
    out.insert("messages".into(), Value::Array(messages));
    if let Some(t) = chat.temperature {
        if t > 1.0 {
            return Err(ClientError::new(
                Some("temperature"),
                "invalid_value",
                "temperature must be from 0 to 1 for this model's provider (anthropic)",
            ));
        }
        out.insert("temperature".into(), body["temperature"].clone());
    }
    if let Some(top_p) = present(body, "top_p") {
        out.insert("top_p".into(), top_p.clone());
    }
    match present(body, "stop") {
        Some(Value::String(s)) => {
            out.insert("stop_sequences".into(), json!([s]));
        }
        Some(Value::Array(list)) if !list.is_empty() => {
            out.insert("stop_sequences".into(), Value::Array(list.clone()));
        }
        _ => {}
    }
    let tools = tools(body);
    if !tools.is_empty() {
        out.insert("tools".into(), Value::Array(tools));
        if let Some(choice) = tool_choice(body) {
            out.insert("tool_choice".into(), choice);
        }
    }
    if let Some(Value::String(user)) = present(body, "user") {
        out.insert("metadata".into(), json!({"user_id": user}));
    }
    if chat.stream {
        out.insert("stream".into(), Value::Bool(true));
    }
    Ok(out)
}

/// The system text and the user/assistant turns of `messages`.
fn turns(messages: &[Value]) -> Result<(Vec<String>, Vec<Value>), ClientError> {
    let mut system = Vec::new();
    let mut turns: Vec<(&'static str, Vec<Value>)> = Vec::new();
    let mut last_function_id: Option<String> = None;
    for (i, message) in messages.iter().enumerate() {
        let role = message["role"].as_str().unwrap_or_default();
        let content = message.get("content").filter(|c| !c.is_null());
        let (turn_role, blocks) = match role {
            "system" | "developer" => {
                let text = plain_text(content);
                if !text.is_empty() {
                    system.push(text);
                }
                continue;
            }
            "user" => ("user", user_blocks(i, content)?),
            "assistant" => {
                let mut blocks = text_blocks(content);
                if let Some(Value::Array(calls)) = message.get("tool_calls") {
                    for (j, call) in calls.iter().enumerate() {
                        let function = &call["function"];
                        blocks.push(json!({
                            "type": "tool_use",
                            "id": call["id"],
                            "name": function["name"],
                            "input": arguments(i, &format!("tool_calls[{j}]"), &function["arguments"])?,
                        }));
                    }
                }
                if let Some(call) = message.get("function_call").filter(|c| c.is_object()) {
                    let id = format!("call_fn_{i}");
                    blocks.push(json!({
                        "type": "tool_use",
                        "id": id,
                        "name": call["name"],
                        "input": arguments(i, "function_call", &call["arguments"])?,
                    }));
                    last_function_id = Some(id);
                }
                if blocks.is_empty() {
                    continue;
                }
                ("assistant", blocks)
            }
            "tool" => (
                "user",
                vec![tool_result(message["tool_call_id"].clone(), content)],
            ),
            _ => {
                let Some(id) = last_function_id.clone() else {
                    return Err(ClientError::new(Some("messages"), "invalid_value", format!("messages[{i}] (role \"function\") must follow an assistant message with a function_call")));
                };
                ("user", vec![tool_result(Value::String(id), content)])
            }
        };
        match turns.last_mut() {
            Some((last, existing)) if *last == turn_role => existing.extend(blocks),
            _ => turns.push((turn_role, blocks)),
        }
    }
    if turns.is_empty() {
        return Err(ClientError::new(Some("messages"), "invalid_value", "messages must hold at least one user or assistant message for this model's provider (anthropic)"));
    }
    let messages = turns
        .into_iter()
        .map(|(role, content)| json!({"role": role, "content": content}))
        .collect();
    Ok((system, messages))
}

/// The text of a system/tool content: a string, or its text parts joined by newlines.
fn plain_text(content: Option<&Value>) -> String {
    match content {
        Some(Value::String(s)) => s.clone(),
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| p.get("text").and_then(Value::as_str))
            .collect::<Vec<_>>()
            .join("\n"),
        _ => String::new(),
    }
}

/// Non-empty `text` blocks for a string or text/refusal parts.
fn text_blocks(content: Option<&Value>) -> Vec<Value> {
    let texts: Vec<&str> = match content {
        Some(Value::String(s)) => vec![s.as_str()],
        Some(Value::Array(parts)) => parts
            .iter()
            .filter_map(|p| {
                p.get("text")
                    .or_else(|| p.get("refusal"))
                    .and_then(Value::as_str)
            })
            .collect(),
        _ => Vec::new(),
    };
    texts
        .into_iter()
        .filter(|t| !t.is_empty())
        .map(|t| json!({"type": "text", "text": t}))
        .collect()
}

fn user_blocks(i: usize, content: Option<&Value>) -> Result<Vec<Value>, ClientError> {
    let blocks = match content {
        Some(Value::Array(parts)) => {
            let mut blocks = Vec::new();
            for (j, part) in parts.iter().enumerate() {
                match part["type"].as_str().unwrap_or_default() {
                    "text" => blocks.extend(text_blocks(Some(&part["text"]))),
                    "image_url" => blocks.push(image(
                        i,
                        j,
                        part["image_url"]["url"].as_str().unwrap_or_default(),
                    )?),
                    other => {
                        return Err(ClientError::new(Some("messages"), "unsupported_value", format!("messages[{i}].content[{j}]: {other} parts are not supported by this model's provider (anthropic)")));
                    }
                }
            }
            blocks
        }
        other => text_blocks(other),
    };
    if blocks.is_empty() {
        return Err(ClientError::new(Some("messages"), "invalid_value", format!("messages[{i}] has no content; this model's provider (anthropic) refuses empty user messages")));
    }
    Ok(blocks)
}

fn image(i: usize, j: usize, url: &str) -> Result<Value, ClientError> {
    let bad = |why: String| {
        ClientError::new(
            Some("messages"),
            "invalid_value",
            format!("messages[{i}].content[{j}].image_url.url {why}"),
        )
    };
    if let Some(rest) = url.strip_prefix("data:") {
        let Some((media_type, data)) = rest.split_once(";base64,") else {
            return Err(bad(
                "must be a base64 data: URL (data:image/png;base64,...) or an http(s) URL".into(),
            ));
        };
        if !IMAGE_TYPES.contains(&media_type) {
            return Err(bad(format!(
                "has media type {media_type:?}; this model's provider (anthropic) takes {}",
                IMAGE_TYPES.join(", ")
            )));
        }
        return Ok(
            json!({"type": "image", "source": {"type": "base64", "media_type": media_type, "data": data}}),
        );
    }
    if url.starts_with("https://") || url.starts_with("http://") {
        return Ok(json!({"type": "image", "source": {"type": "url", "url": url}}));
    }
    Err(bad("must be a base64 data: URL or an http(s) URL".into()))
}

/// A tool call's arguments (a JSON text) as the object Anthropic's `input` takes.
fn arguments(i: usize, at: &str, arguments: &Value) -> Result<Value, ClientError> {
    let text = arguments.as_str().unwrap_or_default();
    if text.trim().is_empty() {
        return Ok(json!({}));
    }
    match serde_json::from_str::<Value>(text) {
        Ok(input @ Value::Object(_)) => Ok(input),
        _ => Err(ClientError::new(Some("messages"), "invalid_value", format!("messages[{i}].{at}.arguments must be a JSON object text for this model's provider (anthropic)"))),
    }
}

fn tool_result(id: Value, content: Option<&Value>) -> Value {
    let text = plain_text(content);
    if text.is_empty() {
        json!({"type": "tool_result", "tool_use_id": id})
    } else {
        json!({"type": "tool_result", "tool_use_id": id, "content": text})
    }
}

fn tools(body: &Map<String, Value>) -> Vec<Value> {
    let functions = present(body, "tools")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|t| &t["function"])
        .chain(
            present(body, "functions")
                .and_then(Value::as_array)
                .into_iter()
                .flatten(),
        );
    functions
        .map(|f| {
            let mut tool = Map::new();
            tool.insert("name".into(), f["name"].clone());
            if let Some(d) = f.get("description").filter(|d| d.is_string()) {
                tool.insert("description".into(), d.clone());
            }
            let schema = f
                .get("parameters")
                .filter(|p| p.is_object())
                .cloned()
                .unwrap_or_else(|| json!({"type": "object", "properties": {}}));
            tool.insert("input_schema".into(), schema);
            Value::Object(tool)
        })
        .collect()
}

fn tool_choice(body: &Map<String, Value>) -> Option<Value> {
    let mut choice = match present(body, "tool_choice").or_else(|| present(body, "function_call")) {
        Some(Value::String(s)) => match s.as_str() {
            "none" => return Some(json!({"type": "none"})),
            "required" => json!({"type": "any"}),
            _ => json!({"type": "auto"}),
        },
        Some(Value::Object(o)) => {
            let name = o
                .get("function")
                .map(|f| &f["name"])
                .or_else(|| o.get("name"))
                .cloned()
                .unwrap_or(Value::Null);
            json!({"type": "tool", "name": name})
        }
        _ => json!({"type": "auto"}),
    };
    let parallel = present(body, "parallel_tool_calls").and_then(Value::as_bool);
    if parallel == Some(false) {
        choice["disable_parallel_tool_use"] = Value::Bool(true);
    }
    if parallel.is_none()
        && present(body, "tool_choice").is_none()
        && present(body, "function_call").is_none()
    {
        return None;
    }
    Some(choice)
}

/// OpenAI's `finish_reason` for an Anthropic `stop_reason`.
pub(crate) fn finish_reason(stop_reason: &str) -> &'static str {
    match stop_reason {
        "max_tokens" | "model_context_window_exceeded" => "length",
        "tool_use" => "tool_calls",
        "refusal" => "content_filter",
        _ => "stop",
    }
}

/// Usage from an Anthropic `usage` object: input includes cache-creation and cache-read tokens.
fn usage_of(usage: &Value) -> Usage {
    Usage {
        input: count(usage.get("input_tokens"))
            .saturating_add(count(usage.get("cache_creation_input_tokens")))
            .saturating_add(count(usage.get("cache_read_input_tokens"))),
        output: count(usage.get("output_tokens")),
    }
}

/// A non-streaming Messages API answer as an OpenAI `chat.completion`.
pub(crate) fn answer(
    value: &Value,
    model: &str,
    id: &str,
    created: u64,
) -> Result<(Value, Usage), String> {
    let Some(blocks) = value
        .get("content")
        .and_then(Value::as_array)
        .filter(|_| value["type"] == "message")
    else {
        return Err("the anthropic answer is not a Messages API message".into());
    };
    let mut text = String::new();
    let mut calls = Vec::new();
    for block in blocks {
        match block["type"].as_str() {
            Some("text") => text.push_str(block["text"].as_str().unwrap_or_default()),
            Some("tool_use") => calls.push(json!({
                "id": block["id"],
                "type": "function",
                "function": {"name": block["name"], "arguments": block.get("input").unwrap_or(&json!({})).to_string()},
            })),
            _ => {}
        }
    }
    let usage = usage_of(&value["usage"]);
    let mut message = json!({"role": "assistant", "content": text, "refusal": null});
    if !calls.is_empty() {
        if text.is_empty() {
            message["content"] = Value::Null;
        }
        message["tool_calls"] = Value::Array(calls);
    }
    let finish = value["stop_reason"]
        .as_str()
        .map(finish_reason)
        .unwrap_or("stop");
    let answer = json!({
        "id": value["id"].as_str().unwrap_or(id),
        "object": "chat.completion",
        "created": created,
        "model": model,
        "choices": [{"index": 0, "message": message, "logprobs": null, "finish_reason": finish}],
        "usage": usage.to_openai(),
    });
    Ok((answer, usage))
}

/// Translates one Anthropic stream event (its `data` parsed) into OpenAI chunks on `emit`.
pub(crate) fn stream_event(data: &Value, emit: &mut Emitter) {
    match data["type"].as_str().unwrap_or_default() {
        "message_start" => {
            emit.usage = usage_of(&data["message"]["usage"]);
            emit.delta(json!({"role": "assistant", "content": ""}), None);
        }
        "content_block_start" => {
            let block = &data["content_block"];
            match block["type"].as_str() {
                Some("text") => {
                    if let Some(text) = block["text"].as_str().filter(|t| !t.is_empty()) {
                        emit.content(text);
                    }
                }
                Some("tool_use") => {
                    let index = emit.new_tool(data["index"].as_u64());
                    emit.tool_delta(json!({"index": index, "id": block["id"], "type": "function", "function": {"name": block["name"], "arguments": ""}}));
                }
                _ => {}
            }
        }
        "content_block_delta" => {
            let delta = &data["delta"];
            match delta["type"].as_str() {
                Some("text_delta") => {
                    if let Some(text) = delta["text"].as_str().filter(|t| !t.is_empty()) {
                        emit.content(text);
                    }
                }
                Some("input_json_delta") => {
                    let partial = delta["partial_json"].as_str().unwrap_or_default();
                    if let Some(index) = emit.tool_index(data["index"].as_u64()) {
                        if !partial.is_empty() {
                            emit.tool_delta(
                                json!({"index": index, "function": {"arguments": partial}}),
                            );
                        }
                    }
                }
                _ => {}
            }
        }
        "message_delta" => {
            let usage = &data["usage"];
            if usage.get("output_tokens").is_some() {
                emit.usage.output = count(usage.get("output_tokens"));
            }
            if usage.get("input_tokens").is_some() {
                emit.usage.input = usage_of(usage).input;
            }
            if let Some(stop) = data["delta"]["stop_reason"].as_str() {
                emit.finish(finish_reason(stop));
            }
        }
        "message_stop" => emit.done(),
        "error" => {
            let error = &data["error"];
            let kind = error["type"].as_str().unwrap_or("api_error");
            let message = error["message"]
                .as_str()
                .unwrap_or("the provider's stream failed");
            let mut body = gateway_error(message, anthropic_type(kind), kind);
            body["error"]["code"] = Value::String(kind.to_owned());
            emit.error(message, body);
        }
        _ => {}
    }
}
