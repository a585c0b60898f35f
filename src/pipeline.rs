//! The request flow in phases, written once for any runtime:
//!
//! ```text
//! on_request (route order)      each step may answer: Flow::Respond skips to on_response
//! prepare_upstream              where the request goes (URL, headers), once
//! before_upstream (route order) each step may answer (serve stale while revalidating)
//! upstream                      one call: a step's (fan-out) or the exchange's; the
//!                               origin's response or a GatewayError
//! after_upstream (reverse)      each step sees the result and may replace it
//! on_response (reverse)         every step of the route, whatever produced the answer
//! outbound                      request id, Server-Timing, hop-by-hop: every answer
//! ```
//!
//! A step that answers in `before_upstream` may hand the rest of the flow to the background
//! ([`upstream_tail`]): the upstream call and every later step's `after_upstream` run as
//! they would have, so what a background refresh stores is what a miss would have stored.
//!
//! An error at any point becomes the answer ([`Exchange::problem`]) and still passes
//! `on_response` and `outbound`, so a 401 or a 429 carries the same request id, policy headers
//! and CORS fields as a proxied 200. The worker's exchange lives in `gateway.rs`; native tests
//! drive this same function with a recording exchange (tests/pipeline.rs).

use crate::error::GatewayError;

/// What an inbound phase decided.
pub enum Flow<A> {
    /// Go on to the next step, then the upstream.
    Continue,
    /// Answer with this; later inbound steps and the upstream are skipped, but every step's
    /// `on_response` and the outbound step still run.
    Respond(A),
}

/// One step's phases over an exchange `X` (a route's policies, and the steps the route's own
/// settings add: validation, fan-out, invalidation). Every phase has a no-op default.
///
/// A step keeps what it learns about one request in its [`Phases::State`], never in the
/// exchange: [`run`] makes one state per step when the request arrives and hands each phase
/// its own.
#[allow(async_fn_in_trait)] // single-threaded runtime: no Send bounds wanted
pub trait Phases<X: Exchange>: Sized {
    /// What the step keeps between its phases for one request. Starts as `Default`.
    type State: Default;

    /// Before the upstream is chosen, in route order. May refuse (`Err`), answer
    /// (`Flow::Respond`, e.g. a cache hit) or change the request. Default: continue.
    async fn on_request(
        &self,
        _x: &mut X,
        _state: &mut Self::State,
    ) -> Result<Flow<X::Answer>, GatewayError> {
        Ok(Flow::Continue)
    }

    /// After [`Exchange::prepare_upstream`], just before the upstream call, in route order.
    /// May answer instead of calling the upstream (serve a stale entry while refreshing it);
    /// `from_here` is this step and every later one, for work that finishes the flow in the
    /// background ([`upstream_tail`]). Default: continue.
    async fn before_upstream(
        &self,
        _x: &mut X,
        _state: &mut Self::State,
        _from_here: &[Self],
    ) -> Result<Flow<X::Answer>, GatewayError> {
        Ok(Flow::Continue)
    }

    /// The upstream call, when this step makes it instead of the exchange (a fan-out calls
    /// its parts). The first step in route order that answers `Some` is the upstream; at most
    /// one step of a route does. Default: `None` (the exchange sends the request).
    async fn upstream(
        &self,
        _x: &mut X,
        _state: &mut Self::State,
    ) -> Option<Result<X::Answer, GatewayError>> {
        None
    }

    /// After the upstream call, in reverse route order: sees the origin's answer or the
    /// error and returns what goes on (the same, or a replacement: a stale entry when the
    /// origin failed, a cached copy the origin confirmed with 304). Default: unchanged.
    async fn after_upstream(
        &self,
        _x: &mut X,
        _state: &mut Self::State,
        result: Result<X::Answer, GatewayError>,
    ) -> Result<X::Answer, GatewayError> {
        result
    }

    /// On every answer, in reverse route order, whether it came from the origin, a step's
    /// `Respond` or an error. Edits the answer's headers. Default: nothing.
    fn on_response(&self, _x: &mut X, _state: &mut Self::State, _answer: &mut X::Answer) {}
}

/// The runtime side of one request: how to reach the upstream and how an answer leaves.
#[allow(async_fn_in_trait)]
pub trait Exchange {
    /// An answer on its way to the client, with headers the steps may edit.
    type Answer;

    /// Resolves where the request goes and prepares what is sent, after every `on_request`.
    fn prepare_upstream(&mut self) -> Result<(), GatewayError>;

    /// The one upstream call of the request path, when no step makes it: sends the prepared
    /// request.
    async fn upstream(&mut self) -> Result<Self::Answer, GatewayError>;

    /// The problem+json answer for an error (the one place errors become answers).
    fn problem(&mut self, error: &GatewayError) -> Self::Answer;

    /// The last step for every answer: request id, Server-Timing, hop-by-hop stripping and
    /// headers policies asked for; turns the answer into what the runtime sends.
    fn outbound(&mut self, answer: Self::Answer) -> Self::Answer;
}

/// Runs the phases of `steps` (a route's steps, in route order) over `x`, each with its own
/// state; returns the answer after the outbound step.
pub async fn run<X, S>(x: &mut X, steps: &[S]) -> X::Answer
where
    X: Exchange,
    S: Phases<X>,
{
    let mut states: Vec<S::State> = steps.iter().map(|_| S::State::default()).collect();
    let mut answer = match answered(x, steps, &mut states).await {
        Ok(a) => a,
        Err(e) => x.problem(&e),
    };
    for (step, state) in steps.iter().zip(states.iter_mut()).rev() {
        step.on_response(x, state, &mut answer);
    }
    x.outbound(answer)
}

/// The tail of the flow for work that goes on after the client was answered (a
/// stale-while-revalidate refresh): the upstream call, then `after_upstream` of `steps` in
/// reverse order. `steps` are the route's steps from the one that started the work on (a
/// cache and every step after it) with their `states`; `x` carries what the earlier phases
/// decided. The answer goes to no client: what matters is what the steps did with it (stored
/// it).
pub async fn upstream_tail<X, S>(
    x: &mut X,
    steps: &[S],
    states: &mut [S::State],
) -> Result<X::Answer, GatewayError>
where
    X: Exchange,
    S: Phases<X>,
{
    let mut result = call_upstream(x, steps, states).await;
    for (step, state) in steps.iter().zip(states.iter_mut()).rev() {
        result = step.after_upstream(x, state, result).await;
    }
    result
}

async fn call_upstream<X, S>(
    x: &mut X,
    steps: &[S],
    states: &mut [S::State],
) -> Result<X::Answer, GatewayError>
where
    X: Exchange,
    S: Phases<X>,
{
    for (step, state) in steps.iter().zip(states.iter_mut()) {
        if let Some(result) = step.upstream(x, state).await {
            return result;
        }
    }
    x.upstream().await
}

async fn answered<X, S>(
    x: &mut X,
    steps: &[S],
    states: &mut [S::State],
) -> Result<X::Answer, GatewayError>
where
    X: Exchange,
    S: Phases<X>,
{
    for (step, state) in steps.iter().zip(states.iter_mut()) {
        if let Flow::Respond(a) = step.on_request(x, state).await? {
            return Ok(a);
        }
    }
    x.prepare_upstream()?;
    for (i, (step, state)) in steps.iter().zip(states.iter_mut()).enumerate() {
        if let Flow::Respond(a) = step.before_upstream(x, state, &steps[i..]).await? {
            return Ok(a);
        }
    }
    upstream_tail(x, steps, states).await
}
