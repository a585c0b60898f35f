//! The cache's decisions over plain facts (src/cache/lookup.rs, src/cache/store.rs): what a
//! stored entry is for a request, and whether and how an origin's response is stored. The
//! Cache API adapter only reads and writes entries around them, so these run natively.

use gatehouse::cache::entry::Meta;
use gatehouse::cache::lookup::{verdict, Verdict};
use gatehouse::cache::store::{decide, Request, Rules, Stored};

const NOW: u64 = 1_700_000_000_000;
const TARGETED: &str = "gatehouse-cache-control";

fn rules() -> Rules<'static> {
    Rules {
        ttl_s: None,
        stale_if_error_s: None,
        stale_while_revalidate_s: None,
        tags: &["users"],
        control_header: TARGETED,
    }
}

/// Headers as a lookup over (name, value) pairs.
fn headers(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
    move |name| {
        pairs
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.to_string())
    }
}

fn store(
    status: u16,
    response: &'static [(&'static str, &'static str)],
    authorization: bool,
) -> Stored {
    decide(
        status,
        &headers(response),
        &Request {
            header: &headers(&[("accept-language", "de")]),
            authorization,
            path_gen: 7,
        },
        &rules(),
        &|tag| if tag == "users" { 3 } else { 0 },
        NOW,
    )
}

fn stored_meta(response: &'static [(&'static str, &'static str)]) -> Meta {
    match store(200, response, false) {
        Stored::Yes(meta) => meta,
        Stored::No(why) => panic!("not stored: {why}"),
    }
}

#[test]
fn a_storable_answer_is_stored_with_its_lifetime_path_counter_vary_record_and_tags() {
    let meta = stored_meta(&[
        ("cache-control", "max-age=60"),
        ("vary", "Accept-Language"),
        ("cache-tag", "user-7"),
    ]);
    assert_eq!((meta.ttl, meta.age, meta.at, meta.p), (60, 0, NOW, 7));
    assert_eq!(
        meta.vary,
        Some(vec![(
            "accept-language".to_string(),
            Some("de".to_string())
        )])
    );
    assert_eq!(
        meta.tags,
        Some(vec![("users".to_string(), 3), ("user-7".to_string(), 0)])
    );
    assert_eq!(meta.cc.as_deref(), Some("max-age=60"));
}

#[test]
fn answers_the_rfc_forbids_storing_are_refused_with_the_reason_cache_status_gives() {
    type Case = (
        u16,
        &'static [(&'static str, &'static str)],
        bool,
        &'static str,
    );
    let cases: &[Case] = &[
        (
            200,
            &[("cache-control", "no-store, max-age=60")],
            false,
            "no-store",
        ),
        (
            200,
            &[("cache-control", "private, max-age=60")],
            false,
            "private",
        ),
        (
            200,
            &[("cache-control", "max-age=60"), ("vary", "*")],
            false,
            "vary-star",
        ),
        (
            200,
            &[("cache-control", "max-age=60"), ("set-cookie", "a=1")],
            false,
            "set-cookie",
        ),
        // RFC 9111 3.5: a response to a request with Authorization needs public or s-maxage.
        (
            200,
            &[("cache-control", "max-age=60")],
            true,
            "authorization",
        ),
        (200, &[], false, "no-lifetime"),
        (206, &[("cache-control", "max-age=60")], false, "status"),
    ];
    for &(status, response, authorization, why) in cases {
        assert_eq!(
            store(status, response, authorization),
            Stored::No(why),
            "{status} {response:?} authorization={authorization}"
        );
    }
    assert!(matches!(
        store(200, &[("cache-control", "public, max-age=60")], true),
        Stored::Yes(_)
    ));
}

#[test]
fn the_gateways_targeted_field_wins_over_cdn_cache_control_and_cache_control() {
    let meta = stored_meta(&[
        ("cache-control", "no-store"),
        ("cdn-cache-control", "max-age=5"),
        (TARGETED, "max-age=120"),
    ]);
    assert_eq!(meta.ttl, 120);
    assert_eq!(meta.tc.as_deref(), Some("max-age=120"));
    let meta = stored_meta(&[
        ("cache-control", "no-store"),
        ("cdn-cache-control", "max-age=5"),
    ]);
    assert_eq!(meta.ttl, 5);
}

fn meta_stored_at(ttl: u64) -> Meta {
    Meta {
        at: NOW,
        ttl,
        p: 7,
        vary: Some(vec![("accept-language".into(), Some("de".into()))]),
        tags: Some(vec![("users".into(), 3)]),
        ..Meta::default()
    }
}

fn judge(
    meta: &Meta,
    path_gen: u64,
    language: &'static str,
    users_counter: u64,
    now: u64,
) -> Verdict {
    let request: &'static [(&'static str, &'static str)] = match language {
        "de" => &[("accept-language", "de")],
        _ => &[("accept-language", "fr")],
    };
    verdict(meta, path_gen, headers(request), |_| users_counter, now)
}

#[test]
fn an_entry_is_fresh_for_its_lifetime_then_stale() {
    let meta = meta_stored_at(60);
    assert_eq!(
        judge(&meta, 7, "de", 3, NOW + 59_999),
        Verdict::Fresh {
            ttl_s: 60,
            age_s: 59
        }
    );
    assert_eq!(
        judge(&meta, 7, "de", 3, NOW + 60_000),
        Verdict::Stale {
            ttl_s: 60,
            age_s: 60
        }
    );
}

#[test]
fn a_write_to_the_path_or_a_purged_tag_since_storing_makes_the_entry_a_miss() {
    let meta = meta_stored_at(60);
    assert_eq!(judge(&meta, 8, "de", 3, NOW), Verdict::Miss("uri-miss"));
    assert_eq!(judge(&meta, 7, "de", 4, NOW), Verdict::Miss("uri-miss"));
}

#[test]
fn a_request_whose_varied_headers_differ_is_a_vary_miss() {
    let meta = meta_stored_at(60);
    assert_eq!(judge(&meta, 7, "fr", 3, NOW), Verdict::Miss("vary-miss"));
}
