//! Path normalisation, route matching and the upstream path.

use gatehouse::config::{Method, PathGroup, RewritePart, Route, Table, Upstream, UrlPart};
use gatehouse::route::{
    host_for_matching, normalise, upstream_path, Matched, PathError, RouteIndex,
};

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
        ("/v1/users/...", Ok("/v1/users/...")),
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
        url: &[UrlPart::Lit("http://127.0.0.1:1")],
        timeout_ms: 1000,
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
};

fn index() -> &'static RouteIndex {
    static I: std::sync::OnceLock<RouteIndex> = std::sync::OnceLock::new();
    I.get_or_init(|| RouteIndex::new(&TABLE))
}

fn found(method: &str, host: &str, path: &str) -> Option<(&'static str, String)> {
    match index().find(Method::parse(method), host, path) {
        Matched::Found { route, params, .. } => {
            Some((route.id, upstream_path(route, path, &params)))
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
    let index = RouteIndex::global();
    match index.find(Some(Method::Get), "localhost", "/v1/users/7") {
        Matched::Found { route, params, .. } => {
            assert_eq!(route.id, "v1-get-user");
            assert_eq!(
                upstream_path(route, "/v1/users/7", &params),
                "/internal/users/7"
            );
        }
        _ => panic!("v1-get-user should match"),
    }
}
