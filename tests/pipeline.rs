//! The request flow itself (src/pipeline.rs), driven by a fake runtime that records which phase
//! ran, in which order, for each kind of answer: a pass-through, an inbound refusal, a cache
//! hit, an upstream error, a stale answer replacing an upstream error, and a step that makes
//! the upstream call; and that each step keeps its own state for the request.

use gatehouse::error::GatewayError;
use gatehouse::pipeline::{run, Exchange, Flow, Phases};

/// An answer: where it came from, and the headers the steps and the outbound step added.
#[derive(Debug, Clone, PartialEq)]
struct Answer {
    from: &'static str,
    status: u16,
    headers: Vec<String>,
}

/// A fake runtime. `upstream_fails` makes the upstream call fail with 502.
#[derive(Default)]
struct Recorder {
    events: Vec<String>,
    upstream_fails: bool,
    /// (step, how many steps its before_upstream was handed as `from_here`).
    from_here: Vec<(&'static str, usize)>,
    /// (step, how many phases its own state counted), read in on_response.
    seen: Vec<(&'static str, u32)>,
}

impl Exchange for Recorder {
    type Answer = Answer;

    fn prepare_upstream(&mut self) -> Result<(), GatewayError> {
        self.events.push("prepare_upstream".into());
        Ok(())
    }

    async fn upstream(&mut self) -> Result<Answer, GatewayError> {
        self.events.push("upstream".into());
        if self.upstream_fails {
            return Err(GatewayError::UpstreamUnreachable { upstream: "origin" });
        }
        Ok(Answer {
            from: "origin",
            status: 200,
            headers: vec![],
        })
    }

    fn problem(&mut self, error: &GatewayError) -> Answer {
        self.events.push(format!("problem {}", error.status()));
        Answer {
            from: "problem",
            status: error.status(),
            headers: vec![],
        }
    }

    fn outbound(&mut self, mut answer: Answer) -> Answer {
        self.events.push("outbound".into());
        answer.headers.push("x-request-id".into());
        answer
    }
}

/// What a fake policy does in its phases.
#[derive(Clone, Copy, PartialEq)]
enum Does {
    Nothing,
    /// Refuses in on_request (like a failed authentication).
    Refuse,
    /// Answers in on_request (like a fresh cache hit).
    Hit,
    /// Replaces an upstream error in after_upstream (like stale-if-error).
    ServeStale,
    /// Makes the upstream call itself (like a fan-out).
    Upstream,
}

struct Step {
    name: &'static str,
    does: Does,
}

impl Phases<Recorder> for Step {
    /// The phases this step saw for the request.
    type State = u32;

    async fn on_request(
        &self,
        x: &mut Recorder,
        seen: &mut u32,
    ) -> Result<Flow<Answer>, GatewayError> {
        *seen += 1;
        x.events.push(format!("{} on_request", self.name));
        match self.does {
            Does::Refuse => Err(GatewayError::RouteNotFound),
            Does::Hit => Ok(Flow::Respond(Answer {
                from: "cache",
                status: 200,
                headers: vec![],
            })),
            _ => Ok(Flow::Continue),
        }
    }

    async fn before_upstream(
        &self,
        x: &mut Recorder,
        seen: &mut u32,
        from_here: &[Step],
    ) -> Result<Flow<Answer>, GatewayError> {
        *seen += 1;
        x.events.push(format!("{} before_upstream", self.name));
        x.from_here.push((self.name, from_here.len()));
        Ok(Flow::Continue)
    }

    async fn upstream(
        &self,
        x: &mut Recorder,
        seen: &mut u32,
    ) -> Option<Result<Answer, GatewayError>> {
        if self.does != Does::Upstream {
            return None;
        }
        *seen += 1;
        x.events.push(format!("{} upstream", self.name));
        Some(Ok(Answer {
            from: "parts",
            status: 200,
            headers: vec![],
        }))
    }

    async fn after_upstream(
        &self,
        x: &mut Recorder,
        seen: &mut u32,
        result: Result<Answer, GatewayError>,
    ) -> Result<Answer, GatewayError> {
        *seen += 1;
        x.events.push(format!("{} after_upstream", self.name));
        match (self.does, result) {
            (Does::ServeStale, Err(_)) => Ok(Answer {
                from: "stale",
                status: 200,
                headers: vec![],
            }),
            (_, r) => r,
        }
    }

    fn on_response(&self, x: &mut Recorder, seen: &mut u32, answer: &mut Answer) {
        x.events.push(format!("{} on_response", self.name));
        answer.headers.push(format!("by-{}", self.name));
        x.seen.push((self.name, *seen));
    }
}

fn flow(steps: &[Step], upstream_fails: bool) -> (Answer, Vec<String>) {
    let (answer, x) = flow_with(steps, upstream_fails);
    (answer, x.events)
}

fn flow_with(steps: &[Step], upstream_fails: bool) -> (Answer, Recorder) {
    let mut x = Recorder {
        upstream_fails,
        ..Recorder::default()
    };
    let answer = futures::executor::block_on(run(&mut x, steps));
    (answer, x)
}

fn step(name: &'static str, does: Does) -> Step {
    Step { name, does }
}

#[test]
fn a_pass_through_runs_every_phase_in_order_and_reverse_order_on_the_way_back() {
    let (answer, events) = flow(
        &[step("auth", Does::Nothing), step("cache", Does::Nothing)],
        false,
    );
    assert_eq!(
        events,
        [
            "auth on_request",
            "cache on_request",
            "prepare_upstream",
            "auth before_upstream",
            "cache before_upstream",
            "upstream",
            "cache after_upstream",
            "auth after_upstream",
            "cache on_response",
            "auth on_response",
            "outbound",
        ]
    );
    assert_eq!(answer.from, "origin");
    assert_eq!(answer.headers, ["by-cache", "by-auth", "x-request-id"]);
}

#[test]
fn an_inbound_refusal_skips_the_upstream_but_not_on_response_or_outbound() {
    let (answer, events) = flow(
        &[
            step("headers", Does::Nothing),
            step("auth", Does::Refuse),
            step("cache", Does::Nothing),
        ],
        false,
    );
    assert_eq!(
        events,
        [
            "headers on_request",
            "auth on_request",
            "problem 404",
            "cache on_response",
            "auth on_response",
            "headers on_response",
            "outbound",
        ]
    );
    assert_eq!(answer.status, 404);
    assert_eq!(
        answer.headers,
        ["by-cache", "by-auth", "by-headers", "x-request-id"]
    );
}

#[test]
fn a_cache_hit_answers_from_on_request_and_still_passes_the_outbound_step() {
    let (answer, events) = flow(
        &[step("auth", Does::Nothing), step("cache", Does::Hit)],
        false,
    );
    assert_eq!(
        events,
        [
            "auth on_request",
            "cache on_request",
            "cache on_response",
            "auth on_response",
            "outbound",
        ]
    );
    assert_eq!(answer.from, "cache");
    assert_eq!(answer.headers, ["by-cache", "by-auth", "x-request-id"]);
}

#[test]
fn an_upstream_error_becomes_a_problem_that_passes_every_on_response() {
    let (answer, events) = flow(&[step("auth", Does::Nothing)], true);
    assert_eq!(
        events,
        [
            "auth on_request",
            "prepare_upstream",
            "auth before_upstream",
            "upstream",
            "auth after_upstream",
            "problem 502",
            "auth on_response",
            "outbound",
        ]
    );
    assert_eq!(answer.from, "problem");
    assert_eq!(answer.status, 502);
}

#[test]
fn a_stale_answer_replaces_the_upstream_error_before_any_problem_is_made() {
    let (answer, events) = flow(
        &[step("auth", Does::Nothing), step("cache", Does::ServeStale)],
        true,
    );
    assert_eq!(
        events,
        [
            "auth on_request",
            "cache on_request",
            "prepare_upstream",
            "auth before_upstream",
            "cache before_upstream",
            "upstream",
            "cache after_upstream",
            "auth after_upstream",
            "cache on_response",
            "auth on_response",
            "outbound",
        ]
    );
    assert_eq!(answer.from, "stale");
    assert_eq!(answer.status, 200);
}

#[test]
fn each_step_keeps_its_own_state_from_on_request_to_on_response() {
    let (_, x) = flow_with(
        &[step("auth", Does::Nothing), step("cache", Does::Hit)],
        false,
    );
    // The hit answered in the cache's on_request: each step counted only its own phases.
    assert_eq!(x.seen, [("cache", 1), ("auth", 1)]);
    let (_, x) = flow_with(
        &[step("auth", Does::Nothing), step("cache", Does::Nothing)],
        false,
    );
    assert_eq!(x.seen, [("cache", 3), ("auth", 3)]);
}

#[test]
fn before_upstream_is_handed_its_step_and_every_later_one() {
    let (_, x) = flow_with(
        &[
            step("auth", Does::Nothing),
            step("cache", Does::Nothing),
            step("transform", Does::Nothing),
        ],
        false,
    );
    assert_eq!(x.from_here, [("auth", 3), ("cache", 2), ("transform", 1)]);
}

#[test]
fn a_step_that_makes_the_upstream_call_replaces_the_exchanges() {
    let (answer, x) = flow_with(
        &[
            step("cache", Does::Nothing),
            step("fan-out", Does::Upstream),
        ],
        false,
    );
    assert_eq!(
        x.events,
        [
            "cache on_request",
            "fan-out on_request",
            "prepare_upstream",
            "cache before_upstream",
            "fan-out before_upstream",
            "fan-out upstream",
            "fan-out after_upstream",
            "cache after_upstream",
            "fan-out on_response",
            "cache on_response",
            "outbound",
        ]
    );
    assert_eq!(answer.from, "parts");
    assert_eq!(x.seen, [("fan-out", 4), ("cache", 3)]);
}
