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

/// One value of every variant (`GatewayError` is `#[non_exhaustive]`, so a new variant must be
/// added here by hand to get its row in docs/src/reference/errors.md checked).
fn every_variant() -> Vec<GatewayError> {
    use gatehouse::auth::{Denied, Scheme};
    let all = vec![
        GatewayError::BadPath(PathError::EncodedSlash),
        GatewayError::RouteNotFound,
        GatewayError::MethodNotAllowed {
            allow: "GET".into(),
        },
        GatewayError::MissingVariable { name: "X" },
        GatewayError::InvalidUpstreamUrl {
            upstream: "u",
            reason: "r".into(),
        },
        GatewayError::UpstreamUnreachable { upstream: "u" },
        GatewayError::UpstreamTimeout {
            upstream: "u",
            timeout_ms: 5,
        },
        GatewayError::UpstreamUnavailable {
            upstream: "u",
            retry_after_s: 1,
        },
        GatewayError::Internal { what: "x" },
        GatewayError::Unauthorized {
            scheme: Scheme::Bearer,
            reason: Denied::Missing,
            others: vec![],
            scope: None,
        },
        GatewayError::Unauthorized {
            scheme: Scheme::Bearer,
            reason: Denied::InsufficientScope {
                required: "a".into(),
            },
            others: vec![],
            scope: None,
        },
        GatewayError::AuthUnavailable {
            what: "jwks".into(),
        },
        GatewayError::AuthMisconfigured { detail: "d".into() },
        GatewayError::RateLimited {
            policy: "p",
            retry_after_s: 1,
            headers: vec![],
        },
        GatewayError::RateLimitUnavailable {
            policy: "p",
            why: "w".into(),
        },
        GatewayError::AdminUnauthorized,
        GatewayError::BadAdminRequest { detail: "d".into() },
        GatewayError::PurgeUnavailable { why: "w".into() },
        GatewayError::CorsOriginRejected { origin: "o".into() },
        GatewayError::PayloadTooLarge { limit: 1 },
        GatewayError::AggregationFailed {
            part: "a",
            why: "w".into(),
        },
        GatewayError::TooManyHeaders { count: 2, max: 1 },
        GatewayError::HeadersTooLarge { bytes: 2, max: 1 },
        GatewayError::UriTooLong { bytes: 2, max: 1 },
        GatewayError::UnsupportedMediaType {
            got: None,
            accepted: &["application/json"],
        },
        GatewayError::InvalidBody { detail: "d".into() },
        GatewayError::ValidationFailed {
            part: "body",
            failures: vec![],
        },
        GatewayError::ResponseTransformFailed { detail: "d" },
        GatewayError::ApiSunset {
            version: "v1",
            sunset: "2030-01-01",
            successor: None,
        },
        GatewayError::UnknownVersion {
            asked: "v9".into(),
            known: &["v1"],
        },
        GatewayError::GrpcStatus {
            code: 5,
            message: "m".into(),
            details: vec![],
        },
        GatewayError::GrpcInvalidAnswer { detail: "d".into() },
        GatewayError::GraphqlErrors {
            status: 404,
            errors: vec![],
        },
        GatewayError::GraphqlInvalidAnswer { detail: "d".into() },
        GatewayError::GraphqlRefused(gatehouse::graphql::Refusal::introspection()),
        GatewayError::LlmRefused {
            status: 400,
            slug: "invalid-llm-request",
            detail: "d".into(),
        },
        GatewayError::LlmRefused {
            status: 400,
            slug: "unknown-model",
            detail: "d".into(),
        },
        GatewayError::LlmRefused {
            status: 403,
            slug: "model-not-allowed",
            detail: "d".into(),
        },
        GatewayError::LlmRefused {
            status: 400,
            slug: "llm-request-refused",
            detail: "d".into(),
        },
        GatewayError::LlmUnavailable {
            status: 502,
            alias: "fast",
            detail: "d".into(),
            retry_after_s: None,
        },
    ];
    all
}

#[test]
fn every_error_has_its_row_in_the_book_with_its_status() {
    let page = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/docs/src/reference/errors.md"
    ))
    .unwrap();
    let rows: Vec<(String, String)> = page
        .lines()
        .filter_map(|l| l.strip_prefix("| `"))
        .filter_map(|l| {
            let (slug, rest) = l.split_once("` | ")?;
            let status = rest.split(" | ").next()?.to_string();
            Some((slug.to_string(), status))
        })
        .collect();
    for e in every_variant() {
        let slug = e.slug();
        let Some((_, status)) = rows.iter().find(|(s, _)| s == slug) else {
            panic!(
                "the book's errors table (docs/src/reference/errors.md) has no row for `{slug}`"
            );
        };
        let ok = status.starts_with(&e.status().to_string()) || status.starts_with("by code");
        assert!(
            ok,
            "`{slug}`: the book says {status}, the gateway answers {}",
            e.status()
        );
        let p: Value = serde_json::from_str(&e.to_problem("/x", "r")).unwrap();
        assert_eq!(p["type"], format!("urn:gatehouse:problem:{slug}"));
        assert_eq!(p["status"], e.status());
        assert!(!e.title().is_empty() && !e.detail().is_empty(), "{slug}");
    }
}
