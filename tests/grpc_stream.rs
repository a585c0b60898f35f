//! A server-streaming answer translated as it arrives (pure): gRPC-Web and Connect frames in,
//! NDJSON or server-sent events out, in whatever pieces the body comes.

use gatehouse::grpc::frame::frame;
use gatehouse::grpc::stream::{Format, Stream};
use gatehouse::grpc::to_proto::encode;
use gatehouse_config::protos::compile;
use gatehouse_config::table::proto::{Protocol, Protos};
use serde_json::json;

const PROTO: &str = r#"
syntax = "proto3";
package shop.v1;
message Item { string sku = 1; int64 cents = 2; }
"#;

fn protos() -> &'static Protos {
    Box::leak(Box::new(
        compile(&[("routes/protos/shop.proto".to_string(), PROTO.to_string())]).unwrap(),
    ))
}

fn item(p: &Protos, sku: &str) -> Vec<u8> {
    let i = p
        .messages
        .iter()
        .position(|m| m.name == "shop.v1.Item")
        .unwrap() as u16;
    frame(&encode(p, i, &json!({ "sku": sku, "cents": "5" })).unwrap())
}

fn trailers(text: &str) -> Vec<u8> {
    let mut f = vec![0x80];
    f.extend_from_slice(&(text.len() as u32).to_be_bytes());
    f.extend_from_slice(text.as_bytes());
    f
}

fn end_of_stream(json: &str) -> Vec<u8> {
    let mut f = vec![0x02];
    f.extend_from_slice(&(json.len() as u32).to_be_bytes());
    f.extend_from_slice(json.as_bytes());
    f
}

fn stream(p: &'static Protos, protocol: Protocol, format: Format) -> Stream<'static> {
    let i = p
        .messages
        .iter()
        .position(|m| m.name == "shop.v1.Item")
        .unwrap() as u16;
    Stream::new(p, i, protocol, format)
}

#[test]
fn each_message_is_a_line_as_soon_as_its_frame_is_complete_even_byte_by_byte() {
    let p = protos();
    let mut body = item(p, "a");
    body.extend(item(p, "b"));
    body.extend(trailers("grpc-status: 0\r\n"));
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson);
    let first_len = item(p, "a").len();
    let mut out = Vec::new();
    for (i, b) in body.iter().enumerate() {
        let text = s.push(&[*b]);
        if i + 1 == first_len {
            assert_eq!(
                text, "{\"cents\":\"5\",\"sku\":\"a\"}\n",
                "the first line, before the rest arrives"
            );
        }
        out.push(text);
    }
    assert_eq!(
        out.concat(),
        "{\"cents\":\"5\",\"sku\":\"a\"}\n{\"cents\":\"5\",\"sku\":\"b\"}\n"
    );
    assert_eq!(s.finish(), "", "an OK status adds nothing");
}

#[test]
fn a_failed_status_ends_the_stream_with_an_error_line_or_event() {
    let p = protos();
    let mut body = item(p, "a");
    body.extend(trailers("grpc-status: 8\r\ngrpc-message: slow%20down\r\n"));
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson);
    let out = s.push(&body);
    let last: serde_json::Value = serde_json::from_str(out.lines().last().unwrap()).unwrap();
    assert_eq!(
        last,
        json!({ "error": { "code": 8, "status": "RESOURCE_EXHAUSTED", "message": "slow down" } })
    );
    let mut s = stream(p, Protocol::Connect, Format::Sse);
    let out = s.push(&end_of_stream(
        r#"{"error":{"code":"not_found","message":"gone"}}"#,
    ));
    assert_eq!(out, "event: error\ndata: {\"error\":{\"code\":5,\"message\":\"gone\",\"status\":\"NOT_FOUND\"}}\n\n");
}

#[test]
fn connect_frames_its_messages_and_ends_with_an_end_of_stream_message() {
    let p = protos();
    let mut body = item(p, "a");
    body.extend(end_of_stream("{}"));
    let mut s = stream(p, Protocol::Connect, Format::Sse);
    assert_eq!(s.push(&body), "data: {\"cents\":\"5\",\"sku\":\"a\"}\n\n");
    assert_eq!(s.finish(), "");
}

#[test]
fn a_stream_that_is_cut_compressed_or_undecodable_ends_with_an_error() {
    let p = protos();
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson);
    assert_eq!(s.push(&item(p, "a")[..4]), "");
    assert!(s.finish().contains("the stream ended without a status"));
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson);
    let mut compressed = item(p, "a");
    compressed[0] = 0x01;
    assert!(s.push(&compressed).contains("compressed or oversized"));
    assert_eq!(s.push(&item(p, "b")), "", "nothing after the end");
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson);
    assert!(
        s.push(&[0, 0xff, 0xff, 0xff, 0xff])
            .contains("compressed or oversized"),
        "a 4 GiB frame is never held"
    );
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson);
    assert!(s
        .push(&frame(&[0xff, 0xff]))
        .contains("does not match the method's output type"));
}

#[test]
fn the_format_follows_the_accept_header() {
    assert_eq!(Format::for_accept(Some("text/event-stream")), Format::Sse);
    assert_eq!(Format::for_accept(Some("application/json")), Format::Ndjson);
    assert_eq!(
        Format::for_accept(None).content_type(),
        "application/x-ndjson"
    );
}

#[test]
fn response_body_sends_each_messages_field_and_a_trailers_only_ok_stream_ends_clean() {
    let p = protos();
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson).only(Some("sku"));
    assert_eq!(s.push(&item(p, "a")), "\"a\"\n");
    let mut s = stream(p, Protocol::GrpcWeb, Format::Ndjson).ended_ok();
    assert_eq!(s.finish(), "", "the status came in the headers");
}
