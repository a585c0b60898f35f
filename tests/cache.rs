//! Response caching, pure parts: Cache-Control parsing, what may be stored and for how long,
//! ages, cache keys (query normalisation, header and partition parts, no ambiguity), and the
//! Cache-Status header.

use gatehouse::cache::control::{parse, CacheControl};
use gatehouse::cache::freshness::{age_s, lifetime, Lifetime, NotStored, ResponseFacts};
use gatehouse::cache::key::{canonical_query, KeyParts, QueryRule};
use gatehouse::cache::status::{header, Outcome};

#[test]
fn cache_control_directives_parse_case_insensitively_with_quoted_values() {
    let cc = parse(
        r#"Public, MAX-AGE=60, s-maxage="120", no-cache="set-cookie, x", stale-while-revalidate=30"#,
    );
    assert_eq!(
        cc,
        CacheControl {
            public: true,
            max_age: Some(60),
            s_maxage: Some(120),
            no_cache: true,
            stale_while_revalidate: Some(30),
            ..CacheControl::default()
        }
    );
    assert!(parse("private=\"x-a, x-b\"").private);
    assert_eq!(
        parse("max-age=abc").max_age,
        Some(0),
        "a bad number is stale, not forever"
    );
    assert_eq!(parse("max-age=-5").max_age, Some(0));
    assert_eq!(parse("max-age").max_age, Some(0));
    assert_eq!(
        parse("max-age=60, max-age=10").max_age,
        Some(10),
        "duplicates: the shorter"
    );
    assert_eq!(
        parse("max-age=99999999999999999999").max_age,
        Some(u64::from(u32::MAX))
    );
    assert_eq!(parse("").max_age, None);
    assert_eq!(parse(", ,foo=bar,").max_age, None);
}

fn facts(cc: &str) -> ResponseFacts {
    ResponseFacts {
        status: 200,
        cache_control: parse(cc),
        ..ResponseFacts::default()
    }
}

#[test]
fn what_is_stored_and_for_how_long() {
    let ok = |ttl_s| {
        Ok(Lifetime {
            ttl_s,
            initial_age_s: 0,
        })
    };
    assert_eq!(lifetime(&facts("max-age=60"), None), ok(60));
    assert_eq!(
        lifetime(&facts("max-age=60, s-maxage=300"), None),
        ok(300),
        "s-maxage wins"
    );
    assert_eq!(
        lifetime(&facts("max-age=60"), Some(5)),
        ok(5),
        "the route's ttl wins"
    );
    assert_eq!(lifetime(&facts(""), Some(5)), ok(5));
    assert_eq!(lifetime(&facts(""), None), Err(NotStored::NoLifetime));
    let expires = ResponseFacts {
        expires_in_s: Some(30),
        ..facts("")
    };
    assert_eq!(lifetime(&expires, None), ok(30));
    // Never stored, whatever the route says.
    for (cc, why) in [
        ("no-store, max-age=60", NotStored::NoStore),
        ("private, max-age=60", NotStored::Private),
        ("private=\"set-cookie\", max-age=60", NotStored::Private),
        ("no-cache, max-age=60", NotStored::NoCache),
    ] {
        assert_eq!(lifetime(&facts(cc), Some(60)), Err(why), "{cc}");
    }
    let cookie = ResponseFacts {
        set_cookie: true,
        ..facts("max-age=60")
    };
    assert_eq!(lifetime(&cookie, Some(60)), Err(NotStored::SetCookie));
    let vary = ResponseFacts {
        vary_star: true,
        ..facts("max-age=60")
    };
    assert_eq!(lifetime(&vary, Some(60)), Err(NotStored::VaryStar));
    for status in [206, 302, 500, 503] {
        let r = ResponseFacts {
            status,
            ..facts("max-age=60")
        };
        assert_eq!(lifetime(&r, Some(60)), Err(NotStored::Status), "{status}");
    }
}

#[test]
fn age_counts_what_the_origin_reported_and_time_in_cache() {
    let aged = ResponseFacts {
        age_s: Some(10),
        date_age_s: Some(3),
        ..facts("max-age=60")
    };
    assert_eq!(
        lifetime(&aged, None),
        Ok(Lifetime {
            ttl_s: 60,
            initial_age_s: 10
        })
    );
    let too_old = ResponseFacts {
        age_s: Some(61),
        ..facts("max-age=60")
    };
    assert_eq!(lifetime(&too_old, None), Err(NotStored::NoLifetime));
    let clock_skew = ResponseFacts {
        date_age_s: Some(-30),
        ..facts("max-age=60")
    };
    assert_eq!(lifetime(&clock_skew, None).unwrap().initial_age_s, 0);
    assert_eq!(age_s(10, 1_000_000, 1_004_999), 14);
    assert_eq!(
        age_s(0, 1_000_000, 999_000),
        0,
        "a clock going back never makes it younger than stored"
    );
}

#[test]
fn queries_are_filtered_sorted_and_normalised() {
    let q = |s: &str, r| canonical_query(Some(s), r);
    assert_eq!(
        q("b=2&a=1&a=0", QueryRule::All).as_deref(),
        Some("a=0&a=1&b=2")
    );
    assert_eq!(q("%61=%7e&&b", QueryRule::All).as_deref(), Some("a=~&b"));
    assert_eq!(
        q("a=%2f&a=%2F", QueryRule::All).as_deref(),
        Some("a=%2F&a=%2F")
    );
    assert_eq!(q("a=%zz", QueryRule::All).as_deref(), Some("a=%25zz"));
    assert_eq!(
        q(
            "page=2&utm_source=x&sort=asc",
            QueryRule::Allow(&["page", "sort"])
        )
        .as_deref(),
        Some("page=2&sort=asc")
    );
    assert_eq!(
        q(
            "page=2&utm_source=x&%75tm_source=y",
            QueryRule::Deny(&["utm_source"])
        )
        .as_deref(),
        Some("page=2"),
        "an escaped spelling of a denied name is still denied"
    );
    assert_eq!(q("utm_source=x", QueryRule::Deny(&["utm_source"])), None);
    assert_eq!(canonical_query(None, QueryRule::All), None);
}

fn parts() -> KeyParts<'static> {
    KeyParts {
        route: "items",
        host: "api.example.com",
        path: "/v1/items/1",
        query: Some("a=1"),
        headers: vec![("accept-language", Some("en".into()))],
        partition: None,
        generation: 0,
    }
}

#[test]
fn every_key_part_changes_the_key_and_no_two_splits_collide() {
    let base = parts();
    let variants = [
        KeyParts {
            route: "other",
            ..parts()
        },
        KeyParts {
            host: "evil.example.com",
            ..parts()
        },
        KeyParts {
            path: "/v1/items/2",
            ..parts()
        },
        KeyParts {
            query: None,
            ..parts()
        },
        KeyParts {
            headers: vec![("accept-language", Some("de".into()))],
            ..parts()
        },
        KeyParts {
            headers: vec![("accept-language", None)],
            ..parts()
        },
        KeyParts {
            partition: Some("alice".into()),
            ..parts()
        },
        KeyParts {
            generation: 1,
            ..parts()
        },
    ];
    for v in &variants {
        assert_ne!(v.url(), base.url(), "{v:?}");
    }
    // A value containing what looks like the next part cannot shift the split.
    let a = KeyParts {
        route: "a",
        host: "b",
        ..parts()
    };
    let b = KeyParts {
        route: "a1:b",
        host: "",
        ..parts()
    };
    assert_ne!(a.text(), b.text());
    assert_eq!(parts().url(), parts().url());
    assert!(base.url().starts_with("https://cache.gatehouse.internal/"));
    assert_eq!(
        base.url().len(),
        "https://cache.gatehouse.internal/".len() + 64
    );
}

#[test]
fn cache_status_follows_rfc_9211() {
    assert_eq!(
        header(&Outcome::Hit { ttl_s: 42 }),
        "Gatehouse; hit; ttl=42"
    );
    assert_eq!(
        header(&Outcome::Forwarded {
            fwd: "uri-miss",
            fwd_status: 200,
            stored: true,
            detail: None
        }),
        "Gatehouse; fwd=uri-miss; fwd-status=200; stored"
    );
    assert_eq!(
        header(&Outcome::Forwarded {
            fwd: "uri-miss",
            fwd_status: 200,
            stored: false,
            detail: Some("no-store")
        }),
        "Gatehouse; fwd=uri-miss; fwd-status=200; detail=no-store"
    );
}

#[test]
fn validators_answer_304_only_when_they_match() {
    use gatehouse::cache::conditional::not_modified;
    let lm = Some("Mon, 23 Nov 2026 00:00:00 GMT");
    assert!(not_modified(Some("\"v1\""), None, Some("\"v1\""), lm));
    assert!(
        not_modified(Some("W/\"v1\""), None, Some("\"v1\""), lm),
        "weak comparison"
    );
    assert!(not_modified(
        Some("\"x\", \"v1\""),
        None,
        Some("\"v1\""),
        lm
    ));
    assert!(not_modified(Some("*"), None, Some("\"v1\""), lm));
    assert!(!not_modified(Some("\"v2\""), None, Some("\"v1\""), lm));
    assert!(
        !not_modified(Some("\"v1\""), None, None, lm),
        "no stored ETag, no match"
    );
    // If-None-Match wins over If-Modified-Since.
    assert!(!not_modified(Some("\"v2\""), lm, Some("\"v1\""), lm));
    assert!(not_modified(None, lm, Some("\"v1\""), lm));
    assert!(!not_modified(
        None,
        Some("Sun, 22 Nov 2026 00:00:00 GMT"),
        Some("\"v1\""),
        lm
    ));
    assert!(!not_modified(None, None, Some("\"v1\""), lm));
}

#[test]
fn purge_counters_parse_and_default_to_zero() {
    use gatehouse::cache::generations::Generations;
    use gatehouse::cache::key::is_tag;
    let g = Generations::parse(r#"{"route:v1-cached": 3, "tag:demo": 1}"#).unwrap();
    assert_eq!((g.route("v1-cached"), g.tag("demo")), (3, 1));
    assert_eq!((g.route("other"), g.tag("other")), (0, 0));
    assert_eq!(g.route("demo"), 0, "route and tag counters are separate");
    assert!(Generations::parse("not json").is_none());
    assert!(is_tag("product:42") && is_tag("a.b_c-d"));
    assert!(!is_tag("") && !is_tag("a b") && !is_tag("a,b") && !is_tag(&"x".repeat(65)));
}

#[test]
fn http_dates_parse_as_imf_fixdate_only() {
    use gatehouse::cache::freshness::parse_http_date;
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(
        parse_http_date("Mon, 23 Nov 2026 00:00:00 GMT"),
        Some(1_795_392_000)
    );
    for bad in [
        "0",
        "",
        "Sunday, 06-Nov-94 08:49:37 GMT",
        "Sun Nov  6 08:49:37 1994",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad:?}");
    }
}
