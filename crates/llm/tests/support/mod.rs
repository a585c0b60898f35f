//! Helpers shared by the stream tests.
#![allow(dead_code)]

use gatehouse_llm::Relay;
use serde_json::Value;

/// The `data:` payloads of an OpenAI SSE output, JSON-parsed; `[DONE]` as the string "[DONE]".
pub fn events(output: &[u8]) -> Vec<Value> {
    let text = std::str::from_utf8(output).expect("relay output is UTF-8");
    assert!(
        text.is_empty() || text.ends_with("\n\n"),
        "output ends with a blank line: {text:?}"
    );
    text.split("\n\n")
        .filter(|block| !block.is_empty())
        .map(|block| {
            let data = block
                .strip_prefix("data: ")
                .unwrap_or_else(|| panic!("block is one data line: {block:?}"));
            assert!(!data.contains('\n'), "one line per event: {block:?}");
            if data == "[DONE]" {
                Value::String("[DONE]".into())
            } else {
                serde_json::from_str(data).unwrap_or_else(|e| panic!("event is JSON ({e}): {data}"))
            }
        })
        .collect()
}

/// Runs the whole `input` through `relay` in one push, then finish.
pub fn run_whole(mut relay: Relay, input: &[u8]) -> (Vec<u8>, Relay) {
    let mut out = relay.push(input);
    out.extend(relay.finish());
    (out, relay)
}

/// The deltas (`choices[0].delta`) of chunk events, in order.
pub fn deltas(events: &[Value]) -> Vec<Value> {
    events
        .iter()
        .filter_map(|e| e.get("choices")?.get(0).map(|c| c["delta"].clone()))
        .collect()
}

/// The concatenated `delta.content` of chunk events.
pub fn content(events: &[Value]) -> String {
    deltas(events)
        .iter()
        .filter_map(|d| d["content"].as_str().map(str::to_owned))
        .collect()
}

/// An Anthropic stream with a text block and a tool_use block, as the Messages API sends it.
pub const ANTHROPIC_TEXT_AND_TOOL: &str = concat!(
    "event: message_start\n",
    "data: {\"type\":\"message_start\",\"message\":{\"id\":\"msg_01\",\"type\":\"message\",\"role\":\"assistant\",\"model\":\"claude-sonnet-4-5\",\"content\":[],\"stop_reason\":null,\"stop_sequence\":null,\"usage\":{\"input_tokens\":25,\"cache_creation_input_tokens\":0,\"cache_read_input_tokens\":5,\"output_tokens\":1}}}\n\n",
    "event: content_block_start\n",
    "data: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"text\",\"text\":\"\"}}\n\n",
    "event: ping\n",
    "data: {\"type\": \"ping\"}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Let me check\"}}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\" the weather – ☀\"}}\n\n",
    "event: content_block_stop\n",
    "data: {\"type\":\"content_block_stop\",\"index\":0}\n\n",
    "event: content_block_start\n",
    "data: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_01\",\"name\":\"get_weather\",\"input\":{}}}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\"}}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{\\\"city\\\": \"}}\n\n",
    "event: content_block_delta\n",
    "data: {\"type\":\"content_block_delta\",\"index\":1,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"\\\"Paris\\\"}\"}}\n\n",
    "event: content_block_stop\n",
    "data: {\"type\":\"content_block_stop\",\"index\":1}\n\n",
    "event: message_delta\n",
    "data: {\"type\":\"message_delta\",\"delta\":{\"stop_reason\":\"tool_use\",\"stop_sequence\":null},\"usage\":{\"output_tokens\":42}}\n\n",
    "event: message_stop\n",
    "data: {\"type\":\"message_stop\"}\n\n",
);

/// An OpenAI stream as sent when the gateway added `stream_options.include_usage`.
pub const OPENAI_WITH_USAGE: &str = concat!(
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{\"content\":\"Héllo\"},\"logprobs\":null,\"finish_reason\":null}],\"usage\":null}\n\n",
    ": keep-alive\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[{\"index\":0,\"delta\":{},\"logprobs\":null,\"finish_reason\":\"stop\"}],\"usage\":null}\n\n",
    "data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[],\"usage\":{\"prompt_tokens\":12,\"completion_tokens\":3,\"total_tokens\":15}}\n\n",
    "data: [DONE]\n\n",
);

/// A Workers AI stream (`env.AI.run` with `stream: true`).
pub const WORKERS_AI_STREAM: &str = concat!(
    "data: {\"response\":\"Hello\",\"p\":\"abc\"}\n\n",
    "data: {\"response\":\" wörld\"}\n\n",
    "data: {\"response\":\"\",\"usage\":{\"prompt_tokens\":9,\"completion_tokens\":2,\"total_tokens\":11}}\n\n",
    "data: [DONE]\n\n",
);
