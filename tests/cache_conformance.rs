//! Cache conformance rules with no I/O: targeted cache control (RFC 9213), invalidation after
//! unsafe requests (RFC 9111 4.4) and its path counters, `Range` from a stored response
//! (RFC 9110 14), and the `Authorization` storage rule (RFC 9111 3.5).

use gatehouse::cache::control::{effective, is_valid_targeted, parse};
use gatehouse::cache::freshness::{lifetime, NotStored, ResponseFacts};
use gatehouse::cache::generations::{invalidate_paths, Generations, PATH_BUCKETS};
use gatehouse::cache::invalidate::{invalidates, is_unsafe, path_key, paths, same_host_path};
use gatehouse::cache::range::{if_range_holds, select, Ranged};
use std::collections::{BTreeMap, HashMap, HashSet};

#[test]
fn the_first_valid_targeted_field_replaces_cache_control() {
    let own = Some("max-age=30");
    let cdn = Some("no-store");
    assert_eq!(effective([own, cdn], Some("private")), parse("max-age=30"));
    assert_eq!(
        effective([None, cdn], Some("max-age=60")),
        parse("no-store")
    );
    assert_eq!(
        effective([None, None], Some("max-age=60")),
        parse("max-age=60")
    );
    // An invalid field is as if absent; the next in the target list decides.
    assert_eq!(
        effective([Some("Max-Age=30"), cdn], None),
        parse("no-store")
    );
    assert_eq!(
        effective([Some(""), None], Some("s-maxage=5")),
        parse("s-maxage=5")
    );
}

#[test]
fn targeted_fields_must_be_dictionaries_of_lower_case_keys() {
    for ok in [
        "max-age=60",
        "no-store",
        "private, max-age=0",
        "max-age=60, x=\"a, b\"",
        "*x",
    ] {
        assert!(is_valid_targeted(ok), "{ok}");
    }
    for bad in [
        "",
        "  ",
        "Max-Age=60",
        "max-age=",
        "max-age=60,,",
        "9lives",
        "a=\"unterminated",
        // Issue 23, item 21: a number directive of the wrong type (String, negative) is
        // not a valid field: ignored whole, not obeyed.
        "max-age=\"60\"",
        "max-age=-1",
        "s-maxage=1.5",
        "no-store, stale-if-error=abc",
    ] {
        assert!(!is_valid_targeted(bad), "{bad}");
    }
}

#[test]
fn only_unsafe_methods_with_non_error_answers_invalidate() {
    for m in ["POST", "PUT", "PATCH", "DELETE", "PURGE"] {
        assert!(is_unsafe(m), "{m}");
    }
    for m in ["GET", "HEAD", "OPTIONS", "TRACE"] {
        assert!(!is_unsafe(m), "{m}");
    }
    assert!(invalidates(200) && invalidates(201) && invalidates(204) && invalidates(303));
    assert!(!invalidates(400) && !invalidates(404) && !invalidates(500));
}

#[test]
fn location_values_on_the_same_host_name_paths_and_others_do_not() {
    let at = |v: &str| same_host_path(v, "api.example:443", "/v1/items/7");
    assert_eq!(at("/v1/items/8?x=1#f").as_deref(), Some("/v1/items/8"));
    assert_eq!(
        at("https://API.example/v1/items/9").as_deref(),
        Some("/v1/items/9")
    );
    assert_eq!(at("http://user@api.example:8080/a").as_deref(), Some("/a"));
    assert_eq!(at("//api.example/b").as_deref(), Some("/b"));
    assert_eq!(at("https://api.example").as_deref(), Some("/"));
    assert_eq!(
        at("8").as_deref(),
        Some("/v1/items/8"),
        "relative to the request path"
    );
    assert_eq!(at("../users/1").as_deref(), Some("/v1/users/1"));
    assert_eq!(
        at("/v1/%69tems/5").as_deref(),
        Some("/v1/items/5"),
        "normalised like requests"
    );
    for other in [
        "https://evil.example/v1/items/7",
        "//evil.example/x",
        "mailto:a@b",
        "",
    ] {
        assert_eq!(at(other), None, "{other}");
    }
    assert_eq!(
        paths(
            "api.example",
            "/v1/items/7",
            Some("/v1/items/8"),
            Some("/v1/items/7")
        ),
        vec!["/v1/items/7".to_string(), "/v1/items/8".to_string()],
        "its own path first, no repeats"
    );
}

#[test]
fn path_keys_ignore_host_case_and_port_but_not_the_path() {
    let k = path_key("API.example:8443", "/v1/items/7");
    assert_eq!(k, path_key("api.example", "/v1/items/7"));
    assert_ne!(k, path_key("api.example", "/v1/items/70"));
    assert_ne!(k, path_key("other.example", "/v1/items/7"));
    assert!(k.starts_with("p:") && k.len() == 5);
    // The e2e tests compute buckets the same way (tests/e2e/cache.test.mjs `bucket`).
    assert_eq!(path_key("127.0.0.1", "/v1/cached/abc"), "p:1c8");
    assert_eq!(path_key("127.0.0.1:8787", "/v1/items/7"), "p:3c6");
}

/// The counters as an isolate reads them after the object's map changed.
fn read(map: &BTreeMap<String, u64>) -> Generations {
    Generations(
        map.iter()
            .map(|(k, v)| (k.clone(), *v))
            .collect::<HashMap<_, _>>(),
    )
}

#[test]
fn an_invalidated_path_never_gets_back_a_value_an_entry_recorded() {
    let mut map = BTreeMap::new();
    let (a, b) = (path_key("h", "/a"), path_key("h", "/b"));
    let mut seen_a = HashSet::from([read(&map).path(&a)]);
    for _ in 0..5 {
        invalidate_paths(&mut map, &[&a]);
        assert!(seen_a.insert(read(&map).path(&a)), "a new value each time");
    }
    assert_eq!(read(&map).path(&b), 0, "other paths untouched");
    // Keys that are not path keys are ignored (route and tag counters stay as they are).
    map.insert("route:r".into(), 3);
    invalidate_paths(&mut map, &["route:r", "tag:t", "p:seq", "p:floor"]);
    assert_eq!(map.get("route:r"), Some(&3));
    assert_eq!(map.get("tag:t"), None);
}

/// Issue 23, item 16: however many distinct paths are written, the counters stay bounded and
/// a path whose bucket no write touched keeps its entries (no write flushes the cache).
#[test]
fn path_counters_are_bounded_buckets_and_writes_never_flush_other_buckets() {
    let mut map = BTreeMap::new();
    let quiet = path_key("h", "/never-written");
    let (mut written, mut i) = (0, 0);
    while written < 5_000 {
        let k = path_key("h", &format!("/{i}"));
        i += 1;
        if k == quiet {
            continue;
        }
        invalidate_paths(&mut map, &[&k]);
        written += 1;
    }
    let buckets = map.keys().filter(|k| k.len() == 5).count() as u64;
    assert!(
        buckets <= PATH_BUCKETS && buckets > PATH_BUCKETS / 2,
        "{buckets}"
    );
    assert_eq!(read(&map).path(&quiet), 0, "its entries are still current");
    // Paths spread over the buckets: a write takes about 1/1024 of the other paths with it.
    let same = (0..100_000)
        .filter(|i| path_key("h", &format!("/x{i}")) == quiet)
        .count();
    assert!((50..200).contains(&same), "{same} of 100000 share a bucket");
}

#[test]
fn a_single_byte_range_is_cut_and_anything_else_served_whole() {
    let len = 100;
    assert_eq!(select("bytes=0-9", len), Ranged::Part { start: 0, end: 9 });
    assert_eq!(
        select("bytes=90-", len),
        Ranged::Part { start: 90, end: 99 }
    );
    assert_eq!(
        select("bytes=-10", len),
        Ranged::Part { start: 90, end: 99 }
    );
    assert_eq!(
        select("bytes=-500", len),
        Ranged::Part { start: 0, end: 99 }
    );
    assert_eq!(
        select("bytes=50-500", len),
        Ranged::Part { start: 50, end: 99 }
    );
    assert_eq!(
        select("Bytes = 1-1", len),
        Ranged::Part { start: 1, end: 1 }
    );
    assert_eq!(select("bytes=100-", len), Ranged::Unsatisfiable);
    assert_eq!(select("bytes=-0", len), Ranged::Unsatisfiable);
    assert_eq!(select("bytes=0-0", 0), Ranged::Unsatisfiable);
    for ignored in [
        "bytes=0-1,5-6",
        "items=0-1",
        "bytes=9-2",
        "bytes=a-b",
        "bytes",
        "bytes=-",
        "bytes=+1-2",
    ] {
        assert_eq!(select(ignored, len), Ranged::Full, "{ignored}");
    }
}

#[test]
fn if_range_needs_a_strong_match() {
    let (etag, lm) = (Some("\"v1\""), Some("Mon, 23 Nov 2026 00:00:00 GMT"));
    assert!(if_range_holds("\"v1\"", etag, lm));
    assert!(!if_range_holds("\"v2\"", etag, lm));
    assert!(
        !if_range_holds("W/\"v1\"", etag, lm),
        "a weak tag never matches"
    );
    assert!(
        !if_range_holds("\"v1\"", Some("W/\"v1\""), lm),
        "nor a weak stored tag"
    );
    assert!(if_range_holds("Monday, 23-Nov-26 00:00:00 GMT", etag, lm));
    assert!(!if_range_holds("Tue, 24 Nov 2026 00:00:00 GMT", etag, lm));
    assert!(!if_range_holds("Mon, 23 Nov 2026 00:00:00 GMT", etag, None));
}

#[test]
fn responses_to_requests_with_authorization_are_stored_only_when_they_allow_it() {
    let facts = |cc: &str| ResponseFacts {
        status: 200,
        cache_control: parse(cc),
        authorization: true,
        ..ResponseFacts::default()
    };
    assert_eq!(
        lifetime(&facts("max-age=60"), None),
        Err(NotStored::Authorization)
    );
    assert_eq!(NotStored::Authorization.detail(), "authorization");
    for allowed in [
        "public, max-age=60",
        "s-maxage=60",
        "max-age=60, must-revalidate",
    ] {
        assert!(lifetime(&facts(allowed), None).is_ok(), "{allowed}");
    }
}
