//! Property: for any request path, either the gateway refuses it, or every reading of the path
//! it forwards that a lenient origin might make stays under the static prefix the route's
//! rewrite produces. Route under test: `/v1/public/{*rest}` -> `/public/{rest}` (issue 11).
//!
//! The lenient origin is `tests/support/lenient_origin.rs`, written independently of
//! `route::normalise`. Also: normalisation is idempotent, and what it accepts is canonical (no
//! empty, `.` or `..` segment, no encoded or raw separator a router could split on, escapes
//! only of reserved bytes, upper-case).

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::route::{check_double_encoding, normalise};
use proptest::prelude::*;
use support::lenient_origin::{readings, PIECES};

const PUBLIC: &str = "/v1/public/";
const PREFIX: &str = "/public/";

/// What the gateway forwards for `raw`, or `None` when it refuses (400 or 404).
fn forwarded(raw: &str) -> Option<String> {
    let path = normalise(raw).ok()?;
    let rest = path.strip_prefix(PUBLIC)?; // matchit: a catch-all needs a non-empty tail
    if rest.is_empty() {
        return None;
    }
    check_double_encoding(&path).ok()?;
    Some(format!("{PREFIX}{rest}"))
}

fn assert_stays_under_prefix(raw: &str) -> Result<(), TestCaseError> {
    if let Some(sent) = forwarded(raw) {
        for reading in readings(&sent) {
            let under = reading.starts_with(PREFIX) || reading == PREFIX.trim_end_matches('/');
            prop_assert!(
                under,
                "{raw:?} was forwarded as {sent:?}, which a lenient origin reads as {reading:?}"
            );
        }
    }
    Ok(())
}

fn tricky_path() -> impl Strategy<Value = String> {
    proptest::collection::vec(proptest::sample::select(PIECES), 1..14)
        .prop_map(|pieces| format!("{PUBLIC}{}", pieces.concat()))
}

proptest! {
    #![proptest_config(support::properties::config(file!(), 3000))]

    #[test]
    fn a_forwarded_path_never_reads_outside_the_rewrite_prefix(raw in tricky_path()) {
        assert_stays_under_prefix(&raw)?;
    }

    #[test]
    fn arbitrary_bytes_are_refused_or_stay_under_the_prefix(bytes in proptest::collection::vec(any::<u8>(), 0..40)) {
        let raw = format!("{PUBLIC}{}", String::from_utf8_lossy(&bytes));
        assert_stays_under_prefix(&raw)?;
    }

    #[test]
    fn normalising_twice_gives_what_normalising_once_gave(raw in any_path()) {
        if let Ok(once) = normalise(&raw) {
            let twice = normalise(&once);
            prop_assert_eq!(twice.as_deref(), Ok(once.as_ref()), "raw {:?}", raw);
        }
    }

    #[test]
    fn an_accepted_path_is_canonical(raw in any_path()) {
        if let Ok(path) = normalise(&raw) {
            assert_canonical(&raw, &path)?;
        }
    }
}

/// Tricky pieces after a random prefix, or arbitrary text with a leading `/`.
fn any_path() -> impl Strategy<Value = String> {
    prop_oneof![
        proptest::collection::vec(proptest::sample::select(PIECES), 0..16)
            .prop_map(|p| format!("/{}", p.concat())),
        "/[ -~]{0,40}",
        any::<String>().prop_map(|s| format!("/{s}")),
    ]
}

/// The canonical form's contract (`route::normalise`'s module doc).
fn assert_canonical(raw: &str, path: &str) -> Result<(), TestCaseError> {
    prop_assert!(path.starts_with('/'), "{raw:?} -> {path:?}");
    if path != "/" {
        let segments: Vec<&str> = path[1..].split('/').collect();
        for seg in &segments {
            prop_assert!(!seg.is_empty(), "{raw:?} -> {path:?}: an empty segment");
            prop_assert!(
                *seg != "." && *seg != "..",
                "{raw:?} -> {path:?}: a dot segment"
            );
        }
    }
    prop_assert!(
        path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\'),
        "{raw:?} -> {path:?}: a raw control, space, non-ASCII byte or backslash"
    );
    let b = path.as_bytes();
    for (i, _) in path.match_indices('%') {
        let (h, l) = (b.get(i + 1).copied(), b.get(i + 2).copied());
        let hex =
            |c: Option<u8>| c.is_some_and(|c| c.is_ascii_digit() || (b'A'..=b'F').contains(&c));
        prop_assert!(
            hex(h) && hex(l),
            "{raw:?} -> {path:?}: an escape that is not %XX upper-case"
        );
        let byte = u8::from_str_radix(&path[i + 1..i + 3], 16).unwrap_or(0);
        prop_assert!(
            !(byte.is_ascii_alphanumeric() || b"-._~".contains(&byte)),
            "{raw:?} -> {path:?}: an escaped unreserved character"
        );
        prop_assert!(
            !matches!(byte, b'/' | b'\\') && byte >= 0x20 && byte != 0x7F,
            "{raw:?} -> {path:?}: an escaped separator or control character"
        );
    }
    Ok(())
}

#[test]
fn the_lenient_origin_model_reads_the_known_attacks_as_traversal() {
    // Guards the model itself: without the gateway's checks these would escape /public/.
    for (sent, escapes_to) in [
        ("/public/%C0%AE%C0%AE/admin/secret", "/admin/secret"),
        ("/public/..%252f..%252fadmin/secret", "/admin/secret"),
        ("/public/..%3Bx/admin", "/admin"),
        ("/public/..%3Fx/admin", "/"),
        ("/public/%EF%BC%8E%EF%BC%8E/admin", "/admin"),
        ("/public/..%20/admin", "/admin"),
    ] {
        assert!(readings(sent).iter().any(|r| r == escapes_to), "{sent}");
    }
}

#[test]
fn the_reported_attacks_are_refused() {
    for raw in [
        "/v1/public/%C0%AE%C0%AE/admin/secret",
        "/v1/public/..%252f..%252fadmin/secret",
    ] {
        assert_eq!(forwarded(raw), None, "{raw}");
    }
}
