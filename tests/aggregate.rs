//! Fan-out, pure parts: path templates (escaping, missing values) and merges (allow, deny,
//! rename, target, group, deep merge and its conflict rule).

use gatehouse::aggregate::merge::{merge, Shape};
use gatehouse::aggregate::template::{decode, parse, render, Piece, Values};
use serde_json::json;

struct Req;
impl Values for Req {
    fn param(&self, name: &str) -> Option<String> {
        match name {
            "id" => Some("42".into()),
            "slash" => Some("a/b?c=d&e".into()),
            "dots" => Some("..".into()),
            _ => None,
        }
    }
    fn query(&self, name: &str) -> Option<String> {
        (name == "status").then(|| "open & closed".into())
    }
    fn claim(&self, name: &str) -> Option<String> {
        (name == "org").then(|| "acme/eu".into())
    }
    fn consumer_id(&self) -> Option<String> {
        Some("user-jwt:u 1".into())
    }
}

#[test]
fn templates_escape_each_value_so_it_cannot_add_segments_or_parameters() {
    let t = parse("/orgs/{claim.org}/users/{id}/orders?status={query.status}&by={consumer.id}")
        .unwrap();
    assert_eq!(
        render(&t, &Req).unwrap(),
        "/orgs/acme%2Feu/users/42/orders?status=open%20%26%20closed&by=user-jwt%3Au%201"
    );
    assert_eq!(
        render(&parse("/x?v={slash}").unwrap(), &Req).unwrap(),
        "/x?v=a%2Fb%3Fc%3Dd%26e"
    );
    assert_eq!(
        render(&parse("/x/{slash}").unwrap(), &Req),
        Err("slash".into()),
        "in a path a `?` would end the path for an origin that decodes it"
    );
    assert_eq!(
        render(&parse("/x/{dots}").unwrap(), &Req),
        Err("dots".into()),
        "no dot segment"
    );
    assert_eq!(
        render(&parse("/x?v={dots}").unwrap(), &Req).unwrap(),
        "/x?v=..",
        "fine in a query"
    );
    // An origin that decodes %2F itself must not see a dot segment either.
    struct Traversal(&'static str);
    impl Values for Traversal {
        fn param(&self, _: &str) -> Option<String> {
            Some(self.0.to_string())
        }
        fn query(&self, _: &str) -> Option<String> {
            None
        }
        fn claim(&self, _: &str) -> Option<String> {
            None
        }
        fn consumer_id(&self) -> Option<String> {
            None
        }
    }
    for bad in ["../../admin", "a/../b", "..\\x", "x/.", "a\nb", ""] {
        assert_eq!(
            render(&parse("/items/{id}").unwrap(), &Traversal(bad)),
            Err("id".into()),
            "{bad:?}"
        );
    }
    assert_eq!(
        render(&parse("/items/{id}").unwrap(), &Traversal("a..b/c")).unwrap(),
        "/items/a..b%2Fc"
    );
    assert_eq!(
        render(&parse("/x/{claim.team}").unwrap(), &Req),
        Err("claim.team".into())
    );
    assert_eq!(
        render(&parse("/x?q={query.page}").unwrap(), &Req),
        Err("query.page".into())
    );
}

/// Issue 26 (found by `tests/properties_templates.rs`): values a lenient origin reads as a dot
/// segment once they are escaped - `%` escapes a server decoding twice would decode, runs of
/// dots and spaces that Windows servers trim to `..`, dot segments with a `;` parameter that
/// servlet containers strip, and compatibility characters normalised to `.` - are refused in
/// the path (and fine in the query).
#[test]
fn template_values_a_lenient_origin_reads_as_a_dot_segment_are_refused() {
    struct One(&'static str);
    impl Values for One {
        fn param(&self, _: &str) -> Option<String> {
            Some(self.0.to_string())
        }
        fn query(&self, _: &str) -> Option<String> {
            Some(self.0.to_string())
        }
        fn claim(&self, _: &str) -> Option<String> {
            None
        }
        fn consumer_id(&self) -> Option<String> {
            None
        }
    }
    for bad in [
        "..%u002e",
        "..%2e",
        "%2e%2e",
        "...",
        ".. ",
        " ..",
        "..;x",
        ".;x",
        "..?x",
        "..#x",
        "a/..;b",
        "\u{2025}",
        "\u{FF0E}\u{FF0E}",
        "a\u{FF0F}b",
    ] {
        assert_eq!(
            render(&parse("/items/{id}").unwrap(), &One(bad)),
            Err("id".into()),
            "{bad:?}"
        );
        assert!(render(&parse("/items?id={query.id}").unwrap(), &One(bad)).is_ok());
    }
    for fine in ["1.5 kg", "50%off", "100%", "v1.2", ".hidden", "a;b"] {
        assert!(
            render(&parse("/items/{id}").unwrap(), &One(fine)).is_ok(),
            "{fine:?}"
        );
    }
}

/// Issue 23, item 18: a client's `?status=a%20b` is `a b`, sent as `a%20b` (not `a%2520b`).
#[test]
fn template_values_are_decoded_once_and_encoded_once() {
    assert_eq!(decode("a%20b", true).as_deref(), Some("a b"));
    assert_eq!(decode("a+b", true).as_deref(), Some("a b"));
    assert_eq!(
        decode("a+b", false).as_deref(),
        Some("a+b"),
        "a path keeps its +"
    );
    assert_eq!(decode("%2F..%2f", false).as_deref(), Some("/../"));
    assert_eq!(decode("caf%C3%A9", true).as_deref(), Some("café"));
    assert_eq!(decode("%zz", true), None, "malformed: the part fails");
    assert_eq!(decode("%", true), None);
    assert_eq!(decode("%FF", true), None, "not UTF-8");
    struct Raw;
    impl Values for Raw {
        fn param(&self, _: &str) -> Option<String> {
            None
        }
        fn query(&self, _: &str) -> Option<String> {
            decode("a%20b%26c%3Dd", true)
        }
        fn claim(&self, _: &str) -> Option<String> {
            None
        }
        fn consumer_id(&self) -> Option<String> {
            None
        }
    }
    assert_eq!(
        render(&parse("/x?s={query.s}").unwrap(), &Raw).unwrap(),
        "/x?s=a%20b%26c%3Dd"
    );
}

#[test]
fn template_syntax_errors_name_the_placeholder() {
    assert_eq!(
        parse("/a/{id}/b").unwrap(),
        vec![
            Piece::Lit("/a/".into()),
            Piece::Param("id".into()),
            Piece::Lit("/b".into())
        ]
    );
    assert_eq!(
        parse("a/{id}"),
        Err("path \"a/{id}\" must start with /".into())
    );
    assert_eq!(parse("/a/{id"), Err("path \"/a/{id\": unclosed {".into()));
    assert_eq!(parse("/a/id}"), Err("path \"/a/id}\": unopened }".into()));
    assert_eq!(
        parse("/a/{header.x}"),
        Err("path \"/a/{header.x}\": {header.x} is not a {param}, {query.<name>}, {claim.<name>} or {consumer.id}".into())
    );
}

const PLAIN: Shape = Shape {
    name: "",
    target: &[],
    allow: &[],
    deny: &[],
    rename: &[],
    group: None,
    deep: false,
};

#[test]
fn parts_nest_under_their_names_unless_grouped_or_deep_merged() {
    let user = Shape {
        name: "user",
        ..PLAIN
    };
    let orders = Shape {
        name: "orders",
        target: &["data", "items"],
        ..PLAIN
    };
    let prefs = Shape {
        name: "prefs",
        group: Some("extra"),
        allow: &["theme"],
        ..PLAIN
    };
    let flags = Shape {
        name: "flags",
        group: Some("extra"),
        rename: &[("beta", "is_beta")],
        deny: &["internal"],
        ..PLAIN
    };
    let merged = merge(&[
        (user, Some(json!({"id": 42, "name": "Ada"}))),
        (
            orders,
            Some(json!({"data": {"items": [1, 2]}, "next": null})),
        ),
        (prefs, Some(json!({"theme": "dark", "lang": "en"}))),
        (flags, Some(json!({"beta": true, "internal": "x"}))),
    ]);
    assert_eq!(
        merged,
        json!({
            "user": {"id": 42, "name": "Ada"},
            "orders": [1, 2],
            "extra": {"prefs": {"theme": "dark"}, "flags": {"is_beta": true}}
        })
    );
}

#[test]
fn a_deep_merge_merges_objects_and_the_later_part_wins_a_conflict() {
    let a = Shape {
        name: "a",
        deep: true,
        ..PLAIN
    };
    let b = Shape {
        name: "b",
        deep: true,
        ..PLAIN
    };
    let merged = merge(&[
        (
            a,
            Some(json!({"user": {"id": 1, "name": "Ada"}, "tags": ["x"], "n": 1})),
        ),
        (
            b,
            Some(json!({"user": {"name": "Grace", "email": "g@x"}, "tags": ["y"], "n": {"k": 2}})),
        ),
    ]);
    assert_eq!(
        merged,
        json!({"user": {"id": 1, "name": "Grace", "email": "g@x"}, "tags": ["y"], "n": {"k": 2}})
    );
    // Failed parts are left out; a deep part that is not an object nests under its name.
    let merged = merge(&[(a, None), (b, Some(json!([1, 2])))]);
    assert_eq!(merged, json!({"b": [1, 2]}));
    // A missing target gives null.
    let t = Shape {
        name: "t",
        target: &["nope"],
        ..PLAIN
    };
    assert_eq!(merge(&[(t, Some(json!({"x": 1})))]), json!({"t": null}));
}
