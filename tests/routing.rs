//! Path normalisation, route matching and the upstream path.

use gatehouse::config::{
    Balance, Method, PathGroup, RewritePart, Route, Table, Target, TargetAddr, Upstream, UrlPart,
};
use gatehouse::route::{
    check_double_encoding, host_for_matching, normalise, upstream_path, PathError,
};
use gatehouse::route::{Matched, RouteIndex};

#[test]
fn normalisation_table() {
    use PathError::*;
    let cases: &[(&str, Result<&str, PathError>)] = &[
        ("/v1/users/42", Ok("/v1/users/42")),
        ("/", Ok("/")),
        ("//", Ok("/")),
        // unreserved escapes are decoded, so they match the route they spell
        ("/v1/%75sers/42", Ok("/v1/users/42")),
        ("/v1/users/%7e%2D%5f", Ok("/v1/users/~-_")),
        // other escapes are kept, upper-cased
        ("/v1/users/a%20b%2a", Ok("/v1/users/a%20b%2A")),
        ("/v1/users/%c3%a9", Ok("/v1/users/%C3%A9")),
        ("/v1/users/%252F", Ok("/v1/users/%252F")),
        // empty and dot segments
        ("/v1//users///42", Ok("/v1/users/42")),
        ("/v1/./users/./42", Ok("/v1/users/42")),
        ("/v1/admin/../users/42", Ok("/v1/users/42")),
        ("/v1/admin/%2e%2e/users/42", Ok("/v1/users/42")),
        ("/v1/admin/%2E%2E/users/42", Ok("/v1/users/42")),
        ("/v1/admin/.%2e/users/42", Ok("/v1/users/42")),
        ("/v1/users/42/", Ok("/v1/users/42")),
        ("/v1/users/42/.", Ok("/v1/users/42")),
        ("/v1/users/.hidden", Ok("/v1/users/.hidden")),
        ("/v1/users/a..b", Ok("/v1/users/a..b")),
        (
            "/v1/users/caf%c3%a9%e2%82%ac%f0%9f%98%80",
            Ok("/v1/users/caf%C3%A9%E2%82%AC%F0%9F%98%80"),
        ),
        ("/v1/users/a.json", Ok("/v1/users/a.json")),
        ("/v1/users/x;a=1", Ok("/v1/users/x;a=1")),
        // rejected
        ("/..", Err(AboveRoot)),
        ("/v1/../../etc", Err(AboveRoot)),
        ("/v1/users/%2Fetc", Err(EncodedSlash)),
        ("/v1/users/..%2f..%2fadmin", Err(EncodedSlash)),
        ("/v1/users/a%5cb", Err(Backslash)),
        ("/v1/users/a\\b", Err(Backslash)),
        ("/v1/users/%00", Err(ControlCharacter)),
        ("/v1/users/%0a", Err(ControlCharacter)),
        ("/v1/users/%7F", Err(ControlCharacter)),
        ("/v1/users/a b", Err(ControlCharacter)),
        ("/v1/users/\u{e9}", Err(ControlCharacter)),
        ("/v1/users/%", Err(MalformedEscape)),
        ("/v1/users/%4", Err(MalformedEscape)),
        ("/v1/users/%zz", Err(MalformedEscape)),
        ("/v1/public/..;/admin", Err(DotSegmentParameter)),
        ("/v1/public/.;x/admin", Err(DotSegmentParameter)),
        ("/v1/public/%2e%2e;/admin", Err(DotSegmentParameter)),
        // escapes of bytes >= 0x80 must be valid UTF-8 (RFC 3629)
        ("/v1/public/%C0%AE%C0%AE/admin", Err(InvalidUtf8)), // overlong '.'
        ("/v1/public/%c0%af", Err(InvalidUtf8)),             // overlong '/'
        ("/v1/public/%c1%9c", Err(InvalidUtf8)),             // overlong '\'
        ("/v1/public/%e0%80%ae", Err(InvalidUtf8)),          // 3-byte overlong '.'
        ("/v1/public/%f0%80%80%ae", Err(InvalidUtf8)),       // 4-byte overlong '.'
        ("/v1/public/%ed%a0%80", Err(InvalidUtf8)),          // surrogate U+D800
        ("/v1/public/%80", Err(InvalidUtf8)),                // lone continuation byte
        ("/v1/public/%c3", Err(InvalidUtf8)),                // truncated sequence
        ("/v1/public/%c3a", Err(InvalidUtf8)),               // sequence broken by a plain byte
        ("/v1/public/%f5%80%80%80", Err(InvalidUtf8)),       // above U+10FFFF
        ("/v1/public/%ff", Err(InvalidUtf8)),
        // characters that NFKC or best-fit conversion folds into '.', '/', '\'
        (
            "/v1/public/%ef%bc%8e%ef%bc%8e/admin",
            Err(LookalikeCharacter),
        ), // fullwidth ..
        ("/v1/public/%ef%bc%8f", Err(LookalikeCharacter)), // fullwidth /
        ("/v1/public/%e2%80%a5", Err(LookalikeCharacter)), // two dot leader
        ("/v1/public/%e2%88%95", Err(LookalikeCharacter)), // division slash
        ("/v1/public/%c2%a5", Err(LookalikeCharacter)),    // yen sign, '\' in cp932
        // dot segments with encoded parameters, and dot-and-space runs
        ("/v1/public/..%3bx/admin", Err(DotSegmentParameter)),
        ("/v1/public/.%3B/admin", Err(DotSegmentParameter)),
        ("/v1/public/..%3Fx/admin", Err(DotSegmentParameter)),
        ("/v1/public/..%23x/admin", Err(DotSegmentParameter)),
        ("/v1/public/.%3f", Err(DotSegmentParameter)),
        ("/v1/users/...", Err(DotSegmentVariant)),
        ("/v1/public/..%20/admin", Err(DotSegmentVariant)),
        ("/v1/public/%20../admin", Err(DotSegmentVariant)),
        ("v1/users", Err(NotAbsolute)),
        ("", Err(NotAbsolute)),
    ];
    for (raw, expected) in cases {
        assert_eq!(
            normalise(raw).as_deref().map_err(|e| *e),
            expected.as_deref().map_err(|e| *e),
            "normalising {raw:?}"
        );
    }
}

#[test]
fn double_encoding_table() {
    let refused = [
        "/v1/public/..%252f..%252fadmin/secret",
        "/v1/public/%252e%252e/admin",
        "/v1/public/%252E",
        "/v1/public/%255c",
        "/v1/public/%255C",
        "/v1/public/%2525",
        "/v1/public/%2525252e",
        "/v1/public/%25C0%25AE",      // double-encoded overlong '.'
        "/v1/public/%25ef%25bc%258e", // double-encoded fullwidth '.'
        "/v1/public/..%253Bx",        // a second decoding makes '..;x'
        "/v1/public/..%2520",         // a second decoding makes '.. '
        "/v1/public/%2541",           // a second decoding would change the path
        "/v1/public/%25u002e",        // IIS %u escapes
    ];
    for raw in refused {
        let path = normalise(raw).unwrap_or_else(|e| panic!("{raw}: {e:?}"));
        assert_eq!(
            check_double_encoding(&path),
            Err(PathError::DoubleEncoding),
            "{raw}"
        );
    }
    let allowed = [
        "/v1/public/100%25", // a literal '%'
        "/v1/public/100%25-off",
        "/v1/public/a%2520b", // a double-encoded space decodes to a plain segment
        "/v1/public/caf%25C3%25A9", // double-encoded UTF-8
        "/v1/public/a%253Fb", // '?' after two decodings is not a path trick
        "/v1/public/plain",
    ];
    for raw in allowed {
        let path = normalise(raw).unwrap();
        assert_eq!(check_double_encoding(&path), Ok(()), "{raw}");
    }
}

/// The wire-level attack list (tests/fixtures/path_attacks.json, also sent by the e2e test):
/// each path is refused before any route's upstream is called.
#[test]
fn shared_attack_paths_are_refused_by_normalisation_or_the_double_encoding_check() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("fixtures/path_attacks.json")).unwrap();
    for raw in fixture["refused"].as_array().unwrap() {
        let raw = raw.as_str().unwrap();
        let refused = normalise(raw).map_or(true, |p| check_double_encoding(&p).is_err());
        assert!(refused, "{raw} must be refused");
    }
    for case in fixture["archive"].as_array().unwrap() {
        let raw = case["path"].as_str().unwrap();
        assert!(normalise(raw).is_ok(), "{raw} is a valid path");
    }
}

#[test]
fn normalisation_is_idempotent() {
    for raw in ["/v1/%75sers//42/", "/a/./b/../c", "/x/%c3%a9/%41"] {
        let once = normalise(raw).unwrap().into_owned();
        assert_eq!(normalise(&once).unwrap(), once);
    }
}

#[test]
fn canonical_paths_are_borrowed_not_copied() {
    assert!(matches!(
        normalise("/v1/users/42").unwrap(),
        std::borrow::Cow::Borrowed(_)
    ));
}

static TABLE: Table = Table {
    upstreams: &[Upstream {
        name: "u",
        targets: &[Target {
            id: "http://127.0.0.1:1",
            addr: TargetAddr::Url(&[UrlPart::Lit("http://127.0.0.1:1")]),
            weight: 1,
        }],
        balance: Balance::RoundRobin,
        timeout_ms: 1000,
        deadline_ms: None,
        retries: None,
        breaker: None,
        fallback: None,
        mirror: None,
        canary: None,
        provider: None,
    }],
    policies: &[],
    routes: &[
        Route {
            id: "get-user",
            path: "/v1/users/{id}",
            methods: &[Method::Get, Method::Head],
            host: None,
            upstream: 0,
            rewrite: Some(&[
                RewritePart::Lit("/internal/users/"),
                RewritePart::Param("id"),
            ]),
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
        Route {
            id: "put-user",
            path: "/v1/users/{id}",
            methods: &[Method::Put, Method::Delete],
            host: None,
            upstream: 0,
            rewrite: None,
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
        Route {
            id: "me",
            path: "/v1/users/me",
            methods: &[Method::Get],
            host: None,
            upstream: 0,
            rewrite: None,
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
        Route {
            id: "partner",
            path: "/v1/whoami",
            methods: &[Method::Get],
            host: Some("partner.example.com"),
            upstream: 0,
            rewrite: None,
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
        Route {
            id: "partner-only",
            path: "/v1/partner",
            methods: &[Method::Get],
            host: Some("partner.example.com"),
            upstream: 0,
            rewrite: None,
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
        Route {
            id: "whoami",
            path: "/v1/whoami",
            methods: &[Method::Get],
            host: None,
            upstream: 0,
            rewrite: None,
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
        Route {
            id: "files",
            path: "/v1/files/{*rest}",
            methods: &[Method::Get],
            host: None,
            upstream: 0,
            rewrite: Some(&[RewritePart::Lit("/store/"), RewritePart::Param("rest")]),
            policies: &[],
            websocket: false,
            allow_double_encoding: false,
            retry_unsafe: false,
            conditions: &[],
            limits: gatehouse::config::Limits::NONE,
            fan_out: None,
            grpc: None,
            graphql: None,
            lifecycle: &gatehouse::route::lifecycle::Lifecycle::NONE,
            body_schema: None,
            query_schema: None,
            log: None,
        },
    ],
    paths: &[
        PathGroup {
            path: "/v1/users/{id}",
            routes: &[0, 1],
        },
        PathGroup {
            path: "/v1/users/me",
            routes: &[2],
        },
        PathGroup {
            path: "/v1/whoami",
            routes: &[3, 5],
        },
        PathGroup {
            path: "/v1/partner",
            routes: &[4],
        },
        PathGroup {
            path: "/v1/files/{*rest}",
            routes: &[6],
        },
    ],
    identity_headers: &[],
    versions: &[],
    versioning: None,
    schemas: &[],
    protos: gatehouse_config::table::proto::Protos::EMPTY,
    docs: gatehouse::config::Docs::NONE,
    log: gatehouse::metrics::LogMode::All,
    analytics: None,
    gc_pace_slots: gatehouse_config::table::gc_pace::DEFAULT,
};

fn index() -> &'static RouteIndex {
    static I: std::sync::OnceLock<RouteIndex> = std::sync::OnceLock::new();
    I.get_or_init(|| RouteIndex::new(TABLE.routes, TABLE.paths))
}

fn found(method: &str, host: &str, path: &str) -> Option<(&'static str, String)> {
    match index().find(gatehouse::http::method::parse(method), host, path) {
        Matched::Found { route, params, .. } => {
            Some((route.id, upstream_path(route.rewrite, path, &params)))
        }
        _ => None,
    }
}

#[test]
fn matching_picks_the_route_by_path_method_and_host() {
    assert_eq!(
        found("GET", "api.test", "/v1/users/42"),
        Some(("get-user", "/internal/users/42".into()))
    );
    assert_eq!(
        found("HEAD", "api.test", "/v1/users/42"),
        Some(("get-user", "/internal/users/42".into()))
    );
    assert_eq!(
        found("DELETE", "api.test", "/v1/users/42"),
        Some(("put-user", "/v1/users/42".into()))
    );
    assert_eq!(
        found("GET", "api.test", "/v1/users/me"),
        Some(("me", "/v1/users/me".into()))
    );
    assert_eq!(
        found("GET", "partner.example.com", "/v1/whoami").unwrap().0,
        "partner"
    );
    assert_eq!(found("GET", "api.test", "/v1/whoami").unwrap().0, "whoami");
    assert_eq!(
        found("GET", "x", "/v1/files/a/b/c.txt"),
        Some(("files", "/store/a/b/c.txt".into()))
    );
}

#[test]
fn unknown_path_is_not_found() {
    assert!(matches!(
        index().find(Some(Method::Get), "x", "/v1/nope"),
        Matched::NotFound
    ));
    assert!(matches!(
        index().find(Some(Method::Get), "x", "/v1/users"),
        Matched::NotFound
    ));
    // a catch-all does not match an empty tail
    assert!(matches!(
        index().find(Some(Method::Get), "x", "/v1/files"),
        Matched::NotFound
    ));
}

#[test]
fn host_specific_route_is_invisible_to_other_hosts() {
    assert!(matches!(
        index().find(Some(Method::Get), "api.test", "/v1/partner"),
        Matched::NotFound
    ));
}

#[test]
fn wrong_method_is_405_with_every_method_of_the_path() {
    match index().find(Some(Method::Post), "x", "/v1/users/42") {
        Matched::MethodNotAllowed { allow } => assert_eq!(allow, "GET, HEAD, PUT, DELETE"),
        _ => panic!("expected 405"),
    }
    // methods no route can serve (TRACE, CONNECT, custom) are 405 too
    assert!(matches!(
        index().find(None, "x", "/v1/users/42"),
        Matched::MethodNotAllowed { .. }
    ));
}

#[test]
fn hosts_compare_lower_case_without_port() {
    assert_eq!(
        host_for_matching("Partner.Example.COM:8443"),
        "partner.example.com"
    );
    assert_eq!(host_for_matching("[::1]:8787"), "[::1]");
    assert_eq!(host_for_matching("[::1]"), "[::1]");
}

#[test]
fn example_routes_compile_into_the_global_table() {
    let index = gatehouse::config::index();
    match index.find(Some(Method::Get), "localhost", "/v1/users/7") {
        Matched::Found { route, params, .. } => {
            assert_eq!(route.id, "v1-get-user");
            assert_eq!(
                upstream_path(route.rewrite, "/v1/users/7", &params),
                "/internal/users/7"
            );
        }
        _ => panic!("v1-get-user should match"),
    }
}

#[test]
fn match_conditions_pick_the_more_specific_route_on_a_shared_path() {
    use gatehouse::config::Condition;
    // The example routes: v1-split (plain), v1-split-beta (?beta=1) and v1-split-acme-beta
    // (x-tenant: acme and ?beta=1) share GET /v1/split/{*rest}.
    let index = gatehouse::config::index();
    let id = |headers: &'static [(&str, &str)], query: &'static [(&str, &str)]| {
        let holds = move |c: &Condition| match *c {
            Condition::Header(n, v) => headers.contains(&(n, v)),
            Condition::Query(n, v) => query.contains(&(n, v)),
        };
        match index.find_when(Some(Method::Get), "x", "/v1/split/a", &holds) {
            Matched::Found { route, .. } => route.id,
            _ => "none",
        }
    };
    assert_eq!(id(&[], &[]), "v1-split");
    assert_eq!(id(&[], &[("beta", "1")]), "v1-split-beta");
    assert_eq!(
        id(&[("x-tenant", "acme")], &[("beta", "1")]),
        "v1-split-acme-beta"
    );
    assert_eq!(id(&[("x-tenant", "acme")], &[]), "v1-split");
    assert!(
        matches!(index.find(Some(Method::Get), "x", "/v1/split/a"), Matched::Found { route, .. } if route.id == "v1-split"),
        "plain find never takes a conditional route"
    );
}
