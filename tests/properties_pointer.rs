//! JSON Pointer edits (the `transform` policy, fan-out merges) on hostile documents and
//! pointers: never a panic, and edits do what RFC 6901 says (what `set` put is what `get`
//! reads; `remove` after `set` gives it back; `keep_only` keeps exactly what is there).

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::transform::pointer::{get, keep_only, parse, remove, rename, set};
use proptest::prelude::*;
use serde_json::Value;
use support::properties::{config, within};

fn json() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        any::<f64>().prop_map(Value::from),
        "[a-z~/]{0,6}".prop_map(Value::from),
    ];
    leaf.prop_recursive(6, 48, 4, |inner| {
        prop_oneof![
            proptest::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            proptest::collection::btree_map(token(), inner, 0..4)
                .prop_map(|m| Value::Object(m.into_iter().collect())),
        ]
    })
}

/// Tokens that name object members, array indices (good and bad) and the append mark.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-c]",
        Just("0".to_string()),
        Just("1".to_string()),
        Just("01".to_string()),
        Just("-".to_string()),
        Just("~".to_string()),
        Just("a/b".to_string()),
        Just("99999999999999999999999".to_string()),
        Just(String::new()),
    ]
}

fn tokens() -> impl Strategy<Value = Vec<String>> {
    proptest::collection::vec(token(), 0..5)
}

/// A pointer's text for tokens (RFC 6901 escaping).
fn text(tokens: &[String]) -> String {
    tokens
        .iter()
        .map(|t| format!("/{}", t.replace('~', "~0").replace('/', "~1")))
        .collect()
}

proptest! {
    #![proptest_config(config(file!(), 1500))]

    #[test]
    fn a_pointer_parses_back_to_its_tokens(t in tokens()) {
        prop_assert_eq!(parse(&text(&t)), Ok(t));
    }

    #[test]
    fn parsing_any_pointer_text_never_panics(p in prop_oneof![any::<String>(), "[/~0-9a-z]{0,20}"]) {
        let _ = parse(&p);
    }

    #[test]
    fn what_set_puts_get_reads_and_remove_gives_back(doc in json(), t in tokens(), v in json()) {
        let mut edited = doc.clone();
        if set(&mut edited, &t, v.clone()).is_ok() {
            let last_is_append = t.last().is_some_and(|l| l == "-")
                && get(&doc, &t[..t.len() - 1]).is_some_and(Value::is_array);
            if !last_is_append {
                prop_assert_eq!(get(&edited, &t), Some(&v), "{} in {}", text(&t), doc);
                if !t.is_empty() {
                    prop_assert_eq!(remove(&mut edited, &t), Some(v.clone()));
                    let parent = get(&edited, &t[..t.len() - 1]);
                    if parent.is_some_and(Value::is_object) {
                        prop_assert_eq!(get(&edited, &t), None::<&Value>);
                    }
                }
            }
        }
    }

    #[test]
    fn edits_on_any_document_never_panic(doc in json(), a in tokens(), b in tokens(), v in json()) {
        within("pointer edits", move || {
            let mut d = doc.clone();
            let _ = set(&mut d, &a, v);
            let _ = rename(&mut d, &a, &b);
            let _ = remove(&mut d, &b);
            let kept = keep_only(&doc, &[a.clone(), b.clone()]);
            for t in [&a, &b] {
                if let (Some(x), false) = (get(&doc, t), t.is_empty()) {
                    // A kept value is at the same place (when its parents are objects).
                    if t.iter().all(|s| s.parse::<usize>().is_err() && s != "-") {
                        assert_eq!(get(&kept, t), Some(x));
                    }
                }
            }
        });
    }
}
