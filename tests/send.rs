//! The attempts loop (src/upstream/send.rs), driven natively by a scripted transport and a
//! test clock: retries with backoff within the deadline, Retry-After on 503, no retry for a
//! request that may not be resent, breakers tripping to `UpstreamUnavailable`, and the
//! deadline ending the attempts. Each test uses its own upstream index, so the per-isolate
//! pool state of one never reaches another.

use gatehouse::config::{Balance, Target, TargetAddr, Upstream, UrlPart};
use gatehouse::error::GatewayError;
use gatehouse::upstream::breaker::BreakerSettings;
use gatehouse::upstream::retry::{FailureSet, RetrySettings};
use gatehouse::upstream::send::{attempts, Attempts, Outcome, Transport};
use std::cell::{Cell, RefCell};

const T0: f64 = 1_700_000_000_000.0;

static TARGETS: [Target; 2] = [
    Target {
        id: "a",
        addr: TargetAddr::Url(&[UrlPart::Lit("http://127.0.0.1:1")]),
        weight: 1,
    },
    Target {
        id: "b",
        addr: TargetAddr::Url(&[UrlPart::Lit("http://127.0.0.1:2")]),
        weight: 1,
    },
];

const RETRIES: RetrySettings = RetrySettings {
    attempts: 2,
    on: FailureSet::DEFAULT,
    backoff_ms: 100,
    max_backoff_ms: 1_000,
    budget_percent: 100,
};

/// A breaker that opens on the first failure, for 5 s.
const TRIPS_ON_FIRST_FAILURE: BreakerSettings = BreakerSettings {
    failures: 1,
    error_ratio: None,
    window_ms: 10_000,
    min_requests: 10,
    open_ms: 5_000,
    max_open_ms: 5_000,
    probes: 1,
    on: FailureSet::DEFAULT,
};

const fn upstream(retries: Option<RetrySettings>, deadline_ms: Option<u32>) -> Upstream {
    Upstream {
        name: "pool",
        targets: &TARGETS,
        balance: Balance::RoundRobin,
        timeout_ms: 1_000,
        deadline_ms,
        retries,
        breaker: None,
        fallback: None,
        mirror: None,
        canary: None,
        provider: None,
    }
}

/// What an attempt does: answer with a status after `ms`, or fail after `ms`.
#[derive(Clone, Copy)]
enum Step {
    Status(u16, f64),
    Refused(f64),
    TimesOut,
    /// The gateway cut the call: the client's streamed body went over max_body.
    BodyOverLimit,
}

/// A scripted network on a test clock: attempts take the script's time, sleeps advance the
/// clock, and the log says what happened.
struct Scripted {
    now: Cell<f64>,
    script: RefCell<Vec<Step>>,
    retry_after: Option<&'static str>,
    log: RefCell<Vec<String>>,
}

impl Scripted {
    fn new(script: &[Step]) -> Scripted {
        Scripted {
            now: Cell::new(T0),
            script: RefCell::new(script.iter().rev().copied().collect()),
            retry_after: None,
            log: RefCell::new(Vec::new()),
        }
    }
}

impl Transport for Scripted {
    type Response = u16;

    fn now_ms(&self) -> f64 {
        self.now.get()
    }
    fn random(&self) -> f64 {
        0.5
    }
    fn status(&self, response: &u16) -> u16 {
        *response
    }
    fn retry_after(&self, _: &u16) -> Option<String> {
        self.retry_after.map(str::to_string)
    }
    async fn attempt(&self, target: usize, timeout_ms: u32, _: bool) -> Result<u16, GatewayError> {
        let step = self
            .script
            .borrow_mut()
            .pop()
            .expect("an attempt the script did not expect");
        let (result, took) = match step {
            Step::Status(s, ms) => (Ok(s), ms),
            Step::Refused(ms) => (
                Err(GatewayError::UpstreamUnreachable { upstream: "pool" }),
                ms,
            ),
            Step::BodyOverLimit => (Err(GatewayError::PayloadTooLarge { limit: 0 }), 1.0),
            Step::TimesOut => (
                Err(GatewayError::UpstreamTimeout {
                    upstream: "pool",
                    timeout_ms,
                }),
                f64::from(timeout_ms),
            ),
        };
        self.log
            .borrow_mut()
            .push(format!("t+{} attempt target {target}", self.now.get() - T0));
        self.now.set(self.now.get() + took);
        result
    }
    async fn sleep(&self, ms: u32) {
        self.log.borrow_mut().push(format!("sleep {ms}"));
        self.now.set(self.now.get() + f64::from(ms));
    }
}

fn run(t: &Scripted, index: usize, up: &'static Upstream, retryable: bool) -> Outcome<u16> {
    futures::executor::block_on(attempts(
        t,
        &Attempts {
            index,
            upstream: up,
            hash_key: None,
            retryable,
            deadline_at: None,
            alone: true,
        },
    ))
}

fn outcomes(o: &Outcome<u16>) -> Vec<String> {
    o.tries
        .iter()
        .map(|t| format!("{} {}", t.target, t.outcome))
        .collect()
}

#[test]
fn failed_attempts_are_retried_on_the_other_target_after_the_backoff() {
    static UP: Upstream = upstream(Some(RETRIES), None);
    let t = Scripted::new(&[
        Step::Status(502, 10.0),
        Step::Refused(5.0),
        Step::Status(200, 10.0),
    ]);
    let o = run(&t, 9_001, &UP, true);
    assert_eq!(o.result.as_ref().ok().map(|(s, _)| *s), Some(200));
    assert_eq!(o.attempts, 3);
    // With both targets tried, the third attempt goes where the balance says.
    assert_eq!(outcomes(&o), ["a 502", "b connect", "b 200"]);
    // Full jitter at 0.5: half of 100 ms, then half of 200 ms.
    assert_eq!(
        *t.log.borrow(),
        [
            "t+0 attempt target 0",
            "sleep 50",
            "t+60 attempt target 1",
            "sleep 100",
            "t+165 attempt target 1"
        ]
    );
}

#[test]
fn a_request_that_may_not_be_resent_gets_one_attempt() {
    static UP: Upstream = upstream(Some(RETRIES), None);
    let t = Scripted::new(&[Step::Status(503, 10.0)]);
    let o = run(&t, 9_002, &UP, false);
    assert_eq!(o.result.as_ref().ok().map(|(s, _)| *s), Some(503));
    assert_eq!(o.attempts, 1);
}

#[test]
fn a_503_is_retried_after_its_retry_after_when_that_fits() {
    static UP: Upstream = upstream(Some(RETRIES), None);
    let mut t = Scripted::new(&[Step::Status(503, 10.0), Step::Status(200, 10.0)]);
    t.retry_after = Some("1");
    let o = run(&t, 9_003, &UP, true);
    assert_eq!(o.result.as_ref().ok().map(|(s, _)| *s), Some(200));
    assert_eq!(t.log.borrow()[1], "sleep 1000");
}

#[test]
fn the_deadline_ends_the_attempts_with_a_timeout() {
    // 250 ms for everything: the first attempt times out at its 250 ms share, and no time
    // is left for another.
    static UP: Upstream = upstream(Some(RETRIES), Some(250));
    let t = Scripted::new(&[Step::TimesOut]);
    let o = run(&t, 9_004, &UP, true);
    assert_eq!(outcomes(&o), ["a timeout"]);
    assert!(matches!(
        o.result,
        Err(GatewayError::UpstreamTimeout {
            timeout_ms: 250,
            ..
        })
    ));
}

#[test]
fn once_every_breaker_is_open_the_pool_answers_unavailable_without_an_attempt() {
    static UP: Upstream = Upstream {
        breaker: Some(TRIPS_ON_FIRST_FAILURE),
        ..upstream(None, None)
    };
    let t = Scripted::new(&[Step::Status(502, 1.0), Step::Status(502, 1.0)]);
    run(&t, 9_005, &UP, false);
    run(&t, 9_005, &UP, false);
    let o = run(&t, 9_005, &UP, false);
    assert_eq!(outcomes(&o), ["pool open"]);
    assert!(matches!(
        o.result,
        Err(GatewayError::UpstreamUnavailable { .. })
    ));
    assert_eq!(o.attempts, 0);
}

#[test]
fn a_client_body_over_max_body_never_counts_against_the_target_nor_is_retried() {
    static UP: Upstream = Upstream {
        breaker: Some(TRIPS_ON_FIRST_FAILURE),
        ..upstream(Some(RETRIES), None)
    };
    // Three over-limit uploads: each ends its call at once, with nothing logged as a try.
    for _ in 0..3 {
        let t = Scripted::new(&[Step::BodyOverLimit]);
        let o = run(&t, 9_020, &UP, true);
        assert!(matches!(
            o.result,
            Err(GatewayError::PayloadTooLarge { .. })
        ));
        assert_eq!(o.attempts, 1);
        assert!(o.tries.is_empty(), "no try logged: {:?}", outcomes(&o));
    }
    // The breaker (one failure trips it) is still closed: the next request is attempted.
    let t = Scripted::new(&[Step::Status(200, 1.0)]);
    let o = run(&t, 9_020, &UP, true);
    assert!(matches!(o.result, Ok((200, _))));
}
