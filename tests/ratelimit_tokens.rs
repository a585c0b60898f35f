//! Token limits (`unit = "tokens"`): a reservation taken before an LLM call and settled with
//! the real count after (`algorithm::settle`, through the limiter's [`answer`]). What the
//! limiter holds once every reservation is settled is exactly the tokens really used, and at
//! no time do the reservations in flight plus the settled usage pass the limit.
#![cfg(not(target_arch = "wasm32"))]

use gatehouse::http::dates::Period;
use gatehouse::policy::llm::fallback::{
    retry_after_ms, verdict, Cooldowns, Verdict, MAX_COOLDOWN_MS,
};
use gatehouse::policy::llm::reservation;
use gatehouse::ratelimit::{answer, Algorithm, Limit, State, TakeRequest, WireLimit};
use proptest::prelude::*;

const T0: u64 = 1_800_000_000_000;

fn limit(limit: u64, window_ms: u64, algorithm: Algorithm) -> Limit {
    Limit {
        limit,
        window_ms,
        algorithm,
    }
}

/// One take (`settle == 0`) or settle through the limiter object's own entry point.
fn ask(l: &Limit, s: &mut State, now: u64, cost: u64, settle: i64, taken_ms: u64) -> (bool, u64) {
    let take = TakeRequest {
        limits: vec![WireLimit::from_limit("t", l)],
        cost,
        lease: 0,
        lease_ttl_ms: 0,
        settle,
        taken_ms,
    };
    let mut states = [s.clone()];
    let r = answer(&take, std::slice::from_ref(l), &mut states, now);
    *s = states[0].clone();
    (r.decisions[0].allowed, r.now_ms)
}

#[test]
fn a_settled_reservation_leaves_exactly_the_real_usage() {
    for algorithm in [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::Calendar(Period::Day),
    ] {
        let l = limit(1000, 60_000, algorithm);
        let mut s = State::default();
        let (ok, at) = ask(&l, &mut s, T0, 300, 0, 0);
        assert!(ok);
        assert_eq!(s.count, 300, "{algorithm:?}: reserved");
        ask(&l, &mut s, T0 + 10, 0, 120 - 300, at);
        assert_eq!(s.count, 120, "{algorithm:?}: given back to the real 120");
        let (ok, at) = ask(&l, &mut s, T0 + 20, 100, 0, 0);
        assert!(ok);
        ask(&l, &mut s, T0 + 30, 0, 250 - 100, at);
        assert_eq!(
            s.count, 370,
            "{algorithm:?}: charged beyond the reservation"
        );
    }
}

#[test]
fn a_charge_past_the_limit_refuses_the_next_reservation() {
    let l = limit(100, 60_000, Algorithm::FixedWindow);
    let mut s = State::default();
    let (_, at) = ask(&l, &mut s, T0, 90, 0, 0);
    ask(&l, &mut s, T0 + 1, 0, 40, at); // used 130: the prompt estimate was low
    assert_eq!(s.count, 130);
    assert!(
        !ask(&l, &mut s, T0 + 2, 1, 0, 0).0,
        "nothing fits until the window ends"
    );
}

#[test]
fn a_give_back_after_the_window_ended_changes_nothing() {
    let l = limit(100, 1_000, Algorithm::FixedWindow);
    let mut s = State::default();
    let (_, at) = ask(&l, &mut s, T0, 80, 0, 0);
    // The stream ends in the next window: the old window's count no longer counts.
    ask(&l, &mut s, T0 + 1_500, 0, -70, at);
    assert_eq!(
        s.count, 0,
        "the new window starts empty and is not given anything"
    );
}

#[test]
fn a_sliding_window_gives_back_to_the_window_the_tokens_were_counted_in() {
    let l = limit(100, 1_000, Algorithm::SlidingWindow);
    let mut s = State::default();
    let (_, at) = ask(&l, &mut s, T0 + 900, 80, 0, 0);
    ask(&l, &mut s, T0 + 1_100, 0, -60, at);
    assert_eq!(
        (s.prev, s.count),
        (20, 0),
        "the previous window holds the real 20"
    );
}

#[test]
fn a_token_bucket_gets_back_unused_tokens_up_to_its_burst() {
    let l = limit(100, 60_000, Algorithm::TokenBucket { burst: 100 });
    let mut s = State::default();
    let (_, at) = ask(&l, &mut s, T0, 90, 0, 0);
    ask(&l, &mut s, T0, 0, -80, at);
    assert!((s.tokens - 90.0).abs() < 1e-6, "10 used: {}", s.tokens);
    ask(&l, &mut s, T0, 0, -500, at);
    assert!((s.tokens - 100.0).abs() < 1e-6, "never above the burst");
}

#[test]
fn the_reservation_covers_the_prompt_and_every_answer_token() {
    assert_eq!(reservation(40, 64), 104);
    assert_eq!(reservation(u64::MAX, 64), u64::MAX, "saturates");
    assert_eq!(reservation(0, 0), 1, "never free");
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// Interleaved reservations and settlements of many concurrent calls on one limiter
    /// object (a day quota): each call reserves its worst case and later settles at a real
    /// count no larger. Reservations in flight plus settled usage never pass the limit, and
    /// once all are settled the count is exactly the usage of the admitted calls.
    #[test]
    fn interleaved_calls_spend_exactly_their_usage(
        calls in prop::collection::vec((1u64..200, 0u64..=100, any::<bool>()), 1..60),
    ) {
        let l = limit(2_000, 0, Algorithm::Calendar(Period::Day));
        let mut s = State::default();
        let mut in_flight: Vec<(u64, u64, u64)> = Vec::new(); // (reserved, used, taken_ms)
        let mut settled = 0u64;
        let mut now = T0;
        for (reserve, used_pct, settle_one_first) in calls {
            now += 1;
            if settle_one_first && !in_flight.is_empty() {
                let (r, u, at) = in_flight.remove(0);
                ask(&l, &mut s, now, 0, u as i64 - r as i64, at);
                settled += u;
            }
            let (ok, at) = ask(&l, &mut s, now, reserve, 0, 0);
            if ok {
                in_flight.push((reserve, reserve * used_pct / 100, at));
            }
            let reserved: u64 = in_flight.iter().map(|c| c.0).sum();
            prop_assert!(settled + reserved <= l.limit, "admitted past the limit");
            prop_assert_eq!(s.count, settled + reserved);
        }
        for (r, u, at) in in_flight.drain(..) {
            now += 1;
            ask(&l, &mut s, now, 0, u as i64 - r as i64, at);
            settled += u;
        }
        prop_assert_eq!(s.count, settled, "the limiter holds exactly the real usage");
    }
}

#[test]
fn providers_are_left_on_their_own_failures_not_the_requests() {
    for s in [
        429, 500, 502, 503, 529, 401, 402, 403, 404, 408, 409, 302, 410,
    ] {
        assert_eq!(verdict(s), Verdict::Next, "{s}");
    }
    for s in [400, 413, 422] {
        assert_eq!(verdict(s), Verdict::ClientError, "{s}");
    }
    assert_eq!(verdict(200), Verdict::Answer);
}

#[test]
fn retry_after_reads_seconds_and_dates_and_is_capped() {
    let now = 1_800_000_000_000.0;
    assert_eq!(retry_after_ms(Some("7"), now), Some(7_000.0));
    assert_eq!(retry_after_ms(Some("999999"), now), Some(MAX_COOLDOWN_MS));
    assert_eq!(retry_after_ms(Some("soon"), now), None);
    assert_eq!(retry_after_ms(None, now), None);
    // 1_800_000_010 s is 10 s after `now`.
    assert_eq!(
        retry_after_ms(Some("Fri, 15 Jan 2027 08:00:10 GMT"), now),
        Some(10_000.0)
    );
}

#[test]
fn a_resting_provider_is_skipped_until_its_retry_after_passes() {
    let mut c = Cooldowns::default();
    let p = (3u16, "gpt");
    c.rest(p, 1_000.0, 7_000.0);
    assert_eq!(c.resting(p, 2_000.0), Some(6_000.0));
    assert_eq!(c.resting((3, "other"), 2_000.0), None, "per model");
    assert_eq!(c.resting(p, 8_000.0), None);
    c.rest(p, 1_000.0, 0.0);
    assert_eq!(c.resting(p, 1_000.0), None, "no Retry-After: no rest");
}
