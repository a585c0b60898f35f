//! The admin API's decisions, natively (the wire is `admin.test.mjs`): whether it exists and
//! who may use it, which call a method and path make (404 and 405 with `Allow` otherwise),
//! what each call's audit line names, and which answers get an audit line.

use gatehouse::admin::call::{audited, authorise, query_values, route, Call};
use gatehouse::error::GatewayError;

#[test]
fn without_a_token_the_admin_api_does_not_exist() {
    for token in [None, Some("")] {
        for given in [None, Some("Bearer "), Some("Bearer x")] {
            assert_eq!(authorise(token, given), Err(GatewayError::RouteNotFound));
        }
    }
}

#[test]
fn only_bearer_and_the_exact_token_pass() {
    let token = Some("s3cret-token");
    assert_eq!(authorise(token, Some("Bearer s3cret-token")), Ok(()));
    assert_eq!(
        authorise(token, Some("bearer s3cret-token")),
        Ok(()),
        "scheme in any case"
    );
    assert_eq!(
        authorise(token, Some("BEARER  s3cret-token ")),
        Ok(()),
        "token trimmed"
    );
    for given in [
        None,
        Some(""),
        Some("s3cret-token"),
        Some("Basic s3cret-token"),
        Some("Bearer s3cret-toke"),
        Some("Bearer s3cret-token2"),
        Some("Bearer S3CRET-TOKEN"),
        Some("Bearer"),
    ] {
        assert_eq!(
            authorise(token, given),
            Err(GatewayError::AdminUnauthorized),
            "{given:?}"
        );
    }
}

#[test]
fn each_path_and_method_is_one_call_with_its_action_and_status() {
    let table = [
        ("GET", "openapi.json", Call::OpenApi, "openapi", 200),
        ("POST", "purge", Call::Purge, "purge", 200),
        ("POST", "keys", Call::CreateKey, "keys.create", 201),
        ("GET", "keys", Call::ListKeys, "keys.list", 200),
        (
            "DELETE",
            "keys/ab12",
            Call::RevokeKey("ab12"),
            "keys.revoke",
            200,
        ),
        (
            "GET",
            "limits/per-user",
            Call::ReadLimit("per-user"),
            "limits.read",
            200,
        ),
        (
            "DELETE",
            "limits/per-user",
            Call::ResetLimit("per-user"),
            "limits.reset",
            200,
        ),
        ("GET", "upstreams", Call::Upstreams, "upstreams", 200),
    ];
    for (method, rest, call, action, status) in table {
        assert_eq!(route(method, rest), Ok(call), "{method} {rest}");
        assert_eq!(
            (call.action(), call.status()),
            (action, status),
            "{method} {rest}"
        );
    }
}

#[test]
fn a_known_path_with_another_method_is_405_with_what_it_allows() {
    let allow = |a: &str| {
        Err(GatewayError::MethodNotAllowed {
            allow: a.to_string(),
        })
    };
    assert_eq!(route("POST", "openapi.json"), allow("GET"));
    assert_eq!(route("GET", "purge"), allow("POST"));
    assert_eq!(route("DELETE", "keys"), allow("GET, POST"));
    assert_eq!(route("GET", "keys/ab12"), allow("DELETE"));
    assert_eq!(route("POST", "limits/p"), allow("GET, DELETE"));
    assert_eq!(route("DELETE", "upstreams"), allow("GET"));
    assert_eq!(
        route("get", "upstreams"),
        allow("GET"),
        "methods are case-sensitive"
    );
}

#[test]
fn any_other_path_is_404() {
    for rest in [
        "",
        "/",
        "keys/a/b",
        "limits",
        "limits/p/q",
        "openapi.json/",
        "Keys",
        "purge/x",
    ] {
        assert_eq!(
            route("GET", rest),
            Err(GatewayError::RouteNotFound),
            "{rest:?}"
        );
        assert_eq!(
            route("POST", rest),
            Err(GatewayError::RouteNotFound),
            "{rest:?}"
        );
    }
}

#[test]
fn every_answer_is_audited_but_a_refused_404() {
    assert!(
        !audited(404, true),
        "no admin API, or a path it does not have"
    );
    assert!(audited(401, true), "a wrong token is audited");
    assert!(audited(405, true));
    assert!(
        audited(404, false),
        "a call that answers 404 itself (no such key) is audited"
    );
    assert!(audited(200, false));
}

#[test]
fn query_values_are_every_value_of_the_name_decoded() {
    let q = Some("consumer=acme%20eu&plan=gold&consumer=b+c&consumerx=no&consumer");
    assert_eq!(query_values(q, "consumer"), ["acme eu", "b c", ""]);
    assert_eq!(query_values(q, "plan"), ["gold"]);
    assert!(query_values(None, "plan").is_empty());
}
