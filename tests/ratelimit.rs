//! Rate-limit arithmetic: each algorithm's admissions, remaining counts, reset and retry
//! times, window edges, clocks that jump back, UTC calendar windows, and the header values.

use gatehouse::http::dates::{civil_from_days, days_from_civil, window, Period};
use gatehouse::ratelimit::algorithm;
use gatehouse::ratelimit::headers::{policy_header, ratelimit_header, retry_after_s, PolicyItem};
use gatehouse::ratelimit::{Algorithm, Decision, Limit, State};

const T0: u64 = 1_800_000_000_000; // a multiple of 1 s and 1 min, mid-window for nothing else

fn limit(limit: u64, window_ms: u64, algorithm: Algorithm) -> Limit {
    Limit {
        limit,
        window_ms,
        algorithm,
    }
}

/// Admissions out of `n` takes at the same instant.
fn burst(l: &Limit, s: &mut State, now: u64, n: u64) -> u64 {
    (0..n)
        .filter(|_| algorithm::take(l, s, now, 1).allowed)
        .count() as u64
}

/// A refusal's `retry_after_ms` must be exact: one ms earlier still refused, at it admitted.
fn assert_retry_is_exact(l: &Limit, s: &State, now: u64, d: Decision) {
    let wait = d
        .retry_after_ms
        .expect("refused decisions carry retry_after");
    if wait > 1 {
        let mut early = s.clone();
        assert!(
            !algorithm::take(l, &mut early, now + wait - 1, 1).allowed,
            "{:?}: admitted before retry_after {wait}",
            l.algorithm
        );
    }
    let mut on_time = s.clone();
    assert!(
        algorithm::take(l, &mut on_time, now + wait, 1).allowed,
        "{:?}: still refused at retry_after {wait}",
        l.algorithm
    );
}

#[test]
fn fixed_window_admits_exactly_the_limit_and_resets_at_the_boundary() {
    let l = limit(100, 60_000, Algorithm::FixedWindow);
    let mut s = State::default();
    let first = algorithm::take(&l, &mut s, T0 + 1_000, 1);
    assert_eq!(
        (first.allowed, first.remaining, first.reset_ms),
        (true, 99, 59_000)
    );
    assert_eq!(burst(&l, &mut s, T0 + 2_000, 150), 99);
    let refused = algorithm::take(&l, &mut s, T0 + 30_000, 1);
    assert_eq!(
        (refused.allowed, refused.remaining, refused.retry_after_ms),
        (false, 0, Some(30_000))
    );
    assert_retry_is_exact(&l, &s, T0 + 30_000, refused);
    assert!(
        !algorithm::take(&l, &mut s, T0 + 59_999, 1).allowed,
        "last ms of the window"
    );
    let next = algorithm::take(&l, &mut s, T0 + 60_000, 1);
    assert_eq!(
        (next.allowed, next.remaining, next.reset_ms),
        (true, 99, 60_000)
    );
}

#[test]
fn a_clock_that_goes_back_neither_resets_nor_refills() {
    for algorithm in [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::TokenBucket { burst: 5 },
    ] {
        let l = limit(5, 1_000, algorithm);
        let mut s = State::default();
        assert_eq!(burst(&l, &mut s, T0 + 999, 5), 5);
        // The object restarts on a machine whose clock is 2 s behind.
        assert!(
            !algorithm::take(&l, &mut s, T0 - 1_000, 1).allowed,
            "{algorithm:?}"
        );
        assert!(
            !algorithm::take(&l, &mut s, T0 - 5_000, 1).allowed,
            "{algorithm:?}"
        );
    }
}

#[test]
fn a_cost_above_the_limit_is_never_admitted_and_consumes_nothing() {
    for algorithm in [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::TokenBucket { burst: 10 },
        Algorithm::Calendar(Period::Day),
    ] {
        let l = limit(10, 1_000, algorithm);
        let mut s = State::default();
        assert!(
            !algorithm::take(&l, &mut s, T0, 11).allowed,
            "{algorithm:?}"
        );
        assert_eq!(
            burst(&l, &mut s, T0, 10),
            10,
            "{algorithm:?}: the refused request took nothing"
        );
    }
}

#[test]
fn sliding_window_weighs_the_previous_window() {
    let l = limit(100, 60_000, Algorithm::SlidingWindow);
    let mut s = State::default();
    assert_eq!(
        burst(&l, &mut s, T0, 100),
        100,
        "an empty history admits the full limit"
    );
    // Halfway into the next window, half of the previous 100 still counts.
    assert_eq!(burst(&l, &mut s, T0 + 90_000, 100), 50);
    let refused = algorithm::take(&l, &mut s, T0 + 90_000, 1);
    assert!(!refused.allowed);
    assert_eq!(refused.remaining, 0);
    assert_retry_is_exact(&l, &s, T0 + 90_000, refused);
    // Two windows later nothing of the old count remains.
    assert_eq!(burst(&l, &mut s, T0 + 240_000, 120), 100);
}

#[test]
fn sliding_window_retry_after_is_exact_across_many_states() {
    let l = limit(10, 1_000, Algorithm::SlidingWindow);
    for first in [0u64, 3, 7, 10] {
        for offset in [0u64, 1, 250, 500, 999] {
            let mut s = State::default();
            burst(&l, &mut s, T0 + 10, first);
            let now = T0 + 1_000 + offset;
            burst(&l, &mut s, now, 10);
            let d = algorithm::take(&l, &mut s, now, 1);
            assert!(!d.allowed, "first={first} offset={offset}");
            assert_retry_is_exact(&l, &s, now, d);
        }
    }
}

#[test]
fn token_bucket_allows_the_burst_then_refills_at_the_rate() {
    // 10 per second, bursts of 20.
    let l = limit(10, 1_000, Algorithm::TokenBucket { burst: 20 });
    let mut s = State::default();
    assert_eq!(burst(&l, &mut s, T0, 25), 20);
    let refused = algorithm::take(&l, &mut s, T0, 1);
    assert_eq!(
        (refused.allowed, refused.retry_after_ms),
        (false, Some(100))
    );
    assert_retry_is_exact(&l, &s, T0, refused);
    assert_eq!(refused.reset_ms, 2_000, "empty to full at 10/s");
    assert_eq!(
        burst(&l, &mut s, T0 + 500, 10),
        5,
        "half a second refills five"
    );
    // A long idle period refills to the burst, not beyond.
    let after_idle = algorithm::take(&l, &mut s, T0 + 3_600_000, 1);
    assert_eq!((after_idle.allowed, after_idle.remaining), (true, 19));
}

#[test]
fn calendar_quotas_follow_utc_days_and_months() {
    // 2028-02-29 (leap day) 23:59:59.999 UTC.
    let leap_day = days_from_civil(2028, 2, 29) as u64 * 86_400_000;
    let last_ms = leap_day + 86_400_000 - 1;
    assert_eq!(
        window(Period::Day, last_ms),
        (leap_day, leap_day + 86_400_000)
    );
    let feb = days_from_civil(2028, 2, 1) as u64 * 86_400_000;
    let mar = days_from_civil(2028, 3, 1) as u64 * 86_400_000;
    assert_eq!(window(Period::Month, last_ms), (feb, mar));
    assert_eq!((mar - feb) / 86_400_000, 29);
    let dec = days_from_civil(2027, 12, 31) as u64 * 86_400_000;
    let jan = days_from_civil(2028, 1, 1) as u64 * 86_400_000;
    assert_eq!(
        window(Period::Month, dec + 5),
        (days_from_civil(2027, 12, 1) as u64 * 86_400_000, jan)
    );

    let daily = limit(3, 0, Algorithm::Calendar(Period::Day));
    let mut s = State::default();
    assert_eq!(burst(&daily, &mut s, last_ms - 10, 5), 3);
    let refused = algorithm::take(&daily, &mut s, last_ms - 10, 1);
    assert_eq!(refused.retry_after_ms, Some(11), "until midnight UTC");
    assert_eq!(
        burst(&daily, &mut s, last_ms + 1, 5),
        3,
        "a new day, a new quota"
    );
}

#[test]
fn civil_dates_round_trip() {
    for days in (-800_000..800_000).step_by(997) {
        let (y, m, d) = civil_from_days(days);
        assert_eq!(days_from_civil(y, m, d), days);
    }
    assert_eq!(civil_from_days(0), (1970, 1, 1));
    assert_eq!(civil_from_days(days_from_civil(2000, 2, 29)), (2000, 2, 29));
}

#[test]
fn header_values_follow_the_ietf_draft() {
    let items = [
        PolicyItem {
            name: "per-second",
            quota: 10,
            window_s: 1,
        },
        PolicyItem {
            name: "daily",
            quota: 1000,
            window_s: 86_400,
        },
    ];
    assert_eq!(
        policy_header(&items),
        r#""per-second";q=10;w=1, "daily";q=1000;w=86400"#
    );
    let ok = Decision {
        allowed: true,
        remaining: 7,
        reset_ms: 401,
        retry_after_ms: None,
    };
    let no = Decision {
        allowed: false,
        remaining: 0,
        reset_ms: 52_000_000,
        retry_after_ms: Some(1_500),
    };
    assert_eq!(
        ratelimit_header(&[("per-second", ok), ("daily", no)]),
        r#""per-second";r=7;t=1, "daily";r=0;t=52000"#
    );
    assert_eq!(retry_after_s(&[ok, no]), Some(2));
    assert_eq!(retry_after_s(&[ok]), None);
    assert_eq!(
        policy_header(&[PolicyItem {
            name: "a\"b",
            quota: 1,
            window_s: 1
        }]),
        r#""a\"b";q=1;w=1"#
    );
}
