//! Request validation: the JSON Schema validator over hand-built node tables, the query as an
//! object, and the build-time compiler's verdicts on schema files.

use gatehouse_config::json_schema;

use gatehouse::validation::{
    budget, query_object, types, validate, validate_counting, Additional, Failure, Node, Schema,
    MAX_DEPTH, MAX_FAILURES, TOO_COSTLY, TOO_DEEP,
};
use serde_json::json;

/// root: object { id: integer >= 1, name: string 1..=5, tags: [string] unique <= 2,
/// "a/b~c": const true, kind: enum }, required id and name, nothing else.
static USER: Schema = Schema {
    file: "routes/schemas/user.json",
    nodes: &[
        Node {
            types: types::OBJECT,
            properties: &[
                ("id", 1),
                ("name", 2),
                ("tags", 3),
                ("a/b~c", 5),
                ("kind", 6),
            ],
            required: &["id", "name"],
            additional: Additional::Nothing,
            ..Node::ANY
        },
        Node {
            types: types::INTEGER,
            minimum: Some(1.0),
            ..Node::ANY
        },
        Node {
            types: types::STRING,
            min_length: Some(1),
            max_length: Some(5),
            ..Node::ANY
        },
        Node {
            types: types::ARRAY,
            items: Some(4),
            unique_items: true,
            max_items: Some(2),
            ..Node::ANY
        },
        Node {
            types: types::STRING,
            ..Node::ANY
        },
        Node {
            constant: Some("true"),
            ..Node::ANY
        },
        Node {
            enumeration: Some(&["\"a\"", "\"b\""]),
            ..Node::ANY
        },
    ],
};

fn failures(schema: &Schema, v: serde_json::Value) -> Vec<(String, String)> {
    validate(schema, &v)
        .into_iter()
        .map(|Failure { pointer, message }| (pointer, message))
        .collect()
}

#[test]
fn a_valid_instance_has_no_failures() {
    assert!(failures(
        &USER,
        json!({ "id": 1, "name": "Ada", "tags": ["x"], "a/b~c": true, "kind": "a" })
    )
    .is_empty());
    assert!(
        failures(&USER, json!({ "id": 2.0, "name": "Ada" })).is_empty(),
        "2.0 is an integer"
    );
}

#[test]
fn every_failure_is_reported_with_its_json_pointer() {
    let got = failures(
        &USER,
        json!({ "id": 0, "name": "", "tags": ["x", "x", 3], "a/b~c": false, "kind": "c", "extra": 1 }),
    );
    let expected = [
        ("/id", "must be at least 1"),
        ("/name", "must be at least 1 characters long"),
        ("/tags", "must have at most 2 items"),
        ("/tags", "items must be unique"),
        ("/tags/2", "must be string"),
        ("/a~1b~0c", "must be true"),
        ("/kind", "must be one of \"a\", \"b\""),
        ("/extra", "is not an allowed property"),
    ];
    for (p, m) in expected {
        assert!(
            got.contains(&(p.to_string(), m.to_string())),
            "missing {p} {m} in {got:?}"
        );
    }
    assert_eq!(got.len(), expected.len(), "{got:?}");
}

#[test]
fn a_wrong_type_is_reported_alone_and_missing_members_at_their_pointer() {
    assert_eq!(
        failures(&USER, json!([])),
        vec![("".to_string(), "must be object".to_string())]
    );
    assert_eq!(
        failures(&USER, json!(null)),
        vec![("".to_string(), "must be object".to_string())]
    );
    assert_eq!(
        failures(&USER, json!({})),
        vec![
            ("/id".to_string(), "is required".to_string()),
            ("/name".to_string(), "is required".to_string())
        ]
    );
    assert_eq!(
        failures(&USER, json!({ "id": 1.5, "name": "x" })),
        vec![("/id".to_string(), "must be integer".to_string())]
    );
}

static COMBINED: Schema = Schema {
    file: "c.json",
    nodes: &[
        Node {
            any_of: &[1, 2],
            not: Some(3),
            ..Node::ANY
        },
        Node {
            types: types::STRING,
            ..Node::ANY
        },
        Node {
            types: types::NUMBER,
            exclusive_maximum: Some(10.0),
            multiple_of: Some(0.5),
            ..Node::ANY
        },
        Node {
            constant: Some("\"forbidden\""),
            ..Node::ANY
        },
    ],
};

#[test]
fn any_of_not_and_numeric_keywords() {
    assert!(failures(&COMBINED, json!("ok")).is_empty());
    assert!(failures(&COMBINED, json!(9.5)).is_empty());
    assert_eq!(failures(&COMBINED, json!("forbidden")).len(), 1);
    assert_eq!(failures(&COMBINED, json!(10)).len(), 1, "exclusiveMaximum");
    assert_eq!(failures(&COMBINED, json!(1.25)).len(), 1, "multipleOf");
    assert_eq!(failures(&COMBINED, json!(true)).len(), 1);
}

static MANY: Schema = Schema {
    file: "m.json",
    nodes: &[
        Node {
            types: types::ARRAY,
            items: Some(1),
            ..Node::ANY
        },
        Node {
            types: types::STRING,
            ..Node::ANY
        },
    ],
};

#[test]
fn failures_are_capped() {
    let many: Vec<u32> = (0..500).collect();
    assert_eq!(validate(&MANY, &json!(many)).len(), MAX_FAILURES);
}

static QUERY: Schema = Schema {
    file: "q.json",
    nodes: &[
        Node {
            types: types::OBJECT,
            properties: &[("limit", 1), ("exact", 2), ("q", 3)],
            ..Node::ANY
        },
        Node {
            types: types::INTEGER,
            ..Node::ANY
        },
        Node {
            types: types::BOOLEAN,
            ..Node::ANY
        },
        Node {
            types: types::STRING,
            ..Node::ANY
        },
    ],
};

#[test]
fn query_values_take_the_types_their_schema_asks_for() {
    assert_eq!(
        query_object(
            &QUERY,
            Some("limit=10&exact=true&q=a+b%21&tag=x&tag=y&flag")
        ),
        json!({ "limit": 10, "exact": true, "q": "a b!", "tag": ["x", "y"], "flag": "" })
    );
    assert_eq!(
        query_object(&QUERY, Some("limit=ten&exact=1")),
        json!({ "limit": "ten", "exact": "1" }),
        "kept as strings, so the type check reports them"
    );
    assert_eq!(query_object(&QUERY, None), json!({}));
}

static PRICE: Schema = Schema {
    file: "p.json",
    nodes: &[
        Node {
            types: types::OBJECT,
            properties: &[("max", 1)],
            ..Node::ANY
        },
        Node {
            types: types::NUMBER,
            maximum: Some(100.0),
            ..Node::ANY
        },
    ],
};

/// A query number passes only as the origin reads it: one a double holds exactly.
#[test]
fn a_query_number_that_only_passes_after_rounding_stays_a_string() {
    assert_eq!(
        query_object(&PRICE, Some("max=99.5")),
        json!({ "max": 99.5 })
    );
    for (sent, bad) in [
        ("100.0000000000000001", "100.0000000000000001"),
        ("%2B1", "+1"),
        ("1e400", "1e400"),
        ("0x10", "0x10"),
    ] {
        let q = query_object(&PRICE, Some(&format!("max={sent}")));
        assert_eq!(q, json!({ "max": bad }), "{bad}");
        assert!(!validate(&PRICE, &q).is_empty(), "{bad} is refused");
    }
}

#[test]
fn the_compiler_accepts_the_keywords_it_implements() {
    let c = json_schema::compile(
        "routes/schemas/ok.json",
        r##"{"$schema": "https://json-schema.org/draft/2020-12/schema", "title": "t", "type": ["object", "null"],
            "properties": {"a": {"$ref": "#/$defs/a"}, "self": {"$ref": "#"}}, "$defs": {"a": {"type": "string", "description": "d"}},
            "required": ["a"], "additionalProperties": {"type": "integer"}}"##,
    )
    .expect("compiles");
    assert_eq!(c.nodes.len(), 5, "{:?}", c.nodes);
    assert_eq!(c.nodes[0].types, 5, "{:?}", c.nodes[0]);
    assert_eq!(
        c.root_properties,
        vec![("a".to_string(), 0), ("self".to_string(), 0)]
    );
}

#[test]
fn the_compiler_fails_on_what_it_does_not_implement_with_file_pointer_and_keyword() {
    let err = |text: &str| json_schema::compile("routes/schemas/x.json", text).unwrap_err();
    assert_eq!(
        err(r#"{"properties": {"email": {"type": "string", "pattern": "@"}}}"#)[0],
        format!("routes/schemas/x.json: at /properties/email: keyword \"pattern\" is not implemented by Gatehouse (supported: {})", json_schema::ASSERTIONS.join(", "))
    );
    assert!(err(r#"{"format": "email"}"#)[0].contains("keyword \"format\" is not implemented"));
    assert_eq!(
        err(r##"{"$ref": "#/$defs/missing"}"##),
        vec![
            "routes/schemas/x.json: at /: $ref \"#/$defs/missing\": no such definition".to_string()
        ]
    );
    assert_eq!(err(r#"{"$ref": "other.json"}"#), vec!["routes/schemas/x.json: at /: $ref \"other.json\": only \"#\" and \"#/$defs/<name>\" are supported".to_string()]);
    assert_eq!(err(r#"{"$schema": "http://json-schema.org/draft-07/schema#"}"#), vec!["routes/schemas/x.json: $schema must be \"https://json-schema.org/draft/2020-12/schema\" (JSON Schema 2020-12)".to_string()]);
    assert_eq!(err(r#"{"type": "strng"}"#), vec!["routes/schemas/x.json: at /: type: one of null, boolean, object, array, number, string, integer, or a list of them".to_string()]);
    assert_eq!(err("{").len(), 1);
    assert_eq!(
        err(r#"{"minLength": -1}"#),
        vec!["routes/schemas/x.json: at /: minLength: a non-negative integer".to_string()]
    );
}

/// A tree is `null` or an array of trees, said twice (issue 23 item 17): `oneOf` evaluates both
/// branches at every level, so a naive check of nested arrays takes 2^depth steps.
static OVERLAPPING_TREE: Schema = Schema {
    file: "tree.json",
    nodes: &[
        Node {
            one_of: &[1, 2],
            ..Node::ANY
        },
        Node {
            types: types::ARRAY | types::NULL,
            items: Some(0),
            ..Node::ANY
        },
        Node {
            types: types::ARRAY,
            items: Some(0),
            ..Node::ANY
        },
    ],
};

fn nested_arrays(depth: usize) -> serde_json::Value {
    serde_json::from_str(&format!("{}null{}", "[".repeat(depth), "]".repeat(depth))).unwrap()
}

#[test]
fn one_of_over_recursive_branches_stops_at_its_budget_and_fails_closed() {
    assert!(failures(&OVERLAPPING_TREE, json!(null)).is_empty());
    let shallow = validate_counting(&OVERLAPPING_TREE, &nested_arrays(3));
    assert_eq!(
        shallow.failures,
        vec![Failure {
            pointer: "".into(),
            message: "must match exactly one of the allowed schemas (oneOf), matched 0".into()
        }],
        "shallow input is checked in full"
    );
    assert!(shallow.steps < shallow.budget);
    // 2^100 steps unbounded; the budget is linear in the input's size.
    let deep = validate_counting(&OVERLAPPING_TREE, &nested_arrays(100));
    assert_eq!(
        deep.failures,
        vec![Failure {
            pointer: "".into(),
            message: TOO_COSTLY.into()
        }]
    );
    assert_eq!(deep.budget, budget(&nested_arrays(100)));
    assert!(deep.steps <= deep.budget + 1, "{} steps", deep.steps);
}

/// A table that reaches itself without consuming input (the build refuses such schemas; the
/// validator must end anyway).
static SELF_LOOP: Schema = Schema {
    file: "loop.json",
    nodes: &[Node {
        all_of: &[0],
        ..Node::ANY
    }],
};

#[test]
fn a_schema_cycle_that_consumes_no_input_stops_at_the_depth_limit() {
    let got = validate_counting(&SELF_LOOP, &json!({ "a": 1 }));
    assert_eq!(
        got.failures,
        vec![Failure {
            pointer: "".into(),
            message: TOO_DEEP.into()
        }]
    );
    assert_eq!(got.steps, MAX_DEPTH + 1);
}

/// `{"type": "object", "properties": {"child": {"$ref": "#"}}, "required": ["n"]}`.
static LINKED: Schema = Schema {
    file: "linked.json",
    nodes: &[
        Node {
            types: types::OBJECT,
            properties: &[("child", 1), ("n", 2)],
            required: &["n"],
            ..Node::ANY
        },
        Node {
            all_of: &[0],
            ..Node::ANY
        },
        Node {
            types: types::INTEGER,
            ..Node::ANY
        },
    ],
};

#[test]
fn the_limits_leave_deep_and_large_ordinary_bodies_alone() {
    // As deep as serde_json parses (128 levels), through a $ref at each level.
    let mut deep = json!({ "n": 0 });
    for n in 1..127 {
        deep = json!({ "n": n, "child": deep });
    }
    assert!(failures(&LINKED, deep.clone()).is_empty());
    let mut broken = deep;
    broken["child"]["child"]["n"] = json!("x");
    assert_eq!(
        failures(&LINKED, broken),
        vec![("/child/child/n".to_string(), "must be integer".to_string())]
    );
    // 20,000 objects, each checked by three nodes.
    let many: Vec<serde_json::Value> = (0..20_000)
        .map(|n| json!({ "id": n + 1, "name": "Ada", "tags": ["a", "b"] }))
        .collect();
    let list = Schema {
        file: "users.json",
        nodes: &[
            Node {
                types: types::ARRAY,
                items: Some(1),
                unique_items: true,
                ..Node::ANY
            },
            Node {
                all_of: &[2],
                ..Node::ANY
            },
            Node {
                types: types::OBJECT,
                properties: &[("id", 3), ("name", 4), ("tags", 5)],
                ..Node::ANY
            },
            Node {
                types: types::INTEGER,
                minimum: Some(1.0),
                ..Node::ANY
            },
            Node {
                types: types::STRING,
                ..Node::ANY
            },
            Node {
                types: types::ARRAY,
                items: Some(4),
                unique_items: true,
                ..Node::ANY
            },
        ],
    };
    let got = validate_counting(&list, &json!(many));
    assert!(got.failures.is_empty(), "{:?}", got.failures);
    assert!(
        got.steps < got.budget / 4,
        "{} of {}",
        got.steps,
        got.budget
    );
}
