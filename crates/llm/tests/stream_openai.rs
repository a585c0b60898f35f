//! OpenAI streams: passed through byte for byte, bar the usage chunk the client did not ask for.

mod support;

use gatehouse_llm::{Relay, Usage, Wire};
use support::*;

fn relay(include_usage: bool) -> Relay {
    Relay::new(Wire::OpenAi, "fast", "unused", 1, include_usage)
}

/// `OPENAI_WITH_USAGE` without its usage-only chunk.
fn without_usage_chunk() -> String {
    let start = OPENAI_WITH_USAGE.find("data: {\"id\":\"chatcmpl-1\",\"object\":\"chat.completion.chunk\",\"created\":1700000000,\"model\":\"gpt-4o-mini\",\"choices\":[],").unwrap();
    let end = OPENAI_WITH_USAGE.find("data: [DONE]").unwrap();
    format!(
        "{}{}",
        &OPENAI_WITH_USAGE[..start],
        &OPENAI_WITH_USAGE[end..]
    )
}

#[test]
fn usage_chunk_is_kept_byte_identical_when_the_client_asked() {
    let (out, relay) = run_whole(relay(true), OPENAI_WITH_USAGE.as_bytes());
    assert_eq!(String::from_utf8(out).unwrap(), OPENAI_WITH_USAGE);
    assert_eq!(
        relay.usage(),
        Usage {
            input: 12,
            output: 3
        }
    );
}

#[test]
fn usage_chunk_is_dropped_when_the_client_did_not_ask_and_usage_is_still_read() {
    let (out, relay) = run_whole(relay(false), OPENAI_WITH_USAGE.as_bytes());
    assert_eq!(String::from_utf8(out).unwrap(), without_usage_chunk());
    assert_eq!(
        relay.usage(),
        Usage {
            input: 12,
            output: 3
        }
    );
    assert_eq!(relay.finish_reason(), Some("stop"));
    assert!(relay.is_complete());
}

#[test]
fn crlf_stream_with_comments_and_event_lines_passes_through_byte_identical() {
    let crlf = OPENAI_WITH_USAGE.replace('\n', "\r\n");
    let crlf = format!("\u{feff}: hello\r\nevent: message\r\nretry: 100\r\n{crlf}");
    let (out, _) = run_whole(relay(true), crlf.as_bytes());
    assert_eq!(String::from_utf8(out).unwrap(), crlf);
}

#[test]
fn dropped_usage_chunk_takes_its_crlf_with_it_at_every_split() {
    let crlf = OPENAI_WITH_USAGE.replace('\n', "\r\n");
    let expected = without_usage_chunk().replace('\n', "\r\n");
    for split in 0..=crlf.len() {
        let mut relay = relay(false);
        let mut out = relay.push(&crlf.as_bytes()[..split]);
        out.extend(relay.push(&crlf.as_bytes()[split..]));
        out.extend(relay.finish());
        assert_eq!(
            String::from_utf8(out).unwrap(),
            expected,
            "split at {split}"
        );
    }
}

#[test]
fn first_token_is_seen_only_once_content_arrives() {
    let mut relay = relay(false);
    let second = OPENAI_WITH_USAGE.match_indices("data: ").nth(1).unwrap().0;
    relay.push(&OPENAI_WITH_USAGE.as_bytes()[..second]);
    assert!(!relay.first_token_seen(), "the role chunk carries no token");
    relay.push(&OPENAI_WITH_USAGE.as_bytes()[second..]);
    assert!(relay.first_token_seen());
}

#[test]
fn error_event_from_the_provider_is_passed_on_and_recorded() {
    let stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"}}]}\n\ndata: {\"error\":{\"message\":\"The server had an error\",\"type\":\"server_error\"}}\n\n";
    let (out, relay) = run_whole(relay(false), stream.as_bytes());
    assert_eq!(String::from_utf8(out).unwrap(), stream);
    assert_eq!(relay.errored(), Some("The server had an error"));
}

#[test]
fn stream_without_done_ends_with_a_stream_cut_error_event() {
    let cut = &OPENAI_WITH_USAGE[..OPENAI_WITH_USAGE.find(": keep-alive").unwrap()];
    let mut relay = relay(false);
    let out = relay.push(cut.as_bytes());
    assert_eq!(String::from_utf8(out).unwrap(), cut);
    let tail = events(&relay.finish());
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0]["error"]["code"], "stream_cut");
}

#[test]
fn unterminated_done_at_the_end_of_the_body_still_completes_the_stream() {
    let stream = "data: {\"choices\":[{\"index\":0,\"delta\":{\"content\":\"a\"},\"finish_reason\":\"stop\"}]}\n\ndata: [DONE]";
    let mut relay = relay(false);
    let mut out = relay.push(stream.as_bytes());
    out.extend(relay.finish());
    assert_eq!(String::from_utf8(out).unwrap(), stream);
    assert!(relay.is_complete());
    assert_eq!(relay.errored(), None);
}
