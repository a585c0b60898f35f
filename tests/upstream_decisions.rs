//! The runtime decisions of fallbacks and mirroring, natively (the wire is `pool.test.mjs`):
//! when a fallback answers instead of the pool, when a request may go to a fallback upstream,
//! when it may be retried, mirrored and its body buffered.

use gatehouse::config::{
    Balance, BreakerSettings, FailureSet, Fallback, Mirror, RetrySettings, Target, TargetAddr,
    Upstream, UrlPart,
};
use gatehouse::upstream::fallback::{failures, falls_back, may_resend};
use gatehouse::upstream::replay::Replay;

static TARGETS: [Target; 1] = [Target {
    id: "a",
    addr: TargetAddr::Url(&[UrlPart::Lit("http://a")]),
    weight: 1,
}];

const STATIC: Fallback = Fallback::Static {
    status: 200,
    content_type: "application/json",
    body: "{}",
};

fn upstream() -> Upstream {
    Upstream {
        name: "u",
        targets: &TARGETS,
        balance: Balance::RoundRobin,
        timeout_ms: 1_000,
        deadline_ms: None,
        retries: None,
        breaker: None,
        fallback: None,
        mirror: None,
        canary: None,
        provider: None,
    }
}

fn retries(on: FailureSet) -> RetrySettings {
    RetrySettings {
        attempts: 2,
        on,
        backoff_ms: 10,
        max_backoff_ms: 100,
        budget_percent: 20,
    }
}

fn breaker(on: FailureSet) -> BreakerSettings {
    BreakerSettings {
        failures: 3,
        error_ratio: None,
        window_ms: 10_000,
        min_requests: 10,
        open_ms: 1_000,
        max_open_ms: 4_000,
        probes: 1,
        on,
    }
}

const ON_500: FailureSet = FailureSet {
    connect: true,
    timeout: true,
    statuses: &[500],
};

#[test]
fn without_a_fallback_nothing_falls_back() {
    let up = upstream();
    for answered in [None, Some(502), Some(200)] {
        assert!(!falls_back(&up, answered), "{answered:?}");
    }
}

#[test]
fn a_fallback_answers_for_no_answer_and_the_default_failure_statuses_only() {
    let up = Upstream {
        fallback: Some(STATIC),
        ..upstream()
    };
    assert!(
        falls_back(&up, None),
        "connect error, timeout or every target open"
    );
    for status in [502, 503, 504] {
        assert!(falls_back(&up, Some(status)), "{status}");
    }
    for status in [200, 201, 304, 400, 404, 429, 500, 501] {
        assert!(
            !falls_back(&up, Some(status)),
            "{status} is the client's answer"
        );
    }
}

#[test]
fn the_fallback_statuses_are_the_retries_then_the_breakers_failures() {
    let with_retries = Upstream {
        fallback: Some(Fallback::Upstream(1)),
        retries: Some(retries(ON_500)),
        breaker: Some(breaker(FailureSet::DEFAULT)),
        ..upstream()
    };
    assert_eq!(failures(&with_retries), ON_500, "retries' set first");
    assert!(falls_back(&with_retries, Some(500)));
    assert!(
        !falls_back(&with_retries, Some(502)),
        "not in the retries' set"
    );
    let with_breaker = Upstream {
        fallback: Some(Fallback::Upstream(1)),
        breaker: Some(breaker(ON_500)),
        ..upstream()
    };
    assert_eq!(failures(&with_breaker), ON_500, "then the breaker's");
    assert_eq!(
        failures(&upstream()),
        FailureSet::DEFAULT,
        "else 502, 503, 504"
    );
}

#[test]
fn only_a_resendable_request_with_a_buffered_body_goes_to_a_fallback_upstream() {
    assert!(may_resend(true, false));
    assert!(
        !may_resend(true, true),
        "the body streamed to the failed attempt"
    );
    assert!(
        !may_resend(false, false),
        "a POST the first upstream may have acted on"
    );
}

#[test]
fn idempotent_methods_may_be_resent_and_retried_when_the_upstream_retries() {
    let up = Upstream {
        retries: Some(retries(FailureSet::DEFAULT)),
        ..upstream()
    };
    for method in ["GET", "HEAD", "OPTIONS", "PUT", "DELETE"] {
        let r = Replay::decide(method, false, false, &up, 0.5);
        assert!(
            r.may_resend && r.may_retry && r.buffer_body,
            "{method}: {r:?}"
        );
        assert!(
            r.retryable(false) && !r.retryable(true),
            "{method}: never a streamed body"
        );
    }
    for method in ["POST", "PATCH"] {
        let r = Replay::decide(method, false, false, &up, 0.5);
        assert!(
            !r.may_resend && !r.may_retry && !r.buffer_body,
            "{method}: {r:?}"
        );
        let allowed = Replay::decide(method, false, true, &up, 0.5);
        assert!(allowed.may_retry, "{method} with retry_unsafe");
    }
    let no_retries = Replay::decide("GET", false, false, &upstream(), 0.5);
    assert!(no_retries.may_resend && !no_retries.may_retry && !no_retries.buffer_body);
}

#[test]
fn a_call_steps_post_is_resent_only_for_a_clients_get_or_head() {
    let up = Upstream {
        retries: Some(retries(FailureSet::DEFAULT)),
        ..upstream()
    };
    assert!(Replay::decide("GET", true, false, &up, 0.5).may_retry);
    assert!(Replay::decide("HEAD", true, false, &up, 0.5).may_retry);
    for method in ["PUT", "DELETE", "POST"] {
        let r = Replay::decide(method, true, false, &up, 0.5);
        assert!(
            !r.may_resend,
            "{method} binding: its call may not be idempotent"
        );
    }
}

#[test]
fn the_body_is_buffered_for_a_fallback_upstream_but_not_for_a_static_one() {
    let to_upstream = Upstream {
        fallback: Some(Fallback::Upstream(1)),
        ..upstream()
    };
    let r = Replay::decide("PUT", false, false, &to_upstream, 0.5);
    assert!(r.buffer_body && r.resendable(false) && !r.resendable(true));
    let to_static = Upstream {
        fallback: Some(STATIC),
        ..upstream()
    };
    assert!(!Replay::decide("PUT", false, false, &to_static, 0.5).buffer_body);
    assert!(!Replay::decide("POST", false, false, &to_upstream, 0.5).buffer_body);
}

#[test]
fn a_mirror_gets_its_percent_of_requests_whatever_the_method() {
    let mirrored = |percent: f32| Upstream {
        mirror: Some(Mirror {
            upstream: 1,
            percent,
        }),
        ..upstream()
    };
    let share = |percent: f32, method: &str| {
        let up = mirrored(percent);
        (0..1_000)
            .filter(|i| Replay::decide(method, false, false, &up, f64::from(*i) / 1_000.0).mirrored)
            .count()
    };
    assert_eq!(share(0.0, "GET"), 0, "0% never");
    assert_eq!(share(100.0, "POST"), 1_000, "100% always, a POST too");
    assert_eq!(share(25.0, "GET"), 250);
    assert_eq!(share(0.5, "GET"), 5, "fractions of a percent");
    let r = Replay::decide("POST", false, false, &mirrored(100.0), 0.0);
    assert!(r.buffer_body, "a mirrored body is buffered to be copied");
    assert!(
        r.mirror_gets_copy(false) && !r.mirror_gets_copy(true),
        "never a streamed one"
    );
    assert!(!r.alone(), "a mirrored call is not the request's only one");
    assert!(Replay::decide("GET", false, false, &upstream(), 0.0).alone());
    assert!(!Replay::decide("POST", false, false, &mirrored(100.0), 0.0).may_retry);
}
