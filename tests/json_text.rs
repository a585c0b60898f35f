//! JSON texts two parsers read differently (issue 23 item 13): repeated member names at any
//! depth and number literals a 64-bit float does not hold. Validation refuses them before it
//! checks a body, because the body it forwards is the text, not serde_json's reading of it.

use gatehouse::json_text::{check, repeated_member, Ambiguity};

fn repeated(pointer: &str, name: &str) -> Result<(), Ambiguity> {
    Err(Ambiguity::RepeatedMember {
        pointer: pointer.into(),
        name: name.into(),
    })
}

fn too_precise(pointer: &str, literal: &str) -> Result<(), Ambiguity> {
    Err(Ambiguity::NumberTooPrecise {
        pointer: pointer.into(),
        literal: literal.into(),
    })
}

fn out_of_range(pointer: &str, literal: &str) -> Result<(), Ambiguity> {
    Err(Ambiguity::NumberOutOfRange {
        pointer: pointer.into(),
        literal: literal.into(),
    })
}

#[test]
fn a_member_named_twice_at_any_depth_is_refused_with_its_pointer() {
    let cases = [
        (
            r#"{"role":"admin","role":"user"}"#,
            repeated("/role", "role"),
        ),
        (
            r#"{"user": {"a": 1, "b": [{"x": 1}, {"x": 2, "y": {}, "x": 3}]}}"#,
            repeated("/user/b/1/x", "x"),
        ),
        (
            r#"[0, {"r\u006fle": 1, "role": 2}]"#,
            repeated("/1/role", "role"),
        ),
        (r#"{"a/b~": 1, "a/b~": 2}"#, repeated("/a~1b~0", "a/b~")),
        (r#"{"\ud83d\ude00": 1, "😀": 2}"#, repeated("/😀", "😀")),
        (r#"{"": 1, "": 2}"#, repeated("/", "")),
    ];
    for (text, expected) in cases {
        assert_eq!(check(text), expected, "{text}");
        assert_eq!(repeated_member(text), expected, "{text}");
    }
}

#[test]
fn the_same_name_in_different_objects_or_inside_strings_is_not_a_repeat() {
    for text in [
        r#"{"a": {"a": {"a": 1}}, "b": [{"a": 1}, {"a": 2}]}"#,
        r#"{"a": "\"a\": 1, \"a\": 2", "b": "{\"a\":1,\"a\":2}"}"#,
        r#"{"a\\": 1, "a": 2, "A": 3, "a ": 4}"#,
        r#"["a", "a", {"x": "a"}, {"x": "a"}]"#,
    ] {
        assert_eq!(check(text), Ok(()), "{text}");
    }
}

#[test]
fn numbers_a_float_holds_exactly_are_accepted() {
    for literal in [
        "0",
        "-0",
        "0.0",
        "1",
        "1.0",
        "1.50",
        "1e2",
        "1E+2",
        "100e-2",
        "0.1",
        "0.3",
        "-2.5e-3",
        "123456789012345",
        "9007199254740992",
        "9007199254740991",
        "1e22",
        "1e308",
        "1.7976931348623157e308",
        "5e-324",
        "2.2250738585072014e-308",
        "0.30000000000000004",
        "1.0000000000000002",
        "0.0000000000000000000000000001",
        "12345678901234567000",
    ] {
        assert_eq!(check(literal), Ok(()), "{literal}");
        assert_eq!(check(&format!("[{literal}]")), Ok(()), "{literal}");
    }
}

#[test]
fn numbers_that_only_read_as_a_float_after_rounding_are_refused() {
    for literal in [
        "1.0000000000000001",
        "9007199254740993",
        "0.10000000000000001",
        "123456789012345678901234567890",
        "1.00000000000000000000000000000000001",
        "4.9406564584124654e-324",
        "-18446744073709551617",
    ] {
        assert_eq!(check(literal), too_precise("", literal), "{literal}");
    }
    for literal in ["1e400", "-1e309", "1e-400", "1e99999999999999999999999"] {
        assert_eq!(check(literal), out_of_range("", literal), "{literal}");
    }
    assert_eq!(check("0e99999999999999999999"), Ok(()), "zero is zero");
}

#[test]
fn a_refused_number_is_named_by_its_pointer_and_members_only_mode_ignores_numbers() {
    let text = r#"{"id": 9007199254740993, "ok": [1, 2, 1e400]}"#;
    assert_eq!(check(text), too_precise("/id", "9007199254740993"));
    assert_eq!(
        check(r#"{"ok": [1, 2, 1e400]}"#),
        out_of_range("/ok/2", "1e400")
    );
    assert_eq!(repeated_member(text), Ok(()));
}

#[test]
fn the_first_ambiguity_in_document_order_is_reported() {
    assert_eq!(
        check(r#"{"n": 1e400, "a": 1, "a": 2}"#),
        out_of_range("/n", "1e400")
    );
    assert_eq!(check(r#"{"a": 1, "a": 1e400}"#), repeated("/a", "a"));
}

#[test]
fn details_name_the_rule_and_the_place() {
    assert_eq!(
        check(r#"{"role":"admin","role":"user"}"#)
            .unwrap_err()
            .describe(),
        "the member \"role\" appears twice in one object (at /role)"
    );
    assert_eq!(
        check(r#"{"id": 9007199254740993}"#).unwrap_err().describe(),
        "the number 9007199254740993 (at /id) has more digits than a 64-bit float holds"
    );
    assert_eq!(
        check("[1e400]").unwrap_err().describe(),
        "the number 1e400 (at /0) is out of a 64-bit float's range"
    );
}

#[test]
fn text_that_is_not_json_never_panics() {
    for text in [
        "",
        "\"",
        "{\"a",
        "{\"a\\",
        "{\"é",
        "{\"\\ud800\": 1, \"\\ud800\": 2}",
        "]]]}}}",
        "-",
        "1e",
        "1.e5",
        "--1",
        "{\"a\":1,\"a\"",
        "\"\\u12",
        "[\"\\uZZZZ\"]",
    ] {
        let _ = check(text);
    }
}
