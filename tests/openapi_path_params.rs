//! Property: the `pattern` the OpenAPI documents publish for a path parameter
//! (`gatehouse_shared::path_param::pattern`) tells the truth about the runtime's path
//! normalisation (`route::normalise` + `check_double_encoding`). A value is sent the way
//! OpenAPI clients and Schemathesis send it: every character outside `A-Z a-z 0-9 - . _ ~`
//! percent-encoded as UTF-8.
//!
//! - Every value the pattern matches reaches the route: accepted, one segment, the same one.
//! - Every value the runtime accepts as one segment matches the pattern, except the one
//!   documented narrowing: a `%` followed by a hex digit or `u` (double encoding, which the
//!   runtime accepts only in part and the pattern leaves out whole).
//! - On a route with `allow_double_encoding`, no exception: the two agree exactly.
//! - On a gRPC or GraphQL call route, whose step decodes the parameter again
//!   (`http::params::path_param`), the pattern for such routes agrees with both rules.

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::http::params::path_param;
use gatehouse::route::{check_double_encoding, normalise};
use gatehouse_shared::lookalike::LOOKALIKES;
use gatehouse_shared::path_param::pattern;
use proptest::prelude::*;
use regex::Regex;

const PREFIX: &str = "/v1/users/";

/// `value` percent-encoded as a `style: simple` path parameter.
fn encode(value: &str) -> String {
    let mut out = String::new();
    for b in value.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

/// How the route under test treats the parameter.
#[derive(Clone, Copy)]
struct Route {
    double_encoding_allowed: bool,
    decoded_by_a_step: bool,
}

const PLAIN: Route = Route {
    double_encoding_allowed: false,
    decoded_by_a_step: false,
};

/// Whether the runtime lets `/v1/users/<value>` reach a `/v1/users/{id}` route (and, on a
/// call route, its step take the value).
fn reaches_route(value: &str, route: Route) -> bool {
    let double_encoding_allowed = route.double_encoding_allowed;
    let raw = format!("{PREFIX}{}", encode(value));
    let Ok(path) = normalise(&raw) else {
        return false;
    };
    if !double_encoding_allowed && check_double_encoding(&path).is_err() {
        return false;
    }
    path.strip_prefix(PREFIX).is_some_and(|rest| {
        !rest.is_empty()
            && !rest.contains('/')
            && (!route.decoded_by_a_step || path_param(rest).is_some())
    })
}

/// The pattern's documented narrowing: `%` then a hex digit or `u`.
fn double_encoding_shaped(value: &str) -> bool {
    value
        .as_bytes()
        .windows(2)
        .any(|w| w[0] == b'%' && (w[1].is_ascii_hexdigit() || w[1] == b'u' || w[1] == b'U'))
}

/// Characters that decide the rules, plus any character at all.
fn interesting_char() -> impl Strategy<Value = char> {
    let lookalike = (0..LOOKALIKES.len()).prop_map(|i| LOOKALIKES[i].0);
    prop_oneof![
        4 => prop::sample::select(vec![
            '.', '.', ' ', ';', '?', '#', '%', '%', '/', '\\', '2', 'e', 'E', 'F', 'u', 'a', '~',
            '\u{85}', '\u{9f}', '\u{0}', '\u{1f}', '\u{7f}', '\u{80}', '\u{a0}', 'é', '\u{ffff}', '\u{10ffff}',
        ]),
        1 => lookalike,
        2 => any::<char>(),
    ]
}

fn value() -> impl Strategy<Value = String> {
    prop::collection::vec(interesting_char(), 0..8).prop_map(|cs| cs.into_iter().collect())
}

/// The pattern, compiled once per setting.
fn compiled(route: Route) -> &'static Regex {
    static ALL: std::sync::OnceLock<Vec<Regex>> = std::sync::OnceLock::new();
    let all = ALL.get_or_init(|| {
        (0..4)
            .map(|i| Regex::new(&pattern(i & 1 == 1, i & 2 == 2)).expect("the pattern compiles"))
            .collect()
    });
    &all[usize::from(route.double_encoding_allowed) | usize::from(route.decoded_by_a_step) << 1]
}

fn check(value: &str, route: Route) -> Result<(), TestCaseError> {
    let double_encoding_allowed = route.double_encoding_allowed;
    let re = compiled(route);
    let matched = re.is_match(value);
    let reaches = reaches_route(value, route);
    if matched {
        prop_assert!(
            reaches,
            "{value:?} matches the pattern but the runtime refuses {}",
            encode(value)
        );
    } else if double_encoding_allowed || !double_encoding_shaped(value) {
        prop_assert!(
            !reaches,
            "{value:?} reaches the route ({}) but the pattern leaves it out",
            encode(value)
        );
    }
    Ok(())
}

proptest! {
    #![proptest_config(support::properties::config(file!(), 4_000))]

    #[test]
    fn the_path_parameter_pattern_matches_exactly_what_normalisation_lets_through(v in value()) {
        check(&v, PLAIN)?;
    }

    #[test]
    fn with_double_encoding_allowed_the_pattern_matches_exactly_what_normalisation_lets_through(v in value()) {
        check(&v, Route { double_encoding_allowed: true, decoded_by_a_step: false })?;
    }

    #[test]
    fn on_a_call_route_the_pattern_matches_exactly_what_normalisation_and_the_step_let_through(v in value()) {
        check(&v, Route { double_encoding_allowed: false, decoded_by_a_step: true })?;
    }
}

#[test]
fn the_pattern_refuses_the_values_of_issue_28_and_keeps_ordinary_ones() {
    let re = compiled(PLAIN);
    for refused in [
        "",
        ".",
        "..",
        "...",
        ".. ",
        "..;x",
        ".;",
        "..?",
        "a/b",
        "a\\b",
        "a\u{0}",
        "\u{7f}",
        "\u{ff0e}",
        "\u{2025}",
        "¥",
        "\u{1F100}",
        "%2e",
        "%41",
        "%u002e",
        "%%2F",
    ] {
        assert!(!re.is_match(refused), "{refused:?} should be left out");
        assert!(
            !reaches_route(refused, PLAIN) || double_encoding_shaped(refused),
            "{refused:?}"
        );
    }
    for kept in [
        "42", "a b", "café", ".a", "a.", "..a", ";", " ", "100%", "%x", "a%", "%%", ".%",
    ] {
        assert!(re.is_match(kept), "{kept:?} should match");
        assert!(
            reaches_route(kept, PLAIN),
            "{kept:?} should reach the route"
        );
    }
}
