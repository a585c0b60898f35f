//! JSON body transforms: JSON Pointer reads and edits (RFC 6901), masking, keeping only listed
//! fields.

use gatehouse::transform::mask::mask;
use gatehouse::transform::pointer::{get, keep_only, parse, remove, rename, set, PointerError};
use serde_json::json;

fn p(s: &str) -> Vec<String> {
    parse(s).unwrap()
}

#[test]
fn pointers_follow_rfc_6901_including_its_escapes() {
    // The RFC's own example document and pointers (section 5).
    let doc = json!({"foo": ["bar", "baz"], "": 0, "a/b": 1, "c%d": 2, "e^f": 3, "g|h": 4,
        "i\\j": 5, "k\"l": 6, " ": 7, "m~n": 8});
    assert_eq!(get(&doc, &p("")), Some(&doc));
    assert_eq!(get(&doc, &p("/foo")), Some(&json!(["bar", "baz"])));
    assert_eq!(get(&doc, &p("/foo/0")), Some(&json!("bar")));
    assert_eq!(get(&doc, &p("/")), Some(&json!(0)));
    assert_eq!(get(&doc, &p("/a~1b")), Some(&json!(1)));
    assert_eq!(get(&doc, &p("/c%d")), Some(&json!(2)));
    assert_eq!(get(&doc, &p("/ ")), Some(&json!(7)));
    assert_eq!(get(&doc, &p("/m~0n")), Some(&json!(8)));
    assert_eq!(get(&doc, &p("/foo/01")), None, "no leading zeros");
    assert_eq!(get(&doc, &p("/foo/2")), None);
    assert_eq!(get(&doc, &p("/foo/-")), None);
    assert!(matches!(parse("foo"), Err(PointerError::Syntax(_))));
    assert!(matches!(parse("/a~2"), Err(PointerError::Syntax(_))));
}

#[test]
fn set_creates_parents_appends_with_dash_and_refuses_scalars() {
    let mut doc = json!({"user": {"name": "Ada"}, "tags": ["a"]});
    set(&mut doc, &p("/user/address/city"), json!("London")).unwrap();
    set(&mut doc, &p("/tags/-"), json!("b")).unwrap();
    set(&mut doc, &p("/tags/0"), json!("z")).unwrap();
    assert_eq!(
        doc,
        json!({"user": {"name": "Ada", "address": {"city": "London"}}, "tags": ["z", "b"]})
    );
    assert_eq!(
        set(&mut doc, &p("/user/name/first"), json!(1)),
        Err(PointerError::NotAContainer("/user/name/first".into()))
    );
    assert!(
        set(&mut doc, &p("/tags/7"), json!(1)).is_err(),
        "no holes in arrays"
    );
    set(&mut doc, &p(""), json!([])).unwrap();
    assert_eq!(doc, json!([]), "the empty pointer is the whole document");
}

#[test]
fn remove_and_rename_move_values_and_ignore_absent_ones() {
    let mut doc = json!({"a": {"b": 1, "c": [1, 2, 3]}, "d": 4});
    assert_eq!(remove(&mut doc, &p("/a/c/1")), Some(json!(2)));
    assert_eq!(remove(&mut doc, &p("/nope/x")), None);
    rename(&mut doc, &p("/a/b"), &p("/e/f")).unwrap();
    rename(&mut doc, &p("/missing"), &p("/g")).unwrap();
    assert_eq!(doc, json!({"a": {"c": [1, 3]}, "d": 4, "e": {"f": 1}}));
    assert_eq!(remove(&mut doc, &p("")), None, "the document itself stays");
}

#[test]
fn keep_only_returns_just_the_listed_fields_at_their_places() {
    let doc = json!({"id": 7, "name": "Ada", "card": {"number": "4111", "cvv": "123"}, "x": 1});
    let kept = keep_only(&doc, &[p("/id"), p("/card/number"), p("/absent")]);
    assert_eq!(kept, json!({"id": 7, "card": {"number": "4111"}}));
}

#[test]
fn masking_keeps_the_last_characters_of_strings_and_numbers() {
    assert_eq!(
        mask(&json!("4111111111111111"), 4, '*'),
        json!("************1111")
    );
    assert_eq!(
        mask(&json!("abc"), 4, '*'),
        json!("abc"),
        "shorter than kept: unchanged"
    );
    assert_eq!(
        mask(&json!("ünïcødé"), 2, '#'),
        json!("#####dé"),
        "characters, not bytes"
    );
    assert_eq!(mask(&json!(123456), 2, 'x'), json!("xxxx56"));
    assert_eq!(mask(&json!({"a": 1}), 2, '*'), json!(null));
    assert_eq!(mask(&json!("secret"), 0, '*'), json!("******"));
}

mod policy {
    use gatehouse::http::content_type::is_json;
    use gatehouse::policy::transform::{self, BodyEdits, QueryEdits};
    use serde_json::json;

    #[test]
    fn query_edits_rename_then_remove_then_set_keeping_order() {
        let q = QueryEdits {
            set: &[("fields", "all"), ("v", "2")],
            remove: &["debug"],
            rename: &[("q", "search")],
        };
        assert_eq!(
            transform::edit_query(&q, Some("q=ada&debug=1&v=1&flag&x=%20")).as_deref(),
            Some("search=ada&flag&x=%20&fields=all&v=2")
        );
        let only_remove = QueryEdits {
            set: &[],
            remove: &["debug"],
            rename: &[],
        };
        assert_eq!(
            transform::edit_query(&only_remove, Some("debug=1")),
            None,
            "nothing left: no query"
        );
        assert_eq!(transform::edit_query(&only_remove, None), None);
    }

    #[test]
    fn body_edits_run_rename_remove_set_mask_then_allow() {
        let edits = BodyEdits {
            set: &[(&["source"], "\"gateway\""), (&["meta", "v"], "2")],
            remove: &[&["secret"]],
            rename: &[(&["name"], &["displayName"])],
            mask: &[(&["card"], 4)],
            allow: &[&["displayName"], &["card"], &["source"], &["meta"]],
        };
        let mut doc = json!({"name": "Ada", "secret": "s", "card": "4111111111111111", "id": 7});
        transform::edit_body(&edits, &mut doc);
        assert_eq!(
            doc,
            json!({"displayName": "Ada", "card": "************1111", "source": "gateway", "meta": {"v": 2}})
        );
    }

    #[test]
    fn only_json_content_types_are_edited() {
        assert!(is_json(Some("application/json")));
        assert!(is_json(Some("Application/JSON; charset=utf-8")));
        assert!(is_json(Some("application/problem+json")));
        assert!(!is_json(Some("text/json-ish")));
        assert!(!is_json(Some("application/jsonp")));
        assert!(!is_json(None));
    }
}
