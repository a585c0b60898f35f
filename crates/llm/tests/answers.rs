//! Providers' non-streaming answers and error answers, in OpenAI's shape.

use gatehouse_llm::{chat_answer, error_answer, Usage, Wire};
use serde_json::{json, Value};

fn answer(wire: Wire, body: Value) -> (Value, Usage) {
    let (text, usage) = chat_answer(
        wire,
        body.to_string().as_bytes(),
        "alias",
        "chatcmpl-gw",
        1_700_000_000,
    )
    .expect("answer translates");
    (serde_json::from_str(&text).unwrap(), usage)
}

#[test]
fn anthropic_answer_with_text_and_tool_use_becomes_a_chat_completion() {
    let (out, usage) = answer(
        Wire::Anthropic,
        json!({"id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
            "content": [{"type": "thinking", "thinking": "..."}, {"type": "text", "text": "Checking."}, {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"city": "Paris"}}],
            "stop_reason": "tool_use", "stop_sequence": null,
            "usage": {"input_tokens": 10, "cache_creation_input_tokens": 2, "cache_read_input_tokens": 3, "output_tokens": 7}}),
    );
    assert_eq!(
        out,
        json!({"id": "msg_1", "object": "chat.completion", "created": 1_700_000_000u64, "model": "alias",
            "choices": [{"index": 0, "logprobs": null, "finish_reason": "tool_calls", "message": {"role": "assistant", "content": "Checking.", "refusal": null,
                "tool_calls": [{"id": "toolu_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}}]}}],
            "usage": {"prompt_tokens": 15, "completion_tokens": 7, "total_tokens": 22}})
    );
    assert_eq!(
        usage,
        Usage {
            input: 15,
            output: 7
        }
    );
}

#[test]
fn anthropic_stop_reasons_map_to_finish_reasons() {
    for (stop, finish) in [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
    ] {
        let (out, _) = answer(
            Wire::Anthropic,
            json!({"type": "message", "content": [{"type": "text", "text": "x"}], "stop_reason": stop, "usage": {"input_tokens": 1, "output_tokens": 1}}),
        );
        assert_eq!(out["choices"][0]["finish_reason"], finish, "{stop}");
        assert_eq!(
            out["id"], "chatcmpl-gw",
            "the given id when the answer has none"
        );
    }
}

#[test]
fn anthropic_tool_only_answer_has_null_content() {
    let (out, _) = answer(
        Wire::Anthropic,
        json!({"type": "message", "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {}}], "stop_reason": "tool_use", "usage": {}}),
    );
    assert_eq!(out["choices"][0]["message"]["content"], Value::Null);
}

#[test]
fn openai_answer_is_passed_on_with_the_model_renamed_and_usage_read() {
    let body = json!({"id": "chatcmpl-9", "object": "chat.completion", "created": 5, "model": "gpt-4o", "system_fingerprint": "fp",
        "choices": [{"index": 0, "message": {"role": "assistant", "content": "hi"}, "finish_reason": "stop"}],
        "usage": {"prompt_tokens": 4, "completion_tokens": 1, "total_tokens": 5}});
    let (out, usage) = answer(Wire::OpenAi, body.clone());
    let mut expected = body;
    expected["model"] = json!("alias");
    assert_eq!(out, expected);
    assert_eq!(
        usage,
        Usage {
            input: 4,
            output: 1
        }
    );
}

#[test]
fn workers_ai_answer_gets_the_given_id_and_created() {
    let (out, usage) = answer(
        Wire::WorkersAi,
        json!({"response": "Bonjour", "usage": {"prompt_tokens": 6, "completion_tokens": 2, "total_tokens": 8}}),
    );
    assert_eq!(
        out,
        json!({"id": "chatcmpl-gw", "object": "chat.completion", "created": 1_700_000_000u64, "model": "alias",
            "choices": [{"index": 0, "logprobs": null, "finish_reason": "stop", "message": {"role": "assistant", "content": "Bonjour", "refusal": null}}],
            "usage": {"prompt_tokens": 6, "completion_tokens": 2, "total_tokens": 8}})
    );
    assert_eq!(
        usage,
        Usage {
            input: 6,
            output: 2
        }
    );
}

#[test]
fn workers_ai_answer_in_the_rest_envelope_with_tool_calls_and_no_usage() {
    let (out, usage) = answer(
        Wire::WorkersAi,
        json!({"result": {"response": null, "tool_calls": [{"name": "f", "arguments": {"a": 1}}]}, "success": true, "errors": []}),
    );
    let message = &out["choices"][0]["message"];
    assert_eq!(message["content"], Value::Null);
    assert_eq!(
        message["tool_calls"],
        json!([{"id": "chatcmpl-gw-call-0", "type": "function", "function": {"name": "f", "arguments": "{\"a\":1}"}}])
    );
    assert_eq!(out["choices"][0]["finish_reason"], "tool_calls");
    assert_eq!(usage, Usage::default());
}

#[test]
fn answers_not_in_the_provider_shape_are_errors() {
    for (wire, body) in [
        (Wire::Anthropic, "{\"type\":\"error\",\"error\":{}}"),
        (Wire::OpenAi, "{\"object\":\"list\"}"),
        (Wire::WorkersAi, "{\"something\":1}"),
        (Wire::WorkersAi, "[1,2]"),
        (Wire::OpenAi, "not json"),
        (Wire::Anthropic, ""),
    ] {
        assert!(
            chat_answer(wire, body.as_bytes(), "m", "i", 0).is_err(),
            "{wire:?} {body}"
        );
    }
}

fn error(wire: Wire, status: u16, body: &str) -> Value {
    serde_json::from_str(&error_answer(wire, status, body.as_bytes())).unwrap()
}

#[test]
fn anthropic_error_body_keeps_its_message_and_type() {
    let e = error(
        Wire::Anthropic,
        529,
        r#"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    );
    assert_eq!(
        e,
        json!({"error": {"message": "Overloaded", "type": "server_error", "param": null, "code": "overloaded_error"}})
    );
    let e = error(
        Wire::Anthropic,
        429,
        r#"{"type":"error","error":{"type":"rate_limit_error","message":"Slow down"}}"#,
    );
    assert_eq!(e["error"]["type"], "rate_limit_error");
}

#[test]
fn openai_error_body_keeps_message_type_param_and_code() {
    let body = r#"{"error":{"message":"Invalid 'messages[0].role'","type":"invalid_request_error","param":"messages[0].role","code":"invalid_value"}}"#;
    assert_eq!(
        error(Wire::OpenAi, 400, body),
        serde_json::from_str::<Value>(body).unwrap()
    );
}

#[test]
fn workers_ai_error_bodies_keep_their_message() {
    let e = error(
        Wire::WorkersAi,
        400,
        r#"{"errors":[{"code":5006,"message":"Error: oneOf at '/' not met"}],"success":false}"#,
    );
    assert_eq!(e["error"]["message"], "Error: oneOf at '/' not met");
    assert_eq!(e["error"]["code"], 5006);
    assert_eq!(e["error"]["type"], "invalid_request_error");
}

#[test]
fn non_json_and_empty_error_bodies_still_give_an_openai_error() {
    let e = error(Wire::OpenAi, 502, "<html>Bad gateway</html>\n");
    assert_eq!(
        e,
        json!({"error": {"message": "<html>Bad gateway</html>", "type": "server_error", "param": null, "code": null}})
    );
    let e = error(Wire::Anthropic, 401, "");
    assert_eq!(
        e["error"]["message"],
        "the anthropic provider answered HTTP 401 without a message"
    );
    assert_eq!(e["error"]["type"], "authentication_error");
    let long = "é".repeat(5000);
    let e = error(Wire::WorkersAi, 500, &long);
    assert!(e["error"]["message"].as_str().unwrap().len() <= 1000);
    let e = error(Wire::WorkersAi, 500, "\u{0}\u{1}");
    assert_eq!(e["error"]["type"], "server_error");
}
