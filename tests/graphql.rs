//! The `graphql` policy's rules (pure): reading GraphQL-over-HTTP requests, measuring an
//! operation against the limits, persisted operations, and the shape of a refusal.

use gatehouse::error::GatewayError;
use gatehouse::graphql::analyze::{analyze, OperationType};
use gatehouse::graphql::answer::{other, refusal, GRAPHQL_RESPONSE};
use gatehouse::graphql::guard::{guard, hex_sha256};
use gatehouse::graphql::request::{from_json, from_query, rebuild_query, Params};
use gatehouse_config::kinds::graphql::{Graphql, Persisted};
use serde_json::json;

const fn policy(allowlist: Option<&'static [Persisted]>) -> Graphql {
    Graphql {
        name: "gql",
        max_depth: 5,
        max_aliases: 3,
        max_root_fields: 4,
        max_tokens: 200,
        max_cost: 100,
        list_arguments: &["first", "last", "limit"],
        default_list_size: 1,
        introspection: false,
        max_batch: 2,
        allowlist,
    }
}

static OPEN: Graphql = policy(None);

fn code(query: &str) -> Result<(), &'static str> {
    let mut ops = [Params {
        query: Some(query.into()),
        ..Params::default()
    }];
    guard(&mut ops, false, &OPEN)
        .map(|_| ())
        .map_err(|r| r.code)
}

#[test]
fn depth_counts_fields_through_fragments_and_inline_fragments() {
    let q = "query Q { a { ...F ... on T { b { c } } } } fragment F on T { d { e { f } } }";
    let a = analyze(q, None, None, &OPEN).unwrap();
    assert_eq!(a.depth, 4, "a > d > e > f");
    assert_eq!(a.name.as_deref(), Some("Q"));
    assert_eq!(a.operation, OperationType::Query);
    assert_eq!(code("{ a { b { c { d { e } } } } }"), Ok(()));
    assert_eq!(
        code("{ a { b { c { d { e { f } } } } } }"),
        Err("OPERATION_LIMIT_EXCEEDED")
    );
}

#[test]
fn aliases_and_root_fields_count_every_spread_of_a_fragment() {
    let q = "{ ...F ...F } fragment F on Q { x: a y: b }";
    let a = analyze(q, None, None, &OPEN).unwrap();
    assert_eq!((a.aliases, a.root_fields), (4, 4));
    assert_eq!(
        code(q),
        Err("OPERATION_LIMIT_EXCEEDED"),
        "4 aliases, over 3"
    );
    assert_eq!(
        code("{ a b c d e }"),
        Err("OPERATION_LIMIT_EXCEEDED"),
        "5 root fields, over 4"
    );
}

#[test]
fn cost_multiplies_by_list_sizes_from_literals_variables_and_defaults() {
    let q = "query($n: Int = 7) { books(first: 10) { title author { name } } more: books(last: $n) { title } }";
    let a = analyze(q, None, None, &OPEN).unwrap();
    assert_eq!(a.cost, (1 + 10 * 3) + (1 + 7), "the default of $n");
    let vars = json!({ "n": 2 });
    let a = analyze(q, None, Some(&vars), &OPEN).unwrap();
    assert_eq!(a.cost, 31 + 3, "the value of $n");
    assert_eq!(
        code("{ books(first: 1000) { title } }"),
        Err("OPERATION_LIMIT_EXCEEDED")
    );
    assert_eq!(
        code("{ books(first: -5) { title } }"),
        Ok(()),
        "a negative size asks for nothing"
    );
    assert_eq!(
        code("{ a(first: 99999999999999999999999) { b } }"),
        Err("OPERATION_LIMIT_EXCEEDED")
    );
}

#[test]
fn fragments_spread_exponentially_are_measured_once_each() {
    // 40 levels, each spreading the next twice: 2^40 fields if expanded naively.
    let mut q = String::from("{ ...F0 }");
    for i in 0..40 {
        q.push_str(&format!(
            " fragment F{i} on T {{ ...F{} ...F{} }}",
            i + 1,
            i + 1
        ));
    }
    q.push_str(" fragment F40 on T { a }");
    let wide = Graphql {
        max_tokens: 10_000,
        ..policy(None)
    };
    let a = analyze(&q, None, None, &wide).unwrap();
    assert_eq!(a.root_fields, 1 << 40);
    assert_eq!(a.depth, 1);
}

#[test]
fn a_fragment_that_spreads_itself_or_does_not_exist_is_invalid() {
    let cycle = "{ ...A } fragment A on T { ...B } fragment B on T { ...A }";
    assert_eq!(code(cycle), Err("GRAPHQL_VALIDATION_FAILED"));
    assert_eq!(code("{ ...Nope }"), Err("GRAPHQL_VALIDATION_FAILED"));
    assert_eq!(
        code("{ a } fragment A on T { b } fragment A on T { c }"),
        Err("GRAPHQL_VALIDATION_FAILED")
    );
}

#[test]
fn the_operation_is_chosen_by_name_or_must_be_the_only_one() {
    let q = "query A { a } mutation B { b }";
    let b = analyze(q, Some("B"), None, &OPEN).unwrap();
    assert_eq!(b.operation, OperationType::Mutation);
    assert!(
        analyze(q, None, None, &OPEN).is_err(),
        "two operations, no name"
    );
    assert!(
        analyze(q, Some("C"), None, &OPEN).is_err(),
        "no such operation"
    );
    assert!(
        analyze("type T { a: Int }", None, None, &OPEN).is_err(),
        "a schema is not executable"
    );
}

#[test]
fn a_document_that_does_not_parse_or_has_too_many_tokens_is_refused() {
    assert_eq!(code("{ a "), Err("GRAPHQL_PARSE_FAILED"));
    assert_eq!(code(""), Err("GRAPHQL_PARSE_FAILED"));
    let long = format!("{{ {} }}", "a ".repeat(300));
    assert_eq!(code(&long), Err("OPERATION_LIMIT_EXCEEDED"));
    let deep = format!("{}{}", "{ a ".repeat(5000), "}".repeat(5000));
    let wide = Graphql {
        max_tokens: 100_000,
        max_depth: 10_000,
        ..policy(None)
    };
    let mut ops = [Params {
        query: Some(deep),
        ..Params::default()
    }];
    assert!(
        guard(&mut ops, false, &wide).is_err(),
        "nesting past the parser's limit"
    );
}

#[test]
fn introspection_is_refused_unless_enabled_and_typename_is_always_allowed() {
    assert_eq!(
        code("{ __schema { types { name } } }"),
        Err("INTROSPECTION_DISABLED")
    );
    assert_eq!(
        code("{ a { __type(name: \"T\") { name } } }"),
        Err("INTROSPECTION_DISABLED")
    );
    assert_eq!(
        code("{ ...F } fragment F on Q { __schema { types { name } } }"),
        Err("INTROSPECTION_DISABLED")
    );
    assert_eq!(code("{ __typename a { __typename } }"), Ok(()));
    static ON: Graphql = Graphql {
        introspection: true,
        ..policy(None)
    };
    let mut ops = [Params {
        query: Some("{ __schema { queryType { name } } }".into()),
        ..Params::default()
    }];
    assert!(guard(&mut ops, false, &ON).is_ok());
}

#[test]
fn a_json_body_is_one_request_or_a_batch_and_each_parameter_has_its_type() {
    let (ops, batched) =
        from_json(r#"{"query":"{a}","operationName":null,"variables":{"x":1}}"#).unwrap();
    assert!(!batched);
    assert_eq!(ops[0].query.as_deref(), Some("{a}"));
    assert_eq!(ops[0].variables, Some(json!({"x": 1})));
    let (ops, batched) = from_json(r#"[{"query":"{a}"},{"query":"{b}"}]"#).unwrap();
    assert!(batched && ops.len() == 2);
    for bad in [
        "{",
        "[]",
        "7",
        r#"{"query":7}"#,
        r#"{"query":"{a}","variables":"x"}"#,
        r#"{"query":"{a}","extensions":[1]}"#,
        r#"[1]"#,
        r#"{"query":"{a}","extensions":{"persistedQuery":{"sha256Hash":"zz"}}}"#,
    ] {
        assert_eq!(from_json(bad).unwrap_err().code, "BAD_REQUEST", "{bad}");
    }
}

#[test]
fn a_body_that_another_parser_could_read_differently_is_refused() {
    let twice = r#"{"query":"{ a }","query":"{ __schema { types { name } } }"}"#;
    assert_eq!(from_json(twice).unwrap_err().code, "BAD_REQUEST");
}

#[test]
fn get_parameters_are_decoded_once_and_may_not_repeat() {
    let p = from_query("query=%7B+a+%7D&operationName=Q&variables=%7B%22n%22%3A1%7D&x=1").unwrap();
    assert_eq!(p.query.as_deref(), Some("{ a }"));
    assert_eq!(p.operation_name.as_deref(), Some("Q"));
    assert_eq!(p.variables, Some(json!({"n": 1})));
    for bad in [
        "query=%7Ba%7D&query=%7B__schema%7D",
        "query=%zz",
        "query=%FF",
        "variables=1",
        "variables=%7B",
    ] {
        assert_eq!(from_query(bad).unwrap_err().code, "BAD_REQUEST", "{bad}");
    }
}

#[test]
fn an_encoded_parameter_name_is_the_same_parameter() {
    // `quer%79` is `query` to every origin that decodes names.
    let evil = "quer%79=%7B__schema%7Btypes%7Bname%7D%7D%7D&query=%7B__typename%7D";
    assert_eq!(
        from_query(evil).unwrap_err().message,
        "query is given more than once"
    );
    let p = from_query("quer%79=%7B__schema%7Btypes%7Bname%7D%7D%7D").unwrap();
    assert_eq!(
        p.query.as_deref(),
        Some("{__schema{types{name}}}"),
        "measured under its decoded name"
    );
}

#[test]
fn a_second_question_mark_is_refused() {
    // Some origins stop the query string at a second `?`, and would not see `variables`.
    let split = "query=query%20Q(%24n%3AInt%3D1000)%7Bbooks(first%3A%24n)%7Bid%7D%7D&z=?&variables=%7B%22n%22%3A1%7D";
    assert_eq!(
        from_query(split).unwrap_err().message,
        "the query string holds a second '?'"
    );
}

#[test]
fn a_checked_get_is_sent_with_each_graphql_parameter_once_as_checked() {
    let raw = "cc=max-age%3D60&query=%7B+a+%7D&variables=%7B%22n%22%3A1%7D&x=1";
    let p = from_query(raw).unwrap();
    assert_eq!(
        rebuild_query(raw, &p),
        "cc=max-age%3D60&x=1&query=%7B%20a%20%7D&variables=%7B%22n%22%3A1%7D"
    );
    let filled = Params {
        query: Some("{ b }".into()),
        ..Params::default()
    };
    assert_eq!(
        rebuild_query("Quer%79=1&query=", &filled),
        "Quer%79=1&query=%7B%20b%20%7D",
        "names match exactly, once decoded"
    );
}

#[test]
fn only_queries_run_over_get() {
    let mut ops = [Params {
        query: Some("mutation { a }".into()),
        ..Params::default()
    }];
    let r = guard(&mut ops, true, &OPEN).unwrap_err();
    assert_eq!((r.code, r.status), ("METHOD_NOT_ALLOWED", 405));
}

#[test]
fn a_batch_is_held_to_its_size_and_every_operation_to_the_limits() {
    let op = |q: &str| Params {
        query: Some(q.into()),
        ..Params::default()
    };
    let mut three = [op("{a}"), op("{b}"), op("{c}")];
    assert_eq!(
        guard(&mut three, false, &OPEN).unwrap_err().code,
        "OPERATION_LIMIT_EXCEEDED"
    );
    let mut two = [op("query A {a}"), op("{ __schema { types { name } } }")];
    assert_eq!(
        guard(&mut two, false, &OPEN).unwrap_err().code,
        "INTROSPECTION_DISABLED"
    );
    let mut two = [op("query A {a}"), op("{b}")];
    assert_eq!(guard(&mut two, false, &OPEN).unwrap().name(), "A,");
}

#[test]
fn a_persisted_hash_without_text_is_not_found_unless_the_allowlist_holds_it() {
    let q = "query Book { book { title } }";
    let mut ops = [Params {
        persisted_hash: Some(hex_sha256(q)),
        ..Params::default()
    }];
    assert_eq!(
        guard(&mut ops, false, &OPEN).unwrap_err().code,
        "PERSISTED_QUERY_NOT_FOUND"
    );
    let mut ops = [Params {
        query: Some("{ other }".into()),
        persisted_hash: Some(hex_sha256(q)),
        ..Params::default()
    }];
    assert_eq!(
        guard(&mut ops, false, &OPEN).unwrap_err().code,
        "PERSISTED_QUERY_HASH_MISMATCH"
    );
    let mut ops = [Params {
        query: Some(q.into()),
        persisted_hash: Some(hex_sha256(q)),
        ..Params::default()
    }];
    assert!(guard(&mut ops, false, &OPEN).is_ok(), "text and its hash");
}

#[test]
fn with_an_allowlist_only_listed_operations_run_and_a_hash_is_filled_in() {
    const TEXT: &str = "query Book { book { title } }";
    let listed: &'static [Persisted] = Box::leak(Box::new([Persisted {
        sha256: Box::leak(hex_sha256(TEXT).into_boxed_str()),
        text: TEXT,
    }]));
    let p = Graphql {
        allowlist: Some(listed),
        ..policy(None)
    };
    let mut ops = [Params {
        persisted_hash: Some(hex_sha256(TEXT)),
        ..Params::default()
    }];
    let g = guard(&mut ops, false, &p).unwrap();
    assert!(g.filled);
    assert_eq!(ops[0].query.as_deref(), Some(TEXT));
    assert_eq!(g.name(), "Book");
    let mut ops = [Params {
        query: Some(format!("  {TEXT}\n")),
        ..Params::default()
    }];
    assert!(
        !guard(&mut ops, false, &p).unwrap().filled,
        "the listed text, sent whole"
    );
    let mut ops = [Params {
        query: Some("query Book { book { title author } }".into()),
        ..Params::default()
    }];
    assert_eq!(
        guard(&mut ops, false, &p).unwrap_err().code,
        "OPERATION_NOT_ALLOWED"
    );
    let mut ops = [Params {
        persisted_hash: Some(hex_sha256("{ x }")),
        ..Params::default()
    }];
    assert_eq!(
        guard(&mut ops, false, &p).unwrap_err().code,
        "PERSISTED_QUERY_NOT_FOUND"
    );
}

#[test]
fn a_refusal_of_a_document_is_400_for_graphql_response_json_and_200_for_json() {
    let mut ops = [Params {
        query: Some("{ a ".into()),
        ..Params::default()
    }];
    let e = guard(&mut ops, false, &OPEN).unwrap_err();
    let w = refusal(Some(GRAPHQL_RESPONSE), &e);
    assert_eq!((w.status, w.content_type), (400, GRAPHQL_RESPONSE));
    let body: serde_json::Value = serde_json::from_str(&w.body).unwrap();
    assert_eq!(
        body["errors"][0]["extensions"]["code"],
        "GRAPHQL_PARSE_FAILED"
    );
    assert!(body.get("data").is_none());
    for accept in [Some("application/json"), Some("*/*"), None] {
        let w = refusal(accept, &e);
        assert_eq!(
            (w.status, w.content_type),
            (200, "application/json"),
            "{accept:?}"
        );
    }
    let bad = from_json("{").unwrap_err();
    assert_eq!(
        refusal(Some("application/json"), &bad).status,
        400,
        "a bad request is 400 either way"
    );
}

#[test]
fn other_refusals_on_a_graphql_route_keep_their_status_with_the_slug_as_code() {
    let e = GatewayError::PayloadTooLarge { limit: 10 };
    let w = other(None, e.status(), e.slug(), &e.detail());
    assert_eq!(w.status, 413);
    let body: serde_json::Value = serde_json::from_str(&w.body).unwrap();
    assert_eq!(body["errors"][0]["extensions"]["code"], "PAYLOAD_TOO_LARGE");
}

mod call {
    use gatehouse::graphql::call::{read_answer, request_body, variables, Inputs, Outcome};
    use gatehouse_config::table::graphql::{GraphqlCall, Scalar, Variable};
    use serde_json::{json, Map, Value};

    static CALL: GraphqlCall = GraphqlCall {
        document: "query Q($id: ID!, $n: Int = 2, $tags: [String], $viewer: ID!) { q }",
        operation_name: Some("Q"),
        variables: &[
            Variable {
                name: "id",
                scalar: Scalar::Text,
                list: false,
                required: true,
            },
            Variable {
                name: "n",
                scalar: Scalar::Int,
                list: false,
                required: false,
            },
            Variable {
                name: "tags",
                scalar: Scalar::Text,
                list: true,
                required: false,
            },
            Variable {
                name: "viewer",
                scalar: Scalar::Text,
                list: false,
                required: true,
            },
            Variable {
                name: "ok",
                scalar: Scalar::Boolean,
                list: false,
                required: false,
            },
        ],
        claims: &[("viewer", "sub")],
        gateway_query: &["api_key"],
    };

    fn pairs(v: &[(&str, &str)]) -> Vec<(String, String)> {
        v.iter()
            .map(|(a, b)| (a.to_string(), b.to_string()))
            .collect()
    }

    fn bind(
        path: &[(&str, &str)],
        query: &[(&str, &str)],
        body: Option<Value>,
    ) -> Result<Map<String, Value>, String> {
        let claim = |name: &str| (name == "sub").then(|| json!("u-1"));
        variables(
            &CALL,
            Inputs {
                path: &pairs(path),
                query: &pairs(query),
                body: body.and_then(|b| b.as_object().cloned()),
                claim: &claim,
            },
        )
    }

    #[test]
    fn variables_come_from_the_path_the_query_the_body_and_claims_typed() {
        let v = bind(
            &[("id", "7")],
            &[
                ("n", "3"),
                ("tags", "a"),
                ("tags", "b"),
                ("ok", "true"),
                ("api_key", "k"),
            ],
            None,
        )
        .unwrap();
        assert_eq!(
            Value::Object(v),
            json!({ "id": "7", "n": 3, "tags": ["a", "b"], "ok": true, "viewer": "u-1" })
        );
        let v = bind(&[], &[], Some(json!({ "id": "8", "n": 1 }))).unwrap();
        assert_eq!(v["n"], 1);
    }

    #[test]
    fn a_value_that_is_not_a_variable_of_its_type_or_given_twice_is_refused() {
        type Case<'a> = (
            &'a [(&'a str, &'a str)],
            &'a [(&'a str, &'a str)],
            Option<Value>,
            &'a str,
        );
        let cases: [Case; 6] = [
            (
                &[("id", "7")],
                &[("n", "x")],
                None,
                "n must be a 32-bit integer",
            ),
            (
                &[("id", "7")],
                &[("n", "99999999999")],
                None,
                "n must be a 32-bit integer",
            ),
            (
                &[("id", "7")],
                &[("ok", "yes")],
                None,
                "ok must be true or false",
            ),
            (
                &[("id", "7")],
                &[("nope", "1")],
                None,
                "query parameter nope is not a variable of the operation",
            ),
            (
                &[("id", "7")],
                &[("id", "8")],
                None,
                "id is given more than once (query)",
            ),
            (&[], &[], Some(json!({ "n": 1 })), "id is required"),
        ];
        for (path, query, body, expected) in cases {
            assert_eq!(bind(path, query, body).unwrap_err(), expected);
        }
    }

    #[test]
    fn a_claim_bound_variable_cannot_be_set_by_the_client() {
        for (query, body) in [
            (vec![("viewer", "someone")], None),
            (vec![], Some(json!({ "viewer": "someone" }))),
        ] {
            let e = bind(&[("id", "7")], &query, body).unwrap_err();
            assert_eq!(e, "viewer is set by the gateway from your credential");
        }
        let none = |_: &str| None;
        let e = variables(
            &CALL,
            Inputs {
                path: &pairs(&[("id", "7")]),
                query: &[],
                body: None,
                claim: &none,
            },
        )
        .unwrap_err();
        assert_eq!(e, "your credential has no claim sub (for viewer)");
    }

    #[test]
    fn the_request_sends_the_document_the_operation_name_and_the_variables() {
        let v = bind(&[("id", "7")], &[], None).unwrap();
        let body: Value = serde_json::from_str(&request_body(&CALL, v)).unwrap();
        assert_eq!(
            body,
            json!({ "query": CALL.document, "operationName": "Q", "variables": { "id": "7", "viewer": "u-1" } })
        );
    }

    #[test]
    fn an_answer_is_its_data_its_errors_with_a_status_or_invalid() {
        assert_eq!(
            read_answer(200, br#"{"data":{"a":1}}"#),
            Outcome::Data(json!({ "a": 1 }))
        );
        let errors = br#"{"data":{"a":null},"errors":[{"message":"gone","extensions":{"code":"NOT_FOUND"}}]}"#;
        assert!(matches!(
            read_answer(200, errors),
            Outcome::Errors { status: 404, .. }
        ));
        let unknown = br#"{"errors":[{"message":"boom"}]}"#;
        assert!(matches!(
            read_answer(400, unknown),
            Outcome::Errors { status: 502, .. }
        ));
        for bad in [
            &b"<html>"[..],
            br#"{"data":null}"#,
            br#"{"errors":"x"}"#,
            br#"[1]"#,
        ] {
            assert!(
                matches!(read_answer(200, bad), Outcome::Invalid(_)),
                "{}",
                String::from_utf8_lossy(bad)
            );
        }
        assert!(
            matches!(
                read_answer(500, br#"{"data":{"a":1}}"#),
                Outcome::Invalid(_)
            ),
            "data with a failure status"
        );
    }
}
