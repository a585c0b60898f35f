//! Anthropic streams relayed as OpenAI chunks.

mod support;

use gatehouse_llm::{Relay, Usage, Wire};
use serde_json::json;
use support::*;

fn relay(include_usage: bool) -> Relay {
    Relay::new(
        Wire::Anthropic,
        "smart",
        "chatcmpl-gw1",
        1_700_000_000,
        include_usage,
    )
}

fn chunk(delta: serde_json::Value, finish: Option<&str>) -> serde_json::Value {
    json!({"id": "chatcmpl-gw1", "object": "chat.completion.chunk", "created": 1_700_000_000u64, "model": "smart",
        "choices": [{"index": 0, "delta": delta, "logprobs": null, "finish_reason": finish}]})
}

#[test]
fn text_and_tool_use_stream_becomes_the_exact_openai_chunk_sequence() {
    let (out, relay) = run_whole(relay(false), ANTHROPIC_TEXT_AND_TOOL.as_bytes());
    let expected = vec![
        chunk(json!({"role": "assistant", "content": ""}), None),
        chunk(json!({"content": "Let me check"}), None),
        chunk(json!({"content": " the weather – ☀"}), None),
        chunk(
            json!({"tool_calls": [{"index": 0, "id": "toolu_01", "type": "function", "function": {"name": "get_weather", "arguments": ""}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "{\"city\": "}}]}),
            None,
        ),
        chunk(
            json!({"tool_calls": [{"index": 0, "function": {"arguments": "\"Paris\"}"}}]}),
            None,
        ),
        chunk(json!({}), Some("tool_calls")),
        json!("[DONE]"),
    ];
    assert_eq!(events(&out), expected);
    assert_eq!(relay.finish_reason(), Some("tool_calls"));
    assert!(relay.is_complete());
    assert_eq!(relay.errored(), None);
}

#[test]
fn usage_is_read_from_message_start_and_message_delta() {
    let (_, relay) = run_whole(relay(false), ANTHROPIC_TEXT_AND_TOOL.as_bytes());
    // input: 25 + 0 cache creation + 5 cache read; output: message_delta's cumulative 42.
    assert_eq!(
        relay.usage(),
        Usage {
            input: 30,
            output: 42
        }
    );
}

#[test]
fn usage_chunk_is_synthesised_only_when_the_client_asked() {
    let (out, _) = run_whole(relay(true), ANTHROPIC_TEXT_AND_TOOL.as_bytes());
    let events = events(&out);
    let n = events.len();
    assert_eq!(events[n - 1], json!("[DONE]"));
    assert_eq!(
        events[n - 2],
        json!({"id": "chatcmpl-gw1", "object": "chat.completion.chunk", "created": 1_700_000_000u64, "model": "smart", "choices": [],
            "usage": {"prompt_tokens": 30, "completion_tokens": 42, "total_tokens": 72}})
    );
    // Every other chunk carries "usage": null, as OpenAI sends them.
    assert!(events[..n - 2]
        .iter()
        .all(|e| e["usage"].is_null() && e.get("usage").is_some()));
    let (out, _) = run_whole(relay(false), ANTHROPIC_TEXT_AND_TOOL.as_bytes());
    assert!(events_without_usage(&out));
}

fn events_without_usage(out: &[u8]) -> bool {
    events(out).iter().all(|e| e.get("usage").is_none())
}

#[test]
fn stop_reasons_map_to_openai_finish_reasons() {
    for (stop, finish) in [
        ("end_turn", "stop"),
        ("stop_sequence", "stop"),
        ("max_tokens", "length"),
        ("tool_use", "tool_calls"),
        ("refusal", "content_filter"),
        ("pause_turn", "stop"),
    ] {
        let stream = format!(
            "event: message_start\ndata: {{\"type\":\"message_start\",\"message\":{{\"usage\":{{\"input_tokens\":1,\"output_tokens\":1}}}}}}\n\n\
             event: message_delta\ndata: {{\"type\":\"message_delta\",\"delta\":{{\"stop_reason\":\"{stop}\"}},\"usage\":{{\"output_tokens\":2}}}}\n\n\
             event: message_stop\ndata: {{\"type\":\"message_stop\"}}\n\n"
        );
        let (out, relay) = run_whole(relay(false), stream.as_bytes());
        assert_eq!(relay.finish_reason(), Some(finish), "{stop}");
        assert_eq!(
            events(&out)[1]["choices"][0]["finish_reason"],
            finish,
            "{stop}"
        );
    }
}

#[test]
fn error_event_mid_stream_becomes_an_openai_error_event_and_ends_the_stream() {
    let stream = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"Hi\"}}\n\n",
        "event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"overloaded_error\",\"message\":\"Overloaded\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"ignored\"}}\n\n",
    );
    let (out, relay) = run_whole(relay(false), stream.as_bytes());
    let events = events(&out);
    assert_eq!(events.len(), 3, "{events:?}");
    assert_eq!(
        events[2],
        json!({"error": {"message": "Overloaded", "type": "server_error", "param": null, "code": "overloaded_error"}})
    );
    assert_eq!(relay.errored(), Some("Overloaded"));
    assert!(!relay.is_complete());
}

#[test]
fn stream_cut_before_message_stop_ends_with_an_error_event_from_finish() {
    let cut = &ANTHROPIC_TEXT_AND_TOOL[..ANTHROPIC_TEXT_AND_TOOL
        .find("event: message_delta")
        .unwrap()];
    let mut relay = relay(false);
    let first = relay.push(cut.as_bytes());
    assert!(!events(&first).contains(&json!("[DONE]")));
    let last = relay.finish();
    let last = events(&last);
    assert_eq!(last.len(), 1);
    assert_eq!(last[0]["error"]["code"], "stream_cut");
    assert_eq!(last[0]["error"]["type"], "server_error");
    assert!(relay.errored().is_some());
    assert!(
        relay
            .push(b"event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
            .is_empty(),
        "nothing after the end"
    );
}

#[test]
fn complete_stream_adds_nothing_at_finish() {
    let mut relay = relay(false);
    relay.push(ANTHROPIC_TEXT_AND_TOOL.as_bytes());
    assert!(relay.finish().is_empty());
}

#[test]
fn first_token_is_seen_at_the_first_content_delta_not_at_message_start() {
    let mut relay = relay(false);
    let start_end = ANTHROPIC_TEXT_AND_TOOL
        .find("event: content_block_delta")
        .unwrap();
    relay.push(&ANTHROPIC_TEXT_AND_TOOL.as_bytes()[..start_end]);
    assert!(
        !relay.first_token_seen(),
        "role chunk, empty text start and ping carry no token"
    );
    relay.push(&ANTHROPIC_TEXT_AND_TOOL.as_bytes()[start_end..]);
    assert!(relay.first_token_seen());
}

#[test]
fn tool_call_first_stream_counts_tool_calls_from_zero_and_marks_first_token() {
    let stream = concat!(
        "event: message_start\ndata: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":3,\"output_tokens\":1}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":0,\"content_block\":{\"type\":\"thinking\",\"thinking\":\"\"}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"thinking_delta\",\"thinking\":\"hmm\"}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":1,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_A\",\"name\":\"a\",\"input\":{}}}\n\n",
        "event: content_block_start\ndata: {\"type\":\"content_block_start\",\"index\":2,\"content_block\":{\"type\":\"tool_use\",\"id\":\"toolu_B\",\"name\":\"b\",\"input\":{}}}\n\n",
        "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":2,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"{}\"}}\n\n",
    );
    let mut relay = relay(false);
    let out = events(&relay.push(stream.as_bytes()));
    let d = deltas(&out);
    assert_eq!(d.len(), 4, "thinking sends nothing: {d:?}");
    assert_eq!(d[1]["tool_calls"][0]["index"], 0);
    assert_eq!(d[2]["tool_calls"][0]["index"], 1);
    assert_eq!(
        d[3]["tool_calls"][0],
        json!({"index": 1, "function": {"arguments": "{}"}})
    );
    assert!(relay.first_token_seen());
}

#[test]
fn event_that_is_not_json_ends_the_stream_with_an_error() {
    let (out, relay) = run_whole(relay(false), b"event: message_start\ndata: {not json\n\n");
    let events = events(&out);
    assert_eq!(events[0]["error"]["code"], "bad_provider_event");
    assert!(relay.errored().is_some());
}
