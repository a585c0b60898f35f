//! proto3 JSON mapping over the compiled protos (`grpc::to_proto`, `grpc::to_json`): round
//! trips, the binary form checked byte by byte where it matters, and every refusal naming its
//! member.

use gatehouse::grpc::to_json::decode;
use gatehouse::grpc::to_proto::{encode, JsonError};
use gatehouse_config::protos::compile;
use gatehouse_config::table::proto::Protos;
use serde_json::{json, Value};

const PROTO: &str = r#"
syntax = "proto3";
package shop.v1;
import "google/protobuf/timestamp.proto";
import "google/protobuf/duration.proto";
import "google/protobuf/struct.proto";
import "google/protobuf/wrappers.proto";
import "google/protobuf/field_mask.proto";
import "google/protobuf/any.proto";
import "google/protobuf/empty.proto";

message Item {
  string sku = 1;
  int64 price_cents = 2;
  repeated int32 sizes = 3;
  map<string, int64> stock = 4;
  oneof discount { int32 percent = 5; string code = 6; }
  optional bool featured = 7;
  Kind kind = 8;
  enum Kind { KIND_UNSPECIFIED = 0; BOOK = 1; }
  bytes blob = 9;
  double weight = 10;
  float ratio = 11;
  uint64 views = 12;
  sint32 delta = 13;
  fixed64 serial = 14;
  repeated Item parts = 15;
  map<int32, string> labels = 16;
  string display_name = 17 [json_name = "title"];
}

message Wkts {
  google.protobuf.Timestamp at = 1;
  google.protobuf.Duration took = 2;
  google.protobuf.Struct meta = 3;
  google.protobuf.Value any_value = 4;
  google.protobuf.Int64Value count = 5;
  google.protobuf.StringValue note = 6;
  google.protobuf.FieldMask mask = 7;
  google.protobuf.Any payload = 8;
  google.protobuf.Empty nothing = 9;
  google.protobuf.ListValue list = 10;
}
"#;

fn protos() -> Protos {
    compile(&[("routes/protos/shop.proto".to_string(), PROTO.to_string())]).unwrap()
}

fn round_trip(p: &Protos, message: &str, input: Value) -> Value {
    let m = p.message(message).unwrap();
    let bytes = encode(p, m, &input).unwrap_or_else(|e| panic!("{e:?}"));
    decode(p, m, &bytes).unwrap()
}

/// A length-delimited record: its one-byte `tag`, the body's length as a varint, the body.
fn len_record(tag: u8, body: &[u8]) -> Vec<u8> {
    let mut out = vec![tag];
    let mut len = body.len();
    while len >= 0x80 {
        out.push((len as u8) | 0x80);
        len >>= 7;
    }
    out.push(len as u8);
    out.extend_from_slice(body);
    out
}

/// Each input refused with exactly its (member path, reason).
fn assert_refusals(p: &Protos, message: &str, cases: &[(Value, &str, &str)]) {
    for (input, path, reason) in cases {
        let e = refused(p, message, input.clone());
        assert_eq!(
            (e.path.as_str(), e.reason.as_str()),
            (*path, *reason),
            "{input}"
        );
    }
}

fn refused(p: &Protos, message: &str, input: Value) -> JsonError {
    encode(p, p.message(message).unwrap(), &input).unwrap_err()
}

#[test]
fn scalars_repeated_maps_oneofs_and_enums_round_trip_in_their_json_forms() {
    let p = protos();
    let input = json!({
        "sku": "b-1", "priceCents": 1999, "sizes": [1, 2, 3], "stock": {"eu": "5", "us": 7},
        "code": "WINTER", "featured": false, "kind": "BOOK", "blob": "aGk=", "weight": 1.5,
        "ratio": 0.1, "views": "18446744073709551615", "delta": -3, "serial": 9,
        "parts": [{"sku": "p"}], "labels": {"7": "seven"}, "title": "A book"
    });
    let out = round_trip(&p, "shop.v1.Item", input);
    assert_eq!(
        out,
        json!({
            "sku": "b-1", "priceCents": "1999", "sizes": [1, 2, 3], "stock": {"eu": "5", "us": "7"},
            "code": "WINTER", "featured": false, "kind": "BOOK", "blob": "aGk=", "weight": 1.5,
            "ratio": 0.1, "views": "18446744073709551615", "delta": -3, "serial": "9",
            "parts": [{"sku": "p"}], "labels": {"7": "seven"}, "title": "A book"
        })
    );
}

#[test]
fn defaults_are_left_out_unless_the_field_tracks_presence() {
    let p = protos();
    let out = round_trip(
        &p,
        "shop.v1.Item",
        json!({"sku": "", "priceCents": 0, "sizes": [], "percent": 0, "featured": false, "kind": 0}),
    );
    assert_eq!(out, json!({"percent": 0, "featured": false}));
}

#[test]
fn field_names_numbers_strings_and_base64_variants_are_accepted() {
    let p = protos();
    let out = round_trip(
        &p,
        "shop.v1.Item",
        json!({"price_cents": "42", "display_name": "t", "kind": 1, "blob": "-_8", "weight": "NaN", "ratio": "-Infinity"}),
    );
    assert_eq!(
        out,
        json!({"priceCents": "42", "title": "t", "kind": "BOOK", "blob": "+/8=", "weight": "NaN", "ratio": "-Infinity"})
    );
}

#[test]
fn the_binary_form_is_the_canonical_one() {
    let p = protos();
    let m = p.message("shop.v1.Item").unwrap();
    // sku = "a" (field 1, LEN), priceCents = 300 (field 2, varint), sizes packed (field 3).
    let bytes = encode(
        &p,
        m,
        &json!({"priceCents": 300, "sku": "a", "sizes": [1, 2]}),
    )
    .unwrap();
    assert_eq!(bytes, vec![0x0a, 1, b'a', 0x10, 0xac, 0x02, 0x1a, 2, 1, 2]);
    // Negative int32s take ten bytes; sint32 zigzags.
    let neg = encode(&p, m, &json!({"delta": -1})).unwrap();
    assert_eq!(neg, vec![0x68, 1]);
}

#[test]
fn every_refusal_names_the_member_and_why() {
    let p = protos();
    let cases = [
        (json!({"nope": 1}), "nope", "is not a field of this message"),
        (
            json!({"parts": [{"sku": 1}]}),
            "parts[0].sku",
            "must be a string",
        ),
        (
            json!({"sizes": [1, "x"]}),
            "sizes[1]",
            "must be an integer from -2147483648 to 2147483647",
        ),
        (
            json!({"sizes": [2147483648i64]}),
            "sizes[0]",
            "must be an integer from -2147483648 to 2147483647",
        ),
        (
            json!({"percent": 1, "code": "x"}),
            "percent",
            "sets a second member of a oneof",
        ),
        (
            json!({"sku": "a", "sku": "b", "priceCents": 1.5}),
            "priceCents",
            "must be an integer from -9223372036854775808 to 9223372036854775807",
        ),
        (
            json!({"kind": "NOVEL"}),
            "kind",
            "is not a value of shop.v1.Item.Kind",
        ),
        (json!({"blob": "***"}), "blob", "must be a base64 string"),
        (
            json!({"featured": "yes"}),
            "featured",
            "must be true or false",
        ),
        (
            json!({"stock": {"eu": null}}),
            "stock[\"eu\"]",
            "must not be null",
        ),
        (
            json!({"labels": {"x": "y"}}),
            "labels[\"x\"]",
            "must be an integer from -2147483648 to 2147483647",
        ),
        (
            json!({"sku": "a", "title": "b", "display_name": "c"}),
            "title",
            "is given twice",
        ),
        (json!([1]), "", "must be an object"),
    ];
    assert_refusals(&p, "shop.v1.Item", &cases);
}

#[test]
fn null_is_the_default_except_for_value() {
    let p = protos();
    assert_eq!(
        round_trip(&p, "shop.v1.Item", json!({"sku": null, "parts": null})),
        json!({})
    );
    assert_eq!(
        round_trip(&p, "shop.v1.Wkts", json!({"anyValue": null})),
        json!({"anyValue": null})
    );
}

#[test]
fn well_known_types_round_trip_in_their_json_forms() {
    let p = protos();
    let input = json!({
        "at": "2026-12-06T23:00:00.120Z",
        "took": "-1.500s",
        "meta": {"a": [1, "two", true, null, {"b": {}}]},
        "anyValue": {"x": 1.5},
        "count": "12",
        "note": "",
        "mask": "priceCents,parts.sku",
        "payload": {"@type": "type.googleapis.com/shop.v1.Item", "sku": "in-any"},
        "nothing": {},
        "list": [1, "a"]
    });
    let out = round_trip(&p, "shop.v1.Wkts", input);
    assert_eq!(
        out,
        json!({
            "at": "2026-12-06T23:00:00.120Z",
            "took": "-1.500s",
            "meta": {"a": [1.0, "two", true, null, {"b": {}}]},
            "anyValue": {"x": 1.5},
            "count": "12",
            "note": "",
            "mask": "priceCents,parts.sku",
            "payload": {"@type": "type.googleapis.com/shop.v1.Item", "sku": "in-any"},
            "nothing": {},
            "list": [1.0, "a"]
        })
    );
}

#[test]
fn timestamps_durations_and_any_refuse_what_is_not_theirs() {
    let p = protos();
    let cases = [
        (
            json!({"at": "yesterday"}),
            "at",
            "must be an RFC 3339 timestamp",
        ),
        (
            json!({"at": "0000-01-01T00:00:00Z"}),
            "at",
            "must be an RFC 3339 timestamp",
        ),
        (
            json!({"took": "5m"}),
            "took",
            "must be a duration such as \"1.5s\"",
        ),
        (
            json!({"took": "315576000001s"}),
            "took",
            "must be a duration such as \"1.5s\"",
        ),
        (
            json!({"payload": {"@type": "type.googleapis.com/x.Y"}}),
            "payload.@type",
            "is not a message this gateway knows",
        ),
        (
            json!({"payload": {"sku": "a"}}),
            "payload.@type",
            "must name the message's type",
        ),
        (json!({"nothing": {"a": 1}}), "nothing", "must be {}"),
        (json!({"meta": [1]}), "meta", "must be an object"),
    ];
    assert_refusals(&p, "shop.v1.Wkts", &cases);
}

#[test]
fn a_timestamp_with_an_offset_is_read_and_written_in_utc() {
    let p = protos();
    let out = round_trip(
        &p,
        "shop.v1.Wkts",
        json!({"at": "2026-12-07T01:00:00+02:00"}),
    );
    assert_eq!(out, json!({"at": "2026-12-06T23:00:00Z"}));
}

#[test]
fn malformed_bytes_are_refused_and_unknown_fields_skipped() {
    let p = protos();
    let m = p.message("shop.v1.Item").unwrap();
    assert!(decode(&p, m, &[0x0a, 5, b'a']).is_err(), "a cut string");
    assert!(
        decode(&p, m, &[0x0a, 1, 0xff]).is_err(),
        "a string that is not UTF-8"
    );
    assert!(decode(&p, m, &[0xff; 11]).is_err(), "an endless varint");
    assert_eq!(
        decode(&p, m, &[0xf8, 0x07, 1]).unwrap(),
        json!({}),
        "field 127 is unknown"
    );
}

#[test]
fn messages_nested_deeper_than_the_limit_are_malformed_not_a_crash() {
    let p = protos();
    let m = p.message("shop.v1.Item").unwrap();
    // parts (field 15, LEN: tag 0x7a) inside parts, 1,000 deep.
    let mut bytes: Vec<u8> = Vec::new();
    for _ in 0..1_000 {
        bytes = len_record(0x7a, &bytes);
    }
    assert!(decode(&p, m, &bytes).is_err());
    let shallow = encode(&p, m, &json!({"parts": [{"parts": [{"sku": "x"}]}]})).unwrap();
    assert_eq!(
        decode(&p, m, &shallow).unwrap(),
        json!({"parts": [{"parts": [{"sku": "x"}]}]})
    );
}

#[test]
fn json_nested_deeper_than_the_message_limit_is_refused() {
    let p = protos();
    let mut meta = json!({});
    for _ in 0..60 {
        meta = json!({ "a": meta }); // each level is a Value and a Struct: 120 messages deep
    }
    let e = refused(&p, "shop.v1.Wkts", json!({ "meta": meta }));
    assert_eq!(e.reason, "nests messages too deeply");
    assert!(e.path.starts_with("meta[\"a\"]"), "{}", e.path);
}

#[test]
fn an_answer_with_more_values_than_the_limit_is_malformed() {
    let p = protos();
    let m = p.message("shop.v1.Item").unwrap();
    // sizes (field 3, LEN: tag 0x1a), packed: 300,000 zeros in one 300 KB run.
    let bytes = len_record(0x1a, &vec![0u8; 300_000]);
    assert!(decode(&p, m, &bytes).is_err());
}

#[test]
fn a_leap_second_is_not_a_timestamp() {
    let p = protos();
    let e = refused(&p, "shop.v1.Wkts", json!({"at": "2026-06-30T23:59:60.5Z"}));
    assert_eq!(
        (e.path.as_str(), e.reason.as_str()),
        ("at", "must be an RFC 3339 timestamp")
    );
}

#[test]
fn parameters_bind_to_fields_and_refuse_what_is_not_one() {
    use gatehouse::grpc::bind::bind;
    let p = protos();
    let m = p.message("shop.v1.Item").unwrap();
    let mut target = serde_json::Map::new();
    bind(&p, m, &mut target, "sku", "a").unwrap();
    bind(&p, m, &mut target, "sizes", "1").unwrap();
    bind(&p, m, &mut target, "sizes", "2").unwrap();
    bind(&p, m, &mut target, "featured", "true").unwrap();
    assert_eq!(
        serde_json::Value::Object(target.clone()),
        json!({"sku": "a", "sizes": ["1", "2"], "featured": true})
    );
    let e = bind(&p, m, &mut target, "stock", "1").unwrap_err();
    assert_eq!(e.reason, "is a map: it cannot be set from a parameter");
    let deep = ["parts"; 20].join(".");
    let e = bind(&p, m, &mut target, &deep, "x").unwrap_err();
    assert_eq!(e.reason, "nests fields too deeply");
    let e = bind(&p, m, &mut target, "featured", "yes").unwrap_err();
    assert_eq!(
        (e.path.as_str(), e.reason.as_str()),
        ("featured", "must be true or false")
    );
}

#[test]
fn split_message_fields_merge_within_a_byte_budget() {
    // message Item's `packed`-like chains: each nesting level of a message field sent in two
    // parts copies its bytes; past MAX_MERGED the answer is refused, not held in memory.
    let p = compile(&[(
        "routes/protos/node.proto".to_string(),
        "syntax = \"proto3\"; package n; message Node { Node child = 1; bytes pad = 2; }"
            .to_string(),
    )])
    .unwrap();
    let node = p.message("n.Node").unwrap();
    let rec = |field: u8, body: &[u8]| {
        let mut out = vec![(field << 3) | 2];
        let mut n = body.len();
        while n >= 0x80 {
            out.push((n as u8 & 0x7f) | 0x80);
            n >>= 7;
        }
        out.push(n as u8);
        out.extend_from_slice(body);
        out
    };
    let mut b = rec(2, &vec![0u8; 1_000_000]);
    for _ in 0..20 {
        b = [rec(1, &b), rec(1, &[])].concat();
    }
    assert!(decode(&p, node, &b).is_err(), "20 levels of 1 MB copies");
    let small = [rec(1, &rec(2, b"x")), rec(1, &[])].concat();
    assert!(
        decode(&p, node, &small).is_ok(),
        "a split message still merges"
    );
}
