//! Pools, balancing, breakers and retry budgets, simulated with a fake clock and a fake
//! network: distributions, consistent-hash movement, the breaker state machine, the retry
//! budget under a total outage, and how fast N isolates trip.

use gatehouse::config::{Balance, HashOn, Target, TargetAddr, Upstream, UrlPart};
use gatehouse::upstream::balance::{pick_hash, pick_random, SmoothRoundRobin};
use gatehouse::upstream::breaker::{Breaker, BreakerSettings, State};
use gatehouse::upstream::pool::{Choice, PoolState};
use gatehouse::upstream::retry;
use gatehouse::upstream::retry::{
    backoff_ms, idempotent, retry_after_ms, Attempt, Budget, FailureSet, RetrySettings,
};

/// A deterministic uniform source in [0, 1) (xorshift64*).
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        (self.0.wrapping_mul(0x2545_f491_4f6c_dd1d) >> 11) as f64 / (1u64 << 53) as f64
    }
}

/// Pearson's chi-square statistic of `counts` against `weights`.
fn chi_square(counts: &[u64], weights: &[u32]) -> f64 {
    let n: u64 = counts.iter().sum();
    let total: u32 = weights.iter().sum();
    counts
        .iter()
        .zip(weights)
        .map(|(&c, &w)| {
            let expected = n as f64 * f64::from(w) / f64::from(total);
            (c as f64 - expected).powi(2) / expected
        })
        .sum()
}

#[test]
fn smooth_round_robin_gives_each_target_exactly_its_weight_interleaved() {
    let weights = [5, 1, 1];
    let mut rr = SmoothRoundRobin::default();
    let picks: Vec<usize> = (0..7)
        .map(|_| rr.pick(&weights, |_| true).unwrap())
        .collect();
    assert_eq!(picks, vec![0, 0, 1, 0, 2, 0, 0], "nginx's smooth order");
    let mut counts = [0u64; 3];
    for _ in 0..100_000 - 7 + 2 {
        counts[rr.pick(&weights, |_| true).unwrap()] += 1;
    }
    // 99,995 more picks (14,285 full cycles) after the first 7: exact shares.
    assert_eq!(counts, [71_425, 14_285, 14_285]);
    assert_eq!(
        rr.pick(&weights, |i| i == 2),
        Some(2),
        "only usable targets"
    );
    assert_eq!(rr.pick(&weights, |_| false), None);
}

#[test]
fn weighted_random_stays_within_a_chi_square_bound_over_100000_picks() {
    let weights = [9, 1];
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    let mut counts = [0u64; 2];
    for _ in 0..100_000 {
        counts[pick_random(&weights, |_| true, rng.next()).unwrap()] += 1;
    }
    // 1 degree of freedom: 10.83 is the 0.1% critical value.
    let chi = chi_square(&counts, &weights);
    assert!(chi < 10.83, "chi-square {chi} for {counts:?}");
    assert_eq!(pick_random(&weights, |i| i == 1, 0.0), Some(1));
    assert_eq!(pick_random(&weights, |_| true, 0.999_999), Some(1));
}

#[test]
fn consistent_hashing_moves_only_the_removed_targets_keys() {
    let ids = ["http://a", "http://b", "http://c", "http://d", "http://e"];
    let weights = [1, 1, 1, 1, 1];
    let keys: Vec<String> = (0..20_000).map(|i| format!("user-{i}")).collect();
    let before: Vec<usize> = keys
        .iter()
        .map(|k| pick_hash(k, &ids, &weights, |_| true).unwrap())
        .collect();
    let mut counts = [0u64; 5];
    for &t in &before {
        counts[t] += 1;
    }
    // 4 degrees of freedom: 18.47 is the 0.1% critical value.
    assert!(chi_square(&counts, &weights) < 18.47, "{counts:?}");
    // Remove target 2: its keys spread over the others, no other key moves.
    let after: Vec<usize> = keys
        .iter()
        .map(|k| pick_hash(k, &ids, &weights, |i| i != 2).unwrap())
        .collect();
    let moved = before.iter().zip(&after).filter(|(b, a)| b != a).count() as u64;
    assert_eq!(moved, counts[2], "exactly the removed target's keys move");
    assert!(before.iter().zip(&after).all(|(b, a)| *b == 2 || a == b));
    // Weighted: a target of weight 3 gets three times the keys.
    let weights = [3, 1, 1, 1, 1];
    let mut counts = [0u64; 5];
    for k in &keys {
        counts[pick_hash(k, &ids, &weights, |_| true).unwrap()] += 1;
    }
    assert!(chi_square(&counts, &weights) < 18.47, "{counts:?}");
}

fn settings() -> BreakerSettings {
    BreakerSettings {
        failures: 3,
        error_ratio: None,
        window_ms: 10_000,
        min_requests: 10,
        open_ms: 1_000,
        max_open_ms: 4_000,
        probes: 2,
        on: FailureSet::DEFAULT,
    }
}

#[test]
fn a_breaker_opens_after_consecutive_failures_and_closes_after_half_open_successes() {
    let mut b = Breaker::new(settings());
    for t in 0..2 {
        assert!(b.admit(t as f64));
        b.record(false, t as f64);
    }
    b.record(true, 2.0);
    assert_eq!(b.state(), State::Closed, "a success resets the count");
    for t in 3..6 {
        assert!(b.admit(t as f64));
        b.record(false, t as f64);
    }
    assert_eq!(b.state(), State::Open { until_ms: 1_005.0 });
    assert!(!b.admit(1_004.0));
    assert_eq!(b.retry_after_s(500.0), 1);
    // Half-open: two probes admitted, a third not until they report.
    assert!(b.admit(1_005.0));
    assert!(b.admit(1_006.0));
    assert!(!b.admit(1_007.0));
    b.record(true, 1_010.0);
    assert!(matches!(b.state(), State::HalfOpen { .. }));
    b.record(true, 1_011.0);
    assert_eq!(b.state(), State::Closed);
}

#[test]
fn a_breaker_stays_open_longer_on_each_repeated_trip_up_to_the_maximum() {
    let mut b = Breaker::new(settings());
    let mut now = 0.0;
    let mut periods = Vec::new();
    for _ in 0..5 {
        loop {
            assert!(b.admit(now));
            b.record(false, now);
            if matches!(b.state(), State::Open { .. }) {
                break;
            }
        }
        let State::Open { until_ms } = b.state() else {
            unreachable!()
        };
        periods.push(until_ms - now);
        now = until_ms; // the probe after the period fails again
    }
    assert_eq!(periods, vec![1_000.0, 2_000.0, 4_000.0, 4_000.0, 4_000.0]);
    // A close resets the growth.
    assert!(b.admit(now));
    b.record(true, now);
    assert!(b.admit(now));
    b.record(true, now);
    assert_eq!(b.state(), State::Closed);
    for _ in 0..3 {
        b.admit(now);
        b.record(false, now);
    }
    assert_eq!(
        b.state(),
        State::Open {
            until_ms: now + 1_000.0
        }
    );
}

#[test]
fn a_breaker_trips_on_the_error_ratio_only_with_enough_volume() {
    let mut b = Breaker::new(BreakerSettings {
        failures: 0,
        error_ratio: Some(0.5),
        ..settings()
    });
    // 9 requests, 5 failing (never 3 in a row would matter: failures = 0): below volume.
    for i in 0..9 {
        b.admit(i as f64);
        b.record(i % 2 == 1, i as f64 * 100.0);
    }
    assert_eq!(b.state(), State::Closed);
    b.admit(950.0);
    b.record(false, 950.0);
    assert!(
        matches!(b.state(), State::Open { .. }),
        "10 requests, 6 failed"
    );
    // Old failures leave the window.
    let mut b = Breaker::new(BreakerSettings {
        failures: 0,
        error_ratio: Some(0.5),
        ..settings()
    });
    for i in 0..10 {
        b.record(false, f64::from(i));
        if i == 0 {
            assert_eq!(b.state(), State::Closed);
        }
    }
    let mut b2 = Breaker::new(BreakerSettings {
        failures: 0,
        error_ratio: Some(0.5),
        ..settings()
    });
    for i in 0..6 {
        b2.record(false, f64::from(i));
    }
    for i in 0..10 {
        b2.record(true, 20_000.0 + f64::from(i));
    }
    assert_eq!(
        b2.state(),
        State::Closed,
        "failures 20 s ago are outside the window"
    );
}

#[test]
fn retries_wait_a_jittered_doubling_backoff_and_honour_retry_after_only_within_the_deadline() {
    let s = RetrySettings {
        attempts: 3,
        on: FailureSet::DEFAULT,
        backoff_ms: 100,
        max_backoff_ms: 300,
        budget_percent: 20,
    };
    assert_eq!(backoff_ms(&s, 1, 0.5), 50.0);
    assert_eq!(backoff_ms(&s, 2, 0.999), 199.8);
    assert_eq!(backoff_ms(&s, 5, 1.0), 300.0, "capped");
    assert_eq!(backoff_ms(&s, 1, 0.0), 0.0, "full jitter reaches zero");
    assert_eq!(retry_after_ms(Some("2"), 5_000.0), Some(2_000.0));
    assert_eq!(
        retry_after_ms(Some("10"), 5_000.0),
        None,
        "beyond the deadline"
    );
    assert_eq!(
        retry_after_ms(Some("Wed, 21 Oct 2015 07:28:00 GMT"), 5_000.0),
        None
    );
    assert_eq!(retry_after_ms(None, 5_000.0), Some(0.0));
    assert!(retry::contains(&FailureSet::DEFAULT, Attempt::Connect));
    assert!(retry::contains(&FailureSet::DEFAULT, Attempt::Status(503)));
    assert!(!retry::contains(&FailureSet::DEFAULT, Attempt::Status(500)));
    assert!(idempotent("GET") && idempotent("PUT") && idempotent("DELETE"));
    assert!(!idempotent("POST") && !idempotent("PATCH"));
}

#[test]
fn the_retry_budget_bounds_extra_load_during_a_total_outage() {
    // 200 requests per second for 60 s, every attempt failing, 3 retries allowed each.
    let mut budget = Budget::default();
    let (mut requests, mut retries) = (0u64, 0u64);
    for i in 0..12_000u64 {
        let now = i as f64 * 5.0;
        budget.note_request(now);
        requests += 1;
        for _ in 0..3 {
            if !budget.try_retry(20, now) {
                break;
            }
            retries += 1;
        }
    }
    // Without a budget: 36,000 retries (4x the load). With 20%: at most 20% plus 3 per window.
    let bound = requests / 5 + 3 * 6;
    assert!(
        retries <= bound,
        "{retries} retries for {requests} requests"
    );
    assert!(retries >= requests / 6, "the budget is used: {retries}");
}

static TARGETS: [Target; 3] = [
    Target {
        id: "a",
        addr: TargetAddr::Url(&[UrlPart::Lit("http://a")]),
        weight: 1,
    },
    Target {
        id: "b",
        addr: TargetAddr::Url(&[UrlPart::Lit("http://b")]),
        weight: 1,
    },
    Target {
        id: "c",
        addr: TargetAddr::Url(&[UrlPart::Lit("http://c")]),
        weight: 1,
    },
];

fn pool(balance: Balance) -> Upstream {
    Upstream {
        name: "p",
        targets: &TARGETS,
        balance,
        timeout_ms: 1_000,
        deadline_ms: None,
        retries: None,
        breaker: Some(settings()),
        fallback: None,
        mirror: None,
        canary: None,
        provider: None,
    }
}

#[test]
fn a_pool_skips_open_targets_retries_elsewhere_and_reports_when_all_are_open() {
    let up = pool(Balance::RoundRobin);
    let mut p = PoolState::new(&up);
    // Target b fails 3 times: open.
    for t in 0..3 {
        p.record(1, true, f64::from(t));
    }
    let picks: Vec<Choice> = (0..4)
        .map(|_| p.choose(&up, None, &[], 10.0, 0.5))
        .collect();
    assert!(!picks.contains(&Choice::Target(1)), "{picks:?}");
    // A retry after a: b is open, so c.
    assert_eq!(p.choose(&up, None, &[0], 10.0, 0.5), Choice::Target(2));
    // Every target tried: one that admits is tried again.
    assert!(matches!(
        p.choose(&up, None, &[0, 2], 10.0, 0.5),
        Choice::Target(0 | 2)
    ));
    for target in [0, 2] {
        for t in 0..3 {
            p.record(target, true, f64::from(t) + 20.0);
        }
    }
    assert_eq!(
        p.choose(&up, None, &[], 30.0, 0.5),
        Choice::AllOpen { retry_after_s: 1 }
    );
    // After the open period, a probe goes through.
    assert!(matches!(
        p.choose(&up, None, &[], 1_100.0, 0.5),
        Choice::Target(_)
    ));
}

#[test]
fn a_hashed_pool_keeps_a_key_on_its_target_and_moves_it_only_when_that_target_opens() {
    let up = pool(Balance::Hash(HashOn::Header("x-user")));
    let mut p = PoolState::new(&up);
    let first = p.choose(&up, Some("user-7"), &[], 0.0, 0.1);
    for r in [0.2, 0.9, 0.5] {
        assert_eq!(p.choose(&up, Some("user-7"), &[], 0.0, r), first, "sticky");
    }
    let Choice::Target(t) = first else {
        unreachable!()
    };
    for i in 0..3 {
        p.record(t, true, f64::from(i));
    }
    let moved = p.choose(&up, Some("user-7"), &[], 5.0, 0.1);
    assert_ne!(moved, first);
    assert!(matches!(moved, Choice::Target(_)));
}

/// N isolates, each with its own breaker for one dead target, share traffic round robin. The
/// failures the clients see before every isolate has opened grow with N: each isolate must
/// see `failures` of its own.
#[test]
fn n_isolates_each_learn_on_their_own_how_fast_they_all_trip() {
    let s = BreakerSettings {
        failures: 5,
        ..settings()
    };
    let mut figures = Vec::new();
    for n in [1usize, 10, 100] {
        let mut isolates: Vec<Breaker> = (0..n).map(|_| Breaker::new(s)).collect();
        let mut failed = 0;
        let mut request = 0usize;
        while isolates
            .iter()
            .any(|b| !matches!(b.state(), State::Open { .. }))
        {
            let b = &mut isolates[request % n];
            let now = request as f64 * 0.1; // 10,000 req/s overall
            if b.admit(now) {
                b.record(false, now);
                failed += 1;
            }
            request += 1;
        }
        figures.push((n, failed));
    }
    assert_eq!(figures, vec![(1, 5), (10, 50), (100, 500)]);
}

mod canary_split {
    use gatehouse::config::HashOn;
    use gatehouse::upstream::canary::{remember, side, Canary, Side, Sticky};

    const BY_COOKIE: Canary = Canary {
        upstream: 1,
        percent: 10.0,
        header: Some("x-canary"),
        cookie: Some("force"),
        sticky: Sticky::Cookie("gatehouse_canary"),
    };

    fn none(_: &str) -> Option<String> {
        None
    }

    #[test]
    fn the_header_then_the_forcing_cookie_then_the_sticky_cookie_decide_before_the_draw() {
        let header = |v: &'static str| move |n: &str| (n == "x-canary").then(|| v.to_string());
        let jar = |pairs: &'static [(&'static str, &'static str)]| {
            move |n: &str| {
                pairs
                    .iter()
                    .find(|(k, _)| *k == n)
                    .map(|(_, v)| v.to_string())
            }
        };
        let kept = Side {
            canary: true,
            drawn: false,
        };
        assert_eq!(
            side(&BY_COOKIE, header("1"), jar(&[("force", "0")]), None, 0.99),
            kept
        );
        assert!(
            !side(
                &BY_COOKIE,
                header("false"),
                jar(&[("gatehouse_canary", "1")]),
                None,
                0.0
            )
            .canary
        );
        assert!(
            side(
                &BY_COOKIE,
                header("maybe"),
                jar(&[("force", "1")]),
                None,
                0.99
            )
            .canary
        );
        assert_eq!(
            side(
                &BY_COOKIE,
                none,
                jar(&[("gatehouse_canary", "1")]),
                None,
                0.99
            ),
            kept
        );
        let drawn = side(&BY_COOKIE, none, none, None, 0.05);
        assert_eq!(
            drawn,
            Side {
                canary: true,
                drawn: true
            }
        );
        assert_eq!(
            remember(&BY_COOKIE, drawn).as_deref(),
            Some("gatehouse_canary=1; Path=/; Max-Age=86400; HttpOnly; SameSite=Lax")
        );
        assert_eq!(remember(&BY_COOKIE, kept), None, "nothing new to remember");
        assert!(
            !side(&BY_COOKIE, none, none, None, 0.10).canary,
            "10% means r < 0.10"
        );
    }

    /// Issue 23, item 9: forcing is opt-in, so a dark canary stays dark.
    #[test]
    fn without_a_forcing_header_or_cookie_no_client_can_reach_a_dark_canary() {
        let dark = Canary {
            percent: 0.0,
            header: None,
            cookie: None,
            ..BY_COOKIE
        };
        let anything = |_: &str| Some("1".to_string());
        for r in [0.0, 0.5, 0.999] {
            let s = side(&dark, anything, anything, None, r);
            assert!(
                !s.canary,
                "x-canary: 1 and every cookie set to 1 must not reach it"
            );
        }
        // The sticky cookie is the client's: it keeps only a side the split could give.
        let kept = |n: &str| (n == "gatehouse_canary").then(|| "1".to_string());
        assert!(!side(&dark, none, kept, None, 0.0).canary);
        assert!(side(&BY_COOKIE, none, kept, None, 0.99).canary, "10%: kept");
    }

    #[test]
    fn a_split_sticky_by_key_puts_the_same_share_of_keys_on_the_canary_in_every_isolate() {
        let by_user = Canary {
            sticky: Sticky::Key(HashOn::Header("x-user")),
            ..BY_COOKIE
        };
        let on_canary = (0..10_000)
            .filter(|i| side(&by_user, none, none, Some(&format!("user-{i}")), 0.99).canary)
            .count();
        assert!(
            (900..=1_100).contains(&on_canary),
            "{on_canary} of 10,000 keys"
        );
        for r in [0.0, 0.5, 0.99] {
            assert_eq!(
                side(&by_user, none, none, Some("user-7"), r),
                side(&by_user, none, none, Some("user-7"), 0.3),
                "the draw does not matter for a key"
            );
        }
        assert!(
            side(&by_user, none, none, None, 0.01).drawn,
            "no key: drawn"
        );
        assert_eq!(
            remember(&by_user, side(&by_user, none, none, None, 0.01)),
            None
        );
    }
}

mod hash_keys {
    use gatehouse::auth::Identity;
    use gatehouse::config::HashOn;
    use gatehouse::upstream::hash_key::hash_key;

    fn headers(name: &str) -> Option<String> {
        match name {
            "x-user" => Some("alice".into()),
            "cookie" => Some("sid=abc; theme=dark; dup=1; dup=2".into()),
            _ => None,
        }
    }

    #[test]
    fn the_hash_key_comes_from_a_header_cookie_claim_consumer_or_ip() {
        let claims = serde_json::json!({ "sub": "u-1", "org": "acme", "tier": 3 });
        let identity =
            Identity::from_claims("user-jwt", "sub", claims.as_object().unwrap().clone());
        let key = |on| hash_key(on, headers, Some(&identity), Some("203.0.113.9"));
        assert_eq!(key(HashOn::Header("x-user")).as_deref(), Some("alice"));
        assert_eq!(key(HashOn::Header("x-absent")), None);
        assert_eq!(key(HashOn::Cookie("sid")).as_deref(), Some("abc"));
        assert_eq!(
            key(HashOn::Cookie("dup")),
            None,
            "a cookie set twice is no key"
        );
        assert_eq!(key(HashOn::Claim("org")).as_deref(), Some("acme"));
        assert_eq!(key(HashOn::Claim("tier")).as_deref(), Some("3"));
        assert_eq!(key(HashOn::Consumer).as_deref(), Some("user-jwt:u-1"));
        assert_eq!(key(HashOn::Ip).as_deref(), Some("203.0.113.9"));
        assert_eq!(
            hash_key(HashOn::Claim("org"), headers, None, None),
            None,
            "anonymous"
        );
        assert_eq!(hash_key(HashOn::Ip, headers, None, None), None);
    }
}
