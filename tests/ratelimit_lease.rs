//! Leased mode: what the object grants, how long leases live, how an isolate's pool spends,
//! sizes and refuses, and - simulated over many isolates sharing one object - that windows are
//! never over-admitted and token buckets stay within the documented `isolates x lease` bound.

use gatehouse::http::dates::Period;
use gatehouse::ratelimit::lease::{lease_all, lease_ms, LeasePool, Plan};
use gatehouse::ratelimit::{answer, Algorithm, Limit, State, TakeRequest, TakeResponse, WireLimit};

const T0: u64 = 1_800_000_000_000;
const KEY: (usize, &str) = (1, "policy|client");

fn limit(limit: u64, window_ms: u64, algorithm: Algorithm) -> Limit {
    Limit {
        limit,
        window_ms,
        algorithm,
    }
}

#[test]
fn a_lease_grants_what_every_limit_still_admits_and_nothing_when_one_is_spent() {
    let limits = [
        limit(10, 1_000, Algorithm::FixedWindow),
        limit(4, 0, Algorithm::Calendar(Period::Day)),
    ];
    let mut states = vec![State::default(); 2];
    let (granted, d, _) = lease_all(&limits, &mut states, T0, 8);
    assert_eq!(granted, 4, "the daily quota of 4 bounds the lease");
    assert_eq!((d[0].remaining, d[1].remaining), (6, 0));
    let (granted, d, _) = lease_all(&limits, &mut states, T0 + 5_000, 8);
    assert_eq!(granted, 0);
    assert!(d.iter().all(|d| !d.allowed));
    assert_eq!(
        d[0].retry_after_ms, None,
        "only the spent limit gives a retry time"
    );
    let day_end = gatehouse::http::dates::window(Period::Day, T0).1;
    assert_eq!(d[1].retry_after_ms, Some(day_end - (T0 + 5_000)));
    assert_eq!(
        states[0].count, 4,
        "a refused lease takes nothing from the other limits"
    );
}

#[test]
fn a_lease_never_outlives_its_window_or_its_ttl() {
    let fixed = [limit(100, 60_000, Algorithm::FixedWindow)];
    assert_eq!(lease_ms(&fixed, T0 + 59_500, 2_000), 500);
    assert_eq!(lease_ms(&fixed, T0 + 1_000, 2_000), 2_000);
    let sliding = [limit(100, 10_000, Algorithm::SlidingWindow)];
    assert_eq!(lease_ms(&sliding, T0 + 9_900, 1_000), 100);
    let daily = [limit(100, 0, Algorithm::Calendar(Period::Day))];
    assert_eq!(
        lease_ms(&daily, T0 + 86_399_000 - T0 % 86_400_000, 5_000),
        1_000
    );
    let bucket = [limit(10, 1_000, Algorithm::TokenBucket { burst: 20 })];
    assert_eq!(lease_ms(&bucket, T0 + 999, 1_000), 1_000);
}

#[test]
fn a_key_starts_with_one_permit_and_doubles_while_leases_run_out_early() {
    let mut pool = LeasePool::new(10);
    let mut sizes = Vec::new();
    for now in T0..T0 + 40 {
        match pool.plan(KEY, now, 8, 1_000) {
            Plan::Refill { want } => {
                sizes.push(want);
                let d = pool.filled(KEY, now, (want, 60_000, 0), vec![decision(100)]);
                assert_eq!(
                    d[0].remaining,
                    100 + want - 1,
                    "unspent permits count as remaining"
                );
            }
            Plan::Admitted(_) => {}
            other => panic!("unexpected {other:?}"),
        }
    }
    assert_eq!(sizes, vec![1, 2, 4, 8, 8, 8, 8, 8]);
}

#[test]
fn an_expired_lease_sizes_the_next_by_what_was_used() {
    let mut pool = LeasePool::new(10);
    assert_eq!(pool.plan(KEY, T0, 8, 1_000), Plan::Refill { want: 1 });
    pool.filled(KEY, T0, (1, 1_000, 0), vec![decision(10)]);
    for want in [2, 4] {
        assert_eq!(pool.plan(KEY, T0 + 1, 8, 1_000), Plan::Refill { want });
        pool.filled(KEY, T0 + 1, (want, 1_000, 0), vec![decision(10)]);
        for _ in 1..want {
            assert!(matches!(
                pool.plan(KEY, T0 + 1, 8, 1_000),
                Plan::Admitted(_)
            ));
        }
    }
    // An 8-permit lease: use 2 of them (1 by the refilling request), then let it expire.
    assert_eq!(pool.plan(KEY, T0 + 2, 8, 1_000), Plan::Refill { want: 8 });
    pool.filled(KEY, T0 + 2, (8, 1_000, 0), vec![decision(10)]);
    assert!(matches!(
        pool.plan(KEY, T0 + 2, 8, 1_000),
        Plan::Admitted(_)
    ));
    assert_eq!(
        pool.plan(KEY, T0 + 5_000, 8, 1_000),
        Plan::Refill { want: 2 }
    );
}

#[test]
fn while_a_refill_is_in_flight_other_requests_wait_until_it_is_stale() {
    let mut pool = LeasePool::new(10);
    assert_eq!(pool.plan(KEY, T0, 8, 1_000), Plan::Refill { want: 1 });
    assert_eq!(pool.plan(KEY, T0 + 10, 8, 1_000), Plan::Wait);
    assert_eq!(pool.plan(KEY, T0 + 999, 8, 1_000), Plan::Wait);
    // Never answered (the request was cancelled): after the timeout, refill again.
    assert_eq!(
        pool.plan(KEY, T0 + 1_000, 8, 1_000),
        Plan::Refill { want: 1 }
    );
    pool.failed(KEY);
    assert!(
        pool.is_empty(),
        "a key that never got an answer is forgotten"
    );
}

#[test]
fn a_refusal_is_remembered_until_retry_after_then_asked_again() {
    let mut pool = LeasePool::new(10);
    assert_eq!(pool.plan(KEY, T0, 8, 1_000), Plan::Refill { want: 1 });
    let refused = gatehouse::ratelimit::Decision {
        allowed: false,
        remaining: 0,
        reset_ms: 30_000,
        retry_after_ms: Some(30_000),
    };
    let d = pool.filled(KEY, T0, (0, 0, 0), vec![refused]);
    assert!(!d[0].allowed);
    match pool.plan(KEY, T0 + 10_000, 8, 1_000) {
        Plan::Refused(d) => {
            assert_eq!(d[0].retry_after_ms, Some(20_000));
            assert_eq!(d[0].reset_ms, 20_000);
        }
        other => panic!("expected a local refusal, got {other:?}"),
    }
    assert_eq!(
        pool.plan(KEY, T0 + 30_000, 8, 1_000),
        Plan::Refill { want: 1 }
    );
}

#[test]
fn a_full_pool_drops_expired_keys_and_otherwise_takes_exactly() {
    let mut pool = LeasePool::new(2);
    for (i, name) in ["a", "b"].iter().enumerate() {
        assert_eq!(pool.plan((1, name), T0, 8, 1_000), Plan::Refill { want: 1 });
        pool.filled(
            (1, name),
            T0,
            (1, 100 * (i as u64 + 1), 0),
            vec![decision(5)],
        );
    }
    assert_eq!(pool.plan((1, "c"), T0 + 50, 8, 1_000), Plan::Exact);
    assert_eq!(
        pool.plan((1, "c"), T0 + 150, 8, 1_000),
        Plan::Refill { want: 1 }
    );
    assert_eq!(pool.len(), 2, "\"a\" expired and made room");
}

fn decision(remaining: u64) -> gatehouse::ratelimit::Decision {
    gatehouse::ratelimit::Decision {
        allowed: true,
        remaining,
        reset_ms: 1_000,
        retry_after_ms: None,
    }
}

/// `isolates` pools sharing one limiter object (via the same [`answer`] the Durable Object
/// runs, over JSON), each request arriving at a pseudo-random isolate every `step_ms`.
/// Returns the admission times and the number of round trips to the object.
fn simulate(
    l: Limit,
    isolates: usize,
    lease: u64,
    ttl_ms: u64,
    step_ms: u64,
    n: u64,
) -> (Vec<u64>, u64) {
    let mut trips = 0;
    let wire = vec![WireLimit::from_limit("l", &l)];
    let mut object = vec![State::default()];
    let mut pools: Vec<LeasePool> = (0..isolates).map(|_| LeasePool::new(100)).collect();
    let mut rng = 0x9e3779b97f4a7c15u64;
    let mut admitted = Vec::new();
    for i in 0..n {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        let now = T0 + i * step_ms;
        let pool = &mut pools[(rng % isolates as u64) as usize];
        let mut ask = |lease: u64| -> TakeResponse {
            trips += 1;
            let take = TakeRequest {
                limits: wire.clone(),
                cost: 1,
                lease,
                lease_ttl_ms: ttl_ms,
                settle: 0,
                taken_ms: 0,
            };
            let take: TakeRequest =
                serde_json::from_str(&serde_json::to_string(&take).unwrap()).unwrap();
            answer(&take, &[l], &mut object, now)
        };
        let ok = match pool.plan(KEY, now, lease, 1_000) {
            Plan::Admitted(_) => true,
            Plan::Refused(_) => false,
            Plan::Exact => ask(0).decisions[0].allowed,
            Plan::Wait => unreachable!("requests here are sequential"),
            Plan::Refill { want } => {
                let r = ask(want);
                let d = r.decisions.into_iter().map(Into::into).collect();
                pool.filled(KEY, now, (r.granted, r.lease_ms, r.next_ms), d)[0].allowed
            }
        };
        if ok {
            admitted.push(now);
        }
    }
    (admitted, trips)
}

#[test]
fn leased_windows_never_admit_more_than_their_limit() {
    for algorithm in [Algorithm::FixedWindow, Algorithm::SlidingWindow] {
        for (isolates, lease) in [(1, 10), (4, 10), (16, 25)] {
            let l = limit(100, 1_000, algorithm);
            let (admitted, trips) = simulate(l, isolates, lease, 500, 1, 20_000);
            // Saturated: a fixed window's refusals last to its end; a sliding window frees one
            // permit at a time, so each admission near saturation may cost a trip.
            let most = if algorithm == Algorithm::FixedWindow {
                1_000
            } else {
                6_000
            };
            assert!(
                trips < most,
                "{algorithm:?} {isolates}x{lease}: {trips} round trips for 20000 requests"
            );
            for w in 0..20 {
                let start = T0 + w * 1_000;
                let in_window = admitted
                    .iter()
                    .filter(|&&t| t >= start && t < start + 1_000)
                    .count();
                assert!(
                    in_window <= 100,
                    "{algorithm:?} {isolates} isolates lease {lease}: {in_window} in window {w}"
                );
            }
            // Under-admission is bounded too: at most one lease per isolate goes unspent.
            let floor = 100usize.saturating_sub(isolates * lease as usize);
            for w in 1..20 {
                let start = T0 + w * 1_000;
                let in_window = admitted
                    .iter()
                    .filter(|&&t| t >= start && t < start + 1_000)
                    .count();
                if isolates == 1 && algorithm == Algorithm::FixedWindow {
                    assert_eq!(in_window, 100, "one isolate spends every permit it leases");
                }
                assert!(
                    in_window >= floor,
                    "{algorithm:?} {isolates}x{lease}: {in_window} in window {w}"
                );
            }
        }
    }
}

#[test]
fn under_the_limit_every_request_is_admitted_with_few_round_trips() {
    for algorithm in [
        Algorithm::FixedWindow,
        Algorithm::SlidingWindow,
        Algorithm::TokenBucket { burst: 100 },
    ] {
        // 50 requests/s against 100/s, spread over 4 isolates.
        let (admitted, trips) = simulate(limit(100, 1_000, algorithm), 4, 10, 1_000, 20, 5_000);
        assert_eq!(admitted.len(), 5_000, "{algorithm:?}");
        assert!(trips < 5_000 / 4, "{algorithm:?}: {trips} round trips");
    }
}

#[test]
fn leased_token_buckets_overshoot_by_at_most_isolates_times_lease() {
    let (isolates, lease, rate_per_s, burst) = (4u64, 10u64, 50u64, 20u64);
    let l = limit(rate_per_s, 1_000, Algorithm::TokenBucket { burst });
    let (admitted, _) = simulate(l, isolates as usize, lease, 1_000, 1, 10_000);
    // Exact mode's bound over any interval: burst + rate x length. Check every 1 s interval
    // starting at each admission.
    let mut worst = 0;
    for (i, &t) in admitted.iter().enumerate() {
        let within = admitted[i..].iter().take_while(|&&u| u < t + 1_000).count() as u64;
        assert!(
            within <= burst + rate_per_s + isolates * lease,
            "{within} admitted in 1 s from {t}"
        );
        worst = worst.max(within);
    }
    assert!(
        worst >= burst + rate_per_s - 5,
        "the bucket is actually exercised: {worst}"
    );
}
