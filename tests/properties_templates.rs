//! Fan-out path templates under hostile values: whatever a client puts in a route parameter,
//! a query value, a claim or its subject, a rendered part path never panics, is refused or
//! keeps the template's literal text before and after the value for every reading a lenient
//! origin may make (no dot segment climbs out of its place) (`tests/support/lenient_origin.rs`); `decode` inverts the percent-encoding
//! `render` applies; template parsing never panics on any text.

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::aggregate::template::{decode, parse, render, Values};
use proptest::prelude::*;
use support::lenient_origin::{readings, PIECES};
use support::properties::{config, within};

/// Every value is `0`'s text.
struct Same(String);
impl Values for Same {
    fn param(&self, _: &str) -> Option<String> {
        Some(self.0.clone())
    }
    fn query(&self, _: &str) -> Option<String> {
        Some(self.0.clone())
    }
    fn claim(&self, _: &str) -> Option<String> {
        Some(self.0.clone())
    }
    fn consumer_id(&self) -> Option<String> {
        Some(self.0.clone())
    }
}

/// Values as a client may send them, decoded: tricky pieces (percent-decoded or not),
/// compatibility characters, or any text.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(PIECES), 0..8).prop_map(|p| {
            let raw = p.concat();
            decode(&raw, false).unwrap_or(raw)
        }),
        proptest::collection::vec(
            proptest::sample::select(
                &[
                    ".", "..", "/", "\\", ";", " ", "x", "\u{FF0E}", "\u{2024}", "\u{2025}",
                    "\u{FF0F}", "\u{2215}", "\u{FF3C}", "\u{A5}", "%", "%2e", "?", "#",
                ][..]
            ),
            0..8,
        )
        .prop_map(|p| p.concat()),
        any::<String>(),
    ]
}

proptest! {
    #![proptest_config(config(file!(), 1500))]

    #[test]
    fn a_rendered_value_never_climbs_out_of_its_place_for_a_lenient_origin(v in value()) {
        let pieces = parse("/items/{id}/detail").expect("a valid template");
        let values = Same(v.clone());
        let Ok(path) = render(&pieces, &values) else {
            return Ok(());
        };
        for reading in readings(&path) {
            prop_assert!(
                reading.starts_with("/items/") && reading.ends_with("/detail"),
                "value {:?} rendered as {:?}, which a lenient origin reads as {:?}",
                v, path, reading
            );
        }
    }

    #[test]
    fn a_query_value_cannot_add_a_parameter(v in value()) {
        let pieces = parse("/search?q={query.q}&by={consumer.id}").expect("a valid template");
        let path = render(&pieces, &Same(v.clone())).expect("query values are never refused");
        let query = path.split_once('?').map(|(_, q)| q).unwrap_or_default();
        prop_assert_eq!(query.matches('&').count(), 1, "{:?} -> {:?}", v, path);
        prop_assert_eq!(query.matches('=').count(), 2, "{:?} -> {:?}", v, path);
        prop_assert!(!path.contains('#'), "{:?} -> {:?}", v, path);
        let q = query.split('&').next().unwrap().trim_start_matches("q=");
        prop_assert_eq!(decode(q, false), Some(v.clone()), "decode inverts the escaping");
    }

    #[test]
    fn parsing_any_template_text_never_panics(t in prop_oneof!["/[ -~]{0,40}", "[{}a-z./]{0,30}", any::<String>()]) {
        let text = t.clone();
        within(&format!("{t:?}"), move || {
            if let Ok(pieces) = parse(&text) {
                let _ = render(&pieces, &Same("x".into()));
            }
        });
    }

    #[test]
    fn decoding_any_text_never_panics(t in any::<String>(), plus in any::<bool>()) {
        let _ = decode(&t, plus);
    }
}
