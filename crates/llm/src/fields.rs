//! What becomes of each OpenAI request field on each wire (OpenAI's own included: a field
//! the gateway does not know is never passed on, so no client can pick a model outside its
//! alias (`models`, `provider`), a billing tier or a built-in tool the prices do not know).
//!
//! Every top-level field of a checked [`Chat`](crate::Chat) body is either translated by the
//! wire's writer, dropped because leaving it out cannot change the answer's meaning, or
//! refused with a 400 naming it. A field no row names is refused: a client must not believe
//! a setting took effect when it did not. `null` is always the same as absent.

use serde_json::{Map, Value};

use crate::chat::present;
use crate::{ClientError, Wire};

/// The fate of one request field on one wire.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Fate {
    /// The wire's writer translates it.
    Translate,
    /// Left out: a hint, a storage or billing option, or a setting that only has one value
    /// here (`n`, checked to be 1).
    Drop,
    /// Left out when its value is the default (`false`, 0, empty, `"text"`), else refused.
    DropIfDefault,
    /// Refused with a 400.
    Refuse,
}

/// The fate of `field` on `wire` (for [`Wire::Anthropic`] and [`Wire::WorkersAi`]).
///
/// | field | anthropic | workers-ai |
/// |---|---|---|
/// | model, messages, max_tokens, max_completion_tokens, temperature, top_p, stream, stream_options, tools | translate | translate |
/// | stop | translate (`stop_sequences`) | only if empty |
/// | tool_choice | translate (auto/none/any/tool) | translate (`auto`; `none` sends no tools; others refused) |
/// | parallel_tool_calls | translate (`disable_parallel_tool_use`) | only if `true` |
/// | functions, function_call | translate (as tools) | refused (use `tools`) |
/// | user | translate (`metadata.user_id`) | drop |
/// | seed | drop (a best-effort hint) | translate |
/// | frequency_penalty, presence_penalty | only if 0 | translate |
/// | response_format | only if `{"type":"text"}` | translate (json_object / json_schema) |
/// | n (checked = 1), store, metadata, service_tier, safety_identifier, prompt_cache_key, prediction | drop | drop |
/// | logprobs, top_logprobs, logit_bias, modalities (`["text"]` ok), audio | only if default | only if default |
/// | reasoning_effort, verbosity, web_search_options, any other field | refused | refused |
pub(crate) fn fate(wire: Wire, field: &str) -> Fate {
    if wire == Wire::OpenAi {
        return openai_fate(field);
    }
    let anthropic = wire == Wire::Anthropic;
    match field {
        "model"
        | "messages"
        | "max_tokens"
        | "max_completion_tokens"
        | "temperature"
        | "top_p"
        | "stream"
        | "stream_options"
        | "tools"
        | "tool_choice" => Fate::Translate,
        "stop" if anthropic => Fate::Translate,
        "stop" => Fate::DropIfDefault,
        "parallel_tool_calls" if anthropic => Fate::Translate,
        "parallel_tool_calls" => Fate::DropIfDefault,
        "functions" | "function_call" if anthropic => Fate::Translate,
        "functions" | "function_call" => Fate::Refuse,
        "user" if anthropic => Fate::Translate,
        "seed" if anthropic => Fate::Drop,
        "user" => Fate::Drop,
        "seed" => Fate::Translate,
        "frequency_penalty" | "presence_penalty" if anthropic => Fate::DropIfDefault,
        "frequency_penalty" | "presence_penalty" => Fate::Translate,
        "response_format" if anthropic => Fate::DropIfDefault,
        "response_format" => Fate::Translate,
        "n" | "store" | "metadata" | "service_tier" | "safety_identifier" | "prompt_cache_key"
        | "prediction" => Fate::Drop,
        "logprobs" | "top_logprobs" | "logit_bias" | "modalities" | "audio" => Fate::DropIfDefault,
        _ => Fate::Refuse,
    }
}

/// The fate of `field` on [`Wire::OpenAi`] (OpenAI and OpenAI-compatible servers): OpenAI's
/// documented chat fields pass as they are; `store` (keeps the tenant's prompt in the
/// operator's account) and `service_tier` (a billing choice) are dropped; built-in web search
/// and any field OpenAI does not document are refused.
fn openai_fate(field: &str) -> Fate {
    match field {
        "model"
        | "messages"
        | "max_tokens"
        | "max_completion_tokens"
        | "temperature"
        | "top_p"
        | "stream"
        | "stream_options"
        | "tools"
        | "tool_choice"
        | "parallel_tool_calls"
        | "functions"
        | "function_call"
        | "user"
        | "seed"
        | "frequency_penalty"
        | "presence_penalty"
        | "response_format"
        | "n"
        | "stop"
        | "logprobs"
        | "top_logprobs"
        | "logit_bias"
        | "modalities"
        | "audio"
        | "reasoning_effort"
        | "verbosity"
        | "prediction"
        | "metadata"
        | "safety_identifier"
        | "prompt_cache_key" => Fate::Translate,
        "store" | "service_tier" => Fate::Drop,
        _ => Fate::Refuse,
    }
}

/// Whether `value` is the field's default, so dropping it changes nothing.
fn is_default(field: &str, value: &Value) -> bool {
    match value {
        Value::Bool(b) => {
            if field == "parallel_tool_calls" {
                *b
            } else {
                !*b
            }
        }
        Value::Number(n) => n.as_f64() == Some(0.0),
        Value::String(s) => s.is_empty(),
        Value::Array(items) => {
            items.is_empty() || field == "modalities" && items.len() == 1 && items[0] == "text"
        }
        Value::Object(o) => {
            o.is_empty()
                || field == "response_format"
                    && o.len() == 1
                    && o.get("type").is_some_and(|t| t == "text")
        }
        Value::Null => true,
    }
}

/// Checks every top-level field of `body` against its fate on `wire`; returns the first refusal.
pub(crate) fn check(wire: Wire, body: &Map<String, Value>) -> Result<(), ClientError> {
    let mut keys: Vec<&String> = body.keys().collect();
    keys.sort();
    for key in keys {
        let Some(value) = present(body, key) else {
            continue;
        };
        let refused = match fate(wire, key) {
            Fate::Translate | Fate::Drop => false,
            Fate::DropIfDefault => !is_default(key, value),
            Fate::Refuse => true,
        };
        if refused {
            return Err(ClientError {
                status: 400,
                message: format!("{key} is not supported by this model's provider ({}); remove it or pick another model", wire.name()),
                param: static_name(key),
                code: "unsupported_parameter",
            });
        }
    }
    Ok(())
}

/// Known field names as `'static` (for [`ClientError::param`]); `None` for an unknown field.
fn static_name(key: &str) -> Option<&'static str> {
    const KNOWN: &[&str] = &[
        "stop",
        "parallel_tool_calls",
        "functions",
        "function_call",
        "frequency_penalty",
        "presence_penalty",
        "response_format",
        "logprobs",
        "top_logprobs",
        "logit_bias",
        "modalities",
        "audio",
        "reasoning_effort",
        "verbosity",
        "web_search_options",
        "tool_choice",
    ];
    KNOWN.iter().find(|k| **k == key).copied()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn verdict(wire: Wire, field: &str, value: Value) -> bool {
        let mut body = Map::new();
        body.insert(field.to_owned(), value);
        check(wire, &body).is_ok()
    }

    #[test]
    fn hints_and_storage_options_are_dropped_on_both_wires() {
        for wire in [Wire::Anthropic, Wire::WorkersAi] {
            for field in [
                "store",
                "metadata",
                "service_tier",
                "safety_identifier",
                "prompt_cache_key",
                "prediction",
                "n",
            ] {
                assert_eq!(fate(wire, field), Fate::Drop, "{wire:?} {field}");
            }
        }
    }

    #[test]
    fn default_valued_fields_pass_and_others_are_refused() {
        for wire in [Wire::Anthropic, Wire::WorkersAi] {
            assert!(verdict(wire, "logprobs", json!(false)));
            assert!(!verdict(wire, "logprobs", json!(true)));
            assert!(verdict(wire, "top_logprobs", json!(0)));
            assert!(verdict(wire, "logit_bias", json!({})));
            assert!(!verdict(wire, "logit_bias", json!({"1": 2})));
            assert!(verdict(wire, "modalities", json!(["text"])));
            assert!(!verdict(wire, "modalities", json!(["text", "audio"])));
            assert!(verdict(wire, "parallel_tool_calls", json!(true)));
            assert!(verdict(wire, "anything", Value::Null), "null is absent");
            assert!(!verdict(wire, "reasoning_effort", json!("low")));
        }
        assert!(
            verdict(Wire::Anthropic, "parallel_tool_calls", json!(false)),
            "translated"
        );
        assert!(!verdict(
            Wire::WorkersAi,
            "parallel_tool_calls",
            json!(false)
        ));
        assert!(verdict(
            Wire::WorkersAi,
            "response_format",
            json!({"type": "json_object"})
        ));
        assert!(!verdict(
            Wire::Anthropic,
            "response_format",
            json!({"type": "json_object"})
        ));
        assert!(verdict(
            Wire::Anthropic,
            "response_format",
            json!({"type": "text"})
        ));
    }
}
