//! The `rate_limit` policy natively, against [`support::TestBackend`]'s in-process limiter
//! (the RateLimiter object's logic without storage): keys, plans, atomic limits, headers,
//! 429s and `on_error` (deny or allow).
#![cfg(not(target_arch = "wasm32"))] // the test backend uses native-only dev-dependencies
mod support;

use gatehouse::auth::Identity;
use gatehouse::error::GatewayError;
use gatehouse::http::dates::Period;
use gatehouse::policy::rate_limit;
use gatehouse::policy::rate_limit::{KeyPart, NamedLimit, OnError, RateLimit};
use gatehouse::ratelimit::{take_all, Algorithm, Limit, State};
use support::TestBackend;

const PER_SECOND: NamedLimit = NamedLimit {
    name: "per-second",
    limit: Limit {
        limit: 2,
        window_ms: 1_000,
        algorithm: Algorithm::FixedWindow,
    },
};
const DAILY: NamedLimit = NamedLimit {
    name: "daily",
    limit: Limit {
        limit: 3,
        window_ms: 0,
        algorithm: Algorithm::Calendar(Period::Day),
    },
};
const GOLD: NamedLimit = NamedLimit {
    name: "per-second",
    limit: Limit {
        limit: 5,
        window_ms: 1_000,
        algorithm: Algorithm::FixedWindow,
    },
};

static POLICY: RateLimit = RateLimit {
    name: "limits",
    index: 0,
    key: &[KeyPart::Consumer, KeyPart::Header("x-tenant")],
    limits: &[PER_SECOND, DAILY],
    plans: &[("gold", &[GOLD])],
    on_error: OnError::Allow,
    timeout_ms: 1_000,
    lease: 0,
    lease_ttl_ms: 0,
    tokens: false,
};
static DENIES: RateLimit = RateLimit {
    name: "denies",
    index: 1,
    on_error: OnError::Deny,
    ..clone()
};

const fn clone() -> RateLimit {
    RateLimit {
        name: "limits",
        index: 2,
        key: &[KeyPart::Global],
        limits: &[PER_SECOND],
        plans: &[],
        on_error: OnError::Allow,
        timeout_ms: 1_000,
        lease: 0,
        lease_ttl_ms: 0,
        tokens: false,
    }
}

fn who(subject: &str, plan: Option<&str>) -> Identity {
    Identity {
        policy: "p",
        subject: subject.into(),
        plan: plan.map(str::to_string),
        scopes: vec![],
        roles: vec![],
        claims: Default::default(),
    }
}

fn check(
    p: &'static RateLimit,
    b: &TestBackend,
    id: Option<&Identity>,
) -> Result<Vec<(&'static str, String)>, GatewayError> {
    futures::executor::block_on(rate_limit::check(p, b, id, "route-1", ""))
        .map(|passed| passed.headers)
}

fn backend() -> TestBackend {
    TestBackend {
        now: 1_800_000_000.5,
        ..TestBackend::default()
    }
    .with_header("x-tenant", "acme|x")
}

#[test]
fn keys_name_one_object_per_consumer_and_escape_separators() {
    let b = backend();
    check(&POLICY, &b, Some(&who("alice", None))).unwrap();
    check(&POLICY, &b, Some(&who("bob%7C", None))).unwrap();
    assert_eq!(
        *b.limiter_calls.borrow(),
        ["limits|alice|acme%7Cx", "limits|bob%257C|acme%7Cx"]
    );
}

#[test]
fn limits_are_taken_together_and_refusals_carry_retry_after_and_headers() {
    let b = backend();
    let alice = who("alice", None);
    let first = check(&POLICY, &b, Some(&alice)).unwrap();
    assert_eq!(
        first[0],
        (
            "ratelimit-policy",
            r#""per-second";q=2;w=1, "daily";q=3;w=86400"#.to_string()
        )
    );
    assert!(
        first[1]
            .1
            .starts_with(r#""per-second";r=1;t=1, "daily";r=2;t="#),
        "{}",
        first[1].1
    );
    check(&POLICY, &b, Some(&alice)).unwrap();
    match check(&POLICY, &b, Some(&alice)) {
        Err(e @ GatewayError::RateLimited { .. }) => {
            assert_eq!(e.status(), 429);
            let h = e.headers();
            assert!(h.contains(&("retry-after", "1".to_string())), "{h:?}");
            assert!(
                h.iter()
                    .any(|(k, v)| *k == "ratelimit" && v.contains(r#""daily";r=1"#)),
                "the refused request took nothing from the daily quota: {h:?}"
            );
        }
        other => panic!("expected 429, got {other:?}"),
    }
}

#[test]
fn a_consumers_plan_selects_its_limits() {
    let b = backend();
    let gold = who("carol", Some("gold"));
    for _ in 0..5 {
        check(&POLICY, &b, Some(&gold)).unwrap();
    }
    assert!(check(&POLICY, &b, Some(&gold)).is_err());
    let unknown_plan = who("dave", Some("platinum"));
    check(&POLICY, &b, Some(&unknown_plan)).unwrap();
    check(&POLICY, &b, Some(&unknown_plan)).unwrap();
    assert!(
        check(&POLICY, &b, Some(&unknown_plan)).is_err(),
        "an undeclared plan gets the default limits"
    );
}

#[test]
fn a_failing_limiter_allows_or_denies_as_on_error_says() {
    let b = TestBackend {
        limiter_down: true,
        ..backend()
    };
    let passed =
        futures::executor::block_on(rate_limit::check(&POLICY, &b, None, "r", "")).unwrap();
    assert!(passed.headers.is_empty());
    assert!(passed
        .allowed_on_error
        .unwrap()
        .contains("on_error = \"allow\""));
    let err = check(&DENIES, &b, None).unwrap_err();
    assert_eq!((err.status(), err.slug()), (503, "rate-limit-unavailable"));
}

#[test]
fn take_all_refuses_atomically() {
    let limits = [PER_SECOND.limit, DAILY.limit];
    let mut states = vec![State::default(), State::default()];
    let now = 1_800_000_000_000;
    assert!(take_all(&limits, &mut states, now, 1)
        .iter()
        .all(|d| d.allowed));
    assert!(take_all(&limits, &mut states, now, 1)
        .iter()
        .all(|d| d.allowed));
    let refused = take_all(&limits, &mut states, now, 1);
    assert!(refused.iter().all(|d| !d.allowed));
    assert_eq!(refused[1].remaining, 1, "the daily quota was not charged");
    assert_eq!(refused[0].retry_after_ms, Some(1_000));
    assert_eq!(
        refused[1].retry_after_ms, None,
        "only the limit that refused says when"
    );
}

const TEN_PER_SECOND: NamedLimit = NamedLimit {
    name: "ten",
    limit: Limit {
        limit: 10,
        window_ms: 1_000,
        algorithm: Algorithm::FixedWindow,
    },
};
static LEASED: RateLimit = RateLimit {
    name: "leased",
    index: 3,
    limits: &[TEN_PER_SECOND],
    lease: 4,
    lease_ttl_ms: 1_000,
    tokens: false,
    ..clone()
};

#[test]
fn leased_mode_spends_local_permits_with_exact_headers_and_refuses_locally() {
    let b = backend();
    let mut remaining = Vec::new();
    for _ in 0..10 {
        let h = check(&LEASED, &b, None).unwrap();
        remaining.push(h[1].1.clone());
    }
    let expected: Vec<String> = (0..10)
        .rev()
        .map(|r| format!(r#""ten";r={r};t=1"#))
        .collect();
    assert_eq!(
        remaining, expected,
        "one isolate reports exact remaining counts"
    );
    // Leases of 1, 2, 4, then the 3 permits left: 4 round trips for 10 requests.
    assert_eq!(b.limiter_calls.borrow().len(), 4);
    let err = check(&LEASED, &b, None).unwrap_err();
    assert_eq!(err.status(), 429);
    assert!(err.headers().contains(&("retry-after", "1".to_string())));
    assert_eq!(
        b.limiter_calls.borrow().len(),
        4,
        "the exhausted lease refuses without asking the object"
    );
}

#[test]
fn a_leased_policy_whose_limiter_fails_still_allows_or_denies_as_on_error_says() {
    static LEASED_DENIES: RateLimit = RateLimit {
        name: "leased-denies",
        index: 4,
        on_error: OnError::Deny,
        limits: &[TEN_PER_SECOND],
        lease: 4,
        lease_ttl_ms: 1_000,
        tokens: false,
        ..clone()
    };
    let b = TestBackend {
        limiter_down: true,
        ..backend()
    };
    let err = check(&LEASED_DENIES, &b, None).unwrap_err();
    assert_eq!(err.status(), 503);
    // A second attempt asks again (the failed refill is forgotten), and fails again.
    assert_eq!(check(&LEASED_DENIES, &b, None).unwrap_err().status(), 503);
    assert_eq!(b.limiter_calls.borrow().len(), 2);
    let passed =
        futures::executor::block_on(rate_limit::check(&LEASED, &b, None, "r", "")).unwrap();
    assert!(passed.allowed_on_error.is_some());
}

const TWENTY_FIVE: NamedLimit = NamedLimit {
    name: "burst",
    limit: Limit {
        limit: 25,
        window_ms: 10_000,
        algorithm: Algorithm::FixedWindow,
    },
};

/// `n` checks of `p` started together, each limiter call a round trip during which the others
/// arrive.
fn concurrent(
    p: &'static RateLimit,
    b: &TestBackend,
    n: usize,
) -> Vec<Result<rate_limit::Passed, GatewayError>> {
    let checks = (0..n).map(|_| rate_limit::check(p, b, None, "r", ""));
    futures::executor::block_on(futures::future::join_all(checks))
}

#[test]
fn concurrent_exact_requests_for_one_key_share_round_trips_and_admit_exactly_the_limit() {
    static BURST: RateLimit = RateLimit {
        name: "burst",
        index: 5,
        limits: &[TWENTY_FIVE],
        ..clone()
    };
    let b = TestBackend {
        limiter_yields: true,
        ..backend()
    };
    let results = concurrent(&BURST, &b, 40);
    // The first request goes alone; the 39 that arrived meanwhile share the next call.
    assert_eq!(*b.limiter_units.borrow(), [1, 39]);
    let admitted: Vec<String> = results
        .iter()
        .filter_map(|r| r.as_ref().ok())
        .map(|p| p.headers[1].1.clone())
        .collect();
    let expected: Vec<String> = (0..25)
        .rev()
        .map(|r| format!(r#""burst";r={r};t=10"#))
        .collect();
    assert_eq!(
        admitted, expected,
        "exactly 25 admitted, in arrival order, each with its own remaining count"
    );
    for refused in results.iter().filter_map(|r| r.as_ref().err()) {
        assert_eq!(refused.status(), 429);
        assert!(refused
            .headers()
            .contains(&("retry-after", "10".to_string())));
    }
    assert_eq!(results.iter().filter(|r| r.is_err()).count(), 15);
}

#[test]
fn a_failed_batch_call_answers_every_request_in_it_as_on_error_says() {
    static BATCH_DENIES: RateLimit = RateLimit {
        name: "batch-denies",
        index: 6,
        on_error: OnError::Deny,
        limits: &[TWENTY_FIVE],
        ..clone()
    };
    static BATCH_ALLOWS: RateLimit = RateLimit {
        name: "batch-allows",
        index: 7,
        limits: &[TWENTY_FIVE],
        ..clone()
    };
    let b = TestBackend {
        limiter_yields: true,
        limiter_down: true,
        ..backend()
    };
    let denied = concurrent(&BATCH_DENIES, &b, 10);
    assert_eq!(
        b.limiter_calls.borrow().len(),
        2,
        "one alone, then one for nine"
    );
    for r in &denied {
        let e = r.as_ref().err().expect("denied");
        assert_eq!((e.status(), e.slug()), (503, "rate-limit-unavailable"));
    }
    let allowed = concurrent(&BATCH_ALLOWS, &b, 10);
    for r in allowed {
        let passed = r.expect("let through");
        assert!(passed.headers.is_empty());
        assert!(passed.allowed_on_error.unwrap().contains("timeout"));
    }
}

#[test]
fn sequential_exact_requests_each_take_one_unit_alone() {
    static ONE_BY_ONE: RateLimit = RateLimit {
        name: "one-by-one",
        index: 8,
        limits: &[TWENTY_FIVE],
        ..clone()
    };
    let b = TestBackend {
        limiter_yields: true,
        ..backend()
    };
    for _ in 0..3 {
        futures::executor::block_on(rate_limit::check(&ONE_BY_ONE, &b, None, "r", "")).unwrap();
    }
    assert_eq!(
        *b.limiter_units.borrow(),
        [1, 1, 1],
        "no waiting, no batching"
    );
}
