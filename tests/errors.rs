//! Gateway errors as problem+json, and upstream URL resolution from vars.

use gatehouse::config::UrlPart;
use gatehouse::error::GatewayError;
use gatehouse::log::{iso8601, AccessLog};
use gatehouse::route::PathError;
use gatehouse::upstream::resolve_origin;
use serde_json::Value;

#[test]
fn problems_follow_rfc_9457_with_request_id() {
    let e = GatewayError::MethodNotAllowed {
        allow: "GET, HEAD".into(),
    };
    let v: Value = serde_json::from_str(&e.to_problem("/v1/users", "req-1")).unwrap();
    assert_eq!(v["type"], "urn:gatehouse:problem:method-not-allowed");
    assert_eq!(v["title"], "Method not allowed");
    assert_eq!(v["status"], 405);
    assert_eq!(v["detail"], "this route serves GET, HEAD");
    assert_eq!(v["instance"], "/v1/users");
    assert_eq!(v["request_id"], "req-1");
    assert_eq!(e.headers(), vec![("allow", "GET, HEAD".to_string())]);
}

#[test]
fn each_condition_has_its_status() {
    let cases = [
        (GatewayError::BadPath(PathError::EncodedSlash), 400),
        (GatewayError::RouteNotFound, 404),
        (
            GatewayError::MethodNotAllowed {
                allow: String::new(),
            },
            405,
        ),
        (GatewayError::MissingVariable { name: "X" }, 500),
        (
            GatewayError::InvalidUpstreamUrl {
                upstream: "u",
                reason: String::new(),
            },
            500,
        ),
        (GatewayError::Internal { what: "x" }, 500),
        (GatewayError::UpstreamUnreachable { upstream: "u" }, 502),
        (
            GatewayError::CorsOriginRejected {
                origin: "https://evil.example".into(),
            },
            403,
        ),
        (
            GatewayError::UpstreamTimeout {
                upstream: "u",
                timeout_ms: 5,
            },
            504,
        ),
        (
            GatewayError::GrpcStatus {
                code: 5,
                message: "gone".into(),
                details: Vec::new(),
            },
            404,
        ),
        (
            GatewayError::GrpcStatus {
                code: 14,
                message: String::new(),
                details: Vec::new(),
            },
            503,
        ),
        (GatewayError::GrpcInvalidAnswer { detail: "x".into() }, 502),
    ];
    for (e, status) in cases {
        assert_eq!(e.status(), status, "{e:?}");
    }
}

#[test]
fn hostile_paths_are_escaped_in_the_problem_body() {
    let body = GatewayError::RouteNotFound.to_problem("/\"}<script>", "r");
    let v: Value = serde_json::from_str(&body).unwrap();
    assert_eq!(v["instance"], "/\"}<script>");
}

static WITH_VARS: &[UrlPart] = &[UrlPart::Var("ORIGIN"), UrlPart::Lit("/api/")];

#[test]
fn upstream_urls_resolve_from_vars() {
    let o = resolve_origin("users", WITH_VARS, |_| {
        Some("http://127.0.0.1:9001 ".into())
    })
    .unwrap();
    assert_eq!(o.authority, "http://127.0.0.1:9001");
    assert_eq!(o.base_path, "/api");
}

#[test]
fn missing_var_names_the_variable() {
    let e = resolve_origin("users", WITH_VARS, |_| None).unwrap_err();
    assert_eq!(e, GatewayError::MissingVariable { name: "ORIGIN" });
    assert!(e.detail().contains("ORIGIN"));
    assert_eq!(e.status(), 500);
}

#[test]
fn var_holding_a_bad_url_is_a_clear_500() {
    let e = resolve_origin("users", WITH_VARS, |_| Some("not a url".into())).unwrap_err();
    assert_eq!(e.status(), 500);
    assert_eq!(
        e.detail(),
        "upstream \"users\": upstream URL assembled from vars must start with http:// or https://"
    );
}

/// Issue 23, item 15: the URL comes from vars and secrets; no problem or log line quotes it.
#[test]
fn a_bad_url_from_secrets_is_never_quoted_back() {
    for secret in [
        "https://admin:hunter2@internal.example",
        "https://internal.example?token=hunter2",
        "ftp://hunter2.internal",
        "https://hunter2 .internal",
    ] {
        let e = resolve_origin("users", WITH_VARS, |_| Some(secret.into())).unwrap_err();
        assert_eq!(e.status(), 500);
        let problem = e.to_problem("/v1/users/1", "r");
        assert!(!e.detail().contains("hunter2"), "{secret}: {}", e.detail());
        assert!(!problem.contains("hunter2"), "{secret}: {problem}");
    }
}

#[test]
fn access_log_timestamps_are_iso_8601_utc() {
    assert_eq!(iso8601(0.0), "1970-01-01T00:00:00.000Z");
    assert_eq!(iso8601(1_795_384_420_069.0), "2026-11-22T21:53:40.069Z");
    assert_eq!(iso8601(951_782_400_000.0), "2000-02-29T00:00:00.000Z");
    assert_eq!(iso8601(4_102_444_799_999.0), "2099-12-31T23:59:59.999Z");
    assert_eq!(iso8601(f64::NAN), "1970-01-01T00:00:00.000Z");
}

#[test]
fn access_log_lines_are_one_json_object() {
    let line = AccessLog {
        request_id: "r\n1".into(),
        status: 200,
        ..AccessLog::default()
    }
    .to_json();
    assert!(!line.contains('\n'));
    let v: Value = serde_json::from_str(&line).unwrap();
    assert_eq!(v["request_id"], "r\n1");
    assert_eq!(v["route"], Value::Null);
}

#[test]
fn a_grpc_status_problem_carries_the_code_and_its_name() {
    let e = GatewayError::GrpcStatus {
        code: 8,
        message: "quota".into(),
        details: vec![serde_json::json!({ "@type": "type.googleapis.com/x.Y", "value": "AQ==" })],
    };
    let p: serde_json::Value = serde_json::from_str(&e.to_problem("/v1/x", "r")).unwrap();
    assert_eq!(p["status"], 429);
    assert_eq!(p["type"], "urn:gatehouse:problem:grpc-status");
    assert_eq!(p["grpc_code"], 8);
    assert_eq!(p["grpc_status"], "RESOURCE_EXHAUSTED");
    assert_eq!(p["detail"], "the method answered RESOURCE_EXHAUSTED: quota");
    assert_eq!(p["grpc_details"][0]["@type"], "type.googleapis.com/x.Y");
    let other = GatewayError::RouteNotFound.to_problem("/", "r");
    assert!(!other.contains("grpc_code"), "only gRPC problems carry it");
}
