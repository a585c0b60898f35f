//! Workers AI streams relayed as OpenAI chunks.

mod support;

use gatehouse_llm::{Relay, Usage, Wire};
use serde_json::json;
use support::*;

fn relay(include_usage: bool) -> Relay {
    Relay::new(Wire::WorkersAi, "local", "chatcmpl-w", 7, include_usage)
}

#[test]
fn response_events_become_a_role_chunk_content_chunks_a_finish_chunk_and_done() {
    let (out, relay) = run_whole(relay(false), WORKERS_AI_STREAM.as_bytes());
    let events = events(&out);
    let d = deltas(&events);
    assert_eq!(d[0], json!({"role": "assistant", "content": ""}));
    assert_eq!(content(&events), "Hello wörld");
    let finish = &events[events.len() - 2];
    assert_eq!(finish["choices"][0]["finish_reason"], "stop");
    assert_eq!(finish["choices"][0]["delta"], json!({}));
    assert_eq!(events.last().unwrap(), &json!("[DONE]"));
    assert_eq!(events.len(), 5, "role, 2 content, finish, done: {events:?}");
    assert!(events.iter().all(|e| e.get("usage").is_none()));
    assert_eq!(
        relay.usage(),
        Usage {
            input: 9,
            output: 2
        }
    );
    assert_eq!(events[1]["id"], "chatcmpl-w");
    assert_eq!(events[1]["model"], "local");
    assert_eq!(events[1]["created"], 7);
}

#[test]
fn usage_chunk_is_synthesised_when_the_client_asked() {
    let (out, _) = run_whole(relay(true), WORKERS_AI_STREAM.as_bytes());
    let events = events(&out);
    let usage = &events[events.len() - 2];
    assert_eq!(usage["choices"], json!([]));
    assert_eq!(
        usage["usage"],
        json!({"prompt_tokens": 9, "completion_tokens": 2, "total_tokens": 11})
    );
}

#[test]
fn tool_calls_become_tool_call_chunks_and_finish_reason_tool_calls() {
    let stream = "data: {\"response\":\"\",\"tool_calls\":[{\"name\":\"get_weather\",\"arguments\":{\"city\":\"Oslo\"}}]}\n\ndata: [DONE]\n\n";
    let (out, relay) = run_whole(relay(false), stream.as_bytes());
    let events = events(&out);
    let d = deltas(&events);
    assert_eq!(
        d[1],
        json!({"tool_calls": [{"index": 0, "id": "chatcmpl-w-call-0", "type": "function", "function": {"name": "get_weather", "arguments": "{\"city\":\"Oslo\"}"}}]})
    );
    assert_eq!(relay.finish_reason(), Some("tool_calls"));
    assert!(relay.first_token_seen());
}

#[test]
fn stream_without_done_ends_with_a_stream_cut_error_event() {
    let cut = &WORKERS_AI_STREAM[..WORKERS_AI_STREAM.find("data: [DONE]").unwrap()];
    let (out, relay) = run_whole(relay(false), cut.as_bytes());
    assert_eq!(events(&out).last().unwrap()["error"]["code"], "stream_cut");
    assert!(!relay.is_complete());
}

#[test]
fn openai_shaped_chunks_from_newer_models_pass_with_the_model_renamed() {
    let stream = concat!(
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":\"@cf/openai/gpt-oss-20b\",\"choices\":[{\"index\":0,\"delta\":{\"role\":\"assistant\",\"content\":\"Hi\"},\"finish_reason\":null}]}\n\n",
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"model\":\"@cf/openai/gpt-oss-20b\",\"choices\":[{\"index\":0,\"delta\":{},\"finish_reason\":\"length\"}]}\n\n",
        "data: {\"id\":\"x\",\"object\":\"chat.completion.chunk\",\"choices\":[],\"usage\":{\"prompt_tokens\":4,\"completion_tokens\":1}}\n\n",
        "data: [DONE]\n\n",
    );
    let (out, relay) = run_whole(relay(false), stream.as_bytes());
    let events = events(&out);
    assert_eq!(
        events.len(),
        3,
        "usage-only chunk dropped, no second finish chunk: {events:?}"
    );
    assert_eq!(events[0]["model"], "local");
    assert_eq!(relay.finish_reason(), Some("length"));
    assert_eq!(
        relay.usage(),
        Usage {
            input: 4,
            output: 1
        }
    );
}
