//! Hostile bodies give errors, never panics.

use gatehouse_llm::{chat_answer, error_answer, parse_chat, parse_embeddings, Relay, Wire};

fn hostile_bodies() -> Vec<Vec<u8>> {
    let mut bodies: Vec<Vec<u8>> = vec![
        b"".to_vec(),
        b"null".to_vec(),
        b"[]".to_vec(),
        b"\"model\"".to_vec(),
        b"42".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"\xff\xfe\"}]}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":1e400}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"max_tokens\":99999999999999999999999}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}],\"temperature\":-1e308}".to_vec(),
        b"{\"model\":\"m\",\"messages\":[{\"role\":\"user\",\"content\":\"x\"}]".to_vec(),
        b"{\"model\":\"m\",\"model\":\"n\"}".to_vec(),
    ];
    let deep = format!(
        "{{\"model\":\"m\",\"messages\":[{{\"role\":\"user\",\"content\":{}1{}}}]}}",
        "[".repeat(100_000),
        "]".repeat(100_000)
    );
    bodies.push(deep.into_bytes());
    let deep_object = format!("{}{}", "{\"a\":".repeat(50_000), "}".repeat(50_000));
    bodies.push(deep_object.into_bytes());
    bodies
}

#[test]
fn hostile_chat_bodies_are_400s_not_panics() {
    for body in hostile_bodies() {
        let e = parse_chat(&body).expect_err(&String::from_utf8_lossy(&body[..body.len().min(80)]));
        assert_eq!(e.status, 400);
        assert!(!e.message.is_empty());
    }
}

#[test]
fn hostile_embeddings_bodies_are_400s_not_panics() {
    for body in hostile_bodies() {
        assert_eq!(parse_embeddings(&body).unwrap_err().status, 400);
    }
}

#[test]
fn hostile_provider_answers_are_errors_not_panics() {
    for wire in [Wire::OpenAi, Wire::Anthropic, Wire::WorkersAi] {
        for body in hostile_bodies() {
            assert!(chat_answer(wire, &body, "m", "i", 0).is_err());
            let e: serde_json::Value =
                serde_json::from_str(&error_answer(wire, 500, &body)).unwrap();
            assert!(e["error"]["message"].is_string());
        }
    }
}

#[test]
fn hostile_stream_bytes_never_panic_and_end_with_a_complete_or_error_event() {
    let streams: Vec<Vec<u8>> = vec![
        b"data: \xff\xff\n\n".to_vec(),
        b"data: {\"type\":\"content_block_delta\",\"index\":18446744073709551615,\"delta\":{\"type\":\"input_json_delta\",\"partial_json\":\"x\"}}\n\n".to_vec(),
        b"data: {\"type\":\"message_start\",\"message\":{\"usage\":{\"input_tokens\":18446744073709551615,\"cache_read_input_tokens\":18446744073709551615}}}\n\n".to_vec(),
        b"data: {\"response\":5,\"tool_calls\":\"no\",\"usage\":[]}\n\n".to_vec(),
        b"data: {\"choices\":\"x\",\"usage\":7}\n\n".to_vec(),
        b"data: []\n\ndata: null\n\n".to_vec(),
        format!("data: {}\n\n", "[".repeat(10_000)).into_bytes(),
        b"\r\r\r\n\n\n:::\nevent\n".to_vec(),
    ];
    for wire in [Wire::OpenAi, Wire::Anthropic, Wire::WorkersAi] {
        for stream in &streams {
            let mut relay = Relay::new(wire, "m", "i", 0, true);
            let mut out = relay.push(stream);
            out.extend(relay.finish());
            let text = String::from_utf8_lossy(&out);
            assert!(
                relay.is_complete() || relay.errored().is_some(),
                "{wire:?}: {text}"
            );
            let _ = relay.usage().total();
        }
    }
}
