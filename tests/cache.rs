//! Response caching, pure parts: Cache-Control parsing, what may be stored and for how long,
//! ages, cache keys (query normalisation, header and partition parts, no ambiguity), a stored
//! entry's windows, Vary record and tags, and the Cache-Status header.

use gatehouse::cache::control::{parse, CacheControl};
use gatehouse::cache::entry::{
    keep_s, tags_current, tags_record, vary_matches, vary_names, vary_record, within_window, Meta,
    Windows, MAX_TAGS, REVALIDATE_KEEP_S,
};
use gatehouse::cache::freshness::{age_s, age_value, lifetime, Lifetime, NotStored, ResponseFacts};
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
        ("no-cache", NotStored::NoCache),
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

/// Issue 23, item 2: `no-cache` (or `max-age=0`) with a validator is the common API pattern:
/// stored, and revalidated (If-None-Match -> 304) before every reuse.
#[test]
fn a_response_that_must_be_revalidated_is_stored_stale_when_it_has_a_validator() {
    let stale_now = Ok(Lifetime {
        ttl_s: 0,
        initial_age_s: 0,
    });
    for cc in [
        "no-cache",
        "no-cache, max-age=60",
        "max-age=0",
        "no-cache=\"x\"",
    ] {
        let with_etag = ResponseFacts {
            validators: true,
            ..facts(cc)
        };
        assert_eq!(lifetime(&with_etag, None), stale_now, "{cc}");
        if cc.contains("no-cache") {
            assert_eq!(
                lifetime(&with_etag, Some(60)),
                stale_now,
                "{cc}: the route's ttl never makes no-cache fresh"
            );
        }
    }
    let used_up = ResponseFacts {
        validators: true,
        age_s: Some(61),
        ..facts("max-age=60")
    };
    assert_eq!(lifetime(&used_up, None), stale_now);
    // Still never stored without a validator, or when the origin forbids storing.
    assert_eq!(
        lifetime(&facts("max-age=0"), None),
        Err(NotStored::NoLifetime)
    );
    for (cc, why) in [
        ("no-store, no-cache", NotStored::NoStore),
        ("private, no-cache", NotStored::Private),
    ] {
        let r = ResponseFacts {
            validators: true,
            ..facts(cc)
        };
        assert_eq!(lifetime(&r, None), Err(why), "{cc}");
    }
    // Such an entry is never served stale without validation, whatever the windows say.
    let windows = Windows::choose((Some(600), Some(60)), (None, None), &parse("no-cache"));
    assert_eq!(windows, Windows::default());
    let windows = Windows::choose(
        (None, None),
        (None, None),
        &parse("max-age=0, must-revalidate, stale-if-error=60"),
    );
    assert_eq!(windows, Windows::default());
}

/// Issue 23, item 4: a response's apparent age does not depend on where in its `Date`'s second
/// it was received (Date has one-second resolution), so a short-lived answer is stored the same
/// way whatever the sub-second timing or the load.
#[test]
fn the_apparent_age_counts_only_time_past_the_dates_second() {
    use gatehouse::cache::freshness::apparent_age_s;
    let d = 1_795_392_000;
    let at = |ms: u64| apparent_age_s(d as u64 * 1000 + ms, d);
    assert_eq!((at(0), at(999), at(1_000), at(1_999)), (0, 0, 0, 0));
    assert_eq!((at(2_000), at(2_999), at(61_000)), (1, 1, 60));
    assert_eq!(apparent_age_s(0, d), 0, "a Date in the future is no age");
}

/// Issue 23, item 21: `Age: old, 0` (one line, or two lines joined) is invalid: stale.
#[test]
fn an_invalid_age_makes_the_response_stale_not_fresh() {
    assert_eq!(age_value("42"), 42);
    assert_eq!(age_value(" 7 "), 7);
    for bad in ["old, 0", "old", "0, 0", "-1", "1.5", "", "5 5"] {
        assert_eq!(age_value(bad), u64::MAX, "{bad:?}");
        let r = ResponseFacts {
            age_s: Some(age_value(bad)),
            ..facts("max-age=3600")
        };
        assert_eq!(lifetime(&r, None), Err(NotStored::NoLifetime), "{bad:?}");
    }
    assert_eq!(age_s(u64::MAX, 0, 10_000), u64::MAX, "no overflow");
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
        side: None,
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
        // Issue 23, item 9: a canary's answer never serves the stable side, nor the reverse.
        KeyParts {
            side: Some("canary"),
            ..parts()
        },
        KeyParts {
            side: Some("stable"),
            ..parts()
        },
    ];
    assert_ne!(variants[8].url(), variants[9].url());
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
        header(&Outcome::Hit {
            ttl_s: 42,
            memory: false
        }),
        "Gatehouse; hit; ttl=42"
    );
    assert_eq!(
        header(&Outcome::Hit {
            ttl_s: 42,
            memory: true
        }),
        "Gatehouse; hit; ttl=42; detail=memory"
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
    assert_eq!(
        header(&Outcome::StaleWhileRevalidate { ttl_s: -3 }),
        "Gatehouse; hit; ttl=-3; detail=stale-while-revalidate"
    );
    assert_eq!(
        header(&Outcome::StaleIfError { fwd_status: 502 }),
        "Gatehouse; fwd=stale; fwd-status=502; detail=stale-if-error"
    );
    assert_eq!(
        header(&Outcome::Forwarded {
            fwd: "stale",
            fwd_status: 304,
            stored: true,
            detail: None
        }),
        "Gatehouse; fwd=stale; fwd-status=304; stored"
    );
    assert_eq!(
        header(&Outcome::Bypass { fwd_status: 200 }),
        "Gatehouse; fwd=bypass; fwd-status=200; detail=purge-counters-unavailable"
    );
}

#[test]
fn stale_windows_come_from_the_route_then_the_entry_then_the_origin() {
    let origin = parse("max-age=60, stale-if-error=300, stale-while-revalidate=30");
    let w = |route, entry| Windows::choose(route, entry, &origin);
    assert_eq!(
        w((None, None), (None, None)),
        Windows {
            if_error_s: 300,
            while_revalidate_s: 30
        }
    );
    assert_eq!(
        w((None, None), (Some(7), Some(8))),
        Windows {
            if_error_s: 7,
            while_revalidate_s: 8
        }
    );
    assert_eq!(
        w((Some(1), None), (Some(7), Some(8))),
        Windows {
            if_error_s: 1,
            while_revalidate_s: 8
        }
    );
    assert_eq!(
        Windows::choose((None, None), (None, None), &parse("max-age=5")),
        Windows::default()
    );
}

#[test]
fn an_entry_is_kept_for_its_fresh_time_left_plus_its_longest_stale_use() {
    let life = Lifetime {
        ttl_s: 100,
        initial_age_s: 10,
    };
    let none = Windows::default();
    assert_eq!(keep_s(life, none, 0), 90, "fresh time left only");
    assert_eq!(
        keep_s(life, none, REVALIDATE_KEEP_S),
        90 + REVALIDATE_KEEP_S,
        "validators: kept a day (by default) to be revalidated"
    );
    let sie = Windows {
        if_error_s: 600,
        while_revalidate_s: 30,
    };
    assert_eq!(keep_s(life, sie, 0), 690, "the longest window wins");
    assert_eq!(keep_s(life, sie, 60), 690);
    // Issue 23, item 3: a short-lived entry with an ETag is not dropped after 2 * ttl.
    let short = Lifetime {
        ttl_s: 2,
        initial_age_s: 0,
    };
    assert_eq!(keep_s(short, none, REVALIDATE_KEEP_S), 2 + 86_400);
    // Boundaries of a window: age 100 with ttl 60 and a 40 s window is outside.
    assert!(within_window(99, 60, 40));
    assert!(!within_window(100, 60, 40));
    assert!(
        !within_window(60, 60, 0),
        "no window: stale the moment freshness ends"
    );
}

#[test]
fn a_vary_record_matches_only_the_same_request_header_values() {
    let req = |n: &str| match n {
        "accept-language" => Some("de".to_string()),
        _ => None,
    };
    let record = vary_record("Accept-Language, X-Absent", req);
    assert_eq!(
        serde_json::to_string(&record).unwrap(),
        r#"[["accept-language","de"],["x-absent",null]]"#
    );
    assert_eq!(vary_names(&record), "accept-language, x-absent");
    assert!(vary_matches(&record, req));
    assert!(!vary_matches(&record, |_| None), "another language misses");
    let sent_absent_header = |n: &str| (n == "x-absent").then(|| "1".to_string()).or(req(n));
    assert!(
        !vary_matches(&record, sent_absent_header),
        "a header absent when stored must stay absent"
    );
    assert_eq!(vary_record(" , ", req), vec![]);
}

#[test]
fn tags_are_the_routes_then_the_origins_valid_ones_with_their_purge_counters() {
    let counter = |t: &str| if t == "news" { 4 } else { 0 };
    let record = tags_record(&["demo"], Some("news, bad tag!, , sport"), counter).unwrap();
    assert_eq!(
        serde_json::to_string(&record).unwrap(),
        r#"[["demo",0],["news",4],["sport",0]]"#
    );
    assert!(tags_current(&record, counter));
    assert!(
        !tags_current(&record, |t| if t == "news" { 5 } else { 0 }),
        "a purged tag makes the entry a miss"
    );
    assert_eq!(tags_record(&[], None, counter), None);
    let many: Vec<String> = (0..50).map(|i| format!("t{i}")).collect();
    let record = tags_record(&[], Some(&many.join(",")), |_| 0).unwrap();
    assert_eq!(record.len(), MAX_TAGS);
}

#[test]
fn an_entrys_metadata_round_trips_through_its_one_header_and_anything_else_is_a_miss() {
    let life = Lifetime {
        ttl_s: 60,
        initial_age_s: 5,
    };
    let windows = Windows {
        if_error_s: 600,
        while_revalidate_s: 30,
    };
    let meta = Meta {
        cc: Some("max-age=60".into()),
        vary: Some(vary_record("Accept", |_| Some("text/html".into()))),
        tags: tags_record(&["demo"], None, |_| 3),
        ..Meta::default()
    }
    .renewed(life, windows, 1_700_000_000_000);
    let text = meta.encode();
    assert_eq!(
        text,
        r#"{"at":1700000000000,"ttl":60,"age":5,"sie":600,"swr":30,"cc":"max-age=60","vary":[["accept","text/html"]],"tags":[["demo",3]]}"#
    );
    assert_eq!(Meta::decode(Some(&text)), Some(meta.clone()));
    assert_eq!((meta.lifetime(), meta.windows()), (life, windows));
    let bare = Meta::default().renewed(life, Windows::default(), 1);
    assert_eq!(
        bare.encode(),
        r#"{"at":1,"ttl":60,"age":5,"sie":0,"swr":0}"#
    );
    assert_eq!(Meta::decode(Some(&bare.encode())), Some(bare));
    assert_eq!(Meta::decode(None), None, "no header: not an entry");
    assert_eq!(Meta::decode(Some("{\"ttl\":60}")), None, "incomplete");
    assert_eq!(Meta::decode(Some("not json")), None);
}

#[test]
fn validators_answer_304_only_when_they_match() {
    use gatehouse::cache::conditional::not_modified;
    let now = 1_800_000_000; // 2027-01-15
    let lm = Some("Mon, 23 Nov 2026 00:00:00 GMT");
    let nm = |inm, ims, etag, lm| not_modified(inm, ims, etag, lm, None, now);
    assert!(nm(Some("\"v1\""), None, Some("\"v1\""), lm));
    assert!(
        nm(Some("W/\"v1\""), None, Some("\"v1\""), lm),
        "weak comparison"
    );
    assert!(nm(Some("\"x\", \"v1\""), None, Some("\"v1\""), lm));
    assert!(nm(Some("*"), None, Some("\"v1\""), lm));
    assert!(!nm(Some("\"v2\""), None, Some("\"v1\""), lm));
    assert!(
        !nm(Some("\"v1\""), None, None, lm),
        "no stored ETag, no match"
    );
    // If-None-Match wins over If-Modified-Since.
    assert!(!nm(Some("\"v2\""), lm, Some("\"v1\""), lm));
    assert!(nm(None, lm, Some("\"v1\""), lm));
    assert!(!nm(
        None,
        Some("Sun, 22 Nov 2026 00:00:00 GMT"),
        Some("\"v1\""),
        lm
    ));
    assert!(!nm(None, None, Some("\"v1\""), lm));
}

#[test]
fn if_modified_since_compares_dates_in_any_http_format_and_falls_back_to_date() {
    use gatehouse::cache::conditional::not_modified;
    let now = 1_800_000_000;
    let lm = Some("Mon, 23 Nov 2026 00:00:00 GMT");
    let ims = |since: &str| not_modified(None, Some(since), None, lm, None, now);
    assert!(
        ims("Tue, 24 Nov 2026 10:00:00 GMT"),
        "later than Last-Modified"
    );
    assert!(ims("Monday, 23-Nov-26 00:00:00 GMT"), "RFC 850, equal");
    assert!(ims("Mon Nov 23 00:00:00 2026"), "asctime, equal");
    assert!(!ims("Sun Nov 22 23:59:59 2026"), "a second earlier");
    assert!(!ims("yesterday"), "unreadable: ignored");
    assert!(
        !not_modified(
            None,
            Some("Fri, 01 Jan 2100 00:00:00 GMT"),
            None,
            lm,
            None,
            now
        ),
        "a date in the future is invalid"
    );
    // Without Last-Modified, the stored Date stands in; without either, no 304.
    let date = Some("Sat, 21 Nov 2026 12:00:00 GMT");
    assert!(not_modified(
        None,
        Some("Sun, 22 Nov 2026 00:00:00 GMT"),
        None,
        None,
        date,
        now
    ));
    assert!(!not_modified(
        None,
        Some("Fri, 20 Nov 2026 00:00:00 GMT"),
        None,
        None,
        date,
        now
    ));
    assert!(!not_modified(
        None,
        Some("Sun, 22 Nov 2026 00:00:00 GMT"),
        None,
        None,
        None,
        now
    ));
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
fn http_dates_parse_in_all_three_formats() {
    use gatehouse::cache::freshness::parse_http_date;
    assert_eq!(
        parse_http_date("Sun, 06 Nov 1994 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(
        parse_http_date("Mon, 23 Nov 2026 00:00:00 GMT"),
        Some(1_795_392_000)
    );
    // RFC 9110 5.6.7: recipients accept the obsolete RFC 850 and asctime forms too.
    assert_eq!(
        parse_http_date("Sunday, 06-Nov-94 08:49:37 GMT"),
        Some(784_111_777)
    );
    assert_eq!(
        parse_http_date("Sun Nov  6 08:49:37 1994"),
        Some(784_111_777)
    );
    assert_eq!(
        parse_http_date("Monday, 23-Nov-26 00:00:00 GMT"),
        Some(1_795_392_000)
    );
    for bad in [
        "0",
        "",
        "Sun, 06 Nov 1994 08:49:37 UTC",
        "Sun, 6 Nov 1994 08:49:37 GMT",
        "Sun, 06 Foo 1994 08:49:37 GMT",
        "Sun, 06 Nov 1994 25:49:37 GMT",
        "Sunday, 06-Nov-1994 08:49:37 GMT",
        "Sun Nov 6 08:49:37",
    ] {
        assert_eq!(parse_http_date(bad), None, "{bad:?}");
    }
}

/// Issue 23, item 20: an isolate that cannot re-read the purge counters stops trusting its
/// copy after a bound, so purged entries do not outlive it.
#[test]
fn a_copy_of_the_purge_counters_is_trusted_for_a_bounded_time() {
    use gatehouse::cache::generations::{copy_usable, MAX_COPY_AGE_MS, REFRESH_MS};
    assert!(copy_usable(0) && copy_usable(REFRESH_MS) && copy_usable(MAX_COPY_AGE_MS - 1));
    assert!(!copy_usable(MAX_COPY_AGE_MS));
    assert!(!copy_usable(u64::MAX));
    assert_eq!(
        MAX_COPY_AGE_MS, 10_000,
        "docs/src/policies/cache.md says 10 s"
    );
}

/// Issue 23, item 16: one client's writes invalidate a bounded number of paths per minute
/// (each moves a counter in the one global object and pushes older ones out).
#[test]
fn one_clients_writes_invalidate_a_bounded_number_of_paths_per_minute() {
    use gatehouse::cache::generations::{WriteBudget, CLIENT_PATHS_PER_MINUTE};
    let mut b = WriteBudget::default();
    let minute = 60_000 * 1_000;
    for i in 0..CLIENT_PATHS_PER_MINUTE {
        assert!(b.take("mallory", 1, minute + u64::from(i)), "write {i}");
    }
    assert!(!b.take("mallory", 1, minute + 59_999), "over the budget");
    assert!(
        b.take("alice", 3, minute + 59_999),
        "other clients keep theirs"
    );
    assert!(
        b.take("mallory", 1, minute + 60_000),
        "a new minute, a new budget"
    );
    assert!(
        !b.take("bob", CLIENT_PATHS_PER_MINUTE + 1, minute),
        "never more than the budget at once"
    );
    // Many clients never grow the map without bound: old minutes are dropped.
    for i in 0..20_000u64 {
        b.take(&format!("c{i}"), 1, minute + 60_000 * (i / 5_000));
        assert!(b.clients() <= 10_000);
    }
}
