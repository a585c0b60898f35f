//! The request validator under hostile schemas and bodies: any schema text the build-time
//! compiler accepts or refuses (never a panic), and any JSON body - deep, wide, with huge,
//! tiny, negative-zero or many-digit numbers - checked against any compiled schema never
//! panics, stays within its step budget (past it, fails closed with one failure) and within
//! the time a case may take.

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::validation::{query_object, validate_counting, Schema, MAX_FAILURES, TOO_COSTLY};
use gatehouse_config::json_schema::{compile, ASSERTIONS};
use proptest::prelude::*;
use serde_json::{json, Value};
use support::properties::{config, within};

/// Numbers as a client may write them (parsed by serde_json as the worker does).
fn number() -> impl Strategy<Value = Value> {
    prop_oneof![
        any::<i64>().prop_map(Value::from),
        any::<u64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        proptest::sample::select(
            &[
                "1e308",
                "-0",
                "-0.0",
                "0.0",
                "1e-400",
                "4.9e-324",
                "1.7976931348623157e308",
                "123456789012345678901234567890123456789",
                "-9223372036854775809",
                "18446744073709551616",
                "0.30000000000000004",
                "1e-7",
                "2.5",
            ][..]
        )
        .prop_map(|n| serde_json::from_str::<Value>(n).expect("a JSON number")),
    ]
}

fn body() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::Bool),
        number(),
        "[a-z]{0,3}".prop_map(Value::from),
        ".{0,12}".prop_map(Value::from),
    ];
    leaf.prop_recursive(8, 200, 10, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..10).prop_map(Value::from),
            proptest::collection::btree_map("[a-e]", inner, 0..6)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// A body nested `depth` deep (arrays or objects). The worker's JSON parser stops at 128
/// levels; the validator must hold its own bound whatever the caller.
fn deep(depth: usize, arrays: bool) -> Value {
    (0..depth).fold(json!(1), |v, _| {
        if arrays {
            Value::Array(vec![v])
        } else {
            Value::Object([("a".to_string(), v)].into_iter().collect())
        }
    })
}

/// Schema JSON built from the implemented keywords, with right and wrong values for each
/// (wrong types, negative and fractional counts, huge numbers, recursive references).
fn schema() -> impl Strategy<Value = Value> {
    let scalar = prop_oneof![
        number(),
        Just(json!("string")),
        Just(json!("object")),
        Just(json!(["integer", "null"])),
        Just(json!(true)),
        Just(json!(-1)),
        Just(json!(1.5)),
        Just(json!("#")),
        Just(json!("#/$defs/a")),
        Just(json!("#/$defs/missing")),
        Just(json!(["a", "b"])),
        Just(json!([1, "1", null, [1]])),
    ];
    let leaf = prop_oneof![
        Just(json!(true)),
        Just(json!(false)),
        Just(json!({})),
        Just(json!({ "$ref": "#" })),
        Just(json!({ "$ref": "#/$defs/a" })),
        (proptest::sample::select(ASSERTIONS), scalar.clone()).prop_map(|(k, v)| json!({ k: v })),
    ];
    leaf.prop_recursive(5, 40, 4, move |inner| {
        let members = proptest::collection::vec(
            prop_oneof![
                (proptest::sample::select(ASSERTIONS), scalar.clone())
                    .prop_map(|(k, v)| (k.to_string(), v)),
                (
                    proptest::sample::select(&["items", "not", "additionalProperties"][..]),
                    inner.clone()
                )
                    .prop_map(|(k, v)| (k.to_string(), v)),
                (
                    proptest::sample::select(&["allOf", "anyOf", "oneOf", "prefixItems"][..]),
                    proptest::collection::vec(inner.clone(), 0..4)
                )
                    .prop_map(|(k, v)| (k.to_string(), Value::from(v))),
                proptest::collection::btree_map("[a-e]", inner.clone(), 0..4).prop_map(|m| (
                    "properties".to_string(),
                    Value::Object(m.into_iter().collect())
                )),
                inner
                    .clone()
                    .prop_map(|d| ("$defs".to_string(), json!({ "a": d }))),
            ],
            0..6,
        );
        members.prop_map(|m| Value::Object(m.into_iter().collect()))
    })
}

/// Checks `value` against `schema` on a watched thread; asserts the bounds.
/// The body is made on that thread too: a deep `Value` needs a large stack even to drop.
fn check(schema: &'static Schema, body: impl FnOnce() -> Value + Send + 'static, described: &str) {
    let what = format!("{described} against {} nodes", schema.nodes.len());
    within(&what.clone(), move || {
        let value = body();
        let counted = validate_counting(schema, &value);
        assert!(counted.failures.len() <= MAX_FAILURES, "{what}");
        assert!(
            counted.steps <= 2 * counted.budget,
            "{what}: {} of {}",
            counted.steps,
            counted.budget
        );
        if counted.steps > counted.budget {
            assert_eq!(counted.failures.len(), 1, "{what}");
            assert_eq!(counted.failures[0].message, TOO_COSTLY, "{what}");
        }
    });
}

/// Compiles schema text; a compiled schema lives for the rest of the test run.
fn compiled(text: &str) -> Option<&'static Schema> {
    let c = compile("routes/schemas/p.json", text).ok()?;
    let nodes: &'static [_] = Box::leak(c.nodes.into_boxed_slice());
    Some(Box::leak(Box::new(Schema {
        file: "routes/schemas/p.json",
        nodes,
    })))
}

proptest! {
    #![proptest_config(config(file!(), 400))]

    #[test]
    fn the_schema_compiler_never_panics_on_any_text(text in prop_oneof![
        schema().prop_map(|s| s.to_string()),
        ".{0,80}",
        "[\\[\\]{}\"a-z:,0-9$#/]{0,80}",
    ]) {
        let t = text.clone();
        within(&format!("{text:?}"), move || { let _ = compile("routes/schemas/p.json", &t); });
    }

    #[test]
    fn any_body_against_any_compiled_schema_stays_within_its_bounds(s in schema(), value in body()) {
        if let Some(schema) = compiled(&s.to_string()) {
            let text: String = value.to_string().chars().take(200).collect();
            check(schema, move || value, &text);
        }
    }

    #[test]
    fn deep_bodies_fail_closed_without_exhausting_the_stack(s in schema(), depth in 100usize..3000, arrays in any::<bool>()) {
        if let Some(schema) = compiled(&s.to_string()) {
            check(schema, move || deep(depth, arrays), &format!("a body {depth} deep"));
        }
    }

    #[test]
    fn any_query_string_becomes_an_object(s in schema(), q in prop_oneof![".{0,60}", "([a-e]=[^&]{0,6}&){0,6}"]) {
        if let Some(schema) = compiled(&s.to_string()) {
            let q2 = q.clone();
            let value = within(&format!("{q:?}"), move || query_object(schema, Some(&q2)));
            prop_assert!(value.is_object(), "{:?} -> {}", q, value);
            check(schema, move || value, &q);
        }
    }
}

#[test]
fn the_schema_generator_makes_schemas_the_compiler_accepts() {
    // Guards the properties from passing vacuously: most generated schemas compile.
    use proptest::strategy::ValueTree;
    let mut runner = proptest::test_runner::TestRunner::deterministic();
    let compiled_count = (0..200)
        .filter(|_| {
            let s = schema().new_tree(&mut runner).unwrap().current();
            compiled(&s.to_string()).is_some()
        })
        .count();
    assert!(
        compiled_count >= 40,
        "only {compiled_count} of 200 compiled"
    );
}
