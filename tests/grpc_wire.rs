//! gRPC-Web framing and gRPC status codes (`grpc::frame`, `grpc::status`).

use gatehouse::grpc::frame::{frame, parse};
use gatehouse::grpc::status;

#[test]
fn a_message_is_framed_with_a_flag_and_a_big_endian_length() {
    assert_eq!(frame(b"abc"), vec![0, 0, 0, 0, 3, b'a', b'b', b'c']);
    assert_eq!(frame(b""), vec![0, 0, 0, 0, 0]);
}

#[test]
fn a_response_body_gives_its_messages_then_its_trailers() {
    let mut body = frame(b"one");
    body.extend(frame(b"two"));
    let trailers = b"grpc-status: 5\r\nGrpc-Message: no%20such%20item\r\nx-extra:1\r\n";
    body.push(0x80);
    body.extend((trailers.len() as u32).to_be_bytes());
    body.extend(trailers);
    let framed = parse(&body).unwrap();
    assert_eq!(framed.messages, vec![&b"one"[..], &b"two"[..]]);
    assert_eq!(framed.trailer("grpc-status"), Some("5"));
    assert_eq!(
        status::decode_message(framed.trailer("grpc-message").unwrap()),
        "no such item"
    );
    assert_eq!(framed.trailer("x-extra"), Some("1"));
}

#[test]
fn cut_compressed_or_trailing_frames_are_malformed() {
    assert!(parse(&[0, 0, 0, 0, 9, 1, 2]).is_err(), "cut payload");
    assert!(parse(&[0, 0, 0]).is_err(), "cut header");
    assert!(parse(&[1, 0, 0, 0, 0]).is_err(), "compressed");
    let mut after = vec![0x80, 0, 0, 0, 0];
    after.extend(frame(b"late"));
    assert!(parse(&after).is_err(), "a message after the trailers");
    assert_eq!(
        parse(&[]).unwrap().messages.len(),
        0,
        "an empty body has no frames"
    );
}

#[test]
fn status_codes_map_to_http_statuses_and_connect_names() {
    let table = [
        (0, 200, "OK", "ok"),
        (1, 499, "CANCELLED", "canceled"),
        (3, 400, "INVALID_ARGUMENT", "invalid_argument"),
        (4, 504, "DEADLINE_EXCEEDED", "deadline_exceeded"),
        (5, 404, "NOT_FOUND", "not_found"),
        (7, 403, "PERMISSION_DENIED", "permission_denied"),
        (8, 429, "RESOURCE_EXHAUSTED", "resource_exhausted"),
        (12, 501, "UNIMPLEMENTED", "unimplemented"),
        (14, 503, "UNAVAILABLE", "unavailable"),
        (16, 401, "UNAUTHENTICATED", "unauthenticated"),
    ];
    for (code, http, name, connect) in table {
        assert_eq!(status::http_status(code), http, "{name}");
        assert_eq!(status::name(code), name);
        assert_eq!(status::connect_name(code), connect);
        assert_eq!(status::from_connect(connect), Some(code));
    }
    assert_eq!(status::http_status(99), 500);
    assert_eq!(
        status::parse_code("x"),
        2,
        "an unreadable status is UNKNOWN"
    );
}

#[test]
fn deadlines_become_grpc_timeouts_of_at_most_eight_digits() {
    assert_eq!(status::timeout(1_500), "1500m");
    assert_eq!(status::timeout(99_999_999), "99999999m");
    assert_eq!(status::timeout(100_000_000), "100000S");
}

#[test]
fn a_grpc_message_with_bad_escapes_is_kept_as_sent() {
    assert_eq!(status::decode_message("50%25 off"), "50% off");
    assert_eq!(status::decode_message("bad %zz"), "bad %zz");
}

#[test]
fn a_frame_length_near_the_maximum_is_malformed_not_a_crash() {
    assert!(parse(&[0, 0xff, 0xff, 0xff, 0xff, 1]).is_err());
}

mod clients {
    use gatehouse::grpc::client::{code_for, detect, encode_message, refusal, Protocol};

    #[test]
    fn grpc_web_grpc_and_connect_unary_clients_are_recognised_by_their_headers() {
        assert_eq!(
            detect(Some("application/grpc-web+proto"), None),
            Some(Protocol::GrpcWeb)
        );
        assert_eq!(
            detect(Some("application/grpc-web-text"), None),
            Some(Protocol::GrpcWeb)
        );
        assert_eq!(detect(Some("Application/GRPC"), None), Some(Protocol::Grpc));
        assert_eq!(
            detect(Some("application/grpc+proto"), None),
            Some(Protocol::Grpc)
        );
        assert_eq!(
            detect(Some("application/proto"), Some("1")),
            Some(Protocol::ConnectUnary)
        );
        assert_eq!(
            detect(Some("application/json; charset=utf-8"), Some("1")),
            Some(Protocol::ConnectUnary)
        );
        assert_eq!(
            detect(Some("application/json"), None),
            None,
            "plain JSON is REST"
        );
        assert_eq!(
            detect(Some("application/connect+proto"), None),
            Some(Protocol::ConnectStream)
        );
        assert_eq!(detect(Some("application/grpcx"), None), None);
        assert_eq!(detect(None, Some("1")), None);
    }

    #[test]
    fn refusals_map_to_the_codes_clients_act_on() {
        let table = [
            (401, 16),
            (403, 7),
            (429, 8),
            (413, 8),
            (404, 12),
            (405, 12),
            (400, 3),
            (422, 3),
            (503, 14),
            (502, 14),
            (504, 4),
            (500, 13),
        ];
        for (http, code) in table {
            assert_eq!(code_for(http), code, "{http}");
        }
    }

    #[test]
    fn grpc_web_refusals_are_trailers_only_and_connect_ones_are_error_json() {
        let web = refusal(
            Protocol::GrpcWeb,
            "application/grpc-web+proto",
            16,
            "no key: ü%",
        );
        assert_eq!(web.status, 200);
        assert_eq!(web.content_type, "application/grpc-web+proto");
        assert_eq!(
            web.headers,
            vec![
                ("grpc-status", "16".to_string()),
                ("grpc-message", "no key: %C3%BC%25".to_string())
            ]
        );
        assert!(web.body.is_empty());
        let stream = refusal(
            Protocol::ConnectStream,
            "application/connect+json",
            16,
            "no key",
        );
        assert_eq!(
            (stream.status, stream.content_type.as_str()),
            (200, "application/connect+json")
        );
        let end = br#"{"error":{"code":"unauthenticated","message":"no key"}}"#;
        assert_eq!(stream.body[0], 0x02, "an end-of-stream message");
        assert_eq!(&stream.body[1..5], &(end.len() as u32).to_be_bytes());
        assert_eq!(&stream.body[5..], end);
        let connect = refusal(Protocol::ConnectUnary, "application/proto", 8, "slow down");
        assert_eq!(connect.status, 429);
        assert_eq!(connect.content_type, "application/json");
        assert_eq!(
            connect.body,
            br#"{"code":"resource_exhausted","message":"slow down"}"#
        );
        assert_eq!(encode_message("plain text"), "plain text");
    }
}
