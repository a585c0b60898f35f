//! Checking a client's chat request and writing it for each wire.

use gatehouse_llm::{parse_chat, Chat, ClientError, Wire};
use serde_json::{json, Value};

fn chat(body: Value) -> Chat {
    parse_chat(body.to_string().as_bytes()).unwrap_or_else(|e| panic!("{body} should parse: {e}"))
}

fn written(body: Value, wire: Wire) -> Value {
    let text = chat(body)
        .provider_body(wire, "provider-model", 300)
        .expect("the request is writable");
    serde_json::from_str(&text).unwrap()
}

fn refused(body: Value, wire: Wire) -> ClientError {
    chat(body.clone())
        .provider_body(wire, "provider-model", 300)
        .expect_err(&format!("{body} must be refused on {wire:?}"))
}

#[test]
fn parse_reads_stream_usage_max_tokens_temperature_and_prompt_chars() {
    let c = chat(
        json!({"model": "fast", "stream": true, "stream_options": {"include_usage": true}, "max_completion_tokens": 50, "temperature": 0.5,
        "messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": [{"type": "text", "text": "héllo"}]}]}),
    );
    assert_eq!(c.model, "fast");
    assert!(c.stream);
    assert!(c.include_usage);
    assert_eq!(c.max_tokens, Some(50));
    assert_eq!(c.temperature, Some(0.5));
    assert_eq!(c.prompt_chars, "Be brief".len() + "héllo".chars().count());
}

#[test]
fn a_whole_max_tokens_written_as_a_float_is_that_integer_and_providers_get_the_integer() {
    let body =
        json!({"model": "m", "max_tokens": 5.0, "messages": [{"role": "user", "content": "Hi"}]});
    assert_eq!(chat(body.clone()).max_tokens, Some(5));
    assert_eq!(
        chat(json!({"model": "m", "max_completion_tokens": 7e0, "messages": [{"role": "user", "content": "Hi"}]})).max_tokens,
        Some(7)
    );
    for wire in [Wire::OpenAi, Wire::Anthropic, Wire::WorkersAi] {
        assert_eq!(
            written(body.clone(), wire)["max_tokens"],
            json!(300),
            "{wire:?}"
        );
        assert!(
            written(body.clone(), wire)["max_tokens"].is_u64(),
            "{wire:?}"
        );
    }
}

#[test]
fn include_usage_without_stream_is_false() {
    let c = chat(
        json!({"model": "m", "stream_options": {"include_usage": true}, "messages": [{"role": "user", "content": "x"}]}),
    );
    assert!(!c.include_usage);
}

#[test]
fn estimated_prompt_tokens_follows_the_documented_rule() {
    // 10 chars -> ceil(10/3) = 4; 2 messages -> 8; + 3 priming; one image -> 765.
    let c = chat(
        json!({"model": "m", "messages": [{"role": "system", "content": "abcde"},
        {"role": "user", "content": [{"type": "text", "text": "fghij"}, {"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]}),
    );
    assert_eq!(c.estimated_prompt_tokens(), 4 + 8 + 3 + 765);
}

#[test]
fn cacheable_only_without_stream_and_at_temperature_zero() {
    let base = json!({"model": "m", "messages": [{"role": "user", "content": "x"}]});
    let with = |extra: Value| {
        let mut b = base.clone();
        b.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        chat(b)
    };
    assert!(with(json!({"temperature": 0})).cacheable());
    assert!(!with(json!({"temperature": 0, "stream": true})).cacheable());
    assert!(!with(json!({"temperature": 0.2})).cacheable());
    assert!(!with(json!({})).cacheable(), "absent temperature means 1");
}

#[test]
fn cache_text_sorts_keys_and_ignores_user_and_stream_options() {
    let a = chat(
        json!({"temperature": 0, "model": "alias", "user": "u1", "messages": [{"content": "x", "role": "user"}]}),
    );
    let b = chat(
        json!({"messages": [{"role": "user", "content": "x"}], "model": "alias", "temperature": 0, "user": "u2", "stream_options": {"include_usage": true}}),
    );
    assert_eq!(a.cache_text(), b.cache_text());
    assert_eq!(
        a.cache_text(),
        r#"{"messages":[{"content":"x","role":"user"}],"model":"alias","temperature":0}"#
    );
    let c = chat(
        json!({"model": "alias", "temperature": 0, "messages": [{"role": "user", "content": "y"}]}),
    );
    assert_ne!(a.cache_text(), c.cache_text());
}

#[test]
fn openai_body_replaces_model_sets_max_tokens_and_asks_for_stream_usage() {
    let body = written(
        json!({"model": "alias", "stream": true, "messages": [{"role": "user", "content": "x"}], "logprobs": true}),
        Wire::OpenAi,
    );
    assert_eq!(body["model"], "provider-model");
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["stream_options"], json!({"include_usage": true}));
    assert_eq!(body["logprobs"], true, "everything else is the client's");
    let body = written(
        json!({"model": "alias", "max_completion_tokens": 9000, "stream_options": {"include_usage": false}, "messages": [{"role": "user", "content": "x"}]}),
        Wire::OpenAi,
    );
    assert_eq!(body["max_completion_tokens"], 300);
    assert!(body.get("max_tokens").is_none());
    assert!(
        body.get("stream_options").is_none(),
        "OpenAI refuses stream_options without stream"
    );
}

#[test]
fn anthropic_body_merges_system_messages_and_same_role_turns() {
    let body = written(
        json!({"model": "a", "messages": [
            {"role": "system", "content": "Rule one."},
            {"role": "developer", "content": [{"type": "text", "text": "Rule two."}]},
            {"role": "user", "content": "Hi"},
            {"role": "user", "content": "Again"},
            {"role": "assistant", "content": "Hello"},
            {"role": "system", "content": "Late rule."},
            {"role": "user", "content": "Bye"}]}),
        Wire::Anthropic,
    );
    assert_eq!(body["system"], "Rule one.\n\nRule two.\n\nLate rule.");
    assert_eq!(body["max_tokens"], 300);
    assert_eq!(body["model"], "provider-model");
    assert_eq!(
        body["messages"],
        json!([
            {"role": "user", "content": [{"type": "text", "text": "Hi"}, {"type": "text", "text": "Again"}]},
            {"role": "assistant", "content": [{"type": "text", "text": "Hello"}]},
            {"role": "user", "content": [{"type": "text", "text": "Bye"}]}])
    );
    assert!(body.get("stream").is_none());
}

#[test]
fn anthropic_body_translates_tools_tool_calls_and_merged_tool_results() {
    let body = written(
        json!({"model": "a", "stream": true, "tool_choice": "required", "parallel_tool_calls": false,
            "tools": [{"type": "function", "function": {"name": "get_weather", "description": "Weather", "parameters": {"type": "object", "properties": {"city": {"type": "string"}}}}},
                      {"type": "function", "function": {"name": "now"}}],
            "messages": [
                {"role": "user", "content": "Weather in Paris and Oslo?"},
                {"role": "assistant", "content": null, "tool_calls": [
                    {"id": "call_1", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Paris\"}"}},
                    {"id": "call_2", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]},
                {"role": "tool", "tool_call_id": "call_1", "content": "18C"},
                {"role": "tool", "tool_call_id": "call_2", "content": [{"type": "text", "text": "9C"}]},
                {"role": "user", "content": "Thanks"}]}),
        Wire::Anthropic,
    );
    assert_eq!(
        body["tools"],
        json!([{"name": "get_weather", "description": "Weather", "input_schema": {"type": "object", "properties": {"city": {"type": "string"}}}},
               {"name": "now", "input_schema": {"type": "object", "properties": {}}}])
    );
    assert_eq!(
        body["tool_choice"],
        json!({"type": "any", "disable_parallel_tool_use": true})
    );
    assert_eq!(body["stream"], true);
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": [
            {"type": "tool_use", "id": "call_1", "name": "get_weather", "input": {"city": "Paris"}},
            {"type": "tool_use", "id": "call_2", "name": "get_weather", "input": {"city": "Oslo"}}]})
    );
    assert_eq!(
        body["messages"][2],
        json!({"role": "user", "content": [
            {"type": "tool_result", "tool_use_id": "call_1", "content": "18C"},
            {"type": "tool_result", "tool_use_id": "call_2", "content": "9C"},
            {"type": "text", "text": "Thanks"}]})
    );
    assert_eq!(body["messages"].as_array().unwrap().len(), 3);
}

#[test]
fn anthropic_tool_choice_maps_each_openai_form() {
    let tools = json!([{"type": "function", "function": {"name": "f"}}]);
    for (choice, expected) in [
        (json!("auto"), json!({"type": "auto"})),
        (json!("none"), json!({"type": "none"})),
        (json!("required"), json!({"type": "any"})),
        (
            json!({"type": "function", "function": {"name": "f"}}),
            json!({"type": "tool", "name": "f"}),
        ),
    ] {
        let body = written(
            json!({"model": "a", "tools": tools, "tool_choice": choice, "messages": [{"role": "user", "content": "x"}]}),
            Wire::Anthropic,
        );
        assert_eq!(body["tool_choice"], expected, "{choice}");
    }
    let body = written(
        json!({"model": "a", "tool_choice": "required", "messages": [{"role": "user", "content": "x"}]}),
        Wire::Anthropic,
    );
    assert!(
        body.get("tool_choice").is_none(),
        "no tools, no tool_choice"
    );
}

#[test]
fn anthropic_legacy_functions_become_tools_and_tool_results() {
    let body = written(
        json!({"model": "a", "functions": [{"name": "f", "parameters": {"type": "object"}}], "function_call": {"name": "f"},
            "messages": [{"role": "user", "content": "go"},
                {"role": "assistant", "content": null, "function_call": {"name": "f", "arguments": ""}},
                {"role": "function", "name": "f", "content": "done"}]}),
        Wire::Anthropic,
    );
    assert_eq!(
        body["tools"],
        json!([{"name": "f", "input_schema": {"type": "object"}}])
    );
    assert_eq!(body["tool_choice"], json!({"type": "tool", "name": "f"}));
    assert_eq!(
        body["messages"][1]["content"][0],
        json!({"type": "tool_use", "id": "call_fn_1", "name": "f", "input": {}})
    );
    assert_eq!(
        body["messages"][2]["content"][0],
        json!({"type": "tool_result", "tool_use_id": "call_fn_1", "content": "done"})
    );
}

#[test]
fn anthropic_images_become_base64_or_url_sources() {
    let body = written(
        json!({"model": "a", "messages": [{"role": "user", "content": [
            {"type": "text", "text": "What is this?"},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "high"}},
            {"type": "image_url", "image_url": {"url": "https://example.com/cat.jpg"}}]}]}),
        Wire::Anthropic,
    );
    assert_eq!(
        body["messages"][0]["content"],
        json!([{"type": "text", "text": "What is this?"},
               {"type": "image", "source": {"type": "base64", "media_type": "image/png", "data": "iVBORw0KGgo="}},
               {"type": "image", "source": {"type": "url", "url": "https://example.com/cat.jpg"}}])
    );
}

#[test]
fn anthropic_stop_temperature_top_p_and_user_are_translated() {
    let body = written(
        json!({"model": "a", "stop": "END", "temperature": 0.7, "top_p": 0.9, "user": "user-42", "seed": 3, "n": 1, "store": false,
        "messages": [{"role": "user", "content": "x"}]}),
        Wire::Anthropic,
    );
    assert_eq!(body["stop_sequences"], json!(["END"]));
    assert_eq!(body["temperature"], 0.7);
    assert_eq!(body["top_p"], 0.9);
    assert_eq!(body["metadata"], json!({"user_id": "user-42"}));
    for dropped in ["seed", "n", "store", "user", "stop"] {
        assert!(body.get(dropped).is_none(), "{dropped}");
    }
    let body = written(
        json!({"model": "a", "stop": ["A", "B"], "messages": [{"role": "user", "content": "x"}]}),
        Wire::Anthropic,
    );
    assert_eq!(body["stop_sequences"], json!(["A", "B"]));
}

#[test]
fn anthropic_refuses_what_it_cannot_carry_naming_the_field() {
    let m = json!([{"role": "user", "content": "x"}]);
    for (extra, param) in [
        (json!({"logprobs": true}), Some("logprobs")),
        (json!({"top_logprobs": 2}), Some("top_logprobs")),
        (
            json!({"response_format": {"type": "json_object"}}),
            Some("response_format"),
        ),
        (json!({"frequency_penalty": 0.5}), Some("frequency_penalty")),
        (json!({"logit_bias": {"50256": -100}}), Some("logit_bias")),
        (
            json!({"reasoning_effort": "high"}),
            Some("reasoning_effort"),
        ),
        (json!({"temperature": 1.5}), Some("temperature")),
        (json!({"top_k": 5}), None),
    ] {
        let mut body = json!({"model": "a", "messages": m});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        let e = refused(body, Wire::Anthropic);
        assert_eq!(e.status, 400);
        assert_eq!(e.param, param, "{extra}");
        let field = extra.as_object().unwrap().keys().next().unwrap().clone();
        assert!(e.message.contains(&field), "{} names {field}", e.message);
    }
}

#[test]
fn anthropic_drops_fields_at_their_default_value() {
    let body = written(
        json!({"model": "a", "logprobs": false, "frequency_penalty": 0, "response_format": {"type": "text"}, "modalities": ["text"],
        "messages": [{"role": "user", "content": "x"}]}),
        Wire::Anthropic,
    );
    for dropped in [
        "logprobs",
        "frequency_penalty",
        "response_format",
        "modalities",
    ] {
        assert!(body.get(dropped).is_none(), "{dropped}");
    }
}

#[test]
fn anthropic_refuses_unsupported_parts_and_bad_tool_arguments() {
    let audio = json!({"model": "a", "messages": [{"role": "user", "content": [{"type": "input_audio", "input_audio": {"data": "x", "format": "wav"}}]}]});
    assert!(refused(audio, Wire::Anthropic)
        .message
        .contains("input_audio"));
    let svg = json!({"model": "a", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "data:image/svg+xml;base64,PHN2Zz4="}}]}]});
    assert!(refused(svg, Wire::Anthropic)
        .message
        .contains("image/svg+xml"));
    let ftp = json!({"model": "a", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "ftp://x/y.png"}}]}]});
    assert!(refused(ftp, Wire::Anthropic)
        .message
        .contains("image_url.url"));
    let args = json!({"model": "a", "messages": [{"role": "user", "content": "x"}, {"role": "assistant", "tool_calls": [{"id": "c", "type": "function", "function": {"name": "f", "arguments": "[1,2]"}}]}]});
    assert!(refused(args, Wire::Anthropic)
        .message
        .contains("messages[1].tool_calls[0].arguments"));
    let empty = json!({"model": "a", "messages": [{"role": "user", "content": ""}]});
    assert!(refused(empty, Wire::Anthropic)
        .message
        .contains("messages[0] has no content"));
    let only_system = json!({"model": "a", "messages": [{"role": "system", "content": "x"}]});
    assert!(refused(only_system, Wire::Anthropic)
        .message
        .contains("at least one user or assistant"));
}

#[test]
fn workers_ai_inputs_are_text_messages_and_sampling_settings() {
    let body = written(
        json!({"model": "w", "stream": true, "temperature": 0.3, "top_p": 0.8, "seed": 7, "user": "u",
            "messages": [{"role": "developer", "content": "Be brief"}, {"role": "user", "content": [{"type": "text", "text": "a"}, {"type": "text", "text": "b"}]}]}),
        Wire::WorkersAi,
    );
    assert_eq!(
        body,
        json!({"messages": [{"role": "system", "content": "Be brief"}, {"role": "user", "content": "a\nb"}],
            "max_tokens": 300, "temperature": 0.3, "top_p": 0.8, "seed": 7, "stream": true})
    );
}

#[test]
fn workers_ai_passes_tools_and_tool_messages_in_openai_shape() {
    let tools =
        json!([{"type": "function", "function": {"name": "f", "parameters": {"type": "object"}}}]);
    let call =
        json!([{"id": "c1", "type": "function", "function": {"name": "f", "arguments": "{}"}}]);
    let body = written(
        json!({"model": "w", "tools": tools, "messages": [{"role": "user", "content": "x"},
        {"role": "assistant", "content": null, "tool_calls": call}, {"role": "tool", "tool_call_id": "c1", "content": "ok"}]}),
        Wire::WorkersAi,
    );
    assert_eq!(body["tools"], tools);
    assert_eq!(
        body["messages"][1],
        json!({"role": "assistant", "content": "", "tool_calls": call})
    );
    assert_eq!(
        body["messages"][2],
        json!({"role": "tool", "content": "ok", "tool_call_id": "c1"})
    );
    let none = written(
        json!({"model": "w", "tools": tools, "tool_choice": "none", "messages": [{"role": "user", "content": "x"}]}),
        Wire::WorkersAi,
    );
    assert!(none.get("tools").is_none());
}

#[test]
fn workers_ai_refuses_images_forced_tools_and_stop() {
    let image = json!({"model": "w", "messages": [{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "https://x/y.png"}}]}]});
    assert!(refused(image, Wire::WorkersAi)
        .message
        .contains("image_url"));
    let forced = json!({"model": "w", "tools": [{"type": "function", "function": {"name": "f"}}], "tool_choice": "required", "messages": [{"role": "user", "content": "x"}]});
    assert_eq!(refused(forced, Wire::WorkersAi).param, Some("tool_choice"));
    let stop = json!({"model": "w", "stop": "x", "messages": [{"role": "user", "content": "x"}]});
    assert_eq!(refused(stop, Wire::WorkersAi).param, Some("stop"));
}

#[test]
fn bad_requests_are_each_a_400_naming_the_field() {
    let user = json!([{"role": "user", "content": "x"}]);
    let cases: Vec<(Value, Option<&str>, &str)> = vec![
        (
            json!({"messages": user}),
            Some("model"),
            "model is required",
        ),
        (
            json!({"model": "", "messages": user}),
            Some("model"),
            "model must not be empty",
        ),
        (
            json!({"model": 5, "messages": user}),
            Some("model"),
            "model must be a string",
        ),
        (
            json!({"model": "m"}),
            Some("messages"),
            "messages is required",
        ),
        (
            json!({"model": "m", "messages": []}),
            Some("messages"),
            "messages must not be empty",
        ),
        (
            json!({"model": "m", "messages": "hi"}),
            Some("messages"),
            "messages must be an array",
        ),
        (
            json!({"model": "m", "messages": ["hi"]}),
            Some("messages"),
            "messages[0] must be an object",
        ),
        (
            json!({"model": "m", "messages": [{"role": "bot", "content": "x"}]}),
            Some("messages"),
            "messages[0].role must be one of",
        ),
        (
            json!({"model": "m", "messages": [{"content": "x"}]}),
            Some("messages"),
            "messages[0].role is required",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user"}]}),
            Some("messages"),
            "messages[0].content is required",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": 5}]}),
            Some("messages"),
            "messages[0].content must be a string or an array",
        ),
        (
            json!({"model": "m", "messages": [{"role": "user", "content": [{"type": "video"}]}]}),
            Some("messages"),
            "messages[0].content[0].type must be one of",
        ),
        (
            json!({"model": "m", "messages": [{"role": "tool", "content": "x"}]}),
            Some("messages"),
            "messages[0].tool_call_id is required",
        ),
        (
            json!({"model": "m", "messages": [{"role": "assistant", "tool_calls": [{"id": "c"}]}]}),
            Some("messages"),
            "messages[0].tool_calls[0] must be",
        ),
        (
            json!({"model": "m", "messages": user, "stream": "yes"}),
            Some("stream"),
            "stream must be a boolean",
        ),
        (
            json!({"model": "m", "messages": user, "max_tokens": -1}),
            Some("max_tokens"),
            "max_tokens must be an integer >= 1",
        ),
        (
            json!({"model": "m", "messages": user, "max_tokens": 1.5}),
            Some("max_tokens"),
            "max_tokens must be an integer >= 1",
        ),
        (
            json!({"model": "m", "messages": user, "max_tokens": 0}),
            Some("max_tokens"),
            "max_tokens must be an integer >= 1",
        ),
        (
            json!({"model": "m", "messages": user, "max_tokens": 5, "max_completion_tokens": 6}),
            Some("max_tokens"),
            "not both",
        ),
        (
            json!({"model": "m", "messages": user, "n": 2}),
            Some("n"),
            "n must be 1",
        ),
        (
            json!({"model": "m", "messages": user, "temperature": 3}),
            Some("temperature"),
            "temperature must be a number from 0 to 2",
        ),
        (
            json!({"model": "m", "messages": user, "top_p": -0.1}),
            Some("top_p"),
            "top_p must be a number from 0 to 1",
        ),
        (
            json!({"model": "m", "messages": user, "stop": 5}),
            Some("stop"),
            "stop must be a string or an array of strings",
        ),
        (
            json!({"model": "m", "messages": user, "tools": [{"type": "function", "function": {}}]}),
            Some("tools"),
            "tools[0].function.name",
        ),
        (
            json!({"model": "m", "messages": user, "tools": [{"type": "custom"}]}),
            Some("tools"),
            "tools[0].type must be \"function\"",
        ),
        (
            json!({"model": "m", "messages": user, "tool_choice": "always"}),
            Some("tool_choice"),
            "tool_choice must be",
        ),
        (
            json!({"model": "m", "messages": user, "stream_options": true}),
            Some("stream_options"),
            "stream_options must be an object",
        ),
    ];
    for (body, param, needle) in cases {
        let e = parse_chat(body.to_string().as_bytes()).expect_err(&body.to_string());
        assert_eq!(e.status, 400, "{body}");
        assert_eq!(e.param, param, "{body}");
        assert!(
            e.message.contains(needle),
            "{body}: {:?} should contain {needle:?}",
            e.message
        );
        let json: Value = serde_json::from_str(&e.to_json()).unwrap();
        assert_eq!(json["error"]["type"], "invalid_request_error");
        assert_eq!(json["error"]["message"], e.message);
    }
}

#[test]
fn null_fields_count_as_absent() {
    let c = chat(
        json!({"model": "m", "messages": [{"role": "user", "content": "x"}], "stream": null, "max_tokens": null, "temperature": null, "n": null, "logprobs": null}),
    );
    assert!(!c.stream);
    assert_eq!(c.max_tokens, None);
    assert!(c.provider_body(Wire::Anthropic, "p", 10).is_ok());
}

#[test]
fn openai_gets_only_the_fields_it_documents() {
    let chat = parse_chat(
        br#"{"model":"fast","messages":[{"role":"user","content":"hi"}],"store":true,"service_tier":"priority","seed":7}"#,
    )
    .unwrap();
    let sent: serde_json::Value =
        serde_json::from_str(&chat.provider_body(Wire::OpenAi, "gpt-x", 64).unwrap()).unwrap();
    assert_eq!(sent["seed"], 7, "documented fields pass");
    assert!(
        sent.get("store").is_none(),
        "a tenant's prompt is never stored in the operator's account"
    );
    assert!(
        sent.get("service_tier").is_none(),
        "no billing tier the prices do not know"
    );
    for field in [
        r#""models":["other-model"]"#,
        r#""provider":{"order":["x"]}"#,
        r#""web_search_options":{}"#,
        r#""min_tokens":5"#,
    ] {
        let body =
            format!(r#"{{"model":"fast","messages":[{{"role":"user","content":"hi"}}],{field}}}"#);
        let chat = parse_chat(body.as_bytes()).unwrap();
        let e = chat.provider_body(Wire::OpenAi, "gpt-x", 64).unwrap_err();
        assert_eq!(
            (e.status, e.code),
            (400, "unsupported_parameter"),
            "{field}"
        );
    }
}
