//! A failed call's `google.rpc.Status` details (pure): from gRPC-Web's
//! `grpc-status-details-bin` trailer and from a Connect error's `details`, as Any JSON.

use gatehouse::grpc::details::{from_connect, from_status_bin, MAX_DETAILS};
use gatehouse::grpc::wire::put_len;
use gatehouse::grpc::wkt::to_base64;
use gatehouse_config::protos::compile;
use gatehouse_config::table::proto::Protos;
use serde_json::json;

const PROTO: &str = r#"
syntax = "proto3";
package shop.v1;
message Problem { string reason = 1; int64 limit = 2; }
"#;

fn protos() -> Protos {
    compile(&[("routes/protos/shop.proto".to_string(), PROTO.to_string())]).unwrap()
}

/// An encoded `Any`.
fn any(url: &str, value: &[u8]) -> Vec<u8> {
    let mut out = Vec::new();
    put_len(&mut out, 1, url.as_bytes());
    put_len(&mut out, 2, value);
    out
}

/// A `Problem { reason: "slow", limit: 3 }`.
fn problem() -> Vec<u8> {
    let mut out = Vec::new();
    put_len(&mut out, 1, b"slow");
    out.extend([0x10, 3]);
    out
}

#[test]
fn a_status_bin_trailer_gives_each_detail_decoded_when_the_protos_know_its_type() {
    let p = protos();
    let mut status = vec![0x08, 8]; // code 8
    put_len(&mut status, 2, b"quota");
    put_len(
        &mut status,
        3,
        &any("type.googleapis.com/shop.v1.Problem", &problem()),
    );
    put_len(
        &mut status,
        3,
        &any("type.googleapis.com/other.Thing", &[1, 2]),
    );
    let details = from_status_bin(&p, &to_base64(&status));
    assert_eq!(
        details,
        vec![
            json!({ "@type": "type.googleapis.com/shop.v1.Problem", "reason": "slow", "limit": "3" }),
            json!({ "@type": "type.googleapis.com/other.Thing", "value": "AQI=" }),
        ]
    );
    assert!(from_status_bin(&p, "not base64!").is_empty());
}

#[test]
fn connect_error_details_are_read_the_same_way() {
    let p = protos();
    let details = json!([
        { "type": "shop.v1.Problem", "value": to_base64(&problem()).trim_end_matches('='), "debug": {} },
        { "type": "shop.v1.Problem" },
    ]);
    assert_eq!(
        from_connect(&p, &details),
        vec![
            json!({ "@type": "type.googleapis.com/shop.v1.Problem", "reason": "slow", "limit": "3" })
        ]
    );
}

#[test]
fn at_most_sixteen_details_are_kept() {
    let p = protos();
    let mut status = Vec::new();
    for _ in 0..100 {
        put_len(&mut status, 3, &any("x/shop.v1.Problem", &problem()));
    }
    assert_eq!(from_status_bin(&p, &to_base64(&status)).len(), MAX_DETAILS);
}

#[test]
fn debug_info_and_oversized_details_are_not_passed_on() {
    let p = protos();
    let mut status = Vec::new();
    put_len(
        &mut status,
        3,
        &any("type.googleapis.com/google.rpc.DebugInfo", b"stack"),
    );
    put_len(
        &mut status,
        3,
        &any("type.googleapis.com/other.Big", &vec![0u8; 20_000]),
    );
    put_len(
        &mut status,
        3,
        &any("type.googleapis.com/shop.v1.Problem", &problem()),
    );
    let details = from_status_bin(&p, &to_base64(&status));
    assert_eq!(details.len(), 1);
    assert_eq!(details[0]["@type"], "type.googleapis.com/shop.v1.Problem");
}

#[test]
fn a_path_parameter_never_names_another_path() {
    use gatehouse::http::params::path_param;
    assert_eq!(path_param("a%20b").as_deref(), Some("a b"));
    assert_eq!(
        path_param("a/b").as_deref(),
        Some("a/b"),
        "a catch-all's own slashes"
    );
    for bad in [
        "1%2F..%2Fadmin",
        "1%2f2",
        "..",
        "a/../b",
        "%2E%2E",
        "a%0Ab",
        "%FF",
    ] {
        assert_eq!(path_param(bad), None, "{bad}");
    }
}
