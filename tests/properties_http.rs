//! Hostile header values: `Cache-Control` (and the targeted fields), `Vary`, `Range`,
//! `If-Range`, conditional headers, HTTP dates, `traceparent`, request ids, cookies, query
//! strings, path parameters and content types never panic nor hang on any text, and what
//! they read keeps their contracts (a range is inside the body, a date round-trips in all
//! three formats, a delta-seconds value is never read as more than it says).

#![cfg(not(target_arch = "wasm32"))]

mod support;

use gatehouse::cache::conditional::not_modified;
use gatehouse::cache::control::{effective, is_valid_targeted, parse};
use gatehouse::cache::entry::{vary_matches, vary_names, vary_record};
use gatehouse::cache::freshness::{age_value, parse_http_date};
use gatehouse::cache::range::{if_range_holds, select, Ranged};
use gatehouse::http::content_type::is_json;
use gatehouse::http::dates::civil_from_days;
use gatehouse::http::params::{cookie, decoded_pairs, path_param, query_param};
use gatehouse::http::trace::{is_valid_request_id, TraceParent};
use gatehouse::http::url::{form_decode, RequestUrl};
use proptest::prelude::*;
use std::collections::HashMap;
use support::properties::{config, within};

const DAYS: [&str; 7] = ["Thu", "Fri", "Sat", "Sun", "Mon", "Tue", "Wed"];
const LONG_DAYS: [&str; 7] = [
    "Thursday",
    "Friday",
    "Saturday",
    "Sunday",
    "Monday",
    "Tuesday",
    "Wednesday",
];
const MONTHS: [&str; 12] = [
    "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// `t` (seconds since the epoch, >= 0) in the three HTTP date formats (RFC 9110 5.6.7).
fn formats(t: i64) -> [String; 3] {
    let (days, secs) = (t.div_euclid(86_400), t.rem_euclid(86_400));
    let (y, m, d) = civil_from_days(days);
    let (h, mi, s) = (secs / 3600, secs / 60 % 60, secs % 60);
    let wd = days.rem_euclid(7) as usize;
    let mon = MONTHS[m as usize - 1];
    [
        format!(
            "{}, {d:02} {mon} {y:04} {h:02}:{mi:02}:{s:02} GMT",
            DAYS[wd]
        ),
        format!(
            "{}, {d:02}-{mon}-{:02} {h:02}:{mi:02}:{s:02} GMT",
            LONG_DAYS[wd],
            y % 100
        ),
        format!("{} {mon} {d:>2} {h:02}:{mi:02}:{s:02} {y}", DAYS[wd]),
    ]
}

/// Header-value text: printable ASCII with the delimiters these parsers split on, or any
/// string at all.
fn header_text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[ -~]{0,60}",
        "[a-z=,\" \\\\0-9-]{0,60}",
        any::<String>(),
        proptest::collection::vec(
            proptest::sample::select(
                &[
                    "max-age",
                    "s-maxage",
                    "=",
                    ",",
                    "\"",
                    "\\",
                    " ",
                    "no-store",
                    "private",
                    "0",
                    "99999999999999999999999",
                    "-1",
                    "1e3",
                    "stale-while-revalidate",
                    "public",
                    "no-cache=\"a,b\"",
                    "\u{e9}",
                    "bytes",
                    "-",
                    "W/",
                    "GMT",
                ][..]
            ),
            0..12,
        )
        .prop_map(|p| p.concat()),
    ]
}

proptest! {
    #![proptest_config(config(file!(), 1000))]

    #[test]
    fn cache_control_parsing_never_panics_and_reads_no_more_than_each_value_says(v in header_text(), n in any::<u64>()) {
        let text = v.clone();
        let cc = within(&format!("{v:?}"), move || {
            let _ = is_valid_targeted(&text);
            let _ = effective([Some(text.as_str()), None], Some(&text));
            parse(&text)
        });
        // Appending `max-age=n` may only lower max-age (the smallest value wins).
        let with = parse(&format!("{v}, max-age={n}"));
        if !v.contains('"') {
            prop_assert!(with.max_age.is_some_and(|m| m <= n), "{:?} -> {:?}", v, with.max_age);
            prop_assert!(with.max_age <= cc.max_age.or(Some(u64::MAX)), "{:?}", v);
        }
    }

    #[test]
    fn a_delta_seconds_value_reads_as_itself_or_saturates(n in any::<u64>(), upper in any::<bool>()) {
        let name = if upper { "MAX-AGE" } else { "max-age" };
        let cc = parse(&format!("{name}={n}"));
        prop_assert_eq!(cc.max_age, Some(n));
        let huge = parse(&format!("s-maxage={n}0000000000000000000000"));
        prop_assert_eq!(huge.s_maxage, Some(u64::from(u32::MAX)));
    }

    #[test]
    fn a_range_is_inside_the_body_or_refused_or_ignored(v in header_text(), len in prop_oneof![Just(0u64), 0u64..5000, any::<u64>()]) {
        let text = v.clone();
        match within(&format!("{v:?} of {len}"), move || select(&text, len)) {
            Ranged::Part { start, end } => {
                prop_assert!(start <= end && end < len, "{:?} of {} -> {}..={}", v, len, start, end);
            }
            Ranged::Unsatisfiable | Ranged::Full => {}
        }
    }

    #[test]
    fn a_well_formed_range_is_served_exactly(start in 0u64..10_000, span in 0u64..10_000, len in 1u64..20_000) {
        let end = start + span;
        let r = select(&format!("bytes={start}-{end}"), len);
        if start >= len {
            prop_assert_eq!(r, Ranged::Unsatisfiable);
        } else {
            prop_assert_eq!(r, Ranged::Part { start, end: end.min(len - 1) });
        }
        let suffix = select(&format!("bytes=-{}", span + 1), len);
        prop_assert_eq!(suffix, Ranged::Part { start: len.saturating_sub(span + 1), end: len - 1 });
    }

    #[test]
    fn an_http_date_round_trips_in_all_three_formats(t in 0i64..253_402_300_800) {
        let [imf, rfc850, asctime] = formats(t);
        prop_assert_eq!(parse_http_date(&imf), Some(t), "{}", imf);
        prop_assert_eq!(parse_http_date(&asctime), Some(t), "{}", asctime);
        // RFC 850's two-digit year: 70-99 are 19xx, the rest 20xx.
        let year = civil_from_days(t.div_euclid(86_400)).0;
        if (1970..2070).contains(&year) {
            prop_assert_eq!(parse_http_date(&rfc850), Some(t), "{}", rfc850);
        }
    }

    #[test]
    fn dates_validators_and_ages_never_panic_on_any_text(a in header_text(), b in header_text(), c in header_text(), now in any::<i64>()) {
        let (a2, b2, c2) = (a.clone(), b.clone(), c.clone());
        within(&format!("{a:?} {b:?} {c:?}"), move || {
            let _ = parse_http_date(&a2);
            let _ = age_value(&a2);
            let _ = if_range_holds(&a2, Some(&b2), Some(&c2));
            let _ = not_modified(Some(&a2), Some(&b2), Some(&c2), Some(&a2), Some(&b2), now);
            let _ = not_modified(None, Some(&a2), Some(&b2), Some(&c2), None, now);
        });
    }

    #[test]
    fn a_vary_record_names_headers_lower_case_and_matches_its_own_request(
        vary in header_text(),
        sent in proptest::collection::hash_map("[a-z-]{1,8}", "[ -~]{0,8}", 0..6),
    ) {
        let headers: HashMap<String, String> = sent;
        let lookup = |n: &str| headers.get(n).cloned();
        let record = vary_record(&vary, lookup);
        for (name, _) in &record {
            prop_assert!(!name.is_empty() && *name == name.to_ascii_lowercase(), "{:?}", vary);
            prop_assert!(!name.contains(','), "{:?}", vary);
        }
        prop_assert!(vary_matches(&record, lookup), "{:?} does not match its own request", vary);
        let _ = vary_names(&record);
    }

    #[test]
    fn request_line_and_header_parsers_never_panic_on_any_text(a in header_text(), b in header_text()) {
        let (a2, b2) = (a.clone(), b.clone());
        within(&format!("{a:?} {b:?}"), move || {
            let _ = TraceParent::parse(&a2);
            let _ = is_valid_request_id(&a2);
            let _ = query_param(Some(&a2), &b2);
            let _ = cookie(Some(&a2), &b2);
            let _ = path_param(&a2);
            let _ = decoded_pairs(&a2);
            let _ = form_decode(&a2);
            let _ = is_json(Some(&a2));
            let url = RequestUrl::split(&a2);
            let _ = (url.path, url.query);
        });
    }

    #[test]
    fn a_traceparent_reads_back_what_was_written(trace in "[0-9a-f]{32}", parent in "[0-9a-f]{16}", flags in any::<u8>()) {
        let text = format!("00-{trace}-{parent}-{flags:02x}");
        let parsed = TraceParent::parse(&text);
        let zero = trace.bytes().all(|c| c == b'0') || parent.bytes().all(|c| c == b'0');
        if zero {
            prop_assert_eq!(parsed, None, "an all-zero id is invalid");
        } else {
            let p = parsed.expect("a well-formed traceparent");
            prop_assert_eq!((p.trace_id, p.parent_id, p.flags), (trace, parent, flags));
        }
    }
}
