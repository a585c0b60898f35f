//! `kind = "cors"` natively: which origins match (including lookalike attacks), when a
//! preflight is granted, and the headers every answer gets. The wire and a real browser are in
//! tests/e2e/cors.test.mjs and tests/e2e/browser.test.mjs.

use gatehouse::config::Method;
use gatehouse::http::{HeaderEdit, HeaderList};
use gatehouse::policy::cors;
use gatehouse::policy::cors::{Cors, CorsRequest, OriginRule};

const WEB: Cors = Cors {
    name: "web",
    origins: &[
        OriginRule::Exact("https://app.example.com"),
        OriginRule::Subdomain {
            scheme: "https",
            domain: "example.com",
            port: None,
        },
        OriginRule::Exact("http://127.0.0.1:9003"),
    ],
    methods: &[],
    allow_headers: &["authorization", "x-client"],
    expose_headers: &["x-request-id", "ratelimit"],
    credentials: true,
    max_age_s: 600,
    reject: false,
};

const PUBLIC: Cors = Cors {
    name: "public",
    origins: &[OriginRule::Any],
    methods: &[Method::Put],
    allow_headers: &[],
    expose_headers: &[],
    credentials: false,
    max_age_s: 60,
    reject: false,
};

#[test]
fn origins_match_exactly_or_as_true_subdomains_only() {
    let cases = [
        ("https://app.example.com", true),
        ("HTTPS://APP.EXAMPLE.COM", true),
        ("https://a.b.example.com", true),
        ("http://127.0.0.1:9003", true),
        // the domain itself is not a subdomain
        ("https://example.com", false),
        // lookalikes
        ("https://example.com.evil.net", false),
        ("https://evilexample.com", false),
        ("https://app.example.com.evil.net", false),
        ("https://evil.net/.example.com", false),
        ("https://app.example.com@evil.net", false),
        ("https://app.example.com/", false),
        ("https://app.example.com:443", false),
        ("https://x.example.com:8443", false),
        ("http://app.example.com", false),
        ("https://.example.com", false),
        ("https://a..example.com", false),
        ("http://127.0.0.1:90030", false),
        ("http://127.0.0.1", false),
        ("null", false),
        ("", false),
        ("file://app.example.com", false),
    ];
    for (origin, allowed) in cases {
        assert_eq!(cors::allows_origin(&WEB, origin), allowed, "{origin}");
    }
    assert!(cors::allows_origin(&PUBLIC, "https://anything.example"));
    assert!(
        !cors::allows_origin(&PUBLIC, "null"),
        "an opaque origin is never granted"
    );
}

#[test]
fn a_preflight_is_granted_only_for_an_allowed_origin_method_and_headers() {
    let route = [Method::Get, Method::Head, Method::Put];
    let o = "https://app.example.com";
    assert!(cors::grants_preflight(
        &WEB,
        o,
        "PUT",
        Some("Authorization, X-Client"),
        &route
    ));
    assert!(cors::grants_preflight(&WEB, o, "PUT", None, &route));
    assert!(!cors::grants_preflight(
        &WEB,
        "https://evil.example",
        "PUT",
        None,
        &route
    ));
    assert!(
        !cors::grants_preflight(&WEB, o, "DELETE", None, &route),
        "the route does not serve DELETE"
    );
    assert!(
        !cors::grants_preflight(&WEB, o, "put", None, &route),
        "methods are case-sensitive"
    );
    assert!(
        !cors::grants_preflight(&WEB, o, "PUT", Some("x-admin"), &route),
        "header not allowed"
    );
    assert!(!cors::grants_preflight(
        &WEB,
        o,
        "PUT",
        Some("authorization, x-admin"),
        &route
    ));
    // `methods` narrows what the route serves.
    let get_put = [Method::Get, Method::Put, Method::Delete];
    assert!(cors::grants_preflight(
        &PUBLIC,
        "https://a.example",
        "PUT",
        None,
        &get_put
    ));
    assert!(!cors::grants_preflight(
        &PUBLIC,
        "https://a.example",
        "DELETE",
        None,
        &get_put
    ));
    assert_eq!(
        cors::preflight_headers(&WEB, "PUT", Some("Authorization, X-Client")),
        [
            ("access-control-allow-methods", "PUT".to_string()),
            (
                "access-control-allow-headers",
                "authorization, x-client".to_string()
            ),
            ("access-control-max-age", "600".to_string()),
        ]
    );
}

#[test]
fn an_allowed_origin_gets_its_own_origin_back_with_credentials_never_a_star() {
    let mut h = HeaderList::from_pairs(&[("content-type", "application/json")]);
    cors::apply(
        &WEB,
        &mut h,
        CorsRequest::Actual {
            origin: "https://app.example.com",
        },
        true,
    );
    assert_eq!(
        h.get("access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        h.get("access-control-allow-credentials").as_deref(),
        Some("true")
    );
    assert_eq!(
        h.get("access-control-expose-headers").as_deref(),
        Some("x-request-id, ratelimit")
    );
    assert_eq!(h.get("vary").as_deref(), Some("Origin"));

    let mut h = HeaderList::default();
    cors::apply(
        &PUBLIC,
        &mut h,
        CorsRequest::Actual {
            origin: "https://a.example",
        },
        true,
    );
    assert_eq!(h.get("access-control-allow-origin").as_deref(), Some("*"));
    assert_eq!(h.get("access-control-allow-credentials"), None);
}

#[test]
fn a_disallowed_origin_gets_no_cors_headers_but_still_vary_origin() {
    let mut h = HeaderList::from_pairs(&[("vary", "Accept-Encoding")]);
    cors::apply(
        &WEB,
        &mut h,
        CorsRequest::Actual {
            origin: "https://example.com.evil.net",
        },
        true,
    );
    assert_eq!(h.get("access-control-allow-origin"), None);
    assert_eq!(h.get("access-control-allow-credentials"), None);
    assert_eq!(h.get("vary").as_deref(), Some("Accept-Encoding, Origin"));
}

#[test]
fn the_origin_servers_own_cors_headers_never_reach_the_client() {
    let mut h = HeaderList::from_pairs(&[
        ("access-control-allow-origin", "*"),
        ("access-control-allow-credentials", "true"),
        ("vary", "origin"),
    ]);
    cors::apply(
        &WEB,
        &mut h,
        CorsRequest::Actual {
            origin: "https://evil.example",
        },
        true,
    );
    assert_eq!(h.get("access-control-allow-origin"), None);
    assert_eq!(h.get("access-control-allow-credentials"), None);
    assert_eq!(
        h.get("vary").as_deref(),
        Some("origin"),
        "Origin is not listed twice"
    );
    let mut h = HeaderList::default();
    cors::apply(&WEB, &mut h, CorsRequest::NoOrigin, true);
    assert_eq!(h.get("vary").as_deref(), Some("Origin"));
    assert_eq!(h.get("access-control-allow-origin"), None);
}

#[test]
fn a_granted_preflight_gets_the_grant_and_the_preflight_headers() {
    let request = CorsRequest::Preflight {
        origin: "https://app.example.com",
        method: "PUT",
        headers: Some("Authorization"),
    };
    let mut h = HeaderList::from_pairs(&[("access-control-allow-methods", "DELETE")]);
    cors::apply(&WEB, &mut h, request, true);
    assert_eq!(
        h.get("access-control-allow-origin").as_deref(),
        Some("https://app.example.com")
    );
    assert_eq!(
        h.get("access-control-allow-methods").as_deref(),
        Some("PUT")
    );
    assert_eq!(
        h.get("access-control-allow-headers").as_deref(),
        Some("authorization")
    );
    assert_eq!(h.get("access-control-max-age").as_deref(), Some("600"));
    assert_eq!(h.get("access-control-expose-headers"), None);
}

#[test]
fn a_refused_preflight_gets_no_grant_at_all() {
    let request = CorsRequest::Preflight {
        origin: "https://app.example.com",
        method: "DELETE",
        headers: None,
    };
    let mut h = HeaderList::default();
    cors::apply(&WEB, &mut h, request, false);
    assert_eq!(h.get("access-control-allow-origin"), None);
    assert_eq!(
        h.get("vary").as_deref(),
        Some("Origin, Access-Control-Request-Method, Access-Control-Request-Headers")
    );
}

#[test]
fn requests_are_classified_by_origin_and_preflight_headers() {
    assert_eq!(
        CorsRequest::classify("GET", None, None, None),
        CorsRequest::NoOrigin
    );
    assert_eq!(
        CorsRequest::classify("OPTIONS", Some("https://a"), Some("PUT"), Some("x")),
        CorsRequest::Preflight {
            origin: "https://a",
            method: "PUT",
            headers: Some("x")
        }
    );
    assert_eq!(
        CorsRequest::classify("OPTIONS", Some("https://a"), None, None),
        CorsRequest::Actual {
            origin: "https://a"
        },
        "an OPTIONS without Access-Control-Request-Method is an ordinary request"
    );
    assert_eq!(
        CorsRequest::classify("GET", Some("https://a"), Some("PUT"), None),
        CorsRequest::Actual {
            origin: "https://a"
        }
    );
}
