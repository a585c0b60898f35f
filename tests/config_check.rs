//! The build-time checker: every broken config fails with `routes/<file>: route "<id>": <rule>`.
//! A table of broken files and the exact message each must produce.
#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse_config as checker;

use checker::check::{RewritePart, SourceFile};
use checker::lex::{self, UrlPart};
use support::schema_agreement::check;

const GATEWAY: &str = r#"
[upstreams.users]
url = "http://127.0.0.1:9001"

[policies.tag]
kind = "headers"
request = { set = { "x-a" = "1" } }
"#;

fn files(gateway: &str, routes: &str) -> Vec<SourceFile> {
    vec![
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: gateway.into(),
        },
        SourceFile {
            path: "routes/v1/users.toml".into(),
            text: routes.into(),
        },
    ]
}

fn errors_for(gateway: &str, routes: &str) -> Vec<String> {
    match check(&files(gateway, routes)) {
        Ok(_) => vec![],
        Err(e) => e,
    }
}

const GOOD_ROUTE: &str = r#"
[[route]]
id = "get-user"
methods = ["GET"]
path = "/users/{id}"
upstream = "users"
"#;

#[test]
fn broken_route_files_fail_with_file_route_and_rule() {
    let cases: &[(&str, &str)] = &[
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"\npath = \"/x\"\n",
            "routes/v1/users.toml: line 4, column 1: invalid array expected `]`",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/x\"\nupstream = \"users\"\nmethds = [\"GET\"]\n",
            "routes/v1/users.toml: route \"a\": unknown field `methds`, expected one of `id`, `path`, `methods`, `upstream`, `fan_out`, `on_partial`, `grpc`, `graphql`, `host`, `rewrite`, `policies`, `websocket`, `allow_double_encoding`, `retry_non_idempotent`, `match`, `limits`, `deprecated`, `sunset`, `successor`, `policy_link`, `summary`, `description`, `tags`, `body_schema`, `query_schema`, `log`",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/x\"\nupstream = \"orders\"\n",
            "routes/v1/users.toml: route \"a\": upstream \"orders\" is not defined in routes/gateway.toml [upstreams]",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/x\"\nupstream = \"users\"\npolicies = [\"nope\"]\n",
            "routes/v1/users.toml: route \"a\": policy \"nope\" is not defined in routes/gateway.toml [policies]",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"FETCH\"]\npath = \"/x\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": unknown method \"FETCH\" (allowed: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"get\"]\npath = \"/x\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": unknown method \"get\" (methods are upper-case)",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = []\npath = \"/x\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": methods must list at least one method",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"x\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": path \"x\": must start with '/'",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/x/\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": path \"/x/\": must not end with '/' (requests are matched without trailing slashes)",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a/../b\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": path \"/a/../b\": must not contain '.' or '..' segments",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a%2Fb\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": path \"/a%2Fb\": character '%' is not allowed (use plain, unescaped characters)",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a/{id\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": path \"/a/{id\": Parameters must be registered with a valid name",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a/{id}\"\nupstream = \"users\"\nrewrite = \"/b/{name}\"\n",
            "routes/v1/users.toml: route \"a\": rewrite \"/b/{name}\": {name} is not a parameter of the route path",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a\"\nupstream = \"users\"\nhost = \"https://x.com\"\n",
            "routes/v1/users.toml: route \"a\": host \"https://x.com\" must be a plain host name without port or scheme",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a\"\nupstream = \"users\"\npolicies = [{ kind = \"jwtt\" }]\n",
            "routes/v1/users.toml: route \"a\": policy #1: unknown variant `jwtt`, expected one of `headers`, `jwt`, `api_key`, `mtls`, `require`, `any`, `rate_limit`, `cache`, `cors`, `transform`, `graphql`, `llm` in `kind`",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\"]\npath = \"/a\"\nupstream = \"users\"\npolicies = [{ kind = \"headers\", request = { set = { \"x-request-id\" = \"1\" } } }]\n",
            "routes/v1/users.toml: route \"a\": policy #1: request: header \"x-request-id\" is managed by the gateway and cannot be changed by a policy",
        ),
        (
            "[[route]]\nmethods = [\"GET\"]\npath = \"/a\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"<no id>\": missing field `id`",
        ),
        (
            "[[route]]\nid = \"a b\"\nmethods = [\"GET\"]\npath = \"/a\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a b\": route ids use letters, digits, '-', '_' and '.'",
        ),
        (
            "[[route]]\nid = \"a\"\nmethods = [\"GET\", \"GET\"]\npath = \"/a\"\nupstream = \"users\"\n",
            "routes/v1/users.toml: route \"a\": method \"GET\" is listed twice",
        ),
    ];
    for (routes, expected) in cases {
        assert_eq!(
            errors_for(GATEWAY, routes),
            vec![expected.to_string()],
            "for routes file:\n{routes}"
        );
    }
}

#[test]
fn duplicate_route_ids_name_both_files() {
    let mut f = files(GATEWAY, GOOD_ROUTE);
    f.push(SourceFile {
        path: "routes/v2/users.toml".into(),
        text: GOOD_ROUTE.into(),
    });
    assert_eq!(
        check(&f).unwrap_err(),
        vec!["routes/v2/users.toml: route \"get-user\": duplicate route id (first defined in routes/v1/users.toml)"]
    );
}

#[test]
fn conflicting_paths_fail_like_matchit_would_at_runtime() {
    let routes = format!("{GOOD_ROUTE}\n[[route]]\nid = \"by-name\"\nmethods = [\"GET\"]\npath = \"/users/{{name}}\"\nupstream = \"users\"\n");
    assert_eq!(
        errors_for(GATEWAY, &routes),
        vec!["routes/v1/users.toml: route \"by-name\": path \"/v1/users/{name}\" conflicts with \"/v1/users/{id}\" (route \"get-user\" in routes/v1/users.toml)"]
    );
}

#[test]
fn same_path_same_method_twice_is_rejected() {
    let routes = format!("{GOOD_ROUTE}\n[[route]]\nid = \"again\"\nmethods = [\"GET\"]\npath = \"/users/{{id}}\"\nupstream = \"users\"\n");
    assert_eq!(
        errors_for(GATEWAY, &routes),
        vec!["routes/v1/users.toml: route \"again\": GET /v1/users/{id} is already served by route \"get-user\" (routes/v1/users.toml)"]
    );
}

#[test]
fn routes_sharing_a_path_need_match_conditions_that_never_tie() {
    let route = |id: &str, m: &str| {
        format!("[[route]]\nid = \"{id}\"\nmethods = [\"GET\"]\npath = \"/users/{{id}}\"\nupstream = \"users\"\n{m}\n")
    };
    let plain = route("plain", "");
    let beta = route("beta", "match = { query = { beta = \"1\" } }");
    let acme = route("acme", "match = { headers = { \"X-Tenant\" = \"acme\" } }");
    let acme_beta = route(
        "acme-beta",
        "match = { headers = { \"x-tenant\" = \"acme\" }, query = { beta = \"1\" } }",
    );
    let beta2 = route("beta2", "match = { query = { beta = \"2\" } }");
    // A plain route, a subset and a superset, and a contradicting value: all allowed.
    assert_eq!(
        errors_for(GATEWAY, &format!("{plain}{beta}{acme_beta}{beta2}")),
        Vec::<String>::new()
    );
    // The same conditions twice, or two that a request could meet together with neither
    // containing the other: refused.
    let tie = "routes/v1/users.toml: route \"beta-again\": GET /v1/users/{id} could match the same requests as route \"beta\" (routes/v1/users.toml): give one a match value the other contradicts, or all of the other's conditions and more";
    assert_eq!(
        errors_for(
            GATEWAY,
            &format!(
                "{beta}{}",
                route("beta-again", "match = { query = { beta = \"1\" } }")
            )
        ),
        vec![tie.to_string()]
    );
    assert_eq!(
        errors_for(GATEWAY, &format!("{beta}{acme}")),
        vec!["routes/v1/users.toml: route \"acme\": GET /v1/users/{id} could match the same requests as route \"beta\" (routes/v1/users.toml): give one a match value the other contradicts, or all of the other's conditions and more".to_string()]
    );
    let bad = [
        ("match = {}", "routes/v1/users.toml: route \"m\": match: set headers, query or both"),
        ("match = { headers = { \"x tenant\" = \"a\" } }", "routes/v1/users.toml: route \"m\": match.headers: \"x tenant\" is not a header name"),
        ("match = { headers = { \"x-tenant\" = \" a\" } }", "routes/v1/users.toml: route \"m\": match.headers.x-tenant: the value must be visible ASCII without surrounding spaces"),
        ("match = { query = { \"a=b\" = \"1\" } }", "routes/v1/users.toml: route \"m\": match.query: \"a=b\" is not a parameter name"),
        ("match = { query = { a = \"1&b=2\" } }", "routes/v1/users.toml: route \"m\": match.query.a: the value must be visible ASCII, as sent (percent-encoded), without '&'"),
        ("match = { cookies = { a = \"1\" } }", "routes/v1/users.toml: route \"m\": unknown field `cookies`, expected `headers` or `query` in `match`"),
    ];
    for (m, expected) in bad {
        assert_eq!(
            errors_for(GATEWAY, &route("m", m)),
            vec![expected.to_string()],
            "{m}"
        );
    }
}

#[test]
fn same_path_with_other_methods_or_hosts_is_allowed() {
    let routes = format!(
        "{GOOD_ROUTE}\n[[route]]\nid = \"put\"\nmethods = [\"PUT\"]\npath = \"/users/{{id}}\"\nupstream = \"users\"\n\
         [[route]]\nid = \"partner\"\nmethods = [\"GET\"]\npath = \"/users/{{id}}\"\nhost = \"partner.example.com\"\nupstream = \"users\"\n"
    );
    let c = check(&files(GATEWAY, &routes)).unwrap();
    assert_eq!(c.paths.len(), 1);
    assert_eq!(c.paths[0].1.len(), 3);
}

#[test]
fn broken_upstreams_fail_with_the_upstream_name() {
    let cases: &[(&str, &str)] = &[
        ("[upstreams.u]\nurl = \"ftp://x\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `ftp://x` must start with http:// or https://"),
        ("[upstreams.u]\nurl = \"http://\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `http://` has an invalid host"),
        ("[upstreams.u]\nurl = \"http://x:99999\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `http://x:99999` has an invalid port"),
        ("[upstreams.u]\nurl = \"http://x/a?b=1\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `http://x/a?b=1` must not have a query or fragment"),
        ("[upstreams.u]\nurl = \"http://user:pw@x\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `http://user:pw@x` must not contain user info"),
        ("[upstreams.u]\nurl = \"${lower}\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `${lower}`: `${lower}` is not a valid variable name (A-Z, 0-9, _)"),
        ("[upstreams.u]\nurl = \"${HOST\"\n", "routes/gateway.toml: upstream \"u\": upstream URL `${HOST`: unclosed `${`"),
        ("[upstreams.u]\nurl = \"http://x\"\ntimeout = \"5x\"\n", "routes/gateway.toml: upstream \"u\": timeout: invalid duration \"5x\": use a whole number with ms, s, m or h, e.g. \"5s\""),
        ("[upstreams.u]\nurl = \"http://x\"\ntimeout = \"0s\"\n", "routes/gateway.toml: upstream \"u\": timeout: invalid duration \"0s\": must be greater than zero"),
        ("[upstreams.u]\nurl = \"http://x\"\ntimeout = \"11m\"\n", "routes/gateway.toml: upstream \"u\": timeout must be at most 10m"),
        ("[upstreams.u]\nurl = \"http://x\"\ntimeout = 5\n", "routes/gateway.toml: upstream \"u\": invalid type: integer `5`, expected a string in `timeout`"),
        ("[upstreams.u]\nurl = \"http://x\"\nretry = 2\n", "routes/gateway.toml: upstream \"u\": unknown field `retry`, expected one of `url`, `targets`, `balance`, `hash_on`, `timeout`, `deadline`, `retries`, `breaker`, `fallback`, `mirror`, `canary`, `provider`, `key`, `binding`"),
        ("[upstreams.u]\nurl = \"http://x\"\ntargets = [{ url = \"http://y\" }]\n", "routes/gateway.toml: upstream \"u\": set exactly one of url or targets"),
        ("[upstreams.u]\ntargets = []\n", "routes/gateway.toml: upstream \"u\": targets: list 1 to 16 targets"),
        ("[upstreams.u]\ntargets = [{ url = \"http://y\", service = \"API\" }]\n", "routes/gateway.toml: upstream \"u\": target 1: set exactly one of url or service"),
        ("[upstreams.u]\ntargets = [{ url = \"http://y\" }, { service = \"api\" }]\n", "routes/gateway.toml: upstream \"u\": target 2: service \"api\" is not a binding name (A-Z, 0-9, _)"),
        ("[upstreams.u]\ntargets = [{ url = \"http://y\", weight = 0 }]\n", "routes/gateway.toml: upstream \"u\": target 1: weight must be 1 to 1000"),
        ("[upstreams.u]\ntargets = [{ url = \"ftp://y\" }]\n", "routes/gateway.toml: upstream \"u\": target 1: upstream URL `ftp://y` must start with http:// or https://"),
        ("[upstreams.u]\nurl = \"http://x\"\nbalance = \"hash\"\n", "routes/gateway.toml: upstream \"u\": balance = \"hash\" needs hash_on"),
        ("[upstreams.u]\nurl = \"http://x\"\nbalance = \"hash\"\nhash_on = \"body:x\"\n", "routes/gateway.toml: upstream \"u\": hash_on \"body:x\": use header:<name>, cookie:<name>, claim:<name>, consumer or ip"),
        ("[upstreams.u]\nurl = \"http://x\"\nhash_on = \"ip\"\n", "routes/gateway.toml: upstream \"u\": hash_on is only used with balance = \"hash\""),
        ("[upstreams.u]\nurl = \"http://x\"\nbalance = \"least-conn\"\n", "routes/gateway.toml: upstream \"u\": balance \"least-conn\": use \"round-robin\", \"random\" or \"hash\""),
        ("[upstreams.u]\nurl = \"http://x\"\nretries = { attempts = 0 }\n", "routes/gateway.toml: upstream \"u\": retries.attempts must be 1 to 5"),
        ("[upstreams.u]\nurl = \"http://x\"\nretries = { attempts = 2, on = [\"connect\", 404] }\n", "routes/gateway.toml: upstream \"u\": retries.on: 404 is not \"connect\", \"timeout\", 408, 429 or a 5xx status"),
        ("[upstreams.u]\nurl = \"http://x\"\nretries = { attempts = 2, budget = \"20\" }\n", "routes/gateway.toml: upstream \"u\": retries.budget \"20\": use a percentage, e.g. \"20%\""),
        ("[upstreams.u]\nurl = \"http://x\"\nretries = { attempts = 2, backoff = \"2s\", max_backoff = \"1s\" }\n", "routes/gateway.toml: upstream \"u\": retries.max_backoff must not be below retries.backoff"),
        ("[upstreams.u]\nurl = \"http://x\"\nbreaker = { error_ratio = 1.5 }\n", "routes/gateway.toml: upstream \"u\": breaker.error_ratio must be above 0 and at most 1"),
        ("[upstreams.u]\nurl = \"http://x\"\nbreaker = { open = \"1m\", max_open = \"10s\" }\n", "routes/gateway.toml: upstream \"u\": breaker.max_open must not be below breaker.open"),
        ("[upstreams.u]\nurl = \"http://x\"\nbreaker = { probes = 0 }\n", "routes/gateway.toml: upstream \"u\": breaker.probes must be 1 to 10"),
        ("[upstreams.u]\nurl = \"http://x\"\nbreaker = { failures = 0 }\n", "routes/gateway.toml: upstream \"u\": breaker: set failures, error_ratio or both"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { upstream = \"u\" }\n", "routes/gateway.toml: upstream \"u\": fallback.upstream must be another upstream"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { upstream = \"spare\" }\n", "routes/gateway.toml: upstream \"u\": fallback.upstream \"spare\" is not defined"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { status = 503, json = \"{nope\" }\n", "routes/gateway.toml: upstream \"u\": fallback.json is not JSON: key must be a string at line 1 column 2"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { status = 200, json = \"{}\", body = \"x\" }\n", "routes/gateway.toml: upstream \"u\": fallback: set json or body, not both"),
        ("[upstreams.u]\nurl = \"http://x\"\nmirror = { upstream = \"u\" }\n", "routes/gateway.toml: upstream \"u\": mirror.upstream must be another upstream"),
        ("[upstreams.u]\nurl = \"http://x\"\nmirror = { upstream = \"shadow\" }\n", "routes/gateway.toml: upstream \"u\": mirror.upstream \"shadow\" is not defined"),
        ("[upstreams.u]\nurl = \"http://x\"\nmirror = { upstream = \"v\", percent = 0.0 }\n", "routes/gateway.toml: upstream \"u\": mirror.percent must be above 0 and at most 100"),
        ("[upstreams.u]\nurl = \"http://x\"\ncanary = { upstream = \"next\", percent = 5.0 }\n", "routes/gateway.toml: upstream \"u\": canary.upstream \"next\" is not defined"),
        ("[upstreams.u]\nurl = \"http://x\"\ncanary = { upstream = \"v\", percent = 101.0 }\n", "routes/gateway.toml: upstream \"u\": canary.percent must be 0 to 100"),
        ("[upstreams.u]\nurl = \"http://x\"\ncanary = { upstream = \"v\", percent = 5.0, sticky = \"session\" }\n", "routes/gateway.toml: upstream \"u\": canary.sticky: hash_on \"session\": use header:<name>, cookie:<name>, claim:<name>, consumer or ip"),
        ("[upstreams.u]\nurl = \"http://x\"\ncanary = { upstream = \"v\", percent = 5.0, header = \"x canary\" }\n", "routes/gateway.toml: upstream \"u\": canary.header \"x canary\" is not a header name"),
        ("[upstreams.u]\nurl = \"http://x\"\ncanary = { upstream = \"v\", percent = 5.0 }\n[upstreams.v]\nurl = \"http://y\"\ncanary = { upstream = \"w\", percent = 5.0 }\n[upstreams.w]\nurl = \"http://z\"\n", "routes/gateway.toml: upstream \"u\": canary.upstream \"v\" has a canary of its own"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { status = 99 }\n", "routes/gateway.toml: upstream \"u\": fallback.status must be 200 to 599"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { status = 304 }\n", "routes/gateway.toml: upstream \"u\": fallback.status must not be 304 (not modified)"),
        ("[upstreams.u]\nurl = \"http://x\"\nfallback = { upstream = \"v\", status = 503 }\n", "routes/gateway.toml: upstream \"u\": fallback: set upstream, or status with json or body (not both)"),
        ("[upstreams.u]\nurl = \"http://x\"\n[gateway]\ndefault_policies = [\"p\"]\n", "routes/gateway.toml: gateway.default_policies: policy \"p\" is not defined in [policies]"),
        ("[upstream.u]\nurl = \"http://x\"\n", "routes/gateway.toml: line 1, column 2: unknown field `upstream`, expected one of `gateway`, `upstreams`, `policies`, `route`"),
        ("[policies.p]\nrequest = {}\n", "routes/gateway.toml: policy \"p\": missing key `kind`"),
        ("[policies.p]\nkind = \"headers\"\nrequest = { add = {} }\n", "routes/gateway.toml: policy \"p\": unknown field `add`, expected `set` or `remove`"),
        ("[policies.p]\nkind = \"headers\"\nresponse = { remove = [\"bad name\"] }\n", "routes/gateway.toml: policy \"p\": response: \"bad name\" is not a valid header name"),
    ];
    for (gateway, expected) in cases {
        let errors = match check(&[SourceFile {
            path: "routes/gateway.toml".into(),
            text: gateway.to_string(),
        }]) {
            Ok(_) => vec![],
            Err(e) => e,
        };
        assert_eq!(
            errors,
            vec![expected.to_string()],
            "for gateway.toml:\n{gateway}"
        );
    }
}

#[test]
fn files_outside_version_folders_are_rejected() {
    let f = vec![
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: GATEWAY.into(),
        },
        SourceFile {
            path: "routes/users.toml".into(),
            text: GOOD_ROUTE.into(),
        },
        SourceFile {
            path: "routes/V1/users.toml".into(),
            text: GOOD_ROUTE.into(),
        },
    ];
    assert_eq!(
        check(&f).unwrap_err(),
        vec![
            "routes/V1/users.toml: version folder \"V1\" must use a-z, 0-9, '.', '-' and '_' (it becomes the path prefix)",
            "routes/users.toml: unexpected file: routes/ holds gateway.toml and <version>/<name>.toml files only",
        ]
    );
}

#[test]
fn every_error_is_reported_not_just_the_first() {
    let routes =
        "[[route]]\nid = \"a\"\nmethods = [\"FETCH\"]\npath = \"x\"\nupstream = \"nope\"\n";
    assert_eq!(errors_for(GATEWAY, routes).len(), 3);
}

#[test]
fn version_folder_becomes_the_path_prefix_and_get_implies_head() {
    let c = check(&files(GATEWAY, GOOD_ROUTE)).unwrap();
    assert_eq!(c.routes[0].path, "/v1/users/{id}");
    assert_eq!(c.routes[0].methods, vec!["GET", "HEAD"]);
}

#[test]
fn upstream_urls_split_into_literals_and_variables() {
    let g = "[upstreams.u]\nurl = \"https://${HOST}/api\"\n";
    let c = check(&[SourceFile {
        path: "routes/gateway.toml".into(),
        text: g.into(),
    }])
    .unwrap();
    let checker::upstream::CheckedTarget::Url(parts, text) = &c.upstreams[0].targets[0].0 else {
        panic!("a url target");
    };
    assert_eq!(
        parts,
        &vec![
            UrlPart::Lit("https://".into()),
            UrlPart::Var("HOST".into()),
            UrlPart::Lit("/api".into())
        ]
    );
    assert_eq!(text, "https://${HOST}/api");
    assert_eq!(c.upstreams[0].targets[0].1, 1, "one target of weight 1");
    assert_eq!(
        c.upstreams[0].timeout_ms,
        checker::upstream::DEFAULT_TIMEOUT_MS
    );
}

#[test]
fn rewrite_templates_accept_catch_all_params() {
    let routes = "[[route]]\nid = \"f\"\nmethods = [\"GET\"]\npath = \"/files/{*rest}\"\nupstream = \"users\"\nrewrite = \"/store/{rest}\"\n";
    let c = check(&files(GATEWAY, routes)).unwrap();
    assert_eq!(
        c.routes[0].rewrite,
        Some(vec![
            RewritePart::Lit("/store/".into()),
            RewritePart::Param("rest".into())
        ])
    );
}

#[test]
fn durations_accept_ms_seconds_and_minutes() {
    assert_eq!(lex::parse_duration_ms("250ms"), Ok(250));
    assert_eq!(lex::parse_duration_ms("5s"), Ok(5000));
    assert_eq!(lex::parse_duration_ms("2m"), Ok(120_000));
    assert!(lex::parse_duration_ms("-1s").is_err());
    assert!(lex::parse_duration_ms("1.5s").is_err());
    assert!(lex::parse_duration_ms("s").is_err());
    assert!(lex::parse_duration_ms("99999999999999999999m").is_err());
}

#[test]
fn the_example_routes_directory_is_valid() {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("routes");
    let mut f = vec![SourceFile {
        path: "routes/gateway.toml".into(),
        text: std::fs::read_to_string(root.join("gateway.toml")).unwrap(),
    }];
    for v in ["v1/users.toml", "v1/files.toml", "v2/users.toml"] {
        f.push(SourceFile {
            path: format!("routes/{v}"),
            text: std::fs::read_to_string(root.join(v)).unwrap(),
        });
    }
    assert!(check(&f).is_ok());
}

#[test]
fn broken_auth_policies_fail_with_the_policy_and_rule() {
    let p = |body: &str| format!("[upstreams.users]\nurl = \"http://x\"\n[policies.p]\n{body}\n");
    let jwt = |extra: &str| {
        p(&format!(
            "kind = \"jwt\"\nalgorithms = [\"RS256\"]\njwks_url = \"https://id/jwks\"\n{extra}"
        ))
    };
    let cases: Vec<(String, &str)> = vec![
        (p("kind = \"jwt\"\nalgorithms = [\"none\"]"), "routes/gateway.toml: policy \"p\": algorithms: \"none\" is never accepted"),
        (p("kind = \"jwt\"\nalgorithms = [\"RS257\"]\njwks_url = \"https://id/jwks\""), "routes/gateway.toml: policy \"p\": algorithms: unknown algorithm \"RS257\" (use HS256/384/512, RS256/384/512, PS256/384/512, ES256 or EdDSA)"),
        (p("kind = \"jwt\"\nalgorithms = []"), "routes/gateway.toml: policy \"p\": algorithms: list at least one algorithm"),
        (p("kind = \"jwt\"\nalgorithms = [\"HS256\"]"), "routes/gateway.toml: policy \"p\": HS* algorithms need `secret` (the name of a wrangler secret)"),
        (p("kind = \"jwt\"\nalgorithms = [\"HS256\"]\nsecret = \"hunter2-the-actual-key\""), "routes/gateway.toml: policy \"p\": secret: \"hunter2-the-actual-key\" is not a variable name (A-Z, 0-9, _); put the key itself in `wrangler secret put`"),
        (p("kind = \"jwt\"\nalgorithms = [\"ES256\"]"), "routes/gateway.toml: policy \"p\": RS*/PS*/ES256/EdDSA need `jwks_url` or `keys`"),
        (jwt("secret = \"S\""), "routes/gateway.toml: policy \"p\": `secret` is only used by HS* algorithms; add one to `algorithms` or remove it"),
        (jwt("leeway = \"1h\""), "routes/gateway.toml: policy \"p\": leeway: at most 5m"),
        (jwt("jwks_min_ttl = \"2h\"\njwks_max_ttl = \"1h\""), "routes/gateway.toml: policy \"p\": jwks_min_ttl is greater than jwks_max_ttl"),
        (jwt("max_token_bytes = 10"), "routes/gateway.toml: policy \"p\": max_token_bytes: between 256 and 65536"),
        (jwt("forward = { sub = \"x-request-id\" }"), "routes/gateway.toml: policy \"p\": forward: header \"x-request-id\" cannot carry identity"),
        (jwt("forward = { sub = \"authorization\" }"), "routes/gateway.toml: policy \"p\": forward: header \"authorization\" cannot carry identity"),
        (jwt("keys = [{ pem = \"-----BEGIN PRIVATE KEY-----\\nAA\\n-----END PRIVATE KEY-----\" }]"), "routes/gateway.toml: policy \"p\": keys[0]: this is a private key; only public keys belong in routes/"),
        (jwt("keys = [{ jwk = '{\"kty\":\"oct\",\"k\":\"c2VjcmV0\"}' }]"), "routes/gateway.toml: policy \"p\": keys[0]: jwk: only RSA, EC P-256 and Ed25519 public keys are accepted"),
        (jwt("keys = [{ jwk = '{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"AA\"}' }]"), "routes/gateway.toml: policy \"p\": keys[0]: a Ed25519 key, but no algorithm in `algorithms` uses it"),
        (jwt("keys = [{ kid = \"a\" }]"), "routes/gateway.toml: policy \"p\": keys[0]: give exactly one of `pem` or `jwk`"),
        (jwt("jwks = \"x\""), "routes/gateway.toml: policy \"p\": unknown field `jwks`, expected one of `algorithms`, `issuer`, `audiences`, `secret`, `jwks_url`, `keys`, `require_exp`, `leeway`, `max_token_bytes`, `cookie`, `query`, `jwks_min_ttl`, `jwks_max_ttl`, `jwks_refetch_interval`, `jwks_max_stale`, `token_cache_ttl`, `forward`"),
        (p("kind = \"api_key\"\nstore = \"api-keys\""), "routes/gateway.toml: policy \"p\": store: \"api-keys\" is not a KV binding name (A-Z, 0-9, _)"),
        (p("kind = \"api_key\"\nstore = \"K\"\ncache_ttl = \"5m\""), "routes/gateway.toml: policy \"p\": cache_ttl: at most 60s, so a revoked key stops working within a minute"),
        (p("kind = \"api_key\"\nstore = \"K\"\nheader = \"Authorization\""), "routes/gateway.toml: policy \"p\": header: \"Authorization\" cannot carry an API key; use a dedicated header such as x-api-key"),
        (p("kind = \"api_key\"\nstore = \"K\"\nforward = { email = \"x-email\" }"), "routes/gateway.toml: policy \"p\": forward: unknown field \"email\" (use id, name, plan, scopes)"),
        (p("kind = \"mtls\"\nfingerprints = [\"abc\"]"), "routes/gateway.toml: policy \"p\": fingerprints: \"abc\" is not a SHA-256 fingerprint (64 hex digits)"),
        (p("kind = \"require\""), "routes/gateway.toml: policy \"p\": require nothing: list scopes, any_scopes, roles or claims"),
        (p("kind = \"require\"\nclaims = [{ claim = \"org\", equals = \"a\", contains = \"b\" }]"), "routes/gateway.toml: policy \"p\": claims: rule for \"org\" needs exactly one of equals, one_of, contains"),
        (p("kind = \"any\"\nof = [\"a\", \"b\"]"), "routes/gateway.toml: policy \"p\": of: policy \"a\" is not defined in routes/gateway.toml [policies]"),
    ];
    for (gateway, expected) in &cases {
        let errors = errors_for(gateway, GOOD_ROUTE);
        assert_eq!(
            errors.first().map(String::as_str),
            Some(*expected),
            "for gateway.toml:\n{gateway}"
        );
    }
}

#[test]
fn require_needs_an_authentication_policy_before_it() {
    let gateway = "[upstreams.users]\nurl = \"http://x\"\n[policies.key]\nkind = \"api_key\"\nstore = \"K\"\n[policies.tag]\nkind = \"headers\"\n";
    let route = |policies: &str| {
        format!("[[route]]\nid = \"r\"\nmethods = [\"GET\"]\npath = \"/r\"\nupstream = \"users\"\npolicies = {policies}\n")
    };
    assert_eq!(
        errors_for(gateway, &route("[{ kind = \"require\", scopes = [\"a\"] }, \"key\"]")),
        ["routes/v1/users.toml: route \"r\": policy \"r#1\" (require) needs an authentication policy (jwt, api_key, mtls or any) before it"]
    );
    assert!(errors_for(
        gateway,
        &route("[\"key\", { kind = \"require\", scopes = [\"a\"] }]")
    )
    .is_empty());
    let any = format!("{gateway}[policies.either]\nkind = \"any\"\nof = [\"key\", \"tag\"]\n");
    assert_eq!(
        errors_for(&any, GOOD_ROUTE),
        ["routes/gateway.toml: policy \"either\": of: policy \"tag\" is not a jwt, api_key or mtls policy"]
    );
}

#[test]
fn broken_rate_limits_fail_with_the_policy_and_rule() {
    let p = |body: &str| {
        format!("[gateway]\nplans = [\"gold\"]\n[upstreams.users]\nurl = \"http://x\"\n[policies.p]\nkind = \"rate_limit\"\n{body}\n")
    };
    let cases: Vec<(String, &str)> = vec![
        (p("key = \"ipv6\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\" }]"), "routes/gateway.toml: policy \"p\": key: unknown part \"ipv6\" (use ip, consumer, claim:<name>, header:<name>, route, operation, global)"),
        (p("key = \"ip\"\nlimits = []"), "routes/gateway.toml: policy \"p\": limits: list at least one limit"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 0, window = \"1s\" }]"), "routes/gateway.toml: policy \"p\": limits: limit \"a\": limit must be at least 1"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1 }]"), "routes/gateway.toml: policy \"p\": limits: limit \"a\": give `window` (e.g. \"1m\") or `per` (\"day\" or \"month\")"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, per = \"week\" }]"), "routes/gateway.toml: policy \"p\": limits: limit \"a\": per = \"week\": use \"day\" or \"month\""),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\", algorithm = \"leaky\" }]"), "routes/gateway.toml: policy \"p\": limits: limit \"a\": algorithm \"leaky\": use sliding_window, fixed_window or token_bucket"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\", burst = 5 }]"), "routes/gateway.toml: policy \"p\": limits: limit \"a\": burst is only used by token_bucket"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\" }, { name = \"a\", limit = 2, window = \"1m\" }]"), "routes/gateway.toml: policy \"p\": limits: limit \"a\": duplicate name"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\" }]\nplans.platinum = [{ name = \"a\", limit = 9, window = \"1s\" }]"), "routes/gateway.toml: policy \"p\": plans: plan \"platinum\" is not declared in [gateway] plans"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\" }]\non_error = \"maybe\""), "routes/gateway.toml: policy \"p\": on_error: \"maybe\" is not \"deny\" or \"allow\""),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\" }]\nfail = \"closed\""), "routes/gateway.toml: policy \"p\": fail: renamed; use on_error = \"deny\" (the default; was fail = \"closed\") or on_error = \"allow\" (was fail = \"open\")"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]\nlease = 5"), "routes/gateway.toml: policy \"p\": lease, lease_ttl: only used with mode = \"leased\""),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]\nmode = \"lazy\""), "routes/gateway.toml: policy \"p\": mode: \"lazy\" is not \"exact\" or \"leased\""),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\", algorithm = \"token_bucket\", burst = 8 }]\nmode = \"leased\""), "routes/gateway.toml: policy \"p\": lease: 10 is more than the smallest limit or burst (8); lower it"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]\nplans.gold = [{ name = \"a\", limit = 3, window = \"1s\" }]\nmode = \"leased\"\nlease = 5"), "routes/gateway.toml: policy \"p\": lease: 5 is more than the smallest limit or burst (3); lower it"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]\nmode = \"leased\"\nlease = 0"), "routes/gateway.toml: policy \"p\": lease: between 1 and 1000 permits"),
        (p("key = \"ip\"\nlimits = [{ name = \"a\", limit = 100, window = \"1s\" }]\nmode = \"leased\"\nlease_ttl = \"2m\""), "routes/gateway.toml: policy \"p\": lease_ttl: between 100ms and 60s"),
    ];
    for (gateway, expected) in &cases {
        assert_eq!(
            errors_for(gateway, GOOD_ROUTE).first().map(String::as_str),
            Some(*expected),
            "for gateway.toml:\n{gateway}"
        );
    }
    // A consumer key needs an authentication policy before it.
    let gateway = p("key = \"consumer\"\nlimits = [{ name = \"a\", limit = 1, window = \"1s\" }]");
    let route = "[[route]]\nid = \"r\"\nmethods = [\"GET\"]\npath = \"/r\"\nupstream = \"users\"\npolicies = [\"p\"]\n";
    assert_eq!(
        errors_for(&gateway, route),
        ["routes/v1/users.toml: route \"r\": policy \"p\" (rate_limit keyed by consumer or claim) needs an authentication policy (jwt, api_key, mtls or any) before it"]
    );
}

#[test]
fn broken_cache_policies_fail_with_the_policy_and_rule() {
    let p = |body: &str| {
        format!("[upstreams.users]\nurl = \"http://x\"\n[policies.key]\nkind = \"api_key\"\nheader = \"x-api-key\"\nstore = \"API_KEYS\"\n[policies.c]\nkind = \"cache\"\n{body}\n")
    };
    let cases: Vec<(String, &str)> = vec![
        (p("ttl = \"0s\""), "routes/gateway.toml: policy \"c\": ttl: invalid duration \"0s\": must be greater than zero"),
        (p("ttl = \"1500ms\""), "routes/gateway.toml: policy \"c\": ttl: whole seconds between 1s and 365 days"),
        (p("query = { allow = [\"a\"], deny = [\"b\"] }"), "routes/gateway.toml: policy \"c\": query: give `allow` or `deny` (one of them)"),
        (p("query = { allow = [\"a=b\"] }"), "routes/gateway.toml: policy \"c\": query.allow: \"a=b\" is not a parameter name"),
        (p("key_headers = [\"Authorization\"]"), "routes/gateway.toml: policy \"c\": key_headers: \"Authorization\" cannot be part of a cache key (credentials, hop-by-hop or set by the gateway)"),
        (p("key_headers = [\"x a\"]"), "routes/gateway.toml: policy \"c\": key_headers: \"x a\" is not a header name"),
        (p("key_headers = [\"X-A\", \"x-a\"]"), "routes/gateway.toml: policy \"c\": key_headers: \"x-a\" is listed twice"),
        (p("stale_if_error = \"90s500ms\""), "routes/gateway.toml: policy \"c\": stale_if_error: invalid duration \"90s500ms\": use a whole number with ms, s, m or h, e.g. \"5s\""),
        (p("stale_if_error = \"170h\""), "routes/gateway.toml: policy \"c\": stale_if_error: whole seconds, at most 7 days"),
        (p("stale_while_revalidate = \"1500ms\""), "routes/gateway.toml: policy \"c\": stale_while_revalidate: whole seconds, at most 7 days"),
        (p("keep_for_revalidation = \"721h\""), "routes/gateway.toml: policy \"c\": keep_for_revalidation: whole seconds, at most 30 days"),
        (p("tags = [\"ok\", \"not ok\"]"), "routes/gateway.toml: policy \"c\": tags: \"not ok\" is not a tag (1-64 of A-Z a-z 0-9 . _ : -)"),
        (p("shared = \"yes\""), "routes/gateway.toml: policy \"c\": invalid type: string \"yes\", expected a boolean"),
        (p("forward = \"everything\""), "routes/gateway.toml: policy \"c\": forward: \"everything\" is not \"keyed\" or \"all\""),
        (p("control_header = \"CDN-Cache-Control\""), "routes/gateway.toml: policy \"c\": control_header: \"cdn-cache-control\" has its own meaning; name a header of your own"),
        (p("control_header = \"Cache-Control\""), "routes/gateway.toml: policy \"c\": control_header: \"cache-control\" has its own meaning; name a header of your own"),
        (p("control_header = \"x y\""), "routes/gateway.toml: policy \"c\": control_header: \"x y\" is not a header name"),
    ];
    for (gateway, expected) in &cases {
        assert_eq!(
            errors_for(gateway, GOOD_ROUTE).first().map(String::as_str),
            Some(*expected),
            "for gateway.toml:\n{gateway}"
        );
    }
    let route = |methods: &str, policies: &str| {
        format!("[[route]]\nid = \"r\"\nmethods = {methods}\npath = \"/r\"\nupstream = \"users\"\npolicies = {policies}\n")
    };
    let gateway = p("");
    for (r, expected) in [
        (route("[\"GET\", \"POST\"]", "[\"c\"]"), "routes/v1/users.toml: route \"r\": policy \"c\" (cache) needs a route whose methods are GET and HEAD only"),
        (route("[\"GET\"]", "[\"c\", \"key\"]"), "routes/v1/users.toml: route \"r\": policy \"key\" (api_key) must come before policy \"c\" (cache): a hit answers without running the policies after the cache"),
        // A check placed after the cache would be skipped on every hit (issue 23, item 7).
        (route("[\"GET\"]", "[\"key\", \"c\", { kind = \"require\", scopes = [\"a\"] }]"), "routes/v1/users.toml: route \"r\": policy \"r#3\" (require) must come before policy \"c\" (cache): a hit answers without running the policies after the cache"),
        (route("[\"GET\"]", "[\"key\", \"c\", { kind = \"rate_limit\", key = \"ip\", limits = [{ name = \"n\", limit = 1, window = \"1s\" }] }]"), "routes/v1/users.toml: route \"r\": policy \"r#3\" (rate_limit) must come before policy \"c\" (cache): a hit answers without running the policies after the cache"),
        (route("[\"GET\"]", "[\"c\", \"c\"]"), "routes/v1/users.toml: route \"r\": more than one cache policy"),
    ] {
        assert_eq!(errors_for(&gateway, &r).first().map(String::as_str), Some(expected), "{r}");
    }
    assert!(errors_for(&gateway, &route("[\"GET\"]", "[\"key\", \"c\"]")).is_empty());
}

#[test]
fn broken_cors_policies_fail_with_the_policy_and_rule() {
    let p = |body: &str| {
        format!("[upstreams.users]\nurl = \"http://x\"\n[policies.key]\nkind = \"api_key\"\nheader = \"x-api-key\"\nstore = \"API_KEYS\"\n[policies.web]\nkind = \"cors\"\n{body}\n")
    };
    let cases: Vec<(String, &str)> = vec![
        (p("origins = [\"*\"]\ncredentials = true"), "routes/gateway.toml: policy \"web\": origins: \"*\" cannot be combined with credentials = true (browsers refuse Access-Control-Allow-Origin: * on credentialed requests); list the allowed origins"),
        (p("origins = []"), "routes/gateway.toml: policy \"web\": origins: list at least one origin (or \"*\")"),
        (p("origins = [\"https://app.example.com/\"]"), "routes/gateway.toml: policy \"web\": origins: \"https://app.example.com/\" is not an origin: use scheme://host[:port] (no path), scheme://*.domain[:port] or \"*\""),
        (p("origins = [\"app.example.com\"]"), "routes/gateway.toml: policy \"web\": origins: \"app.example.com\" is not an origin: use scheme://host[:port] (no path), scheme://*.domain[:port] or \"*\""),
        (p("origins = [\"ftp://app.example.com\"]"), "routes/gateway.toml: policy \"web\": origins: \"ftp://app.example.com\" is not an origin: the scheme must be http or https"),
        (p("origins = [\"https://*example.com\"]"), "routes/gateway.toml: policy \"web\": origins: \"https://*example.com\" is not an origin: a wildcard must be a whole leading label (\"https://*.example.com\")"),
        (p("origins = [\"https://*.com\"]"), "routes/gateway.toml: policy \"web\": origins: \"https://*.com\" is too broad: a wildcard needs a domain with a dot (\"https://*.example.com\")"),
        (p("origins = [\"null\"]"), "routes/gateway.toml: policy \"web\": origins: \"null\" is not an origin: use scheme://host[:port] (no path), scheme://*.domain[:port] or \"*\""),
        (p("origins = [\"*\"]\nmethods = [\"FETCH\"]"), "routes/gateway.toml: policy \"web\": methods: unknown method \"FETCH\" (allowed: GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS)"),
        (p("origins = [\"*\"]\nallow_headers = [\"x a\"]"), "routes/gateway.toml: policy \"web\": allow_headers: \"x a\" is not a header name"),
        (p("origins = [\"*\"]\nmax_age = \"2d\""), "routes/gateway.toml: policy \"web\": max_age: invalid duration \"2d\": use a whole number with ms, s, m or h, e.g. \"5s\""),
        (p("origins = [\"*\"]\nmax_age = \"25h\""), "routes/gateway.toml: policy \"web\": max_age: at most 24h"),
    ];
    for (gateway, expected) in &cases {
        assert_eq!(
            errors_for(gateway, GOOD_ROUTE).first().map(String::as_str),
            Some(*expected),
            "for gateway.toml:\n{gateway}"
        );
    }
    // Preflights carry no credentials: cors must come before what could refuse them.
    let gateway = p("origins = [\"https://app.example.com\"]");
    let route = |policies: &str| {
        format!("[[route]]\nid = \"r\"\nmethods = [\"GET\"]\npath = \"/r\"\nupstream = \"users\"\npolicies = {policies}\n")
    };
    assert_eq!(
        errors_for(&gateway, &route("[\"key\", \"web\"]")),
        ["routes/v1/users.toml: route \"r\": policy \"web\" (cors) must come before policy \"key\", so preflights are answered without credentials"]
    );
    assert_eq!(
        errors_for(&gateway, &route("[\"web\", \"web\"]")),
        ["routes/v1/users.toml: route \"r\": more than one cors policy"]
    );
    assert!(errors_for(&gateway, &route("[\"web\", \"key\"]")).is_empty());
}

#[test]
fn lifecycle_dates_parse_as_rfc_3339_and_print_as_imf_fixdate() {
    use checker::dates::{imf_fixdate, parse_rfc3339};
    assert_eq!(parse_rfc3339("2026-06-01T00:00:00Z"), Ok(1_780_272_000));
    assert_eq!(
        parse_rfc3339("2026-06-01T02:00:00+02:00"),
        Ok(1_780_272_000)
    );
    assert_eq!(
        parse_rfc3339("2026-05-31T22:00:00.250-02:00"),
        Ok(1_780_272_000)
    );
    assert_eq!(
        parse_rfc3339("2028-02-29T12:00:00Z")
            .map(imf_fixdate)
            .as_deref(),
        Ok("Tue, 29 Feb 2028 12:00:00 GMT")
    );
    for bad in [
        "2026-06-01",
        "2026-06-01 00:00:00Z",
        "2026-13-01T00:00:00Z",
        "2027-02-29T00:00:00Z",
        "2026-06-01T24:00:00Z",
        "2026-06-01T00:00:00",
        "2026-06-01T00:00:00+2:00",
    ] {
        assert!(parse_rfc3339(bad).is_err(), "{bad}");
    }
    assert_eq!(imf_fixdate(784_111_777), "Sun, 06 Nov 1994 08:49:37 GMT");
}

#[test]
fn broken_lifecycle_settings_fail_with_the_file_and_rule() {
    let v1_route =
        "[[route]]\nid = \"r\"\nmethods = [\"GET\"]\npath = \"/r\"\nupstream = \"users\"\n";
    let build = |version_toml: &str, route_extra: &str, gateway_extra: &str| {
        let gateway = format!("[gateway]\n{gateway_extra}\n{GATEWAY}");
        let mut f = vec![
            SourceFile {
                path: "routes/gateway.toml".into(),
                text: gateway,
            },
            SourceFile {
                path: "routes/v1/users.toml".into(),
                text: format!("{v1_route}{route_extra}"),
            },
            SourceFile {
                path: "routes/v2/users.toml".into(),
                text: v1_route.replace("id = \"r\"", "id = \"r2\""),
            },
        ];
        if !version_toml.is_empty() {
            f.push(SourceFile {
                path: "routes/v1/version.toml".into(),
                text: version_toml.into(),
            });
        }
        check(&f).err().unwrap_or_default()
    };
    let cases = [
        (build("deprecated = \"2026-06-01\"", "", ""), "routes/v1/version.toml: deprecated: \"2026-06-01\" is not an RFC 3339 date-time (e.g. \"2027-06-30T00:00:00Z\")"),
        (build("deprecated = \"2026-06-01T00:00:00Z\"\nsunset = \"2026-01-01T00:00:00Z\"", "", ""), "routes/v1/version.toml: sunset must be later than deprecated"),
        (build("successor = \"v3\"", "", ""), "routes/v1/version.toml: successor: \"v3\" is not a version folder in routes/ (have: v1, v2)"),
        (build("successor = \"v1\"", "", ""), "routes/v1/version.toml: successor: \"v1\" is this version"),
        (build("policy_link = \"docs\"", "", ""), "routes/v1/version.toml: policy_link: \"docs\" is not an http(s) URL"),
        (build("retired = true", "", ""), "routes/v1/version.toml: line 1, column 1: unknown field `retired`, expected one of `deprecated`, `sunset`, `successor`, `policy_link`"),
        (build("deprecated = \"2026-06-01T00:00:00Z\"", "sunset = \"2026-01-01T00:00:00Z\"\n", ""), "routes/v1/users.toml: route \"r\": sunset must be later than deprecated"),
        (build("", "", "versioning = { header = \"api version\" }"), "routes/gateway.toml: gateway.versioning: header: not a valid header name"),
        (build("", "", "versioning = { default = \"v3\" }"), "routes/gateway.toml: gateway.versioning: default: \"v3\" is not a version folder in routes/ (have: v1, v2)"),
    ];
    for (errors, expected) in &cases {
        assert_eq!(
            errors.first().map(String::as_str),
            Some(*expected),
            "{errors:?}"
        );
    }
    // The successor must outlive what it replaces.
    let files = vec![
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: GATEWAY.into(),
        },
        SourceFile {
            path: "routes/v1/users.toml".into(),
            text: v1_route.into(),
        },
        SourceFile {
            path: "routes/v1/version.toml".into(),
            text: "sunset = \"2027-01-01T00:00:00Z\"\nsuccessor = \"v2\"".into(),
        },
        SourceFile {
            path: "routes/v2/users.toml".into(),
            text: v1_route.replace("id = \"r\"", "id = \"r2\""),
        },
        SourceFile {
            path: "routes/v2/version.toml".into(),
            text: "sunset = \"2026-12-01T00:00:00Z\"".into(),
        },
    ];
    assert_eq!(
        check(&files).err().unwrap_or_default(),
        ["routes/v1/version.toml: successor: \"v2\" is sunset at or before v1 (Tue, 01 Dec 2026 00:00:00 GMT)"]
    );
}

#[test]
fn a_successor_link_is_kept_only_when_the_same_path_exists_there() {
    let route = |id: &str, path: &str| {
        format!("[[route]]\nid = \"{id}\"\nmethods = [\"GET\"]\npath = \"{path}\"\nupstream = \"users\"\n")
    };
    let files = vec![
        SourceFile {
            path: "routes/gateway.toml".into(),
            text: GATEWAY.into(),
        },
        SourceFile {
            path: "routes/v1/users.toml".into(),
            text: format!("{}{}", route("a", "/same"), route("b", "/only-v1")),
        },
        SourceFile {
            path: "routes/v1/version.toml".into(),
            text: "deprecated = \"2026-06-01T00:00:00Z\"\nsuccessor = \"v2\"".into(),
        },
        SourceFile {
            path: "routes/v2/users.toml".into(),
            text: route("c", "/same"),
        },
    ];
    let c = check(&files).unwrap();
    let by_id = |id: &str| c.routes.iter().find(|r| r.id == id).unwrap();
    assert_eq!(by_id("a").lifecycle.successor.as_deref(), Some("v2"));
    assert_eq!(by_id("b").lifecycle.successor, None);
    assert_eq!(by_id("a").lifecycle.deprecated_s, Some(1_780_272_000));
    assert_eq!(c.versions, ["v1", "v2"]);
}

#[test]
fn broken_transform_policies_fail_with_the_policy_and_rule() {
    let p = |body: &str| {
        format!(
            "[upstreams.users]\nurl = \"http://x\"\n[policies.t]\nkind = \"transform\"\n{body}\n"
        )
    };
    let t = "routes/gateway.toml: policy \"t\": ";
    let cases: Vec<(String, String)> = vec![
        (p("response.body = { remove = [\"name\"] }"), format!("{t}response.body: pointer \"name\" must be empty or start with /")),
        (p("response.body = { remove = [\"/a~2\"] }"), format!("{t}response.body: pointer \"/a~2\": ~ must be followed by 0 or 1")),
        (p("response.body = { allow = [\"\"] }"), format!("{t}response.body: \"\" (the whole body) cannot be edited")),
        (p("request.body = { mask = { \"/card\" = 4 } }"), format!("{t}request.body: mask and allow apply to responses only")),
        (p("request.query = { remove = [\"a=b\"] }"), format!("{t}request.query: \"a=b\" is not a parameter name (visible ASCII without & = #)")),
        (p("request.query = { set = { v = \"1 2\" } }"), format!("{t}request.query.set.v: the value is sent as written: visible ASCII without & or #, percent-encode the rest")),
        (p("max_body = \"2TiB\""), format!("{t}max_body \"2TiB\": use bytes, KiB, MiB or GiB, e.g. \"1MiB\"")),
        (p("max_body = \"17MiB\""), format!("{t}max_body \"17MiB\": must be 1 byte to 16MiB")),
        (p("response.headers = {}"), format!("{t}unknown field `headers`, expected `body`")),
    ];
    for (gateway, expected) in &cases {
        assert_eq!(
            errors_for(gateway, GOOD_ROUTE).first(),
            Some(expected),
            "for gateway.toml:\n{gateway}"
        );
    }
    // A response transform before a cache policy would be skipped on hits.
    let gateway = p(
        "response.body = { remove = [\"/secret\"] }\n[policies.c]\nkind = \"cache\"\nttl = \"60s\"",
    );
    let route = |policies: &str| {
        format!("[[route]]\nid = \"r\"\nmethods = [\"GET\"]\npath = \"/r\"\nupstream = \"users\"\npolicies = {policies}\n")
    };
    assert_eq!(
        errors_for(&gateway, &route("[\"t\", \"c\"]")),
        vec!["routes/v1/users.toml: route \"r\": policy \"t\" (transform) edits the response body, so it must come after policy \"c\" (cache): entries then hold the edited body".to_string()]
    );
    assert!(errors_for(&gateway, &route("[\"c\", \"t\"]")).is_empty());
}

#[test]
fn request_limits_merge_the_routes_keys_over_the_gateways_and_fail_clearly() {
    let gateway =
        format!("[gateway]\nlimits = {{ max_body = \"1MiB\", max_headers = 100 }}\n{GATEWAY}");
    let routes = "[[route]]\nid = \"r\"\nmethods = [\"POST\"]\npath = \"/r\"\nupstream = \"users\"\nlimits = { max_body = \"64KiB\", content_types = [\"Application/JSON\"] }\n";
    let c = check(&files(&gateway, routes)).unwrap();
    let l = &c.routes[0].limits;
    assert_eq!(l.max_body, Some(64 * 1024));
    assert_eq!(
        l.max_headers,
        Some(100),
        "the gateway's where the route sets none"
    );
    assert_eq!(
        l.content_types.as_deref(),
        Some(&["application/json".to_string()][..])
    );
    let bad = |limits: &str| {
        errors_for(GATEWAY, &format!("[[route]]\nid = \"r\"\nmethods = [\"POST\"]\npath = \"/r\"\nupstream = \"users\"\nlimits = {limits}\n"))
    };
    let r = "routes/v1/users.toml: route \"r\": ";
    assert_eq!(
        bad("{ max_body = \"2GiB\" }"),
        vec![format!(
            "{r}limits.max_body \"2GiB\": must be 1 byte to 1024MiB"
        )]
    );
    assert_eq!(
        bad("{ max_headers = 0 }"),
        vec![format!("{r}limits.max_headers must be 1 to 1000")]
    );
    assert_eq!(bad("{ content_types = [\"json\"] }"), vec![format!("{r}limits.content_types: \"json\" is not a media type (type/subtype or type/*, no parameters)")]);
    assert_eq!(
        bad("{ content_types = [] }"),
        vec![format!(
            "{r}limits.content_types: list at least one media type"
        )]
    );
    assert_eq!(
        errors_for(&format!("[gateway]\nlimits = {{ max_body = \"1XB\" }}\n{GATEWAY}"), GOOD_ROUTE),
        vec!["routes/gateway.toml: gateway.limits.max_body \"1XB\": use bytes, KiB, MiB or GiB, e.g. \"1MiB\"".to_string()]
    );
}

#[test]
fn fan_out_routes_fail_with_the_part_and_rule() {
    let route = |extra: &str| {
        format!("[[route]]\nid = \"d\"\nmethods = [\"GET\"]\npath = \"/d/{{id}}\"\n{extra}\n")
    };
    let r = "routes/v1/users.toml: route \"d\": ";
    let part = |p: &str| format!("fan_out = [{p}]");
    let cases: Vec<(String, String)> = vec![
        (route(&part("{ name = \"u\", upstream = \"users\", path = \"/users/{user}\" }")), format!("{r}fan_out part \"u\": {{user}} is not a parameter of the route's path")),
        (route(&format!("upstream = \"users\"\n{}", part("{ name = \"u\", upstream = \"users\", path = \"/u\" }"))), format!("{r}set upstream or fan_out, not both")),
        (route(""), format!("{r}missing key `upstream` (or fan_out parts)")),
        (route(&part("{ name = \"u\", upstream = \"nope\", path = \"/u\" }")), format!("{r}fan_out part \"u\": upstream \"nope\" is not defined in routes/gateway.toml [upstreams]")),
        (route(&part("{ name = \"u\", upstream = \"users\", path = \"/u\", merge = \"shallow\" }")), format!("{r}fan_out part \"u\": merge \"shallow\": use \"nest\" (default) or \"deep\"")),
        (route(&part("{ name = \"u\", upstream = \"users\", path = \"/u\" }, { name = \"u\", upstream = \"users\", path = \"/v\" }")), format!("{r}fan_out part \"u\": the name is used twice")),
        (route(&part("{ name = \"u\", upstream = \"users\", path = \"/u/{header.x}\" }")), format!("{r}fan_out part \"u\": path \"/u/{{header.x}}\": {{header.x}} is not a {{param}}, {{query.<name>}}, {{claim.<name>}} or {{consumer.id}}")),
        (route(&format!("on_partial = \"maybe\"\n{}", part("{ name = \"u\", upstream = \"users\", path = \"/u\" }"))), format!("{r}on_partial \"maybe\": use \"omit\" or \"fail\"")),
        (route("upstream = \"users\"\non_partial = \"fail\""), format!("{r}on_partial is only used with fan_out")),
        (route(&part("{ name = \"u\", upstream = \"users\", path = \"/u\", allow = [\"a\"], deny = [\"b\"] }")), format!("{r}fan_out part \"u\": set allow or deny, not both")),
        (route(&part(&(0..17).map(|i| format!("{{ name = \"p{i}\", upstream = \"users\", path = \"/p\" }}")).collect::<Vec<_>>().join(", "))), format!("{r}fan_out: at most 16 parts")),
        (route(&part("{ name = \"u\", upstream = \"users\", path = \"/u\", credentials = [\"x y\"] }")), format!("{r}fan_out part \"u\": credentials: \"x y\" is not a header name")),
        // Cached: what a part's template takes must be part of the key (issue 23 review).
        (route(&format!("policies = [{{ kind = \"cache\", ttl = \"60s\", query = {{ allow = [\"page\"] }} }}]\n{}", part("{ name = \"u\", upstream = \"users\", path = \"/u?s={query.status}\" }"))), format!("{r}fan_out part \"u\" uses {{query.status}}, which the key of policy \"d#1\" (cache) leaves out: one entry would answer for every value")),
        (route(&format!("policies = [{{ kind = \"api_key\", header = \"x-api-key\", store = \"API_KEYS\" }}, {{ kind = \"cache\", ttl = \"60s\", shared = true }}]\n{}", part("{ name = \"u\", upstream = \"users\", path = \"/u/{consumer.id}\" }"))), format!("{r}fan_out part \"u\" uses {{consumer.id}}, but policy \"d#2\" (cache) is shared: one consumer's answer would be served to every other")),
    ];
    for (routes, expected) in &cases {
        assert_eq!(
            errors_for(GATEWAY, routes).first(),
            Some(expected),
            "{routes}"
        );
    }
    let post = "[[route]]\nid = \"d\"\nmethods = [\"POST\"]\npath = \"/d\"\nfan_out = [{ name = \"u\", upstream = \"users\", path = \"/u\" }]\n";
    assert_eq!(
        errors_for(GATEWAY, post),
        vec![format!("{r}a fan_out route serves GET (and HEAD) only")]
    );
    let ok = route(&part("{ name = \"u\", upstream = \"users\", path = \"/users/{id}?org={claim.org}\", required = false, timeout = \"300ms\", target = \"/data\", group = \"g\" }"));
    assert_eq!(errors_for(GATEWAY, &ok), Vec::<String>::new());
}

#[test]
fn schema_and_docs_keys_fail_with_the_route_and_rule() {
    let with_schema = |routes: &str, gateway_extra: &str| -> Vec<String> {
        let mut f = files(&format!("{GATEWAY}{gateway_extra}"), routes);
        f.push(SourceFile {
            path: "routes/schemas/thing.json".into(),
            text: r#"{"type": "object", "required": ["a"]}"#.into(),
        });
        match check(&f) {
            Ok(_) => vec![],
            Err(e) => e,
        }
    };
    let route = |extra: &str, methods: &str| {
        format!("[[route]]\nid = \"r\"\nmethods = {methods}\npath = \"/r\"\nupstream = \"users\"\n{extra}\n")
    };
    assert!(with_schema(
        &route("body_schema = \"schemas/thing.json\"", "[\"POST\"]"),
        ""
    )
    .is_empty());
    assert!(with_schema(
        &route(
            "query_schema = \"schemas/thing.json\"\nsummary = \"s\"\ntags = [\"t\"]",
            "[\"GET\"]"
        ),
        ""
    )
    .is_empty());
    for (r, gateway_extra, expected) in [
        (route("body_schema = \"schemas/nope.json\"", "[\"POST\"]"), "", "routes/v1/users.toml: route \"r\": body_schema \"schemas/nope.json\": no such schema file (routes/schemas/<name>.json)"),
        (route("body_schema = \"schemas/thing.json\"", "[\"GET\"]"), "", "routes/v1/users.toml: route \"r\": body_schema needs a method with a body (POST, PUT or PATCH)"),
        (route("tags = [\" \"]", "[\"GET\"]"), "", "routes/v1/users.toml: route \"r\": tags: a tag cannot be empty"),
        (route("", "[\"GET\"]"), "\n[gateway]\ndocs = { portal = \"/__gatehouse/docs\" }\n", "routes/gateway.toml: gateway.docs.portal: a path like \"/docs\" (not under /__gatehouse/) or false, not \"/__gatehouse/docs\""),
    ] {
        assert_eq!(with_schema(&r, gateway_extra).first().map(String::as_str), Some(expected), "{r}");
    }
    let mut stray = files(GATEWAY, GOOD_ROUTE);
    stray.push(SourceFile {
        path: "routes/schemas/readme.txt".into(),
        text: "x".into(),
    });
    assert_eq!(
        check(&stray).err().and_then(|e| e.into_iter().next()).as_deref(),
        Some("routes/schemas/readme.txt: unexpected file: routes/schemas/ holds <name>.json JSON Schema files only")
    );
}

/// Issue 23 item 17: a schema that reaches itself through allOf/anyOf/oneOf/not/$ref alone
/// would recurse without end on every request; the build refuses it and names the cycle.
#[test]
fn a_schema_cycle_that_consumes_no_input_fails_the_build_with_the_cycle() {
    let with_schema = |schema: &str| -> Vec<String> {
        let mut f = files(GATEWAY, GOOD_ROUTE);
        f.push(SourceFile {
            path: "routes/schemas/loop.json".into(),
            text: schema.into(),
        });
        match check(&f) {
            Ok(_) => vec![],
            Err(e) => e,
        }
    };
    let rule = "the schema reaches itself through allOf, anyOf, oneOf, not or $ref alone";
    let tail = "so checking a value would never end; recursion must pass through properties, additionalProperties, items or prefixItems";
    for (schema, at, cycle) in [
        (r##"{"allOf": [{"$ref": "#"}]}"##, "/", "/ -> /allOf/0 -> /"),
        (r##"{"$ref": "#"}"##, "/", "/ -> /"),
        (
            r##"{"oneOf": [{"type": "null"}, {"not": {"$ref": "#"}}]}"##,
            "/",
            "/ -> /oneOf/1 -> /oneOf/1/not -> /",
        ),
        (
            r##"{"properties": {"x": {"$ref": "#/$defs/a"}},
                "$defs": {"a": {"anyOf": [{"type": "string"}, {"$ref": "#/$defs/b"}]},
                          "b": {"allOf": [{"minLength": 1}, {"$ref": "#/$defs/a"}]}}}"##,
            "/$defs/a",
            "/$defs/a -> /$defs/a/anyOf/1 -> /$defs/b -> /$defs/b/allOf/1 -> /$defs/a",
        ),
    ] {
        assert_eq!(
            with_schema(schema),
            vec![format!(
                "routes/schemas/loop.json: at {at}: {rule} ({cycle}), {tail}"
            )],
            "{schema}"
        );
    }
    // Recursion that descends into a member or an item consumes input: it ends.
    for schema in [
        r##"{"type": "object", "properties": {"child": {"$ref": "#"}}}"##,
        r##"{"oneOf": [{"type": "null"}, {"type": "array", "items": {"$ref": "#"}}]}"##,
        r##"{"anyOf": [{"type": "string"}, {"additionalProperties": {"$ref": "#/$defs/t"}}], "$defs": {"t": {"allOf": [{"$ref": "#"}]}}}"##,
        r##"{"not": {"prefixItems": [{"$ref": "#"}]}}"##,
        r##"{"$defs": {"a": {"type": "string"}}, "allOf": [{"$ref": "#/$defs/a"}, {"$ref": "#/$defs/a"}]}"##,
    ] {
        assert_eq!(with_schema(schema), Vec::<String>::new(), "{schema}");
    }
}

#[test]
fn log_and_analytics_keys_fail_with_the_rule() {
    let gateway = |extra: &str| format!("{GATEWAY}\n[gateway]\n{extra}\n");
    let route = |extra: &str| format!("{GOOD_ROUTE}{extra}\n");
    assert!(errors_for(
        &gateway("log = \"errors\"\nanalytics = \"ANALYTICS\""),
        &route("log = { sample = 0.25 }")
    )
    .is_empty());
    for (g, r, expected) in [
        (gateway("log = \"some\""), route(""), "routes/gateway.toml: gateway.log: \"all\", \"errors\" or { sample = 0.1 }, not \"some\""),
        (gateway("log = { sample = 1.5 }"), route(""), "routes/gateway.toml: gateway.log: sample: a share of requests above 0 and at most 1, e.g. { sample = 0.1 }"),
        (gateway("analytics = \"my-dataset\""), route(""), "routes/gateway.toml: gateway.analytics: \"my-dataset\" is not a binding name (A-Z, a-z, 0-9, _)"),
        (GATEWAY.to_string(), route("log = { sample = 0.0 }"), "routes/v1/users.toml: route \"get-user\": log: sample: a share of requests above 0 and at most 1, e.g. { sample = 0.1 }"),
    ] {
        assert_eq!(errors_for(&g, &r).first().map(String::as_str), Some(expected), "{g}\n{r}");
    }
}

#[test]
fn gc_pace_slots_defaults_to_4096_accepts_0_to_the_maximum_and_fails_with_the_rule() {
    use checker::table::gc_pace;
    let gateway = |extra: &str| format!("{GATEWAY}\n[gateway]\n{extra}\n");
    let slots = |g: &str| {
        let checked = check(&files(g, GOOD_ROUTE)).expect("a valid config");
        // The compiled table carries the checked value.
        assert_eq!(
            checker::emit::table(&checked).gc_pace_slots,
            checked.gc_pace_slots
        );
        checked.gc_pace_slots
    };
    assert_eq!(gc_pace::DEFAULT, 4096);
    assert_eq!(
        slots(GATEWAY),
        gc_pace::DEFAULT,
        "absent: the measured default"
    );
    assert_eq!(slots(&gateway("log = \"all\"")), gc_pace::DEFAULT);
    assert_eq!(
        slots(&gateway("gc_pace_slots = 0")),
        0,
        "0 turns pacing off"
    );
    assert_eq!(slots(&gateway("gc_pace_slots = 16384")), 16384);
    assert_eq!(slots(&gateway("gc_pace_slots = 1048576")), gc_pace::MAX);
    let rule = "routes/gateway.toml: gateway.gc_pace_slots: a whole number of slots from 0 (off) to 1048576, not";
    for (value, shown) in [
        ("1048577", "1048577"),
        ("-1", "-1"),
        ("4294967296", "4294967296"),
        ("\"4096\"", "\"4096\""),
        ("4096.0", "4096.0"),
        ("true", "true"),
        ("{ slots = 4096 }", "{ slots = 4096 }"),
    ] {
        assert_eq!(
            errors_for(&gateway(&format!("gc_pace_slots = {value}")), GOOD_ROUTE),
            vec![format!("{rule} {shown}")],
            "{value}"
        );
    }
}

#[test]
fn routes_at_paths_the_gateway_answers_itself_fail() {
    let route = |path: &str| {
        format!(
            "[[route]]\nid = \"r\"\nmethods = [\"GET\"]\npath = \"{path}\"\nupstream = \"users\"\n"
        )
    };
    let rule = "is answered by the gateway itself (OpenAPI documents, the portal or the admin API)";
    assert_eq!(
        errors_for(GATEWAY, &route("/openapi.json")),
        vec![format!(
            "routes/v1/users.toml: route \"r\": path \"/v1/openapi.json\" {rule}"
        )]
    );
    // Unversioned routes live in gateway.toml.
    for path in [
        "/docs",
        "/docs/{*rest}",
        "/__gatehouse/keys",
        "/openapi.json",
    ] {
        let gateway = format!("{GATEWAY}\n{}", route(path));
        assert_eq!(
            errors_for(&gateway, GOOD_ROUTE),
            vec![format!(
                "routes/gateway.toml: route \"r\": path \"{path}\" {rule}"
            )],
            "{path}"
        );
    }
    for path in ["/documents", "/v1x/openapi.json"] {
        let gateway = format!("{GATEWAY}\n{}", route(path));
        assert!(errors_for(&gateway, GOOD_ROUTE).is_empty(), "{path}");
    }
    // With the portal moved, /docs is an ordinary path again.
    let moved = format!(
        "{GATEWAY}\n[gateway]\ndocs = {{ portal = \"/developers\" }}\n{}",
        route("/docs")
    );
    assert!(errors_for(&moved, GOOD_ROUTE).is_empty());
}

const CATALOG_PROTO: &str = r#"
syntax = "proto3";
package shop.v1;
service Items {
  rpc Get(GetRequest) returns (Item);
  rpc Watch(GetRequest) returns (stream Item);
  rpc Upload(stream Item) returns (Item);
}
message GetRequest { string id = 1; repeated string tags = 2; }
message Item { string id = 1; }
"#;

#[test]
fn a_path_parameter_sets_one_plain_field() {
    let p = gatehouse_config::protos::compile(&[(
        "routes/protos/items.proto".into(),
        CATALOG_PROTO.into(),
    )])
    .unwrap();
    let input = p.message("shop.v1.GetRequest").unwrap();
    assert_eq!(checker::grpc::field_path(&p, input, "id"), Ok(()));
    assert_eq!(
        checker::grpc::field_path(&p, input, "tags"),
        Err("\"tags\" is a repeated field".into())
    );
}

fn grpc_errors(route_grpc: &str, proto: (&str, &str)) -> Vec<String> {
    let mut f = files(
        GATEWAY,
        &format!(
            "[[route]]\nid = \"g\"\nmethods = [\"GET\"]\npath = \"/items/{{id}}\"\nupstream = \"users\"\n{route_grpc}\n"
        ),
    );
    f.push(SourceFile {
        path: proto.0.into(),
        text: proto.1.into(),
    });
    match check(&f) {
        Ok(_) => vec![],
        Err(e) => e,
    }
}

#[test]
fn grpc_routes_name_a_unary_method_of_the_protos_and_nothing_that_conflicts() {
    let proto = ("routes/protos/items.proto", CATALOG_PROTO);
    let ok = r#"grpc = { service = "shop.v1.Items", method = "Get", protocol = "connect" }"#;
    assert_eq!(grpc_errors(ok, proto), Vec::<String>::new());
    let route = "routes/v1/users.toml: route \"g\"";
    let cases = [
        (
            r#"grpc = { service = "shop.v1.Nope", method = "Get" }"#,
            format!("{route}: grpc.service \"shop.v1.Nope\" is not defined in routes/protos/"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Put" }"#,
            format!("{route}: grpc.method \"Put\" is not a method of shop.v1.Items"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Upload" }"#,
            format!("{route}: grpc.method \"Upload\" takes a stream; only unary and server-streaming methods can be called"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Get", trailers = ["grpc-status"] }"#,
            format!("{route}: grpc.trailers: \"grpc-status\" belongs to the protocol"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Get", trailers = ["Set-Cookie"] }"#,
            format!("{route}: grpc.trailers: \"Set-Cookie\" cannot come from a trailer (it describes the body, cookies, CORS, caching or the connection)"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Watch", trailers = ["x-total"] }"#,
            format!("{route}: grpc.trailers: a stream's trailers come after its answer has started; they cannot become headers"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Get", trailers = ["a b"] }"#,
            format!("{route}: grpc.trailers: \"a b\" is not a header name"),
        ),
        (
            r#"grpc = { service = "shop.v1.Items", method = "Get", protocol = "grpc" }"#,
            format!("{route}: grpc.protocol \"grpc\" must be \"grpc-web\" or \"connect\""),
        ),
        (
            "grpc = { service = \"shop.v1.Items\", method = \"Get\" }\nrewrite = \"/x\"",
            format!("{route}: grpc cannot be used with rewrite"),
        ),
    ];
    for (grpc, expected) in cases {
        assert_eq!(grpc_errors(grpc, proto), vec![expected], "{grpc}");
    }
}

#[test]
fn a_broken_proto_or_a_stray_file_in_protos_fails_the_build_naming_it() {
    let broken = (
        "routes/protos/items.proto",
        "syntax = \"proto3\";\nmessage {\n",
    );
    let errors = grpc_errors("", broken);
    assert_eq!(errors.len(), 1, "{errors:?}");
    assert!(
        errors[0].starts_with("routes/protos/items.proto:2:9: "),
        "{}",
        errors[0]
    );
    let stray = grpc_errors("", ("routes/protos/notes.txt", "hello"));
    assert_eq!(
        stray,
        vec!["routes/protos/notes.txt: unexpected file: routes/protos/ holds .proto files only"]
    );
}

#[test]
fn a_grpc_routes_path_parameters_must_name_fields_of_the_request_message() {
    let mut f = files(
        GATEWAY,
        "[[route]]\nid = \"g\"\nmethods = [\"GET\"]\npath = \"/items/{sku}\"\nupstream = \"users\"\ngrpc = { service = \"shop.v1.Items\", method = \"Get\" }\n",
    );
    f.push(SourceFile {
        path: "routes/protos/items.proto".into(),
        text: CATALOG_PROTO.into(),
    });
    assert_eq!(
        check(&f).unwrap_err(),
        vec!["routes/v1/users.toml: route \"g\": path parameter {sku}: \"sku\" is not a field of shop.v1.GetRequest"]
    );
}

fn graphql_errors(policy: &str, route_policies: &str, documents: &[(&str, &str)]) -> Vec<String> {
    let gateway = format!("{GATEWAY}\n[policies.gql]\nkind = \"graphql\"\n{policy}\n");
    let route = format!(
        "[[route]]\nid = \"q\"\nmethods = [\"GET\", \"POST\"]\npath = \"/graphql\"\nupstream = \"users\"\npolicies = {route_policies}\n"
    );
    let mut f = files(&gateway, &route);
    f.extend(documents.iter().map(|(path, text)| SourceFile {
        path: (*path).into(),
        text: (*text).into(),
    }));
    match check(&f) {
        Ok(_) => vec![],
        Err(e) => e,
    }
}

#[test]
fn graphql_policies_and_their_documents_fail_with_the_file_and_rule() {
    let book = (
        "routes/graphql/shop/book.graphql",
        "query Book { book { id } }\n",
    );
    assert_eq!(
        graphql_errors("allowlist = \"shop\"", "[\"gql\"]", &[book]),
        Vec::<String>::new()
    );
    let policy = "routes/gateway.toml: policy \"gql\"";
    type Case<'a> = (&'a str, &'a str, Vec<(&'a str, &'a str)>, String);
    let cases: Vec<Case> = vec![
        ("max_depht = 3", "[\"gql\"]", vec![], format!("{policy}: unknown field `max_depht`, expected one of `max_depth`, `max_aliases`, `max_root_fields`, `max_tokens`, `max_cost`, `list_arguments`, `default_list_size`, `introspection`, `max_batch`, `allowlist`")),
        ("max_depth = 0", "[\"gql\"]", vec![], format!("{policy}: max_depth: must be at least 1")),
        ("list_arguments = [\"first-n\"]", "[\"gql\"]", vec![], format!("{policy}: list_arguments: \"first-n\" is not a GraphQL name ([_A-Za-z][_0-9A-Za-z]*)")),
        ("allowlist = \"nope\"", "[\"gql\"]", vec![book], format!("{policy}: allowlist \"nope\": no .graphql files in routes/graphql/nope/")),
        ("", "[\"gql\"]", vec![("routes/graphql/shop/bad.graphql", "query Book {\n  book { id \n")], "routes/graphql/shop/bad.graphql:3:1: expected R_CURLY, got EOF".into()),
        ("", "[\"gql\"]", vec![("routes/graphql/shop/types.graphql", "type Book { id: ID }")], "routes/graphql/shop/types.graphql: ObjectTypeDefinition is not an operation or a fragment".into()),
        ("", "[\"gql\"]", vec![("routes/graphql/shop/notes.txt", "hi")], "routes/graphql/shop/notes.txt: unexpected file: routes/graphql/ holds .graphql files only".into()),
        ("", "[{ kind = \"cache\", ttl = \"1m\" }, \"gql\"]", vec![], "routes/v1/users.toml: route \"q\": policy \"gql\" (graphql) must come before policy \"q#1\" (cache): a hit answers without running the policies after the cache".into()),
        ("", "[\"gql\", { kind = \"transform\", request.query = { set = { \"query\" = \"%7Bx%7D\" } } }]", vec![], "routes/v1/users.toml: route \"q\": policy \"q#2\" (transform) edits the request after policy \"gql\" (graphql): put it before, so the operation checked is the one sent".into()),
        ("", "[\"gql\", { kind = \"cache\", ttl = \"1m\", query = { allow = [\"query\"] } }]", vec![], "routes/v1/users.toml: route \"q\": policy \"q#2\" (cache) leaves operationName, variables, extensions out of its key, so the origin would not get it: keep the GraphQL parameters in `query`".into()),
        ("", "[{ kind = \"rate_limit\", key = \"operation\", limits = [{ name = \"a\", limit = 1, window = \"1s\" }] }, \"gql\"]", vec![], "routes/v1/users.toml: route \"q\": policy \"q#1\" (rate_limit keyed by operation) needs a graphql policy before it".into()),
    ];
    for (policy_body, policies, docs, expected) in &cases {
        let errors = graphql_errors(policy_body, policies, docs);
        assert!(errors.contains(expected), "{expected}\nnot in {errors:?}");
    }
}

fn graphql_route_errors(methods: &str, path: &str, extra: &str, doc: &str) -> Vec<String> {
    let route = format!(
        "[[route]]\nid = \"r\"\nmethods = {methods}\npath = \"{path}\"\nupstream = \"users\"\n{extra}\n"
    );
    let mut f = files(GATEWAY, &route);
    f.push(SourceFile {
        path: "routes/graphql/lib/op.graphql".into(),
        text: doc.into(),
    });
    match check(&f) {
        Ok(_) => vec![],
        Err(e) => e,
    }
}

#[test]
fn graphql_routes_bind_one_stored_operation_whose_variables_the_path_names() {
    let query = "query Book($id: ID!, $viewer: ID) { book(id: $id) { id } }";
    let key = "graphql = { operation = \"lib/op.graphql\" }";
    assert_eq!(
        graphql_route_errors("[\"GET\"]", "/books/{id}", key, query),
        Vec::<String>::new()
    );
    let route = "routes/v1/users.toml: route \"r\"";
    let cases = [
        ("[\"GET\"]", "/books/{id}", "graphql = { operation = \"lib/nope.graphql\" }", query, format!("{route}: graphql.operation \"lib/nope.graphql\": no such file routes/graphql/lib/nope.graphql")),
        ("[\"GET\"]", "/books/{id}", key, "query A { a } query B { b }", format!("{route}: graphql.operation \"lib/op.graphql\": the file must hold exactly one operation (it has 2)")),
        ("[\"GET\"]", "/books/{id}", key, "subscription S { a }", format!("{route}: graphql.operation \"lib/op.graphql\" is a subscription; only queries and mutations can be bound")),
        ("[\"GET\"]", "/books/{isbn}", key, query, format!("{route}: path parameter {{isbn}} is not a variable of the operation")),
        ("[\"GET\"]", "/books/{id}", "graphql = { operation = \"lib/op.graphql\", claims = { owner = \"sub\" } }", query, format!("{route}: graphql.claims: \"owner\" is not a variable of the operation")),
        ("[\"GET\"]", "/books/{id}", "graphql = { operation = \"lib/op.graphql\", claims = { viewer = \"sub\" } }", query, format!("{route}: graphql.claims needs an authentication policy (jwt, api_key, mtls or any) on the route")),
        ("[\"PUT\"]", "/books/{id}", key, "mutation M($id: ID!) { a(id: $id) }", format!("{route}: graphql.operation is a mutation: serve it with POST or PATCH only (other methods may be cached or retried)")),
        ("[\"GET\"]", "/books/{id}", "policies = [{ kind = \"api_key\", header = \"x-api-key\", store = \"API_KEYS\" }, { kind = \"cache\", ttl = \"1m\", shared = true }]\ngraphql = { operation = \"lib/op.graphql\", claims = { viewer = \"sub\" } }", query, format!("{route}: graphql.claims makes each caller's answer their own: a cache on the route cannot be shared")),
        ("[\"GET\"]", "/books/{id}", "graphql = { operation = \"lib/op.graphql\", operatoin = \"x\" }", query, format!("{route}: unknown field `operatoin`, expected `operation` or `claims` in `graphql`")),
    ];
    for (methods, path, extra, doc, expected) in &cases {
        let errors = graphql_route_errors(methods, path, extra, doc);
        assert!(errors.contains(expected), "{expected}\nnot in {errors:?}");
    }
}

const ANNOTATED_PROTO: &str = r#"
syntax = "proto3";
package shop.v1;
import "google/api/annotations.proto";
service Items {
  rpc Get(GetRequest) returns (Item) {
    option (google.api.http) = { get: "/items/{id}" additional_bindings { get: "/items/by/{id=**}" } };
  }
  rpc Put(PutRequest) returns (Item) {
    option (google.api.http) = { put: "/things/{item.id}" body: "item" response_body: "id" };
  }
  rpc Plain(GetRequest) returns (Item);
}
message GetRequest { string id = 1; }
message PutRequest { Item item = 1; }
message Item { string id = 1; string name = 2; }
"#;

fn grpc_routes_errors(routes: &str, proto: &str) -> Result<Vec<String>, Vec<String>> {
    let mut f = files(GATEWAY, routes);
    f.push(SourceFile {
        path: "routes/protos/items.proto".into(),
        text: proto.into(),
    });
    check(&f).map(|c| {
        let mut ids: Vec<String> = c
            .routes
            .iter()
            .map(|r| format!("{} {} {}", r.id, r.methods.join(","), r.path))
            .collect();
        ids.sort();
        ids
    })
}

#[test]
fn grpc_routes_are_made_from_google_api_http_options() {
    let routes = "[[grpc_routes]]\nservice = \"shop.v1.Items\"\nupstream = \"users\"\n";
    assert_eq!(
        grpc_routes_errors(routes, ANNOTATED_PROTO).unwrap(),
        [
            "items-get GET,HEAD /v1/items/{id}",
            "items-get-2 GET,HEAD /v1/items/by/{*id}",
            "items-put PUT /v1/things/{item.id}",
        ]
    );
}

#[test]
fn grpc_routes_that_cannot_be_made_fail_with_the_method_and_rule() {
    let routes = "[[grpc_routes]]\nservice = \"shop.v1.Items\"\nupstream = \"users\"\n";
    let file = "routes/v1/users.toml";
    let with = |rule: &str| {
        ANNOTATED_PROTO.replace(
            "get: \"/items/{id}\" additional_bindings { get: \"/items/by/{id=**}\" }",
            rule,
        )
    };
    let cases = [
        (with("get: \"/items/{id=shelves/*}\""), format!("{file}: grpc_routes: shop.v1.Items.Get (GET /items/{{id=shelves/*}}): the variable {{id=shelves/*}} is not supported (use {{field}}, or {{field=**}} at the end)")),
        (with("get: \"/items/{id}:archive\""), format!("{file}: grpc_routes: shop.v1.Items.Get (GET /items/{{id}}:archive): the segment \"{{id}}:archive\" is not supported (wildcards, and custom verbs after ':')")),
        (with("custom { kind: \"HEAD\" path: \"/items/{id}\" }"), format!("{file}: grpc_routes: shop.v1.Items.Get (HEAD /items/{{id}}): custom method HEAD is not supported")),
        (with("get: \"/items/{sku}\""), format!("{file}: route \"items-get\": path parameter {{sku}}: \"sku\" is not a field of shop.v1.GetRequest")),
        (with("get: \"/items/{id}\" body: \"nope\""), format!("{file}: route \"items-get\": grpc.body \"nope\" is not a field of the request message")),
    ];
    for (proto, expected) in &cases {
        let errors = grpc_routes_errors(routes, proto).unwrap_err();
        assert!(errors.contains(expected), "{expected}\nnot in {errors:?}");
    }
    let unknown = "[[grpc_routes]]\nservice = \"shop.v1.Nope\"\nupstream = \"users\"\n";
    assert_eq!(
        grpc_routes_errors(unknown, ANNOTATED_PROTO).unwrap_err(),
        [format!("{file}: grpc_routes: service \"shop.v1.Nope\" has no method with a google.api.http option in routes/protos/")]
    );
    // A made route that takes a path another route has fails like any conflict.
    let clash = format!("{routes}\n[[route]]\nid = \"mine\"\nmethods = [\"GET\"]\npath = \"/items/{{id}}\"\nupstream = \"users\"\n");
    let errors = grpc_routes_errors(&clash, ANNOTATED_PROTO).unwrap_err();
    assert!(
        errors
            .iter()
            .any(|e| e.contains("items-get") && e.contains("mine")),
        "{errors:?}"
    );
}
