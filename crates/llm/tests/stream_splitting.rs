//! A stream's output does not depend on how its bytes were split, and the SSE line rules hold.

mod support;

use gatehouse_llm::{Relay, Wire, MAX_LINE_BYTES};
use serde_json::json;
use support::*;

fn new_relay(wire: Wire, include_usage: bool) -> Relay {
    Relay::new(wire, "m", "id-1", 42, include_usage)
}

/// The stream in each line-ending style: LF, CRLF, CR.
fn line_endings(stream: &str) -> [String; 3] {
    [
        stream.to_owned(),
        stream.replace('\n', "\r\n"),
        stream.replace('\n', "\r"),
    ]
}

fn split_outputs_match_whole(wire: Wire, stream: &str) {
    for include_usage in [false, true] {
        for variant in line_endings(stream) {
            let bytes = variant.as_bytes();
            let (whole, _) = run_whole(new_relay(wire, include_usage), bytes);
            assert!(!whole.is_empty());
            for split in 0..=bytes.len() {
                let mut relay = new_relay(wire, include_usage);
                let mut out = relay.push(&bytes[..split]);
                out.extend(relay.push(&bytes[split..]));
                out.extend(relay.finish());
                assert_eq!(out, whole, "{wire:?} split at byte {split} of {variant:?}");
            }
            let mut relay = new_relay(wire, include_usage);
            let mut out = Vec::new();
            for byte in bytes {
                out.extend(relay.push(std::slice::from_ref(byte)));
            }
            out.extend(relay.finish());
            assert_eq!(out, whole, "{wire:?} one byte at a time");
        }
    }
}

#[test]
fn anthropic_stream_split_at_every_byte_gives_the_same_output_as_one_push() {
    split_outputs_match_whole(Wire::Anthropic, ANTHROPIC_TEXT_AND_TOOL);
}

#[test]
fn openai_stream_split_at_every_byte_gives_the_same_output_as_one_push() {
    split_outputs_match_whole(Wire::OpenAi, OPENAI_WITH_USAGE);
}

#[test]
fn workers_ai_stream_split_at_every_byte_gives_the_same_output_as_one_push() {
    split_outputs_match_whole(Wire::WorkersAi, WORKERS_AI_STREAM);
}

#[test]
fn cr_and_crlf_line_endings_translate_like_lf() {
    let [lf, crlf, cr] = line_endings(ANTHROPIC_TEXT_AND_TOOL);
    let (expected, _) = run_whole(new_relay(Wire::Anthropic, false), lf.as_bytes());
    for variant in [crlf, cr] {
        assert_eq!(
            run_whole(new_relay(Wire::Anthropic, false), variant.as_bytes()).0,
            expected
        );
    }
}

#[test]
fn every_complete_event_is_sent_at_once_and_only_an_incomplete_line_is_held() {
    let mut relay = new_relay(Wire::WorkersAi, false);
    let out = events(&relay.push(b"data: {\"response\":\"Hel"));
    assert!(out.is_empty());
    let out = events(&relay.push(b"lo\"}\n\ndata: {\"resp"));
    assert_eq!(content(&out), "Hello");
    let out = events(&relay.push(b"onse\":\"!\"}\n\n"));
    assert_eq!(content(&out), "!");
}

#[test]
fn multi_line_data_is_joined_with_newlines() {
    let stream = "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\ndata: \"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\"joined\"}}\n\n";
    let mut relay = new_relay(Wire::Anthropic, false);
    assert_eq!(content(&events(&relay.push(stream.as_bytes()))), "joined");
}

#[test]
fn bom_comments_unknown_fields_and_a_bare_data_line_follow_the_sse_rules() {
    let stream = "\u{feff}: comment\nid: 7\nretry: 10\nbogus\ndata:{\"response\":\"a\"}\n\n:another\n\ndata:  {\"response\":\"b\"}\n\ndata\n\ndata: [DONE]\n\n";
    // `data` alone is a data line with an empty value: an event whose data is "" (not JSON).
    let (out, relay) = run_whole(new_relay(Wire::WorkersAi, false), stream.as_bytes());
    let events = events(&out);
    assert_eq!(content(&events), "ab");
    assert_eq!(
        events.last().unwrap()["error"]["code"],
        "bad_provider_event"
    );
    assert!(relay.errored().is_some());
}

#[test]
fn utf8_split_inside_a_character_is_decoded_whole() {
    let stream = "data: {\"response\":\"日本\"}\n\ndata: [DONE]\n\n".as_bytes();
    let cut = stream.iter().position(|b| *b >= 0x80).unwrap() + 1;
    let mut relay = new_relay(Wire::WorkersAi, false);
    let mut out = relay.push(&stream[..cut]);
    out.extend(relay.push(&stream[cut..]));
    assert_eq!(content(&events(&out)), "日本");
}

#[test]
fn invalid_utf8_in_an_event_becomes_replacement_characters_not_a_panic() {
    let mut stream = b"data: {\"response\":\"a".to_vec();
    stream.extend([0xff, 0xfe]);
    stream.extend(b"\"}\n\ndata: [DONE]\n\n");
    let (out, _) = run_whole(new_relay(Wire::WorkersAi, false), &stream);
    assert_eq!(content(&events(&out)), "a\u{fffd}\u{fffd}");
}

#[test]
fn a_line_longer_than_the_cap_ends_the_stream_with_an_error_event() {
    let mut relay = new_relay(Wire::OpenAi, false);
    let mut out = relay.push(b"data: {\"choices\":[{\"delta\":{\"content\":\"");
    let filler = vec![b'x'; 64 * 1024];
    for _ in 0..(MAX_LINE_BYTES / filler.len() + 1) {
        out.extend(relay.push(&filler));
    }
    let events = events(&out);
    assert_eq!(events.len(), 1);
    assert_eq!(events[0]["error"]["code"], "stream_line_too_long");
    assert!(relay.errored().is_some());
    assert!(
        relay.finish().is_empty(),
        "the error already ended the stream"
    );
}

#[test]
fn events_after_done_are_ignored() {
    let stream = format!("{WORKERS_AI_STREAM}data: {{\"response\":\"late\"}}\n\n");
    let (out, _) = run_whole(new_relay(Wire::WorkersAi, false), stream.as_bytes());
    assert!(!content(&events(&out)).contains("late"));
    assert_eq!(events(&out).last().unwrap(), &json!("[DONE]"));
}
